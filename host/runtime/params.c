/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * params.c - tunable parameters as data (params.h). Each set (a kernel
 * family's parameters) is chosen per device, in order: its override
 * variable ($WINSUM_GETT); the file the tuner (winsum_tune) wrote in the
 * cache folder, keyed by device and driver, one line a set
 * ("gett wgm=1 wgn=1 ..."; a line of bare values is the first set's, as
 * files of earlier versions hold); the devices the family measured; the
 * defaults of the device's kind fitted to it. Whatever is not used is
 * noted in the tuning source, with the reason. Setting values bumps the
 * context's params_epoch, so that plans cached under older ones are dropped.
 */
#include "params.h"
#include "backend.h"
#include "program.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const ws_tunable_set *const no_sets[] = {NULL};
static const ws_tunable_set *const *ws_tunable_sets = no_sets;

void ws_tunables_register(const ws_tunable_set *const *sets) { ws_tunable_sets = sets; }

/* where set's values begin in ctx->tunables; -1 when it is not listed */
static int set_base(const ws_tunable_set *set)
{
    int base = 0;
    for (int i = 0; ws_tunable_sets[i]; i++) {
        if (ws_tunable_sets[i] == set) return base;
        base += ws_tunable_sets[i]->n;
    }
    return -1;
}

const int *ws_tuned(const winsum_context *ctx, const ws_tunable_set *set)
{
    return ctx->tunables + set_base(set);
}

const ws_tunable_set *ws_tunable_find(const char *family)
{
    for (int i = 0; ws_tunable_sets[i]; i++)
        if (!strcmp(ws_tunable_sets[i]->family, family)) return ws_tunable_sets[i];
    return NULL;
}

int ws_tunable_index(const ws_tunable_set *set, const char *name)
{
    for (int i = 0; i < set->n; i++)
        if (!strcmp(set->params[i].name, name)) return i;
    return -1;
}

int ws_tunable_get(const winsum_context *ctx, const char *family, const char *name, int *value)
{
    const ws_tunable_set *set = ws_tunable_find(family);
    int i = set ? ws_tunable_index(set, name) : -1;
    if (i < 0) return -1;
    *value = ws_tuned(ctx, set)[i];
    return 0;
}

const char *ws_tunables_invalid(const winsum_context *ctx, const ws_tunable_set *set, const int *v,
                                char *why, size_t n)
{
    for (int i = 0; i < set->n; i++) {
        const ws_tunable *t = &set->params[i];
        if (v[i] < t->lo || v[i] > t->hi) {
            snprintf(why, n, "%s = %d is outside %d..%d", t->name, v[i], t->lo, t->hi);
            return why;
        }
    }
    return set->invalid ? set->invalid(ctx, v, why, n) : NULL;
}

void ws_tunables_text(const winsum_context *ctx, const ws_tunable_set *set, char *buf, size_t len)
{
    const int *v = ws_tuned(ctx, set);
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < set->n && at < len; i++) {
        int k = snprintf(buf + at, len - at, "%s%d", i ? "," : "", v[i]);
        if (k < 0) break;
        at += (size_t)k;
    }
}

void ws_tunables_use(winsum_context *ctx, const ws_tunable_set *set, const int *v)
{
    memcpy(ctx->tunables + set_base(set), v, (size_t)set->n * sizeof *v);
    ctx->params_epoch++;
    if (set == ws_tunable_sets[0])
        ws_tunables_text(ctx, set, ctx->tuning_text, sizeof ctx->tuning_text);
}

void ws_tunables_set(winsum_context *ctx, const ws_tunable_set *set, const int *v,
                     const char *source)
{
    ws_tunables_use(ctx, set, v);
    if (set == ws_tunable_sets[0])
        snprintf(ctx->tuning_source, sizeof ctx->tuning_source, "%s", source);
}

