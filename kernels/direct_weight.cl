/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * direct_weight.cl - direct backward-weight convolution
 * (host/conv/impl_direct_weight.c):
 *
 *   dw[g][o][c][kd][kh][kw] = sum over n, od, oh, ow of
 *       x[n][g][c][od*SD - PD + kd*DD][oh*SH - PH + kh*DH][ow*SW - PW + kw*DW]
 *     * dy[n][g][o][od][oh][ow]
 *
 * The rows (n, od, oh) are taken a chunk at a time (the host's loop; a
 * chunk's copy of dy at most 512 KiB, so it stays in the L2 cache while
 * every work-item of the chunk reads it, and the scratch stays small):
 *
 * dw_pack_dy  copies the chunk's rows of dy into dyt[g][ob][row][ow][BW],
 *             BW = OCB * LANES output channels contiguous, zero past the
 *             group's last channel (the one layout change; dy is read
 *             through its own strides, so NCHW, NHWC or any other).
 * dw_main     one work-item owns a register block of BW output channels x CB
 *             input channels x KWB taps along w, for one (g, ob, channel
 *             block, kd, kh, tap chunk), and sums over one slice of the
 *             chunk's rows x every ow: per pixel it loads OCB vectors of dy
 *             and broadcasts CB * KWB scalars of x (read in place through
 *             its strides: nothing packed, no padded copy) into OCB * CB *
 *             KWB float16 (double8) accumulators. Padding: a row (id, ih)
 *             outside the input is skipped; along w the pixels whose taps
 *             all read inside the row run without tests, the few others
 *             (the borders) test each tap and count zero outside. Channels
 *             and taps past the block's end read the block's first (valid)
 *             one and are not stored. Slice s of a chunk writes its sums to
 *             part[s][g][ob][c][tap][BW] (ACCUM: adds them, for every chunk
 *             after the first; the chunks run in order, so the sums are
 *             deterministic without atomics).
 * dw_finish   sums the slices' parts in order (deterministic: no atomics)
 *             and writes w = alpha * sum + beta * w (w not read when beta is
 *             0), through w's strides, rounding once (float16); one
 *             work-item all the taps of one (g, o, c), so that w's lines
 *             are written whole (one item an element, in the parts' order,
 *             wrote a line per element, many times slower).
 *
 * geo = (N, G, Cg, Og, ID, IH, IW, OD, OH, OW, KD, KH, KW, NOB, NCB, NKWC),
 * cv = (SD, SH, SW, DD, DH, DW, PD, PH, PW, RPS (rows a slice), slices in
 * this chunk, ...), the chunk rows R0 <= row < R0 + CR,
 * xs = (offset, n, g, c, d, h, w) (canonical strides of x), ys likewise.
 */
#ifndef OCB
#define OCB 1
#endif
#ifndef CB
#define CB 1
#endif
#ifndef KWB
#define KWB 1
#endif

/* dyt from dy, the chunk of rows r0 <= (n, od, oh) < r0 + CR: one
 * work-item a lane l (dimension 0) of SPB of the chunk's pixels
 * (dimension 1) of one (g, ob) (dimension 2): it reads one channel's
 * pixels in order (one stream, contiguous in NCHW) and writes one column
 * of the SPB x BW block of dyt[g][ob][row - r0][ow][BW], which the
 * work-group's other lanes fill. */
