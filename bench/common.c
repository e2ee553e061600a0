/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * common.c - what every suite of `winsum-bench` uses: the rows and cells of
 * the results, timing (the median of R calls), the tolerance and the
 * comparison of a result with its reference, random data, device buffers
 * up and down, and where the bench's data files are.
 */
#include "bench.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *const back_name[NBACK] = {"winsum",    "clblast", "openblas",
                                      "reference", "torch",   "numpy"};

/* =========================================================== environment */

static int pocl_affinity_given = -1;

void pocl_env_note(void) { pocl_affinity_given = getenv("POCL_AFFINITY") != NULL; }

const char *pocl_workers_text(const char *device_name)
{
    static char text[160];
    if (!device_name || !strstr(device_name, "Portable Computing Language")) return NULL;
    const char *v = getenv("POCL_AFFINITY");
    if (!v)
        snprintf(text, sizeof text,
                 "PoCL workers: not pinned (POCL_AFFINITY unset: this "
                 "process may not use every CPU)");
    else if (pocl_affinity_given == 0)
        snprintf(text, sizeof text, "PoCL workers: pinned (POCL_AFFINITY=1, set by winsum)");
    else snprintf(text, sizeof text, "PoCL workers: POCL_AFFINITY=%.40s, from the environment", v);
    return text;
}

/* ================================================================ results */

const char *dtype_csv(winsum_dtype dt)
{
    return dt == WINSUM_F64 ? "float64" : dt == WINSUM_F16 ? "float16" : "float32";
}

void progress(const bench *b, const char *fmt, ...)
{
    if (!b->progress) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}

void capture_begin(capture *c)
{
    fflush(stderr);
    c->saved_fd = -1;
    c->tmp = tmpfile();
    if (!c->tmp) return;
    c->saved_fd = dup(STDERR_FILENO);
    if (c->saved_fd < 0 || dup2(fileno(c->tmp), STDERR_FILENO) < 0) {
        if (c->saved_fd >= 0) close(c->saved_fd);
        fclose(c->tmp);
        c->tmp = NULL;
        c->saved_fd = -1;
    }
}

void capture_end(capture *c, int failed)
{
    if (!c->tmp) return;
    fflush(stderr);
    dup2(c->saved_fd, STDERR_FILENO);
    close(c->saved_fd);
    if (failed) {
        char buf[4096];
        size_t n;
        rewind(c->tmp);
        while ((n = fread(buf, 1, sizeof buf, c->tmp)) > 0) fwrite(buf, 1, n, stderr);
        fflush(stderr);
    }
    fclose(c->tmp);
    c->tmp = NULL;
}

int parse_dtype(const char *s, winsum_dtype *dt)
{
    if (!strcmp(s, "f32") || !strcmp(s, "float32")) *dt = WINSUM_F32;
    else if (!strcmp(s, "f64") || !strcmp(s, "float64")) *dt = WINSUM_F64;
    else if (!strcmp(s, "f16") || !strcmp(s, "float16")) *dt = WINSUM_F16;
    else return -1;
    return 0;
}

double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

void bench_note(bench *b, const char *fmt, ...)
{
    if (b->nnotes >= MAX_NOTES) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->notes[b->nnotes++], sizeof b->notes[0], fmt, ap);
    va_end(ap);
}

