/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * params.c - the GETT tile parameters as data. Chosen per device, in order:
 * $WINSUM_GETT; a file written by the tuner (winsum_tune) in the cache
 * folder, keyed by device and driver; a built-in table of devices measured
 * here; the defaults of the device's family. Whatever is not used is noted
 * in the tuning source, with the reason. Setting parameters bumps the
 * context's params_epoch, so that plans cached under older ones are dropped.
 */
#include "params.h"
#include "program.h"
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
const char *ws_params_invalid(const winsum_context *ctx, const ws_gett_params *p, char *why,
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
    return ws_params_invalid(ctx, p, why, sizeof why) == NULL;
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

void ws_params_use(winsum_context *ctx, const ws_gett_params *p)
{
    ctx->gett = *p;
    ctx->params_epoch++;
}

void ws_params_set(winsum_context *ctx, const ws_gett_params *p, const char *source)
{
    ws_params_use(ctx, p);
    snprintf(ctx->tuning_source, sizeof ctx->tuning_source, "%s", source);
    snprintf(ctx->tuning_text, sizeof ctx->tuning_text, "%d,%d,%d,%d,%d,%d,%d,%d", p->wgm, p->wgn,
             p->mr, p->nr, p->mc, p->nc, p->kc, p->vw);
}

/* The tuned-parameter file's name in the cache folder (keyed by device). */
void ws_params_file_name(const winsum_context *ctx, char *buf, size_t len)
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
                if (!bad) bad = ws_params_invalid(ctx, p, cur, sizeof cur);
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
        if (!bad) bad = ws_params_invalid(ctx, &p, why, sizeof why);
        if (!bad) {
            ws_params_set(ctx, &p, "WINSUM_GETT");
            return;
        }
        note(notes, sizeof notes, "WINSUM_GETT=%.80s%s ignored: %s", env,
             strlen(env) > 80 ? "..." : "", bad);
    }
    char dir[PATH_MAX], name[64];
    int dirfd = ws_cache_open(ctx, dir, sizeof dir);
    if (dirfd >= 0) {
        ws_params_file_name(ctx, name, sizeof name);
        size_t len = 0;
        char *text = ws_cache_read(dirfd, name, 1 << 16, &len, why, sizeof why);
        int absent = !text && errno == ENOENT;
        close(dirfd);
        if (text && !tuned_params(ctx, text, &p, why, sizeof why)) {
            free(text);
            char src[sizeof ctx->tuning_source];
            snprintf(src, sizeof src, "tuned (%s/%s)%s", dir, name, notes);
            ws_params_set(ctx, &p, src);
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
            ws_params_set(ctx, &builtin[i].p, src);
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
    ws_params_set(ctx, &p, src);
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
