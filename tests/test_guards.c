/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_guards.c - guards are decided in exact 64-bit integer arithmetic.
 *
 * A guard whose offset and extent are near 2^60 cannot be reasoned about in
 * double (the ulp there is 256): the planner once dropped such a guard as
 * "never failing" and summed 101 elements of a view whose guard keeps 80,
 * reading past a buffer of exactly 80 elements. Each case here runs on the
 * OpenCL backend (the buffer is an 80-element sub-buffer whose parent holds
 * sentinels right after it, so a read past its end shows in the result) and
 * on the reference backend (an 80-element malloc, so ASan sees any overread),
 * and the two must give exactly the sum of the first 80 elements.
 *
 * Guards and offsets whose values overflow 64 bits are refused by the view
 * check (WINSUM_ERR_OVERFLOW), so that no path ever computes them (the
 * reference path once accumulated a guard with offset INT64_MAX, which
 * UBSan reported as signed overflow).
 */
#include "testutil.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N_KEEP   80  /* elements the guard keeps, and the buffer's size */
#define N_VIEW   101 /* elements of the view */
#define SENTINEL 1.0e6

static winsum_context *CL, *REF;

/* An input of exactly n floats (values 1..n) on ctx's side; on OpenCL a
 * sub-buffer at the start of a parent whose tail holds SENTINEL. */
typedef struct inbuf {
    winsum_buffer b, parent;
    cl_mem sub;
    float *host;
} inbuf;

static void in_make(winsum_context *ctx, inbuf *t, int n)
{
    memset(t, 0, sizeof *t);
    int total = n + 256;
    float *v = malloc(sizeof(float) * (size_t)total);
    for (int i = 0; i < total; i++) v[i] = i < n ? (float)(i + 1) : (float)SENTINEL;
    if (ctx == REF) {
        t->host = malloc(sizeof(float) * (size_t)n); /* exactly n: ASan sees overreads */
        memcpy(t->host, v, sizeof(float) * (size_t)n);
        t->b = winsum_buffer_host(t->host, sizeof(float) * (size_t)n);
    } else {
        CHECK_STATUS(winsum_buffer_alloc(ctx, sizeof(float) * (size_t)total, &t->parent),
                     WINSUM_OK);
        CHECK_STATUS(winsum_buffer_write(ctx, &t->parent, 0, v, sizeof(float) * (size_t)total),
                     WINSUM_OK);
        cl_buffer_region reg = {0, sizeof(float) * (size_t)n};
        cl_int err = 0;
        t->sub = clCreateSubBuffer(t->parent.mem, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION,
                                   &reg, &err);
        CHECK(err == CL_SUCCESS);
        t->b = winsum_buffer_device(t->sub, sizeof(float) * (size_t)n);
    }
    free(v);
}

static void in_free(winsum_context *ctx, inbuf *t)
{
    if (t->sub) clReleaseMemObject(t->sub);
    if (t->parent.mem) winsum_buffer_free(ctx, &t->parent);
    free(t->host);
}

/* An output of n floats, set to `init`, and read back. */
static void out_make(winsum_context *ctx, winsum_buffer *b, int n, float init, float **hostp)
{
    float *v = malloc(sizeof(float) * (size_t)n);
    for (int i = 0; i < n; i++) v[i] = init;
    if (ctx == REF) {
        *b = winsum_buffer_host(v, sizeof(float) * (size_t)n);
        *hostp = v;
        return;
    }
    CHECK_STATUS(winsum_buffer_alloc(ctx, sizeof(float) * (size_t)n, b), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_write(ctx, b, 0, v, sizeof(float) * (size_t)n), WINSUM_OK);
    free(v);
    *hostp = NULL;
}

static void out_read(winsum_context *ctx, winsum_buffer *b, int n, float *host, double *dst)
{
    float *v = host;
    if (ctx != REF) {
        v = malloc(sizeof(float) * (size_t)n);
        CHECK_STATUS(winsum_buffer_read(ctx, b, 0, v, sizeof(float) * (size_t)n), WINSUM_OK);
    }
    for (int i = 0; i < n; i++) dst[i] = v[i];
    if (ctx != REF) {
        free(v);
        winsum_buffer_free(ctx, b);
    } else {
        free(host);
    }
}

/* The view of the issue: 101 elements, stride `stride` over the first 80
 * of the buffer (stride -1 walks them backwards from the last), one guard
 * whose value is `base + coef * idx` with the window [0, extent) chosen so
 * that exactly idx < 80 pass, every number near 2^60. */
