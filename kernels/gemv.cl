/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * gemv.cl - batched matrix-vector products: the two-operand steps with no
 * N labels (a depthwise convolution, forward and backward, is one per group;
 * a dot product; an einsum that sums a matrix against a vector).
 *
 *   C[b, m] = alpha * sum_k A(b, m, k) * B(b, k) + beta * C[b, m]
 *
 * Every operand is read through offset tables as in gett.cl:
 *   A(b, m, k) = A[a_off + tab[ta_b + b] + tab[ta_m + m] + tab[ta_k + k]]
 *   B(b, k)    = B[b_off + tab[tb_b + b] + tab[tb_k + k]]
 *   C[b, m]    = C[c_off + tab[tc_b + b] + tab[tc_m + m]]
 * and guard g of A has value tab[ga_b + g*nbatch + b] + tab[ga_m + g*M + m]
 * + tab[ga_k + g*K + k] (B: gb_b, gb_k), the element reading as 0 unless
 * 0 <= value < ext[g]. A failing element is never loaded (a guarded load,
 * which the compiler turns into a masked vector load). With G32 the guard
 * tables are int32 (tab32, offsets in ints; the host packs them where every
 * value fits), so that a vector of guard tests is as wide as one of floats:
 * the test 0 <= part + t < ext becomes lo <= t < hi, with the bounds lo and
 * hi of the part that is constant along the lanes clamped to int32.
 *
 * A work-item owns `rows` consecutive rows m of `batches` consecutive
 * batches b (get_global_id(0): the row chunk, 1: the batch chunk) and
 * computes each output whole: no work-item shares a sum, so no barrier and
 * no local memory. Its inner loop runs over VL lanes along a run, a range of
 * flat indices along which the address steps by one stride (the host gives
 * each run's length and stride; guards need no run, they are read per
 * element from their tables, which are contiguous in the flat index):
 *  - ROWS (lanes along M): a piece of up to VL rows of one run of A and C;
 *    for every k, the lanes add A(b, m, k) * B(b, k). Where A's rows are
 *    contiguous (a depthwise forward or backward-data: M = n, x, y).
 *  - !ROWS (lanes along K): ROWB rows at a time; for each piece of up to VL
 *    terms of one run of A and B along K, each row's lanes add their
 *    products; a tree sums them at the end of every K block. Where A's K is contiguous (a
 *    depthwise backward-weight: M = the taps, K = n, x, y; a dot product).
 *
 * Summation (as gett.cl and unary.cl): K is summed in blocks of kblock
 * terms, each in fresh accumulators that receive at most 256 terms (ROWS:
 * kblock = 256, one term a lane per k; lanes along K: kblock = 256 times the
 * host's piece length, one term a lane per piece, the lanes then summed as a
 * tree); the blocks add into group sums of G = ceil(sqrt(blocks)) blocks, the
 * groups into the total. C is read (only when beta != 0) and written once,
 * so float16 (prelude.cl: LD, ST) is rounded once, from the float total.
 */
#ifndef VL
#define VL 64
#endif
#ifndef ROWS
#define ROWS 1
#endif
#ifndef NGA
#define NGA 0
#endif
#ifndef NGB
#define NGB 0
#endif
#ifndef ROWB
#define ROWB 1
#endif
#ifndef G32
#define G32 0
#endif

#if G32
#define GT   int
#define GTAB tab32
/* bounds of t from the constant part: clamped into int32 (the host keeps
 * every table value within INT_MIN + 1 .. INT_MAX - 1, so a clamped bound
 * decides as the exact one) */
#define GBOUND(v) ((int)clamp((v), (long)INT_MIN, (long)INT_MAX))
#else
#define GT        long
#define GTAB      tab
#define GBOUND(v) (v)
#endif

/* 1 when every guard of A (B) passes for the lane table value at T[g * n +
 * i]: lo[g] <= t < hi[g]. Written out per guard so that the lane loops
 * vectorise. */
#define GIN_(T, n, i, lo, hi, g) (((T)[(g) * (n) + (i)] >= lo[g]) & ((T)[(g) * (n) + (i)] < hi[g]))
#define GALL_(NG, T, n, i, lo, hi)                                                 \
    ((NG < 1 || GIN_(T, n, i, lo, hi, 0)) & (NG < 2 || GIN_(T, n, i, lo, hi, 1)) & \
     (NG < 3 || GIN_(T, n, i, lo, hi, 2)) & (NG < 4 || GIN_(T, n, i, lo, hi, 3)))

/* Folds s, the sum of K block kb, into the group sum m and the total t: the
 * group's first block starts m, its last adds m into t (the first group's
 * starts t); after the last block t holds the whole sum. */
#define FOLD(s, m, t)               \
    do {                            \
        REAL s_ = (s);              \
        if (!gfirst) s_ += (m);     \
        if (!glast) {               \
            (m) = s_;               \
        } else {                    \
            if (!group0) s_ += (t); \
            (t) = s_;               \
        }                           \
    } while (0)

