/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * plan.c - einsum plans. Creation parses the subscripts, validates every
 * view once and (on a backend that runs kernels) builds the steps
 * (steps.c). Execution checks the buffers and launches each step's kernels
 * with the arguments its family's list names (families.c).
 *
 * The reference backend keeps the parsed IR and runs the C loop nest over
 * all operands at once (ref.c): the oracle shares no kernel logic.
 */
#include "layer.h"
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
        if (ws_views_alias(ctx, &p->out, &p->ops[i]))
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
        ws_mem_free(ctx, p->steps[s].tab, p->steps[s].tab_bytes);
        for (int i = 0; i < WS_MAX_PRE; i++)
            ws_mem_free(ctx, p->steps[s].scratch[i], p->steps[s].scratch_bytes[i]);
    }
    for (int k = 0; k < p->ninter; k++) ws_mem_free(ctx, p->inter[k], p->inter_bytes[k]);
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
        if (!p->nothing && ctx->be->kernels) st = ws_plan_steps(p);
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

static ws_mem src_mem(winsum_plan *p, ws_src s, const winsum_buffer *const *in,
                      const winsum_buffer *outb)
{
    if (s.kind == SRC_INPUT) return ws_buffer_mem(in[s.index]);
    if (s.kind == SRC_INTER) return p->inter[s.index];
    return ws_buffer_mem(outb);
}

/* the most arguments a kernel of a family takes (test_families) */
#define WS_MAX_KERNEL_ARGS 128

/* The arguments of a kernel from a family's list: a field of the step, or
 * one of val (by ws_arg_from: the operands' memory, alpha, beta). */
static int fill_args(ws_arg *out, const ws_family_arg *args, int nargs, const ws_step *s,
                     const ws_mem *mem, const ws_arg *scalar)
{
    if (nargs > WS_MAX_KERNEL_ARGS) return 1;
    for (int n = 0; n < nargs; n++) {
        const ws_family_arg *arg = &args[n];
        if (arg->from == WS_FROM_STEP)
            out[n] = (ws_arg){.value = (const char *)s + arg->offset, .size = arg->size};
        else if (arg->from <= WS_FROM_C) out[n] = WS_MEM(mem[arg->from]);
        else out[n] = scalar[arg->from - WS_FROM_ALPHA];
    }
    return 0;
}

static int launches(const ws_step *s)
{
    return s->global[0] && s->global[1] && (s->ngl != 3 || s->global[2]);
}

static winsum_status exec_steps(winsum_plan *p, const winsum_buffer *const *in,
                                const winsum_buffer *outb, double alpha, double beta, void **event)
{
    winsum_context *ctx = p->ctx;
    int f64 = p->out.dtype == WINSUM_F64;
    /* the last step that launches anything: its event is the plan's */
    int lastk = -1;
    for (int si = 0; si < p->nsteps; si++)
        if (launches(&p->steps[si])) lastk = si;
    for (int si = 0; si < p->nsteps; si++) {
        ws_step *s = &p->steps[si];
        if (!launches(s)) continue;
        int last = si == p->nsteps - 1;
        double al = last ? alpha : 1.0, be = last ? beta : 0.0;
        float alf = (float)al, bef = (float)be;
        const ws_family *f = s->family;
        const ws_mem mem[3] = {src_mem(p, s->a, in, outb), src_mem(p, s->b, in, outb),
                               src_mem(p, s->c, in, outb)};
        /* REAL: double for float64, else float */
        const ws_arg scalar[2] = {f64 ? WS_VAL(al) : WS_VAL(alf), f64 ? WS_VAL(be) : WS_VAL(bef)};
        ws_arg args[WS_MAX_KERNEL_ARGS];
        winsum_status st;
        /* the kernels the step launches first (GETT: packing) */
        for (int i = 0; i < f->npre; i++) {
            if (!s->pre_kernel[i]) continue;
            const ws_family_pre *pre = &f->pre[i];
            static const size_t one[3] = {1, 1, 1};
            if (fill_args(args, pre->args, pre->nargs, s, mem, scalar)) goto too_many;
            ws_launch l = {.kernel = s->pre_kernel[i],
                           .name = pre->kernel,
                           .what = "einsum",
                           .args = args,
                           .nargs = pre->nargs,
                           .dims = 3,
                           .global = s->pre_global[i],
                           .local = one};
            if ((st = ws_launch_kernel(ctx, &l))) return st;
        }
        if (fill_args(args, f->args, f->nargs, s, mem, scalar)) goto too_many;
        ws_launch l = {.kernel = s->kernel,
                       .name = f->name,
                       .what = "einsum",
                       .args = args,
                       .nargs = f->nargs,
                       .dims = s->ngl,
                       .global = s->global,
                       .local = s->use_local ? s->local : NULL,
                       .record = si == lastk,
                       .event = event};
        if ((st = ws_launch_kernel(ctx, &l))) return st;
    }
    return WINSUM_OK;
too_many:
    return ws_fail(&ctx->err, WINSUM_ERR_UNSUPPORTED, "einsum: a kernel of more than %d arguments",
                   WS_MAX_KERNEL_ARGS);
}

