/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * tune.c - the tuner: searches the GETT tile parameters of the context's
 * device by coordinate descent on a GEMM and two convolution layers, timing
 * real calls through the public API, and stores the winner in the cache
 * folder through the parameter setter of the runtime (params.h). It sits
 * above the convolutions because it times them.
 *
 * Noise cannot fool it (one timing per candidate on a busy machine once
 * replaced the built-in MR 8 by an MR 4 no faster): every comparison is
 * a series of alternating runs (best so far, candidate, best, ...), each
 * after a warm-up, and decide.c takes the candidate only when its median
 * beats the other's by more than the spread of the runs. The winner of the
 * search is then confirmed against the incumbent (the parameters the context
 * had when tuning began) in more alternating runs, and the incumbent stays
 * unless it loses there too. The verdict, with the medians, the margin and
 * the spread, is the last progress message and a comment in the stored file.
 */
#include "decide.h"
#include "params.h"
#include "program.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct problem {
    const char *what;
    int conv; /* 0: GEMM n^3; 1: conv forward; 2: conv backward-weight */
    int64_t n, c, hw, batch;
    double flops;
} problem;

typedef struct bufs {
    winsum_buffer b[3];
    winsum_view v[3];
} bufs;

static winsum_status setup_problem(winsum_context *ctx, problem *pr, bufs *B)
{
    int64_t s0[4], s1[4], s2[4];
    int rank;
    if (!pr->conv) {
        rank = 2;
        s0[0] = s0[1] = s1[0] = s1[1] = s2[0] = s2[1] = pr->n;
        pr->flops = 2.0 * pr->n * pr->n * pr->n;
    } else {
        rank = 4;
        int64_t x[4] = {pr->batch, pr->c, pr->hw, pr->hw}, w[4] = {pr->c, pr->c, 3, 3};
        memcpy(s0, x, sizeof x);
        memcpy(s1, w, sizeof w);
        memcpy(s2, x, sizeof x); /* 3x3, stride 1, padding 1: y has x's shape */
        pr->flops = 2.0 * pr->batch * pr->c * pr->c * 9 * pr->hw * pr->hw;
    }
    const int64_t *sh[3] = {s0, s1, s2};
    for (int i = 0; i < 3; i++) {
        size_t n = 1;
        for (int a = 0; a < rank; a++) n *= (size_t)sh[i][a];
        winsum_status st = winsum_buffer_alloc(ctx, n * 4, &B->b[i]);
        if (st) return st;
        float *h = malloc(n * 4);
        if (!h) return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "tune: out of host memory");
        for (size_t k = 0; k < n; k++) h[k] = (float)((k * 7919) % 17) / 17.0f - 0.5f;
        st = winsum_buffer_write(ctx, &B->b[i], 0, h, n * 4);
        free(h);
        if (st) return st;
        B->v[i] = winsum_view_contiguous(&B->b[i], WINSUM_F32, rank, sh[i]);
    }
    return WINSUM_OK;
}

static winsum_status run_problem(winsum_context *ctx, const problem *pr, bufs *B)
{
    if (!pr->conv) return winsum_einsum(ctx, "ij,jk->ik", 2, B->v, &B->v[2], 1, 0);
    winsum_conv_desc d;
    winsum_conv_desc_init(&d);
    d.pad_lo[0] = d.pad_lo[1] = d.pad_hi[0] = d.pad_hi[1] = 1;
    if (pr->conv == 1)
        return winsum_conv_forward(ctx, &d, &B->v[0], &B->v[1], NULL, &B->v[2], 1, 0);
    return winsum_conv_backward_weight(ctx, &d, &B->v[0], &B->v[2], &B->v[1], 1, 0);
}

enum { NPROBLEMS = 3 };

/* The timing state: the problems, their buffers, and how many calls of
 * each one timed run makes (so that a run lasts a few milliseconds, not
 * one call of a fraction of one). */
typedef struct tuner {
    winsum_context *ctx;
    problem prs[NPROBLEMS];
    bufs bs[NPROBLEMS];
    int calls[NPROBLEMS];
} tuner;

/* Uses p (if it is not already in use) and runs each problem once, untimed:
 * this builds the programs of new parameters and the plans (which a change
 * of parameters drops). Non-zero if a call fails. */
static int use(tuner *t, const ws_gett_params *p)
{
    if (memcmp(&t->ctx->gett, p, sizeof *p) != 0) ws_params_use(t->ctx, p);
    for (int i = 0; i < NPROBLEMS; i++)
        if (run_problem(t->ctx, &t->prs[i], &t->bs[i]) || winsum_finish(t->ctx)) return 1;
    return 0;
}