#define SPB 256
__kernel void dw_pack_dy(__global const ELEM *y, long8 ys, __global REAL *yt, int G, int Og,
                         int NOB, int OD, int OH, int OW, int R0, int CR)
{
    const int cp = CR * OW; /* the chunk's pixels */
    const int l = (int)get_global_id(0), q0 = (int)get_global_id(1) * SPB;
    const int gob = (int)get_global_id(2);
    if (l >= BW || q0 >= cp || gob >= G * NOB) return;
    const int ob = gob % NOB, g = gob / NOB, o = ob * BW + l;
    __global REAL *dst = yt + ((long)gob * cp + q0) * BW + l;
    const int np = min(SPB, cp - q0);
    if (o >= Og) {
        for (int p = 0; p < np; p++) dst[(long)p * BW] = 0;
        return;
    }
    const int r = R0 + q0 / OW;
    int ow = q0 % OW, oh = r % OH, od = (r / OH) % OD, n = r / OH / OD;
    const long base = ys.s0 + g * ys.s2 + o * ys.s3;
    long row = base + n * ys.s1 + od * ys.s4 + oh * ys.s5;
    for (int p = 0; p < np; p++) {
        dst[(long)p * BW] = LD(y, row + ow * ys.s6);
        if (++ow == OW) {
            ow = 0;
            if (++oh == OH) {
                oh = 0;
                if (++od == OD) od = 0, n++;
            }
            row = base + n * ys.s1 + od * ys.s4 + oh * ys.s5;
        }
    }
}

/* dyt from dy, float32 only (the host's choice): one work-item a tile of
 * TP = 16 of the chunk's pixels (dimension 0) of one (g, ob) (dimension
 * 1), all BW channels. Where the tile's 16 pixels are contiguous in dy
 * (NCHW: a row's pixels, or rows that follow each other) it loads 16
 * channels x 16 pixels as 16 vectors, transposes them in registers (four
 * rounds of pair shuffles, each exchanging one bit of the row and column
 * index) and stores 16 vectors of 16 channels: about 0.3 instructions an
 * element, where dw_pack_dy's one-lane-a-work-item loop took about 6
 * cycles. Other tiles (a row's tail, NHWC, other strides) copy element by
 * element, the channels innermost. */
#if !defined(WS_FP16) && !defined(WS_FP64)
#define TP 16
#ifdef __clang__
#define SHUF(u, v, ...) __builtin_shufflevector((u), (v), __VA_ARGS__)
#define TSTEP(S, LO, HI)                                           \
    _Pragma("unroll") for (int i = 0; i < 16; i++) if (!(i & (S))) \
    {                                                              \
        const float16 u = a[i], v = a[i + (S)];                    \
        a[i] = SHUF(u, v, LO);                                     \
        a[i + (S)] = SHUF(u, v, HI);                               \
    }
#define M1L 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30
#define M1H 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31
#define M2L 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29
#define M2H 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31
#define M4L 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27
#define M4H 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31
#define M8L 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23
#define M8H 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31
#endif
__kernel void dw_pack_dy_t(__global const float *y, long8 ys, __global float *yt, int G, int Og,
                           int NOB, int OD, int OH, int OW, int R0, int CR)
{
    const int cp = CR * OW, q0 = (int)get_global_id(0) * TP, gob = (int)get_global_id(1);
    if (q0 >= cp || gob >= G * NOB) return;
    const int ob = gob % NOB, g = gob / NOB, np = min(TP, cp - q0);
    const int r = R0 + q0 / OW;
    int ow = q0 % OW, oh = r % OH, od = (r / OH) % OD, n = r / OH / OD;
    const long base = ys.s0 + g * ys.s2;
    long row = base + n * ys.s1 + od * ys.s4 + oh * ys.s5;
    const long first = row + ow * ys.s6;
    long pofs[TP];
    int contig = np == TP;
    for (int p = 0; p < np; p++) {
        pofs[p] = row + ow * ys.s6;
        if (pofs[p] != first + p) contig = 0;
        if (++ow == OW) {
            ow = 0;
            if (++oh == OH) {
                oh = 0;
                if (++od == OD) od = 0, n++;
            }
            row = base + n * ys.s1 + od * ys.s4 + oh * ys.s5;
        }
    }
    __global float *dst = yt + ((long)gob * cp + q0) * BW;
    for (int j = 0; j < OCB; j++) {
        const int o0 = ob * BW + j * 16;
        if (contig) {
            float16 a[16];
#pragma unroll
            for (int i = 0; i < 16; i++)
                a[i] = o0 + i < Og ? vload16(0, y + first + (o0 + i) * ys.s3) : (float16)0;
#ifdef __clang__
            TSTEP(8, M8L, M8H)
            TSTEP(4, M4L, M4H)
            TSTEP(2, M2L, M2H)
            TSTEP(1, M1L, M1H)
#pragma unroll
            for (int p = 0; p < 16; p++) vstore16(a[p], 0, dst + (long)p * BW + j * 16);
#else
            for (int p = 0; p < 16; p++)
                for (int i = 0; i < 16; i++)
                    dst[(long)p * BW + j * 16 + i] = ((const float *)&a[i])[p];
#endif
        } else {
            for (int p = 0; p < np; p++)
                for (int i = 0; i < 16; i++)
                    dst[(long)p * BW + j * 16 + i] =
                        o0 + i < Og ? y[pofs[p] + (long)(o0 + i) * ys.s3] : 0.0f;
        }
    }
}
#endif