static winsum_view guarded_view(const winsum_buffer *b, int64_t stride)
{
    int64_t shape[1] = {N_VIEW}, strides[1] = {stride};
    winsum_view v =
        winsum_view_strided(b, WINSUM_F32, stride < 0 ? N_KEEP - 1 : 0, 1, shape, strides);
    v.nguards = 1;
    /* values 2^60+120 .. 2^60+220; those below 2^60+200 pass: idx < 80. In
     * double, 2^60+120 rounds to 2^60, the span's end to 2^60 (+100 is under
     * half an ulp) and 2^60+200 to 2^60+256, so the guard looked dead. */
    v.guards[0].coef[0] = 1;
    v.guards[0].offset = ((int64_t)1 << 60) + 120;
    v.guards[0].extent = ((int64_t)1 << 60) + 200;
    return v;
}

/* sum_{i<80} (i+1) */
static double kept_sum(void) { return (double)N_KEEP * (N_KEEP + 1) / 2; }

static void case_sum(winsum_context *ctx, const char *be, int64_t stride)
{
    inbuf a;
    in_make(ctx, &a, N_KEEP);
    winsum_view av = guarded_view(&a.b, stride);
    char msg[512] = "";
    CHECK_MSG(winsum_view_check(&av, "a", 0, msg, sizeof msg) == WINSUM_OK, "%s", msg);
    winsum_buffer ob;
    float *oh;
    out_make(ctx, &ob, 1, -7.0f, &oh);
    winsum_view ov = winsum_view_contiguous(&ob, WINSUM_F32, 0, NULL);
    winsum_status st = winsum_einsum(ctx, "i->", 1, &av, &ov, 1.0, 0.0);
    CHECK_MSG(st == WINSUM_OK, "%s i-> stride %lld: %s", be, (long long)stride,
              winsum_last_error(ctx));
    double got;
    out_read(ctx, &ob, 1, oh, &got);
    CHECK_MSG(got == kept_sum(), "%s i-> stride %lld: got %g, want %g (idx < 80)", be,
              (long long)stride, got, kept_sum());
    in_free(ctx, &a);
}

/* a dot product with a plain vector of ones: the guarded operand is A of a
 * two-operand step (its guard on the reduction label) */
static void case_dot(winsum_context *ctx, const char *be, int swap)
{
    inbuf a, ones;
    in_make(ctx, &a, N_KEEP);
    in_make(ctx, &ones, N_VIEW + 8);
    winsum_view av = guarded_view(&a.b, 1);
    int64_t shape[1] = {N_VIEW}, zero[1] = {0};
    /* a zero-stride view of one element: all ones */
    winsum_view bv = winsum_view_strided(&ones.b, WINSUM_F32, 0, 1, shape, zero);
    winsum_buffer ob;
    float *oh;
    out_make(ctx, &ob, 1, -7.0f, &oh);
    winsum_view ov = winsum_view_contiguous(&ob, WINSUM_F32, 0, NULL);
    winsum_view ops[2] = {swap ? bv : av, swap ? av : bv};
    winsum_status st = winsum_einsum(ctx, "i,i->", 2, ops, &ov, 1.0, 0.0);
    CHECK_MSG(st == WINSUM_OK, "%s i,i-> (swap %d): %s", be, swap, winsum_last_error(ctx));
    double got;
    out_read(ctx, &ob, 1, oh, &got);
    CHECK_MSG(got == kept_sum(), "%s i,i-> (swap %d): got %g, want %g", be, swap, got, kept_sum());
    in_free(ctx, &a);
    in_free(ctx, &ones);
}

/* elementwise: out[i] = a[i] for i < 80, 0 after (a two-operand step with
 * the guard on an output label: ij,j->i with j of size 1) */
static void case_copy(winsum_context *ctx, const char *be)
{
    inbuf a, one;
    in_make(ctx, &a, N_KEEP);
    in_make(ctx, &one, 1);
    winsum_view av = guarded_view(&a.b, 1);
    av.ndim = 2;
    av.shape[1] = 1;
    av.strides[1] = 0;
    int64_t s1[1] = {1};
    winsum_view bv = winsum_view_contiguous(&one.b, WINSUM_F32, 1, s1);
    winsum_buffer ob;
    float *oh;
    out_make(ctx, &ob, N_VIEW, -7.0f, &oh);
    int64_t so[1] = {N_VIEW};
    winsum_view ov = winsum_view_contiguous(&ob, WINSUM_F32, 1, so);
    winsum_view ops[2] = {av, bv};
    winsum_status st = winsum_einsum(ctx, "ij,j->i", 2, ops, &ov, 1.0, 0.0);
    CHECK_MSG(st == WINSUM_OK, "%s ij,j->i: %s", be, winsum_last_error(ctx));
    double got[N_VIEW];
    out_read(ctx, &ob, N_VIEW, oh, got);
    int bad = 0;
    for (int i = 0; i < N_VIEW; i++) bad += got[i] != (i < N_KEEP ? i + 1.0 : 0.0);
    CHECK_MSG(bad == 0, "%s ij,j->i: %d of %d elements wrong (got[80] = %g)", be, bad, N_VIEW,
              got[N_KEEP]);
    in_free(ctx, &a);
    in_free(ctx, &one);
}

