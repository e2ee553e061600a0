/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * order.c - the pairwise contraction order of an einsum of three or more
 * operands: an exhaustive search by total flops for up to five operands, a
 * greedy choice (the smallest result relative to its inputs) beyond.
 * Operands are sets of labels (lset); sizes are per label.
 */
#include "layer.h"
#include <string.h>

static lset lset_or(lset a, lset b) { return (lset){{a.w[0] | b.w[0], a.w[1] | b.w[1]}}; }

static double lset_size(const lset *s, const int64_t *size, int nlabels)
{
    double v = 1;
    for (int l = 0; l < nlabels; l++)
        if (lset_has(s, l)) v *= (double)size[l];
    return v;
}

lset ws_pair_result(const lset *sets, int n, const int *alive, int i, int j, const lset *out)
{
    lset keep = *out;
    for (int k = 0; k < n; k++)
        if (alive[k] && k != i && k != j) keep = lset_or(keep, sets[k]);
    lset u = lset_or(sets[i], sets[j]);
    return (lset){{u.w[0] & keep.w[0], u.w[1] & keep.w[1]}};
}

typedef struct order_search {
    int n, nlabels;
    const int64_t *size;
    lset out;
    double best;
    int best_seq[2 * WS_MAX_OPS], seq[2 * WS_MAX_OPS];
} order_search;

/* exhaustive search over pair sequences (small n) by total flops */
static void search(order_search *os, lset *sets, int *alive, int left, int depth, double cost)
{
    if (cost >= os->best) return;
    if (left == 1) {
        os->best = cost;
        memcpy(os->best_seq, os->seq, sizeof os->seq);
        return;
    }
    for (int i = 0; i < os->n; i++)
        for (int j = i + 1; j < os->n; j++) {
            if (!alive[i] || !alive[j]) continue;
            lset r = left == 2 ? os->out : ws_pair_result(sets, os->n, alive, i, j, &os->out);
            lset u = lset_or(sets[i], sets[j]);
            double c =
                lset_size(&u, os->size, os->nlabels) + lset_size(&r, os->size, os->nlabels) * 1e-3;
            lset si = sets[i];
            sets[i] = r;
            alive[j] = 0;
            os->seq[2 * depth] = i;
            os->seq[2 * depth + 1] = j;
            search(os, sets, alive, left - 1, depth + 1, cost + c);
            alive[j] = 1;
            sets[i] = si;
        }
}

void ws_choose_order(int n, const lset *in, const lset *out, const int64_t *size, int nlabels,
                     int *seq)
{
    lset sets[WS_MAX_OPS];
    int alive[WS_MAX_OPS];
    if (n < 2 || n > WS_MAX_OPS) return;
    memcpy(sets, in, sizeof(lset) * (size_t)n);
    for (int i = 0; i < n; i++) alive[i] = 1;
    if (n <= 5) {
        order_search os = {.n = n, .nlabels = nlabels, .size = size, .out = *out, .best = 1e308};
        search(&os, sets, alive, n, 0, 0);
        memcpy(seq, os.best_seq, sizeof(int) * 2 * (size_t)(n - 1));
        return;
    }
    /* greedy: the pair whose result is smallest relative to its inputs */
    for (int step = 0, left = n; left > 1; step++, left--) {
        double best = 1e308;
        int bi = -1, bj = -1;
        lset br = {{0, 0}};
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) {
                if (!alive[i] || !alive[j]) continue;
                lset r = left == 2 ? *out : ws_pair_result(sets, n, alive, i, j, out);
                lset u = lset_or(sets[i], sets[j]);
                double score = lset_size(&r, size, nlabels) - lset_size(&sets[i], size, nlabels) -
                               lset_size(&sets[j], size, nlabels);
                score += 1e-9 * lset_size(&u, size, nlabels);
                if (bi < 0 || score < best) best = score, bi = i, bj = j, br = r;
            }
        if (bi < 0) return; /* cannot happen: left > 1 operands are alive */
        sets[bi] = br;
        alive[bj] = 0;
        seq[2 * step] = bi;
        seq[2 * step + 1] = bj;
    }
}
