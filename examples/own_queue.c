/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * own_queue.c - winsum inside an application that already has OpenCL: the
 * caller makes the cl_context, the in-order queue and the cl_mem buffers,
 * winsum_context_create_cl wraps them, and winsum_plan_execute hands back the
 * event of its last kernel, which the caller's own commands can wait on.
 * Here: a batched matrix-vector product "bij,bj->bi" on the first OpenCL
 * device, read back with a clEnqueueReadBuffer that waits on that event.
 *
 *   cc own_queue.c $(pkg-config --cflags --libs winsum) -o own_queue
 */
#include <winsum.h>

#include <math.h>
#include <stdio.h>

enum { B = 3, I = 5, J = 7 };

int main(void)
{
    cl_platform_id platform;
    cl_device_id device;
    cl_uint n = 0;
    if (clGetPlatformIDs(1, &platform, &n) != CL_SUCCESS || n == 0 ||
        clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, &n) != CL_SUCCESS || n == 0) {
        printf("own_queue: no OpenCL device; nothing to show\n");
        return 0;
    }
    cl_int err;
    cl_context cl = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
    if (!cl) return fprintf(stderr, "clCreateContext: %d\n", err), 1;
    cl_command_queue queue = clCreateCommandQueue(cl, device, 0 /* in order */, &err);
    if (!queue) return fprintf(stderr, "clCreateCommandQueue: %d\n", err), 1;

    float m[B * I * J], v[B * J], r[B * I];
    for (int i = 0; i < B * I * J; i++) m[i] = (float)(i % 9) - 4;
    for (int i = 0; i < B * J; i++) v[i] = (float)(i % 4) * 0.5f;
    cl_mem dm = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof m, m, &err);
    cl_mem dv = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof v, v, &err);
    cl_mem dr = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, sizeof r, NULL, &err);

    int rc = 1;
    winsum_context *ctx = NULL;
    winsum_plan *plan = NULL;
    cl_event done = NULL;
    winsum_status st = winsum_context_create_cl(&ctx, cl, queue); /* retains both */
    if (st) {
        fprintf(stderr, "winsum_context_create_cl: %s\n", winsum_last_error(NULL));
        goto out;
    }
    winsum_buffer bm = winsum_buffer_device(dm, sizeof m), bv = winsum_buffer_device(dv, sizeof v),
                  br = winsum_buffer_device(dr, sizeof r);
    int64_t sm[3] = {B, I, J}, sv[2] = {B, J}, sr[2] = {B, I};
    winsum_view ops[2] = {winsum_view_contiguous(&bm, WINSUM_F32, 3, sm),
                          winsum_view_contiguous(&bv, WINSUM_F32, 2, sv)};
    winsum_view out = winsum_view_contiguous(&br, WINSUM_F32, 2, sr);
    if ((st = winsum_plan_create(ctx, &plan, "bij,bj->bi", 2, ops, &out)) ||
        (st = winsum_plan_execute(plan, NULL, NULL, 1.0, 0.0, &done))) {
        fprintf(stderr, "winsum: %s\n", winsum_last_error(ctx));
        goto out;
    }
    /* the caller's own command, ordered after winsum's kernel by its event */
    err = clEnqueueReadBuffer(queue, dr, CL_TRUE, 0, sizeof r, r, done ? 1 : 0, done ? &done : NULL,
                              NULL);
    if (err) {
        fprintf(stderr, "clEnqueueReadBuffer: %d\n", err);
        goto out;
    }
    double worst = 0;
    for (int b = 0; b < B; b++)
        for (int i = 0; i < I; i++) {
            double s = 0;
            for (int j = 0; j < J; j++) s += (double)m[(b * I + i) * J + j] * v[b * J + j];
            worst = fmax(worst, fabs(s - r[b * I + i]));
        }
    printf("device: %s; r[0][0] = %g; largest error %g\n", winsum_context_device_name(ctx), r[0],
           worst);
    rc = worst > 1e-4;
out:
    if (done) clReleaseEvent(done);
    winsum_plan_destroy(plan);
    winsum_context_destroy(ctx); /* releases its references to cl and queue */
    clReleaseMemObject(dr);
    clReleaseMemObject(dv);
    clReleaseMemObject(dm);
    clReleaseCommandQueue(queue);
    clReleaseContext(cl);
    return rc;
}
