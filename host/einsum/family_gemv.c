/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * family_gemv.c - the gemv family (kernels/gemv.cl): a two-operand step
 * with no N labels (or, by symmetry, no M labels), a batched
 * matrix-vector product C[b, m] = alpha * sum_k A(b, m, k) B(b, k) + beta C.
 * A depthwise convolution is one per group in all three directions
 * (forward and backward-data: M = n, x, y and K = the taps; backward-weight:
 * M = the taps and K = n, x, y), where GETT's MC x NC x KC tiles were nearly
 * all padding and PoCL's cost per work-group dominated: here a work-item
 * computes whole outputs for several batches, and on CPU-like devices the
 * work-items are about 16 per compute unit.
 *
 * WINSUM_GEMV (comma-separated; for tests and old-vs-new timing):
 *   off   the family takes no step (GETT computes them, as before it)
 *   gpu   the GPU-like shape on any device (64 work-items a work-group,
 *         VL 4), so that PoCL runs the code a GPU runs
 *   rows, dots   lanes along M, or along K, whatever the strides say
 */
#include "params.h"
#include "layer.h"
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A gemv step's own state (ws_step.state). */
typedef struct gemv_state {
    ws_int per_item[2]; /* rows and batches per work-item */
    ws_int kblock;      /* K terms a block (gemv.cl) */
    int lanes, along_m; /* VL, and lanes along M (ROWS) or K */
    ws_int a_inner;     /* runs of A along M, of A and B along K, of C along M */
    ws_long a_st;
    ws_int a_kinner, b_kinner;
    ws_long a_kst, b_kst;
    ws_int c_inner;
    ws_long c_st;
} gemv_state;
WS_STATE_FITS(gemv_state);

#define ST(type, name, field) WS_ARG_STATE(type, name, gemv_state, field)

static const ws_family_arg gemv_args[] = {
    WS_ARG_MEM("__global const ELEM *restrict", "A", WS_FROM_A),
    WS_ARG_STEP("const long", "a_off", a_off),
    WS_ARG_MEM("__global const ELEM *restrict", "B", WS_FROM_B),
    WS_ARG_STEP("const long", "b_off", b_off),
    WS_ARG_MEM("__global ELEM *restrict", "C", WS_FROM_C),
    WS_ARG_STEP("const long", "c_off", c_off),
    WS_ARG_STEP("__global const long *restrict", "tab", tab),
    WS_ARG_STEP("__global const int *restrict", "tab32", tab),
    WS_ARG_STEP("const int", "M", M),
    WS_ARG_STEP("const int", "K", K),
    ST("const int", "kblock", kblock),
    WS_ARG_STEP("const int", "nbatch", nbatch),
    ST("const int", "rows", per_item[0]),
    ST("const int", "batches", per_item[1]),
    WS_ARG_STEP("const int", "ta_m", targ[0]),
    WS_ARG_STEP("const int", "ta_k", targ[1]),
    WS_ARG_STEP("const int", "ta_b", targ[2]),
    WS_ARG_STEP("const int", "tb_k", targ[3]),
    WS_ARG_STEP("const int", "tb_b", targ[4]),
    WS_ARG_STEP("const int", "tc_m", targ[5]),
    WS_ARG_STEP("const int", "tc_b", targ[6]),
    WS_ARG_STEP("const int", "ga_m", targ[7]),
    WS_ARG_STEP("const int", "ga_k", targ[8]),
    WS_ARG_STEP("const int", "ga_b", targ[9]),
    WS_ARG_STEP("const int", "gb_k", targ[10]),
    WS_ARG_STEP("const int", "gb_b", targ[11]),
    WS_ARG_STEP("const long4", "exta4", exta),
    WS_ARG_STEP("const long4", "extb4", extb),
    WS_ARG_REAL("alpha", WS_FROM_ALPHA),
    WS_ARG_REAL("beta", WS_FROM_BETA),
    ST("const int", "a_run", a_inner),
    ST("const long", "a_st", a_st),
    ST("const int", "a_krun", a_kinner),
    ST("const long", "a_kst", a_kst),
    ST("const int", "b_krun", b_kinner),
    ST("const long", "b_kst", b_kst),
    ST("const int", "c_run", c_inner),
    ST("const long", "c_st", c_st),
};