/* The tuned-parameter file's name in the cache folder (keyed by device). */
void ws_params_file_name(const winsum_context *ctx, char *buf, size_t len)
{
    snprintf(buf, len, "tune-%016llx.txt",
             (unsigned long long)ws_hash64(ctx->cache_prefix, strlen(ctx->cache_prefix)));
}

/* Appends "; " and a note to notes. */
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

static const char *const count_word[] = {"no",   "one",    "two",   "three", "four",
                                         "five", "six",    "seven", "eight", "nine",
                                         "ten",  "eleven", "twelve"};
static const char *const nth_word[] = {"zeroth", "first",    "second",  "third",  "fourth",
                                       "fifth",  "sixth",    "seventh", "eighth", "ninth",
                                       "tenth",  "eleventh", "twelfth"};
#define WORDS ((int)(sizeof count_word / sizeof count_word[0]))

/* One value of parameter t from s (spaces before it allowed), checked
 * against its range before it becomes an int; the end in *end. NULL, or why
 * not. */
static const char *parse_value(const ws_tunable *t, const char *s, int *v, const char **endp,
                               const char *notint, char *why, size_t n)
{
    while (*s == ' ' || *s == '\t') s++;
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (end == s) {
        snprintf(why, n, "%s", notint);
        return why;
    }
    if (errno == ERANGE || x < t->lo || x > t->hi) {
        int shown = (int)(end - s > 24 ? 24 : end - s);
        snprintf(why, n, "%s = %.*s is outside %d..%d", t->name, shown, s, t->lo, t->hi);
        return why;
    }
    *v = (int)x;
    *endp = end;
    return NULL;
}

/* The set's values in order, comma-separated (spaces around them allowed).
 * NULL when parsed, else why not. */
static const char *tunables_parse_list(const ws_tunable_set *set, const char *s, int *v, char *why,
                                       size_t n)
{
    char names[256] = "", notint[320];
    for (int i = 0; i < set->n; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? "," : "",
                 set->params[i].name);
    snprintf(notint, sizeof notint, "not %s comma-separated integers (%s)",
             set->n < WORDS ? count_word[set->n] : "enough", names);
    int w[WS_MAX_TUNABLES];
    for (int i = 0; i < set->n; i++) {
        if (parse_value(&set->params[i], s, &w[i], &s, notint, why, n)) return why;
        while (*s == ' ' || *s == '\t') s++;
        if (i < set->n - 1 && *s++ != ',') {
            snprintf(why, n, "%s", notint);
            return why;
        }
    }
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
    if (*s) {
        snprintf(why, n, "text after the %s value", set->n < WORDS ? nth_word[set->n] : "last");
        return why;
    }
    memcpy(v, w, (size_t)set->n * sizeof *v);
    return NULL;
}

/* "name=value" pairs, separated by spaces, over the values in v (those
 * not named keep theirs). NULL when parsed, else why not. */
static const char *parse_named(const ws_tunable_set *set, const char *s, int *v, char *why,
                               size_t n)
{
    int w[WS_MAX_TUNABLES];
    memcpy(w, v, (size_t)set->n * sizeof *v);
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\r') s++;
        if (!*s) break;
        size_t len = strcspn(s, "= \t\r");
        int i = -1;
        for (int k = 0; k < set->n && i < 0; k++)
            if (strlen(set->params[k].name) == len && !strncmp(set->params[k].name, s, len)) i = k;
        if (i < 0 || s[len] != '=') {
            snprintf(why, n, "'%.*s' is not name=value with a %s parameter's name",
                     (int)(len > 40 ? 40 : len), s, set->family);
            return why;
        }
        char notint[80];
        snprintf(notint, sizeof notint, "%s: not an integer", set->params[i].name);
        if (parse_value(&set->params[i], s + len + 1, &w[i], &s, notint, why, n)) return why;
        if (*s && *s != ' ' && *s != '\t' && *s != '\r') {
            snprintf(why, n, "%s: not an integer", set->params[i].name);
            return why;
        }
    }
    memcpy(v, w, (size_t)set->n * sizeof *v);
    return NULL;
}

