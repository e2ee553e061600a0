# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""Convolutions: winsum_conv_* with torch's argument order."""
from __future__ import annotations

import ctypes
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from . import _lib
from ._lib import lib
from ._core import Error
from ._array import Array, as_strided, call_context
from ._binding import Binding, _is_pyopencl, new_output, overlaps, promote, result_kind

Operand = Any  # a numpy array (or what np.asarray takes), winsum.Array or pyopencl array
IntOrTuple = Union[int, Sequence[int]]
Padding = Union[int, str, Sequence[Union[int, Tuple[int, int]]]]

_COMMON = """    stride, dilation : int or tuple of int
        Per spatial axis (one int for all).
    padding : int, tuple, tuple of (lo, hi) pairs, "same" or "valid"
        Zero padding per spatial axis; "same" keeps the size (stride 1).
    groups : int
        Channel groups (C and O divisible by it).
    layout : {"nchw", "nhwc"}
        (also "ncw", "nwc", "ncdhw", "ndhwc", "channels_first", "channels_last")
        where the channel axis is in x and the result (the weight is
        always (O, C/groups, k...)).
    out : ndarray, winsum.Array or pyopencl array, optional
        Written in place and returned (the result's shape; a dtype the
        result casts to safely).
    alpha, beta : float
        result = alpha * convolution + beta * out (beta reads out).
    context : winsum.Context, optional
        Default: the context of the winsum.Array operands and out (all of
        one context; an explicit one must be theirs), else
        winsum.default_context()."""

_RETURNS = """    Returns
    -------
    ndarray, winsum.Array or pyopencl array
        `out`, else a new array of the operands' kind (a winsum.Array when
        one is) and their common float dtype.

    Raises
    ------
    winsum.Error
        A ValueError with .status: WINSUM_ERR_CONV for a bad geometry,
        WINSUM_ERR_SHAPE, WINSUM_ERR_DTYPE (float16/32/64 only),
        WINSUM_ERR_ALIAS when out overlaps an operand, WINSUM_ERR_CONTEXT.
        Nothing is written when a call fails."""

_LAYOUTS = {"nchw": _lib.LAYOUT_NCHW, "nhwc": _lib.LAYOUT_NHWC, "ncw": _lib.LAYOUT_NCHW,
            "nwc": _lib.LAYOUT_NHWC, "ncdhw": _lib.LAYOUT_NCHW, "ndhwc": _lib.LAYOUT_NHWC,
            "channels_first": _lib.LAYOUT_NCHW, "channels_last": _lib.LAYOUT_NHWC}


def _tuple(v, ns, what):
    if isinstance(v, (int, np.integer)):
        return (int(v),) * ns
    v = tuple(int(x) for x in v)
    if len(v) == 1:
        return v * ns
    if len(v) != ns:
        raise Error("%s %s: %d values for %d spatial axes" % (what, v, len(v), ns), _lib.ERR_CONV)
    return v


def make_desc(ns, stride=1, padding=0, dilation=1, groups=1, layout="nchw", output_padding=0):
    """A winsum_conv_desc. padding: an int, a tuple of ints (one per spatial
    axis), a tuple of (lo, hi) pairs, "same" or "valid"."""
    d = _lib.ConvDesc()
    lib.winsum_conv_desc_init(ctypes.byref(d))
    if not 1 <= ns <= _lib.MAX_SPATIAL:
        raise Error("a convolution input of rank %d: 3, 4 or 5 (N, C and 1 to 3 spatial axes)"
                    % (ns + 2), _lib.ERR_CONV)
    d.nspatial = ns
    for i, s in enumerate(_tuple(stride, ns, "stride")):
        d.stride[i] = s
    for i, s in enumerate(_tuple(dilation, ns, "dilation")):
        d.dilation[i] = s
    for i, s in enumerate(_tuple(output_padding, ns, "output_padding")):
        d.output_padding[i] = s
    if isinstance(padding, str):
        p = padding.lower()
        if p == "same":
            d.pad_same = 1
        elif p != "valid":
            raise Error("padding %r: an int, a tuple, (lo, hi) pairs, 'same' or 'valid'"
                        % padding, _lib.ERR_CONV)
    elif isinstance(padding, (int, np.integer)):
        for i in range(ns):
            d.pad_lo[i] = d.pad_hi[i] = int(padding)
    else:
        padding = tuple(padding)
        if len(padding) == 1 and ns > 1:
            padding = padding * ns
        if len(padding) != ns:
            raise Error("padding %s: %d entries for %d spatial axes" % (padding, len(padding), ns),
                        _lib.ERR_CONV)
        for i, p in enumerate(padding):
            if isinstance(p, (int, np.integer)):
                d.pad_lo[i] = d.pad_hi[i] = int(p)
            else:
                lo, hi = p
                d.pad_lo[i], d.pad_hi[i] = int(lo), int(hi)
    d.groups = int(groups)
    lay = _LAYOUTS.get(str(layout).lower())
    if lay is None:
        raise Error("layout %r: 'nchw' or 'nhwc'" % (layout,), _lib.ERR_CONV)
    d.layout = lay
    return d


