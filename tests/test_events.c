/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * test_events.c - winsum_last_event: the event of the last kernel of the
 * most recent computing call. On OpenCL, after a convolution forward (with
 * a bias: two gated einsums), backward-data (stride 2: four phases) and
 * backward-weight, the event is there, is a kernel's
 * (CL_COMMAND_NDRANGE_KERNEL), completes, and a read on a second queue that
 * waits on it (and on nothing else: that queue is not ordered with
 * winsum's) gets the reference backend's result. A failed call and an empty
 * one leave NULL; buffer transfers leave the event as it was;
 * winsum_plan_execute's own event is the same one; the caller's reference
 * outlives the context. On the reference backend the event is NULL. NULL
 * arguments are refused.
 *
 * The trace writes one line per call whatever the caller's text holds:
 * rejected subscripts with a newline (and a forged trace line after it),
 * a carriage return, a tab and DEL give one winsum_verbose line with no
 * control character in it, on both backends.
 *
 * winsum_tune is no computing call: its trials (einsums, and convolutions
 * whose einsums run a level deeper) leave the event of the caller's last
 * call as it was, and the next call records its own again.
 */
#include "testutil.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 2
#define C 3
#define O 4
#define H 8
#define K 3

/* The reference result of one call on host buffers. */
typedef struct host_case {
    float x[N * C * H * H], w[O * C * K * K], b[O], gy[N * O * H * H];
} host_case;

static void fill(float *v, int n, uint64_t *rng)
{
    for (int i = 0; i < n; i++) v[i] = (float)tu_uniform(rng);
}

static double max_diff(const float *a, const float *b, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m)) m = d; /* NaN counts */
    }
    return m;
}

/* The event winsum_last_event gives now: a kernel's, and it completes. */
static cl_event kernel_event(winsum_context *ctx, const char *what)
{
    cl_event ev = NULL;
    CHECK_STATUS(winsum_last_event(ctx, &ev), WINSUM_OK);
    CHECK_MSG(ev != NULL, "%s: no event", what);
    if (!ev) return NULL;
    cl_command_type type = 0;
    CHECK(clGetEventInfo(ev, CL_EVENT_COMMAND_TYPE, sizeof type, &type, NULL) == CL_SUCCESS);
    CHECK_MSG(type == CL_COMMAND_NDRANGE_KERNEL, "%s: command type 0x%x", what, (unsigned)type);
    cl_command_queue q = NULL;
    CHECK(clGetEventInfo(ev, CL_EVENT_COMMAND_QUEUE, sizeof q, &q, NULL) == CL_SUCCESS);
    CHECK_MSG(q == winsum_context_queue(ctx), "%s: the event is of another queue", what);
    return ev;
}

/* Reads `bytes` of mem on queue q2, waiting on ev only; compares with want. */
static void read_after(cl_command_queue q2, cl_event ev, cl_mem mem, const float *want, int n,
                       const char *what)
{
    float *got = malloc(sizeof(float) * (size_t)n);
    if (!got) return;
    memset(got, 0xff, sizeof(float) * (size_t)n); /* NaN until read */
    cl_int err = clEnqueueReadBuffer(q2, mem, CL_TRUE, 0, sizeof(float) * (size_t)n, got,
                                     ev ? 1 : 0, ev ? &ev : NULL, NULL);
    CHECK_MSG(err == CL_SUCCESS, "%s: clEnqueueReadBuffer: %d", what, (int)err);
    cl_int status = 1;
    CHECK(clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, NULL) ==
          CL_SUCCESS);
    CHECK_MSG(status == CL_COMPLETE, "%s: after the read the event's status is %d", what,
              (int)status);
    double d = max_diff(got, want, n);
    printf("  %-16s read on a second queue after the event: max |diff| %.3g\n", what, d);
    CHECK_MSG(d < 1e-4, "%s: max |diff| %g", what, d);
    free(got);
}

/* One convolution call: 0 forward (with bias), 1 backward-data, 2
 * backward-weight; stride 2 for backward-data (several phases). */
