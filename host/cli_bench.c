/*
 * cli_bench.c - `winsum bench`: GFLOP/s of winsum's convolutions and
 * contractions on an OpenCL device, beside CLBlast on the same device and
 * queue, OpenBLAS on the host (a GEMM of the same shape or flop count) and
 * winsum's own reference backend, with every winsum result checked against
 * the reference and every CLBlast result against winsum; and two latency
 * suites: the host overhead of a call on tiny operands, and the cost of the
 * first call of a new kernel with and without winsum's disk cache.
 *
 *   winsum bench [--suite NAME[,NAME..]] (gemm|conv|conv-backward|tccg|overhead|
 *                coldstart|all; default conv,conv-backward)
 *                [--dtype f32|f64|f16] [--quick] [--csv FILE] [--plot FILE.png]
 *                [--device N] [--reps R]
 *
 * Each case is described once (shape, flops, how each backend runs it, how
 * its result is checked) and that description drives both the timing and the
 * check. Times are the median of R wall-clock runs of one call plus its
 * finish (winsum_finish / clFinish); the first call of each backend is a
 * warm-up (kernel builds) and is not counted. A failing call prints one line
 * naming it and leaves "err" in its cell. The exit code is 1 when a check
 * fails or a winsum call fails, 2 on a usage error, else 0.
 *
 * --dtype f64 runs the GFLOP/s suites in float64 (CLBlast's D routines,
 * cblas_dgemm, the reference in float64). --dtype f16 runs them on float16
 * storage (winsum and the reference: float32 resp. double sums, each output
 * rounded to half once); CLBlast and OpenBLAS are n/a there (CLBlast's H
 * routines compute in half and need cl_khr_fp16; OpenBLAS has no half GEMM),
 * with the reason printed. overhead and coldstart are always float32.
 * coldstart re-runs this executable as `winsum bench --coldstart-child`
 * (internal) in fresh processes.
 */
#include "internal.h"
#include "winsum.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#ifdef WINSUM_HAVE_CLBLAST
#include <clblast_c.h>
#endif
#ifdef WINSUM_HAVE_OPENBLAS
#include <cblas.h>
#endif

/* ================================================================ results */

enum { B_WINSUM, B_CLBLAST, B_OPENBLAS, B_REF, NBACK };
static const char *const back_name[NBACK] = {"winsum", "clblast", "openblas", "reference"};

typedef enum { CELL_EMPTY, CELL_DONE, CELL_ERR, CELL_NA, CELL_SKIP } cell_state;

/* One backend's measurement of one case. flops is what that backend ran
 * (the reference runs a smaller slice of the same problem). */
typedef struct cell {
    cell_state state;
    double flops, ms;
    int check; /* -1 unchecked, 0 mismatch, 1 ok */
} cell;

typedef struct row {
    const char *suite;
    winsum_dtype dtype;
    char csv_case[64]; /* identical across backends in the CSV */
    char label[40];    /* the table's case column */
    char op[3 * WINSUM_MAX_DIMS + 8];
    cell c[NBACK];
    cell gemm_eq; /* winsum's GEMM of the same flop count (tccg) */
} row;

#define MAX_ROWS 128
#define MAX_NOTES 64
#define MAX_REPS 64
#define REF_MAX_SECONDS 5.0

/* overhead: per-call times (ms) of each API (plan_execute, einsum) in each
 * way of timing it; see ovh_apis and ovh_modes. */
enum { OVH_HOST, OVH_WALL, OVH_FINISH_WALL, OVH_NMODES };
typedef struct ovh_result {
    cell_state state;
    double ms[OVH_NMODES];
    double host_spread_ms; /* max - min of OVH_HOST over the batches */
    int check;
} ovh_result;

/* coldstart: what one child process printed; see cold_runs. */
enum { COLD_RUNS = 3 };
typedef struct cold_result {
    cell_state state;
    double context_ms, first_ms, second_ms, steady_ms;
    long builds; /* programs compiled during the first call */
    int check;
} cold_result;

typedef struct bench {
    int quick, reps;
    winsum_dtype dtype; /* of the GFLOP/s suites */
    size_t esz;         /* its element size */
    const char *device; /* --device, passed on to coldstart's children */
    const char *na_why[NBACK]; /* why a backend is n/a in this dtype (NULL: it runs) */
    int64_t conv_batch;
    winsum_context *ctx, *ref;
    cl_context cl;
    cl_command_queue queue;
    row rows[MAX_ROWS];
    int nrows;
    char notes[MAX_NOTES][240];
    int nnotes;
    int mismatches, ws_errors, other_errors;
    double ref_gflops; /* rate of the last reference call, to predict the next */
    int ovh_ran, cold_ran;
    ovh_result ovh[2];
    cold_result cold[COLD_RUNS];
} bench;

static const char *dtype_csv(winsum_dtype dt)
{
    return dt == WINSUM_F64 ? "float64" : dt == WINSUM_F16 ? "float16" : "float32";
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void note(bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(bench *b, const char *fmt, ...)
{
    if (b->nnotes >= MAX_NOTES) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->notes[b->nnotes++], sizeof b->notes[0], fmt, ap);
    va_end(ap);
}

static row *new_row(bench *b, const char *suite, const char *csv_case, const char *label,
                    const char *op)
{
    if (b->nrows >= MAX_ROWS) return NULL;
    row *r = &b->rows[b->nrows++];
    memset(r, 0, sizeof *r);
    r->suite = suite;
    r->dtype = b->dtype;
    snprintf(r->csv_case, sizeof r->csv_case, "%s", csv_case);
    snprintf(r->label, sizeof r->label, "%s", label);
    snprintf(r->op, sizeof r->op, "%s", op);
    for (int i = 0; i < NBACK; i++) r->c[i].check = -1;
    r->gemm_eq.check = -1;
    return r;
}

/* A failed call: one line on stderr, "err" in the cell. */
static void cell_fail(bench *b, const row *r, int backend, cell *c, const char *what)
{
    fprintf(stderr, "winsum bench: %s %s: %s\n", r->csv_case, back_name[backend], what);
    c->state = CELL_ERR;
    if (backend == B_WINSUM) b->ws_errors++;
    else b->other_errors++;
}

static double gflops(const cell *c)
{
    return c->state == CELL_DONE && c->ms > 0 ? c->flops / c->ms / 1e6 : 0.0;
}

/* ================================================================ timing */

/* One call of the thing measured, including its finish; 0 when it worked,
 * else -1 with "call: why" in err. */
typedef int (*call_fn)(void *arg, char *err, size_t errlen);

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of t[0..n-1] (n >= 1; sorts t). */
static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof t[0], cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

/* `warmup` untimed calls, then `reps` timed ones; the median in *ms. */
static int measure(call_fn fn, void *arg, int warmup, int reps, double *ms, char *err,
                   size_t errlen)
{
    double t[MAX_REPS];
    if (reps < 1) reps = 1;
    if (reps > MAX_REPS) reps = MAX_REPS;
    for (int i = 0; i < warmup; i++)
        if (fn(arg, err, errlen)) return -1;
    for (int i = 0; i < reps; i++) {
        double t0 = now_ms();
        if (fn(arg, err, errlen)) return -1;
        t[i] = now_ms() - t0;
    }
    *ms = median(t, reps);
    return 0;
}

/* Runs `fn` into cell c of row r (flops: what one call computes). */
static int time_cell(bench *b, row *r, int backend, cell *c, call_fn fn, void *arg, int warmup,
                     int reps, double flops)
{
    char err[1024] = "";
    c->flops = flops;
    if (measure(fn, arg, warmup, reps, &c->ms, err, sizeof err)) {
        cell_fail(b, r, backend, c, err);
        return -1;
    }
    c->state = CELL_DONE;
    return 0;
}

/* =============================================================== checking */

/* Relative tolerance for a result whose elements each sum k products:
 * 1e-3 (float64: 1e-9) of max|ref|, growing like sqrt(k) beyond k = 256.
 * float16: the inputs are exact halves, and winsum (from a float32 sum) and
 * the reference (from a double sum) each round every output element to half
 * once, off by at most 2^-11 of its magnitude each: 2^-10 of max|ref|
 * between them. On top, the float32 sum's own error, allowed k * 2^-24 of
 * max|ref|: k roundings, each off by at most 2^-24 of a partial sum, and
 * for this random data of mixed signs the partial sums stay of the order of
 * the final sums (about sqrt(k) times a product).
 * Every einsum of the bench is one step (each summed label is in both
 * operands; a convolution writes each output element in one einsum), so no
 * intermediate is rounded to half. */
static double tolerance(winsum_dtype dt, double k)
{
    if (dt == WINSUM_F16) return ldexp(1.0, -10) + k * ldexp(1.0, -24);
    return (dt == WINSUM_F64 ? 1e-9 : 1e-3) * (k > 256 ? sqrt(k / 256.0) : 1.0);
}

/* tolerance() as a formula, for the header. */
static const char *tolerance_text(winsum_dtype dt)
{
    if (dt == WINSUM_F16) return "(2^-10+K*2^-24)";
    return dt == WINSUM_F64 ? "1e-9*max(1,sqrt(K/256))" : "1e-3*max(1,sqrt(K/256))";
}

/* 1 when every |got - want| <= tolerance(k) * max|want| (NaN fails), else 0
 * with a line on stderr naming the case and the worst element. got and
 * want hold n elements of dtype dt. */
static int compare(const char *name, winsum_dtype dt, const char *what, const void *got,
                   const void *want, size_t n, double k)
{
    double amax = 0, emax = -1;
    size_t worst = 0;
    for (size_t i = 0; i < n; i++) amax = fmax(amax, fabs(ws_load_elem(want, dt, (int64_t)i)));
    double tol = tolerance(dt, k) * amax;
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        double e = fabs(ws_load_elem(got, dt, (int64_t)i) - ws_load_elem(want, dt, (int64_t)i));
        if (!(e <= tol)) {
            if (ok || isnan(e) || e > emax) worst = i, emax = isnan(e) ? INFINITY : e;
            ok = 0;
        }
    }
    int digits = dt == WINSUM_F64 ? 16 : dt == WINSUM_F16 ? 5 : 7;
    if (!ok)
        fprintf(stderr,
                "winsum bench: MISMATCH %s %s: element %zu is %.*g, expected %.*g, |diff| %.3g "
                "> tolerance %.3g (= %.2g * max|ref| %.4g)\n",
                name, what, worst, digits, ws_load_elem(got, dt, (int64_t)worst), digits,
                ws_load_elem(want, dt, (int64_t)worst), emax, tol, tolerance(dt, k), amax);
    return ok;
}

static void set_check(bench *b, cell *c, int ok)
{
    c->check = ok;
    if (!ok) b->mismatches++;
}

/* ============================================================ host/device */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* n random values in [-1, 1) of the bench's dtype (24-bit fractions: the
 * same numbers in float32 and float64; float16 holds them rounded to half,
 * the bits that winsum and the reference both read). */
