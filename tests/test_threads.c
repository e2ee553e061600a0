/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_threads.c - contexts on several threads at once: each thread has its
 * own context and runs einsums and convolutions concurrently; all of them
 * start cold and share one disk cache folder, so their program builds and
 * cache writes race. Every result must match the reference computed before.
 * Then threads share ONE context: einsums (two and three operands), the
 * convolution, plans made, run and destroyed, and enough distinct shapes to
 * churn the context's plan cache, all interleaved; each thread's errors
 * must come back to it from winsum_last_error. Run under ThreadSanitizer by
 * `make check-tsan` (part of make test).
 */
#include "testutil.h"
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NTHREADS 3
#define ROUNDS   12
#define NJOBS    4

static const char *subs[NJOBS] = {"ij,jk->ik", "bij,bjk->bik", "ij->ji", "conv"};
static float *inputs[NJOBS][2], *expected[NJOBS];
static int64_t in_shape[NJOBS][2][4], out_shape[NJOBS][4];
static int in_rank[NJOBS][2], out_rank[NJOBS], nops[NJOBS];

static size_t count(const int64_t *s, int r)
{
    size_t n = 1;
    for (int i = 0; i < r; i++) n *= (size_t)s[i];
    return n;
}

static winsum_conv_desc conv_desc(void)
{
    winsum_conv_desc d;
    winsum_conv_desc_init(&d);
    d.stride[0] = d.stride[1] = 2;
    d.pad_lo[0] = d.pad_lo[1] = d.pad_hi[0] = d.pad_hi[1] = 1;
    return d;
}

/* runs job j on ctx with host data, returns the output (malloc'd) */
static float *run_job(winsum_context *ctx, int j, winsum_status *st)
{
    winsum_buffer b[3];
    winsum_view v[3];
    for (int k = 0; k < nops[j]; k++) {
        size_t bytes = count(in_shape[j][k], in_rank[j][k]) * 4;
        winsum_buffer_alloc(ctx, bytes, &b[k]);
        winsum_buffer_write(ctx, &b[k], 0, inputs[j][k], bytes);
        v[k] = winsum_view_contiguous(&b[k], WINSUM_F32, in_rank[j][k], in_shape[j][k]);
    }
    size_t obytes = count(out_shape[j], out_rank[j]) * 4;
    winsum_buffer_alloc(ctx, obytes, &b[2]);
    v[2] = winsum_view_contiguous(&b[2], WINSUM_F32, out_rank[j], out_shape[j]);
    if (j == 3) {
        winsum_conv_desc d = conv_desc();
        *st = winsum_conv_forward(ctx, &d, &v[0], &v[1], NULL, &v[2], 1, 0);
    } else {
        *st = winsum_einsum(ctx, subs[j], nops[j], v, &v[2], 1, 0);
    }
    float *out = malloc(obytes);
    winsum_buffer_read(ctx, &b[2], 0, out, obytes);
    for (int k = 0; k < nops[j]; k++) winsum_buffer_free(ctx, &b[k]);
    winsum_buffer_free(ctx, &b[2]);
    return out;
}

static double compare(int j, const float *got)
{
    double worst = 0;
    size_t n = count(out_shape[j], out_rank[j]);
    for (size_t i = 0; i < n; i++)
        if (!(fabs(got[i] - expected[j][i]) <= worst)) worst = fabs(got[i] - expected[j][i]);
    return worst;
}

static long failures[NTHREADS];

static void *worker(void *arg)
{
    long id = (long)arg;
    winsum_context *ctx;
    if (winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL)) {
        fprintf(stderr, "thread %ld: %s\n", id, winsum_last_error(NULL));
        failures[id]++;
        return NULL;
    }
    for (int r = 0; r < ROUNDS; r++) {
        int j = (int)((r + id) % NJOBS);
        winsum_status st;
        float *out = run_job(ctx, j, &st);
        if (st != WINSUM_OK || compare(j, out) > 1e-4) {
            failures[id]++;
            fprintf(stderr, "thread %ld job %s: %s %s error %g\n", id, subs[j],
                    winsum_status_string(st), st ? winsum_last_error(ctx) : "",
                    st ? 0.0 : compare(j, out));
        }
        free(out);
    }
    winsum_context_destroy(ctx);
    return NULL;
}

/* ---------------------------------------------- threads on one context */

#define SHARED_THREADS 3
#define SHARED_ROUNDS  24

static winsum_context *shared;
static pthread_barrier_t shared_barrier;
static long shared_failures[SHARED_THREADS];

#define SHARED_FAIL(id, ...)                                 \
    do {                                                     \
        shared_failures[id]++;                               \
        fprintf(stderr, "shared context, thread %ld: ", id); \
        fprintf(stderr, __VA_ARGS__);                        \
        fprintf(stderr, "\n");                               \
    } while (0)

