/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * plan_ocl.c - winsum_plan_execute, the one public call of the einsum layer
 * that names an OpenCL type (winsum_ocl.h): the rest of the layer is
 * compiled without the OpenCL header.
 */
#undef WINSUM_NO_OPENCL_HEADER
#include "layer.h"

winsum_status winsum_plan_execute(winsum_plan *plan, const winsum_buffer *const *inputs,
                                  const winsum_buffer *output, double alpha, double beta,
                                  cl_event *event)
{
    void *ev = NULL;
    winsum_status st = ws_plan_execute_event(plan, inputs, output, alpha, beta, event ? &ev : NULL);
    if (event) *event = (cl_event)ev;
    return st;
}
