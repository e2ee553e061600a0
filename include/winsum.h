/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/**
 * @file winsum.h
 * @brief The public API of winsum: einsum contractions and convolutions
 * over strided (and guarded) views of OpenCL device buffers, with a C
 * reference path that computes the same things on the host.
 *
 * Every call follows the rules on the @ref index "main page": threads,
 * lifetime, errors and NULL arguments. The declarations come in groups:
 * @ref version, @ref buffers, @ref views, @ref contexts, @ref faults,
 * @ref tuning, @ref einsum, @ref convolution and @ref events; the trace that
 * `WINSUM_VERBOSE` turns on is described in @ref trace.
 *
 * The calls that take or give OpenCL objects are declared in winsum_ocl.h,
 * which this header includes unless `WINSUM_NO_OPENCL_HEADER` is defined
 * before it: a program that touches no OpenCL object can define it and
 * needs no `<CL/cl.h>`.
 */
/**
 * @mainpage winsum API reference
 *
 * `winsum.h` is the public API of winsum: einsum contractions and
 * convolutions over strided (and guarded) views of OpenCL device buffers,
 * with a C reference path that computes the same things on the host. This
 * reference is generated from the header's doc comments; the guide
 * (building, the CLI, Python, performance) is the project's README and docs/.
 *
 * The API by topic: @ref version, @ref buffers, @ref views, @ref contexts,
 * @ref faults, @ref tuning, @ref einsum, @ref convolution, @ref events, and
 * the page @ref trace.
 *
 * @section opencl OpenCL interop
 *
 * The declarations that name OpenCL types (a caller's `cl_mem` as a buffer,
 * a context around a caller's `cl_context` and queue, the context's
 * `cl_context` and queue, winsum_plan_execute() with its `cl_event`, and
 * @ref events) are in `winsum_ocl.h`, which includes `<CL/cl.h>`.
 * `winsum.h` includes it at its end unless the includer defined
 * `WINSUM_NO_OPENCL_HEADER` first, so a program that touches no OpenCL
 * object can leave `<CL/cl.h>` out (and run plans with winsum_plan_run()).
 *
 * @section threading Threading
 *
 * A context may be shared by threads. Every call that uses a context
 * (einsum, plan create / execute / destroy, the convolutions, buffer
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
 * @section lifetime Lifetime
 *
 * A plan made by winsum_plan_create() keeps its context alive.
 * winsum_context_destroy() drops the caller's handle (the handle must not be
 * used again) and frees the cached plans of winsum_einsum() at once; the rest
 * (OpenCL context, queue, compiled kernels) is freed when the last plan is
 * destroyed. Until then those plans execute normally (their errors are
 * reported by status only: the handle for winsum_last_error() is gone).
 * Buffers from winsum_buffer_alloc() hold no reference: free them before
 * destroying their context.
 *
 * @section errors Errors
 *
 * Every function returns a ::winsum_status. The context keeps the last
 * error's message (which operand, which axis, which numbers, which OpenCL
 * call, the build log); winsum_last_error() returns it, per thread (see
 * there). On any error nothing is written to an output view. The library
 * never prints (unless `WINSUM_VERBOSE` asks for its trace, see @ref trace)
 * and never exits.
 *
 * @section null NULL
 *
 * A NULL context or a NULL pointer where a value is needed gives
 * ::WINSUM_ERR_ARGUMENT (with a message in the context when there is one);
 * functions that return no status document what they do with NULL.
 */
#ifndef WINSUM_H
#define WINSUM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Marks what libwinsum.so exports.
 *
 * The library is built with hidden visibility: only what carries
 * WINSUM_API is exported from libwinsum.so. An includer may define it
 * first (to nothing, or to its own attribute).
 */
#ifndef WINSUM_API
#if defined(__GNUC__) || defined(__clang__)
#define WINSUM_API __attribute__((visibility("default")))
#else
#define WINSUM_API
#endif
#endif

/**
 * @defgroup version Version, status, dtypes
 * @brief The version (compile time and run time), status names, element
 * types and the host float16 conversions.
 * @{
 */

/* WINSUM_VERSION_MAJOR, _MINOR, _PATCH and WINSUM_VERSION_NUMBER, generated
 * from the build's project(VERSION): see winsum_version.h. */
#include "winsum_version.h"
/**
 * @brief The run-time version: ::WINSUM_VERSION_NUMBER of the library that
 * is linked (compare it with the header's to catch a mismatch).
 * @return `MAJOR * 10000 + MINOR * 100 + PATCH`, e.g. 100 for 0.1.0.
 */
WINSUM_API int winsum_version_number(void);
/**
 * @brief The run-time version as text.
 * @return `"MAJOR.MINOR.PATCH"` of the library that is linked, e.g.
 * `"0.1.0"`; a static string (never NULL, never freed).
 */
WINSUM_API const char *winsum_version_string(void);

/**
 * @brief What every call that can fail returns: ::WINSUM_OK or the kind of
 * error (the message is in winsum_last_error()).
 */
typedef enum winsum_status {
    WINSUM_OK = 0,          /**< success */
    WINSUM_ERR_ARGUMENT,    /**< NULL pointer, bad count, bad enum value */
    WINSUM_ERR_SUBSCRIPTS,  /**< einsum subscripts that do not parse */
    WINSUM_ERR_SHAPE,       /**< sizes that disagree, negative sizes, wrong output shape */
    WINSUM_ERR_BOUNDS,      /**< a view reaches outside its buffer */
    WINSUM_ERR_OVERLAP,     /**< an output view maps two indices to one element */
    WINSUM_ERR_ALIAS,       /**< an output view overlaps an input */
    WINSUM_ERR_DTYPE,       /**< dtypes that differ, or one the device lacks */
    WINSUM_ERR_OVERFLOW,    /**< sizes or offsets that overflow 64-bit arithmetic */
    WINSUM_ERR_CONV,        /**< a bad convolution descriptor or shapes */
    WINSUM_ERR_MEMORY,      /**< a host or device allocation failed */
    WINSUM_ERR_OPENCL,      /**< an OpenCL call failed (the message names it) */
    WINSUM_ERR_BUILD,       /**< a kernel did not build (the message has the log) */
    WINSUM_ERR_NO_DEVICE,   /**< no OpenCL device matches */
    WINSUM_ERR_IO,          /**< a file could not be read or written */
    WINSUM_ERR_FORMAT,      /**< a malformed or unsupported .npy file */
    WINSUM_ERR_CONTEXT,     /**< a buffer of the wrong kind or another context */
    WINSUM_ERR_UNSUPPORTED, /**< valid, but not something winsum does */
    WINSUM_STATUS_COUNT_    /**< the number of statuses (not a status) */
} winsum_status;

/**
 * @brief A short constant name for a status, e.g. `"WINSUM_ERR_SHAPE"`.
 * @param[in] status any value; one outside the enum is named too.
 * @return a static string (never NULL): the constant's name, or
 * `"WINSUM_ERR_UNKNOWN"` for a value that is not a ::winsum_status.
 */
WINSUM_API const char *winsum_status_string(winsum_status status);

/** @brief The element type of a view. */
typedef enum winsum_dtype {
    WINSUM_F32 = 0, /**< IEEE binary32 (float) */
    WINSUM_F64 = 1, /**< IEEE binary64 (double); OpenCL devices need cl_khr_fp64 */
    WINSUM_F16 = 2  /**< IEEE binary16 storage; float32 arithmetic (winsum_f16_from_double()) */
} winsum_dtype;
/**
 * @brief The size of one element of a dtype, in bytes.
 * @param[in] dtype the element type.
 * @return 4, 8 or 2; 0 for a value that is not a ::winsum_dtype.
 */
WINSUM_API size_t winsum_dtype_size(winsum_dtype dtype);

/**
 * @brief Converts one element to float16 on the host, rounding to nearest
 * even.
 *
 * float16 is a storage format on every device and on the reference path:
 * kernels read halves with vload_half and write them with vstore_half (core
 * OpenCL, no cl_khr_fp16 needed), multiply and add in float32, and round each
 * element of the output and of every intermediate to half once, to nearest
 * even. The reference path does the same with double sums. This function and
 * winsum_f16_to_double() convert one element on the host, rounding to nearest
 * even (overflow gives infinity, NaN stays NaN).
 * @param[in] x any double.
 * @return the binary16 bit pattern nearest to x.
 */
