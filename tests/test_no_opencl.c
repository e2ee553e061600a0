/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_no_opencl.c - the API without OpenCL: with WINSUM_NO_OPENCL_HEADER,
 * winsum.h includes neither winsum_ocl.h nor <CL/cl.h> (checked at compile
 * time), and a program that touches no OpenCL object still computes on
 * every backend: buffers from winsum_buffer_alloc, an einsum, a plan run
 * with winsum_plan_run, a convolution's buffers read back after
 * winsum_finish. Checked against a plain loop.
 */
#define WINSUM_NO_OPENCL_HEADER
#include "winsum.h"

#include <stdio.h>
#include <string.h>

#if defined(CL_SUCCESS) || defined(WINSUM_OCL_H) || defined(__OPENCL_CL_H)
#error "winsum.h with WINSUM_NO_OPENCL_HEADER brought in OpenCL declarations"
#endif

enum { M = 5, K = 7, N = 3 };

static int failures;
#define CHECK(cond, ...)                                           \
    do {                                                           \
        if (!(cond)) {                                             \
            failures++;                                            \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            printf(__VA_ARGS__);                                   \
            printf("\n");                                          \
        }                                                          \
    } while (0)

static void run(winsum_backend backend, const char *device)
{
    winsum_context *ctx = NULL;
    winsum_status st = winsum_context_create(&ctx, backend, device);
    if (st) {
        printf("skip backend %d: %s\n", (int)backend, winsum_last_error(NULL));
        return;
    }
    const char *name = winsum_context_device_name(ctx);
    float a[M * K], b[K * N], c[M * N], want[M * N];
    for (int i = 0; i < M * K; i++) a[i] = (float)(i % 5) - 2;
    for (int i = 0; i < K * N; i++) b[i] = (float)(i % 3) * 0.5f;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float s = 0;
            for (int k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
            want[i * N + j] = s;
        }
    winsum_buffer ba = {0}, bb = {0}, bc = {0};
    winsum_plan *plan = NULL;
    st = winsum_buffer_alloc(ctx, sizeof a, &ba);
    if (!st) st = winsum_buffer_alloc(ctx, sizeof b, &bb);
    if (!st) st = winsum_buffer_alloc(ctx, sizeof c, &bc);
    /* a buffer of the context's own kind */
    int device_kind = winsum_context_backend(ctx) == WINSUM_BACKEND_OPENCL;
    CHECK(st || ba.where == (device_kind ? WINSUM_DEVICE : WINSUM_HOST), "%s: buffer kind %d", name,
          (int)ba.where);
    if (!st) st = winsum_buffer_write(ctx, &ba, 0, a, sizeof a);
    if (!st) st = winsum_buffer_write(ctx, &bb, 0, b, sizeof b);
    int64_t sa[2] = {M, K}, sb[2] = {K, N}, sc[2] = {M, N};
    winsum_view ops[2] = {winsum_view_contiguous(&ba, WINSUM_F32, 2, sa),
                          winsum_view_contiguous(&bb, WINSUM_F32, 2, sb)};
    winsum_view out = winsum_view_contiguous(&bc, WINSUM_F32, 2, sc);
    if (!st) st = winsum_einsum(ctx, "ij,jk->ik", 2, ops, &out, 1.0, 0.0);
    if (!st) st = winsum_buffer_read(ctx, &bc, 0, c, sizeof c);
    CHECK(st == WINSUM_OK, "%s: einsum: %s", name, winsum_last_error(ctx));
    for (int i = 0; !st && i < M * N; i++)
        CHECK(c[i] == want[i], "%s: einsum c[%d] = %g, want %g", name, i, c[i], want[i]);
    /* the plan, run twice: c = 3 (a b) - 2 c = a b */
    if (!st) st = winsum_plan_create(ctx, &plan, "ij,jk->ik", 2, ops, &out);
    if (!st) st = winsum_plan_run(plan, NULL, NULL, 3.0, -2.0);
    if (!st) st = winsum_plan_run(plan, NULL, NULL, 3.0, -2.0);
    if (!st) st = winsum_finish(ctx);
    if (!st) st = winsum_buffer_read(ctx, &bc, 0, c, sizeof c);
    CHECK(st == WINSUM_OK, "%s: plan: %s", name, winsum_last_error(ctx));
    for (int i = 0; !st && i < M * N; i++)
        CHECK(c[i] == want[i], "%s: plan c[%d] = %g, want %g", name, i, c[i], want[i]);
    /* bad input through winsum_plan_run: a NULL plan, and the output
     * replaced by input 0's buffer (they alias): refused, nothing written */
    CHECK(winsum_plan_run(NULL, NULL, NULL, 1.0, 0.0) == WINSUM_ERR_ARGUMENT, "%s: NULL plan",
          name);
    if (plan) {
        st = winsum_plan_run(plan, NULL, &ba, 1.0, 0.0);
        CHECK(st == WINSUM_ERR_ALIAS, "%s: aliased output: %s", name, winsum_status_string(st));
        float d[M * K];
        if (winsum_buffer_read(ctx, &ba, 0, d, sizeof d) == WINSUM_OK)
            CHECK(memcmp(a, d, sizeof d) == 0, "%s: a refused run wrote the output", name);
    }
    printf("%s: %s\n", name, failures ? "failures" : "ok");
    winsum_plan_destroy(plan);
    winsum_buffer_free(ctx, &ba);
    winsum_buffer_free(ctx, &bb);
    winsum_buffer_free(ctx, &bc);
    winsum_context_destroy(ctx);
}

int main(void)
{
    run(WINSUM_BACKEND_REF, NULL);
    run(WINSUM_BACKEND_AUTO, NULL);
    printf("test_no_opencl: %s\n", failures ? "FAILED" : "passed");
    return failures != 0;
}
