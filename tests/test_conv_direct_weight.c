/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_conv_direct_weight.c - the direct backward-weight implementation
 * (host/conv/impl_direct_weight.c, kernels/direct_weight.cl) against the
 * reference backend: 1-, 2- and 3-D; strides, dilation, asymmetric padding
 * (also wider than the kernel), groups; NCHW and NHWC; a strided input
 * view; alpha and beta; float16/32/64; channel counts, tap counts and
 * slices that leave every block of the kernel partly filled (and forced
 * blocks and slice sizes through WINSUM_DIRECT_WEIGHT_BLOCK / _SLICE); and
 * that WINSUM_CONV_IMPL=direct runs it (winsum_conv_last_impl), einsum
 * does not, and the reference backend falls back.
 */
#include "testutil.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static winsum_context *CL, *REF;
static uint64_t RNG;

typedef struct layer {
    const char *what;
    int ns;
    int64_t n, c, o, g, in[3], k[3], s[3], d[3], lo[3], hi[3];
    winsum_layout layout;
    winsum_dtype dt;
    double alpha, beta;
    int strided;       /* x in every other element of a buffer twice its size */
    const char *block; /* WINSUM_DIRECT_WEIGHT_BLOCK, or NULL */
    const char *slice; /* WINSUM_DIRECT_WEIGHT_SLICE, or NULL */
    const char *chunk; /* WINSUM_DIRECT_WEIGHT_CHUNK, or NULL */
} layer;

/* Runs L's backward-weight on CL under WINSUM_CONV_IMPL=env (NULL: unset)
 * and on REF; checks the weight gradients agree and CL ran `want`. */
static void run(const layer *L, const char *env, const char *want)
{
    winsum_conv_desc desc;
    winsum_conv_desc_init(&desc);
    desc.layout = L->layout;
    desc.groups = L->g;
    for (int i = 0; i < L->ns; i++) {
        desc.stride[i] = L->s[i];
        desc.dilation[i] = L->d[i];
        desc.pad_lo[i] = L->lo[i];
        desc.pad_hi[i] = L->hi[i];
    }
    int rank = 2 + L->ns, nhwc = L->layout == WINSUM_LAYOUT_NHWC;
    int64_t xs[5], wsh[5], ys[5];
    xs[0] = L->n;
    xs[nhwc ? rank - 1 : 1] = L->c;
    for (int i = 0; i < L->ns; i++) xs[nhwc ? 1 + i : 2 + i] = L->in[i];
    wsh[0] = L->o;
    wsh[1] = L->c / L->g;
    for (int i = 0; i < L->ns; i++) wsh[2 + i] = L->k[i];
    char msg[256];
    CHECK_MSG(winsum_conv_output_shape(&desc, rank, xs, wsh, ys, msg, sizeof msg) == WINSUM_OK,
              "%s: %s", L->what, msg);
    size_t nx = 1, nw = 1, ny = 1;
    for (int i = 0; i < rank; i++) nx *= (size_t)xs[i], nw *= (size_t)wsh[i], ny *= (size_t)ys[i];
    size_t nxb = L->strided ? 2 * nx : nx;
    int64_t xst[5];
    xst[rank - 1] = 2;
    for (int i = rank - 2; i >= 0; i--) xst[i] = xst[i + 1] * xs[i + 1];
    double *hx = tu_randv(&RNG, nxb), *hw = tu_randv(&RNG, nw), *hy = tu_randv(&RNG, ny), *out[2];
    if (env) setenv("WINSUM_CONV_IMPL", env, 1);
    if (L->block) setenv("WINSUM_DIRECT_WEIGHT_BLOCK", L->block, 1);
    if (L->slice) setenv("WINSUM_DIRECT_WEIGHT_SLICE", L->slice, 1);
    if (L->chunk) setenv("WINSUM_DIRECT_WEIGHT_CHUNK", L->chunk, 1);
    winsum_status st[2];
    char impl[32] = "";
    for (int b = 0; b < 2; b++) {
        winsum_context *ctx = b ? REF : CL;
        tu_buf x, w, y;
        tu_put(ctx, hx, nxb, L->dt, rank, xs, L->strided ? xst : NULL, &x);
        tu_put(ctx, hw, nw, L->dt, rank, wsh, NULL, &w);
        tu_put(ctx, hy, ny, L->dt, rank, ys, NULL, &y);
        st[b] = winsum_conv_backward_weight(ctx, &desc, &x.v, &y.v, &w.v, L->alpha, L->beta);
        if (b == 0) snprintf(impl, sizeof impl, "%s", winsum_conv_last_impl(ctx));
        winsum_finish(ctx);
        out[b] = malloc((nw + 1) * sizeof(double));
        tu_get(ctx, &w, out[b], nw);
        winsum_buffer_free(ctx, &x.b);
        winsum_buffer_free(ctx, &w.b);
        winsum_buffer_free(ctx, &y.b);
    }
    unsetenv("WINSUM_CONV_IMPL");
    unsetenv("WINSUM_DIRECT_WEIGHT_BLOCK");
    unsetenv("WINSUM_DIRECT_WEIGHT_SLICE");
    unsetenv("WINSUM_DIRECT_WEIGHT_CHUNK");
    /* terms a weight element sums */
    double k = (double)L->n;
    for (int i = 0; i < L->ns; i++) k *= (double)ys[nhwc ? 1 + i : 2 + i];
    double eps = L->dt == WINSUM_F32 ? 2e-6 : L->dt == WINSUM_F16 ? 1e-3 : 1e-14;
    double worst = 0;
    for (size_t i = 0; i < nw; i++) {
        double d = fabs(out[0][i] - out[1][i]);
        if (!(d <= worst)) worst = d;
    }
    CHECK_MSG(st[0] == WINSUM_OK && st[1] == WINSUM_OK && strcmp(impl, want) == 0,
              "%s (dt %d, WINSUM_CONV_IMPL=%s): %s, impl \"%s\", expected \"%s\" (%s)", L->what,
              (int)L->dt, env ? env : "unset", winsum_status_string(st[0]), impl, want,
              winsum_last_error(CL));
    CHECK_MSG(worst <= eps * (k + 8) * 4, "%s (dt %d, impl %s): max error %g over %.0f terms",
              L->what, (int)L->dt, impl, worst, k);
    free(out[0]), free(out[1]);
    free(hx), free(hw), free(hy);
}