WINSUM_API uint16_t winsum_f16_from_double(double x);
/**
 * @brief Converts one float16 element to double on the host (exact).
 *
 * The counterpart of winsum_f16_from_double(): every half, subnormals,
 * infinities and NaN included, is a double.
 * @param[in] h a binary16 bit pattern.
 * @return its value.
 */
WINSUM_API double winsum_f16_to_double(uint16_t h);

/** @} */

/* ---------------------------------------------------------------- buffers */

/**
 * @defgroup buffers Buffers
 * @brief The memory that views point into: host memory or an OpenCL
 * `cl_mem`, and the buffers a context allocates.
 * @{
 */

/** @brief Where a buffer's memory is. */
typedef enum winsum_memory {
    WINSUM_HOST = 0,  /**< host memory: winsum_buffer::host */
    WINSUM_DEVICE = 1 /**< an OpenCL buffer: winsum_buffer::mem */
} winsum_memory;

/**
 * @brief Memory that views point into.
 *
 * A buffer never owns what it describes unless it was made by
 * winsum_buffer_alloc(), and then winsum_buffer_free() releases it. The
 * reference backend computes on host buffers, the OpenCL backend on device
 * buffers (`cl_mem` made in the context's `cl_context`).
 */
typedef struct winsum_buffer {
    winsum_memory where; /**< host or device memory */
    void *host;          /**< the memory, where == ::WINSUM_HOST */
    void *mem;           /**< the device buffer, where == ::WINSUM_DEVICE: an OpenCL `cl_mem`
                              (see winsum_buffer_device() in winsum_ocl.h) */
    size_t bytes;        /**< usable size in bytes */
} winsum_buffer;

/**
 * @brief A buffer describing host memory the caller owns.
 *
 * A NULL data makes a buffer that every call refuses (unless it has 0
 * bytes).
 * @param[in] data the memory (not copied, not freed by winsum); may be NULL
 * only with 0 bytes.
 * @param[in] bytes its usable size in bytes.
 * @return the buffer (where == ::WINSUM_HOST), by value.
 */
WINSUM_API winsum_buffer winsum_buffer_host(void *data, size_t bytes);

/** @} */

/* ------------------------------------------------------------------ views */

/**
 * @defgroup views Views
 * @brief Strided (and guarded) views of a buffer: what every operand and
 * output of a call is.
 * @{
 */

/** @brief The most axes a view has. */
#define WINSUM_MAX_DIMS 32
/** @brief The most guards a view has. */
#define WINSUM_MAX_GUARDS 4

/**
 * @brief A guard of a view: where its elements read as zero.
 *
 * An element of a guarded view reads as zero unless, for every guard,
 * `0 <= sum_i coef[i] * idx[i] + offset < extent`. Guards express padding.
 */
typedef struct winsum_guard {
    int64_t coef[WINSUM_MAX_DIMS]; /**< a coefficient per axis of the view */
    int64_t offset;                /**< added to the weighted sum of the indices */
    int64_t extent;                /**< the sum must lie in [0, extent) */
} winsum_guard;

/**
 * @brief A strided view: element idx lives at buffer element
 * `offset + sum_i strides[i] * idx[i]`.
 *
 * Strides and offset count elements and may be zero, negative or
 * overlapping, as numpy's as_strided allows. A view is checked by every
 * call that uses it (see winsum_view_check()).
 */
typedef struct winsum_view {
    const winsum_buffer *buffer;            /**< the memory; not owned */
    winsum_dtype dtype;                     /**< the element type */
    int64_t offset;                         /**< in elements, from the buffer's start */
    int ndim;                               /**< 0..WINSUM_MAX_DIMS axes */
    int64_t shape[WINSUM_MAX_DIMS];         /**< the size of each axis, >= 0 */
    int64_t strides[WINSUM_MAX_DIMS];       /**< in elements, any sign */
    int nguards;                            /**< 0..WINSUM_MAX_GUARDS guards (inputs only) */
    winsum_guard guards[WINSUM_MAX_GUARDS]; /**< the guards, see ::winsum_guard */
} winsum_view;

/**
 * @brief A C-contiguous view of the whole (or the start of the) buffer.
 *
 * A NULL shape with ndim > 0 gives a view with ndim -1, which every call
 * refuses with ::WINSUM_ERR_ARGUMENT. An axis of size 0 counts as 1 in the
 * strides, and a stride past 2^63-1 is INT64_MAX: an empty view such as
 * (0, 2^40, 2^40) is legal; one with elements is refused.
 * @param[in] buffer the memory; not copied (the view points to it, so it
 * must outlive the view's use). NULL gives a view that calls refuse.
 * @param[in] dtype the element type.
 * @param[in] ndim the number of axes, 0..WINSUM_MAX_DIMS.
 * @param[in] shape ndim sizes (may be NULL only when ndim is 0).
 * @return the view, by value (row-major strides, offset 0).
 */
WINSUM_API winsum_view winsum_view_contiguous(const winsum_buffer *buffer, winsum_dtype dtype,
                                              int ndim, const int64_t *shape);
/**
 * @brief numpy's as_strided, in elements.
 *
 * A NULL shape or strides with ndim > 0 gives a view with ndim -1, which
 * every call refuses with ::WINSUM_ERR_ARGUMENT.
 * @param[in] buffer the memory; not copied (the view points to it). NULL
 * gives a view that calls refuse.
 * @param[in] dtype the element type.
 * @param[in] offset the first element, in elements from the buffer's start.
 * @param[in] ndim the number of axes, 0..WINSUM_MAX_DIMS.
 * @param[in] shape ndim sizes (may be NULL only when ndim is 0).
 * @param[in] strides ndim strides in elements, any sign (may be NULL only
 * when ndim is 0).
 * @return the view, by value; nothing is checked until a call uses it.
 */
WINSUM_API winsum_view winsum_view_strided(const winsum_buffer *buffer, winsum_dtype dtype,
                                           int64_t offset, int ndim, const int64_t *shape,
                                           const int64_t *strides);

/**
 * @brief The window view of a convolution input.
 *
 * `base` has its `nspatial` spatial axes at positions
 * `spatial_axis[0..nspatial-1]` (the other axes are kept, in order, in
 * front). The result is (other axes..., out_1..out_n, k_1..k_n), with one
 * guard per padded spatial axis. out_d follows from
 * `(in + lo + hi - dilation*(k-1) - 1) / stride + 1`.
 * @param[in] base the input view (its guards are carried over).
 * @param[in] nspatial the number of spatial axes, 1..base->ndim (and
 * base->ndim + nspatial <= WINSUM_MAX_DIMS).
 * @param[in] spatial_axis nspatial distinct axes of base.
 * @param[in] kernel nspatial kernel sizes, >= 1.
 * @param[in] stride nspatial strides, >= 1.
 * @param[in] dilation nspatial dilations, >= 1.
 * @param[in] pad_lo nspatial paddings before, >= 0.
 * @param[in] pad_hi nspatial paddings after, >= 0.
 * @param[out] out receives the window view; untouched on error.
 * @param[out] msg NULL, or receives the error message (truncated to
 * msg_len, NUL-terminated); untouched on success.
 * @param[in] msg_len the size of msg in bytes (0: no message).
 * @retval WINSUM_OK out holds the window view.
 * @retval WINSUM_ERR_ARGUMENT a NULL pointer (other than msg), a bad
 * nspatial, a bad or repeated spatial axis, or a bad base view.
 * @retval WINSUM_ERR_SHAPE a negative size in base.
 * @retval WINSUM_ERR_CONV a kernel, stride or dilation below 1, a negative
 * padding, or a kernel span larger than the padded input.
 * @retval WINSUM_ERR_OVERFLOW sizes or offsets that overflow 64 bits.
 * @retval WINSUM_ERR_UNSUPPORTED more than WINSUM_MAX_GUARDS guards needed.
 */
WINSUM_API winsum_status winsum_view_window(const winsum_view *base, int nspatial,
                                            const int *spatial_axis, const int64_t *kernel,
                                            const int64_t *stride, const int64_t *dilation,
                                            const int64_t *pad_lo, const int64_t *pad_hi,
                                            winsum_view *out, char *msg, size_t msg_len);

