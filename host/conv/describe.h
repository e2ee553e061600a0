/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * describe.h - what the convolution layer writes into a call's trace line
 * (runtime/trace.h): its descriptor field and the winsum-bench command
 * that replays a call of the same shape.
 */
#ifndef WINSUM_CONV_DESCRIBE_H
#define WINSUM_CONV_DESCRIBE_H

#include "trace.h"

/* What the describers read (ws_trace_call.arg): the descriptor, the
 * driver's op ("forward", "backward-data", "backward-weight"; NULL: no
 * replay) and the views that give --input-shape and --weight-shape. */
typedef struct ws_conv_trace {
    const winsum_conv_desc *desc;
    const char *driver_op;
    int x, w; /* indexes into ws_trace_call.view */
} ws_conv_trace;

/* ws_trace_call.desc and .replay of a convolution call (arg: a ws_conv_trace). */
void ws_conv_trace_desc(ws_line *b, const ws_trace_call *t);
void ws_conv_trace_replay(ws_line *b, const ws_trace_call *t);

#endif
