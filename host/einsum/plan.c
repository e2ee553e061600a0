/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * plan.c - einsum plans. Creation parses the subscripts, validates every
 * view once and (OpenCL) builds the steps (steps.c). Execution checks the
 * buffers, sets each step's kernel arguments from its family's argument
 * list (families.c) and enqueues.
 *
 * The reference backend keeps the parsed IR and runs the C loop nest over
 * all operands at once (ref.c): the oracle shares no kernel logic.
 */
#include "plan.h"
#include "replay.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ plan create */

/* The einsum's terms, the product of every label's size, must be a 64-bit
 * number, and so then is every product of sizes that the steps form (a
 * group's size, an intermediate's, a table's). Broadcasting lets it pass
 * every operand's element count: 'ab,ab->' of (2^62 + 250, 1) and (1, 4)
 * has 2^64 + 1000 terms, 1000 once wrapped. With a label of size 0 there
 * are no terms (a sum over nothing, or no output). */
static winsum_status check_terms(const ws_ir *ir, ws_error *e)
{
    int64_t n = 1;
    for (int l = 0; l < ir->nlabels; l++)
        if (ir->size[l] == 0) return WINSUM_OK;
    for (int l = 0; l < ir->nlabels; l++) {
        if (!ws_mul_ovf(n, ir->size[l], &n)) continue;
        char sizes[512] = "";
        for (int k = 0; k < ir->nlabels; k++) {
            size_t len = strlen(sizes);
            snprintf(sizes + len, sizeof sizes - len, "%s'%c' %lld", k ? " x " : "",
                     ir->label_char[k] ? ir->label_char[k] : '.', (long long)ir->size[k]);
        }
        return ws_fail(e, WINSUM_ERR_OVERFLOW,
                       "einsum: the sizes of the labels (%s) multiply past 2^63-1: more terms "
                       "than 64-bit arithmetic counts",
                       sizes);
    }
    return WINSUM_OK;
}

static winsum_status validate(winsum_context *ctx, winsum_plan *p)
{
    ws_error *e = &ctx->err;
    winsum_status st0;
    winsum_dtype dt = p->out.dtype;
    char name[64];
    for (int i = 0; i <= p->nops; i++) {
        const winsum_view *v = i < p->nops ? &p->ops[i] : &p->out;
        if (i < p->nops) snprintf(name, sizeof name, "einsum operand %d", i);
        else snprintf(name, sizeof name, "einsum output");
        winsum_status st = ws_view_check(v, name, i == p->nops, e);
        if (st) return st;
        if ((st = ws_buffer_check_context(ctx, v->buffer, name))) return st;
        if (v->dtype != dt)
            return ws_fail(e, WINSUM_ERR_DTYPE,
                           "%s is %s but the output is %s: all operands and the output must "
                           "have one dtype",
                           name,
                           v->dtype == WINSUM_F64   ? "float64"
                           : v->dtype == WINSUM_F32 ? "float32"
                                                    : "float16",
                           dt == WINSUM_F64   ? "float64"
                           : dt == WINSUM_F32 ? "float32"
                                              : "float16");
        ws_view_range(v, &p->lo[i], &p->hi[i], &p->empty[i], name, NULL);
    }
    if (!winsum_context_has_dtype(ctx, dt))
        return ws_fail(e, WINSUM_ERR_DTYPE,
                       "this device (%s) does not compute in float64 (no cl_khr_fp64)",
                       ctx->device_name);
    if (p->out.ndim != p->ir.out_ndim)
        return ws_fail(e, WINSUM_ERR_SHAPE, "einsum output: the view has %d axes, the result %d",
                       p->out.ndim, p->ir.out_ndim);
    for (int a = 0; a < p->out.ndim; a++) {
        int l = p->ir.out_label[a];
        if (p->out.shape[a] != p->ir.size[l])
            return ws_fail(e, WINSUM_ERR_SHAPE,
                           "einsum output: axis %d (label '%c') has size %lld, the result %lld", a,
                           p->ir.label_char[l] ? p->ir.label_char[l] : '.',
                           (long long)p->out.shape[a], (long long)p->ir.size[l]);
    }
    if ((st0 = check_terms(&p->ir, e))) return st0;
    for (int i = 0; i < p->nops; i++)
        if (ws_views_may_alias(&p->out, &p->ops[i]))
            return ws_fail(e, WINSUM_ERR_ALIAS,
                           "einsum output overlaps operand %d in memory; write to separate "
                           "memory",
                           i);
    return WINSUM_OK;
}

/* Frees the plan; a plan of winsum_plan_create then drops its reference to
 * the context, which frees the context if the user destroyed it already. */