/**
 * @brief Checks a view on its own: shape, overflow, every reachable element
 * inside the buffer; with is_output, also that no two indices share an
 * element.
 * @param[in] view the view to check; NULL gives ::WINSUM_ERR_ARGUMENT.
 * @param[in] name the view's name in the message; NULL: `"view"`.
 * @param[in] is_output nonzero: check it as an output (no guards, no two
 * indices on one element).
 * @param[out] msg NULL, or receives the error message naming `name`
 * (truncated to msg_len, NUL-terminated); untouched on success.
 * @param[in] msg_len the size of msg in bytes (0: no message).
 * @retval WINSUM_OK the view is usable.
 * @retval WINSUM_ERR_ARGUMENT a NULL view or buffer, ndim outside
 * 0..WINSUM_MAX_DIMS, an unknown dtype or buffer kind, a NULL pointer in
 * the buffer, too many guards or a negative guard extent, or guards on an
 * output.
 * @retval WINSUM_ERR_SHAPE a negative size.
 * @retval WINSUM_ERR_OVERFLOW sizes or offsets that overflow 64 bits.
 * @retval WINSUM_ERR_BOUNDS an element reachable outside the buffer.
 * @retval WINSUM_ERR_OVERLAP (is_output) two indices on one element.
 */
WINSUM_API winsum_status winsum_view_check(const winsum_view *view, const char *name, int is_output,
                                           char *msg, size_t msg_len);

/** @} */

/* -------------------------------------------------------------- contexts */

/**
 * @defgroup contexts Contexts
 * @brief Devices, contexts (a device, its queue and caches, or the
 * reference path), their memory and the buffers they allocate.
 * @{
 */

/** @brief Which implementation a context computes with. */
typedef enum winsum_backend {
    WINSUM_BACKEND_AUTO = 0,   /**< OpenCL when a device exists, else the reference */
    WINSUM_BACKEND_OPENCL = 1, /**< OpenCL kernels on a device */
    WINSUM_BACKEND_REF = 2     /**< the C reference path on the host */
} winsum_backend;

/**
 * @brief A context: a backend, its device and queue, its lock, caches and
 * last error (opaque).
 */
typedef struct winsum_context winsum_context;

/**
 * @brief The number of OpenCL devices of all platforms, in the order device
 * indices count them.
 * @return the number of devices (0 without an OpenCL platform).
 */
WINSUM_API int winsum_device_count(void);
/**
 * @brief "platform / device" of device `index`, and whether it is a GPU.
 * @param[in] index 0..winsum_device_count()-1.
 * @param[out] name NULL, or receives the name (truncated to name_len,
 * NUL-terminated).
 * @param[in] name_len the size of name in bytes (0: no name written).
 * @param[out] is_gpu NULL, or receives 1 for a GPU, else 0.
 * @retval WINSUM_OK name and is_gpu are written.
 * @retval WINSUM_ERR_NO_DEVICE index is not a device's; nothing is written.
 */
WINSUM_API winsum_status winsum_device_info(int index, char *name, size_t name_len, int *is_gpu);

/**
 * @brief Creates a context on a device, or on the reference path.
 *
 * A device string is an index over all devices of all platforms ("0", "2")
 * or a case-insensitive substring of "platform name / device name". With
 * ::WINSUM_BACKEND_AUTO, the device "ref" picks the reference backend, and
 * no device at all (none named) falls back to it.
 *
 * The first OpenCL context of a process sets `POCL_AFFINITY=1` in the
 * environment, before OpenCL starts, when it is unset and the process may
 * use every CPU of the machine: PoCL's worker threads are then pinned one
 * to a core (unpinned, one of them often sits a call out). Set
 * `POCL_AFFINITY=0` to keep PoCL's default; other drivers ignore it.
 * @param[out] ctx receives the new context (NULL on error); destroy it
 * with winsum_context_destroy().
 * @param[in] backend ::WINSUM_BACKEND_AUTO, ::WINSUM_BACKEND_OPENCL or
 * ::WINSUM_BACKEND_REF.
 * @param[in] device NULL uses `$WINSUM_DEVICE`, else the first GPU, else the
 * first device.
 * @retval WINSUM_OK *ctx is the new context.
 * @retval WINSUM_ERR_ARGUMENT ctx is NULL, an unknown backend, or a
 * `$WINSUM_CACHE_DIR` that cannot be used.
 * @retval WINSUM_ERR_NO_DEVICE no OpenCL device, or none matches device.
 * @retval WINSUM_ERR_OPENCL creating the OpenCL context or queue failed.
 * @retval WINSUM_ERR_MEMORY out of host memory.
 * On error, winsum_last_error(NULL) says why, on this thread.
 */
WINSUM_API winsum_status winsum_context_create(winsum_context **ctx, winsum_backend backend,
                                               const char *device);
/**
 * @brief Drops the caller's handle.
 *
 * Frees the cached plans of winsum_einsum() at once; plans made with
 * winsum_plan_create() keep the rest of the context alive (see
 * @ref lifetime). The handle must not be used again, and no other thread
 * may still use it.
 * @param[in] ctx the context; NULL is fine (nothing happens).
 */
WINSUM_API void winsum_context_destroy(winsum_context *ctx);
/**
 * @brief The message of the calling thread's last error on this context.
 *
 * Threads sharing a context each get their own. A thread that had no error
 * on it (or had errors in more than four other contexts since) gets the
 * context's last message from any thread.
 * @param[in] ctx the context; with NULL: why the calling thread's last
 * winsum_context_create() or winsum_context_create_cl() failed.
 * @return the message, never NULL ("" when there is none). The string
 * belongs to the calling thread and stays valid until its next call into
 * winsum.
 */
WINSUM_API const char *winsum_last_error(const winsum_context *ctx);
/**
 * @brief The backend a context computes with (never ::WINSUM_BACKEND_AUTO
 * for a context).
 * @param[in] ctx the context; NULL gives ::WINSUM_BACKEND_AUTO.
 * @return ::WINSUM_BACKEND_OPENCL or ::WINSUM_BACKEND_REF.
 */
WINSUM_API winsum_backend winsum_context_backend(const winsum_context *ctx);
/**
 * @brief The context's device, "platform name / device name", or
 * "reference (host C)".
 * @param[in] ctx the context; NULL gives "".
 * @return a string owned by the context, valid while it lives.
 */
WINSUM_API const char *winsum_context_device_name(const winsum_context *ctx);
/**
 * @brief Whether the context computes in this dtype.
 * @param[in] ctx the context; NULL gives 0.
 * @param[in] dtype the element type.
 * @return 1 when the context computes in this dtype (float64 on OpenCL
 * needs cl_khr_fp64), else 0.
 */
WINSUM_API int winsum_context_has_dtype(const winsum_context *ctx, winsum_dtype dtype);
/**
 * @brief Waits for all queued work.
 * @param[in] ctx the context.
 * @retval WINSUM_OK all work queued on the context's queue has completed
 * (at once on the reference backend).
 * @retval WINSUM_ERR_ARGUMENT ctx is NULL.
 * @retval WINSUM_ERR_OPENCL clFinish failed (::WINSUM_ERR_MEMORY when it
 * ran out of resources).
 */
WINSUM_API winsum_status winsum_finish(winsum_context *ctx);

/**
 * @brief Device memory winsum itself allocated: now, and the peak since the
 * last reset.
 *
 * Counts plans' intermediates, tables, convolution scratch and
 * winsum_buffer_alloc(); not the caller's buffers.
 * @param[in] ctx the context; NULL gives 0 and 0.
 * @param[out] current NULL, or receives the bytes allocated now.
 * @param[out] peak NULL, or receives the most bytes allocated at once since
 * the context was made or winsum_memory_reset_peak().
 */
WINSUM_API void winsum_memory_usage(const winsum_context *ctx, size_t *current, size_t *peak);
/**
 * @brief Starts a new peak for winsum_memory_usage() (from the current
 * usage).
 * @param[in] ctx the context; NULL does nothing.
 */
WINSUM_API void winsum_memory_reset_peak(winsum_context *ctx);
/**
 * @brief Programs compiled by this process (not found in memory or on
 * disk).
 * @return the count since the process began, over all contexts.
 */
WINSUM_API long winsum_program_builds(void);

