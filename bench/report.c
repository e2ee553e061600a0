/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
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
    case CELL_LOW: snprintf(s, n, "LOW"); break;
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
    bench_printf("%s: n/a in %s (%s)\n", name, dtype_csv(b->dtype), b->na_why[backend]);
    return 1;
}

/* winsum's rate over backend k's in row r, "-" when either did not run. */
static void fmt_ratio(const row *r, int k, char *s, size_t n)
{
    if (r->c[B_WINSUM].state == CELL_DONE && r->c[k].state == CELL_DONE && gflops(&r->c[k]) > 0)
        snprintf(s, n, "%.2f", gflops(&r->c[B_WINSUM]) / gflops(&r->c[k]));
    else snprintf(s, n, "-");
}

/* The share of the peak of a rate in GFLOP/s, "-" when unknown. */
static void fmt_peak(const bench *b, double g, char *s, size_t n)
{
    if (b->peak_gflops > 0 && g > 0) snprintf(s, n, "%.0f%%", 100 * g / b->peak_gflops);
    else snprintf(s, n, "-");
}

/* The geometric mean of winsum's rate over backend k's (k < 0: over its own
 * GEMM of the same flops) over the rows of suite s (NULL: every suite)
 * that pass `want`; *n: the rows that ran on both. */
typedef int (*row_filter)(const row *r, const void *arg);
static double geo_ratio(const bench *b, int k, row_filter want, const void *arg, int *n)
{
    double l = 0;
    *n = 0;
    for (int j = 0; j < b->nrows; j++) {
        const row *r = &b->rows[j];
        if (want && !want(r, arg)) continue;
        double w = gflops(&r->c[B_WINSUM]), p = k < 0 ? gflops(&r->gemm_eq) : gflops(&r->c[k]);
        if (w > 0 && p > 0) l += log(w / p), (*n)++;
    }
    return *n ? exp(l / *n) : 0;
}

static int in_suite(const row *r, const void *suite) { return !strcmp(r->suite, suite); }

/* A convolution layer's row (conv.c): its op is one of conv_op_suffix. */
static int is_conv_row(const row *r)
{
    for (int i = 0; i < NOPS; i++)
        if (!strcmp(r->op, conv_op_suffix[i])) return 1;
    return 0;
}

