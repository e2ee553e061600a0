/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_lifetime.c - plans outliving their context. A plan made by
 * winsum_plan_create keeps its context alive: after winsum_context_destroy
 * it still executes (correctly) and its destroy is safe; the context is freed
 * when the last such plan goes. The plans winsum_einsum caches keep nothing
 * alive: a context with only cached plans is freed at destroy. Checked by
 * results, by the caller's cl_context reference count (winsum retains it
 * while it lives), and under AddressSanitizer (make check-asan) for use
 * after free and leaks.
 *
 * A plan the cache hands out stays alive until its caller is done with it,
 * whatever the cache does meanwhile: a convolution with a bias looks up its
 * two plans before executing either, and the lookup of a new bias plan
 * (another bias offset) once gave the slot of the forward plan that had
 * just hit to the bias plan, destroying it before it ran (a crash or hang
 * on the reference backend, WINSUM_ERR_CONTEXT and a stale output on
 * OpenCL). cache_churn runs, on each backend, a forward with bias, k other
 * distinct plans, and the forward again with the bias at another offset,
 * for every k up to past the cache's size, then keeps going with more
 * distinct plans than slots, interleaved; every result is checked.
 */
#include "einsum.h" /* WS_PLAN_CACHE */
#include "testutil.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { I = 3, J = 4, K = 5, L = 2 };

/* out[i][l] = sum_jk a[i][j] b[j][k] c[k][l], in double */
static void reference(const float *a, const float *b, const float *c, double *out)
{
    for (int i = 0; i < I; i++)
        for (int l = 0; l < L; l++) {
            double s = 0;
            for (int j = 0; j < J; j++)
                for (int k = 0; k < K; k++) s += (double)a[i * J + j] * b[j * K + k] * c[k * L + l];
            out[i * L + l] = s;
        }
}

static void fill(float *v, int n, uint64_t *rng)
{
    for (int i = 0; i < n; i++) v[i] = (float)tu_uniform(rng);
}

static void check_out(const float *got, const double *want, double scale, const char *what)
{
    double worst = 0;
    for (int i = 0; i < I * L; i++) {
        double e = fabs(got[i] - scale * want[i]);
        if (!(e <= worst)) worst = e;
    }
    CHECK_MSG(worst < 1e-4, "%s: max error %g", what, worst);
}

static const int64_t sa[2] = {I, J}, sb[2] = {J, K}, sc[2] = {K, L}, so[2] = {I, L};

/* the reference backend on host memory */
static void host_plans(uint64_t *rng)
{
    float a[I * J], b[J * K], c[K * L], out[I * L], out2[I];
    double want[I * L];
    fill(a, I * J, rng);
    fill(b, J * K, rng);
    fill(c, K * L, rng);
    reference(a, b, c, want);
    winsum_buffer ba = winsum_buffer_host(a, sizeof a), bb = winsum_buffer_host(b, sizeof b),
                  bc = winsum_buffer_host(c, sizeof c), bo = winsum_buffer_host(out, sizeof out),
                  bo2 = winsum_buffer_host(out2, sizeof out2);
    winsum_view ops[3] = {winsum_view_contiguous(&ba, WINSUM_F32, 2, sa),
                          winsum_view_contiguous(&bb, WINSUM_F32, 2, sb),
                          winsum_view_contiguous(&bc, WINSUM_F32, 2, sc)};
    winsum_view o = winsum_view_contiguous(&bo, WINSUM_F32, 2, so);
    int64_t s1[1] = {I};
    winsum_view o2 = winsum_view_contiguous(&bo2, WINSUM_F32, 1, s1);
    winsum_context *ctx;
    CHECK_STATUS(winsum_context_create(&ctx, WINSUM_BACKEND_REF, NULL), WINSUM_OK);
    winsum_plan *p1 = NULL, *p2 = NULL;
    CHECK_STATUS(winsum_plan_create(ctx, &p1, "ij,jk,kl->il", 3, ops, &o), WINSUM_OK);
    CHECK_STATUS(winsum_plan_create(ctx, &p2, "ij->i", 1, ops, &o2), WINSUM_OK);
    CHECK_STATUS(winsum_einsum(ctx, "ij,jk,kl->il", 3, ops, &o, 1, 0), WINSUM_OK); /* cached */
    winsum_context_destroy(ctx);
    memset(out, 0, sizeof out);
    CHECK_STATUS(winsum_plan_execute(p1, NULL, NULL, 1, 0, NULL), WINSUM_OK);
    check_out(out, want, 1, "host plan after context destroy");
    CHECK(strstr(winsum_plan_describe(p1), "einsum") != NULL);
    winsum_plan_destroy(p1);
    /* the other plan still holds the context */
    CHECK_STATUS(winsum_plan_execute(p2, NULL, NULL, 1, 0, NULL), WINSUM_OK);
    CHECK(fabs(out2[0] - (a[0] + a[1] + a[2] + a[3])) < 1e-5);
    winsum_plan_destroy(p2);
}

