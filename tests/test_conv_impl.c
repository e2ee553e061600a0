/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_conv_impl.c - the convolution implementation lists (host/conv/impl.c):
 * which implementation each kind of problem gets by default, that
 * WINSUM_CONV_IMPL moves the named one first and falls back down the list
 * when it cannot take the problem, that a bad value is refused with nothing
 * written, that the trace names the choice, and that every choice computes
 * what the reference backend computes (bias, alpha, beta, NCHW and NHWC,
 * strided views, float16/32/64; forward and backward-data).
 */
#include "testutil.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static winsum_context *CL, *REF;
static uint64_t RNG;

/* n values of h in dt into a new buffer of ctx, viewed with shape (and
 * strides, or contiguous when NULL) */
typedef struct layer {
    int64_t n, c, o, g, hw, k, s, d, pad;
    winsum_layout layout;
    winsum_dtype dt;
    int op;           /* 0 forward, 1 backward-data, 2 transposed (x: O channels) */
    int64_t hi, opad; /* pad_hi - pad_lo; output_padding (op 2) */
    int bias, strided;
    double alpha, beta;
} layer;

/* Runs the layer on CL under env (NULL: unset) and on REF; returns the
 * status on CL, the implementation it named in *impl (copied), and checks
 * the outputs agree. */
