/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_accuracy.c - the rounding error of long float32 reductions.
 *
 * Sums of millions of positive terms (inputs uniform in [0, 1), so the
 * partial sums grow and every addition rounds relative to a large total)
 * against the exact sum on the host (products of floats are exact in
 * double; long double accumulates them). A sum that runs sequentially in
 * one float accumulator has an error growing like K; the kernels sum in K
 * blocks and groups of blocks, which must keep it within 10x of numpy's
 * (pairwise) error on the same inputs. The bounds are those measurements,
 * times 10, hard-coded below.
 *
 * Cases: the dot product (K = 4e6), a 4x4 GEMM (K = 1e6), the same GEMM
 * with K as two labels (split K on CPU-like devices), a plain sum (the
 * unary kernel, K = 4e6), and a convolution's backward-weight and
 * backward-bias (K = N*H*W = 1e6). The kernel family is the one
 * WINSUM_GETT selects (CMakeLists.txt runs this test with several).
 */
#include "testutil.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The inputs: a 64-bit LCG (Knuth's MMIX constants), 24 high bits as a float
 * in [0, 1). /usr/bin/python3 reproduces it exactly (see measure_numpy in the
 * comment at the end of this file). */
static void gen(float *v, size_t n, uint64_t seed)
{
    uint64_t x = seed;
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = (float)(x >> 40) * 0x1p-24f;
    }
}

/* Relative errors of numpy 1.24 float32 on these inputs, measured once with
 * /usr/bin/python3 (the script at the end of this file), numpy's pairwise
 * summation along a contiguous K (np.sum of the products, float32):
 *   dot, K = 4e6:                5.7e-7   (np.dot, BLAS: 3.0e-7)
 *   4x4 GEMM, K = 1e6:           2.8e-7 worst entry (a.T @ b, BLAS: 1.5e-6)
 *   sum, K = 4e6:                2.0e-7
 *   backward-weight, K = 1e6:    2.5e-7 worst entry
 *   backward-bias, K = 1e6:      1.2e-7 worst entry
 * The bounds: 10x these. The sequential float accumulator the kernels had
 * before gave 7.6e-4 on the dot product and 6.7e-5 on the GEMM. */
#define BOUND_DOT        5.7e-6
#define BOUND_GEMM       2.8e-6
#define BOUND_SUM        2.0e-6
#define BOUND_BWD_WEIGHT 2.5e-6
#define BOUND_BWD_BIAS   1.2e-6

static winsum_context *CTX;

static winsum_buffer upload(const float *h, size_t n)
{
    winsum_buffer b;
    CHECK_STATUS(winsum_buffer_alloc(CTX, n * sizeof(float), &b), WINSUM_OK);
    if (h) CHECK_STATUS(winsum_buffer_write(CTX, &b, 0, h, n * sizeof(float)), WINSUM_OK);
    return b;
}

/* worst relative error of got[0..n) against exact[0..n) */
static double rel_err(const float *got, const long double *exact, int n)
{
    double worst = 0;
    for (int i = 0; i < n; i++) {
        double e = (double)fabsl(((long double)got[i] - exact[i]) / exact[i]);
        if (!(e <= worst)) worst = e; /* NaN counts as worst */
    }
    return worst;
}

/* out[n] = einsum(subs, a, b) over float32 views; returns the error */
static double run(const char *what, const char *subs, int nops, const winsum_view *v,
                  winsum_buffer *outb, int nout, const int64_t *oshape, int ondim,
                  const long double *exact, double bound)
{
    winsum_view out = winsum_view_contiguous(outb, WINSUM_F32, ondim, oshape);
    float got[16];
    for (int i = 0; i < nout; i++) got[i] = NAN;
    winsum_plan *p = NULL;
    winsum_status st = winsum_plan_create(CTX, &p, subs, nops, v, &out);
    CHECK_STATUS(st, WINSUM_OK);
    if (st) return INFINITY;
    CHECK_STATUS(winsum_plan_execute(p, NULL, NULL, 1.0, 0.0, NULL), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_read(CTX, outb, 0, got, (size_t)nout * sizeof(float)), WINSUM_OK);
    double e = rel_err(got, exact, nout);
    printf("%-32s relative error %.2e (bound %.1e)\n", what, e, bound);
    if (e > bound) printf("%s", winsum_plan_describe(p));
    CHECK_MSG(e <= bound, "%s: relative error %.3e > %.1e", what, e, bound);
    winsum_plan_destroy(p);
    return e;
}

