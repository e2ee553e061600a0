"""PyTorch on winsum: convolutions and einsum as autograd Functions.

    import winsum.torch as wt
    y = wt.conv(x, w, b, stride=1, padding=1)   # forward and backward by winsum
    layer = wt.Conv2d(3, 16, 3, padding=1)       # a drop-in for torch.nn.Conv2d
    z = wt.einsum("ij,jk->ik", a, b)             # with autograd

CPU tensors are handed to winsum as numpy views of their memory (any
strides); the results come back as tensors. The computation runs on
`context` (default: winsum's default context, $WINSUM_DEVICE)."""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F

from . import _conv, _lib
from ._core import Error
from ._einsum import einsum as _einsum

__all__ = ["conv", "Conv1d", "Conv2d", "Conv3d", "einsum"]


def _np(t):
    if t is None:
        return None
    return t.detach().cpu().numpy()


def _t(a, like):
    r = torch.from_numpy(np.asarray(a))
    return r if like is None or like.device.type == "cpu" else r.to(like.device)


# Every derivative is again one of the Functions below, so torch can
# differentiate any number of times (create_graph=True: gradient penalties,
# Hessian-vector products) and every step is computed by winsum. For
# y = conv(x, w) + bias, with D = backward-data and W = backward-weight:
#   dy -> dx = D(dy, w), dw = W(x, dy), dbias = sum of dy over N and space.
# D and W are linear in each argument; their adjoints are the same three:
#   dx = D(gy, w):   d/dgy = conv(ddx, w),   d/dw = W(ddx, gy)
#   dw = W(x, gy):   d/dx  = D(gy, ddw),     d/dgy = conv(x, ddw)
#   db = sum(gy):    d/dgy = db broadcast along the channel axis.


class _Conv(torch.autograd.Function):
    """y = conv(x, w) + bias."""

    @staticmethod
    def forward(ctx, x, w, bias, args):
        ctx.args = args
        ctx.save_for_backward(x, w, bias)
        return _t(_conv.conv_forward(_np(x), _np(w), _np(bias), **args), x)

    @staticmethod
    def backward(ctx, gy):
        x, w, bias = ctx.saved_tensors
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = _ConvData.apply(gy, w, tuple(x.shape), ctx.args).to(x.dtype)
        if ctx.needs_input_grad[1]:
            gw = _ConvWeight.apply(x, gy, tuple(w.shape), ctx.args).to(w.dtype)
        if bias is not None and ctx.needs_input_grad[2]:
            gb = _ConvBias.apply(gy, ctx.args).to(bias.dtype)
        return gx, gw, gb, None


class _ConvData(torch.autograd.Function):
    """dx = backward-data(gy, w), of shape x_shape."""

    @staticmethod
    def forward(ctx, gy, w, x_shape, args):
        ctx.args = args
        ctx.save_for_backward(gy, w)
        return _t(_conv.conv_backward_data(_np(gy), _np(w), x_shape, **args), gy)

    @staticmethod
    def backward(ctx, ggx):
        gy, w = ctx.saved_tensors
        dgy = dw = None
        if ctx.needs_input_grad[0]:
            dgy = _Conv.apply(ggx, w, None, ctx.args).to(gy.dtype)
        if ctx.needs_input_grad[1]:
            dw = _ConvWeight.apply(ggx, gy, tuple(w.shape), ctx.args).to(w.dtype)
        return dgy, dw, None, None


class _ConvWeight(torch.autograd.Function):
    """dw = backward-weight(x, gy), of shape w_shape."""

    @staticmethod
    def forward(ctx, x, gy, w_shape, args):
        ctx.args = args
        ctx.save_for_backward(x, gy)
        return _t(_conv.conv_backward_weight(_np(x), _np(gy), w_shape, **args), x)

    @staticmethod
    def backward(ctx, ggw):
        x, gy = ctx.saved_tensors
        dx = dgy = None
        if ctx.needs_input_grad[0]:
            dx = _ConvData.apply(gy, ggw, tuple(x.shape), ctx.args).to(x.dtype)
        if ctx.needs_input_grad[1]:
            dgy = _Conv.apply(x, ggw, None, ctx.args).to(gy.dtype)
        return dx, dgy, None, None


class _ConvBias(torch.autograd.Function):
    """dbias = gy summed over the batch and spatial axes."""

    @staticmethod
    def forward(ctx, gy, args):
        ctx.args, ctx.shape = args, tuple(gy.shape)
        return _t(_conv.conv_backward_bias(_np(gy), layout=args["layout"],
                                           context=args["context"]), gy)

    @staticmethod
    def backward(ctx, ggb):
        return _BiasBroadcast.apply(ggb, ctx.shape, ctx.args), None


