/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * geometry.c - convolution descriptors and shapes: the descriptor checks
 * every call makes, the geometry of a convolution (sizes, groups, padding
 * resolved, "same" included) in checked 64-bit arithmetic, and the output
 * shapes of the forward and the transposed convolution.
 */
#include "conv.h"
#include <stdio.h>
#include <string.h>

void winsum_conv_desc_init(winsum_conv_desc *d)
{
    if (!d) return;
    memset(d, 0, sizeof *d);
    for (int i = 0; i < WINSUM_MAX_SPATIAL; i++) d->stride[i] = d->dilation[i] = 1;
    d->groups = 1;
    d->layout = WINSUM_LAYOUT_NCHW;
}

int ws_conv_chan_axis(const winsum_conv_desc *d, int rank)
{
    return d->layout == WINSUM_LAYOUT_NHWC ? rank - 1 : 1;
}
int ws_conv_sp_axis(const winsum_conv_desc *d, int i)
{
    return d->layout == WINSUM_LAYOUT_NHWC ? 1 + i : 2 + i;
}

/* The descriptor's own fields, the same for every convolution call (`who`
 * names the call in messages, `tensor` the tensor whose rank is `rank`): a
 * known layout, rank 3..5, nspatial 0 or the
 * rank's, groups >= 1, stride and dilation >= 1 and explicit padding >= 0 on
 * every spatial axis. */
winsum_status ws_conv_desc_check(const winsum_conv_desc *desc, int rank, const char *who,
                                 const char *tensor, ws_error *e)
{
    if (!desc) return ws_fail(e, WINSUM_ERR_ARGUMENT, "%s: descriptor is NULL", who);
    if (desc->layout != WINSUM_LAYOUT_NCHW && desc->layout != WINSUM_LAYOUT_NHWC)
        return ws_fail(e, WINSUM_ERR_CONV, "%s: unknown layout %d", who, (int)desc->layout);
    if (rank < 3 || rank > 2 + WINSUM_MAX_SPATIAL)
        return ws_fail(e, WINSUM_ERR_CONV,
                       "%s: %s has rank %d; 1-D, 2-D and 3-D convolutions take rank 3..5", who,
                       tensor, rank);
    int ns = rank - 2;
    if (desc->nspatial && desc->nspatial != ns)
        return ws_fail(e, WINSUM_ERR_CONV,
                       "%s: the descriptor has %d spatial axes but %s has rank %d (%d spatial)",
                       who, desc->nspatial, tensor, rank, ns);
    if (desc->groups < 1)
        return ws_fail(e, WINSUM_ERR_CONV, "%s: groups is %lld, must be >= 1", who,
                       (long long)desc->groups);
    for (int i = 0; i < ns; i++) {
        if (desc->stride[i] < 1 || desc->dilation[i] < 1)
            return ws_fail(e, WINSUM_ERR_CONV,
                           "%s: spatial axis %d: stride %lld and dilation %lld must be >= 1", who,
                           i, (long long)desc->stride[i], (long long)desc->dilation[i]);
        if (!desc->pad_same && (desc->pad_lo[i] < 0 || desc->pad_hi[i] < 0))
            return ws_fail(e, WINSUM_ERR_CONV, "%s: spatial axis %d: negative padding %lld:%lld",
                           who, i, (long long)desc->pad_lo[i], (long long)desc->pad_hi[i]);
    }
    return WINSUM_OK;
}

