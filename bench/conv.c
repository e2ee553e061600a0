/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * conv.c - the conv and conv-backward suites: ResNet-style layers run by
 * winsum on a batch, by the reference backend on batch 1 (the check), by
 * CLBlast's convolution routines and, as OpenBLAS, the GEMM of the same
 * im2col shape. The winsum call is shared with coldstart.c; the layer
 * geometry is layer.c's.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

/* A reference call predicted to take longer than this is skipped. */
#define REF_MAX_SECONDS 5.0

static const char *const conv_op_call[NOPS] = {"winsum_conv_forward", "winsum_conv_backward_data",
                                               "winsum_conv_backward_weight"};

int run_conv(void *arg, char *err, size_t n)
{
    conv_call *a = arg;
    winsum_status st;
    const winsum_view *v = a->v;
    switch (a->op) {
    case OP_FWD:
        st = winsum_conv_forward(a->ctx, &a->desc, &v[T_X], &v[T_W], NULL, &v[T_Y], 1.0, 0.0);
        break;
    case OP_BWD_DATA:
        st = winsum_conv_backward_data(a->ctx, &a->desc, &v[T_Y], &v[T_W], &v[T_X], 1.0, 0.0);
        break;
    default:
        st = winsum_conv_backward_weight(a->ctx, &a->desc, &v[T_X], &v[T_Y], &v[T_W], 1.0, 0.0);
        break;
    }
    return finish_call(a->ctx, st, conv_op_call[a->op], err, n);
}

void conv_impl_of(winsum_context *ctx, char *out, size_t n)
{
#ifdef WINSUM_BENCH_HAVE_CONV_LAST_IMPL
    snprintf(out, n, "%s", winsum_conv_last_impl(ctx));
#else
    /* HOOK (issue 19, item 2): this library has no winsum_conv_last_impl
     * (bench/CMakeLists.txt defines WINSUM_BENCH_HAVE_CONV_LAST_IMPL when
     * include/winsum.h declares it), so the implementation is unknown and
     * the table's impl column says "?" */
    (void)ctx;
    if (n) out[0] = 0;
#endif
}

/* ================================================================ layers */

static const conv_layer conv_layers[] = {
    {"conv3x3_s1_64x56x56", 64, 64, 56, 3, 1, 1, 1},
    {"conv3x3_s1_256x14x14", 256, 256, 14, 3, 1, 1, 1},
    {"conv1x1_s1_256to64x56x56", 256, 64, 56, 1, 1, 0, 1},
    {"conv7x7_s2_3to64x224x224", 3, 64, 224, 7, 2, 3, 1},
    {"conv3x3_s2_128x28x28", 128, 128, 28, 3, 2, 1, 1},
    {"dwconv3x3_s1_256x14x14", 256, 256, 14, 3, 1, 1, 256},
};
#define NLAYERS ((int)(sizeof conv_layers / sizeof conv_layers[0]))

/* The im2col GEMM of an op (groups 1): M x N x K, row-major C = A B. */
static void conv_gemm_dims(const conv_layer *l, int op, int64_t n, int64_t *m, int64_t *nn,
                           int64_t *k)
{
    int64_t p = n * conv_oh(l) * conv_oh(l), ckk = l->c * l->k * l->k;
    if (op == OP_FWD) *m = l->o, *nn = p, *k = ckk;
    else if (op == OP_BWD_DATA) *m = ckk, *nn = p, *k = l->o;
    else *m = l->o, *nn = ckk, *k = p;
}

/* ============================================================== the suites */

/* The reference backend on batch 1 (the first image of the same data),
 * into want; times that call. Returns 0 when want holds the result. */
int conv_reference(bench *b, row *r, const conv_layer *l, int op, void *const host[3], void *want)
{
    cell *c = &r->c[B_REF];
    double flops = conv_flops(l, 1);
    if (b->ref_gflops > 0 && flops / b->ref_gflops / 1e9 > REF_MAX_SECONDS) {
        c->state = CELL_SKIP;
        bench_note(b, "%s: reference skipped (one batch-1 call would take about %.0f s); unchecked",
                   r->csv_case, flops / b->ref_gflops / 1e9);
        return -1;
    }
    winsum_buffer hb[3];
    const winsum_buffer *hp[3];
    for (int t = 0; t < 3; t++) {
        void *p = t == conv_op_output[op] ? want : host[t];
        hb[t] = winsum_buffer_host(p, conv_elems(l, t, 1) * b->esz);
        hp[t] = &hb[t];
    }
    conv_call a = {b->ref, op, {0}, {{0}}};
    conv_desc(l, &a.desc);
    conv_views(l, 1, b->dtype, hp, a.v);
    if (time_cell(b, r, B_REF, c, run_conv, &a, 0, 1, flops)) return -1;
    b->ref_gflops = gflops(c);
    if (c->ms > REF_MAX_SECONDS * 1e3)
        bench_note(b,
                   "%s: one reference call took %.1f s (> %.0f s); later ones are skipped if "
                   "predicted as slow",
                   r->csv_case, c->ms / 1e3, REF_MAX_SECONDS);
    return 0;
}

