/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/* test_ref.c - the reference path (ws_ref_einsum) and ws_operand_from_view:
 * hand-computed einsums, alpha/beta, negative/zero strides, size-1
 * broadcasting, mixed dtypes, guarded window views (2-D convolution with
 * stride, dilation and padding against a direct loop) and size-0 labels.
 * The IR is built by hand here (letters only, explicit output) so that this
 * test does not depend on the parser. */
#include "internal.h"
#include "testutil.h"
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------- helpers */

static winsum_buffer hbuf(void *p, size_t bytes)
{
    // cppcheck-suppress ctuuninitvar ; p is output memory, written by the call under test
    winsum_buffer b = {WINSUM_HOST, p, NULL, bytes};
    return b;
}

/* A view with explicit strides, or C-contiguous when strides is NULL. */
static winsum_view mkview(const winsum_buffer *b, winsum_dtype dt, int64_t offset, int ndim,
                          const int64_t *shape, const int64_t *strides)
{
    winsum_view v;
    memset(&v, 0, sizeof v);
    v.buffer = b;
    v.dtype = dt;
    v.offset = offset;
    v.ndim = ndim;
    int64_t s = 1;
    for (int a = ndim - 1; a >= 0; a--) {
        v.shape[a] = shape[a];
        v.strides[a] = strides ? strides[a] : s;
        s *= shape[a];
    }
    return v;
}

/* Builds the IR of "ab,bc->ac"-style subscripts (letters, explicit output)
 * against the views' shapes: a label's size is the first size other than 1
 * seen for it (numpy's size-1 broadcasting), else 1. */
static void build_ir(ws_ir *ir, const char *subs, int nops, const winsum_view *ops)
{
    memset(ir, 0, sizeof *ir);
    int label_of[128];
    for (int i = 0; i < 128; i++) label_of[i] = -1;
    int op = 0, a = 0, output = 0;
    for (const char *p = subs; *p; p++) {
        if (*p == ',') {
            ir->op_ndim[op++] = a;
            a = 0;
            continue;
        }
        if (*p == '-') {
            ir->op_ndim[op++] = a;
            a = 0;
            output = 1;
            p++; /* skip '>' */
            continue;
        }
        int c = (unsigned char)*p;
        if (label_of[c] < 0) {
            label_of[c] = ir->nlabels;
            ir->label_char[ir->nlabels] = (char)c;
            ir->size[ir->nlabels] = 1;
            ir->nlabels++;
        }
        int l = label_of[c];
        if (output) {
            ir->out_label[a++] = l;
        } else {
            ir->op_label[op][a] = l;
            if (ops[op].shape[a] != 1) ir->size[l] = ops[op].shape[a];
            a++;
        }
    }
    ir->nops = nops;
    ir->out_ndim = a;
}

/* out = alpha * einsum(subs, ops) + beta * out through the reference path. */
static void ref(const char *subs, int nops, const winsum_view *ops, const winsum_view *out,
                double alpha, double beta)
{
    ws_ir ir;
    build_ir(&ir, subs, nops, ops);
    ws_operand o[WS_MAX_OPS], oo;
    for (int i = 0; i < nops; i++) ws_operand_from_view(&ir, i, &ops[i], &o[i]);
    ws_operand_from_view(&ir, -1, out, &oo);
    ws_ref_einsum(&ir, o, &oo, alpha, beta);
}

static int same(const double *a, const double *b, int64_t n, double tol)
{
    return tu_max_err(a, b, n, 1.0) <= tol;
}

/* ------------------------------------------------------- hand-computed */

