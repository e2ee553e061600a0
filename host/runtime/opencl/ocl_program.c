/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * ocl_program.c - the OpenCL backend's programs (backend.h, program_*):
 * built from source or from a binary it gave before, their binaries and
 * kernels. What is built when, the keys and the disk cache are program.c's.
 */
#include "ocl.h"
#include <stdlib.h>
#include <string.h>

static winsum_status build(winsum_context *ctx, cl_program prog, const char *options,
                           const char *file)
{
    cl_device_id dev = ws_ocl_of(ctx)->device;
    cl_int err = clBuildProgram(prog, 1, &dev, options, NULL, NULL);
    if (err == CL_SUCCESS) return WINSUM_OK;
    size_t loglen = 0;
    clGetProgramBuildInfo(prog, dev, CL_PROGRAM_BUILD_LOG, 0, NULL, &loglen);
    char *log = malloc(loglen + 1);
    if (log) {
        log[0] = 0;
        clGetProgramBuildInfo(prog, dev, CL_PROGRAM_BUILD_LOG, loglen, log, NULL);
        log[loglen] = 0;
    }
    ws_fail(&ctx->err, WINSUM_ERR_BUILD, "kernel %s did not build (%s) with options '%s':\n%s",
            file, ws_cl_error_name(err), options, log ? log : "(no log)");
    free(log);
    return WINSUM_ERR_BUILD;
}

winsum_status ws_ocl_program_build(winsum_context *ctx, const char *file, const char *src,
                                   size_t len, const char *options, void **program)
{
    cl_int err;
    const char *srcs[1] = {src};
    *program = NULL;
    cl_program prog = clCreateProgramWithSource(ws_ocl_of(ctx)->cl, 1, srcs, &len, &err);
    if (!prog) return ws_cl_fail(ctx, err, "clCreateProgramWithSource", file);
    winsum_status st = build(ctx, prog, options, file);
    if (st) {
        clReleaseProgram(prog);
        return st;
    }
    *program = prog;
    return WINSUM_OK;
}

int ws_ocl_program_load(winsum_context *ctx, const unsigned char *bin, size_t len,
                        const char *options, void **program)
{
    ws_ocl *o = ws_ocl_of(ctx);
    const unsigned char *bins[1] = {bin};
    cl_int bstatus, err;
    cl_program prog = clCreateProgramWithBinary(o->cl, 1, &o->device, &len, bins, &bstatus, &err);
    if (prog && (bstatus != CL_SUCCESS ||
                 clBuildProgram(prog, 1, &o->device, options, NULL, NULL) != CL_SUCCESS)) {
        clReleaseProgram(prog);
        prog = NULL; /* stale: the caller builds from source */
    }
    *program = prog;
    return prog == NULL;
}

unsigned char *ws_ocl_program_binary(void *program, size_t *len)
{
    cl_program prog = (cl_program)program;
    size_t blen = 0;
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof blen, &blen, NULL) != CL_SUCCESS ||
        blen == 0)
        return NULL;
    unsigned char *bin = malloc(blen);
    unsigned char *bins[1] = {bin};
    if (bin && clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bins, bins, NULL) != CL_SUCCESS) {
        free(bin);
        return NULL;
    }
    *len = blen;
    return bin;
}

winsum_status ws_ocl_program_kernel(winsum_context *ctx, void *program, const char *name,
                                    ws_kernel *kernel)
{
    cl_int err;
    cl_kernel k = clCreateKernel((cl_program)program, name, &err);
    *kernel = (ws_kernel)k;
    return k ? WINSUM_OK : ws_cl_fail(ctx, err, "clCreateKernel", name);
}

void ws_ocl_program_release(ws_kernel kernel, void *program)
{
    if (kernel) clReleaseKernel((cl_kernel)kernel);
    if (program) clReleaseProgram((cl_program)program);
}

/* PoCL keeps every program it builds, and the native code of each kernel
 * it has run, in its own cache (POCL_CACHE_DIR; on unless POCL_KERNEL_CACHE
 * is set to something other than 1): a second process runs without
 * compiling. The binary it hands out holds bitcode and a generic work-group
 * function, which it compiles for every kernel of the program when asked
 * (CL_PROGRAM_BINARIES: 2.2 s of a 4.2 s cold start). */
int ws_ocl_program_cached(const winsum_context *ctx)
{
    const char *v = getenv("POCL_KERNEL_CACHE");
    return strstr(ctx->cache_prefix, "PoCL") && (!v || v[0] == '1');
}
