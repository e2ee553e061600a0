/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_engine.c - the OpenCL runtime around the kernels: plans executed many
 * times on new buffers without rebuilding anything; the disk cache found by
 * a second process, and corrupt or truncated entries rebuilt rather than
 * trusted; device selection by index and name; wrapping the caller's
 * cl_context and queue; events; buffer checks at execution; float16
 * outputs rounded once.
 */
#include "testutil.h"
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static double matmul_err(winsum_context *ctx, winsum_plan *p, int n, uint64_t *rng,
                         const winsum_buffer *A, const winsum_buffer *B, const winsum_buffer *C)
{
    size_t bytes = (size_t)n * n * sizeof(float);
    float *a = malloc(bytes), *b = malloc(bytes), *c = malloc(bytes);
    for (int i = 0; i < n * n; i++) a[i] = (float)tu_uniform(rng), b[i] = (float)tu_uniform(rng);
    winsum_buffer_write(ctx, A, 0, a, bytes);
    winsum_buffer_write(ctx, B, 0, b, bytes);
    const winsum_buffer *in[2] = {A, B};
    winsum_status st = winsum_plan_execute(p, in, C, 1.0, 0.0, NULL);
    winsum_buffer_read(ctx, C, 0, c, bytes);
    double worst = st ? INFINITY : 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++) {
            double s = 0;
            for (int j = 0; j < n; j++) s += (double)a[i * n + j] * b[j * n + k];
            if (fabs(s - c[i * n + k]) > worst) worst = fabs(s - c[i * n + k]);
        }
    free(a), free(b), free(c);
    return worst;
}

/* float16 storage: a GEMM with K = 3000 (many K blocks) must give every
 * element within one half ulp of the exact result rounded to half, as a
 * float sum rounded once does. Rounding the running sum to half after each
 * K block of 256 (what a kernel adding its blocks into C would do) misses
 * that on about a fifth of the elements (checked with numpy). `tiles`
 * (WINSUM_GETT) picks the kernel family: NULL for the device's own. */
