/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * peers.c - the bench's peers, each optional at build time: OpenBLAS's GEMM
 * on the host (WINSUM_HAVE_OPENBLAS) and CLBlast on winsum's own device
 * and queue (WINSUM_HAVE_CLBLAST): its GEMM and its convolution routines.
 * The suites call the functions below whether a peer is built in or not;
 * one that is not, or that does not run in the bench's dtype, leaves its
 * cell n/a.
 */
#include "bench.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef WINSUM_HAVE_CLBLAST
#include <clblast_c.h>
#endif
#ifdef WINSUM_HAVE_OPENBLAS
#include <cblas.h>
#include <dlfcn.h>
#endif

/* ============================================================== OpenBLAS */

/* The variables this environment sets to pin OpenBLAS to a core type and
 * a cache size (AVX2 kernels at half speed on this AVX-512 CPU): the peers
 * run without them (OpenBLAS here, peers.py in pypeers.c), the tests and
 * CI keep them. */
const char *const peer_unset_vars[PEER_NUNSET] = {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"};

#ifdef WINSUM_HAVE_OPENBLAS
#ifndef WINSUM_OPENBLAS_PATH
#define WINSUM_OPENBLAS_PATH "libopenblas.so.0"
#endif
typedef void (*sgemm_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint,
                         blasint, blasint, float, const float *, blasint, const float *, blasint,
                         float, float *, blasint);
typedef void (*dgemm_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint,
                         blasint, blasint, double, const double *, blasint, const double *, blasint,
                         double, double *, blasint);
typedef char *(*text_fn)(void);

/* OpenBLAS, loaded by openblas_load (not linked: the library picks its
 * core when it is loaded, from the environment of that moment). */
static struct {
    int tried;
    void *lib;
    sgemm_fn sgemm;
    dgemm_fn dgemm;
    void (*shutdown)(void); /* blas_thread_shutdown_, or NULL */
    char text[240];         /* the header's line, or why it is n/a */
} ob;

void openblas_load(void)
{
    if (ob.tried++) return;
    char *saved[PEER_NUNSET];
    for (int i = 0; i < PEER_NUNSET; i++) {
        const char *v = getenv(peer_unset_vars[i]);
        saved[i] = v ? strdup(v) : NULL;
        unsetenv(peer_unset_vars[i]);
    }
    const char *path = WINSUM_OPENBLAS_PATH;
    ob.lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!ob.lib) ob.lib = dlopen(path = "libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    for (int i = 0; i < PEER_NUNSET; i++) {
        if (saved[i]) setenv(peer_unset_vars[i], saved[i], 1);
        free(saved[i]);
    }
    if (!ob.lib) {
        snprintf(ob.text, sizeof ob.text, "dlopen(%s): %s", WINSUM_OPENBLAS_PATH, dlerror());
        return;
    }
    *(void **)&ob.sgemm = dlsym(ob.lib, "cblas_sgemm");
    *(void **)&ob.dgemm = dlsym(ob.lib, "cblas_dgemm");
    /* OpenBLAS 0.3 exports it for fork(); its next call starts the threads again */
    *(void **)&ob.shutdown = dlsym(ob.lib, "blas_thread_shutdown_");
    text_fn core, config;
    *(void **)&core = dlsym(ob.lib, "openblas_get_corename");
    *(void **)&config = dlsym(ob.lib, "openblas_get_config");
    if (!ob.sgemm || !ob.dgemm) {
        snprintf(ob.text, sizeof ob.text, "%s has no cblas_sgemm/cblas_dgemm", path);
        dlclose(ob.lib);
        ob.lib = NULL;
        return;
    }
    const char *cfg = config ? config() : NULL;
    char ver[32] = "";
    if (cfg && !strncmp(cfg, "OpenBLAS ", 9)) sscanf(cfg + 9, "%31s", ver);
    snprintf(ob.text, sizeof ob.text, "%s, core %s (openblas_get_corename); %s, _L2_SIZE unset",
             ver, core ? core() : "unknown", peer_unset_vars[0]);
}

const char *openblas_text(void) { return ob.tried ? ob.text : NULL; }

/* C = A B, row-major, on host memory. */
typedef struct blas_call {
    winsum_dtype dtype;
    int m, n, k;
    const void *a, *b;
    void *c;
} blas_call;

