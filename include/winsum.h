/*
 * winsum.h - the public API of winsum: einsum contractions and convolutions
 * over strided (and guarded) views of OpenCL device buffers, with a C
 * reference path that computes the same things on the host.
 *
 * Threading: a context may be shared by threads. Every call that uses a
 * context (einsum, plan create / execute / destroy, the convolutions, buffer
 * alloc / free / read / write, finish, memory usage, tune) holds the
 * context's lock for its whole duration, so calls on one context are
 * serialised: they are safe, not parallel. For parallel work give each
 * thread its own context. Contexts share nothing mutable except the
 * compiled-program cache, which sits behind a lock of its own. A plan
 * belongs to the context it was made with and takes its lock, so one plan
 * may be executed from several threads (not destroyed while another thread
 * uses it). Destroying a context while another thread still uses it is the
 * caller's error.
 *
 * Lifetime: a plan made by winsum_plan_create keeps its context alive.
 * winsum_context_destroy drops the caller's handle (the handle must not be
 * used again) and frees the cached plans of winsum_einsum at once; the rest
 * (OpenCL context, queue, compiled kernels) is freed when the last plan is
 * destroyed. Until then those plans execute normally (their errors are
 * reported by status only: the handle for winsum_last_error is gone).
 * Buffers from winsum_buffer_alloc hold no reference: free them before
 * destroying their context.
 *
 * Errors: every function returns a winsum_status. The context keeps the last
 * error's message (which operand, which axis, which numbers, which OpenCL call,
 * the build log); winsum_last_error() returns it, per thread (see there). On
 * any error nothing is written to an output view. The library never prints
 * (unless WINSUM_VERBOSE asks for its trace, see the end of this file) and
 * never exits.
 *
 * NULL: a NULL context or a NULL pointer where a value is needed gives
 * WINSUM_ERR_ARGUMENT (with a message in the context when there is one);
 * functions that return no status document what they do with NULL.
 */
#ifndef WINSUM_H
#define WINSUM_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility: only what carries WINSUM_API
 * is exported from libwinsum.so. */
#ifndef WINSUM_API
#if defined(__GNUC__) || defined(__clang__)
#define WINSUM_API __attribute__((visibility("default")))
#else
#define WINSUM_API
#endif
#endif

/* WINSUM_VERSION_MAJOR, _MINOR, _PATCH and WINSUM_VERSION_NUMBER, generated
 * from the build's project(VERSION). */
#include "winsum_version.h"
/* Run-time version, WINSUM_VERSION_NUMBER of the library that is linked. */
WINSUM_API int winsum_version_number(void);
WINSUM_API const char *winsum_version_string(void);

typedef enum winsum_status {
    WINSUM_OK = 0,
    WINSUM_ERR_ARGUMENT,    /* NULL pointer, bad count, bad enum value */
    WINSUM_ERR_SUBSCRIPTS,  /* einsum subscripts that do not parse */
    WINSUM_ERR_SHAPE,       /* sizes that disagree, negative sizes, wrong output shape */
    WINSUM_ERR_BOUNDS,      /* a view reaches outside its buffer */
    WINSUM_ERR_OVERLAP,     /* an output view maps two indices to one element */
    WINSUM_ERR_ALIAS,       /* an output view overlaps an input */
    WINSUM_ERR_DTYPE,       /* dtypes that differ, or one the device lacks */
    WINSUM_ERR_OVERFLOW,    /* sizes or offsets that overflow 64-bit arithmetic */
    WINSUM_ERR_CONV,        /* a bad convolution descriptor or shapes */
    WINSUM_ERR_MEMORY,      /* a host or device allocation failed */
    WINSUM_ERR_OPENCL,      /* an OpenCL call failed (the message names it) */
    WINSUM_ERR_BUILD,       /* a kernel did not build (the message has the log) */
    WINSUM_ERR_NO_DEVICE,   /* no OpenCL device matches */
    WINSUM_ERR_IO,          /* a file could not be read or written */
    WINSUM_ERR_FORMAT,      /* a malformed or unsupported .npy file */
    WINSUM_ERR_CONTEXT,     /* a buffer of the wrong kind or another context */
    WINSUM_ERR_UNSUPPORTED, /* valid, but not something winsum does */
    WINSUM_STATUS_COUNT_
} winsum_status;

