# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""Operations on device arrays that keep the data on the device: element-wise
arithmetic and comparisons, sums, zeros."""
from __future__ import annotations

import ctypes
from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _lib
from ._lib import lib
from ._core import Context, Error
from ._array import Array, Operand, _letters, asarray, empty


_OPS = {"add": 0, "sub": 1, "mul": 2, "max": 3, "min": 4, "greater": 5, "equal": 6}


def _raw_einsum(ctx, subscripts, arrays, out, alpha=1.0, beta=0.0):
    """winsum_einsum on Arrays of ctx (no binding, no transfer)."""
    structs = [a.view_struct() for a in arrays]
    views = (_lib.View * len(structs))(*structs)
    ov = out.view_struct()
    ctx.check(lib.winsum_einsum(ctx.handle, subscripts.encode(), len(arrays), views,
                                ctypes.byref(ov), float(alpha), float(beta)))


def _axes(a, axis):
    if axis is None:
        return tuple(range(a.ndim))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    res = []
    for ax in axes:
        ax = int(ax)
        if not -a.ndim <= ax < a.ndim:
            raise Error("axis %d is out of bounds for %d dimensions" % (ax, a.ndim),
                        _lib.ERR_ARGUMENT)
        ax %= a.ndim
        if ax in res:
            raise Error("axis %d repeated" % ax, _lib.ERR_ARGUMENT)
        res.append(ax)
    return tuple(sorted(res))


def _sum(a, axis, keepdims, out, alpha):
    axes = _axes(a, axis)
    letters = _letters(a.ndim)
    keep = [d for d in range(a.ndim) if d not in axes]
    shape = tuple(a.shape[d] for d in keep)
    if out is None:
        res = empty(shape, a.dtype, a.context)
    else:
        _check_out(out, a.context, a.dtype, shape, "sum")
        res = out
    if res.size:
        _raw_einsum(a.context, "%s->%s" % (letters, "".join(letters[d] for d in keep)), [a],
                    res, alpha)
    if keepdims:
        res = res.reshape(tuple(1 if d in axes else n for d, n in enumerate(a.shape)))
    return res


def _check_out(out, ctx, dtype, shape, who):
    if not isinstance(out, Array) or out.context is not ctx:
        raise Error("%s: out must be a winsum.Array of the operands' context" % who,
                    _lib.ERR_CONTEXT)
    if out.dtype != dtype:
        raise Error("%s: out is %s, the result %s" % (who, out.dtype, dtype), _lib.ERR_DTYPE)
    if out.shape != tuple(shape):
        raise Error("%s: out has shape %s, the result %s" % (who, out.shape, tuple(shape)),
                    _lib.ERR_SHAPE)


def _is_scalar(o):
    return isinstance(o, (int, float, np.integer, np.floating)) and not isinstance(o, bool) \
        or (isinstance(o, np.ndarray) and o.ndim == 0 and o.dtype.kind in "iuf")


def elementwise(op: str, a: "Array", b: Optional["Array"] = None, alpha: float = 1.0,
                beta: float = 1.0, out: Optional["Array"] = None) -> "Array":
    """Element by element on the device: out = op(alpha * a, beta * b).

    The C call winsum_elementwise; the operators of Array and add(),
    maximum() etc. are made of it.

    Parameters
    ----------
    op : {"add", "sub", "mul", "max", "min", "greater", "equal"}
        x + y, x - y, x * y, numpy's maximum / minimum (NaN propagates), and
        1 where x > y (x == y), else 0, for x = alpha * a, y = beta * b.
    a : Array
    b : Array, optional
        Of a's context and dtype; a and b broadcast to the result's shape
        by numpy's rule. None: y is the constant beta.
    alpha, beta : float
        The scales (beta: the constant without b).
    out : Array, optional
        Of the broadcast shape; it may be a or b itself (in place), nothing
        else that overlaps them. None: a new Array.

    Returns
    -------
    Array
        out.

    Raises
    ------
    winsum.Error
        WINSUM_ERR_ARGUMENT (an unknown op), _SHAPE (no broadcast), _DTYPE,
        _CONTEXT, _ALIAS (out overlaps a or b otherwise); nothing is written.

    Examples
    --------
    >>> import numpy as np, winsum
    >>> x = winsum.asarray(np.array([-1.0, 2.0, -3.0]))
    >>> winsum.elementwise("max", x, None, 1.0, 0.0).numpy()   # ReLU
    array([0., 2., 0.])
    >>> winsum.elementwise("add", x, x, 2.0, -1.0, out=x).numpy()  # x = 2x - x
    array([-1.,  2., -3.])
    """
    code = _OPS.get(op)
    if code is None:
        raise Error("elementwise: op %r is not one of %s" % (op, ", ".join(_OPS)),
                    _lib.ERR_ARGUMENT)
    if not isinstance(a, Array):
        raise Error("elementwise: a must be a winsum.Array", _lib.ERR_ARGUMENT)
    ctx = a.context
    if b is not None and (not isinstance(b, Array) or b.context is not ctx):
        raise Error("elementwise: b must be a winsum.Array of a's context", _lib.ERR_CONTEXT)
    if b is not None and b.dtype != a.dtype:
        raise Error("elementwise: a is %s, b %s: one dtype" % (a.dtype, b.dtype),
                    _lib.ERR_DTYPE)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape) if b is not None else a.shape
    except ValueError:
        raise Error("elementwise: shapes %s and %s do not broadcast" % (a.shape, b.shape),
                    _lib.ERR_SHAPE) from None
    if out is None:
        out = empty(shape, a.dtype, ctx)
    elif not isinstance(out, Array) or out.context is not ctx:
        raise Error("elementwise: out must be a winsum.Array of a's context", _lib.ERR_CONTEXT)
    av = a.view_struct()
    bv = b.view_struct() if b is not None else None
    ov = out.view_struct()
    ctx.check(lib.winsum_elementwise(ctx.handle, code, float(alpha), ctypes.byref(av),
                                     float(beta), ctypes.byref(bv) if bv is not None else None,
                                     ctypes.byref(ov)))
    return out


def _operand(x, o):
    """o as an Array of x's context and dtype (a numpy operand is uploaded)."""
    if isinstance(o, Array):
        if o.context is not x.context:
            raise Error("the operands are Arrays of different contexts", _lib.ERR_CONTEXT)
        if o.dtype != x.dtype:
            raise Error("the operands are %s and %s: convert one (winsum computes in one "
                        "dtype)" % (x.dtype, o.dtype), _lib.ERR_DTYPE)
        return o
    return asarray(np.asarray(o, dtype=x.dtype), context=x.context)