def _ishape(shape):
    return (_lib.i64 * max(len(shape), 1))(*[int(n) for n in shape])


def _shape_call(fn, desc, rank, xs, ws):
    y = (_lib.i64 * max(rank, 1))()
    msg = ctypes.create_string_buffer(1024)
    st = fn(ctypes.byref(desc), rank, _ishape(xs), _ishape(ws), y, msg, 1024)
    if st:
        raise Error(msg.value.decode("utf-8", "replace"), st)
    return tuple(y[i] for i in range(rank))


def conv_output_shape(x_shape: Sequence[int], w_shape: Sequence[int], stride: IntOrTuple = 1,
                      padding: Padding = 0, dilation: IntOrTuple = 1, groups: int = 1,
                      layout: str = "nchw") -> Tuple[int, ...]:
    """The forward convolution's output shape (no data needed).

    Parameters
    ----------
    x_shape, w_shape : sequence of int
        The input's (N, C, spatial...) and the weight's (O, C/groups, k...).
    stride, padding, dilation, groups, layout
        As conv_forward's.

    Returns
    -------
    tuple of int

    Raises
    ------
    winsum.Error
        WINSUM_ERR_CONV for a geometry that has no output.

    Examples
    --------
    >>> import winsum
    >>> winsum.conv_output_shape((8, 3, 32, 32), (16, 3, 3, 3), stride=2, padding=1)
    (8, 16, 16, 16)
    """
    desc = make_desc(len(x_shape) - 2, stride, padding, dilation, groups, layout)
    if len(w_shape) != len(x_shape):
        raise Error("the weight has rank %d, the input %d" % (len(w_shape), len(x_shape)),
                    _lib.ERR_CONV)
    return _shape_call(lib.winsum_conv_output_shape, desc, len(x_shape), x_shape, w_shape)


def _rank(a, what):
    nd = len(a.shape)
    if not 3 <= nd <= 5:
        raise Error("%s has rank %d; a convolution takes rank 3, 4 or 5 (N, C, 1-3 spatial "
                    "axes)" % (what, nd), _lib.ERR_CONV)
    return nd


def _run(ctx, fn, desc, ops, out, out_shape, dtype, kind, alpha, beta, names):
    """fn(ctx, desc, *views of ops (None stays NULL), out view, alpha, beta);
    names: what messages call the ops."""
    present = [a for a in ops if a is not None]
    names = [n for a, n in zip(ops, names) if a is not None]
    b = Binding(ctx)
    if out is not None:
        if tuple(out.shape) != tuple(out_shape):
            raise Error("out has shape %s; the result has shape %s"
                        % (tuple(out.shape), tuple(out_shape)), _lib.ERR_SHAPE)
        views = b.bind(present + [out], outputs={len(present)},
                       preload={len(present)} if beta else (), names=names + ["out"])
        vout, views = views[-1], views[:-1]
        result = out
    else:
        views = b.bind(present, names=names)
        result = new_output(kind, out_shape, dtype, ctx)
        vout = b.bind([result], outputs={0})[0]
        beta = 0.0
    it = iter(views)
    args = [None if a is None else ctypes.byref(next(it)) for a in ops]
    ctx.check(fn(ctx.handle, ctypes.byref(desc), *args, ctypes.byref(vout), float(alpha),
                 float(beta)))
    b.commit()
    return result


def _prep(ops, out, context, names, who):
    ctx = call_context(context, ops + [out], list(names) + ["out"], who)
    if out is not None and not (isinstance(out, (np.ndarray, Array)) or _is_pyopencl(out)):
        raise Error("out must be a numpy array, a winsum.Array or a pyopencl array",
                    _lib.ERR_ARGUMENT)
    present = [a for a in ops if a is not None]
    kind = result_kind(present, out)
    conv, dtype = promote(present, ctx, out, names=[n for a, n in zip(ops, names) if a is not None])
    it = iter(conv)
    return ctx, [None if a is None else next(it) for a in ops], dtype, kind


