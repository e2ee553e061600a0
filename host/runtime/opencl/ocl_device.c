/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * ocl_device.c - the OpenCL backend's device: the devices of all platforms,
 * the one a context asks for, its cl_context and in-order queue (its own,
 * or the caller's through winsum_context_create_cl: ws_ocl_adopt), the
 * limits the kernel families read, and what a context frees of it.
 */
#include "ocl.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    ws_pocl_defaults(); /* before PoCL starts its workers (ocl_pocl.c) */
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

int ws_ocl_devices(int index, char *name, size_t name_len, int *is_gpu)
{
    dev_entry d[64];
    int n = list_devices(d, 64);
    if (index >= 0 && index < n) {
        if (name && name_len) snprintf(name, name_len, "%s", d[index].name);
        if (is_gpu) *is_gpu = (d[index].type & CL_DEVICE_TYPE_GPU) != 0;
    }
    return n;
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

/* The device's names and limits into ctx. */
static void setup_device(winsum_context *ctx, ws_ocl *o)
{
    cl_device_type type = 0;
    clGetDeviceInfo(o->device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    ctx->cpu_like = (type & CL_DEVICE_TYPE_CPU) != 0;
    char ext[8192] = "", drv[200] = "", ver[200] = "", pver[200] = "", dname[200] = "",
         pname[200] = "";
    clGetDeviceInfo(o->device, CL_DEVICE_EXTENSIONS, sizeof ext - 1, ext, NULL);
    clGetDeviceInfo(o->device, CL_DRIVER_VERSION, sizeof drv - 1, drv, NULL);
    clGetDeviceInfo(o->device, CL_DEVICE_VERSION, sizeof ver - 1, ver, NULL);
    clGetDeviceInfo(o->device, CL_DEVICE_NAME, sizeof dname - 1, dname, NULL);
    clGetDeviceInfo(o->device, CL_DEVICE_PLATFORM, sizeof o->platform, &o->platform, NULL);
    clGetPlatformInfo(o->platform, CL_PLATFORM_VERSION, sizeof pver - 1, pver, NULL);
    clGetPlatformInfo(o->platform, CL_PLATFORM_NAME, sizeof pname - 1, pname, NULL);
    snprintf(ctx->device_name, sizeof ctx->device_name, "%s / %s", pname, dname);
    snprintf(ctx->cache_prefix, sizeof ctx->cache_prefix, "%s|%s|%s|%s", ctx->device_name, drv, ver,
             pver);
    ctx->has_fp64 = strstr(ext, "cl_khr_fp64") != NULL;
    size_t max_wg = 1;
    clGetDeviceInfo(o->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof max_wg, &max_wg, NULL);
    ctx->max_wg = max_wg;
    cl_ulong local_mem = 16384;
    clGetDeviceInfo(o->device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local_mem, &local_mem, NULL);
    ctx->local_mem = local_mem;
    cl_uint units = 1;
    clGetDeviceInfo(o->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL);
    ctx->compute_units = units < 1 ? 1 : units;
    cl_ulong max_alloc = 0;
    clGetDeviceInfo(o->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc, &max_alloc, NULL);
    ctx->max_alloc = max_alloc;
}

winsum_status ws_ocl_adopt(winsum_context *ctx, cl_context cl, cl_command_queue queue,
                           cl_device_id device, int profiling)
{
    ws_ocl *o = calloc(1, sizeof *o);
    if (!o) return ws_create_fail(WINSUM_ERR_MEMORY, "out of host memory%s", NULL);
    o->cl = cl;
    o->queue = queue;
    o->device = device;
    ctx->dev = o;
    ctx->profiling = profiling;
    setup_device(ctx, o);
    return WINSUM_OK;
}

winsum_status ws_ocl_create(winsum_context *ctx, const char *device)
{
    dev_entry d[64];
    int n = list_devices(d, 64);
    int i = pick_device(d, n, device);
    if (i < 0) {
        if (n == 0)
            return ws_create_fail(WINSUM_ERR_NO_DEVICE,
                                  "no OpenCL device found (is an ICD such as PoCL "
                                  "installed?)%s",
                                  NULL);
        return ws_create_fail(WINSUM_ERR_NO_DEVICE,
                              "no OpenCL device matches '%s' ('winsum devices' lists them)",
                              device ? device : "");
    }
    cl_int err;
    cl_device_id dev = d[i].device;
    cl_context cl = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
    if (!cl)
        return ws_create_fail(WINSUM_ERR_OPENCL, "clCreateContext failed with %s",
                              ws_cl_error_name(err));
    /* WINSUM_VERBOSE=2 times each kernel from its profiling event */
    int profiling = ctx->verbose >= 2;
    cl_command_queue queue =
        clCreateCommandQueue(cl, dev, profiling ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
    if (!queue) {
        clReleaseContext(cl);
        return ws_create_fail(WINSUM_ERR_OPENCL, "clCreateCommandQueue failed with %s",
                              ws_cl_error_name(err));
    }
    winsum_status st = ws_ocl_adopt(ctx, cl, queue, dev, profiling);
    if (st) {
        clReleaseCommandQueue(queue);
        clReleaseContext(cl);
    }
    return st;
}

void ws_ocl_destroy(winsum_context *ctx)
{
    ws_ocl *o = ws_ocl_of(ctx);
    if (!o) return;
    free(o->gate_events); /* none held: every gate was closed */
    if (o->queue) clReleaseCommandQueue(o->queue);
    if (o->cl) clReleaseContext(o->cl);
    free(o);
    ctx->dev = NULL;
}
