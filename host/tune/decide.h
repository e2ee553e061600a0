/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * decide.h - the tuner's decision rule (decide.c), apart from the timing so
 * that a test can check it on synthetic samples: a challenger replaces the
 * incumbent only when its median beats the incumbent's by more than the
 * spread of the samples, and, for alternating (paired) runs, only when it was
 * faster in most pairs. Pure: no OpenCL, no context, no clock.
 */
#ifndef WINSUM_TUNE_DECIDE_H
#define WINSUM_TUNE_DECIDE_H

#include <stddef.h>

/* A win under 1% is not worth a change even when the samples agree exactly:
 * the spread is never taken as smaller than this. */
#define WS_TUNE_MIN_SPREAD 0.01

typedef struct ws_tune_verdict {
    double a_median, b_median; /* incumbent (a) and challenger (b): median score */
    double a_spread, b_spread; /* each one's interquartile range / median */
    double spread;             /* the larger of the two, at least WS_TUNE_MIN_SPREAD */
    double margin;             /* b_median / a_median - 1: > 0 when the challenger is faster */
    int pairs;                 /* alternating pairs compared (0: unpaired samples) */
    int b_wins;                /* pairs in which the challenger scored higher */
    int take;                  /* 1: the challenger won by more than the spread */
} ws_tune_verdict;

/* Quartiles of x[0..n-1] (n >= 1; x is not changed), linear between order
 * statistics: q[0] the first quartile, q[1] the median, q[2] the third. */
void ws_tune_quartiles(const double *x, int n, double q[3]);

/* Decides between the incumbent's scores a[0..na-1] and the challenger's
 * b[0..nb-1] (higher is better, e.g. GFLOP/s). paired: a[i] and b[i] come
 * from the i-th pair of alternating runs (na == nb). The challenger is taken
 * when margin > spread and, paired, when it won more than half the pairs;
 * a tie, a loss or a win inside the spread keeps the incumbent. Returns 0,
 * or -1 (and take = 0) when an argument is NULL, a count is below 1, the
 * paired counts differ, or a score is not a positive finite number (a run
 * that failed). */
int ws_tune_decide(const double *a, int na, const double *b, int nb, int paired,
                   ws_tune_verdict *v);

/* The verdict as one sentence that says how sure it is, e.g. "took the
 * challenger: 15.0% faster, spread 4.0% (median 69.0 vs 60.0 GFLOP/s,
 * faster in 8 of 8 alternating pairs)" or "kept the incumbent: the
 * challenger's 3.0% is inside the 8.0% spread (...)". unit names the
 * scores ("GFLOP/s"). Returns what snprintf returns. */
int ws_tune_explain(const ws_tune_verdict *v, const char *unit, char *buf, size_t len);

#endif
