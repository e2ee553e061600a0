/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * impl.c - the implementation list of each convolution direction and the
 * choice among them (oneDNN's pattern). Each entry sees the whole checked
 * problem and takes it or says why not; the first that takes it runs:
 *
 *   forward          pointwise, direct, depthwise, gemv, einsum
 *   backward-data    pointwise, direct, depthwise, gemv, einsum
 *   backward-weight  pointwise, direct, depthwise, gemv, einsum
 *
 * pointwise (impl_pointwise.c) takes 1x1 convolutions without padding
 * (not a forward at a stride) and, unforced, only the float32 shapes where
 * it was measured faster than what runs otherwise; direct (impl_direct.c;
 * for backward-weight impl_direct_weight.c, an entry of the same name)
 * takes what it handles and, unforced, only the shapes where it was
 * measured faster than einsum; depthwise (impl_depthwise.c) takes
 * depthwise problems (one channel a group) and, unforced, only those where
 * it was measured faster than gemv; gemv takes depthwise problems (the
 * einsum path, whose planner gives them to the gemv family); einsum
 * (impl_einsum.c) takes everything.
 *
 * WINSUM_CONV_IMPL=direct|depthwise|einsum|gemv|pointwise (read at every
 * call) puts the named implementation first and lifts its preference by speed. When it cannot
 * take the problem (direct for backward-data at stride > 1, gemv for a dense
 * convolution, any device-only one on the reference backend) the list goes
 * on in its order: the override is a preference, never an error, so that a
 * whole test suite can run under it. What ran is named in the trace's plan
 * field ("impl NAME", and "NAME declined: why" for a forced one that could
 * not) and by winsum_conv_last_impl.
 */
#include "impl.h"
#include "trace.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* impl_depthwise.c */
extern const ws_conv_impl ws_conv_impl_depthwise;

static const ws_conv_impl *const forward_list[] = {&ws_conv_impl_pointwise, &ws_conv_impl_direct,
                                                   &ws_conv_impl_depthwise, &ws_conv_impl_gemv,
                                                   &ws_conv_impl_einsum,    NULL};
static const ws_conv_impl *const data_list[] = {&ws_conv_impl_pointwise, &ws_conv_impl_direct,
                                                &ws_conv_impl_depthwise, &ws_conv_impl_gemv,
                                                &ws_conv_impl_einsum,    NULL};
static const ws_conv_impl *const weight_list[] = {
    &ws_conv_impl_pointwise, &ws_conv_impl_direct_weight, &ws_conv_impl_depthwise,
    &ws_conv_impl_gemv,      &ws_conv_impl_einsum,        NULL};
static const ws_conv_impl *const all_impls[] = {&ws_conv_impl_direct,    &ws_conv_impl_depthwise,
                                                &ws_conv_impl_gemv,      &ws_conv_impl_einsum,
                                                &ws_conv_impl_pointwise, NULL};

static const char state_key = 0;

static void state_release(winsum_context *ctx, void *data)
{
    ws_conv_state *s = data;
    if (s->scratch) ws_mem_free(ctx, s->scratch, s->scratch_bytes);
    free(s);
}

ws_conv_state *ws_conv_state_get(winsum_context *ctx)
{
    ws_conv_state *s = ws_context_attached(ctx, &state_key);
    if (s) return s;
    s = calloc(1, sizeof *s);
    if (!s) {
        ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "out of host memory");
        return NULL;
    }
    if (ws_context_attach(ctx, &state_key, s, state_release)) {
        free(s);
        return NULL;
    }
    return s;
}

winsum_status ws_conv_scratch(winsum_context *ctx, const char *what, size_t bytes, ws_mem *mem)
{
    ws_conv_state *s = ws_conv_state_get(ctx);
    if (!s) return WINSUM_ERR_MEMORY;
    if (s->scratch_bytes < bytes) {
        if (s->scratch) ws_mem_free(ctx, s->scratch, s->scratch_bytes);
        s->scratch = NULL;
        s->scratch_bytes = 0;
        winsum_status st = ws_mem_alloc(ctx, bytes, &s->scratch, what);
        if (st) return st;
        s->scratch_bytes = bytes;
    }
    *mem = s->scratch;
    return WINSUM_OK;
}

