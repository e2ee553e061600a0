/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_elementwise.c - winsum_elementwise on both backends, in float16,
 * float32 and float64, against a double reference computed here: every
 * operation with and without b, numpy broadcasting (missing and size-1
 * axes, stride-0 views), transposed, stepped and negative strides, up to
 * six axes, out == a and out == b in place, NaN in max and min; and every
 * bad input refused with its status and nothing written (a failed enqueue
 * too; more than eight axes that do not merge).
 */
#include "testutil.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static winsum_context *CTX[2]; /* reference, OpenCL (NULL without a device) */
static const char *const BNAME[2] = {"ref", "opencl"};
#define CAP      4096 /* elements of every test buffer */
#define SENTINEL 7.0  /* what every element outside an output view keeps */

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

/* v rounded to dt, as stored */
static double as(winsum_dtype dt, double v)
{
    char b[8];
    put(dt, b, 0, v);
    return get(dt, b, 0);
}

static double apply(winsum_elementwise_op op, double x, double y)
{
    switch (op) {
    case WINSUM_OP_ADD: return x + y;
    case WINSUM_OP_SUB: return x - y;
    case WINSUM_OP_MUL: return x * y;
    case WINSUM_OP_MAX: return isnan(x) || isnan(y) ? NAN : fmax(x, y);
    case WINSUM_OP_MIN: return isnan(x) || isnan(y) ? NAN : fmin(x, y);
    case WINSUM_OP_GREATER: return x > y;
    default: return x == y;
    }
}

/* Three host images (a, b, out), each CAP elements, and their buffers. */
typedef struct bufs {
    winsum_dtype dt;
    double h[3][CAP];
    winsum_buffer buf[3];
} bufs;

static void upload(winsum_context *ctx, bufs *B)
{
    size_t es = winsum_dtype_size(B->dt);
    char *tmp = malloc(CAP * es);
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < CAP; i++) put(B->dt, tmp, i, B->h[k][i]);
        winsum_buffer_write(ctx, &B->buf[k], 0, tmp, CAP * es);
    }
    free(tmp);
}

static void download(winsum_context *ctx, bufs *B, int k, double *dst)
{
    size_t es = winsum_dtype_size(B->dt);
    char *tmp = malloc(CAP * es);
    winsum_buffer_read(ctx, &B->buf[k], 0, tmp, CAP * es);
    for (size_t i = 0; i < CAP; i++) dst[i] = get(B->dt, tmp, i);
    free(tmp);
}

/* element offset of index idx (out's shape) in view v broadcast to out */
static int64_t at(const winsum_view *v, const winsum_view *out, const int64_t *idx)
{
    int64_t p = v->offset;
    int lead = out->ndim - v->ndim;
    for (int d = lead; d < out->ndim; d++)
        if (v->shape[d - lead] != 1) p += v->strides[d - lead] * idx[d];
    return p;
}

/* A random view of `shape` in a buffer of CAP elements: the axes laid out
 * in a random order, some stepped by 2, some reversed, at an offset. */
static winsum_view random_view(uint64_t *rng, const winsum_buffer *buf, winsum_dtype dt, int ndim,
                               const int64_t *shape, int64_t base)
{
    int perm[WINSUM_MAX_DIMS];
    for (int d = 0; d < ndim; d++) perm[d] = d;
    for (int d = ndim - 1; d > 0; d--) {
        int j = (int)tu_range(rng, 0, d), t = perm[d];
        perm[d] = perm[j];
        perm[j] = t;
    }
    int64_t strides[WINSUM_MAX_DIMS], acc = 1, off = base;
    for (int k = ndim - 1; k >= 0; k--) {
        int d = perm[k];
        int64_t step = acc * shape[d] * 2 <= 1800 && tu_range(rng, 0, 3) == 0 ? 2 : 1;
        strides[d] = acc * step;
        if (tu_range(rng, 0, 4) == 0) { /* reversed */
            off += strides[d] * (shape[d] - 1);
            strides[d] = -strides[d];
        }
        acc *= step * shape[d];
    }
    return winsum_view_strided(buf, dt, off, ndim, shape, strides);
}