int main(void)
{
    winsum_backend be = getenv("WINSUM_ACCURACY_REF") ? WINSUM_BACKEND_REF : WINSUM_BACKEND_OPENCL;
    if (winsum_context_create(&CTX, be, NULL) != WINSUM_OK) {
        printf("no OpenCL device: %s\n", winsum_last_error(NULL));
        return tu_finish("test_accuracy");
    }
    if (be == WINSUM_BACKEND_OPENCL) tu_print_tiles(CTX);
    winsum_buffer ob = upload(NULL, 16);

    /* the dot product and the plain sum, K = 4e6 */
    {
        const int64_t K = 4000000;
        float *a = malloc((size_t)K * sizeof *a), *b = malloc((size_t)K * sizeof *b);
        gen(a, (size_t)K, 1);
        gen(b, (size_t)K, 2);
        long double dot = 0, sum = 0;
        for (int64_t k = 0; k < K; k++) {
            dot += (long double)((double)a[k] * b[k]);
            sum += a[k];
        }
        winsum_buffer ab = upload(a, (size_t)K), bb = upload(b, (size_t)K);
        winsum_view v[2] = {winsum_view_contiguous(&ab, WINSUM_F32, 1, &K),
                            winsum_view_contiguous(&bb, WINSUM_F32, 1, &K)};
        run("dot i,i-> K=4e6", "i,i->", 2, v, &ob, 1, NULL, 0, &dot, BOUND_DOT);
        run("sum i-> K=4e6", "i->", 1, v, &ob, 1, NULL, 0, &sum, BOUND_SUM);
        winsum_buffer_free(CTX, &ab);
        winsum_buffer_free(CTX, &bb);
        free(a);
        free(b);
    }

    /* the 4x4 GEMM, K = 1e6: one K label, then two (split K); and as a
     * convolution's backward-weight (x: 4 images of 1 channel, 500x500;
     * gy: 4 filters; 1x1 kernel; K = N*H*W) and backward-bias */
    {
        const int64_t K = 1000000;
        float *a = malloc((size_t)K * 4 * sizeof *a), *b = malloc((size_t)K * 4 * sizeof *b);
        gen(a, (size_t)K * 4, 3);
        gen(b, (size_t)K * 4, 4);
        long double c[16] = {0}, cb[16] = {0}, bias[4] = {0};
        for (int64_t k = 0; k < K; k++)
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    c[i * 4 + j] += (long double)((double)a[k * 4 + i] * b[k * 4 + j]);
        winsum_buffer ab = upload(a, (size_t)K * 4), bb = upload(b, (size_t)K * 4);
        const int64_t s2[2] = {K, 4}, s3[3] = {64, K / 64, 4}, o2[2] = {4, 4};
        winsum_view v[2] = {winsum_view_contiguous(&ab, WINSUM_F32, 2, s2),
                            winsum_view_contiguous(&bb, WINSUM_F32, 2, s2)};
        run("gemm ki,kj->ij K=1e6", "ki,kj->ij", 2, v, &ob, 16, o2, 2, c, BOUND_GEMM);
        v[0] = winsum_view_contiguous(&ab, WINSUM_F32, 3, s3);
        v[1] = winsum_view_contiguous(&bb, WINSUM_F32, 3, s3);
        run("gemm abi,abj->ij K=64*15625", "abi,abj->ij", 2, v, &ob, 16, o2, 2, c, BOUND_GEMM);

        /* convolution: x (4, 1, 500, 500) NCHW is a[0 .. 1e6); gy (4, 4, 500, 500)
         * is b; gw[o, 0, 0, 0] = sum_{n,h,w} x[n,0,h,w] * gy[n,o,h,w] */
        for (int64_t n = 0; n < 4; n++)
            for (int o = 0; o < 4; o++)
                for (int64_t s = 0; s < 250000; s++) {
                    float g = b[(n * 4 + o) * 250000 + s];
                    cb[o] += (long double)((double)a[n * 250000 + s] * g);
                    bias[o] += g;
                }
        winsum_conv_desc d;
        winsum_conv_desc_init(&d);
        const int64_t xs[4] = {4, 1, 500, 500}, gys[4] = {4, 4, 500, 500}, ws[4] = {4, 1, 1, 1},
                      bs[1] = {4};
        winsum_view x = winsum_view_contiguous(&ab, WINSUM_F32, 4, xs),
                    gy = winsum_view_contiguous(&bb, WINSUM_F32, 4, gys),
                    gw = winsum_view_contiguous(&ob, WINSUM_F32, 4, ws),
                    gbv = winsum_view_contiguous(&ob, WINSUM_F32, 1, bs);
        float got[4];
        CHECK_STATUS(winsum_conv_backward_weight(CTX, &d, &x, &gy, &gw, 1.0, 0.0), WINSUM_OK);
        CHECK_STATUS(winsum_buffer_read(CTX, &ob, 0, got, sizeof got), WINSUM_OK);
        double e = rel_err(got, cb, 4);
        printf("%-32s relative error %.2e (bound %.1e)\n", "conv backward-weight K=1e6", e,
               BOUND_BWD_WEIGHT);
        CHECK_MSG(e <= BOUND_BWD_WEIGHT, "backward-weight: relative error %.3e", e);
        CHECK_STATUS(winsum_conv_backward_bias(CTX, &d, &gy, &gbv, 1.0, 0.0), WINSUM_OK);
        CHECK_STATUS(winsum_buffer_read(CTX, &ob, 0, got, sizeof got), WINSUM_OK);
        e = rel_err(got, bias, 4);
        printf("%-32s relative error %.2e (bound %.1e)\n", "conv backward-bias K=1e6", e,
               BOUND_BWD_BIAS);
        CHECK_MSG(e <= BOUND_BWD_BIAS, "backward-bias: relative error %.3e", e);
        winsum_buffer_free(CTX, &ab);
        winsum_buffer_free(CTX, &bb);
        free(a);
        free(b);
    }
    winsum_buffer_free(CTX, &ob);
    winsum_context_destroy(CTX);
    return tu_finish("test_accuracy");
}

