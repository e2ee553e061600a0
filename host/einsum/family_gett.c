/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * family_gett.c - the GETT family (kernels/gett.cl): a two-operand step
 * C = alpha * A.B + beta * C over batch / M / N / K, with its labels sorted
 * into those groups, its offset and guard tables, the tile (CPU tile
 * policy, float16 rule) and the kernel's argument list.
 */
#include "params.h"
#include "layer.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tile parameters of the GETT kernel (kernels/gett.cl): the family's
 * tunables (ws_gett_tunables) in this order. */
typedef struct gett_params {
    int wgm, wgn; /* work-group shape */
    int mr, nr;   /* micro-tile per work-item */
    int mc, nc;   /* work-group tile */
    int kc;       /* K block */
    int vw;       /* vector width of the CPU micro-kernel */
} gett_params;

/* A GETT step's own state (ws_step.state). */
typedef struct gett_state {
    ws_long a_safe, b_safe;  /* an element each guarded input really has, or -1 */
    ws_int a_inner, b_inner; /* runs along the innermost row label (gett.cl pack) */
    ws_long a_st, b_st;
    ws_long4 a_cg, b_cg;
    ws_int a_kinner, b_kinner; /* runs along the innermost K label */
    ws_long a_kst, b_kst;
    ws_long4 a_kcg, b_kcg;
    ws_int unit[4]; /* A's M, A's K, B's N, B's K tables are 0, 1, 2, ... */
    ws_int c_inner; /* C's runs along N */
    ws_long c_st;
    gett_params tile; /* the tile it was built with (for describe) */
    int skinny;       /* gett_skinny (0: gett) */
    int crun, cpad;   /* C's runs along N, each padded to cpad columns (0: none) */
} gett_state;
WS_STATE_FITS(gett_state);

#define ST(type, name, field) WS_ARG_STATE(type, name, gett_state, field)

static const ws_family_arg gett_args[] = {
    WS_ARG_MEM("__global const ELEM *restrict", "A", WS_FROM_A),
    WS_ARG_STEP("const long", "a_off", a_off),
    WS_ARG_MEM("__global const ELEM *restrict", "B", WS_FROM_B),
    WS_ARG_STEP("const long", "b_off", b_off),
    WS_ARG_MEM("__global ELEM *restrict", "C", WS_FROM_C),
    WS_ARG_STEP("const long", "c_off", c_off),
    WS_ARG_STEP("__global const long *restrict", "tab", tab),
    WS_ARG_STEP("const int", "M", M),
    WS_ARG_STEP("const int", "N", N),
    WS_ARG_STEP("const int", "K", K),
    WS_ARG_STEP("const int", "nbatch", nbatch),
    WS_ARG_STEP("const int", "ta_m", targ[0]),
    WS_ARG_STEP("const int", "ta_k", targ[1]),
    WS_ARG_STEP("const int", "ta_b", targ[2]),
    WS_ARG_STEP("const int", "tb_n", targ[3]),
    WS_ARG_STEP("const int", "tb_k", targ[4]),
    WS_ARG_STEP("const int", "tb_b", targ[5]),
    WS_ARG_STEP("const int", "tc_m", targ[6]),
    WS_ARG_STEP("const int", "tc_n", targ[7]),
    WS_ARG_STEP("const int", "tc_b", targ[8]),
    WS_ARG_STEP("const int", "ga_m", targ[9]),
    WS_ARG_STEP("const int", "ga_k", targ[10]),
    WS_ARG_STEP("const int", "ga_b", targ[11]),
    WS_ARG_STEP("const int", "gb_n", targ[12]),
    WS_ARG_STEP("const int", "gb_k", targ[13]),
    WS_ARG_STEP("const int", "gb_b", targ[14]),
    WS_ARG_STEP("const long4", "exta4", exta),
    WS_ARG_STEP("const long4", "extb4", extb),
    WS_ARG_REAL("alpha", WS_FROM_ALPHA),
    WS_ARG_REAL("beta", WS_FROM_BETA),
    ST("const long", "a_safe", a_safe),
    ST("const long", "b_safe", b_safe),
    ST("const int", "a_inner", a_inner),
    ST("const long", "a_st", a_st),
    ST("const long4", "a_cg4", a_cg),
    ST("const int", "b_inner", b_inner),
    ST("const long", "b_st", b_st),
    ST("const long4", "b_cg4", b_cg),
    ST("const int", "a_kinner", a_kinner),
    ST("const long", "a_kst", a_kst),
    ST("const long4", "a_kcg4", a_kcg),
    ST("const int", "b_kinner", b_kinner),
    ST("const long", "b_kst", b_kst),
    ST("const long4", "b_kcg4", b_kcg),
    ST("const int", "unit_am", unit[0]),
    ST("const int", "unit_ak", unit[1]),
    ST("const int", "unit_bn", unit[2]),
    ST("const int", "unit_bk", unit[3]),
    ST("const int", "c_inner", c_inner),
    ST("const long", "c_st", c_st),
    WS_ARG_STEP("__global const REAL *restrict", "pa", scratch[0]),
    WS_ARG_STEP("__global const REAL *restrict", "pb", scratch[1]),
};

