/*
 * conv.c - convolutions as einsums over views. Forward and backward-weight
 * contract a window view of the input (padding = guards); backward-data
 * (the transposed convolution) splits the input gradient by output phase
 * (h mod stride) and reads the output gradient through a window view with
 * negative tap strides, so no im2col or col2im buffer exists anywhere.
 * Groups add a label g; the layout is only strides. Every tensor is first
 * viewed in canonical axis order (N, G, C/G, spatial...).
 */
#include "context.h"
#include <stdio.h>
#include <string.h>

void winsum_conv_desc_init(winsum_conv_desc *d)
{
    if (!d) return;
    memset(d, 0, sizeof *d);
    for (int i = 0; i < WINSUM_MAX_SPATIAL; i++) d->stride[i] = d->dilation[i] = 1;
    d->groups = 1;
    d->layout = WINSUM_LAYOUT_NCHW;
}

/* The geometry of one convolution, checked. */
typedef struct geom {
    int ns, rank;
    int64_t n, c, o, g, cg, og;
    int64_t in[3], k[3], s[3], d[3], lo[3], hi[3], out[3];
} geom;

static int chan_axis(const winsum_conv_desc *d, int rank)
{
    return d->layout == WINSUM_LAYOUT_NHWC ? rank - 1 : 1;
}
static int sp_axis(const winsum_conv_desc *d, int i)
{
    return d->layout == WINSUM_LAYOUT_NHWC ? 1 + i : 2 + i;
}

