"""Padded window views: the seed's `as_strided` windows of a convolution
input, with padding as guards (winsum_view_window), so that a padded
convolution is one einsum over a view and nothing is copied or padded in
memory."""
import ctypes

import numpy as np

from . import _lib
from ._core import Array, Error, _decode, asarray
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


def windows(x, kernel, stride=1, dilation=1, padding=0):
    """The windows of a convolution input as a view, padding included.

    x: an Array (a numpy array is uploaded) whose last len(kernel) axes are
    spatial, e.g. (N, C, H, W) with kernel (KH, KW). Returns an Array view
    (N, C, OH, OW, KH, KW) of x's memory: element (n, c, i, j, k, l) is
    x[n, c, i*sh + k*dh - ph, j*sw + l*dw - pw], zero where that falls in the
    padding; OH = (H + 2 ph - dh (KH - 1) - 1) // sh + 1 (likewise OW).

    kernel: a size per spatial axis (an int: one spatial axis). stride,
    dilation: an int or one per spatial axis. padding: an int, one per
    spatial axis, or (before, after) pairs per spatial axis.

    The view carries guards where padded; winsum.einsum and Array.copy()
    take it (numpy's as_strided cannot express the padding), e.g. the
    forward convolution with padding 1:

        y = winsum.einsum("ncxyij,ocij->noxy", winsum.windows(x, (3, 3), padding=1), w)
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