void print_table(const bench *b)
{
    if (!b->nrows) return;
    bench_printf(
        "\nGFLOP/s (%s), median of %d. reference: one call (conv: on batch 1; gemm: gemm256 "
        "only; tccg: on a slice, see notes; networks: on a small variant, not shown)\n",
        dtype_csv(b->dtype), b->reps);
    bench_printf("peak: %s\n", b->peak_text);
    if (!print_na(b, B_OPENBLAS, "OpenBLAS"))
        bench_printf("OpenBLAS = host cblas_%cgemm of the same flop count (conv: the im2col GEMM's "
                     "M,N,K; tccg: a square GEMM), not a convolution\n",
                     b->dtype == WINSUM_F64 ? 'd' : 's');
    if (!print_na(b, B_CLBLAST, "CLBlast"))
        bench_printf("CLBlast = on the same device (tccg: %cgemm of a square GEMM of the same flop "
                     "count, as it has no general contraction)\n",
                     b->dtype == WINSUM_F64 ? 'D' : 'S');
    if (!print_na(b, B_TORCH, "torch"))
        bench_printf(
            "torch = torch.nn.functional.conv2d, torch.nn.grad.conv2d_input/_weight (conv), "
            "torch.einsum (gemm, tccg) on %d threads, same shapes, unchecked\n",
            b->units);
    if (!print_na(b, B_NUMPY, "numpy"))
        bench_printf("numpy = numpy.einsum(optimize=True) (gemm, tccg) on %d BLAS threads, same "
                     "shapes, unchecked\n",
                     b->units);
    if (b->base)
        bench_printf("LOW = a peer under half its figure in the baseline %s (see the notes): not "
                     "quoted\n",
                     b->base_path);
    bench_printf("impl = the implementation winsum's convolution ran (winsum_conv_last_impl; "
                 "$WINSUM_CONV_IMPL puts one first; ?: this library cannot say)\n");
    bench_printf(
        "ws-GEMM = winsum's own GEMM of the same flop count (tccg only); ws%%pk = winsum's "
        "share of the peak; n = occurrences in the network; ratios: winsum's GFLOP/s over "
        "the peer's; reference: the reference backend's GFLOP/s; --csv writes every figure "
        "in one table\n\n");
    /* Two tables per suite, each within BENCH_WIDTH: the rates, then the
     * ratios and checks (--csv has every figure in one table). Each row
     * starts with its suite, case and op; the n and ws-GEMM columns only
     * in the suites that have them. */
    for (int i = 0; i < b->nrows; i++) {
        const char *suite = b->rows[i].suite;
        if (i && !strcmp(suite, b->rows[i - 1].suite)) continue;
        int end = i, ws = (int)strlen(suite), wc = 4, wo = 2, has_n = 0, has_ge = 0;
        for (; end < b->nrows && !strcmp(b->rows[end].suite, suite); end++) {
            const row *r = &b->rows[end];
            int lc = (int)strlen(r->label), lo = (int)strlen(r->op);
            wc = lc > wc ? lc : wc;
            wo = lo > wo ? lo : wo;
            has_n |= r->count != 0;
            has_ge |= r->gemm_eq.state != CELL_EMPTY;
        }
        ws = ws > 5 ? ws : 5; /* "suite" */
        bench_printf("%-*s %-*s %-*s %8s %5s %8s %8s %8s %8s\n", ws, "suite", wc, "case", wo, "op",
                     "winsum", "ws%pk", "CLBlast", "OpenBLAS", "torch", "numpy");
        for (int j = i; j < end; j++) {
            const row *r = &b->rows[j];
            char v[NBACK][24], pk[24];
            for (int k = 0; k < NBACK; k++) fmt_cell(&r->c[k], v[k], sizeof v[k]);
            fmt_peak(b, gflops(&r->c[B_WINSUM]), pk, sizeof pk);
            bench_printf("%-*s %-*s %-*s %8s %5s %8s %8s %8s %8s\n", ws, suite, wc, r->label, wo,
                         r->op, v[B_WINSUM], pk, v[B_CLBLAST], v[B_OPENBLAS], v[B_TORCH],
                         v[B_NUMPY]);
        }
        putchar('\n');
        char head[256];
        snprintf(head, sizeof head, "%-*s %-*s %-*s%s%s %9s %6s %8s %6s %-6s %s", ws, "suite", wc,
                 "case", wo, "op", has_n ? "   n" : "", has_ge ? "  ws-GEMM" : "", "reference",
                 "ws/CLB", "ws/torch", "ws/np", "impl", "check");
        bench_printf("%s\n", head);
        for (int j = i; j < end; j++) {
            const row *r = &b->rows[j];
            char ref[24], ge[24], rc[24], rt[24], rn[24], cnt[16] = "-", opt[48] = "";
            fmt_cell(&r->c[B_REF], ref, sizeof ref);
            fmt_cell(&r->gemm_eq, ge, sizeof ge);
            fmt_ratio(r, B_CLBLAST, rc, sizeof rc);
            fmt_ratio(r, B_TORCH, rt, sizeof rt);
            fmt_ratio(r, B_NUMPY, rn, sizeof rn);
            if (r->count) snprintf(cnt, sizeof cnt, "%d", r->count);
            if (has_n) snprintf(opt, sizeof opt, " %3s", cnt);
            if (has_ge) snprintf(opt + strlen(opt), sizeof opt - strlen(opt), " %8s", ge);
            /* impl: conv rows only ("?": the library cannot say, see conv_impl_of) */
            const char *impl = "-";
            if (is_conv_row(r) && r->c[B_WINSUM].state == CELL_DONE)
                impl = r->impl[0] ? r->impl : "?";
            bench_printf("%-*s %-*s %-*s%s %9s %6s %8s %6s %-6s %s\n", ws, suite, wc, r->label, wo,
                         r->op, opt, ref, rc, rt, rn, impl, check_text(r));
        }
        putchar('\n');
    }
    /* geometric means per suite */
    for (int i = 0; i < b->nrows; i++) {
        const char *s = b->rows[i].suite;
        int seen = 0;
        for (int j = 0; j < i; j++) seen |= !strcmp(b->rows[j].suite, s);
        if (seen) continue;
        static const int peer[] = {B_CLBLAST, B_TORCH, B_NUMPY, -1};
        static const char *const peer_name[] = {"CLBlast", "torch", "numpy",
                                                "winsum-GEMM (GETT efficiency)"};
        for (int k = 0; k < 4; k++) {
            int n;
            double g = geo_ratio(b, peer[k], in_suite, s, &n);
            if (n)
                bench_printf("%-13s geometric mean winsum/%s: %.2f over %d cases\n", s,
                             peer_name[k], g, n);
            else if (peer[k] == B_CLBLAST)
                bench_printf("%-13s geometric mean winsum/CLBlast: - (no case ran on both)\n", s);
        }
    }
}