/* The set's first valid line of a tuned file into v (which holds the base
 * values that named lines start from): 1 when found; 0 when the file has
 * no line for the set; -1 when it has only bad ones (the first one's
 * reason in why). *lines counts the file's parameter lines. */
static int tuned_values(const winsum_context *ctx, const ws_tunable_set *set, const char *text,
                        int *v, int *lines, char *why, size_t n)
{
    int bad_lines = 0;
    char line[512], cur[400];
    *lines = 0;
    for (const char *s = text; *s;) {
        size_t len = strcspn(s, "\n");
        const char *next = s + len + (s[len] == '\n');
        if (s[0] != '#' && strspn(s, " \t\r") < len) {
            ++*lines;
            const char *bad = NULL, *body = NULL;
            int named = isalpha((unsigned char)s[0]);
            size_t flen = strcspn(s, " \t\r\n");
            if (named && !(flen == strlen(set->family) && !strncmp(s, set->family, flen))) {
                s = next; /* another family's line */
                continue;
            }
            if (!named && set != ws_tunable_sets[0]) {
                s = next; /* bare values: the first set's */
                continue;
            }
            if (len >= sizeof line) bad = "a line too long to be parameters";
            else {
                memcpy(line, s, len);
                line[len] = 0;
                body = named ? line + flen : line;
                int w[WS_MAX_TUNABLES];
                memcpy(w, v, (size_t)set->n * sizeof *v);
                bad = named ? parse_named(set, body, w, cur, sizeof cur)
                            : tunables_parse_list(set, body, w, cur, sizeof cur);
                if (!bad) bad = ws_tunables_invalid(ctx, set, w, cur, sizeof cur);
                if (!bad) {
                    memcpy(v, w, (size_t)set->n * sizeof *v);
                    return 1;
                }
            }
            if (!bad_lines++) snprintf(why, n, "%s", bad);
        }
        s = next;
    }
    return bad_lines ? -1 : 0;
}

/* The values a set has on this device without an override or a tuned
 * file: the devices it measured, else its defaults fitted; into v, with the
 * source's name. */
static const char *base_values(const winsum_context *ctx, const ws_tunable_set *set, int *v)
{
    char why[400];
    for (const ws_tunable_device *d = set->measured; d && d->device; d++)
        if (strstr(ctx->device_name, d->device) &&
            !ws_tunables_invalid(ctx, set, d->values, why, sizeof why)) {
            memcpy(v, d->values, (size_t)set->n * sizeof *v);
            return "built-in table";
        }
    for (int i = 0; i < set->n; i++)
        v[i] = ctx->cpu_like ? set->params[i].cpu_default : set->params[i].gpu_default;
    if (set->fit) set->fit(ctx, v);
    return "defaults";
}

