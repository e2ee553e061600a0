/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * steps.c - the steps of an OpenCL plan: each operand's dead guards pruned,
 * labels only one operand has summed away first (unary steps into
 * intermediates), then the pairs in the chosen contraction order, the last
 * one into the output or, when its K is long and its output small on a
 * CPU, into a workspace that keeps one K label, summed into the output by
 * a unary step (split K). Each step is built by a kernel family
 * (families.c).
 */
#include "layer.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A contiguous device intermediate holding the labels `keep` (in label id
 * order, the last fastest); owned by the plan. */
static winsum_status new_intermediate(winsum_plan *p, const uint8_t *keep, slot *t)
{
    const ws_ir *ir = &p->ir;
    memset(t, 0, sizeof *t);
    t->op.dtype = p->out.dtype;
    int64_t stride = 1, bytes;
    int ovf = 0;
    for (int l = ir->nlabels - 1; l >= 0; l--)
        if (keep[l]) {
            t->op.has[l] = 1;
            t->op.stride[l] = ir->size[l] == 1 ? 0 : stride;
            ovf |= ws_mul_ovf(stride, ir->size[l], &stride);
        }
    if (ovf || ws_mul_ovf(stride, (int64_t)winsum_dtype_size(p->out.dtype), &bytes))
        return ws_fail(&p->ctx->err, WINSUM_ERR_OVERFLOW,
                       "einsum: an intermediate's size overflows 64 bits");
    int k = p->ninter++;
    p->inter_bytes[k] = (size_t)bytes;
    t->src = (ws_src){SRC_INTER, k};
    return ws_mem_alloc(p->ctx, p->inter_bytes[k], &p->inter[k], "einsum intermediate");
}

/* Drops the guards that no index of the operand can fail (a padded window
 * whose windows never reach the padding, the stride phases of a convolution
 * that stay inside): they would only cost work while packing. Decided on the
 * exact range of the guard's values, in 64-bit integers (in double, offsets
 * and extents near 2^60 round together and live guards looked dead). The
 * guards kept get their extent clamped to one past their largest value,
 * and a guard no index passes becomes the constant "fails" (coefficients 0,
 * extent 0): the same elements pass, and the kernels' interval arithmetic
 * (extent - 1 - value) stays within the spread of the values, which the view
 * check keeps a 64-bit number. */
static void prune_guards(ws_operand *op, const int64_t *size, int nlabels)
{
    int kept = 0;
    for (int g = 0; g < op->nguards; g++) {
        ws_lguard gd = op->guard[g];
        int64_t lo = gd.offset, hi = lo;
        int ovf = 0;
        for (int l = 0; l < nlabels && !ovf; l++) {
            if (!op->has[l] || size[l] < 1) continue;
            int64_t span;
            ovf = ws_mul_ovf(gd.coef[l], size[l] - 1, &span) ||
                  (span < 0 ? ws_add_ovf(lo, span, &lo) : ws_add_ovf(hi, span, &hi));
        }
        if (!ovf) { /* the view check rules overflow out; kept unchanged if not */
            if (lo >= 0 && hi < gd.extent) continue;
            if (hi < 0 || lo >= gd.extent) {
                memset(&gd, 0, sizeof gd);
            } else if (hi < gd.extent) {
                gd.extent = hi + 1;
            }
        }
        op->guard[kept++] = gd;
    }
    op->nguards = kept;
}

/* Split K for the last pair on CPU-like devices. A contraction with a small
 * output and a long K (backward-weight: the weights' gradient, summed over
 * batch and image) makes only a few work-groups, fewer than the cores, or
 * unevenly sized ones: one core then idles while the other works through
 * all of K (split when the work-groups fill less than 85% of the cores'
 * time). Keeping one K label l in the result, as a batch label of an
 * intermediate T, gives size[l] times the work-groups, each with 1/size[l]
 * of K; a unary step then sums T over l into the output (with alpha, beta).
 * Returns the label to keep, or -1. */
