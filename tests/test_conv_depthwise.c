/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_conv_depthwise.c - the direct depthwise implementation
 * (host/conv/impl_depthwise.c, kernels/depthwise.cl) against the reference
 * backend: forward, backward-data and backward-weight over depthwise
 * geometries (stride 1, 2 and 3, dilation 2, asymmetric padding, widths
 * that are not a multiple of the lanes, rows of 9-16 pixels (backward-
 * weight's ROWS), tiny images, a 1-D convolution,
 * a strided view), NCHW and NHWC, alpha and beta, bias, float32, float64
 * and float16 (these two on fewer cases: each build option set costs
 * seconds of kernel builds on a cold cache); that WINSUM_CONV_IMPL=depthwise runs it and that it
 * declines a channel multiplier above 1 (the list then goes on).
 */
#include "testutil.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static winsum_context *CL, *REF;
static uint64_t RNG;

/* One depthwise case: 2-D unless h == 0 (1-D, along w). */
typedef struct dcase {
    int64_t n, c, h, w, kh, kw, sh, sw, dh, dw, lh, hh, lw, hw;
    int mult; /* filters a group (1: depthwise) */
    winsum_layout layout;
    winsum_dtype dt;
    double alpha, beta;
    int bias, strided;
} dcase;

static size_t prod(const int64_t *s, int r)
{
    size_t p = 1;
    for (int i = 0; i < r; i++) p *= (size_t)s[i];
    return p;
}

/* Runs op (0 forward, 1 backward-data, 2 backward-weight) of case d on CL
 * with WINSUM_CONV_IMPL=env and on REF; checks the outputs agree and that
 * CL ran `want`. */
static void run(const dcase *d, int op, const char *env, const char *want)
{
    winsum_conv_desc desc;
    winsum_conv_desc_init(&desc);
    const int one = d->h == 0, rank = one ? 3 : 4, nhwc = d->layout == WINSUM_LAYOUT_NHWC;
    desc.layout = d->layout;
    desc.groups = d->c;
    const int64_t st[2] = {d->sh, d->sw}, dl[2] = {d->dh, d->dw}, lo[2] = {d->lh, d->lw},
                  hi[2] = {d->hh, d->hw};
    for (int i = 0; i < rank - 2; i++) {
        int j = one ? 1 : i;
        desc.stride[i] = st[j], desc.dilation[i] = dl[j];
        desc.pad_lo[i] = lo[j], desc.pad_hi[i] = hi[j];
    }
    int64_t xs[4], wsh[4], ys[4];
    if (one) {
        int64_t a[3] = {d->n, nhwc ? d->w : d->c, nhwc ? d->c : d->w};
        int64_t b[3] = {d->c * d->mult, 1, d->kw};
        memcpy(xs, a, sizeof a), memcpy(wsh, b, sizeof b);
    } else {
        int64_t a[4] = {d->n, nhwc ? d->h : d->c, nhwc ? d->w : d->h, nhwc ? d->c : d->w};
        int64_t b[4] = {d->c * d->mult, 1, d->kh, d->kw};
        memcpy(xs, a, sizeof a), memcpy(wsh, b, sizeof b);
    }
    char msg[256];
    CHECK_STATUS(winsum_conv_output_shape(&desc, rank, xs, wsh, ys, msg, sizeof msg), WINSUM_OK);
    size_t nx = prod(xs, rank), nw = prod(wsh, rank), ny = prod(ys, rank);
    /* strided: x in every other element along its last axis */
    size_t nxb = d->strided ? 2 * nx : nx;
    int64_t xst[4];
    xst[rank - 1] = 2;
    for (int i = rank - 2; i >= 0; i--) xst[i] = xst[i + 1] * xs[i + 1];
    double *hx = tu_randv(&RNG, nxb), *hw = tu_randv(&RNG, nw), *hy = tu_randv(&RNG, ny),
           *hb = tu_randv(&RNG, (size_t)wsh[0]);
    double *out[2];
    winsum_status stt[2];
    char impl[32] = "";
    size_t nout = op == 0 ? ny : op == 1 ? nxb : nw;
    for (int b = 0; b < 2; b++) {
        winsum_context *ctx = b ? REF : CL;
        tu_buf x, w, y, bias;
        tu_put(ctx, hx, nxb, d->dt, rank, xs, d->strided ? xst : NULL, &x);
        tu_put(ctx, hw, nw, d->dt, rank, wsh, NULL, &w);
        tu_put(ctx, hy, ny, d->dt, rank, ys, NULL, &y);
        tu_put(ctx, hb, (size_t)wsh[0], d->dt, 1, wsh, NULL, &bias);
        if (b == 0) setenv("WINSUM_CONV_IMPL", env, 1);
        stt[b] = op == 0 ? winsum_conv_forward(ctx, &desc, &x.v, &w.v, d->bias ? &bias.v : NULL,
                                               &y.v, d->alpha, d->beta)
                 : op == 1
                     ? winsum_conv_backward_data(ctx, &desc, &y.v, &w.v, &x.v, d->alpha, d->beta)
                     : winsum_conv_backward_weight(ctx, &desc, &x.v, &y.v, &w.v, d->alpha, d->beta);
        unsetenv("WINSUM_CONV_IMPL");
        if (b == 0) snprintf(impl, sizeof impl, "%s", winsum_conv_last_impl(ctx));
        if (stt[b]) printf("  %s\n", winsum_last_error(ctx));
        winsum_finish(ctx);
        out[b] = malloc((nout + 1) * sizeof(double));
        tu_get(ctx, op == 0 ? &y : op == 1 ? &x : &w, out[b], nout);
        winsum_buffer_free(ctx, &x.b);
        winsum_buffer_free(ctx, &w.b);
        winsum_buffer_free(ctx, &y.b);
        winsum_buffer_free(ctx, &bias.b);
    }
    /* terms a sum: the taps, or (backward-weight) the batch x pixels */
    double terms = op == 2 ? (double)(d->n * (int64_t)(ny / (size_t)(d->n * d->c * d->mult)))
                           : (double)(d->kh * d->kw);
    double eps = d->dt == WINSUM_F32 ? 2e-6 : d->dt == WINSUM_F16 ? 1e-3 : 1e-14;
    double worst = 0;
    for (size_t i = 0; i < nout && stt[0] == WINSUM_OK; i++) {
        double e = fabs(out[0][i] - out[1][i]);
        if (!(e <= worst)) worst = e;
    }
    CHECK_MSG(stt[0] == WINSUM_OK && stt[1] == WINSUM_OK && worst <= eps * (terms + 8) * 4 &&
                  strcmp(impl, want) == 0,
              "op %d %s dt %d n%lld c%lld x%lld %lldx%lld k%lldx%lld s%lld,%lld d%lld,%lld pad "
              "%lld:%lld,%lld:%lld mult %d: %s, impl %s (want %s), err %g",
              op, nhwc ? "nhwc" : "nchw", (int)d->dt, (long long)d->n, (long long)d->c,
              (long long)d->mult, (long long)d->h, (long long)d->w, (long long)d->kh,
              (long long)d->kw, (long long)d->sh, (long long)d->sw, (long long)d->dh,
              (long long)d->dw, (long long)d->lh, (long long)d->hh, (long long)d->lw,
              (long long)d->hw, d->mult, winsum_status_string(stt[0]), impl, want, worst);
    free(out[0]), free(out[1]);
    free(hx), free(hw), free(hy), free(hb);
}

static void all_ops(const dcase *d)
{
    for (int op = 0; op < 3; op++) run(d, op, "depthwise", "depthwise");
}

int main(void)
{
    RNG = tu_seed(1977);
    if (tu_conv_contexts(&REF, &CL)) {
        winsum_context_destroy(REF);
        return tu_finish("test_conv_depthwise");
    }
    const dcase base = {.n = 2,
                        .c = 8,
                        .h = 9,
                        .w = 9,
                        .kh = 3,
                        .kw = 3,
                        .sh = 1,
                        .sw = 1,
                        .dh = 1,
                        .dw = 1,
                        .lh = 1,
                        .hh = 1,
                        .lw = 1,
                        .hw = 1,
                        .mult = 1,
                        .layout = WINSUM_LAYOUT_NCHW,
                        .dt = WINSUM_F32,
                        .alpha = 1,
                        .beta = 0,
                        .bias = 1};
    const winsum_dtype dts[3] = {WINSUM_F32, WINSUM_F64, WINSUM_F16};
    for (int di = 0; di < 3; di++)
        for (int lay = 0; lay < 2; lay++) {
            dcase d = base;
            d.dt = dts[di];
            d.layout = lay ? WINSUM_LAYOUT_NHWC : WINSUM_LAYOUT_NCHW;
            d.c = lay ? 20 : 8; /* NHWC: a full and a partial block of lanes */
            /* "same" 3x3 on a 9x9 image (NCHW: the lanes along the plane) */
            all_ops(&d);
            if (di == 2) continue; /* float16: the one case */
            /* rows of 32 (NCHW: lanes along the rows, whole vectors) with
             * alpha, beta */
            dcase r = d;
            r.h = 5, r.w = 32, r.alpha = 1.5, r.beta = 0.5;
            all_ops(&r);
            if (di) continue; /* float64: these two (one build) */
            /* stride 2, a width of 35 (a partial block), no bias */
            dcase s2 = d;
            s2.h = 11, s2.w = 35, s2.sh = s2.sw = 2, s2.bias = 0, s2.beta = 0.5;
            all_ops(&s2);
            /* dilation 2, asymmetric padding */
            dcase dl = d;
            dl.h = 10, dl.w = 19, dl.dh = dl.dw = 2, dl.lh = 2, dl.hh = 0, dl.lw = 0, dl.hw = 3,
            dl.alpha = -0.75;
            all_ops(&dl);
            if (lay) continue; /* NHWC: these four */
            /* tiny images: 1x1 and 2x3 under a padded 3x3 */
            dcase t = d;
            t.h = t.w = 1;
            all_ops(&t);
            t.h = 2, t.w = 3, t.beta = 1;
            all_ops(&t);
            /* stride 2 and 3 by axis, a 5x5 kernel, padding 2 */
            dcase s3 = d;
            s3.n = 1, s3.h = 13, s3.w = 40, s3.kh = s3.kw = 5, s3.sh = 2, s3.sw = 3;
            s3.lh = s3.hh = s3.lw = s3.hw = 2;
            all_ops(&s3);
            /* the same onto 14-pixel rows (backward-data: a row a vector
             * at stride 3) */
            s3.w = 14;
            all_ops(&s3);
            /* stride 2 onto rows of at most 8 pixels (NCHW forward: two
             * rows a vector): 13x13 -> 7x7 (an odd row left alone), and
             * 12x16 with dilation 2 and asymmetric padding -> 5x7 */
            dcase pr = d;
            pr.h = pr.w = 13, pr.sh = pr.sw = 2, pr.beta = 0.5;
            all_ops(&pr);
            pr.h = 12, pr.w = 16, pr.dh = pr.dw = 2, pr.lh = 0, pr.hh = 1, pr.lw = 2, pr.hw = 0;
            pr.beta = 0, pr.bias = 0;
            all_ops(&pr);
            /* 1-D, stride 2 */
            dcase o = d;
            o.h = 0, o.w = 40, o.sw = 2;
            all_ops(&o);
            /* a strided view of x (stride 2 along its last axis) */
            dcase sv = d;
            sv.w = 20, sv.strided = 1, sv.beta = 0.5;
            all_ops(&sv);
            /* rows of 9-16 pixels at stride 1 with "same" padding
             * (backward-weight: a row a vector, ROWS; the first and last
             * channels, whose loads would leave the buffers, FLAT):
             * dilation 2 with asymmetric padding on 12x12, three planes;
             * a 5x5 kernel on 11x15 */
            dcase rw = d;
            rw.n = 3, rw.h = rw.w = 12, rw.dh = rw.dw = 2, rw.lh = rw.hh = 2, rw.lw = 1, rw.hw = 3,
            rw.alpha = -0.75, rw.beta = 0.5;
            all_ops(&rw);
            rw.n = 2, rw.h = 11, rw.w = 15, rw.kh = rw.kw = 5, rw.dh = rw.dw = 1,
            rw.lh = rw.hh = rw.lw = rw.hw = 2, rw.alpha = 1, rw.beta = 0;
            all_ops(&rw);
            /* padding above d*(k-1) (backward-data at stride 1 flips it
             * to a negative one) */
            dcase p3 = d;
            p3.lh = p3.hh = p3.lw = p3.hw = 3;
            all_ops(&p3);
        }
    /* float64 pairs (rows of at most 4 pixels): 7x7 -> 4x4 at stride 2 */
    dcase p64 = base;
    p64.dt = WINSUM_F64, p64.h = p64.w = 7, p64.sh = p64.sw = 2, p64.beta = 0.5;
    all_ops(&p64);
    /* by default depthwise takes depthwise problems it was measured faster on */
    dcase d = base;
    d.n = 4, d.c = 32, d.h = d.w = 14;
    for (int op = 0; op < 3; op++) run(&d, op, "", "depthwise");
    /* a channel multiplier of 2: declined, the list goes on (gemv takes
     * only one filter a group: einsum) */
    d.mult = 2, d.c = 4, d.h = d.w = 7;
    for (int op = 0; op < 3; op++) run(&d, op, "depthwise", "einsum");
    winsum_context_destroy(CL);
    winsum_context_destroy(REF);
    return tu_finish("test_conv_depthwise");
}