static winsum_status conv_call(winsum_context *ctx, int op, const winsum_buffer *in0,
                               const winsum_buffer *in1, const winsum_buffer *bias,
                               const winsum_buffer *out)
{
    winsum_conv_desc d;
    winsum_conv_desc_init(&d);
    for (int i = 0; i < 2; i++) d.pad_lo[i] = d.pad_hi[i] = 1, d.stride[i] = op == 1 ? 2 : 1;
    int64_t ho = op == 1 ? H / 2 : H;
    int64_t xs[4] = {N, C, H, H}, ws[4] = {O, C, K, K}, ys[4] = {N, O, ho, ho}, bs[1] = {O};
    winsum_view x, w, y, b;
    if (op == 0) {
        x = winsum_view_contiguous(in0, WINSUM_F32, 4, xs);
        w = winsum_view_contiguous(in1, WINSUM_F32, 4, ws);
        b = winsum_view_contiguous(bias, WINSUM_F32, 1, bs);
        y = winsum_view_contiguous(out, WINSUM_F32, 4, ys);
        return winsum_conv_forward(ctx, &d, &x, &w, &b, &y, 1.0, 0.0);
    }
    if (op == 1) {
        y = winsum_view_contiguous(in0, WINSUM_F32, 4, ys);
        w = winsum_view_contiguous(in1, WINSUM_F32, 4, ws);
        x = winsum_view_contiguous(out, WINSUM_F32, 4, xs);
        return winsum_conv_backward_data(ctx, &d, &y, &w, &x, 1.0, 0.0);
    }
    x = winsum_view_contiguous(in0, WINSUM_F32, 4, xs);
    y = winsum_view_contiguous(in1, WINSUM_F32, 4, ys);
    w = winsum_view_contiguous(out, WINSUM_F32, 4, ws);
    return winsum_conv_backward_weight(ctx, &d, &x, &y, &w, 1.0, 0.0);
}

static const char *const op_name[3] = {"forward", "backward-data", "backward-weight"};
static const int out_n[3] = {N * O * H * H, N *C *H *H, O *C *K *K};

/* The three calls on the reference backend: want[op] */
static void reference(const host_case *hc, float *want[3])
{
    winsum_context *ref = NULL;
    CHECK_STATUS(winsum_context_create(&ref, WINSUM_BACKEND_REF, NULL), WINSUM_OK);
    if (!ref) return;
    host_case c = *hc;
    winsum_buffer x = winsum_buffer_host(c.x, sizeof c.x), w = winsum_buffer_host(c.w, sizeof c.w),
                  b = winsum_buffer_host(c.b, sizeof c.b),
                  gy = winsum_buffer_host(c.gy, sizeof c.gy);
    for (int op = 0; op < 3; op++) {
        winsum_buffer o = winsum_buffer_host(want[op], sizeof(float) * (size_t)out_n[op]);
        CHECK_STATUS(conv_call(ref, op, op == 1 ? &gy : &x,
                               op == 0   ? &w
                               : op == 1 ? &w
                                         : &gy,
                               &b, &o),
                     WINSUM_OK);
        /* the reference backend enqueues no kernel */
        cl_event ev = (cl_event)&ev;
        CHECK_STATUS(winsum_last_event(ref, &ev), WINSUM_OK);
        CHECK_MSG(ev == NULL, "reference %s: an event", op_name[op]);
    }
    winsum_context_destroy(ref);
}

