/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * tune.c - the tuner: searches the GETT tile parameters of the context's
 * device by coordinate descent on a GEMM and two convolution layers, timing
 * real calls through the public API, and stores the winner in the cache
 * folder with every family's tunable parameters (params.h), which it reads
 * and writes by name. It sits above the convolutions because it times them.
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
#include "backend.h"
#include "decide.h"
#include "params.h"
#include "layer.h"
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

/* a set's values */
typedef struct params {
    int v[WS_MAX_TUNABLES];
} params;

/* The timing state: the problems, their buffers, and how many calls of
 * each one timed run makes (so that a run lasts a few milliseconds, not
 * one call of a fraction of one). */
typedef struct tuner {
    winsum_context *ctx;
    const ws_tunable_set *set; /* the parameters searched: GETT's */
    problem prs[NPROBLEMS];
    bufs bs[NPROBLEMS];
    int calls[NPROBLEMS];
} tuner;

/* Uses p (if it is not already in use) and runs each problem once, untimed:
 * this builds the programs of new parameters and the plans (which a change
 * of parameters drops). Non-zero if a call fails. */
static int use(tuner *t, const params *p)
{
    if (memcmp(ws_tuned(t->ctx, t->set), p->v, (size_t)t->set->n * sizeof(int)) != 0)
        ws_tunables_use(t->ctx, t->set, p->v);
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
static int alternate(tuner *t, const params *a, const params *b, int n, double *sa, double *sb)
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

static void params_text(const tuner *t, const params *p, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < t->set->n && at < len; i++) {
        int k = snprintf(buf + at, len - at, "%s%d", i ? "," : "", p->v[i]);
        if (k < 0) break;
        at += (size_t)k;
    }
}

/* Uses every family's values in ctx, with win for the searched set, and
 * stores them in the tuned file (params.h) after the comment lines. */
static winsum_status store(tuner *t, const params *win, double gflops, const char *verdict)
{
    winsum_context *ctx = t->ctx;
    ws_tunables_use(ctx, t->set, win->v);
    char comment[4096];
    snprintf(comment, sizeof comment,
             "# winsum tuned parameters, found by winsum tune (%.1f GFLOP/s)\n"
             "# verdict: %.1500s\n# device: %.1500s\n# one line a kernel family: name=value\n",
             gflops, verdict, ctx->cache_prefix);
    return ws_tunables_store(ctx, comment);
}

/* Runs the search and the confirmation with the buffers set up; the
 * winner in *win, its median GFLOP/s in *gflops and the verdict in
 * verdict. */
static winsum_status search(tuner *t, int quick, int max_candidates, winsum_progress_fn progress,
                            void *user, params *win, double *gflops, char *verdict, size_t vlen)
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
    params incumbent = {{0}};
    memcpy(incumbent.v, ws_tuned(ctx, t->set), (size_t)t->set->n * sizeof(int));
    char inc_text[160], inc_src[80], what[400], why[200];
    params_text(t, &incumbent, inc_text, sizeof inc_text);
    snprintf(inc_src, sizeof inc_src, "%.*s", (int)strcspn(ctx->tuning_source, ";"),
             ctx->tuning_source);
    char cause[300]; /* a failed call's message, before ws_fail replaces it */
    if (use(t, &incumbent) || calibrate(t, target)) {
        snprintf(cause, sizeof cause, "%s", winsum_last_error(ctx));
        return ws_fail(&ctx->err, WINSUM_ERR_OPENCL,
                       "tune: the starting parameters %s (%s) do not run: %s", inc_text, inc_src,
                       cause);
    }
    params best = incumbent, runner_up = incumbent;
    /* the searched parameters by name, and the GPU tiles' products */
    int idx[5];
    for (int k = 0; k < 5; k++)
        idx[k] = ws_tunable_index(t->set, (ctx->cpu_like ? cpu_names : gpu_names)[k]);
    const int i_mc = ws_tunable_index(t->set, "mc"), i_nc = ws_tunable_index(t->set, "nc"),
              i_wgm = ws_tunable_index(t->set, "wgm"), i_wgn = ws_tunable_index(t->set, "wgn"),
              i_mr = ws_tunable_index(t->set, "mr"), i_nr = ws_tunable_index(t->set, "nr");
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
                params c = best;
                int x = vals[k][j];
                c.v[idx[k]] = x;
                if (!ctx->cpu_like) {
                    c.v[i_mc] = c.v[i_wgm] * c.v[i_mr];
                    c.v[i_nc] = c.v[i_wgn] * c.v[i_nr];
                }
                if (ws_tunables_invalid(ctx, t->set, c.v, why, sizeof why) ||
                    memcmp(&c, &best, sizeof c) == 0)
                    continue;
                evaluated++;
                char ctext[160];
                params_text(t, &c, ctext, sizeof ctext);
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
                             v.take ? "took" : "kept", v.take ? x : best.v[idx[k]]);
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
    const params *challenger = memcmp(&best, &incumbent, sizeof best) != 0 ? &best : &runner_up;
    char ch_text[160];
    params_text(t, challenger, ch_text, sizeof ch_text);
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
    if (!ctx->be->kernels)
        return ws_fail(&ctx->err, WINSUM_ERR_UNSUPPORTED,
                       "tune: the %s backend runs no kernels: nothing to tune", ctx->be->title);
    problem prs[NPROBLEMS] = {
        {"GEMM", 0, quick ? 384 : 768, 0, 0, 0, 0},
        {"conv 3x3 forward", 1, 0, 64, quick ? 14 : 28, quick ? 2 : 4, 0},
        {"conv 3x3 backward-weight", 2, 0, 64, quick ? 14 : 28, quick ? 2 : 4, 0}};
    tuner t;
    memset(&t, 0, sizeof t);
    t.ctx = ctx;
    memcpy(t.prs, prs, sizeof prs);
    t.set = &ws_gett_tunables;
    params incumbent = {{0}};

    memcpy(incumbent.v, ws_tuned(ctx, t.set), (size_t)t.set->n * sizeof(int));
    winsum_status st = WINSUM_OK;
    for (int i = 0; i < NPROBLEMS && !st; i++) st = setup_problem(ctx, &t.prs[i], &t.bs[i]);
    params win = incumbent;
    double gflops = 0;
    char verdict[1024] = "";
    if (!st)
        st = search(&t, quick, max_candidates, progress, user, &win, &gflops, verdict,
                    sizeof verdict);
    for (int i = 0; i < NPROBLEMS; i++)
        for (int j = 0; j < 3; j++) winsum_buffer_free(ctx, &t.bs[i].b[j]);
    if (st) {
        if (memcmp(ws_tuned(ctx, t.set), incumbent.v, (size_t)t.set->n * sizeof(int)) != 0)
            ws_tunables_use(ctx, t.set, incumbent.v);
        return st;
    }
    return store(&t, &win, gflops, verdict);
}