/* One timed run of the parameters in use: each problem calls[i] times; the
 * geometric mean GFLOP/s over the problems, 0 if a call fails. */
static double run_once(tuner *t)
{
    double logsum = 0;
    for (int i = 0; i < NPROBLEMS; i++) {
        double t0 = now();
        for (int r = 0; r < t->calls[i]; r++)
            if (run_problem(t->ctx, &t->prs[i], &t->bs[i])) return 0;
        if (winsum_finish(t->ctx)) return 0;
        double dt = (now() - t0) / t->calls[i];
        logsum += log(t->prs[i].flops / fmax(dt, 1e-9) / 1e9);
    }
    return exp(logsum / NPROBLEMS);
}

/* n alternating runs, a then b, each after a switch and a warm-up:
 * sa[i] and sb[i] are the i-th pair. Non-zero if either fails to run. */
static int alternate(tuner *t, const ws_gett_params *a, const ws_gett_params *b, int n, double *sa,
                     double *sb)
{
    for (int i = 0; i < n; i++) {
        if (use(t, a) || (sa[i] = run_once(t)) <= 0) return 1;
        if (use(t, b) || (sb[i] = run_once(t)) <= 0) return 1;
    }
    return 0;
}

/* Sets calls[] so that one run of each problem under the parameters in use
 * lasts about target seconds (the median of three single calls). */
static int calibrate(tuner *t, double target)
{
    for (int i = 0; i < NPROBLEMS; i++) {
        double dt[3];
        for (int r = 0; r < 3; r++) {
            double t0 = now();
            if (run_problem(t->ctx, &t->prs[i], &t->bs[i]) || winsum_finish(t->ctx)) return 1;
            dt[r] = now() - t0;
        }
        double q[3];
        ws_tune_quartiles(dt, 3, q);
        double n = ceil(target / fmax(q[1], 1e-6));
        t->calls[i] = n < 1 ? 1 : n > 1000 ? 1000 : (int)n;
    }
    return 0;
}

/* the k-th searched parameter of p (the order of the candidate tables) */
static int value_of(const ws_gett_params *p, int cpu_like, int k)
{
    const int cpu[5] = {p->mr, p->nr, p->mc, p->nc, p->kc},
              gpu[5] = {p->wgm, p->wgn, p->mr, p->nr, p->kc};
    return cpu_like ? cpu[k] : gpu[k];
}

static void params_text(const ws_gett_params *p, char *buf, size_t len)
{
    snprintf(buf, len, "%d,%d,%d,%d,%d,%d,%d,%d", p->wgm, p->wgn, p->mr, p->nr, p->mc, p->nc, p->kc,
             p->vw);
}

static winsum_status store(winsum_context *ctx, const ws_gett_params *p, double gflops,
                           const char *verdict)
{
    char dir[PATH_MAX], name[64], src[sizeof ctx->tuning_source];
    int dirfd = ws_cache_open(ctx, dir, sizeof dir);
    if (dirfd < 0) { /* no (trusted) cache folder: this context only */
        snprintf(src, sizeof src, "tuned (this context only; disk cache %.4500s)", ctx->cache_info);
        ws_params_set(ctx, p, src);
        return WINSUM_OK;
    }
    ws_params_file_name(ctx, name, sizeof name);
    char text[4096];
    int n = snprintf(text, sizeof text,
                     "# winsum GETT tile parameters, found by winsum tune (%.1f GFLOP/s)\n"
                     "# verdict: %.1500s\n"
                     "# device: %.1500s\n# wgm,wgn,mr,nr,mc,nc,kc,vw\n%d,%d,%d,%d,%d,%d,%d,%d\n",
                     gflops, verdict, ctx->cache_prefix, p->wgm, p->wgn, p->mr, p->nr, p->mc, p->nc,
                     p->kc, p->vw);
    int failed =
        n < 0 || (size_t)n >= sizeof text || ws_cache_write(dirfd, name, text, (size_t)n) != 0;
    int err = errno;
    close(dirfd);
    if (failed)
        return ws_fail(&ctx->err, WINSUM_ERR_IO, "tune: cannot write %s/%s: %s", dir, name,
                       strerror(err));
    snprintf(src, sizeof src, "tuned (%s/%s)", dir, name);
    ws_params_set(ctx, p, src);
    return WINSUM_OK;
}

/* Runs the search and the confirmation with the buffers set up; the
 * winner in *win, its median GFLOP/s in *gflops and the verdict in
 * verdict. */