/* The plan's entry of the trace's plan field: its subscripts and, per
 * step, the family and the batch/M/N/K sizes. */
static void trace_plan(const winsum_plan *p)
{
    char buf[1024];
    size_t n = (size_t)snprintf(buf, sizeof buf, "%s{", p->subscripts);
    if (p->nothing) n += (size_t)snprintf(buf + n, sizeof buf - n, "empty");
    else if (!p->ctx->be->kernels) n += (size_t)snprintf(buf + n, sizeof buf - n, "reference");
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
                                  void **event)
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
        if (ws_views_alias(ctx, &a, &b))
            return ws_fail(&ctx->err, WINSUM_ERR_ALIAS,
                           "einsum output overlaps operand %d in memory", i);
    }
    if (p->nothing) return WINSUM_OK;
    if (!ctx->be->kernels) { /* the reference: the loop nest over all operands */
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
    if (p->nsteps < 2) return exec_steps(p, in, outb, alpha, beta, event);
    int own = !ws_gate_held(ctx);
    winsum_status st = own ? ws_gate_open(ctx) : WINSUM_OK;
    if (!st) st = exec_steps(p, in, outb, alpha, beta, event);
    return own ? ws_gate_close(ctx, st) : st;
}

/* winsum_plan_execute's arguments, run and described inside the bracket
 * of a computing call (ws_public_call). */
typedef struct execute_call {
    winsum_plan *p;
    const winsum_buffer *const *inputs;
    const winsum_buffer *output;
    double alpha, beta;
    void **event;
} execute_call;

static winsum_status execute_run(winsum_context *ctx, void *arg)
{
    const execute_call *a = arg;
    void *ev = NULL;
    winsum_status st =
        plan_execute(a->p, a->inputs, a->output, a->alpha, a->beta, a->event ? &ev : NULL);
    if (st && ev) {
        ctx->be->event_release(ev); /* nothing handed back on error */
        ev = NULL;
    }
    if (a->event) *a->event = ev;
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

winsum_status ws_plan_execute_event(winsum_plan *p, const winsum_buffer *const *inputs,
                                    const winsum_buffer *output, double alpha, double beta,
                                    void **event)
{
    if (!p) return WINSUM_ERR_ARGUMENT;
    if (event) *event = NULL;
    execute_call a = {p, inputs, output, alpha, beta, event};
    return ws_public_call(p->ctx, execute_run, execute_describe, &a);
}

winsum_status winsum_plan_run(winsum_plan *plan, const winsum_buffer *const *inputs,
                              const winsum_buffer *output, double alpha, double beta)
{
    return ws_plan_execute_event(plan, inputs, output, alpha, beta, NULL);
}
