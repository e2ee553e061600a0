/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * ocl.h - the OpenCL backend's private header: what it keeps per context
 * (ctx->dev), its error reporting that names the OpenCL call, and the
 * calls its files share. Only the files of this folder include it; they
 * are the only ones in the library that call OpenCL (test_layers checks).
 */
#ifndef WINSUM_OCL_PRIVATE_H
#define WINSUM_OCL_PRIVATE_H

#include "backend.h"
#include "winsum_ocl.h"

/* The OpenCL state of a context: ctx->dev. */
typedef struct ws_ocl {
    cl_platform_id platform;
    cl_device_id device;
    cl_context cl;
    cl_command_queue queue;
    cl_event gate; /* the open gate's user event, NULL when none is open */
    /* the events of the launches behind the open gate, released when it
     * closes (ocl_backend.c: PoCL 3.1 aborts when a failed gate terminates
     * launches whose events nobody holds) */
    cl_event *gate_events;
    int ngate_events, cap_gate_events;
} ws_ocl;

/* ctx's OpenCL state; ctx must be a context of this backend. */
static inline ws_ocl *ws_ocl_of(const winsum_context *ctx) { return (ws_ocl *)ctx->dev; }
/* ctx's OpenCL state, or NULL for a context of another backend (or NULL). */
static inline ws_ocl *ws_ocl_if(const winsum_context *ctx)
{
    return ctx && ctx->be == &ws_backend_opencl ? (ws_ocl *)ctx->dev : NULL;
}

/* Sets ctx->err from an OpenCL error code and returns WINSUM_ERR_OPENCL (or
 * WINSUM_ERR_MEMORY for the out-of-memory codes). */
winsum_status ws_cl_fail(winsum_context *ctx, cl_int code, const char *call, const char *what);
const char *ws_cl_error_name(cl_int code);

/* ocl_pocl.c: POCL_AFFINITY=1 where pinning PoCL's workers is safe.
 * ws_pocl_pin_decision: 1 when PoCL's worker i may be pinned to CPU i —
 * allowed[0..len) (this process's CPU mask) is exactly CPUs 0..online-1,
 * online >= 2, and neither POCL_AFFINITY nor POCL_PTHREAD_MIN_THREADS is
 * set (their values as getenv gives them, NULL when unset).
 * ws_pocl_defaults: applies it once, before the first clGetPlatformIDs
 * (the caller holds the enumeration lock). ws_pocl_pinned_by_winsum: 1
 * when it set POCL_AFFINITY. */
int ws_pocl_pin_decision(const unsigned char *allowed, int len, long online,
                         const char *pocl_affinity, const char *pocl_min_threads);
void ws_pocl_defaults(void);
int ws_pocl_pinned_by_winsum(void);

/* ocl_device.c: a context of this backend on the queue's device (its
 * cl_context and queue retained by the caller for it), the limits read,
 * the context made ready. */
winsum_status ws_ocl_adopt(winsum_context *ctx, cl_context cl, cl_command_queue queue,
                           cl_device_id device, int profiling);

/* ocl_device.c: create, destroy, devices; ocl_program.c: the program ops. */
winsum_status ws_ocl_create(winsum_context *ctx, const char *device);
void ws_ocl_destroy(winsum_context *ctx);
int ws_ocl_devices(int index, char *name, size_t name_len, int *is_gpu);
winsum_status ws_ocl_program_build(winsum_context *ctx, const char *file, const char *src,
                                   size_t len, const char *options, void **program);
int ws_ocl_program_load(winsum_context *ctx, const unsigned char *bin, size_t len,
                        const char *options, void **program);
unsigned char *ws_ocl_program_binary(void *program, size_t *len);
int ws_ocl_program_cached(const winsum_context *ctx);
winsum_status ws_ocl_program_kernel(winsum_context *ctx, void *program, const char *name,
                                    ws_kernel *kernel);
void ws_ocl_program_release(ws_kernel kernel, void *program);
/* ocl_interop.c: winsum_buffer_map_host and winsum_buffer_unmap_host. */
winsum_status ws_ocl_map_host(winsum_context *ctx, void *data, size_t bytes, winsum_buffer *buffer);
winsum_status ws_ocl_unmap_host(winsum_context *ctx, winsum_buffer *buffer, int sync);

#endif