void bench_printf(const char *fmt, ...)
{
    char buf[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* each line: cut at the last space that keeps it within the width,
     * the rest indented two more than the line */
    for (const char *line = buf; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        size_t lead = strspn(line, " ");
        if (lead > 40) lead = 40;
        size_t indent = 0;
        while (len > BENCH_WIDTH - indent) {
            size_t cut = BENCH_WIDTH - indent;
            while (cut > lead + 1 && line[cut] != ' ') cut--;
            if (cut <= lead + 1) break; /* one long word: left as it is */
            printf("%*s%.*s\n", (int)indent, "", (int)cut, line);
            while (cut < len && line[cut] == ' ') cut++;
            line += cut;
            len -= cut;
            indent = lead + 2;
        }
        printf("%*s%.*s%s", (int)indent, "", (int)len, line, nl ? "\n" : "");
        line += len + (nl ? 1 : 0);
    }
}

row *new_row(bench *b, const char *suite, const char *csv_case, const char *label, const char *op)
{
    if (b->nrows >= MAX_ROWS) return NULL;
    row *r = &b->rows[b->nrows++];
    memset(r, 0, sizeof *r);
    r->suite = suite;
    r->dtype = b->dtype;
    snprintf(r->csv_case, sizeof r->csv_case, "%s", csv_case);
    snprintf(r->label, sizeof r->label, "%s", label);
    snprintf(r->op, sizeof r->op, "%s", op);
    for (int i = 0; i < NBACK; i++) r->c[i].check = -1;
    r->gemm_eq.check = -1;
    return r;
}

/* A failed call: one line on stderr, "err" in the cell. */
void cell_fail(bench *b, const row *r, int backend, cell *c, const char *what)
{
    fprintf(stderr, "winsum-bench: %s %s: %s\n", r->csv_case, back_name[backend], what);
    c->state = CELL_ERR;
    if (backend == B_WINSUM) b->ws_errors++;
    else b->other_errors++;
}

double gflops(const cell *c)
{
    return c->state == CELL_DONE && c->ms > 0 ? c->flops / c->ms / 1e6 : 0.0;
}
/* ================================================================ timing */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of t[0..n-1] (n >= 1; sorts t). */
double bench_median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof t[0], cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

/* `warmup` untimed calls, then `reps` timed ones; the median in *ms. */
int measure(call_fn fn, void *arg, int warmup, int reps, double *ms, char *err, size_t errlen)
{
    double t[MAX_REPS];
    if (reps < 1) reps = 1;
    if (reps > MAX_REPS) reps = MAX_REPS;
    for (int i = 0; i < warmup; i++)
        if (fn(arg, err, errlen)) return -1;
    for (int i = 0; i < reps; i++) {
        double t0 = now_ms();
        if (fn(arg, err, errlen)) return -1;
        t[i] = now_ms() - t0;
    }
    *ms = bench_median(t, reps);
    return 0;
}

/* Runs `fn` into cell c of row r (flops: what one call computes). */
int time_cell(bench *b, row *r, int backend, cell *c, call_fn fn, void *arg, int warmup, int reps,
              double flops)
{
    char err[1024] = "";
    c->flops = flops;
    if (measure(fn, arg, warmup, reps, &c->ms, err, sizeof err)) {
        cell_fail(b, r, backend, c, err);
        return -1;
    }
    c->state = CELL_DONE;
    return 0;
}

/* =============================================================== checking */

/* Relative tolerance for a result whose elements each sum k products:
 * 1e-3 (float64: 1e-9) of max|ref|, growing like sqrt(k) beyond k = 256.
 * float16: the inputs are exact halves, and winsum (from a float32 sum) and
 * the reference (from a double sum) each round every output element to half
 * once, off by at most 2^-11 of its magnitude each: 2^-10 of max|ref|
 * between them. On top, the float32 sum's own error, allowed k * 2^-24 of
 * max|ref|: k roundings, each off by at most 2^-24 of a partial sum, and
 * for this random data of mixed signs the partial sums stay of the order of
 * the final sums (about sqrt(k) times a product).
 * Every einsum of the bench is one step (each summed label is in both
 * operands; a convolution writes each output element in one einsum), so no
 * intermediate is rounded to half. */
static double tolerance(winsum_dtype dt, double k)
{
    if (dt == WINSUM_F16) return ldexp(1.0, -10) + k * ldexp(1.0, -24);
    return (dt == WINSUM_F64 ? 1e-9 : 1e-3) * (k > 256 ? sqrt(k / 256.0) : 1.0);
}

/* tolerance() as a formula, for the header. */
const char *tolerance_text(winsum_dtype dt)
{
    if (dt == WINSUM_F16) return "(2^-10+K*2^-24)";
    return dt == WINSUM_F64 ? "1e-9*max(1,sqrt(K/256))" : "1e-3*max(1,sqrt(K/256))";
}

/* 1 when every |got - want| <= tolerance(k) * max|want| (NaN fails), else 0
 * with a line on stderr naming the case and the worst element. got and
 * want hold n elements of dtype dt. */
int bench_compare(const char *name, winsum_dtype dt, const char *what, const void *got,
                  const void *want, size_t n, double k)
{
    double amax = 0, emax = -1;
    size_t worst = 0;
    for (size_t i = 0; i < n; i++) amax = fmax(amax, fabs(ws_load_elem(want, dt, (int64_t)i)));
    double tol = tolerance(dt, k) * amax;
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        double e = fabs(ws_load_elem(got, dt, (int64_t)i) - ws_load_elem(want, dt, (int64_t)i));
        if (!(e <= tol)) {
            if (ok || isnan(e) || e > emax) worst = i, emax = isnan(e) ? INFINITY : e;
            ok = 0;
        }
    }
    int digits = dt == WINSUM_F64 ? 16 : dt == WINSUM_F16 ? 5 : 7;
    if (!ok)
        fprintf(stderr,
                "winsum-bench: MISMATCH %s %s: element %zu is %.*g, expected %.*g, |diff| %.3g "
                "> tolerance %.3g (= %.2g * max|ref| %.4g)\n",
                name, what, worst, digits, ws_load_elem(got, dt, (int64_t)worst), digits,
                ws_load_elem(want, dt, (int64_t)worst), emax, tol, tolerance(dt, k), amax);
    return ok;
}

