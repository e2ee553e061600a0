/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * impl_direct.c - the direct-convolution implementation (kernels/direct.cl),
 * forward: the input read through its strides in any layout, the weights
 * reordered on every call into scratch this layer owns (ws_conv_state),
 * one register block of WB output pixels x OCB * 16 output channels (8 in
 * float64) per work-item, padding by loop bounds and an interior test, no
 * copy of the input. 1-, 2- and 3-D, any stride, dilation, padding and
 * groups; float16, float32, float64. Backward-data is the same kernel,
 * per phase of the input gradient (phase_axis()), the phases' items in
 * one launch (or, WINSUM_DIRECT_PHASES=split, one launch each), so a strided
 * backward-data reads no zeros and needs no split into sub-problems; with
 * few channels (the 7x7/2 stem's 3) all the phases in one launch whose
 * lanes are (phase, channel) (sub_pixel()). One reorder of the weights a
 * call serves every launch.
 *
 * Unforced it takes only the shapes where it was measured faster than the
 * einsum path (see prefer()), and on CPU-like devices no tiny layer (see
 * tiny()); WINSUM_CONV_IMPL=direct lifts that.
 */
#include "impl.h"
#include "trace.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The geometry in the kernel's terms: three spatial axes (D, H, W), the
 * missing leading ones of size 1. */
typedef struct dgeom {
    int64_t in[3], out[3], k[3], s[3], d[3], lo[3];
    int64_t xs[3], ys[3], ws[3]; /* spatial strides of x, y, w */
} dgeom;

static void to_3d(const ws_conv_problem *p, int bwd, const winsum_view *xc, const winsum_view *wc,
                  const winsum_view *yc, dgeom *d)
{
    const geom *g = &p->g;
    for (int i = 0; i < 3; i++) {
        int j = i - (3 - g->ns);
        d->in[i] = j < 0 ? 1 : bwd ? g->out[j] : g->in[j];
        d->out[i] = j < 0 ? 1 : bwd ? g->in[j] : g->out[j];
        d->k[i] = j < 0 ? 1 : g->k[j];
        d->s[i] = j < 0 ? 1 : g->s[j];
        d->d[i] = j < 0 ? 1 : g->d[j];
        d->lo[i] = j < 0 ? 0 : g->lo[j];
        d->xs[i] = j < 0 ? 0 : xc->strides[3 + j];
        d->ys[i] = j < 0 ? 0 : yc->strides[3 + j];
        d->ws[i] = j < 0 ? 0 : wc->strides[3 + j];
    }
}

/* One launch of the kernel: a stride-1 or forward convolution of the
 * kernel's input over the output positions first + step * j, with taps
 * t = 0..k-1 reading weight tap tap0 + tstep * t. */
typedef struct phase {
    int64_t out[3], k[3], s[3], d[3], lo[3];
    int64_t first[3], step[3], tap0[3], tstep[3];
} phase;

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Backward-data along one axis splits into s phases by the input-gradient
 * position x = r + s * j (r < s): dx[x] sums dy[o] * w[k] over o * s - lo
 * + k * dl = x, so the taps that reach phase r are one class k = k0 + m *
 * s' (s' = s / gcd(s, dl)), and along j they read dy at stride 1 and
 * dilation dl' = dl / gcd: the forward convolution of dy with those taps
 * flipped, padded by (M - 1) * dl' - (r + lo - k0 * dl) / s. At stride 1
 * this is the one phase r = 0, all taps flipped. A phase that no tap
 * reaches (gcd > 1) has k = 0: its outputs are alpha * 0 + beta * dx. */