static winsum_status setup(const winsum_conv_desc *desc, int rank, const int64_t *xs,
                           const int64_t *ws, geom *g, ws_error *e)
{
    memset(g, 0, sizeof *g);
    if (!desc || !xs || !ws) return ws_fail(e, WINSUM_ERR_ARGUMENT, "conv: NULL argument");
    if (desc->layout != WINSUM_LAYOUT_NCHW && desc->layout != WINSUM_LAYOUT_NHWC)
        return ws_fail(e, WINSUM_ERR_CONV, "conv: unknown layout %d", (int)desc->layout);
    if (rank < 3 || rank > 2 + WINSUM_MAX_SPATIAL)
        return ws_fail(e, WINSUM_ERR_CONV,
                       "conv: the input has rank %d; 1-D, 2-D and 3-D convolutions take rank 3..5",
                       rank);
    g->rank = rank;
    g->ns = rank - 2;
    if (desc->nspatial && desc->nspatial != g->ns)
        return ws_fail(e, WINSUM_ERR_CONV,
                       "conv: the descriptor has %d spatial axes but the input's rank %d gives %d",
                       desc->nspatial, rank, g->ns);
    int ca = chan_axis(desc, rank);
    g->n = xs[0];
    g->c = xs[ca];
    g->o = ws[0];
    g->g = desc->groups;
    for (int i = 0; i < rank; i++)
        if (xs[i] < 0 || ws[i] < 0)
            return ws_fail(e, WINSUM_ERR_CONV, "conv: negative size in a shape");
    if (g->g < 1) return ws_fail(e, WINSUM_ERR_CONV, "conv: groups is %lld, must be >= 1", (long long)g->g);
    if (g->c % g->g)
        return ws_fail(e, WINSUM_ERR_CONV, "conv: groups %lld do not divide the %lld input channels",
                       (long long)g->g, (long long)g->c);
    if (g->o % g->g)
        return ws_fail(e, WINSUM_ERR_CONV,
                       "conv: groups %lld do not divide the %lld output channels (filters)",
                       (long long)g->g, (long long)g->o);
    g->cg = g->c / g->g;
    g->og = g->o / g->g;
    if (ws[1] != g->cg)
        return ws_fail(e, WINSUM_ERR_CONV,
                       "conv: the weight has %lld input channels per group but the input has "
                       "%lld channels / %lld groups = %lld",
                       (long long)ws[1], (long long)g->c, (long long)g->g, (long long)g->cg);
    for (int i = 0; i < g->ns; i++) {
        g->in[i] = xs[sp_axis(desc, i)];
        g->k[i] = ws[2 + i];
        g->s[i] = desc->stride[i];
        g->d[i] = desc->dilation[i];
        if (g->s[i] < 1 || g->d[i] < 1)
            return ws_fail(e, WINSUM_ERR_CONV,
                           "conv: spatial axis %d: stride %lld and dilation %lld must be >= 1", i,
                           (long long)g->s[i], (long long)g->d[i]);
        if (g->k[i] < 1)
            return ws_fail(e, WINSUM_ERR_CONV, "conv: spatial axis %d: kernel size %lld < 1", i,
                           (long long)g->k[i]);
        int64_t span, padded;
        if (ws_mul_ovf(g->d[i], g->k[i] - 1, &span) || ws_add_ovf(span, 1, &span))
            return ws_fail(e, WINSUM_ERR_OVERFLOW,
                           "conv: spatial axis %d: dilation %lld x kernel %lld overflows 64 bits",
                           i, (long long)g->d[i], (long long)g->k[i]);
        if (desc->pad_same) {
            /* "same": out = ceil(in / stride); the padding that needs, split
             * low = total / 2, high = the rest (TensorFlow's rule). */
            int64_t out = g->in[i] / g->s[i] + (g->in[i] % g->s[i] != 0), total;
            if (ws_mul_ovf(out - 1, g->s[i], &total) || ws_add_ovf(total, span - g->in[i], &total))
                return ws_fail(e, WINSUM_ERR_OVERFLOW,
                               "conv: spatial axis %d: 'same' padding overflows 64 bits", i);
            if (total < 0) total = 0;
            g->lo[i] = total / 2;
            g->hi[i] = total - g->lo[i];
        } else {
            g->lo[i] = desc->pad_lo[i];
            g->hi[i] = desc->pad_hi[i];
            if (g->lo[i] < 0 || g->hi[i] < 0)
                return ws_fail(e, WINSUM_ERR_CONV, "conv: spatial axis %d: negative padding", i);
        }
        if (ws_add_ovf(g->in[i], g->lo[i], &padded) || ws_add_ovf(padded, g->hi[i], &padded))
            return ws_fail(e, WINSUM_ERR_OVERFLOW,
                           "conv: spatial axis %d: input %lld + padding %lld:%lld overflows 64 "
                           "bits",
                           i, (long long)g->in[i], (long long)g->lo[i], (long long)g->hi[i]);
        if (padded < span)
            return ws_fail(e, WINSUM_ERR_CONV,
                           "conv: spatial axis %d: the kernel spans %lld (size %lld, dilation "
                           "%lld) but the padded input is only %lld (%lld + %lld + %lld)",
                           i, (long long)span, (long long)g->k[i], (long long)g->d[i],
                           (long long)padded, (long long)g->in[i], (long long)g->lo[i],
                           (long long)g->hi[i]);
        g->out[i] = (padded - span) / g->s[i] + 1;
    }
    return WINSUM_OK;
}

static void shape_of(const winsum_conv_desc *desc, const geom *g, int64_t batch, int64_t ch,
                     const int64_t *sp, int64_t *shape)
{
    shape[0] = batch;
    shape[chan_axis(desc, g->rank)] = ch;
    for (int i = 0; i < g->ns; i++) shape[sp_axis(desc, i)] = sp[i];
}

winsum_status winsum_conv_output_shape(const winsum_conv_desc *desc, int rank,
                                       const int64_t *x_shape, const int64_t *w_shape,
                                       int64_t *y_shape, char *msg, size_t msg_len)
{
    ws_error e = {0};
    geom g;
    winsum_status st = setup(desc, rank, x_shape, w_shape, &g, &e);
    if (!st && !y_shape) st = ws_fail(&e, WINSUM_ERR_ARGUMENT, "conv: y_shape is NULL");
    if (st) {
        ws_error_copy(&e, msg, msg_len);
        return st;
    }
    shape_of(desc, &g, g.n, g.o, g.out, y_shape);
    return WINSUM_OK;
}

