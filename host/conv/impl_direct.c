/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * impl_direct.c - the direct-convolution implementation (kernels/direct.cl),
 * forward: the input read through its strides in any layout, the weights
 * reordered on every call into scratch this layer owns (ws_conv_state),
 * one register block of WB output pixels x OCB * 16 output channels (8 in
 * float64) per work-item, padding by loop bounds and an interior test, no
 * copy of the input. 1-, 2- and 3-D, any stride, dilation, padding and
 * groups; float16, float32, float64.
 *
 * Unforced it takes only the shapes where it was measured faster than the
 * einsum path (see prefer()); WINSUM_CONV_IMPL=direct lifts that.
 */
#include "impl.h"
#include "program.h"
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
        /* backward-data at stride 1: the forward convolution of dy with
         * the flipped weights, padded by d*(k-1) - lo (maybe negative) */
        d->lo[i] = j < 0 ? 0 : bwd ? g->d[j] * (g->k[j] - 1) - g->lo[j] : g->lo[j];
        d->xs[i] = j < 0 ? 0 : xc->strides[3 + j];
        d->ys[i] = j < 0 ? 0 : yc->strides[3 + j];
        d->ws[i] = j < 0 ? 0 : wc->strides[3 + j];
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

/* Measured faster than the einsum path (winsum-bench conv OP, ResNet
 * layers, batch 8, float32, NCHW, 2026-12-02, load ~2.5-3 on 2 cores),
 * direct vs einsum GFLOP/s: forward 3x3 64@56 164 vs 98, 3x3 256@14 178
 * vs 64, 3x3/2 128@28 268 vs 54, 7x7/2 3->64@224 80 vs 80, 1x1
 * 256->64@56 76 vs 90, depthwise 3x3 1.3 vs 4.6; backward-data 3x3
 * 64@56 106 vs 85, 3x3 256@14 156 vs 66. float64 3x3 256@14 4.1 vs
 * 5.8, float16 49 vs 46; NHWC (alternating runs, loaded) 3x3 1.3-1.5x,
 * stride 2 and 7x7 0.94-0.99x. So: float32 or float16, a spatial kernel
 * (more than one tap), at least 16 output channels a group in the
 * kernel's terms (forward: the filters; backward-data: the input
 * channels), and in NHWC stride 1. */
static int prefer(const ws_conv_problem *p)
{
    const geom *g = &p->g;
    int64_t ko = p->dir == WS_CONV_FORWARD ? g->og : g->cg,
            kc = p->dir == WS_CONV_FORWARD ? g->cg : g->og, taps = 1;
    int strided = 0;
    for (int i = 0; i < g->ns; i++) taps *= g->k[i], strided |= g->s[i] != 1;
    if (p->y->dtype == WINSUM_F64) return 0;
    if (p->desc->layout == WINSUM_LAYOUT_NHWC && strided) return 0;
    return ko >= 16 && taps > 1 && kc * taps >= 16;
}

static const char *direct_declines(winsum_context *ctx, const ws_conv_problem *p, int forced,
                                   char *why, size_t len)
{
    const geom *g = &p->g;
    if (ctx->backend != WINSUM_BACKEND_OPENCL) return "the reference backend";
    if (p->dir == WS_CONV_BACKWARD_WEIGHT) return "forward and backward-data only";
    if (p->dir == WS_CONV_BACKWARD_DATA)
        for (int i = 0; i < g->ns; i++)
            if (g->s[i] != 1) return "backward-data at stride 1 only";
    if (p->y->dtype == WINSUM_F64 && !ctx->has_fp64) return "no float64 on the device";
    const winsum_view *v[4] = {p->x, p->w, p->y, p->bias};
    for (int i = 0; i < 4; i++)
        if (v[i] && v[i]->nguards) return "a guarded view";
    int64_t outs = g->n * g->c;
    for (int i = 0; i < g->ns; i++) outs *= g->out[i] * g->in[i];
    if (outs == 0 || g->o == 0) return "an empty tensor";
    const int64_t sizes[] = {g->n, g->g, g->cg, g->og};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i] > INT_MAX / 64) return "a size over 2^25";
    for (int i = 0; i < g->ns; i++)
        if (g->in[i] > INT_MAX / 4 || g->out[i] > INT_MAX / 64 || g->k[i] > INT_MAX / 4 ||
            g->s[i] > INT_MAX / 4 || g->d[i] > INT_MAX / 4 || g->lo[i] > INT_MAX / 4 ||
            g->d[i] * g->k[i] > INT_MAX / 4 || g->s[i] * g->out[i] > INT_MAX / 4) {
            snprintf(why, len, "spatial axis %d: a size, stride, dilation or pad over 2^29", i);
            return why;
        }
    if (!forced && !prefer(p)) return "measured slower than einsum on this shape";
    return NULL;
}

