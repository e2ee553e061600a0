/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * replay.h - what the einsum layer writes into a call's trace line
 * (runtime/trace.h): the winsum-bench command that replays an einsum of
 * the same shape.
 */
#ifndef WINSUM_EINSUM_REPLAY_H
#define WINSUM_EINSUM_REPLAY_H

#include "trace.h"

/* ws_trace_call.replay of winsum_einsum and winsum_plan_execute: the
 * subscripts and the views (operands, then the output) of t. */
void ws_einsum_trace_replay(ws_line *b, const ws_trace_call *t);

#endif
