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

typedef struct layer {
    const char *what;
    int ns;
    int64_t n, c, o, g, in[3], k[3], s[3], d[3], lo[3], hi[3];
    winsum_layout layout;
    winsum_dtype dt;
    double alpha, beta;
    int strided;       /* x in every other element of a buffer twice its size */
    const char *block; /* WINSUM_POINTWISE_BLOCK, or NULL */
    const char *slice; /* WINSUM_POINTWISE_SLICE, or NULL */
    const char *tile;  /* WINSUM_POINTWISE_TILE, or NULL */
    const char *pack;  /* WINSUM_POINTWISE_PACK, or NULL */
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
    if (L->block) setenv("WINSUM_POINTWISE_BLOCK", L->block, 1);
    if (L->slice) setenv("WINSUM_POINTWISE_SLICE", L->slice, 1);
    if (L->tile) setenv("WINSUM_POINTWISE_TILE", L->tile, 1);
    if (L->pack) setenv("WINSUM_POINTWISE_PACK", L->pack, 1);
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
    unsetenv("WINSUM_POINTWISE_BLOCK");
    unsetenv("WINSUM_POINTWISE_SLICE");
    unsetenv("WINSUM_POINTWISE_TILE");
    unsetenv("WINSUM_POINTWISE_PACK");
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
    t.slice = "32";
    L[n++] = t;
    /* one slice, beta 0: the main kernel writes w, not reading it */
    t.what = "1x1 8x8, one slice, beta 0";
    t.slice = "100000", t.beta = 0;
    L[n++] = t;
    /* 7x5 images read in place: a masked last step per image, slices of
     * 48 pixels that cross an image's end */
    t = base;
    t.what = "1x1 7x5 in place, slices of 48";
    t.in[0] = 7, t.in[1] = 5, t.pack = "0", t.slice = "48";
    L[n++] = t;
    /* the same copied (the default for small images ending in a partial vector) */
    t.what = "1x1 7x5 copied";
    t.pack = NULL, t.slice = NULL;
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
    t.block = "3,8", t.tile = "2,3", t.slice = "16", t.o = 23;
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
    unsetenv("WINSUM_CONV_IMPL");
    CHECK_STATUS(winsum_context_create(&REF, WINSUM_BACKEND_REF, NULL), WINSUM_OK);
    winsum_status st = winsum_context_create(&CL, WINSUM_BACKEND_OPENCL, NULL);
    if (st) {
        printf("no OpenCL device: %s\n", winsum_status_string(st));
        CHECK(0);
        return tu_finish("test_conv_pointwise");
    }
    geometries();
    choices();
    winsum_context_destroy(CL);
    winsum_context_destroy(REF);
    return tu_finish("test_conv_pointwise");
}
