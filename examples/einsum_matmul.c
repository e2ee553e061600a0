/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * einsum_matmul.c - the README's first example as a complete program: a
 * matrix product C = A B through winsum_einsum, then the same through a plan
 * made once and executed twice, each result read back and checked against a
 * plain loop.
 *
 *   cc einsum_matmul.c $(pkg-config --cflags --libs winsum) -o einsum_matmul
 */
#include <winsum.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { M = 64, K = 32, N = 16 };

static int fail(winsum_context *ctx, const char *what, winsum_status st)
{
    fprintf(stderr, "%s: %s: %s\n", what, winsum_status_string(st), winsum_last_error(ctx));
    return 1;
}

/* the largest |c - a b| over the product */
static double max_error(const float *a, const float *b, const float *c)
{
    double worst = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++) s += (double)a[i * K + k] * b[k * N + j];
            worst = fmax(worst, fabs(s - c[i * N + j]));
        }
    return worst;
}

int main(void)
{
    static float host_a[M * K], host_b[K * N], host_c[M * N];
    for (int i = 0; i < M * K; i++) host_a[i] = (float)(i % 7) - 3;
    for (int i = 0; i < K * N; i++) host_b[i] = (float)(i % 5) * 0.5f;

    winsum_context *ctx;
    /* $WINSUM_DEVICE, else the first GPU, else the first device, else the reference path */
    winsum_status st = winsum_context_create(&ctx, WINSUM_BACKEND_AUTO, NULL);
    if (st) return fail(NULL, "winsum_context_create", st);
    printf("device: %s\n", winsum_context_device_name(ctx));

    /* device memory (host memory on the reference backend); freeing a
     * zeroed buffer does nothing */
    winsum_buffer a = {0}, b = {0}, c = {0};
    winsum_plan *plan = NULL;
    int rc = 1;
#define CHECK(call)                   \
    if ((st = (call)) != WINSUM_OK) { \
        rc = fail(ctx, #call, st);    \
        goto done;                    \
    }
    CHECK(winsum_buffer_alloc(ctx, sizeof host_a, &a));
    CHECK(winsum_buffer_alloc(ctx, sizeof host_b, &b));
    CHECK(winsum_buffer_alloc(ctx, sizeof host_c, &c));
    CHECK(winsum_buffer_write(ctx, &a, 0, host_a, sizeof host_a));
    CHECK(winsum_buffer_write(ctx, &b, 0, host_b, sizeof host_b));

    int64_t sa[2] = {M, K}, sb[2] = {K, N}, sc[2] = {M, N};
    winsum_view ops[2] = {winsum_view_contiguous(&a, WINSUM_F32, 2, sa),
                          winsum_view_contiguous(&b, WINSUM_F32, 2, sb)};
    winsum_view out = winsum_view_contiguous(&c, WINSUM_F32, 2, sc);

    /* out = 1.0 * einsum + 0.0 * out */
    CHECK(winsum_einsum(ctx, "ij,jk->ik", 2, ops, &out, 1.0, 0.0));
    CHECK(winsum_buffer_read(ctx, &c, 0, host_c, sizeof host_c));
    double e1 = max_error(host_a, host_b, host_c);

    /* or: plan once, execute many times (no parsing, planning or build on reuse) */
    CHECK(winsum_plan_create(ctx, &plan, "ij,jk->ik", 2, ops, &out));
    printf("%s", winsum_plan_describe(plan));
    /* c = 2 * (a b) - 1 * c, with c = a b from above: a b again */
    CHECK(winsum_plan_execute(plan, NULL /* the views' buffers */, NULL, 2.0, -1.0,
                              NULL /* or a cl_event to wait on */));
    CHECK(winsum_buffer_read(ctx, &c, 0, host_c, sizeof host_c));
    double e2 = max_error(host_a, host_b, host_c);
    printf("c[0][0] = %g; largest error: einsum %g, plan %g\n", host_c[0], e1, e2);
    rc = e1 > 1e-3 || e2 > 1e-3;
    if (rc) fprintf(stderr, "einsum_matmul: wrong result\n");
done:
    winsum_plan_destroy(plan); /* NULL is fine */
    winsum_buffer_free(ctx, &c);
    winsum_buffer_free(ctx, &b);
    winsum_buffer_free(ctx, &a);
    winsum_context_destroy(ctx);
    return rc;
}