/* ============================================================== networks */

/* Sum over the rows of a network suite with op `op` (NULL: all three) of
 * count x median ms (and count x flops) of backend k; -1 when a layer did
 * not run on it. */
static double net_sum(const bench *b, const char *suite, const char *op, int k, double *flops)
{
    double ms = 0;
    *flops = 0;
    for (int i = 0; i < b->nrows; i++) {
        const row *r = &b->rows[i];
        if (!r->count || strcmp(r->suite, suite) || (op && strcmp(r->op, op))) continue;
        if (r->c[k].state != CELL_DONE) return -1;
        ms += r->count * r->c[k].ms;
        *flops += r->count * r->c[k].flops;
    }
    return ms;
}

static int network_suite(const bench *b, int i)
{
    if (!b->rows[i].count) return 0;
    for (int j = 0; j < i; j++)
        if (!strcmp(b->rows[j].suite, b->rows[i].suite)) return 0;
    return 1;
}

void print_networks(const bench *b)
{
    int any = 0;
    for (int i = 0; i < b->nrows; i++) {
        if (!network_suite(b, i)) continue;
        const char *s = b->rows[i].suite;
        if (!any++)
            bench_printf(
                "\nnetwork totals (%s): sum over the distinct layers of occurrences x median "
                "ms; GFLOP/s and share of the peak over that sum; ws/torch = torch ms / "
                "winsum ms (above 1: winsum is faster)\n\n%-13s %-12s %10s %9s %6s %10s %9s "
                "%6s %8s\n",
                dtype_csv(b->dtype), "network", "op", "winsum ms", "GFLOP/s", "%pk", "torch ms",
                "GFLOP/s", "%pk", "ws/torch");
        static const char *const ops[] = {"fwd", "bwd_data", "bwd_weight", NULL};
        for (int o = 0; o < 4; o++) {
            double fw, ft, w = net_sum(b, s, ops[o], B_WINSUM, &fw),
                           t = net_sum(b, s, ops[o], B_TORCH, &ft);
            char ws[3][24], ts[3][24], ratio[24] = "-";
            snprintf(ws[0], 24, w >= 0 ? "%.1f" : "-", w);
            snprintf(ws[1], 24, w > 0 ? "%.1f" : "-", fw / w / 1e6);
            fmt_peak(b, w > 0 ? fw / w / 1e6 : 0, ws[2], 24);
            snprintf(ts[0], 24, t >= 0 ? "%.1f" : "-", t);
            snprintf(ts[1], 24, t > 0 ? "%.1f" : "-", ft / t / 1e6);
            fmt_peak(b, t > 0 ? ft / t / 1e6 : 0, ts[2], 24);
            if (w > 0 && t > 0) snprintf(ratio, sizeof ratio, "%.2f", t / w);
            bench_printf("%-13s %-12s %10s %9s %6s %10s %9s %6s %8s\n", s,
                         ops[o] ? ops[o] : "fwd+bwd", ws[0], ws[1], ws[2], ts[0], ts[1], ts[2],
                         ratio);
        }
    }
}

