/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * ref_backend.c - the reference backend (backend.h): host memory, no
 * kernels, no device (it is WINSUM_BACKEND_AUTO's fallback when no device
 * backend has one and none was named). Its plans keep the parsed einsum and run core/ref.c's C loop
 * nest over all operands at once (the oracle shares no kernel logic), so
 * it has nothing to launch and nothing to gate: each call is done when it
 * returns.
 */
#include "backend.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The host: no device to choose, nothing of its own to keep. */
static winsum_status ref_create(winsum_context *ctx, const char *device)
{
    (void)device;
    snprintf(ctx->device_name, sizeof ctx->device_name, "reference (host C)");
    return WINSUM_OK;
}

static void ref_destroy(winsum_context *ctx) { (void)ctx; }

/* the host is no device of the list (winsum_device_count) */
static int ref_devices(int index, char *name, size_t name_len, int *is_gpu)
{
    (void)index, (void)name, (void)name_len, (void)is_gpu;
    return 0;
}

static winsum_status ref_alloc(winsum_context *ctx, size_t bytes, ws_mem *mem, const char *what)
{
    *mem = (ws_mem)calloc(bytes ? bytes : 1, 1);
    if (!*mem)
        return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "%s: cannot allocate %zu host bytes", what,
                       bytes);
    return WINSUM_OK;
}

static void ref_free(winsum_context *ctx, ws_mem mem)
{
    (void)ctx;
    free(mem);
}

static winsum_status ref_write(winsum_context *ctx, ws_mem mem, size_t off, const void *src,
                               size_t bytes, const char *what)
{
    (void)ctx, (void)what;
    memcpy((char *)mem + off, src, bytes);
    return WINSUM_OK;
}

static winsum_status ref_read(winsum_context *ctx, ws_mem mem, size_t off, void *dst, size_t bytes,
                              const char *what)
{
    (void)ctx, (void)what;
    memcpy(dst, (const char *)mem + off, bytes);
    return WINSUM_OK;
}

static winsum_status ref_check_buffer(winsum_context *ctx, const winsum_buffer *b, const char *name)
{
    if (b->where != WINSUM_HOST)
        return ws_fail(&ctx->err, WINSUM_ERR_CONTEXT,
                       "%s: a device buffer was given to the reference backend, which "
                       "computes on host buffers",
                       name);
    return WINSUM_OK;
}

/* host memory is one address space */
static int ref_mem_base(const void *mem, const void **root, int64_t *offset)
{
    *root = NULL;
    *offset = (int64_t)(intptr_t)mem;
    return 0;
}

static winsum_status ref_launch(winsum_context *ctx, const ws_launch *l)
{
    return ws_fail(&ctx->err, WINSUM_ERR_UNSUPPORTED, "%s: the reference backend runs no kernels",
                   l->name);
}

static winsum_status ref_gate_open(winsum_context *ctx)
{
    (void)ctx;
    return WINSUM_OK;
}

static winsum_status ref_gate_close(winsum_context *ctx, winsum_status st)
{
    (void)ctx;
    return st;
}

static winsum_status ref_finish(winsum_context *ctx)
{
    (void)ctx;
    return WINSUM_OK;
}

static void ref_event_release(void *event) { (void)event; }

const ws_backend ws_backend_ref = {
    .name = "ref",
    .title = "reference",
    .id = WINSUM_BACKEND_REF,
    .memory = WINSUM_HOST,
    .kernels = 0,
    .create = ref_create,
    .destroy = ref_destroy,
    .devices = ref_devices,
    .alloc = ref_alloc,
    .free = ref_free,
    .write = ref_write,
    .read = ref_read,
    .check_buffer = ref_check_buffer,
    .mem_base = ref_mem_base,
    .launch = ref_launch,
    .gate_open = ref_gate_open,
    .gate_close = ref_gate_close,
    .finish = ref_finish,
    .event_release = ref_event_release,
};
