/* status.c - status names, the error sink, checked arithmetic, version. */
#include "internal.h"
#include <stdio.h>
#include <string.h>

static const char *const status_names[WINSUM_STATUS_COUNT_] = {
    "WINSUM_OK",          "WINSUM_ERR_ARGUMENT",   "WINSUM_ERR_SUBSCRIPTS", "WINSUM_ERR_SHAPE",
    "WINSUM_ERR_BOUNDS",  "WINSUM_ERR_OVERLAP",    "WINSUM_ERR_ALIAS",      "WINSUM_ERR_DTYPE",
    "WINSUM_ERR_OVERFLOW", "WINSUM_ERR_CONV",      "WINSUM_ERR_MEMORY",     "WINSUM_ERR_OPENCL",
    "WINSUM_ERR_BUILD",   "WINSUM_ERR_NO_DEVICE",  "WINSUM_ERR_IO",         "WINSUM_ERR_FORMAT",
    "WINSUM_ERR_CONTEXT", "WINSUM_ERR_UNSUPPORTED"};

const char *winsum_status_string(winsum_status status)
{
    if ((int)status < 0 || status >= WINSUM_STATUS_COUNT_) return "WINSUM_ERR_UNKNOWN";
    return status_names[status];
}

int winsum_version_number(void) { return WINSUM_VERSION_NUMBER; }

const char *winsum_version_string(void)
{
#define WS_STR2(x) #x
#define WS_STR(x) WS_STR2(x)
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

winsum_status ws_fail(ws_error *e, winsum_status status, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->status = status;
    }
    return status;
}

void ws_error_copy(const ws_error *e, char *msg, size_t len)
{
    if (msg && len) snprintf(msg, len, "%s", e->msg);
}

int ws_mul_ovf(int64_t a, int64_t b, int64_t *r) { return __builtin_mul_overflow(a, b, r); }
int ws_add_ovf(int64_t a, int64_t b, int64_t *r) { return __builtin_add_overflow(a, b, r); }
