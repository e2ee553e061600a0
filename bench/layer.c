/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * layer.c - the geometry of a ResNet-style convolution layer (conv_layer):
 * its tensors' sizes, flops and views, shared by the conv suites (conv.c),
 * the peers (peers.c, pypeers.c) and the cold-start suite (coldstart.c).
 */
#include "bench.h"

const char *const conv_op_suffix[NOPS] = {"fwd", "bwd_data", "bwd_weight"};
const int conv_op_output[NOPS] = {T_Y, T_X, T_W};
int64_t conv_oh(const conv_layer *l) { return (l->hw + 2 * l->pad - l->k) / l->stride + 1; }

/* Elements of tensor t at batch n. */
size_t conv_elems(const conv_layer *l, int t, int64_t n)
{
    int64_t oh = conv_oh(l);
    if (t == T_X) return (size_t)(n * l->c * l->hw * l->hw);
    if (t == T_W) return (size_t)(l->o * (l->c / l->groups) * l->k * l->k);
    return (size_t)(n * l->o * oh * oh);
}

/* The same for all three ops: 2*N*O*OH*OW*(C/G)*KH*KW. */
double conv_flops(const conv_layer *l, int64_t n)
{
    int64_t oh = conv_oh(l);
    return 2.0 * (double)n * (double)l->o * (double)(oh * oh) * (double)(l->c / l->groups) *
           (double)(l->k * l->k);
}

/* Products summed into one output element (for the tolerance). */
double conv_reduction(const conv_layer *l, int op, int64_t n)
{
    int64_t oh = conv_oh(l);
    if (op == OP_FWD) return (double)(l->c / l->groups * l->k * l->k);
    if (op == OP_BWD_DATA) return (double)(l->o / l->groups * l->k * l->k);
    return (double)(n * oh * oh);
}

void conv_desc(const conv_layer *l, winsum_conv_desc *d)
{
    winsum_conv_desc_init(d);
    d->nspatial = 2;
    d->groups = l->groups;
    for (int i = 0; i < 2; i++) {
        d->stride[i] = l->stride;
        d->pad_lo[i] = d->pad_hi[i] = l->pad;
    }
}

/* Views of x, w, y at batch n over buffers buf[T_X], buf[T_W], buf[T_Y]. */
void conv_views(const conv_layer *l, int64_t n, winsum_dtype dt, const winsum_buffer *const buf[3],
                winsum_view v[3])
{
    int64_t oh = conv_oh(l);
    int64_t xs[4] = {n, l->c, l->hw, l->hw}, ws[4] = {l->o, l->c / l->groups, l->k, l->k},
            ys[4] = {n, l->o, oh, oh};
    v[T_X] = winsum_view_contiguous(buf[T_X], dt, 4, xs);
    v[T_W] = winsum_view_contiguous(buf[T_W], dt, 4, ws);
    v[T_Y] = winsum_view_contiguous(buf[T_Y], dt, 4, ys);
}