/* The family's tunable parameters (params.h); defaults CPU-like, GPU-like
 * (the GPU shape: 64 work-items a work-group, VL 4, one row of lanes). */
enum { VL_ROWS, VL_DOTS, ROWB, KBLOCK, ITEMS_PER_CU, WORK_PER_ITEM, WG, NGEMV };
static const ws_tunable gemv_tunable[NGEMV] = {
    /* VL with lanes along M: 256 rows (a 14 x 14 image's rows are one run;
     * measured against 64: docs/performance.md) */
    {"vl_rows", 256, 4, 1, 1024},
    /* VL with lanes along K: 64 K terms (times ROWB 16 rows of lanes: 4 KiB) */
    {"vl_dots", 64, 4, 1, 256},
    {"rowb", 16, 1, 1, 64},
    /* K terms a block (lanes along K: pieces, each of a run's piece length) */
    {"kblock", 256, 256, 1, 65536},
    /* CPU-like: work-items per compute unit at most, and the work (multiply-adds)
     * that makes one (PoCL's cost per work-group) */
    {"items_per_cu", 16, 16, 1, 1024},
    {"work_per_item", 16384, 16384, 1, 1 << 30},
    /* GPU-like: work-items a work-group */
    {"wg", 64, 64, 1, 1024},
};

/* the private arrays of gemv.cl (acc[ROWB][VL]) stay small */
static const char *gemv_invalid(const winsum_context *ctx, const int *v, char *why, size_t n)
{
    (void)ctx;
    if ((int64_t)v[ROWB] * v[VL_DOTS] > 4096) {
        snprintf(why, n, "rowb * vl_dots = %lld is above 4096 (private memory)",
                 (long long)v[ROWB] * v[VL_DOTS]);
        return why;
    }
    return NULL;
}

const ws_tunable_set ws_gemv_tunables = {
    .family = "gemv",
    .params = gemv_tunable,
    .n = NGEMV,
    .invalid = gemv_invalid,
};

/* WINSUM_GEMV's words, read whenever a step is built (unknown words are
 * ignored: it is a switch for tests and timing, not an interface) */
enum { GEMV_OFF = 1, GEMV_GPU = 2, GEMV_ROWS = 4, GEMV_DOTS = 8 };
static int gemv_env(void)
{
    const char *e = getenv("WINSUM_GEMV");
    int f = 0;
    if (!e) return 0;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", e);
    char *save = NULL;
    for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        if (!strcmp(w, "off")) f |= GEMV_OFF;
        else if (!strcmp(w, "gpu")) f |= GEMV_GPU;
        else if (!strcmp(w, "rows")) f |= GEMV_ROWS;
        else if (!strcmp(w, "dots")) f |= GEMV_DOTS;
    }
    return f;
}

/* Which of the pair is the matrix: the operand with row labels (X when
 * neither has any: a dot product). -1 when both have some (not a gemv). */
static int matrix_operand(const groups *gr)
{
    if (gr->nn == 0) return 0;
    if (gr->nm == 0) return 1;
    return -1;
}

static int gemv_accepts(const winsum_plan *p, const ws_step_request *r)
{
    (void)p;
    if (r->ninputs != 2 || (gemv_env() & GEMV_OFF)) return 0;
    groups gr;
    ws_classify(r->in[0], r->in[1], r->c, r->size, r->nlabels, &gr);
    return matrix_operand(&gr) >= 0;
}

/* The run along the innermost of the labels: ws_run_info on the address
 * alone (the kernel reads guards from their tables, element by element). */
static void address_run(const ws_operand *op, const int *labels, int n, const int64_t *size,
                        ws_int *run, ws_long *st)
{
    ws_operand bare = *op;
    bare.nguards = 0;
    ws_long4 unused;
    ws_run_info(&bare, labels, n, size, run, st, &unused);
}