/* One pixel of the register block: dy's OCB vectors at pixel ow, then each
 * (channel, tap) of x at XOFF(c, k) broadcast against them. */
#define PIXEL(XLOAD)                                                       \
    {                                                                      \
        VEC dv[OCB];                                                       \
        _Pragma("unroll") for (int o = 0; o < OCB; o++) dv[o] = dp[o];     \
        _Pragma("unroll") for (int c = 0; c < CB; c++)                     \
            _Pragma("unroll") for (int k = 0; k < KWB; k++)                \
        {                                                                  \
            const VEC xv = (VEC)(XLOAD);                                   \
            _Pragma("unroll") for (int o = 0; o < OCB; o++) acc[c][k][o] = \
                fma(xv, dv[o], acc[c][k][o]);                              \
        }                                                                  \
    }

__kernel void dw_main(__global const ELEM *x, long8 xs, __global const REAL *yt,
                      __global REAL *part, long pofs, int16 geo, int16 cv, int R0, int CR,
                      int ACCUM)
{
    part += pofs;
    const int G = geo.s1, Cg = geo.s2, ID = geo.s4, IH = geo.s5, IW = geo.s6;
    const int OD = geo.s7, OH = geo.s8, OW = geo.s9, KD = geo.sa, KH = geo.sb, KW = geo.sc;
    const int NOB = geo.sd, NCB = geo.se, NKWC = geo.sf;
    const int SD = cv.s0, SH = cv.s1, SW = cv.s2, DD = cv.s3, DH = cv.s4, DW = cv.s5;
    const int PD = cv.s6, PH = cv.s7, PW = cv.s8, RPS = cv.s9, NSLICE = cv.sa;
    const long nr = min((long)geo.s0 * OD * OH, (long)R0 + CR);

    long item = get_global_id(0);
    const int s = (int)get_global_id(1);
    if (item >= (long)G * NOB * NCB * KD * KH * NKWC || s >= NSLICE) return;
    const int kwc = (int)(item % NKWC);
    item /= NKWC;
    const int kh = (int)(item % KH);
    item /= KH;
    const int kd = (int)(item % KD);
    item /= KD;
    const int cb = (int)(item % NCB);
    item /= NCB;
    const int ob = (int)(item % NOB), g = (int)(item / NOB);

    const int c0 = cb * CB, nc = min(CB, Cg - c0);
    const int kw0 = kwc * KWB, nkw = min(KWB, KW - kw0);
    const long xw = xs.s6, sxw = (long)SW * xs.s6;
    /* channel and tap offsets from (c0, iw = ow * SW - PW + kw0 * DW) */
    long cofs[CB], tofs[KWB];
#pragma unroll
    for (int c = 0; c < CB; c++) cofs[c] = (c < nc ? c : 0) * xs.s3;
#pragma unroll
    for (int k = 0; k < KWB; k++) tofs[k] = (long)((k < nkw ? k : 0) * DW) * xw;
    /* the pixels whose taps kw0 .. kw0 + nkw - 1 all read inside the row */
    const int lo0 = PW - kw0 * DW, hi0 = IW - 1 + PW - (kw0 + nkw - 1) * DW;
    int owlo = lo0 <= 0 ? 0 : min(OW, (lo0 + SW - 1) / SW);
    int owhi = hi0 < 0 ? 0 : min(OW, hi0 / SW + 1);
    if (owhi < owlo) owhi = owlo;

    VEC acc[CB][KWB][OCB];
#pragma unroll
    for (int c = 0; c < CB; c++)
#pragma unroll
        for (int k = 0; k < KWB; k++)
#pragma unroll
            for (int o = 0; o < OCB; o++) acc[c][k][o] = (VEC)0;

    const long r0 = R0 + (long)s * RPS, r1 = min(nr, r0 + RPS);
    for (long r = r0; r < r1; r++) {
        const int oh = (int)(r % OH), od = (int)((r / OH) % OD), n = (int)(r / OH / OD);
        const int id = od * SD - PD + kd * DD, ih = oh * SH - PH + kh * DH;
        if (id < 0 || id >= ID || ih < 0 || ih >= IH) continue;
        /* x at (n, g, c0, id, ih, iw = kw0 * DW - PW) */
        const long xrow = xs.s0 + n * xs.s1 + g * xs.s2 + c0 * xs.s3 + id * xs.s4 + ih * xs.s5 +
                          (long)(kw0 * DW - PW) * xw;
        __global const VEC *yrow =
            (__global const VEC *)(yt + (((long)g * NOB + ob) * CR + (r - R0)) * OW * BW);
        /* the borders: each tap tested, zero outside the row */
        for (int ow = 0; ow < OW; ow++) {
            if (ow == owlo) {
                ow = owhi;
                if (ow >= OW) break;
            }
            __global const VEC *dp = yrow + (long)ow * OCB;
            int iwk[KWB];
#pragma unroll
            for (int k = 0; k < KWB; k++) {
                const int iw = ow * SW - PW + (kw0 + (k < nkw ? k : 0)) * DW;
                iwk[k] = iw >= 0 && iw < IW ? iw - (kw0 * DW - PW) : INT_MIN;
            }
            PIXEL(iwk[k] != INT_MIN ? LD(x, xrow + cofs[c] + (long)iwk[k] * xw) : (REAL)0);
        }
        /* the interior */
        for (int ow = owlo; ow < owhi; ow++) {
            __global const VEC *dp = yrow + (long)ow * OCB;
            const long xb = xrow + ow * sxw;
            PIXEL(LD(x, xb + cofs[c] + tofs[k]));
        }
    }

    const int taps = KD * KH * KW, t0 = (kd * KH + kh) * KW + kw0;
    __global REAL *out =
        part + ((((long)s * G + g) * NOB + ob) * Cg + c0) * taps * BW + (long)t0 * BW;
#pragma unroll
    for (int c = 0; c < CB; c++)
#pragma unroll
        for (int k = 0; k < KWB; k++)
            if (c < nc && k < nkw)
#pragma unroll
                for (int o = 0; o < OCB; o++) {
                    __global REAL *q = out + ((long)c * taps + k) * BW + o * LANES;
                    VSTORE_REAL(ACCUM ? acc[c][k][o] + VLOAD_REAL(q) : acc[c][k][o], q);
                }
}

