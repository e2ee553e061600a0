/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/* testutil.c - see testutil.h. */
#include "testutil.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

long tu_passed, tu_failed;

int tu_finish(const char *name)
{
    printf("%s: %ld passed, %ld failed\n", name, tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
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