winsum_status winsum_conv_transpose_output_shape(const winsum_conv_desc *desc, int rank,
                                                 const int64_t *x_shape,
                                                 const int64_t *w_shape, int64_t *y_shape,
                                                 char *msg, size_t msg_len)
{
    ws_error e = {0};
    winsum_status st = WINSUM_OK;
    if (!desc || !x_shape || !w_shape || !y_shape) {
        st = ws_fail(&e, WINSUM_ERR_ARGUMENT, "conv transpose: NULL argument");
    } else if (rank < 3 || rank > 5) {
        st = ws_fail(&e, WINSUM_ERR_CONV, "conv transpose: rank %d (3..5 allowed)", rank);
    } else if (desc->pad_same) {
        st = ws_fail(&e, WINSUM_ERR_CONV,
                     "conv transpose: 'same' padding is defined for the forward input; give "
                     "explicit padding");
    } else {
        int ns = rank - 2, ca = chan_axis(desc, rank);
        int64_t gr = desc->groups;
        if (gr < 1) {
            st = ws_fail(&e, WINSUM_ERR_CONV, "conv transpose: groups is %lld, must be >= 1",
                         (long long)gr);
        } else if (x_shape[ca] != w_shape[0]) {
            st = ws_fail(&e, WINSUM_ERR_CONV,
                         "conv transpose: the input has %lld channels but the weight has %lld "
                         "filters (its first axis)",
                         (long long)x_shape[ca], (long long)w_shape[0]);
        } else {
            y_shape[0] = x_shape[0];
            y_shape[ca] = w_shape[1] * gr;
            for (int i = 0; i < ns && !st; i++) {
                int64_t s = desc->stride[i], d = desc->dilation[i], op = desc->output_padding[i];
                if (op < 0 || (op >= s && op >= d))
                    st = ws_fail(&e, WINSUM_ERR_CONV,
                                 "conv transpose: output padding %lld must be >= 0 and smaller "
                                 "than the stride %lld or the dilation %lld",
                                 (long long)op, (long long)s, (long long)d);
                int64_t v = (x_shape[sp_axis(desc, i)] - 1) * s - desc->pad_lo[i] -
                            desc->pad_hi[i] + d * (w_shape[2 + i] - 1) + 1 + op;
                if (!st && v < 1)
                    st = ws_fail(&e, WINSUM_ERR_CONV,
                                 "conv transpose: spatial axis %d would have size %lld", i,
                                 (long long)v);
                y_shape[sp_axis(desc, i)] = v;
            }
        }
    }
    if (st) ws_error_copy(&e, msg, msg_len);
    return st;
}

/* ------------------------------------------------------------- views */

/* v (layout order) -> canonical (N, G, C/G, spatial...) */
static winsum_view canon(const winsum_conv_desc *desc, const geom *g, const winsum_view *v,
                         int64_t groups)
{
    winsum_view r = *v;
    int ca = chan_axis(desc, g->rank);
    int64_t ch = v->shape[ca], cs = v->strides[ca];
    r.ndim = 3 + g->ns;
    r.shape[0] = v->shape[0];
    r.strides[0] = v->strides[0];
    r.shape[1] = groups;
    r.strides[1] = cs * (ch / groups);
    r.shape[2] = ch / groups;
    r.strides[2] = cs;
    for (int i = 0; i < g->ns; i++) {
        r.shape[3 + i] = v->shape[sp_axis(desc, i)];
        r.strides[3 + i] = v->strides[sp_axis(desc, i)];
    }
    r.nguards = 0;
    return r;
}

/* weight (O, C/G, k...) -> (G, O/G, C/G, k...) */
static winsum_view canon_w(const geom *g, const winsum_view *w)
{
    winsum_view r = *w;
    r.ndim = 3 + g->ns;
    r.shape[0] = g->g;
    r.strides[0] = w->strides[0] * g->og;
    r.shape[1] = g->og;
    r.strides[1] = w->strides[0];
    r.shape[2] = w->shape[1];
    r.strides[2] = w->strides[1];
    for (int i = 0; i < g->ns; i++) {
        r.shape[3 + i] = w->shape[2 + i];
        r.strides[3 + i] = w->strides[2 + i];
    }
    r.nguards = 0;
    return r;
}

static winsum_status window(winsum_context *ctx, const geom *g, const winsum_view *xc,
                            winsum_view *win)
{
    int axes[3] = {3, 4, 5};
    char msg[512];
    winsum_status st = winsum_view_window(xc, g->ns, axes, g->k, g->s, g->d, g->lo, g->hi, win,
                                          msg, sizeof msg);
    if (st) return ws_fail(&ctx->err, st, "conv input: %s", msg);
    return WINSUM_OK;
}

