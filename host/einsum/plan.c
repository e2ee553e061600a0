/*
 * plan.c - einsum plans. Creation parses the subscripts, validates every
 * view once, and (OpenCL) chooses a pairwise contraction order, sorts each
 * pair's labels into batch / M / N / K, builds the offset and guard tables
 * the kernels index through, allocates intermediates and looks up the
 * compiled kernels. Execution only sets arguments and enqueues.
 *
 * The reference backend keeps the parsed IR and runs the C loop nest over
 * all operands at once (ref.c): the oracle shares no kernel logic.
 */
#include "einsum.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { STEP_GETT, STEP_UNARY };
/* where a step's operand comes from */
enum { SRC_INPUT, SRC_INTER, SRC_OUTPUT };

typedef struct ws_src {
    int kind, index;
} ws_src;

typedef struct ws_step {
    int kind;
    ws_src a, b, c;
    long long a_off, b_off, c_off;
    int M, N, K, nbatch;          /* unary: N = inner size, M = outer size */
    int targ[16];                 /* table offsets, in kernel argument order */
    cl_long4 exta, extb;
    cl_long a_safe, b_safe;       /* an element each guarded input really has, or -1 */
    cl_int a_inner, b_inner;      /* runs along the innermost row label (gett.cl pack) */
    cl_long a_st, b_st;
    cl_long4 a_cg, b_cg;
    cl_int a_kinner, b_kinner;    /* runs along the innermost K label */
    cl_long a_kst, b_kst;
    cl_long4 a_kcg, b_kcg;
    cl_int unit[4];               /* A's M, A's K, B's N, B's K tables are 0, 1, 2, ... */
    cl_int c_inner;               /* C's runs along N */
    cl_long c_st;
    cl_mem tab;
    size_t tab_bytes;
    cl_kernel kernel;
    size_t global[3], local[3];
    int ngl;                      /* work dims */
    int use_local;
} ws_step;

struct winsum_plan {
    winsum_context *ctx;
    int holds_ref;                /* made by winsum_plan_create: keeps ctx alive */
    char *subscripts;
    ws_ir ir;
    int nops;
    winsum_view ops[WS_MAX_OPS];
    winsum_view out;
    int64_t lo[WS_MAX_OPS + 1], hi[WS_MAX_OPS + 1];
    int empty[WS_MAX_OPS + 1];
    int nothing;                  /* the output has no element */
    int nsteps;
    ws_step steps[2 * WS_MAX_OPS]; /* unary pre-reductions, then pairs */
    int ninter;
    cl_mem inter[2 * WS_MAX_OPS];
    size_t inter_bytes[2 * WS_MAX_OPS];
    char describe[8192];
};

/* ------------------------------------------------------------ tables */

typedef struct tabbuf {
    cl_long *v;
    size_t n, cap;
} tabbuf;

static int tab_reserve(tabbuf *t, size_t extra)
{
    if (t->n + extra <= t->cap) return 0;
    size_t cap = t->cap ? t->cap : 256;
    while (cap < t->n + extra) cap *= 2;
    cl_long *v = realloc(t->v, cap * sizeof *v);
    if (!v) return 1;
    t->v = v;
    t->cap = cap;
    return 0;
}

/* Appends sum_l coef[l] * idx[l] + add for every flat index of the labels
 * (slowest first). Returns the start offset, -1 when out of memory. */
static long tab_group(tabbuf *t, const int *labels, int nl, const int64_t *size,
                      const int64_t *coef, int64_t add)
{
    int64_t count = 1;
    for (int i = 0; i < nl; i++) count *= size[labels[i]];
    if (count < 1) count = 1;
    if (tab_reserve(t, (size_t)count)) return -1;
    long start = (long)t->n;
    int64_t idx[WS_MAX_LABELS] = {0}, val = add;
    for (int64_t e = 0; e < count; e++) {
        t->v[t->n++] = val;
        for (int i = nl - 1; i >= 0; i--) {
            int l = labels[i];
            if (++idx[i] < size[l]) {
                val += coef[l];
                break;
            }
            val -= coef[l] * (size[l] - 1);
            idx[i] = 0;
        }
    }
    return start;
}

/* sort labels so that the operand's largest |stride| comes first */
static void sort_by_stride(int *labels, int n, const int64_t *stride)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && llabs(stride[labels[j]]) > llabs(stride[labels[j - 1]]); j--) {
            int t = labels[j];
            labels[j] = labels[j - 1];
            labels[j - 1] = t;
        }
}

/* 1 when tab[start + i] == i for the whole group (a unit stride) */
static int tab_unit(const tabbuf *t, long start, int64_t count)
{
    for (int64_t i = 0; i < count; i++)
        if (t->v[start + i] != i) return 0;
    return 1;
}

static int64_t group_size(const int *labels, int n, const int64_t *size)
{
    int64_t s = 1;
    for (int i = 0; i < n; i++) s *= size[labels[i]];
    return s;
}

/* ------------------------------------------------------- step building */

typedef struct slot {
    ws_operand op;
    ws_src src;
} slot;

static const char *src_name(ws_src s, char *buf)
{
    if (s.kind == SRC_INPUT) sprintf(buf, "op%d", s.index);
    else if (s.kind == SRC_INTER) sprintf(buf, "t%d", s.index);
    else strcpy(buf, "out");
    return buf;
}

static winsum_status upload_table(winsum_plan *p, ws_step *s, tabbuf *t)
{
    winsum_context *ctx = p->ctx;
    if (t->n > (size_t)INT_MAX)
        return ws_fail(&ctx->err, WINSUM_ERR_UNSUPPORTED,
                       "einsum: offset tables of %zu entries exceed 2^31", t->n);
    s->tab_bytes = t->n * sizeof(cl_long);
    winsum_status st = ws_device_alloc(ctx, s->tab_bytes, &s->tab, "einsum offset tables");
    if (st) return st;
    if (ws_fault(WINSUM_FAULT_TRANSFER))
        return ws_cl_fail(ctx, CL_OUT_OF_RESOURCES, "clEnqueueWriteBuffer (injected)",
                          "einsum offset tables");
    cl_int err = clEnqueueWriteBuffer(ctx->queue, s->tab, CL_TRUE, 0, s->tab_bytes, t->v, 0, NULL,
                                      NULL);
    if (err) return ws_cl_fail(ctx, err, "clEnqueueWriteBuffer", "einsum offset tables");
    return WINSUM_OK;
}

