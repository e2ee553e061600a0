/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * impl_direct_weight.c - the direct backward-weight implementation
 * (kernels/direct_weight.cl): the rows (n, od, oh) a chunk at a time, each
 * chunk's dy copied into a layout with BW output channels contiguous (at
 * most 512 KiB: it stays in the L2 cache), x read in place through its
 * strides (any layout, padding by loop bounds and a border test, no padded
 * copy), one register block of BW output channels x CB input channels x
 * KWB taps along w per work-item, summed over a slice of the chunk's rows
 * into parts that later chunks add to in order; a last kernel sums the
 * parts and applies alpha and beta. 1-, 2- and 3-D, any stride, dilation,
 * padding and groups; float16 (float sums), float32, float64. Named
 * "direct" like the forward implementation: WINSUM_CONV_IMPL=direct picks
 * it for backward-weight.
 *
 * Unforced it takes only the shapes where it was measured faster than the
 * einsum path (see prefer()).
 */
#include "impl.h"
#include "backend.h"
#include "trace.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The geometry in the kernel's terms: three spatial axes (D, H, W), the
 * missing leading ones of size 1. */
typedef struct wgeom {
    int64_t in[3], out[3], k[3], s[3], d[3], lo[3];
    int64_t xs[3], ys[3], ws[3];
} wgeom;

static void to_3d(const geom *g, const winsum_view *xc, const winsum_view *wc,
                  const winsum_view *yc, wgeom *d)
{
    for (int i = 0; i < 3; i++) {
        int j = i - (3 - g->ns);
        d->in[i] = j < 0 ? 1 : g->in[j];
        d->out[i] = j < 0 ? 1 : g->out[j];
        d->k[i] = j < 0 ? 1 : g->k[j];
        d->s[i] = j < 0 ? 1 : g->s[j];
        d->d[i] = j < 0 ? 1 : g->d[j];
        d->lo[i] = j < 0 ? 0 : g->lo[j];
        d->xs[i] = j < 0 ? 0 : xc->strides[3 + j];
        d->ys[i] = j < 0 ? 0 : yc->strides[3 + j];
        d->ws[i] = j < 0 ? 0 : wc->strides[3 + j];
    }
}

/* A 1x1 window at stride 1 without padding over rows that follow each other
 * in both x and dy: the rows (and then the planes) become one row of their
 * pixels, so that dw_main's per-row set-up is spread over H * W pixels,
 * not W (1x1 512->2048@7: 0.96x the time of rows kept, median of 5
 * alternating pairs at load 6: a small gain).
 * WINSUM_DIRECT_WEIGHT_MERGE=off keeps the rows (for measuring). */
static void merge_rows(wgeom *d)
{
    const char *env = getenv("WINSUM_DIRECT_WEIGHT_MERGE");
    if (env && !strcmp(env, "off")) return;
    for (int j = 1; j >= 0; j--) {
        int ok = 1;
        for (int i = j; i < 3; i++)
            ok &= d->k[i] == 1 && d->s[i] == 1 && d->lo[i] == 0 && d->in[i] == d->out[i];
        for (int i = j + 1; i < 2; i++) ok &= d->out[i] == 1;
        if (!ok || d->xs[j] != d->in[2] * d->xs[2] || d->ys[j] != d->out[2] * d->ys[2]) return;
        d->in[2] *= d->in[j], d->out[2] *= d->out[j];
        d->in[j] = d->out[j] = 1, d->xs[j] = d->ys[j] = 0;
    }
}

static int lanes_of(winsum_dtype dt) { return dt == WINSUM_F64 ? 8 : 16; }

/* The register block: OCB vectors of output channels x CB input channels x
 * KWB taps along w. Chosen from a fixed menu (each entry is a program to
 * build: a menu keeps their number small, at most 8 a dtype, where a
 * block fitted to every shape built one per channel count and kernel
 * width) by a count of the work per pixel over all work-items: FMAs and
 * loads (each a vector instruction; the larger bounds the time), the
 * blocks past the channels' and taps' ends included as waste. */
typedef struct wblock {
    int ocb, cb, kwb;
} wblock;

