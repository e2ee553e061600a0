/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * unary.cl - one-operand einsums: permutation, sums over labels, diagonals
 * (already views), broadcasting to the output, and scaling.
 *
 *   C[m] = alpha * sum_k A(m, k) + beta * C[m]
 *
 * The output index space is split in two groups, outer (dim 1 of the
 * NDRange) and inner (dim 0), each with its own offset tables, so the tables
 * stay small (|outer| + |inner| entries) even for large outputs:
 *   A(m, k) = A[a_off + tab[ta_o + o] + tab[ta_i + i] + tab[ta_k + k]]
 *   C[m]    = C[c_off + tab[tc_o + o] + tab[tc_i + i]]
 * Guards of A are tables in the same way (g-major), checked per element.
 *
 * The sum over k runs in blocks of UKC terms, each in a fresh accumulator;
 * the blocks add into group sums of G = ceil(sqrt(blocks)) blocks, the
 * groups into the total (as gett.cl does), so that rounding errors grow like
 * UKC + 2 sqrt(K / UKC) additions rather than K.
 */
/* REAL, ELEM, LD and ST: prelude.cl */
#ifndef NGA
#define NGA 0
#endif
#ifndef UKC
#define UKC 256
#endif

__kernel void unary(__global const ELEM *restrict A, const long a_off, __global ELEM *restrict C,
                    const long c_off, __global const long *restrict tab, const int NI, const int NO,
                    const int K, const int ta_i, const int ta_o, const int ta_k, const int tc_i,
                    const int tc_o, const int ga_i, const int ga_o, const int ga_k,
                    const long4 exta4, const REAL alpha, const REAL beta)
{
    const int i = get_global_id(0), o = get_global_id(1);
    if (i >= NI || o >= NO) return;
    const long exta[4] = {exta4.s0, exta4.s1, exta4.s2, exta4.s3};
    const long base = a_off + tab[ta_o + o] + tab[ta_i + i];
#if NGA > 0
    long gbase[NGA];
    for (int g = 0; g < NGA; g++) gbase[g] = tab[ga_o + g * NO + o] + tab[ga_i + g * NI + i];
#endif
    const int nkb = (K + UKC - 1) / UKC;
    int G = (int)sqrt((float)nkb); /* blocks per group: ceil(sqrt(nkb)) */
    while (G * G < nkb) G++;
    while (G > 1 && (G - 1) * (G - 1) >= nkb) G--;
    REAL sum = 0, mid = 0;
    for (int kb = 0; kb < nkb; kb++) {
        const int k1 = (int)min((long)K, (long)(kb + 1) * UKC);
        REAL s = 0;
        for (int k = kb * UKC; k < k1; k++) {
#if NGA > 0
            int ok = 1;
            for (int g = 0; g < NGA; g++)
                ok &= (ulong)(gbase[g] + tab[ga_k + g * K + k]) < (ulong)exta[g];
            if (!ok) continue;
#endif
            s += LD(A, base + tab[ta_k + k]);
        }
        mid = kb % G == 0 ? s : mid + s;
        if (kb % G == G - 1 || kb == nkb - 1) sum = kb < G ? mid : sum + mid;
    }
    __global ELEM *c = C + c_off + tab[tc_o + o] + tab[tc_i + i];
    const REAL v = alpha * sum;
    ST(c, 0, beta != 0 ? fma(beta, LD(c, 0), v) : v);
}