static void phase_axis(const dgeom *d, int bwd, int i, int64_t r, phase *ph)
{
    if (!bwd) {
        ph->out[i] = d->out[i], ph->k[i] = d->k[i], ph->s[i] = d->s[i], ph->d[i] = d->d[i];
        ph->lo[i] = d->lo[i], ph->first[i] = 0, ph->step[i] = 1, ph->tap0[i] = 0;
        ph->tstep[i] = 1;
        return;
    }
    const int64_t s = d->s[i], dl = d->d[i], K = d->k[i], lo = d->lo[i], X = d->out[i];
    const int64_t q = gcd64(s, dl), sp = s / q, dp = dl / q;
    int64_t k0 = -1;
    for (int64_t k = 0; k < sp && k < K && k0 < 0; k++)
        if (((r + lo - k * dl) % s + s) % s == 0) k0 = k;
    const int64_t M = k0 < 0 ? 0 : (K - 1 - k0) / sp + 1;
    ph->out[i] = X > r ? (X - r + s - 1) / s : 0;
    ph->k[i] = M;
    ph->s[i] = 1;
    ph->d[i] = dp;
    ph->lo[i] = M ? (M - 1) * dp - (r + lo - k0 * dl) / s : 0;
    ph->first[i] = r;
    ph->step[i] = s;
    ph->tap0[i] = M ? k0 + (M - 1) * sp : 0;
    ph->tstep[i] = -sp;
}

/* The sub-pixel form of a strided backward-data (kernels/direct.cl,
 * direct_reorder_sub): every phase in one stride-1 convolution of dy whose
 * output channels are (phase, channel), so C channels fill phases x C
 * lanes where a launch a phase filled C (the 7x7/2 stem: 12 of 16 lanes,
 * not 3). Along an axis, phase r reads dy at j + e for its taps k, e = (r
 * + lo - k) / s; the window over every phase's e is emin..emax, its taps
 * the zero-padded union. Taken when that fits one vector of lanes, every
 * dilation is 1 and every phase has as many outputs (s divides dx's size).
 * Returns 1 when it applies, with the window in sp (per axis: taps k,
 * padding lo, ta = lo - s * emin, outputs a phase), else 0. */
typedef struct subpix {
    int64_t k[3], lo[3], ta[3], out[3];
} subpix;

static int sub_pixel(const dgeom *d, int bwd, int64_t ko, int lanes, subpix *sp)
{
    int64_t phases = 1;
    for (int i = 0; i < 3; i++) phases *= d->s[i];
    if (!bwd || phases < 2 || ko * phases > lanes) return 0;
    for (int i = 0; i < 3; i++) {
        const int64_t s = d->s[i], lo = d->lo[i];
        if (d->d[i] != 1 || d->out[i] % s) return 0;
        int64_t emin = INT64_MAX, emax = INT64_MIN;
        for (int64_t r = 0; r < s; r++)
            for (int64_t k = 0; k < d->k[i]; k++)
                if ((r + lo - k) % s == 0) {
                    const int64_t e = (r + lo - k) / s;
                    emin = e < emin ? e : emin;
                    emax = e > emax ? e : emax;
                }
        if (emin > emax) return 0; /* no tap at all */
        sp->k[i] = emax - emin + 1;
        sp->lo[i] = -emin;
        sp->ta[i] = lo - s * emin;
        sp->out[i] = d->out[i] / s;
    }
    return 1;
}

/* Launch f's phase: phase f of the input gradient's (f = (rd * nph[1] +
 * rh) * nph[2] + rw), or with sp the sub-pixel form's one launch (a
 * stride-1 convolution over sp's window, its outputs at step s). */
static void phase_of(const dgeom *d, int bwd, const subpix *sp, const int64_t nph[3], int64_t f,
                     phase *ph)
{
    if (!sp) {
        phase_axis(d, bwd, 0, f / (nph[1] * nph[2]), ph);
        phase_axis(d, bwd, 1, f / nph[2] % nph[1], ph);
        phase_axis(d, bwd, 2, f % nph[2], ph);
        return;
    }
    for (int i = 0; i < 3; i++) {
        ph->out[i] = sp->out[i], ph->k[i] = sp->k[i], ph->s[i] = 1, ph->d[i] = 1;
        ph->lo[i] = sp->lo[i], ph->first[i] = 0, ph->step[i] = d->s[i], ph->tap0[i] = 0;
        ph->tstep[i] = 1;
    }
}

