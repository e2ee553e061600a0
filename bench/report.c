/*
 * report.c - what `winsum-bench` prints and writes at the end of a run: the
 * GFLOP/s table with its geometric means, the overhead and coldstart
 * tables, the notes, the CSV (--csv) and the bar chart (--plot, through
 * gnuplot and plot.gnuplot).
 */
#include "bench.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void fmt_cell(const cell *c, char *s, size_t n)
{
    switch (c->state) {
    case CELL_DONE: snprintf(s, n, "%.2f", gflops(c)); break;
    case CELL_ERR: snprintf(s, n, "err"); break;
    case CELL_NA: snprintf(s, n, "n/a"); break;
    default: snprintf(s, n, "-"); break;
    }
}

static const char *check_text(const row *r)
{
    int checked = 0;
    for (int i = 0; i < NBACK; i++) {
        if (r->c[i].check == 0) return i == B_WINSUM ? "MISMATCH" : "MISMATCH(clblast)";
        if (r->c[i].check == 1) checked = 1;
    }
    return checked ? "ok" : "-";
}

/* "NAME: n/a in DTYPE (why)" when backend does not run in the bench's
 * dtype; 1 when it printed that. */
static int print_na(const bench *b, int backend, const char *name)
{
    if (!b->na_why[backend]) return 0;
    printf("%s: n/a in %s (%s)\n", name, dtype_csv(b->dtype), b->na_why[backend]);
    return 1;
}

void print_table(const bench *b)
{
    if (!b->nrows) return;
    printf("\nGFLOP/s (%s), median of %d. reference: one call (conv: on batch 1; gemm: gemm256 "
           "only; tccg: on a slice, see notes)\n", dtype_csv(b->dtype), b->reps);
    if (!print_na(b, B_OPENBLAS, "OpenBLAS"))
        printf("OpenBLAS = host cblas_%cgemm of the same flop count (conv: the im2col GEMM's "
               "M,N,K; tccg: a square GEMM), not a convolution\n",
               b->dtype == WINSUM_F64 ? 'd' : 's');
    if (!print_na(b, B_CLBLAST, "CLBlast"))
        printf("CLBlast = on the same device (tccg: %cgemm of a square GEMM of the same flop "
               "count, as it has no general contraction)\n",
               b->dtype == WINSUM_F64 ? 'D' : 'S');
    printf("ws-GEMM = winsum's own GEMM of the same flop count (tccg only)\n\n");
    printf("%-13s %-26s %-22s %8s %8s %8s %8s %9s %7s  %s\n", "suite", "case", "op", "winsum",
           "ws-GEMM", "CLBlast", "OpenBLAS", "reference", "ws/CLB", "check");
    const char *suite = NULL;
    for (int i = 0; i < b->nrows; i++) {
        const row *r = &b->rows[i];
        if (suite && strcmp(suite, r->suite)) putchar('\n');
        suite = r->suite;
        char v[NBACK][24], ge[24], ratio[24] = "-";
        for (int k = 0; k < NBACK; k++) fmt_cell(&r->c[k], v[k], sizeof v[k]);
        fmt_cell(&r->gemm_eq, ge, sizeof ge);
        if (r->c[B_WINSUM].state == CELL_DONE && r->c[B_CLBLAST].state == CELL_DONE)
            snprintf(ratio, sizeof ratio, "%.2f", gflops(&r->c[B_WINSUM]) / gflops(&r->c[B_CLBLAST]));
        printf("%-13s %-26s %-22s %8s %8s %8s %8s %9s %7s  %s\n", r->suite, r->label, r->op,
               v[B_WINSUM], ge, v[B_CLBLAST], v[B_OPENBLAS], v[B_REF], ratio, check_text(r));
    }
    /* geometric means per suite */
    putchar('\n');
    for (int i = 0; i < b->nrows; i++) {
        const char *s = b->rows[i].suite;
        int seen = 0;
        for (int j = 0; j < i; j++) seen |= !strcmp(b->rows[j].suite, s);
        if (seen) continue;
        double lr = 0, lg = 0;
        int nr = 0, ng = 0;
        for (int j = i; j < b->nrows; j++) {
            const row *r = &b->rows[j];
            if (strcmp(r->suite, s)) continue;
            double w = gflops(&r->c[B_WINSUM]);
            if (w > 0 && gflops(&r->c[B_CLBLAST]) > 0) lr += log(w / gflops(&r->c[B_CLBLAST])), nr++;
            if (w > 0 && gflops(&r->gemm_eq) > 0) lg += log(w / gflops(&r->gemm_eq)), ng++;
        }
        if (nr) printf("%-13s geometric mean winsum/CLBlast: %.2f over %d cases\n", s, exp(lr / nr), nr);
        else printf("%-13s geometric mean winsum/CLBlast: - (no case ran on both)\n", s);
        if (ng) printf("%-13s geometric mean winsum/winsum-GEMM (GETT efficiency): %.2f over %d cases\n",
                       s, exp(lg / ng), ng);
    }
}

