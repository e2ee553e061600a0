/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * cli.h - what the files of the `winsum` tool share: exit codes, reports,
 * the options every command takes, the job, the help texts and the
 * subcommands that live in files of their own.
 */
#ifndef WINSUM_CLI_H
#define WINSUM_CLI_H

#include "args.h"
#include "npy.h"
#include "winsum.h"

#include <stdint.h>

enum { EXIT_INPUT = 1, EXIT_USAGE = 2 };

#define MAX_OPERANDS 32 /* einsum operands the CLI takes */

/* Options every command takes (see tools/common/args.h for the grammar). */
typedef struct common_opts {
    const char *backend, *device, *output;
} common_opts;

#define COMMON_OPTIONS(c)                                                                         \
    {"--backend", WS_OPT_STRING, &(c).backend, 0, 0},                                             \
        {"--device", WS_OPT_STRING, &(c).device, 0, 0}, {"-o", WS_OPT_STRING, &(c).output, 0, 0}, \
    {                                                                                             \
        "--output", WS_OPT_STRING, &(c).output, 0, 0                                              \
    }
#define OPTS_END                      \
    {                                 \
        NULL, WS_OPT_FLAG, NULL, 0, 0 \
    }

#define MAX_ARRAYS (MAX_OPERANDS + 2)

/* What one computing command holds: the arrays it read, the context and the
 * buffers it made. job_free() releases everything. */
typedef struct job {
    const char *who;
    winsum_context *ctx;
    winsum_dtype dtype; /* of every operand after job_unify(), and the output */
    int narr;
    ws_npy arr[MAX_ARRAYS];
    int nbuf;
    winsum_buffer buf[MAX_ARRAYS + 1];
} job;

/* Prints "who: <formatted>" as one line on stderr (newlines in messages,
 * e.g. build logs, become "; ") and returns code. */
int report(int code, const char *who, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A library failure: "who: WINSUM_ERR_X: message". */
int report_status(const char *who, winsum_status st, const char *msg);
/* The help text of a command on stdout; exit 0. */
int help(const char *text);
/* A decimal integer >= 0 spanning [s, end). */
int parse_count(const char *s, const char *end, int64_t *v);
/* A comma-separated list of integers >= 0 (at most max). With hi != NULL an
 * entry may be "LO:HI"; a plain entry sets hi = lo. Returns the count, or -1
 * for a malformed list. */
int cli_parse_list(const char *s, int max, int64_t *lo, int64_t *hi);
/* --backend opencl|ref|auto (NULL: auto); reports and returns 2 otherwise. */
int parse_backend(const char *who, const char *s, winsum_backend *b);
/* Releases everything the job holds. */
void job_free(job *j);
/* Reads a .npy file; returns its array, or NULL after reporting. */
ws_npy *job_load(job *j, const char *path);
/* numpy's order of the float dtypes: float16 < float32 < float64. */
int dtype_rank(winsum_dtype d);
/* The output dtype is the widest of the inputs'; narrower inputs are
 * converted element by element (same layout, so the strides still hold). */
int job_unify(job *j);
/* Creates the context the options ask for. */
int job_context(job *j, const common_opts *c);
/* Reports a library failure with the context's message; job_check: the same
 * when st is an error, else 0. */
int job_fail(job *j, winsum_status st);
int job_check(job *j, winsum_status st);
/* A new buffer of the context's kind, remembered for job_free(). */
int job_buffer(job *j, size_t bytes, winsum_buffer **b);
/* Uploads a's raw bytes and makes a view with the file's strides (a Fortran
 * array stays column-major: a strided view, not a copy). */
int job_upload(job *j, const ws_npy *a, winsum_view *v);
/* A contiguous output buffer and view of the given shape. */
int job_output(job *j, int ndim, const int64_t *shape, winsum_view *v);
/* Reads the computed output back and writes it to path. */
int job_save(job *j, const winsum_view *v, const char *path);

/* The help texts (help.c). */
extern const char usage_text[];
extern const char devices_help[];
extern const char version_help[];
extern const char einsum_help[];
extern const char conv_help[];
extern const char conv_forward_help[];
extern const char conv_backward_data_help[];
extern const char conv_backward_weight_help[];
extern const char conv_backward_bias_help[];
extern const char conv_transpose_help[];

/* The subcommands in files of their own: `winsum conv ...` (argv[0] is the
 * conv subcommand) and `winsum tune ...` (argv[0] is "tune"). */
int cmd_conv(int argc, char **argv);
int ws_cli_tune(int argc, char **argv);

#endif