/* One random case: out = op(alpha a, beta b) with broadcasting, checked
 * element by element and outside the view. */
static void random_case(winsum_context *ctx, const char *bn, winsum_dtype dt, uint64_t *rng,
                        bufs *B, int c)
{
    B->dt = dt;
    int ndim = (int)tu_range(rng, 0, c % 7 == 0 ? 6 : 4);
    int64_t shape[WINSUM_MAX_DIMS] = {0}, ash[WINSUM_MAX_DIMS] = {0}, bsh[WINSUM_MAX_DIMS] = {0};
    for (int d = 0; d < ndim; d++) shape[d] = tu_range(rng, 1, ndim > 4 ? 3 : 5);
    int an = ndim - (int)tu_range(rng, 0, ndim > 0 ? 1 : 0);
    int bnd = ndim - (int)tu_range(rng, 0, ndim);
    for (int d = 0; d < an; d++) ash[d] = tu_range(rng, 0, 3) == 0 ? 1 : shape[ndim - an + d];
    for (int d = 0; d < bnd; d++) bsh[d] = tu_range(rng, 0, 3) == 0 ? 1 : shape[ndim - bnd + d];
    winsum_elementwise_op op = (winsum_elementwise_op)(c % WINSUM_OP_COUNT_);
    int hasb = c % 5 != 4;
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < CAP; i++) B->h[k][i] = k == 2 ? SENTINEL : as(dt, tu_uniform(rng) * 4);
    if (op >= WINSUM_OP_MAX) /* few values: ties, for max, min and the comparisons */
        for (int k = 0; k < 2; k++)
            for (int i = 0; i < CAP; i++) B->h[k][i] = (double)tu_range(rng, -2, 2) * 0.5;
    winsum_view a = random_view(rng, &B->buf[0], dt, an, ash, 5);
    winsum_view b = random_view(rng, &B->buf[1], dt, bnd, bsh, 3);
    winsum_view out = random_view(rng, &B->buf[2], dt, ndim, shape, 11);
    double alpha = c % 3 == 0 ? 1.0 : as(WINSUM_F16, tu_uniform(rng) * 2);
    double beta = c % 4 == 0 ? 1.0 : as(WINSUM_F16, tu_uniform(rng) * 2);
    if (op >= WINSUM_OP_MAX) alpha = beta = 1.0; /* ties stay ties */
    upload(ctx, B);
    winsum_status st = winsum_elementwise(ctx, op, alpha, &a, beta, hasb ? &b : NULL, &out);
    CHECK_MSG(st == WINSUM_OK, "%s case %d: %s %s", bn, c, winsum_status_string(st),
              winsum_last_error(ctx));
    static double got[CAP];
    static unsigned char in_view[CAP];
    download(ctx, B, 2, got);
    memset(in_view, 0, sizeof in_view);
    double tol = dt == WINSUM_F64 ? 1e-15 : dt == WINSUM_F32 ? 1e-6 : 2e-3;
    int64_t n = 1, idx[WINSUM_MAX_DIMS] = {0};
    for (int d = 0; d < ndim; d++) n *= shape[d];
    int bad = 0;
    for (int64_t e = 0; e < n; e++) {
        int64_t r = e;
        for (int d = ndim - 1; d >= 0; d--) {
            idx[d] = r % shape[d];
            r /= shape[d];
        }
        double x = alpha * B->h[0][at(&a, &out, idx)];
        double y = hasb ? beta * B->h[1][at(&b, &out, idx)] : beta;
        double want = as(dt, apply(op, x, y)), g = got[at(&out, &out, idx)];
        in_view[at(&out, &out, idx)] = 1;
        /* an operation's result within a few roundings of the arithmetic */
        double scale = fabs(x) + fabs(y) + fabs(x * y);
        if (!(fabs(g - want) <= tol * scale + 1e-300)) bad++;
    }
    CHECK_MSG(bad == 0, "%s %s case %d op %d: %d of %lld elements wrong", bn,
              dt == WINSUM_F64   ? "f64"
              : dt == WINSUM_F32 ? "f32"
                                 : "f16",
              c, (int)op, bad, (long long)n);
    int touched = 0;
    for (int i = 0; i < CAP; i++) touched += !in_view[i] && got[i] != SENTINEL;
    CHECK_MSG(touched == 0, "%s case %d: %d elements outside the view written", bn, c, touched);
}