static int split_label(const winsum_plan *p, const slot *X, const slot *Y, const slot *C,
                       const int64_t *size, int nlabels)
{
    const winsum_context *ctx = p->ctx;
    /* float16: the slices would be rounded to half before their sum, and a
     * two-operand float16 einsum promises one rounding */
    if (!ctx->cpu_like || p->out.dtype == WINSUM_F16) return -1;
    groups gr;
    ws_classify(X, Y, C, size, nlabels, &gr);
    const int64_t B = ws_group_size(gr.bl, gr.nb, size), M = ws_group_size(gr.ml, gr.nm, size),
                  N = ws_group_size(gr.nl, gr.nn, size), K = ws_group_size(gr.kl, gr.nk, size);
    int64_t outn = 1, xn = 1, yn = 1;
    for (int l = 0; l < nlabels; l++) { /* each fits: the plan's terms do (plan.c) */
        if (C->op.has[l] && ws_mul_ovf(outn, size[l], &outn)) return -1;
        if (X->op.has[l] && ws_mul_ovf(xn, size[l], &xn)) return -1;
        if (Y->op.has[l] && ws_mul_ovf(yn, size[l], &yn)) return -1;
    }
    /* the elements each input really occupies (a window view is larger
     * than its image) */
    const slot *in[2] = {X, Y};
    int64_t foot[2] = {xn, yn};
    for (int t = 0; t < 2; t++) {
        if (in[t]->src.kind == SRC_INPUT && !p->empty[in[t]->src.index])
            foot[t] = p->hi[in[t]->src.index] - p->lo[in[t]->src.index] + 1;
        else if (in[t]->src.kind == SRC_INTER)
            foot[t] = (int64_t)(p->inter_bytes[in[t]->src.index] / winsum_dtype_size(p->out.dtype));
    }
    const int64_t big = foot[0] > foot[1] ? foot[0] : foot[1];
    struct {
        int mc, nc, kc;
    } gb, *g = &gb;
    ws_gett_blocks(ctx, &gb.mc, &gb.nc, &gb.kc);
    const int64_t cu = ctx->compute_units, target = 4 * cu;
    int64_t tiles_m = (M + g->mc - 1) / g->mc, tiles_n = (N + g->nc - 1) / g->nc;
    int64_t wgs = B * tiles_m * tiles_n;
    /* the share of the cores' time the work-groups fill: rounds of full
     * tiles, against the output's real size (2 equal work-groups on 2 cores
     * fill it; 2 of 96 and 51 rows do not) */
    const int64_t tm = M < g->mc ? M : g->mc, tn = N < g->nc ? N : g->nc;
    const double fill = (double)B * (double)M * (double)N /
                        ((double)cu * (double)((wgs + cu - 1) / cu) * (double)tm * (double)tn);
    if (fill >= 0.85 || K < 32 * (int64_t)g->kc) return -1;
    int64_t need = (target + wgs - 1) / wgs;
    int best = -1;
    for (int q = 0; q < gr.nk; q++) {
        const int l = gr.kl[q];
        if (!X->op.has[l] || !Y->op.has[l]) continue;
        /* each slice keeps a long K, and T stays small: at most 1/16 of the
         * larger input (so a convolution still allocates next to nothing
         * beside its operands; test_conv's accounting holds it to 1/50 of
         * im2col) */
        if (K / size[l] < 4 * (int64_t)g->kc || (double)size[l] * (double)outn * 16 > (double)big)
            continue;
        if (best < 0) {
            best = l;
            continue;
        }
        int64_t a = size[l], b = size[best];
        /* the smallest size that meets the need, else the largest */
        if ((a >= need && (b < need || a < b)) || (a < need && b < need && a > b)) best = l;
    }
    return best;
}

/* A one-operand step A -> C, a two-operand step X, Y -> C: built by the
 * first family (families.c) that accepts it. */
static winsum_status unary_step(winsum_plan *p, ws_step *s, const slot *A, const slot *C,
                                const int64_t *size, int nlabels)
{
    const ws_step_request r = {1, {A, NULL}, C, size, nlabels};
    return ws_step_build(p, s, &r, NULL);
}

static winsum_status pair_step(winsum_plan *p, ws_step *s, const slot *X, const slot *Y,
                               const slot *C, const int64_t *size, int nlabels)
{
    const ws_step_request r = {2, {X, Y}, C, size, nlabels};
    return ws_step_build(p, s, &r, NULL);
}