static winsum_status check_int(winsum_context *ctx, int64_t v, const char *what)
{
    if (v > INT_MAX)
        return ws_fail(&ctx->err, WINSUM_ERR_UNSUPPORTED,
                       "einsum: the %s size %lld exceeds 2^31-1, the largest a kernel indexes",
                       what, (long long)v);
    return WINSUM_OK;
}

static const char *real_opt(winsum_dtype d)
{
    return d == WINSUM_F64 ? " -DWS_FP64" : d == WINSUM_F16 ? " -DWS_FP16" : "";
}

/* Builds the g-major guard tables of an operand over its three groups. */
static int guard_tables(tabbuf *t, const ws_operand *op, const int *rl, int nr, const int *kl,
                        int nk, const int *bl, int nb, const int64_t *size, long *gr, long *gk,
                        long *gb)
{
    *gr = (long)t->n;
    for (int g = 0; g < op->nguards; g++)
        if (tab_group(t, rl, nr, size, op->guard[g].coef, 0) < 0) return 1;
    *gk = (long)t->n;
    for (int g = 0; g < op->nguards; g++)
        if (tab_group(t, kl, nk, size, op->guard[g].coef, 0) < 0) return 1;
    *gb = (long)t->n;
    for (int g = 0; g < op->nguards; g++)
        if (tab_group(t, bl, nb, size, op->guard[g].coef, op->guard[g].offset) < 0) return 1;
    return 0;
}

/* One-operand step: C = alpha * sum_k A + beta * C. */
static winsum_status make_unary(winsum_plan *p, ws_step *s, const slot *A, const slot *C,
                                const int64_t *size, int nl)
{
    winsum_context *ctx = p->ctx;
    int mlab[WS_MAX_LABELS], klab[WS_MAX_LABELS], nm = 0, nk = 0;
    for (int l = 0; l < nl; l++) {
        if (size[l] == 1) continue;
        if (C->op.has[l]) mlab[nm++] = l;
        else if (A->op.has[l]) klab[nk++] = l;
    }
    sort_by_stride(mlab, nm, C->op.stride);
    sort_by_stride(klab, nk, A->op.stride);
    /* split M into outer x inner so that tables stay small */
    int split = nm;
    int64_t inner = 1;
    while (split > 0 && inner < 256) inner *= size[mlab[--split]];
    int64_t outer = group_size(mlab, split, size), K = group_size(klab, nk, size);
    winsum_status st;
    if ((st = check_int(ctx, inner, "inner")) || (st = check_int(ctx, outer, "outer")) ||
        (st = check_int(ctx, K, "reduction")))
        return st;
    double entries = (double)(inner + outer) * (2 + A->op.nguards) + (double)K * (1 + A->op.nguards);
    if (ctx->max_alloc && entries * sizeof(cl_long) > (double)ctx->max_alloc)
        return ws_fail(&ctx->err, WINSUM_ERR_MEMORY,
                       "einsum: offset tables of %.0f bytes exceed the device's largest "
                       "allocation (%llu bytes)",
                       entries * sizeof(cl_long), (unsigned long long)ctx->max_alloc);
    tabbuf t = {0};
    long o[9];
    o[0] = tab_group(&t, mlab + split, nm - split, size, A->op.stride, 0); /* ta_i */
    o[1] = tab_group(&t, mlab, split, size, A->op.stride, 0);              /* ta_o */
    o[2] = tab_group(&t, klab, nk, size, A->op.stride, 0);                 /* ta_k */
    o[3] = tab_group(&t, mlab + split, nm - split, size, C->op.stride, 0); /* tc_i */
    o[4] = tab_group(&t, mlab, split, size, C->op.stride, 0);              /* tc_o */
    /* guard tables, g-major per group: inner, reduction, outer (+ offset) */
    if (guard_tables(&t, &A->op, mlab + split, nm - split, klab, nk, mlab, split, size, &o[5],
                     &o[7], &o[6]))
        o[5] = -1;
    for (int i = 0; i < 8; i++)
        if (o[i] < 0) {
            free(t.v);
            return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "einsum: out of host memory for tables");
        }
    st = upload_table(p, s, &t);
    free(t.v);
    if (st) return st;
    s->kind = STEP_UNARY;
    s->a = A->src;
    s->c = C->src;
    s->a_off = A->op.offset;
    s->c_off = C->op.offset;
    s->N = (int)inner;
    s->M = (int)outer;
    s->K = (int)K;
    for (int i = 0; i < 8; i++) s->targ[i] = (int)o[i];
    cl_long e4[4] = {0, 0, 0, 0};
    for (int g = 0; g < A->op.nguards; g++) e4[g] = A->op.guard[g].extent;
    memcpy(&s->exta, e4, sizeof e4);
    char opts[256];
    snprintf(opts, sizeof opts, "-DNGA=%d%s", A->op.nguards, real_opt(A->op.dtype));
    if ((st = ws_get_kernel(ctx, "unary.cl", "unary", opts, &s->kernel))) return st;
    s->ngl = 2;
    s->global[0] = (size_t)inner;
    s->global[1] = (size_t)outer;
    s->use_local = 0;
    char b1[16], b2[16];
    size_t len = strlen(p->describe);
    snprintf(p->describe + len, sizeof p->describe - len,
             "unary %s -> %s: outputs %lld x %lld, reduction %lld, guards %d\n",
             src_name(s->a, b1), src_name(s->c, b2), (long long)outer, (long long)inner,
             (long long)K, A->op.nguards);
    return WINSUM_OK;
}

/* The run along the innermost labels of a group (last in order): how many
 * consecutive flat indices step the operand's address by one stride and each
 * guard by one coefficient; that stride, and those coefficients. */
static void run_info(const ws_operand *op, const int *labels, int n, const int64_t *size,
                     cl_int *inner, cl_long *st, cl_long4 *cg)
{
    cl_long c[4] = {0, 0, 0, 0};
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
            if (!same) break;
            run *= size[m];
        }
        *inner = run > INT_MAX ? INT_MAX : (cl_int)run;
    }
    memcpy(cg, c, sizeof c);
}

/* Two-operand step: C = alpha * A.B + beta * C over batch / M / N / K. */
/* The labels of the pair X, Y -> C in groups: batch (in all three), M (X
 * and C), N (Y and C) and K (summed); size-1 labels are in none. */
typedef struct groups {
    int bl[WS_MAX_LABELS], ml[WS_MAX_LABELS], nlab[WS_MAX_LABELS], kl[WS_MAX_LABELS];
    int nb, nm, nn, nk;
} groups;