static int run_blas(void *arg, char *err, size_t n)
{
    (void)err, (void)n;
    blas_call *a = arg;
    if (a->dtype == WINSUM_F64)
        ob.dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, a->m, a->n, a->k, 1.0, a->a, a->k, a->b,
                 a->n, 0.0, a->c, a->n);
    else
        ob.sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, a->m, a->n, a->k, 1.0f, a->a, a->k,
                 a->b, a->n, 0.0f, a->c, a->n);
    return 0;
}

void openblas_gemm_cell(bench *b, row *r, cell *c, int64_t m, int64_t n, int64_t k)
{
    if (b->na_why[B_OPENBLAS] || m > INT_MAX || n > INT_MAX || k > INT_MAX) {
        c->state = CELL_NA; /* not in this dtype, or too large for its int sizes */
        return;
    }
    /* the three matrices in host memory: more than the machine has is n/a */
    int64_t mk, kn, mn, all = 0;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (ws_mul_ovf(m, k, &mk) || ws_mul_ovf(k, n, &kn) || ws_mul_ovf(m, n, &mn) ||
        ws_add_ovf(mk, kn, &all) || ws_add_ovf(all, mn, &all) ||
        ws_mul_ovf(all, (int64_t)b->esz, &all) ||
        (pages > 0 && page > 0 && (double)all > (double)pages * (double)page)) {
        c->state = CELL_NA;
        bench_note(b, "%s: OpenBLAS n/a: its GEMM %lldx%lldx%lld needs more than the host's memory",
                   r->csv_case, (long long)m, (long long)n, (long long)k);
        return;
    }
    blas_call a = {b->dtype,
                   (int)m,
                   (int)n,
                   (int)k,
                   random_data(b, (size_t)(m * k)),
                   random_data(b, (size_t)(k * n)),
                   malloc((size_t)(m * n) * b->esz)};
    if (!a.a || !a.b || !a.c) cell_fail(b, r, B_OPENBLAS, c, "malloc: out of host memory");
    else time_cell(b, r, B_OPENBLAS, c, run_blas, &a, 1, b->reps, 2.0 * m * n * k);
    /* after a call OpenBLAS's idle threads spin (sched_yield) for about
     * 0.1 s, a whole core on this machine, into the next cell, which is
     * often winsum's: the forward 3x3 64@56 ran at half speed (189 against
     * 362 GFLOP/s) when its timed calls fell inside that window. Its
     * threads end here instead; its next warm-up call starts them. */
    if (ob.shutdown) ob.shutdown();
    free((void *)a.a);
    free((void *)a.b);
    free(a.c);
}
#else
void openblas_load(void) {}
const char *openblas_text(void) { return NULL; }

void openblas_gemm_cell(bench *b, row *r, cell *c, int64_t m, int64_t n, int64_t k)
{
    (void)b, (void)r, (void)m, (void)n, (void)k;
    c->state = CELL_NA;
}
#endif

/* =============================================================== CLBlast */

#ifdef WINSUM_HAVE_CLBLAST
static int clblast_failed(CLBlastStatusCode s, const char *call, char *err, size_t n)
{
    if (s == CLBlastSuccess) return 0;
    snprintf(err, n, "%s: CLBlast status %d", call, (int)s);
    return -1;
}

static int cl_failed(cl_int e, const char *call, char *err, size_t n)
{
    if (e == CL_SUCCESS) return 0;
    snprintf(err, n, "%s: OpenCL error %d", call, (int)e);
    return -1;
}

/* Whether the device of queue q lists the OpenCL extension ext. */
static int queue_has_extension(cl_command_queue q, const char *ext)
{
    cl_device_id dev;
    size_t n = 0, len = strlen(ext);
    if (clGetCommandQueueInfo(q, CL_QUEUE_DEVICE, sizeof dev, &dev, NULL) != CL_SUCCESS ||
        clGetDeviceInfo(dev, CL_DEVICE_EXTENSIONS, 0, NULL, &n) != CL_SUCCESS || !n)
        return 0;
    char *s = malloc(n + 1);
    int found = 0;
    if (s && clGetDeviceInfo(dev, CL_DEVICE_EXTENSIONS, n, s, NULL) == CL_SUCCESS) {
        s[n] = 0;
        for (const char *p = s; !found && (p = strstr(p, ext)); p += len)
            found = (p == s || p[-1] == ' ') && (p[len] == ' ' || p[len] == 0);
    }
    free(s);
    return found;
}

