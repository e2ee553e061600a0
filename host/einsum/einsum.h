/*
 * einsum.h - what the einsum layer offers the layers above it (the
 * convolutions): plans from the context's cache of recent plans.
 */
#ifndef WINSUM_EINSUM_H
#define WINSUM_EINSUM_H

#include "context.h"

/* How many plans the cache keeps per context. */
#define WS_PLAN_CACHE 16

/* The plan for these operands from the context's cache of recent plans
 * (made and cached on a miss). The cache owns it: valid until
 * WS_PLAN_CACHE further lookups, so the caller holds ctx's lock from the
 * lookup until its last use (another thread's lookups evict too). */
winsum_status ws_plan_cached(winsum_context *ctx, const char *subscripts, int nops,
                             const winsum_view *ops, const winsum_view *out,
                             struct winsum_plan **plan);

#endif
