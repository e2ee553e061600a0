/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * trace.c - the last kernel event of a call (winsum_last_event: the
 * backend's event, handed out by its interop call) and the call trace of
 * WINSUM_VERBOSE: one line per outermost computing call, in
 * the manner of oneDNN's ONEDNN_VERBOSE (comma-separated fields after a
 * fixed prefix), ending with the command that replays a call of that
 * shape (the calling layer writes it, and its descriptor: the runtime knows
 * no operation and no tool). The fields before the last have no comma in them (one in
 * a name or subscripts is written as ';' or ' '); the last, the replay
 * command, is the rest of the line. No field has a control character (a
 * newline in rejected subscripts would forge a second line): each is
 * written as ' ', and the line is checked for them once more as a whole.
 */
#include "trace.h"
#include "backend.h"
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TRACE_KERNELS 256

/* One computing call: outermost or nested, and when the trace started it. */
typedef struct ws_call {
    int outer;
    double t0;
} ws_call;

struct ws_trace {
    char file[4096]; /* WINSUM_VERBOSE_FILE, "" for stderr */
    char plan[8192]; /* the plans' steps of the call so far */
    size_t plan_len;
    int plan_cut; /* steps left out for want of room */
    int nk, more; /* kernel events kept, and those that did not fit */
    const char *kname[TRACE_KERNELS];
    void *kev[TRACE_KERNELS]; /* the backend's events */
};

/* ------------------------------------------------------------ events */

void ws_event_clear(winsum_context *ctx)
{
    if (ctx->last_event) ctx->be->event_release(ctx->last_event);
    ctx->last_event = NULL;
}

void ws_event_record(winsum_context *ctx, void *ev)
{
    if (ctx->no_event) { /* not a computing call of the caller's */
        if (ev) ctx->be->event_release(ev);
        return;
    }
    if (ctx->last_event) ctx->be->event_release(ctx->last_event);
    ctx->last_event = ev;
}

/* ------------------------------------------------------ trace state */

/* WINSUM_VERBOSE: unset, empty, "0" or a negative number: off; "1": a
 * line per call; "2" and above: with kernel times; anything else (a typo
 * such as "on") asks for the trace too: 1. */
static int verbose_level(const char *v)
{
    if (!v || !*v) return 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end) return 1;
    return n <= 0 ? 0 : n >= 2 ? 2 : 1;
}

int ws_trace_open(winsum_context *ctx)
{
    ctx->verbose = verbose_level(getenv("WINSUM_VERBOSE"));
    if (!ctx->verbose) return 0;
    ws_trace *t = calloc(1, sizeof *t);
    if (!t) return 1;
    const char *f = getenv("WINSUM_VERBOSE_FILE");
    if (f) snprintf(t->file, sizeof t->file, "%s", f);
    ctx->trace = t;
    return 0;
}

static void release_kernels(const winsum_context *ctx, ws_trace *t)
{
    for (int i = 0; i < t->nk; i++) ctx->be->event_release(t->kev[i]);
    t->nk = t->more = 0;
}

void ws_trace_close(winsum_context *ctx)
{
    ws_event_clear(ctx);
    if (!ctx->trace) return;
    release_kernels(ctx, ctx->trace);
    free(ctx->trace);
    ctx->trace = NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void trace_start(winsum_context *ctx, ws_call *c)
{
    ws_trace *t = ctx->trace;
    if (t) {
        release_kernels(ctx, t);
        t->plan_len = 0;
        t->plan[0] = 0;
        t->plan_cut = 0;
    }
    c->t0 = now_s();
}

void ws_trace_plan(winsum_context *ctx, const char *text)
{
    ws_trace *t = ctx->trace;
    if (!t) return;
    size_t n = strlen(text), sep = t->plan_len ? 2 : 0;
    if (t->plan_len + sep + n + 1 > sizeof t->plan) {
        t->plan_cut++;
        return;
    }
    if (sep) memcpy(t->plan + t->plan_len, "; ", 2);
    memcpy(t->plan + t->plan_len + sep, text, n + 1);
    t->plan_len += sep + n;
}

void ws_trace_kernel(winsum_context *ctx, const char *name, void *ev)
{
    ws_trace *t = ctx->trace;
    if (!t || !ev) return;
    if (t->nk == TRACE_KERNELS || ctx->be->event_retain(ev)) {
        t->more++;
        return;
    }
    t->kname[t->nk] = name;
    t->kev[t->nk++] = ev;
}

/* ------------------------------------------------------------- the line */

static int sb_room(ws_line *b, size_t more)
{
    if (b->n + more + 1 <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->n + more + 1) cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) return 0;
    b->s = s;
    b->cap = cap;
    return 1;
}