static const char XS[] = "xyz", KS[] = "ijk";

/* "pre" + spatial letters of `set` */
static void subs_append(char *s, const char *pre, const char *set, int ns)
{
    size_t n = strlen(s), p = strlen(pre);
    memcpy(s + n, pre, p);
    memcpy(s + n + p, set, (size_t)ns);
    s[n + p + (size_t)ns] = 0;
}

static winsum_status check_view_rank(winsum_context *ctx, const winsum_view *v, int rank,
                                     const char *name)
{
    if (!v) return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "conv: %s is NULL", name);
    if (v->ndim != rank)
        return ws_fail(&ctx->err, WINSUM_ERR_CONV, "conv: %s has rank %d, expected %d", name,
                       v->ndim, rank);
    return WINSUM_OK;
}

static winsum_status check_shape_eq(winsum_context *ctx, const winsum_view *v, const int64_t *want,
                                    int rank, const char *name)
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
            return ws_fail(&ctx->err, WINSUM_ERR_CONV, "conv: %s has shape (%s), expected (%s)",
                           name, a, b);
        }
    return WINSUM_OK;
}

/* One einsum of a convolution. */
typedef struct step {
    char subs[64];
    int nops;
    winsum_view ops[2];
    winsum_view out;
    double alpha, beta;
} step;

static void set_step(step *s, const char *subs, int nops, const winsum_view *a,
                     const winsum_view *b, const winsum_view *out, double alpha, double beta)
{
    memset(s, 0, sizeof *s);
    snprintf(s->subs, sizeof s->subs, "%s", subs);
    s->nops = nops;
    s->ops[0] = *a;
    if (b) s->ops[1] = *b;
    s->out = *out;
    s->alpha = alpha;
    s->beta = beta;
}

/* Runs the einsums of one convolution call, all or nothing: every plan is
 * made (and so every view checked, every table uploaded, every kernel built)
 * before the first kernel is enqueued, and the enqueues are gated so that a
 * failing one cancels those before it. */
static winsum_status run_steps(winsum_context *ctx, const step *s, int n)
{
    winsum_plan *plans[64] = {NULL};
    int owned = n > WS_PLAN_CACHE / 2; /* more plans than the cache keeps safely */
    winsum_status st = WINSUM_OK;
    if (n > 64) return ws_fail(&ctx->err, WINSUM_ERR_UNSUPPORTED, "conv: %d phases", n);
    for (int i = 0; i < n && !st; i++)
        st = owned ? winsum_plan_create(ctx, &plans[i], s[i].subs, s[i].nops, s[i].ops, &s[i].out)
                   : ws_plan_cached(ctx, s[i].subs, s[i].nops, s[i].ops, &s[i].out, &plans[i]);
    if (!st && n > 1) st = ws_gate_open(ctx);
    for (int i = 0; i < n && !st; i++) {
        /* a cached plan keeps the buffers it was made with: pass this call's */
        const winsum_buffer *in[2] = {s[i].ops[0].buffer, s[i].ops[1].buffer};
        st = winsum_plan_execute(plans[i], in, s[i].out.buffer, s[i].alpha, s[i].beta, NULL);
    }
    if (n > 1) st = ws_gate_close(ctx, st);
    if (owned)
        for (int i = 0; i < n; i++) winsum_plan_destroy(plans[i]);
    return st;
}

static const char *dtype_name(winsum_dtype d)
{
    return d == WINSUM_F64 ? "float64" : d == WINSUM_F32 ? "float32" : "float16";
}

/* The tensors of one call, checked under their own names before any einsum
 * view is made from them: views, buffers, one dtype, no output overlapping
 * an input. v[0] is the output. */
