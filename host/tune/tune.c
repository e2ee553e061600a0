/*
 * tune.c - the tuner: searches the GETT tile parameters of the context's
 * device by coordinate descent on a GEMM and two convolution layers, timing
 * real calls through the public API, and stores the winner in the cache
 * folder through the parameter setter of the runtime (params.h). It sits
 * above the convolutions because it times them.
 */
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
    int conv;      /* 0: GEMM n^3; 1: conv forward; 2: conv backward-weight */
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
    if (pr->conv == 1) return winsum_conv_forward(ctx, &d, &B->v[0], &B->v[1], NULL, &B->v[2], 1, 0);
    return winsum_conv_backward_weight(ctx, &d, &B->v[0], &B->v[2], &B->v[1], 1, 0);
}

/* geometric mean GFLOP/s of the problems under params p; 0 if it fails */
static double score(winsum_context *ctx, const ws_gett_params *p, problem *prs, bufs *bs, int np,
                    int reps)
{
    ws_gett_params saved = ctx->gett;
    ws_params_use(ctx, p); /* cached plans keep the parameters they were made with */
    double logsum = 0;
    for (int i = 0; i < np; i++) {
        if (run_problem(ctx, &prs[i], &bs[i]) || winsum_finish(ctx)) { /* warm-up: builds */
            ws_params_use(ctx, &saved);
            return 0;
        }
        double best = 1e30;
        for (int r = 0; r < reps; r++) {
            double t0 = now();
            run_problem(ctx, &prs[i], &bs[i]);
            winsum_finish(ctx);
            double dt = now() - t0;
            if (dt < best) best = dt;
        }
        logsum += log(prs[i].flops / best / 1e9);
    }
    ws_params_use(ctx, &saved);
    return exp(logsum / np);
}

static winsum_status store(winsum_context *ctx, const ws_gett_params *p, double gflops)
{
    char dir[PATH_MAX], name[64], src[sizeof ctx->tuning_source];
    int dirfd = ws_cache_open(ctx, dir, sizeof dir);
    if (dirfd < 0) { /* no (trusted) cache folder: this context only */
        snprintf(src, sizeof src, "tuned (this context only; disk cache %.4500s)", ctx->cache_info);
        ws_params_set(ctx, p, src);
        return WINSUM_OK;
    }
    ws_params_file_name(ctx, name, sizeof name);
    char text[2048];
    int n = snprintf(text, sizeof text,
                     "# winsum GETT tile parameters, found by winsum tune (%.1f GFLOP/s)\n"
                     "# device: %.1500s\n# wgm,wgn,mr,nr,mc,nc,kc,vw\n%d,%d,%d,%d,%d,%d,%d,%d\n",
                     gflops, ctx->cache_prefix, p->wgm, p->wgn, p->mr, p->nr, p->mc, p->nc,
                     p->kc, p->vw);
    int failed = n < 0 || (size_t)n >= sizeof text ||
                 ws_cache_write(dirfd, name, text, (size_t)n) != 0;
    int err = errno;
    close(dirfd);
    if (failed)
        return ws_fail(&ctx->err, WINSUM_ERR_IO, "tune: cannot write %s/%s: %s", dir, name,
                       strerror(err));
    snprintf(src, sizeof src, "tuned (%s/%s)", dir, name);
    ws_params_set(ctx, p, src);
    return WINSUM_OK;
}

winsum_status winsum_tune(winsum_context *ctx, int quick, int max_candidates,
                          winsum_progress_fn progress, void *user)
{
    WS_LOCK_SCOPE(ctx); /* other threads on this context wait for the tuner */
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    if (ctx->backend != WINSUM_BACKEND_OPENCL)
        return ws_fail(&ctx->err, WINSUM_ERR_UNSUPPORTED, "tune: the reference backend has nothing to tune");
    problem prs[3] = {{"GEMM", 0, quick ? 384 : 768, 0, 0, 0, 0},
                      {"conv 3x3 forward", 1, 0, 64, quick ? 14 : 28, quick ? 2 : 4, 0},
                      {"conv 3x3 backward-weight", 2, 0, 64, quick ? 14 : 28, quick ? 2 : 4, 0}};
    bufs bs[3];
    memset(bs, 0, sizeof bs);
    char why[200];
    winsum_status st = WINSUM_OK;
    for (int i = 0; i < 3 && !st; i++) st = setup_problem(ctx, &prs[i], &bs[i]);
    /* candidate values per parameter, by family */
    static const int cpu_mr[] = {4, 6, 8, 12}, cpu_nr[] = {16, 32, 48},
                     cpu_mc[] = {32, 48, 64, 96, 128}, cpu_nc[] = {32, 64, 96, 128, 192},
                     cpu_kc[] = {64, 128, 256, 512};
    static const int gpu_wg[] = {8, 16}, gpu_r[] = {2, 4, 8}, gpu_kc[] = {8, 16, 32};
    ws_gett_params best = ctx->gett;
    double best_score = st ? 0 : score(ctx, &best, prs, bs, 3, quick ? 2 : 3);
    int rounds = quick ? 1 : 2, evaluated = 0, total = 0;
    int nparams = 5;
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
    for (int round = 0; round < rounds && !st; round++)
        for (int k = 0; k < nparams && !st; k++)
            for (int v = 0; v < nvals[k]; v++) {
                if (max_candidates > 0 && evaluated >= max_candidates) break;
                ws_gett_params c = best;
                int x = vals[k][v];
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
                double sc = score(ctx, &c, prs, bs, 3, quick ? 2 : 3);
                if (sc > best_score * 1.02) { /* 2%: above the noise of one run */
                    best = c;
                    best_score = sc;
                }
                if (progress) {
                    char what[160];
                    snprintf(what, sizeof what, "%d,%d,%d,%d,%d,%d,%d,%d: %.1f GFLOP/s (best %.1f)",
                             c.wgm, c.wgn, c.mr, c.nr, c.mc, c.nc, c.kc, c.vw, sc, best_score);
                    progress((double)evaluated / total, what, user);
                }
            }
    if (progress) progress(1.0, "done", user);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) winsum_buffer_free(ctx, &bs[i].b[j]);
    if (st) return st;
    if (best_score <= 0) return ws_fail(&ctx->err, WINSUM_ERR_OPENCL, "tune: no candidate ran");
    return store(ctx, &best, best_score);
}