/* gett_pack_a and gett_pack_b: A and B packed once per launch (PACKED) */
static const ws_family_arg pack_a_args[] = {
    WS_ARG_MEM("__global const ELEM *restrict", "A", WS_FROM_A),
    WS_ARG_STEP("const long", "a_off", a_off),
    WS_ARG_STEP("__global const long *restrict", "tab", tab),
    WS_ARG_STEP("const int", "M", M),
    WS_ARG_STEP("const int", "K", K),
    WS_ARG_STEP("const int", "nbatch", nbatch),
    WS_ARG_STEP("const int", "ta_m", targ[0]),
    WS_ARG_STEP("const int", "ta_k", targ[1]),
    WS_ARG_STEP("const int", "ta_b", targ[2]),
    WS_ARG_STEP("const int", "ga_m", targ[9]),
    WS_ARG_STEP("const int", "ga_k", targ[10]),
    WS_ARG_STEP("const int", "ga_b", targ[11]),
    WS_ARG_STEP("const long4", "exta4", exta),
    ST("const long", "a_safe", a_safe),
    ST("const int", "a_inner", a_inner),
    ST("const long", "a_st", a_st),
    ST("const long4", "a_cg4", a_cg),
    ST("const int", "a_kinner", a_kinner),
    ST("const long", "a_kst", a_kst),
    ST("const long4", "a_kcg4", a_kcg),
    ST("const int", "unit_am", unit[0]),
    ST("const int", "unit_ak", unit[1]),
    WS_ARG_STEP("__global REAL *restrict", "pa", scratch[0]),
};
static const ws_family_arg pack_b_args[] = {
    WS_ARG_MEM("__global const ELEM *restrict", "B", WS_FROM_B),
    WS_ARG_STEP("const long", "b_off", b_off),
    WS_ARG_STEP("__global const long *restrict", "tab", tab),
    WS_ARG_STEP("const int", "N", N),
    WS_ARG_STEP("const int", "K", K),
    WS_ARG_STEP("const int", "nbatch", nbatch),
    WS_ARG_STEP("const int", "tb_n", targ[3]),
    WS_ARG_STEP("const int", "tb_k", targ[4]),
    WS_ARG_STEP("const int", "tb_b", targ[5]),
    WS_ARG_STEP("const int", "gb_n", targ[12]),
    WS_ARG_STEP("const int", "gb_k", targ[13]),
    WS_ARG_STEP("const int", "gb_b", targ[14]),
    WS_ARG_STEP("const long4", "extb4", extb),
    ST("const long", "b_safe", b_safe),
    ST("const int", "b_inner", b_inner),
    ST("const long", "b_st", b_st),
    ST("const long4", "b_cg4", b_cg),
    ST("const int", "b_kinner", b_kinner),
    ST("const long", "b_kst", b_kst),
    ST("const long4", "b_kcg4", b_kcg),
    ST("const int", "unit_bn", unit[2]),
    ST("const int", "unit_bk", unit[3]),
    WS_ARG_STEP("__global REAL *restrict", "pb", scratch[1]),
};
static const ws_family_pre gett_pre[] = {
    {"gett_pack_a", pack_a_args, (int)(sizeof pack_a_args / sizeof pack_a_args[0])},
    {"gett_pack_b", pack_b_args, (int)(sizeof pack_b_args / sizeof pack_b_args[0])},
};

/* ------------------------------------------------ tunable parameters */

/* Upper bounds of each field, far above any useful value, so that every
 * product the planner and the kernel form of them (wgm*mr, (mc+nc+32)*kc*8,
 * the global sizes) stays well inside int. Defaults: CPU-like, GPU-like. */
static const ws_tunable gett_tunable[8] = {
    {"wgm", 1, 16, 1, 1024},  {"wgn", 1, 16, 1, 1024}, {"mr", 8, 4, 1, 64},
    {"nr", 32, 4, 1, 64},     {"mc", 64, 64, 1, 4096}, {"nc", 64, 64, 1, 4096},
    {"kc", 256, 16, 1, 4096}, {"vw", 16, 1, 1, 16},
};

/* NULL when the parameters (each in its range) fit the kernel and the
 * device, else why not (into why). Every product is formed in 64 bits. */
