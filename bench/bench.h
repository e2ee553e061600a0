/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * bench.h - what the files of `winsum-bench` share: the results of a run
 * (bench, row, cell), timing, checking, random data and device buffers
 * (common.c), the convolution layers (conv.c, also run by coldstart.c and
 * peers.c), the suites (conv.c, einsum.c, overhead.c, coldstart.c), the
 * peers CLBlast and OpenBLAS (peers.c), the check of the peers against an
 * earlier run (baseline.c) and the report (report.c).
 */
#ifndef WINSUM_BENCH_H
#define WINSUM_BENCH_H

#include "internal.h"
#include "winsum.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ================================================================ results */

/* B_TORCH and B_NUMPY run in peers.py (pypeers.c), the others in-process. */
enum { B_WINSUM, B_CLBLAST, B_OPENBLAS, B_REF, B_TORCH, B_NUMPY, NBACK };
extern const char *const back_name[NBACK];

/* CELL_LOW: a peer's figure far below its figure in the --baseline run:
 * measured, but not quoted (baseline.c). */
typedef enum { CELL_EMPTY, CELL_DONE, CELL_ERR, CELL_NA, CELL_SKIP, CELL_LOW } cell_state;

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
    cell gemm_eq;  /* winsum's GEMM of the same flop count (tccg) */
    int count;     /* network suites: how often the layer occurs (0: not a network row) */
    int grouped;   /* a grouped (depthwise) convolution */
    char impl[16]; /* conv rows: the implementation winsum ran ("" unknown) */
} row;

#define MAX_ROWS    320
#define PY_MAX_INFO 4
#define MAX_NOTES   64
#define MAX_REPS    64

/* overhead: per-call times (ms) of each API (plan_execute, einsum) in each
 * way of timing it; see ovh_apis and ovh_mode_csv. */
enum { OVH_PLAN_EXECUTE, OVH_EINSUM, OVH_NAPIS };
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
    int progress;              /* draw "case ..." lines on stderr (a terminal, no --quiet) */
    winsum_dtype dtype;        /* of the GFLOP/s suites */
    size_t esz;                /* its element size */
    const char *device;        /* --device, passed on to coldstart's children */
    const char *na_why[NBACK]; /* why a backend is n/a in this dtype (NULL: it runs) */
    char na_buf[NBACK][240];   /* where na_why points when the reason is composed */
    /* the CPU behind the device (cpu.c) and the peak it implies */
    int units;          /* the OpenCL device's compute units: PoCL's threads */
    double peak_gflops; /* in b->dtype (float16: float32's), 0 when unknown */
    char cpu_text[400], peak_text[400];
    /* peers.py (pypeers.c): its process, its pipes and what it said */
    long py_pid;       /* 0: not running */
    int py_in, py_out; /* its stdin (we write), its stdout (we read) */
    FILE *py_err;      /* its stderr, kept to show when it dies */
    char py_buf[4096]; /* what was read from py_out and not yet used */
    size_t py_len;
    char py_version[NBACK][64];
    char py_info[PY_MAX_INFO][160]; /* its "info" lines: BLAS core, environment */
    int py_ninfo;
    const char *py_script; /* peers.py's path, for the header */
    char py_path[4096];
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
    /* --baseline: an earlier run's GFLOP/s rows (baseline.c) */
    struct base_row *base;
    int nbase;
    const char *base_path;
    ovh_result ovh[OVH_NAPIS];
    cold_result cold[COLD_RUNS];
} bench;

/* ============================================ common.c: rows and timing */