static winsum_status run_layer(const layer *L, const char *env, char *impl, size_t impl_len)
{
    if (env) setenv("WINSUM_CONV_IMPL", env, 1);
    else unsetenv("WINSUM_CONV_IMPL");
    winsum_conv_desc desc;
    winsum_conv_desc_init(&desc);
    desc.layout = L->layout;
    desc.groups = L->g;
    desc.stride[0] = desc.stride[1] = L->s;
    desc.dilation[0] = desc.dilation[1] = L->d;
    desc.pad_lo[0] = desc.pad_lo[1] = L->pad;
    desc.pad_hi[0] = desc.pad_hi[1] = L->pad + L->hi;
    desc.output_padding[0] = desc.output_padding[1] = L->opad;
    int nhwc = L->layout == WINSUM_LAYOUT_NHWC;
    int64_t xc = L->op == 2 ? L->o : L->c;
    int64_t xs[4] = {L->n, nhwc ? L->hw : xc, L->hw, nhwc ? xc : L->hw};
    int64_t wsh[4] = {L->o, L->c / L->g, L->k, L->k};
    int64_t ys[4];
    char msg[256];
    if (L->op == 2)
        CHECK_STATUS(winsum_conv_transpose_output_shape(&desc, 4, xs, wsh, ys, msg, sizeof msg),
                     WINSUM_OK);
    else CHECK_STATUS(winsum_conv_output_shape(&desc, 4, xs, wsh, ys, msg, sizeof msg), WINSUM_OK);
    int64_t oh = nhwc ? ys[1] : ys[2];
    if (L->op != 2) ys[nhwc ? 3 : 1] = L->o;
    size_t nx = (size_t)(xs[0] * xs[1] * xs[2] * xs[3]), nw = (size_t)(wsh[0] * wsh[1] * 9);
    nw = (size_t)(wsh[0] * wsh[1] * wsh[2] * wsh[3]);
    size_t ny = (size_t)(ys[0] * ys[1] * ys[2] * ys[3]);
    (void)oh;
    /* strided: x lives in every other element of a buffer twice its size */
    size_t nxb = L->strided ? 2 * nx : nx;
    double *hx = tu_randv(&RNG, nxb), *hw = tu_randv(&RNG, nw), *hy = tu_randv(&RNG, ny),
           *hb = tu_randv(&RNG, (size_t)L->o);
    int64_t xst[4] = {2 * xs[1] * xs[2] * xs[3], 2 * xs[2] * xs[3], 2 * xs[3], 2};
    double *out[2];
    winsum_status st[2];
    for (int b = 0; b < 2; b++) {
        winsum_context *ctx = b ? REF : CL;
        tu_buf x, w, y, bias;
        tu_put(ctx, hx, nxb, L->dt, 4, xs, L->strided ? xst : NULL, &x);
        tu_put(ctx, hw, nw, L->dt, 4, wsh, NULL, &w);
        tu_put(ctx, hy, ny, L->dt, 4, ys, NULL, &y);
        int64_t bsh[1] = {L->o};
        tu_put(ctx, hb, (size_t)L->o, L->dt, 1, bsh, NULL, &bias);
        st[b] = L->op == 0 ? winsum_conv_forward(ctx, &desc, &x.v, &w.v, L->bias ? &bias.v : NULL,
                                                 &y.v, L->alpha, L->beta)
                : L->op == 1
                    ? winsum_conv_backward_data(ctx, &desc, &y.v, &w.v, &x.v, L->alpha, L->beta)
                    : winsum_conv_transpose(ctx, &desc, &x.v, &w.v, &y.v, L->alpha, L->beta);
        if (b == 0) snprintf(impl, impl_len, "%s", winsum_conv_last_impl(ctx));
        winsum_finish(ctx);
        size_t n = L->op != 1 ? ny : nxb;
        out[b] = malloc((n + 1) * sizeof(double));
        tu_get(ctx, L->op != 1 ? &y : &x, out[b], n);
        winsum_buffer_free(ctx, &x.b);
        winsum_buffer_free(ctx, &w.b);
        winsum_buffer_free(ctx, &y.b);
        winsum_buffer_free(ctx, &bias.b);
    }
    unsetenv("WINSUM_CONV_IMPL");
    if (st[0] == WINSUM_OK) {
        double k = (double)(L->op == 0 ? L->c / L->g : L->o / L->g) * (double)(L->k * L->k);
        double eps = L->dt == WINSUM_F32 ? 2e-6 : L->dt == WINSUM_F16 ? 1e-3 : 1e-14;
        size_t n = L->op != 1 ? ny : nxb;
        double worst = 0;
        for (size_t i = 0; i < n; i++) {
            double d = fabs(out[0][i] - out[1][i]);
            if (!(d <= worst)) worst = d;
        }
        CHECK_MSG(st[1] == WINSUM_OK && worst <= eps * (k + 8) * 4,
                  "%s impl %s (WINSUM_CONV_IMPL=%s) %s dt %d: err %g",
                  L->op == 2 ? "transposed"
                  : L->op    ? "bwd-data"
                             : "fwd",
                  impl, env ? env : "unset", nhwc ? "nhwc" : "nchw", (int)L->dt, worst);
    }
    free(out[0]), free(out[1]);
    free(hx), free(hw), free(hy), free(hb);
    return st[0];
}

static void expect(const layer *L, const char *env, const char *want, const char *what)
{
    char impl[32];
    winsum_status st = run_layer(L, env, impl, sizeof impl);
    CHECK_MSG(st == WINSUM_OK && strcmp(impl, want) == 0,
              "%s, WINSUM_CONV_IMPL=%s: %s, impl \"%s\", expected \"%s\" (%s)", what,
              env ? env : "unset", winsum_status_string(st), impl, want, winsum_last_error(CL));
}

/* A layer of at most 2^21 multiply-adds: einsum by default (one GETT
 * launch and program for every direction), direct when forced or when
 * WINSUM_DIRECT_TINY lowers the bound; one just over it: direct. */
static void tiny(void)
{
    layer t = {.n = 1,
               .c = 16,
               .o = 16,
               .g = 1,
               .hw = 8,
               .k = 3,
               .s = 1,
               .d = 1,
               .pad = 1,
               .layout = WINSUM_LAYOUT_NCHW,
               .dt = WINSUM_F32,
               .alpha = 1,
               .beta = 0};
    expect(&t, NULL, "einsum", "tiny forward (147456 multiply-adds)");
    expect(&t, "direct", "direct", "tiny forward, forced");
    t.op = 1;
    expect(&t, NULL, "einsum", "tiny backward-data");
    setenv("WINSUM_DIRECT_TINY", "100000", 1);
    expect(&t, NULL, "direct", "tiny backward-data, WINSUM_DIRECT_TINY=100000");
    unsetenv("WINSUM_DIRECT_TINY");
    /* 32 -> 32 channels, 16 x 16, batch 1: 2359296 multiply-adds */
    t.op = 0, t.c = t.o = 32, t.hw = 16;
    expect(&t, NULL, "direct", "forward of 2359296 multiply-adds");
}

