/*
 * conv.c - the public convolution calls: every check of the call's
 * descriptor, shapes, tensors and scalars, made under the call's own names
 * before anything runs; then the checked problem goes to its direction's
 * implementation list (impl.c). Backward-bias is one einsum, here.
 */
#include "impl.h"
#include "trace.h"
#include <stdio.h>
#include <string.h>

/* The helpers below name the call (`who`: "conv", "conv backward-bias",
 * "conv transpose") and its tensors in the caller's terms. */
static winsum_status check_view_rank(winsum_context *ctx, const winsum_view *v, int rank,
                                     const char *who, const char *name)
{
    if (!v) return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "%s: %s is NULL", who, name);
    if (v->ndim != rank)
        return ws_fail(&ctx->err, WINSUM_ERR_CONV, "%s: %s has rank %d, expected %d", who, name,
                       v->ndim, rank);
    return WINSUM_OK;
}

static winsum_status check_shape_eq(winsum_context *ctx, const winsum_view *v, const int64_t *want,
                                    int rank, const char *who, const char *name)
{
    for (int i = 0; i < rank; i++)
        if (v->shape[i] != want[i]) {
            char a[128] = "", b[128] = "";
            for (int j = 0; j < rank; j++) {
                snprintf(a + strlen(a), sizeof a - strlen(a), "%s%lld", j ? "," : "",
                         (long long)v->shape[j]);
                snprintf(b + strlen(b), sizeof b - strlen(b), "%s%lld", j ? "," : "",
                         (long long)want[j]);
            }
            return ws_fail(&ctx->err, WINSUM_ERR_CONV, "%s: %s has shape (%s), expected (%s)", who,
                           name, a, b);
        }
    return WINSUM_OK;
}

static const char *dtype_name(winsum_dtype d)
{
    return d == WINSUM_F64 ? "float64" : d == WINSUM_F32 ? "float32" : "float16";
}

/* The tensors of one call, checked under their own names before any einsum
 * view is made from them: views, buffers, one dtype, no output overlapping
 * an input. v[0] is the output. */
static winsum_status check_tensors(winsum_context *ctx, int n, const winsum_view *const *v,
                                   const char *const *name, const char *who)
{
    char nm[96];
    for (int i = 0; i < n; i++) {
        if (!v[i]) continue;
        snprintf(nm, sizeof nm, "%s: %s", who, name[i]);
        winsum_status st = ws_view_check(v[i], nm, i == 0, &ctx->err);
        if (!st) st = ws_buffer_check_context(ctx, v[i]->buffer, nm);
        if (st) return st;
        if (v[i]->dtype != v[0]->dtype)
            return ws_fail(&ctx->err, WINSUM_ERR_DTYPE,
                           "%s: %s is %s but %s is %s: one dtype "
                           "for all",
                           who, name[i], dtype_name(v[i]->dtype), name[0], dtype_name(v[0]->dtype));
        if (i > 0 && ws_views_alias(ctx, v[0], v[i]))
            return ws_fail(&ctx->err, WINSUM_ERR_ALIAS,
                           "%s: %s overlaps %s in memory; write to separate memory", who, name[0],
                           name[i]);
    }
    return WINSUM_OK;
}

/* common checks: x-like view (input shape), w, and the y-like view */
static winsum_status prepare(winsum_context *ctx, const winsum_conv_desc *desc, const char *who,
                             const winsum_view *x, const char *xname, const winsum_view *w,
                             const winsum_view *y, const char *yname, geom *g)
{
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    if (!desc) return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "%s: descriptor is NULL", who);
    if (!x || !w || !y)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "%s: %s, weight and %s must be given", who,
                       xname, yname);
    winsum_status st = ws_conv_setup(desc, x->ndim, x->shape, w->shape, g, who, xname, &ctx->err);
    if (st) return st;
    if ((st = check_view_rank(ctx, w, g->rank, who, "the weight")) ||
        (st = check_view_rank(ctx, y, g->rank, who, yname)))
        return st;
    int64_t ys[5];
    ws_conv_shape_of(desc, g, g->n, g->o, g->out, ys);
    return check_shape_eq(ctx, y, ys, g->rank, who, yname);
}