/**
 * @brief Allocates a buffer of the context's kind: device memory for
 * OpenCL, host memory for the reference backend.
 *
 * Device memory is counted by winsum_memory_usage(). The buffer holds no
 * reference to the context: free it with winsum_buffer_free() before
 * destroying the context.
 * @param[in] ctx the context.
 * @param[in] bytes the size (0 is allowed).
 * @param[out] buffer receives the buffer; zeroed when the allocation fails.
 * @retval WINSUM_OK *buffer is the new buffer (host memory is zeroed).
 * @retval WINSUM_ERR_ARGUMENT ctx or buffer is NULL.
 * @retval WINSUM_ERR_MEMORY the host or device allocation failed, or more
 * bytes than the device allocates at once.
 * @retval WINSUM_ERR_OPENCL clCreateBuffer failed otherwise.
 */
WINSUM_API winsum_status winsum_buffer_alloc(winsum_context *ctx, size_t bytes,
                                             winsum_buffer *buffer);
/**
 * @brief Frees a buffer made by winsum_buffer_alloc() and zeroes it.
 * @param[in] ctx the context that allocated it; NULL does nothing.
 * @param[in,out] buffer the buffer; NULL does nothing.
 */
WINSUM_API void winsum_buffer_free(winsum_context *ctx, winsum_buffer *buffer);
/**
 * @brief Copies host memory into a buffer (a blocking write).
 * @param[in] ctx the context (its queue does the transfer).
 * @param[in] buffer the destination: a host buffer, or a device buffer of
 * ctx's `cl_context`.
 * @param[in] offset_bytes where in the buffer to start.
 * @param[in] src the bytes to copy; may be NULL only when bytes is 0.
 * @param[in] bytes how many bytes.
 * @retval WINSUM_OK the bytes are in the buffer.
 * @retval WINSUM_ERR_ARGUMENT ctx or buffer is NULL, src is NULL with
 * bytes > 0, or a malformed buffer.
 * @retval WINSUM_ERR_BOUNDS the range is outside the buffer.
 * @retval WINSUM_ERR_CONTEXT a device buffer on the reference backend.
 * @retval WINSUM_ERR_OPENCL the transfer failed (::WINSUM_ERR_MEMORY when
 * out of resources).
 */
WINSUM_API winsum_status winsum_buffer_write(winsum_context *ctx, const winsum_buffer *buffer,
                                             size_t offset_bytes, const void *src, size_t bytes);
/**
 * @brief Copies bytes of a buffer into host memory (a blocking read).
 * @param[in] ctx the context (its queue does the transfer, after the work
 * queued before it).
 * @param[in] buffer the source: a host buffer, or a device buffer of
 * ctx's `cl_context`.
 * @param[in] offset_bytes where in the buffer to start.
 * @param[out] dst receives the bytes; may be NULL only when bytes is 0.
 * @param[in] bytes how many bytes.
 * @retval WINSUM_OK dst holds the bytes.
 * @retval WINSUM_ERR_ARGUMENT ctx or buffer is NULL, dst is NULL with
 * bytes > 0, or a malformed buffer.
 * @retval WINSUM_ERR_BOUNDS the range is outside the buffer.
 * @retval WINSUM_ERR_CONTEXT a device buffer on the reference backend.
 * @retval WINSUM_ERR_OPENCL the transfer failed (::WINSUM_ERR_MEMORY when
 * out of resources).
 */
WINSUM_API winsum_status winsum_buffer_read(winsum_context *ctx, const winsum_buffer *buffer,
                                            size_t offset_bytes, void *dst, size_t bytes);
/**
 * @brief A device buffer over host memory the caller owns, without a copy,
 * where the context's device shares host memory (CPU devices such as PoCL's).
 *
 * The OpenCL buffer is made with `CL_MEM_USE_HOST_PTR`: calls read and
 * write `data` itself (no upload, no read-back). The memory must stay valid
 * and must not be touched by the host until winsum_buffer_unmap_host() with
 * sync has returned (or, for a buffer only read, until the work that uses it
 * has finished). Calls write an output buffer's elements as they go: to keep
 * the caller's memory untouched when a call fails, compute into scratch
 * memory and copy on success. The buffer holds no reference to the context:
 * unmap it before destroying the context. On the reference backend this is
 * winsum_buffer_host().
 * @param[in] ctx the context.
 * @param[in] data the host memory (not copied, not freed by winsum).
 * @param[in] bytes its size in bytes (> 0).
 * @param[out] buffer receives the buffer; zeroed when this fails.
 * @retval WINSUM_OK *buffer describes data.
 * @retval WINSUM_ERR_ARGUMENT ctx or buffer is NULL, data is NULL or bytes is 0.
 * @retval WINSUM_ERR_UNSUPPORTED the device does not share host memory
 * (`CL_DEVICE_HOST_UNIFIED_MEMORY` is false): use winsum_buffer_write().
 * @retval WINSUM_ERR_MEMORY more bytes than the device allocates at once.
 * @retval WINSUM_ERR_OPENCL clCreateBuffer failed otherwise.
 */
WINSUM_API winsum_status winsum_buffer_map_host(winsum_context *ctx, void *data, size_t bytes,
                                                winsum_buffer *buffer);
/**
 * @brief Releases a buffer of winsum_buffer_map_host() and zeroes it; with
 * sync, first waits for the work queued on the context and makes the host
 * memory hold what the device wrote.
 *
 * sync is a blocking map and unmap of the whole buffer (on a device that
 * computes in the host memory in place, nothing is copied). Without sync
 * the buffer is released at once (OpenCL keeps it until the queued work
 * that uses it is done); use that for inputs, after a sync of the output.
 * @param[in] ctx the context that mapped it.
 * @param[in,out] buffer the buffer.
 * @param[in] sync nonzero: wait and make the host memory current first.
 * @retval WINSUM_OK released (and, with sync, the host memory is current).
 * @retval WINSUM_ERR_ARGUMENT ctx or buffer is NULL, or not a mapped buffer.
 * @retval WINSUM_ERR_OPENCL the map or unmap failed (the buffer is released
 * all the same).
 */
WINSUM_API winsum_status winsum_buffer_unmap_host(winsum_context *ctx, winsum_buffer *buffer,
                                                  int sync);

/** @} */

/* ------------------------------------------------------ fault injection */

/**
 * @defgroup faults Fault injection
 * @brief For tests of error paths: make the k-th device operation of a kind
 * fail.
 *
 * For tests of error paths: the k-th operation of a kind from now on fails
 * as the device would fail it (k >= 1; k = 0 turns injection off for that
 * kind). Process-wide; counts every context. Not for production use.
 * @{
 */

/** @brief The kinds of operation that winsum_fault_inject() can fail. */
typedef enum winsum_fault {
    WINSUM_FAULT_ALLOC = 0,    /**< a device allocation (clCreateBuffer) */
    WINSUM_FAULT_BUILD = 1,    /**< a program build or load (cache miss in memory) */
    WINSUM_FAULT_ENQUEUE = 2,  /**< a kernel enqueue */
    WINSUM_FAULT_TRANSFER = 3, /**< a buffer read or write, tables included */
    WINSUM_FAULT_KINDS_        /**< the number of kinds (not a kind) */
} winsum_fault;
/**
 * @brief Makes the k-th operation of a kind from now on fail as the device
 * would fail it.
 *
 * Process-wide (it counts every context; thread-safe). The failure fires
 * once, then injection for the kind is off again.
 * @param[in] kind the kind of operation; a value outside the enum does
 * nothing.
 * @param[in] k >= 1: the k-th operation from now on fails; 0 (or less)
 * turns injection off for that kind.
 */
WINSUM_API void winsum_fault_inject(winsum_fault kind, long k);
/**
 * @brief How many operations of the kind ran (or failed) since the process
 * began.
 * @param[in] kind the kind of operation.
 * @return the count over all contexts; 0 for a value outside the enum.
 */
WINSUM_API long winsum_fault_count(winsum_fault kind);

/** @} */

/* ----------------------------------------------------------------- tuning */

/**
 * @defgroup tuning Tuning
 * @brief The tile parameters of the contraction kernel: where they come
 * from, and a search for better ones.
 *
 * The tile parameters of the contraction kernel are data: chosen per device
 * from `$WINSUM_GETT`, else a file written by winsum_tune() in the cache
 * folder, else a built-in table of known devices, else defaults by device
 * type.
 * @{
 */