static void classify(const slot *X, const slot *Y, const slot *C, const int64_t *size, int nl,
                     groups *gr)
{
    gr->nb = gr->nm = gr->nn = gr->nk = 0;
    for (int l = 0; l < nl; l++) {
        if (size[l] == 1) continue;
        int x = X->op.has[l], y = Y->op.has[l], z = C->op.has[l];
        if (!x && !y) continue;
        if (z && x && y) gr->bl[gr->nb++] = l;
        else if (z && x) gr->ml[gr->nm++] = l;
        else if (z && y) gr->nlab[gr->nn++] = l;
        else gr->kl[gr->nk++] = l;
    }
}

static winsum_status make_gett(winsum_plan *p, ws_step *s, const slot *X, const slot *Y,
                               const slot *C, const int64_t *size, int nl)
{
    winsum_context *ctx = p->ctx;
    groups gr;
    classify(X, Y, C, size, nl, &gr);
    int *bl = gr.bl, *ml = gr.ml, *nlab = gr.nlab, *kl = gr.kl;
    int nb = gr.nb, nm = gr.nm, nn = gr.nn, nk = gr.nk;
    int64_t M = group_size(ml, nm, size), N = group_size(nlab, nn, size);
    /* Orientation. The micro-kernel's vectors run along N, and C is stored
     * with vector stores where it is contiguous along N: so N should be the
     * side along which C is contiguous, and not narrower than a micro-tile. */
    sort_by_stride(ml, nm, C->op.stride);
    sort_by_stride(nlab, nn, C->op.stride);
    int c_unit_m = nm > 0 && llabs(C->op.stride[ml[nm - 1]]) == 1,
        c_unit_n = nn > 0 && llabs(C->op.stride[nlab[nn - 1]]) == 1;
    int64_t vec = ctx->gett.nr;
    int swap = ctx->cpu_like && ((N < vec && M > N) || (c_unit_m && !c_unit_n && M >= vec));
    const slot *A = X, *B = Y;
    if (swap) {
        A = Y;
        B = X;
        int *tl = ml;
        ml = nlab;
        nlab = tl;
        int tn = nm;
        nm = nn;
        nn = tn;
        int64_t tM = M;
        M = N;
        N = tM;
    }
    /* Label order within a group: by C's strides where C is contiguous along
     * the group (vector stores), else by the operand's own strides (long
     * contiguous runs while packing). */
    sort_by_stride(bl, nb, C->op.stride);
    sort_by_stride(ml, nm, C->op.stride);
    if (nm > 0 && llabs(C->op.stride[ml[nm - 1]]) != 1) sort_by_stride(ml, nm, A->op.stride);
    sort_by_stride(nlab, nn, C->op.stride);
    if (nn > 0 && llabs(C->op.stride[nlab[nn - 1]]) != 1) sort_by_stride(nlab, nn, B->op.stride);
    sort_by_stride(kl, nk, A->op.stride);
    int64_t K = group_size(kl, nk, size), NB = group_size(bl, nb, size);
    winsum_status st;
    if ((st = check_int(ctx, M, "M")) || (st = check_int(ctx, N, "N")) ||
        (st = check_int(ctx, K, "K")) || (st = check_int(ctx, NB, "batch")))
        return st;
    if (NB > 65535 * 16)
        return ws_fail(&ctx->err, WINSUM_ERR_UNSUPPORTED, "einsum: batch of %lld is too large",
                       (long long)NB);
    /* the tables, counted before they are built: refuse what the device cannot hold */
    double entries = (double)(M + N + K + NB) * (1 + A->op.nguards + B->op.nguards) + (double)(M + N + NB);
    if (ctx->max_alloc && entries * sizeof(cl_long) > (double)ctx->max_alloc)
        return ws_fail(&ctx->err, WINSUM_ERR_MEMORY,
                       "einsum: offset tables of %.0f bytes (M %lld, N %lld, K %lld, batch %lld) "
                       "exceed the device's largest allocation (%llu bytes)",
                       entries * sizeof(cl_long), (long long)M, (long long)N, (long long)K,
                       (long long)NB, (unsigned long long)ctx->max_alloc);
    tabbuf t = {0};
    long o[15];
    int bad = 0;
    bad |= (o[0] = tab_group(&t, ml, nm, size, A->op.stride, 0)) < 0;   /* ta_m */
    bad |= (o[1] = tab_group(&t, kl, nk, size, A->op.stride, 0)) < 0;   /* ta_k */
    bad |= (o[2] = tab_group(&t, bl, nb, size, A->op.stride, 0)) < 0;   /* ta_b */
    bad |= (o[3] = tab_group(&t, nlab, nn, size, B->op.stride, 0)) < 0; /* tb_n */
    bad |= (o[4] = tab_group(&t, kl, nk, size, B->op.stride, 0)) < 0;   /* tb_k */
    bad |= (o[5] = tab_group(&t, bl, nb, size, B->op.stride, 0)) < 0;   /* tb_b */
    bad |= (o[6] = tab_group(&t, ml, nm, size, C->op.stride, 0)) < 0;   /* tc_m */
    bad |= (o[7] = tab_group(&t, nlab, nn, size, C->op.stride, 0)) < 0; /* tc_n */
    bad |= (o[8] = tab_group(&t, bl, nb, size, C->op.stride, 0)) < 0;   /* tc_b */
    bad |= guard_tables(&t, &A->op, ml, nm, kl, nk, bl, nb, size, &o[9], &o[10], &o[11]);
    bad |= guard_tables(&t, &B->op, nlab, nn, kl, nk, bl, nb, size, &o[12], &o[13], &o[14]);
    if (bad) {
        free(t.v);
        return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "einsum: out of host memory for tables");
    }
    s->unit[0] = tab_unit(&t, o[0], M);
    s->unit[1] = tab_unit(&t, o[1], K);
    s->unit[2] = tab_unit(&t, o[3], N);
    s->unit[3] = tab_unit(&t, o[4], K);
    st = upload_table(p, s, &t);
    free(t.v);
    if (st) return st;
    s->kind = STEP_GETT;
    /* a valid element of each input, for the kernels' branch-free guarded loads */
    s->a_safe = A->src.kind == SRC_INPUT && !p->empty[A->src.index] ? p->lo[A->src.index] : -1;
    s->b_safe = B->src.kind == SRC_INPUT && !p->empty[B->src.index] ? p->lo[B->src.index] : -1;
    /* runs along the innermost label of each operand's row group */
    run_info(&A->op, ml, nm, size, &s->a_inner, &s->a_st, &s->a_cg);
    run_info(&B->op, nlab, nn, size, &s->b_inner, &s->b_st, &s->b_cg);
    run_info(&A->op, kl, nk, size, &s->a_kinner, &s->a_kst, &s->a_kcg);
    run_info(&B->op, kl, nk, size, &s->b_kinner, &s->b_kst, &s->b_kcg);
    cl_long4 unused;
    run_info(&C->op, nlab, nn, size, &s->c_inner, &s->c_st, &unused);
    s->a = A->src;
    s->b = B->src;
    s->c = C->src;
    s->a_off = A->op.offset;
    s->b_off = B->op.offset;
    s->c_off = C->op.offset;
    s->M = (int)M;
    s->N = (int)N;
    s->K = (int)K;
    s->nbatch = (int)NB;
    for (int i = 0; i < 15; i++) s->targ[i] = (int)o[i];
    cl_long ea[4] = {0, 0, 0, 0}, eb[4] = {0, 0, 0, 0};
    for (int g = 0; g < A->op.nguards; g++) ea[g] = A->op.guard[g].extent;
    for (int g = 0; g < B->op.nguards; g++) eb[g] = B->op.guard[g].extent;
    memcpy(&s->exta, ea, sizeof ea);
    memcpy(&s->extb, eb, sizeof eb);

    ws_gett_params g = ctx->gett;
    if (ctx->cpu_like) {
        /* small problems: shrink the tile (few variants, to bound builds) */
        /* small problems: a smaller tile, so that little of it is padding; the
         * micro-tile times a power of two, to keep the number of programs small */
        int um = g.mr * g.wgm, un = g.nr * g.wgn;
        /* A short K (depthwise convolutions: 9; several TCCG cases) leaves
         * each work-group little to do, and PoCL's cost per work-group
         * shows: trade K depth for N width at the same local memory, down
         * to a K block of 16 and up to NC 2048. Measured side by side
         * (bench conv / tccg): depthwise forward 3.5-3.9 -> 4.6-4.9 GFLOP/s,
         * tccg3 13-15 -> 30-32, tccg5 45 -> 60. */
        if (K <= g.kc / 4) {
            int kc = 16;
            while (kc < K) kc *= 2;
            int nc = g.nc;
            while (kc < g.kc && nc * 2 <= 2048 && nc < N) {
                nc *= 2;
                g.kc /= 2;
            }
            g.nc = nc;
        }
        while (g.mc > um && g.mc / 2 >= M && (g.mc / 2) % um == 0) g.mc /= 2;
        if (M < g.mc) {
            int t = um;
            while (t < M) t *= 2;
            if (t < g.mc) g.mc = t;
        }
        while (g.nc > un && g.nc / 2 >= N && (g.nc / 2) % un == 0) g.nc /= 2;
        if (N < g.nc) {
            int t = un;
            while (t < N) t *= 2;
            if (t < g.nc) g.nc = t;
        }
    }
    /* More than one K block: the tiled path (gett.cl: !PERSIST) keeps two
     * tiles of running sums (group sums, totals) in local memory. Where they
     * do not fit beside the packed tiles, or for float16 on GPU-like devices
     * (whose local memory is small), one micro-tile per work-item, whose
     * sums need no tiles. */
    const int multi_kb = K > g.kc;
    const cl_ulong es = A->op.dtype == WINSUM_F64 ? 8 : 4;
    const int persist = g.wgm * g.wgn > 1 && g.mc == g.wgm * g.mr && g.nc == g.wgn * g.nr;
    if (multi_kb && !persist &&
        ((A->op.dtype == WINSUM_F16 && !ctx->cpu_like) ||
         ((cl_ulong)(g.mc + g.nc + 32) * g.kc + 2 * (cl_ulong)g.mc * g.nc) * es > ctx->local_mem)) {
        g.mc = g.wgm * g.mr;
        g.nc = g.wgn * g.nr;
    }
    char opts[512];
    snprintf(opts, sizeof opts,
             "-DWGM=%d -DWGN=%d -DMR=%d -DNR=%d -DMC=%d -DNC=%d -DKC=%d -DVW=%d -DNGA=%d "
             "-DNGB=%d -DMULTI_KB=%d%s",
             g.wgm, g.wgn, g.mr, g.nr, g.mc, g.nc, g.kc, g.vw, A->op.nguards, B->op.nguards,
             multi_kb, real_opt(A->op.dtype));
    if ((st = ws_get_kernel(ctx, "gett.cl", "gett", opts, &s->kernel))) return st;
    s->ngl = 3;
    s->use_local = 1;
    s->local[0] = (size_t)g.wgn;
    s->local[1] = (size_t)g.wgm;
    s->local[2] = 1;
    s->global[0] = (size_t)((N + g.nc - 1) / g.nc) * g.wgn;
    s->global[1] = (size_t)((M + g.mc - 1) / g.mc) * g.wgm;
    s->global[2] = (size_t)NB;
    char b1[16], b2[16], b3[16];
    size_t len = strlen(p->describe);
    snprintf(p->describe + len, sizeof p->describe - len,
             "gett %s x %s -> %s: batch %lld, M %lld, N %lld, K %lld, guards %d/%d, tile "
             "%dx%dx%d (wg %dx%d, micro %dx%d)\n",
             src_name(s->a, b1), src_name(s->b, b2), src_name(s->c, b3), (long long)NB,
             (long long)M, (long long)N, (long long)K, A->op.nguards, B->op.nguards, g.mc, g.nc,
             g.kc, g.wgm, g.wgn, g.mr, g.nr);
    return WINSUM_OK;
}

