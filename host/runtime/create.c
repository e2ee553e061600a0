/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * create.c - what creates and destroys a context: device choice, the OpenCL
 * context and queue (own or the caller's), the reference count that plans
 * hold, what higher layers attach. It sits above the rest of the runtime,
 * whose parts (gate, programs, tile parameters, trace) it sets up and frees;
 * the base helpers it uses are context.c's.
 */
#include "backend.h"
#include "params.h"
#include "program.h"
#include "trace.h"
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The new context's lock, its user reference and its error sink's id (an id
 * is never reused, so that a thread's message of a destroyed context is not
 * taken for one of a new context at the same address). */
static int context_init(winsum_context *ctx)
{
    static atomic_uint_fast64_t next_id;
    pthread_mutexattr_t a;
    if (pthread_mutexattr_init(&a)) return 1;
    int bad = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE) ||
              pthread_mutex_init(&ctx->lock, &a);
    pthread_mutexattr_destroy(&a);
    if (bad) return 1;
    ctx->refs = 1;
    ctx->err.owner = (uint64_t)atomic_fetch_add(&next_id, 1) + 1;
    return 0;
}

/* A context whose creation failed after context_init. */
static void context_discard(winsum_context *ctx)
{
    ws_trace_close(ctx);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

/* Frees what the context owns; no reference is left. */
static void context_free(winsum_context *ctx)
{
    for (int i = 0; i < ctx->nprograms; i++) {
        clReleaseKernel(ctx->programs[i].kernel);
        clReleaseProgram(ctx->programs[i].program);
        free(ctx->programs[i].key_text);
    }
    free(ctx->programs);
    free(ctx->gate_events); /* none held: every gate was closed */
    if (ctx->queue) clFinish(ctx->queue);
    ws_trace_close(ctx); /* its events, before their queue */
    if (ctx->queue) clReleaseCommandQueue(ctx->queue);
    if (ctx->cl) clReleaseContext(ctx->cl);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

void ws_context_retain(winsum_context *ctx)
{
    ws_lock(ctx);
    ctx->refs++;
    ws_unlock(ctx);
}

void ws_context_release(winsum_context *ctx)
{
    ws_lock(ctx);
    int last = --ctx->refs == 0;
    ws_unlock(ctx);
    if (last) context_free(ctx);
}

/* ----------------------------------------------------------- devices */

typedef struct dev_entry {
    cl_platform_id platform;
    cl_device_id device;
    cl_device_type type;
    char name[512];
} dev_entry;

/* The ICD loader initialises itself on the first clGetPlatformIDs, and
 * ocl-icd does that without a lock: enumeration is serialised here. */
static pthread_mutex_t enum_lock = PTHREAD_MUTEX_INITIALIZER;

static int list_devices_locked(dev_entry *out, int cap);

/* All devices of all platforms; returns the count (0 when there is no ICD). */
static int list_devices(dev_entry *out, int cap)
{
    pthread_mutex_lock(&enum_lock);
    int n = list_devices_locked(out, cap);
    pthread_mutex_unlock(&enum_lock);
    return n;
}

static int list_devices_locked(dev_entry *out, int cap)
{
    cl_uint np = 0;
    cl_platform_id plats[16];
    if (clGetPlatformIDs(16, plats, &np) != CL_SUCCESS) return 0;
    int n = 0;
    for (cl_uint p = 0; p < np && p < 16; p++) {
        char pname[200] = "";
        clGetPlatformInfo(plats[p], CL_PLATFORM_NAME, sizeof pname - 1, pname, NULL);
        cl_uint nd = 0;
        cl_device_id devs[32];
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 32, devs, &nd) != CL_SUCCESS) continue;
        for (cl_uint d = 0; d < nd && d < 32 && n < cap; d++) {
            char dname[200] = "";
            clGetDeviceInfo(devs[d], CL_DEVICE_NAME, sizeof dname - 1, dname, NULL);
            out[n].platform = plats[p];
            out[n].device = devs[d];
            out[n].type = 0;
            clGetDeviceInfo(devs[d], CL_DEVICE_TYPE, sizeof out[n].type, &out[n].type, NULL);
            snprintf(out[n].name, sizeof out[n].name, "%s / %s", pname, dname);
            n++;
        }
    }
    return n;
}