static cl_uint refcount_ctx(cl_context c)
{
    cl_uint n = 0;
    clGetContextInfo(c, CL_CONTEXT_REFERENCE_COUNT, sizeof n, &n, NULL);
    return n;
}

/* OpenCL, on the caller's own cl_context, queue and buffers, which stay
 * readable after winsum's context is gone */
static void device_plans(uint64_t *rng)
{
    cl_device_id dev;
    cl_int err;
    cl_context cc = tu_own_cl_context(&dev);
    CHECK(cc != NULL);
    cl_command_queue q = clCreateCommandQueue(cc, dev, 0, &err);
    float a[I * J], b[J * K], c[K * L], out[I * L];
    double want[I * L];
    fill(a, I * J, rng);
    fill(b, J * K, rng);
    fill(c, K * L, rng);
    reference(a, b, c, want);
    cl_mem ma = clCreateBuffer(cc, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof a, a, &err),
           mb = clCreateBuffer(cc, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof b, b, &err),
           mc = clCreateBuffer(cc, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof c, c, &err),
           mo = clCreateBuffer(cc, CL_MEM_READ_WRITE, sizeof out, NULL, &err);
    winsum_buffer ba = winsum_buffer_device(ma, sizeof a), bb = winsum_buffer_device(mb, sizeof b),
                  bc = winsum_buffer_device(mc, sizeof c),
                  bo = winsum_buffer_device(mo, sizeof out);
    winsum_view ops[3] = {winsum_view_contiguous(&ba, WINSUM_F32, 2, sa),
                          winsum_view_contiguous(&bb, WINSUM_F32, 2, sb),
                          winsum_view_contiguous(&bc, WINSUM_F32, 2, sc)};
    winsum_view o = winsum_view_contiguous(&bo, WINSUM_F32, 2, so);
    /* the cl_context's references tell whether winsum's context lives (the
     * queue's do not: PoCL's buffers keep their last command's event, which
     * holds the queue, until the buffers go) */
    cl_uint base = refcount_ctx(cc);

    /* cached plans only: destroy frees the context at once */
    winsum_context *ctx;
    CHECK_STATUS(winsum_context_create_cl(&ctx, cc, q), WINSUM_OK);
    CHECK(refcount_ctx(cc) > base);
    CHECK_STATUS(winsum_einsum(ctx, "ij,jk,kl->il", 3, ops, &o, 1, 0), WINSUM_OK);
    CHECK_STATUS(winsum_einsum(ctx, "ij,jk->ik", 2, ops, &o, 1, 0), WINSUM_ERR_SHAPE);
    winsum_context_destroy(ctx);
    CHECK_MSG(refcount_ctx(cc) == base, "cl_context references %u after destroy, %u before",
              refcount_ctx(cc), base);

    /* user plans keep it until the last is destroyed */
    CHECK_STATUS(winsum_context_create_cl(&ctx, cc, q), WINSUM_OK);
    winsum_plan *p1 = NULL, *p2 = NULL;
    CHECK_STATUS(winsum_plan_create(ctx, &p1, "ij,jk,kl->il", 3, ops, &o), WINSUM_OK);
    CHECK_STATUS(winsum_plan_create(ctx, &p2, "ij,jk,kl->il", 3, ops, &o), WINSUM_OK);
    CHECK_STATUS(winsum_einsum(ctx, "ij,jk,kl->il", 3, ops, &o, 1, 0), WINSUM_OK);
    size_t cur = 0;
    winsum_memory_usage(ctx, &cur, NULL);
    CHECK(cur > 0); /* intermediates and tables of three plans */
    winsum_context_destroy(ctx);
    CHECK_MSG(refcount_ctx(cc) > base,
              "the plans did not keep the cl_context (%u references, "
              "%u before)",
              refcount_ctx(cc), base);
    cl_event ev = NULL;
    CHECK_STATUS(winsum_plan_execute(p1, NULL, NULL, 1, 0, &ev), WINSUM_OK);
    CHECK(ev != NULL);
    if (ev) {
        CHECK(clWaitForEvents(1, &ev) == CL_SUCCESS);
        clReleaseEvent(ev);
    }
    CHECK(clEnqueueReadBuffer(q, mo, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL) == CL_SUCCESS);
    check_out(out, want, 1, "device plan after context destroy");
    winsum_plan_destroy(p1);
    CHECK(refcount_ctx(cc) > base);
    /* the second plan, alpha 2, and an error path (its message has no reader,
     * its status must still be right) */
    CHECK_STATUS(winsum_plan_execute(p2, NULL, NULL, 2, 0, NULL), WINSUM_OK);
    CHECK(clFinish(q) == CL_SUCCESS);
    CHECK(clEnqueueReadBuffer(q, mo, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL) == CL_SUCCESS);
    check_out(out, want, 2, "second device plan, alpha 2");
    winsum_buffer small = winsum_buffer_device(mo, 8);
    CHECK_STATUS(winsum_plan_execute(p2, NULL, &small, 1, 0, NULL), WINSUM_ERR_BOUNDS);
    winsum_plan_destroy(p2);
    CHECK_MSG(refcount_ctx(cc) == base, "cl_context references %u after the last plan, %u before",
              refcount_ctx(cc), base);

    clReleaseMemObject(ma);
    clReleaseMemObject(mb);
    clReleaseMemObject(mc);
    clReleaseMemObject(mo);
    clReleaseCommandQueue(q);
    clReleaseContext(cc);
}

