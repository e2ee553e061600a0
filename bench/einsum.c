/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * einsum.c - the gemm and tccg suites: two-operand einsums over contiguous
 * operands, each planned once and timed on winsum, checked against the
 * reference backend (the whole problem or a slice of it), with CLBlast and
 * OpenBLAS running the same GEMM (gemm) or a square GEMM of the same flop
 * count (tccg, beside winsum's own). The tccg cases come from
 * tccg-odd.txt: $WINSUM_TCCG, else the installed or source-tree copy.
 */
#include "bench.h"

#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A two-operand einsum 'A,B->out' over contiguous operands. */
typedef struct ein_case {
    char name[40];
    char lab[3][WINSUM_MAX_DIMS + 1]; /* A, B, out */
    int64_t size[128];                /* by label character */
    int is_gemm;                      /* 'ij,jk->ik': CLBlast and OpenBLAS run it as it is */
    int ref_full;                     /* the reference runs the whole problem, not a slice */
    int ref_shown;                    /* its rate goes in the table */
} ein_case;

static void ein_subscripts(const ein_case *c, char *s, size_t n)
{
    snprintf(s, n, "%s,%s->%s", c->lab[0], c->lab[1], c->lab[2]);
}

static int ein_has(const char *labels, char l) { return strchr(labels, l) != NULL; }

/* 2 * product of every label's size: each multiply-add of the loop nest. */
static double ein_flops(const ein_case *c)
{
    double f = 2;
    for (int ch = 1; ch < 128; ch++)
        if (ein_has(c->lab[0], (char)ch) || ein_has(c->lab[1], (char)ch)) f *= (double)c->size[ch];
    return f;
}

static double ein_reduction(const ein_case *c)
{
    double k = 1;
    for (int ch = 1; ch < 128; ch++)
        if ((ein_has(c->lab[0], (char)ch) || ein_has(c->lab[1], (char)ch)) &&
            !ein_has(c->lab[2], (char)ch))
            k *= (double)c->size[ch];
    return k;
}

static size_t ein_elems(const ein_case *c, int t)
{
    size_t e = 1;
    for (const char *p = c->lab[t]; *p; p++) e *= (size_t)c->size[(unsigned char)*p];
    return e;
}

/* Operand t as a view of buf: C-contiguous strides of the full shape, with
 * label `cut` (0: none) limited to its first `keep` indices. */
static winsum_view ein_view(const ein_case *c, int t, winsum_dtype dt, const winsum_buffer *buf,
                            char cut, int64_t keep)
{
    int nd = (int)strlen(c->lab[t]);
    int64_t shape[WINSUM_MAX_DIMS], strides[WINSUM_MAX_DIMS], s = 1;
    for (int i = nd - 1; i >= 0; i--) {
        char l = c->lab[t][i];
        strides[i] = s;
        s *= c->size[(unsigned char)l];
        shape[i] = l == cut ? keep : c->size[(unsigned char)l];
    }
    return winsum_view_strided(buf, dt, 0, nd, shape, strides);
}

/* Copies the strided view v of host array src into dense dst. */

static void gather(const void *src, const winsum_view *v, void *dst)
{
    int64_t idx[WINSUM_MAX_DIMS] = {0}, pos = 0;
    size_t total = 1, k = 0, esz = winsum_dtype_size(v->dtype);
    for (int i = 0; i < v->ndim; i++) total *= (size_t)v->shape[i];
    while (k < total) {
        memcpy((char *)dst + esz * k++, (const char *)src + esz * (size_t)pos, esz);
        for (int i = v->ndim - 1; i >= 0; i--) {
            if (++idx[i] < v->shape[i]) {
                pos += v->strides[i];
                break;
            }
            pos -= v->strides[i] * (v->shape[i] - 1);
            idx[i] = 0;
        }
    }
}

typedef struct plan_call {
    winsum_context *ctx;
    winsum_plan *plan;
} plan_call;

static int run_plan(void *arg, char *err, size_t n)
{
    plan_call *a = arg;
    return finish_call(a->ctx, winsum_plan_execute(a->plan, NULL, NULL, 1.0, 0.0, NULL),
                       "winsum_plan_execute", err, n);
}

/* winsum on device copies of host[0..1]: plan once, time execute; the
 * result into got (NULL: not read back). Returns 0 when it ran. */
static int ein_winsum(bench *b, row *r, cell *c, const ein_case *e, void *const host[2], void *got)
{
    winsum_buffer dev[3];
    memset(dev, 0, sizeof dev);
    winsum_plan *plan = NULL;
    char subs[3 * WINSUM_MAX_DIMS + 8], msg[1200];
    ein_subscripts(e, subs, sizeof subs);
    int ok = !dev_upload(b, r->csv_case, host[0], ein_elems(e, 0), &dev[0]) &&
             !dev_upload(b, r->csv_case, host[1], ein_elems(e, 1), &dev[1]) &&
             !dev_upload(b, r->csv_case, NULL, ein_elems(e, 2), &dev[2]);
    if (!ok) {
        c->state = CELL_ERR;
    } else {
        winsum_view v[3];
        for (int t = 0; t < 3; t++) v[t] = ein_view(e, t, b->dtype, &dev[t], 0, 0);
        winsum_status st = winsum_plan_create(b->ctx, &plan, subs, 2, v, &v[2]);
        if (st) {
            snprintf(msg, sizeof msg, "winsum_plan_create(\"%s\"): %s: %s", subs,
                     winsum_status_string(st), winsum_last_error(b->ctx));
            cell_fail(b, r, B_WINSUM, c, msg);
            ok = 0;
        } else {
            plan_call a = {b->ctx, plan};
            ok = !time_cell(b, r, B_WINSUM, c, run_plan, &a, 1, b->reps, ein_flops(e));
            if (ok && got) ok = !dev_download(b, r, &dev[2], got, ein_elems(e, 2));
        }
    }
    winsum_plan_destroy(plan);
    for (int t = 0; t < 3; t++)
        if (dev[t].mem) winsum_buffer_free(b->ctx, &dev[t]);
    return ok ? 0 : -1;
}

/* The reference on the whole case (e->ref_full, timed) or on a slice of
 * about 4 MFLOP: the largest output label cut to its first indices. Checks
 * winsum's result `got` (NULL: nothing to check) on what it computed. */
static void ein_reference(bench *b, row *r, const ein_case *e, void *const host[2], const void *got)
{
    char cut = 0, subs[3 * WINSUM_MAX_DIMS + 8], msg[1200];
    int64_t keep = 0;
    double flops = ein_flops(e);
    if (!e->ref_full) {
        for (const char *p = e->lab[2]; *p; p++)
            if (!cut || e->size[(unsigned char)*p] > e->size[(unsigned char)cut]) cut = *p;
        int64_t full = cut ? e->size[(unsigned char)cut] : 1;
        keep = (int64_t)ceil((double)full * 4e6 / flops);
        if (keep < 1) keep = 1;
        if (keep >= full) cut = 0;
        else flops = flops * (double)keep / (double)full;
    }
    winsum_buffer hb[3];
    winsum_view v[3];
    size_t nout = ein_elems(e, 2);
    void *want = malloc(nout * b->esz), *slice = malloc(nout * b->esz);
    if (!want || !slice) {
        cell_fail(b, r, B_REF, &r->c[B_REF], "malloc: out of host memory");
        goto done;
    }
    for (int t = 0; t < 2; t++) hb[t] = winsum_buffer_host(host[t], ein_elems(e, t) * b->esz);
    hb[2] = winsum_buffer_host(want, nout * b->esz);
    for (int t = 0; t < 2; t++) v[t] = ein_view(e, t, b->dtype, &hb[t], cut, keep);
    /* the output slice, dense in `want`; and as a view of the full output */
    winsum_view full_out = ein_view(e, 2, b->dtype, &hb[2], cut, keep);
    v[2] = winsum_view_contiguous(&hb[2], b->dtype, full_out.ndim, full_out.shape);
    ein_subscripts(e, subs, sizeof subs);
    double t0 = now_ms();
    winsum_status st = winsum_einsum(b->ref, subs, 2, v, &v[2], 1.0, 0.0);
    double ms = now_ms() - t0;
    if (st) {
        snprintf(msg, sizeof msg, "winsum_einsum(\"%s\") [reference backend]: %s: %s", subs,
                 winsum_status_string(st), winsum_last_error(b->ref));
        cell_fail(b, r, B_REF, &r->c[B_REF], msg);
        goto done;
    }
    r->c[B_REF] = (cell){e->ref_shown ? CELL_DONE : CELL_SKIP, flops, ms, -1};
    if (cut && e->is_gemm)
        bench_note(
            b, "%s: reference and check on the slice %s[%c < %lld of %lld] (%.1f MFLOP, %.0f ms)",
            r->csv_case, e->lab[2], cut, (long long)keep, (long long)e->size[(unsigned char)cut],
            flops / 1e6, ms);
    if (got) {
        winsum_view gv = full_out;
        gather(got, &gv, slice);
        size_t n = 1;
        for (int i = 0; i < gv.ndim; i++) n *= (size_t)gv.shape[i];
        set_check(b, &r->c[B_WINSUM],
                  bench_compare(r->csv_case, r->dtype, "winsum vs reference", slice, want, n,
                                ein_reduction(e)));
    }
done:
    free(want);
    free(slice);
}

/* A square-ish 'ij,jk->ik' of (about) the given flop count. */
static void gemm_case(ein_case *e, const char *name, int64_t m, int64_t n, int64_t k)
{
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    strcpy(e->lab[0], "ij");
    strcpy(e->lab[1], "jk");
    strcpy(e->lab[2], "ik");
    e->size['i'] = m;
    e->size['j'] = k;
    e->size['k'] = n;
    e->is_gemm = 1;
}

/* One einsum case on every backend that runs it. */
static void ein_bench(bench *b, const char *suite, const ein_case *e)
{
    char subs[3 * WINSUM_MAX_DIMS + 8];
    ein_subscripts(e, subs, sizeof subs);
    row *r = new_row(b, suite, e->name, e->name, subs);
    if (!r) return;
    progress(b, "  %s %s ...\n", e->name, subs);
    void *host[2] = {random_data(b, ein_elems(e, 0)), random_data(b, ein_elems(e, 1))};
    void *got = malloc(ein_elems(e, 2) * b->esz);
    if (!host[0] || !host[1] || !got) {
        cell_fail(b, r, B_WINSUM, &r->c[B_WINSUM], "malloc: out of host memory");
        goto done;
    }
    int ws_ok = !ein_winsum(b, r, &r->c[B_WINSUM], e, host, got);
    ein_reference(b, r, e, host, ws_ok ? got : NULL);
    /* numpy.einsum(optimize=True) and torch.einsum of the same operand
     * shapes and subscripts (unchecked: peers) */
    char shape[2][WINSUM_MAX_DIMS * 21 + 1];
    for (int t = 0; t < 2; t++) {
        shape[t][0] = 0;
        for (const char *p = e->lab[t]; *p; p++)
            snprintf(shape[t] + strlen(shape[t]), sizeof shape[t] - strlen(shape[t]), "%s%lld",
                     p == e->lab[t] ? "" : ",", (long long)e->size[(unsigned char)*p]);
    }
    py_einsum_cell(b, r, B_NUMPY, subs, shape[0], shape[1], ein_flops(e));
    py_einsum_cell(b, r, B_TORCH, subs, shape[0], shape[1], ein_flops(e));
    if (e->is_gemm) {
        int64_t m = e->size['i'], n = e->size['k'], k = e->size['j'];
        clblast_gemm_cell(b, r, m, n, k, host, ws_ok ? got : NULL);
        openblas_gemm_cell(b, r, &r->c[B_OPENBLAS], m, n, k);
    } else {
        /* the GETT ratio: winsum's GEMM of the same flops; CLBlast has no
         * general contraction, so its column (like OpenBLAS's) is its GEMM
         * of the same flops, unchecked (a GEMM is not this contraction) */
        int64_t s = (int64_t)llround(cbrt(ein_flops(e) / 2));
        ein_case g;
        gemm_case(&g, "gemm_eq", s, s, s);
        void *gh[2] = {random_data(b, ein_elems(&g, 0)), random_data(b, ein_elems(&g, 1))};
        if (!gh[0] || !gh[1]) cell_fail(b, r, B_WINSUM, &r->gemm_eq, "malloc: out of host memory");
        else {
            ein_winsum(b, r, &r->gemm_eq, &g, gh, NULL);
            clblast_gemm_cell(b, r, s, s, s, gh, NULL);
        }
        free(gh[0]);
        free(gh[1]);
        openblas_gemm_cell(b, r, &r->c[B_OPENBLAS], s, s, s);
    }
done:
    free(host[0]);
    free(host[1]);
    free(got);
}

void suite_gemm(bench *b)
{
    static const int64_t sizes[] = {256, 512, 1024};
    for (int i = 0; i < 3; i++) {
        char name[32];
        ein_case e;
        snprintf(name, sizeof name, "gemm%lld", (long long)sizes[i]);
        gemm_case(&e, name, sizes[i], sizes[i], sizes[i]);
        e.ref_full = e.ref_shown = sizes[i] <= 256; /* the reference is too slow beyond */
        ein_bench(b, "gemm", &e);
    }
}

/* --------------------------------------------------------------- tccg */

/* Parses "id out-A-B size_a size_b ..." into e, with every size divided by
 * one factor so the contraction is about `target` flops. 0 on success. */
static int tccg_parse(const char *line, double target, ein_case *e)
{
    char spec[3 * WINSUM_MAX_DIMS + 8];
    int id, used;
    memset(e, 0, sizeof *e);
    if (sscanf(line, "%d %99s%n", &id, spec, &used) != 2) return -1;
    char *parts[3], *save = NULL;
    parts[0] = strtok_r(spec, "-", &save);
    parts[1] = strtok_r(NULL, "-", &save);
    parts[2] = strtok_r(NULL, "-", &save);
    if (!parts[0] || !parts[1] || !parts[2]) return -1;
    for (int t = 0; t < 3; t++) {
        if (strlen(parts[t]) > WINSUM_MAX_DIMS) return -1;
        strcpy(e->lab[(t + 2) % 3], parts[t]); /* out-A-B -> A, B, out */
    }
    const char *p = line + used;
    double full[26], total = 1;
    int nl = 0;
    for (char *end; nl < 26; nl++) {
        double v = strtod(p, &end);
        if (end == p) break;
        if (v < 1) return -1;
        full[nl] = v;
        total *= v;
        p = end;
    }
    for (int t = 0; t < 3; t++)
        for (const char *q = e->lab[t]; *q; q++)
            if (*q < 'a' || *q >= 'a' + nl) return -1;
    double f = pow(2 * total / target, 1.0 / nl);
    if (f < 1) f = 1;
    for (int i = 0; i < nl; i++) {
        e->size['a' + i] = (int64_t)llround(full[i] / f);
        if (e->size['a' + i] < 1) e->size['a' + i] = 1;
    }
    snprintf(e->name, sizeof e->name, "tccg%d", id);
    return 0;
}

void suite_tccg(bench *b)
{
    char path[PATH_MAX];
    const char *env = getenv("WINSUM_TCCG");
    if (env && *env) {
        if (strlen(env) >= sizeof path) {
            fprintf(stderr,
                    "winsum-bench: WINSUM_TCCG is %zu characters long, more than "
                    "PATH_MAX (%d)\n",
                    strlen(env), PATH_MAX);
            b->other_errors++;
            return;
        }
        snprintf(path, sizeof path, "%s", env);
    } else if (find_bench_file("tccg-odd.txt", WINSUM_BENCH_DATA_DIR, path, sizeof path))
        path[0] = 0;
    /* opened without blocking and checked to be a regular file: a FIFO
     * would wait for a writer */
    int fd = path[0] ? open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
    struct stat sb;
    if (fd >= 0 && (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))) {
        close(fd);
        fprintf(stderr, "winsum-bench: %s: not a regular file\n", path);
        b->other_errors++;
        return;
    }
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!f) {
        if (fd >= 0) close(fd);
        if (env && *env) printf("tccg: skipped: cannot read %s (WINSUM_TCCG)\n", path);
        else
            printf("tccg: skipped: tccg-odd.txt not found in <exe dir>/../share/winsum or %s "
                   "(set WINSUM_TCCG=FILE)\n",
                   WINSUM_BENCH_DATA_DIR);
        bench_note(b, "tccg skipped: tccg-odd.txt not found (set WINSUM_TCCG=FILE)");
        return;
    }
    progress(b, "tccg cases from %s\n", path);
    bench_note(b, "tccg: cases from %s", path);
    /* quick: every fourth case at ~30 MFLOP; else all at ~200 MFLOP, while
     * the suite stays under two minutes (with numpy and torch beside) */
    double target = b->quick ? 30e6 : 200e6, t0 = now_ms(), budget_ms = 120e3;
    char line[512];
    int index = 0, skipped = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line)) continue;
        ein_case e;
        if (tccg_parse(line, target, &e)) {
            fprintf(stderr, "winsum-bench: %s: cannot parse: %s", path, line);
            b->other_errors++;
            continue;
        }
        if (b->quick && index++ % 4) continue;
        if (now_ms() - t0 > budget_ms) {
            skipped++;
            continue;
        }
        e.ref_full = ein_flops(&e) <= 4e6;
        e.ref_shown = 1;
        ein_bench(b, "tccg", &e);
    }
    fclose(f);
    bench_note(b,
               "tccg: sizes scaled to about %.0f MFLOP; reference and check on a slice of the "
               "largest output label, 4-8 MFLOP",
               target / 1e6);
    if (skipped)
        bench_note(b, "tccg: %d cases left out to keep the suite under %.0f s", skipped,
                   budget_ms / 1e3);
}
