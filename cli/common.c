/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * common.c - what every `winsum` subcommand shares: one-line error reports,
 * the list and backend arguments, and the job (the arrays a command read,
 * its context and buffers; the output written only once everything ran).
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- messages */

/* Prints "who: <formatted>" as one line on stderr (newlines in messages,
 * e.g. build logs, become "; ") and returns code. */
int report(int code, const char *who, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int report(int code, const char *who, const char *fmt, ...)
{
    char line[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
        line[--n] = 0;
    fprintf(stderr, "%s: ", who);
    for (const char *p = line; *p; p++) {
        if (*p == '\n') fputs("; ", stderr);
        else if (*p != '\r') fputc(*p, stderr);
    }
    fputc('\n', stderr);
    return code;
}

/* A library failure: "who: WINSUM_ERR_X: message". */
int report_status(const char *who, winsum_status st, const char *msg)
{
    if (msg && *msg) return report(EXIT_INPUT, who, "%s: %s", winsum_status_string(st), msg);
    return report(EXIT_INPUT, who, "%s", winsum_status_string(st));
}

/* ------------------------------------------------------ argument parsing */

/* The help text of a command on stdout; exit 0. */
int help(const char *text) { return fputs(text, stdout) == EOF; }

/* A decimal integer >= 0 spanning [s, end). */
int parse_count(const char *s, const char *end, int64_t *v)
{
    if (s == end || *s < '0' || *s > '9') return -1;
    int64_t r = 0;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9') return -1;
        if (r > (INT64_MAX - 9) / 10) return -1;
        r = r * 10 + (*s - '0');
    }
    *v = r;
    return 0;
}

/* A comma-separated list of integers >= 0 (at most max). With hi != NULL an
 * entry may be "LO:HI"; a plain entry sets hi = lo. Returns the count, or -1
 * for a malformed list. */
int cli_parse_list(const char *s, int max, int64_t *lo, int64_t *hi)
{
    int n = 0;
    for (;;) {
        const char *end = strchr(s, ',');
        if (!end) end = s + strlen(s);
        if (n == max) return -1;
        const char *colon = memchr(s, ':', (size_t)(end - s));
        if (colon && !hi) return -1;
        if (colon) {
            if (parse_count(s, colon, &lo[n]) || parse_count(colon + 1, end, &hi[n])) return -1;
        } else {
            if (parse_count(s, end, &lo[n])) return -1;
            if (hi) hi[n] = lo[n];
        }
        n++;
        if (!*end) return n;
        s = end + 1;
    }
}

int parse_backend(const char *who, const char *s, winsum_backend *b)
{
    if (!s || strcmp(s, "auto") == 0) *b = WINSUM_BACKEND_AUTO;
    else if (strcmp(s, "opencl") == 0) *b = WINSUM_BACKEND_OPENCL;
    else if (strcmp(s, "ref") == 0) *b = WINSUM_BACKEND_REF;
    else return report(EXIT_USAGE, who, "unknown backend '%s' (opencl, ref or auto)", s);
    return 0;
}

/* ------------------------------------------------------------- the job */

void job_free(job *j)
{
    for (int i = 0; i < j->nbuf; i++) winsum_buffer_free(j->ctx, &j->buf[i]);
    for (int i = 0; i < j->narr; i++) ws_npy_free(&j->arr[i]);
    winsum_context_destroy(j->ctx);
    memset(j, 0, sizeof *j);
}

/* Reads a .npy file; returns its array, or NULL after reporting. */
ws_npy *job_load(job *j, const char *path)
{
    if (j->narr == MAX_ARRAYS) {
        report(EXIT_INPUT, j->who, "too many arrays (at most %d)", MAX_ARRAYS);
        return NULL;
    }
    ws_npy *a = &j->arr[j->narr];
    ws_error e = {0};
    winsum_status st = ws_npy_read(path, a, &e);
    if (st) {
        report_status(j->who, st, e.msg);
        return NULL;
    }
    j->narr++;
    return a;
}

/* The output dtype is the widest of the inputs' (numpy's promotion among
 * float16 < float32 < float64); narrower inputs are converted element by
 * element (same layout, so the strides still hold). */
int dtype_rank(winsum_dtype d) { return d == WINSUM_F16 ? 0 : d == WINSUM_F32 ? 1 : 2; }

int job_unify(job *j)
{
    j->dtype = j->narr ? j->arr[0].dtype : WINSUM_F32;
    for (int i = 1; i < j->narr; i++)
        if (dtype_rank(j->arr[i].dtype) > dtype_rank(j->dtype)) j->dtype = j->arr[i].dtype;
    const size_t to = winsum_dtype_size(j->dtype);
    for (int i = 0; i < j->narr; i++) {
        ws_npy *a = &j->arr[i];
        if (a->dtype == j->dtype) continue;
        size_t n = a->bytes / winsum_dtype_size(a->dtype);
        void *d = malloc(n ? n * to : 1);
        if (!d) return report(EXIT_INPUT, j->who, "out of host memory");
        for (size_t k = 0; k < n; k++) /* widening: exact */
            ws_store_elem(d, j->dtype, (int64_t)k, ws_load_elem(a->data, a->dtype, (int64_t)k));
        free(a->data);
        a->data = d;
        a->bytes = n * to;
        a->dtype = j->dtype;
    }
    return 0;
}

/* Creates the context the options ask for. */
int job_context(job *j, const common_opts *c)
{
    winsum_backend backend = WINSUM_BACKEND_AUTO;
    if (parse_backend(j->who, c->backend, &backend)) return EXIT_USAGE;
    winsum_status st = winsum_context_create(&j->ctx, backend, c->device);
    if (st == WINSUM_ERR_NO_DEVICE) {
        const char *spec = c->device ? c->device : getenv("WINSUM_DEVICE");
        if (spec && *spec)
            return report(EXIT_INPUT, j->who,
                          "%s: no OpenCL device matches '%s' (see winsum "
                          "devices)",
                          winsum_status_string(st), spec);
        return report_status(j->who, st, "no OpenCL device found (try --backend ref)");
    }
    if (st) return report_status(j->who, st, winsum_last_error(NULL));
    if (backend == WINSUM_BACKEND_AUTO && winsum_context_backend(j->ctx) == WINSUM_BACKEND_REF &&
        winsum_device_count() == 0)
        fprintf(stderr, "winsum: no OpenCL device, using the reference backend\n");
    if (!winsum_context_has_dtype(j->ctx, j->dtype))
        return report_status(j->who, WINSUM_ERR_DTYPE,
                             "the device has no float64 support (try --backend ref)");
    return 0;
}

int job_fail(job *j, winsum_status st)
{
    return report_status(j->who, st, winsum_last_error(j->ctx));
}

int job_check(job *j, winsum_status st) { return st ? job_fail(j, st) : 0; }

/* A new buffer of the context's kind, remembered for job_free(). */
int job_buffer(job *j, size_t bytes, winsum_buffer **b)
{
    *b = &j->buf[j->nbuf];
    winsum_status st = winsum_buffer_alloc(j->ctx, bytes, *b);
    if (st) return job_fail(j, st);
    j->nbuf++;
    return 0;
}

/* Uploads a's raw bytes and makes a view with the file's strides (a Fortran
 * array stays column-major: a strided view, not a copy). */
int job_upload(job *j, const ws_npy *a, winsum_view *v)
{
    winsum_buffer *b;
    int rc = job_buffer(j, a->bytes, &b);
    if (rc) return rc;
    winsum_status st = winsum_buffer_write(j->ctx, b, 0, a->data, a->bytes);
    if (st) return job_fail(j, st);
    *v = winsum_view_strided(b, a->dtype, 0, a->ndim, a->shape, a->strides);
    return 0;
}

/* A contiguous output buffer and view of the given shape. */
int job_output(job *j, int ndim, const int64_t *shape, winsum_view *v)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0 || __builtin_mul_overflow(n, shape[i], &n))
            return report_status(j->who, WINSUM_ERR_OVERFLOW, "the output shape is too large");
    size_t esize = winsum_dtype_size(j->dtype);
    if ((uint64_t)n > SIZE_MAX / esize)
        return report_status(j->who, WINSUM_ERR_OVERFLOW, "the output shape is too large");
    winsum_buffer *b;
    int rc = job_buffer(j, (size_t)n * esize, &b);
    if (rc) return rc;
    *v = winsum_view_contiguous(b, j->dtype, ndim, shape);
    return 0;
}

/* Reads the computed output back and writes it to path. */
int job_save(job *j, const winsum_view *v, const char *path)
{
    size_t bytes = v->buffer->bytes;
    void *host = malloc(bytes ? bytes : 1);
    if (!host) return report(EXIT_INPUT, j->who, "out of host memory");
    winsum_status st = winsum_buffer_read(j->ctx, v->buffer, 0, host, bytes);
    if (st) {
        free(host);
        return job_fail(j, st);
    }
    ws_error e = {0};
    st = ws_npy_write(path, v->dtype, v->ndim, v->shape, host, &e);
    free(host);
    if (st) return report_status(j->who, st, e.msg);
    return 0;
}