/* ================================================================ targets */

typedef struct conv_filter {
    const char *op;
    int grouped;
} conv_filter;

/* The bench's ResNet-style layers (the conv and conv-backward suites). */
static int conv_row(const row *r, const void *arg)
{
    const conv_filter *f = arg;
    return (!strcmp(r->suite, "conv") || !strcmp(r->suite, "conv-backward")) &&
           !strcmp(r->op, f->op) && r->grouped == f->grouped;
}

static int resnet_row(const row *r, const void *op)
{
    return !strcmp(r->suite, "resnet50") && !strcmp(r->op, op);
}

static const char *verdict(double v, double target) { return v >= target ? "met" : "NOT met"; }

void print_targets(const bench *b)
{
    int n, header = 0;
#define TARGET_HEADER()                                                                   \
    do {                                                                                  \
        if (!header++)                                                                    \
            bench_printf("\ntargets, as measured in this run (ratios of GFLOP/s, winsum " \
                         "over the peer; geometric means; peak %.0f GFLOP/s %s)\n",       \
                         b->peak_gflops, dtype_csv(b->dtype));                            \
    } while (0)
    static const char *const ops[] = {"fwd", "bwd_data", "bwd_weight"};
    for (int o = 0; o < 3; o++) {
        conv_filter f = {ops[o], 0};
        double g = geo_ratio(b, B_TORCH, conv_row, &f, &n);
        if (!n) continue;
        TARGET_HEADER();
        /* the worst non-depthwise layer */
        double worst = INFINITY;
        const char *wl = "";
        for (int i = 0; i < b->nrows; i++) {
            const row *r = &b->rows[i];
            double w = gflops(&r->c[B_WINSUM]), t = gflops(&r->c[B_TORCH]);
            if (conv_row(r, &f) && w > 0 && t > 0 && w / t < worst) worst = w / t, wl = r->label;
        }
        bench_printf("  conv %-10s winsum/torch over %d ResNet-style layers: %.2f (>= 1.0: %s); "
                     "worst %.2f %s (>= 0.7: %s)\n",
                     ops[o], n, g, verdict(g, 1.0), worst, wl, verdict(worst, 0.7));
    }
    for (int o = 0; o < 3; o++) {
        conv_filter f = {ops[o], 1};
        double g = geo_ratio(b, B_TORCH, conv_row, &f, &n);
        if (!n) continue;
        TARGET_HEADER();
        bench_printf("  depthwise %-10s winsum/torch over %d layer%s: %.2f (>= 0.7: %s)\n", ops[o],
                     n, n == 1 ? "" : "s", g, verdict(g, 0.7));
    }
    for (int o = 0; o < 3; o++) {
        double g = geo_ratio(b, B_TORCH, resnet_row, ops[o], &n);
        if (!n) continue;
        TARGET_HEADER();
        bench_printf(
            "  resnet50 %-10s winsum/torch over its %d distinct layers (unweighted): %.2f\n",
            ops[o], n, g);
    }
    double g = geo_ratio(b, B_NUMPY, in_suite, "tccg", &n);
    if (n) {
        TARGET_HEADER();
        bench_printf("  tccg winsum/numpy.einsum(optimize=True) over %d cases: %.2f (>= 1.0: %s)\n",
                     n, g, verdict(g, 1.0));
    }
    g = geo_ratio(b, B_TORCH, in_suite, "tccg", &n);
    if (n) bench_printf("  tccg winsum/torch.einsum over %d cases: %.2f\n", n, g);
    g = geo_ratio(b, -1, in_suite, "tccg", &n);
    if (n)
        bench_printf("  tccg GETT efficiency (winsum/its GEMM of equal flops) over %d cases: %.2f "
                     "(>= 0.6: %s)\n",
                     n, g, verdict(g, 0.6));
    for (int i = 0; i < b->nrows; i++) {
        const row *r = &b->rows[i];
        if (strcmp(r->csv_case, "gemm1024")) continue;
        double w = gflops(&r->c[B_WINSUM]), o = gflops(&r->c[B_OPENBLAS]);
        if (w <= 0 || o <= 0) continue;
        TARGET_HEADER();
        char pw[24], po[24];
        fmt_peak(b, w, pw, sizeof pw);
        fmt_peak(b, o, po, sizeof po);
        bench_printf(
            "  gemm 1024^3 winsum/OpenBLAS: %.2f (%.1f vs %.1f GFLOP/s, %s vs %s of peak; >= "
            "0.9: %s)\n",
            w / o, w, o, pw, po, verdict(w / o, 0.9));
    }
    for (int i = 0; i < b->nrows; i++) {
        if (!network_suite(b, i)) continue;
        double fw, ft, w = net_sum(b, b->rows[i].suite, NULL, B_WINSUM, &fw),
                       t = net_sum(b, b->rows[i].suite, NULL, B_TORCH, &ft);
        if (w <= 0 || t <= 0) continue;
        TARGET_HEADER();
        bench_printf("  %s forward+backward convolution time: winsum %.0f ms, torch %.0f ms: "
                     "torch/winsum %.2f (>= 1.0: %s)\n",
                     b->rows[i].suite, w, t, t / w, verdict(t / w, 1.0));
    }
#undef TARGET_HEADER
}

