/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/* args.h - the one option grammar of both tools (`winsum`, `winsum-bench`).
 *
 * Options are "--name VALUE" or "--name=VALUE" (and the short "-o FILE"),
 * anywhere among the positional arguments; "--" ends the options; "-h" and
 * "--help" ask for help. A word that starts with "--", or with "-" and a
 * letter, is an option; anything else is positional (so "->" and "" are
 * valid einsum subscripts, and "--alpha -2" takes -2 as its value).
 * Numbers are checked whole: no empty value, no trailing characters, and
 * integers within their range. Every error is one line on stderr,
 * "WHO: what", and the parser returns WS_EXIT_USAGE (2).
 */
#ifndef WINSUM_TOOLS_ARGS_H
#define WINSUM_TOOLS_ARGS_H

enum { WS_EXIT_USAGE = 2 };

typedef enum ws_opt_kind {
    WS_OPT_FLAG,   /* no value; dst: int *, set to 1 */
    WS_OPT_STRING, /* dst: const char ** */
    WS_OPT_INT,    /* dst: long long *, within [lo, hi] */
    WS_OPT_DOUBLE  /* dst: double *, finite */
} ws_opt_kind;

typedef struct ws_opt {
    const char *name; /* "--device", or "-o" */
    ws_opt_kind kind;
    void *dst;
    long long lo, hi; /* WS_OPT_INT */
} ws_opt;

#define WS_ARGS_MAX_POS 64

typedef struct ws_args {
    int npos;
    const char *pos[WS_ARGS_MAX_POS];
    int help; /* -h or --help was given */
} ws_args;

/* Parses argv[0..argc-1] against opts (terminated by a NULL name). who
 * names the command in messages ("winsum tune"); an unknown option's line
 * suggests the nearest known name and `WHO --help`. Returns 0, or
 * WS_EXIT_USAGE after printing one line. */
int ws_args_parse(const char *who, int argc, char **argv, const ws_opt *opts, ws_args *a);

/* A whole decimal integer in [lo, hi] (what: the option, for the message). */
int ws_args_int(const char *who, const char *what, const char *s, long long lo, long long hi,
                long long *v);
/* A whole finite floating-point number. */
int ws_args_double(const char *who, const char *what, const char *s, double *v);

/* Prints "WHO: <formatted>" as one line on stderr; returns WS_EXIT_USAGE. */
int ws_args_error(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 1 when stderr is a terminal (where progress may be drawn). */
int ws_stderr_is_tty(void);

#endif