static winsum_status search(tuner *t, int quick, int max_candidates, winsum_progress_fn progress,
                            void *user, ws_gett_params *win, double *gflops, char *verdict,
                            size_t vlen)
{
    winsum_context *ctx = t->ctx;
    /* candidate values per parameter, by family */
    static const int cpu_mr[] = {4, 6, 8, 12}, cpu_nr[] = {16, 32, 48},
                     cpu_mc[] = {32, 48, 64, 96, 128}, cpu_nc[] = {32, 64, 96, 128, 192},
                     cpu_kc[] = {64, 128, 256, 512};
    static const int gpu_wg[] = {8, 16}, gpu_r[] = {2, 4, 8}, gpu_kc[] = {8, 16, 32};
    static const char *const cpu_names[] = {"mr", "nr", "mc", "nc", "kc"};
    static const char *const gpu_names[] = {"wgm", "wgn", "mr", "nr", "kc"};
    /* runs per comparison in the search and in the confirmation; a run of
     * each problem lasts about `target` seconds */
    enum { MAXRUNS = 16 };
    const int runs = quick ? 5 : 7, confirm = quick ? 8 : 12;
    const double target = quick ? 0.004 : 0.010;
    const ws_gett_params incumbent = ctx->gett;
    char inc_text[40], inc_src[80], what[400], why[200];
    params_text(&incumbent, inc_text, sizeof inc_text);
    snprintf(inc_src, sizeof inc_src, "%.*s", (int)strcspn(ctx->tuning_source, ";"),
             ctx->tuning_source);
    char cause[300]; /* a failed call's message, before ws_fail replaces it */
    if (use(t, &incumbent) || calibrate(t, target)) {
        snprintf(cause, sizeof cause, "%s", winsum_last_error(ctx));
        return ws_fail(&ctx->err, WINSUM_ERR_OPENCL,
                       "tune: the starting parameters %s (%s) do not run: %s", inc_text, inc_src,
                       cause);
    }
    ws_gett_params best = incumbent, runner_up = incumbent;
    double runner_margin = -INFINITY;
    int rounds = quick ? 1 : 2, evaluated = 0, total = 0;
    const int nparams = 5;
    const int *vals[5];
    int nvals[5];
    if (ctx->cpu_like) {
        vals[0] = cpu_mr, nvals[0] = 4;
        vals[1] = cpu_nr, nvals[1] = 3;
        vals[2] = cpu_mc, nvals[2] = 5;
        vals[3] = cpu_nc, nvals[3] = 5;
        vals[4] = cpu_kc, nvals[4] = 4;
    } else {
        vals[0] = gpu_wg, nvals[0] = 2;
        vals[1] = gpu_wg, nvals[1] = 2;
        vals[2] = gpu_r, nvals[2] = 3;
        vals[3] = gpu_r, nvals[3] = 3;
        vals[4] = gpu_kc, nvals[4] = 3;
    }
    for (int k = 0; k < nparams; k++) total += nvals[k];
    total *= rounds;
    if (max_candidates > 0 && total > max_candidates) total = max_candidates;
    double sa[MAXRUNS], sb[MAXRUNS];
    ws_tune_verdict v;
    for (int round = 0; round < rounds; round++)
        for (int k = 0; k < nparams; k++)
            for (int j = 0; j < nvals[k]; j++) {
                if (max_candidates > 0 && evaluated >= max_candidates) break;
                ws_gett_params c = best;
                int x = vals[k][j];
                if (ctx->cpu_like) {
                    if (k == 0) c.mr = x;
                    if (k == 1) c.nr = x;
                    if (k == 2) c.mc = x;
                    if (k == 3) c.nc = x;
                    if (k == 4) c.kc = x;
                } else {
                    if (k == 0) c.wgm = x;
                    if (k == 1) c.wgn = x;
                    if (k == 2) c.mr = x;
                    if (k == 3) c.nr = x;
                    if (k == 4) c.kc = x;
                    c.mc = c.wgm * c.mr;
                    c.nc = c.wgn * c.nr;
                }
                if (ws_params_invalid(ctx, &c, why, sizeof why) || memcmp(&c, &best, sizeof c) == 0)
                    continue;
                evaluated++;
                char ctext[40];
                params_text(&c, ctext, sizeof ctext);
                const char *name = (ctx->cpu_like ? cpu_names : gpu_names)[k];
                if (alternate(t, &best, &c, runs, sa, sb) ||
                    ws_tune_decide(sa, runs, sb, runs, 1, &v)) {
                    snprintf(what, sizeof what, "%s %d (%s): did not run", name, x, ctext);
                } else {
                    int from_incumbent = memcmp(&best, &incumbent, sizeof best) == 0;
                    /* short enough for a progress bar: the value tried,
                     * both medians, the margin, the spread, the decision */
                    snprintf(what, sizeof what,
                             "%s %d: %.1f vs %.1f GFLOP/s, %+.1f%%, spread %.1f%%: %s %d", name, x,
                             v.b_median, v.a_median, 100 * v.margin, 100 * v.spread,
                             v.take ? "took" : "kept",
                             v.take ? x : value_of(&best, ctx->cpu_like, k));
                    if (v.take) best = c;
                    /* while the search has not moved, its best challenger
                     * is the one nearest to winning */
                    if (from_incumbent && !v.take && v.margin > runner_margin) {
                        runner_up = c;
                        runner_margin = v.margin;
                    }
                }
                if (progress) progress((double)evaluated / (total + 1), what, user);
            }
    const ws_gett_params *challenger =
        memcmp(&best, &incumbent, sizeof best) != 0 ? &best : &runner_up;
    char ch_text[40];
    params_text(challenger, ch_text, sizeof ch_text);
    *win = incumbent;
    if (memcmp(challenger, &incumbent, sizeof incumbent) == 0) { /* nothing ran */
        double s[3] = {0, 0, 0};
        if (!use(t, &incumbent))
            for (int i = 0; i < 3; i++) s[i] = run_once(t);
        double q[3];
        ws_tune_quartiles(s, 3, q);
        *gflops = q[1];
        snprintf(verdict, vlen, "kept the incumbent %s (%s): no candidate was evaluated", inc_text,
                 inc_src);
    } else {
        /* the confirmation: the challenger against the incumbent */
        if (alternate(t, &incumbent, challenger, confirm, sa, sb) ||
            ws_tune_decide(sa, confirm, sb, confirm, 1, &v)) {
            snprintf(cause, sizeof cause, "%s", winsum_last_error(ctx));
            return ws_fail(&ctx->err, WINSUM_ERR_OPENCL,
                           "tune: the confirmation of %s against %s failed: %s", ch_text, inc_text,
                           cause);
        }
        char because[300];
        ws_tune_explain(&v, "GFLOP/s", because, sizeof because);
        snprintf(verdict, vlen, "challenger %s against incumbent %s (%s): %s", ch_text, inc_text,
                 inc_src, because);
        if (v.take) *win = *challenger;
        *gflops = v.take ? v.b_median : v.a_median;
    }
    if (progress) progress(1.0, verdict, user);
    return WINSUM_OK;
}

