/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_conv_direct.c - the direct forward and backward-data kernel
 * (kernels/direct.cl, host/conv/impl_direct.c) against the reference
 * backend, on the variants the host compiles in: the step between a
 * block's pixels in x (PX) 1 (NCHW stride 1), 2 (NCHW stride 2, or stride
 * 1 over a view that takes every other column) or at run time (NHWC,
 * stride 3); few channels a group compiled in (CG: 1 to 4 channels in one
 * summation block, as the RGB stem), with the borders that read outside
 * the row on both sides, and the same few channels when they do not fit
 * one block (a 9x9 kernel: no CG); and every store: whole blocks (NCHW,
 * beta 0), the row's last partial block, a partial last vector of
 * channels, beta, NHWC, the sub-pixel backward-data's lane offsets (with
 * beta). Sizes are chosen so that the cases share a few programs (WB 8):
 * the test builds about eight.
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
    int bwd; /* 0 forward, 1 backward-data */
    int64_t n, c, o, g, h, w, k, s, pad;
    winsum_layout layout;
    winsum_dtype dt;
    int bias, strided; /* strided: x (forward) every other element of its rows */
    double alpha, beta;
} layer;

/* Runs L on CL with WINSUM_CONV_IMPL=direct and on REF; checks that CL ran
 * direct and that the outputs agree within the dtype's rounding. */
static void check(const layer *L)
{
    setenv("WINSUM_CONV_IMPL", "direct", 1);
    winsum_conv_desc desc;
    winsum_conv_desc_init(&desc);
    desc.layout = L->layout;
    desc.groups = L->g;
    desc.stride[0] = desc.stride[1] = L->s;
    desc.pad_lo[0] = desc.pad_lo[1] = desc.pad_hi[0] = desc.pad_hi[1] = L->pad;
    const int nhwc = L->layout == WINSUM_LAYOUT_NHWC;
    const int64_t oh = (L->h + 2 * L->pad - L->k) / L->s + 1,
                  ow = (L->w + 2 * L->pad - L->k) / L->s + 1;
    int64_t xs[4] = {L->n, nhwc ? L->h : L->c, nhwc ? L->w : L->h, nhwc ? L->c : L->w};
    int64_t ys[4] = {L->n, nhwc ? oh : L->o, nhwc ? ow : oh, nhwc ? L->o : ow};
    int64_t wsh[4] = {L->o, L->c / L->g, L->k, L->k};
    const size_t nx = (size_t)(xs[0] * xs[1] * xs[2] * xs[3]),
                 ny = (size_t)(ys[0] * ys[1] * ys[2] * ys[3]),
                 nw = (size_t)(wsh[0] * wsh[1] * wsh[2] * wsh[3]);
    const size_t nxb = L->strided ? 2 * nx : nx;
    /* x in every other element: strides of a tensor twice as wide */
    int64_t xst[4] = {2 * xs[1] * xs[2] * xs[3], 2 * xs[2] * xs[3], 2 * xs[3], 2};
    double *hx = tu_randv(&RNG, nxb), *hw = tu_randv(&RNG, nw), *hy = tu_randv(&RNG, ny),
           *hb = tu_randv(&RNG, (size_t)L->o);
    const size_t nout = L->bwd ? nxb : ny;
    double *out[2];
    winsum_status st[2];
    char impl[32] = "";
    for (int b = 0; b < 2; b++) {
        winsum_context *ctx = b ? REF : CL;
        tu_buf x, w, y, bias;
        tu_put(ctx, hx, nxb, L->dt, 4, xs, L->strided ? xst : NULL, &x);
        tu_put(ctx, hw, nw, L->dt, 4, wsh, NULL, &w);
        tu_put(ctx, hy, ny, L->dt, 4, ys, NULL, &y);
        int64_t bsh[1] = {L->o};
        tu_put(ctx, hb, (size_t)L->o, L->dt, 1, bsh, NULL, &bias);
        st[b] = L->bwd ? winsum_conv_backward_data(ctx, &desc, &y.v, &w.v, &x.v, L->alpha, L->beta)
                       : winsum_conv_forward(ctx, &desc, &x.v, &w.v, L->bias ? &bias.v : NULL, &y.v,
                                             L->alpha, L->beta);
        if (b == 0) snprintf(impl, sizeof impl, "%s", winsum_conv_last_impl(ctx));
        winsum_finish(ctx);
        out[b] = malloc((nout + 1) * sizeof(double));
        tu_get(ctx, L->bwd ? &x : &y, out[b], nout);
        winsum_buffer_free(ctx, &x.b);
        winsum_buffer_free(ctx, &w.b);
        winsum_buffer_free(ctx, &y.b);
        winsum_buffer_free(ctx, &bias.b);
    }
    unsetenv("WINSUM_CONV_IMPL");
    CHECK_MSG(st[0] == WINSUM_OK && st[1] == WINSUM_OK && strcmp(impl, "direct") == 0,
              "%s: %s / %s, impl \"%s\" (%s)", L->what, winsum_status_string(st[0]),
              winsum_status_string(st[1]), impl, winsum_last_error(CL));
    if (st[0] == WINSUM_OK && st[1] == WINSUM_OK) {
        const double terms = (double)(L->bwd ? L->o / L->g : L->c / L->g) * (double)(L->k * L->k);
        const double eps = L->dt == WINSUM_F32 ? 2e-6 : L->dt == WINSUM_F16 ? 1e-3 : 1e-14;
        double worst = 0;
        for (size_t i = 0; i < nout; i++) {
            const double d = fabs(out[0][i] - out[1][i]);
            if (!(d <= worst)) worst = d;
        }
        CHECK_MSG(worst <= eps * (terms + 8) * 4, "%s: dtype %d, largest error %g", L->what,
                  (int)L->dt, worst);
    }
    free(out[0]), free(out[1]);
    free(hx), free(hw), free(hy), free(hb);
}

