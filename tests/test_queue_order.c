/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_queue_order.c - winsum_context_create_cl refuses an out-of-order
 * queue. winsum enqueues the steps of one call (a three-operand einsum's
 * pairs, a convolution's phases) one after another with no events between
 * them: on an out-of-order queue a step could read an intermediate before
 * it is written. So such a queue gets WINSUM_ERR_UNSUPPORTED and a message
 * that asks for an in-order one, no context, and no reference kept on the
 * caller's objects; an in-order queue (with profiling, say) is accepted.
 */
#include "testutil.h"
#include <string.h>

int main(void)
{
    if (winsum_device_count() == 0) {
        printf("no OpenCL device: nothing to test\n");
        return tu_finish("test_queue_order");
    }
    cl_device_id dev;
    cl_int err;
    cl_context cc = tu_own_cl_context(&dev);
    CHECK(cc != NULL);
    cl_command_queue_properties dp = 0;
    clGetDeviceInfo(dev, CL_DEVICE_QUEUE_PROPERTIES, sizeof dp, &dp, NULL);
    printf("device queue properties: out-of-order %s, profiling %s\n",
           dp & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE ? "yes" : "no",
           dp & CL_QUEUE_PROFILING_ENABLE ? "yes" : "no");
    cl_command_queue ooo =
        clCreateCommandQueue(cc, dev, CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE, &err);
    if (!ooo) {
        /* the device has no out-of-order queues, so none can reach winsum */
        printf("clCreateCommandQueue(out-of-order) failed with %d: not tested here\n", (int)err);
    } else {
        cl_uint before = 0, after = 0;
        clGetCommandQueueInfo(ooo, CL_QUEUE_REFERENCE_COUNT, sizeof before, &before, NULL);
        winsum_context *ctx = (winsum_context *)&before; /* must become NULL */
        CHECK_STATUS(winsum_context_create_cl(&ctx, cc, ooo), WINSUM_ERR_UNSUPPORTED);
        CHECK(ctx == NULL);
        const char *m = winsum_last_error(NULL);
        printf("refused: %s\n", m);
        CHECK(strstr(m, "out-of-order") != NULL && strstr(m, "in-order") != NULL);
        clGetCommandQueueInfo(ooo, CL_QUEUE_REFERENCE_COUNT, sizeof after, &after, NULL);
        CHECK_MSG(after == before, "queue references %u, %u before", after, before);
        winsum_context_destroy(ctx);
        clReleaseCommandQueue(ooo);
    }
    /* in-order, with profiling: accepted, and it computes */
    cl_command_queue q = clCreateCommandQueue(
        cc, dev, dp & CL_QUEUE_PROFILING_ENABLE ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
    CHECK(q != NULL);
    winsum_context *ctx = NULL;
    CHECK_STATUS(winsum_context_create_cl(&ctx, cc, q), WINSUM_OK);
    if (ctx) {
        float a[6] = {1, 2, 3, 4, 5, 6}, out[1] = {0};
        winsum_buffer ba, bo;
        CHECK_STATUS(winsum_buffer_alloc(ctx, sizeof a, &ba), WINSUM_OK);
        CHECK_STATUS(winsum_buffer_alloc(ctx, sizeof out, &bo), WINSUM_OK);
        CHECK_STATUS(winsum_buffer_write(ctx, &ba, 0, a, sizeof a), WINSUM_OK);
        int64_t s[1] = {6};
        winsum_view ops[3], o = winsum_view_contiguous(&bo, WINSUM_F32, 0, NULL);
        for (int i = 0; i < 3; i++) ops[i] = winsum_view_contiguous(&ba, WINSUM_F32, 1, s);
        CHECK_STATUS(winsum_einsum(ctx, "i,i,i->", 3, ops, &o, 1, 0), WINSUM_OK);
        CHECK_STATUS(winsum_buffer_read(ctx, &bo, 0, out, sizeof out), WINSUM_OK);
        CHECK_MSG(out[0] == 441, "sum of cubes 1..6: got %g", out[0]);
        winsum_buffer_free(ctx, &ba);
        winsum_buffer_free(ctx, &bo);
        winsum_context_destroy(ctx);
    }
    clReleaseCommandQueue(q);
    clReleaseContext(cc);
    return tu_finish("test_queue_order");
}
