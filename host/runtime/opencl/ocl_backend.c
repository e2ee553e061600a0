/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * ocl_backend.c - the OpenCL backend's table (backend.h): cl_mem buffers in
 * the context's cl_context, launches on the context's in-order queue behind
 * the gate (a user event), events, and the error names. The device (choice,
 * context and queue, limits) is ocl_device.c's, programs ocl_program.c's,
 * the public interop calls (winsum_ocl.h) ocl_interop.c's.
 */
#include "ocl.h"
#include "trace.h"
#include <stdlib.h>
#include <string.h>

const char *ws_cl_error_name(cl_int code)
{
    switch (code) {
#define C(x) \
    case x: return #x
        C(CL_SUCCESS);
        C(CL_DEVICE_NOT_FOUND);
        C(CL_DEVICE_NOT_AVAILABLE);
        C(CL_COMPILER_NOT_AVAILABLE);
        C(CL_MEM_OBJECT_ALLOCATION_FAILURE);
        C(CL_OUT_OF_RESOURCES);
        C(CL_OUT_OF_HOST_MEMORY);
        C(CL_BUILD_PROGRAM_FAILURE);
        C(CL_INVALID_VALUE);
        C(CL_INVALID_DEVICE);
        C(CL_INVALID_CONTEXT);
        C(CL_INVALID_COMMAND_QUEUE);
        C(CL_INVALID_MEM_OBJECT);
        C(CL_INVALID_BINARY);
        C(CL_INVALID_BUILD_OPTIONS);
        C(CL_INVALID_PROGRAM);
        C(CL_INVALID_KERNEL_NAME);
        C(CL_INVALID_KERNEL);
        C(CL_INVALID_ARG_INDEX);
        C(CL_INVALID_ARG_VALUE);
        C(CL_INVALID_ARG_SIZE);
        C(CL_INVALID_KERNEL_ARGS);
        C(CL_INVALID_WORK_DIMENSION);
        C(CL_INVALID_WORK_GROUP_SIZE);
        C(CL_INVALID_WORK_ITEM_SIZE);
        C(CL_INVALID_GLOBAL_OFFSET);
        C(CL_INVALID_EVENT_WAIT_LIST);
        C(CL_INVALID_BUFFER_SIZE);
        C(CL_INVALID_GLOBAL_WORK_SIZE);
        C(CL_INVALID_PLATFORM);
        C(CL_INVALID_OPERATION);
        C(CL_MISALIGNED_SUB_BUFFER_OFFSET);
#undef C
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    }
    return "unknown OpenCL error";
}

winsum_status ws_cl_fail(winsum_context *ctx, cl_int code, const char *call, const char *what)
{
    winsum_status st = (code == CL_MEM_OBJECT_ALLOCATION_FAILURE || code == CL_OUT_OF_RESOURCES ||
                        code == CL_OUT_OF_HOST_MEMORY || code == CL_INVALID_BUFFER_SIZE)
                           ? WINSUM_ERR_MEMORY
                           : WINSUM_ERR_OPENCL;
    return ws_fail(&ctx->err, st, "%s: %s failed with %s (%d)", what, call, ws_cl_error_name(code),
                   (int)code);
}

static winsum_status ocl_alloc(winsum_context *ctx, size_t bytes, ws_mem *mem, const char *what)
{
    cl_int err = CL_SUCCESS;
    *mem = NULL;
    if (ctx->max_alloc && bytes > ctx->max_alloc)
        return ws_fail(&ctx->err, WINSUM_ERR_MEMORY,
                       "%s: %zu bytes in one buffer, more than the device allocates at once "
                       "(%llu)",
                       what, bytes, (unsigned long long)ctx->max_alloc);
    if (ws_fault(WINSUM_FAULT_ALLOC))
        return ws_cl_fail(ctx, CL_MEM_OBJECT_ALLOCATION_FAILURE, "clCreateBuffer (injected)", what);
    cl_mem m = clCreateBuffer(ws_ocl_of(ctx)->cl, CL_MEM_READ_WRITE, bytes ? bytes : 1, NULL, &err);
    if (!m)
        return ws_cl_fail(ctx, err ? err : CL_MEM_OBJECT_ALLOCATION_FAILURE, "clCreateBuffer",
                          what);
    *mem = (ws_mem)m;
    return WINSUM_OK;
}

static void ocl_free(winsum_context *ctx, ws_mem mem)
{
    (void)ctx;
    clReleaseMemObject((cl_mem)mem);
}

