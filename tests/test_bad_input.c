/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_bad_input.c - a table of bad inputs, each run through the public API
 * on the reference backend and on the OpenCL backend. For every row:
 *   - the exact winsum_status of the row;
 *   - a non-empty winsum_last_error() that is this call's (a marker message
 *     is planted just before the call) and holds the row's substrings (the
 *     operand, axis or numbers at fault);
 *   - nothing written anywhere: every buffer the row made lives inside a
 *     larger allocation whose margins and contents are compared byte for
 *     byte after the call (device buffers are sub-buffers of a bigger
 *     cl_mem, host buffers the middle of a bigger malloc);
 *   - no crash, hang, sanitizer report or leak: each row runs in its own
 *     child process with fresh contexts (LeakSanitizer checks it at exit
 *     under the sanitizer build) and a time limit, so one broken row cannot
 *     hide the others;
 *   - the context still works: a valid einsum right after gives the right
 *     numbers.
 * Each row runs in four modes: on the reference and on the OpenCL backend,
 * each "cold" (a fresh context) and "warm" (right after a valid einsum of
 * the standard ij,jk->ik geometry whose buffers were then freed, so that
 * winsum_einsum's plan cache holds a matching plan: the path that a
 * program which made any earlier call takes).
 * An expected status is what include/winsum.h's enum comments call for, not
 * what the library happens to return; a row that fails is a library bug.
 *
 * Usage: test_bad_input [SUBSTRING]   runs only the rows whose name has it.
 */
#include "testutil.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define F32         WINSUM_F32
#define F64         WINSUM_F64
#define F16         WINSUM_F16
#define SH(...)     ((const int64_t[]){__VA_ARGS__})
#define FILL        0xA5 /* margin byte */
#define MARKER      "@bad-input-marker@"
#define MAXBUF      16
#define ROW_SECONDS 120 /* a row's time limit (each row takes well under 1 s) */

enum { B_REF = 1, B_CL = 2, B_BOTH = 3 };

/* --------------------------------------------------------- test buffers */

typedef struct tbuf {
    winsum_buffer b; /* what winsum is given: the middle */
    int device;
    cl_command_queue q;    /* device: a queue of the owning context */
    cl_mem whole, sub;     /* device: the allocation and the middle */
    unsigned char *host;   /* host: the allocation */
    unsigned char *expect; /* what the whole allocation must hold */
    size_t margin, bytes, total;
} tbuf;

typedef struct env {
    winsum_context *ctx; /* the context under test */
    int opencl;
    winsum_context *other; /* another OpenCL context: foreign device buffers */
    size_t margin;         /* sub-buffer origin alignment (and margin) */
    tbuf *bufs[MAXBUF];
    int nbufs;
    char setup_err[256]; /* a set-up step failed (not the library's fault) */
    int primed;
} env;

enum { OWN, HOST, DEV, OTHER }; /* where a tbuf lives */

static void put_value(unsigned char *p, winsum_dtype dt, double v)
{
    if (dt == F32) {
        float f = (float)v;
        memcpy(p, &f, 4);
    } else if (dt == F64) {
        memcpy(p, &v, 8);
    } else { /* F16 1.0 */
        p[0] = 0x00;
        p[1] = 0x3c;
    }
}

static double get_value(const unsigned char *p, winsum_dtype dt)
{
    if (dt == F32) {
        float f;
        memcpy(&f, p, 4);
        return f;
    }
    double d;
    memcpy(&d, p, 8);
    return d;
}

/* A buffer of nelem elements of dt holding 1, 2, 3, ... inside margins. */
static tbuf *tb_new(env *E, int where, int64_t nelem, winsum_dtype dt)
{
    if (E->nbufs == MAXBUF) abort();
    tbuf *t = calloc(1, sizeof *t);
    size_t es = winsum_dtype_size(dt);
    t->bytes = (size_t)nelem * es;
    if (t->bytes == 0) t->bytes = es;
    t->margin = E->margin;
    t->total = t->margin * 2 + t->bytes;
    t->expect = malloc(t->total);
    memset(t->expect, FILL, t->total);
    for (int64_t i = 0; i < nelem; i++) put_value(t->expect + t->margin + i * es, dt, 1.0 + i);
    if (where == OWN) where = E->opencl ? DEV : HOST;
    winsum_context *owner = where == OTHER ? E->other
                            : where == DEV ? (E->opencl ? E->ctx : E->other)
                                           : NULL;
    if (where != HOST && !owner) {
        snprintf(E->setup_err, sizeof E->setup_err, "no OpenCL context for a device buffer");
        where = HOST;
    }
    if (where == HOST) {
        t->host = malloc(t->total);
        memcpy(t->host, t->expect, t->total);
        t->b = winsum_buffer_host(t->host + t->margin, t->bytes);
    } else {
        cl_int err;
        t->device = 1;
        t->q = winsum_context_queue(owner);
        t->whole =
            clCreateBuffer(winsum_context_cl(owner), CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                           t->total, t->expect, &err);
        cl_buffer_region r = {t->margin, t->bytes};
        if (t->whole)
            t->sub = clCreateSubBuffer(t->whole, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION,
                                       &r, &err);
        if (!t->sub)
            snprintf(E->setup_err, sizeof E->setup_err, "cl buffer set-up failed (%d)", err);
        t->b = winsum_buffer_device(t->sub, t->bytes);
    }
    E->bufs[E->nbufs++] = t;
    return t;
}

static void tb_read(env *E, tbuf *t, unsigned char *dst)
{
    winsum_finish(E->ctx);
    if (!t->device) memcpy(dst, t->host, t->total);
    else if (clEnqueueReadBuffer(t->q, t->whole, CL_TRUE, 0, t->total, dst, 0, NULL, NULL))
        memset(dst, 0, t->total), snprintf(E->setup_err, sizeof E->setup_err, "readback failed");
}

/* The buffer's current content becomes what it must keep. */
static void tb_snapshot(env *E, tbuf *t) { tb_read(E, t, t->expect); }

/* -1 when unchanged, else the first changed byte (relative to the middle). */
static long tb_changed(env *E, tbuf *t)
{
    unsigned char *now = malloc(t->total);
    tb_read(E, t, now);
    long at = -1;
    for (size_t i = 0; i < t->total && at < 0; i++)
        if (now[i] != t->expect[i]) at = (long)i - (long)t->margin;
    free(now);
    return at;
}

static void tb_free_all(env *E)
{
    for (int i = 0; i < E->nbufs; i++) {
        tbuf *t = E->bufs[i];
        if (t->sub) clReleaseMemObject(t->sub);
        if (t->whole) clReleaseMemObject(t->whole);
        free(t->host);
        free(t->expect);
        free(t);
    }
    E->nbufs = 0;
}

/* A view of t (contiguous when strides is NULL). */
static winsum_view mkview(tbuf *t, winsum_dtype dt, int64_t off, int nd, const int64_t *shape,
                          const int64_t *strides)
{
    int64_t st[WINSUM_MAX_DIMS];
    if (!strides) {
        int64_t s = 1;
        for (int i = (nd < WINSUM_MAX_DIMS ? nd : WINSUM_MAX_DIMS) - 1; i >= 0; i--) {
            st[i] = s;
            s *= shape[i] > 0 ? shape[i] : 1;
        }
        strides = st;
    }
    return winsum_view_strided(t ? &t->b : NULL, dt, off, nd, shape, strides);
}