winsum_status ws_plan_steps(winsum_plan *p)
{
    winsum_context *ctx = p->ctx;
    const ws_ir *ir = &p->ir;
    int nlabels = ir->nlabels;
    slot *sl = calloc((size_t)p->nops + 1, sizeof *sl);
    if (!sl) return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "out of host memory");
    slot out;
    ws_operand_from_view(ir, -1, &p->out, &out.op);
    out.src = (ws_src){SRC_OUTPUT, 0};
    for (int i = 0; i < p->nops; i++) {
        ws_operand_from_view(ir, i, &p->ops[i], &sl[i].op);
        prune_guards(&sl[i].op, ir->size, nlabels);
        sl[i].src = (ws_src){SRC_INPUT, i};
    }
    winsum_status st = WINSUM_OK;
    int any_zero = 0;
    for (int l = 0; l < nlabels; l++) any_zero |= ir->size[l] == 0;
    if (any_zero || p->nops == 1) {
        /* a sum over nothing is beta * out: a unary step that reads no input */
        slot a = sl[0];
        if (any_zero) {
            memset(&a.op, 0, sizeof a.op);
            a.src = (ws_src){SRC_OUTPUT, 0};
            a.op.dtype = p->out.dtype;
        }
        int64_t size[WS_MAX_LABELS];
        memcpy(size, ir->size, sizeof size);
        if (any_zero) {
            /* keep the output's labels, make the reduction empty */
            int zl = -1;
            for (int l = 0; l < nlabels; l++)
                if (ir->size[l] == 0) zl = l;
            if (zl >= 0) a.op.has[zl] = 1;
        }
        st = unary_step(p, &p->steps[0], &a, &out, size, nlabels);
        p->nsteps = 1;
        free(sl);
        return st;
    }
    /* Labels that only one operand has, and the output lacks, are summed
     * away first (a unary step into a smaller intermediate), rather than
     * multiplied through the pair's K loop. */
    for (int i = 0; i < p->nops && !st; i++) {
        int priv = 0;
        for (int l = 0; l < nlabels; l++) {
            if (!sl[i].op.has[l] || out.op.has[l] || ir->size[l] <= 1) continue;
            int elsewhere = 0;
            for (int j = 0; j < p->nops; j++) elsewhere |= j != i && sl[j].op.has[l];
            priv |= !elsewhere;
        }
        if (!priv) continue;
        uint8_t keep[WS_MAX_LABELS] = {0};
        for (int l = 0; l < nlabels; l++) {
            keep[l] = sl[i].op.has[l] && out.op.has[l];
            for (int j = 0; j < p->nops; j++)
                keep[l] |= sl[i].op.has[l] && j != i && sl[j].op.has[l];
        }
        slot red;
        if ((st = new_intermediate(p, keep, &red))) break;
        st = unary_step(p, &p->steps[p->nsteps++], &sl[i], &red, ir->size, nlabels);
        sl[i] = red;
    }
    if (st) {
        free(sl);
        return st;
    }
    lset sets[WS_MAX_OPS], oset = {{0, 0}};
    for (int i = 0; i < p->nops; i++) {
        sets[i] = (lset){{0, 0}};
        for (int l = 0; l < nlabels; l++)
            if (sl[i].op.has[l]) lset_add(&sets[i], l);
    }
    for (int l = 0; l < nlabels; l++)
        if (out.op.has[l]) lset_add(&oset, l);
    int seq[2 * WS_MAX_OPS];
    ws_choose_order(p->nops, sets, &oset, ir->size, nlabels, seq);
    int alive[WS_MAX_OPS];
    for (int i = 0; i < p->nops; i++) alive[i] = 1;
    for (int s = 0; s < p->nops - 1 && !st; s++) {
        int i = seq[2 * s], j = seq[2 * s + 1];
        slot *res = &out;
        slot tmp;
        if (s < p->nops - 2) {
            /* an intermediate: contiguous, labels in id order */
            lset r = ws_pair_result(sets, p->nops, alive, i, j, &oset);
            uint8_t keep[WS_MAX_LABELS] = {0};
            for (int l = 0; l < nlabels; l++) keep[l] = (uint8_t)lset_has(&r, l);
            if ((st = new_intermediate(p, keep, &tmp))) break;
            res = &tmp;
            sets[i] = r;
        }
        /* the last pair: into the output, or into a workspace that keeps one
         * K label, summed into the output by a unary step (split K) */
        int sp = res == &out ? split_label(p, &sl[i], &sl[j], &out, ir->size, nlabels) : -1;
        if (sp >= 0) {
            uint8_t keep[WS_MAX_LABELS] = {0};
            for (int l = 0; l < nlabels; l++) keep[l] = out.op.has[l] || l == sp;
            if ((st = new_intermediate(p, keep, &tmp))) break;
            res = &tmp;
        }
        st = pair_step(p, &p->steps[p->nsteps++], &sl[i], &sl[j], res, ir->size, nlabels);
        if (!st && sp >= 0) {
            size_t len = strlen(p->describe);
            snprintf(p->describe + len, sizeof p->describe - len,
                     "  (K split along '%c': %lld slices, summed by the next step)\n",
                     ir->label_char[sp] ? ir->label_char[sp] : '?', (long long)ir->size[sp]);
            st = unary_step(p, &p->steps[p->nsteps++], &tmp, &out, ir->size, nlabels);
        }
        alive[j] = 0;
        if (res != &out) sl[i] = tmp;
    }
    free(sl);
    return st;
}
