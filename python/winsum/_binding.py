# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""The binding of numpy / device / pyopencl operands to winsum views (one
upload per byte span, no host copy), and the kind of a call's outputs."""
from __future__ import annotations

import ctypes

import numpy as np

from . import _lib
from ._core import _element_strided, _make_view, _np_span, _ptr, Error
from ._array import Array, _check_dtype, _Memory, empty


def _is_pyopencl(a):
    t = type(a)
    return t.__name__ == "Array" and t.__module__.startswith("pyopencl")


class Binding:
    """The views of one call. Numpy operands whose byte spans overlap share one
    buffer (so the library sees aliasing); each span is uploaded once (the
    OpenCL backend) or wrapped in place (the reference backend). Outputs are
    read back by commit(), only after the call succeeded, and only their
    elements are written (not the gaps between them)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.keep = []
        self.readback = []  # (mem, offset_in_buf, out numpy array, its span's lo, hi)
        self.copyback = []  # (temp numpy array, user out)

    def bind(self, items, outputs=(), preload=(), names=None):
        """items: numpy arrays, Arrays or pyopencl arrays (already of the
        call's dtype). outputs: indices of items that are written; preload:
        those of them whose old values are read (beta != 0). names: what
        messages call each item (default "operand i", and "out" for an
        output). Returns views."""
        ctx = self.ctx
        views = [None] * len(items)
        host = []
        for i, a in enumerate(items):
            what = names[i] if names else "out" if i in outputs else "operand %d" % i
            if isinstance(a, Array):
                if a.context is not ctx:
                    raise Error("%s is a winsum.Array of another context" % what,
                                _lib.ERR_CONTEXT)
                views[i] = a.view_struct()
                self.keep.append(a)
            elif _is_pyopencl(a):
                views[i] = self._pyopencl_view(what, a)
            else:
                if i in outputs and not a.flags.writeable:
                    raise Error("%s is read-only" % what, _lib.ERR_ARGUMENT)
                if i in outputs and (any(s % a.itemsize for s in a.strides)
                                     or _ptr(a) % a.itemsize):
                    # computed in an aligned copy; with beta != 0 the library
                    # reads out's old values, so the copy starts from them
                    tmp = np.empty(a.shape, a.dtype)
                    if i in preload:
                        tmp[...] = a
                    self.copyback.append((tmp, a))
                    a = tmp
                if a.size == 0:
                    mem = _Memory(ctx, a.itemsize) if ctx.backend != "ref" else None
                    buf = mem.buf if mem else _lib.Buffer(_lib.HOST, _ptr(a) or None, None, 0)
                    self.keep.append((mem, buf))
                    views[i] = _make_view(ctypes.pointer(buf), a.dtype, 0, a.shape, a.strides)
                    continue
                lo, hi = _np_span(a)
                host.append((lo, hi, i, a))
        host.sort(key=lambda t: t[0])
        groups = []
        for lo, hi, i, a in host:
            g = groups[-1] if groups else None
            if g and lo < g["hi"] and (_ptr(a) - g["lo"]) % a.itemsize == 0:
                g["hi"] = max(g["hi"], hi)
                g["members"].append((lo, hi, i, a))
            else:
                groups.append({"lo": lo, "hi": hi, "members": [(lo, hi, i, a)]})
        for g in groups:
            lo, hi = g["lo"], g["hi"]
            if ctx.backend == "ref":
                buf = _lib.Buffer(_lib.HOST, lo, None, hi - lo)
                self.keep.append(buf)
            else:
                mem = _Memory(ctx, hi - lo)
                buf = mem.buf
                self.keep.append(mem)
                # an output whose old values are not read needs no upload:
                # only its elements come back
                if any(i not in outputs or i in preload for _, _, i, _ in g["members"]):
                    mem.write(0, lo, hi - lo)
                for mlo, mhi, i, a in g["members"]:
                    if i in outputs:
                        self.readback.append((mem, mlo - lo, a, mlo, mhi))
            for mlo, mhi, i, a in g["members"]:
                views[i] = _make_view(ctypes.pointer(buf), a.dtype,
                                      (_ptr(a) - lo) // a.itemsize, a.shape, a.strides)
        self.keep.append(views)
        return views

    def _pyopencl_view(self, what, a):
        cl_ctx = getattr(self.ctx, "pyopencl_context", None)
        if cl_ctx is None or a.context.int_ptr != cl_ctx.int_ptr:
            raise Error("%s is a pyopencl array of another OpenCL context; use "
                        "winsum.Context.from_pyopencl(ctx, queue)" % what, _lib.ERR_CONTEXT)
        base = a.base_data
        buf = _lib.Buffer(_lib.DEVICE, None, base.int_ptr if base is not None else None,
                          base.size if base is not None else 0)
        self.keep.append((a, buf))
        if any(s % a.dtype.itemsize for s in a.strides) or a.offset % a.dtype.itemsize:
            raise Error("%s: a pyopencl array whose strides or offset are not whole "
                        "elements" % what, _lib.ERR_ARGUMENT)
        return _make_view(ctypes.pointer(buf), a.dtype, a.offset // a.dtype.itemsize, a.shape,
                          a.strides)

    def commit(self):
        for mem, off, a, lo, hi in self.readback:
            if hi - lo == a.nbytes:  # no gaps: straight into out
                mem.read(off, lo, hi - lo)
                continue
            # read the span aside, then copy only out's elements: a gap may
            # be another array's element, written meanwhile by another thread
            host = np.empty((hi - lo) // a.itemsize, a.dtype)
            mem.read(off, host.ctypes.data, hi - lo)
            np.copyto(a, np.lib.stride_tricks.as_strided(host[(_ptr(a) - lo) // a.itemsize:],
                                                         a.shape, a.strides))
        for tmp, out in self.copyback:
            np.copyto(out, tmp)


def overlaps(a, b):
    """Whether arrays a and b (numpy, winsum.Array or pyopencl) may share an
    element's memory (spans for device memory; numpy's exact test, bounded)."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        try:
            return bool(np.shares_memory(a, b, max_work=100000))
        except np.TooHardError:
            return True
    if isinstance(a, Array) and isinstance(b, Array):
        if a._mem is not b._mem or not a.size or not b.size:
            return False
        (alo, ahi), (blo, bhi) = a._span(), b._span()
        return alo * a.itemsize < bhi * b.itemsize and blo * b.itemsize < ahi * a.itemsize
    if _is_pyopencl(a) and _is_pyopencl(b):
        ba, bb = a.base_data, b.base_data
        if ba is None or bb is None or ba.int_ptr != bb.int_ptr or not a.size or not b.size:
            return False
        spans = []
        for x in (a, b):
            lo = hi = x.offset
            for n, st in zip(x.shape, x.strides):
                lo, hi = (lo + st * (n - 1), hi) if st < 0 else (lo, hi + st * (n - 1))
            spans.append((lo, hi + x.dtype.itemsize))
        return spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1]
    return False


