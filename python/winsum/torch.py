"""PyTorch on winsum: convolutions and einsum as autograd Functions.

    import winsum.torch as wt
    y = wt.conv(x, w, b, stride=1, padding=1)   # forward and backward by winsum
    layer = wt.Conv2d(3, 16, 3, padding=1)       # a drop-in for torch.nn.Conv2d
    z = wt.einsum("ij,jk->ik", a, b)             # with autograd

CPU tensors are handed to winsum as numpy views of their memory (any
strides); the results come back as tensors. The computation runs on
`context` (default: winsum's default context, $WINSUM_DEVICE)."""
import numpy as np
import torch
import torch.nn.functional as F

from . import _conv
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


class _Conv(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, bias, stride, padding, dilation, groups, layout, context):
        ctx.args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
                        layout=layout, context=context)
        ctx.save_for_backward(x, w, bias)
        y = _conv.conv_forward(_np(x), _np(w), _np(bias), **ctx.args)
        return _t(y, x)

    @staticmethod
    def backward(ctx, gy):
        x, w, bias = ctx.saved_tensors
        g = _np(gy)
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = _t(_conv.conv_backward_data(g, _np(w), x.shape, **ctx.args), x).to(x.dtype)
        if ctx.needs_input_grad[1]:
            gw = _t(_conv.conv_backward_weight(_np(x), g, w.shape, **ctx.args), w).to(w.dtype)
        if bias is not None and ctx.needs_input_grad[2]:
            gb = _t(_conv.conv_backward_bias(g, layout=ctx.args["layout"],
                                             context=ctx.args["context"]), bias).to(bias.dtype)
        return gx, gw, gb, None, None, None, None, None, None


def conv(x, w, bias=None, stride=1, padding=0, dilation=1, groups=1, layout="nchw",
         context=None):
    """torch.nn.functional.conv1d/2d/3d (by x's rank) through winsum, with
    autograd: backward computes d/dx, d/dw and d/dbias with winsum.
    padding: int, tuple, tuple of (lo, hi) pairs, "same" or "valid"."""
    return _Conv.apply(x, w, bias, stride, padding, dilation, groups, layout, context)


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
    """torch.nn.Conv1d whose forward and backward run on winsum."""


class Conv2d(_ConvMixin, torch.nn.Conv2d):
    """torch.nn.Conv2d whose forward and backward run on winsum (same arguments,
    parameters and state_dict)."""


class Conv3d(_ConvMixin, torch.nn.Conv3d):
    """torch.nn.Conv3d whose forward and backward run on winsum."""


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


def _grad_for(k, labels, outl, gout, ops, shapes):
    """d(loss)/d(operand k) given gout = d(loss)/d(out)."""
    mine = labels[k]
    uniq = list(dict.fromkeys(mine))
    size = {}
    for ls, shp in zip(labels, shapes):
        for c, n in zip(ls, shp):
            if size.get(c, 1) == 1:
                size[c] = n
    others = [i for i in range(len(ops)) if i != k]
    avail = set(outl)
    for i in others:
        avail |= set(labels[i])
    target = [c for c in uniq if c in avail]
    subs = ",".join(["".join(outl)] + ["".join(labels[i]) for i in others]) + "->" + "".join(target)
    g = _einsum(subs, _np(gout), *[_np(ops[i]) for i in others])
    g = torch.from_numpy(np.asarray(g))
    # labels only in operand k: the gradient is constant along them
    my_size = {}
    for c, n in zip(mine, shapes[k]):
        my_size[c] = n
    full = []
    for c in uniq:
        if c not in target:
            g = g.unsqueeze(-1)
            full.append(c)
    cur = target + full
    g = g.permute([cur.index(c) for c in uniq])
    # size-1 broadcasting: sum where operand k has 1 and the rest more; expand the reverse
    for ax, c in enumerate(uniq):
        if my_size[c] == 1 and g.shape[ax] != 1:
            g = g.sum(ax, keepdim=True)
    g = g.expand([my_size[c] for c in uniq])
    if len(uniq) != len(mine):  # repeated labels: the gradient lives on the diagonal
        res = torch.zeros(shapes[k], dtype=g.dtype)
        st = res.stride()
        dst = res.as_strided([my_size[c] for c in uniq],
                             [sum(st[i] for i, d in enumerate(mine) if d == c) for c in uniq])
        dst.copy_(g)
        g = res
    return g.contiguous()


class _Einsum(torch.autograd.Function):
    @staticmethod
    def forward(ctx, subscripts, context, *ops):
        ctx.subscripts, ctx.context = subscripts, context
        ctx.save_for_backward(*ops)
        return torch.from_numpy(np.asarray(_einsum(subscripts, *[_np(o) for o in ops],
                                                   context=context)))

    @staticmethod
    def backward(ctx, gout):
        ops = ctx.saved_tensors
        shapes = [tuple(o.shape) for o in ops]
        labels, outl = _explicit(ctx.subscripts, shapes)
        grads = []
        for k, o in enumerate(ops):
            if ctx.needs_input_grad[k + 2]:
                grads.append(_grad_for(k, labels, outl, gout, ops, shapes).to(o.dtype))
            else:
                grads.append(None)
        return (None, None, *grads)


def einsum(subscripts, *operands, context=None):
    """torch.einsum through winsum, differentiable in every operand."""
    return _Einsum.apply(subscripts, context, *operands)