/* CLBlast's GEMM in either precision: CLBlastSgemm for float32, CLBlastDgemm
 * for float64 (xgemm_name says which). */
static const char *xgemm_name(winsum_dtype dt)
{
    return dt == WINSUM_F64 ? "CLBlastDgemm" : "CLBlastSgemm";
}

static CLBlastStatusCode xgemm(winsum_dtype dt, CLBlastTranspose ta, CLBlastTranspose tb, size_t m,
                               size_t n, size_t k, double alpha, cl_mem a, size_t a_off, size_t lda,
                               cl_mem b, size_t b_off, size_t ldb, double beta, cl_mem c,
                               size_t c_off, size_t ldc, cl_command_queue *q)
{
    if (dt == WINSUM_F64)
        return CLBlastDgemm(CLBlastLayoutRowMajor, ta, tb, m, n, k, alpha, a, a_off, lda, b, b_off,
                            ldb, beta, c, c_off, ldc, q, NULL);
    return CLBlastSgemm(CLBlastLayoutRowMajor, ta, tb, m, n, k, (float)alpha, a, a_off, lda, b,
                        b_off, ldb, (float)beta, c, c_off, ldc, q, NULL);
}

/* Why CLBlast does not run in float16 on queue q's device. */
static const char *clblast_f16_why(cl_command_queue q)
{
    return queue_has_extension(q, "cl_khr_fp16")
               ? "its half routines compute in half, not float32; the bench does not run them"
               : "no cl_khr_fp16 on this device, which CLBlastHgemm needs";
}

/* A failed OpenCL call into r's CLBlast cell. */
static void clblast_cl_fail(bench *b, row *r, const char *call, cl_int e)
{
    char msg[80];
    snprintf(msg, sizeof msg, "%s: OpenCL error %d", call, (int)e);
    cell_fail(b, r, B_CLBLAST, &r->c[B_CLBLAST], msg);
}

/* Reads CLBlast's result (n elements of device buffer out) into got and
 * checks it against winsum's result ws (NULL: unchecked); k: products
 * summed per element. */
static void clblast_read_check(bench *b, row *r, cl_mem out, void *got, size_t n, const void *ws,
                               double k)
{
    cl_int e = clEnqueueReadBuffer(b->queue, out, CL_TRUE, 0, n * b->esz, got, 0, NULL, NULL);
    if (e) clblast_cl_fail(b, r, "clEnqueueReadBuffer", e);
    else if (ws)
        set_check(b, &r->c[B_CLBLAST],
                  bench_compare(r->csv_case, r->dtype, "clblast vs winsum", got, ws, n, k));
}

/* --- GEMM --- */

typedef struct clblast_gemm_call {
    cl_command_queue queue;
    winsum_dtype dtype;
    size_t m, n, k;
    cl_mem a, b, c;
} clblast_gemm_call;

static int run_clblast_gemm(void *arg, char *err, size_t n)
{
    clblast_gemm_call *a = arg;
    if (clblast_failed(xgemm(a->dtype, CLBlastTransposeNo, CLBlastTransposeNo, a->m, a->n, a->k,
                             1.0, a->a, 0, a->k, a->b, 0, a->n, 0.0, a->c, 0, a->n, &a->queue),
                       xgemm_name(a->dtype), err, n))
        return -1;
    return cl_failed(clFinish(a->queue), "clFinish", err, n);
}

