/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * driver_einsum.c - `winsum-bench einsum SUBSCRIPTS --shapes ...`: one
 * contraction of the caller's shapes (and strides), timed on winsum beside
 * the peers where they apply, checked against the reference, with its plan.
 */
#include "driver.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------------------- einsum */

#define MAX_DRV_OPS 8

typedef struct drv_plan_call {
    winsum_context *ctx;
    winsum_plan *plan;
} drv_plan_call;

static int drv_run_plan(void *arg, char *err, size_t n)
{
    drv_plan_call *a = arg;
    return finish_call(a->ctx, winsum_plan_execute(a->plan, NULL, NULL, 1.0, 0.0, NULL),
                       "winsum_plan_execute", err, n);
}

/* The product of every label's size (ellipsis dimensions aligned from the
 * right), from the input terms of subs and the operands' shapes. */
static double loop_points(const char *subs, int nops, const int64_t shape[][WINSUM_MAX_DIMS],
                          const int *rank)
{
    int64_t size[128] = {0}, ell[WINSUM_MAX_DIMS] = {0};
    int nell = 0;
    const char *p = subs;
    for (int i = 0; i < nops; i++) {
        char term[64];
        size_t len = strcspn(p, ",-");
        if (len >= sizeof term) len = sizeof term - 1;
        memcpy(term, p, len);
        term[len] = 0;
        p += len;
        if (*p == ',') p++;
        const char *dots = strstr(term, "...");
        int letters = 0, before = 0;
        for (const char *q = term; *q; q++)
            if ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')) {
                letters++;
                if (!dots || q < dots) before++;
            }
        int ne = dots ? rank[i] - letters : 0;
        if (ne < 0) ne = 0;
        int axis = 0;
        for (const char *q = term; *q; q++) {
            if (q == dots) {
                for (int k = 0; k < ne; k++) { /* right-aligned: slot ne-1-k from the end */
                    int slot = ne - 1 - k;
                    if (shape[i][axis + k] > ell[slot]) ell[slot] = shape[i][axis + k];
                }
                if (ne > nell) nell = ne;
                axis += ne;
                q += 2;
                continue;
            }
            if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')) || axis >= rank[i])
                continue;
            if (shape[i][axis] > size[(unsigned char)*q]) size[(unsigned char)*q] = shape[i][axis];
            axis++;
        }
        (void)before;
    }
    double pts = 1;
    for (int ch = 0; ch < 128; ch++)
        if (size[ch]) pts *= (double)size[ch];
    for (int k = 0; k < nell; k++) pts *= (double)(ell[k] ? ell[k] : 1);
    return pts;
}

/* 'ab,bc->ac' with three distinct letters: a plain GEMM (m = a, k = b, n = c). */
static int is_gemm(const char *subs)
{
    return strlen(subs) == 9 && subs[2] == ',' && subs[5] == '-' && subs[6] == '>' &&
           subs[1] == subs[3] && subs[0] == subs[7] && subs[4] == subs[8] && subs[0] != subs[1] &&
           subs[1] != subs[4] && subs[0] != subs[4];
}

