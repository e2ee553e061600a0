/*
 * tune.c - the GETT tile parameters as data. Chosen per device, in order:
 * $WINSUM_GETT; a file written by winsum_tune() in the cache folder (keyed
 * by device and driver); a built-in table of devices measured here; the
 * defaults of the device's family. The tuner searches by coordinate descent
 * on a GEMM and two convolution layers, timing real plans.
 */
#include "context.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const ws_gett_params cpu_defaults = {1, 1, 8, 32, 64, 64, 256, 16};
static const ws_gett_params gpu_defaults = {16, 16, 4, 4, 64, 64, 16, 1};

/* Devices measured with `winsum tune` (name substring -> parameters).
 * pthread-skylake-avx512: PoCL 3.1 on 2 cores of an AMD EPYC with AVX-512,
 * `winsum tune` on 2026-11-25 (87.5 GFLOP/s geometric mean, defaults 78.3). */
static const struct {
    const char *name;
    ws_gett_params p;
} builtin[] = {
    {"pthread-skylake-avx512", {1, 1, 8, 32, 96, 128, 256, 16}},
};

/* Upper bounds of each field, far above any useful value, so that every
 * product the planner and the kernel form of them (wgm*mr, (mc+nc+32)*kc*8,
 * the global sizes) stays well inside int. */
enum { MAX_WG_SIDE = 1024, MAX_MICRO = 64, MAX_TILE = 4096, MAX_KC = 4096 };
static const char *const field_name[8] = {"wgm", "wgn", "mr", "nr", "mc", "nc", "kc", "vw"};
static const int field_max[8] = {MAX_WG_SIDE, MAX_WG_SIDE, MAX_MICRO, MAX_MICRO,
                                 MAX_TILE,    MAX_TILE,    MAX_KC,    16};

/* NULL when the parameters fit the kernel and the device, else why not
 * (into why). Every product is formed in 64 bits. */
static const char *invalid(const winsum_context *ctx, const ws_gett_params *p, char *why,
                           size_t n)
{
    const int f[8] = {p->wgm, p->wgn, p->mr, p->nr, p->mc, p->nc, p->kc, p->vw};
    for (int i = 0; i < 8; i++)
        if (f[i] < 1 || f[i] > field_max[i]) {
            snprintf(why, n, "%s = %d is outside 1..%d", field_name[i], f[i], field_max[i]);
            return why;
        }
    if (p->vw != 1 && p->vw != 2 && p->vw != 4 && p->vw != 8 && p->vw != 16) {
        snprintf(why, n, "vw = %d is not 1, 2, 4, 8 or 16", p->vw);
        return why;
    }
    const int64_t um = (int64_t)p->wgm * p->mr, un = (int64_t)p->wgn * p->nr;
    if (p->mc % um || p->nc % un) {
        snprintf(why, n, "mc = %d is not a multiple of wgm*mr = %lld, or nc = %d of wgn*nr = %lld",
                 p->mc, (long long)um, p->nc, (long long)un);
        return why;
    }
    if (p->vw > 1 && p->wgn == 1 && p->nr % p->vw) {
        snprintf(why, n, "nr = %d is not a multiple of vw = %d", p->nr, p->vw);
        return why;
    }
    const uint64_t wg = (uint64_t)p->wgm * (uint64_t)p->wgn;
    if (wg > ctx->max_wg) {
        snprintf(why, n, "a work-group of wgm*wgn = %llu work-items; the device allows %zu",
                 (unsigned long long)wg, ctx->max_wg);
        return why;
    }
    /* + the pitch pad; float64 tiles */
    const uint64_t local = ((uint64_t)p->mc + (uint64_t)p->nc + 32) * (uint64_t)p->kc * 8;
    if (local > ctx->local_mem) {
        snprintf(why, n, "the tiles need %llu bytes of local memory; the device has %llu",
                 (unsigned long long)local, (unsigned long long)ctx->local_mem);
        return why;
    }
    return NULL;
}

static int valid(const winsum_context *ctx, const ws_gett_params *p)
{
    char why[200];
    return invalid(ctx, p, why, sizeof why) == NULL;
}

