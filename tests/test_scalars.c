/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_scalars.c - alpha and beta at the edges, on both backends.
 *
 * winsum.h: alpha and beta must be finite, and each either 0 or of a
 * magnitude the arithmetic type holds as a normal number (float for float32
 * and float16, double for float64); anything else is refused with
 * WINSUM_ERR_ARGUMENT, a message naming the scalar and its value, and
 * nothing written. beta == 0 is decided on the caller's value: then the
 * output is not read (NaN there does not matter); any other beta reads it.
 * Accepted extremes give the same IEEE results on the reference and the
 * OpenCL backend.
 */
#include "testutil.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static winsum_context *CTX[2]; /* reference, OpenCL (NULL without a device) */
static const char *const BNAME[2] = {"ref", "opencl"};

static const char *dname(winsum_dtype d)
{
    return d == WINSUM_F64 ? "float64" : d == WINSUM_F32 ? "float32" : "float16";
}

static void put(winsum_dtype dt, void *p, size_t i, double v)
{
    if (dt == WINSUM_F32) ((float *)p)[i] = (float)v;
    else if (dt == WINSUM_F16) ((uint16_t *)p)[i] = winsum_f16_from_double(v);
    else ((double *)p)[i] = v;
}

static double get(winsum_dtype dt, const void *p, size_t i)
{
    if (dt == WINSUM_F32) return ((const float *)p)[i];
    if (dt == WINSUM_F16) return winsum_f16_to_double(((const uint16_t *)p)[i]);
    return ((const double *)p)[i];
}

/* A (2x3) . B (3x2) -> C (2x2), or with unary, sum_j A (2x3) -> C (2): C
 * starts as `c0` everywhere. Returns the status; c receives C. */
static winsum_status einsum(winsum_context *ctx, winsum_dtype dt, int unary, double alpha,
                            double beta, double c0, double *c)
{
    char ha[6 * 8], hb[6 * 8], hc[4 * 8];
    for (int i = 0; i < 6; i++) {
        put(dt, ha, (size_t)i, 0.25 * (i + 1));
        put(dt, hb, (size_t)i, 0.5 - 0.125 * i);
    }
    for (int i = 0; i < 4; i++) put(dt, hc, (size_t)i, c0);
    size_t es = winsum_dtype_size(dt);
    winsum_buffer a, b, o;
    winsum_buffer_alloc(ctx, 6 * es, &a);
    winsum_buffer_alloc(ctx, 6 * es, &b);
    winsum_buffer_alloc(ctx, 4 * es, &o);
    winsum_buffer_write(ctx, &a, 0, ha, 6 * es);
    winsum_buffer_write(ctx, &b, 0, hb, 6 * es);
    winsum_buffer_write(ctx, &o, 0, hc, 4 * es);
    const int64_t sa[2] = {2, 3}, sb[2] = {3, 2}, sc[2] = {2, 2};
    winsum_view ops[2] = {winsum_view_contiguous(&a, dt, 2, sa),
                          winsum_view_contiguous(&b, dt, 2, sb)};
    winsum_view out = winsum_view_contiguous(&o, dt, unary ? 1 : 2, sc);
    winsum_status st = unary ? winsum_einsum(ctx, "ij->i", 1, ops, &out, alpha, beta)
                             : winsum_einsum(ctx, "ij,jk->ik", 2, ops, &out, alpha, beta);
    winsum_buffer_read(ctx, &o, 0, hc, 4 * es);
    for (int i = 0; i < 4; i++) c[i] = get(dt, hc, (size_t)i);
    winsum_buffer_free(ctx, &a);
    winsum_buffer_free(ctx, &b);
    winsum_buffer_free(ctx, &o);
    return st;
}

/* the same IEEE value (NaN matches NaN, inf matches inf of its sign), or
 * finite values within a relative tolerance */
static int same(double x, double y, double tol)
{
    if (isnan(x) || isnan(y)) return isnan(x) && isnan(y);
    if (isinf(x) || isinf(y)) return x == y;
    return fabs(x - y) <= tol * fmax(fabs(x), fabs(y)) + 1e-300;
}

/* a refused scalar: WINSUM_ERR_ARGUMENT, a message naming it and its value,
 * the output untouched */