/* The register block: WB pixels, OCB vectors of lanes. */
static int lanes_of(winsum_dtype dt) { return dt == WINSUM_F64 ? 8 : 16; }

static void choose_block(winsum_dtype dt, int64_t ko, int64_t ow, int *wb, int *ocb)
{
    /* WINSUM_DIRECT_BLOCK=WB,OCB (1..28, 1..4): a fixed block, for tuning */
    const char *env = getenv("WINSUM_DIRECT_BLOCK");
    int w = 0, o = 0;
    if (env && sscanf(env, "%d,%d", &w, &o) == 2 && w >= 1 && w <= 28 && o >= 1 && o <= 4) {
        *wb = w;
        *ocb = o;
        return;
    }
    int lanes = lanes_of(dt);
    /* on 3x3 64@56 and 256@14 the blocks below were the best of 14x1, 8x4,
     * 6x4, 4x4, 7x4, 14x2 within the noise. The 7x7/2 3->64@224 stem had
     * its own 4 x 4 until its 3 channels a tap were unrolled and y stored
     * in rows; since, 8 x 2 takes 1.05x less CPU time than 4 x 4 (6 of 6
     * alternating rounds in one process, WINSUM_DIRECT_BLOCK, load 4-5;
     * 6x4 1.08x, 7x4 1.18x, 14x2 1.13x, 16x1 1.33x more), and it is the
     * 3x3 64@56 layer's program, one build fewer */
    *ocb = ko > lanes ? 2 : 1;
    /* WB from a few, the one with the least waste past the row's end
     * (ties: the larger) */
    static const int cand1[] = {14, 12, 10, 8};
    static const int cand2[] = {8, 7, 6};
    const int *cand = *ocb == 1 ? cand1 : cand2;
    int nc = *ocb == 1 ? 4 : 3, best = cand[0];
    int64_t bestw = INT64_MAX;
    for (int i = 0; i < nc; i++) {
        int64_t waste = (ow + cand[i] - 1) / cand[i] * cand[i] - ow;
        if (waste < bestw) bestw = waste, best = cand[i];
    }
    *wb = best;
}

/* Multiply-adds at or under which a layer is left to einsum (tiny()):
 * 2^21, or WINSUM_DIRECT_TINY (0: none; for tests and measuring). */
static double tiny_macs(void)
{
    const char *env = getenv("WINSUM_DIRECT_TINY");
    char *end = NULL;
    double v = env ? strtod(env, &end) : 0;
    return env && end != env && *end == 0 && v >= 0 ? v : (double)(1 << 21);
}

/* A tiny layer (at most tiny_macs() multiply-adds) on a CPU-like device:
 * einsum, one GETT launch against the reorder's and the kernel's, and one
 * program for every direction (family_gett.c gives tiny problems one
 * tile): forward 3x3 16->16@8 batch 1 0.092-0.103 ms direct vs
 * 0.031-0.038 einsum, backward-data 0.098-0.110 vs 0.032-0.033, 32->32@8
 * 0.130 vs 0.044-0.051, batch 2 16->16@16 (1.2M) 0.110 vs 0.078; 4 x
 * 32->32@16 (9.4M) 0.18 vs 0.20-0.30: direct (alternating,
 * POCL_AFFINITY=1, load 6-7). Cold start of 3x3 16->16@8 forward +
 * backward: 2.41 -> 0.95 s of CPU (medians of 5, alternating with the code
 * before, load 4-5). GPU-like devices: not measured. */
static int tiny(const winsum_context *ctx, const ws_conv_problem *p)
{
    const geom *g = &p->g;
    double macs = (double)g->n * (double)g->g * (double)g->og * (double)g->cg;
    for (int i = 0; i < g->ns; i++) macs *= (double)g->k[i] * (double)g->out[i];
    return ctx->cpu_like && macs <= tiny_macs();
}