static winsum_status ocl_transfer(winsum_context *ctx, ws_mem mem, size_t off, void *p,
                                  size_t bytes, int write, const char *what)
{
    const char *call = write ? "clEnqueueWriteBuffer" : "clEnqueueReadBuffer";
    if (ws_fault(WINSUM_FAULT_TRANSFER))
        return ws_cl_fail(
            ctx, CL_OUT_OF_RESOURCES,
            write ? "clEnqueueWriteBuffer (injected)" : "clEnqueueReadBuffer (injected)", what);
    cl_mem m = (cl_mem)mem;
    cl_command_queue q = ws_ocl_of(ctx)->queue;
    cl_int err = write ? clEnqueueWriteBuffer(q, m, CL_TRUE, off, bytes, p, 0, NULL, NULL)
                       : clEnqueueReadBuffer(q, m, CL_TRUE, off, bytes, p, 0, NULL, NULL);
    return err ? ws_cl_fail(ctx, err, call, what) : WINSUM_OK;
}

static winsum_status ocl_write(winsum_context *ctx, ws_mem mem, size_t off, const void *src,
                               size_t bytes, const char *what)
{
    return ocl_transfer(ctx, mem, off, (void *)src, bytes, 1, what);
}

static winsum_status ocl_read(winsum_context *ctx, ws_mem mem, size_t off, void *dst, size_t bytes,
                              const char *what)
{
    return ocl_transfer(ctx, mem, off, dst, bytes, 0, what);
}

static winsum_status ocl_check_buffer(winsum_context *ctx, const winsum_buffer *b, const char *name)
{
    if (b->where != WINSUM_DEVICE)
        return ws_fail(&ctx->err, WINSUM_ERR_CONTEXT,
                       "%s: a host buffer was given to the OpenCL backend, which computes on "
                       "device buffers (cl_mem)",
                       name);
    cl_mem m = (cl_mem)b->mem;
    cl_context c = NULL;
    size_t size = 0;
    cl_int err = clGetMemObjectInfo(m, CL_MEM_CONTEXT, sizeof c, &c, NULL);
    if (err == CL_SUCCESS) err = clGetMemObjectInfo(m, CL_MEM_SIZE, sizeof size, &size, NULL);
    if (err)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "%s: not a valid cl_mem (%s)", name,
                       ws_cl_error_name(err));
    if (c != ws_ocl_of(ctx)->cl)
        return ws_fail(&ctx->err, WINSUM_ERR_CONTEXT,
                       "%s: the cl_mem belongs to another OpenCL context", name);
    if (b->bytes > size)
        return ws_fail(&ctx->err, WINSUM_ERR_BOUNDS,
                       "%s: the buffer claims %zu bytes but its cl_mem has %zu", name, b->bytes,
                       size);
    return WINSUM_OK;
}

/* The allocation a cl_mem lives in (its parent, for a sub-buffer) and its
 * byte offset there. 1 when OpenCL cannot say. */
static int ocl_mem_base(const void *mem, const void **root, int64_t *offset)
{
    cl_mem m = (cl_mem)mem, parent = NULL;
    size_t off = 0;
    if (clGetMemObjectInfo(m, CL_MEM_ASSOCIATED_MEMOBJECT, sizeof parent, &parent, NULL) !=
        CL_SUCCESS)
        return 1;
    if (parent && clGetMemObjectInfo(m, CL_MEM_OFFSET, sizeof off, &off, NULL) != CL_SUCCESS)
        return 1;
    *root = parent ? (const void *)parent : mem;
    *offset = (int64_t)off;
    return 0;
}

static winsum_status ocl_launch(winsum_context *ctx, const ws_launch *l)
{
    ws_ocl *o = ws_ocl_of(ctx);
    cl_kernel k = (cl_kernel)l->kernel;
    const char *what = l->what ? l->what : l->name;
    cl_int err = CL_SUCCESS;
    for (int n = 0; n < l->nargs; n++) {
        const ws_arg *a = &l->args[n];
        cl_mem m = (cl_mem)a->mem;
        err |= a->is_mem ? clSetKernelArg(k, (cl_uint)n, sizeof m, &m)
                         : clSetKernelArg(k, (cl_uint)n, a->size, a->value);
    }
    if (err) return ws_cl_fail(ctx, err, "clSetKernelArg", what);
    if (ws_fault(WINSUM_FAULT_ENQUEUE))
        return ws_cl_fail(ctx, CL_OUT_OF_RESOURCES, "clEnqueueNDRangeKernel (injected)", what);
    /* Behind the gate, room for the launch's event before it is made (so
     * that no launch goes unheld) */
    if (o->gate && o->ngate_events == o->cap_gate_events) {
        int cap = o->cap_gate_events ? 2 * o->cap_gate_events : 16;
        cl_event *e = realloc(o->gate_events, (size_t)cap * sizeof *e);
        if (!e) return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "%s: out of host memory", what);
        o->gate_events = e;
        o->cap_gate_events = cap;
    }
    /* an event for the call's last kernel (winsum_last_event, the caller's
     * event), under WINSUM_VERBOSE=2 for every kernel (its time), and for
     * every launch behind the gate: held until the gate closes, as PoCL 3.1
     * aborts (pocl_update_event_failed: a pthread error, from
     * clSetUserEventStatus(gate, -1)) when a failed gate terminates three or
     * more launches whose events nobody holds */
    cl_event ev = NULL;
    int want = l->record || ctx->verbose >= 2 || o->gate;
    err = clEnqueueNDRangeKernel(o->queue, k, (cl_uint)l->dims, NULL, l->global, l->local,
                                 o->gate ? 1 : 0, o->gate ? &o->gate : NULL, want ? &ev : NULL);
    if (err) return ws_cl_fail(ctx, err, "clEnqueueNDRangeKernel", what);
    if (ctx->verbose >= 2) ws_trace_kernel(ctx, l->name, ev);
    if (o->gate && ev && clRetainEvent(ev) == CL_SUCCESS) o->gate_events[o->ngate_events++] = ev;
    if (!l->record) {
        if (ev) clReleaseEvent(ev);
        return WINSUM_OK;
    }
    if (l->event && ev && clRetainEvent(ev) == CL_SUCCESS) *l->event = ev;
    ws_event_record(ctx, ev);
    return WINSUM_OK;
}