static void opencl(const host_case *hc, float *want[3])
{
    winsum_context *ctx = NULL;
    if (winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL) != WINSUM_OK) {
        printf("no OpenCL context (%s): OpenCL part not run\n", winsum_last_error(NULL));
        return;
    }
    printf("device: %s\n", winsum_context_device_name(ctx));
    cl_event ev = (cl_event)&ev;
    CHECK_STATUS(winsum_last_event(ctx, &ev), WINSUM_OK);
    CHECK_MSG(ev == NULL, "an event before any call");
    cl_int err;
    cl_device_id dev = NULL;
    clGetCommandQueueInfo(winsum_context_queue(ctx), CL_QUEUE_DEVICE, sizeof dev, &dev, NULL);
    /* a second queue, not ordered with winsum's: only the event orders the read */
    cl_command_queue q2 = clCreateCommandQueue(winsum_context_cl(ctx), dev, 0, &err);
    CHECK(q2 != NULL);
    winsum_buffer x, w, b, gy, out[3];
    CHECK_STATUS(winsum_buffer_alloc(ctx, sizeof hc->x, &x), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_alloc(ctx, sizeof hc->w, &w), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_alloc(ctx, sizeof hc->b, &b), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_alloc(ctx, sizeof hc->gy, &gy), WINSUM_OK);
    for (int op = 0; op < 3; op++)
        CHECK_STATUS(winsum_buffer_alloc(ctx, sizeof(float) * (size_t)out_n[op], &out[op]),
                     WINSUM_OK);
    CHECK_STATUS(winsum_buffer_write(ctx, &x, 0, hc->x, sizeof hc->x), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_write(ctx, &w, 0, hc->w, sizeof hc->w), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_write(ctx, &b, 0, hc->b, sizeof hc->b), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_write(ctx, &gy, 0, hc->gy, sizeof hc->gy), WINSUM_OK);
    CHECK_STATUS(winsum_finish(ctx), WINSUM_OK);

    cl_event prev = NULL;
    for (int op = 0; op < 3 && q2; op++) {
        CHECK_STATUS(conv_call(ctx, op, op == 1 ? &gy : &x,
                               op == 0   ? &w
                               : op == 1 ? &w
                                         : &gy,
                               &b, &out[op]),
                     WINSUM_OK);
        /* no finish: the event alone orders the read */
        cl_event e = kernel_event(ctx, op_name[op]);
        if (!e) continue;
        CHECK_MSG(e != prev, "%s: the previous call's event again", op_name[op]);
        read_after(q2, e, out[op].mem, want[op], out_n[op], op_name[op]);
        CHECK(clWaitForEvents(1, &e) == CL_SUCCESS);
        /* a transfer is no computing call: the event stays */
        float one = 0;
        CHECK_STATUS(winsum_buffer_read(ctx, &x, 0, &one, sizeof one), WINSUM_OK);
        cl_event again = NULL;
        CHECK_STATUS(winsum_last_event(ctx, &again), WINSUM_OK);
        CHECK_MSG(again == e, "%s: a buffer read changed the event", op_name[op]);
        if (again) clReleaseEvent(again);
        if (prev) clReleaseEvent(prev);
        prev = e; /* kept across the next call: the caller's reference */
    }
    /* the caller's reference outlives the context's */
    if (prev) {
        cl_int status = 1;
        CHECK(clGetEventInfo(prev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status,
                             NULL) == CL_SUCCESS &&
              status == CL_COMPLETE);
    }

    /* a failed call leaves no event (nothing was written) */
    winsum_conv_desc d;
    winsum_conv_desc_init(&d);
    int64_t xs[4] = {N, C, H, H}, bad[4] = {O, C + 1, K, K}, ys[4] = {N, O, H - 2, H - 2};
    winsum_view xv = winsum_view_contiguous(&x, WINSUM_F32, 4, xs),
                wv = winsum_view_contiguous(&w, WINSUM_F32, 4, bad),
                yv = winsum_view_contiguous(&out[0], WINSUM_F32, 4, ys);
    CHECK(winsum_conv_forward(ctx, &d, &xv, &wv, NULL, &yv, 1.0, 0.0) != WINSUM_OK);
    ev = (cl_event)&ev;
    CHECK_STATUS(winsum_last_event(ctx, &ev), WINSUM_OK);
    CHECK_MSG(ev == NULL, "an event after a failed call");

    /* an empty output: no kernel, no event */
    int64_t as[2] = {0, 4}, bs[2] = {4, 3}, cs[2] = {0, 3};
    winsum_view ops[2] = {winsum_view_contiguous(&x, WINSUM_F32, 2, as),
                          winsum_view_contiguous(&w, WINSUM_F32, 2, bs)};
    winsum_view cv = winsum_view_contiguous(&out[0], WINSUM_F32, 2, cs);
    CHECK_STATUS(conv_call(ctx, 0, &x, &w, &b, &out[0]), WINSUM_OK); /* an event first */
    CHECK_STATUS(winsum_einsum(ctx, "ij,jk->ik", 2, ops, &cv, 1.0, 0.0), WINSUM_OK);
    ev = (cl_event)&ev;
    CHECK_STATUS(winsum_last_event(ctx, &ev), WINSUM_OK);
    CHECK_MSG(ev == NULL, "an event after an empty einsum");

    /* winsum_plan_execute's own event is the one winsum_last_event gives */
    int64_t ms[2] = {4, 6}, ns[2] = {6, 3}, os[2] = {4, 3};
    winsum_view pops[2] = {winsum_view_contiguous(&x, WINSUM_F32, 2, ms),
                           winsum_view_contiguous(&w, WINSUM_F32, 2, ns)};
    winsum_view pout = winsum_view_contiguous(&out[0], WINSUM_F32, 2, os);
    winsum_plan *plan = NULL;
    CHECK_STATUS(winsum_plan_create(ctx, &plan, "ij,jk->ik", 2, pops, &pout), WINSUM_OK);
    cl_event pe = NULL, le = NULL;
    CHECK_STATUS(winsum_plan_execute(plan, NULL, NULL, 1.0, 0.0, &pe), WINSUM_OK);
    CHECK_STATUS(winsum_last_event(ctx, &le), WINSUM_OK);
    CHECK_MSG(pe != NULL && pe == le, "plan_execute's event %p, winsum_last_event's %p", (void *)pe,
              (void *)le);
    if (pe) CHECK(clWaitForEvents(1, &pe) == CL_SUCCESS);
    if (pe) clReleaseEvent(pe);
    if (le) clReleaseEvent(le);
    winsum_plan_destroy(plan);

    /* NULL arguments */
    CHECK_STATUS(winsum_last_event(ctx, NULL), WINSUM_ERR_ARGUMENT);
    CHECK(strstr(winsum_last_error(ctx), "winsum_last_event") != NULL);

    winsum_buffer_free(ctx, &x);
    winsum_buffer_free(ctx, &w);
    winsum_buffer_free(ctx, &b);
    winsum_buffer_free(ctx, &gy);
    for (int op = 0; op < 3; op++) winsum_buffer_free(ctx, &out[op]);
    winsum_context_destroy(ctx);
    if (prev) {
        /* still the caller's after the context is gone */
        cl_command_type type = 0;
        CHECK(clGetEventInfo(prev, CL_EVENT_COMMAND_TYPE, sizeof type, &type, NULL) == CL_SUCCESS &&
              type == CL_COMMAND_NDRANGE_KERNEL);
        clReleaseEvent(prev);
    }
    if (q2) clReleaseCommandQueue(q2);
}

