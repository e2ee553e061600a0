/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * layer.h - the einsum layer's private header: a plan and its steps, the
 * kernel-family table, and the functions its files share (offset tables,
 * contraction order, step building). The layers above see einsum.h only.
 *
 *   tables.c        offset and guard tables, runs, their upload
 *   order.c         the pairwise contraction order
 *   classify.c      a pair's labels in GEMM roles (batch, M, N, K)
 *   steps.c         a plan's steps: guards pruned, intermediates, split K
 *   families.c      the kernel-family table and choosing a family for a step
 *   family_gett.c   the GETT family (kernels/gett.cl) and its CPU tile policy
 *   family_unary.c  the unary family (kernels/unary.cl)
 *   family_gemv.c   the gemv family (kernels/gemv.cl): steps with no N labels
 *   plan.c          create, validate, execute (kernel arguments from the
 *                   family's list), describe, destroy
 *   einsum.c        winsum_einsum's plan cache, winsum_einsum
 *   elementwise.c   winsum_elementwise (kernels/elementwise.cl)
 *   replay.c        the trace's replay line for an einsum
 */
#ifndef WINSUM_EINSUM_LAYER_H
#define WINSUM_EINSUM_LAYER_H

#include "einsum.h"
#include "program.h"
#include <stddef.h>

/* ------------------------------------------------------ plans and steps */

/* where a step's operand comes from */
enum { SRC_INPUT, SRC_INTER, SRC_OUTPUT };

typedef struct ws_src {
    int kind, index;
} ws_src;

typedef struct ws_family ws_family;

/* kernels a step may launch before its own (ws_step.pre_kernel) */
#define WS_MAX_PRE 2

/* The bytes of a step's family state (ws_step.state). */
#define WS_STEP_STATE 384

/* One kernel launch. Its family's argument list names the fields the
 * kernel receives (WS_ARG_STEP: by offset and size; WS_ARG_STATE: a field
 * of the family's own state). */
typedef struct ws_step {
    const ws_family *family;
    ws_src a, b, c;
    ws_long a_off, b_off, c_off;
    int M, N, K, nbatch; /* unary: N = inner size, M = outer size */
    int targ[16];        /* table offsets, in kernel argument order */
    ws_long4 exta, extb;
    ws_mem tab;
    size_t tab_bytes;
    ws_kernel kernel;
    size_t global[3], local[3];
    int ngl; /* work dims */
    int use_local;
    int nga, ngb; /* guards of A and B (for describe) */
    /* Kernels launched before the step's own, in order (its family's pre[];
     * NULL: skipped), e.g. GETT's packing of a reused operand, and device
     * memory the step owns (scratch, e.g. packed panels; freed with the plan). */
    ws_kernel pre_kernel[WS_MAX_PRE];
    size_t pre_global[WS_MAX_PRE][3];
    ws_mem scratch[WS_MAX_PRE];
    size_t scratch_bytes[WS_MAX_PRE];
    /* The family's own state: a struct defined in its family_<name>.c (no
     * other file sees its fields), at most WS_STEP_STATE bytes, zeroed
     * before the family's build; WS_STATE(s, type) reaches it. */
    _Alignas(16) unsigned char state[WS_STEP_STATE];
} ws_step;

/* The family state of step s as a type its family defines. */
#define WS_STATE(s, type)   ((type *)(void *)(s)->state)
#define WS_STATE_C(s, type) ((const type *)(const void *)(s)->state)
/* The family state fits (in the family's file). */
#define WS_STATE_FITS(type) \
    _Static_assert(sizeof(type) <= WS_STEP_STATE, #type " outgrew WS_STEP_STATE")

struct winsum_plan {
    winsum_context *ctx;
    int holds_ref; /* made by winsum_plan_create: keeps ctx alive */
    int refs;      /* a cache plan's holders: the cache, each caller (einsum.c) */
    char *subscripts;
    ws_ir ir;
    int nops;
    winsum_view ops[WS_MAX_OPS];
    winsum_view out;
    int64_t lo[WS_MAX_OPS + 1], hi[WS_MAX_OPS + 1];
    int empty[WS_MAX_OPS + 1];
    int nothing; /* the output has no element */
    int nsteps;
    ws_step steps[2 * WS_MAX_OPS]; /* unary pre-reductions, then pairs */
    int ninter;
    ws_mem inter[2 * WS_MAX_OPS];
    size_t inter_bytes[2 * WS_MAX_OPS];
    char describe[8192];
};

/* An operand of a step and where its memory comes from. */
typedef struct slot {
    ws_operand op;
    ws_src src;
} slot;

/* plan.c: winsum_plan_create without the reference to the context (the
 * plan cache's plans, which winsum_context_destroy frees first). */
winsum_status ws_plan_make(winsum_context *ctx, winsum_plan **out, const char *subscripts, int nops,
                           const winsum_view *ops, const winsum_view *outv);

/* plan.c: winsum_plan_execute with the backend's event of the last kernel
 * (OpenCL: a cl_event) handed back through event (NULL: none);
 * winsum_plan_execute itself is plan_ocl.c's. */
winsum_status ws_plan_execute_event(winsum_plan *p, const winsum_buffer *const *inputs,
                                    const winsum_buffer *output, double alpha, double beta,
                                    void **event);

/* steps.c: the steps of a plan on a backend that runs kernels, after
 * validation. */
winsum_status ws_plan_steps(winsum_plan *p);

/* --------------------------------------------------------------- tables */

typedef struct tabbuf {
    ws_long *v;
    size_t n, cap;
} tabbuf;

/* One group of a table: sum_l coef[l] * idx[l] + add over the labels.
 * pad > 0: the innermost label runs to pad rather than its size, the
 * entries past its size repeating its last value (gett's C runs padded to
 * whole vectors). */
typedef struct ws_tab_spec {
    const int *labels;
    int n;
    const int64_t *coef;
    int64_t pad;
} ws_tab_spec;

/* Appends the groups; start[i] is where group i begins. 1 when out of memory. */
int ws_tab_groups(tabbuf *t, const ws_tab_spec *spec, int n, const int64_t *size, long *start);
/* 1 when tab[start + i] == i for the whole group (a unit stride) */
int ws_tab_unit(const tabbuf *t, long start, int64_t count);
/* The product of the labels' sizes; INT64_MAX when it overflows. */
int64_t ws_group_size(const int *labels, int n, const int64_t *size);
void ws_sort_by_stride(int *labels, int n, const int64_t *stride);
int ws_guard_tables(tabbuf *t, const ws_operand *op, const int *rl, int nr, const int *kl, int nk,
                    const int *bl, int nb, const int64_t *size, long *gr, long *gk, long *gb);
void ws_run_info(const ws_operand *op, const int *labels, int n, const int64_t *size, ws_int *inner,
                 ws_long *st, ws_long4 *cg);
winsum_status ws_upload_table(winsum_plan *p, ws_step *s, tabbuf *t);

/* ---------------------------------------------------- contraction order */

typedef struct lset {
    uint64_t w[2];
} lset;

static inline int lset_has(const lset *s, int l) { return (s->w[l >> 6] >> (l & 63)) & 1; }
static inline void lset_add(lset *s, int l) { s->w[l >> 6] |= 1ull << (l & 63); }

/* labels of the result of contracting i and j among `alive` operands */
lset ws_pair_result(const lset *sets, int n, const int *alive, int i, int j, const lset *out);
/* Fills seq with n-1 pairs (i, j): the result replaces i, j dies. */
void ws_choose_order(int n, const lset *in, const lset *out, const int64_t *size, int nlabels,
                     int *seq);

/* The labels of the pair X, Y -> C in groups: batch (in all three), M (X
 * and C), N (Y and C) and K (summed); size-1 labels are in none. */
typedef struct groups {
    int bl[WS_MAX_LABELS], ml[WS_MAX_LABELS], nl[WS_MAX_LABELS], kl[WS_MAX_LABELS];
    int nb, nm, nn, nk;
} groups;

void ws_classify(const slot *X, const slot *Y, const slot *C, const int64_t *size, int nlabels,
                 groups *gr);

/* ------------------------------------------------------ kernel families */

/* Where a kernel argument's value comes from. */
typedef enum ws_arg_from {
    WS_FROM_A,
    WS_FROM_B,
    WS_FROM_C, /* the operand's memory (a ws_mem) */
    WS_FROM_ALPHA,
    WS_FROM_BETA, /* REAL: double for float64, else float */
    WS_FROM_STEP, /* a field of ws_step: offset, size */
} ws_arg_from;

/* One kernel parameter, written as in the .cl signature (test_families
 * checks each family's list against its kernel). */
typedef struct ws_family_arg {
    const char *type; /* e.g. "const long", "__global const ELEM *restrict" */
    const char *name;
    ws_arg_from from;
    unsigned short offset, size; /* WS_FROM_STEP */
} ws_family_arg;

#define WS_ARG_MEM(type, name, from)        \
    {                                       \
        type, name, from, 0, sizeof(ws_mem) \
    }
#define WS_ARG_REAL(name, from)        \
    {                                  \
        "const REAL", name, from, 0, 0 \
    }
#define WS_ARG_STEP(type, name, field)                                                    \
    {                                                                                     \
        type, name, WS_FROM_STEP, offsetof(ws_step, field), sizeof(((ws_step *)0)->field) \
    }
/* a field of the family's state struct stype (ws_step.state) */
#define WS_ARG_STATE(type, name, stype, field)                                       \
    {                                                                                \
        type, name, WS_FROM_STEP, offsetof(ws_step, state) + offsetof(stype, field), \
            sizeof(((stype *)0)->field)                                              \
    }

/* What a step computes: C = alpha * (the inputs, contracted) + beta * C. */
typedef struct ws_step_request {
    int ninputs;
    const slot *in[2];
    const slot *c;
    const int64_t *size; /* per label */
    int nlabels;
} ws_step_request;

/* A kernel launched before a family's own (same file and program), with
 * its argument list (checked like the family's by test_families). */
typedef struct ws_family_pre {
    const char *kernel;
    const ws_family_arg *args;
    int nargs;
} ws_family_pre;

/* A kernel family: a .cl kernel, how to build a step for it, how to set its
 * arguments, how to describe it. */
struct ws_family {
    const char *name;
    const char *file;   /* kernels/<file> */
    const char *kernel; /* the __kernel function */
    const ws_family_arg *args;
    int nargs;
    /* kernels a step may launch first, one local size of 1 x 1 x 1 each
     * (the step's pre_kernel[i], when not NULL) */
    const ws_family_pre *pre;
    int npre;
    /* 1 when the family can compute the request */
    int (*accepts)(const winsum_plan *p, const ws_step_request *r);
    /* fills the step: tables, kernel, work sizes */
    winsum_status (*build)(winsum_plan *p, ws_step *s, const ws_step_request *r);
    /* one line (with its newline) for winsum_plan_describe */
    void (*describe)(const ws_step *s, char *buf, size_t len);
};

extern const ws_family ws_family_gett, ws_family_unary, ws_family_gemv;
/* their tunable parameters (params.h), registered by families.c */
typedef struct ws_tunable_set ws_tunable_set;
extern const ws_tunable_set ws_gett_tunables, ws_gemv_tunables;
/* Every family, NULL-terminated, in the default order of preference. */
extern const ws_family *const ws_families[];

/* Builds s with the first family of `prefer` (NULL-terminated; NULL: the
 * default order) that accepts the request, and appends its description. */
winsum_status ws_step_build(winsum_plan *p, ws_step *s, const ws_step_request *r,
                            const ws_family *const *prefer);

/* The GETT family's blocking on this device (family_gett.c): the
 * work-group tile mc x nc and the K block kc, for the split-K decision. */
void ws_gett_blocks(const winsum_context *ctx, int *mc, int *nc, int *kc);

/* helpers of the families */
winsum_status ws_check_int(winsum_context *ctx, int64_t v, const char *what);
const char *ws_real_opt(winsum_dtype d);
const char *ws_src_name(ws_src s, char *buf);

#endif