static const wblock menu[] = {{1, 16, 1}, {2, 8, 1}, {4, 4, 1}, {1, 8, 3},
                              {2, 4, 3},  {4, 2, 3}, {1, 2, 7}, {2, 1, 7}};

static wblock choose_block(winsum_dtype dt, int64_t og, int64_t cg, int64_t kw)
{
    /* WINSUM_DIRECT_WEIGHT_BLOCK=OCB,CB,KWB: a fixed block, for tuning */
    const char *env = getenv("WINSUM_DIRECT_WEIGHT_BLOCK");
    int o = 0, c = 0, k = 0;
    if (env && sscanf(env, "%d,%d,%d", &o, &c, &k) == 3 && o >= 1 && o <= 4 && c >= 1 && k >= 1 &&
        o * c * k <= 32)
        return (wblock){o, c, k};
    int lanes = lanes_of(dt);
    double best = 0;
    wblock b = menu[0];
    for (size_t i = 0; i < sizeof menu / sizeof menu[0]; i++) {
        const wblock m = menu[i];
        double items = (double)((og + m.ocb * lanes - 1) / (m.ocb * lanes)) *
                       (double)((cg + m.cb - 1) / m.cb) * (double)((kw + m.kwb - 1) / m.kwb);
        double fmas = m.ocb * m.cb * m.kwb, loads = m.ocb + m.cb * m.kwb;
        double cost = items * ((fmas > loads ? fmas : loads) + 0.25 * loads + 2);
        if (i == 0 || cost < best) best = cost, b = m;
    }
    return b;
}

/* Where it was measured faster than the einsum path (docs/performance.md,
 * "Measurements behind the code's choices"): float32 with at least 64
 * filters a group. Not measured: float16, float64, fewer filters; those
 * stay on the einsum path unless forced. */
static int prefer(const ws_conv_problem *p) { return p->w->dtype == WINSUM_F32 && p->g.og >= 64; }

static const char *dw_declines(winsum_context *ctx, const ws_conv_problem *p, int forced, char *why,
                               size_t len)
{
    const geom *g = &p->g;
    if (!ctx->be->kernels) return "a backend without kernels (the reference)";
    if (p->dir != WS_CONV_BACKWARD_WEIGHT) return "backward-weight only";
    if (p->w->dtype == WINSUM_F64 && !ctx->has_fp64) return "no float64 on the device";
    const char *no = ws_conv_plain_views(p);
    if (!no) no = ws_conv_direct_limits(g, why, len);
    if (no) return no;
    int64_t taps = 1;
    for (int i = 0; i < g->ns; i++) taps *= g->k[i];
    if (taps > INT_MAX / 64 || g->g * g->og * g->cg > INT_MAX / 64 / taps)
        return "a weight over 2^25 elements";
    if (!forced && !prefer(p)) return "measured slower than einsum on this shape";
    return NULL;
}

/* Terms (pixels) a slice sums per work-item: its rows of dy and x stay in
 * the L2 cache while the work-items of the slice read them; the slices'
 * parts are summed once at the end. WINSUM_DIRECT_WEIGHT_SLICE overrides. */
static int64_t slice_terms(void)
{
    const char *env = getenv("WINSUM_DIRECT_WEIGHT_SLICE");
    long v = env ? strtol(env, NULL, 10) : 0;
    return v >= 1 && v <= (1L << 30) ? v : 2048;
}

/* The most bytes of dy copied at once (one chunk of rows): 512 KiB, or
 * WINSUM_DIRECT_WEIGHT_CHUNK (for tests and tuning). */
static int64_t dyt_bytes(void)
{
    const char *env = getenv("WINSUM_DIRECT_WEIGHT_CHUNK");
    long v = env ? strtol(env, NULL, 10) : 0;
    return v >= 1 && v <= (1L << 30) ? v : 512 * 1024;
}