static winsum_status conv_forward(winsum_context *ctx, const winsum_conv_desc *desc,
                                  const winsum_view *x, const winsum_view *w,
                                  const winsum_view *bias, const winsum_view *y, double alpha,
                                  double beta)
{
    WS_LOCK_SCOPE(ctx); /* one call at a time per context */
    ws_conv_problem p = {.dir = WS_CONV_FORWARD,
                         .desc = desc,
                         .x = x,
                         .w = w,
                         .y = y,
                         .bias = bias,
                         .alpha = alpha,
                         .beta = beta,
                         .who = "conv"};
    winsum_status st = prepare(ctx, desc, "conv", x, "the input", w, y, "the output", &p.g);
    if (st) return st;
    if (bias && (bias->ndim != 1 || bias->shape[0] != p.g.o))
        return ws_fail(&ctx->err, WINSUM_ERR_CONV,
                       "conv: the bias must have shape (%lld,), one per filter", (long long)p.g.o);
    const winsum_view *tv[4] = {y, x, w, bias};
    static const char *const tn[4] = {"the output", "the input", "the weight", "the bias"};
    if ((st = check_tensors(ctx, 4, tv, tn, "conv"))) return st;
    if ((st = ws_check_scalars(alpha, beta, y->dtype, "conv forward", &ctx->err))) return st;
    return ws_conv_dispatch(ctx, &p);
}

static winsum_status conv_backward_weight(winsum_context *ctx, const winsum_conv_desc *desc,
                                          const winsum_view *x, const winsum_view *gy,
                                          const winsum_view *gw, double alpha, double beta)
{
    WS_LOCK_SCOPE(ctx); /* one call at a time per context */
    ws_conv_problem p = {.dir = WS_CONV_BACKWARD_WEIGHT,
                         .desc = desc,
                         .x = x,
                         .w = gw,
                         .y = gy,
                         .alpha = alpha,
                         .beta = beta,
                         .who = "conv"};
    winsum_status st =
        prepare(ctx, desc, "conv", x, "the input", gw, gy, "the output gradient", &p.g);
    if (st) return st;
    if ((st = check_view_rank(ctx, gw, p.g.rank, "conv", "the weight gradient"))) return st;
    const winsum_view *tv[3] = {gw, x, gy};
    static const char *const tn[3] = {"the weight gradient", "the input", "the output gradient"};
    if ((st = check_tensors(ctx, 3, tv, tn, "conv"))) return st;
    if ((st = ws_check_scalars(alpha, beta, gw->dtype, "conv backward-weight", &ctx->err)))
        return st;
    return ws_conv_dispatch(ctx, &p);
}

static winsum_status conv_backward_bias(winsum_context *ctx, const winsum_conv_desc *desc,
                                        const winsum_view *gy, const winsum_view *gb, double alpha,
                                        double beta)
{
    static const char who[] = "conv backward-bias";
    WS_LOCK_SCOPE(ctx); /* one call at a time per context */
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    if (!desc || !gy || !gb)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "%s: NULL argument", who);
    /* the descriptor is checked as by every convolution call, though only
     * its layout matters here: a bad one is a bad call */
    winsum_status st = ws_conv_desc_check(desc, gy->ndim, who, "the output gradient", &ctx->err);
    if (st) return st;
    int ca = ws_conv_chan_axis(desc, gy->ndim);
    if (gy->shape[ca] >= 0 && gy->shape[ca] % desc->groups)
        return ws_fail(&ctx->err, WINSUM_ERR_CONV,
                       "%s: groups %lld do not divide the %lld output channels (filters)", who,
                       (long long)desc->groups, (long long)gy->shape[ca]);
    if (gb->ndim != 1 || gb->shape[0] != gy->shape[ca])
        return ws_fail(&ctx->err, WINSUM_ERR_CONV, "%s: the bias gradient must have shape (%lld,)",
                       who, (long long)gy->shape[ca]);
    const winsum_view *tv[2] = {gb, gy};
    static const char *const tn[2] = {"the bias gradient", "the output gradient"};
    st = check_tensors(ctx, 2, tv, tn, who);
    if (!st) st = ws_check_scalars(alpha, beta, gb->dtype, who, &ctx->err);
    if (st) return st;
    geom g;
    memset(&g, 0, sizeof g);
    g.rank = gy->ndim;
    g.ns = g.rank - 2;
    /* gy as (N, 1, O, spatial...), gb as (1, O): one group */
    winsum_view gyc = ws_conv_canon(desc, &g, gy, 1), gbc = *gb;
    gbc.ndim = 2;
    gbc.nguards = 0;
    gbc.shape[0] = 1;
    gbc.strides[0] = 0;
    gbc.shape[1] = gb->shape[0];
    gbc.strides[1] = gb->strides[0];
    char subs[32] = "";
    ws_conv_subs_append(subs, "ngo", "xyz", g.ns);
    strcat(subs, "->go");
    return winsum_einsum(ctx, subs, 1, &gyc, &gbc, alpha, beta);
}