/* ------------------------------------------- the cache under churn */

enum { CC = 2, CO = 3, CH = 5, CK = 3, CY = CH - CK + 1, NBIAS = 8 };

/* y[o][p][q] = sum_c,i,j x[c][p+i][q+j] w[o][c][i][j] + bias[o] */
static void conv_want(const float *x, const float *w, const float *bias, double *y)
{
    for (int o = 0; o < CO; o++)
        for (int p = 0; p < CY; p++)
            for (int q = 0; q < CY; q++) {
                double s = bias[o];
                for (int c = 0; c < CC; c++)
                    for (int i = 0; i < CK; i++)
                        for (int j = 0; j < CK; j++)
                            s += (double)x[(c * CH + p + i) * CH + q + j] *
                                 w[((o * CC + c) * CK + i) * CK + j];
                y[(o * CY + p) * CY + q] = s;
            }
}

typedef struct churn {
    winsum_context *ctx;
    winsum_buffer x, w, bias, y, a, b, c;
    float hx[CC * CH * CH], hw[CO * CC * CK * CK], hb[NBIAS + CO];
    float ha[64 * 2], hbb[64 * 2];
    int nplans; /* distinct einsums made so far: the next one is new */
} churn;

static winsum_buffer churn_buf(winsum_context *ctx, const float *v, size_t n)
{
    winsum_buffer b;
    memset(&b, 0, sizeof b);
    CHECK_STATUS(winsum_buffer_alloc(ctx, n * sizeof(float), &b), WINSUM_OK);
    if (v) CHECK_STATUS(winsum_buffer_write(ctx, &b, 0, v, n * sizeof(float)), WINSUM_OK);
    return b;
}

static void churn_check(const float *got, const double *want, int n, const char *what)
{
    double worst = 0;
    for (int i = 0; i < n; i++) {
        double e = fabs(got[i] - want[i]) / (1 + fabs(want[i]));
        if (!(e <= worst)) worst = e; /* NaN counts */
    }
    CHECK_MSG(worst < 1e-4, "%s: max error %g", what, worst);
}

/* A forward convolution with the bias at element `boff` of its buffer;
 * checks the output. */
static void churn_conv(churn *t, int boff, const char *what)
{
    winsum_conv_desc d;
    winsum_conv_desc_init(&d);
    int64_t xs[4] = {1, CC, CH, CH}, ws[4] = {CO, CC, CK, CK}, ys[4] = {1, CO, CY, CY};
    int64_t bs[1] = {CO}, bst[1] = {1};
    winsum_view x = winsum_view_contiguous(&t->x, WINSUM_F32, 4, xs),
                w = winsum_view_contiguous(&t->w, WINSUM_F32, 4, ws),
                y = winsum_view_contiguous(&t->y, WINSUM_F32, 4, ys),
                b = winsum_view_strided(&t->bias, WINSUM_F32, boff, 1, bs, bst);
    float got[CO * CY * CY];
    for (int i = 0; i < CO * CY * CY; i++) got[i] = -7.0f;
    CHECK_STATUS(winsum_buffer_write(t->ctx, &t->y, 0, got, sizeof got), WINSUM_OK);
    winsum_status st = winsum_conv_forward(t->ctx, &d, &x, &w, &b, &y, 1.0, 0.0);
    CHECK_MSG(st == WINSUM_OK, "%s: %s (%s)", what, winsum_status_string(st),
              winsum_last_error(t->ctx));
    CHECK_STATUS(winsum_buffer_read(t->ctx, &t->y, 0, got, sizeof got), WINSUM_OK);
    double want[CO * CY * CY];
    conv_want(t->hx, t->hw, t->hb + boff, want);
    churn_check(got, want, CO * CY * CY, what);
}