__kernel void gemv(__global const ELEM *restrict A, const long a_off,
                   __global const ELEM *restrict B, const long b_off, __global ELEM *restrict C,
                   const long c_off, __global const long *restrict tab,
                   __global const int *restrict tab32, const int M, const int K, const int kblock,
                   const int nbatch, const int rows, const int batches, const int ta_m,
                   const int ta_k, const int ta_b, const int tb_k, const int tb_b, const int tc_m,
                   const int tc_b, const int ga_m, const int ga_k, const int ga_b, const int gb_k,
                   const int gb_b, const long4 exta4, const long4 extb4, const REAL alpha,
                   const REAL beta, const int a_run, const long a_st, const int a_krun,
                   const long a_kst, const int b_krun, const long b_kst, const int c_run,
                   const long c_st)
{
    const long r0l = (long)get_global_id(0) * rows, b0l = (long)get_global_id(1) * batches;
    if (r0l >= M || b0l >= nbatch) return; /* a GPU-like NDRange rounded up */
    const int r0 = (int)r0l, r1 = (int)min((long)M, r0l + rows);
    const int b0 = (int)b0l, b1 = (int)min((long)nbatch, b0l + batches);
    const long exta[4] = {exta4.s0, exta4.s1, exta4.s2, exta4.s3};
    const long extb[4] = {extb4.s0, extb4.s1, extb4.s2, extb4.s3};
    const int nkb = K > 0 ? (int)(((long)K + kblock - 1) / kblock) : 1;
    int G = (int)sqrt((float)nkb); /* blocks per group: ceil(sqrt(nkb)) */
    while (G * G < nkb) G++;
    while (G > 1 && (G - 1) * (G - 1) >= nkb) G--;
    for (int b = b0; b < b1; b++) {
        const long abase = a_off + tab[ta_b + b], bbase = b_off + tab[tb_b + b];
        __global ELEM *cb = C + c_off + tab[tc_b + b];
        long gab[4] = {0, 0, 0, 0}, gbb[4] = {0, 0, 0, 0};
#pragma unroll
        for (int g = 0; g < NGA; g++) gab[g] = GTAB[ga_b + g * nbatch + b];
#pragma unroll
        for (int g = 0; g < NGB; g++) gbb[g] = GTAB[gb_b + g * nbatch + b];
#if ROWS
        for (int r = r0; r < r1;) {
            /* a piece: the rest of this run of A and of C (within the rows),
             * cut into equal parts of at most VL */
            const int seg = min(r1 - r, min(a_run - r % a_run, c_run - r % c_run));
            const int parts = (seg + VL - 1) / VL, len = (seg + parts - 1) / parts;
            const long arow = abase + tab[ta_m + r];
            __global const GT *gm = GTAB + ga_m + r; /* A's row guards, lane i at gm[g*M + i] */
            REAL acc[VL], mid[VL], tot[VL];
            for (int kb = 0; kb < nkb; kb++) {
                const int k1 = (int)min((long)K, (long)(kb + 1) * kblock);
                const int gfirst = kb % G == 0, glast = kb == nkb - 1 || kb % G == G - 1,
                          group0 = kb < G;
                for (int i = 0; i < len; i++) acc[i] = 0;
                for (int k = kb * kblock; k < k1; k++) {
                    int okb = 1;
#pragma unroll
                    for (int g = 0; g < NGB; g++)
                        okb &= (ulong)(gbb[g] + GTAB[gb_k + g * K + k]) < (ulong)extb[g];
                    if (!okb) continue;
                    const REAL v = LD(B, bbase + tab[tb_k + k]);
                    const long at = arow + tab[ta_k + k];
#if NGA > 0
                    GT lo[4] = {0, 0, 0, 0}, hi[4] = {0, 0, 0, 0};
#pragma unroll
                    for (int g = 0; g < NGA; g++) {
                        const long part = gab[g] + GTAB[ga_k + g * K + k];
                        lo[g] = GBOUND(-part);
                        hi[g] = GBOUND(exta[g] - part);
                    }
                    if (a_st == 1) {
                        __global const ELEM *ap = A + at;
                        for (int i = 0; i < len; i++) {
                            const REAL a = GALL_(NGA, gm, M, i, lo, hi) ? LD(ap, i) : (REAL)0;
                            acc[i] = fma(a, v, acc[i]);
                        }
                    } else {
                        for (int i = 0; i < len; i++) {
                            const REAL a =
                                GALL_(NGA, gm, M, i, lo, hi) ? LD(A, at + i * a_st) : (REAL)0;
                            acc[i] = fma(a, v, acc[i]);
                        }
                    }
#else
                    if (a_st == 1) {
                        __global const ELEM *ap = A + at;
                        for (int i = 0; i < len; i++) acc[i] = fma(LD(ap, i), v, acc[i]);
                    } else {
                        for (int i = 0; i < len; i++) acc[i] = fma(LD(A, at + i * a_st), v, acc[i]);
                    }
#endif
                }
                for (int i = 0; i < len; i++) FOLD(acc[i], mid[i], tot[i]);
            }
            __global ELEM *c = cb + tab[tc_m + r];
            if (beta != 0) {
                for (int i = 0; i < len; i++)
                    ST(c, i * c_st, fma(beta, LD(c, i * c_st), alpha * tot[i]));
            } else {
                for (int i = 0; i < len; i++) ST(c, i * c_st, alpha * tot[i]);
            }
            r += len;
        }
#else
        /* B's guard bounds: constant for the batch */
        GT blo[4] = {0, 0, 0, 0}, bhi[4] = {0, 0, 0, 0};
#pragma unroll
        for (int g = 0; g < NGB; g++) {
            blo[g] = GBOUND(-gbb[g]);
            bhi[g] = GBOUND(extb[g] - gbb[g]);
        }
        for (int rb = r0; rb < r1; rb += ROWB) {
            /* ROWB rows at a time share each piece's table loads */
            const int nr = min(ROWB, r1 - rb);
            long arow[ROWB];
            GT alo[ROWB][4], ahi[ROWB][4]; /* A's guard bounds: constant for the row */
            REAL mid[ROWB], tot[ROWB], acc[ROWB][VL];
            for (int q = 0; q < nr; q++) {
                arow[q] = abase + tab[ta_m + rb + q];
#pragma unroll
                for (int g = 0; g < 4; g++) alo[q][g] = ahi[q][g] = 0;
#pragma unroll
                for (int g = 0; g < NGA; g++) {
                    const long part = gab[g] + GTAB[ga_m + g * M + rb + q];
                    alo[q][g] = GBOUND(-part);
                    ahi[q][g] = GBOUND(exta[g] - part);
                }
            }
            for (int kb = 0; kb < nkb; kb++) {
                const int k1 = (int)min((long)K, (long)(kb + 1) * kblock);
                const int gfirst = kb % G == 0, glast = kb == nkb - 1 || kb % G == G - 1,
                          group0 = kb < G;
                for (int q = 0; q < nr; q++)
                    for (int i = 0; i < VL; i++) acc[q][i] = 0;
                int used = 0;
                for (int k = kb * kblock; k < k1;) {
                    /* a piece: the rest of this run of A and of B along K (one
                     * divides the other) within the block, cut into equal
                     * parts of at most VL */
                    const int seg = min(k1 - k, min(a_krun - k % a_krun, b_krun - k % b_krun));
                    const int parts = (seg + VL - 1) / VL, len = (seg + parts - 1) / parts;
                    const long ak = tab[ta_k + k], bk = bbase + tab[tb_k + k];
#if NGA > 0 || NGB > 0
                    /* the lane tables of the guards along K */
                    __global const GT *gka = GTAB + ga_k + k, *gkb = GTAB + gb_k + k;
                    for (int q = 0; q < nr; q++) {
                        const long a0 = arow[q] + ak;
                        for (int i = 0; i < len; i++) {
                            const int ok = GALL_(NGA, gka, K, i, alo[q], ahi[q]) &
                                           GALL_(NGB, gkb, K, i, blo, bhi);
                            const REAL a = ok ? LD(A, a0 + i * a_kst) : (REAL)0;
                            const REAL v = ok ? LD(B, bk + i * b_kst) : (REAL)0;
                            acc[q][i] = fma(a, v, acc[q][i]);
                        }
                    }
#else
                    for (int q = 0; q < nr; q++) {
                        const long a0 = arow[q] + ak;
                        if (a_kst == 1 && b_kst == 1) {
                            __global const ELEM *ap = A + a0, *bp = B + bk;
                            for (int i = 0; i < len; i++)
                                acc[q][i] = fma(LD(ap, i), LD(bp, i), acc[q][i]);
                        } else {
                            for (int i = 0; i < len; i++)
                                acc[q][i] =
                                    fma(LD(A, a0 + i * a_kst), LD(B, bk + i * b_kst), acc[q][i]);
                        }
                    }
#endif
                    used = max(used, len);
                    k += len;
                }
                /* each row's lanes, summed as a tree over the lanes used */
                int w0 = 1;
                while (w0 < used) w0 *= 2;
                for (int q = 0; q < nr; q++) {
                    for (int w = w0 / 2; w > 0; w /= 2)
                        for (int i = 0; i < w; i++) acc[q][i] += acc[q][i + w];
                    FOLD(acc[q][0], mid[q], tot[q]);
                }
            }
            for (int q = 0; q < nr; q++) {
                __global ELEM *c = cb + tab[tc_m + rb + q];
                const REAL v = alpha * tot[q];
                ST(c, 0, beta != 0 ? fma(beta, LD(c, 0), v) : v);
            }
        }
#endif
    }
}