/* Measured faster than the einsum path (winsum-bench conv OP, ResNet
 * layers, batch 8, float32, NCHW, 2026-12-02, load ~2.5-3 on 2 cores),
 * direct vs einsum GFLOP/s: forward 3x3 64@56 164 vs 98, 3x3 256@14 178
 * vs 64, 3x3/2 128@28 268 vs 54, 7x7/2 3->64@224 80 vs 80, 1x1
 * 256->64@56 76 vs 90, depthwise 3x3 1.3 vs 4.6; backward-data 3x3
 * 64@56 106 vs 85, 3x3 256@14 156 vs 66; backward-data at stride 2
 * (phases; process CPU time a call, alternating in one process, load
 * 8-9) 3x3/2 128@28 1.31x, 7x7/2 3->64@224 1.56x even with 3 of 16
 * lanes used, NHWC 3x3/2 0.62x. float64 (the same way) 3x3 256@14
 * 1.49x, 64@56 1.02x, backward-data 64@56 1.14x (an earlier 4.1 vs
 * 5.8 GFLOP/s, from loaded wall times, did not repeat); float16 49 vs
 * 46; NHWC (alternating runs, loaded) 3x3 1.3-1.5x, stride 2 and 7x7
 * 0.94-0.99x. So: a spatial kernel (more than one tap), at least 16
 * output channels a group in the kernel's terms (forward: the filters;
 * backward-data: the input channels; backward-data at stride > 1 any),
 * and in NHWC stride 1. */
static int prefer(const ws_conv_problem *p)
{
    const geom *g = &p->g;
    int64_t ko = p->dir == WS_CONV_FORWARD ? g->og : g->cg,
            kc = p->dir == WS_CONV_FORWARD ? g->cg : g->og, taps = 1;
    int strided = 0;
    for (int i = 0; i < g->ns; i++) taps *= g->k[i], strided |= g->s[i] != 1;
    if (p->desc->layout == WINSUM_LAYOUT_NHWC && strided) return 0;
    if (p->dir == WS_CONV_BACKWARD_DATA && strided) return taps > 1 && kc * taps >= 16;
    return ko >= 16 && taps > 1 && kc * taps >= 16;
}

static const char *direct_declines(winsum_context *ctx, const ws_conv_problem *p, int forced,
                                   char *why, size_t len)
{
    const geom *g = &p->g;
    if (!ctx->be->kernels) return "a backend without kernels (the reference)";
    if (p->dir == WS_CONV_BACKWARD_WEIGHT) return "forward and backward-data only";
    if (p->y->dtype == WINSUM_F64 && !ctx->has_fp64) return "no float64 on the device";
    const char *no = ws_conv_plain_views(p);
    if (!no) no = ws_conv_direct_limits(g, why, len);
    if (no) return no;
    if (!forced && tiny(ctx, p)) return "a tiny layer: einsum (one launch, one program)";
    if (!forced && !prefer(p)) return "measured slower than einsum on this shape";
    return NULL;
}

