/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * driver.h - what the files of the one-layer driver share (driver.c: the
 * setting, the parsing of shapes and lists, the help texts; driver_conv.c;
 * driver_einsum.c).
 */
#ifndef WINSUM_BENCH_DRIVER_H
#define WINSUM_BENCH_DRIVER_H

#include "args.h"
#include "bench.h"

/* A reference call of more than this many flops is skipped (about 5 s). */
#define REF_MAX_FLOPS 1e9

/* The options every driver command takes. */
typedef struct drv_common {
    const char *dtype, *device;
    long long reps;
    int quiet;
} drv_common;

#define DRV_COMMON_OPTS(c)                                                                        \
    {"--dtype", WS_OPT_STRING, &(c).dtype, 0, 0}, {"--reps", WS_OPT_INT, &(c).reps, 1, MAX_REPS}, \
        {"--device", WS_OPT_STRING, &(c).device, 0, 0},                                           \
    {                                                                                             \
        "--quiet", WS_OPT_FLAG, &(c).quiet, 0, 0                                                  \
    }

/* The bench with its contexts (NULL after printing one line). */
bench *drv_open(const char *who, const drv_common *c, winsum_dtype dt);
void drv_close(bench *b);
/* The lines before the results. */
void drv_header(const bench *b, const char *case_line);
/* One line per backend the driver ran or gave a reason for (winsum's
 * always), then the verdict; returns the exit code: 1 when winsum did not
 * run (why[B_WINSUM] says why), failed or mismatched. */
int drv_report(const bench *b, const row *r, const char *const why[NBACK]);
/* 0 when a tensor of `elems` elements of the bench's dtype fits in one
 * device buffer; else -1 after one line on stderr, with the reason in
 * *why (winsum's note: the driver then runs nothing). */
int drv_fits(bench *b, const char *who, const char *what, int64_t elems, const char **why);
/* Integers >= lo separated by sep (at most max): the count, or -1. */
int int_list(const char *s, char sep, int max, long long lo, int64_t *v);
/* "v" when every one of v[0..n-1] is equal, else "v0,v1,.." (sep ','). */
void list_text(const int64_t *v, int n, char *out, size_t len);
/* "v0<sep>v1<sep>..": a shape as the options spell it. */
void shape_text(const int64_t *v, int n, char sep, char *out, size_t len);
/* A per-axis option (1 or ns values) into v; 0, or 2 after a message. */
int axis_opt(const char *who, const char *name, const char *s, int ns, long long lo, int64_t *v);
/* --padding: P[,P..], LO:HI[,LO:HI..] or same. */
int padding_opt(const char *who, const char *s, int ns, winsum_conv_desc *d);
/* The descriptor's padding as --padding spells it (the canonical form). */
void padding_text(const winsum_conv_desc *d, char *out, size_t len);
/* The number of elements of a shape into *e: 0, or -1 when the product
 * overflows int64. */
int drv_elems(const int64_t *s, int n, int64_t *e);

extern const char drv_conv_help[];
extern const char *const drv_conv_op_help[3];
extern const char drv_einsum_help[];

/* winsum-bench conv ... / winsum-bench einsum ... (argv[0] is "conv" or
 * "einsum"). */
int drv_conv(int argc, char **argv);
int drv_einsum(int argc, char **argv);

#endif