/* A short constant name for a status, e.g. "WINSUM_ERR_SHAPE". */
WINSUM_API const char *winsum_status_string(winsum_status status);

typedef enum winsum_dtype {
    WINSUM_F32 = 0,
    WINSUM_F64 = 1,
    WINSUM_F16 = 2 /* IEEE binary16 storage; arithmetic in float32, see below */
} winsum_dtype;
WINSUM_API size_t winsum_dtype_size(winsum_dtype dtype);

/* float16 is a storage format on every device and on the reference path:
 * kernels read halves with vload_half and write them with vstore_half (core
 * OpenCL, no cl_khr_fp16 needed), multiply and add in float32, and round each
 * element of the output and of every intermediate to half once, to nearest
 * even. The reference path does the same with double sums. These two convert
 * one element on the host, rounding to nearest even (overflow gives
 * infinity, NaN stays NaN). */
WINSUM_API uint16_t winsum_f16_from_double(double x);
WINSUM_API double winsum_f16_to_double(uint16_t h);

/* ---------------------------------------------------------------- buffers */

typedef enum winsum_memory { WINSUM_HOST = 0, WINSUM_DEVICE = 1 } winsum_memory;

/* Memory that views point into. A buffer never owns what it describes unless
 * it was made by winsum_buffer_alloc(), and then winsum_buffer_free() releases
 * it. The reference backend computes on host buffers, the OpenCL backend on
 * device buffers (cl_mem made in the context's cl_context). */
typedef struct winsum_buffer {
    winsum_memory where;
    void *host;   /* where == WINSUM_HOST */
    cl_mem mem;   /* where == WINSUM_DEVICE */
    size_t bytes; /* usable size in bytes */
} winsum_buffer;

/* A NULL data or mem makes a buffer that every call refuses (unless it has
 * 0 bytes, for host memory). */
WINSUM_API winsum_buffer winsum_buffer_host(void *data, size_t bytes);
WINSUM_API winsum_buffer winsum_buffer_device(cl_mem mem, size_t bytes);

/* ------------------------------------------------------------------ views */

#define WINSUM_MAX_DIMS   32
#define WINSUM_MAX_GUARDS 4

/* An element of a guarded view reads as zero unless, for every guard,
 * 0 <= sum_i coef[i] * idx[i] + offset < extent. Guards express padding. */
typedef struct winsum_guard {
    int64_t coef[WINSUM_MAX_DIMS];
    int64_t offset;
    int64_t extent;
} winsum_guard;

/* A strided view: element idx lives at buffer element
 * offset + sum_i strides[i] * idx[i]. Strides and offset count elements and
 * may be zero, negative or overlapping, as numpy's as_strided allows. */
typedef struct winsum_view {
    const winsum_buffer *buffer;
    winsum_dtype dtype;
    int64_t offset;
    int ndim;
    int64_t shape[WINSUM_MAX_DIMS];
    int64_t strides[WINSUM_MAX_DIMS];
    int nguards;
    winsum_guard guards[WINSUM_MAX_GUARDS];
} winsum_view;

/* A C-contiguous view of the whole (or the start of the) buffer. A NULL
 * shape (or strides, below) with ndim > 0 gives a view with ndim -1, which
 * every call refuses with WINSUM_ERR_ARGUMENT. */
WINSUM_API winsum_view winsum_view_contiguous(const winsum_buffer *buffer, winsum_dtype dtype,
                                              int ndim, const int64_t *shape);
/* numpy's as_strided, in elements. */
WINSUM_API winsum_view winsum_view_strided(const winsum_buffer *buffer, winsum_dtype dtype,
                                           int64_t offset, int ndim, const int64_t *shape,
                                           const int64_t *strides);

/* The window view of a convolution input. `base` has its `nspatial` spatial
 * axes at positions spatial_axis[0..nspatial-1] (the other axes are kept, in
 * order, in front). The result is (other axes..., out_1..out_n, k_1..k_n),
 * with one guard per padded spatial axis. out_d follows from
 * (in + lo + hi - dilation*(k-1) - 1) / stride + 1. */