static const char *check_word(int check) { return check < 0 ? "-" : check ? "ok" : "MISMATCH"; }

void print_overhead(const bench *b)
{
    if (!b->ovh_ran) return;
    printf("\noverhead: 'i,i->' on 4 float32 elements in device buffers; microseconds per call, "
           "median of %d batches\n", b->reps);
    printf("  host CPU: the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID) over %d calls "
           "with no finish between them\n", OVH_CALLS);
    printf("  wall: those %d calls and one winsum_finish; wall+finish: %d x (call + "
           "winsum_finish)\n\n", OVH_CALLS, OVH_FINISH_CALLS);
    printf("%-28s %12s %12s %15s  %s\n", "call", "host CPU us", "wall us", "wall+finish us",
           "check");
    for (int api = 0; api < OVH_NAPIS; api++) {
        const ovh_result *o = &b->ovh[api];
        if (o->state != CELL_DONE) {
            printf("%-28s %12s %12s %15s  -\n", ovh_apis[api].label, "err", "err", "err");
            continue;
        }
        printf("%-28s %12.2f %12.2f %15.2f  %s\n", ovh_apis[api].label, o->ms[OVH_HOST] * 1e3,
               o->ms[OVH_WALL] * 1e3, o->ms[OVH_FINISH_WALL] * 1e3, check_word(o->check));
    }
    const ovh_result *p = &b->ovh[OVH_PLAN_EXECUTE], *e = &b->ovh[OVH_EINSUM];
    if (p->state == CELL_DONE)
        printf("\ntarget: host CPU per winsum_plan_execute <= %.0f us: %s (%.2f us)\n",
               OVH_TARGET_US, p->ms[OVH_HOST] * 1e3 <= OVH_TARGET_US ? "met" : "NOT met",
               p->ms[OVH_HOST] * 1e3);
    if (p->state == CELL_DONE && e->state == CELL_DONE)
        printf("plan-cache hit: winsum_einsum - winsum_plan_execute host CPU = %+.2f us per call "
               "(spread over batches: %.2f us, %.2f us)\n",
               (e->ms[OVH_HOST] - p->ms[OVH_HOST]) * 1e3, p->host_spread_ms * 1e3,
               e->host_spread_ms * 1e3);
}

/* The median of the runs' steady-state times (0 when none ran). */
static double cold_steady(const bench *b)
{
    double t[COLD_RUNS];
    int n = 0;
    for (int i = 0; i < COLD_RUNS; i++)
        if (b->cold[i].state == CELL_DONE) t[n++] = b->cold[i].steady_ms;
    return n ? median(t, n) : 0;
}

void print_coldstart(const bench *b)
{
    if (!b->cold_ran) return;
    printf("\ncoldstart: conv forward 3x3 s1 p1 16->16 channels 8x8 batch 1 float32, the first "
           "winsum call of a new process (POCL_KERNEL_CACHE=0)\n");
    printf("  first call = plan + program build or load + run + finish; builds = programs "
           "compiled in it; steady = median of %d calls after the second\n\n",
           COLD_STEADY_CALLS);
    printf("%-26s %10s %13s %6s %14s %9s  %s\n", "run", "context ms", "first call ms", "builds",
           "second call ms", "steady ms", "check");
    for (int i = 0; i < COLD_RUNS; i++) {
        const cold_result *c = &b->cold[i];
        if (c->state != CELL_DONE) {
            printf("%-26s %10s %13s %6s %14s %9s  -\n", cold_runs[i].label, "err", "err", "err",
                   "err", "err");
            continue;
        }
        printf("%-26s %10.2f %13.2f %6ld %14.3f %9.3f  %s\n", cold_runs[i].label, c->context_ms,
               c->first_ms, c->builds, c->second_ms, c->steady_ms, check_word(c->check));
    }
    const cold_result *cold = &b->cold[0], *disk = &b->cold[1];
    if (cold->state == CELL_DONE && disk->state == CELL_DONE && cold->first_ms > 0) {
        double ratio = disk->first_ms / cold->first_ms;
        printf("\nfirst call with the disk cache / first call cold: %.1f%% (target <= %.0f%%): "
               "%s\n", ratio * 100, COLD_TARGET * 100, ratio <= COLD_TARGET ? "met" : "NOT met");
        if (ratio > COLD_TARGET && disk->builds == 0)
            printf("  (builds 0: the program came from winsum's disk cache; the rest is the "
                   "driver's work on a loaded binary, e.g. PoCL's native code generation at the "
                   "first launch, which only PoCL's own cache keeps)\n");
    }
    if (cold_steady(b) > 0)
        printf("steady-state call: %.3f ms (median over the runs)\n", cold_steady(b));
}

