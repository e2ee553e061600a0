/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_limits.c - the edges of the device: a kernel that does not build
 * returns WINSUM_ERR_BUILD with the compiler's log; allocations beyond the
 * device's limit and plans whose intermediates cannot fit fail cleanly
 * (WINSUM_ERR_MEMORY) and leave the context usable; index spaces beyond
 * 2^31 either run with 64-bit offsets or are refused, never wrapped.
 * Empty views whose other axes multiply past 2^63 ((0, 2^40, 2^40) and
 * (2^40, 2^40, 0)) are legal: winsum_view_contiguous gives them strides
 * without overflowing (its documented INT64_MAX past 2^63-1; the
 * sanitizer build aborts on a signed overflow), and einsums over them run
 * on both backends (a sum over nothing is beta * out).
 */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void build_failure(void)
{
    /* a copy of the kernels folder with a broken unary.cl */
    char dir[] = "/tmp/winsum-kernels-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "cp %s/kernels/*.cl %s/ && echo 'this is not OpenCL C;' >> %s/unary.cl",
             WINSUM_SOURCE_DIR, dir, dir);
    CHECK(system(cmd) == 0);
    setenv("WINSUM_KERNEL_DIR", dir, 1);
    setenv("WINSUM_CACHE_DIR", "off", 1);
    winsum_context *ctx = NULL;
    CHECK_STATUS(winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL), WINSUM_OK);
    winsum_buffer a, c;
    winsum_buffer_alloc(ctx, 64, &a);
    winsum_buffer_alloc(ctx, 64, &c);
    int64_t sh[2] = {4, 4};
    winsum_view va = winsum_view_contiguous(&a, WINSUM_F32, 2, sh),
                vc = winsum_view_contiguous(&c, WINSUM_F32, 2, sh);
    CHECK_STATUS(winsum_einsum(ctx, "ij->ji", 1, &va, &vc, 1, 0), WINSUM_ERR_BUILD);
    const char *msg = winsum_last_error(ctx);
    CHECK_MSG(strstr(msg, "unary.cl") && strstr(msg, "error"), "build log missing: %s", msg);
    printf("build failure reported as: %.200s...\n", msg);
    /* the other kernels still build: the context is usable */
    winsum_view ops[2] = {va, va};
    CHECK_STATUS(winsum_einsum(ctx, "ij,jk->ik", 2, ops, &vc, 1, 0), WINSUM_OK);
    winsum_buffer_free(ctx, &a);
    winsum_buffer_free(ctx, &c);
    winsum_context_destroy(ctx);
    unsetenv("WINSUM_KERNEL_DIR");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

static void out_of_memory(void)
{
    winsum_context *ctx = NULL;
    CHECK_STATUS(winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL), WINSUM_OK);
    cl_device_id dev;
    clGetCommandQueueInfo(winsum_context_queue(ctx), CL_QUEUE_DEVICE, sizeof dev, &dev, NULL);
    cl_ulong max_alloc = 0;
    clGetDeviceInfo(dev, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc, &max_alloc, NULL);
    winsum_buffer big;
    CHECK_STATUS(winsum_buffer_alloc(ctx, (size_t)max_alloc * 4 + 4096, &big), WINSUM_ERR_MEMORY);
    printf("oversized allocation: %s\n", winsum_last_error(ctx));
    /* a plan whose offset tables (K = 3e8 entries) exceed what the device allocates */
    float one[1] = {1};
    winsum_buffer ob, outb;
    winsum_buffer_alloc(ctx, sizeof one, &ob);
    winsum_buffer_write(ctx, &ob, 0, one, sizeof one);
    winsum_buffer_alloc(ctx, 64, &outb);
    int64_t sh[2] = {20000, 15000}, z[2] = {0, 0};
    winsum_view ops[2] = {winsum_view_strided(&ob, WINSUM_F32, 0, 2, sh, z),
                          winsum_view_strided(&ob, WINSUM_F32, 0, 2, sh, z)};
    winsum_view out = winsum_view_contiguous(&outb, WINSUM_F32, 0, NULL);
    size_t before = 0, after = 0;
    winsum_memory_usage(ctx, &before, NULL);
    winsum_plan *p = NULL;
    winsum_status st = winsum_plan_create(ctx, &p, "ij,ij->", 2, ops, &out);
    printf("3e8-long reduction: %s %s\n", winsum_status_string(st), winsum_last_error(ctx));
    CHECK_STATUS(st, WINSUM_ERR_MEMORY);
    winsum_memory_usage(ctx, &after, NULL);
    CHECK_MSG(after == before, "a failed plan left %zu bytes allocated", after - before);
    /* the context still works */
    int64_t n = 4096, s1[1] = {n}, z1[1] = {0};
    winsum_view v1[2] = {winsum_view_strided(&ob, WINSUM_F32, 0, 1, s1, z1),
                         winsum_view_strided(&ob, WINSUM_F32, 0, 1, s1, z1)};
    CHECK_STATUS(winsum_einsum(ctx, "i,i->", 2, v1, &out, 1, 0), WINSUM_OK);
    float r = 0;
    winsum_buffer_read(ctx, &outb, 0, &r, sizeof r);
    CHECK(r == (float)n);
    winsum_plan_destroy(p);
    winsum_buffer_free(ctx, &ob);
    winsum_buffer_free(ctx, &outb);
    winsum_context_destroy(ctx);
}

/* More than 2^31 elements in one dimension group: refused with a clear error
 * (the kernels index groups with 32-bit sizes), never wrapped. Offsets past
 * 2^31 elements within a group's size limits use 64-bit arithmetic. */
