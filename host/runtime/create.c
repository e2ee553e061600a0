/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * create.c - what creates and destroys a context: the backend (in the
 * table's order for WINSUM_BACKEND_AUTO), which sets up its device
 * (be->create), the reference count that plans hold, what higher layers
 * attach, and the device list of all backends. It sits above the rest of
 * the runtime, whose parts (gate, programs, tile parameters, trace) it sets
 * up and frees; the base helpers it uses are context.c's.
 */
#include "backend.h"
#include "params.h"
#include "program.h"
#include "trace.h"
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The new context's lock, its user reference and its error sink's id (an id
 * is never reused, so that a thread's message of a destroyed context is not
 * taken for one of a new context at the same address). */
static int context_init(winsum_context *ctx)
{
    static atomic_uint_fast64_t next_id;
    pthread_mutexattr_t a;
    if (pthread_mutexattr_init(&a)) return 1;
    int bad = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE) ||
              pthread_mutex_init(&ctx->lock, &a);
    pthread_mutexattr_destroy(&a);
    if (bad) return 1;
    ctx->refs = 1;
    ctx->err.owner = (uint64_t)atomic_fetch_add(&next_id, 1) + 1;
    return 0;
}

void ws_context_discard(winsum_context *ctx)
{
    ws_trace_close(ctx);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

/* Frees what the context owns; no reference is left. */
static void context_free(winsum_context *ctx)
{
    ws_program_cache_free(ctx);
    if (ctx->be) ctx->be->finish(ctx);
    ws_trace_close(ctx); /* its events, before their queue */
    if (ctx->be) ctx->be->destroy(ctx);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

void ws_context_retain(winsum_context *ctx)
{
    ws_lock(ctx);
    ctx->refs++;
    ws_unlock(ctx);
}

void ws_context_release(winsum_context *ctx)
{
    ws_lock(ctx);
    int last = --ctx->refs == 0;
    ws_unlock(ctx);
    if (last) context_free(ctx);
}

/* ----------------------------------------------------------- devices */

/* The devices of every backend, in table order. */
int winsum_device_count(void)
{
    int n = 0;
    for (int b = 0; ws_backend_at(b); b++) n += ws_backend_at(b)->devices(-1, NULL, 0, NULL);
    return n;
}

winsum_status winsum_device_info(int index, char *name, size_t name_len, int *is_gpu)
{
    if (index < 0) return WINSUM_ERR_NO_DEVICE;
    for (int b = 0; ws_backend_at(b); b++) {
        int n = ws_backend_at(b)->devices(index, name, name_len, is_gpu);
        if (index < n) return WINSUM_OK;
        index -= n;
    }
    return WINSUM_ERR_NO_DEVICE;
}

winsum_status ws_context_new(winsum_context **out)
{
    char why[256];
    if (ws_cache_env_check(why, sizeof why)) return ws_create_fail(WINSUM_ERR_ARGUMENT, "%s", why);
    winsum_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return ws_create_fail(WINSUM_ERR_MEMORY, "out of host memory%s", NULL);
    if (context_init(ctx)) {
        free(ctx);
        return ws_create_fail(WINSUM_ERR_MEMORY, "cannot make the context's lock%s", NULL);
    }
    if (ws_trace_open(ctx)) {
        ws_context_discard(ctx);
        return ws_create_fail(WINSUM_ERR_MEMORY, "out of host memory (WINSUM_VERBOSE)%s", NULL);
    }
    *out = ctx;
    return WINSUM_OK;
}

void ws_context_ready(winsum_context *ctx, const ws_backend *be)
{
    ctx->be = be;
    ctx->backend = be->id;
    if (be->kernels) ws_choose_params(ctx);
}

/* be's device in ctx, and ctx ready; ctx is discarded on failure. */
static winsum_status create_on(winsum_context *ctx, const ws_backend *be, const char *device)
{
    winsum_status st = be->create(ctx, device);
    if (st) return st;
    ws_context_ready(ctx, be);
    return WINSUM_OK;
}

winsum_status winsum_context_create(winsum_context **out, winsum_backend backend,
                                    const char *device)
{
    if (!out)
        return ws_create_fail(WINSUM_ERR_ARGUMENT, "winsum_context_create: ctx is NULL%s", NULL);
    *out = NULL;
    if (backend != WINSUM_BACKEND_AUTO && !ws_backend_of(backend))
        return ws_create_fail(WINSUM_ERR_ARGUMENT, "winsum_context_create: unknown backend%s",
                              NULL);
    winsum_context *ctx;
    winsum_status st = ws_context_new(&ctx);
    if (st) return st;
    if (!device) device = getenv("WINSUM_DEVICE");
    const int named = device && *device;
    if (backend != WINSUM_BACKEND_AUTO) {
        st = create_on(ctx, ws_backend_of(backend), device);
    } else if (device && strcmp(device, ws_backend_ref.name) == 0) {
        st = create_on(ctx, &ws_backend_ref, NULL);
    } else {
        /* the device backends in table order; the host reference, which
         * needs no device, when none has a device and none was named. A
         * named device none has: the first one's reason. */
        char first[512] = "", before[512];
        snprintf(before, sizeof before, "%s", winsum_last_error(NULL));
        st = WINSUM_ERR_NO_DEVICE;
        for (int b = 0; ws_backend_at(b); b++) {
            const ws_backend *be = ws_backend_at(b);
            if (be->memory == WINSUM_HOST && named) continue;
            st = create_on(ctx, be, device);
            if (st != WINSUM_ERR_NO_DEVICE) break;
            if (!first[0]) snprintf(first, sizeof first, "%s", winsum_last_error(NULL));
        }
        if (st == WINSUM_ERR_NO_DEVICE && first[0]) ws_create_fail(st, "%s", first);
        /* a fallback is no failure: the thread's last reason stays */
        if (!st) ws_create_fail(st, "%s", before);
    }
    if (st) {
        ws_context_discard(ctx);
        return st;
    }
    *out = ctx;
    return WINSUM_OK;
}

void *ws_context_attached(const winsum_context *ctx, const void *key)
{
    for (int i = 0; i < WS_MAX_ATTACHED; i++)
        if (ctx->attached[i].key == key) return ctx->attached[i].data;
    return NULL;
}

winsum_status ws_context_attach(winsum_context *ctx, const void *key, void *data,
                                void (*release)(winsum_context *ctx, void *data))
{
    for (int i = 0; i < WS_MAX_ATTACHED; i++)
        if (!ctx->attached[i].key) {
            ctx->attached[i] = (ws_attachment){key, data, release};
            return WINSUM_OK;
        }
    return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "winsum: no room to attach per-context data");
}

/* Drops the user's reference: what higher layers attached (the cached
 * plans, which hold no reference) goes now; the rest lives on while plans
 * made by winsum_plan_create do. */
void winsum_context_destroy(winsum_context *ctx)
{
    if (!ctx) return;
    ws_lock(ctx);
    for (int i = 0; i < WS_MAX_ATTACHED; i++) {
        ws_attachment *a = &ctx->attached[i];
        if (a->key && a->release) a->release(ctx, a->data);
        memset(a, 0, sizeof *a);
    }
    if (ws_gate_held(ctx)) ws_gate_close(ctx, WINSUM_ERR_ARGUMENT);
    ws_unlock(ctx);
    ws_context_release(ctx);
}

winsum_status winsum_finish(winsum_context *ctx)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    return ctx->be->finish(ctx);
}