def promote(operands, ctx, out=None, names=None):
    """Operands as numpy arrays, Arrays or pyopencl arrays of one dtype (numpy's
    promotion; out's dtype when out is given and safe), and that dtype."""
    conv = []
    for k, a in enumerate(operands):
        if isinstance(a, Array) or _is_pyopencl(a):
            conv.append(a)
        elif a is not None and type(a).__module__.startswith("torch"):
            conv.append(a.detach().cpu().numpy())
        else:
            conv.append(np.asarray(a))
    dts = []
    for a in conv:
        if isinstance(a, np.ndarray) and a.ndim == 0 and not isinstance(a, Array):
            dts.append(a)  # 0-d: numpy's value-based promotion
        else:
            dts.append(a.dtype)
    for k, a in enumerate(conv):
        if a.dtype.kind not in "f":
            what = names[k] if names else "operand %d" % k
            raise Error("%s has dtype %s: winsum computes in float16, float32 and float64"
                        % (what, a.dtype), _lib.ERR_DTYPE)
    dtype = np.result_type(*dts) if dts else np.dtype(np.float64)
    if out is not None:
        odt = out.dtype
        if odt != dtype:
            if odt.kind == "f" and np.can_cast(dtype, odt, "safe"):
                dtype = odt
            else:
                raise Error("out has dtype %s but the result is %s (numpy's 'safe' casting "
                            "refuses it)" % (odt, dtype), _lib.ERR_DTYPE)
    dtype = _check_dtype(dtype, ctx)
    res = []
    for a in conv:
        if a.dtype != dtype:
            if isinstance(a, Array):
                a = a.numpy()
            elif _is_pyopencl(a):
                a = a.astype(dtype)
            a = a.astype(dtype) if not _is_pyopencl(a) else a
        if isinstance(a, np.ndarray):
            a = _element_strided(a)
        res.append(a)
    return res, dtype


def result_kind(operands, out=None):
    """"array" when any operand is a winsum.Array, "pyopencl" for pyopencl
    arrays, else "numpy"."""
    if any(_is_pyopencl(a) for a in operands):
        return "pyopencl"
    if any(isinstance(a, Array) for a in operands):
        return "array"
    return "numpy"


def new_output(kind, shape, dtype, ctx, like=None):
    if kind == "array":
        return empty(tuple(shape), dtype, ctx)
    if kind == "pyopencl":
        import pyopencl.array as cla
        return cla.empty(ctx.pyopencl_queue, tuple(int(n) for n in shape), dtype)
    return np.empty(tuple(int(n) for n in shape), dtype)