winsum_status ws_conv_setup(const winsum_conv_desc *desc, int rank, const int64_t *xs,
                            const int64_t *ws, geom *g, const char *who, const char *xname,
                            ws_error *e)
{
    memset(g, 0, sizeof *g);
    if (!desc || !xs || !ws) return ws_fail(e, WINSUM_ERR_ARGUMENT, "%s: NULL argument", who);
    winsum_status st = ws_conv_desc_check(desc, rank, who, xname, e);
    if (st) return st;
    g->rank = rank;
    g->ns = rank - 2;
    int ca = ws_conv_chan_axis(desc, rank);
    g->n = xs[0];
    g->c = xs[ca];
    g->o = ws[0];
    g->g = desc->groups;
    for (int i = 0; i < rank; i++)
        if (xs[i] < 0 || ws[i] < 0)
            return ws_fail(e, WINSUM_ERR_CONV, "%s: negative size in a shape", who);
    if (g->c % g->g)
        return ws_fail(e, WINSUM_ERR_CONV, "%s: groups %lld do not divide the %lld input channels",
                       who, (long long)g->g, (long long)g->c);
    if (g->o % g->g)
        return ws_fail(e, WINSUM_ERR_CONV,
                       "%s: groups %lld do not divide the %lld output channels (filters)", who,
                       (long long)g->g, (long long)g->o);
    g->cg = g->c / g->g;
    g->og = g->o / g->g;
    if (ws[1] != g->cg)
        return ws_fail(e, WINSUM_ERR_CONV,
                       "%s: the weight has %lld input channels per group but the input has "
                       "%lld channels / %lld groups = %lld",
                       who, (long long)ws[1], (long long)g->c, (long long)g->g, (long long)g->cg);
    for (int i = 0; i < g->ns; i++) {
        g->in[i] = xs[ws_conv_sp_axis(desc, i)];
        g->k[i] = ws[2 + i];
        g->s[i] = desc->stride[i];
        g->d[i] = desc->dilation[i];
        if (g->k[i] < 1)
            return ws_fail(e, WINSUM_ERR_CONV, "%s: spatial axis %d: kernel size %lld < 1", who, i,
                           (long long)g->k[i]);
        int64_t span, padded;
        if (ws_mul_ovf(g->d[i], g->k[i] - 1, &span) || ws_add_ovf(span, 1, &span))
            return ws_fail(e, WINSUM_ERR_OVERFLOW,
                           "%s: spatial axis %d: dilation %lld x kernel %lld overflows 64 bits",
                           who, i, (long long)g->d[i], (long long)g->k[i]);
        if (desc->pad_same) {
            /* "same": out = ceil(in / stride); the padding that needs, split
             * low = total / 2, high = the rest (TensorFlow's rule). */
            int64_t out = g->in[i] / g->s[i] + (g->in[i] % g->s[i] != 0), total;
            if (ws_mul_ovf(out - 1, g->s[i], &total) || ws_add_ovf(total, span - g->in[i], &total))
                return ws_fail(e, WINSUM_ERR_OVERFLOW,
                               "%s: spatial axis %d: 'same' padding overflows 64 bits", who, i);
            if (total < 0) total = 0;
            g->lo[i] = total / 2;
            g->hi[i] = total - g->lo[i];
        } else {
            g->lo[i] = desc->pad_lo[i];
            g->hi[i] = desc->pad_hi[i];
        }
        if (ws_add_ovf(g->in[i], g->lo[i], &padded) || ws_add_ovf(padded, g->hi[i], &padded))
            return ws_fail(e, WINSUM_ERR_OVERFLOW,
                           "%s: spatial axis %d: input %lld + padding %lld:%lld overflows 64 "
                           "bits",
                           who, i, (long long)g->in[i], (long long)g->lo[i], (long long)g->hi[i]);
        if (padded < span)
            return ws_fail(e, WINSUM_ERR_CONV,
                           "%s: spatial axis %d: the kernel spans %lld (size %lld, dilation "
                           "%lld) but the padded input is only %lld (%lld + %lld + %lld)",
                           who, i, (long long)span, (long long)g->k[i], (long long)g->d[i],
                           (long long)padded, (long long)g->in[i], (long long)g->lo[i],
                           (long long)g->hi[i]);
        g->out[i] = (padded - span) / g->s[i] + 1;
    }
    return WINSUM_OK;
}

void ws_conv_shape_of(const winsum_conv_desc *desc, const geom *g, int64_t batch, int64_t ch,
                      const int64_t *sp, int64_t *shape)
{
    shape[0] = batch;
    shape[ws_conv_chan_axis(desc, g->rank)] = ch;
    for (int i = 0; i < g->ns; i++) shape[ws_conv_sp_axis(desc, i)] = sp[i];
}

winsum_status winsum_conv_output_shape(const winsum_conv_desc *desc, int rank,
                                       const int64_t *x_shape, const int64_t *w_shape,
                                       int64_t *y_shape, char *msg, size_t msg_len)
{
    ws_error e = {0};
    geom g;
    winsum_status st = ws_conv_setup(desc, rank, x_shape, w_shape, &g, "conv", "the input", &e);
    if (!st && !y_shape) st = ws_fail(&e, WINSUM_ERR_ARGUMENT, "conv: y_shape is NULL");
    if (st) {
        ws_error_copy(&e, msg, msg_len);
        return st;
    }
    ws_conv_shape_of(desc, &g, g.n, g.o, g.out, y_shape);
    return WINSUM_OK;
}

/* The transposed convolution's output size on each axis, torch's rule
 *   y = (x - 1) * stride - pad_lo - pad_hi + dilation * (k - 1) + output_padding + 1
 * in checked arithmetic; output_padding must be >= 0 and smaller than the
 * stride or the dilation (torch's rule: then y's extra positions are ones
 * that the forward convolution of y would skip or could have read). */