int main(void)
{
    RNG = tu_seed(4242);
    if (tu_conv_contexts(&REF, &CL)) {
        winsum_context_destroy(REF);
        return tu_finish("test_conv_direct");
    }
    const winsum_layout NCHW = WINSUM_LAYOUT_NCHW, NHWC = WINSUM_LAYOUT_NHWC;
    const winsum_dtype F32 = WINSUM_F32;
    /* what, bwd, n, c, o, g, h, w, k, s, pad, layout, dt, bias, strided, alpha, beta;
     * the widths give WB 8 (choose_block) */
    const layer L[] = {
        /* PX 1: whole blocks stored channel by channel (w 16, 16 filters) */
        {"PX 1, whole blocks", 0, 2, 8, 16, 1, 6, 16, 3, 1, 1, NCHW, F32, 1, 0, 1.0, 0.0},
        /* PX 1: the row's last block partial (15), beta, alpha */
        {"PX 1, partial block, beta", 0, 2, 8, 16, 1, 5, 15, 3, 1, 1, NCHW, F32, 1, 0, -1.5, 0.5},
        /* two vectors of filters, the last partial (20: OCB 2) */
        {"PX 1, OCB 2, 20 filters", 0, 1, 6, 20, 1, 4, 16, 3, 1, 1, NCHW, F32, 1, 0, 0.75, 0.0},
        /* PX 2: stride 2 (w 31 -> 15 outputs), and stride 1 over every
         * other column */
        {"PX 2, stride 2", 0, 2, 8, 16, 1, 9, 31, 3, 2, 1, NCHW, F32, 1, 0, 1.25, 0.0},
        {"PX 2, strided view", 0, 1, 8, 16, 1, 5, 16, 3, 1, 1, NCHW, F32, 0, 1, 1.0, 0.25},
        /* the step at run time: NHWC, stride 3 */
        {"NHWC", 0, 2, 8, 16, 1, 5, 15, 3, 1, 1, NHWC, F32, 1, 0, 1.0, 0.5},
        {"stride 3", 0, 1, 8, 16, 1, 10, 43, 3, 3, 1, NCHW, F32, 1, 0, 1.0, 0.0},
        /* CG 3: the stem's shape (7x7/2, padding 3: block 0's first tap
         * reads two pixels outside, the generic border), 16 filters */
        {"CG 3, 7x7/2", 0, 2, 3, 16, 1, 14, 30, 7, 2, 3, NCHW, F32, 1, 0, 1.0, 0.0},
        {"CG 3, 7x7/2, beta", 0, 1, 3, 16, 1, 9, 31, 7, 2, 3, NCHW, F32, 0, 0, -0.5, 0.75},
        /* CG 2: 2 groups of 2 channels, 8 filters a group, 5x5 */
        {"CG 2, groups 2", 0, 2, 4, 16, 2, 6, 15, 5, 1, 2, NCHW, F32, 1, 0, 1.0, 0.0},
        /* 4 channels of 81 taps: more than one summation block, no CG */
        {"4 channels, 9x9", 0, 1, 4, 16, 1, 12, 16, 9, 1, 4, NCHW, F32, 1, 0, 1.0, 0.0},
        /* float16 and float64 */
        {"float16, PX 1", 0, 2, 8, 16, 1, 5, 15, 3, 1, 1, NCHW, WINSUM_F16, 1, 0, 1.0, 0.5},
        {"float64, CG 3", 0, 1, 3, 8, 1, 9, 31, 7, 2, 3, NCHW, WINSUM_F64, 1, 0, 1.0, 0.0},
        /* the sub-pixel backward-data (3 channels x 4 phases: 12 lanes),
         * its lanes' offsets, beta; and a whole-block one */
        {"sub-pixel backward-data, beta", 1, 2, 3, 16, 1, 16, 16, 5, 2, 2, NCHW, F32, 0, 0, 1.0,
         0.5},
        {"backward-data, stride 1", 1, 2, 16, 8, 1, 6, 16, 3, 1, 1, NCHW, F32, 0, 0, 1.0, 0.0},
    };
    for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) check(&L[i]);
    winsum_context_destroy(CL);
    winsum_context_destroy(REF);
    return tu_finish("test_conv_direct");
}
