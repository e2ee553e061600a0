/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * elementwise.c - winsum_elementwise: out = op(alpha * a, beta * b) element
 * by element, with numpy's broadcasting of a and b to out's shape (or
 * op(alpha * a, beta) without b). What einsum does not express (a sum of
 * two operands, max, comparisons) for data that stays on the device.
 *
 * Both backends walk the same merged axes: size-1 axes go, and neighbours
 * that every view steps through as one merge; at most eight may remain.
 * The OpenCL backend launches kernels/elementwise.cl once, a work-item per
 * element; the reference backend loops over the axes on the host, in
 * double.
 */
#include "layer.h"
#include "trace.h"
#include <stdio.h>
#include <string.h>

#define EW_VIEWS       3 /* a, b, out */
#define WS_EW_MAX_AXES 8 /* merged axes the kernel indexes (its long8 arguments) */

static const char *const op_names[WINSUM_OP_COUNT_] = {"add", "sub",     "mul",  "max",
                                                       "min", "greater", "equal"};

/* The merged problem: ndim axes (the last fastest), each view's offset and
 * stride per axis (in elements; 0 where it broadcasts). */
typedef struct ew_shape {
    int ndim;
    int64_t n[WINSUM_MAX_DIMS];
    int64_t s[EW_VIEWS][WINSUM_MAX_DIMS];
    int64_t off[EW_VIEWS];
} ew_shape;

static const char *dtype_name(winsum_dtype d)
{
    return d == WINSUM_F64 ? "float64" : d == WINSUM_F32 ? "float32" : "float16";
}

/* v's strides broadcast to out's shape (numpy's rule: axes aligned at the
 * end, a size-1 axis or a missing one repeats). */
static winsum_status broadcast(const winsum_view *v, const winsum_view *out, const char *name,
                               int64_t *s, ws_error *e)
{
    if (v->ndim > out->ndim)
        return ws_fail(e, WINSUM_ERR_SHAPE,
                       "elementwise %s: %d axes, more than the output's %d (it would not "
                       "broadcast)",
                       name, v->ndim, out->ndim);
    int lead = out->ndim - v->ndim;
    for (int d = 0; d < out->ndim; d++) {
        int k = d - lead;
        if (k < 0 || v->shape[k] == 1) {
            s[d] = 0;
        } else if (v->shape[k] == out->shape[d]) {
            s[d] = v->strides[k];
        } else {
            return ws_fail(e, WINSUM_ERR_SHAPE,
                           "elementwise %s: axis %d has size %lld, which does not broadcast to "
                           "the output's axis %d of size %lld",
                           name, k, (long long)v->shape[k], d, (long long)out->shape[d]);
        }
    }
    return WINSUM_OK;
}

/* Drops size-1 axes and merges axis d into d+1 where every view steps
 * through the pair as through one axis. */
static void merge(ew_shape *m, int nviews)
{
    int k = 0;
    for (int d = 0; d < m->ndim; d++) {
        if (m->n[d] == 1) continue;
        if (k > 0) {
            int same = 1;
            for (int v = 0; v < nviews; v++) same &= m->s[v][k - 1] == m->s[v][d] * m->n[d];
            if (same) {
                m->n[k - 1] *= m->n[d];
                for (int v = 0; v < nviews; v++) m->s[v][k - 1] = m->s[v][d];
                continue;
            }
        }
        m->n[k] = m->n[d];
        for (int v = 0; v < nviews; v++) m->s[v][k] = m->s[v][d];
        k++;
    }
    m->ndim = k;
}

/* Two views of the same elements in the same memory, index for index. */
static int same_view(const winsum_view *a, const winsum_view *b)
{
    const winsum_buffer *x = a->buffer, *y = b->buffer;
    if (x->where != y->where || (x->where == WINSUM_HOST ? x->host != y->host : x->mem != y->mem))
        return 0;
    if (a->dtype != b->dtype || a->offset != b->offset || a->ndim != b->ndim) return 0;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d] || (a->shape[d] > 1 && a->strides[d] != b->strides[d]))
            return 0;
    return 1;
}