/* w = alpha * (the slices' sums, in order) + beta * w (w not read when
 * beta is 0): one work-item a lane l (dimension 0; a work-group the BW
 * lanes, which read adjacent parts) of one (g, ob, c) (dimension 1), all
 * its taps, so that it writes the taps of w[g][o][c] together (w through
 * ws = (offset, g, o, c, d, h, w)). */
__kernel void dw_finish(__global const REAL *part, long pofs, __global ELEM *w, long8 ws, int G,
                        int Og, int Cg, int KD, int KH, int KW, int NOB, int NSLICE, REAL alpha,
                        REAL beta)
{
    const int taps = KD * KH * KW;
    const int l = (int)get_global_id(0), gobc = (int)get_global_id(1);
    const int c = gobc % Cg, ob = (gobc / Cg) % NOB, g = gobc / Cg / NOB, o = ob * BW + l;
    if (l >= BW || gobc >= G * NOB * Cg || o >= Og) return;
    const long pstride = (long)G * NOB * Cg * taps * BW;
    __global const REAL *p = part + pofs + (long)gobc * taps * BW + l;
    const long wb = ws.s0 + g * ws.s1 + o * ws.s2 + c * ws.s3;
    int kw = 0, kh = 0, kd = 0;
    for (int t = 0; t < taps; t++) {
        REAL sum = 0;
        for (int s = 0; s < NSLICE; s++) sum += p[s * pstride + (long)t * BW];
        const long wi = wb + kd * ws.s4 + kh * ws.s5 + kw * ws.s6;
        REAL v = alpha * sum;
        if (beta != (REAL)0) v += beta * LD(w, wi);
        ST(w, wi, v);
        if (++kw == KW) {
            kw = 0;
            if (++kh == KH) kh = 0, kd++;
        }
    }
}