void ws_line_put(ws_line *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !sb_room(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

int ws_line_control(char ch) { return (unsigned char)ch < 0x20 || ch == 0x7f; }

/* s with each ',' written as `comma` and control characters as ' ', so
 * that the field stays one field on one line. */
static void sb_clean(ws_line *b, const char *s, char comma)
{
    size_t n = strlen(s);
    if (!sb_room(b, n)) return;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        b->s[b->n++] = ch == ',' ? comma : ws_line_control(ch) ? ' ' : ch;
    }
    b->s[b->n] = 0;
}

const char *ws_dtype_short(winsum_dtype d)
{
    return d == WINSUM_F64 ? "f64" : d == WINSUM_F16 ? "f16" : d == WINSUM_F32 ? "f32" : "bad";
}

void ws_line_list(ws_line *b, const int64_t *v, int n, const char *sep)
{
    for (int i = 0; i < n; i++) ws_line_put(b, "%s%lld", i ? sep : "", (long long)v[i]);
}

int ws_view_rank_ok(const winsum_view *v)
{
    return v && v->ndim >= 0 && v->ndim <= WINSUM_MAX_DIMS;
}

/* name:dtype:shape:s<strides>:o<offset>[:g<guards>] */
static void sb_view(ws_line *b, const char *name, const winsum_view *v)
{
    ws_line_put(b, "%s:", name);
    if (!v) {
        ws_line_put(b, "null");
        return;
    }
    if (!ws_view_rank_ok(v)) {
        ws_line_put(b, "rank%d", v->ndim);
        return;
    }
    ws_line_put(b, "%s:", ws_dtype_short(v->dtype));
    ws_line_list(b, v->shape, v->ndim, "x");
    ws_line_put(b, ":s");
    ws_line_list(b, v->strides, v->ndim, "x");
    ws_line_put(b, ":o%lld", (long long)v->offset);
    if (v->nguards) ws_line_put(b, ":g%d", v->nguards);
}

/* kernels:NAME=MS ... from the profiling events (all complete by now) */
static void sb_kernels(ws_line *b, winsum_context *ctx)
{
    ws_trace *t = ctx->trace;
    if (ctx->verbose < 2) {
        ws_line_put(b, "-");
        return;
    }
    if (!ctx->be->kernels) {
        ws_line_put(b, "none (%s backend)", ctx->be->title);
        return;
    }
    if (!ctx->profiling) {
        ws_line_put(b, "n/a (queue without profiling)");
        return;
    }
    if (!t->nk && !t->more) {
        ws_line_put(b, "none");
        return;
    }
    double total = 0;
    for (int i = 0; i < t->nk; i++) {
        uint64_t ns = 0;
        if (ctx->be->event_time(t->kev[i], &ns)) {
            ws_line_put(b, "%s%s=n/a", i ? " " : "", t->kname[i]);
            continue;
        }
        double ms = (double)ns * 1e-6;
        total += ms;
        ws_line_put(b, "%s%s=%.3fms", i ? " " : "", t->kname[i], ms);
    }
    if (t->more) ws_line_put(b, " +%d more", t->more);
    ws_line_put(b, " total=%.3fms", total);
}

/* The whole line in one write: lines of threads and processes sharing the
 * file do not interleave. */
static void write_line(const ws_trace *t, const char *s, size_t n)
{
    int fd = 2, own = 0;
    if (t->file[0]) {
        int f = open(t->file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (f >= 0) fd = f, own = 1; /* else stderr: the line is not lost */
    }
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w <= 0) break;
        s += w;
        n -= (size_t)w;
    }
    if (own) close(fd);
}