WINSUM_API winsum_status winsum_view_window(const winsum_view *base, int nspatial,
                                            const int *spatial_axis, const int64_t *kernel,
                                            const int64_t *stride, const int64_t *dilation,
                                            const int64_t *pad_lo, const int64_t *pad_hi,
                                            winsum_view *out, char *msg, size_t msg_len);

/* Checks a view on its own: shape, overflow, every reachable element inside
 * the buffer; with is_output, also that no two indices share an element.
 * Returns WINSUM_OK or the error, with a message naming `name`. */
WINSUM_API winsum_status winsum_view_check(const winsum_view *view, const char *name, int is_output,
                                           char *msg, size_t msg_len);

/* -------------------------------------------------------------- contexts */

typedef enum winsum_backend {
    WINSUM_BACKEND_AUTO = 0, /* OpenCL when a device exists, else the reference */
    WINSUM_BACKEND_OPENCL = 1,
    WINSUM_BACKEND_REF = 2
} winsum_backend;

typedef struct winsum_context winsum_context;

/* OpenCL devices of all platforms, in the order device indices count them. */
WINSUM_API int winsum_device_count(void);
/* "platform / device" of device `index`, and whether it is a GPU. */
WINSUM_API winsum_status winsum_device_info(int index, char *name, size_t name_len, int *is_gpu);

/* device: NULL uses $WINSUM_DEVICE, else the first GPU, else the first device.
 * A device string is an index over all devices of all platforms ("0", "2") or
 * a case-insensitive substring of "platform name / device name". */
WINSUM_API winsum_status winsum_context_create(winsum_context **ctx, winsum_backend backend,
                                               const char *device);
/* Wraps the caller's OpenCL context and in-order queue (retained, released
 * when the context is freed). winsum enqueues the kernels of one call one
 * after another without events between them, so the queue must execute in
 * order: a queue made with CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE is refused
 * with WINSUM_ERR_UNSUPPORTED (the message says to pass an in-order queue).
 * Other work the caller puts on the same queue is ordered with winsum's. */
WINSUM_API winsum_status winsum_context_create_cl(winsum_context **ctx, cl_context cl_ctx,
                                                  cl_command_queue queue);
/* Drops the caller's handle; NULL is fine. Plans made with
 * winsum_plan_create keep the rest of the context alive (see Lifetime). */
WINSUM_API void winsum_context_destroy(winsum_context *ctx);
/* The message of the calling thread's last error on this context (threads
 * sharing a context each get their own). A thread that had no error on it
 * (or had errors in more than four other contexts since) gets the context's
 * last message from any thread. The string belongs to the calling thread
 * and stays valid until its next call into winsum. With NULL: why the
 * calling thread's last winsum_context_create* failed. */
WINSUM_API const char *winsum_last_error(const winsum_context *ctx);
/* With NULL: WINSUM_BACKEND_AUTO, "", NULL, NULL and 0. */
WINSUM_API winsum_backend winsum_context_backend(const winsum_context *ctx);
WINSUM_API const char *winsum_context_device_name(const winsum_context *ctx);
WINSUM_API cl_context winsum_context_cl(const winsum_context *ctx);
WINSUM_API cl_command_queue winsum_context_queue(const winsum_context *ctx);
/* 1 when the context computes in this dtype. */
WINSUM_API int winsum_context_has_dtype(const winsum_context *ctx, winsum_dtype dtype);
/* Waits for all queued work. */
WINSUM_API winsum_status winsum_finish(winsum_context *ctx);

/* Device memory winsum itself allocated (plans' intermediates, tables,
 * convolution scratch, winsum_buffer_alloc): now, and the peak since the
 * last reset. NULL pointers are skipped; a NULL context gives 0 and 0, and
 * reset_peak does nothing with it. */
WINSUM_API void winsum_memory_usage(const winsum_context *ctx, size_t *current, size_t *peak);
WINSUM_API void winsum_memory_reset_peak(winsum_context *ctx);
/* Programs compiled by this process (not found in memory or on disk). */
WINSUM_API long winsum_program_builds(void);

