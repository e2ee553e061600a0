/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/* test_tune_decide.c - the tuner's decision rule (host/tune/decide.c) on
 * synthetic samples: a clear win is taken, a win inside the noise is not, a
 * loss is not, a tie keeps the incumbent, alternating pairs must mostly go
 * the challenger's way, failed runs and bad arguments are refused; the
 * quartiles; the sentences that say how sure it is; and, over many
 * simulated comparisons, that equal parameters are rarely swapped and a 3%
 * loss almost never taken on a busy machine, while a real win (30% there,
 * 10% on a quiet machine) is mostly or always taken. */
#include "decide.h"
#include "testutil.h"
#include <math.h>
#include <string.h>

static ws_tune_verdict decide(const double *a, const double *b, int n, int paired)
{
    ws_tune_verdict v;
    int rc = ws_tune_decide(a, n, b, n, paired, &v);
    CHECK(rc == 0);
    return v;
}

static void explain_has(const ws_tune_verdict *v, const char *want)
{
    char buf[400];
    ws_tune_explain(v, "GFLOP/s", buf, sizeof buf);
    CHECK_MSG(strstr(buf, want) != NULL, "'%s' lacks '%s'", buf, want);
}

static void quartiles(void)
{
    double q[3];
    const double five[5] = {5, 1, 4, 2, 3};
    ws_tune_quartiles(five, 5, q);
    CHECK(q[0] == 2 && q[1] == 3 && q[2] == 4);
    CHECK(five[0] == 5 && five[1] == 1); /* the input is not sorted in place */
    const double four[4] = {4, 1, 3, 2};
    ws_tune_quartiles(four, 4, q);
    CHECK(fabs(q[0] - 1.75) < 1e-12 && fabs(q[1] - 2.5) < 1e-12 && fabs(q[2] - 3.25) < 1e-12);
    const double one[1] = {7};
    ws_tune_quartiles(one, 1, q);
    CHECK(q[0] == 7 && q[1] == 7 && q[2] == 7);
    double many[100]; /* more than decide.c sorts on the stack */
    for (int i = 0; i < 100; i++) many[i] = 99 - i;
    ws_tune_quartiles(many, 100, q);
    CHECK(fabs(q[0] - 24.75) < 1e-12 && fabs(q[1] - 49.5) < 1e-12 && fabs(q[2] - 74.25) < 1e-12);
}

static void rules(void)
{
    /* the incumbent: about 100 GFLOP/s, a quartile spread of about 3% */
    const double a[8] = {100, 102, 98, 101, 99, 100, 103, 97};
    double b[8];
    ws_tune_verdict v;

    /* a clear win: 15% faster in every pair */
    for (int i = 0; i < 8; i++) b[i] = a[i] * 1.15;
    v = decide(a, b, 8, 1);
    CHECK_MSG(v.take, "margin %.3f spread %.3f", v.margin, v.spread);
    CHECK(fabs(v.margin - 0.15) < 1e-9 && v.b_wins == 8 && v.pairs == 8);
    CHECK(fabs(v.a_median - 100) < 1e-9 && v.spread > 0.02 && v.spread < 0.05);
    explain_has(&v, "took the challenger: 15.0% faster, spread ");
    explain_has(&v, "median 115.0 vs 100.0 GFLOP/s, faster in 8 of 8 alternating pairs");

    /* a win inside the noise: 3% ahead, but the runs spread by 20% */
    const double noisy[8] = {100, 80, 120, 90, 110, 95, 105, 85};
    for (int i = 0; i < 8; i++) b[i] = noisy[(i + 3) % 8] * 1.03;
    v = decide(noisy, b, 8, 1);
    CHECK_MSG(!v.take, "margin %.3f spread %.3f", v.margin, v.spread);
    CHECK(v.margin > 0.02 && v.margin < 0.04 && v.spread > 0.15);
    explain_has(&v, "kept the incumbent: the challenger's 3.0% is inside the ");

    /* the same 3% with a 1% spread is a win */
    const double tight[8] = {100, 100.5, 99.5, 100, 100.2, 99.8, 100, 100};
    for (int i = 0; i < 8; i++) b[i] = tight[i] * 1.03;
    v = decide(tight, b, 8, 1);
    CHECK_MSG(v.take, "margin %.3f spread %.3f", v.margin, v.spread);

    /* a loss: 10% slower */
    for (int i = 0; i < 8; i++) b[i] = a[i] * 0.9;
    v = decide(a, b, 8, 1);
    CHECK(!v.take && v.margin < 0 && v.b_wins == 0);
    explain_has(&v, "kept the incumbent: the challenger is 10.0% slower, spread ");

    /* ties keep the incumbent: the same samples, and identical runs */
    v = decide(a, a, 8, 1);
    CHECK(!v.take && v.margin == 0 && v.b_wins == 0);
    explain_has(&v, "kept the incumbent: the challenger is no faster");
    const double flat[6] = {100, 100, 100, 100, 100, 100};
    v = decide(flat, flat, 6, 1);
    CHECK(!v.take && v.spread == WS_TUNE_MIN_SPREAD);

    /* with no spread at all, a win must still pass the 1% floor */
    const double half[6] = {100.5, 100.5, 100.5, 100.5, 100.5, 100.5},
                 five[6] = {105, 105, 105, 105, 105, 105};
    v = decide(flat, half, 6, 1);
    CHECK(!v.take && v.b_wins == 6);
    v = decide(flat, five, 6, 1);
    CHECK(v.take);

    /* ahead by the medians and beyond the spread, but faster in only 5 of
     * 10 alternating pairs: kept when paired, taken when not */
    const double pa[10] = {100, 100, 100, 100, 100, 100, 100, 100, 300, 300},
                 pb[10] = {90, 90, 90, 150, 150, 150, 150, 150, 200, 200};
    v = decide(pa, pb, 10, 1);
    CHECK_MSG(!v.take && v.margin > v.spread && v.b_wins == 5, "margin %.3f spread %.3f wins %d",
              v.margin, v.spread, v.b_wins);
    explain_has(&v, "but it won only 5 of 10 pairs");
    v = decide(pa, pb, 10, 0);
    CHECK(v.take && v.pairs == 0);

    /* unpaired samples of different counts */
    ws_tune_verdict u;
    CHECK(ws_tune_decide(a, 8, five, 6, 0, &u) == 0 && u.take && u.pairs == 0);
    char buf[300];
    ws_tune_explain(&u, "GFLOP/s", buf, sizeof buf);
    CHECK_MSG(!strstr(buf, "pairs"), "%s", buf);
}

