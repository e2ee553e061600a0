/*
 * fault.c - fault injection for tests of the error paths (see
 * winsum_fault_inject), and the gate that makes multi-kernel operations
 * all-or-nothing.
 */
#include "context.h"
#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counts[WINSUM_FAULT_KINDS_], fail_at[WINSUM_FAULT_KINDS_];

void winsum_fault_inject(winsum_fault kind, long k)
{
    if ((int)kind < 0 || kind >= WINSUM_FAULT_KINDS_) return;
    pthread_mutex_lock(&lock);
    fail_at[kind] = k > 0 ? counts[kind] + k : 0;
    pthread_mutex_unlock(&lock);
}

long winsum_fault_count(winsum_fault kind)
{
    if ((int)kind < 0 || kind >= WINSUM_FAULT_KINDS_) return 0;
    pthread_mutex_lock(&lock);
    long n = counts[kind];
    pthread_mutex_unlock(&lock);
    return n;
}

int ws_fault(winsum_fault kind)
{
    pthread_mutex_lock(&lock);
    long n = ++counts[kind];
    int fail = fail_at[kind] != 0 && n == fail_at[kind];
    if (fail) fail_at[kind] = 0;
    pthread_mutex_unlock(&lock);
    return fail;
}

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