/* The standard operands of "ij,jk->ik": A (2,3), B (3,2), C (2,2). */
typedef struct mm {
    tbuf *a, *b, *c;
    winsum_view ops[2], out;
} mm;

static void mm_make(env *E, mm *m, winsum_dtype dt)
{
    m->a = tb_new(E, OWN, 6, dt);
    m->b = tb_new(E, OWN, 6, dt);
    m->c = tb_new(E, OWN, 4, dt);
    m->ops[0] = mkview(m->a, dt, 0, 2, SH(2, 3), NULL);
    m->ops[1] = mkview(m->b, dt, 0, 2, SH(3, 2), NULL);
    m->out = mkview(m->c, dt, 0, 2, SH(2, 2), NULL);
}

/* Plants a marker message just before the bad call, so that the message
 * checked after it is this call's. */
static void bad_begin(env *E)
{
    winsum_view z;
    memset(&z, 0, sizeof z);
    winsum_einsum(E->ctx, "i" MARKER, 1, &z, &z, 1, 0);
    E->primed = strstr(winsum_last_error(E->ctx), MARKER) != NULL;
}

/* BAD(expr): the call under test. */
#define BAD(expr)                 (bad_begin(E), (expr))
#define EINSUM(subs, n, ops, out) BAD(winsum_einsum(E->ctx, subs, n, ops, out, 1.0, 0.0))

/* ------------------------------------------------------------ subscripts */

static winsum_status c_nops0(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    return EINSUM("->", 0, m.ops, &m.out);
}

static winsum_status c_null_subscripts(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    return EINSUM(NULL, 2, m.ops, &m.out);
}

