/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * main.c - `winsum-bench`: GFLOP/s of winsum's convolutions and
 * contractions on an OpenCL device, beside CLBlast on the same device and
 * queue, OpenBLAS on the host (a GEMM of the same shape or flop count) and
 * winsum's own reference backend, PyTorch's CPU convolutions and
 * numpy.einsum / torch.einsum on all the device's cores (peers.py, through
 * pypeers.c), with every winsum result checked against
 * the reference and every CLBlast result against winsum; and two latency
 * suites: the host overhead of a call on tiny operands, and the cost of the
 * first call of a new kernel with and without winsum's disk cache.
 *
 *   winsum-bench [--suite NAME[,NAME..]] (gemm|conv|conv-backward|tccg|resnet50|
 *                mobilenetv2|overhead|coldstart|all; default conv,conv-backward)
 *                [--dtype f32|f64|f16] [--quick] [--csv FILE] [--plot FILE.png]
 *                [--device N] [--reps R] [--quiet]
 *   winsum-bench conv forward|backward-data|backward-weight ...   (driver_conv.c)
 *   winsum-bench einsum SUBSCRIPTS --shapes ...                   (driver_einsum.c)
 *
 * Each case is described once (shape, flops, how each backend runs it, how
 * its result is checked) and that description drives both the timing and the
 * check. Times are the median of R wall-clock runs of one call plus its
 * finish (winsum_finish / clFinish); the first call of each backend is a
 * warm-up (kernel builds) and is not counted. A failing call prints one line
 * naming it and leaves "err" in its cell. The exit code is 1 when a check
 * fails or a winsum call fails, 2 on a usage error, else 0.
 *
 * --dtype f64 runs the GFLOP/s suites in float64 (CLBlast's D routines,
 * cblas_dgemm, the reference in float64). --dtype f16 runs them on float16
 * storage (winsum and the reference: float32 resp. double sums, each output
 * rounded to half once); CLBlast and OpenBLAS are n/a there (CLBlast's H
 * routines compute in half and need cl_khr_fp16; OpenBLAS has no half GEMM),
 * with the reason printed. overhead and coldstart are always float32.
 * coldstart re-runs this executable as `winsum-bench --coldstart-child`
 * (internal) in fresh processes.
 *
 * This file reads the arguments, opens the contexts, prints the header and
 * runs the suites chosen; bench.h says which file does what.
 */
#include "args.h"
#include "bench.h"
#include "driver.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_ENV                                                                            \
    "\nenvironment:\n"                                                                       \
    "  WINSUM_DEVICE      the default device: an index or a name substring\n"                \
    "  WINSUM_CACHE_DIR   compiled-program and tuning cache (default ~/.cache/winsum;\n"     \
    "                     off: none; coldstart uses fresh folders of its own)\n"             \
    "  WINSUM_PROGRAM_CACHE  on: programs there too where the driver keeps its own\n"        \
    "  WINSUM_GETT        tile parameters wgm,wgn,mr,nr,mc,nc,kc,vw (overrides tuning)\n"    \
    "  WINSUM_KERNEL_DIR  load kernels/*.cl from this folder (kernel work)\n"                \
    "  POCL_AFFINITY      PoCL's workers pinned; unset, winsum sets 1 when this process\n"   \
    "                     may use every CPU (0: PoCL's default; the header says which)\n"    \
    "  WINSUM_TCCG        the tccg suite's case file (default: tccg-odd.txt in\n"            \
    "                     <exe dir>/../share/winsum, else the source tree's bench/data)\n"   \
    "  WINSUM_BENCH_PYTHON  the python of the torch and numpy peers (default\n"              \
    "                     /usr/bin/python3; one without them: the columns say n/a)\n"        \
    "  OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE  unset for the peers (OpenBLAS in the bench,\n"   \
    "                     peers.py), which also runs with glibc's MALLOC_MMAP_THRESHOLD_,\n" \
    "                     MALLOC_TRIM_THRESHOLD_ and MALLOC_TOP_PAD_ set (bench/README.md)\n"