def conv_forward(x: Operand, w: Operand, bias: Optional[Operand] = None,
                 stride: IntOrTuple = 1, padding: Padding = 0, dilation: IntOrTuple = 1,
                 groups: int = 1, layout: str = "nchw", out: Optional[Operand] = None,
                 alpha: float = 1.0, beta: float = 0.0, context: Any = None) -> Any:
    """y = alpha * (conv(x, w) + bias) + beta * out, as
    torch.nn.functional.conv1d/2d/3d (a cross-correlation, by x's rank).

    Parameters
    ----------
    x : array (N, C, spatial...), or (N, spatial..., C) with layout="nhwc"
        The input: 1 to 3 spatial axes; any strides.
    w : array (O, C/groups, k...)
        The weight, in every layout.
    bias : array (O,), optional
        Added to each output channel (scaled by alpha).
%s
%s

    Examples
    --------
    >>> import numpy as np, winsum
    >>> x, w = np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))
    >>> winsum.conv_forward(x, w, bias=np.array([0.5]))
    array([[[[4.5, 4.5],
             [4.5, 4.5]]]])
    """
    ctx, (x, w, bias), dtype, kind = _prep([x, w, bias], out, context, ["x", "w", "bias"],
                                           "conv_forward")
    rank = _rank(x, "the input")
    desc = make_desc(rank - 2, stride, padding, dilation, groups, layout)
    if len(w.shape) != rank:
        raise Error("the weight has rank %d, the input %d" % (len(w.shape), rank), _lib.ERR_CONV)
    ys = _shape_call(lib.winsum_conv_output_shape, desc, rank, x.shape, w.shape)
    return _run(ctx, lib.winsum_conv_forward, desc, [x, w, bias], out, ys, dtype, kind, alpha,
                beta, ["x", "w", "bias"])


def conv_backward_data(grad_output: Operand, w: Operand, input_shape: Sequence[int],
                       stride: IntOrTuple = 1, padding: Padding = 0, dilation: IntOrTuple = 1,
                       groups: int = 1, layout: str = "nchw", out: Optional[Operand] = None,
                       alpha: float = 1.0, beta: float = 0.0, context: Any = None) -> Any:
    """d(loss)/dx of conv_forward, given grad_output = d(loss)/dy.

    Parameters
    ----------
    grad_output : array, conv_forward's output shape
    w : array (O, C/groups, k...)
    input_shape : sequence of int
        x's shape (which output size a stride left ambiguous).
%s
%s

    Examples
    --------
    >>> import numpy as np, winsum
    >>> winsum.conv_backward_data(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), (1, 1, 3, 3))
    array([[[[1., 2., 1.],
             [2., 4., 2.],
             [1., 2., 1.]]]])
    """
    ctx, (gy, w), dtype, kind = _prep([grad_output, w], out, context, ["grad_output", "w"],
                                      "conv_backward_data")
    input_shape = tuple(int(n) for n in input_shape)
    desc = make_desc(len(input_shape) - 2, stride, padding, dilation, groups, layout)
    return _run(ctx, lib.winsum_conv_backward_data, desc, [gy, w], out, input_shape, dtype, kind,
                alpha, beta, ["grad_output", "w"])


def conv_backward_weight(x: Operand, grad_output: Operand, weight_shape: Sequence[int],
                         stride: IntOrTuple = 1, padding: Padding = 0, dilation: IntOrTuple = 1,
                         groups: int = 1, layout: str = "nchw", out: Optional[Operand] = None,
                         alpha: float = 1.0, beta: float = 0.0, context: Any = None) -> Any:
    """d(loss)/dw of conv_forward, given x and grad_output = d(loss)/dy.

    Parameters
    ----------
    x : array (N, C, spatial...)
    grad_output : array, conv_forward's output shape
    weight_shape : sequence of int
        w's shape (O, C/groups, k...).
%s
%s

    Examples
    --------
    >>> import numpy as np, winsum
    >>> winsum.conv_backward_weight(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), (1, 1, 2, 2))
    array([[[[4., 4.],
             [4., 4.]]]])
    """
    ctx, (x, gy), dtype, kind = _prep([x, grad_output], out, context, ["x", "grad_output"],
                                      "conv_backward_weight")
    rank = _rank(x, "the input")
    desc = make_desc(rank - 2, stride, padding, dilation, groups, layout)
    weight_shape = tuple(int(n) for n in weight_shape)
    return _run(ctx, lib.winsum_conv_backward_weight, desc, [x, gy], out, weight_shape, dtype,
                kind, alpha, beta, ["x", "grad_output"])