void set_check(bench *b, cell *c, int ok)
{
    c->check = ok;
    if (!ok) b->mismatches++;
}

/* ============================================================ the device */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* n random values in [-1, 1) of the bench's dtype (24-bit fractions: the
 * same numbers in float32 and float64; float16 holds them rounded to half,
 * the bits that winsum and the reference both read). */
void *random_data(const bench *b, size_t n)
{
    void *p = malloc((n ? n : 1) * b->esz);
    if (!p) return NULL;
    for (size_t i = 0; i < n; i++) {
        rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
        double v = (double)(rng_state >> 40) / (double)(1ull << 24) * 2.0 - 1.0;
        ws_store_elem(p, b->dtype, (int64_t)i, v);
    }
    return p;
}

/* A device buffer of `bytes` bytes holding `src` (NULL: uninitialised). */
int dev_upload_bytes(bench *b, const char *who, const void *src, size_t bytes, winsum_buffer *d)
{
    winsum_status st = winsum_buffer_alloc(b->ctx, bytes, d);
    if (!st && src) st = winsum_buffer_write(b->ctx, d, 0, src, bytes);
    if (st) {
        fprintf(stderr, "winsum-bench: %s: winsum_buffer_%s: %s: %s\n", who,
                d->mem ? "write" : "alloc", winsum_status_string(st), winsum_last_error(b->ctx));
        b->ws_errors++;
        return -1;
    }
    return 0;
}

/* The same with n elements of the bench's dtype. */
int dev_upload(bench *b, const char *who, const void *src, size_t n, winsum_buffer *d)
{
    return dev_upload_bytes(b, who, src, n * b->esz, d);
}

int dev_download(bench *b, row *r, const winsum_buffer *d, void *dst, size_t n)
{
    winsum_status st = winsum_buffer_read(b->ctx, d, 0, dst, n * b->esz);
    if (st) {
        char msg[600];
        snprintf(msg, sizeof msg, "winsum_buffer_read: %s: %s", winsum_status_string(st),
                 winsum_last_error(b->ctx));
        cell_fail(b, r, B_WINSUM, &r->c[B_WINSUM], msg);
        return -1;
    }
    return 0;
}

/* ================================================================ calls */

int call_failed(winsum_context *ctx, winsum_status st, const char *what, char *err, size_t n)
{
    if (st) snprintf(err, n, "%s: %s: %s", what, winsum_status_string(st), winsum_last_error(ctx));
    return st ? -1 : 0;
}

int finish_call(winsum_context *ctx, winsum_status st, const char *what, char *err, size_t n)
{
    if (!st) {
        st = winsum_finish(ctx);
        what = "winsum_finish";
    }
    return call_failed(ctx, st, what, err, n);
}

/* ============================================================ data files */

int self_exe_path(char *out, size_t n)
{
    ssize_t len = readlink("/proc/self/exe", out, n - 1);
    if (len <= 0) return -1;
    out[len] = 0;
    return 0;
}

/* 0 when dir/name is a readable file, its path in out. */
static int readable_at(const char *dir, const char *name, char *out, size_t n)
{
    int len = snprintf(out, n, "%s/%s", dir, name);
    return len > 0 && (size_t)len < n && access(out, R_OK) == 0 ? 0 : -1;
}

int find_bench_file(const char *name, const char *source_dir, char *out, size_t n)
{
    char dir[PATH_MAX];
    if (!self_exe_path(dir, sizeof dir - 32)) {
        char *slash = strrchr(dir, '/');
        if (slash) {
            strcpy(slash, "/../share/winsum");
            if (!readable_at(dir, name, out, n)) return 0;
        }
    }
    return readable_at(source_dir, name, out, n);
}