void ws_choose_params(winsum_context *ctx)
{
    char notes[sizeof ctx->tuning_source] = "", why[400], dir[PATH_MAX], name[64];
    char *text = NULL;
    int dirfd = ws_cache_open(ctx, dir, sizeof dir);
    if (dirfd >= 0) {
        ws_params_file_name(ctx, name, sizeof name);
        size_t len = 0;
        text = ws_cache_read(dirfd, name, 1 << 16, &len, why, sizeof why);
        int absent = !text && errno == ENOENT;
        close(dirfd);
        if (!text && !absent) note(notes, sizeof notes, "%s/%s ignored: %s", dir, name, why);
    } else if (dirfd == -1) {
        note(notes, sizeof notes, "disk cache %s", ctx->cache_info);
    }
    int total = 0;
    for (int k = 0; ws_tunable_sets[k]; k++) total += ws_tunable_sets[k]->n;
    if (total > WS_MAX_TUNABLES) abort(); /* a family's table outgrew ctx->tunables */
    char first[sizeof ctx->tuning_source] = "";
    for (int k = 0; ws_tunable_sets[k]; k++) {
        const ws_tunable_set *set = ws_tunable_sets[k];
        int v[WS_MAX_TUNABLES];
        const char *src = base_values(ctx, set, v);
        char srcbuf[PATH_MAX + 96];
        const char *env = set->env ? getenv(set->env) : NULL;
        int done = 0;
        if (env && *env) {
            /* an explicit override that does not fit is ignored like a bad
             * file, and the reason goes into the source */
            int w[WS_MAX_TUNABLES];
            const char *bad = tunables_parse_list(set, env, w, why, sizeof why);
            if (!bad) bad = ws_tunables_invalid(ctx, set, w, why, sizeof why);
            if (!bad) {
                memcpy(v, w, sizeof w);
                src = set->env;
                done = 1;
            } else {
                note(notes, sizeof notes, "%s=%.80s%s ignored: %s", set->env, env,
                     strlen(env) > 80 ? "..." : "", bad);
            }
        }
        if (!done && text) {
            int lines = 0, r = tuned_values(ctx, set, text, v, &lines, why, sizeof why);
            if (r > 0) {
                snprintf(srcbuf, sizeof srcbuf, "tuned (%s/%s)", dir, name);
                src = srcbuf;
            } else if (r < 0) {
                note(notes, sizeof notes, "%s/%s ignored: %s", dir, name, why);
            } else if (!lines && k == 0) {
                note(notes, sizeof notes, "%s/%s ignored: no parameter line", dir, name);
            }
        }
        ws_tunables_set(ctx, set, v, src);
        if (k == 0) snprintf(first, sizeof first, "%s", src);
    }
    free(text);
    /* the first set's source, then the notes (as much of them as fits) */
    snprintf(ctx->tuning_source, sizeof ctx->tuning_source, "%s", first);
    const size_t at = strlen(ctx->tuning_source);
    snprintf(ctx->tuning_source + at, sizeof ctx->tuning_source - at, "%s", notes);
}

winsum_status ws_tunables_store(winsum_context *ctx, const char *comment)
{
    char dir[PATH_MAX], name[64], src[sizeof ctx->tuning_source];
    int dirfd = ws_cache_open(ctx, dir, sizeof dir);
    if (dirfd < 0) { /* no (trusted) cache folder: this context only */
        snprintf(src, sizeof src, "tuned (this context only; disk cache %.4500s)", ctx->cache_info);
        snprintf(ctx->tuning_source, sizeof ctx->tuning_source, "%s", src);
        return WINSUM_OK;
    }
    ws_params_file_name(ctx, name, sizeof name);
    char text[8192];
    int n = snprintf(text, sizeof text, "%s", comment);
    for (int k = 0; ws_tunable_sets[k] && n >= 0 && (size_t)n < sizeof text; k++) {
        const ws_tunable_set *set = ws_tunable_sets[k];
        const int *v = ws_tuned(ctx, set);
        n += snprintf(text + n, sizeof text - (size_t)n, "%s", set->family);
        for (int i = 0; i < set->n && (size_t)n < sizeof text; i++)
            n += snprintf(text + n, sizeof text - (size_t)n, " %s=%d", set->params[i].name, v[i]);
        if ((size_t)n < sizeof text) n += snprintf(text + n, sizeof text - (size_t)n, "\n");
    }
    int failed =
        n < 0 || (size_t)n >= sizeof text || ws_cache_write(dirfd, name, text, (size_t)n) != 0;
    int err = errno;
    close(dirfd);
    if (failed)
        return ws_fail(&ctx->err, WINSUM_ERR_IO, "tune: cannot write %s/%s: %s", dir, name,
                       strerror(err));
    snprintf(ctx->tuning_source, sizeof ctx->tuning_source, "tuned (%s/%s)", dir, name);
    return WINSUM_OK;
}

const char *winsum_tuning_source(const winsum_context *ctx)
{
    if (!ctx) return "";
    return ctx->be->kernels ? ctx->tuning_source : "reference backend";
}

const char *winsum_tuning_params(const winsum_context *ctx)
{
    return ctx && ctx->be->kernels ? ctx->tuning_text : "";
}
