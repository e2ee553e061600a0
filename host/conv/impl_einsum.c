/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * impl_einsum.c - the always-able convolution implementation: convolutions
 * as einsums over views. Forward and backward-weight contract a window view
 * of the input (padding = guards); backward-data (the transposed
 * convolution) splits the input gradient by output phase (h mod stride) and
 * reads the output gradient through a window view with negative tap
 * strides, so no im2col or col2im buffer exists anywhere. Groups add a label
 * g; the layout is only strides. Every tensor is first viewed in canonical
 * axis order (N, G, C/G, spatial...). The gemv entry is this one, taken
 * only for depthwise problems, whose einsums the planner gives to the gemv
 * family (host/einsum/family_gemv.c).
 */
#include "impl.h"
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
winsum_view ws_conv_canon(const winsum_conv_desc *desc, const geom *g, const winsum_view *v,
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
winsum_view ws_conv_canon_w(const geom *g, const winsum_view *w)
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
void ws_conv_subs_append(char *s, const char *pre, const char *set, int ns)
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
    winsum_view xc = ws_conv_canon(desc, g, x, g->g);
    int axes[3] = {3, 4, 5};
    char msg[512];
    winsum_status st =
        winsum_view_window(&xc, g->ns, axes, g->k, g->s, g->d, g->lo, g->hi, win, msg, sizeof msg);
    if (st) return ws_fail(&ctx->err, st, "conv input: %s", msg);
    subs[0] = 0;
    ws_conv_subs_append(subs, "ngc", XS, g->ns);
    ws_conv_subs_append(subs, "", KS, g->ns);
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
        st = winsum_plan_run(plans[i], in, s[i].out.buffer, s[i].alpha, s[i].beta);
    }
    if (n > 1) st = ws_gate_close(ctx, st);
    /* held since its lookup, though later lookups may have evicted it */
    for (int i = 0; i < n; i++) {
        if (owned) winsum_plan_destroy(plans[i]);
        else ws_plan_release(plans[i]);
    }
    return st;
}

static winsum_status einsum_forward(winsum_context *ctx, const ws_conv_problem *p)
{
    const winsum_conv_desc *desc = p->desc;
    const geom g = p->g;
    const winsum_view *x = p->x, *w = p->w, *y = p->y, *bias = p->bias;
    double alpha = p->alpha, beta = p->beta;
    winsum_status st;
    winsum_view win, wc = ws_conv_canon_w(&g, w), yc = ws_conv_canon(desc, &g, y, g.g);
    char subs[64];
    if ((st = input_windows(ctx, desc, &g, x, &win, subs))) return st;
    ws_conv_subs_append(subs, ",goc", KS, g.ns);
    ws_conv_subs_append(subs, "->ngo", XS, g.ns);
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
        ws_conv_subs_append(bsubs, "ngo", XS, g.ns);
        ws_conv_subs_append(bsubs, "->ngo", XS, g.ns);
        set_einsum_call(&st2[1], bsubs, 1, &bv, NULL, &yc, alpha, 1.0);
    }
    return run_einsums(ctx, st2, bias ? 2 : 1);
}

static winsum_status einsum_backward_weight(winsum_context *ctx, const ws_conv_problem *p)
{
    const winsum_conv_desc *desc = p->desc;
    const geom g = p->g;
    const winsum_view *x = p->x, *gy = p->y, *gw = p->w;
    winsum_status st;
    winsum_view win, gwc = ws_conv_canon_w(&g, gw), gyc = ws_conv_canon(desc, &g, gy, g.g);
    char subs[64];
    if ((st = input_windows(ctx, desc, &g, x, &win, subs))) return st;
    ws_conv_subs_append(subs, ",ngo", XS, g.ns);
    ws_conv_subs_append(subs, "->goc", KS, g.ns);
    winsum_view ops[2] = {win, gyc};
    return winsum_einsum(ctx, subs, 2, ops, &gwc, p->alpha, p->beta);
}

/* Backward-data by output phase: for every residue r of the input position
 * modulo the stride, the taps that reach it form a progression, and the
 * output-gradient rows they read are an affine function of (t, tap). Only
 * residues below the input size hold positions, so an axis has
 * min(stride, size) phases (a stride of 2^32 over 9 positions: 9), and
 * their product is bounded before it is formed.
 * Under winsum_conv_transpose (p->transposed), gy's spatial sizes may be
 * below the forward output size of gx (output padding >= stride): the rows
 * guarded are gy's own (p->g.out). */
static winsum_status einsum_backward_data(winsum_context *ctx, const ws_conv_problem *p)
{
    const winsum_conv_desc *desc = p->desc;
    const geom g = p->g;
    const winsum_view *gy = p->y, *w = p->w, *gx = p->x;
    double alpha = p->alpha, beta = p->beta;
    const char *who = p->who;
    winsum_view gyc = ws_conv_canon(desc, &g, gy, g.g), wc = ws_conv_canon_w(&g, w),
                gxc = ws_conv_canon(desc, &g, gx, g.g);
    char subs[64] = "";
    ws_conv_subs_append(subs, "ngo", XS, g.ns);
    ws_conv_subs_append(subs, "", KS, g.ns);
    ws_conv_subs_append(subs, ",goc", KS, g.ns);
    ws_conv_subs_append(subs, "->ngc", XS, g.ns);
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

static winsum_status einsum_run(winsum_context *ctx, const ws_conv_problem *p)
{
    return p->dir == WS_CONV_FORWARD           ? einsum_forward(ctx, p)
           : p->dir == WS_CONV_BACKWARD_WEIGHT ? einsum_backward_weight(ctx, p)
                                               : einsum_backward_data(ctx, p);
}

static const char *einsum_declines(winsum_context *ctx, const ws_conv_problem *p, int forced,
                                   char *why, size_t len)
{
    (void)ctx, (void)p, (void)forced, (void)why, (void)len;
    return NULL;
}

/* Depthwise: one input and one output channel a group. */
static const char *gemv_declines(winsum_context *ctx, const ws_conv_problem *p, int forced,
                                 char *why, size_t len)
{
    (void)ctx, (void)forced, (void)why, (void)len;
    return p->g.cg == 1 && p->g.og == 1 ? NULL : "not depthwise";
}

const ws_conv_impl ws_conv_impl_einsum = {"einsum", einsum_declines, einsum_run};
const ws_conv_impl ws_conv_impl_gemv = {"gemv", gemv_declines, einsum_run};
