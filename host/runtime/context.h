/*
 * context.h - what creates and destroys a context (context.c): device
 * choice, the OpenCL context and queue (own or the caller's), the
 * reference count that plans hold, and what higher layers attach. The
 * context object itself and the base helpers: base.h.
 */
#ifndef WINSUM_CONTEXT_H
#define WINSUM_CONTEXT_H

#include "base.h"

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

#endif