static winsum_status dw_run(winsum_context *ctx, const ws_conv_problem *p)
{
    const geom *g = &p->g;
    const winsum_dtype dt = p->w->dtype;
    const int f64 = dt == WINSUM_F64;
    const size_t real = f64 ? sizeof(double) : sizeof(float);
    winsum_view xc = ws_conv_canon(p->desc, g, p->x, g->g), wc = ws_conv_canon_w(g, p->w),
                yc = ws_conv_canon(p->desc, g, p->y, g->g);
    wgeom d;
    to_3d(g, &xc, &wc, &yc, &d);
    merge_rows(&d);
    const wblock b = choose_block(dt, g->og, g->cg, d.k[2]);
    const int bw = b.ocb * lanes_of(dt);
    const int64_t nob = (g->og + bw - 1) / bw, ncb = (g->cg + b.cb - 1) / b.cb,
                  nkwc = (d.k[2] + b.kwb - 1) / b.kwb;
    const int64_t taps = d.k[0] * d.k[1] * d.k[2], osp = d.out[0] * d.out[1] * d.out[2],
                  nr = g->n * d.out[0] * d.out[1];
    const int64_t base_items = g->g * nob * ncb * d.k[0] * d.k[1] * nkwc;
    /* rows a slice: about slice_terms() pixels, and enough slices that
     * every compute unit gets several work-items */
    int64_t rps = slice_terms() / d.out[2];
    if (rps < 1) rps = 1;
    int64_t want = 4 * (int64_t)ctx->compute_units;
    if (base_items * ((nr + rps - 1) / rps) < want) {
        int64_t ns = (want + base_items - 1) / base_items;
        rps = (nr + ns - 1) / ns;
        if (rps < 1) rps = 1;
    }
    /* dy is copied a chunk of rows at a time, at most dyt_bytes() (and at
     * least one row), the chunk summed by its slices into parts that the
     * next chunk adds to (in order: deterministic); scratch stays small */
    const int64_t row_bytes = d.out[2] * g->g * nob * bw * (int64_t)real;
    int64_t rmax = dyt_bytes() / row_bytes;
    if (rmax < 1) rmax = 1;
    if (rps > rmax) rps = rmax;
    int64_t nsl = rmax / rps; /* slices a chunk */
    if (nsl > (nr + rps - 1) / rps) nsl = (nr + rps - 1) / rps;
    const int64_t crows = nsl * rps, nchunk = (nr + crows - 1) / crows;
    /* scratch: dyt (G * NOB * crows * OW * BW) then the parts (nsl * G *
     * NOB * Cg * taps * BW), in reals */
    int64_t nyt, npart;
    const int64_t lim = (int64_t)(SIZE_MAX / 8 / real);
    if (ws_mul_ovf(crows * g->g * nob, d.out[2], &nyt) || ws_mul_ovf(nyt, bw, &nyt) ||
        ws_mul_ovf(nsl, g->g * nob, &npart) || ws_mul_ovf(npart, g->cg * taps, &npart) ||
        ws_mul_ovf(npart, bw, &npart) || nyt > lim || npart > lim || nyt > INT_MAX / 2 ||
        nr > INT_MAX / 2 || base_items > INT_MAX || osp > INT_MAX / 2 || g->g * nob > INT_MAX ||
        npart / nsl > INT_MAX / 2)
        return ws_fail(&ctx->err, WINSUM_ERR_OVERFLOW, "%s: the direct scratch overflows", p->who);
    ws_mem scr;
    /* the parts start on a 128-byte boundary, pofs reals in */
    const int64_t pofs = (int64_t)ws_round_up((size_t)nyt, 128 / real);
    winsum_status st =
        ws_conv_scratch(ctx, "conv direct scratch", (size_t)(pofs + npart) * real, &scr);
    if (st) return st;
    ws_long PO = (ws_long)pofs;

    char opts[96];
    snprintf(opts, sizeof opts, "-DOCB=%d -DCB=%d -DKWB=%d%s", b.ocb, b.cb, b.kwb,
             f64                ? " -DWS_FP64"
             : dt == WINSUM_F16 ? " -DWS_FP16"
                                : "");
    /* the pack: float32 on a CPU-like device transposes 16 x 16 tiles in
     * registers (dw_pack_dy_t; 3x3 64@56: 0.1 ms a chunk with dw_pack_dy,
     * a fifth of the call); otherwise one work-item a lane (dw_pack_dy).
     * WINSUM_DIRECT_WEIGHT_PACK=lanes forces the latter (for measuring). */
    const char *penv = getenv("WINSUM_DIRECT_WEIGHT_PACK");
    const int tpack = dt == WINSUM_F32 && ctx->cpu_like && !(penv && !strcmp(penv, "lanes"));
    /* the finish: float32 on a CPU-like device with w's (c, taps) one run
     * for each (g, o) sums 16 x 16 blocks and transposes them (dw_finish_t;
     * 1x1 512->2048@7: dw_finish took 5.3 of 10.4 ms) */
    const int tfin = tpack && (g->cg == 1 || wc.strides[2] == taps) &&
                     (d.k[2] == 1 || d.ws[2] == 1) && (d.k[1] == 1 || d.ws[1] == d.k[2]) &&
                     (d.k[0] == 1 || d.ws[0] == d.k[1] * d.k[2]);
    ws_kernel kp, km, kf;
    if ((st = ws_kernel_get(ctx, "direct_weight.cl", tpack ? "dw_pack_dy_t" : "dw_pack_dy", opts,
                            &kp)) ||
        (st = ws_kernel_get(ctx, "direct_weight.cl", "dw_main", opts, &km)) ||
        (st =
             ws_kernel_get(ctx, "direct_weight.cl", tfin ? "dw_finish_t" : "dw_finish", opts, &kf)))
        return st;

    ws_mem xm = ws_buffer_mem(p->x->buffer), ym = ws_buffer_mem(p->y->buffer),
           wm = ws_buffer_mem(p->w->buffer);
    ws_int G = (ws_int)g->g, Og = (ws_int)g->og, Cg = (ws_int)g->cg, NOB = (ws_int)nob,
           OD = (ws_int)d.out[0], OH = (ws_int)d.out[1], OW = (ws_int)d.out[2], KD = (ws_int)d.k[0],
           KH = (ws_int)d.k[1], KW = (ws_int)d.k[2], NS = (ws_int)nsl;
    ws_long8 ys8 = {
        {yc.offset, yc.strides[0], yc.strides[1], yc.strides[2], d.ys[0], d.ys[1], d.ys[2], 0}};
    ws_long8 xs8 = {
        {xc.offset, xc.strides[0], xc.strides[1], xc.strides[2], d.xs[0], d.xs[1], d.xs[2], 0}};
    ws_int16 geo = {{(ws_int)g->n, G, Cg, Og, (ws_int)d.in[0], (ws_int)d.in[1], (ws_int)d.in[2], OD,
                     OH, OW, KD, KH, KW, NOB, (ws_int)ncb, (ws_int)nkwc}};
    ws_int16 cv = {{(ws_int)d.s[0], (ws_int)d.s[1], (ws_int)d.s[2], (ws_int)d.d[0], (ws_int)d.d[1],
                    (ws_int)d.d[2], (ws_int)d.lo[0], (ws_int)d.lo[1], (ws_int)d.lo[2], (ws_int)rps,
                    0, 0, 0, 0, 0, 0}};
    ws_long8 ws8 = {
        {wc.offset, wc.strides[0], wc.strides[1], wc.strides[2], d.ws[0], d.ws[1], d.ws[2], 0}};
    float alf = (float)p->alpha, bef = (float)p->beta;
    double ald = p->alpha, bed = p->beta;

    /* the pack: a work-group the BW lanes of SPB = 256 pixels; the main
     * kernel: CPU-like devices (PoCL runs a group's items one after
     * another) one item a group, others 64; the finish: BW */
    const size_t wg1 = ctx->cpu_like ? 1 : 64;
    size_t pl[3] = {(size_t)bw, 1, 1};
    if (tpack) pl[0] = 1;
    size_t ml[2] = {wg1 < ctx->max_wg ? wg1 : ctx->max_wg, 1};
    size_t fl[2] = {(size_t)bw, 1};
    size_t fg[2] = {(size_t)bw, (size_t)(g->g * nob * g->cg)};
    if (tfin) {
        fl[0] = 1;
        fg[0] = (size_t)((g->cg * taps + 15) / 16), fg[1] = (size_t)(g->g * nob * b.ocb);
    }
    if (ctx->verbose) {
        char line[160];
        snprintf(line, sizeof line,
                 "direct_weight{ocb%d cb%d kwb%d items %lldx%lld rows %lld chunks %lld}", b.ocb,
                 b.cb, b.kwb, (long long)base_items, (long long)nsl, (long long)rps,
                 (long long)nchunk);
        ws_trace_plan(ctx, line);
    }
    /* chunk by chunk: copy its rows of dy, sum them into the parts (the
     * first chunk writes them, the others add); only the scratch is
     * written before dw_finish, so a failed launch leaves w untouched */
    for (int64_t ch = 0; ch < nchunk; ch++) {
        const int64_t r0 = ch * crows, cr = nr - r0 < crows ? nr - r0 : crows;
        ws_int R0 = (ws_int)r0, CR = (ws_int)cr, ACCUM = ch > 0;
        cv.s[10] = (ws_int)((cr + rps - 1) / rps);
        size_t pg[3] = {(size_t)bw, ((size_t)(cr * d.out[2]) + 255) / 256, (size_t)(g->g * nob)};
        if (tpack) /* a work-item a tile of 16 pixels x every channel of (g, ob) */
            pg[0] = ((size_t)(cr * d.out[2]) + 15) / 16, pg[1] = (size_t)(g->g * nob), pg[2] = 1;
        size_t mg[2] = {ws_round_up((size_t)base_items, ml[0]), (size_t)cv.s[10]};
        const ws_arg pa[] = {WS_MEM(ym), WS_VAL(ys8), WS_MEM(scr), WS_VAL(G),
                             WS_VAL(Og), WS_VAL(NOB), WS_VAL(OD),  WS_VAL(OH),
                             WS_VAL(OW), WS_VAL(R0),  WS_VAL(CR)};
        const ws_arg ma[] = {WS_MEM(xm),  WS_VAL(xs8), WS_MEM(scr), WS_MEM(scr), WS_VAL(PO),
                             WS_VAL(geo), WS_VAL(cv),  WS_VAL(R0),  WS_VAL(CR),  WS_VAL(ACCUM)};
        const ws_launch lp = {.kernel = kp,
                              .name = tpack ? "dw_pack_dy_t" : "dw_pack_dy",
                              .what = "conv direct weight",
                              WS_ARGS(pa),
                              .dims = 3,
                              .global = pg,
                              .local = pl};
        const ws_launch lm = {.kernel = km,
                              .name = "dw_main",
                              .what = "conv direct weight",
                              WS_ARGS(ma),
                              .dims = 2,
                              .global = mg,
                              .local = ml};
        if ((st = ws_launch_kernel(ctx, &lp)) || (st = ws_launch_kernel(ctx, &lm))) return st;
    }
    const ws_arg fa[] = {WS_MEM(scr),
                         WS_VAL(PO),
                         WS_MEM(wm),
                         WS_VAL(ws8),
                         WS_VAL(G),
                         WS_VAL(Og),
                         WS_VAL(Cg),
                         WS_VAL(KD),
                         WS_VAL(KH),
                         WS_VAL(KW),
                         WS_VAL(NOB),
                         WS_VAL(NS),
                         f64 ? WS_VAL(ald) : WS_VAL(alf),
                         f64 ? WS_VAL(bed) : WS_VAL(bef)};
    ws_int TAPS = (ws_int)taps;
    const ws_arg ft[] = {WS_MEM(scr), WS_VAL(PO), WS_MEM(wm),  WS_VAL(ws8),
                         WS_VAL(G),   WS_VAL(Og), WS_VAL(Cg),  WS_VAL(TAPS),
                         WS_VAL(NOB), WS_VAL(NS), WS_VAL(alf), WS_VAL(bef)};
    const ws_launch lf = {.kernel = kf,
                          .name = tfin ? "dw_finish_t" : "dw_finish",
                          .what = "conv direct weight",
                          .args = tfin ? ft : fa,
                          .nargs =
                              (int)(tfin ? sizeof ft / sizeof ft[0] : sizeof fa / sizeof fa[0]),
                          .dims = 2,
                          .global = fg,
                          .local = fl,
                          .record = 1};
    return ws_launch_kernel(ctx, &lf);
}

const ws_conv_impl ws_conv_impl_direct_weight = {"direct", dw_declines, dw_run};