/**
 * @brief The progress callback of winsum_tune().
 * @param[in] fraction the share of the search done, 0..1; 1 on the last
 * call.
 * @param[in] what what is being tried (a short line); on the last call the
 * verdict: both medians, the margin, the spread and the decision.
 * @param[in] user the pointer given to winsum_tune().
 */
typedef void (*winsum_progress_fn)(double fraction, const char *what, void *user);
/**
 * @brief Searches the tile parameters on the context's device, stores the
 * winner for the device and uses it in this context from now on.
 *
 * Coordinate descent over a GEMM and convolution layers, then the winner is
 * confirmed against the parameters in use in alternating runs (the
 * challenger is taken only when it is faster by more than the spread of the
 * timings). The result is stored in the cache folder for the device (for
 * this context only when there is no trusted cache folder). The context
 * stays locked for the whole search: other threads' calls on it wait. The
 * trial calls print no `WINSUM_VERBOSE` lines and leave winsum_last_event()
 * alone.
 * @param[in] ctx an OpenCL context.
 * @param[in] quick nonzero: one round on smaller problems.
 * @param[in] max_candidates > 0 caps the evaluations; 0 or less: no cap.
 * @param[in] progress NULL, or called as the search goes, with the context
 * locked; its last call (fraction 1) carries the verdict: both medians,
 * the margin, the spread and the decision.
 * @param[in] user passed to progress as is.
 * @retval WINSUM_OK the parameters in use are the winner's (perhaps the
 * ones in use before).
 * @retval WINSUM_ERR_ARGUMENT ctx is NULL.
 * @retval WINSUM_ERR_UNSUPPORTED the reference backend (nothing to tune).
 * @retval WINSUM_ERR_MEMORY the trial buffers could not be allocated.
 * @retval WINSUM_ERR_OPENCL a trial run failed (the message has its
 * cause); the parameters in use are restored.
 * @retval WINSUM_ERR_IO the tuned file could not be written.
 */
WINSUM_API winsum_status winsum_tune(winsum_context *ctx, int quick, int max_candidates,
                                     winsum_progress_fn progress, void *user);
/**
 * @brief Where the tile parameters in use came from.
 *
 * "defaults", "built-in table", "tuned (PATH)" or "WINSUM_GETT", followed
 * by "; ..." notes on what was not used and why: a `WINSUM_GETT` or tuned
 * file that does not parse or does not fit the device
 * ("WINSUM_GETT=... ignored: mr = 1073741824 is outside 1..64"), a tuned
 * file that is not trusted, a disk cache that is off.
 * @param[in] ctx the context; NULL gives "", the reference backend
 * "reference backend".
 * @return a string owned by the context. It changes when winsum_tune()
 * finishes: do not read it while another thread tunes the same context.
 */
WINSUM_API const char *winsum_tuning_source(const winsum_context *ctx);
/**
 * @brief The disk cache of compiled programs: "on: DIR" or "off: REASON".
 *
 * Only a folder owned by this user (effective uid) and writable by no one
 * else is used, and in it only regular files (no links, no FIFOs) with the
 * same owner that no one else can write: "off: the cache folder DIR is
 * writable by group or others (mode 0775): ...". An entry refused in a
 * trusted folder is named after "; ".
 * @param[in] ctx the context; NULL gives "", the reference backend "off: the
 * reference backend builds no programs".
 * @return a string owned by the context, valid while it lives (a refused
 * entry that a later call meets is appended to it).
 */
WINSUM_API const char *winsum_cache_info(const winsum_context *ctx);
/**
 * @brief The tile parameters in use, "wgm,wgn,mr,nr,mc,nc,kc,vw".
 * @param[in] ctx the context; NULL or the reference backend gives "".
 * @return a string owned by the context. It changes when winsum_tune()
 * finishes: do not read it while another thread tunes the same context.
 */
WINSUM_API const char *winsum_tuning_params(const winsum_context *ctx);

/** @} */

/* ----------------------------------------------------------------- einsum */

/**
 * @defgroup einsum Einsum
 * @brief `out = alpha * einsum(subscripts, ops...) + beta * out`, planned
 * once and executed many times, or in one call.
 * @{
 */

/**
 * @brief A planned einsum (opaque): its pairwise order, kernels and tables,
 * for one context.
 */
typedef struct winsum_plan winsum_plan;

/**
 * @brief Plans `out = alpha * einsum(subscripts, ops...) + beta * out`.
 *
 * The views fix dtypes, shapes, strides and offsets; their buffers may be
 * swapped at execution. With beta == 0 the output is not read; with any
 * other beta it is (a NaN there comes through). beta == 0 is decided on the
 * value given. The plan holds a reference to ctx (see @ref lifetime).
 *
 * alpha and beta (here and in every convolution call): each must be finite,
 * and either 0 or a normal number of the arithmetic type, float for float32
 * and float16 (`FLT_MIN <= |x| <= FLT_MAX`), double for float64
 * (`DBL_MIN <= |x| <= DBL_MAX`). Anything else (NaN, inf, 1e300 or 1e-50 for
 * float32, a subnormal) is refused with ::WINSUM_ERR_ARGUMENT, a message
 * naming the scalar and its value, and nothing written, on both backends:
 * the OpenCL kernels compute in that type, the reference path in double,
 * and within these ranges both give the same IEEE results (overflow to inf
 * included).
 *
 * Sums are accumulated in the arithmetic type in K blocks of about 256
 * terms, each block in fresh accumulators, the blocks in groups of about
 * sqrt(blocks), so that the rounding error of a sum of K terms grows like
 * 256 + 2 sqrt(K / 256) additions rather than K (numpy's pairwise sum:
 * log2 K). float16 is rounded once, from the float result.
 * @param[in] ctx the context the plan belongs to (and keeps alive).
 * @param[out] plan receives the plan (NULL on error); destroy it with
 * winsum_plan_destroy().
 * @param[in] subscripts numpy's einsum subscripts, implicit ("ij,jk") or
 * explicit ("ij,jk->ik"), with `...` for broadcast axes.
 * @param[in] nops the number of operands, 1..32.
 * @param[in] ops nops input views (copied into the plan).
 * @param[in] out the output view (copied into the plan).
 * @retval WINSUM_OK *plan is the new plan.
 * @retval WINSUM_ERR_ARGUMENT a NULL pointer, nops outside 1..32, or a
 * malformed view or buffer.
 * @retval WINSUM_ERR_SUBSCRIPTS subscripts that do not parse or do not fit
 * the operands' ranks.
 * @retval WINSUM_ERR_SHAPE sizes that disagree, or an output view of the
 * wrong shape.
 * @retval WINSUM_ERR_BOUNDS a view reaches outside its buffer.
 * @retval WINSUM_ERR_OVERLAP the output maps two indices to one element.
 * @retval WINSUM_ERR_ALIAS the output overlaps an input.
 * @retval WINSUM_ERR_DTYPE the views' dtypes differ, or float64 on a device
 * without it.
 * @retval WINSUM_ERR_OVERFLOW sizes or offsets that overflow 64 bits.
 * @retval WINSUM_ERR_CONTEXT a buffer of the wrong kind for the backend, or
 * of another `cl_context`.
 * @retval WINSUM_ERR_UNSUPPORTED sizes beyond what the kernels index.
 * @retval WINSUM_ERR_MEMORY a host or device allocation failed.
 * @retval WINSUM_ERR_BUILD a kernel did not build (the message has the log).
 * @retval WINSUM_ERR_OPENCL an OpenCL call failed.
 */
WINSUM_API winsum_status winsum_plan_create(winsum_context *ctx, winsum_plan **plan,
                                            const char *subscripts, int nops,
                                            const winsum_view *ops, const winsum_view *out);