static void choices(void)
{
    const winsum_dtype dts[3] = {WINSUM_F32, WINSUM_F16, WINSUM_F64};
    for (int di = 0; di < 3; di++)
        for (int lay = 0; lay < 2; lay++) {
            /* dense, 32 filters: direct by default */
            layer dense = {.n = 2,
                           .c = 24,
                           .o = 32,
                           .g = 1,
                           .hw = 11,
                           .k = 3,
                           .s = 1,
                           .d = 1,
                           .pad = 1,
                           .layout = lay,
                           .dt = dts[di],
                           .bias = 1,
                           .alpha = 1.5,
                           .beta = 0.5,
                           .strided = lay};
            /* by default, in every dtype */
            const char *dflt = "direct";
            expect(&dense, NULL, dflt, "dense forward");
            expect(&dense, "direct", "direct", "dense forward");
            expect(&dense, "einsum", "einsum", "dense forward");
            expect(&dense, "gemv", dflt, "dense forward, gemv declines (not depthwise)");
            /* stride 2, dilation 2, two groups, no bias */
            layer s2 = dense;
            s2.s = 2, s2.d = 2, s2.g = 2, s2.c = 8, s2.o = 48, s2.bias = 0, s2.beta = 0;
            expect(&s2, "direct", "direct", "strided dilated grouped forward");
            /* NHWC at stride 2: einsum by default (measured no faster) */
            expect(&s2, NULL, lay ? "einsum" : dflt, "strided dilated grouped forward");
            /* depthwise: the depthwise family by default, direct or gemv
             * when forced */
            layer dw = {.n = 2,
                        .c = 8,
                        .o = 8,
                        .g = 8,
                        .hw = 9,
                        .k = 3,
                        .s = 1,
                        .d = 1,
                        .pad = 1,
                        .layout = lay,
                        .dt = dts[di],
                        .bias = 1,
                        .alpha = 1,
                        .beta = 0};
            expect(&dw, NULL, "depthwise", "depthwise forward");
            expect(&dw, "gemv", "gemv", "depthwise forward");
            expect(&dw, "direct", "direct", "depthwise forward");
            expect(&dw, "einsum", "einsum", "depthwise forward");
            /* a 1x1 kernel: einsum by default (GETT measured faster) */
            layer pw = dense;
            pw.k = 1, pw.pad = 0;
            expect(&pw, NULL, "einsum", "1x1 forward");
            expect(&pw, "direct", "direct", "1x1 forward");
            /* pointwise (impl_pointwise.c) forced: every 1x1 forward and
             * backward-data without padding, copied (11x11 images, a
             * stride, NHWC) or in place (8x8: one block of 64 pixels), the
             * default there in NCHW with 128 filters */
            expect(&pw, "pointwise", "pointwise", "1x1 forward");
            layer pw8 = pw;
            pw8.hw = 8;
            expect(&pw8, NULL, "einsum", "1x1 forward, 8x8, 24 -> 32 channels");
            pw8.o = 128;
            expect(&pw8, NULL, lay ? "einsum" : "pointwise", "1x1 forward, 8x8");
            expect(&pw8, "pointwise", "pointwise", "1x1 forward, 8x8");
            pw8.op = 1, pw8.bias = 0;
            expect(&pw8, "pointwise", "pointwise", "1x1 backward-data, 8x8");
            layer pws = pw;
            pws.s = 2; /* x read at the stride into the copy */
            expect(&pws, "pointwise", "pointwise", "1x1 forward at stride 2");
            layer pwc = pws; /* 1024 channels: the default in float32 NCHW */
            pwc.c = 1024, pwc.o = 16, pwc.hw = 6, pwc.n = 1;
            expect(&pwc, NULL, !lay && di == 0 ? "pointwise" : "einsum",
                   "1x1 forward at stride 2, 1024 channels");
            pws.op = 1, pws.bias = 0;
            expect(&pws, "pointwise", "pointwise", "1x1 backward-data at stride 2");
            pws.op = 2, pws.opad = 1, pws.hw = 6;
            expect(&pws, "pointwise", "pointwise", "1x1 transposed, stride 2, output padding 1");
            /* few filters a group: einsum by default */
            layer few = dense;
            few.o = 4;
            expect(&few, NULL, "einsum", "4-filter forward");
            expect(&few, "direct", "direct", "4-filter forward");
            /* backward-data: direct at stride 1 (dilated, padded, grouped,
             * strided views), else it falls back */
            layer bd = dense;
            bd.op = 1, bd.bias = 0;
            expect(&bd, NULL, dflt, "backward-data");
            expect(&bd, "einsum", "einsum", "backward-data");
            layer bd3 = bd; /* padding above d*(k-1): the flipped kernel's is negative */
            bd3.pad = 3;
            expect(&bd3, "direct", "direct", "backward-data, padding 3 of a 3x3");
            layer bd2 = s2;
            bd2.op = 1, bd2.s = 1, bd2.pad = 2, bd2.beta = 0.5;
            expect(&bd2, "direct", "direct", "dilated grouped backward-data");
            bd2.s = 2;
            expect(&bd2, "direct", "direct", "dilated grouped backward-data at stride 2");
            /* backward-data at stride 3, dilation 2, asymmetric padding
             * (every phase reached), NHWC too; a transposed convolution
             * with output padding (outputs no tap reaches) */
            layer b3 = bd2;
            b3.s = 3, b3.pad = 2, b3.hi = -2, b3.hw = 13, b3.alpha = -0.75;
            expect(&b3, "direct", "direct", "backward-data at stride 3, asymmetric padding");
            /* a strided backward-data with more channels than the
             * sub-pixel form fits, every phase in one launch and (WINSUM_
             * DIRECT_PHASES=split) a launch a phase: 40 channels (two
             * blocks of output channels, the second part empty), a 9x9
             * input stride 2 does not divide, stride 3 with dilation 2
             * and groups (phases no tap reaches: alpha * 0 + beta * dx) */
            layer wide = bd;
            wide.c = 40, wide.o = 24, wide.s = 2, wide.hw = 9, wide.beta = 0.5;
            wide.alpha = -1.5;
            layer wz = wide; /* beta 0, whole blocks of 8 pixels */
            wz.hw = 31, wz.beta = 0;
            layer w3 = wide;
            w3.s = 3, w3.d = 2, w3.g = 2, w3.pad = 2, w3.hi = 1, w3.hw = 10;
            for (int split = 0; split < 2; split++) {
                if (split) setenv("WINSUM_DIRECT_PHASES", "split", 1);
                expect(&wide, "direct", "direct", "backward-data, stride 2, 40 channels, 9x9");
                expect(&wz, "direct", "direct", "backward-data, stride 2, 40 channels, 31x31");
                expect(&w3, "direct", "direct", "backward-data, stride 3, dilation 2, groups");
                if (split) expect(&b3, "direct", "direct", "backward-data, stride 3, split");
                unsetenv("WINSUM_DIRECT_PHASES");
            }
            layer tr = b3;
            tr.op = 2, tr.s = 2, tr.d = 1, tr.pad = 1, tr.hi = 1, tr.opad = 1, tr.hw = 6;
            expect(&tr, "direct", "direct", "transposed, stride 2, output padding 1");
            /* 3 input channels at stride 2 (the 7x7/2 stem's shape): direct
             * by default in NCHW, einsum in NHWC (measured slower) */
            layer stem = bd;
            stem.c = 3, stem.o = 16, stem.k = 5, stem.s = 2, stem.pad = 2, stem.hw = 12;
            expect(&stem, NULL, lay ? "einsum" : "direct", "backward-data, 3 channels, stride 2");
            expect(&stem, "direct", "direct", "backward-data, 3 channels, stride 2");
            /* the stem's shape is the sub-pixel form (the 4 phases' 3
             * channels in 12 lanes); also with beta and alpha, 2 channels
             * a group (8 lanes), a 4x4 kernel whose phases' windows differ,
             * and a size stride 2 does not divide (one launch a phase) */
            layer sp = stem;
            sp.c = 4, sp.o = 8, sp.g = 2, sp.k = 4, sp.pad = 1, sp.hw = 10;
            sp.alpha = -1.25, sp.beta = 0.5;
            expect(&sp, "direct", "direct", "sub-pixel backward-data, groups, beta");
            sp.hw = 11;
            expect(&sp, "direct", "direct", "backward-data, 11 not a multiple of stride 2");
            /* its forward: 64 filters of 3 channels */
            layer sf = stem;
            sf.op = 0, sf.o = 64, sf.bias = 1, sf.beta = 0.25;
            expect(&sf, NULL, lay ? "einsum" : "direct", "forward, 3 channels, 64 filters");
            expect(&sf, "direct", "direct", "forward, 3 channels, 64 filters");
            layer bdw = dw;
            bdw.op = 1, bdw.bias = 0;
            expect(&bdw, NULL, "depthwise", "depthwise backward-data");
            expect(&bdw, "gemv", "gemv", "depthwise backward-data");
            expect(&bdw, "direct", "direct", "depthwise backward-data");
        }
}

