/*
 * trace.h - what a computing call leaves behind besides its output: the
 * event of its last kernel (winsum_last_event) and, with WINSUM_VERBOSE, one
 * line that describes it (trace.c).
 *
 * Every public call that computes (winsum_einsum, winsum_plan_execute, the
 * five convolution calls) brackets its work with ws_call_begin and
 * ws_call_end, holding the context's lock. Public calls nest (a convolution
 * runs einsums through winsum_plan_execute), so the context counts the
 * calls in progress: only the outermost clears the last event and prints a
 * line; the nested ones add their plans' steps (and kernels) to it.
 */
#ifndef WINSUM_TRACE_H
#define WINSUM_TRACE_H

#include "context.h"

/* One computing call: outermost or nested, and when the trace started it. */
typedef struct ws_call {
    int outer;
    double t0;
} ws_call;

/* At context creation: reads WINSUM_VERBOSE and WINSUM_VERBOSE_FILE into
 * ctx (verbose, the trace's state). Nonzero when out of memory. */
int ws_trace_open(winsum_context *ctx);
/* At context free: the trace's state and the last event. */
void ws_trace_close(winsum_context *ctx);

/* Drops ctx->last_event. */
void ws_event_clear(winsum_context *ctx);
/* ev (owned by the caller's reference, now ctx's) becomes ctx->last_event;
 * while ctx->no_event, it is released instead. */
void ws_event_record(winsum_context *ctx, cl_event ev);

/* Starts the trace of an outermost call (t0, empty plan and kernel lists). */
void ws_trace_start(winsum_context *ctx, ws_call *c);

static inline void ws_call_begin(winsum_context *ctx, ws_call *c)
{
    c->outer = ctx->depth++ == 0;
    if (c->outer) {
        if (ctx->last_event) ws_event_clear(ctx);
        if (ctx->verbose) ws_trace_start(ctx, c);
    }
}

/* Ends a call: a failed outermost call leaves no event. 1 when the call
 * was the outermost and the trace is on: the caller then describes it with
 * ws_trace_emit (what it needs is formed only then). */
static inline int ws_call_end(winsum_context *ctx, const ws_call *c, winsum_status st)
{
    ctx->depth--;
    if (!c->outer) return 0;
    if (st && ctx->last_event) ws_event_clear(ctx);
    return ctx->verbose;
}

/* While a traced call runs: the steps of a plan it executed (one entry of
 * the line's plan field), and (WINSUM_VERBOSE=2) a kernel's event, which
 * the trace retains for itself. */
void ws_trace_plan(winsum_context *ctx, const char *text);
void ws_trace_kernel(winsum_context *ctx, const char *name, cl_event ev);

/* What the line says about a call. */
enum { WS_REPLAY_NONE, WS_REPLAY_EINSUM, WS_REPLAY_CONV };
#define WS_TRACE_MAX_VIEWS (WS_MAX_OPS + 1)
typedef struct ws_trace_call {
    const char *op;   /* "einsum", "conv_forward", ... */
    const char *subs; /* einsum subscripts, NULL for a convolution */
    int nviews;
    const winsum_view *view[WS_TRACE_MAX_VIEWS]; /* an einsum: operands, then the output */
    const char *name[WS_TRACE_MAX_VIEWS];        /* NULL: "in0", "in1", ..., "out" */
    const winsum_conv_desc *desc;
    double alpha, beta;
    int replay;            /* WS_REPLAY_* */
    const char *conv_op;   /* the driver's op: "forward", "backward-data", "backward-weight" */
    int conv_x, conv_w;    /* views giving --input-shape and --weight-shape */
    const char *replay_na; /* why there is no replay (WS_REPLAY_NONE) */
} ws_trace_call;

/* Writes the line of a finished outermost call (st: its status), waiting
 * for its kernels first; returns st. */
winsum_status ws_trace_emit(winsum_context *ctx, const ws_call *c, winsum_status st,
                            const ws_trace_call *t);

#endif