void winsum_plan_destroy(winsum_plan *p)
{
    if (!p) return;
    winsum_context *ctx = p->ctx;
    int holds_ref = p->holds_ref;
    ws_lock(ctx);
    for (int s = 0; s < p->nsteps; s++) {
        ws_device_free(ctx, p->steps[s].tab, p->steps[s].tab_bytes);
        for (int i = 0; i < WS_MAX_PRE; i++)
            ws_device_free(ctx, p->steps[s].scratch[i], p->steps[s].scratch_bytes[i]);
    }
    for (int k = 0; k < p->ninter; k++) ws_device_free(ctx, p->inter[k], p->inter_bytes[k]);
    free(p->subscripts);
    free(p);
    ws_unlock(ctx);
    if (holds_ref) ws_context_release(ctx);
}

winsum_status ws_plan_make(winsum_context *ctx, winsum_plan **out, const char *subscripts, int nops,
                           const winsum_view *ops, const winsum_view *outv)
{
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    if (!out || !subscripts || !ops || !outv)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT,
                       "einsum: plan, subscripts, operands and output must not be NULL");
    *out = NULL;
    if (nops < 1 || nops > WS_MAX_OPS)
        return ws_fail(&ctx->err, WINSUM_ERR_ARGUMENT, "einsum: %d operands (1..%d allowed)", nops,
                       WS_MAX_OPS);
    winsum_plan *p = calloc(1, sizeof *p);
    if (!p) return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "out of host memory");
    p->ctx = ctx;
    p->nops = nops;
    p->subscripts = strdup(subscripts);
    memcpy(p->ops, ops, sizeof(winsum_view) * (size_t)nops);
    p->out = *outv;
    winsum_status st = p->subscripts ? WINSUM_OK : WINSUM_ERR_MEMORY;
    if (!st) st = ws_parse(subscripts, nops, ops, &p->ir, &ctx->err);
    if (!st) st = validate(ctx, p);
    if (!st) {
        p->nothing = p->empty[nops];
        char canon[512];
        ws_ir_format(&p->ir, canon, sizeof canon);
        snprintf(p->describe, sizeof p->describe, "einsum %s on %s\n", canon, ctx->device_name);
        if (!p->nothing && ctx->backend == WINSUM_BACKEND_OPENCL) st = ws_plan_steps(p);
    }
    if (st) {
        winsum_plan_destroy(p);
        return st;
    }
    *out = p;
    return WINSUM_OK;
}

winsum_status winsum_plan_create(winsum_context *ctx, winsum_plan **plan, const char *subscripts,
                                 int nops, const winsum_view *ops, const winsum_view *out)
{
    WS_LOCK_SCOPE(ctx);
    winsum_status st = ws_plan_make(ctx, plan, subscripts, nops, ops, out);
    if (st) return st;
    (*plan)->holds_ref = 1;
    ws_context_retain(ctx);
    return WINSUM_OK;
}

const char *winsum_plan_describe(const winsum_plan *p) { return p ? p->describe : ""; }

/* ----------------------------------------------------------- execution */

static cl_mem src_mem(winsum_plan *p, ws_src s, const winsum_buffer *const *in,
                      const winsum_buffer *outb)
{
    if (s.kind == SRC_INPUT) return in[s.index]->mem;
    if (s.kind == SRC_INTER) return p->inter[s.index];
    return outb->mem;
}

/* Sets the arguments of k from a family's list: a field of the step, or
 * one of val (by ws_arg_from). */
static cl_int set_args(cl_kernel k, const ws_family_arg *args, int nargs, const ws_step *s,
                       const void *const *val, const size_t *len)
{
    cl_int err = 0;
    for (int n = 0; n < nargs; n++) {
        const ws_family_arg *arg = &args[n];
        err |= arg->from == WS_FROM_STEP
                   ? clSetKernelArg(k, (cl_uint)n, arg->size, (const char *)s + arg->offset)
                   : clSetKernelArg(k, (cl_uint)n, len[arg->from], val[arg->from]);
    }
    return err;
}

static int launches(const ws_step *s)
{
    return s->global[0] && s->global[1] && (s->ngl != 3 || s->global[2]);
}

