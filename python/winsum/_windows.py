# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""Padded window views: the seed's `as_strided` windows of a convolution
input, with padding as guards (winsum_view_window), so that a padded
convolution is one einsum over a view and nothing is copied or padded in
memory."""
from __future__ import annotations

import ctypes
from typing import Any, Sequence, Tuple, Union

import numpy as np

from . import _lib
from ._core import Error, _decode
from ._array import Array, asarray
from ._lib import lib


def _per_axis(name, v, n, pairs=False):
    if np.ndim(v) == 0:
        v = [v] * n
    v = list(v)
    if len(v) != n:
        raise Error("windows: %s has %d entries for %d spatial axes" % (name, len(v), n),
                    _lib.ERR_ARGUMENT)
    if pairs:
        return [(int(p), int(p)) if np.ndim(p) == 0 else (int(p[0]), int(p[1])) for p in v]
    return [int(x) for x in v]


IntOrTuple = Union[int, Sequence[int]]


def windows(x: Any, kernel: IntOrTuple, stride: IntOrTuple = 1, dilation: IntOrTuple = 1,
            padding: Union[int, Sequence[Union[int, Tuple[int, int]]]] = 0) -> Array:
    """The windows of a convolution input as a view, padding included.

    The seed's ``as_strided`` windows with padding: element (n, c, i, j, k,
    l) of the windows of x (N, C, H, W) is x[n, c, i*sh + k*dh - ph, j*sw +
    l*dw - pw], zero where that falls in the padding. Nothing is copied or
    padded in memory: the padding is a guard on the view, which
    winsum.einsum and Array.copy() take (numpy's as_strided cannot say it).

    Parameters
    ----------
    x : Array
        Its last len(kernel) axes are spatial, e.g. (N, C, H, W) with
        kernel (KH, KW). A numpy array is uploaded (to the default context).
    kernel : int or tuple of int
        A size per spatial axis (an int: one spatial axis).
    stride, dilation : int or tuple of int
        One for all spatial axes, or one per axis.
    padding : int, tuple of int, or tuple of (int, int)
        One for all, one per axis, or (before, after) per axis.

    Returns
    -------
    Array
        (N, C, OH, OW, KH, KW), a view of x's memory (x's context) with guards, where
        OH = (H + ph_before + ph_after - dh (KH - 1) - 1) // sh + 1 (OW
        likewise). It cannot be indexed (copy() it first).

    Raises
    ------
    winsum.Error
        WINSUM_ERR_CONV (a kernel larger than the padded input, a stride,
        dilation or kernel below 1, a negative padding), _ARGUMENT (counts
        that do not match), _UNSUPPORTED (more than 4 padded axes).

    Examples
    --------
    >>> import numpy as np, winsum
    >>> x = winsum.asarray(np.arange(1.0, 5.0).reshape(1, 1, 4))
    >>> w = winsum.windows(x, (3,), padding=1)
    >>> w.shape
    (1, 1, 4, 3)
    >>> w.copy().numpy()[0, 0]
    array([[0., 1., 2.],
           [1., 2., 3.],
           [2., 3., 4.],
           [3., 4., 0.]])
    >>> k = winsum.asarray(np.array([[[1.0, 0.0, -1.0]]]))
    >>> winsum.einsum("ncxi,oci->nox", w, k).numpy()  # a padded convolution
    array([[[-2., -2., -2.,  3.]]])
    """
    if not isinstance(x, Array):
        x = asarray(x)
    ks = _per_axis("kernel", kernel, 1 if np.ndim(kernel) == 0 else len(kernel))
    ns = len(ks)
    if not 1 <= ns <= x.ndim:
        raise Error("windows: %d spatial axes for an Array of %d axes" % (ns, x.ndim),
                    _lib.ERR_ARGUMENT)
    st = _per_axis("stride", stride, ns)
    dl = _per_axis("dilation", dilation, ns)
    pad = _per_axis("padding", padding, ns, pairs=True)
    i64n = _lib.i64 * ns
    base = x.view_struct()
    out = _lib.View()
    axes = (ctypes.c_int * ns)(*range(x.ndim - ns, x.ndim))
    msg = ctypes.create_string_buffer(512)
    status = lib.winsum_view_window(ctypes.byref(base), ns, axes, i64n(*ks), i64n(*st),
                                    i64n(*dl), i64n(*[p[0] for p in pad]),
                                    i64n(*[p[1] for p in pad]), ctypes.byref(out), msg, 512)
    if status:
        raise Error(_decode(msg.value), status)
    nd = out.ndim
    isz = x.itemsize
    guards = tuple((tuple(int(out.guards[g].coef[i]) for i in range(nd)),
                    int(out.guards[g].offset), int(out.guards[g].extent))
                   for g in range(out.nguards))
    return Array(x._mem, x.dtype, [out.shape[i] for i in range(nd)],
                 [out.strides[i] * isz for i in range(nd)], out.offset, guards)