int winsum_device_count(void)
{
    dev_entry d[64];
    return list_devices(d, 64);
}

winsum_status winsum_device_info(int index, char *name, size_t name_len, int *is_gpu)
{
    dev_entry d[64];
    int n = list_devices(d, 64);
    if (index < 0 || index >= n) return WINSUM_ERR_NO_DEVICE;
    if (name && name_len) snprintf(name, name_len, "%s", d[index].name);
    if (is_gpu) *is_gpu = (d[index].type & CL_DEVICE_TYPE_GPU) != 0;
    return WINSUM_OK;
}

static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n) return 1;
    }
    return n == 0;
}

/* Index of the device `spec` names, -1 when none matches. */
static int pick_device(const dev_entry *d, int n, const char *spec)
{
    if (!spec || !*spec) {
        for (int i = 0; i < n; i++)
            if (d[i].type & CL_DEVICE_TYPE_GPU) return i;
        return n > 0 ? 0 : -1;
    }
    char *end;
    long idx = strtol(spec, &end, 10);
    if (*end == 0 && end != spec) return idx >= 0 && idx < n ? (int)idx : -1;
    for (int i = 0; i < n; i++)
        if (contains_nocase(d[i].name, spec)) return i;
    return -1;
}

static winsum_status setup_device(winsum_context *ctx)
{
    cl_device_type type = 0;
    clGetDeviceInfo(ctx->device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    ctx->cpu_like = (type & CL_DEVICE_TYPE_CPU) != 0;
    char ext[8192] = "", drv[200] = "", ver[200] = "", pver[200] = "", dname[200] = "",
         pname[200] = "";
    clGetDeviceInfo(ctx->device, CL_DEVICE_EXTENSIONS, sizeof ext - 1, ext, NULL);
    clGetDeviceInfo(ctx->device, CL_DRIVER_VERSION, sizeof drv - 1, drv, NULL);
    clGetDeviceInfo(ctx->device, CL_DEVICE_VERSION, sizeof ver - 1, ver, NULL);
    clGetDeviceInfo(ctx->device, CL_DEVICE_NAME, sizeof dname - 1, dname, NULL);
    clGetDeviceInfo(ctx->device, CL_DEVICE_PLATFORM, sizeof ctx->platform, &ctx->platform, NULL);
    clGetPlatformInfo(ctx->platform, CL_PLATFORM_VERSION, sizeof pver - 1, pver, NULL);
    clGetPlatformInfo(ctx->platform, CL_PLATFORM_NAME, sizeof pname - 1, pname, NULL);
    snprintf(ctx->device_name, sizeof ctx->device_name, "%s / %s", pname, dname);
    snprintf(ctx->cache_prefix, sizeof ctx->cache_prefix, "%s|%s|%s|%s", ctx->device_name, drv, ver,
             pver);
    ctx->has_fp64 = strstr(ext, "cl_khr_fp64") != NULL;
    ctx->max_wg = 1;
    clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof ctx->max_wg, &ctx->max_wg,
                    NULL);
    ctx->local_mem = 16384;
    clGetDeviceInfo(ctx->device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof ctx->local_mem, &ctx->local_mem,
                    NULL);
    ctx->compute_units = 1;
    clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof ctx->compute_units,
                    &ctx->compute_units, NULL);
    if (ctx->compute_units < 1) ctx->compute_units = 1;
    ctx->max_alloc = 0;
    clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof ctx->max_alloc,
                    &ctx->max_alloc, NULL);
    ws_choose_params(ctx);
    return WINSUM_OK;
}

