/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * context.h - the context object and the runtime helpers every layer above
 * uses: the lock and reference count, attachments, device memory with
 * accounting, the all-or-nothing gate, and error reporting. Programs and
 * the disk cache: program.h; tile parameters: params.h. The helpers are
 * context.c's; creation and destruction, references and attachments are
 * create.c's. No backend's types appear here: what a backend keeps per
 * context hangs from ctx->dev (OpenCL: opencl/ocl.h), its events and
 * programs are opaque pointers, the device's limits plain C numbers.
 */
#ifndef WINSUM_CONTEXT_H
#define WINSUM_CONTEXT_H

#include "internal.h"
#include <pthread.h>

/* The most tunable parameters of all families together (params.h). */
#define WS_MAX_TUNABLES 48

typedef struct ws_trace ws_trace;
typedef struct ws_backend ws_backend; /* backend.h */

/* A kernel of the program cache (program.c): the backend's program and
 * kernel. Slots of one program share it; the first of them owns it. */
typedef struct ws_program_slot {
    uint64_t key;
    char *key_text;
    void *program;
    struct ws_kernel_ *kernel; /* backend.h's ws_kernel */
    int owns_program;
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
    /* The backend's own state (OpenCL: struct ws_ocl, opencl/ocl.h: device,
     * context, queue, gate), made by be->create and freed by be->destroy */
    void *dev;
    /* The device (set by be->create; a backend that runs no kernels leaves
     * them 0) */
    int cpu_like;
    int has_fp64;
    size_t max_wg;           /* the largest work-group */
    uint64_t local_mem;      /* local (shared) memory per work-group, bytes */
    unsigned compute_units;  /* at least 1 */
    uint64_t max_alloc;      /* the largest single allocation, bytes (0: no limit known) */
    char cache_prefix[1280]; /* device, driver and platform, for cache keys */
    /* The kernel families' tunable parameters on this device, set by set
     * (params.h: names, ranges, where they came from) */
    int tunables[WS_MAX_TUNABLES];
    unsigned params_epoch; /* counts changes of tunables: plans made before are stale */
    char tuning_source[4600];
    char tuning_text[96];
    char cache_info[4600];     /* winsum_cache_info: "on: DIR" or "off: why" (program.c) */
    ws_program_slot *programs; /* kernels built or loaded for this context */
    int nprograms, cap_programs;
    /* accounting of device memory winsum allocated */
    size_t mem_current, mem_peak;
    int gated; /* a gate is open (ws_gate_open; the backend keeps its own state) */
    ws_attachment attached[WS_MAX_ATTACHED];
    /* Computing calls in progress (trace.h): public calls nest, a
     * convolution runs einsums; the outermost one owns what follows. */
    int depth;
    /* winsum_last_event: the retained event of the last kernel that the
     * most recent computing call enqueued, NULL when it enqueued none (the
     * backend's event: be->event_*). */
    void *last_event;
    /* Above 0 while calls run on the library's own behalf (winsum_tune's
     * trials): at any depth they record no event (ws_event_record). */
    int no_event;
    /* WINSUM_VERBOSE, read once at creation (trace.c): 0 off, 1 one line
     * per call, 2 with each kernel's time; the trace's state while on. */
    int verbose;
    int profiling; /* the backend can time kernels (OpenCL: a profiling queue) */
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

/* A new context (create.c): its lock, its user reference, the trace's
 * state; no backend yet. WINSUM_OK, or the reason through ws_create_fail. */
winsum_status ws_context_new(winsum_context **out);
/* A new context whose backend is be, its device set up (ctx->dev and the
 * limits, by be->create or a backend's own interop call): the tile
 * parameters are chosen, and the context is ready. */
void ws_context_ready(winsum_context *ctx, const struct ws_backend *be);
/* Frees a context whose creation failed after ws_context_new (its backend
 * state, if any, already freed). */
void ws_context_discard(winsum_context *ctx);

/* Multi-kernel operations (several plans, as convolution phases) are gated:
 * every launch waits on the gate (the backend's: ws_backend gate_open,
 * gate_close), which opens only when all of them were launched, or fails
 * (terminating them) when one launch fails, so that the output is written
 * fully or not at all. */
winsum_status ws_gate_open(winsum_context *ctx);
winsum_status ws_gate_close(winsum_context *ctx, winsum_status st);
/* 1 while a gate is open: an operation inside another's gate leaves it to
 * that one to close. */
int ws_gate_held(const winsum_context *ctx);

/* Validation shared by the einsum and convolution entry points: a view used
 * by this context (buffer kind, and the backend's check that it is one of
 * this context's). */
winsum_status ws_buffer_check_context(winsum_context *ctx, const winsum_buffer *b,
                                      const char *name);

#endif