/* Guard values or addresses that overflow 64 bits: refused by the view
 * check and by both backends, the output untouched. */
static void case_overflow(winsum_context *ctx, const char *be, int which)
{
    inbuf a;
    in_make(ctx, &a, 4);
    int64_t shape[1] = {2}, strides[1] = {1};
    winsum_view av = winsum_view_strided(&a.b, WINSUM_F32, 0, 1, shape, strides);
    av.nguards = 1;
    av.guards[0].extent = 1;
    const char *what = "";
    switch (which) {
    case 0: /* values INT64_MAX, INT64_MAX + 1 */
        av.guards[0].coef[0] = 1;
        av.guards[0].offset = INT64_MAX;
        what = "guard offset INT64_MAX, coef 1";
        break;
    case 1: /* values INT64_MIN, INT64_MIN - 1 */
        av.guards[0].coef[0] = -1;
        av.guards[0].offset = INT64_MIN;
        what = "guard offset INT64_MIN, coef -1";
        break;
    case 2: /* the guard bounds the reach to element 0, but the addresses of
             * the guarded-out elements (stride 2^62 x 3) overflow */
        shape[0] = 4;
        av.shape[0] = 4;
        av.strides[0] = (int64_t)1 << 62;
        av.guards[0].coef[0] = 1;
        av.guards[0].offset = 0;
        what = "stride 2^62 on 4 elements, guard keeps 1";
        break;
    }
    char msg[512] = "";
    winsum_status vst = winsum_view_check(&av, "a", 0, msg, sizeof msg);
    CHECK_MSG(vst == WINSUM_ERR_OVERFLOW, "%s: view check gave %s (%s)", what,
              winsum_status_string(vst), msg);
    CHECK_MSG(strstr(msg, "overflow") != NULL, "%s: message '%s'", what, msg);
    winsum_buffer ob;
    float *oh;
    out_make(ctx, &ob, 1, -7.0f, &oh);
    winsum_view ov = winsum_view_contiguous(&ob, WINSUM_F32, 0, NULL);
    winsum_status st = winsum_einsum(ctx, "i->", 1, &av, &ov, 1.0, 0.0);
    CHECK_MSG(st == WINSUM_ERR_OVERFLOW, "%s %s: einsum gave %s (%s)", be, what,
              winsum_status_string(st), winsum_last_error(ctx));
    double got;
    out_read(ctx, &ob, 1, oh, &got);
    CHECK_MSG(got == -7.0, "%s %s: the output was written (%g)", be, what, got);
    in_free(ctx, &a);
}

/* Near the limit but exact: guard values INT64_MAX - 1 .. INT64_MAX with
 * extent INT64_MAX keep idx 0 only; no overflow anywhere, so it runs. */
static void case_edge(winsum_context *ctx, const char *be)
{
    inbuf a;
    in_make(ctx, &a, 1);
    int64_t shape[1] = {2}, strides[1] = {1};
    winsum_view av = winsum_view_strided(&a.b, WINSUM_F32, 0, 1, shape, strides);
    av.nguards = 1;
    av.guards[0].coef[0] = 1;
    av.guards[0].offset = INT64_MAX - 1;
    av.guards[0].extent = INT64_MAX;
    winsum_buffer ob;
    float *oh;
    out_make(ctx, &ob, 1, -7.0f, &oh);
    winsum_view ov = winsum_view_contiguous(&ob, WINSUM_F32, 0, NULL);
    winsum_status st = winsum_einsum(ctx, "i->", 1, &av, &ov, 1.0, 0.0);
    CHECK_MSG(st == WINSUM_OK, "%s edge: %s", be, winsum_last_error(ctx));
    double got;
    out_read(ctx, &ob, 1, oh, &got);
    CHECK_MSG(got == 1.0, "%s edge: got %g, want 1", be, got);
    in_free(ctx, &a);
}

int main(void)
{
    CHECK_STATUS(winsum_context_create(&REF, WINSUM_BACKEND_REF, NULL), WINSUM_OK);
    winsum_status st = winsum_context_create(&CL, WINSUM_BACKEND_OPENCL, NULL);
    if (st) printf("no OpenCL device (%s): reference backend only\n", winsum_status_string(st));
    winsum_context *ctxs[2] = {REF, st ? NULL : CL};
    const char *names[2] = {"ref", "opencl"};
    for (int k = 0; k < 2; k++) {
        winsum_context *ctx = ctxs[k];
        if (!ctx) continue;
        case_sum(ctx, names[k], 1);
        case_sum(ctx, names[k], -1);
        case_dot(ctx, names[k], 0);
        case_dot(ctx, names[k], 1);
        case_copy(ctx, names[k]);
        for (int w = 0; w < 3; w++) case_overflow(ctx, names[k], w);
        case_edge(ctx, names[k]);
    }
    winsum_context_destroy(CL);
    winsum_context_destroy(REF);
    return tu_finish("test_guards");
}