/* out == a (x = x + y) and out == b (y = x * y) in place; NaN in max. */
static void in_place(winsum_context *ctx, const char *bn, bufs *B)
{
    B->dt = WINSUM_F32;
    for (int i = 0; i < CAP; i++) {
        B->h[0][i] = i * 0.5;
        B->h[1][i] = 100 - i;
        B->h[2][i] = SENTINEL;
    }
    upload(ctx, B);
    const int64_t sh[2] = {16, 32}, bias[1] = {32};
    winsum_view x = winsum_view_contiguous(&B->buf[0], WINSUM_F32, 2, sh);
    winsum_view y = winsum_view_contiguous(&B->buf[1], WINSUM_F32, 2, sh);
    winsum_view bv = winsum_view_contiguous(&B->buf[1], WINSUM_F32, 1, bias);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_ADD, 1, &x, 1, &bv, &x), WINSUM_OK);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_MUL, 2, &x, 1, &y, &y), WINSUM_OK);
    static double g0[CAP], g1[CAP];
    download(ctx, B, 0, g0);
    download(ctx, B, 1, g1);
    int bad = 0;
    for (int i = 0; i < 16 * 32; i++) {
        double xi = i * 0.5 + (100 - i % 32);
        bad += g0[i] != xi || g1[i] != (float)(2 * xi * (100 - i));
    }
    for (int i = 16 * 32; i < CAP; i++) bad += g0[i] != i * 0.5 || g1[i] != 100 - i;
    CHECK_MSG(bad == 0, "%s in place: %d wrong", bn, bad);
    /* NaN propagates through max as numpy's maximum (either side) */
    float nanv[4] = {NAN, 1, 2, NAN}, other[4] = {0, NAN, 1, 3}, res[4];
    winsum_buffer_write(ctx, &B->buf[0], 0, nanv, sizeof nanv);
    winsum_buffer_write(ctx, &B->buf[1], 0, other, sizeof other);
    const int64_t four[1] = {4};
    winsum_view p = winsum_view_contiguous(&B->buf[0], WINSUM_F32, 1, four);
    winsum_view q = winsum_view_contiguous(&B->buf[1], WINSUM_F32, 1, four);
    winsum_view r = winsum_view_contiguous(&B->buf[2], WINSUM_F32, 1, four);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_MAX, 1, &p, 1, &q, &r), WINSUM_OK);
    winsum_buffer_read(ctx, &B->buf[2], 0, res, sizeof res);
    CHECK(isnan(res[0]) && isnan(res[1]) && res[2] == 2 && isnan(res[3]));
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_MIN, 1, &p, 1, &q, &r), WINSUM_OK);
    winsum_buffer_read(ctx, &B->buf[2], 0, res, sizeof res);
    CHECK(isnan(res[0]) && isnan(res[1]) && res[2] == 1 && isnan(res[3]));
    /* ReLU: max(a, 0) with no b */
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_MAX, 1, &q, 0, NULL, &r), WINSUM_OK);
    winsum_buffer_read(ctx, &B->buf[2], 0, res, sizeof res);
    CHECK(res[0] == 0 && isnan(res[1]) && res[2] == 1 && res[3] == 3);
}

