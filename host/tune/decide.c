/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * decide.c - the tuner's decision rule (see decide.h): medians, relative
 * interquartile ranges, and a challenger taken only when it wins by more
 * than that spread.
 */
#include "decide.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* the p-quantile of sorted s[0..n-1], linear between order statistics */
static double quantile(const double *s, int n, double p)
{
    double at = p * (n - 1);
    int i = (int)at;
    if (i >= n - 1) return s[n - 1];
    return s[i] + (at - i) * (s[i + 1] - s[i]);
}

void ws_tune_quartiles(const double *x, int n, double q[3])
{
    double small[64], *s = n <= 64 ? small : malloc((size_t)n * sizeof *s);
    if (!s) { /* cannot sort a copy: the middle sample stands for all three */
        q[0] = q[1] = q[2] = x[n / 2];
        return;
    }
    memcpy(s, x, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    q[0] = quantile(s, n, 0.25);
    q[1] = quantile(s, n, 0.5);
    q[2] = quantile(s, n, 0.75);
    if (s != small) free(s);
}

static int valid(const double *x, int n)
{
    if (!x || n < 1) return 0;
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i]) || x[i] <= 0) return 0;
    return 1;
}

int ws_tune_decide(const double *a, int na, const double *b, int nb, int paired, ws_tune_verdict *v)
{
    if (!v) return -1;
    memset(v, 0, sizeof *v);
    if (!valid(a, na) || !valid(b, nb) || (paired && na != nb)) return -1;
    double qa[3], qb[3];
    ws_tune_quartiles(a, na, qa);
    ws_tune_quartiles(b, nb, qb);
    v->a_median = qa[1];
    v->b_median = qb[1];
    v->a_spread = (qa[2] - qa[0]) / qa[1];
    v->b_spread = (qb[2] - qb[0]) / qb[1];
    v->spread = fmax(WS_TUNE_MIN_SPREAD, fmax(v->a_spread, v->b_spread));
    v->margin = qb[1] / qa[1] - 1;
    if (paired) {
        v->pairs = na;
        for (int i = 0; i < na; i++) v->b_wins += b[i] > a[i];
    }
    v->take = v->margin > v->spread && (!paired || 2 * v->b_wins > v->pairs);
    return 0;
}

int ws_tune_explain(const ws_tune_verdict *v, const char *unit, char *buf, size_t len)
{
    char how[160];
    int n = snprintf(how, sizeof how, "median %.1f vs %.1f %s", v->b_median, v->a_median, unit);
    if (v->pairs && n >= 0 && (size_t)n < sizeof how)
        snprintf(how + n, sizeof how - (size_t)n, ", faster in %d of %d alternating pairs",
                 v->b_wins, v->pairs);
    double m = 100 * v->margin, s = 100 * v->spread;
    if (v->take)
        return snprintf(buf, len, "took the challenger: %.1f%% faster, spread %.1f%% (%s)", m, s,
                        how);
    if (v->margin > v->spread) /* ahead by the medians, not in most pairs */
        return snprintf(buf, len,
                        "kept the incumbent: the challenger's %.1f%% is outside the %.1f%% "
                        "spread but it won only %d of %d pairs (%s)",
                        m, s, v->b_wins, v->pairs, how);
    if (v->margin > 0)
        return snprintf(
            buf, len,
            "kept the incumbent: the challenger's %.1f%% is inside the %.1f%% spread (%s)", m, s,
            how);
    if (v->margin == 0)
        return snprintf(buf, len,
                        "kept the incumbent: the challenger is no faster, spread %.1f%% (%s)", s,
                        how);
    return snprintf(buf, len,
                    "kept the incumbent: the challenger is %.1f%% slower, spread %.1f%% (%s)", -m,
                    s, how);
}