/* ------------------------------------------------------- contraction order */

typedef struct lset {
    uint64_t w[2];
} lset;

static int lset_has(const lset *s, int l) { return (s->w[l >> 6] >> (l & 63)) & 1; }
static void lset_add(lset *s, int l) { s->w[l >> 6] |= 1ull << (l & 63); }
static lset lset_or(lset a, lset b) { return (lset){{a.w[0] | b.w[0], a.w[1] | b.w[1]}}; }

static double lset_size(const lset *s, const int64_t *size, int nl)
{
    double v = 1;
    for (int l = 0; l < nl; l++)
        if (lset_has(s, l)) v *= (double)size[l];
    return v;
}

/* labels of the result of contracting i and j among `alive` operands */
static lset pair_result(const lset *sets, int n, const int *alive, int i, int j, const lset *out)
{
    lset keep = *out;
    for (int k = 0; k < n; k++)
        if (alive[k] && k != i && k != j) keep = lset_or(keep, sets[k]);
    lset u = lset_or(sets[i], sets[j]);
    return (lset){{u.w[0] & keep.w[0], u.w[1] & keep.w[1]}};
}

typedef struct order_search {
    int n, nl;
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
            lset r = left == 2 ? os->out : pair_result(sets, os->n, alive, i, j, &os->out);
            lset u = lset_or(sets[i], sets[j]);
            double c = lset_size(&u, os->size, os->nl) + lset_size(&r, os->size, os->nl) * 1e-3;
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

/* Fills seq with n-1 pairs (i, j): the result replaces i, j dies. */
static void choose_order(int n, const lset *in, const lset *out, const int64_t *size, int nl,
                         int *seq)
{
    lset sets[WS_MAX_OPS];
    int alive[WS_MAX_OPS];
    if (n < 2 || n > WS_MAX_OPS) return;
    memcpy(sets, in, sizeof(lset) * (size_t)n);
    for (int i = 0; i < n; i++) alive[i] = 1;
    if (n <= 5) {
        order_search os = {.n = n, .nl = nl, .size = size, .out = *out, .best = 1e308};
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
                lset r = left == 2 ? *out : pair_result(sets, n, alive, i, j, out);
                lset u = lset_or(sets[i], sets[j]);
                double score = lset_size(&r, size, nl) - lset_size(&sets[i], size, nl) -
                               lset_size(&sets[j], size, nl);
                score += 1e-9 * lset_size(&u, size, nl);
                if (score < best) best = score, bi = i, bj = j, br = r;
            }
        sets[bi] = br;
        alive[bj] = 0;
        seq[2 * step] = bi;
        seq[2 * step + 1] = bj;
    }
}

