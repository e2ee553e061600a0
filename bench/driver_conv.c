/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * driver_conv.c - `winsum-bench conv forward|backward-data|backward-weight`:
 * one convolution layer of the caller's shapes, timed on winsum, CLBlast,
 * OpenBLAS, torch and the reference where they apply, and checked.
 */
#include "driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------- convolution */

static const char *const conv_op_name[NOPS] = {"forward", "backward-data", "backward-weight"};

/* The shapes of x, w, y with batch n (y's from the descriptor). */
typedef struct conv_case {
    int op, rank;
    winsum_conv_desc d;
    int64_t shape[3][WINSUM_MAX_DIMS];
} conv_case;

static void conv_views_of(const conv_case *cc, int64_t batch, winsum_dtype dt,
                          const winsum_buffer *const buf[3], winsum_view v[3])
{
    for (int t = 0; t < 3; t++) {
        int64_t s[WINSUM_MAX_DIMS];
        memcpy(s, cc->shape[t], sizeof s);
        if (t != T_W) s[0] = batch;
        v[t] = winsum_view_contiguous(buf[t], dt, cc->rank, s);
    }
}

int drv_conv(int argc, char **argv)
{
    char who[64] = "winsum-bench conv";
    if (argc < 2)
        return ws_args_error(who,
                             "missing op: forward, backward-data or backward-weight "
                             "(see %s --help)",
                             who);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return fputs(drv_conv_help, stdout) == EOF;
    int op = -1;
    for (int i = 0; i < NOPS; i++)
        if (!strcmp(argv[1], conv_op_name[i])) op = i;
    if (op < 0)
        return ws_args_error(who,
                             "unknown op '%s' (forward, backward-data, backward-weight; see "
                             "%s --help)",
                             argv[1], who);
    snprintf(who, sizeof who, "winsum-bench conv %s", conv_op_name[op]);
    drv_common c = {"f32", NULL, 0, 0};
    const char *xs = NULL, *wsh = NULL, *stride = NULL, *padding = NULL, *dilation = NULL,
               *layout = "nchw";
    long long groups = 1;
    ws_opt opts[] = {{"--input-shape", WS_OPT_STRING, &xs, 0, 0},
                     {"--weight-shape", WS_OPT_STRING, &wsh, 0, 0},
                     {"--stride", WS_OPT_STRING, &stride, 0, 0},
                     {"--padding", WS_OPT_STRING, &padding, 0, 0},
                     {"--dilation", WS_OPT_STRING, &dilation, 0, 0},
                     {"--groups", WS_OPT_INT, &groups, 1, 1LL << 31},
                     {"--layout", WS_OPT_STRING, &layout, 0, 0},
                     DRV_COMMON_OPTS(c),
                     {NULL, WS_OPT_FLAG, NULL, 0, 0}};
    ws_args a;
    if (ws_args_parse(who, argc - 2, argv + 2, opts, &a)) return WS_EXIT_USAGE;
    if (a.help) return fputs(drv_conv_op_help[op], stdout) == EOF;
    if (a.npos)
        return ws_args_error(who, "unexpected argument '%s' (see %s --help)", a.pos[0], who);
    if (!xs) return ws_args_error(who, "missing --input-shape N,C,H,W");
    if (!wsh) return ws_args_error(who, "missing --weight-shape O,C/G,KH,KW");
    winsum_dtype dt;
    if (parse_dtype(c.dtype, &dt))
        return ws_args_error(who, "--dtype takes f32, f64 or f16, not '%s'", c.dtype);
    conv_case cc = {.op = op};
    winsum_conv_desc *d = &cc.d;
    winsum_conv_desc_init(d);
    if (!strcmp(layout, "nhwc")) d->layout = WINSUM_LAYOUT_NHWC;
    else if (strcmp(layout, "nchw"))
        return ws_args_error(who, "--layout takes nchw or nhwc, not '%s'", layout);
    int r = int_list(xs, ',', WINSUM_MAX_DIMS, 1, cc.shape[T_X]);
    if (r < 3 || r > 2 + WINSUM_MAX_SPATIAL)
        return ws_args_error(who,
                             "--input-shape takes 3 to %d integers >= 1 (N, C and 1 to %d "
                             "spatial sizes), not '%s'",
                             2 + WINSUM_MAX_SPATIAL, WINSUM_MAX_SPATIAL, xs);
    if (int_list(wsh, ',', WINSUM_MAX_DIMS, 1, cc.shape[T_W]) != r)
        return ws_args_error(who,
                             "--weight-shape takes %d integers >= 1 (O, C/G and %d kernel "
                             "sizes, the input's rank), not '%s'",
                             r, r - 2, wsh);
    cc.rank = r;
    int ns = d->nspatial = r - 2;
    d->groups = groups;
    if (stride && axis_opt(who, "--stride", stride, ns, 1, d->stride)) return WS_EXIT_USAGE;
    if (dilation && axis_opt(who, "--dilation", dilation, ns, 1, d->dilation)) return WS_EXIT_USAGE;
    if (padding && padding_opt(who, padding, ns, d)) return WS_EXIT_USAGE;
    char msg[512] = "";
    if (winsum_conv_output_shape(d, r, cc.shape[T_X], cc.shape[T_W], cc.shape[T_Y], msg,
                                 sizeof msg))
        return ws_args_error(who, "these shapes and options make no convolution: %s", msg);
    /* every size below is a product of factors of these three (the flop
     * counts are doubles) */
    static const char *const tensor_name[3] = {"X (--input-shape)", "W (--weight-shape)",
                                               "Y (the output)"};
    int64_t e[3], bytes;
    for (int i = 0; i < 3; i++)
        if (drv_elems(cc.shape[i], r, &e[i]) ||
            ws_mul_ovf(e[i], (int64_t)winsum_dtype_size(dt), &bytes))
            return ws_args_error(who, "%s is too large: more than 2^63 bytes", tensor_name[i]);

    /* the canonical case line */
    char line[1024], t[3][128], st[64], pd[96], dl[64];
    shape_text(cc.shape[T_X], r, ',', t[T_X], sizeof t[T_X]);
    shape_text(cc.shape[T_W], r, ',', t[T_W], sizeof t[T_W]);
    shape_text(cc.shape[T_Y], r, ',', t[T_Y], sizeof t[T_Y]);
    list_text(d->stride, ns, st, sizeof st);
    list_text(d->dilation, ns, dl, sizeof dl);
    padding_text(d, pd, sizeof pd);
    snprintf(line, sizeof line,
             "winsum-bench conv %s --input-shape %s --weight-shape %s --stride %s --padding %s "
             "--dilation %s --groups %lld --dtype %s --layout %s",
             conv_op_name[op], t[T_X], t[T_W], st, pd, dl, (long long)d->groups,
             dt == WINSUM_F64   ? "f64"
             : dt == WINSUM_F16 ? "f16"
                                : "f32",
             layout);

    bench *b = drv_open(who, &c, dt);
    if (!b) return 1;
    drv_header(b, line);
    int nhwc = d->layout == WINSUM_LAYOUT_NHWC;
    const int64_t *x = cc.shape[T_X], *w = cc.shape[T_W], *y = cc.shape[T_Y];
    int64_t n = x[0], ch = x[nhwc ? r - 1 : 1], o = w[0], cg = w[1], outsp = 1, ksp = 1;
    for (int i = 0; i < ns; i++) outsp *= y[(nhwc ? 1 : 2) + i], ksp *= w[2 + i];
    double flops1 = 2.0 * (double)o * (double)outsp * (double)cg * (double)ksp;
    double flops = flops1 * (double)n;
    double k1 = op == OP_FWD        ? (double)(cg * ksp)
                : op == OP_BWD_DATA ? (double)(o / (d->groups ? d->groups : 1) * ksp)
                                    : (double)outsp;
    static const char *const tname[3] = {"X", "W", "Y"};
    int out = conv_op_output[op];
    printf("plan: %s, %d-D, %s, stride %s, padding %s, dilation %s, groups %lld\n",
           op == OP_FWD        ? "winsum_conv_forward"
           : op == OP_BWD_DATA ? "winsum_conv_backward_data"
                               : "winsum_conv_backward_weight",
           ns, layout, st, pd, dl, (long long)d->groups);
    printf("tensors: X (%s), W (%s), Y (%s); writes %s; 2*N*O*OUT*(C/G)*K = %.4g MFLOP\n", t[T_X],
           t[T_W], t[T_Y], tname[out], flops / 1e6);
    fflush(stdout);

    row *rw = new_row(b, "driver", "conv", "conv", conv_op_suffix[op]);
    const char *why[NBACK] = {NULL};
    size_t e1[3];
    for (int i = 0; i < 3; i++) e1[i] = (size_t)(i == T_W ? e[i] : e[i] / n);
    void *host[3] = {NULL, NULL, NULL}, *got = NULL, *got1 = NULL, *want = NULL, *other = NULL;
    winsum_buffer dev[3];
    memset(dev, 0, sizeof dev);
    int ready = 1;
    for (int i = 0; i < 3 && ready; i++)
        ready = !drv_fits(b, who, tensor_name[i], e[i], &why[B_WINSUM]);
    if (ready) {
        got = malloc((size_t)e[out] * b->esz), got1 = malloc(e1[out] * b->esz);
        want = malloc(e1[out] * b->esz), other = malloc((size_t)e[out] * b->esz);
        ready = got && got1 && want && other;
        for (int i = 0; i < 3 && ready; i++)
            ready = (host[i] = random_data(b, (size_t)e[i])) != NULL;
        if (!ready) cell_fail(b, rw, B_WINSUM, &rw->c[B_WINSUM], "malloc: out of host memory");
    }
    for (int i = 0; i < 3 && ready; i++)
        ready = !dev_upload(b, "conv", host[i], (size_t)e[i], &dev[i]);
    if (ready) {
        const winsum_buffer *bufs[3] = {&dev[T_X], &dev[T_W], &dev[T_Y]};
        conv_call call = {b->ctx, op, *d, {{0}}};
        conv_views_of(&cc, n, dt, bufs, call.v);
        progress(b, "  winsum ...\n");
        int ws_ok =
            !time_cell(b, rw, B_WINSUM, &rw->c[B_WINSUM], run_conv, &call, 1, b->reps, flops);
        if (ws_ok) {
            /* the implementation the library chose (or $WINSUM_CONV_IMPL put first) */
            conv_impl_of(b->ctx, rw->impl, sizeof rw->impl);
            printf("implementation: %s\n",
                   rw->impl[0] ? rw->impl : "unknown (this library has no winsum_conv_last_impl)");
        }
        ws_ok = ws_ok && !dev_download(b, rw, &dev[out], got, (size_t)e[out]);
        int ws1_ok = ws_ok;
        if (ws_ok && op == OP_BWD_WEIGHT && n > 1) { /* winsum on batch 1, for the check */
            char err[1024];
            conv_views_of(&cc, 1, dt, bufs, call.v);
            if (run_conv(&call, err, sizeof err)) {
                cell_fail(b, rw, B_WINSUM, &rw->c[B_WINSUM], err);
                ws1_ok = 0;
            } else {
                ws1_ok = !dev_download(b, rw, &dev[out], got1, e1[out]);
            }
        } else if (ws_ok) {
            memcpy(got1, got, e1[out] * b->esz);
        }
        /* the reference on batch 1 */
        if (flops1 > REF_MAX_FLOPS) {
            rw->c[B_REF].state = CELL_SKIP;
            why[B_REF] = "skipped: batch 1 is over 1 GFLOP (about 5 s or more); unchecked";
        } else {
            progress(b, "  reference ...\n");
            winsum_buffer hb[3];
            const winsum_buffer *hp[3];
            for (int i = 0; i < 3; i++) {
                hb[i] = winsum_buffer_host(i == out ? want : host[i], (size_t)e[i] * b->esz);
                if (i == out) hb[i].bytes = e1[i] * b->esz;
                hp[i] = &hb[i];
            }
            conv_call refcall = {b->ref, op, *d, {{0}}};
            conv_views_of(&cc, 1, dt, hp, refcall.v);
            why[B_REF] = "batch 1";
            if (!time_cell(b, rw, B_REF, &rw->c[B_REF], run_conv, &refcall, 0, 1, flops1) &&
                ws1_ok) {
                set_check(b, &rw->c[B_WINSUM],
                          bench_compare("conv", dt, "winsum vs reference (batch 1)", got1, want,
                                        e1[out], k1));
                why[B_WINSUM] = "vs the reference on batch 1";
            }
        }
        /* CLBlast: its convolution routines take one square 2-D NCHW layer */
        int square = ns == 2 && !nhwc && d->groups == 1 && x[2] == x[3] && w[2] == w[3] &&
                     d->stride[0] == d->stride[1] && !d->pad_same && d->pad_lo[0] == d->pad_lo[1] &&
                     d->pad_lo[0] == d->pad_hi[0] && d->pad_lo[1] == d->pad_hi[1] &&
                     d->dilation[0] == 1 && d->dilation[1] == 1;
        if (b->na_why[B_CLBLAST]) {
            rw->c[B_CLBLAST].state = CELL_NA;
            why[B_CLBLAST] = b->na_why[B_CLBLAST];
        } else if (!square) {
            rw->c[B_CLBLAST].state = CELL_NA;
            why[B_CLBLAST] = "its routines take 2-D NCHW, square, groups 1, dilation 1, symmetric "
                             "padding";
        } else {
            progress(b, "  CLBlast ...\n");
            conv_layer l = {"conv", ch, o, x[2], w[2], d->stride[0], d->pad_lo[0], 1};
            b->conv_batch = n;
            clblast_conv_cell(b, rw, &l, op, bufs, other, ws_ok ? got : NULL);
            if (rw->c[B_CLBLAST].state == CELL_NA) why[B_CLBLAST] = "not built in";
            else if (rw->c[B_CLBLAST].check >= 0) why[B_CLBLAST] = "vs winsum";
        }
        /* OpenBLAS: the im2col GEMM of the same M, N, K */
        if (d->groups != 1 || b->na_why[B_OPENBLAS]) {
            rw->c[B_OPENBLAS].state = CELL_NA;
            why[B_OPENBLAS] = b->na_why[B_OPENBLAS] ? b->na_why[B_OPENBLAS] : "groups > 1";
        } else {
            int64_t p = n * outsp, ckk = ch * ksp, m, nn, kk;
            if (op == OP_FWD) m = o, nn = p, kk = ckk;
            else if (op == OP_BWD_DATA) m = ckk, nn = p, kk = o;
            else m = o, nn = ckk, kk = p;
            static char gemm_why[96];
            progress(b, "  OpenBLAS ...\n");
            openblas_gemm_cell(b, rw, &rw->c[B_OPENBLAS], m, nn, kk);
            snprintf(gemm_why, sizeof gemm_why,
                     "the im2col GEMM %lldx%lldx%lld (MxNxK), not a "
                     "convolution",
                     (long long)m, (long long)nn, (long long)kk);
            why[B_OPENBLAS] = rw->c[B_OPENBLAS].state == CELL_NA ? "not built in" : gemm_why;
        }
    }
    int rc = drv_report(b, rw, why);
    for (int i = 0; i < 3; i++) {
        if (dev[i].mem) winsum_buffer_free(b->ctx, &dev[i]);
        free(host[i]);
    }
    free(got);
    free(got1);
    free(want);
    free(other);
    drv_close(b);
    return rc;
}
