/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_faults.c - every fault point of a whole convolution forward (with
 * bias) + backward-data (stride 2, four phases) + backward-weight +
 * backward-bias, of a three-operand einsum, and of an einsum whose K is
 * split (a GETT into a workspace, then a unary sum): for each kind (device
 * allocation, program build, kernel enqueue, buffer transfer) and every k,
 * the k-th operation fails. Then:
 *  - the failing call returns the error, and its output is untouched (every
 *    operation here is all-or-nothing: plans are made before any kernel is
 *    enqueued, and multi-kernel calls are gated on a user event that is
 *    failed, cancelling the kernels already queued);
 *  - winsum's device memory returns to what the caller holds (nothing leaks);
 *  - the same call on the same context then succeeds, with the right result.
 * The disk cache is off, so every build is counted.
 */
#include "testutil.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NT 5 /* x, w, bias, gy + outputs y, gx, gw, gb */

typedef struct world {
    winsum_context *ctx;
    winsum_buffer buf[11];
    winsum_view v[11];
    size_t user_bytes;
} world;

enum { X, W, B, GY, Y, GX, GW, GB, SA, SB, SC };

static const int64_t XS[4] = {2, 4, 9, 8}, WS[4] = {6, 2, 3, 3}, YS[4] = {2, 6, 5, 4}, BS[1] = {6};
/* 'nkm,nkp->mp' with K = 8 x 1024 and a 2 x 3 output: split along n on a
 * CPU-like device (host/einsum/steps.c split_label) */
static const int64_t SAS[3] = {8, 1024, 2}, SBS[3] = {8, 1024, 3}, SCS[2] = {2, 3};

static void fill(world *wd, int i, const int64_t *shape, int rank, uint64_t *rng)
{
    int64_t n = 1;
    for (int a = 0; a < rank; a++) n *= shape[a];
    float *h = malloc((size_t)n * sizeof(float));
    for (int64_t k = 0; k < n; k++) h[k] = (float)tu_uniform(rng);
    winsum_buffer_alloc(wd->ctx, (size_t)n * sizeof(float), &wd->buf[i]);
    winsum_buffer_write(wd->ctx, &wd->buf[i], 0, h, (size_t)n * sizeof(float));
    wd->v[i] = winsum_view_contiguous(&wd->buf[i], WINSUM_F32, rank, shape);
    wd->user_bytes += (size_t)n * sizeof(float);
    free(h);
}

static void make_world(world *wd, uint64_t seed)
{
    memset(wd, 0, sizeof *wd);
    uint64_t rng = seed;
    if (winsum_context_create(&wd->ctx, WINSUM_BACKEND_OPENCL, NULL)) return;
    fill(wd, X, XS, 4, &rng);
    fill(wd, W, WS, 4, &rng);
    fill(wd, B, BS, 1, &rng);
    fill(wd, GY, YS, 4, &rng);
    fill(wd, Y, YS, 4, &rng);
    fill(wd, GX, XS, 4, &rng);
    fill(wd, GW, WS, 4, &rng);
    fill(wd, GB, BS, 1, &rng);
    fill(wd, SA, SAS, 3, &rng);
    fill(wd, SB, SBS, 3, &rng);
    fill(wd, SC, SCS, 2, &rng);
}

static void free_world(world *wd)
{
    for (int i = 0; i < 11; i++) winsum_buffer_free(wd->ctx, &wd->buf[i]);
    winsum_context_destroy(wd->ctx);
}

static float *read_all(world *wd, int i)
{
    size_t bytes = wd->buf[i].bytes;
    float *h = malloc(bytes);
    winsum_fault_inject(WINSUM_FAULT_TRANSFER, 0);
    if (winsum_buffer_read(wd->ctx, &wd->buf[i], 0, h, bytes)) memset(h, 0xff, bytes);
    return h;
}

#define NOPS 6
static const char *names[NOPS] = {"forward+bias",  "backward-data",     "backward-weight",
                                  "backward-bias", "einsum 3 operands", "einsum split K"};
static const int outs[NOPS] = {Y, GX, GW, GB, Y, SC};