static void *random_data(const bench *b, size_t n)
{
    void *p = malloc((n ? n : 1) * b->esz);
    if (!p) return NULL;
    for (size_t i = 0; i < n; i++) {
        rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
        double v = (double)(rng_state >> 40) / (double)(1ull << 24) * 2.0 - 1.0;
        ws_store_elem(p, b->dtype, (int64_t)i, v);
    }
    return p;
}

/* A device buffer of `bytes` bytes holding `src` (NULL: uninitialised). */
static int dev_upload_bytes(bench *b, const char *who, const void *src, size_t bytes,
                            winsum_buffer *d)
{
    winsum_status st = winsum_buffer_alloc(b->ctx, bytes, d);
    if (!st && src) st = winsum_buffer_write(b->ctx, d, 0, src, bytes);
    if (st) {
        fprintf(stderr, "winsum bench: %s: winsum_buffer_%s: %s: %s\n", who,
                d->mem ? "write" : "alloc", winsum_status_string(st), winsum_last_error(b->ctx));
        b->ws_errors++;
        return -1;
    }
    return 0;
}

/* The same with n elements of the bench's dtype. */
static int dev_upload(bench *b, const char *who, const void *src, size_t n, winsum_buffer *d)
{
    return dev_upload_bytes(b, who, src, n * b->esz, d);
}

static int dev_download(bench *b, row *r, const winsum_buffer *d, void *dst, size_t n)
{
    winsum_status st = winsum_buffer_read(b->ctx, d, 0, dst, n * b->esz);
    if (st) {
        char msg[600];
        snprintf(msg, sizeof msg, "winsum_buffer_read: %s: %s", winsum_status_string(st),
                 winsum_last_error(b->ctx));
        cell_fail(b, r, B_WINSUM, &r->c[B_WINSUM], msg);
        return -1;
    }
    return 0;
}

/* ======================================================= backend runners */

/* --- winsum and reference: a convolution or a planned einsum --- */

enum { OP_FWD, OP_BWD_DATA, OP_BWD_WEIGHT, NOPS };
static const char *const op_suffix[NOPS] = {"fwd", "bwd_data", "bwd_weight"};
static const char *const op_call[NOPS] = {"winsum_conv_forward", "winsum_conv_backward_data",
                                          "winsum_conv_backward_weight"};
/* The convolution tensors are x (N,C,H,W), w (O,C/G,KH,KW), y (N,O,OH,OW);
 * each op writes one of them from the other two. */
enum { T_X, T_W, T_Y };
static const int op_output[NOPS] = {T_Y, T_X, T_W};

typedef struct conv_call {
    winsum_context *ctx;
    int op;
    winsum_conv_desc desc;
    winsum_view v[3]; /* x, w, y: the op's output among them */
} conv_call;

static int finish_call(winsum_context *ctx, winsum_status st, const char *what, char *err,
                       size_t n)
{
    if (!st) {
        st = winsum_finish(ctx);
        what = "winsum_finish";
    }
    if (st) snprintf(err, n, "%s: %s: %s", what, winsum_status_string(st), winsum_last_error(ctx));
    return st ? -1 : 0;
}

static int run_conv(void *arg, char *err, size_t n)
{
    conv_call *a = arg;
    winsum_status st;
    const winsum_view *v = a->v;
    switch (a->op) {
    case OP_FWD:
        st = winsum_conv_forward(a->ctx, &a->desc, &v[T_X], &v[T_W], NULL, &v[T_Y], 1.0, 0.0);
        break;
    case OP_BWD_DATA:
        st = winsum_conv_backward_data(a->ctx, &a->desc, &v[T_Y], &v[T_W], &v[T_X], 1.0, 0.0);
        break;
    default:
        st = winsum_conv_backward_weight(a->ctx, &a->desc, &v[T_X], &v[T_Y], &v[T_W], 1.0, 0.0);
        break;
    }
    return finish_call(a->ctx, st, op_call[a->op], err, n);
}

typedef struct plan_call {
    winsum_context *ctx;
    winsum_plan *plan;
} plan_call;

static int run_plan(void *arg, char *err, size_t n)
{
    plan_call *a = arg;
    return finish_call(a->ctx, winsum_plan_execute(a->plan, NULL, NULL, 1.0, 0.0, NULL),
                       "winsum_plan_execute", err, n);
}

/* --- OpenBLAS: C = A B, row-major, on host memory --- */

typedef struct blas_call {
    winsum_dtype dtype;
    int m, n, k;
    const void *a, *b;
    void *c;
} blas_call;

#ifdef WINSUM_HAVE_OPENBLAS
static int run_blas(void *arg, char *err, size_t n)
{
    (void)err, (void)n;
    blas_call *a = arg;
    if (a->dtype == WINSUM_F64)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, a->m, a->n, a->k, 1.0, a->a, a->k,
                    a->b, a->n, 0.0, a->c, a->n);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, a->m, a->n, a->k, 1.0f, a->a,
                    a->k, a->b, a->n, 0.0f, a->c, a->n);
    return 0;
}
#endif

/* Times an OpenBLAS GEMM of m x n x k on fresh random matrices into cell c. */
static void blas_gemm_cell(bench *b, row *r, cell *c, int64_t m, int64_t n, int64_t k)
{
    if (b->na_why[B_OPENBLAS]) { /* not in this dtype */
        c->state = CELL_NA;
        return;
    }
#ifdef WINSUM_HAVE_OPENBLAS
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX) {
        c->state = CELL_NA;
        return;
    }
    blas_call a = {b->dtype, (int)m, (int)n, (int)k, random_data(b, (size_t)(m * k)),
                   random_data(b, (size_t)(k * n)), malloc((size_t)(m * n) * b->esz)};
    if (!a.a || !a.b || !a.c) cell_fail(b, r, B_OPENBLAS, c, "malloc: out of host memory");
    else time_cell(b, r, B_OPENBLAS, c, run_blas, &a, 1, b->reps, 2.0 * m * n * k);
    free((void *)a.a);
    free((void *)a.b);
    free(a.c);
#else
    (void)b, (void)r, (void)m, (void)n, (void)k;
    c->state = CELL_NA;
#endif
}

/* --- CLBlast on winsum's device and queue --- */

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

static CLBlastStatusCode xgemm(winsum_dtype dt, CLBlastTranspose ta, CLBlastTranspose tb,
                               size_t m, size_t n, size_t k, double alpha, cl_mem a, size_t a_off,
                               size_t lda, cl_mem b, size_t b_off, size_t ldb, double beta,
                               cl_mem c, size_t c_off, size_t ldc, cl_command_queue *q)
{
    if (dt == WINSUM_F64)
        return CLBlastDgemm(CLBlastLayoutRowMajor, ta, tb, m, n, k, alpha, a, a_off, lda, b, b_off,
                            ldb, beta, c, c_off, ldc, q, NULL);
    return CLBlastSgemm(CLBlastLayoutRowMajor, ta, tb, m, n, k, (float)alpha, a, a_off, lda, b,
                        b_off, ldb, (float)beta, c, c_off, ldc, q, NULL);
}
#endif

/* ============================================================ conv suites */

/* ResNet-style layers, NCHW, square images and kernels. */
typedef struct conv_layer {
    const char *name;
    int64_t c, o, hw, k, stride, pad, groups;
} conv_layer;

static const conv_layer conv_layers[] = {
    {"conv3x3_s1_64x56x56", 64, 64, 56, 3, 1, 1, 1},
    {"conv3x3_s1_256x14x14", 256, 256, 14, 3, 1, 1, 1},
    {"conv1x1_s1_256to64x56x56", 256, 64, 56, 1, 1, 0, 1},
    {"conv7x7_s2_3to64x224x224", 3, 64, 224, 7, 2, 3, 1},
    {"conv3x3_s2_128x28x28", 128, 128, 28, 3, 2, 1, 1},
    {"dwconv3x3_s1_256x14x14", 256, 256, 14, 3, 1, 1, 256},
};
#define NLAYERS ((int)(sizeof conv_layers / sizeof conv_layers[0]))

static int64_t conv_oh(const conv_layer *l) { return (l->hw + 2 * l->pad - l->k) / l->stride + 1; }

/* Elements of tensor t at batch n. */
static size_t conv_elems(const conv_layer *l, int t, int64_t n)
{
    int64_t oh = conv_oh(l);
    if (t == T_X) return (size_t)(n * l->c * l->hw * l->hw);
    if (t == T_W) return (size_t)(l->o * (l->c / l->groups) * l->k * l->k);
    return (size_t)(n * l->o * oh * oh);
}

/* The same for all three ops: 2*N*O*OH*OW*(C/G)*KH*KW. */
static double conv_flops(const conv_layer *l, int64_t n)
{
    int64_t oh = conv_oh(l);
    return 2.0 * (double)n * (double)l->o * (double)(oh * oh) * (double)(l->c / l->groups) *
           (double)(l->k * l->k);
}

/* Products summed into one output element (for the tolerance). */
static double conv_reduction(const conv_layer *l, int op, int64_t n)
{
    int64_t oh = conv_oh(l);
    if (op == OP_FWD) return (double)(l->c / l->groups * l->k * l->k);
    if (op == OP_BWD_DATA) return (double)(l->o / l->groups * l->k * l->k);
    return (double)(n * oh * oh);
}

/* The im2col GEMM of an op (groups 1): M x N x K, row-major C = A B. */
static void conv_gemm_dims(const conv_layer *l, int op, int64_t n, int64_t *m, int64_t *nn,
                           int64_t *k)
{
    int64_t p = n * conv_oh(l) * conv_oh(l), ckk = l->c * l->k * l->k;
    if (op == OP_FWD) *m = l->o, *nn = p, *k = ckk;
    else if (op == OP_BWD_DATA) *m = ckk, *nn = p, *k = l->o;
    else *m = l->o, *nn = ckk, *k = p;
}

static void conv_desc(const conv_layer *l, winsum_conv_desc *d)
{
    winsum_conv_desc_init(d);
    d->nspatial = 2;
    d->groups = l->groups;
    for (int i = 0; i < 2; i++) {
        d->stride[i] = l->stride;
        d->pad_lo[i] = d->pad_hi[i] = l->pad;
    }
}

/* Views of x, w, y at batch n over buffers buf[T_X], buf[T_W], buf[T_Y]. */
static void conv_views(const conv_layer *l, int64_t n, winsum_dtype dt,
                       const winsum_buffer *const buf[3], winsum_view v[3])
{
    int64_t oh = conv_oh(l);
    int64_t xs[4] = {n, l->c, l->hw, l->hw}, ws[4] = {l->o, l->c / l->groups, l->k, l->k},
            ys[4] = {n, l->o, oh, oh};
    v[T_X] = winsum_view_contiguous(buf[T_X], dt, 4, xs);
    v[T_W] = winsum_view_contiguous(buf[T_W], dt, 4, ws);
    v[T_Y] = winsum_view_contiguous(buf[T_Y], dt, 4, ys);
}