/* A chain of products of random matrices whose sizes depend on (id, r), so
 * that the threads' plans differ and outnumber the plan cache: the threads
 * evict each other's plans. nops 2: ij,jk->ik, einsum; nops 3:
 * ij,jk,kl->il (an intermediate between two kernels), through a plan of
 * the thread's own, made, run twice and destroyed. */
static void shared_chain(long id, int r, int nops, uint64_t *rng)
{
    int64_t d[4] = {2 + (r * 7 + id * 5) % 19, 1 + (r * 3 + id) % 11, 3 + (r + id * 2) % 13,
                    1 + (r * 5 + id * 3) % 9};
    int64_t sh[3][2] = {{d[0], d[1]}, {d[1], d[2]}, {d[2], d[3]}}, osh[2] = {d[0], d[nops]};
    float *h[3], *got;
    winsum_buffer b[4];
    winsum_view v[4];
    winsum_status st = WINSUM_OK;
    for (int k = 0; k < nops; k++) {
        size_t n = (size_t)(sh[k][0] * sh[k][1]);
        h[k] = malloc(n * 4);
        for (size_t i = 0; i < n; i++) h[k][i] = (float)tu_uniform(rng);
        if (!st) st = winsum_buffer_alloc(shared, n * 4, &b[k]);
        if (!st) st = winsum_buffer_write(shared, &b[k], 0, h[k], n * 4);
        v[k] = winsum_view_contiguous(&b[k], WINSUM_F32, 2, sh[k]);
    }
    size_t on = (size_t)(osh[0] * osh[1]);
    got = malloc(on * 4);
    if (!st) st = winsum_buffer_alloc(shared, on * 4, &b[3]);
    v[3] = winsum_view_contiguous(&b[3], WINSUM_F32, 2, osh);
    const char *subs = nops == 2 ? "ij,jk->ik" : "ij,jk,kl->il";
    if (!st && nops == 2) {
        st = winsum_einsum(shared, subs, 2, v, &v[3], 1, 0);
    } else if (!st) {
        winsum_plan *p = NULL;
        st = winsum_plan_create(shared, &p, subs, 3, v, &v[3]);
        if (!st) st = winsum_plan_execute(p, NULL, NULL, 0.5, 0, NULL);
        if (!st) st = winsum_plan_execute(p, NULL, NULL, 0.5, 1, NULL); /* 0.5 + 0.5 */
        winsum_plan_destroy(p);
    }
    if (!st) st = winsum_buffer_read(shared, &b[3], 0, got, on * 4);
    if (st) {
        SHARED_FAIL(id, "%s (%lld,%lld,%lld,%lld): %s %s", subs, (long long)d[0], (long long)d[1],
                    (long long)d[2], (long long)d[3], winsum_status_string(st),
                    winsum_last_error(shared));
    } else {
        double worst = 0, scale = 1;
        for (int64_t i = 0; i < osh[0]; i++)
            for (int64_t l = 0; l < osh[1]; l++) {
                double want = 0;
                if (nops == 2)
                    for (int64_t j = 0; j < d[1]; j++)
                        want += (double)h[0][i * d[1] + j] * h[1][j * d[2] + l];
                else
                    for (int64_t j = 0; j < d[1]; j++)
                        for (int64_t k = 0; k < d[2]; k++)
                            want += (double)h[0][i * d[1] + j] * h[1][j * d[2] + k] *
                                    h[2][k * d[3] + l];
                double e = fabs(got[i * osh[1] + l] - want);
                if (!(e <= worst)) worst = e;
            }
        scale = (double)d[1] * (nops == 3 ? (double)d[2] : 1);
        if (!(worst <= 1e-5 * scale))
            SHARED_FAIL(id, "%s (%lld,%lld,%lld,%lld): error %g", subs, (long long)d[0],
                        (long long)d[1], (long long)d[2], (long long)d[3], worst);
    }
    for (int k = 0; k < nops; k++) {
        winsum_buffer_free(shared, &b[k]);
        free(h[k]);
    }
    winsum_buffer_free(shared, &b[3]);
    free(got);
}