static const char bench_usage[] =
    "Usage: winsum-bench [--suite NAME[,NAME..]] [--dtype f32|f64|f16] [--quick] [--reps R]\n"
    "                    [--csv FILE] [--baseline FILE] [--plot FILE.png] [--device D]\n"
    "                    [--quiet]\n"
    "       winsum-bench conv forward|backward-data|backward-weight --input-shape N,C,H,W\n"
    "                    --weight-shape O,C/G,KH,KW [OPTIONS]   (one layer; see\n"
    "                    winsum-bench conv --help)\n"
    "       winsum-bench einsum SUBSCRIPTS --shapes 64x32,32x16 [OPTIONS]   (one contraction;\n"
    "                    see winsum-bench einsum --help)\n"
    "GFLOP/s of winsum's convolutions and contractions on an OpenCL device, beside\n"
    "CLBlast on the same device and queue, OpenBLAS on the host, winsum's reference\n"
    "backend, and PyTorch's CPU convolutions, numpy.einsum(optimize=True) and\n"
    "torch.einsum on as many threads as the device has compute units (bench/peers.py);\n"
    "with every winsum result checked; whole networks (ResNet-50, MobileNetV2); and two\n"
    "latency suites.\n"
    "\n"
    "Options:\n"
    "  --suite NAME[,NAME..]  gemm, conv, conv-backward, tccg, resnet50, mobilenetv2,\n"
    "                         overhead, coldstart, all (default conv,conv-backward: what\n"
    "                         make bench runs; all: gemm, conv, conv-backward, tccg,\n"
    "                         resnet50, mobilenetv2, then overhead and coldstart)\n"
    "  --dtype f32|f64|f16    of gemm, conv, conv-backward and tccg (overhead and\n"
    "                         coldstart: float32); f16: float16 storage, float32 sums\n"
    "                         (CLBlast and OpenBLAS: n/a)\n"
    "  --quick                small sizes, 2 repetitions (networks: batch 1, one)\n"
    "  --reps R               timed repetitions per case, 1..64 (default 5; the median)\n"
    "  --csv FILE             write every cell as CSV\n"
    "  --baseline FILE        an earlier run's --csv on this machine: a peer under half its\n"
    "                         figure there is flagged LOW and not quoted\n"
    "  --plot FILE.png        a bar chart (gnuplot)\n"
    "  --device INDEX|SUBSTRING  the OpenCL device (see winsum devices)\n"
    "  --quiet                no progress lines (they are drawn only on a terminal anyway)\n"
    "  --version              print the version\n"
    "  -h, --help             this text\n"
    "Options take their value as `--opt value` or `--opt=value`. The exit code is 1 when\n"
    "a check fails or a winsum call fails, 2 on a usage error or a --baseline that is not\n"
    "a winsum-bench CSV, else 0.\n"
    "\n"
    "Examples:\n"
    "  winsum-bench --suite gemm --quick\n"
    "  winsum-bench --suite=all --dtype=f64 --csv results.csv\n"
    "  winsum-bench conv forward --input-shape 8,64,56,56 --weight-shape 64,64,3,3 --padding 1\n"
    "  winsum-bench einsum 'ij,jk->ik' --shapes 512x256,256x128\n" BENCH_ENV;