#ifdef WINSUM_HAVE_CLBLAST
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
                               mode, c, hw, hw, k, k, p, p, s, s, 1, 1, o, (size_t)a->n,
                               a->t[T_X], 0, a->t[T_W], 0, a->t[T_Y], 0, q, NULL),
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
                                     patches, o, 1.0, a->t[T_W], 0, ckk, a->t[T_Y],
                                     i * o * patches, patches, 0.0, a->col, 0, patches, q),
                               gemm, err, n) ||
                clblast_failed((d ? CLBlastDcol2im : CLBlastScol2im)(
                                   mode, c, hw, hw, k, k, p, p, s, s, 1, 1, a->col, 0, a->t[T_X],
                                   i * img, q, NULL),
                               d ? "CLBlastDcol2im" : "CLBlastScol2im", err, n))
                return -1;
        }
    } else {
        for (size_t i = 0; i < (size_t)a->n; i++) {
            if (clblast_failed((d ? CLBlastDim2col : CLBlastSim2col)(
                                   mode, c, hw, hw, k, k, p, p, s, s, 1, 1, a->t[T_X], i * img,
                                   a->col, 0, q, NULL),
                               d ? "CLBlastDim2col" : "CLBlastSim2col", err, n) ||
                clblast_failed(xgemm(a->dtype, CLBlastTransposeNo, CLBlastTransposeYes, o,
                                     ckk, patches, 1.0, a->t[T_Y], i * o * patches, patches,
                                     a->col, 0, patches, i ? 1.0 : 0.0, a->t[T_W], 0, ckk, q),
                               gemm, err, n))
                return -1;
        }
    }
    return cl_failed(clFinish(a->queue), "clFinish", err, n);
}
#endif

/* CLBlast's run of op into device buffer out (the other two tensors from
 * dev), read back into got and compared with winsum's result ws. */
static void conv_clblast(bench *b, row *r, const conv_layer *l, int op,
                         const winsum_buffer *const dev[3], void *got, const void *ws)
{
    cell *c = &r->c[B_CLBLAST];
    if (b->na_why[B_CLBLAST]) { /* not in this dtype */
        c->state = CELL_NA;
        return;
    }
#ifdef WINSUM_HAVE_CLBLAST
    if (l->groups != 1) { /* CLBlast's convolution routines have no groups */
        c->state = CELL_NA;
        return;
    }
    int64_t n = b->conv_batch;
    clblast_conv_call a = {b->queue, b->dtype, l, n, op,
                           {dev[T_X]->mem, dev[T_W]->mem, dev[T_Y]->mem}, NULL};
    cl_int e = CL_SUCCESS;
    if (op != OP_FWD)
        a.col = clCreateBuffer(b->cl, CL_MEM_READ_WRITE,
                               (size_t)(l->c * l->k * l->k * conv_oh(l) * conv_oh(l)) * b->esz,
                               NULL, &e);
    if (e) {
        char msg[80];
        snprintf(msg, sizeof msg, "clCreateBuffer: OpenCL error %d", (int)e);
        cell_fail(b, r, B_CLBLAST, c, msg);
        return;
    }
    size_t nout = conv_elems(l, op_output[op], n);
    if (!time_cell(b, r, B_CLBLAST, c, run_clblast_conv, &a, 1, b->reps, conv_flops(l, n))) {
        e = clEnqueueReadBuffer(b->queue, a.t[op_output[op]], CL_TRUE, 0, nout * b->esz, got, 0,
                                NULL, NULL);
        if (e) {
            char msg[80];
            snprintf(msg, sizeof msg, "clEnqueueReadBuffer: OpenCL error %d", (int)e);
            cell_fail(b, r, B_CLBLAST, c, msg);
        } else if (ws) {
            set_check(b, c, compare(r->csv_case, r->dtype, "clblast vs winsum", got, ws, nout,
                                    conv_reduction(l, op, n)));
        }
    }
    if (a.col) clReleaseMemObject(a.col);
#else
    (void)b, (void)l, (void)op, (void)dev, (void)got, (void)ws;
    c->state = CELL_NA;
#endif
}

/* The reference backend on batch 1 (the first image of the same data),
 * into want; times that call. Returns 0 when want holds the result. */
static int conv_reference(bench *b, row *r, const conv_layer *l, int op, void *const host[3],
                          void *want)
{
    cell *c = &r->c[B_REF];
    double flops = conv_flops(l, 1);
    if (b->ref_gflops > 0 && flops / b->ref_gflops / 1e9 > REF_MAX_SECONDS) {
        c->state = CELL_SKIP;
        note(b, "%s: reference skipped (one batch-1 call would take about %.0f s); unchecked",
             r->csv_case, flops / b->ref_gflops / 1e9);
        return -1;
    }
    winsum_buffer hb[3];
    const winsum_buffer *hp[3];
    for (int t = 0; t < 3; t++) {
        void *p = t == op_output[op] ? want : host[t];
        hb[t] = winsum_buffer_host(p, conv_elems(l, t, 1) * b->esz);
        hp[t] = &hb[t];
    }
    conv_call a = {b->ref, op, {0}, {{0}}};
    conv_desc(l, &a.desc);
    conv_views(l, 1, b->dtype, hp, a.v);
    if (time_cell(b, r, B_REF, c, run_conv, &a, 0, 1, flops)) return -1;
    b->ref_gflops = gflops(c);
    if (c->ms > REF_MAX_SECONDS * 1e3)
        note(b, "%s: one reference call took %.1f s (> %.0f s); later ones are skipped if "
                "predicted as slow", r->csv_case, c->ms / 1e3, REF_MAX_SECONDS);
    return 0;
}

/* One layer, the given ops, every backend. */
static void conv_layer_bench(bench *b, const char *suite, const conv_layer *l, const int *ops,
                             int nops)
{
    int64_t n = b->conv_batch;
    void *host[3] = {NULL, NULL, NULL};
    void *got = NULL, *got1 = NULL, *want = NULL, *other = NULL;
    winsum_buffer dev[4];
    memset(dev, 0, sizeof dev);
    size_t most = 0;
    for (int t = 0; t < 3; t++) {
        size_t e = conv_elems(l, t, n);
        host[t] = random_data(b, e);
        if (e > most) most = e;
    }
    got = malloc(most * b->esz);
    got1 = malloc(most * b->esz);
    want = malloc(most * b->esz);
    other = malloc(most * b->esz);
    int ready = host[0] && host[1] && host[2] && got && got1 && want && other;
    if (!ready) fprintf(stderr, "winsum bench: %s: malloc: out of host memory\n", l->name);
    /* dev[0..2]: x, w, y with the random data; dev[3]: the op's output */
    for (int t = 0; t < 3 && ready; t++)
        ready = !dev_upload(b, l->name, host[t], conv_elems(l, t, n), &dev[t]);
    if (ready) ready = !dev_upload(b, l->name, NULL, most, &dev[3]);

    for (int i = 0; i < nops; i++) {
        int op = ops[i], out = op_output[op];
        char name[64];
        snprintf(name, sizeof name, "%s_%s", l->name, op_suffix[op]);
        row *r = new_row(b, suite, name, l->name, op_suffix[op]);
        if (!r) break;
        fprintf(stderr, "  %s ...\n", name);
        if (!ready) {
            for (int k = 0; k < NBACK; k++) r->c[k].state = CELL_ERR;
            b->ws_errors++;
            continue;
        }
        /* winsum on the whole batch */
        const winsum_buffer *bufs[3] = {&dev[T_X], &dev[T_W], &dev[T_Y]};
        bufs[out] = &dev[3];
        conv_call a = {b->ctx, op, {0}, {{0}}};
        conv_desc(l, &a.desc);
        conv_views(l, n, b->dtype, bufs, a.v);
        size_t nout = conv_elems(l, out, n);
        int ws_ok = !time_cell(b, r, B_WINSUM, &r->c[B_WINSUM], run_conv, &a, 1, b->reps,
                               conv_flops(l, n)) &&
                    !dev_download(b, r, &dev[3], got, nout);
        /* its batch-1 result: the first image, or (backward-weight, which
         * sums over the batch) a run on a batch-1 view of the same buffers */
        int ws1_ok = ws_ok;
        if (ws_ok && op == OP_BWD_WEIGHT) {
            char err[1024];
            conv_views(l, 1, b->dtype, bufs, a.v);
            if (run_conv(&a, err, sizeof err)) {
                cell_fail(b, r, B_WINSUM, &r->c[B_WINSUM], err);
                ws1_ok = 0;
            } else {
                ws1_ok = !dev_download(b, r, &dev[3], got1, conv_elems(l, out, 1));
            }
        } else if (ws_ok) {
            memcpy(got1, got, conv_elems(l, out, 1) * b->esz);
        }
        /* the reference on batch 1, and the check of winsum against it */
        if (!conv_reference(b, r, l, op, host, want) && ws1_ok)
            set_check(b, &r->c[B_WINSUM],
                      compare(r->csv_case, r->dtype, "winsum vs reference (batch 1)", got1, want,
                              conv_elems(l, out, 1), conv_reduction(l, op, 1)));
        /* CLBlast into the same output buffer, checked against winsum */
        conv_clblast(b, r, l, op, bufs, other, ws_ok ? got : NULL);
        /* OpenBLAS: the GEMM this op is under im2col, same M, N, K */
        if (l->groups == 1) {
            int64_t m, nn, k;
            conv_gemm_dims(l, op, n, &m, &nn, &k);
            blas_gemm_cell(b, r, &r->c[B_OPENBLAS], m, nn, k);
        } else {
            r->c[B_OPENBLAS].state = CELL_NA;
        }
    }
    for (int t = 0; t < 4; t++)
        if (dev[t].mem) winsum_buffer_free(b->ctx, &dev[t]);
    for (int t = 0; t < 3; t++) free(host[t]);
    free(got);
    free(got1);
    free(want);
    free(other);
}

static void suite_conv(bench *b, const char *suite, const int *ops, int nops)
{
    for (int i = 0; i < NLAYERS; i++) conv_layer_bench(b, suite, &conv_layers[i], ops, nops);
}

/* ========================================================= einsum suites */

/* A two-operand einsum 'A,B->out' over contiguous operands. */
typedef struct ein_case {
    char name[40];
    char lab[3][WINSUM_MAX_DIMS + 1]; /* A, B, out */
    int64_t size[128];                /* by label character */
    int is_gemm;                      /* 'ij,jk->ik': CLBlast and OpenBLAS run it as it is */
    int ref_full;                     /* the reference runs the whole problem, not a slice */
    int ref_shown;                    /* its rate goes in the table */
} ein_case;

static void ein_subscripts(const ein_case *c, char *s, size_t n)
{
    snprintf(s, n, "%s,%s->%s", c->lab[0], c->lab[1], c->lab[2]);
}

static int ein_has(const char *labels, char l) { return strchr(labels, l) != NULL; }

/* 2 * product of every label's size: each multiply-add of the loop nest. */
static double ein_flops(const ein_case *c)
{
    double f = 2;
    for (int ch = 1; ch < 128; ch++)
        if (ein_has(c->lab[0], (char)ch) || ein_has(c->lab[1], (char)ch)) f *= (double)c->size[ch];
    return f;
}