const char *ws_conv_plain_views(const ws_conv_problem *p)
{
    const geom *g = &p->g;
    const winsum_view *v[4] = {p->x, p->w, p->y, p->bias};
    for (int i = 0; i < 4; i++)
        if (v[i] && v[i]->nguards) return "a guarded view";
    int64_t outs = g->n * g->c;
    for (int i = 0; i < g->ns; i++) outs *= g->out[i] * g->in[i];
    if (outs == 0 || g->o == 0) return "an empty tensor";
    return NULL;
}

const char *ws_conv_direct_limits(const geom *g, char *why, size_t len)
{
    const int64_t sizes[] = {g->n, g->g, g->cg, g->og};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i] > INT_MAX / 64) return "a size over 2^25";
    for (int i = 0; i < g->ns; i++)
        if (g->in[i] > INT_MAX / 4 || g->out[i] > INT_MAX / 64 || g->k[i] > INT_MAX / 4 ||
            g->s[i] > INT_MAX / 4 || g->d[i] > INT_MAX / 4 || g->lo[i] > INT_MAX / 4 ||
            g->d[i] * g->k[i] > INT_MAX / 4 || g->s[i] * g->out[i] > INT_MAX / 4) {
            snprintf(why, len, "spatial axis %d: a size, stride, dilation or pad over 2^29", i);
            return why;
        }
    return NULL;
}

winsum_status ws_conv_dispatch(winsum_context *ctx, const ws_conv_problem *p)
{
    ws_conv_state *state = ws_conv_state_get(ctx);
    if (!state) return WINSUM_ERR_MEMORY;
    state->last_impl = "";
    const ws_conv_impl *const *list = p->dir == WS_CONV_FORWARD         ? forward_list
                                      : p->dir == WS_CONV_BACKWARD_DATA ? data_list
                                                                        : weight_list;
    const ws_conv_impl *forced = NULL;
    const char *env = getenv("WINSUM_CONV_IMPL");
    if (env && *env) {
        for (int i = 0; all_impls[i] && !forced; i++)
            if (strcmp(env, all_impls[i]->name) == 0) forced = all_impls[i];
        if (!forced)
            return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT,
                           "WINSUM_CONV_IMPL is \"%.40s\": expected direct, depthwise, einsum, "
                           "gemv or pointwise",
                           env);
        /* the direction's own entry of that name, when it has one */
        for (int i = 0; list[i]; i++)
            if (strcmp(env, list[i]->name) == 0) {
                forced = list[i];
                break;
            }
    }
    const ws_conv_impl *chosen = NULL;
    char why[160], line[256];
    if (forced) {
        const char *no = forced->declines(ctx, p, 1, why, sizeof why);
        if (!no) chosen = forced;
        else if (ctx->verbose) {
            snprintf(line, sizeof line, "%s declined: %s", forced->name, no);
            ws_trace_plan(ctx, line);
        }
    }
    for (int i = 0; list[i] && !chosen; i++)
        if (list[i] != forced && !list[i]->declines(ctx, p, 0, why, sizeof why)) chosen = list[i];
    if (!chosen) chosen = &ws_conv_impl_einsum; /* takes everything; not reached */
    if (ctx->verbose) {
        snprintf(line, sizeof line, "impl %s", chosen->name);
        ws_trace_plan(ctx, line);
    }
    winsum_status st = chosen->run(ctx, p);
    if (!st) state->last_impl = chosen->name;
    return st;
}

const char *winsum_conv_last_impl(winsum_context *ctx)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx) return "";
    const ws_conv_state *s = ws_context_attached(ctx, &state_key);
    return s && s->last_impl ? s->last_impl : "";
}