class _BiasBroadcast(torch.autograd.Function):
    """b (C,) copied along every axis of `shape` but the channel axis (a winsum
    copy of a zero-stride view); the adjoint of _ConvBias."""

    @staticmethod
    def forward(ctx, b, shape, args):
        ctx.args = args
        nchw = _conv.make_desc(len(shape) - 2, layout=args["layout"]).layout == _lib.LAYOUT_NCHW
        view = [1] * len(shape)
        view[1 if nchw else -1] = shape[1 if nchw else -1]
        src = np.broadcast_to(_np(b).reshape(view), shape)
        return _t(_einsum("...->...", src, context=args["context"]), b)

    @staticmethod
    def backward(ctx, g):
        return _ConvBias.apply(g, ctx.args), None, None


def conv(x: torch.Tensor, w: torch.Tensor, bias: Optional[torch.Tensor] = None,
         stride: Union[int, Sequence[int]] = 1,
         padding: Union[int, str, Sequence[Union[int, Tuple[int, int]]]] = 0,
         dilation: Union[int, Sequence[int]] = 1, groups: int = 1, layout: str = "nchw",
         context: Any = None) -> torch.Tensor:
    """torch.nn.functional.conv1d/2d/3d (by x's rank) through winsum, with
    autograd: backward computes d/dx, d/dw and d/dbias with winsum, and is
    itself differentiable (to any order, create_graph=True) by winsum.

    Parameters
    ----------
    x : Tensor (N, C, spatial...), or (N, spatial..., C) with layout="nhwc"
    w : Tensor (O, C/groups, k...)
    bias : Tensor (O,), optional
    stride, dilation : int or tuple of int
    padding : int, tuple, tuple of (lo, hi) pairs, "same" or "valid"
    groups : int
    layout : {"nchw", "nhwc"}
    context : winsum.Context, optional
        Where forward and backward run (default: winsum.default_context()).

    Returns
    -------
    Tensor
        On x's device, float16/32/64 as x.

    Raises
    ------
    winsum.Error
        As winsum.conv_forward's.

    Examples
    --------
    >>> import torch, winsum.torch as wt
    >>> x = torch.ones(1, 1, 3, 3, dtype=torch.float64, requires_grad=True)
    >>> y = wt.conv(x, torch.ones(1, 1, 2, 2, dtype=torch.float64))
    >>> y.sum().backward()
    >>> x.grad[0, 0]
    tensor([[1., 2., 1.],
            [2., 4., 2.],
            [1., 2., 1.]], dtype=torch.float64)
    """
    args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups, layout=layout,
                context=context)
    return _Conv.apply(x, w, bias, args)


class _ConvMixin:
    winsum_context = None

    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            padding = 0
        else:
            padding = self.padding
        return conv(input, weight, bias, self.stride, padding, self.dilation, self.groups,
                    context=self.winsum_context)


class Conv1d(_ConvMixin, torch.nn.Conv1d):
    """torch.nn.Conv1d whose forward and backward run on winsum (same
    arguments, parameters and state_dict; set `winsum_context` to choose the
    context)."""


class Conv2d(_ConvMixin, torch.nn.Conv2d):
    """torch.nn.Conv2d whose forward and backward run on winsum (same arguments,
    parameters and state_dict; set `winsum_context` to choose the context).

    Examples
    --------
    >>> import torch, winsum.torch as wt
    >>> layer = wt.Conv2d(3, 8, 3, padding=1)
    >>> layer(torch.randn(2, 3, 16, 16)).shape
    torch.Size([2, 8, 16, 16])
    """


class Conv3d(_ConvMixin, torch.nn.Conv3d):
    """torch.nn.Conv3d whose forward and backward run on winsum (same
    arguments, parameters and state_dict; set `winsum_context` to choose the
    context)."""


# ------------------------------------------------------------------ einsum

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _explicit(subscripts, shapes):
    """Per-operand label lists and the output labels, '...' spelled out."""
    s = subscripts.replace(" ", "")
    if "->" in s:
        ins, out = s.split("->", 1)
    else:
        ins, out = s, None
    terms = ins.split(",")
    if len(terms) != len(shapes):
        raise Error("%d operands for %d subscript terms" % (len(shapes), len(terms)), 2)
    used = set(c for c in s if c.isalpha())
    free = [c for c in _LETTERS if c not in used]
    ell = 0
    for term, shp in zip(terms, shapes):
        if "..." in term:
            ell = max(ell, len(shp) - (len(term) - 3))
    eletters = free[:ell]
    labels = []
    for term, shp in zip(terms, shapes):
        if "..." in term:
            n = len(shp) - (len(term) - 3)
            a, b = term.split("...")
            labels.append(list(a) + eletters[ell - n:] + list(b))
        else:
            labels.append(list(term))
    if out is None:
        counts = {}
        for ls in labels:
            for c in ls:
                counts[c] = counts.get(c, 0) + 1
        # numpy's implicit order: by character code (upper case first)
        outl = list(eletters) + sorted(c for c in counts if counts[c] == 1 and c not in eletters)
    else:
        if "..." in out:
            a, b = out.split("...")
            outl = list(a) + eletters + list(b)
        else:
            outl = list(out)
    return labels, outl