/* Checks winsum's op on a small variant of layer l (batch 1, the spatial
 * size cut until the op is at most CHECK_MAX_FLOPS) against the reference,
 * into r's winsum cell. The network suites check this way: the reference
 * runs about 0.35 GFLOP/s here, a batch-1 layer of ResNet-50 is 0.1-0.24
 * GFLOP, three ops of 52 layers would take a minute. */
static void conv_check_small(bench *b, row *r, const conv_layer *full, int op)
{
    conv_layer l = *full;
    while (l.hw > l.k && l.hw > 2 * l.stride && conv_flops(&l, 1) > CHECK_MAX_FLOPS) l.hw--;
    int out = conv_op_output[op];
    void *host[3] = {NULL, NULL, NULL}, *got = malloc(conv_elems(&l, out, 1) * b->esz),
         *want = malloc(conv_elems(&l, out, 1) * b->esz);
    winsum_buffer dev[3];
    memset(dev, 0, sizeof dev);
    int ok = got && want;
    for (int t = 0; t < 3 && ok; t++) ok = (host[t] = random_data(b, conv_elems(&l, t, 1))) != NULL;
    for (int t = 0; t < 3 && ok; t++)
        ok = !dev_upload(b, r->csv_case, t == out ? NULL : host[t], conv_elems(&l, t, 1), &dev[t]);
    if (!ok) {
        cell_fail(b, r, B_WINSUM, &r->c[B_WINSUM], "check: out of memory");
    } else {
        const winsum_buffer *bufs[3] = {&dev[T_X], &dev[T_W], &dev[T_Y]};
        conv_call a = {b->ctx, op, {0}, {{0}}};
        char err[1024];
        conv_desc(&l, &a.desc);
        conv_views(&l, 1, b->dtype, bufs, a.v);
        if (run_conv(&a, err, sizeof err)) cell_fail(b, r, B_WINSUM, &r->c[B_WINSUM], err);
        else if (!dev_download(b, r, &dev[out], got, conv_elems(&l, out, 1)) &&
                 !conv_reference(b, r, &l, op, host, want))
            set_check(b, &r->c[B_WINSUM],
                      bench_compare(r->csv_case, r->dtype, "winsum vs reference (small variant)",
                                    got, want, conv_elems(&l, out, 1), conv_reduction(&l, op, 1)));
        /* the reference ran the variant: not a rate of this layer */
        if (r->c[B_REF].state == CELL_DONE) r->c[B_REF].state = CELL_SKIP;
    }
    for (int t = 0; t < 3; t++) {
        if (dev[t].mem) winsum_buffer_free(b->ctx, &dev[t]);
        free(host[t]);
    }
    free(got);
    free(want);
}

/* One layer, the given ops: winsum and torch on batch n, timed; count 0
 * (the conv suites): every backend, checked on batch 1 of the same data;
 * count > 0 (the network suites, the layer's weight): no CLBlast or
 * OpenBLAS, checked on a small variant. */