static winsum_status check_tensors(winsum_context *ctx, int n, const winsum_view *const *v,
                                   const char *const *name)
{
    char nm[64];
    for (int i = 0; i < n; i++) {
        if (!v[i]) continue;
        snprintf(nm, sizeof nm, "conv: %s", name[i]);
        winsum_status st = ws_view_check(v[i], nm, i == 0, &ctx->err);
        if (!st) st = ws_check_buffer(ctx, v[i]->buffer, nm);
        if (st) return st;
        if (v[i]->dtype != v[0]->dtype)
            return ws_fail(&ctx->err, WINSUM_ERR_DTYPE, "conv: %s is %s but %s is %s: one dtype "
                           "for all", name[i], dtype_name(v[i]->dtype), name[0],
                           dtype_name(v[0]->dtype));
        if (i > 0 && ws_views_may_alias(v[0], v[i]))
            return ws_fail(&ctx->err, WINSUM_ERR_ALIAS,
                           "conv: %s overlaps %s in memory; write to separate memory", name[0],
                           name[i]);
    }
    return WINSUM_OK;
}

/* common checks: x-like view (input shape), w, and the y-like view */
static winsum_status prepare(winsum_context *ctx, const winsum_conv_desc *desc,
                             const winsum_view *x, const char *xname, const winsum_view *w,
                             const winsum_view *y, const char *yname, geom *g)
{
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    if (!desc) return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "conv: descriptor is NULL");
    if (!x || !w || !y)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "conv: %s, weight and %s must be given",
                       xname, yname);
    winsum_status st = setup(desc, x->ndim, x->shape, w->shape, g, &ctx->err);
    if (st) return st;
    if ((st = check_view_rank(ctx, w, g->rank, "the weight")) ||
        (st = check_view_rank(ctx, y, g->rank, yname)))
        return st;
    int64_t ys[5];
    shape_of(desc, g, g->n, g->o, g->out, ys);
    return check_shape_eq(ctx, y, ys, g->rank, yname);
}

winsum_status winsum_conv_forward(winsum_context *ctx, const winsum_conv_desc *desc,
                                  const winsum_view *x, const winsum_view *w,
                                  const winsum_view *bias, const winsum_view *y, double alpha,
                                  double beta)
{
    geom g;
    winsum_status st = prepare(ctx, desc, x, "the input", w, y, "the output", &g);
    if (st) return st;
    if (bias && (bias->ndim != 1 || bias->shape[0] != g.o))
        return ws_fail(&ctx->err, WINSUM_ERR_CONV,
                       "conv: the bias must have shape (%lld,), one per filter",
                       (long long)g.o);
    const winsum_view *tv[4] = {y, x, w, bias};
    static const char *const tn[4] = {"the output", "the input", "the weight", "the bias"};
    if ((st = check_tensors(ctx, 4, tv, tn))) return st;
    if ((st = ws_check_scalars(alpha, beta, y->dtype, "conv forward", &ctx->err))) return st;
    winsum_view xc = canon(desc, &g, x, g.g), win, wc = canon_w(&g, w),
                yc = canon(desc, &g, y, g.g);
    if ((st = window(ctx, &g, &xc, &win))) return st;
    char subs[64] = "";
    subs_append(subs, "ngc", XS, g.ns);
    subs_append(subs, "", KS, g.ns);
    subs_append(subs, ",goc", KS, g.ns);
    subs_append(subs, "->ngo", XS, g.ns);
    step st2[2];
    set_step(&st2[0], subs, 2, &win, &wc, &yc, alpha, beta);
    if (bias) {
        /* y += alpha * bias, broadcast over batch and space (a zero-stride view) */
        winsum_view bv = yc;
        bv.buffer = bias->buffer;
        bv.dtype = bias->dtype;
        bv.offset = bias->offset;
        memset(bv.strides, 0, sizeof bv.strides);
        bv.strides[1] = bias->strides[0] * g.og;
        bv.strides[2] = bias->strides[0];
        char bsubs[32] = "";
        subs_append(bsubs, "ngo", XS, g.ns);
        subs_append(bsubs, "->ngo", XS, g.ns);
        set_step(&st2[1], bsubs, 1, &bv, NULL, &yc, alpha, 1.0);
    }
    return run_steps(ctx, st2, bias ? 2 : 1);
}