static void bad_input(void)
{
    const double a[4] = {100, 101, 99, 100}, failed[4] = {100, 0, 99, 100},
                 neg[4] = {100, -1, 99, 100}, nan[4] = {100, NAN, 99, 100},
                 inf[4] = {100, INFINITY, 99, 100}, big[4] = {200, 200, 200, 200};
    ws_tune_verdict v;
    CHECK(ws_tune_decide(a, 4, big, 4, 1, &v) == 0 && v.take);
    CHECK(ws_tune_decide(a, 4, big, 4, 1, NULL) == -1);
    CHECK(ws_tune_decide(NULL, 4, big, 4, 1, &v) == -1 && !v.take);
    CHECK(ws_tune_decide(a, 4, NULL, 4, 1, &v) == -1 && !v.take);
    CHECK(ws_tune_decide(a, 0, big, 4, 0, &v) == -1 && !v.take);
    CHECK(ws_tune_decide(a, 4, big, 0, 0, &v) == -1 && !v.take);
    CHECK(ws_tune_decide(a, 4, big, 3, 1, &v) == -1 && !v.take); /* pairs must match */
    const double *bad[4] = {failed, neg, nan, inf};
    for (int i = 0; i < 4; i++) {
        CHECK(ws_tune_decide(a, 4, bad[i], 4, 1, &v) == -1 && !v.take);
        CHECK(ws_tune_decide(bad[i], 4, big, 4, 1, &v) == -1 && !v.take);
    }
}

/* a busy machine: a run is slowed by 0-20% at random, and one run in six by
 * another process taking a core (1.5-2x slower) */
static double busy_run(uint64_t *rng, double speed)
{
    double slow = 1 + 0.1 * (tu_uniform(rng) + 1);
    if (tu_range(rng, 0, 5) == 0) slow *= 1.75 + 0.25 * tu_uniform(rng);
    return speed / slow;
}

static void simulated(void)
{
    uint64_t rng = tu_seed(14);
    enum { TRIALS = 2000, PAIRS = 8 };
    int swapped_equal = 0, took_faster = 0, took_slower = 0;
    for (int t = 0; t < TRIALS; t++) {
        double a[PAIRS], b[PAIRS], c[PAIRS], d[PAIRS];
        for (int i = 0; i < PAIRS; i++) {
            a[i] = busy_run(&rng, 100);
            b[i] = busy_run(&rng, 100);
            c[i] = busy_run(&rng, 130);
            d[i] = busy_run(&rng, 97);
        }
        ws_tune_verdict v;
        swapped_equal += ws_tune_decide(a, PAIRS, b, PAIRS, 1, &v) == 0 && v.take;
        took_faster += ws_tune_decide(a, PAIRS, c, PAIRS, 1, &v) == 0 && v.take;
        took_slower += ws_tune_decide(a, PAIRS, d, PAIRS, 1, &v) == 0 && v.take;
    }
    printf("simulated busy machine, %d trials of %d pairs: equal parameters swapped %d times, "
           "a 3%% loss taken %d times, a 30%% win taken %d times\n",
           TRIALS, PAIRS, swapped_equal, took_slower, took_faster);
    CHECK_MSG(swapped_equal < TRIALS * 3 / 100, "equal swapped %d of %d", swapped_equal, TRIALS);
    CHECK_MSG(took_slower < TRIALS / 100, "slower taken %d of %d", took_slower, TRIALS);
    CHECK_MSG(took_faster > TRIALS * 7 / 10, "faster taken %d of %d", took_faster, TRIALS);

    /* a quiet machine (runs within 0-3%): a 10% win is a win */
    int quiet_equal = 0, quiet_faster = 0;
    for (int t = 0; t < TRIALS; t++) {
        double a[PAIRS], b[PAIRS], c[PAIRS];
        for (int i = 0; i < PAIRS; i++) {
            a[i] = 100 / (1 + 0.015 * (tu_uniform(&rng) + 1));
            b[i] = 100 / (1 + 0.015 * (tu_uniform(&rng) + 1));
            c[i] = 110 / (1 + 0.015 * (tu_uniform(&rng) + 1));
        }
        ws_tune_verdict v;
        quiet_equal += ws_tune_decide(a, PAIRS, b, PAIRS, 1, &v) == 0 && v.take;
        quiet_faster += ws_tune_decide(a, PAIRS, c, PAIRS, 1, &v) == 0 && v.take;
    }
    printf("simulated quiet machine: equal parameters swapped %d times, a 10%% win taken %d "
           "times\n",
           quiet_equal, quiet_faster);
    CHECK_MSG(quiet_equal < TRIALS / 20, "equal swapped %d of %d", quiet_equal, TRIALS);
    CHECK_MSG(quiet_faster == TRIALS, "faster taken %d of %d", quiet_faster, TRIALS);
}

int main(void)
{
    quartiles();
    rules();
    bad_input();
    simulated();
    return tu_finish("test_tune_decide");
}
