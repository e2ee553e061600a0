/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * replay.c - an einsum call's replay command in its trace line, in
 * winsum-bench's own spelling of `einsum` (bench/driver_einsum.c), or
 * "n/a (why)" for what the driver does not take.
 */
#include "replay.h"
#include <string.h>

void ws_einsum_trace_replay(ws_line *b, const ws_trace_call *t)
{
    int nin = t->nviews - 1, strided = 1, control = 0;
    for (const char *q = t->subs; q && *q; q++) control |= ws_line_control(*q);
    if (!t->subs || control || strchr(t->subs, '\'') || strlen(t->subs) > 200 || nin < 1) {
        ws_line_put(b, "n/a (subscripts the driver does not take)");
        return;
    }
    for (int i = 0; i < nin; i++) {
        const winsum_view *v = t->view[i];
        if (!ws_view_rank_ok(v) || v->ndim < 1) {
            ws_line_put(b, "n/a (operand %d has rank %d; the driver takes 1 or more)", i,
                        v ? v->ndim : -1);
            return;
        }
        /* the driver takes strides >= 0 and no guards: else its own
         * contiguous operands of the same shapes */
        strided &= v->nguards == 0;
        for (int a = 0; a < v->ndim; a++) strided &= v->strides[a] >= 0;
    }
    ws_line_put(b, "winsum-bench einsum '%s' --shapes ", t->subs);
    for (int i = 0; i < nin; i++) {
        if (i) ws_line_put(b, ",");
        ws_line_list(b, t->view[i]->shape, t->view[i]->ndim, "x");
    }
    if (strided) {
        ws_line_put(b, " --strides ");
        for (int i = 0; i < nin; i++) {
            if (i) ws_line_put(b, ",");
            ws_line_list(b, t->view[i]->strides, t->view[i]->ndim, "x");
        }
    }
    ws_line_put(b, " --dtype %s", ws_dtype_short(t->view[0]->dtype));
}