static double ein_reduction(const ein_case *c)
{
    double k = 1;
    for (int ch = 1; ch < 128; ch++)
        if ((ein_has(c->lab[0], (char)ch) || ein_has(c->lab[1], (char)ch)) &&
            !ein_has(c->lab[2], (char)ch))
            k *= (double)c->size[ch];
    return k;
}

static size_t ein_elems(const ein_case *c, int t)
{
    size_t e = 1;
    for (const char *p = c->lab[t]; *p; p++) e *= (size_t)c->size[(unsigned char)*p];
    return e;
}

/* Operand t as a view of buf: C-contiguous strides of the full shape, with
 * label `cut` (0: none) limited to its first `keep` indices. */
static winsum_view ein_view(const ein_case *c, int t, winsum_dtype dt, const winsum_buffer *buf,
                            char cut, int64_t keep)
{
    int nd = (int)strlen(c->lab[t]);
    int64_t shape[WINSUM_MAX_DIMS], strides[WINSUM_MAX_DIMS], s = 1;
    for (int i = nd - 1; i >= 0; i--) {
        char l = c->lab[t][i];
        strides[i] = s;
        s *= c->size[(unsigned char)l];
        shape[i] = l == cut ? keep : c->size[(unsigned char)l];
    }
    return winsum_view_strided(buf, dt, 0, nd, shape, strides);
}

/* Copies the strided view v of host array src into dense dst. */
static void gather(const void *src, const winsum_view *v, void *dst)
{
    int64_t idx[WINSUM_MAX_DIMS] = {0}, pos = 0;
    size_t total = 1, k = 0, esz = winsum_dtype_size(v->dtype);
    for (int i = 0; i < v->ndim; i++) total *= (size_t)v->shape[i];
    while (k < total) {
        memcpy((char *)dst + esz * k++, (const char *)src + esz * (size_t)pos, esz);
        for (int i = v->ndim - 1; i >= 0; i--) {
            if (++idx[i] < v->shape[i]) {
                pos += v->strides[i];
                break;
            }
            pos -= v->strides[i] * (v->shape[i] - 1);
            idx[i] = 0;
        }
    }
}

/* winsum on device copies of host[0..1]: plan once, time execute; the
 * result into got (NULL: not read back). Returns 0 when it ran. */
static int ein_winsum(bench *b, row *r, cell *c, const ein_case *e, void *const host[2],
                      void *got)
{
    winsum_buffer dev[3];
    memset(dev, 0, sizeof dev);
    winsum_plan *plan = NULL;
    char subs[3 * WINSUM_MAX_DIMS + 8], msg[1200];
    ein_subscripts(e, subs, sizeof subs);
    int ok = !dev_upload(b, r->csv_case, host[0], ein_elems(e, 0), &dev[0]) &&
             !dev_upload(b, r->csv_case, host[1], ein_elems(e, 1), &dev[1]) &&
             !dev_upload(b, r->csv_case, NULL, ein_elems(e, 2), &dev[2]);
    if (!ok) {
        c->state = CELL_ERR;
    } else {
        winsum_view v[3];
        for (int t = 0; t < 3; t++) v[t] = ein_view(e, t, b->dtype, &dev[t], 0, 0);
        winsum_status st = winsum_plan_create(b->ctx, &plan, subs, 2, v, &v[2]);
        if (st) {
            snprintf(msg, sizeof msg, "winsum_plan_create(\"%s\"): %s: %s", subs,
                     winsum_status_string(st), winsum_last_error(b->ctx));
            cell_fail(b, r, B_WINSUM, c, msg);
            ok = 0;
        } else {
            plan_call a = {b->ctx, plan};
            ok = !time_cell(b, r, B_WINSUM, c, run_plan, &a, 1, b->reps, ein_flops(e));
            if (ok && got) ok = !dev_download(b, r, &dev[2], got, ein_elems(e, 2));
        }
    }
    winsum_plan_destroy(plan);
    for (int t = 0; t < 3; t++)
        if (dev[t].mem) winsum_buffer_free(b->ctx, &dev[t]);
    return ok ? 0 : -1;
}

/* The reference on the whole case (e->ref_full, timed) or on a slice of
 * about 4 MFLOP: the largest output label cut to its first indices. Checks
 * winsum's result `got` (NULL: nothing to check) on what it computed. */
static void ein_reference(bench *b, row *r, const ein_case *e, void *const host[2],
                          const void *got)
{
    char cut = 0, subs[3 * WINSUM_MAX_DIMS + 8], msg[1200];
    int64_t keep = 0;
    double flops = ein_flops(e);
    if (!e->ref_full) {
        for (const char *p = e->lab[2]; *p; p++)
            if (!cut || e->size[(unsigned char)*p] > e->size[(unsigned char)cut]) cut = *p;
        int64_t full = cut ? e->size[(unsigned char)cut] : 1;
        keep = (int64_t)ceil((double)full * 4e6 / flops);
        if (keep < 1) keep = 1;
        if (keep >= full) cut = 0;
        else flops = flops * (double)keep / (double)full;
    }
    winsum_buffer hb[3];
    winsum_view v[3];
    size_t nout = ein_elems(e, 2);
    void *want = malloc(nout * b->esz), *slice = malloc(nout * b->esz);
    if (!want || !slice) {
        cell_fail(b, r, B_REF, &r->c[B_REF], "malloc: out of host memory");
        goto done;
    }
    for (int t = 0; t < 2; t++) hb[t] = winsum_buffer_host(host[t], ein_elems(e, t) * b->esz);
    hb[2] = winsum_buffer_host(want, nout * b->esz);
    for (int t = 0; t < 2; t++) v[t] = ein_view(e, t, b->dtype, &hb[t], cut, keep);
    /* the output slice, dense in `want`; and as a view of the full output */
    winsum_view full_out = ein_view(e, 2, b->dtype, &hb[2], cut, keep);
    v[2] = winsum_view_contiguous(&hb[2], b->dtype, full_out.ndim, full_out.shape);
    ein_subscripts(e, subs, sizeof subs);
    double t0 = now_ms();
    winsum_status st = winsum_einsum(b->ref, subs, 2, v, &v[2], 1.0, 0.0);
    double ms = now_ms() - t0;
    if (st) {
        snprintf(msg, sizeof msg, "winsum_einsum(\"%s\") [reference backend]: %s: %s", subs,
                 winsum_status_string(st), winsum_last_error(b->ref));
        cell_fail(b, r, B_REF, &r->c[B_REF], msg);
        goto done;
    }
    r->c[B_REF] = (cell){e->ref_shown ? CELL_DONE : CELL_SKIP, flops, ms, -1};
    if (cut && e->is_gemm)
        note(b, "%s: reference and check on the slice %s[%c < %lld of %lld] (%.1f MFLOP, %.0f ms)",
             r->csv_case, e->lab[2], cut, (long long)keep, (long long)e->size[(unsigned char)cut],
             flops / 1e6, ms);
    if (got) {
        winsum_view gv = full_out;
        gather(got, &gv, slice);
        size_t n = 1;
        for (int i = 0; i < gv.ndim; i++) n *= (size_t)gv.shape[i];
        set_check(b, &r->c[B_WINSUM],
                  compare(r->csv_case, r->dtype, "winsum vs reference", slice, want, n,
                          ein_reduction(e)));
    }
done:
    free(want);
    free(slice);
}

#ifdef WINSUM_HAVE_CLBLAST
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
#endif

/* CLBlast's S/Dgemm of a gemm case on device copies of host[0..1], checked
 * against winsum's result ws (NULL: unchecked). */
static void ein_clblast(bench *b, row *r, const ein_case *e, void *const host[2], const void *ws)
{
    cell *c = &r->c[B_CLBLAST];
    if (b->na_why[B_CLBLAST]) { /* not in this dtype */
        c->state = CELL_NA;
        return;
    }
#ifdef WINSUM_HAVE_CLBLAST
    size_t m = (size_t)e->size['i'], n = (size_t)e->size['k'], k = (size_t)e->size['j'];
    clblast_gemm_call a = {b->queue, b->dtype, m, n, k, NULL, NULL, NULL};
    cl_int err = CL_SUCCESS;
    char msg[1024];
    const char *call = "clCreateBuffer";
    a.a = clCreateBuffer(b->cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, m * k * b->esz, host[0],
                         &err);
    if (!err)
        a.b = clCreateBuffer(b->cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, k * n * b->esz,
                             host[1], &err);
    if (!err) a.c = clCreateBuffer(b->cl, CL_MEM_READ_WRITE, m * n * b->esz, NULL, &err);
    void *got = malloc(m * n * b->esz);
    if (err || !got) {
        snprintf(msg, sizeof msg, "%s: %s", got ? call : "malloc",
                 got ? "OpenCL error" : "out of host memory");
        cell_fail(b, r, B_CLBLAST, c, msg);
    } else if (!time_cell(b, r, B_CLBLAST, c, run_clblast_gemm, &a, 1, b->reps, ein_flops(e))) {
        err = clEnqueueReadBuffer(b->queue, a.c, CL_TRUE, 0, m * n * b->esz, got, 0, NULL, NULL);
        if (err) {
            snprintf(msg, sizeof msg, "clEnqueueReadBuffer: OpenCL error %d", (int)err);
            cell_fail(b, r, B_CLBLAST, c, msg);
        } else if (ws) {
            set_check(b, c, compare(r->csv_case, r->dtype, "clblast vs winsum", got, ws, m * n,
                                    (double)k));
        }
    }
    free(got);
    if (a.a) clReleaseMemObject(a.a);
    if (a.b) clReleaseMemObject(a.b);
    if (a.c) clReleaseMemObject(a.c);
#else
    (void)b, (void)e, (void)host, (void)ws;
    c->state = CELL_NA;
#endif
}

/* A square-ish 'ij,jk->ik' of (about) the given flop count. */
static void gemm_case(ein_case *e, const char *name, int64_t m, int64_t n, int64_t k)
{
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    strcpy(e->lab[0], "ij");
    strcpy(e->lab[1], "jk");
    strcpy(e->lab[2], "ik");
    e->size['i'] = m;
    e->size['j'] = k;
    e->size['k'] = n;
    e->is_gemm = 1;
}

