/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * prelude.cl - the element types, which the host (host/runtime/program.c) puts in
 * front of every other kernel source before it builds it.
 *
 * REAL is what kernels compute in, ELEM what the buffers hold, and LD / ST
 * read and write one element of a buffer as a REAL:
 *   (default)  float, float
 *   WS_FP64    double, double (cl_khr_fp64)
 *   WS_FP16    float, half: read with vload_half and written with
 *              vstore_half_rte (round to nearest even), both core OpenCL, so
 *              no cl_khr_fp16 is needed; arithmetic stays in float.
 */
#ifdef WS_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#define REAL double
#else
#define REAL float
#endif
#ifdef WS_FP16
#define ELEM        half
#define LD(p, i)    vload_half((i), (p))
#define ST(p, i, v) vstore_half_rte((v), (i), (p))
#else
#define ELEM        REAL
#define LD(p, i)    ((p)[i])
#define ST(p, i, v) ((p)[i] = (v))
#endif