/* A progress line on stderr ("  case ..."), only when b->progress. */
void progress(const bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Third-party chatter (CLBlast's kernel compiler prints "1 warning
 * generated." on fd 2): capture_begin points fd 2 at a temporary file;
 * capture_end restores it and replays what was captured when `failed`.
 * Without a temporary file, nothing is captured. */
typedef struct capture {
    int saved_fd;
    FILE *tmp;
} capture;
void capture_begin(capture *c);
void capture_end(capture *c, int failed);

/* "f32", "f64", "f16" (or float32, ...) into *dt; 0, or -1 for anything else. */
int parse_dtype(const char *s, winsum_dtype *dt);

const char *dtype_csv(winsum_dtype dt);
double now_ms(void);
/* What the bench prints is at most this wide (wider tables: --csv). */
#define BENCH_WIDTH 100
/* printf to stdout with every line longer than BENCH_WIDTH wrapped at a
 * space, the rest indented two more than the line. */
void bench_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A line for the notes at the end of the report. */
void bench_note(bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The next row of the table (NULL when it is full). */
row *new_row(bench *b, const char *suite, const char *csv_case, const char *label, const char *op);
/* A failed call: one line on stderr, "err" in the cell. */
void cell_fail(bench *b, const row *r, int backend, cell *c, const char *what);
double gflops(const cell *c);

/* One call of the thing measured, including its finish; 0 when it worked,
 * else -1 with "call: why" in err. */
typedef int (*call_fn)(void *arg, char *err, size_t errlen);

/* The median of t[0..n-1] (n >= 1; sorts t). */
double bench_median(double *t, int n);
/* `warmup` untimed calls, then `reps` timed ones; the median in *ms. */
int measure(call_fn fn, void *arg, int warmup, int reps, double *ms, char *err, size_t errlen);
/* Runs `fn` into cell c of row r (flops: what one call computes). */
int time_cell(bench *b, row *r, int backend, cell *c, call_fn fn, void *arg, int warmup, int reps,
              double flops);
/* 0 when st is WINSUM_SUCCESS, else -1 with "what: status: last error" in err. */
int call_failed(winsum_context *ctx, winsum_status st, const char *what, char *err, size_t n);
/* The same after a winsum_finish when st is WINSUM_SUCCESS (a call_fn's end). */
int finish_call(winsum_context *ctx, winsum_status st, const char *what, char *err, size_t n);

/* ==================================== common.c: checking, data, buffers */

/* tolerance() of common.c as a formula, for the header. */
const char *tolerance_text(winsum_dtype dt);
/* 1 when every |got - want| <= tolerance(k) * max|want| (NaN fails), else 0
 * with a line on stderr naming the case and the worst element. got and
 * want hold n elements of dtype dt; k: products summed per element. */
int bench_compare(const char *name, winsum_dtype dt, const char *what, const void *got,
                  const void *want, size_t n, double k);
/* Records a check in c (and a mismatch in b). */
void set_check(bench *b, cell *c, int ok);

/* n random values in [-1, 1) of the bench's dtype (malloc'd; NULL when out
 * of memory). */
void *random_data(const bench *b, size_t n);
/* A device buffer of `bytes` bytes holding `src` (NULL: uninitialised). */
int dev_upload_bytes(bench *b, const char *who, const void *src, size_t bytes, winsum_buffer *d);
/* The same with n elements of the bench's dtype. */
int dev_upload(bench *b, const char *who, const void *src, size_t n, winsum_buffer *d);
/* n elements of the bench's dtype from d into dst; a failure is winsum's
 * cell of r. */
int dev_download(bench *b, row *r, const winsum_buffer *d, void *dst, size_t n);

/* The path of this executable. 0 when it worked. */
int self_exe_path(char *out, size_t n);
/* bench/ and bench/data/ of the source tree (bench/CMakeLists.txt sets them). */
#ifndef WINSUM_BENCH_SOURCE_DIR
#define WINSUM_BENCH_SOURCE_DIR "bench"
#endif
#ifndef WINSUM_BENCH_DATA_DIR
#define WINSUM_BENCH_DATA_DIR WINSUM_BENCH_SOURCE_DIR "/data"
#endif
/* A file the bench reads: <exe dir>/../share/winsum/NAME (an installed
 * tool), else SOURCE_DIR/NAME (the source tree it was built from). 0 with
 * its path in out, else -1. */
int find_bench_file(const char *name, const char *source_dir, char *out, size_t n);

/* ================================================== conv.c: the layers */

/* ResNet-style layers, NCHW, square images and kernels. */
typedef struct conv_layer {
    const char *name;
    int64_t c, o, hw, k, stride, pad, groups;
} conv_layer;

enum { OP_FWD, OP_BWD_DATA, OP_BWD_WEIGHT, NOPS };
/* The convolution tensors are x (N,C,H,W), w (O,C/G,KH,KW), y (N,O,OH,OW);
 * each op writes one of them from the other two. */
enum { T_X, T_W, T_Y };
extern const char *const conv_op_suffix[NOPS]; /* "fwd", ... */
extern const int conv_op_output[NOPS];         /* the tensor each op writes */

typedef struct conv_call {
    winsum_context *ctx;
    int op;
    winsum_conv_desc desc;
    winsum_view v[3]; /* x, w, y: the op's output among them */
} conv_call;

/* A call_fn: the op of a conv_call, then winsum_finish. */
int run_conv(void *arg, char *err, size_t n);
/* The implementation that ran ctx's last convolution call ("direct",
 * "gemv", "einsum": winsum_conv_last_impl) into out; "" when this library
 * cannot say (built without winsum_conv_last_impl: see conv.c). */
void conv_impl_of(winsum_context *ctx, char *out, size_t n);

int64_t conv_oh(const conv_layer *l);
/* Elements of tensor t at batch n. */
size_t conv_elems(const conv_layer *l, int t, int64_t n);
/* The same for all three ops: 2*N*O*OH*OW*(C/G)*KH*KW. */
double conv_flops(const conv_layer *l, int64_t n);
/* Products summed into one output element (for the tolerance). */
double conv_reduction(const conv_layer *l, int op, int64_t n);
void conv_desc(const conv_layer *l, winsum_conv_desc *d);
/* Views of x, w, y at batch n over buffers buf[T_X], buf[T_W], buf[T_Y]. */
void conv_views(const conv_layer *l, int64_t n, winsum_dtype dt, const winsum_buffer *const buf[3],
                winsum_view v[3]);
/* The reference backend on batch 1 (the first image of host[]), into want;
 * times that call. Returns 0 when want holds the result. */
int conv_reference(bench *b, row *r, const conv_layer *l, int op, void *const host[3], void *want);

/* ============================================================ the suites */

void suite_conv(bench *b);          /* conv.c: forward */
void suite_conv_backward(bench *b); /* conv.c: backward-data and backward-weight */
void suite_gemm(bench *b);          /* einsum.c */
void suite_tccg(bench *b);          /* einsum.c */

/* overhead.c: the host cost of a call on tiny operands. */
#define OVH_CALLS        10000
#define OVH_FINISH_CALLS 1000
#define OVH_TARGET_US    20.0
typedef struct ovh_api {
    const char *csv, *label;
    call_fn fn;
} ovh_api;
extern const ovh_api ovh_apis[OVH_NAPIS];
extern const char *const ovh_mode_csv[OVH_NMODES];
void suite_overhead(bench *b);

/* coldstart.c: the first call of a new kernel in a new process. */
#define COLD_STEADY_CALLS 5
#define COLD_TARGET       0.05 /* first call with the disk cache / first call cold */
typedef struct cold_run {
    const char *csv, *label;
    int cache_off;
} cold_run;
extern const cold_run cold_runs[COLD_RUNS];
/* "3x3 s1 p1 16->16 channels 8x8": the layer the coldstart suite times
 * (WINSUM_COLDSTART_LAYER). */
const char *coldstart_layer_text(void);
void suite_coldstart(bench *b);
/* `winsum-bench --coldstart-child`: the process suite_coldstart starts. */
int coldstart_child(const char *device);

/* Call first in main: whether POCL_AFFINITY came with the environment. */
void pocl_env_note(void);
/* "PoCL workers: pinned (...)" or "... not pinned (...)" for a PoCL
 * device (device_name from winsum_context_device_name), NULL for others:
 * whether winsum set POCL_AFFINITY=1 (host/runtime/opencl/ocl_pocl.c). */
const char *pocl_workers_text(const char *device_name);

/* ============================================ peers.c: CLBlast, OpenBLAS */

/* The variables the peers run without (OpenBLAS's core type and L2 size). */
#define PEER_NUNSET 2
extern const char *const peer_unset_vars[PEER_NUNSET];
/* Loads OpenBLAS (dlopen) with peer_unset_vars unset during the load, so
 * that it picks its kernels for this CPU; the environment is restored
 * after. Call before any other thread starts (before the contexts). */
void openblas_load(void);
/* "OpenBLAS VERSION, core NAME (...), ... unset" or why it did not load
 * (NULL: not built in, or openblas_load not called). */
const char *openblas_text(void);
/* Sets b->na_why for the peers that do not run (in b->dtype). */
void peers_init(bench *b);
/* "X: not built in (n/a)" for each peer this executable lacks. */
void peers_print_missing(void);
/* OpenBLAS's GEMM of m x n x k on fresh random matrices, timed into c. */
void openblas_gemm_cell(bench *b, row *r, cell *c, int64_t m, int64_t n, int64_t k);
/* CLBlast's GEMM C (m x n) = A (m x k) B (k x n) on device copies of
 * host[0..1], timed into r's CLBlast cell and checked against winsum's
 * result ws (NULL: unchecked). */
void clblast_gemm_cell(bench *b, row *r, int64_t m, int64_t n, int64_t k, void *const host[2],
                       const void *ws);
/* CLBlast's run of op on layer l into device buffer dev[output] (the other
 * two tensors from dev), read back into got and checked against winsum's
 * result ws (NULL: unchecked). */
void clblast_conv_cell(bench *b, row *r, const conv_layer *l, int op,
                       const winsum_buffer *const dev[3], void *got, const void *ws);

/* ======================================= pypeers.c: torch and numpy */

/* glibc's malloc settings ("NAME=VALUE") of the peers.py process. */
#define PEER_NMALLOC 3
extern const char *const peer_malloc_env[PEER_NMALLOC];
/* Starts peers.py (WINSUM_BENCH_PYTHON, default /usr/bin/python3) on
 * b->units threads and reads what it has; a peer it lacks gets
 * b->na_why with the reason. */
void pypeers_start(bench *b);
void pypeers_stop(bench *b);
/* "torch: ..." / "numpy: ..." lines for the header. */
void pypeers_print(const bench *b);
/* torch's run of op on layer l at batch n, reps timed calls, into r's
 * torch cell (unchecked: a peer). */
void torch_conv_cell(bench *b, row *r, const conv_layer *l, int op, int64_t n, int reps);
/* backend B_NUMPY (numpy.einsum(optimize=True)) or B_TORCH (torch.einsum)
 * of subs over operands of the given shapes (sizes joined by ','), into r. */
void py_einsum_cell(bench *b, row *r, int backend, const char *subs, const char *shape_a,
                    const char *shape_b, double flops);

/* ============================================= cpu.c: the processor */

/* Fills b->units, b->cpu_text, b->peak_text and b->peak_gflops from
 * /proc/cpuinfo, the device and a measured clock. */
void cpu_describe(bench *b);

/* ================================================ network.c: networks */

void suite_network(bench *b, const char *name); /* "resnet50" or "mobilenetv2" */
/* One layer, the given ops: winsum and torch on batch n; network: count is
 * the layer's weight, CLBlast and OpenBLAS are not run, and the check is
 * on a small variant (conv.c). */
#define CHECK_MAX_FLOPS 25e6 /* the networks' check variant, at most */
void conv_layer_bench(bench *b, const char *suite, const conv_layer *l, const int *ops, int nops,
                      int64_t n, int count);

/* =========================================== baseline.c: --baseline */

/* Reads an earlier run's CSV (--csv) into b; 0, or -1 after one line on
 * stderr (unreadable, or not the bench's CSV). */
int baseline_read(bench *b, const char *path);
/* Flags each peer cell under half its figure in the baseline CELL_LOW,
 * with a note (nothing without a baseline). */
void baseline_check(bench *b);
void baseline_free(bench *b);

/* ================================================= report.c: the output */

void print_table(const bench *b);
void print_overhead(const bench *b);
void print_overhead_python(const bench *b); /* bench/overhead.py's rows */
void print_coldstart(const bench *b);
void print_notes(const bench *b);
/* The network totals (sum over layers of count x median) of winsum and torch. */
void print_networks(const bench *b);
/* The ratios the performance targets are stated in, geometric means. */
void print_targets(const bench *b);
int write_csv(const bench *b, const char *path);
int write_plot(const bench *b, const char *png);

#endif