static winsum_status exec_opencl(winsum_plan *p, const winsum_buffer *const *in,
                                 const winsum_buffer *outb, double alpha, double beta,
                                 cl_event *event)
{
    winsum_context *ctx = p->ctx;
    int f64 = p->out.dtype == WINSUM_F64;
    /* the last step that launches anything: its event is the plan's */
    int lastk = -1;
    for (int si = 0; si < p->nsteps; si++)
        if (launches(&p->steps[si])) lastk = si;
    for (int si = 0; si < p->nsteps; si++) {
        ws_step *s = &p->steps[si];
        int last = si == p->nsteps - 1;
        double al = last ? alpha : 1.0, be = last ? beta : 0.0;
        float alf = (float)al, bef = (float)be;
        cl_kernel k = s->kernel;
        const ws_family *f = s->family;
        /* the family's argument list, in the kernel's order: a field of the
         * step, or one of these values */
        cl_mem a = src_mem(p, s->a, in, outb), b = src_mem(p, s->b, in, outb),
               c = src_mem(p, s->c, in, outb);
        const void *val[WS_FROM_STEP] = {&a, &b, &c, f64 ? (const void *)&al : &alf,
                                         f64 ? (const void *)&be : &bef};
        const size_t len[WS_FROM_STEP] = {sizeof a, sizeof b, sizeof c,
                                          f64 ? sizeof al : sizeof alf,
                                          f64 ? sizeof be : sizeof bef};
        cl_int err = set_args(k, f->args, f->nargs, s, val, len);
        if (err) return ws_cl_fail(ctx, err, "clSetKernelArg", "einsum");
        if (!launches(s)) continue;
        /* the kernels the step launches first (GETT: packing) */
        for (int i = 0; i < f->npre; i++) {
            if (!s->pre_kernel[i]) continue;
            const ws_family_pre *pre = &f->pre[i];
            if ((err = set_args(s->pre_kernel[i], pre->args, pre->nargs, s, val, len)))
                return ws_cl_fail(ctx, err, "clSetKernelArg", "einsum");
            if (ws_fault(WINSUM_FAULT_ENQUEUE))
                return ws_cl_fail(ctx, CL_OUT_OF_RESOURCES, "clEnqueueNDRangeKernel (injected)",
                                  "einsum");
            static const size_t one[3] = {1, 1, 1};
            cl_event ev = NULL;
            err = clEnqueueNDRangeKernel(ctx->queue, s->pre_kernel[i], 3, NULL, s->pre_global[i],
                                         one, ctx->gate ? 1 : 0, ctx->gate ? &ctx->gate : NULL,
                                         ctx->verbose >= 2 ? &ev : NULL);
            if (err) return ws_cl_fail(ctx, err, "clEnqueueNDRangeKernel", "einsum");
            if (ctx->verbose >= 2) {
                ws_trace_kernel(ctx, pre->kernel, ev);
                if (ev) clReleaseEvent(ev);
            }
        }
        if (ws_fault(WINSUM_FAULT_ENQUEUE))
            return ws_cl_fail(ctx, CL_OUT_OF_RESOURCES, "clEnqueueNDRangeKernel (injected)",
                              "einsum");
        /* an event for the last kernel (winsum_last_event, the caller's
         * event) and, under WINSUM_VERBOSE=2, for every kernel (its time) */
        cl_event ev = NULL;
        int want = si == lastk || ctx->verbose >= 2;
        err = clEnqueueNDRangeKernel(ctx->queue, k, (cl_uint)s->ngl, NULL, s->global,
                                     s->use_local ? s->local : NULL, ctx->gate ? 1 : 0,
                                     ctx->gate ? &ctx->gate : NULL, want ? &ev : NULL);
        if (err) return ws_cl_fail(ctx, err, "clEnqueueNDRangeKernel", "einsum");
        if (ctx->verbose >= 2) ws_trace_kernel(ctx, f->name, ev);
        if (si != lastk) {
            if (ev) clReleaseEvent(ev);
            continue;
        }
        if (event && ev && clRetainEvent(ev) == CL_SUCCESS) *event = ev;
        ws_event_record(ctx, ev);
    }
    return WINSUM_OK;
}

/* The plan's entry of the trace's plan field: its subscripts and, per
 * step, the family and the batch/M/N/K sizes. */
static void trace_plan(const winsum_plan *p)
{
    char buf[1024];
    size_t n = (size_t)snprintf(buf, sizeof buf, "%s{", p->subscripts);
    if (p->nothing) n += (size_t)snprintf(buf + n, sizeof buf - n, "empty");
    else if (p->ctx->backend == WINSUM_BACKEND_REF)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "reference");
    for (int si = 0; si < p->nsteps && n < sizeof buf; si++) {
        const ws_step *s = &p->steps[si];
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s b%d m%d n%d k%d", si ? " + " : "",
                              s->family->name, s->nbatch, s->M, s->N, s->K);
    }
    if (n < sizeof buf) snprintf(buf + n, sizeof buf - n, "}");
    ws_trace_plan(p->ctx, buf);
}