void clblast_gemm_cell(bench *b, row *r, int64_t m, int64_t n, int64_t k, void *const host[2],
                       const void *ws)
{
    cell *c = &r->c[B_CLBLAST];
    if (b->na_why[B_CLBLAST]) { /* not in this dtype */
        c->state = CELL_NA;
        return;
    }
    clblast_gemm_call a = {b->queue, b->dtype, (size_t)m, (size_t)n, (size_t)k, NULL, NULL, NULL};
    size_t abytes = a.m * a.k * b->esz, bbytes = a.k * a.n * b->esz, cbytes = a.m * a.n * b->esz;
    cl_int err = CL_SUCCESS;
    a.a = clCreateBuffer(b->cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, abytes, host[0], &err);
    if (!err)
        a.b =
            clCreateBuffer(b->cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, bbytes, host[1], &err);
    if (!err) a.c = clCreateBuffer(b->cl, CL_MEM_READ_WRITE, cbytes, NULL, &err);
    void *got = malloc(cbytes);
    if (!got) cell_fail(b, r, B_CLBLAST, c, "malloc: out of host memory");
    else if (err) cell_fail(b, r, B_CLBLAST, c, "clCreateBuffer: OpenCL error");
    else {
        /* the warm-up call compiles CLBlast's kernels: its compiler's chatter
         * is shown only when the call fails */
        capture cap;
        capture_begin(&cap);
        int failed =
            time_cell(b, r, B_CLBLAST, c, run_clblast_gemm, &a, 1, b->reps, 2.0 * m * n * k);
        capture_end(&cap, failed);
        if (!failed) clblast_read_check(b, r, a.c, got, a.m * a.n, ws, (double)k);
    }
    free(got);
    if (a.a) clReleaseMemObject(a.a);
    if (a.b) clReleaseMemObject(a.b);
    if (a.c) clReleaseMemObject(a.c);
}

/* --- convolutions --- */

/* CLBlast's convolution routines: convgemm (forward), GEMM + col2im
 * (backward-data), im2col + GEMM (backward-weight), one image at a time
 * where the routine has no batch; S routines for float32, D for float64. */
typedef struct clblast_conv_call {
    cl_command_queue queue;
    winsum_dtype dtype;
    const conv_layer *l;
    int64_t n;
    int op;
    cl_mem t[3]; /* x, w, y as in conv_call; the op's output among them */
    cl_mem col;  /* (C*KH*KW) x (OH*OW) */
} clblast_conv_call;

static int run_clblast_conv(void *arg, char *err, size_t n)
{
    clblast_conv_call *a = arg;
    const conv_layer *l = a->l;
    const size_t c = (size_t)l->c, hw = (size_t)l->hw, k = (size_t)l->k, o = (size_t)l->o;
    const size_t s = (size_t)l->stride, p = (size_t)l->pad, oh = (size_t)conv_oh(l);
    const size_t ckk = c * k * k, img = c * hw * hw, patches = oh * oh;
    const CLBlastKernelMode mode = CLBlastKernelModeCrossCorrelation;
    const int d = a->dtype == WINSUM_F64;
    const size_t esz = d ? sizeof(double) : sizeof(float);
    cl_command_queue *q = &a->queue;
    const char *gemm = xgemm_name(a->dtype);
    if (a->op == OP_FWD) {
        if (clblast_failed((d ? CLBlastDconvgemm : CLBlastSconvgemm)(
                               mode, c, hw, hw, k, k, p, p, s, s, 1, 1, o, (size_t)a->n, a->t[T_X],
                               0, a->t[T_W], 0, a->t[T_Y], 0, q, NULL),
                           d ? "CLBlastDconvgemm" : "CLBlastSconvgemm", err, n))
            return -1;
    } else if (a->op == OP_BWD_DATA) {
        /* col2im adds into the image, so clear it first (counted in the time) */
        const double zero = 0.0; /* all bits zero: a float 0 pattern too */
        if (cl_failed(clEnqueueFillBuffer(a->queue, a->t[T_X], &zero, esz, 0,
                                          (size_t)a->n * img * esz, 0, NULL, NULL),
                      "clEnqueueFillBuffer", err, n))
            return -1;
        for (size_t i = 0; i < (size_t)a->n; i++) {
            if (clblast_failed(xgemm(a->dtype, CLBlastTransposeYes, CLBlastTransposeNo, ckk,
                                     patches, o, 1.0, a->t[T_W], 0, ckk, a->t[T_Y], i * o * patches,
                                     patches, 0.0, a->col, 0, patches, q),
                               gemm, err, n) ||
                clblast_failed((d ? CLBlastDcol2im : CLBlastScol2im)(mode, c, hw, hw, k, k, p, p, s,
                                                                     s, 1, 1, a->col, 0, a->t[T_X],
                                                                     i * img, q, NULL),
                               d ? "CLBlastDcol2im" : "CLBlastScol2im", err, n))
                return -1;
        }
    } else {
        for (size_t i = 0; i < (size_t)a->n; i++) {
            if (clblast_failed((d ? CLBlastDim2col : CLBlastSim2col)(mode, c, hw, hw, k, k, p, p, s,
                                                                     s, 1, 1, a->t[T_X], i * img,
                                                                     a->col, 0, q, NULL),
                               d ? "CLBlastDim2col" : "CLBlastSim2col", err, n) ||
                clblast_failed(xgemm(a->dtype, CLBlastTransposeNo, CLBlastTransposeYes, o, ckk,
                                     patches, 1.0, a->t[T_Y], i * o * patches, patches, a->col, 0,
                                     patches, i ? 1.0 : 0.0, a->t[T_W], 0, ckk, q),
                               gemm, err, n))
                return -1;
        }
    }
    return cl_failed(clFinish(a->queue), "clFinish", err, n);
}