#define SP3(a, b, c) \
    {                \
        a, b, c      \
    }

static void geometries(void)
{
    const layer base = {.what = "3x3 s1 p1 nchw",
                        .ns = 2,
                        .n = 2,
                        .c = 5,
                        .o = 20,
                        .g = 1,
                        .in = SP3(9, 7, 1),
                        .k = SP3(3, 3, 1),
                        .s = SP3(1, 1, 1),
                        .d = SP3(1, 1, 1),
                        .lo = SP3(1, 1, 0),
                        .hi = SP3(1, 1, 0),
                        .layout = WINSUM_LAYOUT_NCHW,
                        .dt = WINSUM_F32,
                        .alpha = 1.5,
                        .beta = 0.5};
    layer L[20];
    int n = 0;
    L[n++] = base;
    /* stride 2, dilation 2, asymmetric padding, two groups, beta 0 */
    layer t = base;
    t.what = "3x3 s2 d2 asym pad groups 2";
    t.c = 6, t.o = 34, t.g = 2, t.in[0] = 11, t.in[1] = 10;
    t.s[0] = t.s[1] = 2, t.d[0] = t.d[1] = 2;
    t.lo[0] = 2, t.hi[0] = 1, t.lo[1] = 0, t.hi[1] = 3, t.beta = 0;
    L[n++] = t;
    /* the same with a forced block: 4 vectors, 3 channels, 2 taps (a tap
     * chunk past the kernel's end) and slices of 5 pixels */
    t.what = "3x3 s2 d2 groups 2, block 4,3,2, slices of 5";
    t.block = "4,3,2", t.slice = "5";
    L[n++] = t;
    /* dy copied in chunks of 3 rows (2 slices of 1 or 2 rows each): the
     * later chunks add to the parts the first wrote */
    t.what = "3x3 s2 d2 groups 2, chunks of 3 rows";
    t.block = NULL, t.slice = "5", t.chunk = "3840";
    L[n++] = t;
    t.what = "3x3 s2 d2 groups 2, chunks of 1 row";
    t.slice = NULL, t.chunk = "1";
    L[n++] = t;
    /* rows of 37 pixels: dy's 16-pixel tiles transposed in registers,
     * across rows and (a tile over two images) element by element; two
     * channel vectors, the second 8 of 16 channels */
    t = base;
    t.what = "3x3 rows of 37, block 2,2,3";
    t.c = 3, t.o = 40, t.in[0] = 6, t.in[1] = 37, t.block = "2,2,3";
    L[n++] = t;
    /* NHWC, strided x */
    t = base;
    t.what = "3x3 nhwc strided x";
    t.layout = WINSUM_LAYOUT_NHWC, t.c = 7, t.o = 33, t.strided = 1, t.alpha = -1;
    L[n++] = t;
    /* padding wider than the kernel: rows and pixels with every tap outside */
    t = base;
    t.what = "3x3 padding 4:2";
    t.in[0] = t.in[1] = 5, t.lo[0] = t.lo[1] = 4, t.hi[0] = t.hi[1] = 2, t.o = 16;
    L[n++] = t;
    /* 1x1 with a channel count that leaves the last channel block short */
    t = base;
    t.what = "1x1 29->40";
    t.c = 29, t.o = 40, t.k[0] = t.k[1] = 1, t.lo[0] = t.lo[1] = t.hi[0] = t.hi[1] = 0;
    t.in[0] = t.in[1] = 6;
    L[n++] = t;
    /* 1-D: stride 2, asymmetric padding */
    t = base;
    t.what = "1-D k5 s2";
    t.ns = 1, t.c = 3, t.o = 16, t.in[0] = 19, t.k[0] = 5, t.s[0] = 2, t.lo[0] = 3, t.hi[0] = 1;
    L[n++] = t;
    /* 1-D with 30 taps: several tap chunks */
    t = base;
    t.what = "1-D k30 p10";
    t.ns = 1, t.c = 2, t.o = 17, t.in[0] = 40, t.k[0] = 30, t.lo[0] = 10, t.hi[0] = 9;
    L[n++] = t;
    /* 3-D */
    t = base;
    t.what = "3-D k2x3x3 s1,2,1";
    t.ns = 3, t.c = 4, t.o = 17, t.in[0] = 4, t.in[1] = 6, t.in[2] = 5;
    t.k[0] = 2, t.k[1] = 3, t.k[2] = 3, t.s[1] = 2;
    t.lo[0] = 1, t.hi[0] = 0, t.lo[2] = 0, t.hi[2] = 2;
    L[n++] = t;
    /* 7x7 stride 2, 3 input channels (the ResNet stem, small) */
    t = base;
    t.what = "7x7 s2 3->20";
    t.c = 3, t.o = 20, t.in[0] = t.in[1] = 15, t.k[0] = t.k[1] = 7, t.s[0] = t.s[1] = 2;
    t.lo[0] = t.lo[1] = t.hi[0] = t.hi[1] = 3;
    L[n++] = t;
    for (int i = 0; i < n; i++) run(&L[i], "direct", "direct");
    /* float16 and float64 */
    const int other[] = {1, 3};
    for (int dt = 0; dt < 2; dt++)
        for (int i = 0; i < 2; i++) {
            t = L[other[i]];
            t.dt = dt ? WINSUM_F64 : WINSUM_F16;
            run(&t, "direct", "direct");
        }
}