/* Scratch of at least `bytes` in the layer's state (grown, never shrunk). */
static winsum_status scratch(winsum_context *ctx, size_t bytes, cl_mem *mem)
{
    ws_conv_state *s = ws_conv_state_get(ctx);
    if (!s) return WINSUM_ERR_MEMORY;
    if (s->scratch_bytes < bytes) {
        if (s->scratch) ws_device_free(ctx, s->scratch, s->scratch_bytes);
        s->scratch = NULL;
        s->scratch_bytes = 0;
        winsum_status st = ws_device_alloc(ctx, bytes, &s->scratch, "conv direct weights");
        if (st) return st;
        s->scratch_bytes = bytes;
    }
    *mem = s->scratch;
    return WINSUM_OK;
}

static winsum_status enqueue(winsum_context *ctx, cl_kernel k, const size_t *global,
                             const size_t *local, const char *name, int last)
{
    if (ws_fault(WINSUM_FAULT_ENQUEUE))
        return ws_cl_fail(ctx, CL_OUT_OF_RESOURCES, "clEnqueueNDRangeKernel (injected)", name);
    cl_event ev = NULL;
    int want = last || ctx->verbose >= 2;
    cl_int err = clEnqueueNDRangeKernel(ctx->queue, k, 2, NULL, global, local, ctx->gate ? 1 : 0,
                                        ctx->gate ? &ctx->gate : NULL, want ? &ev : NULL);
    if (err) return ws_cl_fail(ctx, err, "clEnqueueNDRangeKernel", name);
    if (ctx->verbose >= 2) ws_trace_kernel(ctx, name, ev);
    if (last) ws_event_record(ctx, ev);
    else if (ev) clReleaseEvent(ev);
    return WINSUM_OK;
}