static void refused(winsum_dtype dt, const char *which, double v)
{
    char val[64];
    snprintf(val, sizeof val, "%g", v);
    for (int be = 0; be < 2; be++) {
        if (!CTX[be]) continue;
        for (int unary = 0; unary < 2; unary++) {
            double c[4];
            int is_alpha = which[0] == 'a';
            winsum_status st =
                einsum(CTX[be], dt, unary, is_alpha ? v : 1.0, is_alpha ? 0.5 : v, 7.0, c);
            CHECK_MSG(st == WINSUM_ERR_ARGUMENT, "%s %s %s %s = %s: got %s", BNAME[be], dname(dt),
                      unary ? "unary" : "gemm", which, val, winsum_status_string(st));
            const char *msg = winsum_last_error(CTX[be]);
            CHECK_MSG(strstr(msg, which) && strstr(msg, val), "%s %s %s = %s: message '%s'",
                      BNAME[be], dname(dt), which, val, msg);
            for (int i = 0; i < (unary ? 2 : 4); i++)
                CHECK_MSG(c[i] == 7.0, "%s %s %s = %s: output written (%g)", BNAME[be], dname(dt),
                          which, val, c[i]);
        }
    }
}

/* an accepted pair: both backends give the same results; `expect` checks
 * the reference's first element when not NULL */
static void agree(winsum_dtype dt, double alpha, double beta, double c0, const char *what,
                  int (*expect)(double))
{
    for (int unary = 0; unary < 2; unary++) {
        double c[2][4];
        for (int be = 0; be < 2; be++) {
            if (!CTX[be]) continue;
            winsum_status st = einsum(CTX[be], dt, unary, alpha, beta, c0, c[be]);
            CHECK_MSG(st == WINSUM_OK, "%s %s %s: %s (%s)", BNAME[be], dname(dt), what,
                      winsum_status_string(st), winsum_last_error(CTX[be]));
        }
        if (expect)
            CHECK_MSG(expect(c[0][0]), "%s %s (%s): reference gives %g", dname(dt), what,
                      unary ? "unary" : "gemm", c[0][0]);
        if (!CTX[1]) continue;
        double tol = dt == WINSUM_F16 ? 1e-3 : dt == WINSUM_F32 ? 1e-6 : 1e-14;
        for (int i = 0; i < (unary ? 2 : 4); i++)
            CHECK_MSG(same(c[0][i], c[1][i], tol), "%s %s (%s)[%d]: ref %.9g, opencl %.9g",
                      dname(dt), what, unary ? "unary" : "gemm", i, c[0][i], c[1][i]);
    }
}

static int is_nan(double v) { return isnan(v); }
static int is_finite(double v) { return isfinite(v); }
static int is_posinf(double v) { return isinf(v) && v > 0; }

/* the convolutions refuse the same scalars, in their own terms */
static void conv_refusals(winsum_context *ctx, const char *bname)
{
    winsum_conv_desc d;
    winsum_conv_desc_init(&d);
    const int64_t xs[4] = {1, 1, 4, 4}, ws[4] = {1, 1, 3, 3}, ys[4] = {1, 1, 2, 2}, bs[1] = {1};
    winsum_buffer xb, wb, yb, bb;
    winsum_buffer_alloc(ctx, 16 * 4, &xb);
    winsum_buffer_alloc(ctx, 9 * 4, &wb);
    winsum_buffer_alloc(ctx, 4 * 4, &yb);
    winsum_buffer_alloc(ctx, 4, &bb);
    float hx[16], hw[9], hy[4] = {7, 7, 7, 7}, hb[1] = {1};
    for (int i = 0; i < 16; i++) hx[i] = (float)i;
    for (int i = 0; i < 9; i++) hw[i] = 1;
    winsum_buffer_write(ctx, &xb, 0, hx, sizeof hx);
    winsum_buffer_write(ctx, &wb, 0, hw, sizeof hw);
    winsum_buffer_write(ctx, &bb, 0, hb, sizeof hb);
    winsum_view x = winsum_view_contiguous(&xb, WINSUM_F32, 4, xs),
                w = winsum_view_contiguous(&wb, WINSUM_F32, 4, ws),
                y = winsum_view_contiguous(&yb, WINSUM_F32, 4, ys),
                b = winsum_view_contiguous(&bb, WINSUM_F32, 1, bs);
    static const double bad[3] = {1e300, 1e-50, NAN};
    for (int op = 0; op < 5; op++)
        for (int k = 0; k < 3; k++)
            for (int which = 0; which < 2; which++) {
                double al = which ? 1.0 : bad[k], be = which ? bad[k] : 0.0;
                winsum_buffer_write(ctx, &yb, 0, hy, sizeof hy);
                winsum_buffer_write(ctx, &xb, 0, hx, sizeof hx);
                winsum_buffer_write(ctx, &wb, 0, hw, sizeof hw);
                winsum_buffer_write(ctx, &bb, 0, hb, sizeof hb);
                winsum_status st;
                const char *name[5] = {"forward", "backward-data", "backward-weight",
                                       "backward-bias", "transpose"};
                switch (op) {
                case 0: st = winsum_conv_forward(ctx, &d, &x, &w, &b, &y, al, be); break;
                case 1: st = winsum_conv_backward_data(ctx, &d, &y, &w, &x, al, be); break;
                case 2: st = winsum_conv_backward_weight(ctx, &d, &x, &y, &w, al, be); break;
                case 3: st = winsum_conv_backward_bias(ctx, &d, &y, &b, al, be); break;
                default: st = winsum_conv_transpose(ctx, &d, &y, &w, &x, al, be); break;
                }
                char val[64];
                snprintf(val, sizeof val, "%g", bad[k]);
                const char *msg = winsum_last_error(ctx);
                CHECK_MSG(st == WINSUM_ERR_ARGUMENT && strstr(msg, which ? "beta" : "alpha") &&
                              strstr(msg, val) && strstr(msg, "conv"),
                          "%s conv %s %s = %s: %s '%s'", bname, name[op], which ? "beta" : "alpha",
                          val, winsum_status_string(st), msg);
                /* nothing written: every tensor keeps its values */
                float gy[4], gx[16], gw[9], gb[1];
                winsum_buffer_read(ctx, &yb, 0, gy, sizeof gy);
                winsum_buffer_read(ctx, &xb, 0, gx, sizeof gx);
                winsum_buffer_read(ctx, &wb, 0, gw, sizeof gw);
                winsum_buffer_read(ctx, &bb, 0, gb, sizeof gb);
                int same = memcmp(gy, hy, sizeof gy) == 0 && memcmp(gx, hx, sizeof gx) == 0 &&
                           memcmp(gw, hw, sizeof gw) == 0 && memcmp(gb, hb, sizeof gb) == 0;
                CHECK_MSG(same, "%s conv %s wrote its output", bname, name[op]);
            }
    winsum_buffer_free(ctx, &xb);
    winsum_buffer_free(ctx, &wb);
    winsum_buffer_free(ctx, &yb);
    winsum_buffer_free(ctx, &bb);
}

