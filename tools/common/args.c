/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/* args.c - the option grammar of both tools; see args.h. */
#include "args.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ws_args_error(const char *who, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    fprintf(stderr, "%s: %s\n", who, line);
    return WS_EXIT_USAGE;
}

int ws_stderr_is_tty(void) { return isatty(STDERR_FILENO); }

int ws_args_int(const char *who, const char *what, const char *s, long long lo, long long hi,
                long long *v)
{
    char *end = NULL;
    errno = 0;
    long long r = 0;
    /* digits only (an optional minus), no spaces, no '+', no hex */
    int shape_ok =
        s && *s && (s[0] == '-' ? s[1] >= '0' && s[1] <= '9' : s[0] >= '0' && s[0] <= '9');
    if (shape_ok) r = strtoll(s, &end, 10);
    if (!shape_ok || *end || errno == ERANGE || r < lo || r > hi) {
        if (hi == LLONG_MAX)
            return ws_args_error(who, "%s takes an integer >= %lld, not '%s'", what, lo,
                                 s ? s : "");
        return ws_args_error(who, "%s takes an integer from %lld to %lld, not '%s'", what, lo, hi,
                             s ? s : "");
    }
    *v = r;
    return 0;
}

int ws_args_double(const char *who, const char *what, const char *s, double *v)
{
    char *end = NULL;
    errno = 0;
    double r = 0;
    int shape_ok = s && *s && !strchr(" \t\n", s[0]);
    if (shape_ok) r = strtod(s, &end);
    if (!shape_ok || end == s || *end || errno == ERANGE || !isfinite(r))
        return ws_args_error(who, "%s takes a finite number, not '%s'", what, s ? s : "");
    *v = r;
    return 0;
}

/* Levenshtein distance of a[0..la) and b, capped at 9. */
static int distance(const char *a, size_t la, const char *b)
{
    size_t lb = strlen(b);
    if (la > 40 || lb > 40) return 9;
    int d[41][41];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            d[i][j] = best;
        }
    return d[la][lb] > 9 ? 9 : d[la][lb];
}

static int is_option(const char *arg)
{
    if (arg[0] != '-') return 0;
    if (arg[1] == '-') return arg[2] != 0; /* "--" alone ends the options */
    return (arg[1] >= 'a' && arg[1] <= 'z') || (arg[1] >= 'A' && arg[1] <= 'Z');
}

static int unknown(const char *who, const char *arg, size_t len, const ws_opt *opts)
{
    const char *best = NULL;
    int bd = 9;
    for (const ws_opt *o = opts; o->name; o++) {
        int d = distance(arg, len, o->name);
        /* a prefix of a known name counts as near too */
        if (len >= 3 && strncmp(o->name, arg, len) == 0) d = 1;
        if (d < bd) bd = d, best = o->name;
    }
    if (best && bd <= 2)
        return ws_args_error(who, "unknown option '%.*s' (did you mean %s? see %s --help)",
                             (int)len, arg, best, who);
    return ws_args_error(who, "unknown option '%.*s' (see %s --help)", (int)len, arg, who);
}

static int set_value(const char *who, const ws_opt *o, const char *v)
{
    switch (o->kind) {
    case WS_OPT_STRING: *(const char **)o->dst = v; return 0;
    case WS_OPT_INT: return ws_args_int(who, o->name, v, o->lo, o->hi, (long long *)o->dst);
    case WS_OPT_DOUBLE: return ws_args_double(who, o->name, v, (double *)o->dst);
    default: return 0;
    }
}

int ws_args_parse(const char *who, int argc, char **argv, const ws_opt *opts, ws_args *a)
{
    memset(a, 0, sizeof *a);
    int only_positional = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (only_positional || !is_option(arg)) {
            if (strcmp(arg, "--") == 0 && !only_positional) {
                only_positional = 1;
                continue;
            }
            if (a->npos == WS_ARGS_MAX_POS)
                return ws_args_error(who, "too many arguments (at most %d)", WS_ARGS_MAX_POS);
            a->pos[a->npos++] = arg;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            a->help = 1;
            continue;
        }
        const char *eq = arg[1] == '-' ? strchr(arg, '=') : NULL;
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        const ws_opt *o = opts;
        while (o->name && !(strlen(o->name) == len && strncmp(o->name, arg, len) == 0)) o++;
        if (!o->name) return unknown(who, arg, len, opts);
        if (o->kind == WS_OPT_FLAG) {
            if (eq) return ws_args_error(who, "%s takes no value (got '%s')", o->name, eq + 1);
            *(int *)o->dst = 1;
            continue;
        }
        const char *v;
        if (eq) {
            v = eq + 1;
        } else {
            if (i + 1 >= argc) return ws_args_error(who, "%s needs a value", o->name);
            v = argv[++i];
        }
        if (set_value(who, o, v)) return WS_EXIT_USAGE;
    }
    return 0;
}