winsum_status winsum_conv_backward_weight(winsum_context *ctx, const winsum_conv_desc *desc,
                                          const winsum_view *x, const winsum_view *gy,
                                          const winsum_view *gw, double alpha, double beta)
{
    geom g;
    winsum_status st = prepare(ctx, desc, x, "the input", gw, gy, "the output gradient", &g);
    if (st) return st;
    if ((st = check_view_rank(ctx, gw, g.rank, "the weight gradient"))) return st;
    const winsum_view *tv[3] = {gw, x, gy};
    static const char *const tn[3] = {"the weight gradient", "the input", "the output gradient"};
    if ((st = check_tensors(ctx, 3, tv, tn))) return st;
    if ((st = ws_check_scalars(alpha, beta, gw->dtype, "conv backward-weight", &ctx->err)))
        return st;
    winsum_view xc = canon(desc, &g, x, g.g), win, gwc = canon_w(&g, gw),
                gyc = canon(desc, &g, gy, g.g);
    if ((st = window(ctx, &g, &xc, &win))) return st;
    char subs[64] = "";
    subs_append(subs, "ngc", XS, g.ns);
    subs_append(subs, "", KS, g.ns);
    subs_append(subs, ",ngo", XS, g.ns);
    subs_append(subs, "->goc", KS, g.ns);
    winsum_view ops[2] = {win, gyc};
    return winsum_einsum(ctx, subs, 2, ops, &gwc, alpha, beta);
}

winsum_status winsum_conv_backward_bias(winsum_context *ctx, const winsum_conv_desc *desc,
                                        const winsum_view *gy, const winsum_view *gb,
                                        double alpha, double beta)
{
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    if (!desc || !gy || !gb)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "conv backward-bias: NULL argument");
    if (gy->ndim < 3 || gy->ndim > 5)
        return ws_fail(&ctx->err, WINSUM_ERR_CONV,
                       "conv backward-bias: the output gradient has rank %d (3..5 allowed)",
                       gy->ndim);
    int ca = chan_axis(desc, gy->ndim);
    if (gb->ndim != 1 || gb->shape[0] != gy->shape[ca])
        return ws_fail(&ctx->err, WINSUM_ERR_CONV,
                       "conv backward-bias: the bias gradient must have shape (%lld,)",
                       (long long)gy->shape[ca]);
    const winsum_view *tv[2] = {gb, gy};
    static const char *const tn[2] = {"the bias gradient", "the output gradient"};
    winsum_status st = check_tensors(ctx, 2, tv, tn);
    if (!st) st = ws_check_scalars(alpha, beta, gb->dtype, "conv backward-bias", &ctx->err);
    if (st) return st;
    geom g;
    memset(&g, 0, sizeof g);
    g.rank = gy->ndim;
    g.ns = g.rank - 2;
    /* gy as (N, 1, O, spatial...), gb as (1, O): one group */
    winsum_view gyc = canon(desc, &g, gy, 1), gbc = *gb;
    gbc.ndim = 2;
    gbc.nguards = 0;
    gbc.shape[0] = 1;
    gbc.strides[0] = 0;
    gbc.shape[1] = gb->shape[0];
    gbc.strides[1] = gb->strides[0];
    char subs[32] = "";
    subs_append(subs, "ngo", XS, g.ns);
    strcat(subs, "->go");
    return winsum_einsum(ctx, subs, 1, &gyc, &gbc, alpha, beta);
}

/* Backward-data by output phase: for every residue r of the input position
 * modulo the stride, the taps that reach it form a progression, and the
 * output-gradient rows they read are an affine function of (t, tap). */