/* ------------------------------------------------------------ plan create */

static winsum_status validate(winsum_context *ctx, winsum_plan *p)
{
    ws_error *e = &ctx->err;
    winsum_dtype dt = p->out.dtype;
    char name[64];
    for (int i = 0; i <= p->nops; i++) {
        const winsum_view *v = i < p->nops ? &p->ops[i] : &p->out;
        if (i < p->nops) snprintf(name, sizeof name, "einsum operand %d", i);
        else snprintf(name, sizeof name, "einsum output");
        winsum_status st = ws_view_check(v, name, i == p->nops, e);
        if (st) return st;
        if ((st = ws_check_buffer(ctx, v->buffer, name))) return st;
        if (v->dtype != dt)
            return ws_fail(e, WINSUM_ERR_DTYPE,
                           "%s is %s but the output is %s: all operands and the output must "
                           "have one dtype",
                           name, v->dtype == WINSUM_F64 ? "float64" : v->dtype == WINSUM_F32 ? "float32" : "float16",
                           dt == WINSUM_F64 ? "float64" : dt == WINSUM_F32 ? "float32" : "float16");
        ws_view_range(v, &p->lo[i], &p->hi[i], &p->empty[i], name, NULL);
    }
    if (!winsum_context_has_dtype(ctx, dt))
        return ws_fail(e, WINSUM_ERR_DTYPE,
                       "this device (%s) does not compute in float64 (no cl_khr_fp64)",
                       ctx->device_name);
    if (p->out.ndim != p->ir.out_ndim)
        return ws_fail(e, WINSUM_ERR_SHAPE, "einsum output: the view has %d axes, the result %d",
                       p->out.ndim, p->ir.out_ndim);
    for (int a = 0; a < p->out.ndim; a++) {
        int l = p->ir.out_label[a];
        if (p->out.shape[a] != p->ir.size[l])
            return ws_fail(e, WINSUM_ERR_SHAPE,
                           "einsum output: axis %d (label '%c') has size %lld, the result %lld", a,
                           p->ir.label_char[l] ? p->ir.label_char[l] : '.',
                           (long long)p->out.shape[a], (long long)p->ir.size[l]);
    }
    for (int i = 0; i < p->nops; i++)
        if (ws_views_may_alias(&p->out, &p->ops[i]))
            return ws_fail(e, WINSUM_ERR_ALIAS,
                           "einsum output overlaps operand %d in memory; write to separate "
                           "memory",
                           i);
    return WINSUM_OK;
}

/* A contiguous device intermediate holding the labels `keep` (in label id
 * order, the last fastest); owned by the plan. */