/* Every bad input: its status, and the output untouched. */
static void bad_input(winsum_context *ctx, const char *bn, bufs *B)
{
    B->dt = WINSUM_F32;
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < CAP; i++) B->h[k][i] = k == 2 ? SENTINEL : 1.5;
    upload(ctx, B);
    const int64_t sh[2] = {4, 8}, sh3[2] = {4, 3};
    winsum_view a = winsum_view_contiguous(&B->buf[0], WINSUM_F32, 2, sh);
    winsum_view b = winsum_view_contiguous(&B->buf[1], WINSUM_F32, 2, sh);
    winsum_view o = winsum_view_contiguous(&B->buf[2], WINSUM_F32, 2, sh);
    winsum_view b3 = winsum_view_contiguous(&B->buf[1], WINSUM_F32, 2, sh3);
    winsum_view a64 = winsum_view_contiguous(&B->buf[0], WINSUM_F64, 2, sh);
    winsum_view huge = winsum_view_strided(&B->buf[0], WINSUM_F32, 2 * CAP - 8, 2, sh, a.strides);
    winsum_view guarded = a;
    guarded.nguards = 1;
    guarded.guards[0].coef[0] = 1;
    guarded.guards[0].extent = 2;
    winsum_view self = o; /* two indices on one element */
    self.strides[0] = 0;
    winsum_view shifted = winsum_view_strided(&B->buf[2], WINSUM_F32, 1, 2, sh, o.strides);
    CHECK_STATUS(winsum_elementwise(NULL, WINSUM_OP_ADD, 1, &a, 1, &b, &o), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_ADD, 1, NULL, 1, &b, &o), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_ADD, 1, &a, 1, &b, NULL), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_COUNT_, 1, &a, 1, &b, &o), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_elementwise(ctx, (winsum_elementwise_op)-1, 1, &a, 1, &b, &o),
                 WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_ADD, NAN, &a, 1, &b, &o), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_ADD, 1, &a, 1e300, NULL, &o),
                 WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_ADD, 1, &a, 1, &b3, &o), WINSUM_ERR_SHAPE);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_ADD, 1, &o, 1, &b, &b3), WINSUM_ERR_SHAPE);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_ADD, 1, &a64, 1, &b, &o), WINSUM_ERR_DTYPE);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_ADD, 1, &huge, 1, &b, &o), WINSUM_ERR_BOUNDS);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_ADD, 1, &guarded, 1, &b, &o),
                 WINSUM_ERR_UNSUPPORTED);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_ADD, 1, &a, 1, &b, &self), WINSUM_ERR_OVERLAP);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_ADD, 1, &o, 1, &b, &shifted), WINSUM_ERR_ALIAS);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_ADD, 1, &a, 1, &shifted, &o), WINSUM_ERR_ALIAS);
    CHECK(strstr(winsum_last_error(ctx), "overlaps b") != NULL);
    static double got[CAP];
    download(ctx, B, 2, got);
    int touched = 0;
    for (int i = 0; i < CAP; i++) touched += got[i] != SENTINEL;
    CHECK_MSG(touched == 0, "%s: %d elements written by refused calls", bn, touched);
    /* an empty output: nothing to do, nothing written */
    const int64_t empty[2] = {0, 8};
    winsum_view e = winsum_view_contiguous(&B->buf[2], WINSUM_F32, 2, empty);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_ADD, 1, &e, 1, NULL, &e), WINSUM_OK);
}

/* Axes that do not merge (strides in the reverse order): five run, a
 * failed enqueue (OpenCL) writes nothing, and nine are refused. */