static winsum_status validate(winsum_context *ctx, winsum_elementwise_op op, double alpha,
                              const winsum_view *a, double beta, const winsum_view *b,
                              const winsum_view *out, ew_shape *m)
{
    ws_error *e = &ctx->err;
    if (!a || !out)
        return ws_fail(e, WINSUM_ERR_ARGUMENT, "elementwise: a and out must not be NULL");
    if ((int)op < 0 || op >= WINSUM_OP_COUNT_)
        return ws_fail(e, WINSUM_ERR_ARGUMENT, "elementwise: op %d is not a winsum_elementwise_op",
                       (int)op);
    const winsum_view *v[EW_VIEWS] = {a, b, out};
    static const char *const names[EW_VIEWS] = {"elementwise a", "elementwise b",
                                                "elementwise output"};
    winsum_status st;
    for (int i = 0; i < EW_VIEWS; i++) {
        if (!v[i]) continue;
        if ((st = ws_view_check(v[i], names[i], i == 2, e))) return st;
        if ((st = ws_buffer_check_context(ctx, v[i]->buffer, names[i]))) return st;
        if (v[i]->nguards)
            return ws_fail(e, WINSUM_ERR_UNSUPPORTED,
                           "%s: a guarded view (padding); elementwise takes plain strided views",
                           names[i]);
        if (v[i]->dtype != out->dtype)
            return ws_fail(e, WINSUM_ERR_DTYPE,
                           "%s is %s but the output is %s: a, b and out must have one dtype",
                           names[i], dtype_name(v[i]->dtype), dtype_name(out->dtype));
    }
    if (!winsum_context_has_dtype(ctx, out->dtype))
        return ws_fail(e, WINSUM_ERR_DTYPE,
                       "this device (%s) does not compute in float64 (no cl_khr_fp64)",
                       ctx->device_name);
    if ((st = ws_check_scalars(alpha, beta, out->dtype, "elementwise", e))) return st;
    m->ndim = out->ndim;
    for (int d = 0; d < out->ndim; d++) {
        m->n[d] = out->shape[d];
        m->s[2][d] = out->strides[d];
    }
    if ((st = broadcast(a, out, "a", m->s[0], e))) return st;
    if (b && (st = broadcast(b, out, "b", m->s[1], e))) return st;
    if (!b)
        for (int d = 0; d < out->ndim; d++) m->s[1][d] = 0;
    m->off[0] = a->offset;
    m->off[1] = b ? b->offset : 0;
    m->off[2] = out->offset;
    for (int i = 0; i < 2; i++)
        if (v[i] && ws_views_alias(ctx, out, v[i]) && !same_view(out, v[i]))
            return ws_fail(e, WINSUM_ERR_ALIAS,
                           "elementwise output overlaps %s in memory without being the same "
                           "view of it (out may be a or b itself, nothing else)",
                           i ? "b" : "a");
    merge(m, EW_VIEWS);
    if (m->ndim > WS_EW_MAX_AXES)
        return ws_fail(e, WINSUM_ERR_UNSUPPORTED,
                       "elementwise: %d axes that do not merge into fewer (at most %d)", m->ndim,
                       WS_EW_MAX_AXES);
    return WINSUM_OK;
}

static double apply(winsum_elementwise_op op, double x, double y)
{
    switch (op) {
    case WINSUM_OP_ADD: return x + y;
    case WINSUM_OP_SUB: return x - y;
    case WINSUM_OP_MUL: return x * y;
    case WINSUM_OP_MAX: return (x >= y || x != x) ? x : y;
    case WINSUM_OP_MIN: return (x <= y || x != x) ? x : y;
    case WINSUM_OP_GREATER: return x > y ? 1.0 : 0.0;
    default: return x == y ? 1.0 : 0.0;
    }
}

/* The reference: an odometer over the merged axes, in double, with alpha
 * and beta as the kernels see them (float for float32 and float16). */
static void ref_run(const ew_shape *m, winsum_elementwise_op op, double alpha, const winsum_view *a,
                    double beta, const winsum_view *b, const winsum_view *out)
{
    winsum_dtype dt = out->dtype;
    if (dt != WINSUM_F64) {
        alpha = (float)alpha;
        beta = (float)beta;
    }
    int64_t idx[WINSUM_MAX_DIMS] = {0}, pos[EW_VIEWS];
    for (int v = 0; v < EW_VIEWS; v++) pos[v] = m->off[v];
    for (;;) {
        double x = alpha * ws_load_elem(a->buffer->host, dt, pos[0]);
        double y = b ? beta * ws_load_elem(b->buffer->host, dt, pos[1]) : beta;
        if (dt != WINSUM_F64) { /* the kernels' float products */
            x = (float)x;
            y = (float)y;
        }
        ws_store_elem(out->buffer->host, dt, pos[2], apply(op, x, y));
        int d = m->ndim - 1;
        for (; d >= 0; d--) {
            if (++idx[d] < m->n[d]) {
                for (int v = 0; v < EW_VIEWS; v++) pos[v] += m->s[v][d];
                break;
            }
            idx[d] = 0;
            for (int v = 0; v < EW_VIEWS; v++) pos[v] -= m->s[v][d] * (m->n[d] - 1);
        }
        if (d < 0) return;
    }
}