/* One einsum case on every backend that runs it. */
static void ein_bench(bench *b, const char *suite, const ein_case *e)
{
    char subs[3 * WINSUM_MAX_DIMS + 8];
    ein_subscripts(e, subs, sizeof subs);
    row *r = new_row(b, suite, e->name, e->name, subs);
    if (!r) return;
    fprintf(stderr, "  %s %s ...\n", e->name, subs);
    void *host[2] = {random_data(b, ein_elems(e, 0)), random_data(b, ein_elems(e, 1))};
    void *got = malloc(ein_elems(e, 2) * b->esz);
    if (!host[0] || !host[1] || !got) {
        cell_fail(b, r, B_WINSUM, &r->c[B_WINSUM], "malloc: out of host memory");
        goto done;
    }
    int ws_ok = !ein_winsum(b, r, &r->c[B_WINSUM], e, host, got);
    ein_reference(b, r, e, host, ws_ok ? got : NULL);
    if (e->is_gemm) {
        ein_clblast(b, r, e, host, ws_ok ? got : NULL);
        blas_gemm_cell(b, r, &r->c[B_OPENBLAS], e->size['i'], e->size['k'], e->size['j']);
    } else {
        /* the GETT ratio: winsum's GEMM of the same flops; CLBlast has no
         * general contraction, so its column (like OpenBLAS's) is its GEMM
         * of the same flops, unchecked (a GEMM is not this contraction) */
        int64_t s = (int64_t)llround(cbrt(ein_flops(e) / 2));
        ein_case g;
        gemm_case(&g, "gemm_eq", s, s, s);
        void *gh[2] = {random_data(b, ein_elems(&g, 0)), random_data(b, ein_elems(&g, 1))};
        if (!gh[0] || !gh[1]) cell_fail(b, r, B_WINSUM, &r->gemm_eq, "malloc: out of host memory");
        else {
            ein_winsum(b, r, &r->gemm_eq, &g, gh, NULL);
            ein_clblast(b, r, &g, gh, NULL);
        }
        free(gh[0]);
        free(gh[1]);
        blas_gemm_cell(b, r, &r->c[B_OPENBLAS], s, s, s);
    }
done:
    free(host[0]);
    free(host[1]);
    free(got);
}

static void suite_gemm(bench *b)
{
    static const int64_t sizes[] = {256, 512, 1024};
    for (int i = 0; i < 3; i++) {
        char name[32];
        ein_case e;
        snprintf(name, sizeof name, "gemm%lld", (long long)sizes[i]);
        gemm_case(&e, name, sizes[i], sizes[i], sizes[i]);
        e.ref_full = e.ref_shown = sizes[i] <= 256; /* the reference is too slow beyond */
        ein_bench(b, "gemm", &e);
    }
}

/* --------------------------------------------------------------- tccg */

/* The first existing `rel` in dir, dir/.., dir/../.. ... for dir = the
 * current directory and the executable's directory. */
static int find_up(const char *rel, char *out, size_t n)
{
    char start[2][PATH_MAX];
    int nstart = 0;
    if (getcwd(start[nstart], sizeof start[0])) nstart++;
    ssize_t len = readlink("/proc/self/exe", start[nstart], sizeof start[0] - 1);
    if (len > 0) {
        start[nstart][len] = 0;
        char *slash = strrchr(start[nstart], '/');
        if (slash) *slash = 0, nstart++;
    }
    for (int s = 0; s < nstart; s++) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", start[s]);
        for (;;) {
            int len = snprintf(out, n, "%s/%s", dir, rel);
            if (len > 0 && (size_t)len < n && access(out, R_OK) == 0) return 0;
            char *slash = strrchr(dir, '/');
            if (!slash) break;
            if (slash == dir) {
                if (!dir[1]) break;
                dir[1] = 0;
            } else {
                *slash = 0;
            }
        }
    }
    return -1;
}

/* Parses "id out-A-B size_a size_b ..." into e, with every size divided by
 * one factor so the contraction is about `target` flops. 0 on success. */
static int tccg_parse(const char *line, double target, ein_case *e)
{
    char spec[3 * WINSUM_MAX_DIMS + 8];
    int id, used;
    memset(e, 0, sizeof *e);
    if (sscanf(line, "%d %99s%n", &id, spec, &used) != 2) return -1;
    char *parts[3], *save = NULL;
    parts[0] = strtok_r(spec, "-", &save);
    parts[1] = strtok_r(NULL, "-", &save);
    parts[2] = strtok_r(NULL, "-", &save);
    if (!parts[0] || !parts[1] || !parts[2]) return -1;
    for (int t = 0; t < 3; t++) {
        if (strlen(parts[t]) > WINSUM_MAX_DIMS) return -1;
        strcpy(e->lab[(t + 2) % 3], parts[t]); /* out-A-B -> A, B, out */
    }
    const char *p = line + used;
    double full[26], total = 1;
    int nl = 0;
    for (char *end; nl < 26; nl++) {
        double v = strtod(p, &end);
        if (end == p) break;
        if (v < 1) return -1;
        full[nl] = v;
        total *= v;
        p = end;
    }
    for (int t = 0; t < 3; t++)
        for (const char *q = e->lab[t]; *q; q++)
            if (*q < 'a' || *q >= 'a' + nl) return -1;
    double f = pow(2 * total / target, 1.0 / nl);
    if (f < 1) f = 1;
    for (int i = 0; i < nl; i++) {
        e->size['a' + i] = (int64_t)llround(full[i] / f);
        if (e->size['a' + i] < 1) e->size['a' + i] = 1;
    }
    snprintf(e->name, sizeof e->name, "tccg%d", id);
    return 0;
}

static void suite_tccg(bench *b)
{
    char path[PATH_MAX];
    const char *env = getenv("WINSUM_TCCG");
    if (env && *env) {
        if (strlen(env) >= sizeof path) {
            fprintf(stderr, "winsum bench: WINSUM_TCCG is %zu characters long, more than "
                            "PATH_MAX (%d)\n", strlen(env), PATH_MAX);
            b->other_errors++;
            return;
        }
        snprintf(path, sizeof path, "%s", env);
    } else if (find_up("shared/data/tccg-odd.txt", path, sizeof path)) path[0] = 0;
    /* opened without blocking and checked to be a regular file: a FIFO
     * would wait for a writer */
    int fd = path[0] ? open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
    struct stat sb;
    if (fd >= 0 && (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))) {
        close(fd);
        fprintf(stderr, "winsum bench: %s: not a regular file\n", path);
        b->other_errors++;
        return;
    }
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!f) {
        if (fd >= 0) close(fd);
        printf("tccg: skipped: shared/data/tccg-odd.txt not found (set WINSUM_TCCG=FILE)\n");
        note(b, "tccg skipped: shared/data/tccg-odd.txt not found (set WINSUM_TCCG=FILE)");
        return;
    }
    fprintf(stderr, "tccg cases from %s\n", path);
    /* quick: every fourth case at ~30 MFLOP; else all at ~200 MFLOP, while
     * the suite stays under a minute */
    double target = b->quick ? 30e6 : 200e6, t0 = now_ms(), budget_ms = 60e3;
    char line[512];
    int index = 0, skipped = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line)) continue;
        ein_case e;
        if (tccg_parse(line, target, &e)) {
            fprintf(stderr, "winsum bench: %s: cannot parse: %s", path, line);
            b->other_errors++;
            continue;
        }
        if (b->quick && index++ % 4) continue;
        if (now_ms() - t0 > budget_ms) {
            skipped++;
            continue;
        }
        e.ref_full = ein_flops(&e) <= 4e6;
        e.ref_shown = 1;
        ein_bench(b, "tccg", &e);
    }
    fclose(f);
    note(b, "tccg: sizes scaled to about %.0f MFLOP; reference and check on a slice of the "
            "largest output label, 4-8 MFLOP", target / 1e6);
    if (skipped) note(b, "tccg: %d cases left out to keep the suite under %.0f s", skipped,
                      budget_ms / 1e3);
}

/* =============================================================== overhead */

/* The host cost of a call on operands so small that the kernel costs next
 * to nothing: 'i,i->' on 4 float32 elements in device buffers, through a
 * plan made once (winsum_plan_execute) and through winsum_einsum (which
 * finds that plan in its cache). Each API is warmed up, then timed in R
 * batches (the median over batches is reported):
 *  - OVH_CALLS calls with no finish between them, then one winsum_finish:
 *    OVH_HOST, the calling thread's CPU time per call until the last call
 *    returned (CLOCK_THREAD_CPUTIME_ID: the host time per call beyond the
 *    kernel), and OVH_WALL, the wall time per call until the finish
 *    returned (the queue drained);
 *  - OVH_FINISH_CALLS times call + winsum_finish: OVH_FINISH_WALL, the wall
 *    time per call.
 * The result is checked against the exact dot product afterwards. */
#define OVH_CALLS 10000
#define OVH_FINISH_CALLS 1000
#define OVH_WARMUP 100
#define OVH_TARGET_US 20.0

typedef struct ovh_call {
    winsum_context *ctx;
    winsum_plan *plan;
    winsum_view v[3]; /* a, b, out */
} ovh_call;

static int ovh_failed(winsum_context *ctx, winsum_status st, const char *what, char *err,
                      size_t n)
{
    if (st) snprintf(err, n, "%s: %s: %s", what, winsum_status_string(st), winsum_last_error(ctx));
    return st ? -1 : 0;
}

/* One call, no finish: the plan made once... */
static int ovh_plan_execute(void *arg, char *err, size_t n)
{
    ovh_call *a = arg;
    return ovh_failed(a->ctx, winsum_plan_execute(a->plan, NULL, NULL, 1.0, 0.0, NULL),
                      "winsum_plan_execute", err, n);
}

/* ...or winsum_einsum, which looks the plan up in its cache. */
static int ovh_einsum(void *arg, char *err, size_t n)
{
    ovh_call *a = arg;
    return ovh_failed(a->ctx, winsum_einsum(a->ctx, "i,i->", 2, a->v, &a->v[2], 1.0, 0.0),
                      "winsum_einsum", err, n);
}

static const struct ovh_api {
    const char *csv, *label;
    call_fn fn;
} ovh_apis[2] = {{"plan_execute", "winsum_plan_execute", ovh_plan_execute},
                 {"einsum", "winsum_einsum (cache hit)", ovh_einsum}};

static const char *const ovh_mode_csv[OVH_NMODES] = {"host_us", "wall_us", "finish_wall_us"};

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
        if (finish_each && ovh_failed(a->ctx, winsum_finish(a->ctx), "winsum_finish", err, n))
            return -1;
    }
    double c1 = thread_cpu_ms();
    if (ovh_failed(a->ctx, winsum_finish(a->ctx), "winsum_finish", err, n)) return -1;
    *cpu_ms = (c1 - c0) / calls;
    *wall_ms = (now_ms() - w0) / calls;
    return 0;
}

/* Times API `api` into b->ovh[api] and checks what it wrote to `out`
 * (want: the exact result). */
static void ovh_api_bench(bench *b, ovh_call *a, const winsum_buffer *out, int api, float want)
{
    const struct ovh_api *p = &ovh_apis[api];
    ovh_result *res = &b->ovh[api];
    double t[OVH_NMODES][MAX_REPS], unused;
    char err[1024] = "", name[64];
    const float poison = -1e30f;
    int reps = b->reps;
    snprintf(name, sizeof name, "overhead_%s", p->csv);
    fprintf(stderr, "  %s ...\n", name);
    res->check = -1;
    int ok = !ovh_failed(b->ctx, winsum_buffer_write(b->ctx, out, 0, &poison, sizeof poison),
                         "winsum_buffer_write", err, sizeof err) &&
             !ovh_batch(p->fn, a, OVH_WARMUP, 0, &unused, &unused, err, sizeof err);
    for (int r = 0; r < reps && ok; r++)
        ok = !ovh_batch(p->fn, a, OVH_CALLS, 0, &t[OVH_HOST][r], &t[OVH_WALL][r], err,
                        sizeof err) &&
             !ovh_batch(p->fn, a, OVH_FINISH_CALLS, 1, &unused, &t[OVH_FINISH_WALL][r], err,
                        sizeof err);
    float got = 0;
    if (ok)
        ok = !ovh_failed(b->ctx, winsum_buffer_read(b->ctx, out, 0, &got, sizeof got),
                         "winsum_buffer_read", err, sizeof err);
    if (!ok) {
        fprintf(stderr, "winsum bench: %s winsum: %s\n", name, err);
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

static void suite_overhead(bench *b)
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
            fprintf(stderr, "winsum bench: overhead: winsum_plan_create(\"i,i->\"): %s: %s\n",
                    winsum_status_string(st), winsum_last_error(b->ctx));
            b->ws_errors++;
            ok = 0;
        }
    }
    for (int api = 0; api < 2; api++) {
        if (ok) ovh_api_bench(b, &a, &dev[2], api, dot);
        else b->ovh[api].state = CELL_ERR, b->ovh[api].check = -1;
    }
    winsum_plan_destroy(a.plan);
    for (int t = 0; t < 3; t++)
        if (dev[t].mem) winsum_buffer_free(b->ctx, &dev[t]);
}