static winsum_status ocl_gate_open(winsum_context *ctx)
{
    ws_ocl *o = ws_ocl_of(ctx);
    cl_int err;
    o->gate = clCreateUserEvent(o->cl, &err);
    if (!o->gate) return ws_cl_fail(ctx, err, "clCreateUserEvent", "gate");
    return WINSUM_OK;
}

static winsum_status ocl_gate_close(winsum_context *ctx, winsum_status st)
{
    ws_ocl *o = ws_ocl_of(ctx);
    /* a negative status terminates every command that waits on the gate */
    cl_int err = clSetUserEventStatus(o->gate, st ? -1 : CL_COMPLETE);
    clReleaseEvent(o->gate);
    o->gate = NULL;
    if (st) clFinish(o->queue);
    /* the launches' events, held since they were made (ocl_launch) */
    for (int i = 0; i < o->ngate_events; i++) clReleaseEvent(o->gate_events[i]);
    o->ngate_events = 0;
    if (st) return st;
    return err ? ws_cl_fail(ctx, err, "clSetUserEventStatus", "gate") : WINSUM_OK;
}

static winsum_status ocl_finish(winsum_context *ctx)
{
    cl_int err = clFinish(ws_ocl_of(ctx)->queue);
    return err ? ws_cl_fail(ctx, err, "clFinish", "finish") : WINSUM_OK;
}

static void ocl_event_release(void *event)
{
    if (event) clReleaseEvent((cl_event)event);
}

static int ocl_event_retain(void *event) { return clRetainEvent((cl_event)event) != CL_SUCCESS; }

static void ocl_event_wait(void *event)
{
    cl_event ev = (cl_event)event;
    clWaitForEvents(1, &ev);
}

/* from the profiling event of a kernel on a CL_QUEUE_PROFILING_ENABLE queue */
static int ocl_event_time(void *event, uint64_t *ns)
{
    cl_event ev = (cl_event)event;
    cl_ulong s = 0, e = 0;
    cl_int err = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof s, &s, NULL);
    if (!err) err = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof e, &e, NULL);
    if (err) return 1;
    *ns = (uint64_t)(e - s);
    return 0;
}

const ws_backend ws_backend_opencl = {
    .name = "opencl",
    .title = "OpenCL",
    .id = WINSUM_BACKEND_OPENCL,
    .memory = WINSUM_DEVICE,
    .kernels = 1,
    .create = ws_ocl_create,
    .destroy = ws_ocl_destroy,
    .devices = ws_ocl_devices,
    .alloc = ocl_alloc,
    .free = ocl_free,
    .write = ocl_write,
    .read = ocl_read,
    .check_buffer = ocl_check_buffer,
    .mem_base = ocl_mem_base,
    .program_build = ws_ocl_program_build,
    .program_load = ws_ocl_program_load,
    .program_binary = ws_ocl_program_binary,
    .program_kernel = ws_ocl_program_kernel,
    .program_release = ws_ocl_program_release,
    .program_cached = ws_ocl_program_cached,
    .launch = ocl_launch,
    .gate_open = ocl_gate_open,
    .gate_close = ocl_gate_close,
    .finish = ocl_finish,
    .event_release = ocl_event_release,
    .event_retain = ocl_event_retain,
    .event_wait = ocl_event_wait,
    .event_time = ocl_event_time,
    .map_host = ws_ocl_map_host,
    .unmap_host = ws_ocl_unmap_host,
};