/* The guard tables (t's entries from `from` to its end, offsets o[0..4]
 * into them: ga_m, ga_k, ga_b, gb_k, gb_b) again as int32, two to an entry,
 * when every value lies within INT_MIN + 1 .. INT_MAX - 1 (gemv.cl: G32):
 * the offsets then count ints. 1 when packed, 0 when not (or no guards),
 * -1 when out of memory. */
static int pack_guards32(tabbuf *t, long from, long *o)
{
    const size_t n = t->n - (size_t)from;
    if (n == 0) return 0;
    for (size_t i = (size_t)from; i < t->n; i++)
        if (t->v[i] <= INT_MIN || t->v[i] >= INT_MAX) return 0;
    const size_t words = (n + 1) / 2, at = t->n;
    if (2 * (at + words) > (size_t)INT_MAX) return 0; /* the int offsets must fit an int */
    if (t->n + words > t->cap) {
        ws_long *v = realloc(t->v, (t->n + words) * sizeof *v);
        if (!v) return -1;
        t->v = v;
        t->cap = t->n + words;
    }
    int32_t *p32 = (int32_t *)(void *)(t->v + at);
    for (size_t i = 0; i < n; i++) p32[i] = (int32_t)t->v[(size_t)from + i];
    if (n % 2) p32[n] = 0;
    t->n += words;
    for (int i = 0; i < 5; i++) o[i] = (long)(2 * at) + (o[i] - from);
    return 1;
}

