/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * family_unary.c - the unary family (kernels/unary.cl): a one-operand step
 * C = alpha * sum_k A + beta * C (a label summed away before the pairs, the
 * sum of split-K slices, a single-operand einsum, a sum over nothing).
 */
#include "layer.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ws_family_arg unary_args[] = {
    WS_ARG_MEM("__global const ELEM *restrict", "A", WS_FROM_A),
    WS_ARG_STEP("const long", "a_off", a_off),
    WS_ARG_MEM("__global ELEM *restrict", "C", WS_FROM_C),
    WS_ARG_STEP("const long", "c_off", c_off),
    WS_ARG_STEP("__global const long *restrict", "tab", tab),
    WS_ARG_STEP("const int", "NI", N),
    WS_ARG_STEP("const int", "NO", M),
    WS_ARG_STEP("const int", "K", K),
    WS_ARG_STEP("const int", "ta_i", targ[0]),
    WS_ARG_STEP("const int", "ta_o", targ[1]),
    WS_ARG_STEP("const int", "ta_k", targ[2]),
    WS_ARG_STEP("const int", "tc_i", targ[3]),
    WS_ARG_STEP("const int", "tc_o", targ[4]),
    WS_ARG_STEP("const int", "ga_i", targ[5]),
    WS_ARG_STEP("const int", "ga_o", targ[6]),
    WS_ARG_STEP("const int", "ga_k", targ[7]),
    WS_ARG_STEP("const long4", "exta4", exta),
    WS_ARG_REAL("alpha", WS_FROM_ALPHA),
    WS_ARG_REAL("beta", WS_FROM_BETA),
};

static int unary_accepts(const winsum_plan *p, const ws_step_request *r)
{
    (void)p;
    return r->ninputs == 1;
}

static winsum_status unary_build(winsum_plan *p, ws_step *s, const ws_step_request *r)
{
    winsum_context *ctx = p->ctx;
    const slot *A = r->in[0], *C = r->c;
    const int64_t *size = r->size;
    int mlab[WS_MAX_LABELS], klab[WS_MAX_LABELS], nm = 0, nk = 0;
    for (int l = 0; l < r->nlabels; l++) {
        if (size[l] == 1) continue;
        if (C->op.has[l]) mlab[nm++] = l;
        else if (A->op.has[l]) klab[nk++] = l;
    }
    ws_sort_by_stride(mlab, nm, C->op.stride);
    ws_sort_by_stride(klab, nk, A->op.stride);
    /* split M into outer x inner so that tables stay small */
    int split = nm;
    int64_t inner = 1;
    while (split > 0 && inner < 256)
        if (ws_mul_ovf(inner, size[mlab[--split]], &inner)) inner = INT64_MAX;
    int64_t outer = ws_group_size(mlab, split, size), K = ws_group_size(klab, nk, size);
    winsum_status st;
    if ((st = ws_check_int(ctx, inner, "inner")) || (st = ws_check_int(ctx, outer, "outer")) ||
        (st = ws_check_int(ctx, K, "reduction")))
        return st;
    double entries =
        (double)(inner + outer) * (2 + A->op.nguards) + (double)K * (1 + A->op.nguards);
    if (ctx->max_alloc && entries * sizeof(ws_long) > (double)ctx->max_alloc)
        return ws_fail(&ctx->err, WINSUM_ERR_MEMORY,
                       "einsum: offset tables of %.0f bytes exceed the device's largest "
                       "allocation (%llu bytes)",
                       entries * sizeof(ws_long), (unsigned long long)ctx->max_alloc);
    /* in the order of the kernel's ta_i .. tc_o, then ga_i, ga_o, ga_k */
    const ws_tab_spec spec[5] = {
        {mlab + split, nm - split, A->op.stride, 0},
        {mlab, split, A->op.stride, 0},
        {klab, nk, A->op.stride, 0},
        {mlab + split, nm - split, C->op.stride, 0},
        {mlab, split, C->op.stride, 0},
    };
    tabbuf t = {0};
    long o[8];
    /* guard tables, g-major per group: inner, reduction, outer (+ offset) */
    if (ws_tab_groups(&t, spec, 5, size, o) ||
        ws_guard_tables(&t, &A->op, mlab + split, nm - split, klab, nk, mlab, split, size, &o[5],
                        &o[7], &o[6])) {
        free(t.v);
        return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "einsum: out of host memory for tables");
    }
    st = ws_upload_table(p, s, &t);
    free(t.v);
    if (st) return st;
    s->a = A->src;
    s->c = C->src;
    s->a_off = A->op.offset;
    s->c_off = C->op.offset;
    s->N = (int)inner;
    s->M = (int)outer;
    s->K = (int)K;
    for (int i = 0; i < 8; i++) s->targ[i] = (int)o[i];
    ws_long e4[4] = {0, 0, 0, 0};
    for (int g = 0; g < A->op.nguards; g++) e4[g] = A->op.guard[g].extent;
    memcpy(&s->exta, e4, sizeof e4);
    s->nga = A->op.nguards;
    char opts[256];
    snprintf(opts, sizeof opts, "-DNGA=%d%s", A->op.nguards, ws_real_opt(A->op.dtype));
    if ((st = ws_kernel_get(ctx, ws_family_unary.file, ws_family_unary.kernel, opts, &s->kernel)))
        return st;
    s->ngl = 2;
    s->global[0] = (size_t)inner;
    s->global[1] = (size_t)outer;
    s->use_local = 0;
    return WINSUM_OK;
}

static void unary_describe(const ws_step *s, char *buf, size_t len)
{
    char b1[16], b2[16];
    snprintf(buf, len, "unary %s -> %s: outputs %lld x %lld, reduction %lld, guards %d\n",
             ws_src_name(s->a, b1), ws_src_name(s->c, b2), (long long)s->M, (long long)s->N,
             (long long)s->K, s->nga);
}

const ws_family ws_family_unary = {
    .name = "unary",
    .file = "unary.cl",
    .kernel = "unary",
    .args = unary_args,
    .nargs = (int)(sizeof unary_args / sizeof unary_args[0]),
    .accepts = unary_accepts,
    .build = unary_build,
    .describe = unary_describe,
};