static void refused(void)
{
    /* a value that names nothing: an error naming the variable, y untouched */
    int64_t xs[4] = {1, 16, 6, 6}, wsh[4] = {16, 16, 3, 3}, ys[4] = {1, 16, 4, 4};
    double *hx = tu_randv(&RNG, 576), *hw = tu_randv(&RNG, 2304), *hy = tu_randv(&RNG, 256),
           *back = malloc(256 * 8);
    tu_buf x, w, y;
    tu_put(CL, hx, 576, WINSUM_F32, 4, xs, NULL, &x);
    tu_put(CL, hw, 2304, WINSUM_F32, 4, wsh, NULL, &w);
    tu_put(CL, hy, 256, WINSUM_F32, 4, ys, NULL, &y);
    winsum_conv_desc desc;
    winsum_conv_desc_init(&desc);
    setenv("WINSUM_CONV_IMPL", "fast", 1);
    winsum_status st = winsum_conv_forward(CL, &desc, &x.v, &w.v, NULL, &y.v, 1, 0);
    unsetenv("WINSUM_CONV_IMPL");
    CHECK_MSG(st == WINSUM_ERR_ARGUMENT && strstr(winsum_last_error(CL), "WINSUM_CONV_IMPL") &&
                  strcmp(winsum_conv_last_impl(CL), "") == 0,
              "WINSUM_CONV_IMPL=fast: %s (%s), impl \"%s\"", winsum_status_string(st),
              winsum_last_error(CL), winsum_conv_last_impl(CL));
    tu_get(CL, &y, back, 256);
    int same = 1;
    for (int i = 0; i < 256; i++) same &= back[i] == (double)(float)hy[i];
    CHECK_MSG(same, "WINSUM_CONV_IMPL=fast wrote the output");
    /* the reference backend: forced direct falls back to einsum */
    setenv("WINSUM_CONV_IMPL", "direct", 1);
    tu_buf rx, rw, ry;
    tu_put(REF, hx, 576, WINSUM_F32, 4, xs, NULL, &rx);
    tu_put(REF, hw, 2304, WINSUM_F32, 4, wsh, NULL, &rw);
    tu_put(REF, hy, 256, WINSUM_F32, 4, ys, NULL, &ry);
    st = winsum_conv_forward(REF, &desc, &rx.v, &rw.v, NULL, &ry.v, 1, 0);
    unsetenv("WINSUM_CONV_IMPL");
    CHECK_MSG(st == WINSUM_OK && strcmp(winsum_conv_last_impl(REF), "einsum") == 0,
              "reference backend, forced direct: %s impl %s", winsum_status_string(st),
              winsum_conv_last_impl(REF));
    CHECK(strcmp(winsum_conv_last_impl(NULL), "") == 0);
    tu_buf *all[6] = {&x, &w, &y, &rx, &rw, &ry};
    for (int i = 0; i < 6; i++) winsum_buffer_free(i < 3 ? CL : REF, &all[i]->b);
    free(hx), free(hw), free(hy), free(back);
}