static winsum_status gemv_build(winsum_plan *p, ws_step *s, const ws_step_request *r)
{
    winsum_context *ctx = p->ctx;
    gemv_state *gs = WS_STATE(s, gemv_state);
    const int64_t *size = r->size;
    groups gr;
    ws_classify(r->in[0], r->in[1], r->c, size, r->nlabels, &gr);
    const int which = matrix_operand(&gr);
    const slot *A = r->in[which < 0 ? 0 : which], *B = r->in[which == 1 ? 0 : 1], *C = r->c;
    int *ml = which == 1 ? gr.nl : gr.ml, *kl = gr.kl, *bl = gr.bl;
    const int nm = which == 1 ? gr.nn : gr.nm, nk = gr.nk, nb = gr.nb;
    /* rows and K by A's strides (its runs are the lanes), batch by C's */
    ws_sort_by_stride(ml, nm, A->op.stride);
    ws_sort_by_stride(kl, nk, A->op.stride);
    ws_sort_by_stride(bl, nb, C->op.stride);
    const int64_t M = ws_group_size(ml, nm, size), K = ws_group_size(kl, nk, size),
                  NB = ws_group_size(bl, nb, size);
    winsum_status st;
    if ((st = ws_check_int(ctx, M, "M")) || (st = ws_check_int(ctx, K, "K")) ||
        (st = ws_check_int(ctx, NB, "batch")))
        return st;
    const int na = A->op.nguards, nbg = B->op.nguards;
    double entries =
        (double)(M + K + NB) * (1 + na) + (double)(1 + K + NB) * (1 + nbg) + (double)(M + NB);
    if (ctx->max_alloc && entries * sizeof(ws_long) > (double)ctx->max_alloc)
        return ws_fail(&ctx->err, WINSUM_ERR_MEMORY,
                       "einsum: offset tables of %.0f bytes (M %lld, K %lld, batch %lld) "
                       "exceed the device's largest allocation (%llu bytes)",
                       entries * sizeof(ws_long), (long long)M, (long long)K, (long long)NB,
                       (unsigned long long)ctx->max_alloc);
    /* in the order of the kernel's ta_m .. tc_b, then ga_*, gb_* */
    const ws_tab_spec spec[7] = {
        {ml, nm, A->op.stride, 0}, {kl, nk, A->op.stride, 0}, {bl, nb, A->op.stride, 0},
        {kl, nk, B->op.stride, 0}, {bl, nb, B->op.stride, 0}, {ml, nm, C->op.stride, 0},
        {bl, nb, C->op.stride, 0},
    };
    tabbuf t = {0};
    long o[12], gb_rows;
    if (ws_tab_groups(&t, spec, 7, size, o) ||
        ws_guard_tables(&t, &A->op, ml, nm, kl, nk, bl, nb, size, &o[7], &o[8], &o[9]) ||
        ws_guard_tables(&t, &B->op, NULL, 0, kl, nk, bl, nb, size, &gb_rows, &o[10], &o[11])) {
        free(t.v);
        return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "einsum: out of host memory for tables");
    }
    const int g32 = pack_guards32(&t, o[7], &o[7]);
    if (g32 < 0) {
        free(t.v);
        return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "einsum: out of host memory for tables");
    }
    st = ws_upload_table(p, s, &t);
    free(t.v);
    if (st) return st;
    address_run(&A->op, ml, nm, size, &gs->a_inner, &gs->a_st);
    address_run(&A->op, kl, nk, size, &gs->a_kinner, &gs->a_kst);
    address_run(&B->op, kl, nk, size, &gs->b_kinner, &gs->b_kst);
    address_run(&C->op, ml, nm, size, &gs->c_inner, &gs->c_st);
    s->a = A->src;
    s->b = B->src;
    s->c = C->src;
    s->a_off = A->op.offset;
    s->b_off = B->op.offset;
    s->c_off = C->op.offset;
    s->M = (int)M;
    s->N = 1;
    s->K = (int)K;
    s->nbatch = (int)NB;
    for (int i = 0; i < 12; i++) s->targ[i] = (int)o[i];
    ws_long ea[4] = {0, 0, 0, 0}, eb[4] = {0, 0, 0, 0};
    for (int g = 0; g < na; g++) ea[g] = A->op.guard[g].extent;
    for (int g = 0; g < nbg; g++) eb[g] = B->op.guard[g].extent;
    memcpy(&s->exta, ea, sizeof ea);
    memcpy(&s->extb, eb, sizeof eb);
    s->nga = na;
    s->ngb = nbg;

    /* Lanes along M (ROWS) or along K: by the rough cost of an element, as
     * gett.cl's packing weighs its runs: a strided element costs twice a
     * contiguous one, a piece's start (table loads, the scalar of B) about
     * 16 elements, and lanes along K a tree sum per row and K block. */
    const int env = gemv_env(), gpu = !ctx->cpu_like || (env & GEMV_GPU);
    /* the tuned values; WINSUM_GEMV=gpu: the GPU shape's defaults */
    int tv[NGEMV];
    const int *tuned = ws_tuned(ctx, &ws_gemv_tunables);
    for (int i = 0; i < NGEMV; i++)
        tv[i] = ctx->cpu_like && gpu ? gemv_tunable[i].gpu_default : tuned[i];
    const int vl_rows = tv[VL_ROWS], vl_dots = tv[VL_DOTS];
    const double rlen = (double)(gs->a_inner < gs->c_inner ? gs->a_inner : gs->c_inner),
                 klen = (double)(gs->a_kinner < gs->b_kinner ? gs->a_kinner : gs->b_kinner);
    const int vl = vl_rows;
    const double cost_rows = (llabs(gs->a_st) == 1 ? 1.0 : 2.0) + 16.0 / (rlen < vl ? rlen : vl),
                 cost_dots = (llabs(gs->a_kst) == 1 ? 1.0 : 2.0) +
                             (llabs(gs->b_kst) <= 1 ? 0.0 : 1.0) + 16.0 / (klen < vl ? klen : vl) +
                             32.0 / (double)(K < 256 ? K : 256);
    int rows = cost_rows <= cost_dots;
    if (env & GEMV_ROWS) rows = 1;
    if (env & GEMV_DOTS) rows = 0;
    gs->lanes = rows ? vl_rows : vl_dots;
    gs->along_m = rows;
    /* K blocks (kblock, 256 by default): lanes along M get one term a k; lanes along
     * K one a piece, the pieces of a run being of equal length (gemv.cl), so
     * that a block of 256 pieces is 256 times that length */
    int64_t piece = gs->a_kinner < gs->b_kinner ? gs->a_kinner : gs->b_kinner;
    if (piece > K) piece = K;
    if (piece < 1) piece = 1;
    piece = (piece + (piece + vl_dots - 1) / vl_dots - 1) / ((piece + vl_dots - 1) / vl_dots);
    gs->kblock = rows ? tv[KBLOCK] : (ws_int)(tv[KBLOCK] * piece);

    /* The work-items: rows x batches each. CPU-like: about 16 per compute
     * unit (fewer for a small step: PoCL's cost per work-group), whole
     * batches where there are enough, else rows split. GPU-like: one
     * piece of VL rows (one row with lanes along K) a work-item, one batch,
     * 64 work-items a work-group (no barrier: the NDRange rounded up, the
     * work-items past the end return). */
    int64_t per_rows = M, per_batch = 1;
    s->ngl = 2;
    s->use_local = 1;
    if (!gpu) {
        const double work = (double)NB * (double)M * (double)(K > 0 ? K : 1);
        int64_t want = (int64_t)(work / tv[WORK_PER_ITEM]);
        const int64_t most = tv[ITEMS_PER_CU] * (int64_t)ctx->compute_units;
        if (want > most) want = most;
        if (want < 1) want = 1;
        if (NB >= want) {
            per_batch = NB / want;
        } else {
            int64_t chunks = (want + NB - 1) / NB, cap = rows ? (M + 15) / 16 : M;
            if (chunks > cap) chunks = cap;
            if (chunks < 1) chunks = 1;
            per_rows = (M + chunks - 1) / chunks;
        }
        s->local[0] = s->local[1] = 1;
        s->global[0] = (size_t)((M + per_rows - 1) / per_rows);
    } else {
        per_rows = rows ? vl_rows : 1;
        size_t wg = ctx->max_wg < (size_t)tv[WG] ? ctx->max_wg : (size_t)tv[WG];
        if (wg < 1) wg = 1;
        size_t items = (size_t)((M + per_rows - 1) / per_rows);
        s->local[0] = wg;
        s->local[1] = 1;
        s->global[0] = (items + wg - 1) / wg * wg;
    }
    s->global[1] = (size_t)((NB + per_batch - 1) / per_batch);
    s->local[2] = 1;
    s->global[2] = 1;
    gs->per_item[0] = (ws_int)per_rows;
    gs->per_item[1] = (ws_int)per_batch;
    char opts[256];
    snprintf(opts, sizeof opts, "-DVL=%d -DROWS=%d -DROWB=%d -DNGA=%d -DNGB=%d -DG32=%d%s",
             gs->lanes, rows, tv[ROWB], na, nbg, g32, ws_real_opt(A->op.dtype));
    return ws_kernel_get(ctx, ws_family_gemv.file, ws_family_gemv.kernel, opts, &s->kernel);
}

static void gemv_describe(const ws_step *s, char *buf, size_t len)
{
    const gemv_state *gs = WS_STATE_C(s, gemv_state);
    char b1[16], b2[16], b3[16];
    snprintf(buf, len,
             "gemv %s x %s -> %s: batch %lld, M %lld, K %lld, guards %d/%d, lanes %d along %s, "
             "%d rows x %d batches a work-item\n",
             ws_src_name(s->a, b1), ws_src_name(s->b, b2), ws_src_name(s->c, b3),
             (long long)s->nbatch, (long long)s->M, (long long)s->K, s->nga, s->ngb, gs->lanes,
             gs->along_m ? "M" : "K", gs->per_item[0], gs->per_item[1]);
}

const ws_family ws_family_gemv = {
    .name = "gemv",
    .file = "gemv.cl",
    .kernel = "gemv",
    .args = gemv_args,
    .nargs = (int)(sizeof gemv_args / sizeof gemv_args[0]),
    .accepts = gemv_accepts,
    .build = gemv_build,
    .describe = gemv_describe,
};
