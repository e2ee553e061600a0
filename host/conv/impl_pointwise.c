/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * impl_pointwise.c - the pointwise (1x1) implementation
 * (kernels/pointwise.cl), all three directions.
 *
 * Backward-weight: a 1x1 convolution without padding is per group the
 * GEMM dw[o][c] = sum over (n, p) of dy[n][o][p] * x[n][c][p * stride],
 * and where the pixels are contiguous (NCHW and the like) its K axis is
 * contiguous in both operands. So one work-item keeps MR x NR vector
 * accumulators along K and loads whole vectors of both operands in place
 * (no copy of dy, no broadcasts, which is what the direct backward-weight
 * spends its time on for 1x1), summing one slice of K into parts that a
 * second kernel adds in order (deterministic, no atomics) before alpha and
 * beta (with one slice the main kernel writes w). Where the pixels are not
 * contiguous (a stride, NHWC, strided views) or an image's pixels end in a
 * partial vector and are few (14x14, 7x7), x and dy are first copied into
 * [g][c][k] with the batch's pixels k contiguous (pw_pack); the copy is
 * cheap beside the GEMM when the channels are many.
 *
 * Forward and backward-data (pw_gemm_run): per image and group the GEMM
 * out[m][p] = sum over k of A[m][k] * in[k][p] with vectors along the
 * pixels and A (the weight, transposed for backward-data, reordered by
 * pw_pack_a) broadcast; in place where the pixels are contiguous and an
 * image is a whole number of 64-pixel blocks, else with `in` copied into
 * one axis of the batch's pixels (pw_pack; the forward's x read at its
 * stride) and out written by pw_gemm (a vector across an image's end lane
 * by lane) or, at a backward-data's stride or with out's pixels apart, by
 * pw_unpack (with the zeros between a strided backward-data's pixels).
 *
 * 1-, 2- and 3-D, groups; float16 (float sums), float32, float64; alpha,
 * beta, the forward's bias. Declines (the next in the list takes it): a
 * kernel wider than 1, padding, a bias on
 * backward-data, the reference backend, and unforced the shapes where it
 * was not measured faster (prefer(), prefer_gemm()).
 */
#include "impl.h"
#include "backend.h"
#include "trace.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int lanes_of(winsum_dtype dt) { return dt == WINSUM_F64 ? 8 : 16; }

/* The register block: MR output channels x NR input channels (MR + NR
 * vector loads for MR * NR FMAs a step; MR * NR + MR + 1 vector registers
 * of the 32). WINSUM_POINTWISE_BLOCK=MR,NR fixes it (tuning). */
typedef struct pblock {
    int mr, nr;
} pblock;

static pblock choose_block(void)
{
    const char *env = getenv("WINSUM_POINTWISE_BLOCK");
    int m = 0, n = 0;
    if (env && sscanf(env, "%d,%d", &m, &n) == 2 && m >= 1 && n >= 1 && m * n <= 28)
        return (pblock){m, n};
    return (pblock){4, 6};
}

/* An environment variable's integer in [1, 2^30], or 0 (unset, bad). */
static long env_int(const char *name)
{
    const char *env = getenv(name);
    long v = env ? strtol(env, NULL, 10) : 0;
    return v >= 1 && v <= (1L << 30) ? v : 0;
}

/* The L2 cache's share the rows a tile reads may take, in bytes */
#define TILE_BYTES (1024 * 1024)

/* Pixels a slice: all the rows of a slice (Og + Cg of them) within
 * TILE_BYTES when that leaves at least 1024 pixels, else 1024 and tiles
 * of the o and c blocks (pw_tiles); WINSUM_POINTWISE_SLICE overrides
 * (tests, tuning). */
static int64_t slice_pixels(const geom *g, size_t real)
{
    long v = env_int("WINSUM_POINTWISE_SLICE");
    if (v) return v;
    int64_t sl = (int64_t)(TILE_BYTES / real) / (g->og + g->cg);
    return sl < 1024 ? 1024 : sl;
}

/* The tile (o blocks x c blocks) whose rows of a slice of sl pixels fit
 * in TILE_BYTES, half dy's rows and half x's; WINSUM_POINTWISE_TILE=TO,TC
 * overrides. */
static void pw_tiles(pblock b, int64_t sl, size_t real, int64_t *to, int64_t *tc)
{
    const char *env = getenv("WINSUM_POINTWISE_TILE");
    long a = 0, c = 0;
    if (env && sscanf(env, "%ld,%ld", &a, &c) == 2 && a >= 1 && c >= 1 && a <= (1L << 20) &&
        c <= (1L << 20)) {
        *to = a, *tc = c;
        return;
    }
    const int64_t rows = (int64_t)(TILE_BYTES / real) / sl;
    *to = rows / 2 / b.mr, *tc = rows / 2 / b.nr;
    if (*to < 1) *to = 1;
    if (*tc < 1) *tc = 1;
}

/* The pixels of a canonical (N, G, C, spatial...) view are contiguous:
 * the last spatial stride 1, each other the product of the sizes after it. */
static int pixels_contiguous(const winsum_view *v, int ns)
{
    int64_t want = 1;
    for (int i = ns - 1; i >= 0; i--) {
        if (v->shape[3 + i] != 1 && v->strides[3 + i] != want) return 0;
        want *= v->shape[3 + i];
    }
    return 1;
}

/* Backward-weight: where it was measured faster than what would run
 * otherwise (the direct backward-weight for float32 with 64 filters a
 * group or more, else einsum; notes of the pointwise round): at least 16
 * channels a group in and out (the register block's width; fewer were not
 * measured), except
 * - float32 where the direct backward-weight takes the layer (64 filters
 *   or more), 96 channels a group or more and contiguous pixels: since its
 *   copy of dy and its finish transpose in registers (2026-12-02, 15:30)
 *   direct measured 0.43-0.89x pointwise's time on such ResNet-50 and
 *   MobileNetV2 layers (96 to 2048 channels, 7x7 to 28x28, stride 1 and
 *   2); with 64 channels on 56x56 a tie or slower (1.00x, 1.11x) and with
 *   16 pointwise 1.6x faster, so it keeps those;
 * - pixels not contiguous (NHWC): the transposing copy made it slower than
 *   direct on 56x56 images, faster only with 256 channels or more on
 *   images under 14x14;
 * - float16 where x and dy would be copied: einsum measured 2x faster
 *   (in place, float16 measured 1.5-1.8x einsum).
 * float64 measured 1.5x einsum in place, a tie copied. */
static int prefer(const ws_conv_problem *p)
{
    const geom *g = &p->g;
    const winsum_dtype dt = p->w->dtype;
    int64_t npix = 1;
    int strided = 0;
    for (int i = 0; i < g->ns; i++) npix *= g->out[i], strided |= g->s[i] != 1;
    if (g->og < 16 || g->cg < 16) return 0;
    const winsum_view xc = ws_conv_canon(p->desc, g, p->x, g->g),
                      yc = ws_conv_canon(p->desc, g, p->y, g->g);
    const int contiguous = pixels_contiguous(&xc, g->ns) && pixels_contiguous(&yc, g->ns);
    if (dt == WINSUM_F32 && g->og >= 64 && g->cg >= 96 && contiguous) return 0;
    const int lanes = lanes_of(dt), tail = npix % lanes && npix < 32 * lanes;
    if (dt == WINSUM_F16) return contiguous && !strided && !tail;
    return contiguous || (g->cg >= 256 && npix < 196);
}

/* WINSUM_POINTWISE_PACK (tests, tuning). Backward-weight: 1 copies both
 * operands always; 0 only where it must (stride, pixels not contiguous);
 * unset also where an image's pixels end in a partial vector and are few.
 * Forward and backward-data: 1 goes through the copies always. */
static int pack_env(void)
{
    const char *env = getenv("WINSUM_POINTWISE_PACK");
    return env && *env == '1' ? 1 : env && *env == '0' ? 0 : -1;
}

/* Forward and backward-data: whether pw_gemm_run copies `in` (and writes
 * out through pw_unpack): at a stride, with pixels apart, or where an
 * image is not a whole number of pixel blocks (NV = 4 vectors). */
static int gemm_packed(const ws_conv_problem *p, int64_t *npix, int *strided)
{
    const geom *g = &p->g;
    const int fwd = p->dir == WS_CONV_FORWARD, pbw = 4 * lanes_of(p->w->dtype);
    *npix = 1, *strided = 0;
    for (int i = 0; i < g->ns; i++) *npix *= g->out[i], *strided |= g->s[i] != 1;
    const winsum_view inv = ws_conv_canon(p->desc, g, fwd ? p->x : p->y, g->g),
                      outv = ws_conv_canon(p->desc, g, fwd ? p->y : p->x, g->g);
    return pack_env() == 1 || *strided || *npix % pbw || !pixels_contiguous(&inv, g->ns) ||
           !pixels_contiguous(&outv, g->ns);
}

/* Forward and backward-data: where it was measured faster than the einsum
 * path (notes of the pointwise round):
 * - in place (images a whole number of pixel blocks, 56x56 in ResNet-50)
 *   with 128 channels or more on either side: 64 -> 64 measured a tie;
 *   float16 and float64 1.5-1.9x einsum;
 * - float32, the forward with x copied (images ending in a partial block,
 *   or a stride) summing 1024 channels a group or more: einsum measured
 *   faster with fewer (float16/64 not measured); at stride 2, ResNet-50's
 *   projections (2026-12-02, CPU time per call, alternating, load 4):
 *   1024 -> 2048 on 14x14 a tie (0.88-1.03x einsum's), 2048 -> 1024 0.48x,
 *   256 -> 512 and 512 -> 1024 1.2-1.3x;
 * - the strided backward-data (its zeros written by pw_unpack) onto output
 *   gradient images of 196 pixels (14x14) or more (float16 and float64
 *   too): einsum measured faster onto 7x7, and on the copied stride-1
 *   backward-data. */
static int prefer_gemm(const ws_conv_problem *p)
{
    int64_t npix;
    int strided;
    const int packed = gemm_packed(p, &npix, &strided);
    const geom *g = &p->g;
    if (!packed) return g->og >= 128 || g->cg >= 128;
    const int fwd = p->dir == WS_CONV_FORWARD;
    const winsum_view inv = ws_conv_canon(p->desc, g, fwd ? p->x : p->y, g->g),
                      outv = ws_conv_canon(p->desc, g, fwd ? p->y : p->x, g->g);
    if (!pixels_contiguous(&inv, g->ns) || !pixels_contiguous(&outv, g->ns)) return 0;
    return fwd ? p->w->dtype == WINSUM_F32 && g->cg >= 1024 : strided && npix >= 196;
}

static const char *pw_declines(winsum_context *ctx, const ws_conv_problem *p, int forced, char *why,
                               size_t len)
{
    const geom *g = &p->g;
    if (!ctx->be->kernels) return "a backend without kernels (the reference)";
    if (p->dir == WS_CONV_BACKWARD_DATA && p->bias) return "a bias on backward-data";
    if (p->w->dtype == WINSUM_F64 && !ctx->has_fp64) return "no float64 on the device";
    const char *no = ws_conv_plain_views(p);
    if (!no) no = ws_conv_direct_limits(g, why, len);
    if (no) return no;
    int64_t npix = 1;
    for (int i = 0; i < g->ns; i++) {
        if (g->k[i] != 1) return "a kernel wider than 1 (not pointwise)";
        if (g->lo[i] != 0 || g->hi[i] != 0) return "padding (dy's border pixels read zeros)";
        npix *= g->out[i];
    }
    if (npix > INT_MAX / 4 || g->n > INT_MAX / 4 / npix)
        return "more than 2^29 pixels in the batch";
    if (g->g * g->og * g->cg > INT_MAX / 2) return "a weight over 2^30 elements";
    if (p->dir != WS_CONV_BACKWARD_WEIGHT) {
        if (!forced && !prefer_gemm(p)) return "measured slower than einsum on this shape";
        return NULL;
    }
    if (!forced && !prefer(p)) return "measured slower than direct on this shape";
    return NULL;
}

/* The 3-D (D, H, W) strides and sizes of a canonical view's spatial axes,
 * the missing leading ones of size 1. */
static void sp3(const geom *g, const winsum_view *v, int64_t st[3], int64_t out[3], int64_t s[3])
{
    for (int i = 0; i < 3; i++) {
        int j = i - (3 - g->ns);
        st[i] = j < 0 ? 0 : v->strides[3 + j];
        out[i] = j < 0 ? 1 : g->out[j];
        s[i] = j < 0 ? 1 : g->s[j];
    }
}

/* Packs one operand (canonical view v, C channels a group, stride s along
 * its pixels) into dst at dofs elements: [g][c][k], KP pixels a row. */
static winsum_status pw_pack(winsum_context *ctx, ws_kernel kp, const geom *g, const winsum_view *v,
                             int64_t c, int unit_stride, ws_mem dst, int64_t dofs, int64_t kp_len)
{
    int64_t st[3], out[3], s[3];
    sp3(g, v, st, out, s);
    if (unit_stride) s[0] = s[1] = s[2] = 1;
    ws_long8 ss = {
        {v->offset, v->strides[0], v->strides[1], v->strides[2], st[0], st[1], st[2], 0}};
    ws_int16 geo = {{(ws_int)g->n, (ws_int)g->g, (ws_int)c, (ws_int)out[0], (ws_int)out[1],
                     (ws_int)out[2], (ws_int)s[0], (ws_int)s[1], (ws_int)s[2], (ws_int)kp_len, 0, 0,
                     0, 0, 0, 0}};
    ws_long DO = (ws_long)dofs;
    ws_mem src = ws_buffer_mem(v->buffer);
    size_t gl[2] = {(size_t)g->n, (size_t)(g->g * c)}, lo[2] = {1, 1};
    const ws_arg a[] = {WS_MEM(src), WS_VAL(ss), WS_MEM(dst), WS_VAL(DO), WS_VAL(geo)};
    const ws_launch l = {.kernel = kp,
                         .name = "pw_pack",
                         .what = "conv pointwise",
                         WS_ARGS(a),
                         .dims = 2,
                         .global = gl,
                         .local = lo};
    return ws_launch_kernel(ctx, &l);
}

/* Forward and backward-data: out[n][g][m][p] = sum over k of A[g][m][k] *
 * in[n][g][k][p] (pw_gemm). In place where both operands' pixels are
 * contiguous, the stride is 1 and an image is a whole number of pixel
 * blocks (NV vectors: 56x56); else `in` is copied into [g][k][pixels of the
 * batch] (pw_pack) and pw_gemm writes out itself where out's pixels are
 * plain, or (a stride, out's pixels apart) the sums go to a [g][m][pixels]
 * scratch and pw_unpack writes out (and the zeros between a strided
 * backward-data's pixels). */
static winsum_status pw_gemm_run(winsum_context *ctx, const ws_conv_problem *p)
{
    const geom *g = &p->g;
    const winsum_dtype dt = p->w->dtype;
    const int f64 = dt == WINSUM_F64, lanes = lanes_of(dt), fwd = p->dir == WS_CONV_FORWARD;
    const size_t real = f64 ? sizeof(double) : sizeof(float), elem = dt == WINSUM_F16 ? 2 : real;
    const int mr = 6, nv = 4, pbw = nv * lanes;
    /* in, out and A in canonical terms */
    const winsum_view inv = ws_conv_canon(p->desc, g, fwd ? p->x : p->y, g->g),
                      outv = ws_conv_canon(p->desc, g, fwd ? p->y : p->x, g->g),
                      wc = ws_conv_canon_w(g, p->w);
    const int64_t M = fwd ? g->og : g->cg, K = fwd ? g->cg : g->og;
    int64_t npix;
    int strided;
    const int packed = gemm_packed(p, &npix, &strided);
    /* copied `in`, but out written by pw_gemm itself (no pw_unpack): out's
     * pixels contiguous and no stride */
    const int unpack = packed && ((strided && !fwd) || !pixels_contiguous(&outv, g->ns));
    const int64_t KP = packed ? (g->n * npix + pbw - 1) / pbw * pbw : npix;
    const int64_t nmb = (M + mr - 1) / mr, npb = KP / pbw;
    int64_t nin = 0, nout = 0;
    const int64_t lim = (int64_t)(SIZE_MAX / 16 / real);
    if ((packed && ws_mul_ovf(g->g * K, KP, &nin)) || (unpack && ws_mul_ovf(g->g * M, KP, &nout)))
        nin = nout = lim + 1;
    if (nin > lim || nout > lim || KP > INT_MAX || nmb > INT_MAX || g->n * g->g > INT_MAX)
        return ws_fail(&ctx->err, WINSUM_ERR_OVERFLOW, "%s: the pointwise scratch overflows",
                       p->who);
    /* scratch (bytes): A packed (REAL) at 0, in packed (ELEM) at ib, the
     * packed sums (REAL) at ob, each on a 128-byte boundary */
    const int64_t na = g->g * nmb * mr * K;
    if (na > lim)
        return ws_fail(&ctx->err, WINSUM_ERR_OVERFLOW, "%s: the pointwise scratch overflows",
                       p->who);
    const int64_t ib = (int64_t)ws_round_up((size_t)na * real, 128),
                  ob = ib + (int64_t)ws_round_up((size_t)nin * elem, 128);
    ws_mem scr = NULL;
    winsum_status st =
        ws_conv_scratch(ctx, "conv pointwise scratch", (size_t)(ob + nout * (int64_t)real), &scr);
    if (st) return st;
    char opts[96];
    snprintf(opts, sizeof opts, "-DMR=%d -DNV=%d%s%s", mr, nv, unpack ? " -DPACKED_OUT" : "",
             f64                ? " -DWS_FP64"
             : dt == WINSUM_F16 ? " -DWS_FP16"
                                : "");
    ws_kernel km, kp, ku, ka;
    if ((st = ws_kernel_get(ctx, "pointwise.cl", "pw_gemm", opts, &km)) ||
        (st = ws_kernel_get(ctx, "pointwise.cl", "pw_pack_a", opts, &ka)) ||
        (packed && (st = ws_kernel_get(ctx, "pointwise.cl", "pw_pack", opts, &kp))) ||
        (unpack && (st = ws_kernel_get(ctx, "pointwise.cl", "pw_unpack", opts, &ku))))
        return st;
    if (ctx->verbose) {
        char line[128];
        snprintf(line, sizeof line, "pointwise{gemm mr%d nv%d blocks %lldx%lldx%lld%s}", mr, nv,
                 (long long)nmb, (long long)npb, (long long)(packed ? g->g : g->n * g->g),
                 unpack   ? " copied in and out"
                 : packed ? " copied in"
                          : "");
        ws_trace_plan(ctx, line);
    }
    /* only the scratch is written before the last kernel */
    /* A[g][m][k]: w[g][o][c] forward, transposed backward-data */
    ws_long4 as4 = {{wc.offset, wc.strides[0], fwd ? wc.strides[1] : wc.strides[2],
                     fwd ? wc.strides[2] : wc.strides[1]}};
    {
        ws_mem wm = ws_buffer_mem(p->w->buffer);
        ws_int G = (ws_int)g->g, MM = (ws_int)M, KK = (ws_int)K, NMB = (ws_int)nmb;
        size_t agl[1] = {(size_t)(g->g * nmb * mr)}, alo[1] = {1};
        const ws_arg aa[] = {WS_MEM(wm), WS_VAL(as4), WS_MEM(scr), WS_VAL(G),
                             WS_VAL(MM), WS_VAL(KK),  WS_VAL(NMB)};
        const ws_launch la = {.kernel = ka,
                              .name = "pw_pack_a",
                              .what = "conv pointwise",
                              WS_ARGS(aa),
                              .dims = 1,
                              .global = agl,
                              .local = alo};
        if ((st = ws_launch_kernel(ctx, &la))) return st;
    }
    /* the forward's x is read at the stride, dy at unit stride */
    if (packed && (st = pw_pack(ctx, kp, g, &inv, K, !fwd, scr, ib / (int64_t)elem, KP))) return st;
    ws_mem inm = packed ? scr : ws_buffer_mem(inv.buffer), outm = ws_buffer_mem(outv.buffer),
           bm = p->bias ? ws_buffer_mem(p->bias->buffer) : outm;
    ws_long4 is4 = {{inv.offset, inv.strides[0], inv.strides[1], inv.strides[2]}};
    if (packed) is4 = (ws_long4){{ib / (int64_t)elem, 0, K * KP, KP}};
    ws_long4 os4 = {{outv.offset, outv.strides[0], outv.strides[1], outv.strides[2]}};
    if (unpack) os4 = (ws_long4){{ob / (int64_t)real, 0, M * KP, KP}};
    ws_long2 bs2 = {{p->bias ? p->bias->offset : 0, p->bias ? p->bias->strides[0] : 0}};
    const ws_int HB = p->bias != NULL;
    ws_int16 geo = {{packed ? 1 : (ws_int)g->n, (ws_int)g->g, (ws_int)M, (ws_int)K, (ws_int)KP,
                     (ws_int)nmb, (ws_int)npb, HB, packed && !unpack ? (ws_int)npix : 0,
                     (ws_int)(g->n * npix), 0, 0, 0, 0, 0, 0}};
    float alf = (float)p->alpha, bef = (float)p->beta;
    double ald = p->alpha, bed = p->beta;
    size_t gl[3] = {(size_t)nmb, (size_t)npb, (size_t)(packed ? g->g : g->n * g->g)},
           lo[3] = {1, 1, 1};
    const ws_arg ma[] = {WS_MEM(inm),
                         WS_VAL(is4),
                         WS_MEM(scr),
                         WS_MEM(unpack ? scr : outm),
                         WS_VAL(os4),
                         WS_MEM(bm),
                         WS_VAL(bs2),
                         WS_VAL(geo),
                         f64 ? WS_VAL(ald) : WS_VAL(alf),
                         f64 ? WS_VAL(bed) : WS_VAL(bef)};
    const ws_launch lm = {.kernel = km,
                          .name = "pw_gemm",
                          .what = "conv pointwise",
                          WS_ARGS(ma),
                          .dims = 3,
                          .global = gl,
                          .local = lo,
                          .record = !unpack};
    if ((st = ws_launch_kernel(ctx, &lm)) || !unpack) return st;
    /* out's spatial sizes and strides, and the packed pixels' sizes */
    int64_t ost[3], osz[3], ss[3], psz[3];
    sp3(g, &outv, ost, psz, ss);
    for (int i = 0; i < 3; i++) {
        int j = i - (3 - g->ns);
        osz[i] = j < 0 ? 1 : fwd ? g->out[j] : g->in[j];
        if (fwd) ss[i] = 1;
    }
    ws_long8 os8 = {{outv.offset, outv.strides[0], outv.strides[1], outv.strides[2], ost[0], ost[1],
                     ost[2], 0}};
    ws_int16 ug = {{(ws_int)g->n, (ws_int)g->g, (ws_int)M, (ws_int)osz[0], (ws_int)osz[1],
                    (ws_int)osz[2], (ws_int)ss[0], (ws_int)ss[1], (ws_int)ss[2], (ws_int)psz[0],
                    (ws_int)psz[1], (ws_int)psz[2], (ws_int)KP, HB, 0, 0}};
    ws_long PO = (ws_long)(ob / (int64_t)real);
    size_t ugl[2] = {(size_t)g->n, (size_t)(g->g * M)}, ulo[2] = {1, 1};
    const ws_arg ua[] = {WS_MEM(outm),
                         WS_VAL(os8),
                         WS_MEM(scr),
                         WS_VAL(PO),
                         WS_MEM(bm),
                         WS_VAL(bs2),
                         WS_VAL(ug),
                         f64 ? WS_VAL(ald) : WS_VAL(alf),
                         f64 ? WS_VAL(bed) : WS_VAL(bef)};
    const ws_launch lu = {.kernel = ku,
                          .name = "pw_unpack",
                          .what = "conv pointwise",
                          WS_ARGS(ua),
                          .dims = 2,
                          .global = ugl,
                          .local = ulo,
                          .record = 1};
    return ws_launch_kernel(ctx, &lu);
}

static winsum_status pw_run(winsum_context *ctx, const ws_conv_problem *p)
{
    if (p->dir != WS_CONV_BACKWARD_WEIGHT) return pw_gemm_run(ctx, p);
    const geom *g = &p->g;
    const winsum_dtype dt = p->w->dtype;
    const int f64 = dt == WINSUM_F64, lanes = lanes_of(dt);
    const size_t real = f64 ? sizeof(double) : sizeof(float), elem = dt == WINSUM_F16 ? 2 : real;
    const winsum_view xc = ws_conv_canon(p->desc, g, p->x, g->g), wc = ws_conv_canon_w(g, p->w),
                      yc = ws_conv_canon(p->desc, g, p->y, g->g);
    const pblock b = choose_block();
    int64_t npix = 1;
    int strided = 0;
    for (int i = 0; i < g->ns; i++) npix *= g->out[i], strided |= g->s[i] != 1;
    /* which operands are copied into [g][c][k]: x at a stride or with
     * its pixels apart, dy with its pixels apart; both where an image's
     * pixels end in a partial vector and are few (under 32 vectors: the
     * masked last step of each image costs more than the copy) or fewer
     * than a vector; the kernel then sees one image of KP pixels */
    const int penv = pack_env();
    const int tail = penv == 1 || (npix % lanes && (penv == -1 ? npix < 32 * lanes : npix < lanes));
    const int packx = tail || strided || !pixels_contiguous(&xc, g->ns),
              packy = tail || !pixels_contiguous(&yc, g->ns);
    const int64_t K = g->n * npix, KP = tail ? (K + lanes - 1) / lanes * lanes : K;
    const int64_t nob = (g->og + b.mr - 1) / b.mr, ncb = (g->cg + b.nr - 1) / b.nr,
                  items = g->g * nob * ncb;
    /* slices: about slice_pixels() each, a multiple of the vector, and
     * enough of them that every compute unit gets several work-items */
    int64_t sl = slice_pixels(g, real);
    const int64_t want = 8 * (int64_t)ctx->compute_units;
    if (items * ((KP + sl - 1) / sl) < want)
        sl = (KP + (want + items - 1) / items - 1) / ((want + items - 1) / items);
    if (sl > KP) sl = KP;
    /* slices of even length, a multiple of the vector */
    int64_t nsl = (KP + sl - 1) / sl;
    sl = ((KP + nsl - 1) / nsl + lanes - 1) / lanes * lanes;
    nsl = (KP + sl - 1) / sl;
    int64_t to, tc;
    pw_tiles(b, sl, real, &to, &tc);
    if (to > nob) to = nob;
    if (tc > ncb) tc = ncb;
    const int64_t tiled = g->g * ((nob + to - 1) / to) * ((ncb + tc - 1) / tc) * to * tc;
    /* scratch (bytes): packed x, packed dy, then the parts (only with
     * more than one slice), each on a 128-byte boundary */
    int64_t nx = 0, ny = 0, npart = 0;
    const int64_t lim = (int64_t)(SIZE_MAX / 16 / real);
    if ((packx && ws_mul_ovf(g->g * g->cg, KP, &nx)) ||
        (packy && ws_mul_ovf(g->g * g->og, KP, &ny)) ||
        (nsl > 1 && ws_mul_ovf(nsl, g->g * g->og * g->cg, &npart)) || nx > lim || ny > lim ||
        npart > lim || tiled > INT_MAX || nsl > INT_MAX || sl > INT_MAX || KP > INT_MAX)
        return ws_fail(&ctx->err, WINSUM_ERR_OVERFLOW, "%s: the pointwise scratch overflows",
                       p->who);
    const int64_t yb = (int64_t)ws_round_up((size_t)nx * elem, 128),
                  pb = yb + (int64_t)ws_round_up((size_t)ny * elem, 128);
    ws_mem scr = NULL;
    winsum_status st = WINSUM_OK;
    if (pb + npart > 0 && (st = ws_conv_scratch(ctx, "conv pointwise scratch",
                                                (size_t)(pb + npart * (int64_t)real), &scr)))
        return st;

    char opts[64];
    snprintf(opts, sizeof opts, "-DMR=%d -DNR=%d%s", b.mr, b.nr,
             f64                ? " -DWS_FP64"
             : dt == WINSUM_F16 ? " -DWS_FP16"
                                : "");
    ws_kernel km, kf, kp;
    if ((st = ws_kernel_get(ctx, "pointwise.cl", "pw_weight", opts, &km)) ||
        (nsl > 1 && (st = ws_kernel_get(ctx, "pointwise.cl", "pw_finish", opts, &kf))) ||
        ((packx || packy) && (st = ws_kernel_get(ctx, "pointwise.cl", "pw_pack", opts, &kp))))
        return st;
    /* only the scratch is written before the last kernel: a failed
     * launch leaves w untouched */
    if (packx && (st = pw_pack(ctx, kp, g, &xc, g->cg, 0, scr, 0, KP))) return st;
    if (packy && (st = pw_pack(ctx, kp, g, &yc, g->og, 1, scr, yb / (int64_t)elem, KP))) return st;
    ws_mem xm = packx ? scr : ws_buffer_mem(p->x->buffer),
           ym = packy ? scr : ws_buffer_mem(p->y->buffer), wm = ws_buffer_mem(p->w->buffer);
    /* a packed operand: [g][c][k], image n at n * P (or one image of KP) */
    const int64_t P = tail ? KP : npix;
    ws_long4 xs4 = {{xc.offset, xc.strides[0], xc.strides[1], xc.strides[2]}};
    ws_long4 ys4 = {{yc.offset, yc.strides[0], yc.strides[1], yc.strides[2]}};
    if (packx) xs4 = (ws_long4){{0, P, g->cg * KP, KP}};
    if (packy) ys4 = (ws_long4){{yb / (int64_t)elem, P, g->og * KP, KP}};
    ws_long4 ws4 = {{wc.offset, wc.strides[0], wc.strides[1], wc.strides[2]}};
    ws_long PO = (ws_long)(pb / (int64_t)real);
    ws_int G = (ws_int)g->g, Og = (ws_int)g->og, Cg = (ws_int)g->cg, NSL = (ws_int)nsl;
    ws_int16 geo = {{tail ? 1 : (ws_int)g->n, G, Cg, Og, (ws_int)P, (ws_int)nob, (ws_int)ncb,
                     (ws_int)sl, NSL, (ws_int)to, (ws_int)tc, 0, 0, 0, 0, 0}};
    float alf = (float)p->alpha, bef = (float)p->beta;
    double ald = p->alpha, bed = p->beta;
    if (ctx->verbose) {
        char line[256];
        snprintf(line, sizeof line,
                 "pointwise{mr%d nr%d items %lldx%lld slice %lld tile %lldx%lld pack %s}", b.mr,
                 b.nr, (long long)items, (long long)nsl, (long long)sl, (long long)to,
                 (long long)tc,
                 packx && packy ? "x dy"
                 : packx        ? "x"
                 : packy        ? "dy"
                                : "none");
        ws_trace_plan(ctx, line);
    }
    /* CPU-like devices run a group's items one after another: one item a
     * group keeps the slice's items in order across the compute units */
    const size_t wg = ctx->cpu_like ? 1 : 64;
    size_t ml[2] = {wg < ctx->max_wg ? wg : ctx->max_wg, 1};
    size_t mg[2] = {ws_round_up((size_t)tiled, ml[0]), (size_t)nsl};
    /* the parts live in the scratch; with one slice there are none (the
     * kernel writes w), and any buffer stands in for the argument */
    ws_mem partm = scr ? scr : wm;
    const ws_arg ma[] = {WS_MEM(xm),
                         WS_VAL(xs4),
                         WS_MEM(ym),
                         WS_VAL(ys4),
                         WS_MEM(partm),
                         WS_VAL(PO),
                         WS_MEM(wm),
                         WS_VAL(ws4),
                         WS_VAL(geo),
                         f64 ? WS_VAL(ald) : WS_VAL(alf),
                         f64 ? WS_VAL(bed) : WS_VAL(bef)};
    const ws_launch lm = {.kernel = km,
                          .name = "pw_weight",
                          .what = "conv pointwise",
                          WS_ARGS(ma),
                          .dims = 2,
                          .global = mg,
                          .local = ml,
                          .record = nsl == 1};
    if ((st = ws_launch_kernel(ctx, &lm)) || nsl == 1) return st;
    const size_t ne = (size_t)(g->g * g->og * g->cg);
    size_t fl[1] = {ctx->max_wg < 64 ? ctx->max_wg : 64};
    size_t fg[1] = {ws_round_up(ne, fl[0])};
    const ws_arg fa[] = {WS_MEM(scr),
                         WS_VAL(PO),
                         WS_MEM(wm),
                         WS_VAL(ws4),
                         WS_VAL(G),
                         WS_VAL(Og),
                         WS_VAL(Cg),
                         WS_VAL(NSL),
                         f64 ? WS_VAL(ald) : WS_VAL(alf),
                         f64 ? WS_VAL(bed) : WS_VAL(bef)};
    const ws_launch lf = {.kernel = kf,
                          .name = "pw_finish",
                          .what = "conv pointwise",
                          WS_ARGS(fa),
                          .dims = 1,
                          .global = fg,
                          .local = fl,
                          .record = 1};
    return ws_launch_kernel(ctx, &lf);
}

const ws_conv_impl ws_conv_impl_pointwise = {"pointwise", pw_declines, pw_run};