/* The trace on a caller's queue (winsum_context_create_cl) under
 * WINSUM_VERBOSE=2, into WINSUM_VERBOSE_FILE: a queue without profiling
 * gives "kernels:n/a (queue without profiling)", one with it the kernels'
 * times. The variables are read at creation: a context made after they are
 * unset writes nothing. */
static void caller_queue_trace(void)
{
    char path[] = "/tmp/winsum_test_events_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    close(fd);
    cl_device_id dev;
    cl_int err;
    cl_context cc = tu_own_cl_context(&dev);
    CHECK(cc != NULL);
    static const char *const want[3] = {"kernels:n/a (queue without profiling),",
                                        "kernels:gett=", NULL};
    for (int pass = 0; pass < 3 && cc; pass++) {
        if (pass < 2) {
            setenv("WINSUM_VERBOSE", "2", 1);
            setenv("WINSUM_VERBOSE_FILE", path, 1);
        }
        cl_command_queue q =
            clCreateCommandQueue(cc, dev, pass == 1 ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
        winsum_context *ctx = NULL;
        CHECK_STATUS(winsum_context_create_cl(&ctx, cc, q), WINSUM_OK);
        unsetenv("WINSUM_VERBOSE");
        unsetenv("WINSUM_VERBOSE_FILE");
        FILE *f = fopen(path, "w"); /* empty it */
        if (f) fclose(f);
        winsum_buffer a, o;
        CHECK_STATUS(winsum_buffer_alloc(ctx, 64 * sizeof(float), &a), WINSUM_OK);
        CHECK_STATUS(winsum_buffer_alloc(ctx, 16 * sizeof(float), &o), WINSUM_OK);
        int64_t as[2] = {4, 4}, os[2] = {4, 4};
        winsum_view ops[2] = {winsum_view_contiguous(&a, WINSUM_F32, 2, as),
                              winsum_view_contiguous(&a, WINSUM_F32, 2, as)};
        winsum_view ov = winsum_view_contiguous(&o, WINSUM_F32, 2, os);
        CHECK_STATUS(winsum_einsum(ctx, "ij,jk->ik", 2, ops, &ov, 1.0, 0.0), WINSUM_OK);
        CHECK_STATUS(winsum_finish(ctx), WINSUM_OK);
        char line[8192] = "";
        int lines = 0;
        f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f)) lines++;
        if (f) fclose(f);
        line[strcspn(line, "\n")] = 0;
        printf("  caller's queue, pass %d: %d line(s)%s%.160s\n", pass, lines, lines ? ": " : "",
               lines ? strstr(line, "kernels:") ? strstr(line, "kernels:") : line : "");
        if (!want[pass]) {
            CHECK_MSG(lines == 0, "created with the variables unset, the context traced");
        } else {
            CHECK_MSG(lines == 1 && strncmp(line, "winsum_verbose,exec,einsum,", 27) == 0,
                      "pass %d: %d lines", pass, lines);
            CHECK_MSG(strstr(line, want[pass]) != NULL, "pass %d: no '%s' in %s", pass, want[pass],
                      line);
        }
        winsum_buffer_free(ctx, &a);
        winsum_buffer_free(ctx, &o);
        winsum_context_destroy(ctx);
        if (q) clReleaseCommandQueue(q);
    }
    if (cc) clReleaseContext(cc);
    remove(path);
}

