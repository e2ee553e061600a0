/*
 * gate.c - the gate that makes multi-kernel operations all-or-nothing:
 * every launch of the operation waits on it, and it opens when all of them
 * were launched, or fails (which terminates them) when one launch failed.
 * How is the backend's (ws_backend gate_open, gate_close); this keeps one
 * gate per context, however deeply operations nest.
 */
#include "backend.h"

winsum_status ws_gate_open(winsum_context *ctx)
{
    if (ctx->gated) return WINSUM_OK;
    winsum_status st = ctx->be->gate_open(ctx);
    if (!st) ctx->gated = 1;
    return st;
}

winsum_status ws_gate_close(winsum_context *ctx, winsum_status st)
{
    if (!ctx->gated) return st;
    ctx->gated = 0;
    return ctx->be->gate_close(ctx, st);
}

int ws_gate_held(const winsum_context *ctx) { return ctx->gated; }