static winsum_status new_intermediate(winsum_plan *p, const uint8_t *keep, slot *t)
{
    const ws_ir *ir = &p->ir;
    memset(t, 0, sizeof *t);
    t->op.dtype = p->out.dtype;
    int64_t stride = 1;
    for (int l = ir->nlabels - 1; l >= 0; l--)
        if (keep[l]) {
            t->op.has[l] = 1;
            t->op.stride[l] = ir->size[l] == 1 ? 0 : stride;
            stride *= ir->size[l];
        }
    int k = p->ninter++;
    p->inter_bytes[k] = (size_t)stride * winsum_dtype_size(p->out.dtype);
    t->src = (ws_src){SRC_INTER, k};
    return ws_device_alloc(p->ctx, p->inter_bytes[k], &p->inter[k], "einsum intermediate");
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
static void prune_guards(ws_operand *op, const int64_t *size, int nl)
{
    int kept = 0;
    for (int g = 0; g < op->nguards; g++) {
        ws_lguard gd = op->guard[g];
        int64_t lo = gd.offset, hi = gd.offset;
        int ovf = 0;
        for (int l = 0; l < nl && !ovf; l++) {
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
                       const int64_t *size, int nl)
{
    const winsum_context *ctx = p->ctx;
    /* float16: the slices would be rounded to half before their sum, and a
     * two-operand float16 einsum promises one rounding */
    if (!ctx->cpu_like || p->out.dtype == WINSUM_F16) return -1;
    groups gr;
    classify(X, Y, C, size, nl, &gr);
    const int64_t B = group_size(gr.bl, gr.nb, size), M = group_size(gr.ml, gr.nm, size),
                  N = group_size(gr.nlab, gr.nn, size), K = group_size(gr.kl, gr.nk, size);
    int64_t outn = 1, xn = 1, yn = 1;
    for (int l = 0; l < nl; l++) {
        if (C->op.has[l]) outn *= size[l];
        if (X->op.has[l]) xn *= size[l];
        if (Y->op.has[l]) yn *= size[l];
    }
    /* the elements each input really occupies (a window view is larger
     * than its image) */
    const slot *in[2] = {X, Y};
    int64_t foot[2] = {xn, yn};
    for (int t = 0; t < 2; t++) {
        if (in[t]->src.kind == SRC_INPUT && !p->empty[in[t]->src.index])
            foot[t] = p->hi[in[t]->src.index] - p->lo[in[t]->src.index] + 1;
        else if (in[t]->src.kind == SRC_INTER)
            foot[t] = (int64_t)(p->inter_bytes[in[t]->src.index] /
                                winsum_dtype_size(p->out.dtype));
    }
    const int64_t big = foot[0] > foot[1] ? foot[0] : foot[1];
    const ws_gett_params *g = &ctx->gett;
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
        if (K / size[l] < 4 * (int64_t)g->kc ||
            (double)size[l] * (double)outn * 16 > (double)big)
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

static winsum_status plan_opencl(winsum_plan *p)
{
    winsum_context *ctx = p->ctx;
    const ws_ir *ir = &p->ir;
    int nl = ir->nlabels;
    slot *sl = calloc((size_t)p->nops + 1, sizeof *sl);
    if (!sl) return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "out of host memory");
    slot out;
    ws_operand_from_view(ir, -1, &p->out, &out.op);
    out.src = (ws_src){SRC_OUTPUT, 0};
    for (int i = 0; i < p->nops; i++) {
        ws_operand_from_view(ir, i, &p->ops[i], &sl[i].op);
        prune_guards(&sl[i].op, ir->size, nl);
        sl[i].src = (ws_src){SRC_INPUT, i};
    }
    winsum_status st = WINSUM_OK;
    int any_zero = 0;
    for (int l = 0; l < nl; l++) any_zero |= ir->size[l] == 0;
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
            for (int l = 0; l < nl; l++)
                if (ir->size[l] == 0) zl = l;
            if (zl >= 0) a.op.has[zl] = 1;
        }
        st = make_unary(p, &p->steps[0], &a, &out, size, nl);
        p->nsteps = 1;
        free(sl);
        return st;
    }
    /* Labels that only one operand has, and the output lacks, are summed
     * away first (a unary step into a smaller intermediate), rather than
     * multiplied through the pair's K loop. */
    for (int i = 0; i < p->nops && !st; i++) {
        int priv = 0;
        for (int l = 0; l < nl; l++) {
            if (!sl[i].op.has[l] || out.op.has[l] || ir->size[l] <= 1) continue;
            int elsewhere = 0;
            for (int j = 0; j < p->nops; j++) elsewhere |= j != i && sl[j].op.has[l];
            priv |= !elsewhere;
        }
        if (!priv) continue;
        uint8_t keep[WS_MAX_LABELS] = {0};
        for (int l = 0; l < nl; l++) {
            keep[l] = sl[i].op.has[l] && out.op.has[l];
            for (int j = 0; j < p->nops; j++) keep[l] |= sl[i].op.has[l] && j != i && sl[j].op.has[l];
        }
        slot red;
        if ((st = new_intermediate(p, keep, &red))) break;
        st = make_unary(p, &p->steps[p->nsteps++], &sl[i], &red, ir->size, nl);
        sl[i] = red;
    }
    if (st) {
        free(sl);
        return st;
    }
    lset sets[WS_MAX_OPS], oset = {{0, 0}};
    for (int i = 0; i < p->nops; i++) {
        sets[i] = (lset){{0, 0}};
        for (int l = 0; l < nl; l++)
            if (sl[i].op.has[l]) lset_add(&sets[i], l);
    }
    for (int l = 0; l < nl; l++)
        if (out.op.has[l]) lset_add(&oset, l);
    int seq[2 * WS_MAX_OPS];
    choose_order(p->nops, sets, &oset, ir->size, nl, seq);
    int alive[WS_MAX_OPS];
    for (int i = 0; i < p->nops; i++) alive[i] = 1;
    for (int s = 0; s < p->nops - 1 && !st; s++) {
        int i = seq[2 * s], j = seq[2 * s + 1];
        slot *res = &out;
        slot tmp;
        if (s < p->nops - 2) {
            /* an intermediate: contiguous, labels in id order */
            lset r = pair_result(sets, p->nops, alive, i, j, &oset);
            uint8_t keep[WS_MAX_LABELS] = {0};
            for (int l = 0; l < nl; l++) keep[l] = (uint8_t)lset_has(&r, l);
            if ((st = new_intermediate(p, keep, &tmp))) break;
            res = &tmp;
            sets[i] = r;
        }
        /* the last pair: into the output, or into a workspace that keeps one
         * K label, summed into the output by a unary step (split K) */
        int sp = res == &out ? split_label(p, &sl[i], &sl[j], &out, ir->size, nl) : -1;
        if (sp >= 0) {
            uint8_t keep[WS_MAX_LABELS] = {0};
            for (int l = 0; l < nl; l++) keep[l] = out.op.has[l] || l == sp;
            if ((st = new_intermediate(p, keep, &tmp))) break;
            res = &tmp;
        }
        st = make_gett(p, &p->steps[p->nsteps++], &sl[i], &sl[j], res, ir->size, nl);
        if (!st && sp >= 0) {
            size_t len = strlen(p->describe);
            snprintf(p->describe + len, sizeof p->describe - len,
                     "  (K split along '%c': %lld slices, summed by the next step)\n",
                     ir->label_char[sp] ? ir->label_char[sp] : '?', (long long)ir->size[sp]);
            st = make_unary(p, &p->steps[p->nsteps++], &tmp, &out, ir->size, nl);
        }
        alive[j] = 0;
        if (res != &out) sl[i] = tmp;
    }
    free(sl);
    return st;
}

/* Frees the plan; a plan of winsum_plan_create then drops its reference to
 * the context, which frees the context if the user destroyed it already. */
void winsum_plan_destroy(winsum_plan *p)
{
    if (!p) return;
    winsum_context *ctx = p->ctx;
    int holds_ref = p->holds_ref;
    ws_lock(ctx);
    for (int s = 0; s < p->nsteps; s++) ws_device_free(ctx, p->steps[s].tab, p->steps[s].tab_bytes);
    for (int k = 0; k < p->ninter; k++) ws_device_free(ctx, p->inter[k], p->inter_bytes[k]);
    free(p->subscripts);
    free(p);
    ws_unlock(ctx);
    if (holds_ref) ws_context_release(ctx);
}

/* winsum_plan_create without the reference to the context: the plan
 * cache's plans, which winsum_context_destroy frees first. */
static winsum_status plan_make(winsum_context *ctx, winsum_plan **out, const char *subscripts,
                               int nops, const winsum_view *ops, const winsum_view *outv)
{
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    if (!out || !subscripts || !ops || !outv)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT,
                       "einsum: plan, subscripts, operands and output must not be NULL");
    *out = NULL;
    if (nops < 1 || nops > WS_MAX_OPS)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "einsum: %d operands (1..%d allowed)",
                       nops, WS_MAX_OPS);
    winsum_plan *p = calloc(1, sizeof *p);
    if (!p) return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "out of host memory");
    p->ctx = ctx;
    p->nops = nops;
    p->subscripts = strdup(subscripts);
    memcpy(p->ops, ops, sizeof(winsum_view) * (size_t)nops);
    p->out = *outv;
    winsum_status st = p->subscripts ? WINSUM_OK : WINSUM_ERR_MEMORY;
    if (!st) st = ws_parse(subscripts, nops, ops, &p->ir, &ctx->err);
    if (!st) st = validate(ctx, p);
    if (!st) {
        p->nothing = p->empty[nops];
        char canon[512];
        ws_ir_format(&p->ir, canon, sizeof canon);
        snprintf(p->describe, sizeof p->describe, "einsum %s on %s\n", canon, ctx->device_name);
        if (!p->nothing && ctx->backend == WINSUM_BACKEND_OPENCL) st = plan_opencl(p);
    }
    if (st) {
        winsum_plan_destroy(p);
        return st;
    }
    *out = p;
    return WINSUM_OK;
}

