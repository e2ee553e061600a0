/*
 * einsum.h - what the einsum layer offers the layers above it (the
 * convolutions): plans from the context's cache of recent plans.
 */
#ifndef WINSUM_EINSUM_H
#define WINSUM_EINSUM_H

#include "backend.h"

/* How many plans the cache keeps per context. */
#define WS_PLAN_CACHE 16

/* The plan for these operands from the context's cache of recent plans
 * (made and cached on a miss), with a reference for the caller, who hands
 * it back with ws_plan_release once done with it (after its last execute).
 * Until then the plan stays alive whatever the cache does meanwhile: later
 * lookups that evict it (a call runs several plans: a convolution looks up
 * all of its plans before executing any), new tile parameters. The caller
 * holds ctx's lock from the lookup to the release. */
winsum_status ws_plan_cached(winsum_context *ctx, const char *subscripts, int nops,
                             const winsum_view *ops, const winsum_view *out,
                             struct winsum_plan **plan);
/* Drops the caller's reference of ws_plan_cached: frees the plan if the
 * cache let it go meanwhile. NULL is fine. */
void ws_plan_release(struct winsum_plan *plan);

#endif
