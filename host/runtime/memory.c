/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * memory.c - device memory with accounting (what winsum itself allocated:
 * intermediates, tables, winsum_buffer_alloc), the buffer calls of the API,
 * and the check that a buffer can be used by a context (its kind, and for
 * OpenCL its cl_context).
 */
#include "context.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void winsum_memory_usage(const winsum_context *ctx, size_t *current, size_t *peak)
{
    WS_LOCK_SCOPE((winsum_context *)ctx);
    if (current) *current = ctx ? ctx->mem_current : 0;
    if (peak) *peak = ctx ? ctx->mem_peak : 0;
}

void winsum_memory_reset_peak(winsum_context *ctx)
{
    WS_LOCK_SCOPE(ctx);
    if (ctx) ctx->mem_peak = ctx->mem_current;
}

winsum_status ws_device_alloc(winsum_context *ctx, size_t bytes, cl_mem *mem, const char *what)
{
    cl_int err = CL_SUCCESS;
    if (ctx->max_alloc && bytes > ctx->max_alloc) {
        *mem = NULL;
        return ws_fail(&ctx->err, WINSUM_ERR_MEMORY,
                       "%s: %zu bytes in one buffer, more than the device allocates at once "
                       "(%llu)",
                       what, bytes, (unsigned long long)ctx->max_alloc);
    }
    if (ws_fault(WINSUM_FAULT_ALLOC)) {
        *mem = NULL;
        return ws_cl_fail(ctx, CL_MEM_OBJECT_ALLOCATION_FAILURE, "clCreateBuffer (injected)", what);
    }
    *mem = clCreateBuffer(ctx->cl, CL_MEM_READ_WRITE, bytes ? bytes : 1, NULL, &err);
    if (!*mem)
        return ws_cl_fail(ctx, err ? err : CL_MEM_OBJECT_ALLOCATION_FAILURE, "clCreateBuffer",
                          what);
    ctx->mem_current += bytes;
    if (ctx->mem_current > ctx->mem_peak) ctx->mem_peak = ctx->mem_current;
    return WINSUM_OK;
}

void ws_device_free(winsum_context *ctx, cl_mem mem, size_t bytes)
{
    if (!mem) return;
    clReleaseMemObject(mem);
    ctx->mem_current -= bytes;
}

winsum_status winsum_buffer_alloc(winsum_context *ctx, size_t bytes, winsum_buffer *buffer)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    if (!buffer)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "winsum_buffer_alloc: buffer is NULL");
    memset(buffer, 0, sizeof *buffer);
    if (ctx->backend == WINSUM_BACKEND_REF) {
        void *p = calloc(bytes ? bytes : 1, 1);
        if (!p)
            return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "cannot allocate %zu host bytes", bytes);
        *buffer = winsum_buffer_host(p, bytes);
        return WINSUM_OK;
    }
    cl_mem m;
    winsum_status st = ws_device_alloc(ctx, bytes, &m, "winsum_buffer_alloc");
    if (st) return st;
    *buffer = winsum_buffer_device(m, bytes);
    return WINSUM_OK;
}

void winsum_buffer_free(winsum_context *ctx, winsum_buffer *buffer)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx || !buffer) return;
    if (buffer->where == WINSUM_HOST) free(buffer->host);
    else ws_device_free(ctx, buffer->mem, buffer->bytes);
    memset(buffer, 0, sizeof *buffer);
}

static winsum_status transfer(winsum_context *ctx, const winsum_buffer *b, size_t off, void *p,
                              size_t bytes, int write)
{
    const char *call = write ? "winsum_buffer_write" : "winsum_buffer_read";
    WS_LOCK_SCOPE(ctx);
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    if (!b) return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "%s: buffer is NULL", call);
    if (!p && bytes)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "%s: %s is NULL but bytes is %zu", call,
                       write ? "src" : "dst", bytes);
    winsum_status st = ws_buffer_check_fields(b, call, &ctx->err);
    if (st) return st;
    if (off > b->bytes || bytes > b->bytes - off)
        return ws_fail(&ctx->err, WINSUM_ERR_BOUNDS,
                       "buffer %s: bytes %zu..%zu are outside the buffer's %zu bytes",
                       write ? "write" : "read", off, off + bytes, b->bytes);
    if (!bytes) return WINSUM_OK;
    if (b->where == WINSUM_HOST) {
        if (write) memcpy((char *)b->host + off, p, bytes);
        else memcpy(p, (char *)b->host + off, bytes);
        return WINSUM_OK;
    }
    if (!ctx->queue)
        return ws_fail(
            &ctx->err, WINSUM_ERR_CONTEXT,
            "a device buffer needs an OpenCL context (this one is the reference backend)");
    if (ws_fault(WINSUM_FAULT_TRANSFER))
        return ws_cl_fail(ctx, CL_OUT_OF_RESOURCES,
                          write ? "clEnqueueWriteBuffer (injected)"
                                : "clEnqueueReadBuffer (injected)",
                          "buffer transfer");
    cl_int err =
        write ? clEnqueueWriteBuffer(ctx->queue, b->mem, CL_TRUE, off, bytes, p, 0, NULL, NULL)
              : clEnqueueReadBuffer(ctx->queue, b->mem, CL_TRUE, off, bytes, p, 0, NULL, NULL);
    if (err)
        return ws_cl_fail(ctx, err, write ? "clEnqueueWriteBuffer" : "clEnqueueReadBuffer",
                          "buffer transfer");
    return WINSUM_OK;
}

winsum_status winsum_buffer_write(winsum_context *ctx, const winsum_buffer *buffer,
                                  size_t offset_bytes, const void *src, size_t bytes)
{
    return transfer(ctx, buffer, offset_bytes, (void *)src, bytes, 1);
}

winsum_status winsum_buffer_read(winsum_context *ctx, const winsum_buffer *buffer,
                                 size_t offset_bytes, void *dst, size_t bytes)
{
    return transfer(ctx, buffer, offset_bytes, dst, bytes, 0);
}

winsum_status ws_buffer_check_context(winsum_context *ctx, const winsum_buffer *b, const char *name)
{
    winsum_status st = ws_buffer_check_fields(b, name, &ctx->err);
    if (st) return st;
    if (ctx->backend == WINSUM_BACKEND_REF) {
        if (b->where != WINSUM_HOST)
            return ws_fail(&ctx->err, WINSUM_ERR_CONTEXT,
                           "%s: a device buffer was given to the reference backend, which "
                           "computes on host buffers",
                           name);
        return WINSUM_OK;
    }
    if (b->where != WINSUM_DEVICE)
        return ws_fail(&ctx->err, WINSUM_ERR_CONTEXT,
                       "%s: a host buffer was given to the OpenCL backend, which computes on "
                       "device buffers (cl_mem)",
                       name);
    cl_context c = NULL;
    size_t size = 0;
    cl_int err = clGetMemObjectInfo(b->mem, CL_MEM_CONTEXT, sizeof c, &c, NULL);
    if (err == CL_SUCCESS) err = clGetMemObjectInfo(b->mem, CL_MEM_SIZE, sizeof size, &size, NULL);
    if (err)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "%s: not a valid cl_mem (%s)", name,
                       ws_cl_error_name(err));
    if (c != ctx->cl)
        return ws_fail(&ctx->err, WINSUM_ERR_CONTEXT,
                       "%s: the cl_mem belongs to another OpenCL context", name);
    if (b->bytes > size)
        return ws_fail(&ctx->err, WINSUM_ERR_BOUNDS,
                       "%s: the buffer claims %zu bytes but its cl_mem has %zu", name, b->bytes,
                       size);
    return WINSUM_OK;
}