/* The names of backward-data's tensors in the call the user made. */
typedef struct bd_names {
    const char *who, *gy, *gx;
} bd_names;

/* `transposed`: called by winsum_conv_transpose, which has checked the
 * shapes by the transposed rule; gy's spatial sizes may then be below the
 * forward output size of gx (output padding >= stride). */
static winsum_status backward_data(winsum_context *ctx, const winsum_conv_desc *desc,
                                   const winsum_view *gy, const winsum_view *w,
                                   const winsum_view *gx, double alpha, double beta,
                                   const bd_names *nm, int transposed)
{
    WS_LOCK_SCOPE(ctx); /* one call at a time per context */
    ws_conv_problem p = {.dir = WS_CONV_BACKWARD_DATA,
                         .desc = desc,
                         .x = gx,
                         .w = w,
                         .y = gy,
                         .alpha = alpha,
                         .beta = beta,
                         .who = nm->who,
                         .transposed = transposed};
    const char *who = nm->who;
    winsum_status st;
    if (!transposed) {
        st = prepare(ctx, desc, who, gx, nm->gx, w, gy, nm->gy, &p.g);
    } else {
        st = ws_conv_setup(desc, gx->ndim, gx->shape, w->shape, &p.g, who, nm->gx, &ctx->err);
        for (int i = 0; i < p.g.ns && !st; i++) p.g.out[i] = gy->shape[ws_conv_sp_axis(desc, i)];
    }
    if (st) return st;
    const winsum_view *tv[3] = {gx, gy, w};
    const char *const tn[3] = {nm->gx, nm->gy, "the weight"};
    if ((st = check_tensors(ctx, 3, tv, tn, who))) return st;
    if ((st = ws_check_scalars(alpha, beta, gx->dtype, who, &ctx->err))) return st;
    return ws_conv_dispatch(ctx, &p);
}

static winsum_status conv_backward_data(winsum_context *ctx, const winsum_conv_desc *desc,
                                        const winsum_view *gy, const winsum_view *w,
                                        const winsum_view *gx, double alpha, double beta)
{
    static const bd_names nm = {"conv backward-data", "the output gradient", "the input gradient"};
    return backward_data(ctx, desc, gy, w, gx, alpha, beta, &nm, 0);
}

/* y = conv_transpose(x, w): backward-data with x as the output gradient and
 * y as the input gradient, in the transposed call's own terms. */
static winsum_status conv_transpose(winsum_context *ctx, const winsum_conv_desc *desc,
                                    const winsum_view *x, const winsum_view *w,
                                    const winsum_view *y, double alpha, double beta)
{
    static const bd_names nm = {"conv transpose", "the input", "the output"};
    WS_LOCK_SCOPE(ctx); /* one call at a time per context */
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    if (!desc || !x || !w || !y)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "%s: NULL argument", nm.who);
    winsum_status st;
    if ((st = check_view_rank(ctx, w, x->ndim, nm.who, "the weight")) ||
        (st = check_view_rank(ctx, y, x->ndim, nm.who, "the output")))
        return st;
    int64_t ys[5];
    if ((st = ws_conv_transpose_shape(desc, x->ndim, x->shape, w->shape, ys, &ctx->err))) return st;
    if ((st = check_shape_eq(ctx, y, ys, x->ndim, nm.who, "the output"))) return st;
    return backward_data(ctx, desc, x, w, y, alpha, beta, &nm, 1);
}

/* ------------------------------------------------- the public calls */

/* Each public call runs its operation inside a computing call's bracket
 * (trace.h): the last event it leaves, and with WINSUM_VERBOSE its line,
 * which names the tensors in the call's terms (v, names) and replays it
 * as the driver's `conv DRIVER_OP` with --input-shape from v[xi] and
 * --weight-shape from v[wi] (no DRIVER_OP: no replay). */