def _grad_for(k, labels, outl, gout, ops, context):
    """d(loss)/d(operand k) given gout = d(loss)/d(out), as differentiable
    einsums (_Einsum), so that it can be differentiated again:
      1. gout and the other operands contracted onto the labels of operand k
         that they carry at operand k's size;
      2. if operand k has more: a label broadcast in it (size 1 there, more
         elsewhere) has been summed and gets its axis back with size 1; one
         that no other term carries at its size is constant along it (a ones
         tensor); a repeated one lives on the diagonal (an identity matrix
         ties each repeat to the first occurrence)."""
    mine, myshape = labels[k], tuple(ops[k].shape)
    size = {}
    for ls, o in zip([outl] + labels, [gout] + list(ops)):
        for c, n in zip(ls, o.shape):
            if size.get(c, 1) == 1:
                size[c] = n
    terms = [outl] + [labels[i] for i in range(len(ops)) if i != k]
    operands = [gout] + [ops[i] for i in range(len(ops)) if i != k]
    have = {}
    for ls, o in zip(terms, operands):
        for c, n in zip(ls, o.shape):
            have[c] = max(have.get(c, 1), n)
    kept = [(c, n) for c, n in zip(mine, myshape) if n != 1 or size[c] == 1]
    first = list(dict.fromkeys(c for c, _ in kept))
    avail = [c for c in first if have.get(c) == dict(kept)[c]]
    if terms == [avail]:
        g = gout
    else:
        subs = ",".join("".join(t) for t in terms) + "->" + "".join(avail)
        g = _Einsum.apply(subs, context, *operands)
    if len(avail) == len(kept):
        return g.reshape(myshape)
    # step 2 with its own letters (at most 32 axes, so never short of them)
    dt, dev = g.dtype, g.device
    name = {c: _LETTERS[i] for i, c in enumerate(first)}
    fresh = iter(_LETTERS[len(first):])
    count = {c: sum(1 for d, _ in kept if d == c) for c in first}
    terms, operands = ["".join(name[c] for c in avail)], [g]
    ones = [(c, n) for c, n in dict(kept).items() if c not in avail and count[c] == 1]
    if ones:
        terms.append("".join(name[c] for c, _ in ones))
        operands.append(torch.ones([n for _, n in ones], dtype=dt, device=dev))
    full, seen = [], set()
    for c, n in kept:
        if c in seen:
            f = next(fresh)
            terms.append(name[c] + f)
            operands.append(torch.eye(n, dtype=dt, device=dev))
            full.append(f)
        else:
            seen.add(c)
            full.append(name[c])
    g = _Einsum.apply(",".join(terms) + "->" + "".join(full), context, *operands)
    return g.reshape(myshape)


class _Einsum(torch.autograd.Function):
    """out = einsum(subscripts, *ops); its gradients are _Einsums again."""

    @staticmethod
    def forward(ctx, subscripts, context, *ops):
        ctx.subscripts, ctx.context = subscripts, context
        ctx.save_for_backward(*ops)
        return _t(_einsum(subscripts, *[_np(o) for o in ops], context=context),
                  ops[0] if ops else None)

    @staticmethod
    def backward(ctx, gout):
        ops = ctx.saved_tensors
        labels, outl = _explicit(ctx.subscripts, [tuple(o.shape) for o in ops])
        grads = []
        for k, o in enumerate(ops):
            if ctx.needs_input_grad[k + 2]:
                grads.append(_grad_for(k, labels, outl, gout, ops, ctx.context).to(o.dtype))
            else:
                grads.append(None)
        return (None, None, *grads)


def einsum(subscripts: str, *operands: torch.Tensor, context: Any = None) -> torch.Tensor:
    """torch.einsum through winsum, differentiable in every operand, to any
    order (its gradients are einsums that winsum computes, on `context`).

    Parameters
    ----------
    subscripts : str
        numpy's / torch's notation.
    *operands : Tensor
        float16/32/64 tensors, any strides.
    context : winsum.Context, optional
        Where forward and backward run (default: winsum.default_context()).

    Returns
    -------
    Tensor

    Raises
    ------
    winsum.Error
        As winsum.einsum's.

    Examples
    --------
    >>> import torch, winsum.torch as wt
    >>> a = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
    >>> wt.einsum("ij,kj->ik", a, torch.ones(4, 3, dtype=torch.float64)).sum().backward()
    >>> a.grad
    tensor([[4., 4., 4.],
            [4., 4., 4.]], dtype=torch.float64)
    """
    return _Einsum.apply(subscripts, context, *operands)
