/*
 * overhead.c - the overhead suite: the host cost of a call on operands so
 * small that the kernel costs next to nothing: 'i,i->' on 4 float32
 * elements in device buffers, through a plan made once
 * (winsum_plan_execute) and through winsum_einsum (which finds that plan in
 * its cache). Each API is warmed up, then timed in R
 * batches (the median over batches is reported):
 *  - OVH_CALLS calls with no finish between them, then one winsum_finish:
 *    OVH_HOST, the calling thread's CPU time per call until the last call
 *    returned (CLOCK_THREAD_CPUTIME_ID: the host time per call beyond the
 *    kernel), and OVH_WALL, the wall time per call until the finish
 *    returned (the queue drained);
 *  - OVH_FINISH_CALLS times call + winsum_finish: OVH_FINISH_WALL, the wall
 *    time per call.
 * The result is checked against the exact dot product afterwards.
 */
#include "bench.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define OVH_WARMUP 100

typedef struct ovh_call {
    winsum_context *ctx;
    winsum_plan *plan;
    winsum_view v[3]; /* a, b, out */
} ovh_call;

/* One call, no finish: the plan made once... */
static int ovh_plan_execute(void *arg, char *err, size_t n)
{
    ovh_call *a = arg;
    return call_failed(a->ctx, winsum_plan_execute(a->plan, NULL, NULL, 1.0, 0.0, NULL),
                       "winsum_plan_execute", err, n);
}

/* ...or winsum_einsum, which looks the plan up in its cache. */
static int ovh_einsum(void *arg, char *err, size_t n)
{
    ovh_call *a = arg;
    return call_failed(a->ctx, winsum_einsum(a->ctx, "i,i->", 2, a->v, &a->v[2], 1.0, 0.0),
                       "winsum_einsum", err, n);
}

const ovh_api ovh_apis[OVH_NAPIS] = {
    [OVH_PLAN_EXECUTE] = {"plan_execute", "winsum_plan_execute", ovh_plan_execute},
    [OVH_EINSUM] = {"einsum", "winsum_einsum (cache hit)", ovh_einsum}};

const char *const ovh_mode_csv[OVH_NMODES] = {"host_us", "wall_us", "finish_wall_us"};

static double thread_cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* `calls` calls of fn (each followed by winsum_finish when finish_each),
 * then one winsum_finish. Per call: the thread's CPU ms until the last call
 * returned, and the wall ms until the last finish returned. */
static int ovh_batch(call_fn fn, ovh_call *a, int calls, int finish_each, double *cpu_ms,
                     double *wall_ms, char *err, size_t n)
{
    double w0 = now_ms(), c0 = thread_cpu_ms();
    for (int i = 0; i < calls; i++) {
        if (fn(a, err, n)) return -1;
        if (finish_each && call_failed(a->ctx, winsum_finish(a->ctx), "winsum_finish", err, n))
            return -1;
    }
    double c1 = thread_cpu_ms();
    if (call_failed(a->ctx, winsum_finish(a->ctx), "winsum_finish", err, n)) return -1;
    *cpu_ms = (c1 - c0) / calls;
    *wall_ms = (now_ms() - w0) / calls;
    return 0;
}

/* Times API `api` into b->ovh[api] and checks what it wrote to `out`
 * (want: the exact result). */
static void ovh_api_bench(bench *b, ovh_call *a, const winsum_buffer *out, int api, float want)
{
    const ovh_api *p = &ovh_apis[api];
    ovh_result *res = &b->ovh[api];
    double t[OVH_NMODES][MAX_REPS], unused;
    char err[1024] = "", name[64];
    const float poison = -1e30f;
    int reps = b->reps;
    snprintf(name, sizeof name, "overhead_%s", p->csv);
    progress(b, "  %s ...\n", name);
    res->check = -1;
    int ok = !call_failed(b->ctx, winsum_buffer_write(b->ctx, out, 0, &poison, sizeof poison),
                          "winsum_buffer_write", err, sizeof err) &&
             !ovh_batch(p->fn, a, OVH_WARMUP, 0, &unused, &unused, err, sizeof err);
    for (int r = 0; r < reps && ok; r++)
        ok =
            !ovh_batch(p->fn, a, OVH_CALLS, 0, &t[OVH_HOST][r], &t[OVH_WALL][r], err, sizeof err) &&
            !ovh_batch(p->fn, a, OVH_FINISH_CALLS, 1, &unused, &t[OVH_FINISH_WALL][r], err,
                       sizeof err);
    float got = 0;
    if (ok)
        ok = !call_failed(b->ctx, winsum_buffer_read(b->ctx, out, 0, &got, sizeof got),
                          "winsum_buffer_read", err, sizeof err);
    if (!ok) {
        fprintf(stderr, "winsum-bench: %s winsum: %s\n", name, err);
        res->state = CELL_ERR;
        b->ws_errors++;
        return;
    }
    for (int m = 0; m < OVH_NMODES; m++) res->ms[m] = median(t[m], reps); /* sorts t[m] */
    res->host_spread_ms = t[OVH_HOST][reps - 1] - t[OVH_HOST][0];
    res->state = CELL_DONE;
    res->check = compare(name, WINSUM_F32, "winsum vs exact", &got, &want, 1, 4);
    if (!res->check) b->mismatches++;
}