void conv_layer_bench(bench *b, const char *suite, const conv_layer *l, const int *ops, int nops,
                      int64_t n, int count)
{
    int reps = count && b->quick ? 1 : b->reps;
    void *host[3] = {NULL, NULL, NULL};
    void *got = NULL, *got1 = NULL, *want = NULL, *other = NULL;
    winsum_buffer dev[4];
    memset(dev, 0, sizeof dev);
    size_t most = 0;
    for (int t = 0; t < 3; t++) {
        size_t e = conv_elems(l, t, n);
        host[t] = random_data(b, e);
        if (e > most) most = e;
    }
    got = malloc(most * b->esz);
    got1 = malloc(most * b->esz);
    want = malloc(most * b->esz);
    other = malloc(most * b->esz);
    int ready = host[0] && host[1] && host[2] && got && got1 && want && other;
    if (!ready) fprintf(stderr, "winsum-bench: %s: malloc: out of host memory\n", l->name);
    /* dev[0..2]: x, w, y with the random data; dev[3]: the op's output */
    for (int t = 0; t < 3 && ready; t++)
        ready = !dev_upload(b, l->name, host[t], conv_elems(l, t, n), &dev[t]);
    if (ready) ready = !dev_upload(b, l->name, NULL, most, &dev[3]);

    for (int i = 0; i < nops; i++) {
        int op = ops[i], out = conv_op_output[op];
        char name[64];
        snprintf(name, sizeof name, "%s_%s", l->name, conv_op_suffix[op]);
        row *r = new_row(b, suite, name, l->name, conv_op_suffix[op]);
        if (!r) break;
        r->count = count;
        r->grouped = l->groups > 1;
        progress(b, "  %s ...\n", name);
        if (!ready) {
            for (int k = 0; k < NBACK; k++) r->c[k].state = CELL_ERR;
            b->ws_errors++;
            continue;
        }
        /* winsum on the whole batch */
        const winsum_buffer *bufs[3] = {&dev[T_X], &dev[T_W], &dev[T_Y]};
        bufs[out] = &dev[3];
        conv_call a = {b->ctx, op, {0}, {{0}}};
        conv_desc(l, &a.desc);
        conv_views(l, n, b->dtype, bufs, a.v);
        size_t nout = conv_elems(l, out, n);
        int ws_ok =
            !time_cell(b, r, B_WINSUM, &r->c[B_WINSUM], run_conv, &a, 1, reps, conv_flops(l, n));
        if (ws_ok) conv_impl_of(b->ctx, r->impl, sizeof r->impl);
        ws_ok = ws_ok && !dev_download(b, r, &dev[3], got, nout);
        /* torch on the same shapes, dtype and repetitions */
        torch_conv_cell(b, r, l, op, n, reps);
        r->c[B_NUMPY].state = CELL_NA;
        if (count) {
            r->c[B_CLBLAST].state = r->c[B_OPENBLAS].state = CELL_SKIP;
            if (ws_ok) conv_check_small(b, r, l, op);
            continue;
        }
        /* its batch-1 result: the first image, or (backward-weight, which
         * sums over the batch) a run on a batch-1 view of the same buffers */
        int ws1_ok = ws_ok;
        if (ws_ok && op == OP_BWD_WEIGHT) {
            char err[1024];
            conv_views(l, 1, b->dtype, bufs, a.v);
            if (run_conv(&a, err, sizeof err)) {
                cell_fail(b, r, B_WINSUM, &r->c[B_WINSUM], err);
                ws1_ok = 0;
            } else {
                ws1_ok = !dev_download(b, r, &dev[3], got1, conv_elems(l, out, 1));
            }
        } else if (ws_ok) {
            memcpy(got1, got, conv_elems(l, out, 1) * b->esz);
        }
        /* the reference on batch 1, and the check of winsum against it */
        if (!conv_reference(b, r, l, op, host, want) && ws1_ok)
            set_check(b, &r->c[B_WINSUM],
                      bench_compare(r->csv_case, r->dtype, "winsum vs reference (batch 1)", got1,
                                    want, conv_elems(l, out, 1), conv_reduction(l, op, 1)));
        /* CLBlast into the same output buffer, checked against winsum */
        clblast_conv_cell(b, r, l, op, bufs, other, ws_ok ? got : NULL);
        /* OpenBLAS: the GEMM this op is under im2col, same M, N, K */
        if (l->groups == 1) {
            int64_t m, nn, k;
            conv_gemm_dims(l, op, n, &m, &nn, &k);
            openblas_gemm_cell(b, r, &r->c[B_OPENBLAS], m, nn, k);
        } else {
            r->c[B_OPENBLAS].state = CELL_NA;
        }
    }
    for (int t = 0; t < 4; t++)
        if (dev[t].mem) winsum_buffer_free(b->ctx, &dev[t]);
    for (int t = 0; t < 3; t++) free(host[t]);
    free(got);
    free(got1);
    free(want);
    free(other);
}

static void suite_conv_ops(bench *b, const char *suite, const int *ops, int nops)
{
    for (int i = 0; i < NLAYERS; i++)
        conv_layer_bench(b, suite, &conv_layers[i], ops, nops, b->conv_batch, 0);
}

void suite_conv(bench *b)
{
    static const int ops[] = {OP_FWD};
    suite_conv_ops(b, "conv", ops, 1);
}

void suite_conv_backward(bench *b)
{
    static const int ops[] = {OP_BWD_DATA, OP_BWD_WEIGHT};
    suite_conv_ops(b, "conv-backward", ops, 2);
}