static void f16_rounding(const char *tiles, uint64_t *rng)
{
    if (tiles) setenv("WINSUM_GETT", tiles, 1);
    winsum_context *ctx = NULL, *ref = NULL;
    winsum_status st = winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL);
    if (tiles) unsetenv("WINSUM_GETT");
    CHECK_STATUS(st, WINSUM_OK);
    CHECK_STATUS(winsum_context_create(&ref, WINSUM_BACKEND_REF, NULL), WINSUM_OK);
    if (st || !ref) {
        winsum_context_destroy(ref);
        return;
    }
    if (tiles) CHECK(strcmp(winsum_tuning_params(ctx), tiles) == 0);
    enum { M = 37, N = 70, K = 3000 };
    uint16_t *a = malloc(sizeof *a * M * K), *b = malloc(sizeof *b * K * N),
             *c = malloc(sizeof *c * M * N), *r = malloc(sizeof *r * M * N);
    for (int i = 0; i < M * K; i++) a[i] = winsum_f16_from_double(tu_uniform(rng));
    for (int i = 0; i < K * N; i++) b[i] = winsum_f16_from_double(tu_uniform(rng));
    winsum_buffer ha = winsum_buffer_host(a, sizeof *a * M * K),
                  hb = winsum_buffer_host(b, sizeof *b * K * N),
                  hr = winsum_buffer_host(r, sizeof *r * M * N), da, db, dc;
    const int64_t sa[2] = {M, K}, sb[2] = {K, N}, sc[2] = {M, N};
    winsum_view v[2] = {winsum_view_contiguous(&ha, WINSUM_F16, 2, sa),
                        winsum_view_contiguous(&hb, WINSUM_F16, 2, sb)};
    winsum_view vr = winsum_view_contiguous(&hr, WINSUM_F16, 2, sc);
    CHECK_STATUS(winsum_einsum(ref, "ik,kj->ij", 2, v, &vr, 1.0, 0.0), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_alloc(ctx, ha.bytes, &da), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_alloc(ctx, hb.bytes, &db), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_alloc(ctx, hr.bytes, &dc), WINSUM_OK);
    winsum_buffer_write(ctx, &da, 0, a, ha.bytes);
    winsum_buffer_write(ctx, &db, 0, b, hb.bytes);
    v[0].buffer = &da;
    v[1].buffer = &db;
    winsum_view vc = winsum_view_contiguous(&dc, WINSUM_F16, 2, sc);
    /* twice: beta = 0, then beta = 0.5 on top of the reference's result
     * (both sides start from the same halves) */
    for (int pass = 0; pass < 2; pass++) {
        double beta = pass ? 0.5 : 0.0;
        if (pass) {
            winsum_buffer_write(ctx, &dc, 0, r, hr.bytes);
            v[0].buffer = &ha;
            v[1].buffer = &hb;
            CHECK_STATUS(winsum_einsum(ref, "ik,kj->ij", 2, v, &vr, 1.0, beta), WINSUM_OK);
            v[0].buffer = &da;
            v[1].buffer = &db;
        }
        CHECK_STATUS(winsum_einsum(ctx, "ik,kj->ij", 2, v, &vc, 1.0, beta), WINSUM_OK);
        CHECK_STATUS(winsum_buffer_read(ctx, &dc, 0, c, hr.bytes), WINSUM_OK);
        int off = 0, same = 0;
        for (int i = 0; i < M * N; i++) {
            double x = winsum_f16_to_double(r[i]), y = winsum_f16_to_double(c[i]);
            /* one half ulp at x: the distance to the next half away from zero */
            uint16_t up = (uint16_t)(r[i] + 1);
            double ulp = fabs(winsum_f16_to_double(up) - x);
            /* plus 2^-13 for the float sum: a near-zero result can lose more
             * than its own tiny ulp to float rounding of its partial sums (about
             * 2^-24 * 30 * sqrt(3000) here), while rounding those partial sums to
             * half loses about 2^-7 */
            if (!(fabs(x - y) <= ulp + 0x1p-13)) {
                off++;
                printf("element %d: %.9g, reference %.9g\n", i, y, x);
            }
            same += r[i] == c[i];
        }
        printf("float16 GEMM %dx%dx%d beta %g (%s): %d of %d elements equal the reference, %d "
               "beyond one ulp\n",
               M, N, K, beta, winsum_tuning_params(ctx), same, M * N, off);
        CHECK(off == 0);
        CHECK(same > M * N * 9 / 10);
    }
    winsum_buffer_free(ctx, &da);
    winsum_buffer_free(ctx, &db);
    winsum_buffer_free(ctx, &dc);
    free(a), free(b), free(c), free(r);
    winsum_context_destroy(ctx);
    winsum_context_destroy(ref);
}

/* 'nkm,nkp->mp' with n = 8, k = 4096 and a 5 x 40 output: one work-group's
 * worth of output and K = 32768, so on a CPU-like device the plan splits K
 * along n (a GETT into an 8 x 5 x 40 intermediate, then a unary sum with
 * alpha and beta). Checked against a double loop; the plan must say so. */