/* A buffer of the context's kind: device memory for OpenCL, host for the
 * reference backend. winsum_buffer_free with a NULL context or buffer does
 * nothing. src / dst may be NULL only when bytes is 0. */
WINSUM_API winsum_status winsum_buffer_alloc(winsum_context *ctx, size_t bytes,
                                             winsum_buffer *buffer);
WINSUM_API void winsum_buffer_free(winsum_context *ctx, winsum_buffer *buffer);
WINSUM_API winsum_status winsum_buffer_write(winsum_context *ctx, const winsum_buffer *buffer,
                                             size_t offset_bytes, const void *src, size_t bytes);
WINSUM_API winsum_status winsum_buffer_read(winsum_context *ctx, const winsum_buffer *buffer,
                                            size_t offset_bytes, void *dst, size_t bytes);

/* ------------------------------------------------------ fault injection */

/* For tests of error paths: the k-th operation of a kind from now on fails
 * as the device would fail it (k >= 1; k = 0 turns injection off for that
 * kind). Process-wide; counts every context. Not for production use. */
typedef enum winsum_fault {
    WINSUM_FAULT_ALLOC = 0,    /* a device allocation (clCreateBuffer) */
    WINSUM_FAULT_BUILD = 1,    /* a program build or load (cache miss in memory) */
    WINSUM_FAULT_ENQUEUE = 2,  /* a kernel enqueue */
    WINSUM_FAULT_TRANSFER = 3, /* a buffer read or write, tables included */
    WINSUM_FAULT_KINDS_
} winsum_fault;
WINSUM_API void winsum_fault_inject(winsum_fault kind, long k);
/* How many operations of the kind ran (or failed) since the process began. */
WINSUM_API long winsum_fault_count(winsum_fault kind);

/* ----------------------------------------------------------------- tuning */

/* The tile parameters of the contraction kernel are data: chosen per device
 * from $WINSUM_GETT, else a file written by winsum_tune() in the cache
 * folder, else a built-in table of known devices, else defaults by device
 * type. */
typedef void (*winsum_progress_fn)(double fraction, const char *what, void *user);
/* Searches the tile parameters on the context's device (coordinate descent
 * over a GEMM and convolution layers; quick: one round on smaller problems;
 * max_candidates > 0 caps the evaluations), confirms the winner against the
 * parameters in use in alternating runs (the challenger is taken only when it
 * is faster by more than the spread of the timings), stores the result for
 * the device and uses it in this context from now on. progress may be NULL;
 * it is called with the context locked (other threads' calls on it wait), and
 * its last call (fraction 1) carries the verdict: both medians, the margin,
 * the spread and the decision. */
WINSUM_API winsum_status winsum_tune(winsum_context *ctx, int quick, int max_candidates,
                                     winsum_progress_fn progress, void *user);
/* "defaults", "built-in table", "tuned (PATH)" or "WINSUM_GETT", followed
 * by "; ..." notes on what was not used and why: a WINSUM_GETT or tuned file
 * that does not parse or does not fit the device ("WINSUM_GETT=... ignored:
 * mr = 1073741824 is outside 1..64"), a tuned file that is not trusted, a
 * disk cache that is off. "" for a NULL context. Both strings change when
 * winsum_tune finishes: do not read them while another thread tunes the
 * same context. */
WINSUM_API const char *winsum_tuning_source(const winsum_context *ctx);
/* The disk cache of compiled programs: "on: DIR" or "off: REASON". Only a
 * folder owned by this user (effective uid) and writable by no one else is
 * used, and in it only regular files (no links, no FIFOs) with the same
 * owner that no one else can write: "off: the cache folder DIR is writable
 * by group or others (mode 0775): ...". An entry refused in a trusted
 * folder is named after "; ". */
WINSUM_API const char *winsum_cache_info(const winsum_context *ctx);
/* The parameters in use, "wgm,wgn,mr,nr,mc,nc,kc,vw". */
WINSUM_API const char *winsum_tuning_params(const winsum_context *ctx);

/* ----------------------------------------------------------------- einsum */

typedef struct winsum_plan winsum_plan;