static winsum_status direct_run(winsum_context *ctx, const ws_conv_problem *p)
{
    const geom *g = &p->g;
    const winsum_dtype dt = p->y->dtype;
    const int f64 = dt == WINSUM_F64;
    const size_t real = f64 ? sizeof(double) : sizeof(float);
    /* the kernel's input src, output dst, its channels a group kc -> ko */
    const int bwd = p->dir == WS_CONV_BACKWARD_DATA;
    const winsum_view *src = bwd ? p->y : p->x, *dst = bwd ? p->x : p->y;
    const int64_t kc = bwd ? g->og : g->cg, ko = bwd ? g->cg : g->og;
    winsum_view xc = ws_conv_canon(p->desc, g, src, g->g), wc = ws_conv_canon_w(g, p->w),
                yc = ws_conv_canon(p->desc, g, dst, g->g);
    dgeom d;
    to_3d(p, bwd, &xc, &wc, &yc, &d);
    /* the phases (backward-data: s per strided axis), each its own launch */
    const int64_t nph[3] = {bwd ? d.s[0] : 1, bwd ? d.s[1] : 1, bwd ? d.s[2] : 1};
    /* or all in one (sub_pixel): its output channels (phase, channel) */
    subpix sp;
    const int sub = sub_pixel(&d, bwd, ko, lanes_of(dt), &sp);
    /* or all in one launch of the same kernel (merge): dimension 1 (n, g,
     * ob, phase), each item its phase's geometry from a table (direct.cl).
     * On a quiet machine (load 0.3-0.6) the 3x3/2 128@28 backward-data,
     * batch 8, ran at 265-307 GFLOP/s in 5 of 5 fresh processes merged,
     * against 158-241 (4 of 5 at 158-169, one core's speed) a launch a
     * phase: with a launch a phase PoCL's second thread mostly sat out.
     * The process CPU time a call is about the same either way (under load,
     * alternating in one process: 128@28 0-3% more merged, 256@28 1-9% and
     * 512@14 3-7% less). WINSUM_DIRECT_PHASES=split: a launch a phase */
    const char *penv = getenv("WINSUM_DIRECT_PHASES");
    const int merge = !sub && nph[0] * nph[1] * nph[2] > 1 && nph[0] + nph[1] + nph[2] <= 8 &&
                      !(penv && !strcmp(penv, "split"));
    const int64_t phases = sub || merge ? 1 : nph[0] * nph[1] * nph[2];
    const int64_t kox = sub ? ko * nph[0] * nph[1] * nph[2] : ko;
    /* wr's taps along each axis */
    const int64_t tk[3] = {sub ? sp.k[0] : d.k[0], sub ? sp.k[1] : d.k[1], sub ? sp.k[2] : d.k[2]};
    phase ph0;
    for (int i = 0; i < 3; i++) phase_axis(&d, bwd, i, 0, &ph0);
    int wb, ocb;
    choose_block(dt, kox, sub ? sp.out[2] : ph0.out[2], &wb, &ocb);
    const int bw = ocb * lanes_of(dt);
    const int64_t nob = (kox + bw - 1) / bw;
    const int64_t taps = tk[0] * tk[1] * tk[2];
    /* the reordered weights: G * NOB * Cg * taps * BW reals, one reorder for
     * every phase (the phases' taps partition the kernel's) */
    int64_t elems;
    if (ws_mul_ovf(g->g * nob, kc, &elems) || ws_mul_ovf(elems, taps * bw, &elems) ||
        elems > (int64_t)(SIZE_MAX / 2 / real))
        return ws_fail(&ctx->err, WINSUM_ERR_OVERFLOW, "%s: the reordered weights overflow",
                       p->who);
    ws_mem wr;
    winsum_status st =
        ws_conv_scratch(ctx, "conv direct weights", (size_t)(elems ? elems : 1) * real, &wr);
    if (st) return st;

    /* the step between a block's pixels in x, compiled in when 1 or 2
     * (NCHW at stride 1 or 2, every backward-data phase: stride 1): their
     * reads are then constant offsets (direct.cl, PX) */
    const int64_t px = (bwd ? 1 : d.s[2]) * d.xs[2];
    char pxo[32] = "";
    if (px == 1 || px == 2) snprintf(pxo, sizeof pxo, " -DPX=%d", (int)px);
    /* a forward with few channels in one summation block (the RGB stem):
     * their count compiled in, the loops over them unrolled */
    const int64_t ftaps = d.k[0] * d.k[1] * d.k[2];
    if (!bwd && kc <= 4 && (ftaps >= 256 ? 1 : 256 / ftaps) >= kc) {
        const size_t n = strlen(pxo);
        snprintf(pxo + n, sizeof pxo - n, " -DCG=%d", (int)kc);
    }
    char opts[96];
    snprintf(opts, sizeof opts, "-DWB=%d -DOCB=%d%s%s", wb, ocb, pxo,
             f64                ? " -DWS_FP64"
             : dt == WINSUM_F16 ? " -DWS_FP16"
                                : "");
    ws_kernel kr, kf;
    if ((st = ws_kernel_get(ctx, "direct.cl", sub ? "direct_reorder_sub" : "direct_reorder", opts,
                            &kr)) ||
        (st = ws_kernel_get(ctx, "direct.cl", "direct_forward", opts, &kf)))
        return st;

    ws_mem xm = ws_buffer_mem(src->buffer), wm = ws_buffer_mem(p->w->buffer),
           ym = ws_buffer_mem(dst->buffer), bm = p->bias ? ws_buffer_mem(p->bias->buffer) : ym;
    /* the weights by (g, kernel output channel, kernel input channel, taps):
     * backward-data swaps the channels */
    ws_long8 ws8 = {{wc.offset, wc.strides[0], wc.strides[bwd ? 2 : 1], wc.strides[bwd ? 1 : 2],
                     d.ws[0], d.ws[1], d.ws[2], 0}};
    ws_int G = (ws_int)g->g, Og = (ws_int)kox, Cg = (ws_int)kc, NOB = (ws_int)nob;
    ws_long8 xs8 = {
        {xc.offset, xc.strides[0], xc.strides[1], xc.strides[2], d.xs[0], d.xs[1], d.xs[2], 0}};
    ws_long2 bs2 = {{p->bias ? p->bias->offset : 0, p->bias ? p->bias->strides[0] : 0}};
    ws_int has_bias = p->bias != NULL;
    float alf = (float)p->alpha, bef = (float)p->beta;
    double ald = p->alpha, bed = p->beta;
    /* work-groups: GPU-like, 64 items along the pixels; CPU-like (PoCL
     * runs a group's items one after another), up to 8 */
    const size_t wgr = ctx->cpu_like ? 1 : 64, wgf = ctx->cpu_like ? 8 : 64;
    size_t rl[2] = {wgr < ctx->max_wg ? wgr : ctx->max_wg, 1};
    size_t rg[2] = {ws_round_up((size_t)(g->g * nob * kc), rl[0]), 1};
    /* the weight's taps in their order; the items with ob fastest where the
     * reorder's reads are then consecutive (the kernel's output channels
     * are the weight's small stride: backward-data) */
    ws_int KDf = (ws_int)d.k[0], KHf = (ws_int)d.k[1], KWf = (ws_int)d.k[2];
    ws_int8 tmap = {{0, 1, 0, 1, 0, 1, ws8.s[2] < ws8.s[3], 0}};
    ws_long wo0 = 0;
    const ws_arg ra[] = {WS_MEM(wm),  WS_VAL(ws8), WS_MEM(wr),  WS_VAL(wo0),
                         WS_VAL(G),   WS_VAL(Og),  WS_VAL(Cg),  WS_VAL(KDf),
                         WS_VAL(KHf), WS_VAL(KWf), WS_VAL(NOB), WS_VAL(tmap)};
    ws_int8 sv = {{(ws_int)d.s[0], (ws_int)d.s[1], (ws_int)d.s[2], (ws_int)sp.ta[0],
                   (ws_int)sp.ta[1], (ws_int)sp.ta[2], (ws_int)d.k[0], (ws_int)d.k[1]}};
    ws_int kfw = (ws_int)d.k[2], C = (ws_int)ko;
    if (sub) KDf = (ws_int)tk[0], KHf = (ws_int)tk[1], KWf = (ws_int)tk[2];
    const ws_arg rsa[] = {WS_MEM(wm), WS_VAL(ws8), WS_MEM(wr),  WS_VAL(G),   WS_VAL(Og),
                          WS_VAL(Cg), WS_VAL(KDf), WS_VAL(KHf), WS_VAL(KWf), WS_VAL(NOB),
                          WS_VAL(sv), WS_VAL(kfw), WS_VAL(C)};
    const ws_launch lr = sub ? (ws_launch){.kernel = kr,
                                           .name = "direct_reorder_sub",
                                           WS_ARGS(rsa),
                                           .dims = 2,
                                           .global = rg,
                                           .local = rl}
                             : (ws_launch){.kernel = kr,
                                           .name = "direct_reorder",
                                           WS_ARGS(ra),
                                           .dims = 2,
                                           .global = rg,
                                           .local = rl};
    /* the sub-pixel form's lanes: (C, phases along d, h, w, dx's steps) */
    ws_long8 sub8 = {{sub ? ko : 0, nph[0], nph[1], nph[2], d.ys[0], d.ys[1], d.ys[2], 0}};

    /* merge: the items of the largest phase along dimension 0 */
    int64_t last = -1, mitems = 0;
    for (int64_t f = 0; f < nph[0] * nph[1] * nph[2]; f++) {
        phase ph;
        phase_of(&d, bwd, sub ? &sp : NULL, nph, f, &ph);
        const int64_t it = (ph.out[2] + wb - 1) / wb * ph.out[1] * ph.out[0];
        mitems = it > mitems ? it : mitems;
        if (ph.out[0] * ph.out[1] * ph.out[2] > 0) last = f < phases ? f : 0;
    }
    /* merge: the phases along (d, h, w), each axis's dilation and tap step
     * (phase_axis(): the same for its every phase), wr's taps, 1 (merged);
     * pt: a row (outputs, taps, padding, first tap) for each axis and
     * phase along it, the axes one after another (at most 8 rows) */
    ws_int16 pm = {{0}}, pt[2] = {{{0}}, {{0}}};
    if (merge) {
        int row = 0;
        for (int i = 0; i < 3; i++)
            for (int64_t r = 0; r < nph[i]; r++, row++) {
                phase ph;
                phase_axis(&d, bwd, i, r, &ph);
                ws_int *t = &pt[row / 4].s[row % 4 * 4];
                t[0] = (ws_int)ph.out[i], t[1] = (ws_int)ph.k[i], t[2] = (ws_int)ph.lo[i];
                t[3] = (ws_int)ph.tap0[i];
                pm.s[i] = (ws_int)nph[i], pm.s[3 + i] = (ws_int)ph.d[i];
                pm.s[6 + i] = (ws_int)ph.tstep[i], pm.s[9 + i] = (ws_int)tk[i];
            }
        pm.s[15] = 1;
    }
    /* several launches write the output: all-or-nothing behind the gate
     * (unless an enclosing operation holds it). The backend keeps the gated
     * launches' events until the gate is closed (backend_opencl.c: PoCL 3.1
     * aborts, pocl_update_event_failed, when a failed gate terminates
     * launches whose events nobody holds, from the third on) */
    const int own = last > 0 && !ws_gate_held(ctx);
    if (own && (st = ws_gate_open(ctx))) return st;
    if (last >= 0) st = ws_launch_kernel(ctx, &lr);
    for (int64_t f = 0; f <= last && !st; f++) {
        phase ph;
        phase_of(&d, bwd, sub ? &sp : NULL, nph, f, &ph);
        if (ph.out[0] * ph.out[1] * ph.out[2] == 0) continue;
        const int64_t ptaps = ph.k[0] * ph.k[1] * ph.k[2];
        const int64_t nwb = (ph.out[2] + wb - 1) / wb;
        /* the summation blocks: CB channels of taps terms, ~256 terms */
        int64_t cb = ptaps >= 256 ? 1 : ptaps ? 256 / ptaps : kc;
        if (cb > kc) cb = kc;
        int64_t nblk = (kc + cb - 1) / cb, gs = (int64_t)ceil(sqrt((double)nblk));
        if (gs < 1) gs = 1;
        ws_int KD = (ws_int)ph.k[0], KH = (ws_int)ph.k[1], KW = (ws_int)ph.k[2];
        /* this phase's tap (kd, kh, kw) is the weight's tap (tap0 + tstep *
         * k) along each axis: wo its tap (0, 0, 0), steps in taps */
        ws_long wo = merge ? 0 : ((ph.tap0[0] * tk[1] + ph.tap0[1]) * tk[2] + ph.tap0[2]) * kc * bw;
        ws_int tsd = (ws_int)(ph.tstep[0] * tk[1] * tk[2]), tsh = (ws_int)(ph.tstep[1] * tk[2]),
               tsw = (ws_int)ph.tstep[2];

        /* this phase's outputs: first + step * j along each axis (merge:
         * the kernel's) */
        if (merge)
            for (int i = 0; i < 3; i++) ph.first[i] = 0, ph.step[i] = 1;
        ws_long8 ys8 = {
            {yc.offset + ph.first[0] * d.ys[0] + ph.first[1] * d.ys[1] + ph.first[2] * d.ys[2],
             yc.strides[0], yc.strides[1], yc.strides[2], ph.step[0] * d.ys[0],
             ph.step[1] * d.ys[1], ph.step[2] * d.ys[2], 0}};
        ws_int16 geo = {{(ws_int)g->n, G, Cg, Og, (ws_int)d.in[0], (ws_int)d.in[1], (ws_int)d.in[2],
                         (ws_int)ph.out[0], (ws_int)ph.out[1], (ws_int)ph.out[2], KD, KH, KW, NOB,
                         (ws_int)nwb, (ws_int)cb}};
        ws_int16 cv = {{(ws_int)ph.s[0], (ws_int)ph.s[1], (ws_int)ph.s[2], (ws_int)ph.d[0],
                        (ws_int)ph.d[1], (ws_int)ph.d[2], (ws_int)ph.lo[0], (ws_int)ph.lo[1],
                        (ws_int)ph.lo[2], (ws_int)gs, tsd, tsh, tsw, (ws_int)taps, 0, 0}};
        const ws_arg fa[] = {WS_MEM(xm),
                             WS_VAL(xs8),
                             WS_MEM(wr),
                             WS_VAL(wo),
                             WS_MEM(bm),
                             WS_VAL(bs2),
                             WS_VAL(has_bias),
                             WS_MEM(ym),
                             WS_VAL(ys8),
                             WS_VAL(geo),
                             WS_VAL(cv),
                             f64 ? WS_VAL(ald) : WS_VAL(alf),
                             f64 ? WS_VAL(bed) : WS_VAL(bef),
                             WS_VAL(sub8),
                             WS_VAL(pm),
                             WS_VAL(pt[0]),
                             WS_VAL(pt[1])};

        size_t items = (size_t)(merge ? mitems : nwb * ph.out[1] * ph.out[0]);
        size_t fl[2] = {wgf < ctx->max_wg ? wgf : ctx->max_wg, 1};
        if (fl[0] > items) fl[0] = items;
        size_t fg[2] = {ws_round_up(items, fl[0]),
                        (size_t)(g->n * g->g * nob * (merge ? nph[0] * nph[1] * nph[2] : 1))};
        if (ctx->verbose && f == 0) {
            char line[160];
            snprintf(line, sizeof line,
                     "direct{wb%d ocb%d blocks %zux%zu groups %zu phases %lld%s}", wb, ocb, items,
                     fg[1], fl[0], (long long)(nph[0] * nph[1] * nph[2]),
                     sub     ? " sub-pixel"
                     : merge ? " merged"
                             : "");
            ws_trace_plan(ctx, line);
        }
        /* the call's last kernel: winsum_last_event */
        const ws_launch lf = {.kernel = kf,
                              .name = bwd ? "direct_forward (backward-data)" : "direct_forward",
                              WS_ARGS(fa),
                              .dims = 2,
                              .global = fg,
                              .local = fl,
                              .record = f == last};
        st = ws_launch_kernel(ctx, &lf);
    }
    if (own) st = ws_gate_close(ctx, st);
    return st;
}

const ws_conv_impl ws_conv_impl_direct = {"direct", direct_declines, direct_run};
