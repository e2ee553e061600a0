/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * conv.h - the convolution layer's private header: the checked geometry of
 * one convolution (geometry.c) that the operations (conv.c) build their
 * window views and einsums from.
 */
#ifndef WINSUM_CONV_H
#define WINSUM_CONV_H

#include "einsum.h"

/* The geometry of one convolution, checked. */
typedef struct geom {
    int ns, rank;
    int64_t n, c, o, g, cg, og;
    int64_t in[3], k[3], s[3], d[3], lo[3], hi[3], out[3];
} geom;

/* The channel axis of a tensor of rank `rank`, and spatial axis i, in the
 * descriptor's layout. */
int ws_conv_chan_axis(const winsum_conv_desc *d, int rank);
int ws_conv_sp_axis(const winsum_conv_desc *d, int i);
/* The descriptor's own fields, the same for every convolution call (`who`
 * names the call in messages, `tensor` the tensor whose rank is `rank`): a
 * known layout, rank 3..5, nspatial 0 or the rank's, groups >= 1, stride and dilation >= 1 and
 * explicit padding >= 0 on every spatial axis. */
winsum_status ws_conv_desc_check(const winsum_conv_desc *desc, int rank, const char *who,
                                 const char *tensor, ws_error *e);
/* The geometry of a convolution of input shape xs and weight shape ws
 * (descriptor checked, padding resolved, every product checked), the
 * input named xname in messages. */
winsum_status ws_conv_setup(const winsum_conv_desc *desc, int rank, const int64_t *xs,
                            const int64_t *ws, geom *g, const char *who, const char *xname,
                            ws_error *e);
/* A tensor shape in the descriptor's layout from batch, channels and the
 * spatial sizes sp. */
void ws_conv_shape_of(const winsum_conv_desc *desc, const geom *g, int64_t batch, int64_t ch,
                      const int64_t *sp, int64_t *shape);
/* The transposed convolution's output size on each axis, torch's rule
 *   y = (x - 1) * stride - pad_lo - pad_hi + dilation * (k - 1) + output_padding + 1
 * in checked arithmetic; output_padding must be >= 0 and smaller than the
 * stride or the dilation (torch's rule: then y's extra positions are ones
 * that the forward convolution of y would skip or could have read). */
winsum_status ws_conv_transpose_shape(const winsum_conv_desc *desc, int rank,
                                      const int64_t *x_shape, const int64_t *w_shape,
                                      int64_t *y_shape, ws_error *e);

#endif