static const char *gett_invalid(const winsum_context *ctx, const int *v, char *why, size_t n)
{
    const gett_params p = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
    if (p.vw != 1 && p.vw != 2 && p.vw != 4 && p.vw != 8 && p.vw != 16) {
        snprintf(why, n, "vw = %d is not 1, 2, 4, 8 or 16", p.vw);
        return why;
    }
    const int64_t um = (int64_t)p.wgm * p.mr, un = (int64_t)p.wgn * p.nr;
    if (p.mc % um || p.nc % un) {
        snprintf(why, n, "mc = %d is not a multiple of wgm*mr = %lld, or nc = %d of wgn*nr = %lld",
                 p.mc, (long long)um, p.nc, (long long)un);
        return why;
    }
    if (p.vw > 1 && p.wgn == 1 && p.nr % p.vw) {
        snprintf(why, n, "nr = %d is not a multiple of vw = %d", p.nr, p.vw);
        return why;
    }
    const uint64_t wg = (uint64_t)p.wgm * (uint64_t)p.wgn;
    if (wg > ctx->max_wg) {
        snprintf(why, n, "a work-group of wgm*wgn = %llu work-items; the device allows %zu",
                 (unsigned long long)wg, ctx->max_wg);
        return why;
    }
    /* + the pitch pad; float64 tiles */
    const uint64_t local = ((uint64_t)p.mc + (uint64_t)p.nc + 32) * (uint64_t)p.kc * 8;
    if (local > ctx->local_mem) {
        snprintf(why, n, "the tiles need %llu bytes of local memory; the device has %llu",
                 (unsigned long long)local, (unsigned long long)ctx->local_mem);
        return why;
    }
    return NULL;
}

/* The defaults fitted to the device: work-group size and local memory
 * (float64 tiles). */
static void gett_fit(const winsum_context *ctx, int *v)
{
    while ((size_t)v[0] * v[1] > ctx->max_wg && v[0] > 1) {
        v[0] /= 2;
        v[4] /= 2;
    }
    while ((ws_ulong)(v[4] + v[5]) * v[6] * 8 > ctx->local_mem && v[6] > 1) v[6] /= 2;
}

/* Devices measured with `winsum tune`. pthread-skylake-avx512: PoCL 3.1 on
 * 2 cores of an AMD EPYC with AVX-512, `winsum tune` on 2026-11-25 (87.5
 * GFLOP/s geometric mean, defaults 78.3). */
static const int pocl_avx512[8] = {1, 1, 8, 32, 96, 128, 256, 16};
static const ws_tunable_device gett_measured[] = {
    {"pthread-skylake-avx512", pocl_avx512},
    {NULL, NULL},
};

const ws_tunable_set ws_gett_tunables = {
    .family = "gett",
    .env = "WINSUM_GETT",
    .params = gett_tunable,
    .n = 8,
    .invalid = gett_invalid,
    .fit = gett_fit,
    .measured = gett_measured,
};