/**
 * @brief Executes a plan: enqueues its kernels and returns without waiting
 * for them; winsum_plan_execute() (winsum_ocl.h) without the OpenCL event.
 *
 * Each execution checks its buffers against the views' ranges and the
 * scalars as winsum_plan_create() describes. Several threads may execute
 * one plan (each call takes the context's lock). winsum_finish() waits for
 * the work; on the reference backend it is done when the call returns.
 * @param[in] plan the plan; NULL gives ::WINSUM_ERR_ARGUMENT (with no
 * message).
 * @param[in] inputs NULL, or nops buffers replacing the views' buffers (NULL
 * entries keep theirs).
 * @param[in] output NULL (keep the output view's buffer), or a buffer
 * replacing it.
 * @param[in] alpha the scale of the einsum (see winsum_plan_create()).
 * @param[in] beta the scale of the output's old contents; 0: not read.
 * @retval WINSUM_OK the work is enqueued (done, on the reference backend).
 * @retval WINSUM_ERR_ARGUMENT plan is NULL, alpha or beta out of range, or
 * a malformed buffer.
 * @retval WINSUM_ERR_CONTEXT a buffer of the wrong kind for the backend, or
 * of another device context.
 * @retval WINSUM_ERR_BOUNDS a view reaches outside a replacement buffer.
 * @retval WINSUM_ERR_ALIAS the output buffer overlaps an input.
 * @retval WINSUM_ERR_MEMORY a host or device allocation failed.
 * @retval WINSUM_ERR_OPENCL an OpenCL call failed (an enqueue).
 */
WINSUM_API winsum_status winsum_plan_run(winsum_plan *plan, const winsum_buffer *const *inputs,
                                         const winsum_buffer *output, double alpha, double beta);
/**
 * @brief Frees the plan, and its context too when that was destroyed and
 * this was its last plan.
 *
 * No other thread may still use the plan.
 * @param[in] plan the plan; NULL is fine (nothing happens).
 */
WINSUM_API void winsum_plan_destroy(winsum_plan *plan);
/**
 * @brief A human-readable account of the plan: the pairwise order, each
 * step's batch/M/N/K sizes and kernel.
 * @param[in] plan the plan; NULL gives "".
 * @return a string owned by the plan, valid while it lives.
 */
WINSUM_API const char *winsum_plan_describe(const winsum_plan *plan);

/**
 * @brief Create + execute + destroy, with a small cache of recent plans.
 *
 * The cache is per context and keeps no reference to it. The call enqueues
 * its kernels and returns without waiting (see winsum_last_event()).
 * @param[in] ctx the context.
 * @param[in] subscripts numpy's einsum subscripts (see
 * winsum_plan_create()).
 * @param[in] nops the number of operands, 1..32.
 * @param[in] ops nops input views.
 * @param[in] out the output view.
 * @param[in] alpha the scale of the einsum (see winsum_plan_create()).
 * @param[in] beta the scale of the output's old contents; 0: not read.
 * @retval WINSUM_OK the work is enqueued (done, on the reference backend).
 * @retval WINSUM_ERR_ARGUMENT ctx or another pointer is NULL, nops outside
 * 1..32, alpha or beta out of range, or a malformed view or buffer.
 * @retval others every status winsum_plan_create() and
 * winsum_plan_execute() return, for the same reasons.
 */
WINSUM_API winsum_status winsum_einsum(winsum_context *ctx, const char *subscripts, int nops,
                                       const winsum_view *ops, const winsum_view *out, double alpha,
                                       double beta);

/**
 * @brief The output shape numpy would give (implicit or explicit), without
 * running.
 *
 * Only the operands' ranks and shapes are used (not their buffers).
 * @param[in] ctx the context (for the error message).
 * @param[in] subscripts numpy's einsum subscripts.
 * @param[in] nops the number of operands, 1..32.
 * @param[in] ops nops views.
 * @param[out] ndim receives the output's rank.
 * @param[out] shape receives the output's sizes (room for WINSUM_MAX_DIMS).
 * @retval WINSUM_OK *ndim and shape are written.
 * @retval WINSUM_ERR_ARGUMENT a NULL pointer, nops outside 1..32, or a
 * malformed view.
 * @retval WINSUM_ERR_SUBSCRIPTS subscripts that do not parse or do not fit
 * the operands' ranks.
 * @retval WINSUM_ERR_SHAPE sizes that disagree.
 * @retval WINSUM_ERR_MEMORY out of host memory.
 */
WINSUM_API winsum_status winsum_einsum_output_shape(winsum_context *ctx, const char *subscripts,
                                                    int nops, const winsum_view *ops, int *ndim,
                                                    int64_t *shape);

/** @brief The operation of winsum_elementwise(), on x = alpha * a and
 * y = beta * b (or y = beta without b). */
typedef enum winsum_elementwise_op {
    WINSUM_OP_ADD = 0,     /**< x + y */
    WINSUM_OP_SUB = 1,     /**< x - y */
    WINSUM_OP_MUL = 2,     /**< x * y */
    WINSUM_OP_MAX = 3,     /**< the larger of x and y; NaN if either is (numpy's maximum) */
    WINSUM_OP_MIN = 4,     /**< the smaller of x and y; NaN if either is (numpy's minimum) */
    WINSUM_OP_GREATER = 5, /**< 1 where x > y, else 0 */
    WINSUM_OP_EQUAL = 6,   /**< 1 where x == y, else 0 */
    WINSUM_OP_COUNT_       /**< the number of operations (not an operation) */
} winsum_elementwise_op;

/**
 * @brief Element by element, `out = op(alpha * a, beta * b)`, or
 * `op(alpha * a, beta)` when b is NULL.
 *
 * What einsum does not express, for data that stays on the device: sums
 * of two operands (bias, residuals, gradient steps), max and min (ReLU),
 * comparisons (masks for backward passes). a and b broadcast to out's
 * shape by numpy's rule (axes aligned at the end; a size-1 or missing axis
 * repeats), and any view may have stride-0 axes. out may be a or b itself
 * (the same view: in-place forms such as `x += y`); any other overlap of
 * out with a or b is refused. float32 and float16 compute in float
 * (float16 rounded once to nearest even on the store), float64 in double;
 * the reference backend computes the same in double from float products.
 * @param[in] ctx the context.
 * @param[in] op the operation, a ::winsum_elementwise_op.
 * @param[in] alpha the scale of a.
 * @param[in] a the first operand (no guards).
 * @param[in] beta the scale of b, or the constant operand when b is NULL.
 * @param[in] b NULL, or the second operand (no guards).
 * @param[in] out the output view (no guards, no two indices on one element).
 * @retval WINSUM_OK the work is enqueued (done, on the reference backend).
 * @retval WINSUM_ERR_ARGUMENT ctx, a or out is NULL, op is not an
 * operation, alpha or beta out of range (see winsum_plan_execute()), or a
 * malformed view or buffer.
 * @retval WINSUM_ERR_SHAPE a or b does not broadcast to out's shape.
 * @retval WINSUM_ERR_DTYPE the views' dtypes differ, or float64 on a device
 * without it.
 * @retval WINSUM_ERR_BOUNDS a view reaches outside its buffer.
 * @retval WINSUM_ERR_OVERLAP out maps two indices to one element.
 * @retval WINSUM_ERR_ALIAS out overlaps a or b without being that view.
 * @retval WINSUM_ERR_CONTEXT a buffer of the wrong kind for the backend, or
 * of another `cl_context`.
 * @retval WINSUM_ERR_UNSUPPORTED a guarded view, or more than 8 axes left
 * after merging (size-1 axes dropped, and neighbours that every view steps
 * through as one axis merged).
 * @retval WINSUM_ERR_BUILD the kernel did not build (the message has the log).
 * @retval WINSUM_ERR_OPENCL an OpenCL call failed.
 */
WINSUM_API winsum_status winsum_elementwise(winsum_context *ctx, winsum_elementwise_op op,
                                            double alpha, const winsum_view *a, double beta,
                                            const winsum_view *b, const winsum_view *out);

/** @} */

/* ------------------------------------------------------------ convolution */

/**
 * @defgroup convolution Convolutions
 * @brief Forward, backward-data, backward-weight, backward-bias and
 * transposed convolutions (1-D, 2-D, 3-D; groups; NCHW or NHWC), run as
 * einsums over window views.
 *
 * Every computing call here enqueues its kernels and returns without
 * waiting for them (see winsum_last_event()). alpha and beta follow the
 * rules of winsum_plan_create(); with beta == 0 the output is not read.
 * @{
 */

/** @brief Where the channels axis is. */
typedef enum winsum_layout {
    WINSUM_LAYOUT_NCHW = 0, /**< channels first: (N, C, spatial...) */
    WINSUM_LAYOUT_NHWC = 1  /**< channels last: (N, spatial..., C) */
} winsum_layout;

/** @brief The most spatial axes of a convolution (3-D). */
#define WINSUM_MAX_SPATIAL 3