static const char *check_word(int check) { return check < 0 ? "-" : check ? "ok" : "MISMATCH"; }

void print_overhead(const bench *b)
{
    if (!b->ovh_ran) return;
    bench_printf(
        "\noverhead: 'i,i->' on 4 float32 elements in device buffers; microseconds per call, "
        "median of %d batches\n",
        b->reps);
    bench_printf(
        "  host CPU: the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID) over %d calls "
        "with no finish between them\n",
        OVH_CALLS);
    bench_printf("  wall: those %d calls and one winsum_finish; wall+finish: %d x (call + "
                 "winsum_finish)\n\n",
                 OVH_CALLS, OVH_FINISH_CALLS);
    bench_printf("%-28s %12s %12s %15s  %s\n", "call", "host CPU us", "wall us", "wall+finish us",
                 "check");
    for (int api = 0; api < OVH_NAPIS; api++) {
        const ovh_result *o = &b->ovh[api];
        if (o->state != CELL_DONE) {
            bench_printf("%-28s %12s %12s %15s  -\n", ovh_apis[api].label, "err", "err", "err");
            continue;
        }
        bench_printf("%-28s %12.2f %12.2f %15.2f  %s\n", ovh_apis[api].label, o->ms[OVH_HOST] * 1e3,
                     o->ms[OVH_WALL] * 1e3, o->ms[OVH_FINISH_WALL] * 1e3, check_word(o->check));
    }
    const ovh_result *p = &b->ovh[OVH_PLAN_EXECUTE], *e = &b->ovh[OVH_EINSUM];
    if (p->state == CELL_DONE)
        bench_printf("\ntarget: host CPU per winsum_plan_execute <= %.0f us: %s (%.2f us)\n",
                     OVH_TARGET_US, p->ms[OVH_HOST] * 1e3 <= OVH_TARGET_US ? "met" : "NOT met",
                     p->ms[OVH_HOST] * 1e3);
    if (p->state == CELL_DONE && e->state == CELL_DONE)
        bench_printf(
            "plan-cache hit: winsum_einsum - winsum_plan_execute host CPU = %+.2f us per call "
            "(spread over batches: %.2f us, %.2f us)\n",
            (e->ms[OVH_HOST] - p->ms[OVH_HOST]) * 1e3, p->host_spread_ms * 1e3,
            e->host_spread_ms * 1e3);
    print_overhead_python(b);
}

/* The median of the runs' steady-state times (0 when none ran). */
static double cold_steady(const bench *b)
{
    double t[COLD_RUNS];
    int n = 0;
    for (int i = 0; i < COLD_RUNS; i++)
        if (b->cold[i].state == CELL_DONE) t[n++] = b->cold[i].steady_ms;
    return n ? bench_median(t, n) : 0;
}