/* The tile parameters in use on ctx's device. */
static gett_params gett_now(const winsum_context *ctx)
{
    const int *v = ws_tuned(ctx, &ws_gett_tunables);
    return (gett_params){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
}

void ws_gett_blocks(const winsum_context *ctx, int *mc, int *nc, int *kc)
{
    const gett_params g = gett_now(ctx);
    *mc = g.mc;
    *nc = g.nc;
    *kc = g.kc;
}

/* The CPU tile policy: the tile in use fitted to an M x N x K
 * problem. */
static gett_params cpu_tile_policy(const winsum_context *ctx, gett_params g, int64_t M, int64_t N,
                                   int64_t K, int64_t NB, int64_t es)
{
    const int64_t cus = ctx->compute_units;
    int um = g.mr * g.wgm, un = g.nr * g.wgn;
    /* A tiny problem (M x N x K at most 2^21, N and K at most 256): one
     * tile, NC = KC = 256 whatever N and K, so that a small convolution's
     * forward (N pixels, K channels x taps) and backward-weight (the other
     * way round) build one program and PoCL generates one kernel: cold
     * start of 3x3 16->16@8 forward + backward 1.07 s of CPU, against
     * 1.27-1.30 with a tile each (notes cold3); their steady time is
     * launch overhead either way. */
    if ((double)M * (double)N * (double)K <= (double)(1 << 21) && M <= g.mc && N <= 256 &&
        K <= 256) {
        int mc = um;
        while (mc < M) mc *= 2;
        if (mc < g.mc) g.mc = mc;
        g.nc = 256, g.kc = 256;
        return g;
    }
    /* A short K (depthwise convolutions: 9; several TCCG cases) leaves
     * each work-group little to do, and PoCL's cost per work-group
     * shows: trade K depth for N width at the same local memory, down
     * to a K block of 16 and up to NC 2048 (measured: docs/performance.md,
     * "Measurements behind the code's choices"). */
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
    /* small problems: a smaller tile, so that little of it is padding; the
     * micro-tile times a power of two, to keep the number of programs small */
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
    /* M's last block part padding (ResNet's 128 channels in blocks of 96:
     * 96 + 32 rows, a third of the tile's rows computed for nothing, and
     * the other operand packed for both; 256 in 96 + 96 + 64): the tile
     * that leaves the fewest rows of padding, the larger on a tie, among
     * MC and the micro-tile times a power of two up to 2 MC, down to MC / 2
     * where more than a quarter of the rows are padding, and whose tiles
     * fit the local memory (gett_build). Measured, alternating (notes in
     * docs/performance.md): 1x1 512->128 on 28x28 (M 128) 235-243 -> 326
     * GFLOP/s; M 256, 2048 (1x1 1024->256@14, 512->2048@7) 1.06-1.27x;
     * GEMM 1024^3 (M 1024, 128 rows) within the noise. */
    const int64_t pad0 = (M + g.mc - 1) / g.mc * g.mc - M;
    if (pad0 > 0) {
        const int low = pad0 * 4 > (M + pad0) ? g.mc / 2 : g.mc;
        int best = g.mc;
        int64_t bpad = pad0;
        for (int t = um; t <= 2 * g.mc; t *= 2) {
            const int64_t pad = (M + t - 1) / t * t - M;
            const double local =
                (double)((t + g.nc + 32) * g.kc + 2 * (int64_t)t * g.nc) * (double)es;
            if (t < low || (K > g.kc && local > (double)ctx->local_mem)) continue;
            if (pad < bpad || (pad == bpad && t > best)) {
                best = t;
                bpad = pad;
            }
        }
        g.mc = best;
    }
    /* Fewer than two tiles a core in a large problem (TCCG 13, `acd,dbc->
     * ab`: M 103 x N 97, K 9,991 cut into M blocks of 96 and 7, so that one
     * core did nearly all of it): M blocks of even size, as many as the
     * cores where M allows (measured: 56 + 47 rows, 1.29x) */
    const int64_t nnb = (N + g.nc - 1) / g.nc * NB, nmb = (M + g.mc - 1) / g.mc;
    if (cus > 1 && nmb * nnb < 2 * cus && (double)M * (double)N * (double)K >= (double)(1 << 24)) {
        int64_t want = (cus + nnb - 1) / nnb;
        if (want < nmb) want = nmb;
        const int64_t mc = ((M + want - 1) / want + um - 1) / um * um;
        if (mc < g.mc) g.mc = (int)mc;
    }
    return g;
}

/* The elements an operand really occupies (a window view is larger than
 * its image; an intermediate is its buffer). */
static double footprint(const winsum_plan *p, const slot *x, int64_t logical)
{
    if (x->src.kind == SRC_INPUT && !p->empty[x->src.index])
        return (double)(p->hi[x->src.index] - p->lo[x->src.index] + 1);
    if (x->src.kind == SRC_INTER)
        return (double)p->inter_bytes[x->src.index] / (double)winsum_dtype_size(p->out.dtype);
    return (double)logical;
}

/* WINSUM_GETT_PACK, read whenever a step is built (a switch for tests and
 * timing): "off" packs in every work-group, "all" packs once per launch
 * every operand small enough, whatever its reuse; anything else: the rule
 * below. */
static int pack_env(void)
{
    const char *e = getenv("WINSUM_GETT_PACK");
    return !e ? 0 : !strcmp(e, "off") ? 1 : !strcmp(e, "all") ? 2 : 0;
}

/* Whether to pack an operand once per launch (gett_pack_a/b) rather than in
 * every work-group: when other work-groups would pack the same panels again
 * (reuse > 1: A is packed by every N block, B by every M block) and the
 * panels (`panels` elements) are no larger than about the operand itself,
 * so that this never becomes an im2col of a window view, nor than about
 * the result (`out` elements): a convolution's backward-weight, whose
 * result is small, allocates next to nothing beside its operands (test_conv
 * holds it to 1/50 of im2col). */
static int pack_once(const winsum_plan *p, const slot *x, int64_t reuse, double panels,
                     int64_t logical, double out, int env)
{
    const double bytes = panels * (p->out.dtype == WINSUM_F64 ? 8 : 4);
    if (bytes > (double)(1u << 30) || (p->ctx->max_alloc && bytes > (double)p->ctx->max_alloc))
        return 0;
    const double f = footprint(p, x, logical);
    return (env == 2 || reuse > 1) && panels <= 2 * (f < out ? f : out) + 65536;
}

/* Where C's innermost label of a group (l[n - 1], the tile's fastest) is
 * not the operand's contiguous one but another label of the group is, and
 * C does not run on from the innermost label into the next one anyway, the
 * operand's contiguous label moves next to it (l[n - 2]): a tile then spans
 * several of the operand's contiguous values, so that each cache line it
 * reads is used whole while the tile is packed, rather than one element of
 * it by each of 16 work-groups (TCCG 7, `ecbfa,fd->abcde`: N runs along e,
 * at a stride of 254016 elements in B, while B is contiguous along a). */
static void contiguous_second(int *l, int n, const int64_t *stride, const int64_t *cstride,
                              const int64_t *size)
{
    if (n < 3 || llabs(stride[l[n - 1]]) == 1 ||
        llabs(cstride[l[n - 2]]) == llabs(cstride[l[n - 1]]) * size[l[n - 1]])
        return;
    for (int i = 0; i < n - 2; i++)
        if (llabs(stride[l[i]]) == 1) {
            const int u = l[i];
            for (int j = i; j < n - 2; j++) l[j] = l[j + 1];
            l[n - 2] = u;
            return;
        }
}

/* The columns a work-group of gett_skinny owns (gett.cl SW). */
#define SKINNY_SW 512

/* WINSUM_GETT_SKINNY, read whenever a step is built (a switch for tests
 * and timing): "off" never takes the skinny path, "on" takes it wherever
 * it can (whatever N); anything else: the rule below. */
static int skinny_env(void)
{
    const char *e = getenv("WINSUM_GETT_SKINNY");
    return !e ? 0 : !strcmp(e, "off") ? 1 : !strcmp(e, "on") ? 2 : 0;
}

/* Whether an M x N x K step takes gett_skinny (CPU-like devices): M at
 * most 24 rows (its sums, one vector each, stay in registers), K in one
 * block of at most 256 (the same chains of sums as gett's), no guards,
 * and N long enough that the large operand is worth streaming: TCCG 1, 3,
 * 5, 7 (M 14-17, N 36,100-254,016), where gett's 8 x 32 micro-tile left
 * up to a third of its rows idle and packed the large operand in every
 * work-group (docs/performance.md). */
static int skinny_path(const winsum_context *ctx, int64_t M, int64_t N, int64_t K, int nguards)
{
    const int env = skinny_env();
    if (!ctx->cpu_like || env == 1 || nguards > 0 || M < 1 || M > 24 || K < 1 || K > 256) return 0;
    return env == 2 || N >= 8192;
}

static int gett_accepts(const winsum_plan *p, const ws_step_request *r)
{
    (void)p;
    return r->ninputs == 2;
}

static winsum_status gett_build(winsum_plan *p, ws_step *s, const ws_step_request *r)
{
    winsum_context *ctx = p->ctx;
    gett_state *gs = WS_STATE(s, gett_state);
    const slot *X = r->in[0], *Y = r->in[1], *C = r->c;
    const int64_t *size = r->size;
    groups gr;
    ws_classify(X, Y, C, size, r->nlabels, &gr);
    int *bl = gr.bl, *ml = gr.ml, *nl = gr.nl, *kl = gr.kl;
    int nb = gr.nb, nm = gr.nm, nn = gr.nn, nk = gr.nk;
    int64_t M = ws_group_size(ml, nm, size), N = ws_group_size(nl, nn, size);
    /* Orientation. The micro-kernel's vectors run along N, and C is stored
     * with vector stores where it is contiguous along N: so N should be the
     * side along which C is contiguous, and not narrower than a micro-tile. */
    ws_sort_by_stride(ml, nm, C->op.stride);
    ws_sort_by_stride(nl, nn, C->op.stride);
    int c_unit_m = nm > 0 && llabs(C->op.stride[ml[nm - 1]]) == 1,
        c_unit_n = nn > 0 && llabs(C->op.stride[nl[nn - 1]]) == 1;
    int64_t vec = gett_now(ctx).nr;
    int swap = ctx->cpu_like && ((N < vec && M > N) || (c_unit_m && !c_unit_n && M >= vec));
    const slot *A = X, *B = Y;
    if (swap) {
        A = Y;
        B = X;
        int *tl = ml;
        ml = nl;
        nl = tl;
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
    ws_sort_by_stride(bl, nb, C->op.stride);
    ws_sort_by_stride(ml, nm, C->op.stride);
    if (nm > 0 && llabs(C->op.stride[ml[nm - 1]]) != 1) ws_sort_by_stride(ml, nm, A->op.stride);
    ws_sort_by_stride(nl, nn, C->op.stride);
    if (nn > 0 && llabs(C->op.stride[nl[nn - 1]]) != 1) ws_sort_by_stride(nl, nn, B->op.stride);
    ws_sort_by_stride(kl, nk, A->op.stride);
    int64_t K = ws_group_size(kl, nk, size), NB = ws_group_size(bl, nb, size);
    const int skinny = skinny_path(ctx, M, N, K, A->op.nguards + B->op.nguards);
    if (skinny) {
        /* gett_skinny's vectors run along B's contiguous label (vector
         * loads; C is then stored element by element, M x 16 stores a
         * chunk, where a gather of B would take K x 16 loads): it goes
         * innermost, the rest in C's order (TCCG 3, `dbea,ec->abcd`: b,
         * d, a, so that C's lines along d fill while they are in cache) */
        ws_sort_by_stride(nl, nn, C->op.stride);
        for (int i = 0; i < nn - 1; i++)
            if (llabs(B->op.stride[nl[i]]) == 1) {
                const int u = nl[i];
                for (int j = i; j < nn - 1; j++) nl[j] = nl[j + 1];
                nl[nn - 1] = u;
                break;
            }
    } else if (ctx->cpu_like) {
        contiguous_second(ml, nm, A->op.stride, C->op.stride, size);
        contiguous_second(nl, nn, B->op.stride, C->op.stride, size);
    }
    /* C's runs along N shorter than a micro-tile (TCCG 31-47: `dega,gfbc->
     * abcdef`, runs of 12 along f, then e from A): each run is padded to
     * whole vectors (16 columns), the padding's columns repeating the last
     * one, so that every vector of a micro-tile's row holds one run from its
     * first lane and is stored from its registers with compile-time pieces
     * (gett.cl CRUN); M then runs in C's order, so that a micro-tile's rows
     * fill C's lines together. Where the runs were stored run by run, the
     * sums went through memory, reloaded at offsets the stores had not
     * written: about two thirds of the kernel's time. At most a quarter of
     * the columns are padding. */
    gett_params g = gett_now(ctx); /* the policy below changes only mc, nc, kc */
    ws_long4 unused;
    ws_run_info(&C->op, nl, nn, size, &gs->c_inner, &gs->c_st, &unused);
    const int64_t ci = gs->c_inner;
    int64_t crun = 0, cpad = 0;
    if (ctx->cpu_like && !skinny && nn >= 2 && A->op.nguards == 0 && B->op.nguards == 0 &&
        g.wgm * g.wgn == 1 && (g.vw == 4 || g.vw == 8 || g.vw == 16) && g.nr % g.vw == 0) {
        const int64_t pad = (ci + g.vw - 1) / g.vw * g.vw;
        if (gs->c_st == 1 && ci == size[nl[nn - 1]] && ci < g.nr && g.nr % pad == 0 &&
            (pad - ci) * 4 <= pad && N / ci * pad <= INT_MAX) {
            crun = ci;
            cpad = pad;
            N = N / ci * pad;
            ws_sort_by_stride(ml, nm, C->op.stride);
        }
    }
    const int64_t es = A->op.dtype == WINSUM_F64 ? 8 : 4;
    if (ctx->cpu_like) g = cpu_tile_policy(ctx, g, M, N, K, NB, es);
    winsum_status st;
    if ((st = ws_check_int(ctx, M, "M")) || (st = ws_check_int(ctx, N, "N")) ||
        (st = ws_check_int(ctx, K, "K")) || (st = ws_check_int(ctx, NB, "batch")))
        return st;
    if (NB > 65535 * 16)
        return ws_fail(&ctx->err, WINSUM_ERR_UNSUPPORTED, "einsum: batch of %lld is too large",
                       (long long)NB);
    /* the tables, counted before they are built: refuse what the device cannot hold */
    double entries =
        (double)(M + N + K + NB) * (1 + A->op.nguards + B->op.nguards) + (double)(M + N + NB);
    if (ctx->max_alloc && entries * sizeof(ws_long) > (double)ctx->max_alloc)
        return ws_fail(&ctx->err, WINSUM_ERR_MEMORY,
                       "einsum: offset tables of %.0f bytes (M %lld, N %lld, K %lld, batch %lld) "
                       "exceed the device's largest allocation (%llu bytes)",
                       entries * sizeof(ws_long), (long long)M, (long long)N, (long long)K,
                       (long long)NB, (unsigned long long)ctx->max_alloc);
    /* in the order of the kernel's ta_m .. tc_b, then ga_*, gb_* */
    const ws_tab_spec spec[9] = {
        {ml, nm, A->op.stride, 0},    {kl, nk, A->op.stride, 0},    {bl, nb, A->op.stride, 0},
        {nl, nn, B->op.stride, cpad}, {kl, nk, B->op.stride, 0},    {bl, nb, B->op.stride, 0},
        {ml, nm, C->op.stride, 0},    {nl, nn, C->op.stride, cpad}, {bl, nb, C->op.stride, 0},
    };
    tabbuf t = {0};
    long o[15];
    if (ws_tab_groups(&t, spec, 9, size, o) ||
        ws_guard_tables(&t, &A->op, ml, nm, kl, nk, bl, nb, size, &o[9], &o[10], &o[11]) ||
        ws_guard_tables(&t, &B->op, nl, nn, kl, nk, bl, nb, size, &o[12], &o[13], &o[14])) {
        free(t.v);
        return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "einsum: out of host memory for tables");
    }
    gs->unit[0] = ws_tab_unit(&t, o[0], M);
    gs->unit[1] = ws_tab_unit(&t, o[1], K);
    gs->unit[2] = ws_tab_unit(&t, o[3], N);
    gs->unit[3] = ws_tab_unit(&t, o[4], K);
    st = ws_upload_table(p, s, &t);
    free(t.v);
    if (st) return st;
    /* a valid element of each input, for the kernels' branch-free guarded loads */
    gs->a_safe = A->src.kind == SRC_INPUT && !p->empty[A->src.index] ? p->lo[A->src.index] : -1;
    gs->b_safe = B->src.kind == SRC_INPUT && !p->empty[B->src.index] ? p->lo[B->src.index] : -1;
    /* runs along the innermost label of each operand's row group */
    ws_run_info(&A->op, ml, nm, size, &gs->a_inner, &gs->a_st, &gs->a_cg);
    ws_run_info(&B->op, nl, nn, size, &gs->b_inner, &gs->b_st, &gs->b_cg);
    ws_run_info(&A->op, kl, nk, size, &gs->a_kinner, &gs->a_kst, &gs->a_kcg);
    ws_run_info(&B->op, kl, nk, size, &gs->b_kinner, &gs->b_kst, &gs->b_kcg);
    if (cpad) /* B's runs along N end at each run's padding: packed through the table */
        gs->b_inner = 1;
    gs->crun = (int)crun;
    gs->cpad = (int)cpad;
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
    ws_long ea[4] = {0, 0, 0, 0}, eb[4] = {0, 0, 0, 0};
    for (int g = 0; g < A->op.nguards; g++) ea[g] = A->op.guard[g].extent;
    for (int g = 0; g < B->op.nguards; g++) eb[g] = B->op.guard[g].extent;
    memcpy(&s->exta, ea, sizeof ea);
    memcpy(&s->extb, eb, sizeof eb);
    s->nga = A->op.nguards;
    s->ngb = B->op.nguards;

    /* More than one K block: the tiled path (gett.cl: !PERSIST) keeps two
     * tiles of running sums (group sums, totals) in local memory. Where they
     * do not fit beside the packed tiles, or for float16 on GPU-like devices
     * (whose local memory is small), one micro-tile per work-item, whose
     * sums need no tiles. */
    const int multi_kb = K > g.kc;
    const int persist = g.wgm * g.wgn > 1 && g.mc == g.wgm * g.mr && g.nc == g.wgn * g.nr;
    if (multi_kb && !persist &&
        ((A->op.dtype == WINSUM_F16 && !ctx->cpu_like) ||
         ((ws_ulong)(g.mc + g.nc + 32) * g.kc + 2 * (ws_ulong)g.mc * g.nc) * (ws_ulong)es >
             ctx->local_mem)) {
        g.mc = g.wgm * g.mr;
        g.nc = g.wgn * g.nr;
    }
    gs->tile = g;
    gs->skinny = 0;
    if (skinny) {
        /* M rows in registers, B streamed (gett.cl SKINNY): a program of
         * its own, which holds only gett_skinny */
        int kc = 16;
        while (kc < K) kc *= 2;
        /* C contiguous along the second innermost N label, B along the
         * innermost: a work-group owns one block of both, and C goes out
         * through a transpose in local memory (gett.cl STE). Measured
         * (kernel CPU, alternating): TCCG 3 (K 50, blocks 50 x 50) 0.74x,
         * TCCG 7 (K 28, 28 x 28) 1.03x, so only from K 32 on. */
        int64_t sta = 0, ste = 0;
        if (K >= 32 && nn >= 2 && B->op.stride[nl[nn - 1]] == 1 && C->op.stride[nl[nn - 2]] == 1) {
            sta = size[nl[nn - 1]];
            ste = size[nl[nn - 2]];
            if (sta < 16 || ste < 8 || sta * ste > 4096 || M * sta * ste * es > (1 << 19))
                sta = ste = 0;
        }
        char sopts[160];
        int at = snprintf(sopts, sizeof sopts, "-DSKINNY=%d -DKC=%d", (int)M, kc);
        if (sta)
            at += snprintf(sopts + at, sizeof sopts - (size_t)at, " -DSTE=%d -DSTA=%d -DSW=%d",
                           (int)ste, (int)sta, (int)(ste * sta));
        snprintf(sopts + at, sizeof sopts - (size_t)at, "%s", ws_real_opt(A->op.dtype));
        if ((st = ws_kernel_get(ctx, ws_family_gett.file, "gett_skinny", sopts, &s->kernel)))
            return st;
        gs->skinny = 1;
        s->ngl = 3;
        s->use_local = 1;
        s->local[0] = s->local[1] = s->local[2] = 1;
        const int64_t sw = sta ? sta * ste : SKINNY_SW;
        s->global[0] = (size_t)((N + sw - 1) / sw);
        s->global[1] = 1;
        s->global[2] = (size_t)NB;
        return WINSUM_OK;
    }
    /* BLIS's loop order on CPU-like devices: an operand that several
     * work-groups would pack is packed once per launch, by its own kernel,
     * into panels the step owns */
    const int64_t nmb = (M + g.mc - 1) / g.mc, nnb = (N + g.nc - 1) / g.nc,
                  nkb = (K + g.kc - 1) / g.kc;
    int packed = 0;
    const int env = pack_env();
    if (ctx->cpu_like && g.wgm * g.wgn == 1 && K > 0 && env != 1) {
        const double pa = (double)NB * (double)nmb * (double)nkb * g.kc * g.mc,
                     pb = (double)NB * (double)nnb * (double)nkb * g.kc * g.nc;
        const double out = (double)NB * (double)M * (double)N;
        packed |= pack_once(p, A, nnb, pa, NB * M * K, out, env) ? 1 : 0;
        packed |= pack_once(p, B, nmb, pb, NB * N * K, out, env) ? 2 : 0;
        const size_t es4 = A->op.dtype == WINSUM_F64 ? 8 : 4;
        for (int i = 0; i < 2; i++) {
            if (!(packed >> i & 1)) continue;
            s->scratch_bytes[i] = (size_t)(i ? pb : pa) * es4;
            if ((st = ws_mem_alloc(ctx, s->scratch_bytes[i], &s->scratch[i],
                                   "einsum packed panels")))
                return st;
        }
    }
    char opts[512], copts[48] = "";
    if (cpad) snprintf(copts, sizeof copts, " -DCRUN=%d -DCPAD=%d", (int)crun, (int)cpad);
    snprintf(opts, sizeof opts,
             "-DWGM=%d -DWGN=%d -DMR=%d -DNR=%d -DMC=%d -DNC=%d -DKC=%d -DVW=%d -DNGA=%d "
             "-DNGB=%d -DMULTI_KB=%d -DPACKED=%d%s%s",
             g.wgm, g.wgn, g.mr, g.nr, g.mc, g.nc, g.kc, g.vw, A->op.nguards, B->op.nguards,
             multi_kb, packed, copts, ws_real_opt(A->op.dtype));
    if ((st = ws_kernel_get(ctx, ws_family_gett.file, ws_family_gett.kernel, opts, &s->kernel)))
        return st;
    for (int i = 0; i < 2; i++) {
        if (!(packed >> i & 1)) continue;
        if ((st = ws_kernel_get(ctx, ws_family_gett.file, gett_pre[i].kernel, opts,
                                &s->pre_kernel[i])))
            return st;
        s->pre_global[i][0] = (size_t)(i ? nnb : nmb);
        s->pre_global[i][1] = (size_t)nkb;
        s->pre_global[i][2] = (size_t)NB;
    }
    s->ngl = 3;
    s->use_local = 1;
    s->local[0] = (size_t)g.wgn;
    s->local[1] = (size_t)g.wgm;
    s->local[2] = 1;
    s->global[0] = (size_t)((N + g.nc - 1) / g.nc) * g.wgn;
    s->global[1] = (size_t)((M + g.mc - 1) / g.mc) * g.wgm;
    s->global[2] = (size_t)NB;
    return WINSUM_OK;
}

static void gett_describe(const ws_step *s, char *buf, size_t len)
{
    char b1[16], b2[16], b3[16], runs[64] = "";
    const gett_state *gs = WS_STATE_C(s, gett_state);
    const gett_params *g = &gs->tile;
    if (gs->cpad) snprintf(runs, sizeof runs, ", C's runs of %d padded to %d", gs->crun, gs->cpad);
    snprintf(buf, len,
             "gett %s x %s -> %s: batch %lld, M %lld, N %lld, K %lld, guards %d/%d, tile "
             "%dx%dx%d (wg %dx%d, micro %dx%d)%s%s\n",
             ws_src_name(s->a, b1), ws_src_name(s->b, b2), ws_src_name(s->c, b3),
             (long long)s->nbatch, (long long)s->M, (long long)s->N, (long long)s->K, s->nga,
             s->ngb, g->mc, g->nc, g->kc, g->wgm, g->wgn, g->mr, g->nr,
             gs->skinny                             ? ", skinny (M in registers)"
             : s->pre_kernel[0] && s->pre_kernel[1] ? ", A and B packed once"
             : s->pre_kernel[0]                     ? ", A packed once"
             : s->pre_kernel[1]                     ? ", B packed once"
                                                    : "",
             runs);
}

const ws_family ws_family_gett = {
    .name = "gett",
    .file = "gett.cl",
    .kernel = "gett",
    .args = gett_args,
    .nargs = (int)(sizeof gett_args / sizeof gett_args[0]),
    .pre = gett_pre,
    .npre = 2,
    .accepts = gett_accepts,
    .build = gett_build,
    .describe = gett_describe,
};
