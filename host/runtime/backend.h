/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * backend.h - the seam between the layers above the runtime and what
 * computes: a backend is a table of operations (ws_backend), chosen once per
 * context at creation (ctx->be) and never branched on by name above the
 * runtime. Two implement it: OpenCL (backend_opencl.c: device buffers,
 * kernels from kernels/, an in-order queue, a user-event gate) and the
 * reference (backend_ref.c: host memory, no kernels; plans run the C loop
 * nest of core/ref.c instead of steps).
 *
 * The layers above use only the ws_* calls below (and ctx->be's flags):
 * memory (alloc, free, write), kernels (get, launch with its arguments over
 * an ND range), the gate that makes a multi-kernel operation all-or-nothing
 * (context.h: ws_gate_open, ws_gate_close) and the checks of a caller's
 * buffer. Errors come back as a winsum_status with ctx->err set, naming the
 * backend's own call.
 */
#ifndef WINSUM_BACKEND_H
#define WINSUM_BACKEND_H

#include "context.h"

/* A backend's buffer (OpenCL: a cl_mem; reference: host memory) and a
 * backend's compiled kernel (OpenCL: a cl_kernel). Opaque above the runtime. */
typedef struct ws_mem_ *ws_mem;
typedef struct ws_kernel_ *ws_kernel;

/* One kernel argument: a value (its bytes, as the kernel declares it: a
 * scalar, or a vector type such as cl_long4) or a buffer. */
typedef struct ws_arg {
    const void *value; /* the bytes, when !is_mem */
    size_t size;
    ws_mem mem; /* the buffer, when is_mem (NULL: no buffer) */
    int is_mem;
} ws_arg;
/* WS_VAL(x): the lvalue x by value (its address and sizeof); WS_MEM(m): a
 * buffer. The array lives as long as the launch call. */
#define WS_VAL(x) ((ws_arg){.value = &(x), .size = sizeof(x)})
#define WS_MEM(m) ((ws_arg){.mem = (ws_mem)(m), .is_mem = 1})
/* In a ws_launch initializer: an array of ws_arg and its length. */
#define WS_ARGS(a) .args = (a), .nargs = (int)(sizeof(a) / sizeof((a)[0]))

/* One kernel launch: the kernel, its arguments in the kernel's order (all
 * of them: nargs 0 keeps the ones set by the last launch of this kernel),
 * and the ND range. The launch waits on the context's gate when one is
 * open; it is ordered after every launch before it on the context. Behind
 * a gate the backend keeps what it needs of each launch (OpenCL: its
 * event, which PoCL 3.1 needs held when a failed gate terminates it) until
 * the gate closes: an operation launches behind its gate with no
 * bookkeeping of its own. */
typedef struct ws_launch {
    ws_kernel kernel;
    const char *name; /* the kernel, in WINSUM_VERBOSE=2's kernel list */
    const char *what; /* the operation, in messages ("einsum"); NULL: name */
    const ws_arg *args;
    int nargs;
    int dims;             /* 1, 2 or 3 */
    const size_t *global; /* dims work-items, a multiple of local */
    const size_t *local;  /* dims work-group sizes, or NULL: the backend chooses */
    /* 1: the call's last kernel: its completion becomes winsum_last_event
     * (unless ctx->no_event), and, when `event` is not NULL, an event
     * retained for the caller is stored there (OpenCL: a cl_event) */
    int record;
    void **event;
} ws_launch;

struct ws_backend {
    const char *name;     /* "opencl", "ref": the trace's BACKEND field */
    const char *title;    /* in messages: "the %s backend" */
    winsum_backend id;    /* what winsum_context_backend reports */
    winsum_memory memory; /* where its buffers are: ::WINSUM_DEVICE or ::WINSUM_HOST */
    /* 1: it runs the kernels of kernels/ (an einsum plan builds steps, a
     * convolution may choose a kernel of its own); 0: the host reference,
     * which computes each einsum with core/ref.c's loop nest */
    int kernels;
    winsum_status (*alloc)(winsum_context *ctx, size_t bytes, ws_mem *mem, const char *what);
    void (*free)(winsum_context *ctx, ws_mem mem);
    /* host -> buffer and buffer -> host, blocking */
    winsum_status (*write)(winsum_context *ctx, ws_mem mem, size_t off, const void *src,
                           size_t bytes, const char *what);
    winsum_status (*read)(winsum_context *ctx, ws_mem mem, size_t off, void *dst, size_t bytes,
                          const char *what);
    /* A caller's buffer is this backend's and belongs to ctx (its kind; for
     * OpenCL its cl_context and size). */
    winsum_status (*check_buffer)(winsum_context *ctx, const winsum_buffer *b, const char *name);
    /* The allocation a buffer of this backend lives in (the parent of an
     * OpenCL sub-buffer) and its byte offset there; 1 when it cannot say. */
    int (*mem_base)(const void *mem, const void **root, int64_t *offset);
    /* The kernel `name` of kernels/<file> built with options (cached). */
    winsum_status (*kernel)(winsum_context *ctx, const char *file, const char *name,
                            const char *options, ws_kernel *kernel);
    winsum_status (*launch)(winsum_context *ctx, const ws_launch *l);
    /* The gate (context.h): open, close with the operation's status (then
     * release what launch kept of the launches behind it) */
    winsum_status (*gate_open)(winsum_context *ctx);
    winsum_status (*gate_close)(winsum_context *ctx, winsum_status st);
    /* Waits for everything enqueued on ctx. */
    winsum_status (*finish)(winsum_context *ctx);
    /* Releases an event handed back by launch (NULL: nothing). */
    void (*event_release)(void *event);
};

extern const ws_backend ws_backend_opencl, ws_backend_ref;
/* The backend of that id (backend.c's table), NULL for none. */
const ws_backend *ws_backend_of(winsum_backend id);

/* Memory with accounting (winsum_memory_usage): intermediates, tables,
 * scratch, winsum_buffer_alloc. */
winsum_status ws_mem_alloc(winsum_context *ctx, size_t bytes, ws_mem *mem, const char *what);
/* NULL: nothing. bytes: what ws_mem_alloc was given. */
void ws_mem_free(winsum_context *ctx, ws_mem mem, size_t bytes);
winsum_status ws_mem_write(winsum_context *ctx, ws_mem mem, size_t off, const void *src,
                           size_t bytes, const char *what);
/* The memory of a caller's buffer (checked by ws_buffer_check_context). */
static inline ws_mem ws_buffer_mem(const winsum_buffer *b)
{
    return (ws_mem)(b->where == WINSUM_HOST ? b->host : b->mem);
}

static inline winsum_status ws_kernel_get(winsum_context *ctx, const char *file, const char *name,
                                          const char *options, ws_kernel *kernel)
{
    return ctx->be->kernel(ctx, file, name, options, kernel);
}
static inline winsum_status ws_launch_kernel(winsum_context *ctx, const ws_launch *l)
{
    return ctx->be->launch(ctx, l);
}

/* 1 when the element ranges of two views in the same memory intersect, for
 * views of ctx's buffers (core's ws_views_may_alias, with the backend's
 * idea of an allocation). */
int ws_views_alias(const winsum_context *ctx, const winsum_view *a, const winsum_view *b);

#endif
