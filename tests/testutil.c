/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/* testutil.c - see testutil.h. */
#include "testutil.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long tu_passed, tu_failed;

int tu_finish(const char *name)
{
    printf("%s: %ld passed, %ld failed\n", name, tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
}

int tu_conv_contexts(winsum_context **ref, winsum_context **cl)
{
    unsetenv("WINSUM_CONV_IMPL");
    *cl = NULL;
    CHECK_STATUS(winsum_context_create(ref, WINSUM_BACKEND_REF, NULL), WINSUM_OK);
    const winsum_status st = winsum_context_create(cl, WINSUM_BACKEND_OPENCL, NULL);
    if (st) {
        printf("no OpenCL device: %s\n", winsum_status_string(st));
        CHECK(0);
        *cl = NULL;
        return 1;
    }
    return 0;
}

uint64_t tu_seed(uint64_t fallback)
{
    const char *s = getenv("WINSUM_TEST_SEED");
    uint64_t seed = s && *s ? strtoull(s, NULL, 0) : fallback;
    printf("seed %llu (replay with WINSUM_TEST_SEED=%llu)\n", (unsigned long long)seed,
           (unsigned long long)seed);
    return seed ? seed : 1;
}

uint64_t tu_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

double tu_uniform(uint64_t *state) { return (double)(tu_rand(state) >> 11) * 0x1p-52 - 1.0; }

int64_t tu_range(uint64_t *state, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(tu_rand(state) % (uint64_t)(hi - lo + 1));
}

double tu_max_err(const double *a, const double *b, int64_t n, double scale)
{
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(a[i]) != isnan(b[i])) return INFINITY;
        if (isnan(a[i])) continue;
        double d = fabs(a[i] - b[i]) / scale;
        if (d > worst) worst = d;
    }
    return worst;
}

void tu_print_tiles(winsum_context *ctx)
{
    const char *want = getenv("WINSUM_GETT");
    printf("device: %s; tiles %s (%s)\n", winsum_context_device_name(ctx),
           winsum_tuning_params(ctx), winsum_tuning_source(ctx));
    if (want && *want)
        CHECK_MSG(strcmp(winsum_tuning_params(ctx), want) == 0, "WINSUM_GETT=%s not in effect (%s)",
                  want, winsum_tuning_params(ctx));
}

cl_context tu_own_cl_context(cl_device_id *dev)
{
    cl_platform_id plat;
    cl_int err;
    if (clGetPlatformIDs(1, &plat, NULL) != CL_SUCCESS ||
        clGetDeviceIDs(plat, CL_DEVICE_TYPE_ALL, 1, dev, NULL) != CL_SUCCESS)
        return NULL;
    return clCreateContext(NULL, 1, dev, NULL, NULL, &err);
}

void tu_put(winsum_context *ctx, const double *h, size_t n, winsum_dtype dt, int rank,
            const int64_t *shape, const int64_t *strides, tu_buf *o)
{
    size_t es = winsum_dtype_size(dt);
    void *tmp = malloc(n * es + 8);
    for (size_t i = 0; i < n; i++) {
        if (dt == WINSUM_F32) ((float *)tmp)[i] = (float)h[i];
        else if (dt == WINSUM_F16) ((uint16_t *)tmp)[i] = winsum_f16_from_double(h[i]);
        else ((double *)tmp)[i] = h[i];
    }
    CHECK_STATUS(winsum_buffer_alloc(ctx, n * es, &o->b), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_write(ctx, &o->b, 0, tmp, n * es), WINSUM_OK);
    o->v = strides ? winsum_view_strided(&o->b, dt, 0, rank, shape, strides)
                   : winsum_view_contiguous(&o->b, dt, rank, shape);
    free(tmp);
}

void tu_get(winsum_context *ctx, tu_buf *o, double *h, size_t n)
{
    size_t es = winsum_dtype_size(o->v.dtype);
    void *tmp = malloc(n * es + 8);
    CHECK_STATUS(winsum_buffer_read(ctx, &o->b, 0, tmp, n * es), WINSUM_OK);
    for (size_t i = 0; i < n; i++)
        h[i] = o->v.dtype == WINSUM_F32   ? ((float *)tmp)[i]
               : o->v.dtype == WINSUM_F16 ? winsum_f16_to_double(((uint16_t *)tmp)[i])
                                          : ((double *)tmp)[i];
    free(tmp);
}

double *tu_randv(uint64_t *state, size_t n)
{
    double *h = malloc((n + 1) * sizeof *h);
    for (size_t i = 0; i < n; i++) h[i] = tu_uniform(state);
    return h;
}

void tu_check_bwd_weight(winsum_context *CL, winsum_context *REF, uint64_t *rng, const tu_wlayer *L,
                         const char *const knob[TU_KNOBS], const char *env, const char *want)
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
    double *hx = tu_randv(rng, nxb), *hw = tu_randv(rng, nw), *hy = tu_randv(rng, ny), *out[2];
    if (env) setenv("WINSUM_CONV_IMPL", env, 1);
    for (int i = 0; i < TU_KNOBS; i++)
        if (knob[i] && L->knob[i]) setenv(knob[i], L->knob[i], 1);
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
    for (int i = 0; i < TU_KNOBS; i++)
        if (knob[i]) unsetenv(knob[i]);
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
