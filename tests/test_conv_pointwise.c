/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_conv_pointwise.c - the pointwise (1x1) backward-weight implementation
 * (host/conv/impl_pointwise.c, kernels/pointwise.cl) against the reference
 * backend: operands read in place (images a whole number of vectors, and
 * with a masked last step), copied (images ending in a partial vector or
 * under one vector, stride 2, NHWC, a strided input view); one slice (w
 * written by the main kernel) and several (the parts summed by pw_finish);
 * forced blocks and tiles that leave blocks partly filled; groups; 1-, 2-
 * and 3-D; alpha and beta; float16/32/64; and which implementation runs by
 * default (per dtype, in place or copied), forced, and on the reference
 * backend.
 */
#include "testutil.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static winsum_context *CL, *REF;
static uint64_t RNG;

/* the tuning variables a layer may set (tu_wlayer.knob) */
enum { BLOCK, SLICE, TILE, PACK };
static const char *const KNOBS[TU_KNOBS] = {"WINSUM_POINTWISE_BLOCK", "WINSUM_POINTWISE_SLICE",
                                            "WINSUM_POINTWISE_TILE", "WINSUM_POINTWISE_PACK"};
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
    const layer base = {.what = "1x1 nchw 29->42 8x8",
                        .ns = 2,
                        .n = 2,
                        .c = 29,
                        .o = 42,
                        .g = 1,
                        .in = SP3(8, 8, 1),
                        .k = SP3(1, 1, 1),
                        .s = SP3(1, 1, 1),
                        .d = SP3(1, 1, 1),
                        .layout = WINSUM_LAYOUT_NCHW,
                        .dt = WINSUM_F32,
                        .alpha = 1.5,
                        .beta = 0.5};
    layer L[24];
    int n = 0;
    L[n++] = base;
    layer t = base;
    /* slices of 32 pixels: 4 slices, parts summed by pw_finish */
    t.what = "1x1 8x8, slices of 32";
    t.knob[SLICE] = "32";
    L[n++] = t;
    /* one slice, beta 0: the main kernel writes w, not reading it */
    t.what = "1x1 8x8, one slice, beta 0";
    t.knob[SLICE] = "100000", t.beta = 0;
    L[n++] = t;
    /* 7x5 images read in place: a masked last step per image, slices of
     * 48 pixels that cross an image's end */
    t = base;
    t.what = "1x1 7x5 in place, slices of 48";
    t.in[0] = 7, t.in[1] = 5, t.knob[PACK] = "0", t.knob[SLICE] = "48";
    L[n++] = t;
    /* the same copied (the default for small images ending in a partial vector) */
    t.what = "1x1 7x5 copied";
    t.knob[PACK] = NULL, t.knob[SLICE] = NULL;
    L[n++] = t;
    /* under one vector a image: copied */
    t = base;
    t.what = "1x1 3x3 images";
    t.in[0] = t.in[1] = 3, t.n = 3;
    L[n++] = t;
    /* stride 2: x copied (dy in place), and both copied */
    t = base;
    t.what = "1x1 s2 16x16 -> 8x8";
    t.in[0] = t.in[1] = 16, t.s[0] = t.s[1] = 2;
    L[n++] = t;
    t.what = "1x1 s2,3 9x11 -> 5x4";
    t.in[0] = 9, t.in[1] = 11, t.s[1] = 3;
    L[n++] = t;
    /* NHWC, and a strided x view: copied */
    t = base;
    t.what = "1x1 nhwc";
    t.layout = WINSUM_LAYOUT_NHWC, t.alpha = -1;
    L[n++] = t;
    t = base;
    t.what = "1x1 strided x";
    t.strided = 1;
    L[n++] = t;
    /* groups */
    t = base;
    t.what = "1x1 groups 2, 12->20";
    t.c = 12, t.o = 20, t.g = 2;
    L[n++] = t;
    /* a forced block and tiles leaving blocks partly filled */
    t = base;
    t.what = "1x1 block 3,8, tile 2,3, slices of 16";
    t.knob[BLOCK] = "3,8", t.knob[TILE] = "2,3", t.knob[SLICE] = "16", t.o = 23;
    L[n++] = t;
    /* 1-D and 3-D */
    t = base;
    t.what = "1-D 40";
    t.ns = 1, t.in[0] = 40;
    L[n++] = t;
    t = base;
    t.what = "3-D 3x4x5";
    t.ns = 3, t.in[0] = 3, t.in[1] = 4, t.in[2] = 5, t.c = 17, t.o = 9;
    L[n++] = t;
    for (int i = 0; i < n; i++) run(&L[i], "pointwise", "pointwise");
    /* float16 and float64: in place, several slices, copied */
    const int other[] = {1, 4};
    for (int dt = 0; dt < 2; dt++)
        for (int i = 0; i < 2; i++) {
            t = L[other[i]];
            t.dt = dt ? WINSUM_F64 : WINSUM_F16;
            run(&t, "pointwise", "pointwise");
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
               .k = SP3(1, 1, 1),
               .s = SP3(1, 1, 1),
               .d = SP3(1, 1, 1),
               .layout = WINSUM_LAYOUT_NCHW,
               .dt = WINSUM_F32,
               .alpha = 1,
               .beta = 0};
    run(&t, NULL, "pointwise");
    run(&t, "einsum", "einsum");
    run(&t, "direct", "direct");
    t.dt = WINSUM_F64; /* float64 and float16 in place: measured faster than einsum */
    run(&t, NULL, "pointwise");
    t.dt = WINSUM_F16;
    run(&t, NULL, "pointwise");
    t.in[0] = 7, t.in[1] = 5; /* float16 copied: einsum measured faster */
    run(&t, NULL, "einsum");
    t.dt = WINSUM_F64; /* float64 copied: a tie, pointwise */
    run(&t, NULL, "pointwise");
    t.dt = WINSUM_F32, t.in[0] = t.in[1] = 8;
    t.o = 8; /* under 16 filters: not measured */
    run(&t, NULL, "einsum");
    t.o = 64;
    t.layout = WINSUM_LAYOUT_NHWC; /* NHWC, 16 channels: the copy measured slower */
    run(&t, NULL, "direct");
    t.layout = WINSUM_LAYOUT_NCHW;
    /* many channels on 14x14 images: direct measured as fast */
    t.n = 1, t.c = 256, t.in[0] = t.in[1] = 14;
    run(&t, NULL, "direct");
    run(&t, "pointwise", "pointwise");
    t.n = 2, t.c = 16, t.in[0] = t.in[1] = 8;
    /* padding, and a 3x3 kernel: declined even when forced */
    t.lo[0] = t.lo[1] = t.hi[0] = t.hi[1] = 1;
    run(&t, "pointwise", "direct");
    t.k[0] = t.k[1] = 3;
    run(&t, "pointwise", "direct");

    /* the reference backend: forced pointwise falls back to einsum */
    int64_t xs[4] = {1, 4, 5, 5}, wsh[4] = {16, 4, 1, 1}, ys[4] = {1, 16, 5, 5};
    double *hx = tu_randv(&RNG, 100), *hw = tu_randv(&RNG, 64), *hy = tu_randv(&RNG, 400);
    tu_buf x, w, y;
    tu_put(REF, hx, 100, WINSUM_F32, 4, xs, NULL, &x);
    tu_put(REF, hw, 64, WINSUM_F32, 4, wsh, NULL, &w);
    tu_put(REF, hy, 400, WINSUM_F32, 4, ys, NULL, &y);
    winsum_conv_desc desc;
    winsum_conv_desc_init(&desc);
    setenv("WINSUM_CONV_IMPL", "pointwise", 1);
    winsum_status st = winsum_conv_backward_weight(REF, &desc, &x.v, &y.v, &w.v, 1, 0);
    unsetenv("WINSUM_CONV_IMPL");
    CHECK_MSG(st == WINSUM_OK && strcmp(winsum_conv_last_impl(REF), "einsum") == 0,
              "reference backend, forced pointwise: %s impl %s", winsum_status_string(st),
              winsum_conv_last_impl(REF));
    winsum_buffer_free(REF, &x.b);
    winsum_buffer_free(REF, &w.b);
    winsum_buffer_free(REF, &y.b);
    free(hx), free(hw), free(hy);
}

int main(void)
{
    RNG = tu_seed(2020);
    if (tu_conv_contexts(&REF, &CL)) {
        winsum_context_destroy(REF);
        return tu_finish("test_conv_pointwise");
    }
    geometries();
    choices();
    winsum_context_destroy(CL);
    winsum_context_destroy(REF);
    return tu_finish("test_conv_pointwise");
}
