/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/**
 * @file winsum_ocl.h
 * @brief OpenCL interop: the calls of winsum that take or give OpenCL
 * objects (`cl_mem`, `cl_context`, `cl_command_queue`, `cl_event`).
 *
 * A caller who never touches an OpenCL object needs only winsum.h, and
 * need not include `<CL/cl.h>`: define `WINSUM_NO_OPENCL_HEADER` before
 * including winsum.h, which otherwise includes this header at its end (so
 * that programs that call these functions with only winsum.h included
 * compile as they are). This header includes `<CL/cl.h>` and winsum.h, as
 * oneDNN's dnnl_ocl.h does with dnnl.h.
 *
 * On OpenCL, winsum_buffer::mem holds a `cl_mem` as a `void *`: C converts
 * between them implicitly; C++ needs a `static_cast<cl_mem>`.
 */
#ifndef WINSUM_OCL_H
#define WINSUM_OCL_H

/**
 * @brief The OpenCL API version `winsum_ocl.h` asks `<CL/cl.h>` for: 1.2
 * (120), unless the includer defined it first.
 */
#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include "winsum.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @addtogroup buffers
 * @{
 */
/**
 * @brief A buffer describing an OpenCL buffer the caller owns.
 *
 * A NULL mem makes a buffer that every call refuses.
 * @param[in] mem the `cl_mem` (not retained, not released by winsum); it
 * must belong to the `cl_context` of the context that uses it.
 * @param[in] bytes its usable size in bytes (at most the `cl_mem`'s size).
 * @return the buffer (where == ::WINSUM_DEVICE), by value.
 */
WINSUM_API winsum_buffer winsum_buffer_device(cl_mem mem, size_t bytes);
/** @} */

/**
 * @addtogroup contexts
 * @{
 */
/**
 * @brief Creates an OpenCL context around the caller's OpenCL context and
 * in-order queue.
 *
 * Wraps the caller's OpenCL context and in-order queue (retained, released
 * when the context is freed). winsum enqueues the kernels of one call one
 * after another without events between them, so the queue must execute in
 * order: a queue made with `CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE` is
 * refused with ::WINSUM_ERR_UNSUPPORTED (the message says to pass an
 * in-order queue). Other work the caller puts on the same queue is ordered
 * with winsum's. A queue made with `CL_QUEUE_PROFILING_ENABLE` gives the
 * trace its kernel times (see @ref trace).
 * @param[out] ctx receives the new context (NULL on error).
 * @param[in] cl_ctx the caller's OpenCL context (retained).
 * @param[in] queue an in-order command queue of cl_ctx (retained).
 * @retval WINSUM_OK *ctx is the new context.
 * @retval WINSUM_ERR_ARGUMENT ctx, cl_ctx or queue is NULL, or a
 * `$WINSUM_CACHE_DIR` that cannot be used.
 * @retval WINSUM_ERR_CONTEXT queue is not a valid queue, or not one of
 * cl_ctx.
 * @retval WINSUM_ERR_UNSUPPORTED the queue is out of order.
 * @retval WINSUM_ERR_MEMORY out of host memory.
 * On error nothing is retained, and winsum_last_error(NULL) says why.
 */
WINSUM_API winsum_status winsum_context_create_cl(winsum_context **ctx, cl_context cl_ctx,
                                                  cl_command_queue queue);
/**
 * @brief The context's OpenCL context, for interop (not retained for the
 * caller).
 * @param[in] ctx the context; NULL gives NULL.
 * @return the `cl_context`, or NULL on the reference backend.
 */
WINSUM_API cl_context winsum_context_cl(const winsum_context *ctx);
/**
 * @brief The context's OpenCL queue, for interop (not retained for the
 * caller; it executes in order).
 * @param[in] ctx the context; NULL gives NULL.
 * @return the `cl_command_queue`, or NULL on the reference backend.
 */
WINSUM_API cl_command_queue winsum_context_queue(const winsum_context *ctx);
/** @} */

/**
 * @addtogroup einsum
 * @{
 */
/**
 * @brief Executes a plan: enqueues its kernels and returns without waiting
 * for them (see winsum_last_event()).
 *
 * Each execution checks its buffers against the views' ranges and the
 * scalars as winsum_plan_create() describes. Several threads may execute
 * one plan (each call takes the context's lock).
 * @param[in] plan the plan; NULL gives ::WINSUM_ERR_ARGUMENT (with no
 * message).
 * @param[in] inputs NULL, or nops buffers replacing the views' buffers (NULL
 * entries keep theirs).
 * @param[in] output NULL (keep the output view's buffer), or a buffer
 * replacing it.
 * @param[in] alpha the scale of the einsum (see winsum_plan_create()).
 * @param[in] beta the scale of the output's old contents; 0: not read.
 * @param[out] event NULL, or receives an event for the last kernel the call
 * enqueued (OpenCL; the caller releases it), NULL when it enqueued none (the
 * reference backend, an empty output) or failed; winsum_last_event() gives
 * the same event afterwards.
 * @retval WINSUM_OK the work is enqueued (done, on the reference backend).
 * @retval WINSUM_ERR_ARGUMENT plan is NULL, alpha or beta out of range, or
 * a malformed buffer.
 * @retval WINSUM_ERR_CONTEXT a buffer of the wrong kind for the backend, or
 * of another `cl_context`.
 * @retval WINSUM_ERR_BOUNDS a view reaches outside a replacement buffer.
 * @retval WINSUM_ERR_ALIAS the output buffer overlaps an input.
 * @retval WINSUM_ERR_MEMORY a host or device allocation failed.
 * @retval WINSUM_ERR_OPENCL an OpenCL call failed (an enqueue).
 */
WINSUM_API winsum_status winsum_plan_execute(winsum_plan *plan, const winsum_buffer *const *inputs,
                                             const winsum_buffer *output, double alpha, double beta,
                                             cl_event *event);
/** @} */

/**
 * @defgroup events Events
 * @brief The OpenCL event of a context's most recent computing call.
 * @{
 */

/**
 * @brief The event of the last kernel that the most recent computing call
 * on ctx enqueued.
 *
 * The computing calls are winsum_einsum(), winsum_plan_execute() and the
 * five convolution calls; each enqueues its kernels and returns without
 * waiting for them. This call hands back the event of the last kernel that
 * the most recent computing call on ctx enqueued (retained for the caller,
 * who releases it with clReleaseEvent): for a convolution, its last kernel,
 * which runs after all its others (the queue is in order), so once it
 * completes the whole output is written. Other calls (buffer reads and
 * writes, winsum_finish(), plan creation, winsum_tune(), whose trial calls
 * are its own and print no `WINSUM_VERBOSE` lines) do not change it. The
 * context keeps one such event, replaced by each computing call and
 * released with the context; a caller that keeps its own reference may use
 * it as long as it likes. The event's command type is
 * `CL_COMMAND_NDRANGE_KERNEL`; pass it in an event wait list to order work
 * on other queues after the call.
 *
 * Threads: "most recent" is the context's, not the thread's: when threads
 * share a context, another thread's call between yours and
 * winsum_last_event() replaces the event, so hold a lock of your own around
 * the call and winsum_last_event() (or give each thread its own context).
 * @param[in] ctx the context; NULL gives ::WINSUM_ERR_ARGUMENT.
 * @param[out] event receives the event (retained: release it), or NULL when
 * that call enqueued no kernel (the reference backend, an empty output),
 * failed, or when no computing call was made yet; NULL gives
 * ::WINSUM_ERR_ARGUMENT.
 * @retval WINSUM_OK *event is the event or NULL.
 * @retval WINSUM_ERR_ARGUMENT ctx or event is NULL.
 * @retval WINSUM_ERR_OPENCL retaining the event failed (*event is NULL).
 */
WINSUM_API winsum_status winsum_last_event(winsum_context *ctx, cl_event *event);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* WINSUM_OCL_H */