static winsum_status conv_trace(winsum_context *ctx, const ws_call *c, winsum_status st,
                                const char *op, const winsum_conv_desc *desc, int n,
                                const winsum_view *const *v, const char *const *names, double alpha,
                                double beta, const char *driver_op, int xi, int wi)
{
    ws_trace_call t = {.op = op,
                       .nviews = n,
                       .desc = desc,
                       .alpha = alpha,
                       .beta = beta,
                       .replay = driver_op ? WS_REPLAY_CONV : WS_REPLAY_NONE,
                       .conv_op = driver_op,
                       .conv_x = xi,
                       .conv_w = wi,
                       .replay_na = "winsum-bench has no conv backward-bias"};
    for (int i = 0; i < n; i++) t.view[i] = v[i], t.name[i] = names[i];
    return ws_trace_emit(ctx, c, st, &t);
}

winsum_status winsum_conv_forward(winsum_context *ctx, const winsum_conv_desc *desc,
                                  const winsum_view *x, const winsum_view *w,
                                  const winsum_view *bias, const winsum_view *y, double alpha,
                                  double beta)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    ws_call c;
    ws_call_begin(ctx, &c);
    winsum_status st = conv_forward(ctx, desc, x, w, bias, y, alpha, beta);
    if (!ws_call_end(ctx, &c, st)) return st;
    const winsum_view *v[4] = {x, w, bias, y};
    static const char *const nm[4] = {"x", "w", "bias", "y"};
    return conv_trace(ctx, &c, st, "conv_forward", desc, 4, v, nm, alpha, beta, "forward", 0, 1);
}

winsum_status winsum_conv_backward_data(winsum_context *ctx, const winsum_conv_desc *desc,
                                        const winsum_view *gy, const winsum_view *w,
                                        const winsum_view *gx, double alpha, double beta)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    ws_call c;
    ws_call_begin(ctx, &c);
    winsum_status st = conv_backward_data(ctx, desc, gy, w, gx, alpha, beta);
    if (!ws_call_end(ctx, &c, st)) return st;
    const winsum_view *v[3] = {gy, w, gx};
    static const char *const nm[3] = {"dy", "w", "dx"};
    return conv_trace(ctx, &c, st, "conv_backward_data", desc, 3, v, nm, alpha, beta,
                      "backward-data", 2, 1);
}

winsum_status winsum_conv_backward_weight(winsum_context *ctx, const winsum_conv_desc *desc,
                                          const winsum_view *x, const winsum_view *gy,
                                          const winsum_view *gw, double alpha, double beta)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    ws_call c;
    ws_call_begin(ctx, &c);
    winsum_status st = conv_backward_weight(ctx, desc, x, gy, gw, alpha, beta);
    if (!ws_call_end(ctx, &c, st)) return st;
    const winsum_view *v[3] = {x, gy, gw};
    static const char *const nm[3] = {"x", "dy", "dw"};
    return conv_trace(ctx, &c, st, "conv_backward_weight", desc, 3, v, nm, alpha, beta,
                      "backward-weight", 0, 2);
}

winsum_status winsum_conv_backward_bias(winsum_context *ctx, const winsum_conv_desc *desc,
                                        const winsum_view *gy, const winsum_view *gb, double alpha,
                                        double beta)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    ws_call c;
    ws_call_begin(ctx, &c);
    winsum_status st = conv_backward_bias(ctx, desc, gy, gb, alpha, beta);
    if (!ws_call_end(ctx, &c, st)) return st;
    const winsum_view *v[2] = {gy, gb};
    static const char *const nm[2] = {"dy", "db"};
    return conv_trace(ctx, &c, st, "conv_backward_bias", desc, 2, v, nm, alpha, beta, NULL, 0, 0);
}

/* The transposed convolution is replayed as the backward-data it is: the
 * same weight, y as the input gradient (its shape carries the output
 * padding), x as the output gradient. */
winsum_status winsum_conv_transpose(winsum_context *ctx, const winsum_conv_desc *desc,
                                    const winsum_view *x, const winsum_view *w,
                                    const winsum_view *y, double alpha, double beta)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    ws_call c;
    ws_call_begin(ctx, &c);
    winsum_status st = conv_transpose(ctx, desc, x, w, y, alpha, beta);
    if (!ws_call_end(ctx, &c, st)) return st;
    const winsum_view *v[3] = {x, w, y};
    static const char *const nm[3] = {"x", "w", "y"};
    return conv_trace(ctx, &c, st, "conv_transpose", desc, 3, v, nm, alpha, beta, "backward-data",
                      2, 1);
}
