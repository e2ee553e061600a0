/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * einsum.c - winsum_einsum: a plan from the context's cache of recent plans
 * (ws_plan_cached, also what the convolutions use), executed on the
 * caller's buffers; and winsum_einsum_output_shape.
 */
#include "layer.h"
#include "replay.h"
#include <stdlib.h>
#include <string.h>

static int view_same(const winsum_view *a, const winsum_view *b)
{
    if (a->dtype != b->dtype || a->offset != b->offset || a->ndim != b->ndim ||
        a->nguards != b->nguards)
        return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i] || a->strides[i] != b->strides[i]) return 0;
    for (int g = 0; g < a->nguards; g++) {
        if (a->guards[g].offset != b->guards[g].offset ||
            a->guards[g].extent != b->guards[g].extent)
            return 0;
        for (int i = 0; i < a->ndim; i++)
            if (a->guards[g].coef[i] != b->guards[g].coef[i]) return 0;
    }
    return 1;
}

/* The cache lives beside the context (ws_context_attach): the context
 * knows it only as data and a release function. Entries are plans made
 * without a reference to the context, under the tile parameters of their
 * epoch; a later epoch (new parameters from the tuner) makes them stale.
 * A plan counts its holders (refs): the cache while it keeps the plan in a
 * slot, and each caller of ws_plan_cached until its ws_plan_release. The
 * last one to let go frees it, so a slot given to a new plan, or emptied
 * as stale, never frees a plan that a caller still holds. */
typedef struct plan_cache {
    winsum_plan *slot[WS_PLAN_CACHE];
    unsigned epoch[WS_PLAN_CACHE];
    int next;
} plan_cache;
static const char plan_cache_key; /* its address names the attachment */

static void unref(winsum_plan *p)
{
    if (p && --p->refs == 0) winsum_plan_destroy(p);
}

void ws_plan_release(winsum_plan *p)
{
    if (!p) return;
    WS_LOCK_SCOPE(p->ctx);
    unref(p);
}

static void plan_cache_release(winsum_context *ctx, void *data)
{
    (void)ctx;
    plan_cache *c = data;
    for (int i = 0; i < WS_PLAN_CACHE; i++) unref(c->slot[i]);
    free(c);
}

static plan_cache *cache_of(winsum_context *ctx)
{
    plan_cache *c = ws_context_attached(ctx, &plan_cache_key);
    if (c) return c;
    if (!(c = calloc(1, sizeof *c))) return NULL;
    if (ws_context_attach(ctx, &plan_cache_key, c, plan_cache_release)) {
        free(c);
        return NULL;
    }
    return c;
}

/* The slot for a new plan: round robin, passing over the plans that
 * callers hold (they are in use, and likely wanted again soon) while
 * another slot is free of them. */
static int victim(plan_cache *c)
{
    for (int t = 0; t < WS_PLAN_CACHE; t++) {
        int i = (c->next + t) % WS_PLAN_CACHE;
        if (!c->slot[i] || c->slot[i]->refs == 1) {
            c->next = (i + 1) % WS_PLAN_CACHE;
            return i;
        }
    }
    int i = c->next;
    c->next = (i + 1) % WS_PLAN_CACHE;
    return i;
}