/* Plans out = alpha * einsum(subscripts, ops...) + beta * out. The views fix
 * dtypes, shapes, strides and offsets; their buffers may be swapped at
 * execution. With beta == 0 the output is not read; with any other beta it
 * is (a NaN there comes through). beta == 0 is decided on the value given.
 * The plan holds a reference to ctx (see Lifetime at the top).
 *
 * alpha and beta (here and in every convolution call): each must be finite,
 * and either 0 or a normal number of the arithmetic type, float for float32
 * and float16 (FLT_MIN <= |x| <= FLT_MAX), double for float64 (DBL_MIN <=
 * |x| <= DBL_MAX). Anything else (NaN, inf, 1e300 or 1e-50 for float32, a
 * subnormal) is refused with WINSUM_ERR_ARGUMENT, a message naming the
 * scalar and its value, and nothing written, on both backends: the OpenCL
 * kernels compute in that type, the reference path in double, and within
 * these ranges both give the same IEEE results (overflow to inf included).
 *
 * Sums are accumulated in the arithmetic type in K blocks of about 256 terms,
 * each block in fresh accumulators, the blocks in groups of about
 * sqrt(blocks), so that the rounding error of a sum of K terms grows like
 * 256 + 2 sqrt(K / 256) additions rather than K (numpy's pairwise sum:
 * log2 K). float16 is rounded once, from the float result. */
WINSUM_API winsum_status winsum_plan_create(winsum_context *ctx, winsum_plan **plan,
                                            const char *subscripts, int nops,
                                            const winsum_view *ops, const winsum_view *out);
/* inputs: NULL, or nops buffers replacing the views' buffers (NULL entries
 * keep theirs); output likewise. event: NULL, or receives an event for the
 * last kernel the call enqueued (OpenCL; the caller releases it), NULL when
 * it enqueued none (the reference backend, an empty output) or failed;
 * winsum_last_event gives the same event afterwards. */
WINSUM_API winsum_status winsum_plan_execute(winsum_plan *plan, const winsum_buffer *const *inputs,
                                             const winsum_buffer *output, double alpha, double beta,
                                             cl_event *event);
/* Frees the plan, and its context too when that was destroyed and this was
 * its last plan. NULL is fine. */
WINSUM_API void winsum_plan_destroy(winsum_plan *plan);
/* A human-readable account of the plan: the pairwise order, each step's
 * batch/M/N/K sizes and kernel ("" for NULL). */
WINSUM_API const char *winsum_plan_describe(const winsum_plan *plan);

/* Create + execute + destroy, with a small cache of recent plans (per
 * context; the cache keeps no reference to it). */
WINSUM_API winsum_status winsum_einsum(winsum_context *ctx, const char *subscripts, int nops,
                                       const winsum_view *ops, const winsum_view *out, double alpha,
                                       double beta);

/* The output shape numpy would give (implicit or explicit), without running. */
WINSUM_API winsum_status winsum_einsum_output_shape(winsum_context *ctx, const char *subscripts,
                                                    int nops, const winsum_view *ops, int *ndim,
                                                    int64_t *shape);

/* ------------------------------------------------------------ convolution */

typedef enum winsum_layout {
    WINSUM_LAYOUT_NCHW = 0, /* channels first: (N, C, spatial...) */
    WINSUM_LAYOUT_NHWC = 1  /* channels last: (N, spatial..., C) */
} winsum_layout;

#define WINSUM_MAX_SPATIAL 3

typedef struct winsum_conv_desc {
    int nspatial; /* 1..3; 0 = from the input's rank */
    int64_t stride[WINSUM_MAX_SPATIAL];
    int64_t dilation[WINSUM_MAX_SPATIAL];
    int64_t pad_lo[WINSUM_MAX_SPATIAL];
    int64_t pad_hi[WINSUM_MAX_SPATIAL];
    int pad_same; /* 1: "same" padding, see README (pads computed from shapes) */
    int64_t output_padding[WINSUM_MAX_SPATIAL]; /* transposed convolution only */
    int64_t groups;
    winsum_layout layout;
} winsum_conv_desc;

/* stride 1, dilation 1, no padding, groups 1, NCHW. NULL does nothing. */
WINSUM_API void winsum_conv_desc_init(winsum_conv_desc *desc);