static void split_k(winsum_context *ctx, uint64_t *rng)
{
    enum { NN = 8, KK = 4096, MM = 5, PP = 40 };
    size_t na = (size_t)NN * KK * MM, nb = (size_t)NN * KK * PP;
    float *a = malloc(na * 4), *b = malloc(nb * 4), c[MM * PP], c0[MM * PP];
    for (size_t i = 0; i < na; i++) a[i] = (float)tu_uniform(rng);
    for (size_t i = 0; i < nb; i++) b[i] = (float)tu_uniform(rng);
    for (int i = 0; i < MM * PP; i++) c0[i] = (float)tu_uniform(rng);
    winsum_buffer da, db, dc;
    CHECK_STATUS(winsum_buffer_alloc(ctx, na * 4, &da), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_alloc(ctx, nb * 4, &db), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_alloc(ctx, sizeof c, &dc), WINSUM_OK);
    winsum_buffer_write(ctx, &da, 0, a, na * 4);
    winsum_buffer_write(ctx, &db, 0, b, nb * 4);
    winsum_buffer_write(ctx, &dc, 0, c0, sizeof c0);
    const int64_t sa[3] = {NN, KK, MM}, sb[3] = {NN, KK, PP}, sc[2] = {MM, PP};
    winsum_view v[2] = {winsum_view_contiguous(&da, WINSUM_F32, 3, sa),
                        winsum_view_contiguous(&db, WINSUM_F32, 3, sb)};
    winsum_view vc = winsum_view_contiguous(&dc, WINSUM_F32, 2, sc);
    winsum_plan *p = NULL;
    CHECK_STATUS(winsum_plan_create(ctx, &p, "nkm,nkp->mp", 2, v, &vc), WINSUM_OK);
    if (p) {
        const char *d = winsum_plan_describe(p);
        printf("%s", d);
        if (strstr(winsum_context_device_name(ctx), "Portable Computing Language"))
            CHECK_MSG(strstr(d, "K split along 'n'") != NULL, "no K split on PoCL");
        CHECK_STATUS(winsum_plan_execute(p, NULL, NULL, 0.75, -0.5, NULL), WINSUM_OK);
        winsum_plan_destroy(p);
    }
    CHECK_STATUS(winsum_buffer_read(ctx, &dc, 0, c, sizeof c), WINSUM_OK);
    double worst = 0;
    for (int m = 0; m < MM; m++)
        for (int q = 0; q < PP; q++) {
            double sum = 0;
            for (int n = 0; n < NN; n++)
                for (int k = 0; k < KK; k++)
                    sum +=
                        (double)a[((size_t)n * KK + k) * MM + m] * b[((size_t)n * KK + k) * PP + q];
            double want = 0.75 * sum - 0.5 * c0[m * PP + q];
            if (fabs(want - c[m * PP + q]) > worst) worst = fabs(want - c[m * PP + q]);
        }
    printf("split K: max error %g\n", worst);
    CHECK(worst < 1e-3);
    winsum_buffer_free(ctx, &da);
    winsum_buffer_free(ctx, &db);
    winsum_buffer_free(ctx, &dc);
    free(a), free(b);
}

static void plan_reuse(winsum_context *ctx, uint64_t *rng)
{
    int n = 37;
    size_t bytes = (size_t)n * n * 4;
    winsum_buffer bufs[6];
    for (int i = 0; i < 6; i++) CHECK_STATUS(winsum_buffer_alloc(ctx, bytes, &bufs[i]), WINSUM_OK);
    int64_t sh[2] = {n, n};
    winsum_view a = winsum_view_contiguous(&bufs[0], WINSUM_F32, 2, sh),
                b = winsum_view_contiguous(&bufs[1], WINSUM_F32, 2, sh),
                c = winsum_view_contiguous(&bufs[2], WINSUM_F32, 2, sh);
    winsum_view ops[2] = {a, b};
    winsum_plan *p = NULL;
    CHECK_STATUS(winsum_plan_create(ctx, &p, "ij,jk->ik", 2, ops, &c), WINSUM_OK);
    printf("%s", winsum_plan_describe(p));
    long builds = winsum_program_builds();
    for (int r = 0; r < 20; r++) {
        int o = (r % 2) * 3; /* alternate between two sets of buffers */
        double err = matmul_err(ctx, p, n, rng, &bufs[o], &bufs[o + 1], &bufs[o + 2]);
        CHECK_MSG(err < 1e-4, "execution %d: error %g", r, err);
    }
    CHECK_MSG(winsum_program_builds() == builds, "plan execution rebuilt %ld programs",
              winsum_program_builds() - builds);
    /* a too-small replacement buffer is refused, and nothing is written */
    winsum_buffer small;
    CHECK_STATUS(winsum_buffer_alloc(ctx, bytes / 2, &small), WINSUM_OK);
    const winsum_buffer *in[2] = {&small, NULL};
    CHECK_STATUS(winsum_plan_execute(p, in, NULL, 1, 0, NULL), WINSUM_ERR_BOUNDS);
    /* an output that is one of the inputs is refused */
    const winsum_buffer *in2[2] = {&bufs[0], &bufs[1]};
    CHECK_STATUS(winsum_plan_execute(p, in2, &bufs[0], 1, 0, NULL), WINSUM_ERR_ALIAS);
    /* a host buffer given to the OpenCL backend */
    float hostmem[4];
    winsum_buffer hb = winsum_buffer_host(hostmem, sizeof hostmem);
    const winsum_buffer *in3[2] = {&hb, NULL};
    CHECK_STATUS(winsum_plan_execute(p, in3, NULL, 1, 0, NULL), WINSUM_ERR_CONTEXT);
    /* events: the last command's event, which completes */
    cl_event ev = NULL;
    CHECK_STATUS(winsum_plan_execute(p, NULL, NULL, 2.0, 0.0, &ev), WINSUM_OK);
    CHECK(ev != NULL);
    if (ev) {
        CHECK(clWaitForEvents(1, &ev) == CL_SUCCESS);
        clReleaseEvent(ev);
    }
    winsum_plan_destroy(p);
    winsum_buffer_free(ctx, &small);
    size_t cur = 0;
    for (int i = 0; i < 6; i++) winsum_buffer_free(ctx, &bufs[i]);
    winsum_memory_usage(ctx, &cur, NULL);
    /* the plan cache of winsum_einsum may still hold tables: clear by a new context later */
    printf("device memory still held by winsum: %zu bytes\n", cur);
}