static size_t round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

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
    int wb, ocb;
    choose_block(dt, ko, d.out[2], &wb, &ocb);
    const int bw = ocb * lanes_of(dt);
    const int64_t nob = (ko + bw - 1) / bw, nwb = (d.out[2] + wb - 1) / wb;
    const int64_t taps = d.k[0] * d.k[1] * d.k[2];
    /* the reordered weights: G * NOB * Cg * taps * BW reals */
    int64_t elems;
    if (ws_mul_ovf(g->g * nob, kc, &elems) || ws_mul_ovf(elems, taps * bw, &elems) ||
        elems > (int64_t)(SIZE_MAX / 2 / real))
        return ws_fail(&ctx->err, WINSUM_ERR_OVERFLOW, "%s: the reordered weights overflow",
                       p->who);
    cl_mem wr;
    winsum_status st = scratch(ctx, (size_t)elems * real, &wr);
    if (st) return st;

    char opts[96];
    snprintf(opts, sizeof opts, "-DWB=%d -DOCB=%d%s", wb, ocb,
             f64                ? " -DWS_FP64"
             : dt == WINSUM_F16 ? " -DWS_FP16"
                                : "");
    cl_kernel kr, kf;
    if ((st = ws_get_kernel(ctx, "direct.cl", "direct_reorder", opts, &kr)) ||
        (st = ws_get_kernel(ctx, "direct.cl", "direct_forward", opts, &kf)))
        return st;

    /* the summation blocks: CB channels of taps terms, ~256 terms */
    int64_t cb = taps >= 256 ? 1 : 256 / taps;
    if (cb > kc) cb = kc;
    int64_t nblk = (kc + cb - 1) / cb, gs = (int64_t)ceil(sqrt((double)nblk));
    if (gs < 1) gs = 1;

    cl_mem xm = src->buffer->mem, wm = p->w->buffer->mem, ym = dst->buffer->mem,
           bm = p->bias ? p->bias->buffer->mem : ym;
    /* the weights by (g, kernel output channel, kernel input channel, taps):
     * backward-data swaps the channels and flips the taps */
    cl_long8 ws8 = {{wc.offset, wc.strides[0], wc.strides[bwd ? 2 : 1], wc.strides[bwd ? 1 : 2],
                     d.ws[0], d.ws[1], d.ws[2], 0}};
    cl_int G = (cl_int)g->g, Og = (cl_int)ko, Cg = (cl_int)kc, KD = (cl_int)d.k[0],
           KH = (cl_int)d.k[1], KW = (cl_int)d.k[2], NOB = (cl_int)nob, flip = bwd;
    cl_int err = clSetKernelArg(kr, 0, sizeof wm, &wm);
    err |= clSetKernelArg(kr, 1, sizeof ws8, &ws8);
    err |= clSetKernelArg(kr, 2, sizeof wr, &wr);
    err |= clSetKernelArg(kr, 3, sizeof G, &G);
    err |= clSetKernelArg(kr, 4, sizeof Og, &Og);
    err |= clSetKernelArg(kr, 5, sizeof Cg, &Cg);
    err |= clSetKernelArg(kr, 6, sizeof KD, &KD);
    err |= clSetKernelArg(kr, 7, sizeof KH, &KH);
    err |= clSetKernelArg(kr, 8, sizeof KW, &KW);
    err |= clSetKernelArg(kr, 9, sizeof NOB, &NOB);
    err |= clSetKernelArg(kr, 10, sizeof flip, &flip);

    cl_long8 xs8 = {
        {xc.offset, xc.strides[0], xc.strides[1], xc.strides[2], d.xs[0], d.xs[1], d.xs[2], 0}};
    cl_long8 ys8 = {
        {yc.offset, yc.strides[0], yc.strides[1], yc.strides[2], d.ys[0], d.ys[1], d.ys[2], 0}};
    cl_long2 bs2 = {{p->bias ? p->bias->offset : 0, p->bias ? p->bias->strides[0] : 0}};
    cl_int has_bias = p->bias != NULL;
    cl_int16 geo = {{(cl_int)g->n, G, Cg, Og, (cl_int)d.in[0], (cl_int)d.in[1], (cl_int)d.in[2],
                     (cl_int)d.out[0], (cl_int)d.out[1], (cl_int)d.out[2], KD, KH, KW, NOB,
                     (cl_int)nwb, (cl_int)cb}};
    cl_int16 cv = {{bwd ? 1 : (cl_int)d.s[0], bwd ? 1 : (cl_int)d.s[1], bwd ? 1 : (cl_int)d.s[2],
                    (cl_int)d.d[0], (cl_int)d.d[1], (cl_int)d.d[2], (cl_int)d.lo[0],
                    (cl_int)d.lo[1], (cl_int)d.lo[2], (cl_int)gs, 0, 0, 0, 0, 0, 0}};
    float alf = (float)p->alpha, bef = (float)p->beta;
    double ald = p->alpha, bed = p->beta;
    err |= clSetKernelArg(kf, 0, sizeof xm, &xm);
    err |= clSetKernelArg(kf, 1, sizeof xs8, &xs8);
    err |= clSetKernelArg(kf, 2, sizeof wr, &wr);
    err |= clSetKernelArg(kf, 3, sizeof bm, &bm);
    err |= clSetKernelArg(kf, 4, sizeof bs2, &bs2);
    err |= clSetKernelArg(kf, 5, sizeof has_bias, &has_bias);
    err |= clSetKernelArg(kf, 6, sizeof ym, &ym);
    err |= clSetKernelArg(kf, 7, sizeof ys8, &ys8);
    err |= clSetKernelArg(kf, 8, sizeof geo, &geo);
    err |= clSetKernelArg(kf, 9, sizeof cv, &cv);
    err |=
        f64 ? clSetKernelArg(kf, 10, sizeof ald, &ald) : clSetKernelArg(kf, 10, sizeof alf, &alf);
    err |=
        f64 ? clSetKernelArg(kf, 11, sizeof bed, &bed) : clSetKernelArg(kf, 11, sizeof bef, &bef);
    if (err) return ws_cl_fail(ctx, err, "clSetKernelArg", "conv direct");

    /* work-groups: GPU-like, 64 items along the pixels; CPU-like (PoCL
     * runs a group's items one after another), up to 8 */
    const size_t wgr = ctx->cpu_like ? 1 : 64, wgf = ctx->cpu_like ? 8 : 64;
    size_t rl[2] = {wgr < ctx->max_wg ? wgr : ctx->max_wg, 1};
    size_t rg[2] = {round_up((size_t)(g->g * nob * kc), rl[0]), 1};
    size_t items = (size_t)(nwb * d.out[1] * d.out[0]);
    size_t fl[2] = {wgf < ctx->max_wg ? wgf : ctx->max_wg, 1};
    if (fl[0] > items) fl[0] = items;
    size_t fg[2] = {round_up(items, fl[0]), (size_t)(g->n * g->g * nob)};
    if ((st = enqueue(ctx, kr, rg, rl, "direct_reorder", 0))) return st;
    if (ctx->verbose) {
        char line[160];
        snprintf(line, sizeof line, "direct{wb%d ocb%d blocks %zux%zu groups %zu}", wb, ocb, items,
                 fg[1], fl[0]);
        ws_trace_plan(ctx, line);
    }
    return enqueue(ctx, kf, fg, fl, bwd ? "direct_forward (backward-data)" : "direct_forward", 1);
}

const ws_conv_impl ws_conv_impl_direct = {"direct", direct_declines, direct_run};