/* A new distinct plan: (2 x k) @ (k x 2) with k not used before. */
static void churn_einsum(churn *t)
{
    int k = 1 + t->nplans++ % 64;
    int64_t as[2] = {2, k}, bs[2] = {k, 2}, os[2] = {2, 2};
    /* past 64, other strides make the plan distinct */
    int64_t ast[2] = {t->nplans > 64 ? 1 : k, t->nplans > 64 ? 2 : 1};
    winsum_view ops[2] = {winsum_view_strided(&t->a, WINSUM_F32, 0, 2, as, ast),
                          winsum_view_contiguous(&t->b, WINSUM_F32, 2, bs)};
    winsum_view o = winsum_view_contiguous(&t->c, WINSUM_F32, 2, os);
    winsum_status st = winsum_einsum(t->ctx, "ij,jk->ik", 2, ops, &o, 1.0, 0.0);
    CHECK_MSG(st == WINSUM_OK, "einsum %d: %s", t->nplans, winsum_status_string(st));
    float got[4];
    double want[4];
    CHECK_STATUS(winsum_buffer_read(t->ctx, &t->c, 0, got, sizeof got), WINSUM_OK);
    for (int i = 0; i < 2; i++)
        for (int n = 0; n < 2; n++) {
            double s = 0;
            for (int j = 0; j < k; j++)
                s += (double)t->ha[i * ast[0] + j * ast[1]] * t->hbb[j * 2 + n];
            want[i * 2 + n] = s;
        }
    churn_check(got, want, 4, "einsum between convolutions");
}

static void churn_open(churn *t, winsum_backend be, uint64_t *rng)
{
    CHECK_STATUS(winsum_context_create(&t->ctx, be, NULL), WINSUM_OK);
    t->nplans = 0;
    fill(t->hx, CC * CH * CH, rng);
    fill(t->hw, CO * CC * CK * CK, rng);
    fill(t->hb, NBIAS + CO, rng);
    fill(t->ha, 128, rng);
    fill(t->hbb, 128, rng);
    t->x = churn_buf(t->ctx, t->hx, CC * CH * CH);
    t->w = churn_buf(t->ctx, t->hw, CO * CC * CK * CK);
    t->bias = churn_buf(t->ctx, t->hb, NBIAS + CO);
    t->y = churn_buf(t->ctx, NULL, CO * CY * CY);
    t->a = churn_buf(t->ctx, t->ha, 128);
    t->b = churn_buf(t->ctx, t->hbb, 128);
    t->c = churn_buf(t->ctx, NULL, 4);
}

static void churn_close(churn *t)
{
    winsum_buffer *b[7] = {&t->x, &t->w, &t->bias, &t->y, &t->a, &t->b, &t->c};
    for (int i = 0; i < 7; i++) winsum_buffer_free(t->ctx, b[i]);
    winsum_context_destroy(t->ctx);
}

static void cache_churn(winsum_backend be, uint64_t *rng)
{
    const char *name = be == WINSUM_BACKEND_REF ? "reference" : "opencl";
    char what[96];
    churn t;
    /* a fresh cache each time: forward with bias, k other plans, forward
     * with the bias elsewhere (k = WS_PLAN_CACHE - 2 gave the forward
     * plan's slot to the new bias plan) */
    for (int k = 0; k <= WS_PLAN_CACHE + 2; k++) {
        churn_open(&t, be, rng);
        snprintf(what, sizeof what, "%s: forward with bias, first", name);
        churn_conv(&t, 0, what);
        for (int i = 0; i < k; i++) churn_einsum(&t);
        snprintf(what, sizeof what, "%s: forward with bias after %d other plans", name, k);
        churn_conv(&t, 1 + k % NBIAS, what);
        churn_close(&t);
    }
    /* one context, more distinct plans than slots, interleaved with
     * convolutions whose bias moves */
    churn_open(&t, be, rng);
    for (int r = 0; r < 3 * WS_PLAN_CACHE; r++) {
        snprintf(what, sizeof what, "%s: interleaved forward %d", name, r);
        churn_conv(&t, r % NBIAS, what);
        for (int i = 0; i < r % 5; i++) churn_einsum(&t);
    }
    printf("  %s: the plan cache under churn, %d distinct einsums in the last run\n", name,
           t.nplans);
    churn_close(&t);
}

int main(void)
{
    uint64_t rng = tu_seed(10);
    host_plans(&rng);
    cache_churn(WINSUM_BACKEND_REF, &rng);
    if (winsum_device_count() > 0) {
        device_plans(&rng);
        cache_churn(WINSUM_BACKEND_OPENCL, &rng);
    } else printf("no OpenCL device: the reference backend only\n");
    return tu_finish("test_lifetime");
}
