/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/* tune.c - `winsum tune [--device D] [--quick] [--max-candidates N] [--quiet]`:
 * searches the contraction kernel's tile parameters on a device and stores
 * the winner for that device in the cache folder. The progress bar is drawn
 * only on a terminal (stderr) and never with --quiet, so a pipe or a log
 * file gets the result lines on stdout and nothing on stderr. The verdict
 * (the tuner's last progress message: kept the incumbent or took the
 * challenger, with the medians, the margin and the spread) is printed on
 * stdout either way. */
#include "args.h"
#include "cli.h"
#include "winsum.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char tune_help[] =
    "Usage: winsum tune [--device INDEX|SUBSTRING] [--quick] [--max-candidates N] [--quiet]\n"
    "Searches the tile parameters of the contraction kernel (wgm,wgn,mr,nr,mc,nc,kc,vw)\n"
    "on one device, by coordinate descent over a GEMM and convolution layers, and\n"
    "stores the result for that device in the cache folder. New contexts on that device\n"
    "use it from then on (`winsum-bench` prints where its parameters came from).\n"
    "Each candidate is timed in alternating runs against the best so far (the median\n"
    "of several, each after a warm-up), and the search's winner is confirmed against\n"
    "the starting parameters (the incumbent) in more alternating runs: the incumbent\n"
    "stays unless the challenger's median beats it by more than the spread of the\n"
    "runs (their interquartile range, at least 1%) and in most pairs.\n"
    "Prints the device, the starting parameters, the verdict (the medians, the\n"
    "margin, the spread) and the result on stdout; a progress bar on stderr only when\n"
    "stderr is a terminal.\n"
    "\n"
    "Options:\n"
    "  --device INDEX|SUBSTRING    an index from `winsum devices`, or part of its name\n"
    "                              (default: $WINSUM_DEVICE, else the first GPU, else the\n"
    "                              first device)\n"
    "  --quick                     one round on smaller problems, fewer runs per\n"
    "                              comparison (about a minute, not several)\n"
    "  --max-candidates N          evaluate at most N candidates (0, the default: no cap)\n"
    "  --quiet                     no progress bar, even on a terminal\n"
    "  -h, --help                  this text\n"
    "\n"
    "Examples:\n"
    "  winsum tune --quick\n"
    "  WINSUM_CACHE_DIR=/tmp/wc winsum tune --device=0 --max-candidates 20\n"
    "\n"
    "environment:\n"
    "  WINSUM_DEVICE      the default device: an index or a name substring\n"
    "  WINSUM_CACHE_DIR   where the result is stored (default ~/.cache/winsum; off:\n"
    "                     nothing is stored)\n"
    "  WINSUM_GETT        tile parameters that override any tuned ones in new contexts\n"
    "  WINSUM_KERNEL_DIR  load kernels/*.cl from this folder (kernel work)\n";

/* What the progress callback sees: whether to draw the bar, and the last
 * message (after the tuner's last call: its verdict). */
typedef struct tune_progress {
    int draw;
    char last[1024];
} tune_progress;

static void bar(double f, const char *what, void *user)
{
    tune_progress *tp = user;
    snprintf(tp->last, sizeof tp->last, "%s", what);
    if (!tp->draw) return;
    int w = 30, n = (int)(f * w + 0.5);
    if (n > w) n = w;
    fprintf(stderr, "\r[%.*s%*s] %3.0f%% %-60.60s", n, "##############################", w - n, "",
            f * 100, what);
    fflush(stderr);
}

int ws_cli_tune(int argc, char **argv)
{
    const char *who = "winsum tune";
    const char *device = NULL;
    int quick = 0, quiet = 0;
    long long maxc = 0;
    ws_opt opts[] = {{"--device", WS_OPT_STRING, &device, 0, 0},
                     {"--quick", WS_OPT_FLAG, &quick, 0, 0},
                     {"--quiet", WS_OPT_FLAG, &quiet, 0, 0},
                     {"--max-candidates", WS_OPT_INT, &maxc, 0, 1000000},
                     {NULL, WS_OPT_FLAG, NULL, 0, 0}};
    ws_args a;
    if (ws_args_parse(who, argc - 1, argv + 1, opts, &a)) return WS_EXIT_USAGE;
    if (a.help) return fputs(tune_help, stdout) == EOF;
    if (a.npos)
        return ws_args_error(who, "unexpected argument '%s' (see %s --help)", a.pos[0], who);
    tune_progress tp = {!quiet && ws_stderr_is_tty(), ""};
    winsum_context *ctx;
    winsum_status st = winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, device);
    if (st) {
        fprintf(stderr, "winsum tune: %s: %s\n", winsum_status_string(st), winsum_last_error(NULL));
        return 1;
    }
    printf("device: %s\nstarting from: %s (%s)\n", winsum_context_device_name(ctx),
           winsum_tuning_params(ctx), winsum_tuning_source(ctx));
    fflush(stdout);
    st = winsum_tune(ctx, quick, (int)maxc, bar, &tp);
    if (tp.draw) fprintf(stderr, "\n");
    if (st) {
        fprintf(stderr, "winsum tune: %s: %s\n", winsum_status_string(st), winsum_last_error(ctx));
        winsum_context_destroy(ctx);
        return 1;
    }
    printf("verdict: %s\ntile parameters (wgm,wgn,mr,nr,mc,nc,kc,vw): %s\nsource: %s\n", tp.last,
           winsum_tuning_params(ctx), winsum_tuning_source(ctx));
    winsum_context_destroy(ctx);
    return 0;
}
