/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * memory.c - device memory with accounting (what winsum itself allocated:
 * intermediates, tables, winsum_buffer_alloc), the buffer calls of the API,
 * and the check that a buffer can be used by a context (its kind, and the
 * backend's check that it belongs to the context). Host memory a device
 * uses in place (winsum_buffer_map_host) is the backend's map_host.
 */
#include "backend.h"
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

winsum_status winsum_buffer_alloc(winsum_context *ctx, size_t bytes, winsum_buffer *buffer)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    if (!buffer)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "winsum_buffer_alloc: buffer is NULL");
    memset(buffer, 0, sizeof *buffer);
    ws_mem m;
    winsum_status st = ws_mem_alloc(ctx, bytes, &m, "winsum_buffer_alloc");
    if (st) return st;
    buffer->where = ctx->be->memory;
    if (buffer->where == WINSUM_HOST) buffer->host = m;
    else buffer->mem = m;
    buffer->bytes = bytes;
    return WINSUM_OK;
}

/* A buffer of winsum_buffer_alloc goes back to the backend that made it; a
 * host buffer of another kind of context is the host's. */
void winsum_buffer_free(winsum_context *ctx, winsum_buffer *buffer)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx || !buffer) return;
    if (buffer->where == ctx->be->memory) ws_mem_free(ctx, ws_buffer_mem(buffer), buffer->bytes);
    else if (buffer->where == WINSUM_HOST) free(buffer->host);
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
    if (b->where == WINSUM_HOST) { /* host memory is the caller's, on every backend */
        if (write) memcpy((char *)b->host + off, p, bytes);
        else memcpy(p, (char *)b->host + off, bytes);
        return WINSUM_OK;
    }
    if (ctx->be->memory != WINSUM_DEVICE)
        return ws_fail(&ctx->err, WINSUM_ERR_CONTEXT,
                       "a device buffer needs a context of a device backend (this one is the "
                       "%s backend)",
                       ctx->be->title);
    return write ? ctx->be->write(ctx, (ws_mem)b->mem, off, p, bytes, "buffer transfer")
                 : ctx->be->read(ctx, (ws_mem)b->mem, off, p, bytes, "buffer transfer");
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
    return st ? st : ctx->be->check_buffer(ctx, b, name);
}

winsum_status winsum_buffer_map_host(winsum_context *ctx, void *data, size_t bytes,
                                     winsum_buffer *buffer)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    if (!buffer)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "winsum_buffer_map_host: buffer is NULL");
    memset(buffer, 0, sizeof *buffer);
    if (!data || !bytes)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT,
                       "winsum_buffer_map_host: data is NULL or bytes is 0 (%zu)", bytes);
    if (ctx->be->memory == WINSUM_HOST) {
        *buffer = winsum_buffer_host(data, bytes);
        return WINSUM_OK;
    }
    return ctx->be->map_host(ctx, data, bytes, buffer);
}

winsum_status winsum_buffer_unmap_host(winsum_context *ctx, winsum_buffer *buffer, int sync)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    if (!buffer)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "winsum_buffer_unmap_host: buffer is NULL");
    if (buffer->where == WINSUM_HOST) {
        memset(buffer, 0, sizeof *buffer);
        return WINSUM_OK;
    }
    if (buffer->where != WINSUM_DEVICE || !buffer->mem || ctx->be->memory != WINSUM_DEVICE)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT,
                       "winsum_buffer_unmap_host: not a buffer of winsum_buffer_map_host()");
    return ctx->be->unmap_host(ctx, buffer, sync);
}
