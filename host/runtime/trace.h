/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * trace.h - what a computing call leaves behind besides its output: the
 * event of its last kernel (winsum_last_event) and, with WINSUM_VERBOSE, one
 * line that describes it (trace.c).
 *
 * Every public call that computes (winsum_einsum, winsum_plan_execute, the
 * five convolution calls) runs inside ws_public_call's bracket, holding the
 * context's lock. Public calls nest (a convolution
 * runs einsums through winsum_plan_execute), so the context counts the
 * calls in progress: only the outermost clears the last event and prints a
 * line; the nested ones add their plans' steps (and kernels) to it.
 */
#ifndef WINSUM_TRACE_H
#define WINSUM_TRACE_H

#include "context.h"

/* At context creation: reads WINSUM_VERBOSE and WINSUM_VERBOSE_FILE into
 * ctx (verbose, the trace's state). Nonzero when out of memory. */
int ws_trace_open(winsum_context *ctx);
/* At context free: the trace's state and the last event. */
void ws_trace_close(winsum_context *ctx);

/* Drops ctx->last_event. */
void ws_event_clear(winsum_context *ctx);
/* ev (owned by the caller's reference, now ctx's) becomes ctx->last_event;
 * while ctx->no_event, it is released instead. */
void ws_event_record(winsum_context *ctx, void *ev);

/* While a traced call runs: the steps of a plan it executed (one entry of
 * the line's plan field), and (WINSUM_VERBOSE=2) a kernel's event, which
 * the trace retains for itself. */
void ws_trace_plan(winsum_context *ctx, const char *text);
void ws_trace_kernel(winsum_context *ctx, const char *name, void *ev);

/* A growing line of text; on want of memory it keeps what it has. The
 * layers above format their own fields of a trace line with it. */
typedef struct ws_line {
    char *s;
    size_t n, cap;
} ws_line;
void ws_line_put(ws_line *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* v[0] sep v[1] ... */
void ws_line_list(ws_line *b, const int64_t *v, int n, const char *sep);
/* 1 for a control character (a newline in a field would forge a line). */
int ws_line_control(char ch);
/* "f32", "f64", "f16" ("bad" for anything else). */
const char *ws_dtype_short(winsum_dtype d);
/* A view's rank is one a line can describe (0..WINSUM_MAX_DIMS). */
int ws_view_rank_ok(const winsum_view *v);

/* What the line says about a call: the fields every call has, then the
 * caller's own: its descriptor (desc, NULL: "-") and the command that
 * replays a call of this shape (replay, NULL: "n/a (no replay)"), each
 * written by the layer that made the call, from `arg`. The runtime knows
 * no operation and no tool. */
#define WS_TRACE_MAX_VIEWS (WS_MAX_OPS + 1)
typedef struct ws_trace_call ws_trace_call;
struct ws_trace_call {
    const char *op;   /* "einsum", "conv_forward", ... */
    const char *subs; /* einsum subscripts, NULL for a convolution */
    int nviews;
    const winsum_view *view[WS_TRACE_MAX_VIEWS]; /* an einsum: operands, then the output */
    const char *name[WS_TRACE_MAX_VIEWS];        /* NULL: "in0", "in1", ..., "out" */
    double alpha, beta;
    void (*desc)(ws_line *b, const ws_trace_call *t);
    void (*replay)(ws_line *b, const ws_trace_call *t);
    const void *arg; /* what desc and replay read besides the fields above */
};

/* The bracket of every public computing call (winsum_einsum,
 * winsum_plan_execute, the convolution calls), written once: holds ctx's
 * lock, begins the call, runs run(ctx, arg), ends it (a failed outermost
 * call leaves no event) and, for the outermost call with the trace on,
 * waits for its kernels and writes its line, which describe(arg, &t)
 * fills only then (arg may hold what t points to: it lives until the line
 * is written). Returns run's status; ctx NULL: WINSUM_ERR_ARGUMENT. */
winsum_status ws_public_call(winsum_context *ctx,
                             winsum_status (*run)(winsum_context *ctx, void *arg),
                             void (*describe)(void *arg, ws_trace_call *t), void *arg);

#endif