/* child mode: one small einsum, prints the number of programs built */
static int child(void)
{
    winsum_context *ctx;
    if (winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL)) return 3;
    float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {1, 0, -1}, c[2] = {0, 0};
    winsum_buffer A, B, C;
    winsum_buffer_alloc(ctx, sizeof a, &A);
    winsum_buffer_alloc(ctx, sizeof b, &B);
    winsum_buffer_alloc(ctx, sizeof c, &C);
    winsum_buffer_write(ctx, &A, 0, a, sizeof a);
    winsum_buffer_write(ctx, &B, 0, b, sizeof b);
    int64_t sa[2] = {2, 3}, sb[1] = {3}, sc[1] = {2};
    winsum_view ops[2] = {winsum_view_contiguous(&A, WINSUM_F32, 2, sa),
                          winsum_view_contiguous(&B, WINSUM_F32, 1, sb)};
    winsum_view out = winsum_view_contiguous(&C, WINSUM_F32, 1, sc);
    winsum_status st = winsum_einsum(ctx, "ij,j->i", 2, ops, &out, 1, 0);
    winsum_buffer_read(ctx, &C, 0, c, sizeof c);
    printf("builds=%ld status=%d c=%g,%g\n", winsum_program_builds(), (int)st, c[0], c[1]);
    winsum_buffer_free(ctx, &A);
    winsum_buffer_free(ctx, &B);
    winsum_buffer_free(ctx, &C);
    winsum_context_destroy(ctx);
    return st == WINSUM_OK && c[0] == -2 && c[1] == -2 ? 0 : 4;
}

static long run_child(const char *self, const char *dir)
{
    char cmd[2048];
    /* on: also where the driver keeps its own (PoCL: host/runtime/program.c) */
    snprintf(cmd, sizeof cmd, "WINSUM_PROGRAM_CACHE=on WINSUM_CACHE_DIR='%s' '%s' --child", dir,
             self);
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    char line[256] = "";
    long builds = -1;
    if (fgets(line, sizeof line, f)) sscanf(line, "builds=%ld", &builds);
    int rc = pclose(f);
    CHECK_MSG(rc == 0, "child failed: %s", line);
    return builds;
}

/* mangles every file in dir: mode 0 flips bytes in the middle, 1 truncates */
static int mangle_cache(const char *dir, int mode)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r+b");
        if (!f) continue;
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        if (mode == 0) {
            fseek(f, size / 2, SEEK_SET);
            fwrite("garbage!", 1, 8, f);
            fclose(f);
        } else {
            fclose(f);
            if (truncate(path, size / 3) != 0) continue;
        }
        n++;
    }
    if (d) closedir(d);
    return n;
}

