/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/* ref.c - the reference path: out = alpha * einsum + beta * out as a plain
 * loop nest over host buffers, with double accumulation. It is the oracle the
 * tests hold every other path against, so it stays simple: an odometer over
 * the output labels, and inside it an odometer over the summed labels. Each
 * operand's element offset and guard values are kept as running sums, updated
 * as the odometers step, instead of being recomputed per element. Every such
 * sum is a 64-bit number: the view check refuses a view whose addresses or
 * guard values (offset + sum coef * idx over the whole box, guarded out or
 * not) overflow 64 bits, and each running sum is the value at some index. */
#include "internal.h"

/* Running state of the loop nest: for each operand (inputs 0..nops-1, the
 * output at index nops) its element offset and its guard values at the
 * current label indices. */
typedef struct ref_cursor {
    int64_t pos[WS_MAX_OPS + 1];
    int64_t gv[WS_MAX_OPS + 1][WINSUM_MAX_GUARDS];
} ref_cursor;

/* Steps the odometer over labels[0..n-1] (the last fastest) and moves every
 * operand's offset and guard values along: +stride on an increment,
 * -stride*(size-1) when an index wraps to 0. Returns 0 once the whole odometer
 * has wrapped, at which point the cursor is back where the odometer started. */
static int ref_advance(const ws_ir *ir, const ws_operand *const *all, int nall, const int *labels,
                       int n, int64_t *idx, ref_cursor *c)
{
    for (int k = n - 1; k >= 0; k--) {
        int l = labels[k];
        int64_t step;
        if (++idx[k] < ir->size[l]) {
            step = 1;
        } else {
            idx[k] = 0;
            step = -(ir->size[l] - 1);
        }
        for (int j = 0; j < nall; j++) {
            const ws_operand *o = all[j];
            c->pos[j] += step * o->stride[l];
            for (int g = 0; g < o->nguards; g++) c->gv[j][g] += step * o->guard[g].coef[l];
        }
        if (idx[k] != 0) return 1;
    }
    return 0;
}

void ws_ref_einsum(const ws_ir *ir, const ws_operand *ops, const ws_operand *out, double alpha,
                   double beta)
{
    int nops = ir->nops;

    /* Output labels, then summed labels: in some input but not the output. */
    uint8_t in_out[WS_MAX_LABELS] = {0};
    for (int k = 0; k < ir->out_ndim; k++) {
        in_out[ir->out_label[k]] = 1;
        if (ir->size[ir->out_label[k]] == 0) return; /* empty output */
    }
    int sum_label[WS_MAX_LABELS];
    int nsum = 0, sum_empty = 0;
    for (int l = 0; l < ir->nlabels; l++) {
        if (in_out[l]) continue;
        int used = 0;
        for (int i = 0; i < nops; i++) used |= ops[i].has[l];
        if (!used) continue;
        sum_label[nsum++] = l;
        if (ir->size[l] == 0) sum_empty = 1; /* every sum is empty: 0 */
    }

    /* Inputs and the output in one list, the output last. The output is
     * stepped by the output odometer only (it has stride 0 on summed labels)
     * and its guards, meaningless for a write, are not tracked. */
    const ws_operand *all[WS_MAX_OPS + 1];
    ref_cursor c;
    for (int i = 0; i < nops; i++) all[i] = &ops[i];
    all[nops] = out;
    for (int j = 0; j < nops; j++) {
        c.pos[j] = all[j]->offset;
        for (int g = 0; g < all[j]->nguards; g++) c.gv[j][g] = all[j]->guard[g].offset;
    }
    ws_operand out_noguard = *out;
    out_noguard.nguards = 0;
    all[nops] = &out_noguard;
    c.pos[nops] = out->offset;

    int64_t oidx[WINSUM_MAX_DIMS] = {0};
    int64_t sidx[WS_MAX_LABELS] = {0};
    do {
        double acc = 0.0;
        if (!sum_empty) {
            do {
                double prod = 1.0;
                for (int i = 0; i < nops; i++) {
                    const ws_operand *o = &ops[i];
                    int inside = 1;
                    for (int g = 0; g < o->nguards; g++)
                        if (c.gv[i][g] < 0 || c.gv[i][g] >= o->guard[g].extent) inside = 0;
                    /* A padded element is a real 0, multiplied like any other
                     * (so 0 * inf gives NaN, as with explicit padding). */
                    prod *= inside ? ws_load_elem(o->buffer->host, o->dtype, c.pos[i]) : 0.0;
                }
                acc += prod;
            } while (ref_advance(ir, all, nops, sum_label, nsum, sidx, &c));
        }
        double v = alpha * acc;
        if (beta != 0.0) v += beta * ws_load_elem(out->buffer->host, out->dtype, c.pos[nops]);
        /* float16 is rounded once, from the double result, as the kernels round
         * once from their float result */
        ws_store_elem(out->buffer->host, out->dtype, c.pos[nops], v);
    } while (ref_advance(ir, all, nops + 1, ir->out_label, ir->out_ndim, oidx, &c));
}
