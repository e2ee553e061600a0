# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""The public functions over device arrays that keep the data on the device:
add, subtract, multiply, maximum, minimum, greater, equal, zeros (what they
run, elementwise and the sums, is in _array.py beside Array's methods)."""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _lib
from ._core import Context, Error
from ._array import Array, Operand, _binary, _is_scalar, _operand, elementwise, empty


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