/* dw_finish for float32 on CPU-like devices where w's (c, kd, kh, kw) are
 * one contiguous run for each (g, o) (OIHW; the host's check): one
 * work-item 16 output channels (dimension 1: (g, ob, vector j)) x 16
 * flat (c, tap) indices f (dimension 0). It sums the slices' parts as 16
 * vectors along the channels (the slices in order, as dw_finish), scales
 * them by alpha, transposes them in registers and writes 16 vectors of w
 * along f (beta * w added after the transpose). A block at the end of f or
 * of the channels is summed element by element, in the same order. With
 * one work-item an element (dw_finish) a large weight's finish took as
 * long as the sums (1x1 512->2048@7: 5.3 of 10.4 ms). */
#if !defined(WS_FP16) && !defined(WS_FP64)
__kernel void dw_finish_t(__global const float *part, long pofs, __global float *w, long8 ws, int G,
                          int Og, int Cg, int taps, int NOB, int NSLICE, float alpha, float beta)
{
    const int F = Cg * taps, f0 = (int)get_global_id(0) * 16, x = (int)get_global_id(1);
    if (f0 >= F || x >= G * NOB * OCB) return;
    const int j = x % OCB, gob = x / OCB, ob = gob % NOB, g = gob / NOB, o0 = ob * BW + j * 16;
    if (o0 >= Og) return;
    const long pstride = (long)G * NOB * F * BW;
    __global const float *p = part + pofs + ((long)gob * F + f0) * BW + j * 16;
    const int nf = min(16, F - f0), no = min(16, Og - o0);
    __global float *wp = w + ws.s0 + g * ws.s1 + o0 * ws.s2 + f0;
    if (nf == 16 && no == 16) {
        float16 a[16];
#pragma unroll
        for (int i = 0; i < 16; i++) {
            float16 sum = 0;
            for (int s = 0; s < NSLICE; s++) sum += vload16(0, p + s * pstride + (long)i * BW);
            a[i] = alpha * sum;
        }
#ifdef __clang__
        TSTEP(8, M8L, M8H)
        TSTEP(4, M4L, M4H)
        TSTEP(2, M2L, M2H)
        TSTEP(1, M1L, M1H)
#else
        float16 b[16];
        for (int o = 0; o < 16; o++)
            for (int i = 0; i < 16; i++) ((float *)&b[o])[i] = ((const float *)&a[i])[o];
        for (int o = 0; o < 16; o++) a[o] = b[o];
#endif
#pragma unroll
        for (int o = 0; o < 16; o++) {
            float16 v = a[o];
            if (beta != 0.0f) v += beta * vload16(0, wp + o * ws.s2);
            vstore16(v, 0, wp + o * ws.s2);
        }
    } else {
        for (int o = 0; o < no; o++)
            for (int i = 0; i < nf; i++) {
                float sum = 0;
                for (int s = 0; s < NSLICE; s++) sum += p[s * pstride + (long)i * BW + o];
                float v = alpha * sum;
                if (beta != 0.0f) v += beta * wp[o * ws.s2 + i];
                wp[o * ws.s2 + i] = v;
            }
    }
}
#endif