/* ============================================================== coldstart */

/* The cost of the first call of a kernel the process has not built: a
 * forward convolution 3x3 s1 p1, 16->16 channels, 8x8, batch 1, float32, as
 * the first winsum call of a fresh child process of this executable
 * (`winsum bench --coldstart-child`), with POCL_KERNEL_CACHE=0 so that
 * PoCL's own cache does not hide the build. The runs, in order: an empty
 * WINSUM_CACHE_DIR (the build), the same folder again (a second process
 * that loads the programs the first stored), and WINSUM_CACHE_DIR=off. The
 * child times the first call (plan + build or load + run + finish), a
 * second call, and the median of COLD_STEADY_CALLS more; it checks the
 * result against the reference backend. */
static const conv_layer cold_layer = {"conv3x3_s1_16x8x8", 16, 16, 8, 3, 1, 1, 1};
#define COLD_STEADY_CALLS 5
#define COLD_TARGET 0.05 /* first call with the disk cache / first call cold */

static const struct cold_run {
    const char *csv, *label;
    int cache_off;
} cold_runs[COLD_RUNS] = {{"first_call_cold", "cold (empty disk cache)", 0},
                          {"first_call_disk_cache", "disk cache (2nd process)", 0},
                          {"first_call_cache_off", "WINSUM_CACHE_DIR=off", 1}};

/* The child: one line "coldstart-child context_ms=.. first_ms=.. ..." on
 * stdout, errors on stderr; 0 when it worked. */
static int coldstart_child(const char *device)
{
    bench *b = calloc(1, sizeof *b);
    if (!b) return fputs("winsum bench --coldstart-child: out of memory\n", stderr), 1;
    b->dtype = WINSUM_F32;
    b->esz = sizeof(float);
    b->reps = 1;
    const conv_layer *l = &cold_layer;
    double t0 = now_ms();
    winsum_status st = winsum_context_create(&b->ctx, WINSUM_BACKEND_OPENCL, device);
    double context_ms = now_ms() - t0;
    if (!st) st = winsum_context_create(&b->ref, WINSUM_BACKEND_REF, NULL);
    if (st) {
        fprintf(stderr, "winsum bench --coldstart-child: winsum_context_create: %s: %s\n",
                winsum_status_string(st), winsum_last_error(NULL));
        winsum_context_destroy(b->ctx);
        free(b);
        return 1;
    }
    row *r = new_row(b, "coldstart", l->name, l->name, op_suffix[OP_FWD]);
    void *host[3], *got = malloc(conv_elems(l, T_Y, 1) * sizeof(float));
    void *want = malloc(conv_elems(l, T_Y, 1) * sizeof(float));
    winsum_buffer dev[3];
    memset(dev, 0, sizeof dev);
    for (int t = 0; t < 3; t++) host[t] = random_data(b, conv_elems(l, t, 1));
    int ok = host[0] && host[1] && host[2] && got && want;
    for (int t = 0; t < 3 && ok; t++)
        ok = !dev_upload(b, l->name, t == T_Y ? NULL : host[t], conv_elems(l, t, 1), &dev[t]);
    double first = 0, second = 0, steady = 0;
    long builds = 0;
    int check = -1;
    char err[1024] = "";
    if (ok) {
        const winsum_buffer *bufs[3] = {&dev[T_X], &dev[T_W], &dev[T_Y]};
        conv_call a = {b->ctx, OP_FWD, {0}, {{0}}};
        conv_desc(l, &a.desc);
        conv_views(l, 1, WINSUM_F32, bufs, a.v);
        long builds0 = winsum_program_builds();
        double s0 = now_ms();
        ok = !run_conv(&a, err, sizeof err);
        first = now_ms() - s0;
        builds = winsum_program_builds() - builds0;
        s0 = now_ms();
        ok = ok && !run_conv(&a, err, sizeof err);
        second = now_ms() - s0;
        ok = ok && !measure(run_conv, &a, 0, COLD_STEADY_CALLS, &steady, err, sizeof err);
        if (!ok) fprintf(stderr, "winsum bench --coldstart-child: %s\n", err);
        if (ok && !dev_download(b, r, &dev[T_Y], got, conv_elems(l, T_Y, 1)) &&
            !conv_reference(b, r, l, OP_FWD, host, want))
            check = compare(l->name, WINSUM_F32, "winsum vs reference", got, want,
                            conv_elems(l, T_Y, 1), conv_reduction(l, OP_FWD, 1));
    }
    ok = ok && check >= 0 && !b->ws_errors;
    if (ok)
        printf("coldstart-child context_ms=%.4f first_ms=%.4f second_ms=%.4f steady_ms=%.4f "
               "builds=%ld check=%d\n",
               context_ms, first, second, steady, builds, check);
    for (int t = 0; t < 3; t++) {
        if (dev[t].mem) winsum_buffer_free(b->ctx, &dev[t]);
        free(host[t]);
    }
    free(got);
    free(want);
    winsum_context_destroy(b->ref);
    winsum_context_destroy(b->ctx);
    free(b);
    return ok ? 0 : 1;
}

/* Removes folder `path` and everything under it (no links followed). */
static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char sub[PATH_MAX];
            struct stat st;
            int len = snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            if (len < 0 || (size_t)len >= sizeof sub) continue; /* never a cut name */
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(sub);
            else unlink(sub);
        }
        closedir(d);
    }
    rmdir(path);
}

/* Runs the child with WINSUM_CACHE_DIR=cache_dir and POCL_KERNEL_CACHE=0
 * added to this process's environment; its line parsed into res. */
