/*
 * dot.cl - the contraction of gett.cl for skinny shapes: N of at most DN
 * columns. A work-item owns one row m and all DN columns, and streams its
 * row of A once (guards checked per element) while the few B values come
 * from cache. It takes the same arguments and offset tables as gett, so the
 * planner chooses between them per step: it wins where gett's tiles would be
 * mostly padding and its packing would dominate (depthwise convolutions,
 * the backward-data of a layer with 3 input channels). dim 0 runs over M.
 *
 *   C[b, m, n] = alpha * sum_k A(b, m, k) * B(b, n, k) + beta * C[b, m, n]
 */
#ifdef WS_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#define REAL double
#else
#define REAL float
#endif
#ifndef NGA
#define NGA 0
#endif
#ifndef NGB
#define NGB 0
#endif
#ifndef DN
#define DN 1
#endif

__kernel void
gett_dot(__global const REAL *restrict A, const long a_off, __global const REAL *restrict B,
    const long b_off, __global REAL *restrict C, const long c_off, __global const long *restrict tab,
    const int M, const int N, const int K, const int nbatch, const int ta_m, const int ta_k,
    const int ta_b, const int tb_n, const int tb_k, const int tb_b, const int tc_m, const int tc_n,
    const int tc_b, const int ga_m, const int ga_k, const int ga_b, const int gb_n, const int gb_k,
    const int gb_b, const long4 exta4, const long4 extb4, const REAL alpha, const REAL beta,
     const long a_safe, const long b_safe, const int a_inner, const long a_st,
     const long4 a_cg4, const int b_inner, const long b_st, const long4 b_cg4,
     const int a_kinner, const long a_kst, const long4 a_kcg4, const int b_kinner,
     const long b_kst, const long4 b_kcg4)
{
    const int m = get_global_id(0), n0 = get_global_id(1) * DN, b = get_global_id(2);
    if (m >= M || n0 >= N) return;
    const long exta[4] = {exta4.s0, exta4.s1, exta4.s2, exta4.s3};
    const long extb[4] = {extb4.s0, extb4.s1, extb4.s2, extb4.s3};
    (void)a_safe, (void)b_safe, (void)a_inner, (void)a_st, (void)a_cg4;
    (void)b_inner, (void)b_st, (void)b_cg4, (void)a_kinner, (void)a_kst, (void)a_kcg4;
    (void)b_kinner, (void)b_kst, (void)b_kcg4;
    const long ab = a_off + tab[ta_b + b] + tab[ta_m + m];
    long ga[4], bb[DN], gb[DN][4];
    for (int g = 0; g < NGA; g++) ga[g] = tab[ga_b + g * nbatch + b] + tab[ga_m + g * M + m];
    for (int j = 0; j < DN; j++) {
        const int n = min(n0 + j, N - 1); /* columns past N are computed, not stored */
        bb[j] = b_off + tab[tb_b + b] + tab[tb_n + n];
        for (int g = 0; g < NGB; g++) gb[j][g] = tab[gb_b + g * nbatch + b] + tab[gb_n + g * N + n];
    }
    REAL sum[DN];
    for (int j = 0; j < DN; j++) sum[j] = 0;
    for (int k = 0; k < K; k++) {
        /* a guarded element is a real zero in the product, as in gett */
        int oka = 1;
        for (int g = 0; g < NGA; g++) oka &= (ulong)(ga[g] + tab[ga_k + g * K + k]) < (ulong)exta[g];
        const REAL a = oka ? A[ab + tab[ta_k + k]] : 0;
        const long bk = tab[tb_k + k];
        for (int j = 0; j < DN; j++) {
            int okb = 1;
            for (int g = 0; g < NGB; g++)
                okb &= (ulong)(gb[j][g] + tab[gb_k + g * K + k]) < (ulong)extb[g];
            const REAL bv = okb ? B[bb[j] + bk] : 0;
            sum[j] = fma(a, bv, sum[j]);
        }
    }
    const long cm = c_off + tab[tc_b + b] + tab[tc_m + m];
    for (int j = 0; j < DN && n0 + j < N; j++) {
        __global REAL *c = C + cm + tab[tc_n + n0 + j];
        const REAL v = alpha * sum[j];
        *c = beta != 0 ? fma(beta, *c, v) : v;
    }
}