void print_coldstart(const bench *b)
{
    if (!b->cold_ran) return;
    bench_printf("\ncoldstart: one conv layer %s batch 1 float32, forward, "
                 "backward-data and backward-weight as the first winsum calls of a new process "
                 "(winsum's and PoCL's caches in new folders)\n",
                 coldstart_layer_text());
    bench_printf("  first call = the three directions' first calls (each plan + program build or "
                 "load + run + finish), summed; builds = programs compiled in them; second, "
                 "steady: the same sums (steady: medians of %d calls after the second)\n\n",
                 COLD_STEADY_CALLS);
    bench_printf("%-26s %10s %13s %6s %14s %9s  %s\n", "run", "context ms", "first call ms",
                 "builds", "second call ms", "steady ms", "check");
    for (int i = 0; i < COLD_RUNS; i++) {
        const cold_result *c = &b->cold[i];
        if (c->state != CELL_DONE) {
            bench_printf("%-26s %10s %13s %6s %14s %9s  -\n", cold_runs[i].label, "err", "err",
                         "err", "err", "err");
            continue;
        }
        bench_printf("%-26s %10.2f %13.2f %6ld %14.3f %9.3f  %s\n", cold_runs[i].label,
                     c->context_ms, c->first_ms, c->builds, c->second_ms, c->steady_ms,
                     check_word(c->check));
    }
    const cold_result *cold = &b->cold[0], *disk = &b->cold[1];
    if (cold->state == CELL_DONE && disk->state == CELL_DONE && cold->first_ms > 0) {
        double ratio = disk->first_ms / cold->first_ms;
        bench_printf(
            "\nfirst call with the disk cache / first call cold: %.1f%% (target <= %.0f%%): "
            "%s\n",
            ratio * 100, COLD_TARGET * 100, ratio <= COLD_TARGET ? "met" : "NOT met");
        if (ratio > COLD_TARGET && disk->builds == 0)
            bench_printf(
                "  (builds 0: the program came from winsum's disk cache; the rest is the "
                "driver's work on a loaded binary, e.g. PoCL's native code generation at the "
                "first launch, which only PoCL's own cache keeps)\n");
    }
    if (cold_steady(b) > 0)
        bench_printf("steady-state call: %.3f ms (median over the runs)\n", cold_steady(b));
}

void print_notes(const bench *b)
{
    if (b->nnotes) bench_printf("\nnotes:\n");
    for (int i = 0; i < b->nnotes; i++) bench_printf("  %s\n", b->notes[i]);
}

static void csv_cell(FILE *f, const row *r, const char *csv_case, int backend, const cell *c)
{
    if (c->state != CELL_DONE) return;
    fprintf(f, "%s,%s,%s,%s,%.4f,%.4f,%s\n", r->suite, csv_case, back_name[backend],
            dtype_csv(r->dtype), gflops(c), c->ms,
            c->check < 0 ? ""
            : c->check   ? "1"
                         : "0");
}

/* A latency row: gflops empty, median_ms the time per call. */
static void csv_latency(FILE *f, const char *suite, const char *csv_case, double ms, int check)
{
    fprintf(f, "%s,%s,winsum,float32,,%.6f,%s\n", suite, csv_case, ms,
            check < 0 ? ""
            : check   ? "1"
                      : "0");
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
        fprintf(stderr,
                "winsum-bench: --plot: plot.gnuplot not found in <exe dir>/../share/winsum "
                "or %s; no plot written\n",
                WINSUM_BENCH_SOURCE_DIR);
        return -1;
    }
    char dat[] = "/tmp/winsum-bench-XXXXXX";
    int fd = mkstemp(dat);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        fprintf(stderr, "winsum-bench: --plot: cannot create a temporary file\n");
        return -1;
    }
    fprintf(f, "case winsum clblast openblas reference torch numpy\n");
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
    int len =
        snprintf(cmd, sizeof cmd, "gnuplot -e \"datafile='%s'; outfile='%s'; ncases=%d\" '%s'", dat,
                 png, b->nrows, script);
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
    bench_printf("plot: %s\n", png);
    return 0;
}
