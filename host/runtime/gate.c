/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * gate.c - the gate that makes multi-kernel operations all-or-nothing: every
 * enqueue of the operation waits on one user event, completed when all of
 * them were enqueued, or failed (which terminates them) when one enqueue
 * failed.
 */
#include "context.h"

winsum_status ws_gate_open(winsum_context *ctx)
{
    if (ctx->backend != WINSUM_BACKEND_OPENCL || ctx->gate) return WINSUM_OK;
    cl_int err;
    ctx->gate = clCreateUserEvent(ctx->cl, &err);
    if (!ctx->gate) return ws_cl_fail(ctx, err, "clCreateUserEvent", "gate");
    return WINSUM_OK;
}

winsum_status ws_gate_close(winsum_context *ctx, winsum_status st)
{
    if (!ctx->gate) return st;
    /* a negative status terminates every command that waits on the gate */
    cl_int err = clSetUserEventStatus(ctx->gate, st ? -1 : CL_COMPLETE);
    clReleaseEvent(ctx->gate);
    ctx->gate = NULL;
    if (st) {
        clFinish(ctx->queue);
        return st;
    }
    return err ? ws_cl_fail(ctx, err, "clSetUserEventStatus", "gate") : WINSUM_OK;
}
