/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * impl_pointwise.c - the pointwise backward-weight implementation
 * (kernels/pointwise.cl): a 1x1 convolution at stride 1 without padding is
 * per group the GEMM dw[o][c] = sum over (n, p) of dy[n][o][p] * x[n][c][p],
 * and where the pixels are contiguous (NCHW and the like) its K axis is
 * contiguous in both operands. So one work-item keeps MR x NR vector
 * accumulators along K and loads whole vectors of both operands in place
 * (no copy of dy, no broadcasts, which is what the direct backward-weight
 * spends its time on for 1x1), summing one slice of K into parts that a
 * second kernel adds in order (deterministic, no atomics) before alpha and
 * beta. 1-, 2- and 3-D, groups; float16 (float sums), float32, float64.
 *
 * Declines (the direct backward-weight or einsum then takes it): another
 * direction, a kernel wider than 1, stride or padding (x's pixels are then
 * not the output's), pixels not contiguous (NHWC, strided views), images
 * of fewer pixels than a vector, and unforced the shapes where it was not
 * measured faster (see prefer()).
 */
#include "impl.h"
#include "backend.h"
#include "trace.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int lanes_of(winsum_dtype dt) { return dt == WINSUM_F64 ? 8 : 16; }

/* The register block: MR output channels x NR input channels (MR + NR
 * vector loads for MR * NR FMAs a step; MR * NR + MR + 1 vector registers
 * of the 32). WINSUM_POINTWISE_BLOCK=MR,NR fixes it (tuning). */
typedef struct pblock {
    int mr, nr;
} pblock;

static pblock choose_block(void)
{
    const char *env = getenv("WINSUM_POINTWISE_BLOCK");
    int m = 0, n = 0;
    if (env && sscanf(env, "%d,%d", &m, &n) == 2 && m >= 1 && n >= 1 && m * n <= 28)
        return (pblock){m, n};
    return (pblock){4, 6};
}

/* Pixels a slice: the slice's rows of x (Cg of them) about 1 MiB, so
 * that they stay in the L2 cache while the o blocks pass over them;
 * WINSUM_POINTWISE_SLICE overrides (tests, tuning). */
static int64_t slice_pixels(int64_t cg, size_t real)
{
    const char *env = getenv("WINSUM_POINTWISE_SLICE");
    long v = env ? strtol(env, NULL, 10) : 0;
    if (v >= 1 && v <= (1L << 30)) return v;
    int64_t sl = (int64_t)(1024 * 1024 / real) / cg;
    return sl < 256 ? 256 : sl > 8192 ? 8192 : sl;
}

/* The pixels of a canonical (N, G, C, spatial...) view are contiguous:
 * the last spatial stride 1, each other the product of the sizes after it. */
static int pixels_contiguous(const winsum_view *v, int ns)
{
    int64_t want = 1;
    for (int i = ns - 1; i >= 0; i--) {
        if (v->shape[3 + i] != 1 && v->strides[3 + i] != want) return 0;
        want *= v->shape[3 + i];
    }
    return 1;
}

/* Where it was measured faster than the direct backward-weight (notes of
 * the pointwise round; docs/performance.md): float32. float16 and float64
 * were not measured and stay on the other implementations unless forced. */
static int prefer(const ws_conv_problem *p) { return p->w->dtype == WINSUM_F32; }

static const char *pw_declines(winsum_context *ctx, const ws_conv_problem *p, int forced, char *why,
                               size_t len)
{
    const geom *g = &p->g;
    if (!ctx->be->kernels) return "a backend without kernels (the reference)";
    if (p->dir != WS_CONV_BACKWARD_WEIGHT) return "backward-weight only";
    if (p->w->dtype == WINSUM_F64 && !ctx->has_fp64) return "no float64 on the device";
    const char *no = ws_conv_plain_views(p);
    if (!no) no = ws_conv_direct_limits(g, why, len);
    if (no) return no;
    int64_t npix = 1;
    for (int i = 0; i < g->ns; i++) {
        if (g->k[i] != 1) return "a kernel wider than 1 (not pointwise)";
        if (g->s[i] != 1 || g->lo[i] != 0 || g->hi[i] != 0)
            return "stride or padding (x's pixels are not dy's)";
        npix *= g->out[i];
    }
    if (npix < lanes_of(p->w->dtype)) return "images of fewer pixels than a vector";
    if (npix > INT_MAX / 4 || g->n > INT_MAX / npix) return "more than 2^31 pixels in the batch";
    if (g->g * g->og * g->cg > INT_MAX / 2) return "a weight over 2^30 elements";
    winsum_view xc = ws_conv_canon(p->desc, g, p->x, g->g),
                yc = ws_conv_canon(p->desc, g, p->y, g->g);
    if (!pixels_contiguous(&xc, g->ns) || !pixels_contiguous(&yc, g->ns))
        return "pixels not contiguous (NHWC or a strided view)";
    if (!forced && !prefer(p)) return "measured slower than direct on this shape";
    return NULL;
}

static winsum_status pw_run(winsum_context *ctx, const ws_conv_problem *p)
{
    const geom *g = &p->g;
    const winsum_dtype dt = p->w->dtype;
    const int f64 = dt == WINSUM_F64, lanes = lanes_of(dt);
    const size_t real = f64 ? sizeof(double) : sizeof(float);
    const winsum_view xc = ws_conv_canon(p->desc, g, p->x, g->g), wc = ws_conv_canon_w(g, p->w),
                      yc = ws_conv_canon(p->desc, g, p->y, g->g);
    const pblock b = choose_block();
    int64_t npix = 1;
    for (int i = 0; i < g->ns; i++) npix *= g->out[i];
    const int64_t K = g->n * npix, nob = (g->og + b.mr - 1) / b.mr, ncb = (g->cg + b.nr - 1) / b.nr,
                  items = g->g * nob * ncb;
    /* slices: about slice_pixels() each, a multiple of the vector, and
     * enough of them that every compute unit gets several work-items */
    int64_t sl = slice_pixels(g->cg, real);
    const int64_t want = 8 * (int64_t)ctx->compute_units;
    if (items * ((K + sl - 1) / sl) < want) sl = (K * items + want - 1) / want;
    sl = (sl + lanes - 1) / lanes * lanes;
    const int64_t nsl = (K + sl - 1) / sl;
    int64_t npart;
    if (ws_mul_ovf(nsl, g->g * g->og * g->cg, &npart) || npart > (int64_t)(SIZE_MAX / 8 / real) ||
        items > INT_MAX || nsl > INT_MAX || sl > INT_MAX)
        return ws_fail(&ctx->err, WINSUM_ERR_OVERFLOW, "%s: the pointwise scratch overflows",
                       p->who);
    ws_mem scr;
    winsum_status st = ws_conv_scratch(ctx, "conv pointwise scratch", (size_t)npart * real, &scr);
    if (st) return st;

    char opts[64];
    snprintf(opts, sizeof opts, "-DMR=%d -DNR=%d%s", b.mr, b.nr,
             f64                ? " -DWS_FP64"
             : dt == WINSUM_F16 ? " -DWS_FP16"
                                : "");
    ws_kernel km, kf;
    if ((st = ws_kernel_get(ctx, "pointwise.cl", "pw_weight", opts, &km)) ||
        (st = ws_kernel_get(ctx, "pointwise.cl", "pw_finish", opts, &kf)))
        return st;
    ws_mem xm = ws_buffer_mem(p->x->buffer), ym = ws_buffer_mem(p->y->buffer),
           wm = ws_buffer_mem(p->w->buffer);
    cl_long4 xs4 = {{xc.offset, xc.strides[0], xc.strides[1], xc.strides[2]}};
    cl_long4 ys4 = {{yc.offset, yc.strides[0], yc.strides[1], yc.strides[2]}};
    cl_long4 ws4 = {{wc.offset, wc.strides[0], wc.strides[1], wc.strides[2]}};
    cl_int G = (cl_int)g->g, Og = (cl_int)g->og, Cg = (cl_int)g->cg, NSL = (cl_int)nsl;
    cl_int16 geo = {{(cl_int)g->n, G, Cg, Og, (cl_int)npix, (cl_int)nob, (cl_int)ncb, (cl_int)sl,
                     NSL, 0, 0, 0, 0, 0, 0, 0}};
    float alf = (float)p->alpha, bef = (float)p->beta;
    double ald = p->alpha, bed = p->beta;
    if (ctx->verbose) {
        char line[128];
        snprintf(line, sizeof line, "pointwise{mr%d nr%d items %lldx%lld slice %lld}", b.mr, b.nr,
                 (long long)items, (long long)nsl, (long long)sl);
        ws_trace_plan(ctx, line);
    }
    /* CPU-like devices run a group's items one after another: one item a
     * group keeps the slice's items in order across the compute units */
    const size_t wg = ctx->cpu_like ? 1 : 64;
    size_t ml[2] = {wg < ctx->max_wg ? wg : ctx->max_wg, 1};
    size_t mg[2] = {ws_round_up((size_t)items, ml[0]), (size_t)nsl};
    const ws_arg ma[] = {WS_MEM(xm),  WS_VAL(xs4), WS_MEM(ym),
                         WS_VAL(ys4), WS_MEM(scr), WS_VAL(geo)};
    const ws_launch lm = {.kernel = km,
                          .name = "pw_weight",
                          .what = "conv pointwise",
                          WS_ARGS(ma),
                          .dims = 2,
                          .global = mg,
                          .local = ml};
    /* only the scratch is written before pw_finish: a failed launch
     * leaves w untouched */
    if ((st = ws_launch_kernel(ctx, &lm))) return st;
    const size_t ne = (size_t)(g->g * g->og * g->cg);
    size_t fl[1] = {ctx->max_wg < 64 ? ctx->max_wg : 64};
    size_t fg[1] = {ws_round_up(ne, fl[0])};
    const ws_arg fa[] = {WS_MEM(scr),
                         WS_MEM(wm),
                         WS_VAL(ws4),
                         WS_VAL(G),
                         WS_VAL(Og),
                         WS_VAL(Cg),
                         WS_VAL(NSL),
                         f64 ? WS_VAL(ald) : WS_VAL(alf),
                         f64 ? WS_VAL(bed) : WS_VAL(bef)};
    const ws_launch lf = {.kernel = kf,
                          .name = "pw_finish",
                          .what = "conv pointwise",
                          WS_ARGS(fa),
                          .dims = 1,
                          .global = fg,
                          .local = fl,
                          .record = 1};
    return ws_launch_kernel(ctx, &lf);
}

const ws_conv_impl ws_conv_impl_pointwise = {"pointwise", pw_declines, pw_run};