/* A new context with its lock, once $WINSUM_CACHE_DIR is known to fit. */
static winsum_status context_new(winsum_context **out)
{
    char why[256];
    if (ws_cache_env_check(why, sizeof why)) return ws_create_fail(WINSUM_ERR_ARGUMENT, "%s", why);
    winsum_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return ws_create_fail(WINSUM_ERR_MEMORY, "out of host memory%s", NULL);
    if (context_init(ctx)) {
        free(ctx);
        return ws_create_fail(WINSUM_ERR_MEMORY, "cannot make the context's lock%s", NULL);
    }
    if (ws_trace_open(ctx)) {
        context_discard(ctx);
        return ws_create_fail(WINSUM_ERR_MEMORY, "out of host memory (WINSUM_VERBOSE)%s", NULL);
    }
    *out = ctx;
    return WINSUM_OK;
}

winsum_status winsum_context_create(winsum_context **out, winsum_backend backend,
                                    const char *device)
{
    if (!out)
        return ws_create_fail(WINSUM_ERR_ARGUMENT, "winsum_context_create: ctx is NULL%s", NULL);
    *out = NULL;
    if (backend != WINSUM_BACKEND_AUTO && backend != WINSUM_BACKEND_OPENCL &&
        backend != WINSUM_BACKEND_REF)
        return ws_create_fail(WINSUM_ERR_ARGUMENT, "winsum_context_create: unknown backend%s",
                              NULL);
    winsum_context *ctx;
    winsum_status cst = context_new(&ctx);
    if (cst) return cst;
    if (!device) device = getenv("WINSUM_DEVICE");
    if (backend == WINSUM_BACKEND_AUTO && device && strcmp(device, "ref") == 0)
        backend = WINSUM_BACKEND_REF;
    if (backend != WINSUM_BACKEND_REF) {
        dev_entry d[64];
        int n = list_devices(d, 64);
        int i = pick_device(d, n, device);
        if (i < 0) {
            if (backend == WINSUM_BACKEND_AUTO && (!device || !*device)) {
                backend = WINSUM_BACKEND_REF;
            } else {
                context_discard(ctx);
                if (n == 0)
                    return ws_create_fail(WINSUM_ERR_NO_DEVICE,
                                          "no OpenCL device found (is an ICD such as PoCL "
                                          "installed?)%s",
                                          NULL);
                return ws_create_fail(WINSUM_ERR_NO_DEVICE,
                                      "no OpenCL device matches '%s' ('winsum devices' lists them)",
                                      device ? device : "");
            }
        } else {
            cl_int err;
            ctx->device = d[i].device;
            ctx->cl = clCreateContext(NULL, 1, &ctx->device, NULL, NULL, &err);
            if (!ctx->cl) {
                context_discard(ctx);
                return ws_create_fail(WINSUM_ERR_OPENCL, "clCreateContext failed with %s",
                                      ws_cl_error_name(err));
            }
            /* WINSUM_VERBOSE=2 times each kernel from its profiling event */
            ctx->profiling = ctx->verbose >= 2;
            ctx->queue = clCreateCommandQueue(ctx->cl, ctx->device,
                                              ctx->profiling ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
            if (!ctx->queue) {
                clReleaseContext(ctx->cl);
                context_discard(ctx);
                return ws_create_fail(WINSUM_ERR_OPENCL, "clCreateCommandQueue failed with %s",
                                      ws_cl_error_name(err));
            }
            backend = WINSUM_BACKEND_OPENCL;
            setup_device(ctx);
        }
    }
    ctx->backend = backend;
    ctx->be = ws_backend_of(backend);
    if (backend == WINSUM_BACKEND_REF)
        snprintf(ctx->device_name, sizeof ctx->device_name, "reference (host C)");
    *out = ctx;
    return WINSUM_OK;
}

winsum_status winsum_context_create_cl(winsum_context **out, cl_context cl_ctx,
                                       cl_command_queue queue)
{
    if (out) *out = NULL;
    if (!out || !cl_ctx || !queue)
        return ws_create_fail(WINSUM_ERR_ARGUMENT,
                              "winsum_context_create_cl: ctx, cl_context and queue are needed%s",
                              NULL);
    /* Kernels of one call run in order (a step reads the intermediate the
     * step before wrote, with no event between them): an out-of-order queue
     * would let them overlap, so it is refused rather than silently raced. */
    cl_command_queue_properties props = 0;
    cl_int perr = clGetCommandQueueInfo(queue, CL_QUEUE_PROPERTIES, sizeof props, &props, NULL);
    if (perr != CL_SUCCESS)
        return ws_create_fail(WINSUM_ERR_CONTEXT,
                              "winsum_context_create_cl: the queue is not a valid command queue "
                              "(clGetCommandQueueInfo failed with %s)",
                              ws_cl_error_name(perr));
    if (props & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE)
        return ws_create_fail(WINSUM_ERR_UNSUPPORTED,
                              "winsum_context_create_cl: the queue is out-of-order "
                              "(CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE); winsum needs an in-order "
                              "queue: create one without that property%s",
                              NULL);
    winsum_context *ctx;
    winsum_status cst = context_new(&ctx);
    if (cst) return cst;
    cl_context qctx = NULL;
    if (clGetCommandQueueInfo(queue, CL_QUEUE_CONTEXT, sizeof qctx, &qctx, NULL) != CL_SUCCESS ||
        qctx != cl_ctx ||
        clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof ctx->device, &ctx->device, NULL) !=
            CL_SUCCESS) {
        context_discard(ctx);
        return ws_create_fail(WINSUM_ERR_CONTEXT,
                              "winsum_context_create_cl: the queue does not belong to the "
                              "cl_context%s",
                              NULL);
    }
    clRetainContext(cl_ctx);
    clRetainCommandQueue(queue);
    ctx->cl = cl_ctx;
    ctx->queue = queue;
    ctx->profiling = (props & CL_QUEUE_PROFILING_ENABLE) != 0;
    ctx->backend = WINSUM_BACKEND_OPENCL;
    ctx->be = &ws_backend_opencl;
    setup_device(ctx);
    *out = ctx;
    return WINSUM_OK;
}

