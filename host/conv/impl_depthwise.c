/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * impl_depthwise.c - the direct depthwise implementation
 * (kernels/depthwise.cl): convolutions with one input and one output
 * channel a group, forward, backward-data and backward-weight, 1-D and
 * 2-D, any stride, dilation and padding (by loop bounds and lane masks, no
 * padded copy), NCHW (lanes along the width) or NHWC (lanes along the
 * channels), float16, float32, float64. The taps and the stride along the
 * width are build options (one program per kernel size and stride).
 * Backward-weight sums the batch x pixels in chunks of rows, one partial
 * sum per (channel, chunk, tap) in scratch, added in a fixed order by a
 * second kernel (with one chunk the first kernel writes the weight
 * gradient itself): deterministic. NCHW work-items take runs of rows, or
 * with narrow images (stride 1, a width not a multiple of the lanes) the
 * lanes run along the flattened plane (WINSUM_DEPTHWISE_FLAT=0|1 forces);
 * at stride 2 onto rows of at most half the lanes (backward-data: the
 * lanes) a vector holds two rows ("pairs"). The kernels it got are kept
 * beside the context (dw_kernel: a lookup costs a hash of the source).
 *
 * Declines: a channel multiplier above 1 (several filters a group: the
 * lanes would need one weight vector per filter; gemv or einsum takes
 * it), 3-D, a kernel of more than 7 taps along an axis (the taps are
 * unrolled), guarded views, empty tensors, the reference backend.
 * It comes before gemv in every direction's list and, unforced, takes
 * the shapes it was measured on (see prefer()): alternating runs against
 * gemv (winsum-bench conv, batch 8, float32, NCHW, 2026-12-02, load 9-22
 * on 2 cores) put it ahead or within the noise on the 3x3 256@14 layer
 * and the ten depthwise layers of MobileNetV2, all three directions.
 */
#include "impl.h"
#include "trace.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXK     7
#define NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int lanes_of(winsum_dtype dt) { return dt == WINSUM_F64 ? 8 : 16; }

/* Unforced: the shapes measured against gemv (all faster or within the
 * noise, see the header comment): 2-D, 3x3, stride 1 or 2. The rest (1-D,
 * other kernels and strides) is correct forced but was not measured, and
 * each kernel size and stride is a program build of its own. */
static int prefer(const ws_conv_problem *p)
{
    const geom *g = &p->g;
    return g->ns == 2 && g->k[0] == 3 && g->k[1] == 3 && g->s[0] <= 2 && g->s[1] <= 2;
}

static const char *dw_declines(winsum_context *ctx, const ws_conv_problem *p, int forced, char *why,
                               size_t len)
{
    const geom *g = &p->g;
    if (!ctx->be->kernels) return "a backend without kernels (the reference)";
    if (g->cg != 1) return "not depthwise";
    if (g->og != 1) return "a channel multiplier above 1";
    if (g->ns > 2) return "3-D";
    if (p->y->dtype == WINSUM_F64 && !ctx->has_fp64) return "no float64 on the device";
    const char *no = ws_conv_plain_views(p);
    if (no) return no;
    if (g->n > INT_MAX / 64 || g->c > INT_MAX / 64 || g->n * g->c > INT_MAX / 64)
        return "a batch x channels over 2^25";
    for (int i = 0; i < g->ns; i++) {
        if (g->k[i] > MAXK) {
            snprintf(why, len, "spatial axis %d: a kernel of %lld taps (at most %d)", i,
                     (long long)g->k[i], MAXK);
            return why;
        }
        if (g->in[i] > INT_MAX / 64 || g->out[i] > INT_MAX / 64 || g->s[i] > INT_MAX / 64 ||
            g->d[i] > INT_MAX / 64 || g->lo[i] > INT_MAX / 64 ||
            g->s[i] * g->out[i] > INT_MAX / 64 || g->d[i] * g->k[i] > INT_MAX / 64) {
            snprintf(why, len, "spatial axis %d: a size, stride, dilation or pad over 2^25", i);
            return why;
        }
    }
    if (g->ns == 2 && (g->in[0] * g->in[1] > INT_MAX / 64 || g->out[0] * g->out[1] > INT_MAX / 64))
        return "an image over 2^25 pixels";
    if (g->s[g->ns - 1] > 4) return "a stride over 4 along the width";
    if (!forced && !prefer(p)) return "not measured against gemv on this shape";
    return NULL;
}

