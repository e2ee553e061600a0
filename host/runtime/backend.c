/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * backend.c - the table of backends (a new backend is one folder beside
 * this file and one more entry) and the calls of backend.h that every
 * backend shares: memory accounting, and
 * the alias check with the backend's idea of an allocation.
 */
#include "backend.h"

/* WINSUM_BACKEND_AUTO tries them in this order: the device backends, then
 * the host reference (which needs no device) when no device was named. */
static const ws_backend *const backends[] = {&ws_backend_opencl, &ws_backend_ref};

const ws_backend *ws_backend_at(int i)
{
    return i >= 0 && (size_t)i < sizeof backends / sizeof *backends ? backends[i] : NULL;
}

const ws_backend *ws_backend_of(winsum_backend id)
{
    for (size_t i = 0; i < sizeof backends / sizeof *backends; i++)
        if (backends[i]->id == id) return backends[i];
    return NULL;
}

winsum_status ws_mem_alloc(winsum_context *ctx, size_t bytes, ws_mem *mem, const char *what)
{
    winsum_status st = ctx->be->alloc(ctx, bytes, mem, what);
    if (st) return st;
    ctx->mem_current += bytes;
    if (ctx->mem_current > ctx->mem_peak) ctx->mem_peak = ctx->mem_current;
    return WINSUM_OK;
}

void ws_mem_free(winsum_context *ctx, ws_mem mem, size_t bytes)
{
    if (!mem) return;
    ctx->be->free(ctx, mem);
    ctx->mem_current -= bytes;
}

winsum_status ws_mem_write(winsum_context *ctx, ws_mem mem, size_t off, const void *src,
                           size_t bytes, const char *what)
{
    return ctx->be->write(ctx, mem, off, src, bytes, what);
}

int ws_views_alias(const winsum_context *ctx, const winsum_view *a, const winsum_view *b)
{
    return ws_views_may_alias(a, b, ctx->be->mem_base);
}
