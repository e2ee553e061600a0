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

/* the tuning variables a layer may set (tu_wlayer.knob) */
enum { BLOCK, SLICE, CHUNK };
static const char *const KNOBS[TU_KNOBS] = {
    "WINSUM_DIRECT_WEIGHT_BLOCK", "WINSUM_DIRECT_WEIGHT_SLICE", "WINSUM_DIRECT_WEIGHT_CHUNK", NULL};
typedef tu_wlayer layer;

static void run(const layer *L, const char *env, const char *want)
{
    tu_check_bwd_weight(CL, REF, &RNG, L, KNOBS, env, want);
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
    t.knob[BLOCK] = "4,3,2", t.knob[SLICE] = "5";
    L[n++] = t;
    /* dy copied in chunks of 3 rows (2 slices of 1 or 2 rows each): the
     * later chunks add to the parts the first wrote */
    t.what = "3x3 s2 d2 groups 2, chunks of 3 rows";
    t.knob[BLOCK] = NULL, t.knob[SLICE] = "5", t.knob[CHUNK] = "3840";
    L[n++] = t;
    t.what = "3x3 s2 d2 groups 2, chunks of 1 row";
    t.knob[SLICE] = NULL, t.knob[CHUNK] = "1";
    L[n++] = t;
    /* rows of 37 pixels: dy's 16-pixel tiles transposed in registers,
     * across rows and (a tile over two images) element by element; two
     * channel vectors, the second 8 of 16 channels */
    t = base;
    t.what = "3x3 rows of 37, block 2,2,3";
    t.c = 3, t.o = 40, t.in[0] = 6, t.in[1] = 37, t.knob[BLOCK] = "2,2,3";
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
    if (tu_conv_contexts(&REF, &CL)) {
        winsum_context_destroy(REF);
        return tu_finish("test_conv_direct_weight");
    }
    geometries();
    choices();
    winsum_context_destroy(CL);
    winsum_context_destroy(REF);
    return tu_finish("test_conv_direct_weight");
}