static int cold_spawn(const bench *b, const char *cache_dir, cold_result *res, char *err,
                      size_t n)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return snprintf(err, n, "readlink /proc/self/exe: %s", strerror(errno)), -1;
    exe[len] = 0;
    char a0[] = "winsum", a1[] = "bench", a2[] = "--coldstart-child", a3[] = "--device";
    char *argv[] = {a0, a1, a2, b->device ? a3 : NULL, (char *)b->device, NULL};
    /* the environment: ours without the two variables, then them */
    size_t nenv = 0;
    while (environ[nenv]) nenv++;
    char **envp = calloc(nenv + 3, sizeof *envp), cache_var[PATH_MAX + 32],
         pocl_var[] = "POCL_KERNEL_CACHE=0";
    if (!envp) return snprintf(err, n, "out of host memory"), -1;
    size_t k = 0;
    for (size_t i = 0; i < nenv; i++)
        if (strncmp(environ[i], "WINSUM_CACHE_DIR=", 17) &&
            strncmp(environ[i], "POCL_KERNEL_CACHE=", 18))
            envp[k++] = environ[i];
    snprintf(cache_var, sizeof cache_var, "WINSUM_CACHE_DIR=%s", cache_dir);
    envp[k++] = cache_var;
    envp[k++] = pocl_var;
    envp[k] = NULL;

    int fd[2];
    if (pipe(fd)) {
        free(envp);
        return snprintf(err, n, "pipe: %s", strerror(errno)), -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    posix_spawn_file_actions_addclose(&fa, fd[1]);
    pid_t pid;
    int e = posix_spawn(&pid, exe, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    free(envp);
    close(fd[1]);
    if (e) {
        close(fd[0]);
        return snprintf(err, n, "posix_spawn %s: %s", exe, strerror(e)), -1;
    }
    char out[4096];
    size_t used = 0;
    for (;;) {
        ssize_t got = read(fd[0], out + used, sizeof out - 1 - used);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        used += (size_t)got;
        if (used == sizeof out - 1) break;
    }
    out[used] = 0;
    close(fd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return snprintf(err, n, "the child %s bench --coldstart-child %s (see its messages above)",
                        exe, WIFEXITED(status) ? "failed" : "was killed"), -1;
    const char *line = strstr(out, "coldstart-child ");
    if (!line || sscanf(line, "coldstart-child context_ms=%lf first_ms=%lf second_ms=%lf "
                              "steady_ms=%lf builds=%ld check=%d",
                        &res->context_ms, &res->first_ms, &res->second_ms, &res->steady_ms,
                        &res->builds, &res->check) != 6)
        return snprintf(err, n, "the child printed no result line: '%.200s'", out), -1;
    return 0;
}

static void suite_coldstart(bench *b)
{
    const char *tmp = getenv("TMPDIR");
    char dir[PATH_MAX];
    int len = snprintf(dir, sizeof dir, "%s/winsum-coldstart-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    b->cold_ran = 1;
    if (len < 0 || (size_t)len >= sizeof dir - 64) { /* room for the cache's file names */
        errno = ENAMETOOLONG;
        dir[0] = 0;
    }
    if (!dir[0] || !mkdtemp(dir)) {
        fprintf(stderr, "winsum bench: coldstart: mkdtemp %s/winsum-coldstart-XXXXXX: %s\n",
                tmp && *tmp ? tmp : "/tmp", strerror(errno));
        for (int i = 0; i < COLD_RUNS; i++) b->cold[i].state = CELL_ERR, b->cold[i].check = -1;
        b->other_errors++;
        return;
    }
    for (int i = 0; i < COLD_RUNS; i++) {
        char err[PATH_MAX + 200];
        cold_result *res = &b->cold[i];
        fprintf(stderr, "  coldstart %s ...\n", cold_runs[i].csv);
        memset(res, 0, sizeof *res);
        res->check = -1;
        if (cold_spawn(b, cold_runs[i].cache_off ? "off" : dir, res, err, sizeof err)) {
            fprintf(stderr, "winsum bench: coldstart %s winsum: %s\n", cold_runs[i].csv, err);
            res->state = CELL_ERR;
            b->ws_errors++;
            continue;
        }
        res->state = CELL_DONE;
        if (!res->check) b->mismatches++;
    }
    remove_tree(dir);
}

/* ================================================================ output */

static void fmt_cell(const cell *c, char *s, size_t n)
{
    switch (c->state) {
    case CELL_DONE: snprintf(s, n, "%.2f", gflops(c)); break;
    case CELL_ERR: snprintf(s, n, "err"); break;
    case CELL_NA: snprintf(s, n, "n/a"); break;
    default: snprintf(s, n, "-"); break;
    }
}

static const char *check_text(const row *r)
{
    int checked = 0;
    for (int i = 0; i < NBACK; i++) {
        if (r->c[i].check == 0) return i == B_WINSUM ? "MISMATCH" : "MISMATCH(clblast)";
        if (r->c[i].check == 1) checked = 1;
    }
    return checked ? "ok" : "-";
}

static void print_table(const bench *b)
{
    if (!b->nrows) return;
    printf("\nGFLOP/s (%s), median of %d. reference: one call (conv: on batch 1; gemm: gemm256 "
           "only; tccg: on a slice, see notes)\n", dtype_csv(b->dtype), b->reps);
    if (b->na_why[B_OPENBLAS])
        printf("OpenBLAS: n/a in %s (%s)\n", dtype_csv(b->dtype), b->na_why[B_OPENBLAS]);
    else
        printf("OpenBLAS = host cblas_%cgemm of the same flop count (conv: the im2col GEMM's "
               "M,N,K; tccg: a square GEMM), not a convolution\n",
               b->dtype == WINSUM_F64 ? 'd' : 's');
    if (b->na_why[B_CLBLAST])
        printf("CLBlast: n/a in %s (%s)\n", dtype_csv(b->dtype), b->na_why[B_CLBLAST]);
    else
        printf("CLBlast = on the same device (tccg: %cgemm of a square GEMM of the same flop "
               "count, as it has no general contraction)\n",
               b->dtype == WINSUM_F64 ? 'D' : 'S');
    printf("ws-GEMM = winsum's own GEMM of the same flop count (tccg only)\n\n");
    printf("%-13s %-26s %-22s %8s %8s %8s %8s %9s %7s  %s\n", "suite", "case", "op", "winsum",
           "ws-GEMM", "CLBlast", "OpenBLAS", "reference", "ws/CLB", "check");
    const char *suite = NULL;
    for (int i = 0; i < b->nrows; i++) {
        const row *r = &b->rows[i];
        if (suite && strcmp(suite, r->suite)) putchar('\n');
        suite = r->suite;
        char v[NBACK][24], ge[24], ratio[24] = "-";
        for (int k = 0; k < NBACK; k++) fmt_cell(&r->c[k], v[k], sizeof v[k]);
        fmt_cell(&r->gemm_eq, ge, sizeof ge);
        if (r->c[B_WINSUM].state == CELL_DONE && r->c[B_CLBLAST].state == CELL_DONE)
            snprintf(ratio, sizeof ratio, "%.2f", gflops(&r->c[B_WINSUM]) / gflops(&r->c[B_CLBLAST]));
        printf("%-13s %-26s %-22s %8s %8s %8s %8s %9s %7s  %s\n", r->suite, r->label, r->op,
               v[B_WINSUM], ge, v[B_CLBLAST], v[B_OPENBLAS], v[B_REF], ratio, check_text(r));
    }
    /* geometric means per suite */
    putchar('\n');
    for (int i = 0; i < b->nrows; i++) {
        const char *s = b->rows[i].suite;
        int seen = 0;
        for (int j = 0; j < i; j++) seen |= !strcmp(b->rows[j].suite, s);
        if (seen) continue;
        double lr = 0, lg = 0;
        int nr = 0, ng = 0;
        for (int j = i; j < b->nrows; j++) {
            const row *r = &b->rows[j];
            if (strcmp(r->suite, s)) continue;
            double w = gflops(&r->c[B_WINSUM]);
            if (w > 0 && gflops(&r->c[B_CLBLAST]) > 0) lr += log(w / gflops(&r->c[B_CLBLAST])), nr++;
            if (w > 0 && gflops(&r->gemm_eq) > 0) lg += log(w / gflops(&r->gemm_eq)), ng++;
        }
        if (nr) printf("%-13s geometric mean winsum/CLBlast: %.2f over %d cases\n", s, exp(lr / nr), nr);
        else printf("%-13s geometric mean winsum/CLBlast: - (no case ran on both)\n", s);
        if (ng) printf("%-13s geometric mean winsum/winsum-GEMM (GETT efficiency): %.2f over %d cases\n",
                       s, exp(lg / ng), ng);
    }
}

static const char *check_word(int check) { return check < 0 ? "-" : check ? "ok" : "MISMATCH"; }

static void print_overhead(const bench *b)
{
    if (!b->ovh_ran) return;
    printf("\noverhead: 'i,i->' on 4 float32 elements in device buffers; microseconds per call, "
           "median of %d batches\n", b->reps);
    printf("  host CPU: the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID) over %d calls "
           "with no finish between them\n", OVH_CALLS);
    printf("  wall: those %d calls and one winsum_finish; wall+finish: %d x (call + "
           "winsum_finish)\n\n", OVH_CALLS, OVH_FINISH_CALLS);
    printf("%-28s %12s %12s %15s  %s\n", "call", "host CPU us", "wall us", "wall+finish us",
           "check");
    for (int api = 0; api < 2; api++) {
        const ovh_result *o = &b->ovh[api];
        if (o->state != CELL_DONE) {
            printf("%-28s %12s %12s %15s  -\n", ovh_apis[api].label, "err", "err", "err");
            continue;
        }
        printf("%-28s %12.2f %12.2f %15.2f  %s\n", ovh_apis[api].label, o->ms[OVH_HOST] * 1e3,
               o->ms[OVH_WALL] * 1e3, o->ms[OVH_FINISH_WALL] * 1e3, check_word(o->check));
    }
    const ovh_result *p = &b->ovh[0], *e = &b->ovh[1];
    if (p->state == CELL_DONE)
        printf("\ntarget: host CPU per winsum_plan_execute <= %.0f us: %s (%.2f us)\n",
               OVH_TARGET_US, p->ms[OVH_HOST] * 1e3 <= OVH_TARGET_US ? "met" : "NOT met",
               p->ms[OVH_HOST] * 1e3);
    if (p->state == CELL_DONE && e->state == CELL_DONE)
        printf("plan-cache hit: winsum_einsum - winsum_plan_execute host CPU = %+.2f us per call "
               "(spread over batches: %.2f us, %.2f us)\n",
               (e->ms[OVH_HOST] - p->ms[OVH_HOST]) * 1e3, p->host_spread_ms * 1e3,
               e->host_spread_ms * 1e3);
}

/* The median of the runs' steady-state times (0 when none ran). */
static double cold_steady(const bench *b)
{
    double t[COLD_RUNS];
    int n = 0;
    for (int i = 0; i < COLD_RUNS; i++)
        if (b->cold[i].state == CELL_DONE) t[n++] = b->cold[i].steady_ms;
    return n ? median(t, n) : 0;
}

static void print_coldstart(const bench *b)
{
    if (!b->cold_ran) return;
    printf("\ncoldstart: conv forward 3x3 s1 p1 16->16 channels 8x8 batch 1 float32, the first "
           "winsum call of a new process (POCL_KERNEL_CACHE=0)\n");
    printf("  first call = plan + program build or load + run + finish; builds = programs "
           "compiled in it; steady = median of %d calls after the second\n\n",
           COLD_STEADY_CALLS);
    printf("%-26s %10s %13s %6s %14s %9s  %s\n", "run", "context ms", "first call ms", "builds",
           "second call ms", "steady ms", "check");
    for (int i = 0; i < COLD_RUNS; i++) {
        const cold_result *c = &b->cold[i];
        if (c->state != CELL_DONE) {
            printf("%-26s %10s %13s %6s %14s %9s  -\n", cold_runs[i].label, "err", "err", "err",
                   "err", "err");
            continue;
        }
        printf("%-26s %10.2f %13.2f %6ld %14.3f %9.3f  %s\n", cold_runs[i].label, c->context_ms,
               c->first_ms, c->builds, c->second_ms, c->steady_ms, check_word(c->check));
    }
    const cold_result *cold = &b->cold[0], *disk = &b->cold[1];
    if (cold->state == CELL_DONE && disk->state == CELL_DONE && cold->first_ms > 0) {
        double ratio = disk->first_ms / cold->first_ms;
        printf("\nfirst call with the disk cache / first call cold: %.1f%% (target <= %.0f%%): "
               "%s\n", ratio * 100, COLD_TARGET * 100, ratio <= COLD_TARGET ? "met" : "NOT met");
        if (ratio > COLD_TARGET && disk->builds == 0)
            printf("  (builds 0: the program came from winsum's disk cache; the rest is the "
                   "driver's work on a loaded binary, e.g. PoCL's native code generation at the "
                   "first launch, which only PoCL's own cache keeps)\n");
    }
    if (cold_steady(b) > 0)
        printf("steady-state call: %.3f ms (median over the runs)\n", cold_steady(b));
}

static void print_notes(const bench *b)
{
    if (b->nnotes) printf("\nnotes:\n");
    for (int i = 0; i < b->nnotes; i++) printf("  %s\n", b->notes[i]);
}

static void csv_cell(FILE *f, const row *r, const char *csv_case, int backend, const cell *c)
{
    if (c->state != CELL_DONE) return;
    fprintf(f, "%s,%s,%s,%s,%.4f,%.4f,%s\n", r->suite, csv_case, back_name[backend],
            dtype_csv(r->dtype), gflops(c), c->ms, c->check < 0 ? "" : c->check ? "1" : "0");
}

/* A latency row: gflops empty, median_ms the time per call. */
static void csv_latency(FILE *f, const char *suite, const char *csv_case, double ms, int check)
{
    fprintf(f, "%s,%s,winsum,float32,,%.6f,%s\n", suite, csv_case, ms,
            check < 0 ? "" : check ? "1" : "0");
}

static int write_csv(const bench *b, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "winsum bench: cannot write %s\n", path);
        return -1;
    }
    fprintf(f, "suite,case,backend,dtype,gflops,median_ms,matches_reference\n");
    for (int i = 0; i < b->nrows; i++) {
        const row *r = &b->rows[i];
        for (int k = 0; k < NBACK; k++) csv_cell(f, r, r->csv_case, k, &r->c[k]);
        char ge[80];
        snprintf(ge, sizeof ge, "%s_gemm_eq", r->csv_case);
        csv_cell(f, r, ge, B_WINSUM, &r->gemm_eq);
    }
    for (int api = 0; b->ovh_ran && api < 2; api++)
        for (int m = 0; m < OVH_NMODES && b->ovh[api].state == CELL_DONE; m++) {
            char name[64];
            snprintf(name, sizeof name, "%s_%s", ovh_apis[api].csv, ovh_mode_csv[m]);
            csv_latency(f, "overhead", name, b->ovh[api].ms[m], b->ovh[api].check);
        }
    for (int i = 0; b->cold_ran && i < COLD_RUNS; i++)
        if (b->cold[i].state == CELL_DONE)
            csv_latency(f, "coldstart", cold_runs[i].csv, b->cold[i].first_ms, b->cold[i].check);
    if (b->cold_ran && cold_steady(b) > 0)
        csv_latency(f, "coldstart", "steady_state_call", cold_steady(b), -1);
    return fclose(f) ? -1 : 0;
}

/* The grouped bar chart: gnuplot with bench/plot.gnuplot over a table of
 * case x backend made from the same rows as the CSV. */
static int write_plot(const bench *b, const char *png)
{
    char script[PATH_MAX];
    if (!b->nrows) {
        fprintf(stderr, "winsum bench: --plot: no GFLOP/s rows (overhead and coldstart are not "
                        "plotted); no plot written\n");
        return -1;
    }
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        fprintf(stderr, "winsum bench: --plot: gnuplot not found (Debian: apt-get install "
                        "gnuplot-nox); no plot written\n");
        return -1;
    }
    if (find_up("bench/plot.gnuplot", script, sizeof script)) {
        fprintf(stderr, "winsum bench: --plot: bench/plot.gnuplot not found; no plot written\n");
        return -1;
    }
    char dat[] = "/tmp/winsum-bench-XXXXXX";
    int fd = mkstemp(dat);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        fprintf(stderr, "winsum bench: --plot: cannot create a temporary file\n");
        return -1;
    }
    fprintf(f, "case winsum clblast openblas reference\n");
    for (int i = 0; i < b->nrows; i++) {
        const row *r = &b->rows[i];
        fprintf(f, "%s", r->csv_case);
        for (int k = 0; k < NBACK; k++)
            if (r->c[k].state == CELL_DONE) fprintf(f, " %.4f", gflops(&r->c[k]));
            else fprintf(f, " ?");
        fprintf(f, "\n");
    }
    fclose(f);
    char cmd[3 * PATH_MAX + 128];
    int len = snprintf(cmd, sizeof cmd, "gnuplot -e \"datafile='%s'; outfile='%s'\" '%s'", dat,
                       png, script);
    if (len < 0 || (size_t)len >= sizeof cmd) {
        remove(dat);
        fprintf(stderr, "winsum bench: --plot: the path %s is too long\n", png);
        return -1;
    }
    int rc = system(cmd);
    remove(dat);
    if (rc != 0) {
        fprintf(stderr, "winsum bench: --plot: gnuplot failed (%s)\n", cmd);
        return -1;
    }
    printf("plot: %s\n", png);
    return 0;
}