def conv_backward_bias(grad_output: Operand, layout: str = "nchw", out: Optional[Operand] = None,
                       alpha: float = 1.0, beta: float = 0.0, context: Any = None) -> Any:
    """d(loss)/dbias: grad_output summed over the batch and spatial axes.

    Parameters
    ----------
    grad_output : array (N, O, spatial...), or (N, spatial..., O) with layout="nhwc"
    layout, out, alpha, beta, context
        As conv_forward's.
%s

    Examples
    --------
    >>> import numpy as np, winsum
    >>> winsum.conv_backward_bias(np.ones((2, 3, 4, 4)))
    array([32., 32., 32.])
    """
    ctx, (gy,), dtype, kind = _prep([grad_output], out, context, ["grad_output"],
                                    "conv_backward_bias")
    rank = _rank(gy, "grad_output")
    desc = make_desc(rank - 2, layout=layout)
    c = gy.shape[1] if desc.layout == _lib.LAYOUT_NCHW else gy.shape[-1]
    return _run(ctx, lib.winsum_conv_backward_bias, desc, [gy], out, (c,), dtype, kind, alpha,
                beta, ["grad_output"])


def conv_transpose(x: Operand, w: Operand, bias: Optional[Operand] = None,
                   stride: IntOrTuple = 1, padding: Padding = 0, output_padding: IntOrTuple = 0,
                   groups: int = 1, dilation: IntOrTuple = 1, layout: str = "nchw",
                   out: Optional[Operand] = None, alpha: float = 1.0, beta: float = 0.0,
                   context: Any = None) -> Any:
    """torch.nn.functional.conv_transpose1d/2d/3d, in its argument order.

    Parameters
    ----------
    x : array (N, C_in, spatial...)
    w : array (C_in, C_out/groups, k...)
    bias : array (C_out,), optional
        Added after the transposed convolution (scaled by alpha).
    output_padding : int or tuple of int
        Extra size on the high side of each spatial axis (< stride or dilation).
%s
%s

    Examples
    --------
    >>> import numpy as np, winsum
    >>> winsum.conv_transpose(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)))
    array([[[[1., 2., 1.],
             [2., 4., 2.],
             [1., 2., 1.]]]])
    """
    ctx, (x, w, bias), dtype, kind = _prep([x, w, bias], out, context, ["x", "w", "bias"],
                                           "conv_transpose")
    rank = _rank(x, "the input")
    desc = make_desc(rank - 2, stride, padding, dilation, groups, layout, output_padding)
    if len(w.shape) != rank:
        raise Error("the weight has rank %d, the input %d" % (len(w.shape), rank), _lib.ERR_CONV)
    ys = _shape_call(lib.winsum_conv_transpose_output_shape, desc, rank, x.shape, w.shape)
    if bias is not None:
        if len(bias.shape) != 1 or bias.shape[0] != ys[1 if desc.layout == 0 else -1]:
            raise Error("bias has shape %s; the output has %d channels"
                        % (tuple(bias.shape), ys[1 if desc.layout == 0 else -1]), _lib.ERR_SHAPE)
        # the bias is added by a second call, after out is written: what would
        # make that call fail is refused here, before anything is written
        if out is not None and overlaps(bias, out):
            raise Error("bias overlaps out in memory; write to separate memory",
                        _lib.ERR_ALIAS)
        if isinstance(bias, Array) and bias.context is not ctx:
            raise Error("bias is a winsum.Array of another context", _lib.ERR_CONTEXT)
        if _is_pyopencl(bias) and (getattr(ctx, "pyopencl_context", None) is None or
                                   bias.context.int_ptr != ctx.pyopencl_context.int_ptr):
            raise Error("bias is a pyopencl array of another OpenCL context", _lib.ERR_CONTEXT)
    y = _run(ctx, lib.winsum_conv_transpose, desc, [x, w], out, ys, dtype, kind, alpha, beta,
             ["x", "w"])
    if bias is not None:
        from ._einsum import einsum
        isz = np.dtype(dtype).itemsize
        st = [0] * rank
        st[1 if desc.layout == 0 else -1] = bias.strides[0]
        bb = as_strided(bias, ys, tuple(st))
        einsum("...->...", bb, out=y, alpha=alpha, beta=1.0, context=ctx)
    return y


for _f in (conv_forward, conv_backward_data, conv_backward_weight, conv_transpose):
    _f.__doc__ = _f.__doc__ % (_COMMON, _RETURNS)
conv_backward_bias.__doc__ = conv_backward_bias.__doc__ % _RETURNS
