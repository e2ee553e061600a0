/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * context.c - the context's base helpers, below the rest of the runtime:
 * error reporting that names the OpenCL call, the lock, the last error a
 * thread reads (winsum_last_error), and what a context says of itself.
 * What creates and destroys a context (and the parts of the runtime it
 * holds) is create.c, above them all.
 */
#include "context.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* why this thread's last context creation failed */
static _Thread_local char create_error[512];

winsum_status ws_create_fail(winsum_status st, const char *fmt, const char *arg)
{
    snprintf(create_error, sizeof create_error, fmt, arg ? arg : "");
    return st;
}

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

/* --------------------------------------------------------------- lock */

winsum_context *ws_lock(winsum_context *ctx)
{
    if (ctx) pthread_mutex_lock(&ctx->lock);
    return ctx;
}

void ws_unlock(winsum_context *ctx) { pthread_mutex_unlock(&ctx->lock); }

/* The calling thread's own last message on ctx; a thread that had none
 * there (or in too many contexts since) gets the context's last message of
 * any thread, copied under the lock into a buffer of its own. */
const char *winsum_last_error(const winsum_context *ctx)
{
    static _Thread_local char shared_copy[sizeof(ws_error){0}.msg];
    if (!ctx) return create_error;
    const char *own = ws_thread_error(ctx->err.owner);
    if (own) return own;
    winsum_context *c = (winsum_context *)ctx;
    ws_lock(c);
    memcpy(shared_copy, c->err.msg, sizeof shared_copy);
    ws_unlock(c);
    return shared_copy;
}
/* Set at creation and never changed: no lock needed. */
winsum_backend winsum_context_backend(const winsum_context *ctx)
{
    return ctx ? ctx->backend : WINSUM_BACKEND_AUTO;
}
const char *winsum_context_device_name(const winsum_context *ctx)
{
    return ctx ? ctx->device_name : "";
}
cl_context winsum_context_cl(const winsum_context *ctx) { return ctx ? ctx->cl : NULL; }
cl_command_queue winsum_context_queue(const winsum_context *ctx) { return ctx ? ctx->queue : NULL; }

int winsum_context_has_dtype(const winsum_context *ctx, winsum_dtype dtype)
{
    if (!ctx) return 0;
    /* float16 is storage (vload_half / vstore_half are core OpenCL) */
    if (ctx->backend == WINSUM_BACKEND_REF)
        return dtype == WINSUM_F32 || dtype == WINSUM_F64 || dtype == WINSUM_F16;
    return dtype == WINSUM_F32 || dtype == WINSUM_F16 || (dtype == WINSUM_F64 && ctx->has_fp64);
}

/* ------------------------------------------------------------- memory */