def _binary(op, x, o, out=None, reflected=False):
    """x op o (o op x when reflected) for an Array x; o an Array, a scalar or
    array-like. op: add, sub, mul, max, min, greater."""
    if _is_scalar(o):
        s = float(o)
        # x op s as op(alpha x, beta) with a scalar beta
        if op == "sub":
            return elementwise("add", x, None, -1.0 if reflected else 1.0,
                               s if reflected else -s, out=out)
        if op == "mul":
            return elementwise("mul", x, None, s, 1.0, out=out)
        if op == "greater" and reflected:  # s > x  <=>  -x > -s
            return elementwise("greater", x, None, -1.0, -s, out=out)
        return elementwise(op, x, None, 1.0, s, out=out)
    o = _operand(x, o)
    if reflected:
        return elementwise(op, o, x, out=out)
    return elementwise(op, x, o, out=out)


def _function(op, doc, example):
    def f(a: Operand, b: Operand, out: Optional[Array] = None) -> Array:
        if not isinstance(a, Array):
            if isinstance(b, Array):
                return _binary(op, b, a, out=out, reflected=op in ("sub", "greater"))
            raise Error("%s: one operand must be a winsum.Array" % op, _lib.ERR_ARGUMENT)
        return _binary(op, a, b, out=out)
    f.__doc__ = """%s

    Parameters
    ----------
    a, b : Array or scalar
        At least one an Array; they broadcast by numpy's rule. A scalar
        keeps the Array's dtype; a numpy operand is uploaded.
    out : Array, optional
        Of the broadcast shape; it may be an operand itself (in place).

    Returns
    -------
    Array

    Raises
    ------
    winsum.Error
        WINSUM_ERR_SHAPE, _DTYPE, _CONTEXT (Arrays of two contexts), _ALIAS;
        nothing is written.

    Examples
    --------
    >>> import numpy as np, winsum
    >>> x = winsum.asarray(np.array([[1.0, -2.0], [3.0, -4.0]]))
    >>> %s
    """ % (doc, example)
    f.__name__ = f.__qualname__ = {"sub": "subtract", "mul": "multiply", "max": "maximum",
                                   "min": "minimum"}.get(op, op)
    return f


add = _function("add", "a + b on the device (numpy's add).",
                """winsum.add(x, np.array([10.0, 20.0])).numpy()
    array([[11., 18.],
           [13., 16.]])""")
subtract = _function("sub", "a - b on the device (numpy's subtract).",
                     """winsum.subtract(1, x).numpy()
    array([[ 0.,  3.],
           [-2.,  5.]])""")
multiply = _function("mul", "a * b on the device (numpy's multiply).",
                     """winsum.multiply(x, x[:, :1]).numpy()
    array([[  1.,  -2.],
           [  9., -12.]])""")
maximum = _function("max", "The element-wise maximum on the device, NaN propagating "
                    "(numpy's maximum); maximum(x, 0) is ReLU.",
                    """winsum.maximum(x, 0).numpy()
    array([[1., 0.],
           [3., 0.]])""")
minimum = _function("min", "The element-wise minimum on the device (numpy's minimum).",
                    """winsum.minimum(x, 0).numpy()
    array([[ 0., -2.],
           [ 0., -4.]])""")
greater = _function("greater", "1 where a > b, else 0, in the operands' dtype, on the device.",
                    """winsum.greater(x, 0).numpy()
    array([[1., 0.],
           [1., 0.]])""")


def equal(a: Operand, b: Operand, out: Optional[Array] = None) -> Array:
    """1 where a == b, else 0, in the operands' dtype, on the device.

    Parameters
    ----------
    a, b : Array or scalar
        At least one an Array; they broadcast by numpy's rule.
    out : Array, optional
        Of the broadcast shape; it may be an operand itself.

    Returns
    -------
    Array

    Examples
    --------
    >>> import numpy as np, winsum
    >>> winsum.equal(winsum.asarray(np.array([1.0, 2.0, 3.0])), 2).numpy()
    array([0., 1., 0.])
    """
    if not isinstance(a, Array):
        a, b = b, a
    if _is_scalar(b):
        return elementwise("equal", a, None, 1.0, float(b), out=out)
    return elementwise("equal", a, _operand(a, b), out=out)


def zeros(shape: Union[int, Sequence[int]], dtype: Any = np.float32,
          context: Optional[Context] = None) -> Array:
    """A C-contiguous device Array of zeros, set on the device (no upload).

    Parameters
    ----------
    shape : int or tuple of int
    dtype : float16, float32 or float64
    context : Context, optional
        Default: default_context().

    Returns
    -------
    Array

    Examples
    --------
    >>> import winsum
    >>> winsum.zeros((2, 3)).numpy()
    array([[0., 0., 0.],
           [0., 0., 0.]], dtype=float32)
    """
    return empty(shape, dtype, context).fill(0.0)
