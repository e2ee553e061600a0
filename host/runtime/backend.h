/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * backend.h - the seam between the layers above the runtime and what
 * computes: a backend is a table of operations (ws_backend), chosen once per
 * context at creation (ctx->be) and never branched on by name above the
 * runtime. Each backend is one folder beside this file and one entry of
 * backend.c's table: OpenCL (opencl/: device buffers, kernels from
 * kernels/, an in-order queue, a user-event gate; the only code that calls
 * OpenCL) and the reference (ref/: host memory, no kernels; plans run the
 * C loop nest of core/ref.c instead of steps). The rest of the runtime
 * (context creation, the program cache, the trace, buffers) is generic and
 * reaches the backend only through the table.
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

/* A backend's buffer (OpenCL: a memory object; reference: host memory)
 * and a backend's compiled kernel. Opaque outside the backend's folder. */
typedef struct ws_mem_ *ws_mem;
typedef struct ws_kernel_ *ws_kernel;

/* Kernel-argument values: the host side of OpenCL C's int, long and their
 * vectors (the same sizes and alignment; element i is .s[i]). Every backend
 * passes an argument's bytes as they are. */
typedef int32_t ws_int;
typedef int64_t ws_long;
typedef uint64_t ws_ulong;
typedef struct ws_long2 {
    _Alignas(16) int64_t s[2];
} ws_long2;
typedef struct ws_long4 {
    _Alignas(32) int64_t s[4];
} ws_long4;
typedef struct ws_long8 {
    _Alignas(64) int64_t s[8];
} ws_long8;
typedef struct ws_int8 {
    _Alignas(32) int32_t s[8];
} ws_int8;
typedef struct ws_int16 {
    _Alignas(64) int32_t s[16];
} ws_int16;

/* One kernel argument: a value (its bytes, as the kernel declares it: a
 * scalar, or a vector of four 64-bit integers) or a buffer. */
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
     * retained for the caller is stored there (the backend's event) */
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
    /* The device. create sets up the one `device` names (winsum_context_create's
     * argument or $WINSUM_DEVICE; NULL or "": the backend's default) in a
     * context of ws_context_new: ctx->dev, device_name, cache_prefix, the
     * limits and profiling. WINSUM_ERR_NO_DEVICE when it has no such
     * device, another status when setting it up failed; either way the
     * reason goes through ws_create_fail and nothing is left to free.
     * destroy frees ctx->dev, after finish, once the programs and events
     * are released. devices: how many devices it can compute on; for
     * 0 <= index < that count, the name of that one and whether it is a
     * GPU (winsum_device_count and winsum_device_info list the devices of
     * every backend, in table order). */
    winsum_status (*create)(winsum_context *ctx, const char *device);
    void (*destroy)(winsum_context *ctx);
    int (*devices)(int index, char *name, size_t name_len, int *is_gpu);
    winsum_status (*alloc)(winsum_context *ctx, size_t bytes, ws_mem *mem, const char *what);
    void (*free)(winsum_context *ctx, ws_mem mem);
    /* host -> buffer and buffer -> host, blocking */
    winsum_status (*write)(winsum_context *ctx, ws_mem mem, size_t off, const void *src,
                           size_t bytes, const char *what);
    winsum_status (*read)(winsum_context *ctx, ws_mem mem, size_t off, void *dst, size_t bytes,
                          const char *what);
    /* A caller's buffer is this backend's and belongs to ctx (its kind; for
     * OpenCL its context and size). */
    winsum_status (*check_buffer)(winsum_context *ctx, const winsum_buffer *b, const char *name);
    /* The allocation a buffer of this backend lives in (the parent of an
     * OpenCL sub-buffer) and its byte offset there; 1 when it cannot say. */
    int (*mem_base)(const void *mem, const void **root, int64_t *offset);
    /* Programs, for program.c's cache (which keeps the sources, the keys,
     * the disk cache and the kernels already made; the backend only
     * compiles). program_build: the program of source src (of kernels/<file>)
     * built with options; a failed build is WINSUM_ERR_BUILD with the
     * compiler's log in the message. program_load: the same from a binary
     * program_binary gave before, 0 when it built, nonzero (nothing set)
     * when the binary is stale. program_binary: the built program's binary
     * (malloc'd), NULL when it has none. program_kernel: kernel `name` of a
     * program. program_release: a kernel and a program (each NULL:
     * nothing). program_cached (may be NULL): 1 when the driver keeps built
     * programs across processes itself, so that program.c's disk cache
     * stores none (and asks for no binary). A backend that runs no kernels
     * leaves these NULL. */
    winsum_status (*program_build)(winsum_context *ctx, const char *file, const char *src,
                                   size_t len, const char *options, void **program);
    int (*program_load)(winsum_context *ctx, const unsigned char *bin, size_t len,
                        const char *options, void **program);
    unsigned char *(*program_binary)(void *program, size_t *len);
    winsum_status (*program_kernel)(winsum_context *ctx, void *program, const char *name,
                                    ws_kernel *kernel);
    void (*program_release)(ws_kernel kernel, void *program);
    int (*program_cached)(const winsum_context *ctx);
    winsum_status (*launch)(winsum_context *ctx, const ws_launch *l);
    /* The gate (context.h): open, close with the operation's status (then
     * release what launch kept of the launches behind it) */
    winsum_status (*gate_open)(winsum_context *ctx);
    winsum_status (*gate_close)(winsum_context *ctx, winsum_status st);
    /* Waits for everything enqueued on ctx. */
    winsum_status (*finish)(winsum_context *ctx);
    /* Events, made by launch (the last event, the caller's, the trace's):
     * release (NULL: nothing); retain, 0 when done; wait until it
     * completed; the time its kernel ran, in ns, 0 when known (only on a
     * context with ctx->profiling). A backend that runs no kernels makes
     * none: it provides only event_release. */
    void (*event_release)(void *event);
    int (*event_retain)(void *event);
    void (*event_wait)(void *event);
    int (*event_time)(void *event, uint64_t *ns);
    /* winsum_buffer_map_host and winsum_buffer_unmap_host on a backend
     * whose memory is the device's (memory.c checks the arguments first;
     * a host backend's map is the host buffer itself). */
    winsum_status (*map_host)(winsum_context *ctx, void *data, size_t bytes, winsum_buffer *buffer);
    winsum_status (*unmap_host)(winsum_context *ctx, winsum_buffer *buffer, int sync);
};

extern const ws_backend ws_backend_opencl, ws_backend_ref;
/* The backend of that id (backend.c's table), NULL for none. */
const ws_backend *ws_backend_of(winsum_backend id);
/* The table's entry i, NULL past its end: the order in which
 * WINSUM_BACKEND_AUTO tries them and winsum_device_info lists devices. */
const ws_backend *ws_backend_at(int i);

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

/* The kernel `name` of kernels/<file> built with options, from the context's
 * program cache (program.c); WINSUM_ERR_UNSUPPORTED on a backend that runs
 * no kernels. */
winsum_status ws_kernel_get(winsum_context *ctx, const char *file, const char *name,
                            const char *options, ws_kernel *kernel);
static inline winsum_status ws_launch_kernel(winsum_context *ctx, const ws_launch *l)
{
    return ctx->be->launch(ctx, l);
}

/* 1 when the element ranges of two views in the same memory intersect, for
 * views of ctx's buffers (core's ws_views_may_alias, with the backend's
 * idea of an allocation). */
int ws_views_alias(const winsum_context *ctx, const winsum_view *a, const winsum_view *b);

#endif
