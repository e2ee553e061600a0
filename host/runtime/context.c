/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * context.c - the context's base helpers, below the rest of the runtime:
 * the reason a creation failed, the lock, the last error a thread reads
 * (winsum_last_error), and what a context says of itself.
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

int winsum_context_has_dtype(const winsum_context *ctx, winsum_dtype dtype)
{
    if (!ctx) return 0;
    /* float16 is storage: kernels convert it on load and store, so no device
     * extension is needed */
    if (ctx->backend == WINSUM_BACKEND_REF)
        return dtype == WINSUM_F32 || dtype == WINSUM_F64 || dtype == WINSUM_F16;
    return dtype == WINSUM_F32 || dtype == WINSUM_F16 || (dtype == WINSUM_F64 && ctx->has_fp64);
}

/* ------------------------------------------------------------- memory */