winsum_status winsum_plan_create(winsum_context *ctx, winsum_plan **out, const char *subscripts,
                                 int nops, const winsum_view *ops, const winsum_view *outv)
{
    WS_LOCK_SCOPE(ctx);
    winsum_status st = plan_make(ctx, out, subscripts, nops, ops, outv);
    if (st) return st;
    (*out)->holds_ref = 1;
    ws_context_retain(ctx);
    return WINSUM_OK;
}

const char *winsum_plan_describe(const winsum_plan *p) { return p ? p->describe : ""; }

/* ----------------------------------------------------------- execution */

static cl_mem src_mem(winsum_plan *p, ws_src s, const winsum_buffer *const *in,
                      const winsum_buffer *outb)
{
    if (s.kind == SRC_INPUT) return in[s.index]->mem;
    if (s.kind == SRC_INTER) return p->inter[s.index];
    return outb->mem;
}

static winsum_status exec_opencl(winsum_plan *p, const winsum_buffer *const *in,
                                 const winsum_buffer *outb, double alpha, double beta,
                                 cl_event *event)
{
    winsum_context *ctx = p->ctx;
    int f64 = p->out.dtype == WINSUM_F64;
    for (int si = 0; si < p->nsteps; si++) {
        ws_step *s = &p->steps[si];
        int last = si == p->nsteps - 1;
        double al = last ? alpha : 1.0, be = last ? beta : 0.0;
        float alf = (float)al, bef = (float)be;
        cl_kernel k = s->kernel;
        cl_mem a = src_mem(p, s->a, in, outb), c = src_mem(p, s->c, in, outb);
        cl_long ao = s->a_off, co = s->c_off;
        cl_int err = 0;
        int n = 0;
#define ARG(v) err |= clSetKernelArg(k, (cl_uint)n++, sizeof(v), &(v))
        if (s->kind == STEP_GETT) {
            cl_mem b = src_mem(p, s->b, in, outb);
            cl_long bo = s->b_off;
            ARG(a); ARG(ao); ARG(b); ARG(bo); ARG(c); ARG(co); ARG(s->tab);
            ARG(s->M); ARG(s->N); ARG(s->K); ARG(s->nbatch);
            for (int i = 0; i < 15; i++) ARG(s->targ[i]);
            ARG(s->exta); ARG(s->extb);
        } else {
            ARG(a); ARG(ao); ARG(c); ARG(co); ARG(s->tab);
            ARG(s->N); ARG(s->M); ARG(s->K);
            for (int i = 0; i < 8; i++) ARG(s->targ[i]);
            ARG(s->exta);
        }
        if (f64) { ARG(al); ARG(be); } else { ARG(alf); ARG(bef); }
        if (s->kind == STEP_GETT) {
            ARG(s->a_safe); ARG(s->b_safe);
            ARG(s->a_inner); ARG(s->a_st); ARG(s->a_cg);
            ARG(s->b_inner); ARG(s->b_st); ARG(s->b_cg);
            ARG(s->a_kinner); ARG(s->a_kst); ARG(s->a_kcg);
            ARG(s->b_kinner); ARG(s->b_kst); ARG(s->b_kcg);
            for (int i = 0; i < 4; i++) ARG(s->unit[i]);
            ARG(s->c_inner); ARG(s->c_st);
        }
#undef ARG
        if (err) return ws_cl_fail(ctx, err, "clSetKernelArg", "einsum");
        if (s->global[0] == 0 || s->global[1] == 0 || (s->ngl == 3 && s->global[2] == 0)) continue;
        if (ws_fault(WINSUM_FAULT_ENQUEUE))
            return ws_cl_fail(ctx, CL_OUT_OF_RESOURCES, "clEnqueueNDRangeKernel (injected)",
                              "einsum");
        err = clEnqueueNDRangeKernel(ctx->queue, k, (cl_uint)s->ngl, NULL, s->global,
                                     s->use_local ? s->local : NULL, ctx->gate ? 1 : 0,
                                     ctx->gate ? &ctx->gate : NULL, last && event ? event : NULL);
        if (err) return ws_cl_fail(ctx, err, "clEnqueueNDRangeKernel", "einsum");
    }
    return WINSUM_OK;
}

