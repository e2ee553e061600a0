/*
 * test_threads.c - contexts on several threads at once: each thread has its
 * own context and runs einsums and convolutions concurrently; all of them
 * start cold and share one disk cache folder, so their program builds and
 * cache writes race. Every result must match the reference computed before.
 * Run under ThreadSanitizer by `make check-tsan` (part of make test).
 */
#include "testutil.h"
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NTHREADS 3
#define ROUNDS 12
#define NJOBS 4

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
    for (int j = 0; j < NJOBS; j++) {
        for (int k = 0; k < nops[j]; k++) free(inputs[j][k]);
        free(expected[j]);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return tu_finish("test_threads");
}