void *ws_context_attached(const winsum_context *ctx, const void *key)
{
    for (int i = 0; i < WS_MAX_ATTACHED; i++)
        if (ctx->attached[i].key == key) return ctx->attached[i].data;
    return NULL;
}

winsum_status ws_context_attach(winsum_context *ctx, const void *key, void *data,
                                void (*release)(winsum_context *ctx, void *data))
{
    for (int i = 0; i < WS_MAX_ATTACHED; i++)
        if (!ctx->attached[i].key) {
            ctx->attached[i] = (ws_attachment){key, data, release};
            return WINSUM_OK;
        }
    return ws_fail(&ctx->err, WINSUM_ERR_MEMORY, "winsum: no room to attach per-context data");
}

/* Drops the user's reference: what higher layers attached (the cached
 * plans, which hold no reference) goes now; the rest lives on while plans
 * made by winsum_plan_create do. */
void winsum_context_destroy(winsum_context *ctx)
{
    if (!ctx) return;
    ws_lock(ctx);
    for (int i = 0; i < WS_MAX_ATTACHED; i++) {
        ws_attachment *a = &ctx->attached[i];
        if (a->key && a->release) a->release(ctx, a->data);
        memset(a, 0, sizeof *a);
    }
    if (ctx->gate) ws_gate_close(ctx, WINSUM_ERR_ARGUMENT);
    ws_unlock(ctx);
    ws_context_release(ctx);
}

winsum_status winsum_finish(winsum_context *ctx)
{
    WS_LOCK_SCOPE(ctx);
    if (!ctx) return WINSUM_ERR_ARGUMENT;
    return ctx->be->finish(ctx);
}
