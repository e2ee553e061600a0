/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * impl.h - the convolution implementations (oneDNN's pattern): for each
 * direction an ordered list (impl.c), each entry given the whole problem
 * (descriptor, checked geometry, operand views) and either taking it or
 * saying why not. The first that takes it runs; the einsum-over-windows
 * entry (impl_einsum.c) takes everything and ends every list.
 */
#ifndef WINSUM_CONV_IMPL_H
#define WINSUM_CONV_IMPL_H

#include "conv.h"

typedef enum ws_conv_dir {
    WS_CONV_FORWARD = 0,
    WS_CONV_BACKWARD_DATA = 1,
    WS_CONV_BACKWARD_WEIGHT = 2
} ws_conv_dir;

/* One convolution call, checked (shapes, buffers, scalars): the tensors in
 * the forward convolution's terms. forward: y = conv(x, w) (+ bias);
 * backward-data: x is the input gradient (the output), y the output
 * gradient; backward-weight: w is the weight gradient (the output). */
typedef struct ws_conv_problem {
    ws_conv_dir dir;
    const winsum_conv_desc *desc;
    geom g;
    const winsum_view *x, *w, *y, *bias;
    double alpha, beta;
    const char *who; /* the call in messages: "conv", "conv transpose", ... */
    int transposed;  /* backward-data called as winsum_conv_transpose */
} ws_conv_problem;

typedef struct ws_conv_impl {
    const char *name;
    /* NULL when the implementation takes the problem, else why not (a
     * constant string, or written into why). forced: named by
     * WINSUM_CONV_IMPL, so a preference by speed alone does not apply. */
    const char *(*declines)(winsum_context *ctx, const ws_conv_problem *p, int forced, char *why,
                            size_t len);
    winsum_status (*run)(winsum_context *ctx, const ws_conv_problem *p);
} ws_conv_impl;

extern const ws_conv_impl ws_conv_impl_direct, ws_conv_impl_gemv, ws_conv_impl_einsum;
/* direct backward-weight (impl_direct_weight.c), also named "direct" */
extern const ws_conv_impl ws_conv_impl_direct_weight;
/* pointwise (1x1) backward-weight (impl_pointwise.c) */
extern const ws_conv_impl ws_conv_impl_pointwise;

/* Runs p by the first implementation of its direction's list that takes
 * it (WINSUM_CONV_IMPL moves the named one to the front), names it in the
 * trace and records it for winsum_conv_last_impl. */
winsum_status ws_conv_dispatch(winsum_context *ctx, const ws_conv_problem *p);

/* v (layout order) -> canonical (N, G, C/G, spatial...) view */
winsum_view ws_conv_canon(const winsum_conv_desc *desc, const geom *g, const winsum_view *v,
                          int64_t groups);
/* weight (O, C/G, k...) -> (G, O/G, C/G, k...) */
winsum_view ws_conv_canon_w(const geom *g, const winsum_view *w);
/* "pre" + the first ns letters of set, appended to s */
void ws_conv_subs_append(char *s, const char *pre, const char *set, int ns);

/* Per-context state of the convolution layer (attached to the context):
 * the last implementation run, and device scratch an implementation owns
 * (the direct family's reordered weights). */
typedef struct ws_conv_state {
    const char *last_impl;
    ws_mem scratch;
    size_t scratch_bytes;
} ws_conv_state;
/* The state, attached on first use; NULL (with ctx->err) when out of memory. */
ws_conv_state *ws_conv_state_get(winsum_context *ctx);
/* The state's device scratch, at least `bytes` (grown, never shrunk), into
 * *mem; what names it in an allocation error. Shared by the direct,
 * direct-weight and depthwise implementations: each uses it only within its
 * own call, and the queue runs in order. */
winsum_status ws_conv_scratch(winsum_context *ctx, const char *what, size_t bytes, ws_mem *mem);
/* Why an implementation that reads every operand through plain strides
 * cannot take p: "a guarded view" or "an empty tensor"; NULL: neither. */
const char *ws_conv_plain_views(const ws_conv_problem *p);
/* Why the direct kernels' int32 index arithmetic cannot hold g's sizes
 * (written into why when it names an axis); NULL when it can. */
const char *ws_conv_direct_limits(const geom *g, char *why, size_t len);
/* v rounded up to a multiple of m (m > 0): a global size of whole work-groups */
static inline size_t ws_round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

#endif