static winsum_status device_run(winsum_context *ctx, const ew_shape *m, winsum_elementwise_op op,
                                double alpha, const winsum_view *a, double beta,
                                const winsum_view *b, const winsum_view *out)
{
    winsum_dtype dt = out->dtype;
    ws_kernel k;
    winsum_status st = ws_kernel_get(ctx, "elementwise.cl", "elementwise", ws_real_opt(dt), &k);
    if (st) return st;
    /* the merged axes, the last (fastest) first; one work-item an element */
    ws_long8 s8[EW_VIEWS], n8;
    memset(s8, 0, sizeof s8);
    memset(&n8, 0, sizeof n8);
    size_t total = 1;
    for (int j = 0; j < m->ndim; j++) {
        int d = m->ndim - 1 - j;
        n8.s[j] = m->n[d];
        total *= (size_t)m->n[d];
        for (int v = 0; v < EW_VIEWS; v++) s8[v].s[j] = m->s[v][d];
    }
    ws_mem am = ws_buffer_mem(a->buffer), bm = b ? ws_buffer_mem(b->buffer) : am,
           cm = ws_buffer_mem(out->buffer);
    ws_long off[EW_VIEWS] = {m->off[0], m->off[1], m->off[2]};
    ws_int hasb = b != NULL, opi = (ws_int)op, nd = m->ndim;
    double al = alpha, be = beta;
    float alf = (float)alpha, bef = (float)beta;
    int f64 = dt == WINSUM_F64;
    const ws_arg args[] = {WS_MEM(am),
                           WS_VAL(off[0]),
                           WS_VAL(s8[0]),
                           WS_MEM(bm),
                           WS_VAL(off[1]),
                           WS_VAL(s8[1]),
                           WS_VAL(hasb),
                           WS_MEM(cm),
                           WS_VAL(off[2]),
                           WS_VAL(s8[2]),
                           WS_VAL(n8),
                           WS_VAL(nd),
                           WS_VAL(opi),
                           f64 ? WS_VAL(al) : WS_VAL(alf),
                           f64 ? WS_VAL(be) : WS_VAL(bef)};
    ws_launch l = {.kernel = k,
                   .name = "elementwise",
                   .what = "elementwise",
                   WS_ARGS(args),
                   .dims = 1,
                   .global = &total,
                   .local = NULL,
                   .record = 1};
    return ws_launch_kernel(ctx, &l);
}

static winsum_status elementwise(winsum_context *ctx, winsum_elementwise_op op, double alpha,
                                 const winsum_view *a, double beta, const winsum_view *b,
                                 const winsum_view *out)
{
    ew_shape m;
    winsum_status st = validate(ctx, op, alpha, a, beta, b, out, &m);
    if (st) return st;
    for (int d = 0; d < out->ndim; d++)
        if (out->shape[d] == 0) return WINSUM_OK; /* nothing to write */
    if (ctx->verbose) {
        char text[64];
        snprintf(text, sizeof text, "elementwise %s{%s}", op_names[op],
                 !ctx->be->kernels ? "reference" : "elementwise");
        ws_trace_plan(ctx, text);
    }
    if (!ctx->be->kernels) {
        ref_run(&m, op, alpha, a, beta, b, out);
        return WINSUM_OK;
    }
    return device_run(ctx, &m, op, alpha, a, beta, b, out);
}

typedef struct ew_call {
    winsum_elementwise_op op;
    double alpha, beta;
    const winsum_view *a, *b, *out;
} ew_call;

static winsum_status ew_run(winsum_context *ctx, void *arg)
{
    const ew_call *c = arg;
    return elementwise(ctx, c->op, c->alpha, c->a, c->beta, c->b, c->out);
}

static void ew_describe(void *arg, ws_trace_call *t)
{
    const ew_call *c = arg;
    int known = (int)c->op >= 0 && c->op < WINSUM_OP_COUNT_;
    t->op = "elementwise";
    t->subs = known ? op_names[c->op] : "?";
    t->alpha = c->alpha;
    t->beta = c->beta;
    t->replay = NULL; /* no driver subcommand replays it */
    const winsum_view *v[EW_VIEWS] = {c->a, c->b, c->out};
    static const char *const vn[EW_VIEWS] = {"a", "b", "out"};
    int n = 0;
    for (int i = 0; i < EW_VIEWS; i++) {
        if (!v[i]) continue;
        t->view[n] = v[i];
        t->name[n++] = vn[i];
    }
    t->nviews = n;
}

winsum_status winsum_elementwise(winsum_context *ctx, winsum_elementwise_op op, double alpha,
                                 const winsum_view *a, double beta, const winsum_view *b,
                                 const winsum_view *out)
{
    ew_call c = {op, alpha, beta, a, b, out};
    return ws_public_call(ctx, ew_run, ew_describe, &c);
}
