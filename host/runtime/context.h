/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * context.h - the context object and the runtime helpers every layer above
 * uses: the lock and reference count, attachments, device memory with
 * accounting, the all-or-nothing gate, and error reporting that names the
 * OpenCL call. Programs and the disk cache: program.h; tile parameters:
 * params.h. The helpers are context.c's; creation and destruction,
 * references and attachments are create.c's.
 */
#ifndef WINSUM_CONTEXT_H
#define WINSUM_CONTEXT_H

#include "internal.h"
#include <pthread.h>

/* The most tunable parameters of all families together (params.h). */
#define WS_MAX_TUNABLES 48

typedef struct ws_trace ws_trace;
typedef struct ws_backend ws_backend; /* backend.h */

typedef struct ws_program_slot {
    uint64_t key;
    char *key_text;
    cl_program program;
    cl_kernel kernel;
} ws_program_slot;

/* Something a higher layer keeps per context (the einsum plan cache): the
 * context knows it only as data and a release function, which
 * winsum_context_destroy calls first, with the lock held. */
#define WS_MAX_ATTACHED 4
typedef struct ws_attachment {
    const void *key; /* the address of a static of the layer that attached it */
    void *data;
    void (*release)(winsum_context *ctx, void *data);
} ws_attachment;

struct winsum_context {
    /* Every public call that uses the context holds `lock` (recursive: conv
     * calls einsum, einsum executes a plan), so threads sharing a context
     * are serialised and the plan cache, the gate, the program list, the
     * memory counters and err stay consistent. */
    pthread_mutex_t lock;
    /* The user's handle and every plan made by winsum_plan_create hold one
     * reference; the context is freed when the last is dropped. The plan
     * cache holds none (winsum_context_destroy empties it first). */
    int refs;
    winsum_backend backend;
    const ws_backend *be; /* what computes (backend.h), chosen at creation */
    ws_error err;
    char device_name[512];
    /* OpenCL (backend == WINSUM_BACKEND_OPENCL) */
    cl_platform_id platform;
    cl_device_id device;
    cl_context cl;
    cl_command_queue queue;
    int cpu_like;
    int has_fp64;
    size_t max_wg;
    cl_ulong local_mem;
    cl_uint compute_units;   /* CL_DEVICE_MAX_COMPUTE_UNITS (at least 1) */
    cl_ulong max_alloc;      /* CL_DEVICE_MAX_MEM_ALLOC_SIZE */
    char cache_prefix[1280]; /* device, driver and platform, for cache keys */
    /* The kernel families' tunable parameters on this device, set by set
     * (params.h: names, ranges, where they came from) */
    int tunables[WS_MAX_TUNABLES];
    unsigned params_epoch; /* counts changes of tunables: plans made before are stale */
    char tuning_source[4600];
    char tuning_text[96];
    char cache_info[4600];     /* winsum_cache_info: "on: DIR" or "off: why" (program.c) */
    ws_program_slot *programs; /* programs built or loaded for this cl_context */
    int nprograms, cap_programs;
    /* accounting of device memory winsum allocated */
    size_t mem_current, mem_peak;
    int gated;     /* a gate is open (ws_gate_open) */
    cl_event gate; /* the OpenCL backend's gate */
    /* The OpenCL backend's events of the launches behind the open gate,
     * released when it closes (backend_opencl.c: PoCL 3.1 aborts when a
     * failed gate terminates launches whose events nobody holds) */
    cl_event *gate_events;
    int ngate_events, cap_gate_events;
    ws_attachment attached[WS_MAX_ATTACHED];
    /* Computing calls in progress (trace.h): public calls nest, a
     * convolution runs einsums; the outermost one owns what follows. */
    int depth;
    /* winsum_last_event: the retained event of the last kernel that the
     * most recent computing call enqueued, NULL when it enqueued none. */
    cl_event last_event;
    /* Above 0 while calls run on the library's own behalf (winsum_tune's
     * trials): at any depth they record no event (ws_event_record). */
    int no_event;
    /* WINSUM_VERBOSE, read once at creation (trace.c): 0 off, 1 one line
     * per call, 2 with each kernel's time; the trace's state while on. */
    int verbose;
    int profiling; /* the queue has CL_QUEUE_PROFILING_ENABLE */
    struct ws_trace *trace;
};

/* Locks ctx (NULL: nothing) and returns it. */
winsum_context *ws_lock(winsum_context *ctx);
void ws_unlock(winsum_context *ctx);
static inline void ws_unlock_scope(winsum_context **ctx)
{
    if (*ctx) ws_unlock(*ctx);
}
/* Holds ctx's lock (when ctx is not NULL) until the enclosing block exits,
 * on every return path. The first statement of a public entry point. */
#define WS_LOCK_SCOPE(ctx) \
    winsum_context *ws_scope_lock_ __attribute__((cleanup(ws_unlock_scope), unused)) = ws_lock(ctx)
/* A plan's reference to its context: taken at winsum_plan_create, dropped at
 * winsum_plan_destroy; the last drop (after winsum_context_destroy) frees. */
void ws_context_retain(winsum_context *ctx);
void ws_context_release(winsum_context *ctx);

/* The data attached to ctx under key, or NULL. */
void *ws_context_attached(const winsum_context *ctx, const void *key);
/* Attaches data under key (replacing nothing: the key must be new); the
 * release function runs at winsum_context_destroy. WINSUM_ERR_MEMORY when
 * all WS_MAX_ATTACHED places are taken. */
winsum_status ws_context_attach(winsum_context *ctx, const void *key, void *data,
                                void (*release)(winsum_context *ctx, void *data));

/* Why the calling thread's last context creation failed (fmt with one %s,
 * arg): what winsum_last_error(NULL) says. Returns st. */
winsum_status ws_create_fail(winsum_status st, const char *fmt, const char *arg);

/* Multi-kernel operations (several plans, as convolution phases) are gated:
 * every enqueue waits on ctx->gate, a user event completed only when all of
 * them were enqueued, or failed (terminating them) when one enqueue fails, so
 * that the output is written fully or not at all. */
winsum_status ws_gate_open(winsum_context *ctx);
winsum_status ws_gate_close(winsum_context *ctx, winsum_status st);
/* 1 while a gate is open: an operation inside another's gate leaves it to
 * that one to close. */
int ws_gate_held(const winsum_context *ctx);

/* Sets ctx->err from an OpenCL error code and returns WINSUM_ERR_OPENCL (or
 * WINSUM_ERR_MEMORY for the out-of-memory codes). */
winsum_status ws_cl_fail(winsum_context *ctx, cl_int code, const char *call, const char *what);
const char *ws_cl_error_name(cl_int code);

/* Validation shared by the einsum and convolution entry points: a view used
 * by this context (buffer kind and cl_context, dtype on the device). */
winsum_status ws_buffer_check_context(winsum_context *ctx, const winsum_buffer *b,
                                      const char *name);

#endif
