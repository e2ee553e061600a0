/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * depthwise.cl - depthwise convolutions (one input and one output channel a
 * group), forward, backward-data and backward-weight, reading the input
 * window directly through the tensors' strides: no padded copy, no window
 * view, no guard tables (host/conv/impl_depthwise.c).
 *
 * Build options: KH, KW (the taps, unrolled), SW (the stride along the
 * width, which the lane loads are built for), WS_FP64 / WS_FP16 (prelude).
 * A vector VEC holds LANES reals: float16, or double8 in float64.
 *
 * NCHW (the width has unit stride): the lanes run along the width.
 *   dw_fwd_nchw   a work-item computes a run of output rows (up to 64
 *                 vectors; one row an item measured up to 1.5x more CPU
 *                 time on stride-2 layers), LANES pixels of a row a vector:
 *                 for each tap, one vector of the input row read at stride
 *                 SW (two loads and .even at SW 2). A tap whose whole span
 *                 lies inside the row loads without a test; at the borders
 *                 a load whose span lies inside the buffer is made anyway
 *                 and the lanes outside the row are selected away by a
 *                 mask computed once per work-item and tap column (never
 *                 multiplied: what lies past the row may be Inf); only a
 *                 span outside the buffer (its first or last elements)
 *                 reads lane by lane. Rows outside the input are cut from
 *                 the tap loop. Backward-data at stride 1 is this kernel
 *                 with the taps flipped and the padding d*(k-1) - lo.
 *                 FLAT: with stride 1, rows as wide as the output and
 *                 contiguous planes, the lanes run along the flattened
 *                 plane instead (a tap is then one shift of the plane;
 *                 rows and columns outside by two masks), so that narrow
 *                 images (14, 7 pixels) fill every lane; interior vectors
 *                 (every lane's rows inside) load plainly, the taps summed
 *                 by column and each column's lanes outside selected away
 *                 once. PAIRS: at SW 2 onto rows of at most LANES / 2
 *                 pixels, two output rows a vector.
 *   dw_bwd_nchw   backward-data at any stride: a work-item computes a
 *                 run of input-gradient rows (as the forward's), each
 *                 vector LANES * SW pixels of a row as SW phases
 *                 (pixel iw0 + r + SW*t in lane t of phase r); in each
 *                 phase a tap reads LANES consecutive output-gradient
 *                 pixels or none, so the loads are the forward's at stride
 *                 1; the phases are interleaved into the row at the end.
 *                 PAIRS: at SW 2 onto rows of at most LANES pixels, a
 *                 phase vector holds two rows (half loads each).
 *   dw_bwdw_nchw  backward-weight: a work-item sums the KH*KW taps over a
 *                 run of (n, oh) rows of one channel in KH*KW vectors;
 *                 FLAT (as the forward's): over a run of whole planes, the
 *                 lanes along the flattened plane (14x14: 2.3x less CPU
 *                 time than 14 of 16 lanes a row with the gradient loaded
 *                 lane by lane; interior vectors without row masks or
 *                 bound tests). PAIRS: at SW 2 onto rows of at most
 *                 LANES / 2 pixels, two (n, oh) rows a vector. With one
 *                 chunk it writes gw itself.
 * NHWC (the channels have unit stride): the lanes run along the channels.
 *   dw_nhwc       forward or backward-data (geo's flip field set): a
 *                 work-item computes one output row of LANES channels,
 *                 the KH*KW weight vectors held for the whole row, one
 *                 pixel's taps tested as scalars (the border) and loaded as
 *                 whole vectors.
 *   dw_bwdw_nhwc  backward-weight, as dw_bwdw_nchw along the channels.
 * dw_bwdw_sum     the partial sums of backward-weight, added in a fixed
 *                 order (deterministic), gw = alpha * sum + beta * gw.
 *
 * Strides (elements): xs, ys = (offset, n, c, h, w, buffer length, unit)
 * where unit says the view has unit stride along the vector (the width in
 * NCHW, the channels in NHWC), ws = (offset, c, kh, kw). geo = (N, C, IH,
 * IW, OH, OW, SH, DH, DW, PH, PW, NB, flip, flat, rows, chunks): I and O
 * name the kernel's input and output sizes; NB the vector blocks of a row.
 */
#ifndef KH
#define KH 3
#endif
#ifndef KW
#define KW 3
#endif
#ifndef SW
#define SW 1
#endif
#ifdef WS_FP64
#define LANES        8
#define VEC          double8
#define MASK         long8
#define LANEIDX      ((long8)(0, 1, 2, 3, 4, 5, 6, 7))
#define MASKOF(i)    ((long8)(i))
#define VLOAD(p)     vload8(0, (p))
#define VSTORE(v, p) vstore8((v), 0, (p))
#define HVEC         double4
#define HVLOAD(p)    vload4(0, (p))
#else
#define LANES     16
#define VEC       float16
#define MASK      int16
#define LANEIDX   ((int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
#define MASKOF(i) ((int16)(i))
#define HVEC      float8
#ifdef WS_FP16
#define HVLOAD(p)    vload_half8(0, (p))
#define VLOAD(p)     vload_half16(0, (p))
#define VSTORE(v, p) vstore_half16_rte((v), 0, (p))
#else
#define HVLOAD(p)    vload8(0, (p))
#define VLOAD(p)     vload16(0, (p))
#define VSTORE(v, p) vstore16((v), 0, (p))
#endif
#endif

/* LANES elements at p, p + SW, p + 2 SW, ...: READ elements from p */
#define READ (SW == 1 ? LANES : SW == 2 ? 2 * LANES : (LANES - 1) * SW + 1)
static inline VEC load_strided(__global const ELEM *p)
{
#if SW == 1
    return VLOAD(p);
#elif SW == 2
    const VEC a = VLOAD(p), b = VLOAD(p + LANES);
    return (VEC)(a.even, b.even);
#else
    REAL t[LANES];
    for (int l = 0; l < LANES; l++) t[l] = LD(p, (long)l * SW);
#ifdef WS_FP64
    return vload8(0, t);
#else
    return vload16(0, t);
#endif
#endif
}

/* lane by lane: element base + (i0 + l * step) * stride for the lanes with
 * 0 <= i0 + l * step < n (and l < nl), zero for the others */
static inline VEC load_lanes(__global const ELEM *x, long base, long stride, int i0, int step,
                             int n, int nl)
{
    REAL t[LANES];
    for (int l = 0; l < LANES; l++) {
        const int i = i0 + l * step;
        t[l] = l < nl && i >= 0 && i < n ? LD(x, base + (long)i * stride) : (REAL)0;
    }
#ifdef WS_FP64
    return vload8(0, t);
#else
    return vload16(0, t);
#endif
}

/* Writes v (the first nl lanes) to y at base + i * stride: alpha * v +
 * beta * y, beta 0 reading nothing. */
static inline void store_lanes(__global ELEM *y, long base, long stride, int nl, VEC v, REAL alpha,
                               REAL beta, int unit)
{
    v *= alpha;
    if (unit && nl == LANES) {
        if (beta != (REAL)0) v = fma((VEC)beta, VLOAD(y + base), v);
        VSTORE(v, y + base);
        return;
    }
    REAL t[LANES];
#ifdef WS_FP64
    vstore8(v, 0, t);
#else
    vstore16(v, 0, t);
#endif
    int l0 = 0;
#ifndef WS_FP16
    /* a partial row with unit stride: pieces of 8, 4, 2 lanes (a 14-lane
     * row, 3 stores instead of 14), then one lane */
    if (unit) {
#define STORE_PIECE(N, T)                                                     \
    if (nl & N) {                                                             \
        T a = vload##N(0, t + l0);                                            \
        if (beta != (REAL)0) a = fma((T)beta, vload##N(0, y + base + l0), a); \
        vstore##N(a, 0, y + base + l0);                                       \
        l0 += N;                                                              \
    }
#ifdef WS_FP64
        STORE_PIECE(4, double4)
        STORE_PIECE(2, double2)
#else
        STORE_PIECE(8, float8)
        STORE_PIECE(4, float4)
        STORE_PIECE(2, float2)
#endif
#undef STORE_PIECE
    }
#endif
    for (int l = l0; l < nl; l++) {
        const long i = base + l * stride;
        REAL r = t[l];
        if (beta != (REAL)0) r += beta * LD(y, i);
        ST(y, i, r);
    }
}

/* The span of one tap's vector load along the row: its first element at
 * iws; "inside" (0) when the whole span is in the row, else "masked" (1)
 * when the row is contiguous, else lane by lane (2). */
#define MODE(iws, n, unit) ((iws) >= 0 && (iws) + READ <= (n) && (unit) ? 0 : (unit) ? 1 : 2)

/* The LANES inputs of one tap along a row (at row + iws, iws + SW, ...) by
 * the tap's MODE: 0, one plain load; 1, a plain load with the lanes outside
 * the row (ok) zeroed, when it stays inside the buffer's xlen elements;
 * otherwise lane by lane (the first nl lanes of a row of iw_n, width
 * stride wst). */
static inline VEC load_window(__global const ELEM *x, long row, int iws, int mode, MASK ok,
                              long xlen, long wst, int iw_n, int nl)
{
    const long st = row + iws;
    if (mode == 0) return load_strided(x + st);
    if (mode == 1 && st >= 0 && st + READ <= xlen) return select((VEC)0, load_strided(x + st), ok);
    return load_lanes(x, row, wst, iws, SW, iw_n, nl);
}

/* One accumulator per tap row, added in order at the end: a single one
 * made the KH * KW FMAs one dependent chain (4 cycles each), where the
 * forward's samples gathered (perf annotate of dw_fwd_nchw on 256@14,
 * 2026-12-02). */
#define ZERO_KH(a)                                                         \
    do {                                                                   \
        _Pragma("unroll") for (int i_ = 0; i_ < KH; i_++)(a)[i_] = (VEC)0; \
    } while (0)
static inline VEC sum_kh(const VEC *a)
{
    VEC s = a[0];
#pragma unroll
    for (int i = 1; i < KH; i++) s += a[i];
    return s;
}

/* FLAT: each lane's (oh, ow) with ow in [0, OW + LANES): ow brought into
 * [0, OW) by (LANES - 1) / OW + 1 passes of one compare and two masked
 * subtractions, a count the same for every vector. A loop while any lane
 * wraps compiled to a lane-by-lane sign test and a mispredicted branch per
 * vector: about half the flat backward-weight's samples on 14x14 planes
 * (perf annotate, 2026-12-02). */
static inline void wrap_lanes(MASK *ohv, MASK *owv, int OW)
{
    const int passes = (LANES - 1) / OW + 1;
    for (int i = 0; i < passes; i++) {
        const MASK wrap = *owv >= MASKOF(OW);
        *owv = select(*owv, *owv - MASKOF(OW), wrap);
        *ohv -= wrap;
    }
}

/* FLAT: one tap's LANES inputs at st (lanes outside the image, ok false,
 * zeroed); safe: the item's whole span lies inside the buffer (known per
 * item, so that the interior loop has no bound tests: the caller passes
 * a constant), else the buffer's first or last elements lane by lane */
static inline __attribute__((always_inline)) VEC
flat_load(__global const ELEM *x, long st, MASK ok, const int safe, long xlen, long xb, long p0,
          long np, int kh, int kw, int OW, int IW, int IH, int DH, int DW, int PH, int PW)
{
    if (safe || (st >= 0 && st + LANES <= xlen)) return select((VEC)0, VLOAD(x + st), ok);
    REAL t[LANES];
    for (int l = 0; l < LANES; l++) {
        const long p = p0 + l;
        const int ph = (int)(p / OW) + kh * DH - PH, pw = (int)(p % OW) + kw * DW - PW;
        t[l] = p < np && ph >= 0 && ph < IH && pw >= 0 && pw < IW ? LD(x, xb + (long)ph * IW + pw)
                                                                  : (REAL)0;
    }
#ifdef WS_FP64
    return vload8(0, t);
#else
    return vload16(0, t);
#endif
}

/* FLAT forward: the KH accumulators of the vector at p0 (lanes at
 * (ohv, owv)) */
static inline __attribute__((always_inline)) void
flat_fwd_vec(VEC *acc, __global const ELEM *x, long xb, long p0, long np, long xlen, MASK ohv,
             MASK owv, REAL wt[KH][KW], const int SAFE, int OW, int IW, int IH, int DH, int DW,
             int PH, int PW)
{
    MASK colok[KW];
#pragma unroll
    for (int kw = 0; kw < KW; kw++) {
        const MASK iw = owv + MASKOF(kw * DW - PW);
        colok[kw] = iw >= 0 && iw < IW;
    }
    ZERO_KH(acc);
#pragma unroll
    for (int kh = 0; kh < KH; kh++) {
        const MASK ih = ohv + MASKOF(kh * DH - PH);
        const MASK rowok = ih >= 0 && ih < IH;
        const long s = xb + p0 + (long)(kh * DH - PH) * IW;
#pragma unroll
        for (int kw = 0; kw < KW; kw++) {
            const long st = s + kw * DW - PW;
            const MASK ok = rowok & colok[kw];
            const VEC v =
                flat_load(x, st, ok, SAFE, xlen, xb, p0, np, kh, kw, OW, IW, IH, DH, DW, PH, PW);
            acc[kh] = fma(v, (VEC)wt[kh][kw], acc[kh]);
        }
    }
}

/* FLAT forward, an interior vector: every lane's KH input rows inside the
 * image and the KW * KH loads inside the buffer, so that the loads are
 * plain; the taps of one column share the lanes outside the row (ow + kw
 * * DW - PW outside [0, IW)), so they are summed per column and the
 * column's lanes outside selected away once (KW selects, not KH * KW
 * masked loads and mask ANDs: ~3/4 of the lanes of a 14x14 plane) */
static inline __attribute__((always_inline)) VEC flat_fwd_inner(__global const ELEM *x, long s0,
                                                                MASK owv, REAL wt[KH][KW], int IW,
                                                                int DH, int DW, int PH, int PW)
{
    VEC part[KW];
#pragma unroll
    for (int kw = 0; kw < KW; kw++) part[kw] = (VEC)0;
#pragma unroll
    for (int kh = 0; kh < KH; kh++) {
        const long s = s0 + (long)(kh * DH - PH) * IW - PW;
#pragma unroll
        for (int kw = 0; kw < KW; kw++)
            part[kw] = fma(VLOAD(x + s + kw * DW), (VEC)wt[kh][kw], part[kw]);
    }
    VEC sum = (VEC)0;
#pragma unroll
    for (int kw = 0; kw < KW; kw++) {
        const MASK iw = owv + MASKOF(kw * DW - PW);
        sum += select((VEC)0, part[kw], iw >= 0 && iw < IW);
    }
    return sum;
}

__kernel void dw_fwd_nchw(__global const ELEM *x, long8 xs, __global const ELEM *w, long4 wst,
                          __global const ELEM *bias, long2 bs, int has_bias, __global ELEM *y,
                          long8 ys, int16 geo, REAL alpha, REAL beta)
{
    const int C = geo.s1, IH = geo.s2, IW = geo.s3, OH = geo.s4, OW = geo.s5;
    const int SH = geo.s6, DH = geo.s7, DW = geo.s8, PH = geo.s9, PW = geo.sa, NB = geo.sb;
    const int flip = geo.sc, flat = geo.sd;
    const long sp = get_global_id(0), nc = get_global_id(1);
    if (nc >= (long)geo.s0 * C) return;
    const int c = (int)(nc % C), n = (int)(nc / C);
    REAL wt[KH][KW];
#pragma unroll
    for (int kh = 0; kh < KH; kh++)
#pragma unroll
        for (int kw = 0; kw < KW; kw++)
            wt[kh][kw] = LD(w, wst.s0 + c * wst.s1 + (flip ? KH - 1 - kh : kh) * wst.s2 +
                                   (flip ? KW - 1 - kw : kw) * wst.s3);
    const long xb = xs.s0 + n * xs.s1 + c * xs.s2, yb = ys.s0 + n * ys.s1 + c * ys.s2;
    if (flat) {
        /* stride 1, IW == OW, rows contiguous (x: h stride IW, y: OW): the
         * lanes are LANES consecutive pixels of the flattened plane, an
         * item V = geo.se vectors of them */
        const long np = (long)OH * OW;
        long p0 = sp * geo.se * LANES;
        if (p0 >= np) return;
        const long p1 = min(np, p0 + (long)geo.se * LANES);
        /* each lane's (oh, ow), kept without divisions */
        MASK ohv = MASKOF((int)(p0 / OW)), owv = MASKOF((int)(p0 % OW)) + LANEIDX;
        const long xlen = xs.s5;
        /* the item's loads all inside the buffer: from its first vector's
         * lowest tap to its last vector's highest */
        const long plast = p0 + ((p1 - p0 - 1) / LANES) * LANES;
        const int safe =
            xb + p0 - (long)PH * IW - PW >= 0 &&
            xb + plast + (long)((KH - 1) * DH - PH) * IW + (KW - 1) * DW - PW + LANES <= xlen;
        /* interior vectors (flat_fwd_inner): p0 in [plo, phi - LANES],
         * the rows of the first lane at least PH, of the last at most
         * IH - 1 - (KH - 1) * DH + PH (and inside the plane) */
        const long plo = (long)max(PH, 0) * OW, phi = (long)min(OH, IH - (KH - 1) * DH + PH) * OW;
        for (; p0 < p1; p0 += LANES) {
            wrap_lanes(&ohv, &owv, OW);
            VEC sum;
            if (safe && p0 >= plo && p0 + LANES <= phi) {
                sum = flat_fwd_inner(x, xb + p0, owv, wt, IW, DH, DW, PH, PW);
            } else {
                VEC acc[KH];
                if (safe)
                    flat_fwd_vec(acc, x, xb, p0, np, xlen, ohv, owv, wt, 1, OW, IW, IH, DH, DW, PH,
                                 PW);
                else
                    flat_fwd_vec(acc, x, xb, p0, np, xlen, ohv, owv, wt, 0, OW, IW, IH, DH, DW, PH,
                                 PW);
                sum = sum_kh(acc);
            }
            if (has_bias) sum += (VEC)LD(bias, bs.s0 + c * bs.s1);
            const int nl = (int)min((long)LANES, np - p0);
            store_lanes(y, yb + p0, 1, nl, sum, alpha, beta, 1);
            owv += MASKOF(LANES);
        }
        return;
    }
    /* an item: output rows [sp * R, + R) (R = geo.se) */
    const int R = geo.se;
    if (sp * R >= OH) return;
    const int unit = (int)xs.s6;
    const long xlen = xs.s5;
    const int oh1 = min(OH, (int)sp * R + R);
#if SW == 2
    /* PAIRS (geo.sf: SW 2, OW <= LANES / 2, unit strides along the rows):
     * a vector holds two output rows, oh in lanes [0, H) and oh + 1 in
     * [H, 2 H) (H = LANES / 2), and a tap is one load of each input row
     * (its even elements): as many loads as a row alone took, half the
     * vectors (7-pixel rows used 7 of 16 lanes). The taps of one column
     * are summed first and its lanes outside the row (or past OW)
     * selected away once; input rows outside the image are not loaded.
     * Only when the item's loads all lie inside the buffer (else the rows
     * below). */
    if (geo.sf) {
        const int H = LANES / 2, oh0 = (int)sp * R;
        const int ihlo = max(0, oh0 * SH - PH),
                  ihhi = min(IH - 1, (oh1 - 1) * SH - PH + (KH - 1) * DH);
        const long rs = xs.s3;
        if (xb + (long)ihlo * rs - PW >= 0 &&
            xb + (long)ihhi * rs + (KW - 1) * DW - PW + LANES <= xlen) {
            const MASK lw = LANEIDX & MASKOF(H - 1);
            MASK colok[KW];
#pragma unroll
            for (int kw = 0; kw < KW; kw++) {
                const MASK iw = lw * 2 + MASKOF(kw * DW - PW);
                colok[kw] = iw >= 0 && iw < IW && lw < OW;
            }
            for (int oh = oh0; oh < oh1; oh += 2) {
                const int two = oh + 1 < oh1;
                VEC part[KW];
#pragma unroll
                for (int kw = 0; kw < KW; kw++) part[kw] = (VEC)0;
#pragma unroll
                for (int kh = 0; kh < KH; kh++) {
                    const int iha = oh * SH - PH + kh * DH, ihb = iha + SH;
                    const int va = iha >= 0 && iha < IH, vb = two && ihb >= 0 && ihb < IH;
                    if (!va && !vb) continue;
                    const long ra = xb + (long)iha * rs - PW, rb = xb + (long)ihb * rs - PW;
#pragma unroll
                    for (int kw = 0; kw < KW; kw++) {
                        const VEC a = va ? VLOAD(x + ra + kw * DW) : (VEC)0;
                        const VEC b = vb ? VLOAD(x + rb + kw * DW) : (VEC)0;
                        part[kw] = fma((VEC)(a.even, b.even), (VEC)wt[kh][kw], part[kw]);
                    }
                }
                VEC sum = (VEC)0;
#pragma unroll
                for (int kw = 0; kw < KW; kw++) sum += select((VEC)0, part[kw], colok[kw]);
                if (has_bias) sum += (VEC)LD(bias, bs.s0 + c * bs.s1);
                store_lanes(y, yb + (long)oh * ys.s3, 1, OW, sum, alpha, beta, 1);
                if (two)
                    store_lanes(y, yb + (long)(oh + 1) * ys.s3, 1, OW, (VEC)(sum.hi, sum.lo), alpha,
                                beta, 1);
            }
            return;
        }
    }
#endif
    for (int oh = (int)sp * R; oh < oh1; oh++) {
        const int ih0 = oh * SH - PH;
        for (int ob = 0; ob < NB; ob++) {
            const int ow0 = ob * LANES, iw0 = ow0 * SW - PW;
            VEC acc[KH];
            ZERO_KH(acc);
            /* per tap column: the load's mode and the lanes inside the row */
            int mode[KW];
            MASK ok[KW];
#pragma unroll
            for (int kw = 0; kw < KW; kw++) {
                const int iws = iw0 + kw * DW;
                mode[kw] = MODE(iws, IW, unit);
                const MASK iw = MASKOF(iws) + LANEIDX * SW;
                ok[kw] = iw >= 0 && iw < IW;
            }
#pragma unroll
            for (int kh = 0; kh < KH; kh++) {
                const int ih = ih0 + kh * DH;
                if (ih < 0 || ih >= IH) continue;
                const long row = xb + (long)ih * xs.s3;
#pragma unroll
                for (int kw = 0; kw < KW; kw++) {
                    const VEC v = load_window(x, row, iw0 + kw * DW, mode[kw], ok[kw], xlen, xs.s4,
                                              IW, LANES);
                    acc[kh] = fma(v, (VEC)wt[kh][kw], acc[kh]);
                }
            }
            VEC sum = sum_kh(acc);
            if (has_bias) sum += (VEC)LD(bias, bs.s0 + c * bs.s1);
            store_lanes(y, yb + (long)oh * ys.s3 + (long)ow0 * ys.s4, ys.s4, min(LANES, OW - ow0),
                        sum, alpha, beta, (int)ys.s6);
        }
    }
}

/* Backward-data at any stride: x is the output gradient (OH x OW), y the
 * input gradient (IH x IW), the forward's names; SH, SW the strides. */
__kernel void dw_bwd_nchw(__global const ELEM *x, long8 xs, __global const ELEM *w, long4 wst,
                          __global ELEM *y, long8 ys, int16 geo, REAL alpha, REAL beta)
{
    const int C = geo.s1, IH = geo.s2, IW = geo.s3, OH = geo.s4, OW = geo.s5;
    const int SH = geo.s6, DH = geo.s7, DW = geo.s8, PH = geo.s9, PW = geo.sa, NB = geo.sb;
    const long sp = get_global_id(0), nc = get_global_id(1);
    /* an item: rows [sp * R, + R) of one plane (R = geo.se), so that the
     * weights and the per-item cost are paid once a run of rows */
    const int R = geo.se;
    if (nc >= (long)geo.s0 * C || sp * R >= IH) return;
    const int c = (int)(nc % C), n = (int)(nc / C), ih1 = min(IH, (int)sp * R + R);
    REAL wt[KH][KW];
#pragma unroll
    for (int kh = 0; kh < KH; kh++)
#pragma unroll
        for (int kw = 0; kw < KW; kw++)
            wt[kh][kw] = LD(w, wst.s0 + c * wst.s1 + kh * wst.s2 + kw * wst.s3);
    const long xb = xs.s0 + n * xs.s1 + c * xs.s2, yb = ys.s0 + n * ys.s1 + c * ys.s2;
    const int unit = (int)xs.s6;
    const long xlen = xs.s5;
#if SW == 2
    /* PAIRS (geo.sf: SW 2, IW <= LANES, unit strides along the rows): the
     * phases below, with lanes [0, H) phase r of row A and [H, 2 H) the
     * same of row B = A + SH (H = LANES / 2; B gathers the gradient rows
     * after A's, through the same taps): each tap one half load of each
     * gradient row, LANES lanes a phase where a row alone used IW / 2 of
     * them; each row interleaved from its halves of the two phases.
     * Gradient lanes outside the row are zeroed (never multiplied). Only
     * when every load of the plane lies inside the buffer (else the
     * phases alone). A shuffle of the loads themselves (a whole row a
     * vector, the pixels spread onto even or odd lanes) compiled to
     * lane-by-lane loads: 1.5x the phases' CPU time. */
    if (geo.sf) {
        const int H = LANES / 2;
        const MASK lw = LANEIDX & MASKOF(H - 1);
        int qw[SW][KW], use[SW][KW];
        MASK okw[SW][KW];
        long qlo = 0, qhi = 0;
#pragma unroll
        for (int r = 0; r < SW; r++)
#pragma unroll
            for (int kw = 0; kw < KW; kw++) {
                const int num = r + PW - kw * DW;
                const int q = num >= 0 ? num / SW : -((-num + SW - 1) / SW);
                qw[r][kw] = q;
                use[r][kw] = q * SW == num;
                const MASK ow = lw + MASKOF(q);
                okw[r][kw] = ow >= 0 && ow < OW;
                qlo = min(qlo, (long)q);
                qhi = max(qhi, (long)q);
            }
        const long rl = (long)(OH - 1) * xs.s3;
        if (xb + min(0L, rl) + qlo >= 0 && xb + max(0L, rl) + qhi + H <= xlen) {
#ifdef WS_FP64
            const ulong8 pa = (ulong8)(0, 8, 1, 9, 2, 10, 3, 11), pb = pa + (ulong8)4;
#else
            const uint16 pa = (uint16)(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23),
                         pb = pa + (uint16)8;
#endif
            for (int base = (int)sp * R; base < ih1; base += 2 * SH)
                for (int r0 = 0; r0 < SH; r0++) {
                    const int A = base + r0, B = A + SH;
                    if (A >= ih1) break;
                    const int two = B < ih1;
                    VEC acc[SW];
#pragma unroll
                    for (int r = 0; r < SW; r++) acc[r] = (VEC)0;
#pragma unroll
                    for (int kh = 0; kh < KH; kh++) {
                        const int na = A + PH - kh * DH, nb = na + SH;
                        const int va = na >= 0 && na % SH == 0 && na / SH < OH;
                        const int vb = two && nb >= 0 && nb % SH == 0 && nb / SH < OH;
                        if (!va && !vb) continue;
                        const long ra = xb + (long)(va ? na / SH : 0) * xs.s3,
                                   rb = xb + (long)(vb ? nb / SH : 0) * xs.s3;
#pragma unroll
                        for (int r = 0; r < SW; r++)
#pragma unroll
                            for (int kw = 0; kw < KW; kw++) {
                                if (!use[r][kw]) continue;
                                const HVEC a = va ? HVLOAD(x + ra + qw[r][kw]) : (HVEC)0;
                                const HVEC b = vb ? HVLOAD(x + rb + qw[r][kw]) : (HVEC)0;
                                acc[r] = fma(select((VEC)0, (VEC)(a, b), okw[r][kw]),
                                             (VEC)wt[kh][kw], acc[r]);
                            }
                    }
                    store_lanes(y, yb + (long)A * ys.s3, 1, IW, shuffle2(acc[0], acc[1], pa), alpha,
                                beta, 1);
                    if (two)
                        store_lanes(y, yb + (long)B * ys.s3, 1, IW, shuffle2(acc[0], acc[1], pb),
                                    alpha, beta, 1);
                }
            return;
        }
    }
#endif
    for (int ih = (int)sp * R; ih < ih1; ih++) {
        /* the output-gradient rows this row gathers, -1 for none */
        int orow[KH];
#pragma unroll
        for (int kh = 0; kh < KH; kh++) {
            const int num = ih + PH - kh * DH;
            orow[kh] = num < 0 || num % SH || num / SH >= OH ? -1 : num / SH;
        }
        const long yrow = yb + (long)ih * ys.s3;
        for (int ib = 0; ib < NB; ib++) {
            const int iw0 = ib * LANES * SW;
            /* phase r, tap kw: lane t reads ow = ows + t when iw0 + r + PW - kw*DW
             * is a multiple of SW (ows its quotient), else nothing */
            int ows[SW][KW], mode[SW][KW];
            MASK ok[SW][KW];
#pragma unroll
            for (int r = 0; r < SW; r++)
#pragma unroll
                for (int kw = 0; kw < KW; kw++) {
                    const int num = iw0 + r + PW - kw * DW;
                    const int q = num >= 0 ? num / SW : -((-num + SW - 1) / SW);
                    ows[r][kw] = q;
                    const MASK ow = MASKOF(q) + LANEIDX;
                    /* lanes past the input gradient's row are not written */
                    ok[r][kw] = ow >= 0 && ow < OW;
                    mode[r][kw] = q * SW != num                       ? 3
                                  : q >= 0 && q + LANES <= OW && unit ? 0
                                  : unit                              ? 1
                                                                      : 2;
                }
            VEC acc[SW];
#pragma unroll
            for (int r = 0; r < SW; r++) acc[r] = (VEC)0;
#pragma unroll
            for (int kh = 0; kh < KH; kh++) {
                if (orow[kh] < 0) continue;
                const long row = xb + (long)orow[kh] * xs.s3;
#pragma unroll
                for (int r = 0; r < SW; r++)
#pragma unroll
                    for (int kw = 0; kw < KW; kw++) {
                        const int m = mode[r][kw];
                        if (m == 3) continue;
                        const long st = row + ows[r][kw];
                        VEC v;
                        if (m == 0) v = VLOAD(x + st);
                        else if (m == 1 && st >= 0 && st + LANES <= xlen)
                            v = select((VEC)0, VLOAD(x + st), ok[r][kw]);
                        else v = load_lanes(x, row, xs.s4, ows[r][kw], 1, OW, LANES);
                        acc[r] = fma(v, (VEC)wt[kh][kw], acc[r]);
                    }
            }
#if SW == 1
            store_lanes(y, yrow + (long)iw0 * ys.s4, ys.s4, min(LANES, IW - iw0), acc[0], alpha,
                        beta, (int)ys.s6);
#elif SW == 2 && !defined(WS_FP64)
            const uint16 lo = (uint16)(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
            const uint16 hi = lo + (uint16)8;
            store_lanes(y, yrow + (long)iw0 * ys.s4, ys.s4, min(LANES, IW - iw0),
                        shuffle2(acc[0], acc[1], lo), alpha, beta, (int)ys.s6);
            if (iw0 + LANES < IW)
                store_lanes(y, yrow + (long)(iw0 + LANES) * ys.s4, ys.s4,
                            min(LANES, IW - iw0 - LANES), shuffle2(acc[0], acc[1], hi), alpha, beta,
                            (int)ys.s6);
#else
            REAL t[SW][LANES];
#pragma unroll
            for (int r = 0; r < SW; r++) {
#ifdef WS_FP64
                vstore8(acc[r] * alpha, 0, t[r]);
#else
                vstore16(acc[r] * alpha, 0, t[r]);
#endif
            }
            for (int t0 = 0; t0 < LANES; t0++)
#pragma unroll
                for (int r = 0; r < SW; r++) {
                    const int iw = iw0 + r + SW * t0;
                    if (iw >= IW) break;
                    const long i = yrow + (long)iw * ys.s4;
                    REAL v = t[r][t0];
                    if (beta != (REAL)0) v += beta * LD(y, i);
                    ST(y, i, v);
                }
#endif
        }
    }
}

/* Whether a chunk's loads lie inside a buffer of len elements: its first
 * and last planes start at a and z, their last rows r further on (either
 * sign), and a load reaches from lo to hi elements around a row's start
 * (backward-weight's PAIRS and ROWS) */
static inline int planes_inside(long a, long z, long r, long lo, long hi, long len)
{
    return min(min(a, z), min(a + r, z + r)) + lo >= 0 &&
           max(max(a, z), max(a + r, z + r)) + hi <= len;
}

/* A vector's lanes added in a fixed order (a tree). */
static inline REAL hsum(VEC v)
{
#ifdef WS_FP64
    const double4 a = v.lo + v.hi;
#else
    const float8 b = v.lo + v.hi;
    const float4 a = b.lo + b.hi;
#endif
    return (a.s0 + a.s1) + (a.s2 + a.s3);
}

/* One tap's partial sum v of channel c: into part (out) for dw_bwdw_sum,
 * or with one chunk straight into gw, as dw_bwdw_sum would (one launch
 * less a call). */
static inline void put_sum(__global REAL *out, int kh, int kw, REAL v, int chunks,
                           __global ELEM *gw, long4 wst, int c, REAL alpha, REAL beta)
{
    if (chunks > 1) {
        out[kh * KW + kw] = v;
        return;
    }
    const long o = wst.s0 + c * wst.s1 + kh * wst.s2 + kw * wst.s3;
    REAL r = alpha * ((REAL)0 + v);
    if (beta != (REAL)0) r += beta * LD(gw, o);
    ST(gw, o, r);
}

/* Backward-weight, NCHW: x the input, y the output gradient (OH x OW);
 * item (chunk, c) sums rows [chunk * rows, + rows) of the N * OH (n, oh)
 * rows into part[(c * chunks + chunk) * KH * KW + tap]. */
__kernel void dw_bwdw_nchw(__global const ELEM *x, long8 xs, __global const ELEM *y, long8 ys,
                           __global REAL *part, int16 geo, __global ELEM *gw, long4 wst, REAL alpha,
                           REAL beta)
{
    const int C = geo.s1, IH = geo.s2, IW = geo.s3, OH = geo.s4, OW = geo.s5;
    const int SH = geo.s6, DH = geo.s7, DW = geo.s8, PH = geo.s9, PW = geo.sa, NB = geo.sb;
    const int rows = geo.se, chunks = geo.sf;
    const int chunk = (int)get_global_id(0), c = (int)get_global_id(1);
    if (chunk >= chunks || c >= C) return;
    const int unit = (int)xs.s6, yunit = (int)ys.s6;
    const long xlen = xs.s5;
    VEC acc[KH][KW];
#pragma unroll
    for (int kh = 0; kh < KH; kh++)
#pragma unroll
        for (int kw = 0; kw < KW; kw++) acc[kh][kw] = (VEC)0;
    int done = 0;
    if (geo.sd == 2) {
        /* ROWS (the host: FLAT's geometry with OW in (LANES/2, LANES]): a
         * chunk is `rows` whole planes; a vector is one output row (lanes
         * past OW zeroed), each tap one load of its input row with the
         * columns outside the image zeroed by a mask that is the same for
         * every row: no per-vector lane arithmetic (FLAT's column and row
         * masks, its lane wrap) and no bound tests, where every load of
         * the chunk's planes lies inside the buffers (else FLAT below).
         * 256@14: 14 of 16 lanes, about 2x less kernel time than FLAT. */
        const int n0 = chunk * rows, n9 = min(geo.s0, (chunk + 1) * rows) - 1;
        const long xa = xs.s0 + c * xs.s2 + n0 * xs.s1, xz = xs.s0 + c * xs.s2 + n9 * xs.s1;
        const long ya = ys.s0 + c * ys.s2 + n0 * ys.s1, yz = ys.s0 + c * ys.s2 + n9 * ys.s1;
        const long xr = (long)(IH - 1) * xs.s3, yr = (long)(OH - 1) * ys.s3;
        if (n0 <= n9 && planes_inside(xa, xz, xr, -PW, (KW - 1) * DW - PW + LANES, xlen) &&
            planes_inside(ya, yz, yr, 0, LANES, ys.s5)) {
            done = 1;
            const MASK live = LANEIDX < MASKOF(OW);
            MASK colok[KW];
#pragma unroll
            for (int kw = 0; kw < KW; kw++) {
                const MASK iw = LANEIDX + MASKOF(kw * DW - PW);
                colok[kw] = iw >= 0 && iw < IW && live;
            }
            for (int n = n0; n <= n9; n++) {
                const long xb = xs.s0 + n * xs.s1 + c * xs.s2 - PW,
                           yb = ys.s0 + n * ys.s1 + c * ys.s2;
                for (int oh = 0; oh < OH; oh++) {
                    const VEC g = select((VEC)0, VLOAD(y + yb + (long)oh * ys.s3), live);
#pragma unroll
                    for (int kh = 0; kh < KH; kh++) {
                        const int ih = oh - PH + kh * DH;
                        if (ih < 0 || ih >= IH) continue;
                        const long row = xb + (long)ih * xs.s3;
#pragma unroll
                        for (int kw = 0; kw < KW; kw++)
                            acc[kh][kw] = fma(select((VEC)0, VLOAD(x + row + kw * DW), colok[kw]),
                                              g, acc[kh][kw]);
                    }
                }
            }
        }
    }
    if (geo.sd && !done) {
        /* FLAT (as dw_fwd_nchw's): a chunk is `rows` whole planes (n); a
         * vector is LANES consecutive pixels of the flattened output
         * plane, the gradient one full load, each tap one shifted load of
         * the input plane with rows and columns outside masked */
        const long np = (long)OH * OW, xlen = xs.s5;
        const int n1 = min(geo.s0, (chunk + 1) * rows);
        /* interior vectors (as the forward's): every lane's KH input rows
         * inside the image, the lanes inside the plane, the loads inside
         * the buffer: no row masks and no bound tests, x masked by its
         * column only */
        const long plo = (long)max(PH, 0) * OW, phi = (long)min(OH, IH - (KH - 1) * DH + PH) * OW;
        const long lo = -(long)PH * IW - PW,
                   hi = (long)((KH - 1) * DH - PH) * IW + (KW - 1) * DW - PW;
        for (int n = chunk * rows; n < n1; n++) {
            const long xb = xs.s0 + n * xs.s1 + c * xs.s2, yb = ys.s0 + n * ys.s1 + c * ys.s2;
            MASK ohv = MASKOF(0), owv = LANEIDX;
            for (long p0 = 0; p0 < np; p0 += LANES) {
                wrap_lanes(&ohv, &owv, OW);
                if (p0 >= plo && p0 + LANES <= phi && xb + p0 + lo >= 0 &&
                    xb + p0 + hi + LANES <= xlen) {
                    const VEC g = VLOAD(y + yb + p0);
#pragma unroll
                    for (int kw = 0; kw < KW; kw++) {
                        const MASK iw = owv + MASKOF(kw * DW - PW);
                        const MASK ok = iw >= 0 && iw < IW;
#pragma unroll
                        for (int kh = 0; kh < KH; kh++) {
                            const long st = xb + p0 + (long)(kh * DH - PH) * IW + kw * DW - PW;
                            acc[kh][kw] = fma(select((VEC)0, VLOAD(x + st), ok), g, acc[kh][kw]);
                        }
                    }
                    owv += MASKOF(LANES);
                    continue;
                }
                const int nl = (int)min((long)LANES, np - p0);
                /* a partial last vector: one masked load inside the buffer */
                const VEC g = nl == LANES ? VLOAD(y + yb + p0)
                              : yb + p0 + LANES <= ys.s5
                                  ? select((VEC)0, VLOAD(y + yb + p0), LANEIDX < MASKOF(nl))
                                  : load_lanes(y, yb + p0, 1, 0, 1, nl, nl);
                /* lanes past the plane: x masked too (what lies there may
                 * be Inf, never multiplied) */
                const MASK live = LANEIDX < MASKOF(nl);
                MASK colok[KW];
#pragma unroll
                for (int kw = 0; kw < KW; kw++) {
                    const MASK iw = owv + MASKOF(kw * DW - PW);
                    colok[kw] = iw >= 0 && iw < IW && live;
                }
#pragma unroll
                for (int kh = 0; kh < KH; kh++) {
                    const MASK ih = ohv + MASKOF(kh * DH - PH);
                    const MASK rowok = ih >= 0 && ih < IH;
                    const long s = xb + p0 + (long)(kh * DH - PH) * IW;
#pragma unroll
                    for (int kw = 0; kw < KW; kw++) {
                        const long st = s + kw * DW - PW;
                        const MASK ok = rowok & colok[kw];
                        VEC v;
                        if (st >= 0 && st + LANES <= xlen) v = select((VEC)0, VLOAD(x + st), ok);
                        else {
                            /* the first or last elements of the buffer */
                            REAL t[LANES];
                            for (int l = 0; l < LANES; l++) {
                                const long p = p0 + l;
                                const int ph = (int)(p / OW) + kh * DH - PH,
                                          pw = (int)(p % OW) + kw * DW - PW;
                                t[l] = p < np && ph >= 0 && ph < IH && pw >= 0 && pw < IW
                                           ? LD(x, xb + (long)ph * IW + pw)
                                           : (REAL)0;
                            }
#ifdef WS_FP64
                            v = vload8(0, t);
#else
                            v = vload16(0, t);
#endif
                        }
                        acc[kh][kw] = fma(v, g, acc[kh][kw]);
                    }
                }
                owv += MASKOF(LANES);
            }
        }
    }
    int paired = 0;
#if SW == 2
    /* PAIRS (geo.sc: SW 2, OW <= LANES / 2, unit strides along the rows;
     * as the forward's): a vector holds two (n, oh) rows of the chunk,
     * the gradient of each one half load, each tap one load of each input
     * row (its even elements): half the vectors of a row each (7-pixel
     * rows used 7 of 16 lanes). Input lanes outside the image and
     * gradient lanes past OW are zeroed (never multiplied). Only when
     * every load of the chunk's planes lies inside the buffers (else the
     * rows below). */
    const long qa = (long)chunk * rows, qz = min((long)geo.s0 * OH, qa + rows);
    const int H = LANES / 2;
    const long xc = xs.s0 + c * xs.s2, yc = ys.s0 + c * ys.s2;
    const long n0 = qa / OH, n9 = (qz - 1) / OH;
    /* the corners (first, last plane) x (first, last row) */
    const long x00 = xc + n0 * xs.s1, x90 = xc + n9 * xs.s1, xr = (long)(IH - 1) * xs.s3;
    const long y00 = yc + n0 * ys.s1, y90 = yc + n9 * ys.s1, yr = (long)(OH - 1) * ys.s3;
    if (geo.sc && qa < qz && planes_inside(x00, x90, xr, -PW, (KW - 1) * DW - PW + LANES, xlen) &&
        planes_inside(y00, y90, yr, 0, H, ys.s5)) {
        paired = 1;
        const MASK lw = LANEIDX & MASKOF(H - 1);
        const MASK gok = lw < MASKOF(OW);
        MASK colok[KW];
#pragma unroll
        for (int kw = 0; kw < KW; kw++) {
            const MASK iw = lw * 2 + MASKOF(kw * DW - PW);
            colok[kw] = iw >= 0 && iw < IW && gok;
        }
        for (long q = qa; q < qz; q += 2) {
            const int two = q + 1 < qz;
            const int na = (int)(q / OH), oha = (int)(q % OH);
            const int nb = two ? (int)((q + 1) / OH) : na, ohb = two ? (int)((q + 1) % OH) : oha;
            const HVEC ga = HVLOAD(y + yc + na * ys.s1 + (long)oha * ys.s3);
            const HVEC gb = two ? HVLOAD(y + yc + nb * ys.s1 + (long)ohb * ys.s3) : (HVEC)0;
            const VEC g = select((VEC)0, (VEC)(ga, gb), gok);
#pragma unroll
            for (int kh = 0; kh < KH; kh++) {
                const int iha = oha * SH - PH + kh * DH, ihb = ohb * SH - PH + kh * DH;
                const int va = iha >= 0 && iha < IH, vb = two && ihb >= 0 && ihb < IH;
                if (!va && !vb) continue;
                const long ra = xc + na * xs.s1 + (long)iha * xs.s3 - PW,
                           rb = xc + nb * xs.s1 + (long)ihb * xs.s3 - PW;
#pragma unroll
                for (int kw = 0; kw < KW; kw++) {
                    const VEC a = va ? VLOAD(x + ra + kw * DW) : (VEC)0;
                    const VEC b = vb ? VLOAD(x + rb + kw * DW) : (VEC)0;
                    acc[kh][kw] =
                        fma(select((VEC)0, (VEC)(a.even, b.even), colok[kw]), g, acc[kh][kw]);
                }
            }
        }
    }
#endif
    const long q1 = geo.sd || paired ? 0 : min((long)geo.s0 * OH, (long)(chunk + 1) * rows);
    for (long q = (long)chunk * rows; q < q1; q++) {
        const int n = (int)(q / OH), oh = (int)(q % OH);
        const long xb = xs.s0 + n * xs.s1 + c * xs.s2;
        const long yrow = ys.s0 + n * ys.s1 + c * ys.s2 + (long)oh * ys.s3;
        const int ih0 = oh * SH - PH;
        for (int ob = 0; ob < NB; ob++) {
            const int ow0 = ob * LANES, iw0 = ow0 * SW - PW, nl = min(LANES, OW - ow0);
            const MASK live = LANEIDX < MASKOF(nl);
            /* a partial row: one load with the lanes past it zeroed when
             * it stays inside the buffer (lane by lane cost 7 scalar loads
             * a 7-pixel row) */
            const long gs = yrow + ow0;
            const VEC g = yunit && nl == LANES ? VLOAD(y + gs)
                          : yunit && gs + LANES <= ys.s5
                              ? select((VEC)0, VLOAD(y + gs), live)
                              : load_lanes(y, yrow, ys.s4, ow0, 1, OW, nl);
            int mode[KW];
            MASK ok[KW];
#pragma unroll
            for (int kw = 0; kw < KW; kw++) {
                const int iws = iw0 + kw * DW;
                mode[kw] = nl == LANES ? MODE(iws, IW, unit) : unit ? 1 : 2;
                const MASK iw = MASKOF(iws) + LANEIDX * SW;
                ok[kw] = iw >= 0 && iw < IW && live;
            }
#pragma unroll
            for (int kh = 0; kh < KH; kh++) {
                const int ih = ih0 + kh * DH;
                if (ih < 0 || ih >= IH) continue;
                const long row = xb + (long)ih * xs.s3;
#pragma unroll
                for (int kw = 0; kw < KW; kw++) {
                    const VEC v =
                        load_window(x, row, iw0 + kw * DW, mode[kw], ok[kw], xlen, xs.s4, IW, nl);
                    acc[kh][kw] = fma(v, g, acc[kh][kw]);
                }
            }
        }
    }
    __global REAL *out = part + ((long)c * chunks + chunk) * (KH * KW);
#pragma unroll
    for (int kh = 0; kh < KH; kh++)
#pragma unroll
        for (int kw = 0; kw < KW; kw++)
            put_sum(out, kh, kw, hsum(acc[kh][kw]), chunks, gw, wst, c, alpha, beta);
}

/* NHWC forward (or backward-data, geo.sc set): item (cb, n * OH + oh): one
 * output row of LANES channels from channel cb * LANES. */
__kernel void dw_nhwc(__global const ELEM *x, long8 xs, __global const ELEM *w, long4 wst,
                      __global const ELEM *bias, long2 bs, int has_bias, __global ELEM *y, long8 ys,
                      int16 geo, REAL alpha, REAL beta)
{
    const int C = geo.s1, IH = geo.s2, IW = geo.s3, OH = geo.s4, OW = geo.s5;
    const int SH = geo.s6, DH = geo.s7, DW = geo.s8, PH = geo.s9, PW = geo.sa, bwd = geo.sc;
    const int cb = (int)get_global_id(0);
    const long nr = get_global_id(1);
    if (nr >= (long)geo.s0 * OH || cb * LANES >= C) return;
    const int n = (int)(nr / OH), oh = (int)(nr % OH), c0 = cb * LANES;
    const int nl = min(LANES, C - c0);
    const int full = nl == LANES && xs.s6 && ys.s6;
    VEC wt[KH][KW];
#pragma unroll
    for (int kh = 0; kh < KH; kh++)
#pragma unroll
        for (int kw = 0; kw < KW; kw++)
            wt[kh][kw] = load_lanes(w, wst.s0 + kh * wst.s2 + kw * wst.s3, wst.s1, c0, 1, C, nl);
    VEC bv = (VEC)0;
    if (has_bias) bv = load_lanes(bias, bs.s0, bs.s1, c0, 1, C, nl);
    const long xb = xs.s0 + n * xs.s1 + c0 * xs.s2;
    const long yrow = ys.s0 + n * ys.s1 + c0 * ys.s2 + (long)oh * ys.s3;
    for (int ow = 0; ow < OW; ow++) {
        VEC acc = (VEC)0;
#pragma unroll
        for (int kh = 0; kh < KH; kh++) {
            /* backward-data: y's row oh gathers x's rows (oh + PH - kh *
             * DH) / SH */
            const int numh = oh + PH - kh * DH;
            const int ih = bwd ? numh / SH : oh * SH - PH + kh * DH;
            if ((bwd && (numh < 0 || numh % SH)) || ih < 0 || ih >= IH) continue;
#pragma unroll
            for (int kw = 0; kw < KW; kw++) {
                const int numw = ow + PW - kw * DW;
                const int iw = bwd ? numw / SW : ow * SW - PW + kw * DW;
                if ((bwd && (numw < 0 || numw % SW)) || iw < 0 || iw >= IW) continue;
                const long p = xb + (long)ih * xs.s3 + (long)iw * xs.s4;
                const VEC v =
                    full ? VLOAD(x + p) : load_lanes(x, p - c0 * xs.s2, xs.s2, c0, 1, C, nl);
                acc = fma(v, wt[kh][kw], acc);
            }
        }
        store_lanes(y, yrow + (long)ow * ys.s4, ys.s2, nl, acc + bv, alpha, beta, full);
    }
}

/* Backward-weight, NHWC: item (chunk, cb) sums rows [chunk * rows, +
 * rows) of the N * OH (n, oh) rows for LANES channels from cb * LANES into
 * part[(c * chunks + chunk) * KH * KW + tap]. */
__kernel void dw_bwdw_nhwc(__global const ELEM *x, long8 xs, __global const ELEM *y, long8 ys,
                           __global REAL *part, int16 geo, __global ELEM *gw, long4 wst, REAL alpha,
                           REAL beta)
{
    const int C = geo.s1, IH = geo.s2, IW = geo.s3, OH = geo.s4, OW = geo.s5;
    const int SH = geo.s6, DH = geo.s7, DW = geo.s8, PH = geo.s9, PW = geo.sa;
    const int rows = geo.se, chunks = geo.sf;
    const int chunk = (int)get_global_id(0), cb = (int)get_global_id(1), c0 = cb * LANES;
    if (chunk >= chunks || c0 >= C) return;
    const int nl = min(LANES, C - c0);
    const int full = nl == LANES && xs.s6 && ys.s6;
    VEC acc[KH][KW];
#pragma unroll
    for (int kh = 0; kh < KH; kh++)
#pragma unroll
        for (int kw = 0; kw < KW; kw++) acc[kh][kw] = (VEC)0;
    const long q1 = min((long)geo.s0 * OH, (long)(chunk + 1) * rows);
    for (long q = (long)chunk * rows; q < q1; q++) {
        const int n = (int)(q / OH), oh = (int)(q % OH);
        const long xb = xs.s0 + n * xs.s1 + c0 * xs.s2;
        const long yrow = ys.s0 + n * ys.s1 + c0 * ys.s2 + (long)oh * ys.s3;
        for (int ow = 0; ow < OW; ow++) {
            const long yp = yrow + (long)ow * ys.s4;
            const VEC g =
                full ? VLOAD(y + yp) : load_lanes(y, yp - c0 * ys.s2, ys.s2, c0, 1, C, nl);
#pragma unroll
            for (int kh = 0; kh < KH; kh++) {
                const int ih = oh * SH - PH + kh * DH;
                if (ih < 0 || ih >= IH) continue;
#pragma unroll
                for (int kw = 0; kw < KW; kw++) {
                    const int iw = ow * SW - PW + kw * DW;
                    if (iw < 0 || iw >= IW) continue;
                    const long p = xb + (long)ih * xs.s3 + (long)iw * xs.s4;
                    const VEC v =
                        full ? VLOAD(x + p) : load_lanes(x, p - c0 * xs.s2, xs.s2, c0, 1, C, nl);
                    acc[kh][kw] = fma(v, g, acc[kh][kw]);
                }
            }
        }
    }
    for (int l = 0; l < nl; l++) {
        __global REAL *out = part + ((long)(c0 + l) * chunks + chunk) * (KH * KW);
#pragma unroll
        for (int kh = 0; kh < KH; kh++)
#pragma unroll
            for (int kw = 0; kw < KW; kw++) {
                REAL t[LANES];
#ifdef WS_FP64
                vstore8(acc[kh][kw], 0, t);
#else
                vstore16(acc[kh][kw], 0, t);
#endif
                put_sum(out, kh, kw, t[l], chunks, gw, wst, c0 + l, alpha, beta);
            }
    }
}

/* gw[c, tap] = alpha * (the chunks' partial sums in order) + beta * gw:
 * one item a (c, tap). ws = (offset, c, kh, kw) of gw. */
__kernel void dw_bwdw_sum(__global const REAL *part, __global ELEM *gw, long4 wst, int C,
                          int chunks, REAL alpha, REAL beta)
{
    const long i = get_global_id(0);
    if (i >= (long)C * KH * KW) return;
    const int c = (int)(i / (KH * KW)), t = (int)(i % (KH * KW));
    __global const REAL *p = part + (long)c * chunks * (KH * KW) + t;
    REAL s = 0;
    for (int k = 0; k < chunks; k++) s += p[(long)k * (KH * KW)];
    const long o = wst.s0 + c * wst.s1 + (t / KW) * wst.s2 + (t % KW) * wst.s3;
    REAL v = alpha * s;
    if (beta != (REAL)0) v += beta * LD(gw, o);
    ST(gw, o, v);
}