int drv_einsum(int argc, char **argv)
{
    const char *who = "winsum-bench einsum";
    drv_common c = {"f32", NULL, 0, 0};
    const char *shapes = NULL, *strides = NULL;
    ws_opt opts[] = {{"--shapes", WS_OPT_STRING, &shapes, 0, 0},
                     {"--strides", WS_OPT_STRING, &strides, 0, 0},
                     DRV_COMMON_OPTS(c),
                     {NULL, WS_OPT_FLAG, NULL, 0, 0}};
    ws_args a;
    if (ws_args_parse(who, argc - 1, argv + 1, opts, &a)) return WS_EXIT_USAGE;
    if (a.help) return fputs(drv_einsum_help, stdout) == EOF;
    if (a.npos < 1) return ws_args_error(who, "missing SUBSCRIPTS (see %s --help)", who);
    if (a.npos > 1)
        return ws_args_error(who, "unexpected argument '%s' (see %s --help)", a.pos[1], who);
    if (!shapes) return ws_args_error(who, "missing --shapes (e.g. --shapes 64x32,32x16)");
    winsum_dtype dt;
    if (parse_dtype(c.dtype, &dt))
        return ws_args_error(who, "--dtype takes f32, f64 or f16, not '%s'", c.dtype);
    const char *subs = a.pos[0];
    if (strlen(subs) > 200 || strchr(subs, '\''))
        return ws_args_error(who, "SUBSCRIPTS '%s' is not an einsum (letters, ',', '->', '...')",
                             subs);

    /* --shapes and --strides: operands separated by ',', dimensions by 'x' */
    int64_t shape[MAX_DRV_OPS][WINSUM_MAX_DIMS] = {{0}},
            stride[MAX_DRV_OPS][WINSUM_MAX_DIMS] = {{0}};
    int rank[MAX_DRV_OPS], nops = 0, nstr = 0;
    char buf[1024];
    for (int pass = 0; pass < 2; pass++) {
        const char *spec = pass ? strides : shapes, *name = pass ? "--strides" : "--shapes";
        if (!spec) continue;
        if (strlen(spec) >= sizeof buf) return ws_args_error(who, "%s is too long", name);
        strcpy(buf, spec);
        int n = 0;
        char *save = NULL;
        int empty = !*spec || spec[0] == ',' || spec[strlen(spec) - 1] == ',' || strstr(spec, ",,");
        for (char *tok = empty ? NULL : strtok_r(buf, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            if (n == MAX_DRV_OPS)
                return ws_args_error(who, "%s: at most %d operands", name, MAX_DRV_OPS);
            int k = int_list(tok, 'x', WINSUM_MAX_DIMS, pass ? 0 : 1, pass ? stride[n] : shape[n]);
            if (k < 0) {
                empty = 1;
                break;
            }
            if (pass && k != rank[n])
                return ws_args_error(who, "--strides: operand %d has %d strides but rank %d", n + 1,
                                     k, rank[n]);
            if (!pass) rank[n] = k;
            n++;
        }
        if (empty || !n)
            return ws_args_error(who,
                                 "%s takes each operand's %s as integers %s joined by x, the "
                                 "operands separated by commas (64x32,32x16), not '%s'",
                                 name, pass ? "strides" : "shape", pass ? ">= 0" : ">= 1", spec);
        if (pass) nstr = n;
        else nops = n;
    }
    if (strides && nstr != nops)
        return ws_args_error(who, "--strides has %d operands but --shapes has %d", nstr, nops);
    /* every size is checked: the strides of a contiguous operand, each
     * operand's extent (the elements its view spans) and its bytes */
    int64_t extent[MAX_DRV_OPS];
    for (int i = 0; i < nops; i++) {
        int64_t s = 1, span = 1, bytes = 0, reach;
        int over = 0;
        for (int k = rank[i] - 1; k >= 0 && !strides; k--) {
            stride[i][k] = s;
            over |= k > 0 && ws_mul_ovf(s, shape[i][k], &s);
        }
        for (int k = 0; k < rank[i]; k++)
            over |=
                ws_mul_ovf(shape[i][k] - 1, stride[i][k], &reach) || ws_add_ovf(span, reach, &span);
        if (over || ws_mul_ovf(span, (int64_t)winsum_dtype_size(dt), &bytes))
            return ws_args_error(who, "operand %d is too large: it spans more than 2^63 bytes",
                                 i + 1);
        extent[i] = span;
    }

    /* the canonical case line */
    char line[2048], shp[512] = "", str[512] = "";
    for (int i = 0; i < nops; i++) {
        char one[128];
        shape_text(shape[i], rank[i], 'x', one, sizeof one);
        snprintf(shp + strlen(shp), sizeof shp - strlen(shp), "%s%s", i ? "," : "", one);
        shape_text(stride[i], rank[i], 'x', one, sizeof one);
        snprintf(str + strlen(str), sizeof str - strlen(str), "%s%s", i ? "," : "", one);
    }
    snprintf(line, sizeof line, "winsum-bench einsum '%s' --shapes %s%s%s --dtype %s", subs, shp,
             strides ? " --strides " : "", strides ? str : "",
             dt == WINSUM_F64   ? "f64"
             : dt == WINSUM_F16 ? "f16"
                                : "f32");

    bench *b = drv_open(who, &c, dt);
    if (!b) return 1;
    /* the output's shape, from views over no data yet (nothing is read) */
    winsum_buffer dev[MAX_DRV_OPS + 1], hb[MAX_DRV_OPS + 1];
    winsum_view v[MAX_DRV_OPS + 1], hv[MAX_DRV_OPS + 1];
    for (int i = 0; i < nops; i++) {
        hb[i] = winsum_buffer_host(NULL, (size_t)extent[i] * b->esz);
        v[i] = winsum_view_strided(&hb[i], dt, 0, rank[i], shape[i], stride[i]);
    }
    int outrank = 0;
    int64_t outshape[WINSUM_MAX_DIMS], nout = 1, outbytes;
    winsum_status st = winsum_einsum_output_shape(b->ctx, subs, nops, v, &outrank, outshape);
    if (!st &&
        (drv_elems(outshape, outrank, &nout) || ws_mul_ovf(nout, (int64_t)b->esz, &outbytes))) {
        drv_close(b);
        return ws_args_error(who, "the output is too large: more than 2^63 bytes");
    }
    drv_header(b, line);
    row *rw = new_row(b, "driver", "einsum", "einsum", subs);
    const char *why[NBACK] = {NULL};
    void *host[MAX_DRV_OPS] = {NULL};
    memset(dev, 0, sizeof dev);
    winsum_plan *plan = NULL;
    void *got = NULL, *want = NULL;
    int ok = 1;
    if (st) {
        fprintf(stderr, "%s: %s: %s\n", who, winsum_status_string(st), winsum_last_error(b->ctx));
        b->ws_errors++;
        ok = 0;
    }
    for (int i = 0; i < nops && ok; i++) {
        char what[32];
        snprintf(what, sizeof what, "operand %d", i + 1);
        ok = !drv_fits(b, who, what, extent[i], &why[B_WINSUM]);
    }
    if (ok) ok = !drv_fits(b, who, "the output", nout, &why[B_WINSUM]);
    for (int i = 0; i < nops && ok; i++) {
        ok = (host[i] = random_data(b, (size_t)extent[i])) != NULL;
        if (!ok) cell_fail(b, rw, B_WINSUM, &rw->c[B_WINSUM], "malloc: out of host memory");
        ok = ok && !dev_upload(b, "einsum", host[i], (size_t)extent[i], &dev[i]);
        if (ok) v[i] = winsum_view_strided(&dev[i], dt, 0, rank[i], shape[i], stride[i]);
    }
    if (ok) {
        got = malloc((size_t)nout * b->esz);
        want = malloc((size_t)nout * b->esz);
        if (!got || !want)
            cell_fail(b, rw, B_WINSUM, &rw->c[B_WINSUM], "malloc: out of host memory");
        ok = got && want && !dev_upload(b, "einsum", NULL, (size_t)nout, &dev[nops]);
        if (ok) v[nops] = winsum_view_contiguous(&dev[nops], dt, outrank, outshape);
    }
    if (ok) {
        st = winsum_plan_create(b->ctx, &plan, subs, nops, v, &v[nops]);
        if (st) {
            char msg[1200];
            snprintf(msg, sizeof msg, "winsum_plan_create(\"%s\"): %s: %s", subs,
                     winsum_status_string(st), winsum_last_error(b->ctx));
            cell_fail(b, rw, B_WINSUM, &rw->c[B_WINSUM], msg);
            ok = 0;
        }
    }
    if (ok) {
        double pts = loop_points(subs, nops, shape, rank);
        double flops = pts * (nops > 1 ? 2.0 * (nops - 1) : 1.0),
               k = pts / (double)(nout ? nout : 1);
        char os[128];
        shape_text(outshape, outrank, 'x', os, sizeof os);
        printf("output: %s; %.0f loop points, %.4g MFLOP\n", outrank ? os : "scalar", pts,
               flops / 1e6);
        /* the plan, indented, without its closing newlines */
        char desc[4096];
        snprintf(desc, sizeof desc, "%s", winsum_plan_describe(plan));
        for (size_t l = strlen(desc); l && desc[l - 1] == '\n'; l--) desc[l - 1] = 0;
        printf("plan:\n");
        for (char *p = desc, *nl; p; p = nl ? nl + 1 : NULL) {
            nl = strchr(p, '\n');
            if (nl) *nl = 0;
            printf("  %s\n", p);
        }
        fflush(stdout);
        drv_plan_call pc = {b->ctx, plan};
        progress(b, "  winsum ...\n");
        int ws_ok =
            !time_cell(b, rw, B_WINSUM, &rw->c[B_WINSUM], drv_run_plan, &pc, 1, b->reps, flops) &&
            !dev_download(b, rw, &dev[nops], got, (size_t)nout);
        /* the reference on the whole problem */
        if (flops > REF_MAX_FLOPS) {
            rw->c[B_REF].state = CELL_SKIP;
            why[B_REF] = "skipped: over 1 GFLOP (about 5 s or more); unchecked";
        } else {
            progress(b, "  reference ...\n");
            for (int i = 0; i < nops; i++) {
                hb[i] = winsum_buffer_host(host[i], (size_t)extent[i] * b->esz);
                hv[i] = winsum_view_strided(&hb[i], dt, 0, rank[i], shape[i], stride[i]);
            }
            hb[nops] = winsum_buffer_host(want, (size_t)nout * b->esz);
            hv[nops] = winsum_view_contiguous(&hb[nops], dt, outrank, outshape);
            double t0 = now_ms();
            winsum_status rs = winsum_einsum(b->ref, subs, nops, hv, &hv[nops], 1.0, 0.0);
            double ms = now_ms() - t0;
            if (rs) {
                char msg[1200];
                snprintf(msg, sizeof msg, "winsum_einsum [reference backend]: %s: %s",
                         winsum_status_string(rs), winsum_last_error(b->ref));
                cell_fail(b, rw, B_REF, &rw->c[B_REF], msg);
            } else {
                rw->c[B_REF] = (cell){CELL_DONE, flops, ms, -1};
                why[B_REF] = "one call, the whole problem";
                if (ws_ok) {
                    set_check(b, &rw->c[B_WINSUM],
                              bench_compare("einsum", dt, "winsum vs reference", got, want,
                                            (size_t)nout, k));
                    why[B_WINSUM] = "vs the reference";
                }
            }
        }
        /* the peers: a plain contiguous GEMM only */
        if (nops == 2 && !strides && is_gemm(subs)) {
            int64_t m = shape[0][0], kk = shape[0][1], n = shape[1][1];
            if (b->na_why[B_CLBLAST]) {
                rw->c[B_CLBLAST].state = CELL_NA;
                why[B_CLBLAST] = b->na_why[B_CLBLAST];
            } else {
                progress(b, "  CLBlast ...\n");
                clblast_gemm_cell(b, rw, m, n, kk, host, ws_ok ? got : NULL);
                if (rw->c[B_CLBLAST].state == CELL_NA) why[B_CLBLAST] = "not built in";
                else if (rw->c[B_CLBLAST].check >= 0) why[B_CLBLAST] = "vs winsum";
            }
            if (b->na_why[B_OPENBLAS]) {
                rw->c[B_OPENBLAS].state = CELL_NA;
                why[B_OPENBLAS] = b->na_why[B_OPENBLAS];
            } else {
                progress(b, "  OpenBLAS ...\n");
                openblas_gemm_cell(b, rw, &rw->c[B_OPENBLAS], m, n, kk);
                why[B_OPENBLAS] =
                    rw->c[B_OPENBLAS].state == CELL_NA ? "not built in" : "on the host, unchecked";
            }
        } else {
            rw->c[B_CLBLAST].state = rw->c[B_OPENBLAS].state = CELL_NA;
            why[B_CLBLAST] = why[B_OPENBLAS] = "not a contiguous GEMM 'ab,bc->ac'";
        }
    }
    int rc = drv_report(b, rw, why);
    winsum_plan_destroy(plan);
    for (int i = 0; i <= nops; i++)
        if (dev[i].mem) winsum_buffer_free(b->ctx, &dev[i]);
    for (int i = 0; i < nops; i++) free(host[i]);
    free(got);
    free(want);
    drv_close(b);
    return rc;
}
