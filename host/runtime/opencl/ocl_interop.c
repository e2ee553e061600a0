/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * ocl_interop.c - the public calls that name OpenCL types (winsum_ocl.h): a
 * caller's cl_mem as a buffer, a context around a caller's cl_context and
 * queue, the context's own, the last kernel's cl_event; and host memory the
 * device uses in place (the backend's map_host and unmap_host).
 */
#include "ocl.h"
#include <string.h>

winsum_buffer winsum_buffer_device(cl_mem mem, size_t bytes)
{
    winsum_buffer b;
    memset(&b, 0, sizeof b);
    b.where = WINSUM_DEVICE;
    b.mem = mem;
    b.bytes = bytes;
    return b;
}

winsum_status winsum_context_create_cl(winsum_context **out, cl_context cl_ctx,
                                       cl_command_queue queue)
{
    if (out) *out = NULL;
    if (!out || !cl_ctx || !queue)
        return ws_create_fail(WINSUM_ERR_ARGUMENT,
                              "winsum_context_create_cl: ctx, cl_context and queue are needed%s",
                              NULL);
    /* Kernels of one call run in order (a step reads the intermediate the
     * step before wrote, with no event between them): an out-of-order queue
     * would let them overlap, so it is refused rather than silently raced. */
    cl_command_queue_properties props = 0;
    cl_int perr = clGetCommandQueueInfo(queue, CL_QUEUE_PROPERTIES, sizeof props, &props, NULL);
    if (perr != CL_SUCCESS)
        return ws_create_fail(WINSUM_ERR_CONTEXT,
                              "winsum_context_create_cl: the queue is not a valid command queue "
                              "(clGetCommandQueueInfo failed with %s)",
                              ws_cl_error_name(perr));
    if (props & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE)
        return ws_create_fail(WINSUM_ERR_UNSUPPORTED,
                              "winsum_context_create_cl: the queue is out-of-order "
                              "(CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE); winsum needs an in-order "
                              "queue: create one without that property%s",
                              NULL);
    winsum_context *ctx;
    winsum_status cst = ws_context_new(&ctx);
    if (cst) return cst;
    cl_context qctx = NULL;
    cl_device_id device = NULL;
    if (clGetCommandQueueInfo(queue, CL_QUEUE_CONTEXT, sizeof qctx, &qctx, NULL) != CL_SUCCESS ||
        qctx != cl_ctx ||
        clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof device, &device, NULL) != CL_SUCCESS) {
        ws_context_discard(ctx);
        return ws_create_fail(WINSUM_ERR_CONTEXT,
                              "winsum_context_create_cl: the queue does not belong to the "
                              "cl_context%s",
                              NULL);
    }
    cst = ws_ocl_adopt(ctx, cl_ctx, queue, device, (props & CL_QUEUE_PROFILING_ENABLE) != 0);
    if (cst) {
        ws_context_discard(ctx);
        return cst;
    }
    clRetainContext(cl_ctx);
    clRetainCommandQueue(queue);
    ws_context_ready(ctx, &ws_backend_opencl);
    *out = ctx;
    return WINSUM_OK;
}

/* Set at creation and never changed: no lock needed. */
cl_context winsum_context_cl(const winsum_context *ctx)
{
    const ws_ocl *o = ws_ocl_if(ctx);
    return o ? o->cl : NULL;
}

cl_command_queue winsum_context_queue(const winsum_context *ctx)
{
    const ws_ocl *o = ws_ocl_if(ctx);
    return o ? o->queue : NULL;
}

winsum_status winsum_last_event(winsum_context *ctx, cl_event *event)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    if (!event) return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "winsum_last_event: event is NULL");
    *event = NULL;
    if (!ctx->last_event) return WINSUM_OK; /* none, or a context of another backend */
    cl_event ev = (cl_event)ctx->last_event;
    cl_int err = clRetainEvent(ev);
    if (err) return ws_cl_fail(ctx, err, "clRetainEvent", "winsum_last_event");
    *event = ev;
    return WINSUM_OK;
}

winsum_status ws_ocl_map_host(winsum_context *ctx, void *data, size_t bytes, winsum_buffer *buffer)
{
    ws_ocl *o = ws_ocl_of(ctx);
    cl_bool unified = CL_FALSE;
    cl_int err =
        clGetDeviceInfo(o->device, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, NULL);
    if (err || !unified)
        return ws_fail(&ctx->err, WINSUM_ERR_UNSUPPORTED,
                       "winsum_buffer_map_host: the device does not share host memory "
                       "(CL_DEVICE_HOST_UNIFIED_MEMORY); copy with winsum_buffer_write()");
    if (ctx->max_alloc && bytes > ctx->max_alloc)
        return ws_fail(&ctx->err, WINSUM_ERR_MEMORY,
                       "winsum_buffer_map_host: %zu bytes in one buffer, more than the device "
                       "allocates at once (%llu)",
                       bytes, (unsigned long long)ctx->max_alloc);
    cl_mem m = clCreateBuffer(o->cl, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR, bytes, data, &err);
    if (!m)
        return ws_cl_fail(ctx, err ? err : CL_MEM_OBJECT_ALLOCATION_FAILURE,
                          "clCreateBuffer(CL_MEM_USE_HOST_PTR)", "winsum_buffer_map_host");
    *buffer = winsum_buffer_device(m, bytes);
    return WINSUM_OK;
}

winsum_status ws_ocl_unmap_host(winsum_context *ctx, winsum_buffer *buffer, int sync)
{
    ws_ocl *o = ws_ocl_of(ctx);
    winsum_status st = WINSUM_OK;
    cl_mem mem = (cl_mem)buffer->mem;
    if (sync) {
        /* a blocking map waits for the queued work and brings the device's
         * writes into the host memory (nothing moves where the device uses
         * that memory in place); unmapping a read mapping moves nothing, so
         * it is only queued (OpenCL releases the cl_mem after it) */
        cl_int err = CL_SUCCESS;
        void *p = clEnqueueMapBuffer(o->queue, mem, CL_TRUE, CL_MAP_READ, 0, buffer->bytes, 0, NULL,
                                     NULL, &err);
        if (!p)
            st = ws_cl_fail(ctx, err ? err : CL_INVALID_VALUE, "clEnqueueMapBuffer",
                            "winsum_buffer_unmap_host");
        else {
            err = clEnqueueUnmapMemObject(o->queue, mem, p, 0, NULL, NULL);
            if (err)
                st = ws_cl_fail(ctx, err, "clEnqueueUnmapMemObject", "winsum_buffer_unmap_host");
        }
    }
    clReleaseMemObject(mem);
    memset(buffer, 0, sizeof *buffer);
    return st;
}