/* The kernels this implementation got, remembered beside the context
 * (ws_context_attach). Written when ws_kernel_get hashed the whole source
 * (35 kB) on every lookup, about 35 us; program.c now keeps an embedded
 * source's hash, and without this table a 16-channel 8x8 layer measured
 * 0-7 us a call slower (three directions, 3 alternating runs: 0.023-0.025
 * against 0.023-0.030 ms), so it stays. The embedded source cannot change
 * within a process; with WINSUM_KERNEL_DIR (kernel work: the files may be
 * edited between calls) every lookup goes to ws_kernel_get. The kernels
 * belong to the context's program slots, which outlive this table. */
#define DW_MEMO 24
typedef struct dw_memo {
    int n;
    struct {
        const char *name; /* a string literal of this file */
        char opts[64];
        ws_kernel k;
    } e[DW_MEMO];
} dw_memo;
static const char memo_key = 0;

static void memo_release(winsum_context *ctx, void *data)
{
    (void)ctx;
    free(data);
}

static winsum_status dw_kernel(winsum_context *ctx, const char *name, const char *opts,
                               ws_kernel *k)
{
    const char *dir = getenv("WINSUM_KERNEL_DIR");
    dw_memo *m = dir && *dir ? NULL : ws_context_attached(ctx, &memo_key);
    if (m)
        for (int i = 0; i < m->n; i++)
            if (strcmp(m->e[i].name, name) == 0 && strcmp(m->e[i].opts, opts) == 0) {
                *k = m->e[i].k;
                return WINSUM_OK;
            }
    winsum_status st = ws_kernel_get(ctx, "depthwise.cl", name, opts, k);
    if (st || (dir && *dir) || strlen(opts) >= sizeof m->e[0].opts) return st;
    if (!m) {
        /* two free attachment slots (one left for the layers that need
         * theirs: the conv state, the plan cache), else no memo (never an
         * error) */
        int room = 0;
        for (int i = 0; i < WS_MAX_ATTACHED; i++) room += !ctx->attached[i].key;
        if (room < 2 || !(m = calloc(1, sizeof *m))) return WINSUM_OK;
        if (ws_context_attach(ctx, &memo_key, m, memo_release)) {
            free(m);
            return WINSUM_OK;
        }
    }
    if (m->n < DW_MEMO) {
        m->e[m->n].name = name;
        strcpy(m->e[m->n].opts, opts);
        m->e[m->n++].k = *k;
    }
    return WINSUM_OK;
}

/* g0 x g1 items of about `vpi` vectors each: work-groups of about 64
 * vectors on a CPU-like device (PoCL's cost per work-group shows below
 * that), of 64 items on others; the NDRange rounded up to them. */
static winsum_status launch(winsum_context *ctx, ws_kernel k, const ws_arg *args, int nargs,
                            size_t g0, size_t g1, size_t vpi, const char *name, int last)
{
    /* powers of two: few work-group shapes, as PoCL compiles a kernel anew
     * for each; along dimension 0 first (the rows of one plane: a
     * work-group writes whole runs of rows, so that two cores seldom
     * write one cache line) */
    size_t items = ctx->cpu_like ? 64 / (vpi ? vpi : 1) : 64, l0 = 1, l1 = 1;
    if (items > ctx->max_wg) items = ctx->max_wg;
    while (l0 * 2 <= items && l0 * 2 <= g0) l0 *= 2;
    while (l0 * l1 * 2 <= items && l1 * 2 <= g1) l1 *= 2;
    size_t global[2] = {ws_round_up(g0, l0), ws_round_up(g1, l1)}, local[2] = {l0, l1};
    /* last: the call's last kernel (winsum_last_event) */
    const ws_launch l = {.kernel = k,
                         .name = name,
                         .args = args,
                         .nargs = nargs,
                         .dims = 2,
                         .global = global,
                         .local = local,
                         .record = last};
    return ws_launch_kernel(ctx, &l);
}

/* The strides the kernels take of a canonical (N, C, 1, [H,] W) view v of
 * the tensor t: (offset, n, c, h, w, buffer length, unit, 0), unit when
 * the vector axis (the width in NCHW, the channels in NHWC) has stride 1. */