/* "wgm,wgn,mr,nr,mc,nc,kc,vw": eight decimal integers (spaces around them
 * allowed), each checked against its bound before it becomes an int. NULL
 * when parsed, else why not. */
static const char *parse(const char *s, ws_gett_params *p, char *why, size_t n)
{
    int v[8];
    for (int i = 0; i < 8; i++) {
        while (*s == ' ' || *s == '\t') s++;
        char *end;
        errno = 0;
        long x = strtol(s, &end, 10);
        if (end == s) {
            snprintf(why, n, "not eight comma-separated integers (wgm,wgn,mr,nr,mc,nc,kc,vw)");
            return why;
        }
        if (errno == ERANGE || x < 1 || x > field_max[i]) {
            int shown = (int)(end - s > 24 ? 24 : end - s);
            snprintf(why, n, "%s = %.*s is outside 1..%d", field_name[i], shown, s, field_max[i]);
            return why;
        }
        v[i] = (int)x;
        s = end;
        while (*s == ' ' || *s == '\t') s++;
        if (i < 7 && *s++ != ',') {
            snprintf(why, n, "not eight comma-separated integers (wgm,wgn,mr,nr,mc,nc,kc,vw)");
            return why;
        }
    }
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
    if (*s) {
        snprintf(why, n, "text after the eighth value");
        return why;
    }
    *p = (ws_gett_params){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
    return NULL;
}

static void set(winsum_context *ctx, const ws_gett_params *p, const char *source)
{
    ctx->gett = *p;
    ctx->params_epoch++;
    snprintf(ctx->tuning_source, sizeof ctx->tuning_source, "%s", source);
    snprintf(ctx->tuning_text, sizeof ctx->tuning_text, "%d,%d,%d,%d,%d,%d,%d,%d", p->wgm, p->wgn,
             p->mr, p->nr, p->mc, p->nc, p->kc, p->vw);
}

/* The tuned-parameter file's name in the cache folder (keyed by device). */
static void tuned_name(const winsum_context *ctx, char *buf, size_t len)
{
    snprintf(buf, len, "tune-%016llx.txt",
             (unsigned long long)ws_hash64(ctx->cache_prefix, strlen(ctx->cache_prefix)));
}

/* Appends "; " and a note to the notes of ws_choose_params. */
static void note(char *notes, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(char *notes, size_t len, const char *fmt, ...)
{
    size_t at = strlen(notes);
    if (at + 2 >= len) return;
    memcpy(notes + at, "; ", 3);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(notes + at + 2, len - at - 2, fmt, ap);
    va_end(ap);
}

/* The first valid parameter line of a tuned file into p: NULL, or why no
 * line is valid (the first bad line's reason). */
static const char *tuned_params(const winsum_context *ctx, const char *text, ws_gett_params *p,
                                char *why, size_t n)
{
    int bad_lines = 0;
    char line[256], cur[200];
    for (const char *s = text; *s;) {
        size_t len = strcspn(s, "\n");
        const char *next = s + len + (s[len] == '\n');
        if (s[0] != '#' && strspn(s, " \t\r") < len) {
            const char *bad;
            if (len >= sizeof line) bad = "a line too long to be parameters";
            else {
                memcpy(line, s, len);
                line[len] = 0;
                bad = parse(line, p, cur, sizeof cur);
                if (!bad) bad = invalid(ctx, p, cur, sizeof cur);
                if (!bad) return NULL;
            }
            if (!bad_lines++) snprintf(why, n, "%s", bad);
        }
        s = next;
    }
    if (!bad_lines) snprintf(why, n, "no parameter line");
    return why;
}

void ws_choose_params(winsum_context *ctx)
{
    ws_gett_params p;
    char notes[sizeof ctx->tuning_source] = "", why[200];
    const char *env = getenv("WINSUM_GETT");
    if (env && *env) {
        /* an explicit override that does not fit is ignored like a bad
         * file, and the reason goes into the source */
        const char *bad = parse(env, &p, why, sizeof why);
        if (!bad) bad = invalid(ctx, &p, why, sizeof why);
        if (!bad) {
            set(ctx, &p, "WINSUM_GETT");
            return;
        }
        note(notes, sizeof notes, "WINSUM_GETT=%.80s%s ignored: %s", env,
             strlen(env) > 80 ? "..." : "", bad);
    }
    char dir[PATH_MAX], name[64];
    int dirfd = ws_cache_open(ctx, dir, sizeof dir);
    if (dirfd >= 0) {
        tuned_name(ctx, name, sizeof name);
        size_t len = 0;
        char *text = ws_cache_read(dirfd, name, 1 << 16, &len, why, sizeof why);
        int absent = !text && errno == ENOENT;
        close(dirfd);
        if (text && !tuned_params(ctx, text, &p, why, sizeof why)) {
            free(text);
            char src[sizeof ctx->tuning_source];
            snprintf(src, sizeof src, "tuned (%s/%s)%s", dir, name, notes);
            set(ctx, &p, src);
            return;
        }
        free(text);
        if (!absent) note(notes, sizeof notes, "%s/%s ignored: %s", dir, name, why);
    } else if (dirfd == -1) {
        note(notes, sizeof notes, "disk cache %s", ctx->cache_info);
    }
    char src[sizeof ctx->tuning_source];
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (strstr(ctx->device_name, builtin[i].name) && valid(ctx, &builtin[i].p)) {
            snprintf(src, sizeof src, "built-in table%s", notes);
            set(ctx, &builtin[i].p, src);
            return;
        }
    p = ctx->cpu_like ? cpu_defaults : gpu_defaults;
    /* fit the device: work-group size and local memory (float64 tiles) */
    while ((size_t)p.wgm * p.wgn > ctx->max_wg && p.wgm > 1) {
        p.wgm /= 2;
        p.mc /= 2;
    }
    while ((cl_ulong)(p.mc + p.nc) * p.kc * 8 > ctx->local_mem && p.kc > 1) p.kc /= 2;
    snprintf(src, sizeof src, "defaults%s", notes);
    set(ctx, &p, src);
}

const char *winsum_cache_info(const winsum_context *ctx)
{
    if (!ctx) return "";
    return ctx->backend == WINSUM_BACKEND_OPENCL ? ctx->cache_info
                                                 : "off: the reference backend builds no programs";
}

const char *winsum_tuning_source(const winsum_context *ctx)
{
    if (!ctx) return "";
    return ctx->backend == WINSUM_BACKEND_OPENCL ? ctx->tuning_source : "reference backend";
}

const char *winsum_tuning_params(const winsum_context *ctx)
{
    return ctx && ctx->backend == WINSUM_BACKEND_OPENCL ? ctx->tuning_text : "";
}

/* ------------------------------------------------------------- the tuner */

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
    ctx->gett = *p;
    ctx->params_epoch++; /* cached plans keep the parameters they were made with */
    double logsum = 0;
    for (int i = 0; i < np; i++) {
        if (run_problem(ctx, &prs[i], &bs[i]) || winsum_finish(ctx)) { /* warm-up: builds */
            ctx->gett = saved;
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
    ctx->gett = saved;
    ctx->params_epoch++;
    return exp(logsum / np);
}

static winsum_status store(winsum_context *ctx, const ws_gett_params *p, double gflops)
{
    char dir[PATH_MAX], name[64], src[sizeof ctx->tuning_source];
    int dirfd = ws_cache_open(ctx, dir, sizeof dir);
    if (dirfd < 0) { /* no (trusted) cache folder: this context only */
        snprintf(src, sizeof src, "tuned (this context only; disk cache %.4500s)", ctx->cache_info);
        set(ctx, p, src);
        return WINSUM_OK;
    }
    tuned_name(ctx, name, sizeof name);
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
    set(ctx, p, src);
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
    int nparams = ctx->cpu_like ? 5 : 5;
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
                if (!valid(ctx, &c) || memcmp(&c, &best, sizeof c) == 0) continue;
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
