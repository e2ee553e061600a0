/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * pointwise.cl - the backward-weight of a 1x1 convolution whose pixels are
 * contiguous (host/conv/impl_pointwise.c): per group a GEMM whose K axis
 * (the batch's pixels) is contiguous in both operands,
 *
 *   dw[g][o][c] = sum over n, p of dy[n][g][o][p] * x[n][g][c][p]
 *
 * (p the flattened pixels of one image, P of them). Both operands are read
 * in place: no copy, no layout change.
 *
 * pw_weight   one work-item owns MR output channels x NR input channels of
 *             one group and one slice of the flattened K = N * P axis, and
 *             keeps MR * NR vector accumulators along K: per step of LANES
 *             pixels it loads MR vectors of dy and NR of x and does MR * NR
 *             FMAs (no broadcasts). An image's last partial step loads the
 *             LANES pixels that end the image and zeroes the dy lanes
 *             already counted (so P >= LANES). Channels past the group's
 *             end read the last valid one and are not stored. At the end
 *             each accumulator is summed across its lanes into
 *             part[s][g][o][c]. The items of one slice are consecutive,
 *             in tiles of TO o blocks x TC c blocks (c fastest), so that a
 *             tile's rows of dy and x stay in the cache while its items
 *             read them again.
 *             With one slice it writes w = alpha * sum + beta * w itself.
 * pw_pack     where the pixels are not contiguous (stride, NHWC, strided
 *             views) or an image's pixels end in a partial vector (14x14,
 *             7x7), x and dy are first copied into [g][c][k] with the
 *             batch's pixels k contiguous and zero up to a whole vector:
 *             one K of N * P pixels without image ends (the copy is cheap
 *             beside the GEMM where the channels are many).
 * pw_finish   w = alpha * (the slices' parts, summed in order) + beta * w
 *             (w not read when beta is 0; float16 rounded once), one
 *             work-item an element: deterministic, no atomics.
 *
 * geo = (N, G, Cg, Og, P, NOB, NCB, SL (pixels a slice, a multiple of
 * LANES), NSL (slices), TO, TC); xs = (offset, n, g, c) strides of x (the pixels at
 * stride 1), ys likewise for dy.
 */
#ifndef MR
#define MR 4
#endif
#ifndef NR
#define NR 6
#endif
#ifdef WS_FP64
#define LANES 8
#define VEC   double8
#define IVEC  long8
#define LANE  ((long8)(0, 1, 2, 3, 4, 5, 6, 7))
#else
#define LANES 16
#define VEC   float16
#define IVEC  int16
#define LANE  ((int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
#endif
#if defined(WS_FP16)
#define VLD(p) vload_half16(0, (p))
#elif defined(WS_FP64)
#define VLD(p) vload8(0, (p))
#else
#define VLD(p) vload16(0, (p))
#endif

static REAL hsum(VEC v)
{
#ifdef WS_FP64
    const double4 a = v.lo + v.hi;
    const double2 c = a.lo + a.hi;
#else
    const float8 b = v.lo + v.hi;
    const float4 a = b.lo + b.hi;
    const float2 c = a.lo + a.hi;
#endif
    return c.x + c.y;
}

__kernel void pw_weight(__global const ELEM *x, long4 xs, __global const ELEM *y, long4 ys,
                        __global REAL *part, long pofs, __global ELEM *w, long4 ws, int16 geo,
                        REAL alpha, REAL beta)
{
    const int N = geo.s0, G = geo.s1, Cg = geo.s2, Og = geo.s3, P = geo.s4;
    const int NOB = geo.s5, NCB = geo.s6, SL = geo.s7, NSL = geo.s8, TO = geo.s9, TC = geo.sa;
    const int NTO = (NOB + TO - 1) / TO, NTC = (NCB + TC - 1) / TC;
    int item = (int)get_global_id(0);
    const int s = (int)get_global_id(1);
    if (item >= G * NTO * NTC * TO * TC || s >= NSL) return;
    /* a tile of TO o blocks x TC c blocks (c fastest), tiles c fastest */
    const int cbi = item % TC, obi = (item / TC) % TO;
    item /= TO * TC;
    const int tc = item % NTC, to = (item / NTC) % NTO, g = item / NTC / NTO;
    const int ob = to * TO + obi, cb = tc * TC + cbi;
    if (ob >= NOB || cb >= NCB) return;
    const int o0 = ob * MR, c0 = cb * NR;

    /* row offsets (image 0) of the block's channels, clamped to the group */
    long yo[MR], xo[NR];
#pragma unroll
    for (int i = 0; i < MR; i++) yo[i] = ys.s0 + g * ys.s2 + min(o0 + i, Og - 1) * ys.s3;
#pragma unroll
    for (int j = 0; j < NR; j++) xo[j] = xs.s0 + g * xs.s2 + min(c0 + j, Cg - 1) * xs.s3;

    VEC acc[MR][NR];
#pragma unroll
    for (int i = 0; i < MR; i++)
#pragma unroll
        for (int j = 0; j < NR; j++) acc[i][j] = (VEC)0;

    const long K = (long)N * P, k1 = min(K, (long)(s + 1) * SL);
    long k = (long)s * SL;
    while (k < k1) {
        const int n = (int)(k / P), p0 = (int)(k - (long)n * P);
        const int pe = (int)min((long)P, k1 - (long)n * P);
        const long yn = n * ys.s1, xn = n * xs.s1;
        int p = p0;
        for (; p + LANES <= pe; p += LANES) {
            VEC dv[MR];
#pragma unroll
            for (int i = 0; i < MR; i++) dv[i] = VLD(y + yn + yo[i] + p);
#pragma unroll
            for (int j = 0; j < NR; j++) {
                const VEC xv = VLD(x + xn + xo[j] + p);
#pragma unroll
                for (int i = 0; i < MR; i++) acc[i][j] = fma(xv, dv[i], acc[i][j]);
            }
        }
        if (p < pe) {
            /* the LANES pixels ending at pe; the first LANES - (pe - p) were counted */
            const IVEC keep = LANE >= (IVEC)(LANES - (pe - p));
            const int q = pe - LANES;
            VEC dv[MR];
#pragma unroll
            for (int i = 0; i < MR; i++) dv[i] = select((VEC)0, VLD(y + yn + yo[i] + q), keep);
#pragma unroll
            for (int j = 0; j < NR; j++) {
                const VEC xv = VLD(x + xn + xo[j] + q);
#pragma unroll
                for (int i = 0; i < MR; i++) acc[i][j] = fma(xv, dv[i], acc[i][j]);
            }
        }
        k = (long)n * P + pe;
    }

    if (NSL == 1) {
        /* one slice: w = alpha * sum + beta * w here, no finish */
        const long wb = ws.s0 + g * ws.s1 + o0 * ws.s2 + c0 * ws.s3;
#pragma unroll
        for (int i = 0; i < MR; i++)
#pragma unroll
            for (int j = 0; j < NR; j++)
                if (o0 + i < Og && c0 + j < Cg) {
                    const long wi = wb + i * ws.s2 + j * ws.s3;
                    REAL v = alpha * hsum(acc[i][j]);
                    if (beta != (REAL)0) v += beta * LD(w, wi);
                    ST(w, wi, v);
                }
        return;
    }
    __global REAL *out = part + pofs + (((long)s * G + g) * Og + o0) * Cg + c0;
#pragma unroll
    for (int i = 0; i < MR; i++)
#pragma unroll
        for (int j = 0; j < NR; j++)
            if (o0 + i < Og && c0 + j < Cg) out[(long)i * Cg + j] = hsum(acc[i][j]);
}

/* One element copied as it is (float16: its 16 bits, not through float and
 * back, which vstore_half_rte makes slow), and a zero. */
#ifdef WS_FP16
#define COPY(d, di, s, si) (((__global ushort *)(d))[di] = ((__global const ushort *)(s))[si])
#define ZERO(d, di)        (((__global ushort *)(d))[di] = 0)
#else
#define COPY(d, di, s, si) ((d)[di] = (s)[si])
#define ZERO(d, di)        ((d)[di] = 0)
#endif

/* dst[g][c][k] (k = (n, od, oh, ow) flattened, KP of them, zero from
 * N * OD * OH * OW on) from src's pixels at stride S: one work-item an
 * image n (dimension 0) of one (g, c) (dimension 1). ss = (offset, n, g,
 * c, d, h, w) strides of src; geo = (N, G, C, OD, OH, OW, SD, SH, SW, KP). */
__kernel void pw_pack(__global const ELEM *src, long8 ss, __global ELEM *dst, long dofs, int16 geo)
{
    const int N = geo.s0, G = geo.s1, C = geo.s2, OD = geo.s3, OH = geo.s4, OW = geo.s5;
    const int SD = geo.s6, SH = geo.s7, SW = geo.s8, KP = geo.s9;
    const int n = (int)get_global_id(0), gc = (int)get_global_id(1);
    if (n >= N || gc >= G * C) return;
    const int g = gc / C, c = gc % C;
    const long P = (long)OD * OH * OW;
    __global ELEM *d = dst + dofs + (long)gc * KP + n * P;
    const long b = ss.s0 + n * ss.s1 + g * ss.s2 + c * ss.s3, sw = SW * ss.s6;
    for (int od = 0; od < OD; od++)
        for (int oh = 0; oh < OH; oh++) {
            const long r = b + (long)od * SD * ss.s4 + (long)oh * SH * ss.s5;
            __global ELEM *q = d + ((long)od * OH + oh) * OW;
            for (int ow = 0; ow < OW; ow++) COPY(q, ow, src, r + ow * sw);
        }
    if (n == N - 1)
        for (long k = (long)N * P; k < KP; k++) ZERO(dst + dofs + (long)gc * KP, k);
}

/* w[g][o][c] = alpha * sum over s of part[s][g][o][c] + beta * w; ws =
 * (offset, g, o, c) strides of w. */
__kernel void pw_finish(__global const REAL *part, long pofs, __global ELEM *w, long4 ws, int G,
                        int Og, int Cg, int NSL, REAL alpha, REAL beta)
{
    const long e = get_global_id(0), ne = (long)G * Og * Cg;
    if (e >= ne) return;
    const int c = (int)(e % Cg), o = (int)((e / Cg) % Og), g = (int)(e / Cg / Og);
    part += pofs;
    REAL sum = 0;
    for (int s = 0; s < NSL; s++) sum += part[s * ne + e];
    const long wi = ws.s0 + g * ws.s1 + o * ws.s2 + c * ws.s3;
    REAL v = alpha * sum;
    if (beta != (REAL)0) v += beta * LD(w, wi);
    ST(w, wi, v);
}

/*
 * Forward and backward-data (host/conv/impl_pointwise.c, pw_gemm_run): per
 * image and group the GEMM out[m][p] = sum over k of A[m][k] * in[k][p],
 * the pixels p contiguous in `in` and `out`: forward A = w[o][c] (m = o,
 * k = c), in = x, out = y; backward-data A = w[o][c] transposed (m = c,
 * k = o), in = dy, out = dx.
 *
 * pw_pack_a   A into [g][m block][k][MR] (REAL), so that a step's MR
 *             broadcasts are adjacent.
 * pw_gemm     one work-item owns MR rows m x NV vectors of pixels of one
 *             image and group: per k it loads NV vectors of `in` and
 *             broadcasts MR elements of A into MR * NV accumulators. Rows
 *             past M read the last row and are not stored. In place (out
 *             of ELEM) it writes out = alpha * (sum + bias) + beta * out
 *             (out not read when beta is 0), also when `in` was copied
 *             into one image of the batch's pixels (PIMG > 0: out's image
 *             n at n * os.s1, a vector across an image's end stored lane
 *             by lane); with PACKED_OUT it writes the sums into a
 *             [g][m][p] scratch of REAL for pw_unpack.
 * pw_unpack   out = alpha * (packed + bias) + beta * out at every element
 *             of out (positions between the strided ones of a backward-data
 *             get alpha * 0), one work-item a row (n, g, m).
 *
 * geo = (N, G, M, K, P, NMB, NPB (pixel blocks an image), HAS_BIAS, PIMG
 * (out's pixels an image when `in` was copied, else 0), NK (out's pixels in
 * all)); is =
 * (offset, n, g, k) strides of in, as = (offset, g, m, k) of A (pw_pack_a), os =
 * (offset, n, g, m) of out, bs = (offset, stride) of the bias, indexed by
 * g * M + m.
 */
#ifndef NV
#define NV 4
#endif
#if defined(WS_FP16)
#define VST(v, p) vstore_half16_rte((v), 0, (p))
#elif defined(WS_FP64)
#define VST(v, p) vstore8((v), 0, (p))
#else
#define VST(v, p) vstore16((v), 0, (p))
#endif
#ifdef WS_FP64
#define VSTORE(v, p) vstore8((v), 0, (p))
#else
#define VSTORE(v, p) vstore16((v), 0, (p))
#endif
#ifdef PACKED_OUT
#define OUTT REAL
#else
#define OUTT ELEM
#endif

/* ap[g][mb][k][MR] = A[g][mb * MR + i][k] (rows past M: the last row), so
 * that pw_gemm's MR broadcasts a step are adjacent: one work-item a (g, m). */
__kernel void pw_pack_a(__global const ELEM *a, long4 as, __global REAL *ap, int G, int M, int K,
                        int NMB)
{
    const int gm = (int)get_global_id(0);
    if (gm >= G * NMB * MR) return;
    const int g = gm / (NMB * MR), m = gm % (NMB * MR), mb = m / MR, i = m % MR;
    const long src = as.s0 + g * as.s1 + min(m, M - 1) * as.s2;
    __global REAL *d = ap + ((long)g * NMB + mb) * K * MR + i;
    for (int k = 0; k < K; k++) d[(long)k * MR] = LD(a, src + k * as.s3);
}

__kernel void pw_gemm(__global const ELEM *in, long4 is, __global const REAL *apk,
                      __global OUTT *out, long4 os, __global const ELEM *bias, long2 bs, int16 geo,
                      REAL alpha, REAL beta)
{
    const int N = geo.s0, G = geo.s1, M = geo.s2, K = geo.s3;
    const int NMB = geo.s5, NPB = geo.s6, HAS_BIAS = geo.s7;
    const int mb = (int)get_global_id(0), pb = (int)get_global_id(1), ng = (int)get_global_id(2);
    if (mb >= NMB || pb >= NPB || ng >= N * G) return;
    const int n = ng / G, g = ng % G, m0 = mb * MR, p0 = pb * NV * LANES;
    __global const REAL *ap = apk + ((long)g * NMB + mb) * K * MR;
    __global const ELEM *ip = in + is.s0 + n * is.s1 + g * is.s2 + p0;
    VEC acc[MR][NV];
#pragma unroll
    for (int i = 0; i < MR; i++)
#pragma unroll
        for (int v = 0; v < NV; v++) acc[i][v] = (VEC)0;
    for (int k = 0; k < K; k++) {
        VEC xv[NV];
#pragma unroll
        for (int v = 0; v < NV; v++) xv[v] = VLD(ip + (long)k * is.s3 + v * LANES);
#pragma unroll
        for (int i = 0; i < MR; i++) {
            const VEC wv = (VEC)ap[k * MR + i];
#pragma unroll
            for (int v = 0; v < NV; v++) acc[i][v] = fma(wv, xv[v], acc[i][v]);
        }
    }
#ifdef PACKED_OUT
    const long ob = os.s0 + n * os.s1 + g * os.s2 + p0;
#pragma unroll
    for (int i = 0; i < MR; i++) {
        if (m0 + i >= M) break;
        __global OUTT *q = out + ob + (m0 + i) * os.s3;
#pragma unroll
        for (int v = 0; v < NV; v++) VSTORE(acc[i][v], q + v * LANES);
    }
#else
    /* PIMG: the pixels are the batch's (n, p) flattened (in copied), PIMG
     * an image of out and NK in all; a vector that crosses an image's end
     * is stored lane by lane */
    const int PIMG = geo.s8, NK = geo.s9;
#pragma unroll
    for (int i = 0; i < MR; i++) {
        if (m0 + i >= M) break;
        const REAL bv = HAS_BIAS ? LD(bias, bs.s0 + (g * (long)M + m0 + i) * bs.s1) : (REAL)0;
        const long rb = os.s0 + g * os.s2 + (m0 + i) * os.s3;
#pragma unroll
        for (int v = 0; v < NV; v++) {
            const VEC r = alpha * (acc[i][v] + bv);
            const int k0 = p0 + v * LANES, n0 = PIMG ? k0 / PIMG : n,
                      pp = k0 - (PIMG ? n0 * PIMG : 0);
            if (PIMG && k0 >= NK) break; /* the copy's padding */
            if (!PIMG || pp + LANES <= PIMG) {
                __global OUTT *q = out + rb + n0 * os.s1 + pp;
                VST(beta != (REAL)0 ? r + beta * VLD(q) : r, q);
            } else {
                REAL t[LANES];
                VSTORE(r, t);
                for (int l = 0; l < LANES && k0 + l < NK; l++) {
                    const int nn = (k0 + l) / PIMG;
                    const long wi = rb + nn * os.s1 + (k0 + l - nn * PIMG);
                    ST(out, wi, beta != (REAL)0 ? t[l] + beta * LD(out, wi) : t[l]);
                }
            }
        }
    }
#endif
}

/* geo = (N, G, M, ID, IH, IW (out's spatial sizes), SD, SH, SW, OD, OH, OW
 * (the packed pixels' sizes), KP, HAS_BIAS); os = (offset, n, g, m, d, h,
 * w) strides of out; packed[g][m][n * OD * OH * OW + pixel] at pofs. */
__kernel void pw_unpack(__global ELEM *out, long8 os, __global const REAL *packed, long pofs,
                        __global const ELEM *bias, long2 bs, int16 geo, REAL alpha, REAL beta)
{
    const int N = geo.s0, G = geo.s1, M = geo.s2, ID = geo.s3, IH = geo.s4, IW = geo.s5;
    const int SD = geo.s6, SH = geo.s7, SW = geo.s8, OD = geo.s9, OH = geo.sa, OW = geo.sb;
    const int KP = geo.sc, HAS_BIAS = geo.sd;
    const int n = (int)get_global_id(0), gm = (int)get_global_id(1);
    if (n >= N || gm >= G * M) return;
    const int g = gm / M, m = gm % M;
    const REAL bv = HAS_BIAS ? LD(bias, bs.s0 + (long)gm * bs.s1) : (REAL)0;
    __global const REAL *src = packed + pofs + (long)gm * KP + (long)n * OD * OH * OW;
    const long b = os.s0 + n * os.s1 + g * os.s2 + m * os.s3;
    for (int id = 0; id < ID; id++)
        for (int ih = 0; ih < IH; ih++) {
            const long r = b + id * os.s4 + ih * os.s5;
            if (id % SD || ih % SH || id / SD >= OD || ih / SH >= OH) {
                /* a row no pixel of the packed sums reaches */
                for (int iw = 0; iw < IW; iw++) {
                    const long wi = r + iw * os.s6;
                    ST(out, wi, beta != (REAL)0 ? beta * LD(out, wi) : (REAL)0);
                }
                continue;
            }
            __global const REAL *sr = src + ((long)(id / SD) * OH + ih / SH) * OW;
            if (SW == 1) {
                for (int iw = 0; iw < OW; iw++) {
                    const long wi = r + iw * os.s6;
                    REAL v = alpha * (sr[iw] + bv);
                    if (beta != (REAL)0) v += beta * LD(out, wi);
                    ST(out, wi, v);
                }
                for (int iw = OW; iw < IW; iw++) {
                    const long wi = r + iw * os.s6;
                    ST(out, wi, beta != (REAL)0 ? beta * LD(out, wi) : (REAL)0);
                }
                continue;
            }
            /* a strided row: pixel q of the sums at iw = q * SW, zeros between */
            for (int iw = 0, q = 0, ph = 0; iw < IW; iw++) {
                const long wi = r + iw * os.s6;
                REAL v = ph == 0 && q < OW ? alpha * (sr[q] + bv) : (REAL)0;
                if (beta != (REAL)0) v += beta * LD(out, wi);
                ST(out, wi, v);
                if (++ph == SW) ph = 0, q++;
            }
        }
}