static void leave_nested(winsum_context **ctx)
{
    (*ctx)->depth--;
    (*ctx)->no_event--;
}

winsum_status winsum_tune(winsum_context *ctx, int quick, int max_candidates,
                          winsum_progress_fn progress, void *user)
{
    WS_LOCK_SCOPE(ctx); /* other threads on this context wait for the tuner */
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    /* the trials run nested (depth > 0): they print no WINSUM_VERBOSE line;
     * and under no_event their kernels, at whatever depth they run (a
     * convolution's einsums too), replace no winsum_last_event */
    winsum_context *nested __attribute__((cleanup(leave_nested), unused)) = ctx;
    ctx->depth++;
    ctx->no_event++;
    if (ctx->backend != WINSUM_BACKEND_OPENCL)
        return ws_fail(&ctx->err, WINSUM_ERR_UNSUPPORTED,
                       "tune: the reference backend has nothing to tune");
    problem prs[NPROBLEMS] = {
        {"GEMM", 0, quick ? 384 : 768, 0, 0, 0, 0},
        {"conv 3x3 forward", 1, 0, 64, quick ? 14 : 28, quick ? 2 : 4, 0},
        {"conv 3x3 backward-weight", 2, 0, 64, quick ? 14 : 28, quick ? 2 : 4, 0}};
    tuner t;
    memset(&t, 0, sizeof t);
    t.ctx = ctx;
    memcpy(t.prs, prs, sizeof prs);
    const ws_gett_params incumbent = ctx->gett;
    winsum_status st = WINSUM_OK;
    for (int i = 0; i < NPROBLEMS && !st; i++) st = setup_problem(ctx, &t.prs[i], &t.bs[i]);
    ws_gett_params win = incumbent;
    double gflops = 0;
    char verdict[1024] = "";
    if (!st)
        st = search(&t, quick, max_candidates, progress, user, &win, &gflops, verdict,
                    sizeof verdict);
    for (int i = 0; i < NPROBLEMS; i++)
        for (int j = 0; j < 3; j++) winsum_buffer_free(ctx, &t.bs[i].b[j]);
    if (st) {
        if (memcmp(&ctx->gett, &incumbent, sizeof incumbent) != 0) ws_params_use(ctx, &incumbent);
        return st;
    }
    return store(ctx, &win, gflops, verdict);
}