static void tune_keeps_event(void)
{
    const char *prev = getenv("WINSUM_CACHE_DIR");
    char *saved = prev ? strdup(prev) : NULL;
    setenv("WINSUM_CACHE_DIR", "off", 1); /* the tuner's result: this context's only */
    winsum_context *ctx = NULL;
    CHECK_STATUS(winsum_context_create(&ctx, WINSUM_BACKEND_OPENCL, NULL), WINSUM_OK);
    if (saved) setenv("WINSUM_CACHE_DIR", saved, 1);
    else unsetenv("WINSUM_CACHE_DIR");
    free(saved);
    if (!ctx) return;
    winsum_buffer a, o;
    CHECK_STATUS(winsum_buffer_alloc(ctx, 64 * sizeof(float), &a), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_alloc(ctx, 64 * sizeof(float), &o), WINSUM_OK);
    int64_t sh[2] = {8, 8};
    winsum_view ops[2] = {winsum_view_contiguous(&a, WINSUM_F32, 2, sh),
                          winsum_view_contiguous(&a, WINSUM_F32, 2, sh)};
    winsum_view ov = winsum_view_contiguous(&o, WINSUM_F32, 2, sh);
    CHECK_STATUS(winsum_einsum(ctx, "ij,jk->ik", 2, ops, &ov, 1.0, 0.0), WINSUM_OK);
    cl_event before = kernel_event(ctx, "einsum before winsum_tune"), after = NULL;
    CHECK_STATUS(winsum_tune(ctx, 1, 1, NULL, NULL), WINSUM_OK);
    CHECK_STATUS(winsum_last_event(ctx, &after), WINSUM_OK);
    CHECK_MSG(after == before, "winsum_tune replaced winsum_last_event (%p, was %p)", (void *)after,
              (void *)before);
    printf("  winsum_tune: winsum_last_event %s\n",
           after == before ? "kept" : "replaced by a trial's");
    if (after) clReleaseEvent(after);
    /* the next call records its own */
    CHECK_STATUS(winsum_einsum(ctx, "ij,jk->ik", 2, ops, &ov, 1.0, 0.0), WINSUM_OK);
    cl_event next = kernel_event(ctx, "einsum after winsum_tune");
    CHECK_MSG(next && next != before, "the call after winsum_tune recorded no event of its own");
    if (next) clReleaseEvent(next);
    if (before) clReleaseEvent(before);
    winsum_buffer_free(ctx, &a);
    winsum_buffer_free(ctx, &o);
    winsum_context_destroy(ctx);
}

/* Reads the trace file: the number of '\n', and whether any other byte
 * is a control character; the first line in `line`. */
