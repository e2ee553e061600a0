/*
 * test_lifetime.c - plans outliving their context. A plan made by
 * winsum_plan_create keeps its context alive: after winsum_context_destroy
 * it still executes (correctly) and its destroy is safe; the context is freed
 * when the last such plan goes. The plans winsum_einsum caches keep nothing
 * alive: a context with only cached plans is freed at destroy. Checked by
 * results, by the caller's cl_context reference count (winsum retains it
 * while it lives), and under AddressSanitizer (make check-asan) for use
 * after free and leaks.
 */
#include "testutil.h"
#include <math.h>
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

int main(void)
{
    uint64_t rng = tu_seed(10);
    host_plans(&rng);
    if (winsum_device_count() > 0) device_plans(&rng);
    else printf("no OpenCL device: the reference backend only\n");
    return tu_finish("test_lifetime");
}
