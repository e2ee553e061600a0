/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the winsum authors */
/*
 * describe.c - a convolution call in its trace line: the descriptor field
 * (spatial rank, layout, stride, dilation, padding, groups, output
 * padding) and the replay command, in winsum-bench's own spelling of
 * `conv OP` (bench/driver_conv.c).
 */
#include "describe.h"

/* nspatial of the call: the descriptor's, else from the rank of view v */
static int spatial_of(const winsum_conv_desc *d, const winsum_view *v)
{
    int ns = d->nspatial ? d->nspatial : ws_view_rank_ok(v) ? v->ndim - 2 : 0;
    return ns < 0 ? 0 : ns > WINSUM_MAX_SPATIAL ? WINSUM_MAX_SPATIAL : ns;
}

void ws_conv_trace_desc(ws_line *b, const ws_trace_call *t)
{
    const ws_conv_trace *ct = t->arg;
    const winsum_conv_desc *d = ct->desc;
    if (!d) {
        ws_line_put(b, "-");
        return;
    }
    int ns = spatial_of(d, t->view[ct->driver_op ? ct->x : 0]);
    ws_line_put(b, "%dd %s stride=", ns, d->layout == WINSUM_LAYOUT_NHWC ? "nhwc" : "nchw");
    ws_line_list(b, d->stride, ns, "x");
    ws_line_put(b, " dilation=");
    ws_line_list(b, d->dilation, ns, "x");
    if (d->pad_same) {
        ws_line_put(b, " pad=same");
    } else {
        ws_line_put(b, " pad=");
        for (int i = 0; i < ns; i++)
            ws_line_put(b, "%s%lld:%lld", i ? "x" : "", (long long)d->pad_lo[i],
                        (long long)d->pad_hi[i]);
    }
    ws_line_put(b, " groups=%lld", (long long)d->groups);
    int op = 0;
    for (int i = 0; i < ns; i++) op |= d->output_padding[i] != 0;
    if (op) {
        ws_line_put(b, " output_padding=");
        ws_line_list(b, d->output_padding, ns, "x");
    }
}

/* The driver's spelling of a per-axis option: one value when every axis
 * has it. */
static void put_axes(ws_line *b, const int64_t *v, int n)
{
    int same = 1;
    for (int i = 1; i < n; i++) same &= v[i] == v[0];
    ws_line_list(b, v, same ? 1 : n, ",");
}

/* ... and of --padding: "same", P[,P..] when symmetric, else LO:HI[,..] */
static void put_padding(ws_line *b, const winsum_conv_desc *d, int ns)
{
    if (d->pad_same) {
        ws_line_put(b, "same");
        return;
    }
    int same = 1, sym = 1;
    for (int i = 0; i < ns; i++) {
        same &= d->pad_lo[i] == d->pad_lo[0] && d->pad_hi[i] == d->pad_hi[0];
        sym &= d->pad_lo[i] == d->pad_hi[i];
    }
    for (int i = 0; i < (same ? 1 : ns); i++) {
        if (sym) ws_line_put(b, "%s%lld", i ? "," : "", (long long)d->pad_lo[i]);
        else
            ws_line_put(b, "%s%lld:%lld", i ? "," : "", (long long)d->pad_lo[i],
                        (long long)d->pad_hi[i]);
    }
}

void ws_conv_trace_replay(ws_line *b, const ws_trace_call *t)
{
    const ws_conv_trace *ct = t->arg;
    if (!ct->driver_op) {
        ws_line_put(b, "n/a (winsum-bench has no conv backward-bias)");
        return;
    }
    const winsum_view *x = t->view[ct->x], *w = t->view[ct->w];
    const winsum_conv_desc *d = ct->desc;
    if (!d || !ws_view_rank_ok(x) || !ws_view_rank_ok(w) || x->ndim < 3 ||
        x->ndim > 2 + WINSUM_MAX_SPATIAL || w->ndim != x->ndim ||
        (d->nspatial && d->nspatial != x->ndim - 2)) {
        ws_line_put(b, "n/a (the tensors make no convolution)");
        return;
    }
    int ns = x->ndim - 2;
    ws_line_put(b, "winsum-bench conv %s --input-shape ", ct->driver_op);
    ws_line_list(b, x->shape, x->ndim, ",");
    ws_line_put(b, " --weight-shape ");
    ws_line_list(b, w->shape, w->ndim, ",");
    ws_line_put(b, " --stride ");
    put_axes(b, d->stride, ns);
    ws_line_put(b, " --padding ");
    put_padding(b, d, ns);
    ws_line_put(b, " --dilation ");
    put_axes(b, d->dilation, ns);
    ws_line_put(b, " --groups %lld --dtype %s --layout %s", (long long)d->groups,
                ws_dtype_short(x->dtype), d->layout == WINSUM_LAYOUT_NHWC ? "nhwc" : "nchw");
}
