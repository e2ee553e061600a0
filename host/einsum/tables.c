/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * tables.c - the offset and guard tables the kernels index through. A
 * group of labels (batch, M, N, K, ...) becomes one table of offsets, one
 * entry per flat index of the group; the guard tables hold each guard's
 * value the same way. Also the runs of consecutive offsets that the GETT
 * kernel packs without reading the tables, and the upload of a step's
 * tables into one device buffer.
 */
#include "layer.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int tab_reserve(tabbuf *t, size_t extra)
{
    if (t->n + extra <= t->cap) return 0;
    size_t cap = t->cap ? t->cap : 256;
    while (cap < t->n + extra) cap *= 2;
    ws_long *v = realloc(t->v, cap * sizeof *v);
    if (!v) return 1;
    t->v = v;
    t->cap = cap;
    return 0;
}

/* Appends sum_l coef[l] * idx[l] + add for every flat index of the labels
 * (slowest first); with pad > 0 the innermost label counts to pad, its
 * indices past its size taking its last value. Returns the start offset,
 * -1 when out of memory. */
static long tab_group(tabbuf *t, const int *labels, int n, const int64_t *size, const int64_t *coef,
                      int64_t add, int64_t pad)
{
    int64_t count = ws_group_size(labels, n, size);
    if (count < 1) count = 1;
    if (count == INT64_MAX) return -1; /* no such table fits in memory */
    const int64_t inner = n > 0 ? size[labels[n - 1]] : 1;
    if (n == 0 || pad < inner) pad = 0;
    if (pad && ws_mul_ovf(count / inner, pad, &count)) return -1;
    if (tab_reserve(t, (size_t)count)) return -1;
    long start = (long)t->n;
    int64_t idx[WS_MAX_LABELS] = {0}, val = add;
    for (int64_t e = 0; e < count; e++) {
        t->v[t->n++] = val;
        for (int i = n - 1; i >= 0; i--) {
            int l = labels[i];
            const int64_t lim = pad && i == n - 1 ? pad : size[l];
            if (++idx[i] < lim) {
                if (idx[i] < size[l]) val += coef[l];
                break;
            }
            val -= coef[l] * (size[l] - 1);
            idx[i] = 0;
        }
    }
    return start;
}

int ws_tab_groups(tabbuf *t, const ws_tab_spec *spec, int n, const int64_t *size, long *start)
{
    for (int i = 0; i < n; i++)
        if ((start[i] =
                 tab_group(t, spec[i].labels, spec[i].n, size, spec[i].coef, 0, spec[i].pad)) < 0)
            return 1;
    return 0;
}

/* sort labels so that the operand's largest |stride| comes first */
void ws_sort_by_stride(int *labels, int n, const int64_t *stride)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && llabs(stride[labels[j]]) > llabs(stride[labels[j - 1]]); j--) {
            int t = labels[j];
            labels[j] = labels[j - 1];
            labels[j - 1] = t;
        }
}

int ws_tab_unit(const tabbuf *t, long start, int64_t count)
{
    for (int64_t i = 0; i < count; i++)
        if (t->v[start + i] != i) return 0;
    return 1;
}

int64_t ws_group_size(const int *labels, int n, const int64_t *size)
{
    int64_t s = 1;
    for (int i = 0; i < n; i++)
        if (ws_mul_ovf(s, size[labels[i]], &s)) return INT64_MAX;
    return s;
}

/* Builds the g-major guard tables of an operand over its three groups:
 * rows, reduction, batch (the batch table adds the guard's offset). */
int ws_guard_tables(tabbuf *t, const ws_operand *op, const int *rl, int nr, const int *kl, int nk,
                    const int *bl, int nb, const int64_t *size, long *gr, long *gk, long *gb)
{
    *gr = (long)t->n;
    for (int g = 0; g < op->nguards; g++)
        if (tab_group(t, rl, nr, size, op->guard[g].coef, 0, 0) < 0) return 1;
    *gk = (long)t->n;
    for (int g = 0; g < op->nguards; g++)
        if (tab_group(t, kl, nk, size, op->guard[g].coef, 0, 0) < 0) return 1;
    *gb = (long)t->n;
    for (int g = 0; g < op->nguards; g++)
        if (tab_group(t, bl, nb, size, op->guard[g].coef, op->guard[g].offset, 0) < 0) return 1;
    return 0;
}

/* The run along the innermost labels of a group (last in order): how many
 * consecutive flat indices step the operand's address by one stride and each
 * guard by one coefficient; that stride, and those coefficients. */
void ws_run_info(const ws_operand *op, const int *labels, int n, const int64_t *size, ws_int *inner,
                 ws_long *st, ws_long4 *cg)
{
    ws_long c[4] = {0, 0, 0, 0};
    *inner = 1;
    *st = 0;
    if (n > 0) {
        int l = labels[n - 1];
        int64_t run = size[l];
        *st = op->stride[l];
        for (int g = 0; g < op->nguards; g++) c[g] = op->guard[g].coef[l];
        /* labels before it continue the run when their stride (and every guard
         * coefficient) is the run's step times its length: one dimension */
        for (int i = n - 2; i >= 0 && run < INT_MAX; i--) {
            /* checked: a product that overflows is no continuation */
            int64_t want;
            int m = labels[i], same = !ws_mul_ovf(*st, run, &want) && op->stride[m] == want;
            for (int g = 0; g < op->nguards; g++)
                same &= !ws_mul_ovf(c[g], run, &want) && op->guard[g].coef[m] == want;
            if (!same || ws_mul_ovf(run, size[m], &run)) break;
        }
        *inner = run > INT_MAX ? INT_MAX : (ws_int)run;
    }
    memcpy(cg, c, sizeof c);
}

winsum_status ws_upload_table(winsum_plan *p, ws_step *s, tabbuf *t)
{
    winsum_context *ctx = p->ctx;
    if (t->n > (size_t)INT_MAX)
        return ws_fail(&ctx->err, WINSUM_ERR_UNSUPPORTED,
                       "einsum: offset tables of %zu entries exceed 2^31", t->n);
    s->tab_bytes = t->n * sizeof(ws_long);
    winsum_status st = ws_mem_alloc(ctx, s->tab_bytes, &s->tab, "einsum offset tables");
    return st ? st : ws_mem_write(ctx, s->tab, 0, t->v, s->tab_bytes, "einsum offset tables");
}
