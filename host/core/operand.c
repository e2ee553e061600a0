/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/* operand.c - turns a view into a per-label ws_operand: the form the planners
 * and the reference path consume, with diagonals (repeated labels) folded into
 * summed strides and size-1 broadcast axes turned into stride 0. */
#include "internal.h"
#include <string.h>

void ws_operand_from_view(const ws_ir *ir, int which, const winsum_view *view, ws_operand *op)
{
    memset(op, 0, sizeof *op);
    op->buffer = view->buffer;
    op->dtype = view->dtype;
    op->offset = view->offset;
    op->nguards = view->nguards;
    for (int g = 0; g < view->nguards; g++) {
        op->guard[g].offset = view->guards[g].offset;
        op->guard[g].extent = view->guards[g].extent;
    }

    const int *labels = which < 0 ? ir->out_label : ir->op_label[which];
    for (int a = 0; a < view->ndim; a++) {
        int l = labels[a];
        op->has[l] = 1;
        /* A size-1 axis against a larger label size is broadcast: its index
         * is always 0, so it contributes nothing to the address or guards. */
        if (view->shape[a] == 1 && ir->size[l] != 1) continue;
        /* A repeated label walks all its axes together (a diagonal), so its
         * strides and guard coefficients add up. */
        op->stride[l] += view->strides[a];
        for (int g = 0; g < view->nguards; g++) op->guard[g].coef[l] += view->guards[g].coef[a];
    }
}
