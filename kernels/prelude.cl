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
 *
 * The explicit vectors of the register-block kernels (direct.cl,
 * direct_weight.cl): VEC holds LANES REALs (float16, double8: the widths
 * PoCL turns into 512-bit instructions); VLOAD_REAL / VSTORE_REAL read and
 * write one VEC of REALs (no half conversion: scratch and private arrays);
 * BW = OCB * LANES, the output channels of a block of OCB vectors (OCB
 * defined by the kernel file or the host's options).
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
#ifdef WS_FP64
#define LANES             8
#define VEC               double8
#define VLOAD_REAL(p)     vload8(0, (p))
#define VSTORE_REAL(v, p) vstore8((v), 0, (p))
#else
#define LANES             16
#define VEC               float16
#define VLOAD_REAL(p)     vload16(0, (p))
#define VSTORE_REAL(v, p) vstore16((v), 0, (p))
#endif
#define BW (OCB * LANES)
