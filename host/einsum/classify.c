/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * classify.c - a pair's labels sorted into the GEMM roles every pair family
 * reads (batch, M, N, K), below the families and the steps that use them.
 */
#include "layer.h"

void ws_classify(const slot *X, const slot *Y, const slot *C, const int64_t *size, int nlabels,
                 groups *gr)
{
    gr->nb = gr->nm = gr->nn = gr->nk = 0;
    for (int l = 0; l < nlabels; l++) {
        if (size[l] == 1) continue;
        int x = X->op.has[l], y = Y->op.has[l], z = C->op.has[l];
        if (!x && !y) continue;
        if (z && x && y) gr->bl[gr->nb++] = l;
        else if (z && x) gr->ml[gr->nm++] = l;
        else if (z && y) gr->nl[gr->nn++] = l;
        else gr->kl[gr->nk++] = l;
    }
}