winsum_status ws_conv_transpose_shape(const winsum_conv_desc *desc, int rank,
                                      const int64_t *x_shape, const int64_t *w_shape,
                                      int64_t *y_shape, ws_error *e)
{
    static const char who[] = "conv transpose";
    if (!desc || !x_shape || !w_shape || !y_shape)
        return ws_fail(e, WINSUM_ERR_ARGUMENT, "%s: NULL argument", who);
    winsum_status st = ws_conv_desc_check(desc, rank, who, "the input", e);
    if (st) return st;
    if (desc->pad_same)
        return ws_fail(e, WINSUM_ERR_CONV,
                       "%s: 'same' padding is defined for the forward input; give explicit "
                       "padding",
                       who);
    int ns = rank - 2, ca = ws_conv_chan_axis(desc, rank);
    int64_t gr = desc->groups, ych;
    for (int i = 0; i < rank; i++)
        if (x_shape[i] < 0 || w_shape[i] < 0)
            return ws_fail(e, WINSUM_ERR_CONV, "%s: negative size in the %s's shape", who,
                           x_shape[i] < 0 ? "input" : "weight");
    if (x_shape[ca] != w_shape[0])
        return ws_fail(e, WINSUM_ERR_CONV,
                       "%s: the input has %lld channels but the weight has %lld filters (its "
                       "first axis)",
                       who, (long long)x_shape[ca], (long long)w_shape[0]);
    if (w_shape[0] % gr)
        return ws_fail(e, WINSUM_ERR_CONV, "%s: groups %lld do not divide the %lld input channels",
                       who, (long long)gr, (long long)w_shape[0]);
    if (ws_mul_ovf(w_shape[1], gr, &ych))
        return ws_fail(e, WINSUM_ERR_OVERFLOW,
                       "%s: %lld output channels per group x %lld groups overflows 64 bits", who,
                       (long long)w_shape[1], (long long)gr);
    y_shape[0] = x_shape[0];
    y_shape[ca] = ych;
    for (int i = 0; i < ns; i++) {
        int64_t x = x_shape[ws_conv_sp_axis(desc, i)], k = w_shape[2 + i], s = desc->stride[i],
                d = desc->dilation[i], op = desc->output_padding[i], v, t;
        if (op < 0 || (op >= s && op >= d))
            return ws_fail(e, WINSUM_ERR_CONV,
                           "%s: spatial axis %d: output padding %lld must be >= 0 and smaller "
                           "than the stride %lld or the dilation %lld",
                           who, i, (long long)op, (long long)s, (long long)d);
        if (k < 1)
            return ws_fail(e, WINSUM_ERR_CONV, "%s: spatial axis %d: kernel size %lld < 1", who, i,
                           (long long)k);
        if (x < 1)
            return ws_fail(e, WINSUM_ERR_CONV, "%s: spatial axis %d: the input has size %lld", who,
                           i, (long long)x);
        if (ws_mul_ovf(x - 1, s, &v) || ws_mul_ovf(d, k - 1, &t) || ws_add_ovf(v, t, &v) ||
            ws_add_ovf(v, op + 1, &v) || ws_add_ovf(v, -desc->pad_lo[i], &v) ||
            ws_add_ovf(v, -desc->pad_hi[i], &v))
            return ws_fail(e, WINSUM_ERR_OVERFLOW,
                           "%s: spatial axis %d: (input %lld - 1) x stride %lld + dilation %lld "
                           "x (kernel %lld - 1) overflows 64 bits",
                           who, i, (long long)x, (long long)s, (long long)d, (long long)k);
        if (v < 1)
            return ws_fail(e, WINSUM_ERR_CONV,
                           "%s: spatial axis %d: the output would have size %lld (padding "
                           "%lld:%lld removes more than the input and kernel span)",
                           who, i, (long long)v, (long long)desc->pad_lo[i],
                           (long long)desc->pad_hi[i]);
        y_shape[ws_conv_sp_axis(desc, i)] = v;
    }
    return WINSUM_OK;
}

winsum_status winsum_conv_transpose_output_shape(const winsum_conv_desc *desc, int rank,
                                                 const int64_t *x_shape, const int64_t *w_shape,
                                                 int64_t *y_shape, char *msg, size_t msg_len)
{
    ws_error e = {0};
    winsum_status st = ws_conv_transpose_shape(desc, rank, x_shape, w_shape, y_shape, &e);
    if (st) ws_error_copy(&e, msg, msg_len);
    return st;
}