static winsum_status op(world *wd, int k)
{
    winsum_conv_desc d;
    winsum_conv_desc_init(&d);
    d.stride[0] = d.stride[1] = 2;
    d.groups = 2;
    d.pad_lo[0] = d.pad_hi[0] = 1;
    d.pad_lo[1] = 1;
    switch (k) {
    case 0:
        return winsum_conv_forward(wd->ctx, &d, &wd->v[X], &wd->v[W], &wd->v[B], &wd->v[Y], 1, 0.5);
    case 1:
        return winsum_conv_backward_data(wd->ctx, &d, &wd->v[GY], &wd->v[W], &wd->v[GX], 1, 0.5);
    case 2:
        return winsum_conv_backward_weight(wd->ctx, &d, &wd->v[X], &wd->v[GY], &wd->v[GW], 1, 0.5);
    case 3: return winsum_conv_backward_bias(wd->ctx, &d, &wd->v[GY], &wd->v[GB], 1, 0.5);
    case 4: {
        /* y[n,o,x,y] = sum gy[n,o,x,y] * b[o] * gb[o]: three operands, an intermediate */
        winsum_view ops[3] = {wd->v[GY], wd->v[B], wd->v[GB]};
        return winsum_einsum(wd->ctx, "noxy,o,o->noxy", 3, ops, &wd->v[Y], 1, 0.5);
    }
    default: {
        winsum_view ops[2] = {wd->v[SA], wd->v[SB]};
        return winsum_einsum(wd->ctx, "nkm,nkp->mp", 2, ops, &wd->v[SC], 1, 0.5);
    }
    }
}

int main(void)
{
    setenv("WINSUM_CACHE_DIR", "off", 1);
    uint64_t seed = tu_seed(99);
    static const char *kinds[] = {"allocation", "build", "enqueue", "transfer"};
    /* the right results, from a run without faults */
    world ref;
    make_world(&ref, seed);
    if (!ref.ctx) {
        CHECK_MSG(0, "no OpenCL device: %s", winsum_last_error(NULL));
        return tu_finish("test_faults");
    }
    float *expect[NOPS];
    for (int k = 0; k < NOPS; k++) {
        /* each op on a fresh copy of the inputs: outputs start from the seed values */
        world w1;
        make_world(&w1, seed);
        CHECK_STATUS(op(&w1, k), WINSUM_OK);
        expect[k] = read_all(&w1, outs[k]);
        free_world(&w1);
    }
    free_world(&ref);
    long injected = 0;
    for (int kind = 0; kind < WINSUM_FAULT_KINDS_; kind++)
        for (int k = 0; k < NOPS; k++) {
            /* how many operations of this kind does op k perform on a fresh context? */
            world w0;
            make_world(&w0, seed);
            long before = winsum_fault_count((winsum_fault)kind);
            op(&w0, k);
            winsum_finish(w0.ctx);
            long nops = winsum_fault_count((winsum_fault)kind) - before;
            size_t mem_ok = 0;
            winsum_memory_usage(w0.ctx, &mem_ok, NULL);
            free_world(&w0);
            for (long at = 1; at <= nops; at++) {
                world wd;
                make_world(&wd, seed);
                float *orig = read_all(&wd, outs[k]);
                winsum_fault_inject((winsum_fault)kind, at);
                winsum_status st = op(&wd, k);
                winsum_finish(wd.ctx);
                winsum_fault_inject((winsum_fault)kind, 0);
                injected++;
                float *now = read_all(&wd, outs[k]);
                size_t bytes = wd.buf[outs[k]].bytes;
                CHECK_MSG(st != WINSUM_OK, "%s: %s fault %ld of %ld was not reported", names[k],
                          kinds[kind], at, nops);
                CHECK_MSG(memcmp(orig, now, bytes) == 0, "%s: %s fault %ld: output written",
                          names[k], kinds[kind], at);
                /* the same context works afterwards */
                CHECK_STATUS(op(&wd, k), WINSUM_OK);
                /* nothing leaked: winsum holds what a run without the fault holds (the
                 * caller's buffers and the cached plans) */
                size_t cur = 0;
                winsum_memory_usage(wd.ctx, &cur, NULL);
                CHECK_MSG(cur == mem_ok,
                          "%s: %s fault %ld: winsum holds %zu device bytes, "
                          "%zu without the fault",
                          names[k], kinds[kind], at, cur, mem_ok);
                free(now);
                now = read_all(&wd, outs[k]);
                double worst = 0;
                for (size_t e = 0; e < bytes / 4; e++)
                    if (!(fabs(now[e] - expect[k][e]) <= worst))
                        worst = fabs(now[e] - expect[k][e]);
                CHECK_MSG(worst < 1e-4, "%s after a %s fault: error %g", names[k], kinds[kind],
                          worst);
                free_world(&wd);
                free(orig);
                free(now);
            }
            printf("%-18s %-10s: %ld fault points\n", names[k], kinds[kind], nops);
        }
    printf("%ld faults injected\n", injected);
    CHECK(injected > 20);
    for (int k = 0; k < NOPS; k++) free(expect[k]);
    return tu_finish("test_faults");
}
