/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/* status.c - status names, the error sink, checked arithmetic, the version,
 * and the check of alpha and beta that both backends make. */
#include "internal.h"
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[WINSUM_STATUS_COUNT_] = {
    "WINSUM_OK",           "WINSUM_ERR_ARGUMENT",   "WINSUM_ERR_SUBSCRIPTS", "WINSUM_ERR_SHAPE",
    "WINSUM_ERR_BOUNDS",   "WINSUM_ERR_OVERLAP",    "WINSUM_ERR_ALIAS",      "WINSUM_ERR_DTYPE",
    "WINSUM_ERR_OVERFLOW", "WINSUM_ERR_CONV",       "WINSUM_ERR_MEMORY",     "WINSUM_ERR_OPENCL",
    "WINSUM_ERR_BUILD",    "WINSUM_ERR_NO_DEVICE",  "WINSUM_ERR_IO",         "WINSUM_ERR_FORMAT",
    "WINSUM_ERR_CONTEXT",  "WINSUM_ERR_UNSUPPORTED"};

const char *winsum_status_string(winsum_status status)
{
    if ((int)status < 0 || status >= WINSUM_STATUS_COUNT_) return "WINSUM_ERR_UNKNOWN";
    return status_names[status];
}

int winsum_version_number(void) { return WINSUM_VERSION_NUMBER; }

const char *winsum_version_string(void)
{
#define WS_STR2(x) #x
#define WS_STR(x)  WS_STR2(x)
    return WS_STR(WINSUM_VERSION_MAJOR) "." WS_STR(WINSUM_VERSION_MINOR) "." WS_STR(
        WINSUM_VERSION_PATCH);
}

size_t winsum_dtype_size(winsum_dtype dtype)
{
    switch (dtype) {
    case WINSUM_F32: return 4;
    case WINSUM_F64: return 8;
    case WINSUM_F16: return 2;
    }
    return 0;
}

uint16_t winsum_f16_from_double(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    const uint16_t sign = (uint16_t)((b >> 48) & 0x8000);
    if (x != x) return (uint16_t)(sign | 0x7e00);
    double a = fabs(x);
    if (a == INFINITY) return (uint16_t)(sign | 0x7c00);
    if (a < 0x1p-14) /* subnormal (or the smallest normal, 1024 << 0) */
        return (uint16_t)(sign | (uint16_t)nearbyint(a * 0x1p24));
    int ex;
    frexp(a, &ex); /* a = f * 2^ex, f in [0.5, 1) */
    int e = ex - 1;
    double q = nearbyint(ldexp(a, 10 - e)); /* 1024 .. 2048, exact scaling */
    if (q == 2048) {
        q = 1024;
        e++;
    }
    if (e > 15) return (uint16_t)(sign | 0x7c00);
    return (uint16_t)(sign | (uint16_t)((e + 15) << 10) | (uint16_t)(q - 1024));
}

double winsum_f16_to_double(uint16_t h)
{
    const int e = (h >> 10) & 31, m = h & 1023;
    double v;
    if (e == 0) v = ldexp(m, -24);
    else if (e == 31) v = m ? NAN : INFINITY;
    else v = ldexp(m + 1024, e - 25);
    return (h & 0x8000) ? -v : v;
}

/* Each thread's last message per context, for the last few contexts it had
 * errors in (a context shared by threads keeps one message per thread). */
#define WS_THREAD_SLOTS 4
static _Thread_local struct {
    uint64_t owner;
    char msg[sizeof(((ws_error *)0)->msg)];
} thread_errors[WS_THREAD_SLOTS];
static _Thread_local unsigned thread_next;

winsum_status ws_fail(ws_error *e, winsum_status status, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->status = status;
        if (e->owner) {
            int i = 0;
            while (i < WS_THREAD_SLOTS && thread_errors[i].owner != e->owner) i++;
            if (i == WS_THREAD_SLOTS) i = (int)(thread_next++ % WS_THREAD_SLOTS);
            thread_errors[i].owner = e->owner;
            memcpy(thread_errors[i].msg, e->msg, sizeof e->msg);
        }
    }
    return status;
}

const char *ws_thread_error(uint64_t owner)
{
    for (int i = 0; owner && i < WS_THREAD_SLOTS; i++)
        if (thread_errors[i].owner == owner) return thread_errors[i].msg;
    return NULL;
}

void ws_error_copy(const ws_error *e, char *msg, size_t len)
{
    if (msg && len) snprintf(msg, len, "%s", e->msg);
}

int ws_mul_ovf(int64_t a, int64_t b, int64_t *r) { return __builtin_mul_overflow(a, b, r); }
int ws_add_ovf(int64_t a, int64_t b, int64_t *r) { return __builtin_add_overflow(a, b, r); }

winsum_status ws_check_scalars(double alpha, double beta, winsum_dtype dt, const char *who,
                               ws_error *e)
{
    /* The kernels compute in float for float32 and float16, where a double
     * scalar converts to 0 (1e-50: beta == 0 would skip reading the output)
     * or to inf (1e300), while the reference path computes in double: so a
     * nonzero scalar must be a normal number of the arithmetic type, and
     * then both backends give the same results. Subnormals are refused too,
     * since a device may flush them to zero. */
    const int f64 = dt == WINSUM_F64;
    const double lo = f64 ? DBL_MIN : FLT_MIN, hi = f64 ? DBL_MAX : FLT_MAX;
    const double v[2] = {alpha, beta};
    for (int i = 0; i < 2; i++) {
        const char *name = i ? "beta" : "alpha";
        if (!isfinite(v[i]))
            return ws_fail(e, WINSUM_ERR_ARGUMENT, "%s: %s = %g; alpha and beta must be finite",
                           who, name, v[i]);
        if (v[i] != 0 && (fabs(v[i]) < lo || fabs(v[i]) > hi))
            return ws_fail(e, WINSUM_ERR_ARGUMENT,
                           "%s: %s = %g is outside the range of %s arithmetic (0, or a magnitude "
                           "from %g to %g)",
                           who, name, v[i],
                           f64                ? "float64"
                           : dt == WINSUM_F16 ? "float32 (float16's)"
                                              : "float32",
                           lo, hi);
    }
    return WINSUM_OK;
}