winsum_status winsum_plan_execute(winsum_plan *p, const winsum_buffer *const *inputs,
                                  const winsum_buffer *output, double alpha, double beta,
                                  cl_event *event)
{
    if (!p) return WINSUM_ERR_ARGUMENT;
    winsum_context *ctx = p->ctx;
    WS_LOCK_SCOPE(ctx);
    if (event) *event = NULL;
    winsum_status sst = ws_check_scalars(alpha, beta, p->out.dtype, "einsum", &ctx->err);
    if (sst) return sst;
    const winsum_buffer *in[WS_MAX_OPS];
    const winsum_buffer *outb = output ? output : p->out.buffer;
    char name[64];
    /* Every execution checks its buffers against the ranges stored at
     * creation: a buffer struct at the same address may describe other
     * memory by now. */
    for (int i = 0; i <= p->nops; i++) {
        const winsum_buffer *b = i < p->nops ? (inputs && inputs[i] ? inputs[i] : p->ops[i].buffer) : outb;
        if (i < p->nops) in[i] = b;
        snprintf(name, sizeof name, i < p->nops ? "einsum operand %d" : "einsum output", i);
        winsum_status st = ws_check_buffer(ctx, b, name);
        if (st) return st;
        winsum_dtype dt = i < p->nops ? p->ops[i].dtype : p->out.dtype;
        int64_t cap = (int64_t)(b->bytes / winsum_dtype_size(dt));
        if (!p->empty[i] && (p->lo[i] < 0 || p->hi[i] >= cap))
            return ws_fail(&ctx->err, WINSUM_ERR_BOUNDS,
                           "%s: the view reaches elements %lld..%lld but the new buffer holds "
                           "%lld",
                           name, (long long)p->lo[i], (long long)p->hi[i], (long long)cap);
    }
    for (int i = 0; i < p->nops; i++) {
            winsum_view a = p->out, b = p->ops[i];
            a.buffer = outb;
            b.buffer = in[i];
            if (ws_views_may_alias(&a, &b))
                return ws_fail(&ctx->err, WINSUM_ERR_ALIAS,
                               "einsum output overlaps operand %d in memory", i);
        }
    if (p->nothing) return WINSUM_OK;
    if (ctx->backend == WINSUM_BACKEND_REF) {
        ws_operand *ops = malloc(sizeof(ws_operand) * ((size_t)p->nops + 1));
        if (!ops) return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "out of host memory");
        for (int i = 0; i < p->nops; i++) {
            ws_operand_from_view(&p->ir, i, &p->ops[i], &ops[i]);
            ops[i].buffer = in[i];
        }
        ws_operand_from_view(&p->ir, -1, &p->out, &ops[p->nops]);
        ops[p->nops].buffer = outb;
        ws_ref_einsum(&p->ir, ops, &ops[p->nops], alpha, beta);
        free(ops);
        return WINSUM_OK;
    }
    if (p->nsteps < 2) return exec_opencl(p, in, outb, alpha, beta, event);
    int own = ctx->gate == NULL;
    winsum_status st = own ? ws_gate_open(ctx) : WINSUM_OK;
    if (!st) st = exec_opencl(p, in, outb, alpha, beta, event);
    return own ? ws_gate_close(ctx, st) : st;
}

/* ------------------------------------------------- winsum_einsum's cache */

static int view_same(const winsum_view *a, const winsum_view *b)
{
    if (a->dtype != b->dtype || a->offset != b->offset || a->ndim != b->ndim ||
        a->nguards != b->nguards)
        return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i] || a->strides[i] != b->strides[i]) return 0;
    for (int g = 0; g < a->nguards; g++) {
        if (a->guards[g].offset != b->guards[g].offset || a->guards[g].extent != b->guards[g].extent)
            return 0;
        for (int i = 0; i < a->ndim; i++)
            if (a->guards[g].coef[i] != b->guards[g].coef[i]) return 0;
    }
    return 1;
}

/* The cache lives beside the context (ws_context_attach): the context
 * knows it only as data and a release function. Entries are plans made
 * without a reference to the context, under the tile parameters of their
 * epoch; a later epoch (new parameters from the tuner) makes them stale. */
typedef struct plan_cache {
    winsum_plan *slot[WS_PLAN_CACHE];
    unsigned epoch[WS_PLAN_CACHE];
    int next;
} plan_cache;
static const char plan_cache_key; /* its address names the attachment */

static void plan_cache_release(winsum_context *ctx, void *data)
{
    (void)ctx;
    plan_cache *c = data;
    for (int i = 0; i < WS_PLAN_CACHE; i++) winsum_plan_destroy(c->slot[i]);
    free(c);
}

static plan_cache *cache_of(winsum_context *ctx)
{
    plan_cache *c = ws_context_attached(ctx, &plan_cache_key);
    if (c) return c;
    if (!(c = calloc(1, sizeof *c))) return NULL;
    if (ws_context_attach(ctx, &plan_cache_key, c, plan_cache_release)) {
        free(c);
        return NULL;
    }
    return c;
}

winsum_status ws_plan_cached(winsum_context *ctx, const char *subscripts, int nops,
                             const winsum_view *ops, const winsum_view *out, winsum_plan **plan)
{
    if (!subscripts || !ops || !out || nops < 1 || nops > WS_MAX_OPS)
        return plan_make(ctx, plan, subscripts, nops, ops, out);
    plan_cache *cache = cache_of(ctx);
    if (!cache) return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "out of host memory");
    winsum_plan *p = NULL;
    for (int i = 0; i < WS_PLAN_CACHE && !p; i++) {
        winsum_plan *c = cache->slot[i];
        if (c && cache->epoch[i] != ctx->params_epoch) {
            winsum_plan_destroy(c); /* made under other tile parameters */
            cache->slot[i] = NULL;
            continue;
        }
        if (!c || c->nops != nops || strcmp(c->subscripts, subscripts) != 0 ||
            !view_same(&c->out, out))
            continue;
        int same = 1;
        for (int k = 0; k < nops && same; k++) same = view_same(&c->ops[k], &ops[k]);
        if (same) p = c;
    }
    if (!p) {
        winsum_status st = plan_make(ctx, &p, subscripts, nops, ops, out);
        if (st) return st;
        int slot = cache->next++ % WS_PLAN_CACHE;
        winsum_plan_destroy(cache->slot[slot]);
        cache->slot[slot] = p;
        cache->epoch[slot] = ctx->params_epoch;
    }
    *plan = p;
    return WINSUM_OK;
}

winsum_status winsum_einsum(winsum_context *ctx, const char *subscripts, int nops,
                            const winsum_view *ops, const winsum_view *out, double alpha,
                            double beta)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    winsum_plan *p = NULL;
    winsum_status st = ws_plan_cached(ctx, subscripts, nops, ops, out, &p);
    if (st) return st;
    /* a cached plan remembers buffers from its first call: every call must
     * name its own */
    for (int i = 0; i < nops; i++)
        if (!ops[i].buffer)
            return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT,
                           "einsum operand %d: the view has no buffer", i);
    if (!out->buffer)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "einsum output: the view has no buffer");
    const winsum_buffer *in[WS_MAX_OPS];
    for (int i = 0; i < nops; i++) in[i] = ops[i].buffer;
    return winsum_plan_execute(p, in, out->buffer, alpha, beta, NULL);
}

winsum_status winsum_einsum_output_shape(winsum_context *ctx, const char *subscripts, int nops,
                                         const winsum_view *ops, int *ndim, int64_t *shape)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx || !subscripts || !ops || !ndim || !shape || nops < 1 || nops > WS_MAX_OPS)
        return ctx ? ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "einsum: NULL argument or bad count")
                   : WINSUM_ERR_ARGUMENT;
    ws_ir *ir = malloc(sizeof *ir);
    if (!ir) return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "out of host memory");
    winsum_status st = ws_parse(subscripts, nops, ops, ir, &ctx->err);
    if (!st) {
        *ndim = ir->out_ndim;
        for (int i = 0; i < ir->out_ndim; i++) shape[i] = ir->size[ir->out_label[i]];
    }
    free(ir);
    return st;
}