static ws_long8 strides8(const geom *g, const winsum_view *v, const winsum_view *t, int nhwc)
{
    int64_t hs = g->ns == 2 ? v->strides[3] : 0, wsd = v->strides[2 + g->ns];
    int64_t len = (int64_t)(t->buffer->bytes / winsum_dtype_size(t->dtype));
    int unit = nhwc ? v->strides[1] == 1 : wsd == 1;
    ws_long8 r = {{v->offset, v->strides[0], v->strides[1], hs, wsd, len, unit, 0}};
    return r;
}

/* (H, W) of the spatial sizes a (1-D: H = 1) */
static void hw(const geom *g, const int64_t *a, int *h, int *w)
{
    *h = g->ns == 2 ? (int)a[0] : 1;
    *w = (int)a[g->ns - 1];
}

static winsum_status dw_run(winsum_context *ctx, const ws_conv_problem *p)
{
    const geom *g = &p->g;
    const winsum_dtype dt = p->y->dtype;
    const int f64 = dt == WINSUM_F64, lanes = lanes_of(dt);
    const int nhwc = p->desc->layout == WINSUM_LAYOUT_NHWC;
    int kh = g->ns == 2 ? (int)g->k[0] : 1, kw = (int)g->k[g->ns - 1];
    int sh = g->ns == 2 ? (int)g->s[0] : 1, sw = (int)g->s[g->ns - 1];
    int dh = g->ns == 2 ? (int)g->d[0] : 1, dwd = (int)g->d[g->ns - 1];
    int ph = g->ns == 2 ? (int)g->lo[0] : 0, pw = (int)g->lo[g->ns - 1];
    int ih, iw, oh, ow;
    hw(g, g->in, &ih, &iw);
    hw(g, g->out, &oh, &ow);
    const winsum_view xc = ws_conv_canon(p->desc, g, p->x, g->g),
                      yc = ws_conv_canon(p->desc, g, p->y, g->g), wc = ws_conv_canon_w(g, p->w);
    ws_long4 wst = {
        {wc.offset, wc.strides[0], g->ns == 2 ? wc.strides[3] : 0, wc.strides[2 + g->ns]}};
    ws_long8 xs8 = strides8(g, &xc, p->x, nhwc), ys8 = strides8(g, &yc, p->y, nhwc);
    ws_mem xm = ws_buffer_mem(p->x->buffer), wm = ws_buffer_mem(p->w->buffer),
           ym = ws_buffer_mem(p->y->buffer);
    float alf = (float)p->alpha, bef = (float)p->beta;
    double ald = p->alpha, bed = p->beta;
    const ws_arg aa = f64 ? WS_VAL(ald) : WS_VAL(alf), ab = f64 ? WS_VAL(bed) : WS_VAL(bef);
    const size_t rs = f64 ? sizeof(double) : sizeof(float);
    const char *prec = f64 ? " -DWS_FP64" : dt == WINSUM_F16 ? " -DWS_FP16" : "";
    char opts[128], line[192];
    ws_kernel k;
    winsum_status st;

    if (p->dir == WS_CONV_BACKWARD_WEIGHT) {
        /* flat (NCHW, the lanes along the plane, as the forward's): stride
         * 1, rows as wide in x as in dy, contiguous planes, a width that
         * is not a multiple of the lanes */
        int flat = !nhwc && sh == 1 && sw == 1 && iw == ow && xs8.s[3] == iw && xs8.s[6] &&
                   ys8.s[3] == ow && ys8.s[6] && ow % lanes != 0;
        const char *env = getenv("WINSUM_DEPTHWISE_FLAT");
        if (env && (*env == '0' || *env == '1')) flat = flat && *env == '1';
        /* rows (depthwise.cl ROWS): flat's geometry with rows of more than
         * half a vector and at most one, a row a vector (256@14: about
         * twice as fast as flat); WINSUM_DEPTHWISE_ROWS=0 keeps flat */
        const char *renv = getenv("WINSUM_DEPTHWISE_ROWS");
        const int rows1 = flat && ow <= lanes && 2 * ow > lanes && !(renv && *renv == '0');
        /* the rows (n, oh) in chunks (flat: the planes n): about 256 items
         * in all, a chunk at least 2 rows */
        const int64_t rows_all = flat ? (int64_t)g->n : (int64_t)g->n * oh,
                      units = nhwc ? (g->c + lanes - 1) / lanes : g->c;
        int64_t chunks = (256 + units - 1) / units;
        if (chunks > rows_all / 2) chunks = rows_all / 2;
        if (chunks < 1) chunks = 1;
        int64_t rows = (rows_all + chunks - 1) / chunks;
        chunks = (rows_all + rows - 1) / rows;
        const int64_t taps = (int64_t)kh * kw;
        /* one chunk: the kernel writes gw itself (no scratch, no sum) */
        ws_mem part = wm;
        if (chunks > 1 && (st = ws_conv_scratch(ctx, "conv depthwise sums",
                                                (size_t)(g->c * chunks * taps) * rs, &part)))
            return st;
        snprintf(opts, sizeof opts, "-DKH=%d -DKW=%d -DSW=%d%s", kh, kw, sw, prec);
        const char *name = nhwc ? "dw_bwdw_nhwc" : "dw_bwdw_nchw";
        /* the sum kernel only with chunks */
        ws_kernel ks = NULL;
        if ((st = dw_kernel(ctx, name, opts, &k)) ||
            (chunks > 1 && (st = dw_kernel(ctx, "dw_bwdw_sum", opts, &ks))))
            return st;
        /* x the input, y the output gradient */
        /* pairs: two rows a vector (see depthwise.cl) */
        const int pairs = !nhwc && !flat && sw == 2 && ow <= lanes / 2 && xs8.s[6] && ys8.s[6];
        ws_int16 geo = {{(ws_int)g->n, (ws_int)g->c, ih, iw, oh, ow, sh, dh, dwd, ph, pw,
                         (ws_int)((ow + lanes - 1) / lanes), pairs, rows1 ? 2 : flat, (ws_int)rows,
                         (ws_int)chunks}};
        ws_int C = (ws_int)g->c, CH = (ws_int)chunks;
        const ws_arg a1[] = {WS_MEM(xm),  WS_VAL(xs8), WS_MEM(ym),  WS_VAL(ys8), WS_MEM(part),
                             WS_VAL(geo), WS_MEM(wm),  WS_VAL(wst), aa,          ab};
        const ws_arg a2[] = {WS_MEM(part), WS_MEM(wm), WS_VAL(wst), WS_VAL(C), WS_VAL(CH), aa, ab};
        if (ctx->verbose) {
            snprintf(line, sizeof line, "depthwise{%s%s chunks %lld rows %lld}", name,
                     rows1   ? " (rows)"
                     : flat  ? " (flat)"
                     : pairs ? " (pairs)"
                             : "",
                     (long long)chunks, (long long)rows);
            ws_trace_plan(ctx, line);
        }
        if ((st = launch(ctx, k, a1, NARGS(a1), (size_t)chunks, (size_t)units, 64, name,
                         chunks == 1)) ||
            chunks == 1)
            return st;
        return launch(ctx, ks, a2, NARGS(a2), (size_t)(g->c * taps), 1, 1, "dw_bwdw_sum", 1);
    }

    const int bwd = p->dir == WS_CONV_BACKWARD_DATA;
    /* the kernel's input src (kih x kiw) and output dst (koh x kow) */
    const ws_long8 s8 = bwd ? ys8 : xs8, d8 = bwd ? xs8 : ys8;
    ws_mem sm = bwd ? ym : xm, dm = bwd ? xm : ym;
    const int kih = bwd ? oh : ih, kiw = bwd ? ow : iw, koh = bwd ? ih : oh, kow = bwd ? iw : ow;
    ws_mem bm = p->bias ? ws_buffer_mem(p->bias->buffer) : dm;
    ws_long2 bs2 = {{p->bias ? p->bias->offset : 0, p->bias ? p->bias->strides[0] : 0}};
    ws_int has_bias = p->bias != NULL;
    const char *name;
    size_t g0, g1, vpi;
    ws_int16 geo;
    int nobias = 0; /* dw_bwd_nchw: no bias arguments */
    snprintf(opts, sizeof opts, "-DKH=%d -DKW=%d -DSW=%d%s", kh, kw, sw, prec);
    if (nhwc) {
        name = "dw_nhwc";
        geo = (ws_int16){
            {(ws_int)g->n, (ws_int)g->c, kih, kiw, koh, kow, sh, dh, dwd, ph, pw, 0, bwd, 0, 0, 0}};
        if ((st = dw_kernel(ctx, name, opts, &k))) return st;
        g0 = (size_t)((g->c + lanes - 1) / lanes);
        g1 = (size_t)g->n * (size_t)koh;
        vpi = (size_t)kow;
    } else if (!bwd || (sh == 1 && sw == 1)) {
        /* forward; backward-data at stride 1: the forward of the output
         * gradient with the taps flipped, padded d*(k-1) - lo */
        name = "dw_fwd_nchw";
        int pph = bwd ? dh * (kh - 1) - ph : ph, ppw = bwd ? dwd * (kw - 1) - pw : pw;
        /* flat: the lanes along the plane (see depthwise.cl) */
        int flat = sh == 1 && sw == 1 && kiw == kow && s8.s[3] == kiw && s8.s[6] &&
                   d8.s[3] == kow && d8.s[6] && kow % lanes != 0;
        const char *env = getenv("WINSUM_DEPTHWISE_FLAT");
        if (env && (*env == '0' || *env == '1')) flat = flat && *env == '1';
        int nb = (kow + lanes - 1) / lanes;
        /* flat: an item a run of V vectors of the plane; else a row */
        const int64_t nvec = ((int64_t)koh * kow + lanes - 1) / lanes;
        const int v = nvec < 16 ? (int)nvec : 16;
        /* rows: a run of r rows an item, up to 64 vectors (as
         * dw_bwd_nchw's) */
        int r = 64 / nb;
        if (r < 1) r = 1;
        if (r > koh) r = koh;
        /* pairs: two output rows a vector (see depthwise.cl) */
        const int pairs = !flat && !bwd && sw == 2 && kow <= lanes / 2 && s8.s[6] && d8.s[6];
        geo = (ws_int16){{(ws_int)g->n, (ws_int)g->c, kih, kiw, koh, kow, sh, dh, dwd, pph, ppw, nb,
                          bwd, flat, flat ? v : r, pairs}};
        if ((st = dw_kernel(ctx, name, opts, &k))) return st;
        g0 = flat ? (size_t)((nvec + v - 1) / v) : (size_t)((koh + r - 1) / r);
        g1 = (size_t)g->n * (size_t)g->c;
        vpi = (size_t)(flat ? v : nb * r);
        if (flat) name = "dw_fwd_nchw (flat)";
        if (pairs) name = "dw_fwd_nchw (pairs)";
    } else {
        name = "dw_bwd_nchw";
        /* x the output gradient, y the input gradient: the forward's names */
        int nb = (iw + lanes * sw - 1) / (lanes * sw);
        /* an item a run of r rows of up to 64 vectors: one row an item
         * cost about 140 cycles an item on 14-pixel rows (the weights,
         * the phases' set-up, PoCL's per-item loop); runs of 32 vectors
         * (work-groups of 2 items) measured slower than 16 or 64 */
        int r = 64 / (nb * sw);
        if (r < 1) r = 1;
        if (r > ih) r = ih;
        /* pairs: two rows' phases a vector (see depthwise.cl) */
        const int pairs = sw == 2 && iw <= lanes && s8.s[6] && d8.s[6];
        geo = (ws_int16){
            {(ws_int)g->n, (ws_int)g->c, ih, iw, oh, ow, sh, dh, dwd, ph, pw, nb, 0, 0, r, pairs}};
        if ((st = dw_kernel(ctx, name, opts, &k))) return st;
        nobias = 1;
        if (pairs) name = "dw_bwd_nchw (pairs)";
        g0 = (size_t)((ih + r - 1) / r);
        g1 = (size_t)g->n * (size_t)g->c;
        vpi = (size_t)(nb * sw * r);
    }
    const ws_arg args[] = {
        WS_MEM(sm),       WS_VAL(s8), WS_MEM(wm), WS_VAL(wst), WS_MEM(bm), WS_VAL(bs2),
        WS_VAL(has_bias), WS_MEM(dm), WS_VAL(d8), WS_VAL(geo), aa,         ab};
    const ws_arg args_nobias[] = {WS_MEM(sm), WS_VAL(s8),  WS_MEM(wm), WS_VAL(wst), WS_MEM(dm),
                                  WS_VAL(d8), WS_VAL(geo), aa,         ab};
    if (ctx->verbose) {
        snprintf(line, sizeof line, "depthwise{%s %zux%zu}", name, g0, g1);
        ws_trace_plan(ctx, line);
    }
    return nobias ? launch(ctx, k, args_nobias, NARGS(args_nobias), g0, g1, vpi, name, 1)
                  : launch(ctx, k, args, NARGS(args), g0, g1, vpi, name, 1);
}

const ws_conv_impl ws_conv_impl_depthwise = {"depthwise", dw_declines, dw_run};