/* Output shape of the forward convolution for input x_shape (rank 2+n) and
 * weight w_shape (O, C/G, k...), in the descriptor's layout. Both shapes
 * have `rank` entries (a weight always has the input's rank). */
WINSUM_API winsum_status winsum_conv_output_shape(const winsum_conv_desc *desc, int rank,
                                                  const int64_t *x_shape, const int64_t *w_shape,
                                                  int64_t *y_shape, char *msg, size_t msg_len);

/* y = alpha * (conv(x, w) + bias) + beta * y. bias may be NULL (no bias);
 * every other pointer of the convolution calls is required. */
WINSUM_API winsum_status winsum_conv_forward(winsum_context *ctx, const winsum_conv_desc *desc,
                                             const winsum_view *x, const winsum_view *w,
                                             const winsum_view *bias, const winsum_view *y,
                                             double alpha, double beta);
/* gx = alpha * d(loss)/dx + beta * gx, given gy = d(loss)/dy. gx's view gives
 * the input shape. */
WINSUM_API winsum_status winsum_conv_backward_data(winsum_context *ctx,
                                                   const winsum_conv_desc *desc,
                                                   const winsum_view *gy, const winsum_view *w,
                                                   const winsum_view *gx, double alpha,
                                                   double beta);
/* gw = alpha * d(loss)/dw + beta * gw. */
WINSUM_API winsum_status winsum_conv_backward_weight(winsum_context *ctx,
                                                     const winsum_conv_desc *desc,
                                                     const winsum_view *x, const winsum_view *gy,
                                                     const winsum_view *gw, double alpha,
                                                     double beta);
/* gb = alpha * sum over batch and space of gy + beta * gb. */
WINSUM_API winsum_status winsum_conv_backward_bias(winsum_context *ctx,
                                                   const winsum_conv_desc *desc,
                                                   const winsum_view *gy, const winsum_view *gb,
                                                   double alpha, double beta);
/* The transposed convolution y = conv_transpose(x, w): backward_data of the
 * convolution desc describes, with the output size picked by
 * desc->output_padding. w is (C_in_of_forward... i.e. x's channels = O). */
WINSUM_API winsum_status winsum_conv_transpose(winsum_context *ctx, const winsum_conv_desc *desc,
                                               const winsum_view *x, const winsum_view *w,
                                               const winsum_view *y, double alpha, double beta);
/* Output shape of the transposed convolution. */
WINSUM_API winsum_status winsum_conv_transpose_output_shape(const winsum_conv_desc *desc, int rank,
                                                            const int64_t *x_shape,
                                                            const int64_t *w_shape,
                                                            int64_t *y_shape, char *msg,
                                                            size_t msg_len);

/* The implementation that ran the most recent successful forward,
 * backward-data, backward-weight or transpose call on ctx: "direct" (a
 * direct-convolution kernel, forward), "gemv" (depthwise, through the
 * einsum planner's gemv family), "einsum" (einsums over window views); ""
 * before the first and after a failed one. Chosen per call from an ordered
 * list per direction; $WINSUM_CONV_IMPL=direct|einsum|gemv, read at every
 * call, tries the named one first and falls back down the list when it
 * cannot take the problem (any other value: WINSUM_ERR_ARGUMENT). Valid
 * until the next convolution call on ctx; NULL ctx gives "". */
WINSUM_API const char *winsum_conv_last_impl(winsum_context *ctx);

/* ------------------------------------------------------ events, trace */

/* The computing calls are winsum_einsum, winsum_plan_execute and the five
 * convolution calls above; each enqueues its kernels and returns without
 * waiting for them. winsum_last_event hands back the event of the last
 * kernel that the most recent computing call on ctx enqueued (retained for
 * the caller, who releases it with clReleaseEvent): for a convolution, its
 * last kernel, which runs after all its others (the queue is in order), so
 * once it completes the whole output is written. *event is NULL when that
 * call enqueued no kernel (the reference backend, an empty output), failed,
 * or when no computing call was made yet. Other calls (buffer reads and
 * writes, winsum_finish, plan creation, winsum_tune, whose trial calls are
 * its own and print no WINSUM_VERBOSE lines) do not change it. The context keeps
 * one such event, replaced by each computing call and released with the
 * context; a caller that keeps its own reference may use it as long as it
 * likes. Threads: "most recent" is the context's, not the thread's: when
 * threads share a context, another thread's call between yours and
 * winsum_last_event replaces the event, so hold a lock of your own around
 * the call and winsum_last_event (or give each thread its own context).
 * The event's command type is CL_COMMAND_NDRANGE_KERNEL; pass it in an
 * event wait list to order work on other queues after the call. NULL ctx
 * or event: WINSUM_ERR_ARGUMENT. */