static void *shared_worker(void *arg)
{
    long id = (long)arg;
    uint64_t rng = 77 + (uint64_t)id;
    for (int r = 0; r < SHARED_ROUNDS; r++) {
        /* the jobs of the first part, with their reference results */
        int j = (int)((r + id) % NJOBS);
        winsum_status st;
        float *out = run_job(shared, j, &st);
        if (st != WINSUM_OK || compare(j, out) > 1e-4)
            SHARED_FAIL(id, "job %s: %s %s error %g", subs[j], winsum_status_string(st),
                        st ? winsum_last_error(shared) : "", st ? 0.0 : compare(j, out));
        free(out);
        shared_chain(id, r, 2 + r % 2, &rng);
        /* an error of this thread's own: after every thread has had one,
         * each reads its own message, not the last thread's */
        winsum_buffer b;
        char byte[1], want[96];
        size_t off = 1000 + 100 * (size_t)id + (size_t)r;
        st = winsum_buffer_alloc(shared, 16, &b);
        if (!st) {
            st = winsum_buffer_read(shared, &b, off, byte, 1);
            winsum_buffer_free(shared, &b);
        }
        pthread_barrier_wait(&shared_barrier);
        snprintf(want, sizeof want, "bytes %zu..%zu are outside", off, off + 1);
        const char *m = winsum_last_error(shared);
        if (st != WINSUM_ERR_BOUNDS || !strstr(m, want))
            SHARED_FAIL(id, "own error: %s, message \"%s\", expected \"%s\"",
                        winsum_status_string(st), m, want);
        pthread_barrier_wait(&shared_barrier);
    }
    return NULL;
}

static void setup(int j, int n, const int64_t (*shapes)[4], const int *ranks)
{
    nops[j] = n;
    uint64_t rng = 1000 + (uint64_t)j;
    for (int k = 0; k < n; k++) {
        in_rank[j][k] = ranks[k];
        memcpy(in_shape[j][k], shapes[k], sizeof shapes[k]);
        size_t c = count(shapes[k], ranks[k]);
        inputs[j][k] = malloc(c * 4);
        for (size_t i = 0; i < c; i++) inputs[j][k][i] = (float)tu_uniform(&rng);
    }
}

int main(void)
{
    char dir[] = "/tmp/winsum-threads-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    setenv("WINSUM_CACHE_DIR", dir, 1);
    static const int64_t s0[2][4] = {{40, 30}, {30, 50}}, s1[2][4] = {{3, 20, 10}, {3, 10, 30}},
                         s2[1][4] = {{33, 17}}, s3[2][4] = {{2, 3, 11, 9}, {5, 3, 3, 3}};
    static const int r0[2] = {2, 2}, r1[2] = {3, 3}, r2[1] = {2}, r3[2] = {4, 4};
    setup(0, 2, s0, r0);
    setup(1, 2, s1, r1);
    setup(2, 1, s2, r2);
    setup(3, 2, s3, r3);
    int64_t o0[2] = {40, 50}, o1[3] = {3, 20, 30}, o2[2] = {17, 33}, o3[4];
    winsum_conv_desc d = conv_desc();
    winsum_conv_output_shape(&d, 4, s3[0], s3[1], o3, NULL, 0);
    const int64_t *os[4] = {o0, o1, o2, o3};
    int orank[4] = {2, 3, 2, 4};
    for (int j = 0; j < NJOBS; j++) {
        out_rank[j] = orank[j];
        memcpy(out_shape[j], os[j], sizeof(int64_t) * (size_t)orank[j]);
    }
    /* the expected results, from the reference backend */
    winsum_context *ref;
    CHECK_STATUS(winsum_context_create(&ref, WINSUM_BACKEND_REF, NULL), WINSUM_OK);
    for (int j = 0; j < NJOBS; j++) {
        winsum_status st;
        expected[j] = run_job(ref, j, &st);
        CHECK_STATUS(st, WINSUM_OK);
    }
    winsum_context_destroy(ref);
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < NTHREADS; i++)
        CHECK_MSG(failures[i] == 0, "thread %d: %ld wrong or failed results", i, failures[i]);
    printf("%d threads x %d rounds, %ld programs built by this process\n", NTHREADS, ROUNDS,
           winsum_program_builds());
    /* threads on one context */
    CHECK_STATUS(winsum_context_create(&shared, WINSUM_BACKEND_OPENCL, NULL), WINSUM_OK);
    if (shared) {
        pthread_t ts[SHARED_THREADS];
        pthread_barrier_init(&shared_barrier, NULL, SHARED_THREADS);
        for (long i = 0; i < SHARED_THREADS; i++)
            pthread_create(&ts[i], NULL, shared_worker, (void *)i);
        for (int i = 0; i < SHARED_THREADS; i++) pthread_join(ts[i], NULL);
        pthread_barrier_destroy(&shared_barrier);
        for (int i = 0; i < SHARED_THREADS; i++)
            CHECK_MSG(shared_failures[i] == 0, "shared context, thread %d: %ld failures", i,
                      shared_failures[i]);
        /* a thread that had no error on the context reads the latest of any */
        CHECK(strstr(winsum_last_error(shared), "are outside the buffer") != NULL);
        winsum_context_destroy(shared);
        printf("%d threads x %d rounds on one context\n", SHARED_THREADS, SHARED_ROUNDS);
    }
    for (int j = 0; j < NJOBS; j++) {
        for (int k = 0; k < nops[j]; k++) free(inputs[j][k]);
        free(expected[j]);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return tu_finish("test_threads");
}