static winsum_status plan_execute(winsum_plan *p, const winsum_buffer *const *inputs,
                                  const winsum_buffer *output, double alpha, double beta,
                                  cl_event *event)
{
    winsum_context *ctx = p->ctx;
    if (ctx->verbose) trace_plan(p);
    winsum_status sst = ws_check_scalars(alpha, beta, p->out.dtype, "einsum", &ctx->err);
    if (sst) return sst;
    const winsum_buffer *in[WS_MAX_OPS];
    const winsum_buffer *outb = output ? output : p->out.buffer;
    char name[64];
    /* Every execution checks its buffers against the ranges stored at
     * creation: a buffer struct at the same address may describe other
     * memory by now. */
    for (int i = 0; i <= p->nops; i++) {
        const winsum_buffer *b =
            i < p->nops ? (inputs && inputs[i] ? inputs[i] : p->ops[i].buffer) : outb;
        if (i < p->nops) in[i] = b;
        snprintf(name, sizeof name, i < p->nops ? "einsum operand %d" : "einsum output", i);
        winsum_status st = ws_buffer_check_context(ctx, b, name);
        if (st) return st;
        winsum_dtype dt = i < p->nops ? p->ops[i].dtype : p->out.dtype;
        int64_t cap = (int64_t)(b->bytes / winsum_dtype_size(dt));
        if (!p->empty[i] && (p->lo[i] < 0 || p->hi[i] >= cap))
            return ws_fail(&ctx->err, WINSUM_ERR_BOUNDS,
                           "%s: the view reaches elements %lld..%lld but the new buffer holds "
                           "%lld",
                           name, (long long)p->lo[i], (long long)p->hi[i], (long long)cap);
    }
    for (int i = 0; i < p->nops; i++) {
        winsum_view a = p->out, b = p->ops[i];
        a.buffer = outb;
        b.buffer = in[i];
        if (ws_views_may_alias(&a, &b))
            return ws_fail(&ctx->err, WINSUM_ERR_ALIAS,
                           "einsum output overlaps operand %d in memory", i);
    }
    if (p->nothing) return WINSUM_OK;
    if (ctx->backend == WINSUM_BACKEND_REF) {
        ws_operand *ops = malloc(sizeof(ws_operand) * ((size_t)p->nops + 1));
        if (!ops) return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "out of host memory");
        for (int i = 0; i < p->nops; i++) {
            ws_operand_from_view(&p->ir, i, &p->ops[i], &ops[i]);
            ops[i].buffer = in[i];
        }
        ws_operand_from_view(&p->ir, -1, &p->out, &ops[p->nops]);
        ops[p->nops].buffer = outb;
        ws_ref_einsum(&p->ir, ops, &ops[p->nops], alpha, beta);
        free(ops);
        return WINSUM_OK;
    }
    /* one step: no gate, even with a packing kernel before it (that writes
     * only the step's scratch, so a failed launch after it changes nothing
     * the caller sees) */
    if (p->nsteps < 2) return exec_opencl(p, in, outb, alpha, beta, event);
    int own = ctx->gate == NULL;
    winsum_status st = own ? ws_gate_open(ctx) : WINSUM_OK;
    if (!st) st = exec_opencl(p, in, outb, alpha, beta, event);
    return own ? ws_gate_close(ctx, st) : st;
}

/* winsum_plan_execute's arguments, run and described inside the bracket
 * of a computing call (ws_public_call). */
typedef struct execute_call {
    winsum_plan *p;
    const winsum_buffer *const *inputs;
    const winsum_buffer *output;
    double alpha, beta;
    cl_event *event;
} execute_call;

static winsum_status execute_run(winsum_context *ctx, void *arg)
{
    (void)ctx;
    const execute_call *a = arg;
    winsum_status st = plan_execute(a->p, a->inputs, a->output, a->alpha, a->beta, a->event);
    if (st && a->event && *a->event) {
        clReleaseEvent(*a->event); /* nothing handed back on error */
        *a->event = NULL;
    }
    return st;
}

static void execute_describe(void *arg, ws_trace_call *t)
{
    const execute_call *a = arg;
    const winsum_plan *p = a->p;
    t->op = "plan_execute";
    t->subs = p->subscripts;
    t->nviews = p->nops + 1;
    t->alpha = a->alpha;
    t->beta = a->beta;
    t->replay = ws_einsum_trace_replay;
    for (int i = 0; i < p->nops; i++) t->view[i] = &p->ops[i];
    t->view[p->nops] = &p->out;
}

winsum_status winsum_plan_execute(winsum_plan *p, const winsum_buffer *const *inputs,
                                  const winsum_buffer *output, double alpha, double beta,
                                  cl_event *event)
{
    if (!p) return WINSUM_ERR_ARGUMENT;
    if (event) *event = NULL;
    execute_call a = {p, inputs, output, alpha, beta, event};
    return ws_public_call(p->ctx, execute_run, execute_describe, &a);
}