static void many_axes(winsum_context *ctx, const char *bn, bufs *B, int opencl)
{
    B->dt = WINSUM_F32;
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < CAP; i++) B->h[k][i] = k == 2 ? SENTINEL : 1.0;
    upload(ctx, B);
    int64_t sh[9], st[9], acc = 1;
    for (int d = 0; d < 9; d++) {
        sh[d] = d % 2 ? 3 : 2;
        st[d] = acc;
        acc *= sh[d];
    }
    winsum_view a = winsum_view_strided(&B->buf[0], WINSUM_F32, 0, 5, sh, st);
    winsum_view o = winsum_view_contiguous(&B->buf[2], WINSUM_F32, 5, sh);
    static double got[CAP];
    if (opencl) {
        winsum_fault_inject(WINSUM_FAULT_ENQUEUE, 1);
        winsum_status s = winsum_elementwise(ctx, WINSUM_OP_ADD, 1, &a, 1, NULL, &o);
        winsum_fault_inject(WINSUM_FAULT_ENQUEUE, 0);
        CHECK_MSG(s != WINSUM_OK, "injected enqueue fault: %s", winsum_status_string(s));
        download(ctx, B, 2, got);
        int touched = 0;
        for (int i = 0; i < CAP; i++) touched += got[i] != SENTINEL;
        CHECK_MSG(touched == 0, "%s: a failed enqueue wrote %d elements", bn, touched);
    }
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_ADD, 1, &a, 1, NULL, &o), WINSUM_OK);
    download(ctx, B, 2, got);
    int bad = 0;
    for (int i = 0; i < 72; i++) bad += got[i] != 2.0;
    for (int i = 72; i < CAP; i++) bad += got[i] != SENTINEL;
    CHECK_MSG(bad == 0, "%s: five unmerged axes: %d wrong", bn, bad);
    winsum_view a9 = winsum_view_strided(&B->buf[0], WINSUM_F32, 0, 9, sh, st);
    winsum_view o9 = winsum_view_contiguous(&B->buf[2], WINSUM_F32, 9, sh);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_ADD, 1, &a9, 1, NULL, &o9),
                 WINSUM_ERR_UNSUPPORTED);
    /* the same nine axes merge into one when a and out step alike */
    winsum_view c9 = winsum_view_contiguous(&B->buf[0], WINSUM_F32, 9, sh);
    CHECK_STATUS(winsum_elementwise(ctx, WINSUM_OP_ADD, 1, &c9, 1, NULL, &o9), WINSUM_OK);
}

int main(void)
{
    uint64_t rng0 = tu_seed(0x5eed0e1e);
    winsum_context_create(&CTX[0], WINSUM_BACKEND_REF, NULL);
    if (winsum_device_count() > 0) winsum_context_create(&CTX[1], WINSUM_BACKEND_OPENCL, NULL);
    CHECK(CTX[0] != NULL);
    bufs *B = calloc(1, sizeof *B);
    int cases = getenv("WINSUM_TEST_CASES") ? atoi(getenv("WINSUM_TEST_CASES")) : 140;
    for (int be = 0; be < 2; be++) {
        winsum_context *ctx = CTX[be];
        if (!ctx) {
            printf("no OpenCL device: the %s backend is not tested\n", BNAME[be]);
            continue;
        }
        for (int k = 0; k < 3; k++)
            CHECK_STATUS(winsum_buffer_alloc(ctx, CAP * sizeof(double), &B->buf[k]), WINSUM_OK);
        const winsum_dtype dts[3] = {WINSUM_F32, WINSUM_F64, WINSUM_F16};
        for (int t = 0; t < 3; t++) {
            if (!winsum_context_has_dtype(ctx, dts[t])) continue;
            uint64_t rng = rng0 + (uint64_t)t;
            for (int c = 0; c < cases; c++) random_case(ctx, BNAME[be], dts[t], &rng, B, c);
        }
        in_place(ctx, BNAME[be], B);
        bad_input(ctx, BNAME[be], B);
        many_axes(ctx, BNAME[be], B, be == 1);
        for (int k = 0; k < 3; k++) winsum_buffer_free(ctx, &B->buf[k]);
    }
    free(B);
    for (int be = 0; be < 2; be++) winsum_context_destroy(CTX[be]);
    return tu_finish("test_elementwise");
}