static void read_trace(const char *path, int *lines, int *controls, char *line, size_t len)
{
    *lines = *controls = 0;
    line[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return;
    size_t n = 0;
    int ch;
    while ((ch = fgetc(f)) != EOF) {
        if (ch == '\n') ++*lines;
        else if (ch < 0x20 || ch == 0x7f) ++*controls;
        if (*lines == 0 && n + 1 < len) line[n++] = (char)ch;
    }
    line[n] = 0;
    fclose(f);
}

static void forged_line(winsum_backend be)
{
    const char *name = be == WINSUM_BACKEND_REF ? "reference" : "opencl";
    char path[] = "/tmp/winsum_test_events_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    close(fd);
    setenv("WINSUM_VERBOSE", "1", 1);
    setenv("WINSUM_VERBOSE_FILE", path, 1);
    winsum_context *ctx = NULL;
    CHECK_STATUS(winsum_context_create(&ctx, be, NULL), WINSUM_OK);
    unsetenv("WINSUM_VERBOSE");
    unsetenv("WINSUM_VERBOSE_FILE");
    if (!ctx) return;
    static const char *const subs[3] = {
        "ij,jk->ik\nwinsum_verbose,exec,einsum,ref,forged,WINSUM_OK,subs:ij->ij",
        "ij,\rjk->ik\t\x7f", "ij,jk->ik\x1b[2K\x0b\x0c"};
    winsum_buffer a, o;
    CHECK_STATUS(winsum_buffer_alloc(ctx, 16 * sizeof(float), &a), WINSUM_OK);
    CHECK_STATUS(winsum_buffer_alloc(ctx, 16 * sizeof(float), &o), WINSUM_OK);
    int64_t sh[2] = {4, 4};
    winsum_view ops[2] = {winsum_view_contiguous(&a, WINSUM_F32, 2, sh),
                          winsum_view_contiguous(&a, WINSUM_F32, 2, sh)};
    winsum_view ov = winsum_view_contiguous(&o, WINSUM_F32, 2, sh);
    for (int i = 0; i < 3; i++) {
        FILE *f = fopen(path, "w"); /* empty it */
        if (f) fclose(f);
        CHECK_STATUS(winsum_einsum(ctx, subs[i], 2, ops, &ov, 1.0, 0.0), WINSUM_ERR_SUBSCRIPTS);
        char line[8192];
        int lines, controls;
        read_trace(path, &lines, &controls, line, sizeof line);
        printf("  %s, rejected subscripts %d: %d line(s), %d control character(s)\n", name, i,
               lines, controls);
        CHECK_MSG(lines == 1 && controls == 0, "%s, subscripts %d: %d lines, %d control bytes: %s",
                  name, i, lines, controls, line);
        CHECK_MSG(strncmp(line, "winsum_verbose,exec,einsum,", 27) == 0 &&
                      strstr(line, ",WINSUM_ERR_SUBSCRIPTS,") != NULL,
                  "%s, subscripts %d: %s", name, i, line);
    }
    winsum_buffer_free(ctx, &a);
    winsum_buffer_free(ctx, &o);
    winsum_context_destroy(ctx);
    remove(path);
}

int main(void)
{
    uint64_t rng = tu_seed(12);
    static host_case hc;
    fill(hc.x, N * C * H * H, &rng);
    fill(hc.w, O * C * K * K, &rng);
    fill(hc.b, O, &rng);
    fill(hc.gy, N * O * H * H, &rng);
    float *want[3];
    for (int op = 0; op < 3; op++) want[op] = calloc((size_t)out_n[op], sizeof(float));
    reference(&hc, want);
    cl_event ev = (cl_event)&ev;
    CHECK_STATUS(winsum_last_event(NULL, &ev), WINSUM_ERR_ARGUMENT);
    CHECK_STATUS(winsum_last_event(NULL, NULL), WINSUM_ERR_ARGUMENT);
    forged_line(WINSUM_BACKEND_REF);
    if (winsum_device_count() > 0) {
        opencl(&hc, want);
        caller_queue_trace();
        forged_line(WINSUM_BACKEND_OPENCL);
        tune_keeps_event();
    } else printf("no OpenCL device: the reference backend only\n");
    for (int op = 0; op < 3; op++) free(want[op]);
    return tu_finish("test_events");
}