void print_notes(const bench *b)
{
    if (b->nnotes) printf("\nnotes:\n");
    for (int i = 0; i < b->nnotes; i++) printf("  %s\n", b->notes[i]);
}

static void csv_cell(FILE *f, const row *r, const char *csv_case, int backend, const cell *c)
{
    if (c->state != CELL_DONE) return;
    fprintf(f, "%s,%s,%s,%s,%.4f,%.4f,%s\n", r->suite, csv_case, back_name[backend],
            dtype_csv(r->dtype), gflops(c), c->ms, c->check < 0 ? "" : c->check ? "1" : "0");
}

/* A latency row: gflops empty, median_ms the time per call. */
static void csv_latency(FILE *f, const char *suite, const char *csv_case, double ms, int check)
{
    fprintf(f, "%s,%s,winsum,float32,,%.6f,%s\n", suite, csv_case, ms,
            check < 0 ? "" : check ? "1" : "0");
}

int write_csv(const bench *b, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "winsum-bench: cannot write %s\n", path);
        return -1;
    }
    fprintf(f, "suite,case,backend,dtype,gflops,median_ms,matches_reference\n");
    for (int i = 0; i < b->nrows; i++) {
        const row *r = &b->rows[i];
        for (int k = 0; k < NBACK; k++) csv_cell(f, r, r->csv_case, k, &r->c[k]);
        char ge[80];
        snprintf(ge, sizeof ge, "%s_gemm_eq", r->csv_case);
        csv_cell(f, r, ge, B_WINSUM, &r->gemm_eq);
    }
    for (int api = 0; b->ovh_ran && api < OVH_NAPIS; api++)
        for (int m = 0; m < OVH_NMODES && b->ovh[api].state == CELL_DONE; m++) {
            char name[64];
            snprintf(name, sizeof name, "%s_%s", ovh_apis[api].csv, ovh_mode_csv[m]);
            csv_latency(f, "overhead", name, b->ovh[api].ms[m], b->ovh[api].check);
        }
    for (int i = 0; b->cold_ran && i < COLD_RUNS; i++)
        if (b->cold[i].state == CELL_DONE)
            csv_latency(f, "coldstart", cold_runs[i].csv, b->cold[i].first_ms, b->cold[i].check);
    if (b->cold_ran && cold_steady(b) > 0)
        csv_latency(f, "coldstart", "steady_state_call", cold_steady(b), -1);
    return fclose(f) ? -1 : 0;
}

/* The grouped bar chart: gnuplot with plot.gnuplot over a table of
 * case x backend made from the same rows as the CSV. */
int write_plot(const bench *b, const char *png)
{
    char script[PATH_MAX];
    if (!b->nrows) {
        fprintf(stderr, "winsum-bench: --plot: no GFLOP/s rows (overhead and coldstart are not "
                        "plotted); no plot written\n");
        return -1;
    }
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        fprintf(stderr, "winsum-bench: --plot: gnuplot not found (Debian: apt-get install "
                        "gnuplot-nox); no plot written\n");
        return -1;
    }
    if (find_bench_file("plot.gnuplot", WINSUM_BENCH_SOURCE_DIR, script, sizeof script)) {
        fprintf(stderr, "winsum-bench: --plot: plot.gnuplot not found in <exe dir>/../share/winsum "
                        "or %s; no plot written\n", WINSUM_BENCH_SOURCE_DIR);
        return -1;
    }
    char dat[] = "/tmp/winsum-bench-XXXXXX";
    int fd = mkstemp(dat);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        fprintf(stderr, "winsum-bench: --plot: cannot create a temporary file\n");
        return -1;
    }
    fprintf(f, "case winsum clblast openblas reference\n");
    for (int i = 0; i < b->nrows; i++) {
        const row *r = &b->rows[i];
        fprintf(f, "%s", r->csv_case);
        for (int k = 0; k < NBACK; k++)
            if (r->c[k].state == CELL_DONE) fprintf(f, " %.4f", gflops(&r->c[k]));
            else fprintf(f, " ?");
        fprintf(f, "\n");
    }
    fclose(f);
    char cmd[3 * PATH_MAX + 128];
    int len = snprintf(cmd, sizeof cmd, "gnuplot -e \"datafile='%s'; outfile='%s'\" '%s'", dat,
                       png, script);
    if (len < 0 || (size_t)len >= sizeof cmd) {
        remove(dat);
        fprintf(stderr, "winsum-bench: --plot: the path %s is too long\n", png);
        return -1;
    }
    int rc = system(cmd);
    remove(dat);
    if (rc != 0) {
        fprintf(stderr, "winsum-bench: --plot: gnuplot failed (%s)\n", cmd);
        return -1;
    }
    printf("plot: %s\n", png);
    return 0;
}