static void test_basic(void)
{
    double A[6] = {1, 2, 3, 4, 5, 6};    /* 2x3 */
    double B[6] = {7, 8, 9, 10, 11, 12}; /* 3x2 */
    double C[4];
    winsum_buffer ba = hbuf(A, sizeof A), bb = hbuf(B, sizeof B), bc = hbuf(C, sizeof C);
    int64_t s23[2] = {2, 3}, s32[2] = {3, 2}, s22[2] = {2, 2};
    winsum_view v[2] = {mkview(&ba, WINSUM_F64, 0, 2, s23, NULL),
                        mkview(&bb, WINSUM_F64, 0, 2, s32, NULL)};
    winsum_view vc = mkview(&bc, WINSUM_F64, 0, 2, s22, NULL);

    /* matmul */
    ref("ij,jk->ik", 2, v, &vc, 1, 0);
    CHECK(C[0] == 58 && C[1] == 64 && C[2] == 139 && C[3] == 154);
    /* matmul with the output transposed */
    ref("ij,jk->ki", 2, v, &vc, 1, 0);
    CHECK(C[0] == 58 && C[1] == 139 && C[2] == 64 && C[3] == 154);

    /* transpose */
    double T[6];
    winsum_buffer bt = hbuf(T, sizeof T);
    winsum_view vt = mkview(&bt, WINSUM_F64, 0, 2, s32, NULL);
    ref("ij->ji", 1, v, &vt, 1, 0);
    CHECK(T[0] == 1 && T[1] == 4 && T[2] == 2 && T[3] == 5 && T[4] == 3 && T[5] == 6);

    /* sum of all elements into a 0-d output */
    double s = -1;
    winsum_buffer bs = hbuf(&s, sizeof s);
    winsum_view vs = mkview(&bs, WINSUM_F64, 0, 0, NULL, NULL);
    ref("ij->", 1, v, &vs, 1, 0);
    CHECK(s == 21);
    /* row sums and column sums */
    double r[3];
    winsum_buffer br = hbuf(r, sizeof r);
    int64_t n2 = 2, n3 = 3;
    winsum_view vr2 = mkview(&br, WINSUM_F64, 0, 1, &n2, NULL);
    winsum_view vr3 = mkview(&br, WINSUM_F64, 0, 1, &n3, NULL);
    ref("ij->i", 1, v, &vr2, 1, 0);
    CHECK(r[0] == 6 && r[1] == 15);
    ref("ij->j", 1, v, &vr3, 1, 0);
    CHECK(r[0] == 5 && r[1] == 7 && r[2] == 9);

    /* dot product, 0-d output */
    double x[3] = {1, 2, 3}, y[3] = {4, -5, 6};
    winsum_buffer bx = hbuf(x, sizeof x), by = hbuf(y, sizeof y);
    winsum_view vxy[2] = {mkview(&bx, WINSUM_F64, 0, 1, &n3, NULL),
                          mkview(&by, WINSUM_F64, 0, 1, &n3, NULL)};
    ref("i,i->", 2, vxy, &vs, 1, 0);
    CHECK(s == 12);

    /* outer product */
    double O[9];
    winsum_buffer bo = hbuf(O, sizeof O);
    int64_t s33[2] = {3, 3};
    winsum_view vo = mkview(&bo, WINSUM_F64, 0, 2, s33, NULL);
    ref("i,j->ij", 2, vxy, &vo, 1, 0);
    int ok = 1;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) ok &= O[i * 3 + j] == x[i] * y[j];
    CHECK(ok);
    /* element-wise product */
    ref("i,i->i", 2, vxy, &vr3, 1, 0);
    CHECK(r[0] == 4 && r[1] == -10 && r[2] == 18);
}