int main(int argc, char **argv)
{
    const char *who = "winsum-bench";
    pocl_env_note();
    if (argc >= 2 && (!strcmp(argv[1], "conv") || !strcmp(argv[1], "einsum")))
        /* the one-layer driver (driver_conv.c, driver_einsum.c) */
        return !strcmp(argv[1], "conv") ? drv_conv(argc - 1, argv + 1)
                                        : drv_einsum(argc - 1, argv + 1);
    const char *suite = "conv,conv-backward", *csv = NULL, *plot = NULL, *device = NULL,
               *dtype = "f32", *baseline = NULL;
    int quick = 0, child = 0, quiet = 0, version = 0;
    long long reps = 0;
    ws_opt opts[] = {{"--suite", WS_OPT_STRING, &suite, 0, 0},
                     {"--dtype", WS_OPT_STRING, &dtype, 0, 0},
                     {"--quick", WS_OPT_FLAG, &quick, 0, 0},
                     {"--reps", WS_OPT_INT, &reps, 1, MAX_REPS},
                     {"--csv", WS_OPT_STRING, &csv, 0, 0},
                     {"--baseline", WS_OPT_STRING, &baseline, 0, 0},
                     {"--plot", WS_OPT_STRING, &plot, 0, 0},
                     {"--device", WS_OPT_STRING, &device, 0, 0},
                     {"--quiet", WS_OPT_FLAG, &quiet, 0, 0},
                     {"--version", WS_OPT_FLAG, &version, 0, 0},
                     {"--coldstart-child", WS_OPT_FLAG, &child, 0, 0}, /* internal */
                     {NULL, WS_OPT_FLAG, NULL, 0, 0}};
    ws_args a;
    if (ws_args_parse(who, argc - 1, argv + 1, opts, &a)) return WS_EXIT_USAGE;
    if (a.help) return fputs(bench_usage, stdout) == EOF;
    if (version) return printf("winsum-bench %s\n", winsum_version_string()) < 0;
    if (a.npos)
        return ws_args_error(who,
                             "unexpected argument '%s' (subcommands: conv, einsum; see %s "
                             "--help)",
                             a.pos[0], who);
    if (child) return coldstart_child(device);
    winsum_dtype dt;
    if (parse_dtype(dtype, &dt))
        return ws_args_error(who, "--dtype takes f32, f64 or f16, not '%s'", dtype);
    int want_gemm = 0, want_conv = 0, want_bwd = 0, want_tccg = 0, want_ovh = 0, want_cold = 0,
        want_resnet = 0, want_mobile = 0;
    /* a comma-separated list of suites */
    for (const char *p = suite; *p;) {
        size_t n = strcspn(p, ",");
        char one[32] = "";
        if (n < sizeof one) memcpy(one, p, n), one[n] = 0;
        if (!strcmp(one, "all"))
            want_gemm = want_conv = want_bwd = want_tccg = want_ovh = want_cold = want_resnet =
                want_mobile = 1;
        else if (!strcmp(one, "gemm")) want_gemm = 1;
        else if (!strcmp(one, "conv")) want_conv = 1;
        else if (!strcmp(one, "conv-backward")) want_bwd = 1;
        else if (!strcmp(one, "tccg")) want_tccg = 1;
        else if (!strcmp(one, "overhead")) want_ovh = 1;
        else if (!strcmp(one, "coldstart")) want_cold = 1;
        else if (!strcmp(one, "resnet50")) want_resnet = 1;
        else if (!strcmp(one, "mobilenetv2")) want_mobile = 1;
        else
            return ws_args_error(who,
                                 "unknown suite '%.*s' (gemm, conv, conv-backward, tccg, "
                                 "resnet50, mobilenetv2, overhead, coldstart, all; a "
                                 "comma-separated list)",
                                 (int)n, p);
        p += n;
        if (*p == ',') p++;
    }
    int want_rates = want_gemm || want_conv || want_bwd || want_tccg || want_resnet || want_mobile;

    bench *b = calloc(1, sizeof *b);
    if (!b) return fputs("winsum-bench: out of memory\n", stderr), 1;
    if (baseline && baseline_read(b, baseline)) {
        free(b);
        return WS_EXIT_USAGE;
    }
    b->quick = quick;
    b->py_in = b->py_out = -1; /* peers.py is not running */
    b->progress = !quiet && ws_stderr_is_tty();
    b->reps = reps ? (int)reps : quick ? 2 : 5;
    b->dtype = dt;
    b->esz = winsum_dtype_size(dt);
    b->device = device;
    b->conv_batch = quick ? 2 : 8;
    if (want_rates) openblas_load(); /* before PoCL's threads start */
    winsum_status st = winsum_context_create(&b->ctx, WINSUM_BACKEND_OPENCL, device);
    if (st) {
        fprintf(stderr, "winsum-bench: winsum_context_create(OpenCL, %s): %s\n",
                device ? device : "default device", winsum_status_string(st));
        free(b);
        return 1;
    }
    st = winsum_context_create(&b->ref, WINSUM_BACKEND_REF, NULL);
    if (st) {
        fprintf(stderr, "winsum-bench: winsum_context_create(reference): %s\n",
                winsum_status_string(st));
        winsum_context_destroy(b->ctx);
        free(b);
        return 1;
    }
    b->cl = winsum_context_cl(b->ctx);
    b->queue = winsum_context_queue(b->ctx);
    peers_init(b);
    cpu_describe(b);

    char date[64];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
    bench_printf("winsum-bench %s, suite %s%s\n", winsum_version_string(), suite,
                 quick ? " (quick)" : "");
    bench_printf("device: %s\n", winsum_context_device_name(b->ctx));
    if (pocl_workers_text(winsum_context_device_name(b->ctx)))
        bench_printf("%s\n", pocl_workers_text(winsum_context_device_name(b->ctx)));
    bench_printf("date: %s\n", date);
    bench_printf("tile parameters: %s, %s\n", winsum_tuning_params(b->ctx),
                 winsum_tuning_source(b->ctx));
    bench_printf("disk cache: %s\n", winsum_cache_info(b->ctx));
    bench_printf("cpu: %s\n", b->cpu_text);
    bench_printf("peak: %s\n", b->peak_text);
    /* float64 where the device has it; else the GFLOP/s suites are skipped */
    if (want_rates && !winsum_context_has_dtype(b->ctx, dt)) {
        bench_printf("dtype %s: the device has no fp64 (cl_khr_fp64): %s skipped\n", dtype_csv(dt),
                     want_ovh || want_cold ? "gemm, conv, conv-backward and tccg" : suite);
        want_gemm = want_conv = want_bwd = want_tccg = want_resnet = want_mobile = want_rates = 0;
    }
    if (want_rates) {
        bench_printf(
            "dtype %s; %d repetitions (median) after one warm-up call; conv batch %lld%s\n",
            dtype_csv(dt), b->reps, (long long)b->conv_batch, quick ? "" : " (reference: batch 1)");
        bench_printf("check: winsum vs reference, CLBlast vs winsum: max|diff| <= %s*max|ref|, K = "
                     "products per output element\n",
                     tolerance_text(dt));
        if (b->na_why[B_CLBLAST])
            bench_printf("CLBlast: n/a for %s (%s)\n", dtype_csv(dt), b->na_why[B_CLBLAST]);
        if (b->na_why[B_OPENBLAS])
            bench_printf("OpenBLAS: n/a for %s (%s)\n", dtype_csv(dt), b->na_why[B_OPENBLAS]);
        else if (openblas_text()) bench_printf("OpenBLAS: %s\n", openblas_text());
        peers_print_missing();
        pypeers_start(b);
        pypeers_print(b);
    }
    fflush(stdout);

    double t0 = now_ms();
    if (want_gemm) suite_gemm(b);
    if (want_conv) suite_conv(b);
    if (want_bwd) suite_conv_backward(b);
    if (want_tccg) suite_tccg(b);
    if (want_resnet) suite_network(b, "resnet50");
    if (want_mobile) suite_network(b, "mobilenetv2");
    pypeers_stop(b);
    if (want_ovh) suite_overhead(b);
    if (want_cold) suite_coldstart(b);
    baseline_check(b);

    print_table(b);
    print_networks(b);
    print_overhead(b);
    print_coldstart(b);
    print_notes(b);
    print_targets(b);
    bench_printf("\nwall time %.1f s; %d mismatches; %d winsum errors; %d other errors\n",
                 (now_ms() - t0) / 1e3, b->mismatches, b->ws_errors, b->other_errors);
    if (csv && write_csv(b, csv) == 0) bench_printf("csv: %s\n", csv);
    if (plot) write_plot(b, plot);
    int rc = b->mismatches || b->ws_errors ? 1 : 0;
    winsum_context_destroy(b->ref);
    winsum_context_destroy(b->ctx);
    baseline_free(b);
    free(b);
    return rc;
}