/* The trace names the implementation, and a forced one that declined. */
static void traced(void)
{
    char path[] = "/tmp/winsum_conv_impl_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    close(fd);
    setenv("WINSUM_VERBOSE", "1", 1);
    setenv("WINSUM_VERBOSE_FILE", path, 1);
    winsum_context *ctx = NULL;
    winsum_status st = winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL);
    unsetenv("WINSUM_VERBOSE");
    unsetenv("WINSUM_VERBOSE_FILE");
    CHECK_STATUS(st, WINSUM_OK);
    if (st) return;
    int64_t xs[4] = {1, 16, 6, 6}, wsh[4] = {32, 16, 3, 3}, ys[4] = {1, 32, 4, 4};
    double *hx = tu_randv(&RNG, 576), *hw = tu_randv(&RNG, 4608), *hy = tu_randv(&RNG, 512);
    tu_buf x, w, y;
    tu_put(ctx, hx, 576, WINSUM_F32, 4, xs, NULL, &x);
    tu_put(ctx, hw, 4608, WINSUM_F32, 4, wsh, NULL, &w);
    tu_put(ctx, hy, 512, WINSUM_F32, 4, ys, NULL, &y);
    winsum_conv_desc desc;
    winsum_conv_desc_init(&desc);
    setenv("WINSUM_CONV_IMPL", "direct", 1);
    CHECK_STATUS(winsum_conv_forward(ctx, &desc, &x.v, &w.v, NULL, &y.v, 1, 0), WINSUM_OK);
    setenv("WINSUM_CONV_IMPL", "gemv", 1);
    CHECK_STATUS(winsum_conv_forward(ctx, &desc, &x.v, &w.v, NULL, &y.v, 1, 0), WINSUM_OK);
    unsetenv("WINSUM_CONV_IMPL");
    winsum_finish(ctx);
    for (int i = 0; i < 3; i++) winsum_buffer_free(ctx, i == 0 ? &x.b : i == 1 ? &w.b : &y.b);
    winsum_context_destroy(ctx);
    FILE *f = fopen(path, "r");
    char text[8192] = "";
    size_t got = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[got] = 0;
    if (f) fclose(f);
    unlink(path);
    char *second = strchr(text, '\n');
    CHECK_MSG(strstr(text, "plan:impl direct; direct{") && second &&
                  strstr(second, "gemv declined: not depthwise; impl direct"),
              "trace lines: %s", text);
    free(hx), free(hw), free(hy);
}

int main(void)
{
    RNG = tu_seed(1919);
    if (tu_conv_contexts(&REF, &CL)) {
        winsum_context_destroy(REF);
        return tu_finish("test_conv_impl");
    }
    /* tiny layers go to einsum (impl_direct.c, prefer()); most shapes
     * here are that small: the other rules are checked without it */
    tiny();
    setenv("WINSUM_DIRECT_TINY", "0", 1);
    choices();
    refused();
    traced();
    winsum_context_destroy(CL);
    winsum_context_destroy(REF);
    return tu_finish("test_conv_impl");
}