/* The numpy measurement (/usr/bin/python3, numpy 1.24):
 *
 * import numpy as np
 * M = (1 << 64) - 1
 * def gen(n, seed):
 *     x = np.empty(n, np.uint64); s = seed
 *     for i in range(n):
 *         s = (s * 6364136223846793005 + 1442695040888963407) & M; x[i] = s >> 40
 *     return (x.astype(np.float64) * 2.0**-24).astype(np.float32)
 * rel = lambda got, ex: np.max(abs(got / ex - 1))
 * a, b = gen(4000000, 1), gen(4000000, 2)
 * print(rel(np.sum(a * b), np.sum(a.astype(np.float64) * b)))           # dot
 * print(rel(np.sum(a), np.sum(a.astype(np.float64))))                   # sum
 * a, b = gen(4000000, 3).reshape(-1, 4).T.copy(), gen(4000000, 4).reshape(-1, 4).T.copy()
 * ex = a.astype(np.float64) @ b.T.astype(np.float64)
 * print(rel(np.array([[np.sum(a[i] * b[j]) for j in range(4)] for i in range(4)]), ex))
 * x = gen(4000000, 3)[:1000000].reshape(4, -1); gy = gen(4000000, 4).reshape(4, 4, -1)
 * exw = np.einsum('ns,nos->o', x.astype(np.float64), gy.astype(np.float64))
 * print(rel(np.array([np.sum(x * gy[:, o]) for o in range(4)]), exw))    # backward-weight
 * print(rel(np.array([np.sum(gy[:, o].copy()) for o in range(4)]),
 *           gy.astype(np.float64).sum((0, 2))))                          # backward-bias
 */