void clblast_conv_cell(bench *b, row *r, const conv_layer *l, int op,
                       const winsum_buffer *const dev[3], void *got, const void *ws)
{
    cell *c = &r->c[B_CLBLAST];
    if (b->na_why[B_CLBLAST] || l->groups != 1) {
        /* not in this dtype; or its convolution routines have no groups */
        c->state = CELL_NA;
        return;
    }
    int64_t n = b->conv_batch;
    clblast_conv_call a = {
        b->queue, b->dtype, l, n, op, {dev[T_X]->mem, dev[T_W]->mem, dev[T_Y]->mem}, NULL};
    cl_int e = CL_SUCCESS;
    if (op != OP_FWD)
        a.col = clCreateBuffer(b->cl, CL_MEM_READ_WRITE,
                               (size_t)(l->c * l->k * l->k * conv_oh(l) * conv_oh(l)) * b->esz,
                               NULL, &e);
    if (e) {
        clblast_cl_fail(b, r, "clCreateBuffer", e);
        return;
    }
    int out = conv_op_output[op];
    capture cap;
    capture_begin(&cap);
    int failed = time_cell(b, r, B_CLBLAST, c, run_clblast_conv, &a, 1, b->reps, conv_flops(l, n));
    capture_end(&cap, failed);
    if (!failed)
        clblast_read_check(b, r, a.t[out], got, conv_elems(l, out, n), ws,
                           conv_reduction(l, op, n));
    if (a.col) clReleaseMemObject(a.col);
}
#else
static const char *clblast_f16_why(cl_command_queue q)
{
    (void)q;
    return NULL;
}

void clblast_gemm_cell(bench *b, row *r, int64_t m, int64_t n, int64_t k, void *const host[2],
                       const void *ws)
{
    (void)b, (void)m, (void)n, (void)k, (void)host, (void)ws;
    r->c[B_CLBLAST].state = CELL_NA;
}

void clblast_conv_cell(bench *b, row *r, const conv_layer *l, int op,
                       const winsum_buffer *const dev[3], void *got, const void *ws)
{
    (void)b, (void)l, (void)op, (void)dev, (void)got, (void)ws;
    r->c[B_CLBLAST].state = CELL_NA;
}
#endif

/* ============================================================ both peers */

void peers_init(bench *b)
{
#ifdef WINSUM_HAVE_OPENBLAS
    if (!ob.lib) b->na_why[B_OPENBLAS] = ob.tried ? ob.text : "OpenBLAS was not loaded";
#endif
    if (b->dtype != WINSUM_F16) return;
    /* CLBlast's H routines compute in half (and need cl_khr_fp16), not
     * float32 like winsum and the reference: not run (when built in);
     * OpenBLAS has no half GEMM */
    b->na_why[B_CLBLAST] = clblast_f16_why(b->queue);
    b->na_why[B_OPENBLAS] = "OpenBLAS has no half GEMM";
}

void peers_print_missing(void)
{
#ifndef WINSUM_HAVE_CLBLAST
    bench_printf("CLBlast: not built in (n/a)\n");
#endif
#ifndef WINSUM_HAVE_OPENBLAS
    bench_printf("OpenBLAS: not built in (n/a)\n");
#endif
}
