/*
 * conv.c - convolutions as einsums over views. Forward and backward-weight
 * contract a window view of the input (padding = guards); backward-data
 * (the transposed convolution) splits the input gradient by output phase
 * (h mod stride) and reads the output gradient through a window view with
 * negative tap strides, so no im2col or col2im buffer exists anywhere.
 * Groups add a label g; the layout is only strides. Every tensor is first
 * viewed in canonical axis order (N, G, C/G, spatial...).
 */
#include "conv.h"
#include "trace.h"
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------- views */

/* The stride of the group axis: `stride` x the group's extent. With one
 * group the axis has size 1, its stride is never used, and the product (a
 * whole channel axis past its last element) need not fit: 0. */
static int64_t group_stride(int64_t stride, int64_t per_group, int64_t groups)
{
    int64_t r;
    return groups == 1 || ws_mul_ovf(stride, per_group, &r) ? 0 : r;
}

/* v (layout order) -> canonical (N, G, C/G, spatial...) */
static winsum_view canon(const winsum_conv_desc *desc, const geom *g, const winsum_view *v,
                         int64_t groups)
{
    winsum_view r = *v;
    int ca = ws_conv_chan_axis(desc, g->rank);
    int64_t ch = v->shape[ca], cs = v->strides[ca];
    r.ndim = 3 + g->ns;
    r.shape[0] = v->shape[0];
    r.strides[0] = v->strides[0];
    r.shape[1] = groups;
    r.strides[1] = group_stride(cs, ch / groups, groups);
    r.shape[2] = ch / groups;
    r.strides[2] = cs;
    for (int i = 0; i < g->ns; i++) {
        r.shape[3 + i] = v->shape[ws_conv_sp_axis(desc, i)];
        r.strides[3 + i] = v->strides[ws_conv_sp_axis(desc, i)];
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
    r.strides[0] = group_stride(w->strides[0], g->og, g->g);
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

static const char XS[] = "xyz", KS[] = "ijk";

/* "pre" + spatial letters of `set` */
static void subs_append(char *s, const char *pre, const char *set, int ns)
{
    size_t n = strlen(s), p = strlen(pre);
    memcpy(s + n, pre, p);
    memcpy(s + n + p, set, (size_t)ns);
    s[n + p + (size_t)ns] = 0;
}

/* What forward and backward-weight share: the window view of the input x
 * (canonical axes, padding as guards), and its subscripts "ngcxy..ij.." in
 * subs, to which each appends its other operand and output. */
static winsum_status input_windows(winsum_context *ctx, const winsum_conv_desc *desc, const geom *g,
                                   const winsum_view *x, winsum_view *win, char *subs)
{
    winsum_view xc = canon(desc, g, x, g->g);
    int axes[3] = {3, 4, 5};
    char msg[512];
    winsum_status st =
        winsum_view_window(&xc, g->ns, axes, g->k, g->s, g->d, g->lo, g->hi, win, msg, sizeof msg);
    if (st) return ws_fail(&ctx->err, st, "conv input: %s", msg);
    subs[0] = 0;
    subs_append(subs, "ngc", XS, g->ns);
    subs_append(subs, "", KS, g->ns);
    return WINSUM_OK;
}

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

/* One einsum of a convolution. */
typedef struct einsum_call {
    char subs[64];
    int nops;
    winsum_view ops[2];
    winsum_view out;
    double alpha, beta;
} einsum_call;

static void set_einsum_call(einsum_call *s, const char *subs, int nops, const winsum_view *a,
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
static winsum_status run_einsums(winsum_context *ctx, const einsum_call *s, int n)
{
    winsum_plan *plans[64] = {NULL};
    int owned = n > WS_PLAN_CACHE / 2; /* many phases: not pushing the whole cache out */
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
    /* held since its lookup, though later lookups may have evicted it */
    for (int i = 0; i < n; i++) {
        if (owned) winsum_plan_destroy(plans[i]);
        else ws_plan_release(plans[i]);
    }
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
        if (i > 0 && ws_views_may_alias(v[0], v[i]))
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
    geom g;
    winsum_status st = prepare(ctx, desc, "conv", x, "the input", w, y, "the output", &g);
    if (st) return st;
    if (bias && (bias->ndim != 1 || bias->shape[0] != g.o))
        return ws_fail(&ctx->err, WINSUM_ERR_CONV,
                       "conv: the bias must have shape (%lld,), one per filter", (long long)g.o);
    const winsum_view *tv[4] = {y, x, w, bias};
    static const char *const tn[4] = {"the output", "the input", "the weight", "the bias"};
    if ((st = check_tensors(ctx, 4, tv, tn, "conv"))) return st;
    if ((st = ws_check_scalars(alpha, beta, y->dtype, "conv forward", &ctx->err))) return st;
    winsum_view win, wc = canon_w(&g, w), yc = canon(desc, &g, y, g.g);
    char subs[64];
    if ((st = input_windows(ctx, desc, &g, x, &win, subs))) return st;
    subs_append(subs, ",goc", KS, g.ns);
    subs_append(subs, "->ngo", XS, g.ns);
    einsum_call st2[2];
    set_einsum_call(&st2[0], subs, 2, &win, &wc, &yc, alpha, beta);
    if (bias) {
        /* y += alpha * bias, broadcast over batch and space (a zero-stride view) */
        winsum_view bv = yc;
        bv.buffer = bias->buffer;
        bv.dtype = bias->dtype;
        bv.offset = bias->offset;
        memset(bv.strides, 0, sizeof bv.strides);
        bv.strides[1] = group_stride(bias->strides[0], g.og, g.g);
        bv.strides[2] = bias->strides[0];
        char bsubs[32] = "";
        subs_append(bsubs, "ngo", XS, g.ns);
        subs_append(bsubs, "->ngo", XS, g.ns);
        set_einsum_call(&st2[1], bsubs, 1, &bv, NULL, &yc, alpha, 1.0);
    }
    return run_einsums(ctx, st2, bias ? 2 : 1);
}

static winsum_status conv_backward_weight(winsum_context *ctx, const winsum_conv_desc *desc,
                                          const winsum_view *x, const winsum_view *gy,
                                          const winsum_view *gw, double alpha, double beta)
{
    WS_LOCK_SCOPE(ctx); /* one call at a time per context */
    geom g;
    winsum_status st =
        prepare(ctx, desc, "conv", x, "the input", gw, gy, "the output gradient", &g);
    if (st) return st;
    if ((st = check_view_rank(ctx, gw, g.rank, "conv", "the weight gradient"))) return st;
    const winsum_view *tv[3] = {gw, x, gy};
    static const char *const tn[3] = {"the weight gradient", "the input", "the output gradient"};
    if ((st = check_tensors(ctx, 3, tv, tn, "conv"))) return st;
    if ((st = ws_check_scalars(alpha, beta, gw->dtype, "conv backward-weight", &ctx->err)))
        return st;
    winsum_view win, gwc = canon_w(&g, gw), gyc = canon(desc, &g, gy, g.g);
    char subs[64];
    if ((st = input_windows(ctx, desc, &g, x, &win, subs))) return st;
    subs_append(subs, ",ngo", XS, g.ns);
    subs_append(subs, "->goc", KS, g.ns);
    winsum_view ops[2] = {win, gyc};
    return winsum_einsum(ctx, subs, 2, ops, &gwc, alpha, beta);
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

/* The names of backward-data's tensors in the call the user made. */
typedef struct bd_names {
    const char *who, *gy, *gx;
} bd_names;

/* Backward-data by output phase: for every residue r of the input position
 * modulo the stride, the taps that reach it form a progression, and the
 * output-gradient rows they read are an affine function of (t, tap). Only
 * residues below the input size hold positions, so an axis has
 * min(stride, size) phases (a stride of 2^32 over 9 positions: 9), and
 * their product is bounded before it is formed.
 * `transposed`: called by winsum_conv_transpose, which has checked the
 * shapes by the transposed rule; gy's spatial sizes may then be below the
 * forward output size of gx (output padding >= stride), and the rows
 * guarded are gy's own. */
static winsum_status backward_data(winsum_context *ctx, const winsum_conv_desc *desc,
                                   const winsum_view *gy, const winsum_view *w,
                                   const winsum_view *gx, double alpha, double beta,
                                   const bd_names *nm, int transposed)
{
    WS_LOCK_SCOPE(ctx); /* one call at a time per context */
    geom g;
    const char *who = nm->who;
    winsum_status st;
    if (!transposed) {
        st = prepare(ctx, desc, who, gx, nm->gx, w, gy, nm->gy, &g);
    } else {
        st = ws_conv_setup(desc, gx->ndim, gx->shape, w->shape, &g, who, nm->gx, &ctx->err);
        for (int i = 0; i < g.ns && !st; i++) g.out[i] = gy->shape[ws_conv_sp_axis(desc, i)];
    }
    if (st) return st;
    const winsum_view *tv[3] = {gx, gy, w};
    const char *const tn[3] = {nm->gx, nm->gy, "the weight"};
    if ((st = check_tensors(ctx, 3, tv, tn, who))) return st;
    if ((st = ws_check_scalars(alpha, beta, gx->dtype, who, &ctx->err))) return st;
    winsum_view gyc = canon(desc, &g, gy, g.g), wc = canon_w(&g, w), gxc = canon(desc, &g, gx, g.g);
    char subs[64] = "";
    subs_append(subs, "ngo", XS, g.ns);
    subs_append(subs, "", KS, g.ns);
    subs_append(subs, ",goc", KS, g.ns);
    subs_append(subs, "->ngc", XS, g.ns);
    int64_t nph = 1, radix[3];
    char strides[96] = "";
    for (int i = 0; i < g.ns; i++) {
        radix[i] = g.s[i] < g.in[i] ? g.s[i] : g.in[i];
        snprintf(strides + strlen(strides), sizeof strides - strlen(strides), "%s%lld",
                 i ? " x " : "", (long long)g.s[i]);
    }
    for (int i = 0; i < g.ns && nph <= 64; i++)
        if (ws_mul_ovf(nph, radix[i], &nph)) nph = INT64_MAX;
    if (nph > 64)
        return ws_fail(&ctx->err, WINSUM_ERR_UNSUPPORTED,
                       "%s: strides %s give %s%lld output phases that hold positions (at most "
                       "64)",
                       who, strides, nph == INT64_MAX ? "more than " : "",
                       (long long)(nph == INT64_MAX ? 64 : nph));
    einsum_call steps[64];
    int n = 0;
    for (int64_t ph = 0; ph < nph; ph++) {
        winsum_view a = gyc, b = wc, c = gxc;
        a.ndim = 3 + 2 * g.ns;
        a.nguards = 0;
        int64_t rem = ph;
        int ovf = 0;
        for (int i = 0; i < g.ns; i++) {
            /* r < min(s, in) */
            int64_t s = g.s[i], d = g.d[i], r = rem % radix[i];
            rem /= radix[i];
            int64_t cnt = (g.in[i] - r - 1) / s + 1; /* positions r + s*t < in */
            /* taps i with (r + lo - i*d) % s == 0 (no overflow: r + lo <
             * in + lo and i*d <= d*(k-1), both checked by setup) */
            int64_t i0 = -1;
            for (int64_t t = 0; t < g.k[i] && t < s; t++) {
                int64_t m = (r + g.lo[i] - t * d) % s;
                if (m == 0) {
                    i0 = t;
                    break;
                }
            }
            int64_t q = s, gg = s, dd = d;
            while (dd) {
                int64_t t = gg % dd;
                gg = dd;
                dd = t;
            }
            q = s / gg;
            int64_t m = i0 < 0 ? 0 : (g.k[i] - i0 - 1) / q + 1;
            int64_t D = d / gg, c0 = i0 < 0 ? 0 : (r + g.lo[i] - i0 * d) / s;
            int64_t ys = gyc.strides[3 + i], wsd = wc.strides[3 + i], xs = gxc.strides[3 + i];
            int64_t t1, t2, t3, t4;
            /* Products of strides and descriptor values, checked: a stride
             * of an axis of one element is never used and set to 0 (x*s
             * need not fit when s is 2^32 and one position is left). */
            ovf |= ws_mul_ovf(xs, cnt > 1 ? s : 0, &t1) || ws_mul_ovf(r, xs, &t2) ||
                   ws_add_ovf(c.offset, t2, &c.offset);
            /* gx positions r + s*t */
            c.shape[3 + i] = cnt;
            c.strides[3 + i] = t1;
            /* weight taps i0 + q*u */
            ovf |= ws_mul_ovf(wsd, m > 1 ? q : 0, &t1) || ws_mul_ovf(i0 < 0 ? 0 : i0, wsd, &t2) ||
                   ws_add_ovf(b.offset, t2, &b.offset);
            b.shape[3 + i] = m;
            b.strides[3 + i] = t1;
            /* gy rows t + c0 - D*u, guarded to [0, out) */
            ovf |= ws_mul_ovf(-D, m > 1 ? ys : 0, &t3) || ws_mul_ovf(c0, ys, &t4) ||
                   ws_add_ovf(a.offset, t4, &a.offset);
            a.shape[3 + i] = cnt;
            a.strides[3 + i] = ys;
            a.shape[3 + g.ns + i] = m;
            a.strides[3 + g.ns + i] = t3;
            winsum_guard *gd = &a.guards[a.nguards++];
            memset(gd, 0, sizeof *gd);
            gd->coef[3 + i] = 1;
            gd->coef[3 + g.ns + i] = -D;
            gd->offset = c0;
            gd->extent = g.out[i];
        }
        if (ovf)
            return ws_fail(&ctx->err, WINSUM_ERR_OVERFLOW,
                           "%s: strides %s: the offsets of a stride phase overflow 64 bits", who,
                           strides);
        set_einsum_call(&steps[n++], subs, 2, &a, &b, &c, alpha, beta);
    }
    return run_einsums(ctx, steps, n);
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