WINSUM_API winsum_status winsum_last_event(winsum_context *ctx, cl_event *event);

/* The trace. Read once per context, at its creation:
 *   WINSUM_VERBOSE       unset, empty or 0: off (nothing is printed, and
 *                        nothing is spent on it beyond a test of a flag per
 *                        call); 1: one line per outermost computing call (the
 *                        einsums a convolution runs print nothing of their
 *                        own); 2: the same with each kernel's time from
 *                        OpenCL profiling events (a queue winsum creates is
 *                        then made with CL_QUEUE_PROFILING_ENABLE; a caller's
 *                        queue without it gives "n/a (queue without
 *                        profiling)"). Another value asks for 1.
 *   WINSUM_VERBOSE_FILE  append the lines to this file (one write per line;
 *                        stderr when unset or when it cannot be opened).
 * While the trace is on, each call waits for its own kernels before it
 * returns, so that its time covers them. A line is comma-separated fields,
 * in this order (no field but the last holds a comma):
 *   winsum_verbose,exec,OP,BACKEND,DEVICE,STATUS,subs:S,ops:V V..,
 *   alpha=A beta=B,desc:D,tile:T,tile_src:W,plan:P,time_ms:MS,kernels:K,
 *   replay:CMD
 * OP: einsum, plan_execute, conv_forward, conv_backward_data,
 * conv_backward_weight, conv_backward_bias, conv_transpose. BACKEND:
 * opencl or ref. STATUS: winsum_status_string. S: the subscripts with ','
 * written as ' ' ("-" for a convolution). Each V is
 * NAME:DTYPE:SHAPE:sSTRIDES:oOFFSET[:gGUARDS] (shape and strides joined by
 * x; NAME in0.. and out for einsums, x w bias y / dy w dx / x dy dw / dy db
 * / x w y for the convolutions). D: the convolution descriptor ("2d nchw
 * stride=1x1 dilation=1x1 pad=1:1x1:1 groups=1") or "-". T:
 * winsum_tuning_params with '/' for ','; W: winsum_tuning_source. P: each
 * einsum the call ran, "; "-separated, as SUBSCRIPTS{FAMILY bB mM nN kK +
 * ...} (',' again written as ' '; one FAMILY... per kernel step, batch, M,
 * N, K; {reference} on the reference backend, {empty} for an empty
 * output). MS: the
 * call's wall time in milliseconds, until its last kernel completed. K:
 * "-" under 1, else NAME=MSms per kernel and total=MSms. CMD: the
 * winsum-bench command that times a call of the same shape (conv forward,
 * backward-data (also for a transposed convolution), backward-weight, or
 * einsum, with --strides when every stride is >= 0 and no view is
 * guarded; offsets are not replayed), or "n/a (why)"; it is the rest of
 * the line. Example:
 *   winsum_verbose,exec,einsum,opencl,Portable Computing Language / pthread-
 *   skylake-avx512-AMD EPYC,WINSUM_OK,subs:ij jk->ik,ops:in0:f32:64x32:s32x1:o0
 *   in1:f32:32x16:s16x1:o0 out:f32:64x16:s16x1:o0,alpha=1 beta=0,desc:-,
 *   tile:1/1/8/32/96/128/256/16,tile_src:built-in table,plan:ij jk->ik{gett
 *   b1 m16 n64 k32},time_ms:0.355,kernels:-,replay:winsum-bench einsum
 *   'ij,jk->ik' --shapes 64x32,32x16 --strides 32x1,16x1 --dtype f32
 * (one line; broken here for width). */

#ifdef __cplusplus
}
#endif
#endif /* WINSUM_H */