static void index_space(void)
{
    winsum_context *ctx = NULL;
    CHECK_STATUS(winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL), WINSUM_OK);
    float one[1] = {2};
    winsum_buffer ob, outb;
    winsum_buffer_alloc(ctx, sizeof one, &ob);
    winsum_buffer_write(ctx, &ob, 0, one, sizeof one);
    winsum_buffer_alloc(ctx, 64, &outb);
    int64_t big[2] = {70000, 70000}, z[2] = {0, 0};
    winsum_view v = winsum_view_strided(&ob, WINSUM_F32, 0, 2, big, z);
    winsum_view out = winsum_view_contiguous(&outb, WINSUM_F32, 0, NULL);
    winsum_status st = winsum_einsum(ctx, "ij->", 1, &v, &out, 1, 0);
    printf("4.9e9-element reduction: %s: %s\n", winsum_status_string(st), winsum_last_error(ctx));
    CHECK_STATUS(st, WINSUM_ERR_UNSUPPORTED);
    /* two operands: K = 70000 * 70000 */
    winsum_view ops[2] = {v, v};
    st = winsum_einsum(ctx, "ij,ij->", 2, ops, &out, 1, 0);
    CHECK_STATUS(st, WINSUM_ERR_UNSUPPORTED);
    /* a long reduction within the limits runs (offsets and sums stay exact) */
    int64_t ok[2] = {2000, 1500};
    winsum_view vo = winsum_view_strided(&ob, WINSUM_F32, 0, 2, ok, z);
    winsum_view ops2[2] = {vo, vo};
    CHECK_STATUS(winsum_einsum(ctx, "ij,ij->", 2, ops2, &out, 1.0 / 3e6, 0), WINSUM_OK);
    float r = 0;
    winsum_buffer_read(ctx, &outb, 0, &r, sizeof r);
    CHECK_MSG(r > 3.99f && r < 4.01f, "mean of 3e6 products of 2*2: %g", r);
    winsum_buffer_free(ctx, &ob);
    winsum_buffer_free(ctx, &outb);
    winsum_context_destroy(ctx);
}

static void empty_views(winsum_backend be)
{
    winsum_context *ctx = NULL;
    CHECK_STATUS(winsum_context_create(&ctx, be, NULL), WINSUM_OK);
    if (!ctx) return;
    const char *name = be == WINSUM_BACKEND_REF ? "reference" : "opencl";
    const int64_t t40 = (int64_t)1 << 40;
    const int64_t shapes[2][3] = {{0, t40, t40}, {t40, t40, 0}};
    const int64_t want[2][3] = {{INT64_MAX, t40, 1}, {t40, 1, 1}};
    winsum_buffer ib, ob;
    float four = 4, got = 0;
    CHECK_STATUS(winsum_buffer_alloc(ctx, 16, &ib), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_alloc(ctx, 16, &ob), WINSUM_OK);
    for (int c = 0; c < 2; c++) {
        winsum_view v = winsum_view_contiguous(&ib, WINSUM_F32, 3, shapes[c]);
        CHECK_MSG(v.strides[0] == want[c][0] && v.strides[1] == want[c][1] &&
                      v.strides[2] == want[c][2],
                  "(%lld, %lld, %lld): strides %lld, %lld, %lld", (long long)shapes[c][0],
                  (long long)shapes[c][1], (long long)shapes[c][2], (long long)v.strides[0],
                  (long long)v.strides[1], (long long)v.strides[2]);
        /* a sum over nothing: out = beta * out */
        winsum_view out = winsum_view_contiguous(&ob, WINSUM_F32, 0, NULL);
        CHECK_STATUS(winsum_buffer_write(ctx, &ob, 0, &four, sizeof four), WINSUM_OK);
        winsum_status st = winsum_einsum(ctx, "abc->", 1, &v, &out, 1.0, 0.5);
        CHECK_MSG(st == WINSUM_OK, "%s: 'abc->' of empty view %d: %s (%s)", name, c,
                  winsum_status_string(st), winsum_last_error(ctx));
        CHECK_STATUS(winsum_buffer_read(ctx, &ob, 0, &got, sizeof got), WINSUM_OK);
        CHECK_MSG(got == 2.0f, "%s: 'abc->' of empty view %d gave %g, not 0.5 * 4", name, c,
                  (double)got);
        /* an empty output of that shape: nothing to write */
        winsum_view eo = winsum_view_contiguous(&ob, WINSUM_F32, 3, shapes[c]);
        st = winsum_einsum(ctx, "abc->abc", 1, &v, &eo, 1.0, 0.0);
        CHECK_MSG(st == WINSUM_OK, "%s: 'abc->abc' into empty view %d: %s (%s)", name, c,
                  winsum_status_string(st), winsum_last_error(ctx));
    }
    /* the same sizes with elements: refused, never wrapped */
    const int64_t full[3] = {t40, t40, t40};
    winsum_view v = winsum_view_contiguous(&ib, WINSUM_F32, 3, full);
    winsum_view out = winsum_view_contiguous(&ob, WINSUM_F32, 0, NULL);
    CHECK_STATUS(winsum_einsum(ctx, "abc->", 1, &v, &out, 1.0, 0.0), WINSUM_ERR_OVERFLOW);
    winsum_buffer_free(ctx, &ib);
    winsum_buffer_free(ctx, &ob);
    winsum_context_destroy(ctx);
}

int main(void)
{
    empty_views(WINSUM_BACKEND_REF);
    if (winsum_device_count() > 0) empty_views(WINSUM_BACKEND_OPENCL);
    build_failure();
    out_of_memory();
    index_space();
    return tu_finish("test_limits");
}
