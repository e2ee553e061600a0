/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * elementwise.cl - C = op(alpha * A, beta * B) element by element, over
 * strided views of up to eight axes (the host merges axes and gives
 * broadcast axes stride 0). One work-item per element of C: its linear
 * index r splits over the axes, the first (s0) the fastest:
 *
 *   x = alpha * A[a_off + sum_d i_d sa_d]
 *   y = hasb ? beta * B[b_off + sum_d i_d sb_d] : beta
 *   C[c_off + sum_d i_d sc_d] = x + y | x - y | x * y | max | min | x > y | x == y
 *
 * C may be A or B itself (the same elements, read before written by the
 * same work-item), so no pointer is restrict. max and min propagate NaN as
 * numpy's maximum and minimum do; the comparisons give 1 or 0.
 */
/* REAL, ELEM, LD and ST: prelude.cl */

__kernel void elementwise(__global const ELEM *A, const long a_off, const long8 sa,
                          __global const ELEM *B, const long b_off, const long8 sb, const int hasb,
                          __global ELEM *C, const long c_off, const long8 sc, const long8 n,
                          const int nd, const int op, const REAL alpha, const REAL beta)
{
    const long nn[8] = {n.s0, n.s1, n.s2, n.s3, n.s4, n.s5, n.s6, n.s7};
    const long ta[8] = {sa.s0, sa.s1, sa.s2, sa.s3, sa.s4, sa.s5, sa.s6, sa.s7};
    const long tb[8] = {sb.s0, sb.s1, sb.s2, sb.s3, sb.s4, sb.s5, sb.s6, sb.s7};
    const long tc[8] = {sc.s0, sc.s1, sc.s2, sc.s3, sc.s4, sc.s5, sc.s6, sc.s7};
    long r = get_global_id(0), pa = a_off, pb = b_off, pc = c_off;
    for (int d = 0; d < nd; d++) {
        const long i = r % nn[d];
        r /= nn[d];
        pa += i * ta[d];
        pb += i * tb[d];
        pc += i * tc[d];
    }
    const REAL x = alpha * LD(A, pa);
    const REAL y = hasb ? beta * LD(B, pb) : beta;
    REAL v;
    switch (op) {
    case 0: v = x + y; break;
    case 1: v = x - y; break;
    case 2: v = x * y; break;
    case 3: v = (x >= y || isnan(x)) ? x : y; break;
    case 4: v = (x <= y || isnan(x)) ? x : y; break;
    case 5: v = x > y ? (REAL)1 : (REAL)0; break;
    default: v = x == y ? (REAL)1 : (REAL)0; break;
    }
    ST(C, pc, v);
}