static void choices(void)
{
    layer t = {.what = "choice",
               .ns = 2,
               .n = 2,
               .c = 16,
               .o = 64,
               .g = 1,
               .in = SP3(8, 8, 1),
               .k = SP3(3, 3, 1),
               .s = SP3(1, 1, 1),
               .d = SP3(1, 1, 1),
               .lo = SP3(1, 1, 0),
               .hi = SP3(1, 1, 0),
               .layout = WINSUM_LAYOUT_NCHW,
               .dt = WINSUM_F32,
               .alpha = 1,
               .beta = 0};
    run(&t, NULL, "direct");
    run(&t, "einsum", "einsum");
    run(&t, "gemv", "direct"); /* gemv declines a dense convolution */
    t.dt = WINSUM_F64;
    run(&t, NULL, "einsum"); /* float64 and float16: not measured faster */
    t.dt = WINSUM_F16;
    run(&t, NULL, "einsum");
    t.dt = WINSUM_F32;
    t.o = 32;
    run(&t, NULL, "einsum"); /* under 64 filters: not measured faster */
    /* depthwise: the depthwise implementation by default, direct when forced */
    t.g = t.c = t.o = 8;
    run(&t, NULL, "depthwise");
    run(&t, "direct", "direct");

    /* the reference backend: forced direct falls back to einsum */
    int64_t xs[4] = {1, 4, 5, 5}, wsh[4] = {16, 4, 3, 3}, ys[4] = {1, 16, 3, 3};
    double *hx = tu_randv(&RNG, 100), *hw = tu_randv(&RNG, 576), *hy = tu_randv(&RNG, 144);
    tu_buf x, w, y;
    tu_put(REF, hx, 100, WINSUM_F32, 4, xs, NULL, &x);
    tu_put(REF, hw, 576, WINSUM_F32, 4, wsh, NULL, &w);
    tu_put(REF, hy, 144, WINSUM_F32, 4, ys, NULL, &y);
    winsum_conv_desc desc;
    winsum_conv_desc_init(&desc);
    setenv("WINSUM_CONV_IMPL", "direct", 1);
    winsum_status st = winsum_conv_backward_weight(REF, &desc, &x.v, &y.v, &w.v, 1, 0);
    unsetenv("WINSUM_CONV_IMPL");
    CHECK_MSG(st == WINSUM_OK && strcmp(winsum_conv_last_impl(REF), "einsum") == 0,
              "reference backend, forced direct: %s impl %s", winsum_status_string(st),
              winsum_conv_last_impl(REF));
    winsum_buffer_free(REF, &x.b);
    winsum_buffer_free(REF, &w.b);
    winsum_buffer_free(REF, &y.b);
    free(hx), free(hw), free(hy);
}

int main(void)
{
    RNG = tu_seed(2019);
    unsetenv("WINSUM_CONV_IMPL");
    CHECK_STATUS(winsum_context_create(&REF, WINSUM_BACKEND_REF, NULL), WINSUM_OK);
    winsum_status st = winsum_context_create(&CL, WINSUM_BACKEND_OPENCL, NULL);
    if (st) {
        printf("no OpenCL device: %s\n", winsum_status_string(st));
        CHECK(0);
        return tu_finish("test_conv_direct_weight");
    }
    geometries();
    choices();
    winsum_context_destroy(CL);
    winsum_context_destroy(REF);
    return tu_finish("test_conv_direct_weight");
}