void suite_overhead(bench *b)
{
    static const float x[4] = {1, 2, 3, 4}, y[4] = {0.5f, -1, 2, 0.25f};
    const float dot = 5.5f; /* exact in float32 */
    const int64_t four = 4;
    winsum_buffer dev[3];
    memset(dev, 0, sizeof dev);
    ovh_call a = {b->ctx, NULL, {{0}}};
    b->ovh_ran = 1;
    int ok = !dev_upload_bytes(b, "overhead", x, sizeof x, &dev[0]) &&
             !dev_upload_bytes(b, "overhead", y, sizeof y, &dev[1]) &&
             !dev_upload_bytes(b, "overhead", NULL, sizeof(float), &dev[2]);
    if (ok) {
        a.v[0] = winsum_view_contiguous(&dev[0], WINSUM_F32, 1, &four);
        a.v[1] = winsum_view_contiguous(&dev[1], WINSUM_F32, 1, &four);
        a.v[2] = winsum_view_contiguous(&dev[2], WINSUM_F32, 0, &four);
        winsum_status st = winsum_plan_create(b->ctx, &a.plan, "i,i->", 2, a.v, &a.v[2]);
        if (st) {
            fprintf(stderr, "winsum-bench: overhead: winsum_plan_create(\"i,i->\"): %s: %s\n",
                    winsum_status_string(st), winsum_last_error(b->ctx));
            b->ws_errors++;
            ok = 0;
        }
    }
    for (int api = 0; api < OVH_NAPIS; api++) {
        if (ok) ovh_api_bench(b, &a, &dev[2], api, dot);
        else b->ovh[api].state = CELL_ERR, b->ovh[api].check = -1;
    }
    winsum_plan_destroy(a.plan);
    for (int t = 0; t < 3; t++)
        if (dev[t].mem) winsum_buffer_free(b->ctx, &dev[t]);
}

/* The Python rows (bench/overhead.py, found like peers.py): winsum.einsum
 * from Python beside numpy's np.einsum, run by /usr/bin/python3 with this
 * run's --reps; its lines are printed as they come. Skipped with --quick
 * (it starts an interpreter and a context: seconds). */
void print_overhead_python(const bench *b)
{
    char script[PATH_MAX], dir[PATH_MAX], cmd[3 * PATH_MAX];
    if (b->quick) {
        printf("\npython: skipped (--quick)\n");
        return;
    }
    if (find_bench_file("overhead.py", WINSUM_BENCH_SOURCE_DIR, script, sizeof script)) {
        printf("\npython: n/a: overhead.py not found in <exe dir>/../share/winsum or %s\n",
               WINSUM_BENCH_SOURCE_DIR);
        return;
    }
    if (self_exe_path(dir, sizeof dir)) dir[0] = 0;
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    if (strchr(script, '\'') || strchr(dir, '\'') ||
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' --reps %d --exe-dir '%s' 2>&1", script,
                 b->reps, dir) >= (int)sizeof cmd) {
        printf("\npython: n/a: a path with a quote in it, or too long\n");
        return;
    }
    fflush(stdout);
    printf("\n");
    FILE *p = popen(cmd, "r");
    if (!p) {
        printf("python: n/a: cannot start /usr/bin/python3\n");
        return;
    }
    char line[1024];
    while (fgets(line, sizeof line, p)) fputs(line, stdout);
    int st = pclose(p);
    if (st) printf("python: overhead.py ended with status %d\n", st);
}
