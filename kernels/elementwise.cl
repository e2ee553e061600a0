/*
 * elementwise.cl - C = op(alpha * A, beta * B) element by element, over
 * strided views of up to three axes (the host merges axes, loops over any
 * beyond three and gives broadcast axes stride 0):
 *
 *   x = alpha * A[a_off + i0 sa.s0 + i1 sa.s1 + i2 sa.s2]
 *   y = hasb ? beta * B[b_off + ...] : beta
 *   C[c_off + ...] = x + y | x - y | x * y | max | min | x > y | x == y
 *
 * C may be A or B itself (the same elements, read before written by the
 * same work-item), so no pointer is restrict. max and min propagate NaN as
 * numpy's maximum and minimum do; the comparisons give 1 or 0.
 */
/* REAL, ELEM, LD and ST: prelude.cl */

__kernel void elementwise(__global const ELEM *A, const long a_off, const long4 sa,
                          __global const ELEM *B, const long b_off, const long4 sb, const int hasb,
                          __global ELEM *C, const long c_off, const long4 sc, const int op,
                          const REAL alpha, const REAL beta)
{
    const long i0 = get_global_id(0), i1 = get_global_id(1), i2 = get_global_id(2);
    const REAL x = alpha * LD(A, a_off + i0 * sa.s0 + i1 * sa.s1 + i2 * sa.s2);
    const REAL y = hasb ? beta * LD(B, b_off + i0 * sb.s0 + i1 * sb.s1 + i2 * sb.s2) : beta;
    REAL r;
    switch (op) {
    case 0: r = x + y; break;
    case 1: r = x - y; break;
    case 2: r = x * y; break;
    case 3: r = (x >= y || isnan(x)) ? x : y; break;
    case 4: r = (x <= y || isnan(x)) ? x : y; break;
    case 5: r = x > y ? (REAL)1 : (REAL)0; break;
    default: r = x == y ? (REAL)1 : (REAL)0; break;
    }
    ST(C, c_off + i0 * sc.s0 + i1 * sc.s1 + i2 * sc.s2, r);
}
