/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * direct.cl - direct convolution, forward (host/conv/impl_direct.c); also
 * backward-data, which is, per phase of the input gradient (its positions
 * with one residue modulo the stride, all in one launch (pm) or one launch
 * each; at stride 1 the one phase), the stride-1 forward convolution of the output gradient with
 * the weights' channels swapped and the phase's taps flipped: the output is written through strides
 * multiplied by the stride.
 *
 * The input is read through its own strides (NCHW, NHWC or any other),
 * nothing is packed or copied; only the weights are read in a layout made
 * by direct_reorder on every call (weights change every training step):
 *
 *   wr[g][ob][kd][kh][kw][c][BW]   BW = OCB * LANES output channels,
 *                                  zero past the group's last channel
 *
 * made once a call for all the phases of a backward-data (the weight's taps
 * in their own order): a launch's tap (kd, kh, kw) is tap wo / (Cg * BW) +
 * kd * TSD + kh * TSH + kw * TSW of wr (forward: TSD = KH * KW, TSH = KW,
 * TSW = 1; a backward-data phase: its taps, flipped, by negative steps).
 *
 * One work-item computes a register block of WB output pixels along the
 * output width x BW output channels of one (n, g, od, oh), in OCB x WB
 * explicit vectors of LANES (float16, double8: the only code PoCL turns
 * into 512-bit FMAs); each input element is broadcast from a scalar to the
 * OCB vectors. The loops: channel blocks (below), taps (kd, kh, kw), then
 * the block's channels innermost, so that the weights stream contiguously
 * and every test is made outside that loop. Padding: the rows (kd, kh)
 * that fall outside the input are cut from the loop bounds; a tap kw
 * runs its pixels that read inside the row (all WB, or the usual borders'
 * WB - 1) without tests (the RGB stem: its 3 channels a tap unrolled);
 * any other border reads each pixel at a precomputed offset (element 0 of
 * the row when outside) and selects zero for the outside ones.
 *
 * Summation (as gett.cl): the C/G x taps terms are summed in blocks of
 * CB channels (CB * taps ~ 256 terms), each block in fresh accumulators,
 * the blocks into group sums of GS blocks, the groups into the total; y is
 * read (beta != 0) and written once, so float16 is rounded once.
 *
 * NDRange: dimension 0 the blocks along (od, oh, ow) (ow fastest),
 * dimension 1 (n, g, ob); rounded up to the work-group, the items past
 * the end return. geo = (N, G, Cg, Og, ID, IH, IW, OD, OH, OW, KD, KH,
 * KW, NOB, NWB, CB), cv = (SD, SH, SW, DD, DH, DW, PD, PH, PW, GS, TSD,
 * TSH, TSW, TF: the weight's taps),
 * xs = (offset, n, g, c, d, h, w), ys likewise (c: the output channel);
 * wo: the launch's tap (0, 0, 0) in wr, in reals; sub = (C, sd, sh, sw,
 * dx's steps along d, h, w): the sub-pixel form (direct_reorder_sub), whose
 * output channel v is channel v % C of phase v / C; C = 0 otherwise.
 * pm.sf = 1: every phase of a backward-data in this launch (the host's
 * default; WINSUM_DIRECT_PHASES=split: a launch each), dimension 1 (n, g,
 * ob, phase); pm = (phases along d, h, w, their dilation, tap step, wr's
 * taps), pt: rows (outputs,
 * taps, padding lo, first tap) for each phase of each axis, the axes one
 * after another; geo and cv's phase fields are then not read.
 */
#ifndef WB
#define WB 8
#endif
#ifndef OCB
#define OCB 1
#endif

/* PX: the step between a block's pixels in x (SW times x's w stride).
 * The host compiles it in where it is 1 or 2 (NCHW at stride 1 or 2,
 * every backward-data phase): the WB reads of a channel are then constant
 * offsets from one address; with a runtime step each needs its own (an
 * lea, and past a few pixels an offset spilled to the stack: 3x3 64@56's
 * loop was 48 instructions for 16 FMAs, the 7x7/2 stem's 14 stack loads
 * for 48 FMAs). */
#ifndef PX
#define PX sxw
#endif

/* CG: the channels of a group, compiled in where there are few (the RGB
 * stem's 3) and all in one summation block: their loops unrolled (a loop
 * of 3 was 1.07x more CPU time on the stem than unrolled) */
#ifdef CG
#define CUNROLL _Pragma("unroll")
#else
#define CUNROLL
#endif

/* The channels of one tap for the pixels PLO <= p < PHI (compile-time
 * bounds, so that the accumulators stay registers): the others are
 * outside the row and add nothing. wk: the tap's weights of channel 0,
 * xk: its pixel 0 of channel 0 (an offset into x). */
#define TAP_RUN(PLO, PHI)                                                                          \
    CUNROLL for (int c = 0; c < nc; c++)                                                           \
    {                                                                                              \
        VEC wv[OCB];                                                                               \
        _Pragma("unroll") for (int o = 0; o < OCB; o++) wv[o] = wk[c * OCB + o];                   \
        const long xc = xk + c * xs.s3;                                                            \
        _Pragma("unroll") for (int p = (PLO); p < (PHI); p++)                                      \
        {                                                                                          \
            const VEC xv = (VEC)(LD(x, xc + p * PX));                                              \
            _Pragma("unroll") for (int o = 0; o < OCB; o++) acc[o][p] = fma(xv, wv[o], acc[o][p]); \
        }                                                                                          \
    }

/* wr + wo from w (G, Og, Cg, taps) read through ws = (offset, g, o, c, d,
 * h, w): one work-item a (g, ob, c), writing its KD*KH*KW rows of BW; tap
 * (td, th, tw) reads weight tap (tm.s0 + tm.s1 * td, tm.s2 + tm.s3 * th,
 * tm.s4 + tm.s5 * tw) (the host passes (t, t, t); for backward-data the
 * forward weight with its channel strides swapped). tm.s6: the items in
 * (g, c, ob) order (ob fastest), for weights whose o stride is the small
 * one (backward-data): consecutive items then read consecutive memory; in
 * (g, ob, c) order the reads of a backward-data 3x3 512->512 waited on the
 * cache (83% of the reorder's samples on one load, the reorder 30% of the
 * call's). */
__kernel void direct_reorder(__global const ELEM *w, long8 ws, __global REAL *wr, long wo, int G,
                             int Og, int Cg, int KD, int KH, int KW, int NOB, int8 tm)
{
    wr += wo;
    const long item = get_global_id(0);
    if (item >= (long)G * NOB * Cg) return;
    int c, ob, g;
    if (tm.s6) {
        ob = (int)(item % NOB);
        c = (int)((item / NOB) % Cg);
        g = (int)(item / NOB / Cg);
    } else {
        c = (int)(item % Cg);
        ob = (int)((item / Cg) % NOB);
        g = (int)(item / Cg / NOB);
    }
    const long gob = (long)g * NOB + ob;
    const int taps = KD * KH * KW;
    __global REAL *out = wr + (gob * taps * Cg + c) * BW;
    const long base = ws.s0 + g * ws.s1 + c * ws.s3;
    for (int t = 0; t < taps; t++) {
        const int kw = tm.s4 + tm.s5 * (t % KW), kh = tm.s2 + tm.s3 * ((t / KW) % KH),
                  kd = tm.s0 + tm.s1 * (t / (KW * KH));
        const long tb = base + kd * ws.s4 + kh * ws.s5 + kw * ws.s6;
        for (int l = 0; l < BW; l++) {
            const int o = ob * BW + l;
            out[(long)t * Cg * BW + l] = o < Og ? LD(w, tb + o * ws.s2) : (REAL)0;
        }
    }
}

/* The sub-pixel form of a strided backward-data with few channels (host:
 * direct_run): the s phases of every axis as one stride-1 convolution of
 * dy whose output channels are (phase, channel), Og = C * phases of them
 * in one vector of lanes, where one launch a phase used C of the lanes
 * (the 7x7/2 stem's 3 of 16). Tap e of an axis (0 <= e < KD, KH, KW: the
 * window over dy that every phase's taps fall in) is, for phase r, the
 * weight's tap r + ta - s * e when that lies in 0..kf-1, else a zero.
 * wr[g][ob][e][c][BW] from w read through ws (the forward weight with its
 * channel strides swapped, as direct_reorder); sv = (sd, sh, sw, tad, tah,
 * taw, kfd, kfh), kfw: the weight's taps along w. C: the channels a
 * phase. Items as direct_reorder with tm.s6 set. */
__kernel void direct_reorder_sub(__global const ELEM *w, long8 ws, __global REAL *wr, int G, int Og,
                                 int Cg, int KD, int KH, int KW, int NOB, int8 sv, int kfw, int C)
{
    const long item = get_global_id(0);
    if (item >= (long)G * NOB * Cg) return;
    const int ob = (int)(item % NOB), c = (int)((item / NOB) % Cg), g = (int)(item / NOB / Cg);
    const long gob = (long)g * NOB + ob;
    const int taps = KD * KH * KW;
    __global REAL *out = wr + (gob * taps * Cg + c) * BW;
    const long base = ws.s0 + g * ws.s1 + c * ws.s3;
    for (int l = 0; l < BW; l++) {
        const int v = ob * BW + l, o = v % C, f = v / C;
        const int rw = f % sv.s2, rh = (f / sv.s2) % sv.s1, rd = f / sv.s2 / sv.s1;
        for (int t = 0; t < taps; t++) {
            const int kd = rd + sv.s3 - sv.s0 * (t / (KW * KH)),
                      kh = rh + sv.s4 - sv.s1 * ((t / KW) % KH), kw = rw + sv.s5 - sv.s2 * (t % KW);
            const int in =
                v < Og && kd >= 0 && kd < sv.s6 && kh >= 0 && kh < sv.s7 && kw >= 0 && kw < kfw;
            out[(long)t * Cg * BW + l] =
                in ? LD(w, base + o * ws.s2 + kd * ws.s4 + kh * ws.s5 + kw * ws.s6) : (REAL)0;
        }
    }
}

__kernel void direct_forward(__global const ELEM *x, long8 xs, __global const REAL *wr, long wo,
                             __global const ELEM *bias, long2 bs, int has_bias, __global ELEM *y,
                             long8 ys, int16 geo, int16 cv, REAL alpha, REAL beta, long8 sub,
                             int16 pm, int16 pt0, int16 pt1)
{
    const int Cg = geo.s2, Og = geo.s3, ID = geo.s4, IH = geo.s5, IW = geo.s6;
    int OD = geo.s7, OH = geo.s8, OW = geo.s9, KD = geo.sa, KH = geo.sb, KW = geo.sc;
    const int NOB = geo.sd;
    int NWB = geo.se, CB = geo.sf;
    int SD = cv.s0, SH = cv.s1, SW = cv.s2, DD = cv.s3, DH = cv.s4, DW = cv.s5;
    int PD = cv.s6, PH = cv.s7, PW = cv.s8, GS = cv.s9;
    int TSD = cv.sa, TSH = cv.sb, TSW = cv.sc;
    const int TF = cv.sd;

    const long sp = get_global_id(0);
    long ngo = get_global_id(1);
    if (pm.sf) {
        /* every phase of a strided backward-data in this launch: dimension
         * 1 is (n, g, ob, phase), the phase fastest (the phases that write
         * the same rows of y run together, not one after another); the
         * phase's geometry along each axis from the host's table
         * (phase_axis()) */
        const int nf = pm.s0 * pm.s1 * pm.s2, f = (int)(ngo % nf);
        ngo /= nf;
        const int rr[3] = {f / (pm.s1 * pm.s2), f / pm.s2 % pm.s1, f % pm.s2};
        const int base[3] = {rr[0], pm.s0 + rr[1], pm.s0 + pm.s1 + rr[2]};
        int tab[32];
        vstore16(pt0, 0, tab);
        vstore16(pt1, 1, tab);
        int po[3], pk[3], plo[3], pt0v[3];
        for (int i = 0; i < 3; i++) {
            po[i] = tab[base[i] * 4], pk[i] = tab[base[i] * 4 + 1];
            plo[i] = tab[base[i] * 4 + 2], pt0v[i] = tab[base[i] * 4 + 3];
        }
        const int pd[3] = {pm.s3, pm.s4, pm.s5}, pts[3] = {pm.s6, pm.s7, pm.s8};
        OD = po[0], OH = po[1], OW = po[2], KD = pk[0], KH = pk[1], KW = pk[2];
        SD = SH = SW = 1, DD = pd[0], DH = pd[1], DW = pd[2];
        PD = plo[0], PH = plo[1], PW = plo[2];
        /* wr's taps: the weight's (pm.s9, sa, sb), in their order */
        wo += (((long)pt0v[0] * pm.sa + pt0v[1]) * pm.sb + pt0v[2]) * Cg * BW;
        TSD = pts[0] * pm.sa * pm.sb, TSH = pts[1] * pm.sb, TSW = pts[2];
        ys.s0 += rr[0] * ys.s4 + rr[1] * ys.s5 + rr[2] * ys.s6;
        ys.s4 *= pm.s0, ys.s5 *= pm.s1, ys.s6 *= pm.s2;
        NWB = (OW + WB - 1) / WB;
        /* the summation blocks as the host's: CB channels, ~256 terms */
        const int ptaps = KD * KH * KW;
        CB = min(Cg, ptaps >= 256 ? 1 : ptaps ? 256 / ptaps : Cg);
        const int nblk = (Cg + CB - 1) / CB;
        GS = 1;
        while (GS * GS < nblk) GS++;
    }
    if (sp >= (long)NWB * OH * OD || ngo >= (long)geo.s0 * geo.s1 * NOB) return;
    const int owb = (int)(sp % NWB), oh = (int)((sp / NWB) % OH), od = (int)(sp / ((long)NWB * OH));
    const int ob = (int)(ngo % NOB), g = (int)((ngo / NOB) % geo.s1), n = (int)(ngo / NOB / geo.s1);
    const int ow0 = owb * WB;

    /* taps along d and h that land inside the input: kd0 <= kd < kd1 */
    const int id0 = od * SD - PD, ih0 = oh * SH - PH, iw0 = ow0 * SW - PW;
    int kd0 = id0 < 0 ? (-id0 + DD - 1) / DD : 0, kh0 = ih0 < 0 ? (-ih0 + DH - 1) / DH : 0;
    int kd1 = ID - id0 <= 0 ? 0 : (ID - id0 - 1) / DD + 1,
        kh1 = IH - ih0 <= 0 ? 0 : (IH - ih0 - 1) / DH + 1;
    kd1 = min(kd1, KD);
    kh1 = min(kh1, KH);

    const long xw = xs.s6, sxw = (long)SW * xs.s6;
    /* the taps along w whose WB pixels all read inside the row: ka <= kw < kb */
    const int lastw = IW - 1 - (WB - 1) * SW - iw0;
    const int ka = iw0 >= 0 ? 0 : min(KW, (-iw0 + DW - 1) / DW),
              kb = lastw < 0 ? 0 : min(KW, lastw / DW + 1);
    __global const REAL *wbase = wr + wo + ((long)g * NOB + ob) * Cg * TF * BW;

    VEC tot[OCB][WB], grp[OCB][WB];
#pragma unroll
    for (int o = 0; o < OCB; o++)
#pragma unroll
        for (int p = 0; p < WB; p++) tot[o][p] = grp[o][p] = (VEC)0;
    int inblk = 0;
    for (int c0 = 0; c0 < Cg; c0 += CB) {
#ifdef CG
        /* few channels (the RGB stem's 3), all in one block: the loops over
         * them unrolled (a loop over 3 channels is mostly overhead) */
        const int nc = CG;
#else
        const int nc = min(CB, Cg - c0);
#endif
        VEC acc[OCB][WB];
#pragma unroll
        for (int o = 0; o < OCB; o++)
#pragma unroll
            for (int p = 0; p < WB; p++) acc[o][p] = (VEC)0;
        for (int kd = kd0; kd < kd1; kd++)
            for (int kh = kh0; kh < kh1; kh++) {
                /* the input row at iw = 0, channel c0; the weights of tap
                 * (kd, kh, 0), channel c0 */
                const long xrow = xs.s0 + n * xs.s1 + g * xs.s2 + c0 * xs.s3 +
                                  (long)(id0 + kd * DD) * xs.s4 + (long)(ih0 + kh * DH) * xs.s5;
                __global const VEC *wrow =
                    (__global const VEC *)(wbase + ((long)(kd * TSD + kh * TSH) * Cg + c0) * BW);
                for (int kw = 0; kw < KW; kw++) {
                    const int iwk = iw0 + kw * DW;
                    __global const VEC *wk = wrow + (long)kw * TSW * Cg * OCB;
                    const long xk = xrow + iwk * xw;
#ifdef CG
                    if (kw == ka && ka < kb) {
                        /* few channels: the interior taps ka <= kw < kb in
                         * one loop (a tap's channels, unrolled, are too
                         * little work for the per-tap tests: the 7x7/2
                         * stem 1.04x less CPU time than a tap at a time) */
                        for (; kw < kb; kw++) {
                            __global const VEC *wk = wrow + (long)kw * TSW * Cg * OCB;
                            const long xk = xrow + (iw0 + kw * DW) * xw;
                            TAP_RUN(0, WB);
                        }
                        kw--;
                        continue;
                    }
#endif
                    if (kw >= ka && kw < kb) {
                        /* every pixel inside: known without the two
                         * divisions below (they and their branches were
                         * paid once a tap, channel block and row) */
                        TAP_RUN(0, WB);
                        continue;
                    }
                    /* pixels pl <= p < ph read inside the row */
                    const int pl = iwk >= 0 ? 0 : min(WB, (-iwk + SW - 1) / SW);
                    const int ph = IW - iwk <= 0 ? 0 : min(WB, (IW - iwk - 1) / SW + 1);
                    if (pl == 1 && ph == WB) {
                        TAP_RUN(1, WB); /* the usual left border */
                    } else if (pl == 0 && ph == WB - 1) {
                        TAP_RUN(0, WB - 1); /* the usual right border */
                    } else if (pl < ph) {
                        /* any other border: pixels outside read element 0
                         * of the row and count as zero */
                        long off[WB];
                        int in[WB];
#pragma unroll
                        for (int p = 0; p < WB; p++) {
                            const int iw = iwk + p * SW;
                            in[p] = iw >= 0 && iw < IW;
                            off[p] = in[p] ? iw * xw : 0;
                        }
                        for (int c = 0; c < nc; c++) {
                            VEC wv[OCB];
#pragma unroll
                            for (int o = 0; o < OCB; o++) wv[o] = wk[c * OCB + o];
                            const long xc = xrow + c * xs.s3;
#pragma unroll
                            for (int p = 0; p < WB; p++) {
                                const REAL xe = LD(x, xc + off[p]);
                                const VEC xv = (VEC)(in[p] ? xe : (REAL)0);
#pragma unroll
                                for (int o = 0; o < OCB; o++) acc[o][p] = fma(xv, wv[o], acc[o][p]);
                            }
                        }
                    }
                }
            }
#pragma unroll
        for (int o = 0; o < OCB; o++)
#pragma unroll
            for (int p = 0; p < WB; p++) grp[o][p] += acc[o][p];
        if (++inblk == GS) {
            inblk = 0;
#pragma unroll
            for (int o = 0; o < OCB; o++)
#pragma unroll
                for (int p = 0; p < WB; p++) {
                    tot[o][p] += grp[o][p];
                    grp[o][p] = (VEC)0;
                }
        }
    }

    /* y = alpha * (sum + bias) + beta * y: the vector, then its lanes one
     * at a time (the lanes are output channels, far apart in y). With few
     * terms a sum (the 7x7/2 stem's 147) these stores are a large part of
     * the kernel, so the tests on bias, beta and the last channel are made
     * once a vector, not once a lane (they were about a third of the stem
     * forward's samples). */
    const long ybase = ys.s0 + n * ys.s1 + g * ys.s2 + od * ys.s4 + oh * ys.s5;
    const long ysc = ys.s3;
#pragma unroll
    for (int o = 0; o < OCB; o++) {
        const int oc0 = ob * BW + o * LANES;
        const int nl = min(LANES, Og - oc0);
        if (nl <= 0) break;
        REAL bv[LANES];
        for (int l = 0; l < LANES; l++)
            bv[l] =
                has_bias && l < nl ? LD(bias, bs.s0 + (g * (long)Og + oc0 + l) * bs.s1) : (REAL)0;
        const VEC bvec = VLOAD_REAL(bv);
        REAL rr[WB][LANES];
#pragma unroll
        for (int p = 0; p < WB; p++) VSTORE_REAL(alpha * (tot[o][p] + grp[o][p] + bvec), rr[p]);
        if (!sub.s0 && ys.s6 < ysc && beta == (REAL)0 && nl == LANES && ow0 + WB <= OW) {
            /* the WB pixels of a channel closer in y than the channels
             * (NCHW; a backward-data phase's, a step of the stride
             * apart): stored channel by channel, WB in a row (the 7x7/2
             * stem forward 1.10x, 3x3 64@56 1.07x less CPU time than
             * pixel by pixel, alternating in one process; the strided
             * backward-data 3x3/2 128@28 1.04-1.09x, 256@28 1.08-1.13x, 512@14
             * 1.01-1.05x) */
            const long yo = ybase + oc0 * ysc + ow0 * ys.s6;
            for (int l = 0; l < LANES; l++) {
#pragma unroll
                for (int p = 0; p < WB; p++) ST(y, yo + l * ysc + p * ys.s6, rr[p][l]);
            }
            continue;
        }
        /* anything else (NHWC, beta, the last pixels or channels, the
         * sub-pixel form) pixel by pixel, in loops: unrolled over the
         * pixels and for each case, this code was a third of the kernel's
         * native-code generation time at its first launch. The lanes'
         * offsets in y: channel oc0 + l, or in the sub-pixel form
         * (backward-data) channel v % C of phase v / C (v = oc0 + l). */
        long off[LANES];
        for (int l = 0; l < nl; l++) {
            const int v = oc0 + l;
            if (sub.s0) {
                const int c = v % (int)sub.s0, f = v / (int)sub.s0;
                const int rw = f % (int)sub.s3, rh = (f / (int)sub.s3) % (int)sub.s2,
                          rd = f / (int)sub.s3 / (int)sub.s2;
                off[l] = c * ysc + rd * sub.s4 + rh * sub.s5 + rw * sub.s6;
            } else {
                off[l] = v * ysc;
            }
        }
        const int np = min(WB, OW - ow0);
        for (int p = 0; p < np; p++) {
            const long yp = ybase + (ow0 + p) * ys.s6;
            for (int l = 0; l < nl; l++)
                ST(y, yp + off[l],
                   beta != (REAL)0 ? rr[p][l] + beta * LD(y, yp + off[l]) : rr[p][l]);
        }
    }
}