static void disk_cache(const char *self)
{
    char dir[] = "/tmp/winsum-cache-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    long first = run_child(self, dir), second = run_child(self, dir);
    printf("disk cache: first process built %ld programs, second %ld\n", first, second);
    CHECK(first >= 1);
    CHECK(second == 0);
    CHECK(mangle_cache(dir, 0) >= 1);
    CHECK_MSG(run_child(self, dir) >= 1, "a corrupted entry must be rebuilt");
    CHECK(run_child(self, dir) == 0);
    CHECK(mangle_cache(dir, 1) >= 1);
    CHECK_MSG(run_child(self, dir) >= 1, "a truncated entry must be rebuilt");
    char cmd[2100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    /* off: nothing is written */
    CHECK(run_child(self, "off") >= 1);
}

static void devices(void)
{
    int n = winsum_device_count();
    CHECK(n >= 1);
    char name[512];
    int gpu = 0;
    CHECK_STATUS(winsum_device_info(0, name, sizeof name, &gpu), WINSUM_OK);
    printf("device 0: %s (%s)\n", name, gpu ? "GPU" : "not a GPU");
    CHECK_STATUS(winsum_device_info(n, name, sizeof name, &gpu), WINSUM_ERR_NO_DEVICE);
    winsum_context *ctx = NULL;
    CHECK_STATUS(winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, "0"), WINSUM_OK);
    winsum_context_destroy(ctx);
    CHECK_STATUS(winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, "portable"), WINSUM_OK);
    winsum_context_destroy(ctx);
    CHECK_STATUS(winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, "no-such-device"),
                 WINSUM_ERR_NO_DEVICE);
    CHECK_STATUS(winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, "99"), WINSUM_ERR_NO_DEVICE);
    CHECK_STATUS(winsum_context_create(&ctx, WINSUM_BACKEND_REF, NULL), WINSUM_OK);
    CHECK(winsum_context_backend(ctx) == WINSUM_BACKEND_REF);
    winsum_context_destroy(ctx);
    winsum_context_destroy(NULL);
}

/* the caller's own cl_context, queue and buffers (with an offset) */
static void wrapped(void)
{
    cl_device_id dev;
    cl_int err;
    cl_context cc = tu_own_cl_context(&dev);
    CHECK(cc != NULL);
    cl_command_queue q = clCreateCommandQueue(cc, dev, 0, &err);
    winsum_context *ctx = NULL;
    CHECK_STATUS(winsum_context_create_cl(&ctx, cc, q), WINSUM_OK);
    float data[10] = {9, 9, 1, 2, 3, 4, 9, 9, 9, 9}, out[4] = {0};
    cl_mem m =
        clCreateBuffer(cc, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof data, data, &err);
    cl_mem mo = clCreateBuffer(cc, CL_MEM_READ_WRITE, sizeof out, NULL, &err);
    winsum_buffer b = winsum_buffer_device(m, sizeof data),
                  bo = winsum_buffer_device(mo, sizeof out);
    int64_t sh[2] = {2, 2}, st[2] = {2, 1};
    winsum_view v = winsum_view_strided(&b, WINSUM_F32, 2, 2, sh, st); /* [[1,2],[3,4]] */
    winsum_view o = winsum_view_contiguous(&bo, WINSUM_F32, 2, sh);
    CHECK_STATUS(winsum_einsum(ctx, "ij->ji", 1, &v, &o, 1, 0), WINSUM_OK);
    clEnqueueReadBuffer(q, mo, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL);
    CHECK(out[0] == 1 && out[1] == 3 && out[2] == 2 && out[3] == 4);
    /* a buffer of another context is refused */
    winsum_context *other = NULL;
    CHECK_STATUS(winsum_context_create(&other, WINSUM_BACKEND_OPENCL, NULL), WINSUM_OK);
    CHECK_STATUS(winsum_einsum(other, "ij->ji", 1, &v, &o, 1, 0), WINSUM_ERR_CONTEXT);
    printf("refused: %s\n", winsum_last_error(other));
    winsum_context_destroy(other);
    winsum_context_destroy(ctx);
    clReleaseMemObject(m);
    clReleaseMemObject(mo);
    clReleaseCommandQueue(q);
    clReleaseContext(cc);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--child") == 0) return child();
    uint64_t rng = tu_seed(7);
    winsum_context *ctx = NULL;
    winsum_status st = winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL);
    CHECK_STATUS(st, WINSUM_OK);
    if (st) return tu_finish("test_engine");
    plan_reuse(ctx, &rng);
    split_k(ctx, &rng);
    winsum_context_destroy(ctx);
    f16_rounding(NULL, &rng);
    f16_rounding("1,1,8,32,8,32,256,16", &rng); /* one vector micro-tile per work-group */
    f16_rounding("16,16,4,4,64,64,16,1", &rng); /* the GPU family */
    devices();
    wrapped();
    disk_cache(argv[0]);
    return tu_finish("test_engine");
}