/**
 * @brief A convolution's geometry; start from winsum_conv_desc_init().
 *
 * Weights are (O, C/G, k...) in both layouts. Only the first nspatial
 * entries of each array are used.
 */
typedef struct winsum_conv_desc {
    int nspatial;                         /**< 1..3; 0 = from the input's rank */
    int64_t stride[WINSUM_MAX_SPATIAL];   /**< per spatial axis, >= 1 */
    int64_t dilation[WINSUM_MAX_SPATIAL]; /**< per spatial axis, >= 1 */
    int64_t pad_lo[WINSUM_MAX_SPATIAL];   /**< zero padding before, >= 0 */
    int64_t pad_hi[WINSUM_MAX_SPATIAL];   /**< zero padding after, >= 0 */
    /** 1: "same" padding, see docs/guide.md (pads from the shapes); 0: pad_lo, pad_hi */
    int pad_same;
    int64_t output_padding[WINSUM_MAX_SPATIAL]; /**< transposed convolution only */
    int64_t groups;                             /**< >= 1; divides the channels */
    winsum_layout layout;                       /**< NCHW or NHWC */
} winsum_conv_desc;

/**
 * @brief Sets stride 1, dilation 1, no padding, groups 1, NCHW (nspatial
 * 0: from the input's rank; no output padding).
 * @param[out] desc the descriptor to fill; NULL does nothing.
 */
WINSUM_API void winsum_conv_desc_init(winsum_conv_desc *desc);

/**
 * @brief Output shape of the forward convolution for input x_shape (rank
 * 2+n) and weight w_shape (O, C/G, k...), in the descriptor's layout.
 *
 * Both shapes have `rank` entries (a weight always has the input's rank).
 * @param[in] desc the convolution.
 * @param[in] rank the input's rank, 3..5.
 * @param[in] x_shape rank input sizes.
 * @param[in] w_shape rank weight sizes.
 * @param[out] y_shape receives rank output sizes.
 * @param[out] msg NULL, or receives the error message (truncated to
 * msg_len, NUL-terminated); untouched on success.
 * @param[in] msg_len the size of msg in bytes (0: no message).
 * @retval WINSUM_OK y_shape is written.
 * @retval WINSUM_ERR_ARGUMENT a NULL desc, x_shape, w_shape or y_shape.
 * @retval WINSUM_ERR_CONV a bad descriptor (layout, nspatial, groups,
 * stride, dilation, padding), a rank outside 3..5, or shapes that do not
 * make a convolution (negative sizes, channels, groups, a kernel larger
 * than the padded input).
 * @retval WINSUM_ERR_OVERFLOW sizes that overflow 64 bits.
 */
WINSUM_API winsum_status winsum_conv_output_shape(const winsum_conv_desc *desc, int rank,
                                                  const int64_t *x_shape, const int64_t *w_shape,
                                                  int64_t *y_shape, char *msg, size_t msg_len);

/**
 * @brief The forward convolution, `y = alpha * (conv(x, w) + bias) + beta * y`.
 *
 * bias may be NULL (no bias); every other pointer of the convolution calls
 * is required.
 * @param[in] ctx the context.
 * @param[in] desc the convolution.
 * @param[in] x the input, (N, C, spatial...) or (N, spatial..., C).
 * @param[in] w the weight, (O, C/G, k...).
 * @param[in] bias NULL (no bias), or the bias, (O).
 * @param[in] y the output view, of winsum_conv_output_shape()'s shape.
 * @param[in] alpha the scale of the convolution (and bias).
 * @param[in] beta the scale of y's old contents; 0: not read.
 * @retval WINSUM_OK the work is enqueued (done, on the reference backend).
 * @retval WINSUM_ERR_ARGUMENT ctx, desc, x, w or y is NULL, alpha or beta
 * out of range, or a malformed view or buffer.
 * @retval WINSUM_ERR_CONV a bad descriptor, or views whose ranks or shapes
 * do not make this convolution.
 * @retval WINSUM_ERR_DTYPE the views' dtypes differ, or float64 on a device
 * without it.
 * @retval WINSUM_ERR_BOUNDS a view reaches outside its buffer.
 * @retval WINSUM_ERR_OVERLAP the output maps two indices to one element.
 * @retval WINSUM_ERR_ALIAS the output overlaps an input.
 * @retval WINSUM_ERR_CONTEXT a buffer of the wrong kind for the backend, or
 * of another `cl_context`.
 * @retval WINSUM_ERR_OVERFLOW sizes or offsets that overflow 64 bits.
 * @retval WINSUM_ERR_UNSUPPORTED sizes beyond what the kernels index.
 * @retval WINSUM_ERR_MEMORY a host or device allocation failed.
 * @retval WINSUM_ERR_BUILD a kernel did not build (the message has the log).
 * @retval WINSUM_ERR_OPENCL an OpenCL call failed.
 */
WINSUM_API winsum_status winsum_conv_forward(winsum_context *ctx, const winsum_conv_desc *desc,
                                             const winsum_view *x, const winsum_view *w,
                                             const winsum_view *bias, const winsum_view *y,
                                             double alpha, double beta);
/**
 * @brief The input gradient, `gx = alpha * d(loss)/dx + beta * gx`, given
 * `gy = d(loss)/dy`.
 *
 * gx's view gives the input shape.
 * @param[in] ctx the context.
 * @param[in] desc the forward convolution.
 * @param[in] gy the output gradient, of the forward output's shape.
 * @param[in] w the weight, (O, C/G, k...).
 * @param[in] gx the input gradient (written), of the forward input's shape.
 * @param[in] alpha the scale of the gradient.
 * @param[in] beta the scale of gx's old contents; 0: not read.
 * @retval WINSUM_OK the work is enqueued (done, on the reference backend).
 * @retval WINSUM_ERR_ARGUMENT ctx, desc, gy, w or gx is NULL, alpha or beta
 * out of range, or a malformed view or buffer.
 * @retval WINSUM_ERR_CONV a bad descriptor, or views whose ranks or shapes
 * do not make this convolution.
 * @retval others the statuses of winsum_conv_forward(), for the same
 * reasons (gx is the output).
 */
WINSUM_API winsum_status winsum_conv_backward_data(winsum_context *ctx,
                                                   const winsum_conv_desc *desc,
                                                   const winsum_view *gy, const winsum_view *w,
                                                   const winsum_view *gx, double alpha,
                                                   double beta);
/**
 * @brief The weight gradient, `gw = alpha * d(loss)/dw + beta * gw`.
 * @param[in] ctx the context.
 * @param[in] desc the forward convolution.
 * @param[in] x the forward input.
 * @param[in] gy the output gradient, of the forward output's shape.
 * @param[in] gw the weight gradient (written), (O, C/G, k...).
 * @param[in] alpha the scale of the gradient.
 * @param[in] beta the scale of gw's old contents; 0: not read.
 * @retval WINSUM_OK the work is enqueued (done, on the reference backend).
 * @retval WINSUM_ERR_ARGUMENT ctx, desc, x, gy or gw is NULL, alpha or beta
 * out of range, or a malformed view or buffer.
 * @retval WINSUM_ERR_CONV a bad descriptor, or views whose ranks or shapes
 * do not make this convolution.
 * @retval others the statuses of winsum_conv_forward(), for the same
 * reasons (gw is the output).
 */
WINSUM_API winsum_status winsum_conv_backward_weight(winsum_context *ctx,
                                                     const winsum_conv_desc *desc,
                                                     const winsum_view *x, const winsum_view *gy,
                                                     const winsum_view *gw, double alpha,
                                                     double beta);
/**
 * @brief The bias gradient, `gb = alpha * sum over batch and space of gy +
 * beta * gb`.
 * @param[in] ctx the context.
 * @param[in] desc the forward convolution (its layout and groups are used).
 * @param[in] gy the output gradient.
 * @param[in] gb the bias gradient (written), (O).
 * @param[in] alpha the scale of the sum.
 * @param[in] beta the scale of gb's old contents; 0: not read.
 * @retval WINSUM_OK the work is enqueued (done, on the reference backend).
 * @retval WINSUM_ERR_ARGUMENT ctx, desc, gy or gb is NULL, alpha or beta
 * out of range, or a malformed view or buffer.
 * @retval WINSUM_ERR_CONV a bad descriptor, groups that do not divide gy's
 * channels, or gb not of shape (O).
 * @retval others the statuses of winsum_conv_forward(), for the same
 * reasons (gb is the output).
 */