int main(void)
{
    CHECK_STATUS(winsum_context_create(&CTX[0], WINSUM_BACKEND_REF, NULL), WINSUM_OK);
    if (winsum_context_create(&CTX[1], WINSUM_BACKEND_OPENCL, NULL) != WINSUM_OK) {
        printf("no OpenCL device (%s): the reference backend only\n", winsum_last_error(NULL));
        CTX[1] = NULL;
    }
    const winsum_dtype dts[3] = {WINSUM_F32, WINSUM_F16, WINSUM_F64};
    for (int t = 0; t < 3; t++) {
        winsum_dtype dt = dts[t];
        if (CTX[1] && !winsum_context_has_dtype(CTX[1], dt)) continue;
        int f64 = dt == WINSUM_F64;
        /* refused everywhere: non-finite */
        const double nonfinite[3] = {NAN, INFINITY, -INFINITY};
        for (int k = 0; k < 3; k++) {
            refused(dt, "alpha", nonfinite[k]);
            refused(dt, "beta", nonfinite[k]);
        }
        /* refused: nonzero and outside the arithmetic type's normal range */
        const double out32[4] = {1e-50, -1e-40, 1e300, -3.5e38};
        const double out64[2] = {1e-320, -4e-310};
        for (int k = 0; k < (f64 ? 2 : 4); k++) {
            double v = f64 ? out64[k] : out32[k];
            refused(dt, "alpha", v);
            refused(dt, "beta", v);
        }
        /* beta == 0: the output is not read (NaN there stays out) */
        agree(dt, 1.0, 0.0, NAN, "beta 0 over NaN", is_finite);
        /* the smallest accepted beta reads the output: NaN comes through */
        double tiny = f64 ? DBL_MIN : FLT_MIN;
        agree(dt, 1.0, tiny, NAN, "smallest beta over NaN", is_nan);
        agree(dt, 1.0, -tiny, 2.0, "smallest beta over 2", is_finite);
        if (f64) {
            /* 1e-50 is an ordinary double: read */
            agree(dt, 1.0, 1e-50, NAN, "beta 1e-50 over NaN", is_nan);
            agree(dt, 1e-300, 1e300, 1.0, "alpha 1e-300, beta 1e300", is_finite);
        }
        /* the largest accepted alpha and beta: the same overflow on both */
        double huge = f64 ? DBL_MAX : FLT_MAX;
        agree(dt, huge, 0.0, 0.0, "largest alpha", NULL);
        agree(dt, 1.0, huge, 1.0, "largest beta", dt == WINSUM_F16 ? is_posinf : NULL);
        agree(dt, 1e-30, 1e30, 1e-30, "alpha 1e-30, beta 1e30", is_finite);
        agree(dt, tiny, 1.0, 1.0, "smallest alpha", is_finite);
    }
    for (int be = 0; be < 2; be++)
        if (CTX[be]) conv_refusals(CTX[be], BNAME[be]);
    winsum_context_destroy(CTX[0]);
    winsum_context_destroy(CTX[1]);
    return tu_finish("test_scalars");
}