static winsum_status c_unknown_char(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    return EINSUM("ij#,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_arrow_twice(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    return EINSUM("ij,jk->ik->k", 2, m.ops, &m.out);
}

static winsum_status c_dots_two(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    return EINSUM("..i,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_dots_repeated(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    return EINSUM("...i...,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_out_repeated(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    return EINSUM("ij->ii", 1, m.ops, &m.out);
}

static winsum_status c_out_unknown(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    winsum_view o = mkview(m.c, F32, 0, 1, SH(2), NULL);
    return EINSUM("ij->k", 1, m.ops, &o);
}

static winsum_status c_more_labels(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    return EINSUM("ijk,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_fewer_labels(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    return EINSUM("i,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_more_terms(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    return EINSUM("ij,jk,kl->il", 2, m.ops, &m.out);
}

static winsum_status c_fewer_terms(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    return EINSUM("ij->ij", 2, m.ops, &m.out);
}

static winsum_status c_digit(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    return EINSUM("i1,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_non_ascii(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    return EINSUM("ij\xc3\xa9,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_comma_in_output(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    return EINSUM("ij,jk->i,k", 2, m.ops, &m.out);
}

static winsum_status c_ndim33(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    m.ops[0].ndim = WINSUM_MAX_DIMS + 1;
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_ellipsis_dropped(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    tbuf *a = tb_new(E, OWN, 12, F32);
    m.ops[0] = mkview(a, F32, 0, 3, SH(2, 2, 3), NULL);
    return EINSUM("...ij,jk->ik", 2, m.ops, &m.out);
}

/* ---------------------------------------------------------------- shapes */

static winsum_status c_size_conflict(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    tbuf *b = tb_new(E, OWN, 8, F32);
    m.ops[1] = mkview(b, F32, 0, 2, SH(4, 2), NULL);
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_diag_unequal(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    winsum_view o = mkview(m.c, F32, 0, 1, SH(2), NULL);
    return EINSUM("ii->i", 1, m.ops, &o);
}

static winsum_status c_negative_size(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    m.ops[0].shape[1] = -3;
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_negative_out_size(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    m.out.shape[1] = -2;
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_numel_overflow(env *E)
{
    tbuf *a = tb_new(E, OWN, 4, F32), *c = tb_new(E, OWN, 4, F32);
    int64_t big = (int64_t)1 << 32;
    winsum_view v = mkview(a, F32, 0, 2, SH(big, big), SH(0, 0));
    winsum_view o = mkview(c, F32, 0, 1, SH(big), SH(0));
    return EINSUM("ij->i", 1, &v, &o);
}

/* 'ab,ab->' with broadcasting: A (n, 1) and B (1, m) of zero strides
 * are legal views of one and m elements, but the sum has n * m terms. */
static winsum_status terms_overflow(env *E, int64_t n, int64_t m)
{
    tbuf *a = tb_new(E, OWN, 4, F32), *b = tb_new(E, OWN, 4, F32), *c = tb_new(E, OWN, 1, F32);
    winsum_view ops[2] = {mkview(a, F32, 0, 2, SH(n, 1), SH(0, 0)),
                          mkview(b, F32, 0, 2, SH(1, m), SH(0, m > 4 ? 0 : 1))};
    winsum_view o = mkview(c, F32, 0, 0, NULL, NULL);
    return EINSUM("ab,ab->", 2, ops, &o);
}

/* 2^64 + 1000 terms: wrapped, 1000 */
static winsum_status c_terms_overflow(env *E)
{
    return terms_overflow(E, ((int64_t)1 << 62) + 250, 4);
}

/* 2^64 terms: wrapped, 0 (a sum over nothing) */
static winsum_status c_terms_wrap_zero(env *E)
{
    return terms_overflow(E, (int64_t)1 << 32, (int64_t)1 << 32);
}

static winsum_status c_span_overflow(env *E)
{
    tbuf *a = tb_new(E, OWN, 4, F32), *c = tb_new(E, OWN, 4, F32);
    winsum_view v = mkview(a, F32, 0, 1, SH(3), SH((int64_t)1 << 62));
    winsum_view o = mkview(c, F32, 0, 1, SH(3), NULL);
    return EINSUM("i->i", 1, &v, &o);
}

static winsum_status c_offset_overflow(env *E)
{
    tbuf *a = tb_new(E, OWN, 4, F32), *c = tb_new(E, OWN, 4, F32);
    winsum_view v = mkview(a, F32, INT64_MAX - 1, 1, SH(4), NULL);
    winsum_view o = mkview(c, F32, 0, 1, SH(4), NULL);
    return EINSUM("i->i", 1, &v, &o);
}

static winsum_status c_out_wrong_shape(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    tbuf *c = tb_new(E, OWN, 6, F32);
    m.out = mkview(c, F32, 0, 2, SH(2, 3), NULL);
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_out_wrong_rank(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    m.out = mkview(m.c, F32, 0, 1, SH(4), NULL);
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

/* ----------------------------------------------------------------- views */

static winsum_status c_offset_past_end(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    m.ops[0].offset = 1; /* reaches element 6 of a 6-element buffer */
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_negative_offset(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    m.ops[1].offset = -1;
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_negative_strides(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    /* idx (1,2) lands at 2 - 3 - 2 = -3 */
    m.ops[0] = mkview(m.a, F32, 2, 2, SH(2, 3), SH(-3, -1));
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_out_past_end(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    m.out.offset = 2; /* elements 2..5 of a 4-element buffer */
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_guard_loose(env *E)
{
    /* shape 12 at offset -2, guard 0 <= i - 2 < 9: i in 2..10 reads
     * elements 0..8 of an 8-element buffer */
    tbuf *a = tb_new(E, OWN, 8, F32), *c = tb_new(E, OWN, 12, F32);
    winsum_view v = mkview(a, F32, -2, 1, SH(12), NULL);
    v.nguards = 1;
    v.guards[0].coef[0] = 1;
    v.guards[0].offset = -2;
    v.guards[0].extent = 9;
    winsum_view o = mkview(c, F32, 0, 1, SH(12), NULL);
    return EINSUM("i->i", 1, &v, &o);
}

static winsum_status c_guard_other_axis(env *E)
{
    /* (4,4) rows of 4 in a 12-element buffer; the guard bounds only the
     * columns, so row 3 (elements 12..15) is reachable */
    tbuf *a = tb_new(E, OWN, 12, F32), *c = tb_new(E, OWN, 16, F32);
    winsum_view v = mkview(a, F32, 0, 2, SH(4, 4), NULL);
    v.nguards = 1;
    v.guards[0].coef[1] = 1;
    v.guards[0].extent = 4;
    winsum_view o = mkview(c, F32, 0, 2, SH(4, 4), NULL);
    return EINSUM("ij->ij", 1, &v, &o);
}

static winsum_status c_guard_second_same_axes(env *E)
{
    /* (3,3) strides (1,1) at offset -2 in a 4-element buffer; guard 0
     * (i + j, proportional to the strides) lets all through, guard 1
     * (j - i - 1 >= 0) keeps (0,1), at element -1 */
    tbuf *a = tb_new(E, OWN, 4, F32), *c = tb_new(E, OWN, 9, F32);
    winsum_view v = mkview(a, F32, -2, 2, SH(3, 3), SH(1, 1));
    v.nguards = 2;
    v.guards[0].coef[0] = 1;
    v.guards[0].coef[1] = 1;
    v.guards[0].extent = 100;
    v.guards[1].coef[0] = -1;
    v.guards[1].coef[1] = 1;
    v.guards[1].offset = -1;
    v.guards[1].extent = 100;
    winsum_view o = mkview(c, F32, 0, 2, SH(3, 3), NULL);
    return EINSUM("ij->ij", 1, &v, &o);
}

static winsum_status c_guard_negative_extent(env *E)
{
    tbuf *a = tb_new(E, OWN, 4, F32), *c = tb_new(E, OWN, 4, F32);
    winsum_view v = mkview(a, F32, 0, 1, SH(4), NULL);
    v.nguards = 1;
    v.guards[0].coef[0] = 1;
    v.guards[0].extent = -1;
    winsum_view o = mkview(c, F32, 0, 1, SH(4), NULL);
    return EINSUM("i->i", 1, &v, &o);
}

static winsum_status c_out_zero_stride(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    m.out = mkview(m.c, F32, 0, 2, SH(2, 2), SH(0, 1));
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_out_overlapping(env *E)
{
    tbuf *a = tb_new(E, OWN, 9, F32), *c = tb_new(E, OWN, 9, F32);
    winsum_view v = mkview(a, F32, 0, 2, SH(3, 3), NULL);
    winsum_view o = mkview(c, F32, 0, 2, SH(3, 3), SH(1, 1));
    return EINSUM("ij->ij", 1, &v, &o);
}

static winsum_status c_out_overlaps_input(env *E)
{
    tbuf *x = tb_new(E, OWN, 12, F32);
    winsum_view v = mkview(x, F32, 0, 2, SH(2, 3), NULL);
    winsum_view o = mkview(x, F32, 3, 2, SH(2, 3), NULL); /* elements 3..8 */
    return EINSUM("ij->ij", 1, &v, &o);
}

static winsum_status c_out_is_input(env *E)
{
    tbuf *x = tb_new(E, OWN, 9, F32);
    winsum_view v = mkview(x, F32, 0, 2, SH(3, 3), NULL);
    return EINSUM("ij->ji", 1, &v, &v);
}

/* The output's buffer is a second handle on the input's memory: a host
 * pointer into the same array, or a second sub-buffer over the same bytes. */
static winsum_status c_out_overlaps_input_alias(env *E)
{
    tbuf *x = tb_new(E, OWN, 12, F32);
    winsum_buffer alias;
    cl_mem sub = NULL;
    if (x->device) {
        cl_int err;
        cl_buffer_region r = {x->margin, x->bytes};
        sub =
            clCreateSubBuffer(x->whole, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION, &r, &err);
        alias = winsum_buffer_device(sub, x->bytes);
    } else {
        alias = winsum_buffer_host(x->host + x->margin, x->bytes);
    }
    winsum_view v = mkview(x, F32, 0, 2, SH(2, 3), NULL);
    winsum_view o = winsum_view_strided(&alias, F32, 3, 2, SH(2, 3), SH(3, 1));
    winsum_status st = EINSUM("ij->ij", 1, &v, &o);
    if (sub) {
        winsum_finish(E->ctx);
        clReleaseMemObject(sub);
    }
    return st;
}

static winsum_status c_other_context(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    tbuf *a = tb_new(E, OTHER, 6, F32);
    m.ops[0] = mkview(a, F32, 0, 2, SH(2, 3), NULL);
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_other_context_out(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    tbuf *c = tb_new(E, OTHER, 4, F32);
    m.out = mkview(c, F32, 0, 2, SH(2, 2), NULL);
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_null_buffer(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    m.ops[1].buffer = NULL;
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_null_out_buffer(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    m.out.buffer = NULL;
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_null_cl_mem(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    winsum_buffer nb = winsum_buffer_device(NULL, 24);
    m.ops[0].buffer = &nb;
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_null_host_ptr(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    winsum_buffer nb = winsum_buffer_host(NULL, 24);
    m.ops[0].buffer = &nb;
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_bad_buffer_kind(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    winsum_buffer nb = m.a->b;
    nb.where = (winsum_memory)5;
    m.ops[0].buffer = &nb;
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_null_views(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    return EINSUM("ij,jk->ik", 2, NULL, &m.out);
}

static winsum_status c_null_out_view(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    return EINSUM("ij,jk->ik", 2, m.ops, NULL);
}

static winsum_status c_dtype_mismatch(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    tbuf *a = tb_new(E, OWN, 6, F64);
    m.ops[0] = mkview(a, F64, 0, 2, SH(2, 3), NULL);
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_dtype_mismatch_out(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    tbuf *c = tb_new(E, OWN, 4, F64);
    m.out = mkview(c, F64, 0, 2, SH(2, 2), NULL);
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

/* float16 is storage everywhere (no cl_khr_fp16 needed); mixing it with
 * float32 is refused like any other mix */
static winsum_status c_f16(env *E)
{
    mm m;
    mm_make(E, &m, F16);
    tbuf *c = tb_new(E, OWN, 4, F32);
    m.out = mkview(c, F32, 0, 2, SH(2, 2), NULL);
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_unknown_dtype(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    m.ops[0].dtype = (winsum_dtype)7;
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_host_to_cl(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    tbuf *a = tb_new(E, HOST, 6, F32);
    m.ops[0] = mkview(a, F32, 0, 2, SH(2, 3), NULL);
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_host_out_to_cl(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    tbuf *c = tb_new(E, HOST, 4, F32);
    m.out = mkview(c, F32, 0, 2, SH(2, 2), NULL);
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_device_to_ref(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    tbuf *a = tb_new(E, DEV, 6, F32);
    m.ops[0] = mkview(a, F32, 0, 2, SH(2, 3), NULL);
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_device_out_to_ref(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    tbuf *c = tb_new(E, DEV, 4, F32);
    m.out = mkview(c, F32, 0, 2, SH(2, 2), NULL);
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_claims_too_many_bytes(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    winsum_buffer big = m.a->b;
    big.bytes *= 4; /* the view then fits the claim but not the cl_mem */
    m.ops[0] = winsum_view_strided(&big, F32, 6, 2, SH(2, 3), SH(3, 1));
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

/* ------------------------------------------- plan cache and plan execute */

/* winsum_einsum's plan cache must not skip the buffer checks when the
 * caller's winsum_buffer struct now describes a smaller buffer. */
static winsum_status c_cache_input_shrunk(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    tbuf *small = tb_new(E, OWN, 2, F32);
    winsum_status st = winsum_einsum(E->ctx, "ij,jk->ik", 2, m.ops, &m.out, 1, 0);
    if (st)
        snprintf(E->setup_err, sizeof E->setup_err, "the first (valid) einsum failed: %s",
                 winsum_status_string(st));
    tb_snapshot(E, m.c);
    m.a->b = small->b; /* same struct, 2 elements instead of 6 */
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status c_cache_output_shrunk(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    tbuf *small = tb_new(E, OWN, 1, F32);
    winsum_status st = winsum_einsum(E->ctx, "ij,jk->ik", 2, m.ops, &m.out, 1, 0);
    if (st)
        snprintf(E->setup_err, sizeof E->setup_err, "the first (valid) einsum failed: %s",
                 winsum_status_string(st));
    tb_snapshot(E, m.c);
    m.c->b = small->b; /* same struct, 1 element instead of 4 */
    return EINSUM("ij,jk->ik", 2, m.ops, &m.out);
}

static winsum_status exec_with(env *E, mm *m, const winsum_buffer *const *in,
                               const winsum_buffer *out)
{
    winsum_plan *p = NULL;
    winsum_status st = winsum_plan_create(E->ctx, &p, "ij,jk->ik", 2, m->ops, &m->out);
    if (st) {
        snprintf(E->setup_err, sizeof E->setup_err, "winsum_plan_create failed: %s",
                 winsum_status_string(st));
        return st;
    }
    st = BAD(winsum_plan_execute(p, in, out, 1.0, 0.0, NULL));
    winsum_plan_destroy(p);
    return st;
}

static winsum_status c_exec_out_small(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    tbuf *small = tb_new(E, OWN, 3, F32);
    return exec_with(E, &m, NULL, &small->b);
}

static winsum_status c_exec_out_is_input(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    return exec_with(E, &m, NULL, &m.a->b);
}

static winsum_status c_exec_in_wrong_kind(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    tbuf *a = tb_new(E, E->opencl ? HOST : DEV, 6, F32);
    const winsum_buffer *in[2] = {&a->b, NULL};
    return exec_with(E, &m, in, NULL);
}

static winsum_status c_exec_in_other_context(env *E)
{
    mm m;
    mm_make(E, &m, F32);
    tbuf *a = tb_new(E, OTHER, 6, F32);
    const winsum_buffer *in[2] = {NULL, &a->b};
    return exec_with(E, &m, in, NULL);
}

/* ----------------------------------------------------------- convolution */

typedef struct cv {
    tbuf *x, *w, *y;
    winsum_view xv, wv, yv;
    winsum_conv_desc d;
} cv;

/* x (n,c,h,h), w (o,cw,k,k), y (n,o,yh,yh), contiguous NCHW */
static void cv_make(env *E, cv *c, int64_t n, int64_t ch, int64_t h, int64_t o, int64_t cw,
                    int64_t k, int64_t yh)
{
    c->x = tb_new(E, OWN, n * ch * h * h, F32);
    c->w = tb_new(E, OWN, o * cw * k * k, F32);
    c->y = tb_new(E, OWN, n * o * yh * yh, F32);
    c->xv = mkview(c->x, F32, 0, 4, SH(n, ch, h, h), NULL);
    c->wv = mkview(c->w, F32, 0, 4, SH(o, cw, k, k), NULL);
    c->yv = mkview(c->y, F32, 0, 4, SH(n, o, yh, yh), NULL);
    winsum_conv_desc_init(&c->d);
}

#define FORWARD(c) BAD(winsum_conv_forward(E->ctx, &(c).d, &(c).xv, &(c).wv, NULL, &(c).yv, 1, 0))

static winsum_status c_conv_channels(env *E)
{
    cv c;
    cv_make(E, &c, 1, 4, 5, 2, 3, 3, 3);
    return FORWARD(c);
}

static winsum_status c_conv_groups_channels(env *E)
{
    cv c;
    cv_make(E, &c, 1, 4, 5, 3, 1, 3, 3);
    c.d.groups = 3;
    return FORWARD(c);
}

static winsum_status c_conv_groups_filters(env *E)
{
    cv c;
    cv_make(E, &c, 1, 4, 5, 3, 2, 3, 3);
    c.d.groups = 2;
    return FORWARD(c);
}

static winsum_status c_conv_groups_zero(env *E)
{
    cv c;
    cv_make(E, &c, 1, 2, 5, 2, 2, 3, 3);
    c.d.groups = 0;
    return FORWARD(c);
}

static winsum_status c_conv_kernel_too_big(env *E)
{
    cv c;
    cv_make(E, &c, 1, 1, 3, 1, 1, 5, 1);
    return FORWARD(c);
}

static winsum_status c_conv_stride_zero(env *E)
{
    cv c;
    cv_make(E, &c, 1, 1, 5, 1, 1, 3, 3);
    c.d.stride[1] = 0;
    return FORWARD(c);
}

static winsum_status c_conv_stride_negative(env *E)
{
    cv c;
    cv_make(E, &c, 1, 1, 5, 1, 1, 3, 3);
    c.d.stride[0] = -1;
    return FORWARD(c);
}

static winsum_status c_conv_dilation_zero(env *E)
{
    cv c;
    cv_make(E, &c, 1, 1, 5, 1, 1, 3, 3);
    c.d.dilation[0] = 0;
    return FORWARD(c);
}

static winsum_status c_conv_dilation_negative(env *E)
{
    cv c;
    cv_make(E, &c, 1, 1, 5, 1, 1, 3, 3);
    c.d.dilation[1] = -2;
    return FORWARD(c);
}

static winsum_status c_conv_padding_negative(env *E)
{
    cv c;
    cv_make(E, &c, 1, 1, 5, 1, 1, 3, 3);
    c.d.pad_lo[0] = -1;
    return FORWARD(c);
}

static winsum_status c_conv_span_overflow(env *E)
{
    cv c;
    cv_make(E, &c, 1, 1, 5, 1, 1, 3, 3);
    c.d.dilation[0] = (int64_t)1 << 62; /* dilation * (kernel - 1) = 2^63 */
    return FORWARD(c);
}

static winsum_status c_conv_padding_overflow(env *E)
{
    cv c;
    cv_make(E, &c, 1, 1, 5, 1, 1, 3, 3);
    c.d.pad_hi[1] = INT64_MAX; /* input + padding overflows */
    return FORWARD(c);
}

static winsum_status c_conv_out_shape(env *E)
{
    cv c;
    cv_make(E, &c, 1, 1, 5, 1, 1, 3, 4); /* y should be 3x3 */
    return FORWARD(c);
}

static winsum_status c_conv_rank2(env *E)
{
    cv c;
    cv_make(E, &c, 1, 1, 5, 1, 1, 3, 3);
    c.xv.ndim = 2;
    return FORWARD(c);
}

static winsum_status c_conv_bias_shape(env *E)
{
    cv c;
    cv_make(E, &c, 1, 1, 5, 2, 1, 3, 3);
    tbuf *b = tb_new(E, OWN, 3, F32);
    winsum_view bv = mkview(b, F32, 0, 1, SH(3), NULL);
    return BAD(winsum_conv_forward(E->ctx, &c.d, &c.xv, &c.wv, &bv, &c.yv, 1, 0));
}

static winsum_status c_conv_bias_bounds(env *E)
{
    cv c;
    cv_make(E, &c, 1, 1, 5, 2, 1, 3, 3);
    tbuf *b = tb_new(E, OWN, 2, F32);
    winsum_view bv = mkview(b, F32, 1, 1, SH(2), NULL); /* elements 1..2 of 2 */
    return BAD(winsum_conv_forward(E->ctx, &c.d, &c.xv, &c.wv, &bv, &c.yv, 1, 0));
}

static winsum_status c_conv_x_bounds(env *E)
{
    cv c;
    cv_make(E, &c, 1, 1, 5, 1, 1, 3, 3);
    c.xv.offset = 1;
    return FORWARD(c);
}

static winsum_status c_conv_y_is_x(env *E)
{
    cv c;
    cv_make(E, &c, 1, 1, 5, 1, 1, 3, 3);
    c.yv = mkview(c.x, F32, 0, 4, SH(1, 1, 3, 3), NULL);
    return FORWARD(c);
}

static winsum_status c_conv_dtype(env *E)
{
    cv c;
    cv_make(E, &c, 1, 1, 5, 1, 1, 3, 3);
    tbuf *w = tb_new(E, OWN, 9, F64);
    c.wv = mkview(w, F64, 0, 4, SH(1, 1, 3, 3), NULL);
    return FORWARD(c);
}

static winsum_status c_conv_null_desc(env *E)
{
    cv c;
    cv_make(E, &c, 1, 1, 5, 1, 1, 3, 3);
    return BAD(winsum_conv_forward(E->ctx, NULL, &c.xv, &c.wv, NULL, &c.yv, 1, 0));
}

static winsum_status c_conv_bwd_data_shape(env *E)
{
    /* gx (1,1,6,6) gives a 4x4 output gradient; gy is 3x3 */
    cv c;
    cv_make(E, &c, 1, 1, 6, 1, 1, 3, 3);
    return BAD(winsum_conv_backward_data(E->ctx, &c.d, &c.yv, &c.wv, &c.xv, 1, 0));
}

static winsum_status c_conv_bwd_weight_shape(env *E)
{
    /* x has 2 channels; the weight gradient (1,1,3,3) should be (1,2,3,3) */
    cv c;
    cv_make(E, &c, 1, 2, 5, 1, 1, 3, 3);
    return BAD(winsum_conv_backward_weight(E->ctx, &c.d, &c.xv, &c.yv, &c.wv, 1, 0));
}

/* backward-bias runs the descriptor validation of every convolution call:
 * gy (1,2,5) and gb (2,), a 1-D convolution's */
static winsum_status bias_bad(env *E, int which)
{
    tbuf *gy = tb_new(E, OWN, 10, F32), *gb = tb_new(E, OWN, 2, F32);
    winsum_view gyv = mkview(gy, F32, 0, 3, SH(1, 2, 5), NULL),
                gbv = mkview(gb, F32, 0, 1, SH(2), NULL);
    winsum_conv_desc d;
    winsum_conv_desc_init(&d);
    if (which == 0) d.layout = (winsum_layout)7;
    if (which == 1) d.nspatial = 3;
    if (which == 2) d.groups = -5;
    if (which == 3) d.stride[0] = 0;
    if (which == 4) d.dilation[0] = -1;
    if (which == 5) d.pad_lo[0] = -2;
    if (which == 6) d.groups = 3; /* 3 groups of 2 filters */
    return BAD(winsum_conv_backward_bias(E->ctx, &d, &gyv, &gbv, 1, 0));
}
static winsum_status c_bias_layout(env *E) { return bias_bad(E, 0); }
static winsum_status c_bias_nspatial(env *E) { return bias_bad(E, 1); }
static winsum_status c_bias_groups(env *E) { return bias_bad(E, 2); }
static winsum_status c_bias_stride(env *E) { return bias_bad(E, 3); }
static winsum_status c_bias_dilation(env *E) { return bias_bad(E, 4); }
static winsum_status c_bias_padding(env *E) { return bias_bad(E, 5); }
static winsum_status c_bias_groups_divide(env *E) { return bias_bad(E, 6); }

/* A transposed convolution (2-D, NCHW) of x (1,1,xh,xh) and w (1,1,k,k)
 * into y (1,1,yh,yh) with the given strides. */
static winsum_status transpose_with(env *E, int64_t xh, int64_t k, int64_t yh, int64_t s0,
                                    int64_t s1, int tweak)
{
    tbuf *x = tb_new(E, OWN, xh * xh, F32), *w = tb_new(E, OWN, k * k, F32),
         *y = tb_new(E, OWN, yh * yh, F32);
    winsum_view xv = mkview(x, F32, 0, 4, SH(1, 1, xh, xh), NULL),
                wv = mkview(w, F32, 0, 4, SH(1, 1, k, k), NULL),
                yv = mkview(y, F32, 0, 4, SH(1, 1, yh, yh), NULL);
    winsum_conv_desc d;
    winsum_conv_desc_init(&d);
    d.stride[0] = s0;
    d.stride[1] = s1;
    if (tweak == 1) xv.offset = 1;                              /* x reaches past its buffer */
    if (tweak == 2) d.dilation[0] = 2, d.output_padding[0] = 2; /* op >= both */
    if (tweak == 3) d.layout = (winsum_layout)7;
    if (tweak == 4) d.groups = 0;
    return BAD(winsum_conv_transpose(E->ctx, &d, &xv, &wv, &yv, 1, 0));
}

/* strides 2^32 x 2^32: 81 output phases of 9 x 9 taps each reachable */
static winsum_status c_transpose_huge_strides(env *E)
{
    return transpose_with(E, 1, 9, 9, (int64_t)1 << 32, (int64_t)1 << 32, 0);
}
static winsum_status c_transpose_huge_strides_odd(env *E)
{
    return transpose_with(E, 1, 9, 9, ((int64_t)1 << 32) + 1, ((int64_t)1 << 32) - 1, 0);
}
/* (x - 1) * stride overflows: x 3 wide, stride 2^62 */
static winsum_status c_transpose_shape_overflow(env *E)
{
    return transpose_with(E, 3, 1, 1, 1, (int64_t)1 << 62, 0);
}
static winsum_status c_transpose_y_shape(env *E) { return transpose_with(E, 3, 2, 5, 1, 1, 0); }
static winsum_status c_transpose_x_bounds(env *E) { return transpose_with(E, 3, 2, 4, 1, 1, 1); }
static winsum_status c_transpose_output_padding(env *E)
{
    return transpose_with(E, 3, 2, 4, 1, 1, 2);
}
static winsum_status c_transpose_layout(env *E) { return transpose_with(E, 3, 2, 4, 1, 1, 3); }
static winsum_status c_transpose_groups(env *E) { return transpose_with(E, 3, 2, 4, 1, 1, 4); }

/* backward-data with 2^32 x 2^32 strides, 9 x 9 input gradient: 81 phases */
static winsum_status c_bwd_data_huge_strides(env *E)
{
    cv c;
    cv_make(E, &c, 1, 1, 9, 1, 1, 9, 1);
    c.d.stride[0] = c.d.stride[1] = (int64_t)1 << 32;
    return BAD(winsum_conv_backward_data(E->ctx, &c.d, &c.yv, &c.wv, &c.xv, 1, 0));
}

/* ------------------------------------------------------------------ table */

typedef struct bad_case {
    const char *name;
    winsum_status expected;
    int backends;
    const char *needles; /* '|'-separated substrings of the message */
    winsum_status (*run)(env *E);
} bad_case;

#define ROW(name, st, be, needles, fn)         \
    {                                          \
        name, WINSUM_ERR_##st, be, needles, fn \
    }

static const bad_case cases[] = {
    /* subscripts */
    ROW("subscripts: empty operand list (nops=0)", ARGUMENT, B_BOTH, "0 operands", c_nops0),
    ROW("subscripts: NULL string", ARGUMENT, B_BOTH, "subscripts", c_null_subscripts),
    ROW("subscripts: unknown character 'ij#,jk'", SUBSCRIPTS, B_BOTH, "'#'|position 2",
        c_unknown_char),
    ROW("subscripts: '->' twice", SUBSCRIPTS, B_BOTH, "'->'|more than once", c_arrow_twice),
    ROW("subscripts: malformed ellipsis '..i'", SUBSCRIPTS, B_BOTH, "operand 0|..i", c_dots_two),
    ROW("subscripts: '...' twice in one operand", SUBSCRIPTS, B_BOTH, "operand 0|more than one",
        c_dots_repeated),
    ROW("subscripts: output label repeated 'ij->ii'", SUBSCRIPTS, B_BOTH, "'i'|more than once",
        c_out_repeated),
    ROW("subscripts: output label not in inputs 'ij->k'", SUBSCRIPTS, B_BOTH, "'k'", c_out_unknown),
    ROW("subscripts: more labels than dims", SUBSCRIPTS, B_BOTH, "operand 0|'ijk'|3|2",
        c_more_labels),
    ROW("subscripts: fewer labels than dims, no '...'", SUBSCRIPTS, B_BOTH,
        "operand 0|2 dimensions|'i'", c_fewer_labels),
    ROW("subscripts: 3 terms for 2 operands", SUBSCRIPTS, B_BOTH, "3 comma|2 operands",
        c_more_terms),
    ROW("subscripts: 1 term for 2 operands", SUBSCRIPTS, B_BOTH, "1 comma|2 operands",
        c_fewer_terms),
    ROW("subscripts: digit label 'i1'", SUBSCRIPTS, B_BOTH, "'1'|position 1", c_digit),
    ROW("subscripts: non-ASCII byte", SUBSCRIPTS, B_BOTH, "\\xc3|position 2", c_non_ascii),
    ROW("subscripts: ',' in the output", SUBSCRIPTS, B_BOTH, "','|output", c_comma_in_output),
    ROW("subscripts: operand with 33 dims", ARGUMENT, B_BOTH, "operand 0|33", c_ndim33),
    ROW("subscripts: '...' dims missing from the output", SUBSCRIPTS, B_BOTH, "'...'|output",
        c_ellipsis_dropped),
    /* shapes */
    ROW("shape: label 'j' sized 3 and 4", SHAPE, B_BOTH, "'j'|3|4|operand 1", c_size_conflict),
    ROW("shape: diagonal 'ii' on 2x3", SHAPE, B_BOTH, "operand 0|'i'|2 != 3", c_diag_unequal),
    ROW("shape: negative operand size", SHAPE, B_BOTH, "operand 0|axis 1|-3", c_negative_size),
    ROW("shape: negative output size", SHAPE, B_BOTH, "output|axis 1|-2", c_negative_out_size),
    ROW("shape: element count overflows 64 bits", OVERFLOW, B_BOTH, "operand 0|overflow",
        c_numel_overflow),
    ROW("shape: stride * size overflows 64 bits", OVERFLOW, B_BOTH, "operand 0|overflow",
        c_span_overflow),
    ROW("shape: broadcast terms 'ab,ab->' (2^62+250,1)x(1,4) overflow 64 bits", OVERFLOW, B_BOTH,
        "'a' 4611686018427388154|'b' 4|2^63-1", c_terms_overflow),
    ROW("shape: broadcast terms 'ab,ab->' (2^32,1)x(1,2^32) wrap to 0", OVERFLOW, B_BOTH,
        "'a' 4294967296|'b' 4294967296|2^63-1", c_terms_wrap_zero),
    ROW("shape: offset + extent overflows 64 bits", OVERFLOW, B_BOTH, "operand 0|overflow",
        c_offset_overflow),
    ROW("shape: output of wrong shape", SHAPE, B_BOTH, "output|axis 1|3|2", c_out_wrong_shape),
    ROW("shape: output of wrong rank", SHAPE, B_BOTH, "output|1|2", c_out_wrong_rank),
    /* views */
    ROW("view: offset reaches past the end", BOUNDS, B_BOTH, "operand 0|1..6|6", c_offset_past_end),
    ROW("view: negative offset", BOUNDS, B_BOTH, "operand 1|-1", c_negative_offset),
    ROW("view: negative strides reach before 0", BOUNDS, B_BOTH, "operand 0|-3",
        c_negative_strides),
    ROW("view: output reaches past the end", BOUNDS, B_BOTH, "output|2..5|4", c_out_past_end),
    ROW("view: guard that does not bound the reach", BOUNDS, B_BOTH, "operand 0|0..8|8",
        c_guard_loose),
    ROW("view: guard on another axis", BOUNDS, B_BOTH, "operand 0|15|12", c_guard_other_axis),
    ROW("view: a second guard over the same axes", BOUNDS, B_BOTH, "operand 0|reaches",
        c_guard_second_same_axes),
    ROW("view: guard with negative extent", ARGUMENT, B_BOTH, "operand 0|guard 0|extent",
        c_guard_negative_extent),
    ROW("view: output with a zero stride", OVERLAP, B_BOTH, "output", c_out_zero_stride),
    ROW("view: output (3,3) strides (1,1)", OVERLAP, B_BOTH, "output", c_out_overlapping),
    ROW("view: output overlaps the input (same buffer)", ALIAS, B_BOTH, "output|operand 0",
        c_out_overlaps_input),
    ROW("view: output is the input", ALIAS, B_BOTH, "output|operand 0", c_out_is_input),
    ROW("view: output overlaps the input (second handle)", ALIAS, B_BOTH, "output|operand 0",
        c_out_overlaps_input_alias),
    ROW("view: operand buffer of another context", CONTEXT, B_CL, "operand 0|another",
        c_other_context),
    ROW("view: output buffer of another context", CONTEXT, B_CL, "output|another",
        c_other_context_out),
    ROW("view: NULL operand buffer", ARGUMENT, B_BOTH, "operand 1|buffer", c_null_buffer),
    ROW("view: NULL output buffer", ARGUMENT, B_BOTH, "output|buffer", c_null_out_buffer),
    ROW("view: device buffer with NULL cl_mem", ARGUMENT, B_BOTH, "operand 0|cl_mem",
        c_null_cl_mem),
    ROW("view: host buffer with NULL pointer", ARGUMENT, B_BOTH, "operand 0|NULL", c_null_host_ptr),
    ROW("view: buffer kind 5", ARGUMENT, B_BOTH, "operand 0|5", c_bad_buffer_kind),
    ROW("view: NULL view array", ARGUMENT, B_BOTH, "operand", c_null_views),
    ROW("view: NULL output view", ARGUMENT, B_BOTH, "output", c_null_out_view),
    ROW("dtype: float64 operand, float32 output", DTYPE, B_BOTH, "operand 0|float64|float32",
        c_dtype_mismatch),
    ROW("dtype: float32 operands, float64 output", DTYPE, B_BOTH, "float64|float32",
        c_dtype_mismatch_out),
    ROW("dtype: float16 operands, float32 output", DTYPE, B_BOTH, "float16|float32", c_f16),
    ROW("dtype: unknown enum value 7", ARGUMENT, B_BOTH, "operand 0|7", c_unknown_dtype),
    ROW("buffer: host buffer to the OpenCL backend", CONTEXT, B_CL, "operand 0|host", c_host_to_cl),
    ROW("buffer: host output to the OpenCL backend", CONTEXT, B_CL, "output|host",
        c_host_out_to_cl),
    ROW("buffer: device buffer to the reference backend", CONTEXT, B_REF, "operand 0|device",
        c_device_to_ref),
    ROW("buffer: device output to the reference backend", CONTEXT, B_REF, "output|device",
        c_device_out_to_ref),
    ROW("buffer: claims more bytes than its cl_mem", BOUNDS, B_CL, "operand 0|96|24",
        c_claims_too_many_bytes),
    /* plan cache, plan execution with swapped buffers */
    ROW("cache: input buffer struct re-pointed to a smaller buffer", BOUNDS, B_BOTH, "operand 0|2",
        c_cache_input_shrunk),
    ROW("cache: output buffer struct re-pointed to a smaller buffer", BOUNDS, B_BOTH, "output|1",
        c_cache_output_shrunk),
    ROW("execute: swapped output buffer too small", BOUNDS, B_BOTH, "output|0..3|3",
        c_exec_out_small),
    ROW("execute: swapped output is an input's buffer", ALIAS, B_BOTH, "output|operand 0",
        c_exec_out_is_input),
    ROW("execute: swapped input of the wrong kind", CONTEXT, B_BOTH, "operand 0",
        c_exec_in_wrong_kind),
    ROW("execute: swapped input of another context", CONTEXT, B_CL, "operand 1|another",
        c_exec_in_other_context),
    /* convolution */
    ROW("conv: input channels != weight channels x groups", CONV, B_BOTH, "3|4", c_conv_channels),
    ROW("conv: groups do not divide the channels", CONV, B_BOTH, "groups 3|4",
        c_conv_groups_channels),
    ROW("conv: groups do not divide the filters", CONV, B_BOTH, "groups 2|3",
        c_conv_groups_filters),
    ROW("conv: groups 0", CONV, B_BOTH, "groups|0", c_conv_groups_zero),
    ROW("conv: kernel larger than the padded input", CONV, B_BOTH, "axis 0|5|3",
        c_conv_kernel_too_big),
    ROW("conv: stride 0", CONV, B_BOTH, "axis 1|stride 0", c_conv_stride_zero),
    ROW("conv: stride -1", CONV, B_BOTH, "axis 0|stride -1", c_conv_stride_negative),
    ROW("conv: dilation 0", CONV, B_BOTH, "axis 0|dilation 0", c_conv_dilation_zero),
    ROW("conv: dilation -2", CONV, B_BOTH, "axis 1|dilation -2", c_conv_dilation_negative),
    ROW("conv: negative padding", CONV, B_BOTH, "axis 0|padding", c_conv_padding_negative),
    ROW("conv: dilation x kernel overflows 64 bits", OVERFLOW, B_BOTH, "axis 0|dilation",
        c_conv_span_overflow),
    ROW("conv: padding overflows 64 bits", OVERFLOW, B_BOTH, "axis 1|padding",
        c_conv_padding_overflow),
    ROW("conv: output view of wrong shape", CONV, B_BOTH, "output|1,1,4,4|1,1,3,3",
        c_conv_out_shape),
    ROW("conv: rank-2 input", CONV, B_BOTH, "rank 2", c_conv_rank2),
    ROW("conv: bias of wrong shape", CONV, B_BOTH, "bias|2", c_conv_bias_shape),
    ROW("conv: bias view out of bounds", BOUNDS, B_BOTH, "bias", c_conv_bias_bounds),
    ROW("conv: input view out of bounds", BOUNDS, B_BOTH, "input", c_conv_x_bounds),
    ROW("conv: output overlaps the input", ALIAS, B_BOTH, "output|input", c_conv_y_is_x),
    ROW("conv: float64 weight, float32 input", DTYPE, B_BOTH, "float64|float32", c_conv_dtype),
    ROW("conv: NULL descriptor", ARGUMENT, B_BOTH, "descriptor", c_conv_null_desc),
    ROW("conv backward-data: input gradient of wrong shape", CONV, B_BOTH, "output gradient|4|3",
        c_conv_bwd_data_shape),
    ROW("conv backward-weight: weight gradient of wrong shape", CONV, B_BOTH, "weight|1|2",
        c_conv_bwd_weight_shape),
    ROW("conv backward-bias: layout 7", CONV, B_BOTH, "backward-bias|layout 7", c_bias_layout),
    ROW("conv backward-bias: 3 spatial axes on a 1-D tensor", CONV, B_BOTH,
        "backward-bias|3 spatial|output gradient has rank 3", c_bias_nspatial),
    ROW("conv backward-bias: groups -5", CONV, B_BOTH, "backward-bias|groups|-5", c_bias_groups),
    ROW("conv backward-bias: stride 0", CONV, B_BOTH, "backward-bias|stride 0", c_bias_stride),
    ROW("conv backward-bias: dilation -1", CONV, B_BOTH, "backward-bias|dilation -1",
        c_bias_dilation),
    ROW("conv backward-bias: negative padding", CONV, B_BOTH, "backward-bias|padding|-2",
        c_bias_padding),
    ROW("conv backward-bias: groups 3 do not divide 2 filters", CONV, B_BOTH,
        "backward-bias|groups 3|2", c_bias_groups_divide),
    ROW("conv backward-data: strides 2^32 x 2^32 (81 phases)", UNSUPPORTED, B_BOTH,
        "backward-data|81|64", c_bwd_data_huge_strides),
    ROW("conv transpose: strides 2^32 x 2^32 (81 phases)", UNSUPPORTED, B_BOTH, "transpose|81|64",
        c_transpose_huge_strides),
    ROW("conv transpose: strides 2^32+1 x 2^32-1 (81 phases)", UNSUPPORTED, B_BOTH,
        "transpose|81|64", c_transpose_huge_strides_odd),
    ROW("conv transpose: (x - 1) * stride overflows", OVERFLOW, B_BOTH, "transpose|axis 1|stride",
        c_transpose_shape_overflow),
    ROW("conv transpose: output of wrong shape", CONV, B_BOTH,
        "transpose|the output|1,1,5,5|1,1,4,4", c_transpose_y_shape),
    ROW("conv transpose: input view out of bounds", BOUNDS, B_BOTH, "transpose|the input",
        c_transpose_x_bounds),
    ROW("conv transpose: output padding >= stride and dilation", CONV, B_BOTH,
        "transpose|output padding 2|stride 1|dilation 2", c_transpose_output_padding),
    ROW("conv transpose: layout 7", CONV, B_BOTH, "transpose|layout 7", c_transpose_layout),
    ROW("conv transpose: groups 0", CONV, B_BOTH, "transpose|groups|0", c_transpose_groups),
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

/* ---------------------------------------------------------------- runner */

/* A valid einsum on fresh buffers: ij,jk->ik of 1..6 by 1..6. */
static int still_usable(env *E, char *why, size_t len)
{
    mm m;
    mm_make(E, &m, F32);
    winsum_status st = winsum_einsum(E->ctx, "ij,jk->ik", 2, m.ops, &m.out, 1, 0);
    int ok = st == WINSUM_OK;
    if (!ok)
        snprintf(why, len, "a valid einsum failed: %s: %s", winsum_status_string(st),
                 winsum_last_error(E->ctx));
    unsigned char *now = malloc(m.c->total);
    tb_read(E, m.c, now);
    const double want[4] = {22, 28, 49, 64};
    for (int i = 0; i < 4 && ok; i++) ok = get_value(now + m.c->margin + 4 * i, F32) == want[i];
    for (size_t i = 0; i < m.c->margin && ok; i++)
        ok = now[i] == FILL && now[m.c->total - 1 - i] == FILL;
    free(now);
    if (!ok && st == WINSUM_OK)
        snprintf(why, len, "a valid einsum gave wrong numbers or wrote outside its view");
    tb_free_all(E);
    return ok;
}

static int has_all(const char *msg, const char *needles)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", needles);
    for (char *tok = strtok(buf, "|"); tok; tok = strtok(NULL, "|"))
        if (!strstr(msg, tok)) return 0;
    return 1;
}

static const char *const mode_name[4] = {"ref", "ref+warm", "opencl", "opencl+warm"};

/* Runs one row in this process; returns 1 when it passes. */
static int run_case(env *E, int ci, int mode)
{
    const bad_case *c = &cases[ci];
    char why[2048] = "";
#define WHY(...) snprintf(why + strlen(why), sizeof why - strlen(why), __VA_ARGS__)
    if (mode & 1) {
        /* warm: the plan cache holds a plan of the standard geometry whose
         * buffers are gone, as after any earlier valid call */
        char w[512];
        if (!still_usable(E, w, sizeof w)) WHY("; before the row: %s", w);
    }
    winsum_status st = c->run(E);
    const char *msg = winsum_last_error(E->ctx);
    if (E->setup_err[0]) WHY("; set-up: %s", E->setup_err);
    if (st != c->expected)
        WHY("; got %s, expected %s", winsum_status_string(st), winsum_status_string(c->expected));
    if (!E->primed) WHY("; the marker message was not planted");
    if (!msg || !*msg) WHY("; empty message");
    else if (strstr(msg, MARKER)) WHY("; the call left no message of its own");
    else if (!has_all(msg, c->needles)) WHY("; message lacks \"%s\"", c->needles);
    for (int i = 0; i < E->nbufs; i++) {
        long at = tb_changed(E, E->bufs[i]);
        if (at >= 0) WHY("; buffer %d changed at byte %ld", i, at);
    }
    printf("[%-11s] %-60s %s\n", mode_name[mode], c->name, why[0] ? "FAIL" : "ok");
    printf("              message: %s\n", msg && !strstr(msg, MARKER) ? msg : "(none)");
    tb_free_all(E);
    char uwhy[512];
    if (!still_usable(E, uwhy, sizeof uwhy)) WHY("; then %s", uwhy);
    if (why[0]) {
        printf("              FAIL%s\n", why);
        fprintf(stderr, "FAIL [%s] %s%s\n", mode_name[mode], c->name, why);
    }
    fflush(stdout);
    return why[0] == 0;
#undef WHY
}

static size_t base_align(winsum_context *ctx)
{
    cl_device_id dev;
    cl_uint bits = 0;
    if (clGetContextInfo(winsum_context_cl(ctx), CL_CONTEXT_DEVICES, sizeof dev, &dev, NULL) ||
        clGetDeviceInfo(dev, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof bits, &bits, NULL))
        return 4096;
    return bits / 8 > 64 ? bits / 8 : 64;
}

/* The child process of one row: fresh contexts, so that a crash, a
 * sanitizer report or a leak (LeakSanitizer runs at exit) is the row's. */
static int child(int ci, int mode)
{
    winsum_context *ref = NULL, *cl = NULL, *cl2 = NULL;
    int opencl = mode >= 2;
    if ((!opencl && winsum_context_create(&ref, WINSUM_BACKEND_REF, NULL)) ||
        winsum_context_create(&cl, WINSUM_BACKEND_OPENCL, NULL) ||
        winsum_context_create(&cl2, WINSUM_BACKEND_OPENCL, NULL)) {
        printf("[%-11s] %-60s FAIL: no context\n", mode_name[mode], cases[ci].name);
        return 10;
    }
    env E;
    memset(&E, 0, sizeof E);
    E.ctx = opencl ? cl : ref;
    E.opencl = opencl;
    E.other = opencl ? cl2 : cl;
    E.margin = base_align(cl);
    int ok = run_case(&E, ci, mode);
    winsum_context_destroy(ref);
    winsum_context_destroy(cl2);
    winsum_context_destroy(cl);
    return ok ? 0 : 10;
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    /* The parent never touches OpenCL: it forks one child per row and mode
     * and reads the outcome from the exit status. */
    static int results[NCASES][4]; /* 0 not run, 1 pass, 2 fail */
    for (int mode = 0; mode < 4; mode++)
        for (int i = 0; i < NCASES; i++) {
            if (!(cases[i].backends & (mode >= 2 ? B_CL : B_REF))) continue;
            if (only && !strstr(cases[i].name, only)) continue;
            fflush(stdout);
            fflush(stderr);
            pid_t pid = fork();
            if (pid == 0) {
                alarm(ROW_SECONDS); /* a row that hangs fails, with SIGALRM */
                exit(child(i, mode));
            }
            int status = 0;
            if (pid < 0 || waitpid(pid, &status, 0) != pid) status = -1;
            int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
            results[i][mode] = ok ? 1 : 2;
            if (ok) tu_passed++;
            else tu_failed++;
            if (!(WIFEXITED(status) && WEXITSTATUS(status) == 10)) {
                if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
                    printf("[%-11s] %-60s FAIL: no answer in %d s\n", mode_name[mode],
                           cases[i].name, ROW_SECONDS);
                    fprintf(stderr, "FAIL [%s] %s: no answer in %d s\n", mode_name[mode],
                            cases[i].name, ROW_SECONDS);
                } else if (WIFSIGNALED(status)) {
                    printf("[%-11s] %-60s FAIL: crashed with signal %d\n", mode_name[mode],
                           cases[i].name, WTERMSIG(status));
                    fprintf(stderr, "FAIL [%s] %s: crashed with signal %d\n", mode_name[mode],
                            cases[i].name, WTERMSIG(status));
                } else if (!ok) {
                    printf("[%-11s] %-60s FAIL: exit status %d (a sanitizer report or a leak)\n",
                           mode_name[mode], cases[i].name,
                           WIFEXITED(status) ? WEXITSTATUS(status) : -1);
                    fprintf(stderr, "FAIL [%s] %s: exit status %d\n", mode_name[mode],
                            cases[i].name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
                }
            }
        }
    printf("\n%-62s %-5s %-8s %-6s %-11s\n", "row", "ref", "ref+warm", "opencl", "opencl+warm");
    static const char *mark[3] = {"-", "pass", "FAIL"};
    for (int i = 0; i < NCASES; i++)
        if (results[i][0] || results[i][1] || results[i][2] || results[i][3])
            printf("%-62s %-5s %-8s %-6s %-11s\n", cases[i].name, mark[results[i][0]],
                   mark[results[i][1]], mark[results[i][2]], mark[results[i][3]]);
    return tu_finish("test_bad_input");
}