/* The line of a finished outermost call (st: its status), written after
 * its kernels completed. */
static void trace_emit(winsum_context *ctx, const ws_call *c, winsum_status st,
                       const ws_trace_call *t)
{
    ws_trace *tr = ctx->trace;
    if (!tr) return;
    /* the call's time covers its kernels: the trace waits for them (in
     * order: the last one completes after the others) */
    if (ctx->last_event) ctx->be->event_wait(ctx->last_event);
    for (int i = 0; i < tr->nk; i++) ctx->be->event_wait(tr->kev[i]);
    double ms = (now_s() - c->t0) * 1e3;
    const int kernels = ctx->be->kernels;
    ws_line b = {NULL, 0, 0};
    ws_line_put(&b, "winsum_verbose,exec,%s,%s,", t->op, ctx->be->name);
    sb_clean(&b, ctx->device_name, ';');
    ws_line_put(&b, ",%s,subs:", winsum_status_string(st));
    if (t->subs) sb_clean(&b, t->subs, ' ');
    else ws_line_put(&b, "-");
    ws_line_put(&b, ",ops:");
    for (int i = 0; i < t->nviews; i++) {
        char nm[16];
        const char *name = t->name[i];
        if (!name) {
            if (i == t->nviews - 1) name = "out";
            else snprintf(nm, sizeof nm, "in%d", i), name = nm;
        }
        if (i) ws_line_put(&b, " ");
        sb_view(&b, name, t->view[i]);
    }
    ws_line_put(&b, ",alpha=%.9g beta=%.9g,desc:", t->alpha, t->beta);
    if (t->desc) {
        /* the caller's field, kept one field: no comma in it */
        ws_line d = {NULL, 0, 0};
        t->desc(&d, t);
        if (d.s) sb_clean(&b, d.s, ';');
        free(d.s);
    } else {
        ws_line_put(&b, "-");
    }
    ws_line_put(&b, ",tile:");
    if (kernels) sb_clean(&b, winsum_tuning_params(ctx), '/');
    else ws_line_put(&b, "-");
    ws_line_put(&b, ",tile_src:");
    sb_clean(&b, winsum_tuning_source(ctx), ';');
    ws_line_put(&b, ",plan:");
    if (tr->plan_len) sb_clean(&b, tr->plan, ' ');
    else ws_line_put(&b, "-");
    if (tr->plan_cut) ws_line_put(&b, " +%d more", tr->plan_cut);
    ws_line_put(&b, ",time_ms:%.3f,kernels:", ms);
    sb_kernels(&b, ctx);
    ws_line_put(&b, ",replay:");
    if (t->replay) t->replay(&b, t);
    else ws_line_put(&b, "n/a (no replay)");
    /* one call, one line, whatever a field let through */
    for (size_t i = 0; i < b.n; i++)
        if (ws_line_control(b.s[i])) b.s[i] = ' ';
    ws_line_put(&b, "\n");
    if (b.s) write_line(tr, b.s, b.n);
    free(b.s);
    release_kernels(ctx, tr);
}

/* ------------------------------------------------ the public bracket */

winsum_status ws_public_call(winsum_context *ctx,
                             winsum_status (*run)(winsum_context *ctx, void *arg),
                             void (*describe)(void *arg, ws_trace_call *t), void *arg)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    /* public calls nest: only the outermost clears the last event and
     * writes a line */
    ws_call c = {.outer = ctx->depth++ == 0};
    if (c.outer) {
        if (ctx->last_event) ws_event_clear(ctx);
        if (ctx->verbose) trace_start(ctx, &c);
    }
    winsum_status st = run(ctx, arg);
    ctx->depth--;
    if (!c.outer) return st;
    if (st && ctx->last_event) ws_event_clear(ctx); /* a failed call leaves no event */
    if (!ctx->verbose || !ctx->trace) return st;
    ws_trace_call t;
    memset(&t, 0, sizeof t);
    describe(arg, &t);
    trace_emit(ctx, &c, st, &t);
    return st;
}