static void test_diagonal(void)
{
    double M[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    winsum_buffer bm = hbuf(M, sizeof M);
    int64_t s33[2] = {3, 3}, n3 = 3;
    winsum_view vm = mkview(&bm, WINSUM_F64, 0, 2, s33, NULL);

    /* the operand folds the repeated label: stride 3 + 1 */
    ws_ir ir;
    ws_operand op;
    build_ir(&ir, "ii->i", 1, &vm);
    ws_operand_from_view(&ir, 0, &vm, &op);
    CHECK(ir.nlabels == 1 && op.has[0] == 1 && op.stride[0] == 4 && op.offset == 0);

    double t = 0, d[3];
    winsum_buffer bt = hbuf(&t, sizeof t), bd = hbuf(d, sizeof d);
    winsum_view vt = mkview(&bt, WINSUM_F64, 0, 0, NULL, NULL);
    winsum_view vd = mkview(&bd, WINSUM_F64, 0, 1, &n3, NULL);
    ref("ii->", 1, &vm, &vt, 1, 0);
    CHECK(t == 15);
    ref("ii->i", 1, &vm, &vd, 1, 0);
    CHECK(d[0] == 1 && d[1] == 5 && d[2] == 9);

    /* a diagonal against another operand: sum_i M[i][i] * x[i] */
    double x[3] = {1, 10, 100};
    winsum_buffer bx = hbuf(x, sizeof x);
    winsum_view v2[2] = {vm, mkview(&bx, WINSUM_F64, 0, 1, &n3, NULL)};
    ref("ii,i->", 2, v2, &vt, 1, 0);
    CHECK(t == 1 + 50 + 900);
    /* a 3-way diagonal in a (2,2,2) tensor: T[0,0,0] + T[1,1,1] */
    double T[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    winsum_buffer bT = hbuf(T, sizeof T);
    int64_t s222[3] = {2, 2, 2};
    winsum_view vT = mkview(&bT, WINSUM_F64, 0, 3, s222, NULL);
    ref("iii->", 1, &vT, &vt, 1, 0);
    CHECK(t == 9);
    /* a partial diagonal 'iij->j': T[0,0,j] + T[1,1,j] */
    ref("iij->j", 1, &vT, &vd, 1, 0);
    CHECK(d[0] == 1 + 7 && d[1] == 2 + 8);
}

static void test_batch_and_chain(void)
{
    uint64_t rng = tu_seed(12345);
    enum { NB = 3, NI = 4, NJ = 5, NK = 2 };
    double A[NB * NI * NJ], B[NB * NJ * NK], C[NB * NI * NK], E[NB * NI * NK];
    for (int i = 0; i < NB * NI * NJ; i++) A[i] = tu_uniform(&rng);
    for (int i = 0; i < NB * NJ * NK; i++) B[i] = tu_uniform(&rng);
    winsum_buffer ba = hbuf(A, sizeof A), bb = hbuf(B, sizeof B), bc = hbuf(C, sizeof C);
    int64_t sa[3] = {NB, NI, NJ}, sb[3] = {NB, NJ, NK}, sc[3] = {NB, NI, NK};
    winsum_view v[2] = {mkview(&ba, WINSUM_F64, 0, 3, sa, NULL),
                        mkview(&bb, WINSUM_F64, 0, 3, sb, NULL)};
    winsum_view vc = mkview(&bc, WINSUM_F64, 0, 3, sc, NULL);
    ref("bij,bjk->bik", 2, v, &vc, 1, 0);
    for (int b = 0; b < NB; b++)
        for (int i = 0; i < NI; i++)
            for (int k = 0; k < NK; k++) {
                double acc = 0;
                for (int j = 0; j < NJ; j++)
                    acc += A[(b * NI + i) * NJ + j] * B[(b * NJ + j) * NK + k];
                E[(b * NI + i) * NK + k] = acc;
            }
    CHECK(same(C, E, NB * NI * NK, 1e-14));

    /* 3-operand chain, hand-computed: [1 2] [1 0; 0 2] [3; 4] = [1 4].[3 4] = 19 */
    double P[2] = {1, 2}, Q[4] = {1, 0, 0, 2}, R[2] = {3, 4}, s = 0;
    winsum_buffer bp = hbuf(P, sizeof P), bq = hbuf(Q, sizeof Q), br = hbuf(R, sizeof R),
                  bs = hbuf(&s, sizeof s);
    int64_t n2 = 2, s22[2] = {2, 2};
    winsum_view v3[3] = {mkview(&bp, WINSUM_F64, 0, 1, &n2, NULL),
                         mkview(&bq, WINSUM_F64, 0, 2, s22, NULL),
                         mkview(&br, WINSUM_F64, 0, 1, &n2, NULL)};
    winsum_view vs = mkview(&bs, WINSUM_F64, 0, 0, NULL, NULL);
    ref("i,ij,j->", 3, v3, &vs, 1, 0);
    CHECK(s == 19);

    /* 3-operand matrix chain against a direct loop */
    enum { N1 = 3, N2 = 4, N3 = 2, N4 = 5 };
    double X[N1 * N2], Y[N2 * N3], Z[N3 * N4], W[N1 * N4], F[N1 * N4];
    for (int i = 0; i < N1 * N2; i++) X[i] = tu_uniform(&rng);
    for (int i = 0; i < N2 * N3; i++) Y[i] = tu_uniform(&rng);
    for (int i = 0; i < N3 * N4; i++) Z[i] = tu_uniform(&rng);
    winsum_buffer bX = hbuf(X, sizeof X), bY = hbuf(Y, sizeof Y), bZ = hbuf(Z, sizeof Z),
                  bW = hbuf(W, sizeof W);
    int64_t sX[2] = {N1, N2}, sY[2] = {N2, N3}, sZ[2] = {N3, N4}, sW[2] = {N1, N4};
    winsum_view vx[3] = {mkview(&bX, WINSUM_F64, 0, 2, sX, NULL),
                         mkview(&bY, WINSUM_F64, 0, 2, sY, NULL),
                         mkview(&bZ, WINSUM_F64, 0, 2, sZ, NULL)};
    winsum_view vw = mkview(&bW, WINSUM_F64, 0, 2, sW, NULL);
    ref("ij,jk,kl->il", 3, vx, &vw, 1, 0);
    for (int i = 0; i < N1; i++)
        for (int l = 0; l < N4; l++) {
            double acc = 0;
            for (int j = 0; j < N2; j++)
                for (int k = 0; k < N3; k++) acc += X[i * N2 + j] * Y[j * N3 + k] * Z[k * N4 + l];
            F[i * N4 + l] = acc;
        }
    CHECK(same(W, F, N1 * N4, 1e-14));
}

/* ------------------------------------------------------------ alpha/beta */

static void test_alpha_beta(void)
{
    double A[4] = {1, 2, 3, 4}, I[4] = {1, 0, 0, 1}, C[4] = {10, 20, 30, 40};
    winsum_buffer ba = hbuf(A, sizeof A), bi = hbuf(I, sizeof I), bc = hbuf(C, sizeof C);
    int64_t s22[2] = {2, 2};
    winsum_view v[2] = {mkview(&ba, WINSUM_F64, 0, 2, s22, NULL),
                        mkview(&bi, WINSUM_F64, 0, 2, s22, NULL)};
    winsum_view vc = mkview(&bc, WINSUM_F64, 0, 2, s22, NULL);
    ref("ij,jk->ik", 2, v, &vc, 2, 0.5);
    CHECK(C[0] == 7 && C[1] == 14 && C[2] == 21 && C[3] == 28);
    ref("ij,jk->ik", 2, v, &vc, 0, 1); /* alpha 0, beta 1: unchanged */
    CHECK(C[0] == 7 && C[1] == 14 && C[2] == 21 && C[3] == 28);
    ref("ij,jk->ik", 2, v, &vc, -1, 1);
    CHECK(C[0] == 6 && C[1] == 12 && C[2] == 18 && C[3] == 24);

    /* beta 0: the output is not read, NaN and inf in it do not leak */
    C[0] = NAN;
    C[1] = INFINITY;
    C[2] = -NAN;
    C[3] = NAN;
    ref("ij,jk->ik", 2, v, &vc, 3, 0);
    CHECK(C[0] == 3 && C[1] == 6 && C[2] == 9 && C[3] == 12);

    /* float output, beta 0, NaN before */
    float Cf[4] = {NAN, NAN, NAN, NAN};
    winsum_buffer bcf = hbuf(Cf, sizeof Cf);
    winsum_view vcf = mkview(&bcf, WINSUM_F32, 0, 2, s22, NULL);
    ref("ij,jk->ik", 2, v, &vcf, 1, 0);
    CHECK(isfinite(Cf[0]) && Cf[0] == 1 && Cf[1] == 2 && Cf[2] == 3 && Cf[3] == 4);
}

/* ------------------------------------------------------------- strides */

static void test_strides(void)
{
    double x[5] = {1, 2, 3, 4, 5}, y[5];
    winsum_buffer bx = hbuf(x, sizeof x), by = hbuf(y, sizeof y);
    int64_t n5 = 5, m1 = -1;
    /* a flipped vector: offset 4, stride -1 */
    winsum_view vflip = mkview(&bx, WINSUM_F64, 4, 1, &n5, &m1);
    winsum_view vy = mkview(&by, WINSUM_F64, 0, 1, &n5, NULL);
    ref("i->i", 1, &vflip, &vy, 1, 0);
    CHECK(y[0] == 5 && y[1] == 4 && y[2] == 3 && y[3] == 2 && y[4] == 1);
    /* writing through a flipped output view */
    winsum_view vyflip = mkview(&by, WINSUM_F64, 4, 1, &n5, &m1);
    winsum_view vx = mkview(&bx, WINSUM_F64, 0, 1, &n5, NULL);
    ref("i->i", 1, &vx, &vyflip, 1, 0);
    CHECK(y[0] == 5 && y[1] == 4 && y[2] == 3 && y[3] == 2 && y[4] == 1);

    /* matmul with A flipped along both axes: A' = A[::-1, ::-1] */
    double A[6] = {1, 2, 3, 4, 5, 6}; /* 2x3 */
    double B[6] = {1, 0, 0, 1, 1, 1}; /* 3x2 */
    double C[4];
    winsum_buffer ba = hbuf(A, sizeof A), bb = hbuf(B, sizeof B), bc = hbuf(C, sizeof C);
    int64_t s23[2] = {2, 3}, s32[2] = {3, 2}, s22[2] = {2, 2}, fl[2] = {-3, -1};
    winsum_view v[2] = {mkview(&ba, WINSUM_F64, 5, 2, s23, fl),
                        mkview(&bb, WINSUM_F64, 0, 2, s32, NULL)};
    winsum_view vc = mkview(&bc, WINSUM_F64, 0, 2, s22, NULL);
    ref("ij,jk->ik", 2, v, &vc, 1, 0);
    /* A' = [6 5 4; 3 2 1]; A'B = [6+4, 5+4; 3+1, 2+1] */
    CHECK(C[0] == 10 && C[1] == 9 && C[2] == 4 && C[3] == 3);

    /* zero strides: a vector broadcast to a 3x5 matrix, summed over rows */
    int64_t s35[2] = {3, 5}, z[2] = {0, 1};
    winsum_view vb = mkview(&bx, WINSUM_F64, 0, 2, s35, z);
    ref("ij->j", 1, &vb, &vy, 1, 0);
    CHECK(y[0] == 3 && y[1] == 6 && y[2] == 9 && y[3] == 12 && y[4] == 15);
    double s;
    winsum_buffer bs = hbuf(&s, sizeof s);
    winsum_view vs = mkview(&bs, WINSUM_F64, 0, 0, NULL, NULL);
    ref("ij->", 1, &vb, &vs, 1, 0);
    CHECK(s == 45);
    /* a scalar broadcast to every element (all strides 0) */
    int64_t zz[2] = {0, 0};
    winsum_view vsc = mkview(&bx, WINSUM_F64, 2, 2, s35, zz);
    ref("ij->", 1, &vsc, &vs, 1, 0);
    CHECK(s == 45);

    /* a transposed (column-major) view */
    int64_t cm[2] = {1, 2};
    winsum_view vt = mkview(&ba, WINSUM_F64, 0, 2, s32, cm); /* A as 3x2 column-major: A^T-like */
    double T[6];
    winsum_buffer bt = hbuf(T, sizeof T);
    winsum_view vT = mkview(&bt, WINSUM_F64, 0, 2, s32, NULL);
    ref("ij->ij", 1, &vt, &vT, 1, 0);
    CHECK(T[0] == 1 && T[1] == 3 && T[2] == 2 && T[3] == 4 && T[4] == 3 && T[5] == 5);
}

static void test_size1_broadcast(void)
{
    double A[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    double B[12] = {10, 20, 30, 99, 99, 99, 99, 99, 99, 99, 99, 99};
    double C[9];
    winsum_buffer ba = hbuf(A, sizeof A), bb = hbuf(B, sizeof B), bc = hbuf(C, sizeof C);
    int64_t s33[2] = {3, 3}, s13[2] = {1, 3}, st[2] = {5, 1};
    /* B is (1,3) with a nonzero stride on its size-1 axis: it must be ignored */
    winsum_view v[2] = {mkview(&ba, WINSUM_F64, 0, 2, s33, NULL),
                        mkview(&bb, WINSUM_F64, 0, 2, s13, st)};
    winsum_view vc = mkview(&bc, WINSUM_F64, 0, 2, s33, NULL);

    ws_ir ir;
    ws_operand op;
    build_ir(&ir, "ij,ij->ij", 2, v);
    CHECK(ir.size[0] == 3 && ir.size[1] == 3);
    ws_operand_from_view(&ir, 1, &v[1], &op);
    CHECK(op.has[0] == 1 && op.stride[0] == 0 && op.has[1] == 1 && op.stride[1] == 1);

    ref("ij,ij->ij", 2, v, &vc, 1, 0);
    int ok = 1;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) ok &= C[i * 3 + j] == A[i * 3 + j] * B[j];
    CHECK(ok);
    /* summed over the broadcast label: sum_i A[i][j] * B[0][j] */
    int64_t n3 = 3;
    double r[3];
    winsum_buffer br = hbuf(r, sizeof r);
    winsum_view vr = mkview(&br, WINSUM_F64, 0, 1, &n3, NULL);
    ref("ij,ij->j", 2, v, &vr, 1, 0);
    CHECK(r[0] == 12 * 10 && r[1] == 15 * 20 && r[2] == 18 * 30);
    /* a size-1 label everywhere keeps its stride (index is always 0) */
    int64_t s31[2] = {3, 1}, st2[2] = {1, 7};
    winsum_view v1 = mkview(&ba, WINSUM_F64, 0, 2, s31, st2);
    build_ir(&ir, "ij->i", 1, &v1);
    ws_operand_from_view(&ir, 0, &v1, &op);
    CHECK(ir.size[1] == 1 && op.stride[1] == 7);
    ref("ij->i", 1, &v1, &vr, 1, 0);
    CHECK(r[0] == 1 && r[1] == 2 && r[2] == 3);
}

static void test_mixed_dtypes(void)
{
    float A[6] = {1, 2, 3, 4, 5, 6};     /* 2x3 f32 */
    double B[6] = {7, 8, 9, 10, 11, 12}; /* 3x2 f64 */
    float Cf[4];
    double Cd[4] = {1, 1, 1, 1};
    winsum_buffer ba = hbuf(A, sizeof A), bb = hbuf(B, sizeof B), bcf = hbuf(Cf, sizeof Cf),
                  bcd = hbuf(Cd, sizeof Cd);
    int64_t s23[2] = {2, 3}, s32[2] = {3, 2}, s22[2] = {2, 2};
    winsum_view v[2] = {mkview(&ba, WINSUM_F32, 0, 2, s23, NULL),
                        mkview(&bb, WINSUM_F64, 0, 2, s32, NULL)};
    winsum_view vcf = mkview(&bcf, WINSUM_F32, 0, 2, s22, NULL);
    winsum_view vcd = mkview(&bcd, WINSUM_F64, 0, 2, s22, NULL);
    ref("ij,jk->ik", 2, v, &vcf, 1, 0);
    CHECK(Cf[0] == 58 && Cf[1] == 64 && Cf[2] == 139 && Cf[3] == 154);
    ref("ij,jk->ik", 2, v, &vcd, 1, 1);
    CHECK(Cd[0] == 59 && Cd[1] == 65 && Cd[2] == 140 && Cd[3] == 155);
    /* f32 read with beta into an f32 output */
    ref("ij,jk->ik", 2, v, &vcf, 1, -1);
    CHECK(Cf[0] == 0 && Cf[1] == 0 && Cf[2] == 0 && Cf[3] == 0);

    /* double accumulation: 1 + 1e-8 * 1e4 terms, then stored to float */
    enum { N = 10001 };
    static float x[N];
    x[0] = 1.0f;
    for (int i = 1; i < N; i++) x[i] = 1e-8f;
    float s = 0;
    winsum_buffer bx = hbuf(x, sizeof x), bs = hbuf(&s, sizeof s);
    int64_t n = N;
    winsum_view vx = mkview(&bx, WINSUM_F32, 0, 1, &n, NULL);
    winsum_view vs = mkview(&bs, WINSUM_F32, 0, 0, NULL, NULL);
    ref("i->", 1, &vx, &vs, 1, 0);
    CHECK(fabs(s - 1.0001f) < 1e-6); /* float accumulation would stay at 1 */
}

/* --------------------------------------------------------------- guards */

/* A 2-D convolution as 'xyij,ij->xy' over a guarded window view of an HxW
 * image, against a direct loop with explicit padding checks. */
static void conv2d_case(int64_t H, int64_t W, int64_t K, int64_t s, int64_t d, int64_t pad,
                        uint64_t *rng)
{
    int64_t OH = (H + 2 * pad - d * (K - 1) - 1) / s + 1;
    int64_t OW = (W + 2 * pad - d * (K - 1) - 1) / s + 1;
    double img[32 * 32], ker[5 * 5], out[32 * 32], exp_[32 * 32];
    for (int64_t i = 0; i < H * W; i++) img[i] = tu_uniform(rng);
    for (int64_t i = 0; i < K * K; i++) ker[i] = tu_uniform(rng);
    for (int64_t i = 0; i < OH * OW; i++) out[i] = NAN;

    winsum_buffer bi = hbuf(img, sizeof img), bk = hbuf(ker, sizeof ker),
                  bo = hbuf(out, sizeof out);
    int64_t wshape[4] = {OH, OW, K, K}, wstr[4] = {s * W, s, d * W, d};
    winsum_view v[2];
    v[0] = mkview(&bi, WINSUM_F64, -pad * W - pad, 4, wshape, wstr);
    v[0].nguards = 2;
    v[0].guards[0].coef[0] = s; /* rows: x*s + i*d - pad in [0, H) */
    v[0].guards[0].coef[2] = d;
    v[0].guards[0].offset = -pad;
    v[0].guards[0].extent = H;
    v[0].guards[1].coef[1] = s; /* columns: y*s + j*d - pad in [0, W) */
    v[0].guards[1].coef[3] = d;
    v[0].guards[1].offset = -pad;
    v[0].guards[1].extent = W;
    int64_t kshape[2] = {K, K}, oshape[2] = {OH, OW};
    v[1] = mkview(&bk, WINSUM_F64, 0, 2, kshape, NULL);
    winsum_view vo = mkview(&bo, WINSUM_F64, 0, 2, oshape, NULL);
    ref("xyij,ij->xy", 2, v, &vo, 1, 0);

    for (int64_t x = 0; x < OH; x++)
        for (int64_t y = 0; y < OW; y++) {
            double acc = 0;
            for (int64_t i = 0; i < K; i++)
                for (int64_t j = 0; j < K; j++) {
                    int64_t r = x * s + i * d - pad, c = y * s + j * d - pad;
                    if (r >= 0 && r < H && c >= 0 && c < W) acc += img[r * W + c] * ker[i * K + j];
                }
            exp_[x * OW + y] = acc;
        }
    CHECK_MSG(OH > 0 && OW > 0 && same(out, exp_, OH * OW, 1e-13),
              "conv H=%lld W=%lld K=%lld s=%lld d=%lld pad=%lld", (long long)H, (long long)W,
              (long long)K, (long long)s, (long long)d, (long long)pad);
}

static void test_guards(void)
{
    uint64_t rng = 777;
    conv2d_case(6, 7, 3, 1, 1, 0, &rng);
    conv2d_case(6, 7, 3, 1, 1, 1, &rng);
    conv2d_case(9, 8, 3, 2, 1, 1, &rng);
    conv2d_case(10, 11, 3, 1, 2, 2, &rng);
    conv2d_case(12, 9, 3, 2, 2, 3, &rng);
    conv2d_case(8, 8, 5, 3, 1, 2, &rng);
    conv2d_case(5, 5, 5, 1, 1, 4, &rng); /* windows mostly in the padding */
    conv2d_case(32, 32, 5, 2, 3, 5, &rng);

    /* padding reads as 0: a 1x1 image of 1, all-ones 3x3 kernel, pad 1 ->
     * every output counts the in-image taps of its window */
    double img = 1, ker[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, out[9];
    winsum_buffer bi = hbuf(&img, sizeof img), bk = hbuf(ker, sizeof ker),
                  bo = hbuf(out, sizeof out);
    int64_t wshape[4] = {3, 3, 3, 3}, wstr[4] = {1, 1, 1, 1};
    winsum_view v[2];
    /* a 1x1 image padded by 2 to 5x5, 3x3 windows, stride 1 -> 3x3 output */
    v[0] = mkview(&bi, WINSUM_F64, -4, 4, wshape, wstr);
    v[0].nguards = 2;
    v[0].guards[0].coef[0] = 1;
    v[0].guards[0].coef[2] = 1;
    v[0].guards[0].offset = -2;
    v[0].guards[0].extent = 1;
    v[0].guards[1].coef[1] = 1;
    v[0].guards[1].coef[3] = 1;
    v[0].guards[1].offset = -2;
    v[0].guards[1].extent = 1;
    int64_t s33[2] = {3, 3};
    v[1] = mkview(&bk, WINSUM_F64, 0, 2, s33, NULL);
    winsum_view vo = mkview(&bo, WINSUM_F64, 0, 2, s33, NULL);
    ref("xyij,ij->xy", 2, v, &vo, 1, 0);
    int ok = 1;
    for (int i = 0; i < 9; i++) ok &= out[i] == 1;
    CHECK(ok);

    /* guard coefficients of a repeated label are summed */
    ws_ir ir;
    ws_operand op;
    build_ir(&ir, "xyij,ij->xy", 2, v);
    ws_operand_from_view(&ir, 0, &v[0], &op);
    CHECK(op.nguards == 2 && op.guard[0].coef[0] == 1 && op.guard[0].coef[1] == 0 &&
          op.guard[0].coef[2] == 1 && op.guard[1].coef[1] == 1 && op.guard[1].coef[3] == 1 &&
          op.guard[0].offset == -2 && op.guard[1].extent == 1 && op.offset == -4);
    winsum_view vd = v[0];
    vd.ndim = 2;
    vd.shape[0] = vd.shape[1] = 3;
    vd.guards[0].coef[1] = 1; /* guard 0 on both axes */
    build_ir(&ir, "ii->i", 1, &vd);
    ws_operand_from_view(&ir, 0, &vd, &op);
    CHECK(op.stride[0] == 2 && op.guard[0].coef[0] == 2 && op.guard[1].coef[0] == 1);
}

/* A multi-channel convolution 'ncxyij,ocij->noxy' of about a MFLOP, against
 * a direct loop: the reference must cope with this size in tests. */
static void test_conv_channels(void)
{
    enum { N = 2, C = 8, O = 8, H = 16, W = 16, K = 3, OH = 16, OW = 16 };
    const int64_t s = 1, d = 1, pad = 1; /* OH = (H + 2*pad - d*(K-1) - 1)/s + 1 */
    static double x[N * C * H * W], w[O * C * K * K], y[N * O * OH * OW], e[N * O * OH * OW];
    uint64_t rng = 99;
    for (int i = 0; i < N * C * H * W; i++) x[i] = tu_uniform(&rng);
    for (int i = 0; i < O * C * K * K; i++) w[i] = tu_uniform(&rng);
    winsum_buffer bx = hbuf(x, sizeof x), bw = hbuf(w, sizeof w), by = hbuf(y, sizeof y);
    int64_t xs[6] = {N, C, OH, OW, K, K};
    int64_t xst[6] = {C * H * W, H * W, s * W, s, d * W, d};
    winsum_view v[2];
    v[0] = mkview(&bx, WINSUM_F64, -pad * W - pad, 6, xs, xst);
    v[0].nguards = 2;
    v[0].guards[0].coef[2] = s;
    v[0].guards[0].coef[4] = d;
    v[0].guards[0].offset = -pad;
    v[0].guards[0].extent = H;
    v[0].guards[1].coef[3] = s;
    v[0].guards[1].coef[5] = d;
    v[0].guards[1].offset = -pad;
    v[0].guards[1].extent = W;
    int64_t ws_[4] = {O, C, K, K}, ys[4] = {N, O, OH, OW};
    v[1] = mkview(&bw, WINSUM_F64, 0, 4, ws_, NULL);
    winsum_view vy = mkview(&by, WINSUM_F64, 0, 4, ys, NULL);
    ref("ncxyij,ocij->noxy", 2, v, &vy, 1, 0);
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++)
            for (int64_t p = 0; p < OH; p++)
                for (int64_t q = 0; q < OW; q++) {
                    double acc = 0;
                    for (int c = 0; c < C; c++)
                        for (int i = 0; i < K; i++)
                            for (int j = 0; j < K; j++) {
                                int64_t r = p * s + i * d - pad, cc = q * s + j * d - pad;
                                if (r < 0 || r >= H || cc < 0 || cc >= W) continue;
                                acc += x[((n * C + c) * H + r) * W + cc] *
                                       w[((o * C + c) * K + i) * K + j];
                            }
                    e[((n * O + o) * OH + p) * OW + q] = acc;
                }
    CHECK(same(y, e, N * O * OH * OW, 1e-12));
}

/* ---------------------------------------------------------------- size 0 */

static void test_size0(void)
{
    /* a summed label of size 0: C = beta * C, and exactly 0 with beta 0 */
    double A[1] = {5}, B[1] = {7}, C[4] = {NAN, NAN, NAN, NAN};
    winsum_buffer ba = hbuf(A, sizeof A), bb = hbuf(B, sizeof B), bc = hbuf(C, sizeof C);
    int64_t s20[2] = {2, 0}, s02[2] = {0, 2}, s22[2] = {2, 2};
    winsum_view v[2] = {mkview(&ba, WINSUM_F64, 0, 2, s20, NULL),
                        mkview(&bb, WINSUM_F64, 0, 2, s02, NULL)};
    winsum_view vc = mkview(&bc, WINSUM_F64, 0, 2, s22, NULL);
    ref("ij,jk->ik", 2, v, &vc, 1, 0);
    CHECK(C[0] == 0 && C[1] == 0 && C[2] == 0 && C[3] == 0 && !signbit(C[0]));
    C[0] = 1;
    C[1] = 2;
    C[2] = 3;
    C[3] = 4;
    ref("ij,jk->ik", 2, v, &vc, 1, 0.5);
    CHECK(C[0] == 0.5 && C[1] == 1 && C[2] == 1.5 && C[3] == 2);
    /* size 0 broadcast against size 1: label j is 0 */
    int64_t s21[2] = {2, 1};
    winsum_view v1[2] = {mkview(&ba, WINSUM_F64, 0, 2, s21, NULL),
                         mkview(&bb, WINSUM_F64, 0, 2, s02, NULL)};
    ws_ir ir;
    build_ir(&ir, "ij,jk->ik", 2, v1);
    CHECK(ir.size[1] == 0);
    C[0] = NAN;
    ref("ij,jk->ik", 2, v1, &vc, 2, 0);
    CHECK(C[0] == 0 && C[3] == 0);

    /* an output label of size 0: nothing is written */
    double sentinel[2] = {123, 456};
    winsum_buffer bs = hbuf(sentinel, sizeof sentinel);
    int64_t n0 = 0;
    int64_t s03[2] = {0, 3};
    double D[3] = {1, 2, 3};
    winsum_buffer bd = hbuf(D, sizeof D);
    winsum_view vd = mkview(&bd, WINSUM_F64, 0, 2, s03, NULL);
    winsum_view vs = mkview(&bs, WINSUM_F64, 0, 1, &n0, NULL);
    ref("ij->i", 1, &vd, &vs, 1, 1);
    CHECK(sentinel[0] == 123 && sentinel[1] == 456);
    /* 0-d output of a sum over nothing */
    winsum_view vs0 = mkview(&bs, WINSUM_F64, 0, 0, NULL, NULL);
    ref("ij->", 1, &vd, &vs0, 1, 0);
    CHECK(sentinel[0] == 0 && sentinel[1] == 456);
}

/* The host float16 conversions against IEEE binary16: every finite half
 * survives a round trip; midpoints between neighbours round to the even one,
 * and a hair either side of a midpoint to the nearer; the overflow threshold
 * (65520 = max + half an ulp) goes to infinity, just below it to 65504;
 * subnormals; NaN and infinities. Also a half matmul on the reference path
 * rounded once from the double sum. */
static void test_f16(void)
{
    int trips = 0, mids = 0, bad = 0;
    for (int h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00) continue; /* inf, NaN */
        double v = winsum_f16_to_double((uint16_t)h);
        if (winsum_f16_from_double(v) != h && !(v == 0 && (h & 0x7fff) == 0)) bad++;
        trips++;
        int next = h + 1;
        if ((h & 0x7fff) == 0x7bff) continue; /* the largest finite: next is inf */
        double w = winsum_f16_to_double((uint16_t)next), mid = (v + w) / 2;
        uint16_t even = (h & 1) ? (uint16_t)next : (uint16_t)h;
        if (winsum_f16_from_double(mid) != even) bad++;
        if (winsum_f16_from_double(mid + (w - v) * 1e-6) != next) bad++;
        if (winsum_f16_from_double(mid - (w - v) * 1e-6) != h) bad++;
        mids++;
    }
    CHECK_MSG(bad == 0, "%d of %d round trips and %d midpoints wrong", bad, trips, mids);
    CHECK(winsum_f16_from_double(65504.0) == 0x7bff);
    CHECK(winsum_f16_from_double(65519.99) == 0x7bff);
    CHECK(winsum_f16_from_double(65520.0) == 0x7c00);
    CHECK(winsum_f16_from_double(-1e300) == 0xfc00);
    CHECK(winsum_f16_from_double(0x1p-24) == 0x0001);
    CHECK(winsum_f16_from_double(0x1p-25) == 0x0000);   /* tie: to even (0) */
    CHECK(winsum_f16_from_double(0x1.8p-24) == 0x0002); /* tie: to even (2) */
    CHECK(winsum_f16_from_double(-0.0) == 0x8000);
    CHECK(winsum_f16_to_double(0x3c00) == 1.0);
    CHECK(winsum_f16_to_double(0xc000) == -2.0);
    CHECK(winsum_f16_to_double(0x7c00) == INFINITY);
    CHECK(isnan(winsum_f16_to_double(winsum_f16_from_double(NAN))));
    /* 2 + 2^-11 + 2^-11 + 2^-11: halves in [2, 4) are 2^-9 apart, so the
     * sum rounded once is 2 + 2^-9, while adding in half term by term
     * would stay at 2 (each 2^-11 is a quarter ulp) */
    uint16_t a[4], b[4], c[1] = {0};
    a[0] = winsum_f16_from_double(2.0);
    for (int i = 1; i < 4; i++) a[i] = winsum_f16_from_double(0x1p-11);
    for (int i = 0; i < 4; i++) b[i] = winsum_f16_from_double(1.0);
    winsum_buffer ba = winsum_buffer_host(a, sizeof a), bb = winsum_buffer_host(b, sizeof b),
                  bc = winsum_buffer_host(c, sizeof c);
    const int64_t n4[1] = {4};
    winsum_view v[2] = {winsum_view_contiguous(&ba, WINSUM_F16, 1, n4),
                        winsum_view_contiguous(&bb, WINSUM_F16, 1, n4)};
    winsum_view vc = winsum_view_contiguous(&bc, WINSUM_F16, 0, NULL);
    winsum_context *ref = NULL;
    CHECK_STATUS(winsum_context_create(&ref, WINSUM_BACKEND_REF, NULL), WINSUM_OK);
    CHECK_STATUS(winsum_einsum(ref, "i,i->", 2, v, &vc, 1.0, 0.0), WINSUM_OK);
    CHECK_MSG(c[0] == winsum_f16_from_double(2.0 + 0x1p-9), "got %a", winsum_f16_to_double(c[0]));
    winsum_context_destroy(ref);
}

int main(void)
{
    test_f16();
    test_basic();
    test_diagonal();
    test_batch_and_chain();
    test_alpha_beta();
    test_strides();
    test_size1_broadcast();
    test_mixed_dtypes();
    test_guards();
    test_conv_channels();
    test_size0();
    return tu_finish("test_ref");
}