winsum_status ws_plan_cached(winsum_context *ctx, const char *subscripts, int nops,
                             const winsum_view *ops, const winsum_view *out, winsum_plan **plan)
{
    if (!subscripts || !ops || !out || nops < 1 || nops > WS_MAX_OPS) {
        winsum_status st = ws_plan_make(ctx, plan, subscripts, nops, ops, out);
        if (!st) (*plan)->refs = 1; /* the caller's alone */
        return st;
    }
    plan_cache *cache = cache_of(ctx);
    if (!cache) return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "out of host memory");
    winsum_plan *p = NULL;
    for (int i = 0; i < WS_PLAN_CACHE && !p; i++) {
        winsum_plan *c = cache->slot[i];
        if (c && cache->epoch[i] != ctx->params_epoch) {
            unref(c); /* made under other tile parameters */
            cache->slot[i] = NULL;
            continue;
        }
        if (!c || c->nops != nops || strcmp(c->subscripts, subscripts) != 0 ||
            !view_same(&c->out, out))
            continue;
        int same = 1;
        for (int k = 0; k < nops && same; k++) same = view_same(&c->ops[k], &ops[k]);
        if (same) p = c;
    }
    if (!p) {
        winsum_status st = ws_plan_make(ctx, &p, subscripts, nops, ops, out);
        if (st) return st;
        int slot = victim(cache);
        unref(cache->slot[slot]);
        cache->slot[slot] = p;
        cache->epoch[slot] = ctx->params_epoch;
        p->refs = 1; /* the cache's */
    }
    p->refs++; /* the caller's */
    *plan = p;
    return WINSUM_OK;
}

static winsum_status einsum(winsum_context *ctx, const char *subscripts, int nops,
                            const winsum_view *ops, const winsum_view *out, double alpha,
                            double beta)
{
    winsum_plan *p = NULL;
    winsum_status st = ws_plan_cached(ctx, subscripts, nops, ops, out, &p);
    if (st) return st;
    /* a cached plan remembers buffers from its first call: every call must
     * name its own */
    const winsum_buffer *in[WS_MAX_OPS];
    for (int i = 0; i < nops && !st; i++)
        if (!(in[i] = ops[i].buffer))
            st = ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT,
                         "einsum operand %d: the view has no buffer", i);
    if (!st && !out->buffer)
        st = ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "einsum output: the view has no buffer");
    if (!st) st = winsum_plan_run(p, in, out->buffer, alpha, beta);
    ws_plan_release(p);
    return st;
}

/* winsum_einsum's arguments, run and described inside the bracket of a
 * computing call (ws_public_call). */
typedef struct einsum_call {
    const char *subscripts;
    int nops;
    const winsum_view *ops, *out;
    double alpha, beta;
} einsum_call;

static winsum_status einsum_run(winsum_context *ctx, void *arg)
{
    const einsum_call *a = arg;
    return einsum(ctx, a->subscripts, a->nops, a->ops, a->out, a->alpha, a->beta);
}

static void einsum_describe(void *arg, ws_trace_call *t)
{
    const einsum_call *a = arg;
    t->op = "einsum";
    t->subs = a->subscripts;
    t->alpha = a->alpha;
    t->beta = a->beta;
    t->replay = ws_einsum_trace_replay;
    int n = a->ops && a->nops >= 1 && a->nops <= WS_MAX_OPS ? a->nops : 0;
    for (int i = 0; i < n; i++) t->view[i] = &a->ops[i];
    t->view[n] = a->out;
    t->nviews = n + 1;
}

winsum_status winsum_einsum(winsum_context *ctx, const char *subscripts, int nops,
                            const winsum_view *ops, const winsum_view *out, double alpha,
                            double beta)
{
    einsum_call a = {subscripts, nops, ops, out, alpha, beta};
    return ws_public_call(ctx, einsum_run, einsum_describe, &a);
}

winsum_status winsum_einsum_output_shape(winsum_context *ctx, const char *subscripts, int nops,
                                         const winsum_view *ops, int *ndim, int64_t *shape)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx || !subscripts || !ops || !ndim || !shape || nops < 1 || nops > WS_MAX_OPS)
        return ctx ? ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "einsum: NULL argument or bad count")
                   : WINSUM_ERR_ARGUMENT;
    ws_ir *ir = malloc(sizeof *ir);
    if (!ir) return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "out of host memory");
    winsum_status st = ws_parse(subscripts, nops, ops, ir, &ctx->err);
    if (!st) {
        *ndim = ir->out_ndim;
        for (int i = 0; i < ir->out_ndim; i++) shape[i] = ir->size[ir->out_label[i]];
    }
    free(ir);
    return st;
}