winsum_status winsum_conv_backward_data(winsum_context *ctx, const winsum_conv_desc *desc,
                                        const winsum_view *gy, const winsum_view *w,
                                        const winsum_view *gx, double alpha, double beta)
{
    geom g;
    winsum_status st = prepare(ctx, desc, gx, "the input gradient", w, gy,
                               "the output gradient", &g);
    if (st) return st;
    const winsum_view *tv[3] = {gx, gy, w};
    static const char *const tn[3] = {"the input gradient", "the output gradient", "the weight"};
    if ((st = check_tensors(ctx, 3, tv, tn))) return st;
    if ((st = ws_check_scalars(alpha, beta, gx->dtype, "conv backward-data", &ctx->err)))
        return st;
    winsum_view gyc = canon(desc, &g, gy, g.g), wc = canon_w(&g, w),
                gxc = canon(desc, &g, gx, g.g);
    char subs[64] = "";
    subs_append(subs, "ngo", XS, g.ns);
    subs_append(subs, "", KS, g.ns);
    subs_append(subs, ",goc", KS, g.ns);
    subs_append(subs, "->ngc", XS, g.ns);
    int64_t nph = 1;
    for (int i = 0; i < g.ns; i++) nph *= g.s[i];
    if (nph > 64)
        return ws_fail(&ctx->err, WINSUM_ERR_UNSUPPORTED,
                       "conv backward-data: %lld stride phases (at most 64)", (long long)nph);
    step steps[64];
    int n = 0;
    for (int64_t ph = 0; ph < nph; ph++) {
            winsum_view a = gyc, b = wc, c = gxc;
            a.ndim = 3 + 2 * g.ns;
            a.nguards = 0;
            int64_t rem = ph, skip = 0;
            for (int i = 0; i < g.ns; i++) {
                int64_t s = g.s[i], d = g.d[i], r = rem % s;
                rem /= s;
                int64_t cnt = r < g.in[i] ? (g.in[i] - r + s - 1) / s : 0;
                if (cnt == 0) skip = 1;
                /* taps i with (r + lo - i*d) % s == 0 */
                int64_t i0 = -1;
                for (int64_t t = 0; t < g.k[i] && t < s; t++)
                    if (((r + g.lo[i] - t * d) % s + s) % s == 0) {
                        i0 = t;
                        break;
                    }
                int64_t q = s, gg = s, dd = d;
                while (dd) {
                    int64_t t = gg % dd;
                    gg = dd;
                    dd = t;
                }
                q = s / gg;
                int64_t m = i0 < 0 ? 0 : (g.k[i] - i0 + q - 1) / q;
                int64_t D = d / gg, c0 = i0 < 0 ? 0 : (r + g.lo[i] - i0 * d) / s;
                int64_t ys = gyc.strides[3 + i], wsd = wc.strides[3 + i], xs = gxc.strides[3 + i];
                /* gx positions r + s*t */
                c.shape[3 + i] = cnt;
                c.strides[3 + i] = xs * s;
                c.offset += r * xs;
                /* weight taps i0 + q*u */
                b.shape[3 + i] = m;
                b.strides[3 + i] = wsd * q;
                b.offset += (i0 < 0 ? 0 : i0) * wsd;
                /* gy rows t + c0 - D*u, guarded to [0, out) */
                a.shape[3 + i] = cnt;
                a.strides[3 + i] = ys;
                a.shape[3 + g.ns + i] = m;
                a.strides[3 + g.ns + i] = -D * ys;
                a.offset += c0 * ys;
                winsum_guard *gd = &a.guards[a.nguards++];
                memset(gd, 0, sizeof *gd);
                gd->coef[3 + i] = 1;
                gd->coef[3 + g.ns + i] = -D;
                gd->offset = c0;
                gd->extent = g.out[i];
            }
            if (skip) continue;
            set_step(&steps[n++], subs, 2, &a, &b, &c, alpha, beta);
        }
    return run_steps(ctx, steps, n);
}

winsum_status winsum_conv_transpose(winsum_context *ctx, const winsum_conv_desc *desc,
                                    const winsum_view *x, const winsum_view *w,
                                    const winsum_view *y, double alpha, double beta)
{
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    if (!desc || !x || !w || !y)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "conv transpose: NULL argument");
    int64_t ys[5];
    char msg[512];
    winsum_status st =
        winsum_conv_transpose_output_shape(desc, x->ndim, x->shape, w->shape, ys, msg, sizeof msg);
    if (st) return ws_fail(&ctx->err, st, "%s", msg);
    if (y->ndim != x->ndim || (st = check_shape_eq(ctx, y, ys, x->ndim, "the output")))
        return st ? st : ws_fail(&ctx->err, WINSUM_ERR_CONV, "conv transpose: output rank");
    if ((st = ws_check_scalars(alpha, beta, y->dtype, "conv transpose", &ctx->err))) return st;
    return winsum_conv_backward_data(ctx, desc, x, w, y, alpha, beta);
}