WINSUM_API winsum_status winsum_conv_backward_bias(winsum_context *ctx,
                                                   const winsum_conv_desc *desc,
                                                   const winsum_view *gy, const winsum_view *gb,
                                                   double alpha, double beta);
/**
 * @brief The transposed convolution `y = conv_transpose(x, w)`, scaled:
 * `y = alpha * conv_transpose(x, w) + beta * y`.
 *
 * The backward-data of the convolution desc describes, with the output size
 * picked by desc->output_padding. w is that forward convolution's weight,
 * (O, C/G, k...): its first axis O is x's channels, and C, its second axis
 * times the groups, is y's.
 * @param[in] ctx the context.
 * @param[in] desc the forward convolution it transposes ("same" padding is
 * refused: give explicit padding).
 * @param[in] x the input (the forward convolution's output side).
 * @param[in] w the weight, x's channels first.
 * @param[in] y the output view, of winsum_conv_transpose_output_shape()'s
 * shape.
 * @param[in] alpha the scale of the transposed convolution.
 * @param[in] beta the scale of y's old contents; 0: not read.
 * @retval WINSUM_OK the work is enqueued (done, on the reference backend).
 * @retval WINSUM_ERR_ARGUMENT ctx, desc, x, w or y is NULL, alpha or beta
 * out of range, or a malformed view or buffer.
 * @retval WINSUM_ERR_CONV a bad descriptor or output padding, or views
 * whose ranks or shapes do not make this convolution.
 * @retval others the statuses of winsum_conv_forward(), for the same
 * reasons.
 */
WINSUM_API winsum_status winsum_conv_transpose(winsum_context *ctx, const winsum_conv_desc *desc,
                                               const winsum_view *x, const winsum_view *w,
                                               const winsum_view *y, double alpha, double beta);
/**
 * @brief Output shape of the transposed convolution.
 *
 * Per spatial axis, torch's rule: `(x - 1) * stride - pad_lo - pad_hi +
 * dilation * (k - 1) + output_padding + 1`; output_padding must be >= 0 and
 * smaller than the stride or the dilation.
 * @param[in] desc the forward convolution it transposes (no "same" padding).
 * @param[in] rank the input's rank, 3..5.
 * @param[in] x_shape rank input sizes.
 * @param[in] w_shape rank weight sizes, x's channels first.
 * @param[out] y_shape receives rank output sizes.
 * @param[out] msg NULL, or receives the error message (truncated to
 * msg_len, NUL-terminated); untouched on success.
 * @param[in] msg_len the size of msg in bytes (0: no message).
 * @retval WINSUM_OK y_shape is written.
 * @retval WINSUM_ERR_ARGUMENT a NULL desc, x_shape, w_shape or y_shape.
 * @retval WINSUM_ERR_CONV a bad descriptor or output padding, "same"
 * padding, or shapes that do not make a transposed convolution.
 * @retval WINSUM_ERR_OVERFLOW sizes that overflow 64 bits.
 */
WINSUM_API winsum_status winsum_conv_transpose_output_shape(const winsum_conv_desc *desc, int rank,
                                                            const int64_t *x_shape,
                                                            const int64_t *w_shape,
                                                            int64_t *y_shape, char *msg,
                                                            size_t msg_len);

/**
 * @brief The implementation that ran the most recent successful forward,
 * backward-data, backward-weight or transpose call on ctx.
 *
 * "direct" (a direct-convolution kernel: forward, and backward-data at
 * stride 1), "depthwise" (direct depthwise kernels, all three directions),
 * "gemv" (depthwise, through the einsum planner's gemv family), "einsum"
 * (einsums over window views); "" before the first and after a failed one.
 * Chosen per call from an ordered list per direction;
 * `$WINSUM_CONV_IMPL=pointwise|direct|depthwise|einsum|gemv`, read at every call, tries the
 * named one first and falls back down the list when it cannot take the
 * problem (any other value: ::WINSUM_ERR_ARGUMENT).
 * @param[in] ctx the context; NULL gives "".
 * @return the name, valid until the next convolution call on ctx.
 */
WINSUM_API const char *winsum_conv_last_impl(winsum_context *ctx);

/** @} */

/* ------------------------------------------------------------ the trace */

/**
 * @page trace The trace (WINSUM_VERBOSE)
 *
 * The trace. Two environment variables, read once per context, at its
 * creation:
 *
 * - `WINSUM_VERBOSE`: unset, empty or 0: off (nothing is printed, and
 *   nothing is spent on it beyond a test of a flag per call); 1: one line
 *   per outermost computing call (the einsums a convolution runs print
 *   nothing of their own); 2: the same with each kernel's time from OpenCL
 *   profiling events (a queue winsum creates is then made with
 *   `CL_QUEUE_PROFILING_ENABLE`; a caller's queue without it gives
 *   "n/a (queue without profiling)"). Another value asks for 1.
 * - `WINSUM_VERBOSE_FILE`: append the lines to this file (one write per
 *   line; stderr when unset or when it cannot be opened).
 *
 * While the trace is on, each call waits for its own kernels before it
 * returns, so that its time covers them. A line is comma-separated fields,
 * in this order (no field but the last holds a comma):
 *
 * @verbatim
   winsum_verbose,exec,OP,BACKEND,DEVICE,STATUS,subs:S,ops:V V..,
   alpha=A beta=B,desc:D,tile:T,tile_src:W,plan:P,time_ms:MS,kernels:K,
   replay:CMD
   @endverbatim
 *
 * - OP: einsum, plan_execute, conv_forward, conv_backward_data,
 *   conv_backward_weight, conv_backward_bias, conv_transpose.
 * - BACKEND: opencl or ref.
 * - STATUS: winsum_status_string().
 * - S: the subscripts with ',' written as ' ' ("-" for a convolution).
 * - Each V is `NAME:DTYPE:SHAPE:sSTRIDES:oOFFSET[:gGUARDS]` (shape and
 *   strides joined by x; NAME in0.. and out for einsums, x w bias y /
 *   dy w dx / x dy dw / dy db / x w y for the convolutions).
 * - D: the convolution descriptor
 *   ("2d nchw stride=1x1 dilation=1x1 pad=1:1x1:1 groups=1") or "-".
 * - T: winsum_tuning_params() with '/' for ','; W: winsum_tuning_source().
 * - P: each einsum the call ran, "; "-separated, as
 *   `SUBSCRIPTS{FAMILY bB mM nN kK + ...}` (',' again written as ' '; one
 *   FAMILY... per kernel step, batch, M, N, K; {reference} on the reference
 *   backend, {empty} for an empty output).
 * - MS: the call's wall time in milliseconds, until its last kernel
 *   completed.
 * - K: "-" under 1, else NAME=MSms per kernel and total=MSms.
 * - CMD: the winsum-bench command that times a call of the same shape
 *   (conv forward, backward-data (also for a transposed convolution),
 *   backward-weight, or einsum, with `--strides` when every stride is >= 0
 *   and no view is guarded; offsets are not replayed), or "n/a (why)"; it
 *   is the rest of the line.
 *
 * Example (one line; broken here for width):
 *
 * @verbatim
   winsum_verbose,exec,einsum,opencl,Portable Computing Language / pthread-
   skylake-avx512-AMD EPYC,WINSUM_OK,subs:ij jk->ik,ops:in0:f32:64x32:s32x1:o0
   in1:f32:32x16:s16x1:o0 out:f32:64x16:s16x1:o0,alpha=1 beta=0,desc:-,
   tile:1/1/8/32/96/128/256/16,tile_src:built-in table,plan:ij jk->ik{gett
   b1 m16 n64 k32},time_ms:0.355,kernels:-,replay:winsum-bench einsum
   'ij,jk->ik' --shapes 64x32,32x16 --strides 32x1,16x1 --dtype f32
   @endverbatim
 */

#ifdef __cplusplus
}
#endif

/* The OpenCL interop calls (they name OpenCL types, so winsum_ocl.h
 * includes <CL/cl.h>): included unless the includer defined
 * WINSUM_NO_OPENCL_HEADER first, so that code written before the split
 * compiles unchanged. See winsum_ocl.h. */
#ifndef WINSUM_NO_OPENCL_HEADER
#include "winsum_ocl.h"
#endif
#endif /* WINSUM_H */