/* ================================================================== main */

static const char bench_usage[] =
    "usage: winsum bench [--suite NAME[,NAME..]] (gemm|conv|conv-backward|tccg|overhead|\n"
    "                    coldstart|all)\n"
    "                    [--dtype f32|f64|f16] [--quick] [--csv FILE] [--plot FILE.png]\n"
    "                    [--device N] [--reps R]\n"
    "  default suites: conv,conv-backward (what make bench runs). --quick: small sizes,\n"
    "  2 repetitions.\n"
    "  --dtype: of gemm, conv, conv-backward and tccg (overhead, coldstart: float32);\n"
    "    f16: float16 storage, float32 arithmetic (CLBlast and OpenBLAS: n/a).\n"
    "  all: gemm, conv, conv-backward, tccg, then overhead and coldstart.\n";

int ws_cli_bench(int argc, char **argv)
{
    const char *suite = "conv,conv-backward", *csv = NULL, *plot = NULL, *device = NULL, *dtype = "f32";
    int quick = 0, reps = 0, child = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (!strcmp(a, "--quick")) quick = 1, takes = 0;
        else if (!strcmp(a, "--coldstart-child")) child = 1, takes = 0; /* internal */
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) return fputs(bench_usage, stdout), 0;
        else if (!val && (!strcmp(a, "--suite") || !strcmp(a, "--csv") || !strcmp(a, "--plot") ||
                          !strcmp(a, "--device") || !strcmp(a, "--reps") ||
                          !strcmp(a, "--dtype"))) {
            fprintf(stderr, "winsum bench: %s needs a value\n", a);
            return 2;
        } else if (!strcmp(a, "--suite")) suite = val;
        else if (!strcmp(a, "--csv")) csv = val;
        else if (!strcmp(a, "--plot")) plot = val;
        else if (!strcmp(a, "--device")) device = val;
        else if (!strcmp(a, "--dtype")) dtype = val;
        else if (!strcmp(a, "--reps")) {
            char *end;
            long r = strtol(val, &end, 10);
            if (*end || r < 1 || r > MAX_REPS) {
                fprintf(stderr, "winsum bench: --reps takes 1..%d, not '%s'\n", MAX_REPS, val);
                return 2;
            }
            reps = (int)r;
        } else {
            fprintf(stderr, "winsum bench: unknown argument '%s'\n%s", a, bench_usage);
            return 2;
        }
        i += takes;
    }
    if (child) return coldstart_child(device);
    winsum_dtype dt;
    if (!strcmp(dtype, "f32") || !strcmp(dtype, "float32")) dt = WINSUM_F32;
    else if (!strcmp(dtype, "f64") || !strcmp(dtype, "float64")) dt = WINSUM_F64;
    else if (!strcmp(dtype, "f16") || !strcmp(dtype, "float16")) dt = WINSUM_F16;
    else {
        fprintf(stderr, "winsum bench: --dtype takes f32, f64 or f16, not '%s'\n", dtype);
        return 2;
    }
    int want_gemm = 0, want_conv = 0, want_bwd = 0, want_tccg = 0, want_ovh = 0, want_cold = 0;
    /* a comma-separated list of suites */
    for (const char *p = suite; *p;) {
        size_t n = strcspn(p, ",");
        char one[32] = "";
        if (n < sizeof one) memcpy(one, p, n), one[n] = 0;
        if (!strcmp(one, "all"))
            want_gemm = want_conv = want_bwd = want_tccg = want_ovh = want_cold = 1;
        else if (!strcmp(one, "gemm")) want_gemm = 1;
        else if (!strcmp(one, "conv")) want_conv = 1;
        else if (!strcmp(one, "conv-backward")) want_bwd = 1;
        else if (!strcmp(one, "tccg")) want_tccg = 1;
        else if (!strcmp(one, "overhead")) want_ovh = 1;
        else if (!strcmp(one, "coldstart")) want_cold = 1;
        else {
            fprintf(stderr, "winsum bench: unknown suite '%.*s' (gemm, conv, conv-backward, "
                            "tccg, overhead, coldstart, all; a comma-separated list)\n",
                    (int)n, p);
            return 2;
        }
        p += n;
        if (*p == ',') p++;
    }
    int want_rates = want_gemm || want_conv || want_bwd || want_tccg;

    bench *b = calloc(1, sizeof *b);
    if (!b) return fputs("winsum bench: out of memory\n", stderr), 1;
    b->quick = quick;
    b->reps = reps ? reps : quick ? 2 : 5;
    b->dtype = dt;
    b->esz = winsum_dtype_size(dt);
    b->device = device;
    b->conv_batch = quick ? 2 : 8;
    winsum_status st = winsum_context_create(&b->ctx, WINSUM_BACKEND_OPENCL, device);
    if (st) {
        fprintf(stderr, "winsum bench: winsum_context_create(OpenCL, %s): %s\n",
                device ? device : "default device", winsum_status_string(st));
        free(b);
        return 1;
    }
    st = winsum_context_create(&b->ref, WINSUM_BACKEND_REF, NULL);
    if (st) {
        fprintf(stderr, "winsum bench: winsum_context_create(reference): %s\n",
                winsum_status_string(st));
        winsum_context_destroy(b->ctx);
        free(b);
        return 1;
    }
    b->cl = winsum_context_cl(b->ctx);
    b->queue = winsum_context_queue(b->ctx);
    if (dt == WINSUM_F16) {
        /* CLBlast's H routines compute in half (and need cl_khr_fp16), not
         * float32 like winsum and the reference: not run; OpenBLAS has no
         * half GEMM */
#ifdef WINSUM_HAVE_CLBLAST
        b->na_why[B_CLBLAST] =
            queue_has_extension(b->queue, "cl_khr_fp16")
                ? "its half routines compute in half, not float32; the bench does not run them"
                : "no cl_khr_fp16 on this device, which CLBlastHgemm needs";
#endif
        b->na_why[B_OPENBLAS] = "OpenBLAS has no half GEMM";
    }

    char date[64];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
    printf("winsum bench %s, suite %s%s\n", winsum_version_string(), suite, quick ? " (quick)" : "");
    printf("device: %s\n", winsum_context_device_name(b->ctx));
    printf("date: %s\n", date);
    printf("tile parameters: %s, %s\n", winsum_tuning_params(b->ctx),
           winsum_tuning_source(b->ctx));
    printf("disk cache: %s\n", winsum_cache_info(b->ctx));
    /* float64 where the device has it; else the GFLOP/s suites are skipped */
    if (want_rates && !winsum_context_has_dtype(b->ctx, dt)) {
        printf("dtype %s: the device has no fp64 (cl_khr_fp64): %s skipped\n", dtype_csv(dt),
               want_ovh || want_cold ? "gemm, conv, conv-backward and tccg" : suite);
        want_gemm = want_conv = want_bwd = want_tccg = want_rates = 0;
    }
    if (want_rates) {
        printf("dtype %s; %d repetitions (median) after one warm-up call; conv batch %lld%s\n",
               dtype_csv(dt), b->reps, (long long)b->conv_batch,
               quick ? "" : " (reference: batch 1)");
        printf("check: winsum vs reference, CLBlast vs winsum: max|diff| <= %s*max|ref|, K = "
               "products per output element\n", tolerance_text(dt));
        if (b->na_why[B_CLBLAST])
            printf("CLBlast: n/a for %s (%s)\n", dtype_csv(dt), b->na_why[B_CLBLAST]);
        if (b->na_why[B_OPENBLAS])
            printf("OpenBLAS: n/a for %s (%s)\n", dtype_csv(dt), b->na_why[B_OPENBLAS]);
#ifndef WINSUM_HAVE_CLBLAST
        printf("CLBlast: not built in (n/a)\n");
#endif
#ifndef WINSUM_HAVE_OPENBLAS
        printf("OpenBLAS: not built in (n/a)\n");
#endif
    }
    fflush(stdout);

    double t0 = now_ms();
    if (want_gemm) suite_gemm(b);
    if (want_conv) {
        int ops[] = {OP_FWD};
        suite_conv(b, "conv", ops, 1);
    }
    if (want_bwd) {
        int ops[] = {OP_BWD_DATA, OP_BWD_WEIGHT};
        suite_conv(b, "conv-backward", ops, 2);
    }
    if (want_tccg) suite_tccg(b);
    if (want_ovh) suite_overhead(b);
    if (want_cold) suite_coldstart(b);

    print_table(b);
    print_overhead(b);
    print_coldstart(b);
    print_notes(b);
    printf("\nwall time %.1f s; %d mismatches; %d winsum errors; %d other errors\n",
           (now_ms() - t0) / 1e3, b->mismatches, b->ws_errors, b->other_errors);
    if (csv && write_csv(b, csv) == 0) printf("csv: %s\n", csv);
    if (plot) write_plot(b, plot);
    int rc = b->mismatches || b->ws_errors ? 1 : 0;
    winsum_context_destroy(b->ref);
    winsum_context_destroy(b->ctx);
    free(b);
    return rc;
}
