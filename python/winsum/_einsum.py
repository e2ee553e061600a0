# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""winsum.einsum and winsum.plan."""
import ctypes
import threading

import numpy as np

from . import _lib
from ._lib import lib
from ._core import (Array, Binding, Error, _Memory, _check_dtype, _element_strided, _is_pyopencl,
                    _make_view, _np_span, _ptr, default_context, new_output, promote, result_kind)

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _sublist(sub):
    out = []
    for s in sub:
        if s is Ellipsis:
            out.append("...")
        else:
            s = int(s)
            if not 0 <= s < 52:
                raise Error("subscript %d in a sublist is not in 0..51" % s, _lib.ERR_SUBSCRIPTS)
            out.append(_LETTERS[s])
    return "".join(out)


def _parse_args(subscripts, operands):
    """numpy's two call forms: ("ij,jk", a, b) and (a, [0, 1], b, [1, 2], [0, 2])."""
    if isinstance(subscripts, str):
        return subscripts, list(operands)
    args = [subscripts] + list(operands)
    n = len(args) // 2
    ops = [args[2 * k] for k in range(n)]
    subs = [args[2 * k + 1] for k in range(n)]
    text = ",".join(_sublist(s) for s in subs)
    if len(args) % 2:
        text += "->" + _sublist(args[-1])
    return text, ops


def _output_shape(ctx, subscripts, views):
    nd = ctypes.c_int(0)
    shape = (_lib.i64 * _lib.MAX_DIMS)()
    arr = (_lib.View * max(len(views), 1))(*views)
    ctx.check(lib.winsum_einsum_output_shape(ctx.handle, subscripts.encode(), len(views), arr,
                                             ctypes.byref(nd), shape))
    return tuple(shape[i] for i in range(nd.value))


def einsum(subscripts, *operands, out=None, alpha=1.0, beta=0.0, context=None):
    """out = alpha * numpy.einsum(subscripts, *operands) + beta * out, computed by
    winsum. Operands: numpy arrays (any strides: as_strided, negative, zero,
    Fortran, 0-d) of float16/32/64, winsum.Arrays, or pyopencl arrays; mixed
    dtypes promote as numpy does. Returns a numpy array (a winsum.Array when an
    operand is one; a pyopencl array for pyopencl operands), or `out`."""
    ctx = context or default_context()
    subscripts, operands = _parse_args(subscripts, operands)
    if not isinstance(subscripts, str):
        raise Error("subscripts must be a string", _lib.ERR_SUBSCRIPTS)
    kind = result_kind(operands, out)
    if out is not None and not (isinstance(out, (np.ndarray, Array)) or _is_pyopencl(out)):
        raise Error("out must be a numpy array, a winsum.Array or a pyopencl array",
                    _lib.ERR_ARGUMENT)
    ops, dtype = promote(operands, ctx, out)
    b = Binding(ctx)
    if out is not None:
        views = b.bind(ops + [out], outputs={len(ops)}, preload={len(ops)} if beta else ())
        vout = views[-1]
        views = views[:-1]
        result = out
    else:
        views = b.bind(ops)
        shape = _output_shape(ctx, subscripts, views)
        result = new_output(kind, shape, dtype, ctx)
        vout = b.bind([result], outputs={0})[0]
        beta = 0.0
    arr = (_lib.View * max(len(views), 1))(*views)
    ctx.check(lib.winsum_einsum(ctx.handle, subscripts.encode(), len(views), arr,
                                ctypes.byref(vout), float(alpha), float(beta)))
    b.commit()
    return result


class Plan:
    """A contraction planned once for fixed shapes, dtypes and strides; calling it
    runs the plan with new operands (no parsing or planning again). Threads may
    share a plan: a call stages its operands and result in buffers the plan
    owns, so calls on one plan take turns (the C library serialises calls on
    a context anyway)."""

    def __init__(self, subscripts, *operands, out=None, context=None):
        self._h = None
        self._owner = None
        self._lock = threading.Lock()
        self.ctx = ctx = context or default_context()
        subscripts, operands = _parse_args(subscripts, operands)
        self.subscripts = subscripts
        specs = []
        for a in operands:
            if isinstance(a, tuple) and len(a) == 2 and not hasattr(a, "dtype"):
                shape, dt = a
                specs.append(np.lib.stride_tricks.as_strided(
                    np.zeros(1, dt), tuple(shape), (0,) * len(shape)))
            else:
                specs.append(a)
        ops, dtype = promote(specs, ctx)
        self.dtype = dtype
        self.n = len(ops)
        self._slots = []  # per operand: (shape, strides bytes, offset elements, span bytes, mem)
        views = []
        for k, (a, orig) in enumerate(zip(ops, operands)):
            if isinstance(a, Array):
                views.append(a.view_struct())
                self._slots.append(("array", a.shape, a.strides, a.offset, None))
                continue
            if isinstance(orig, tuple):
                a = np.empty(a.shape, dtype)  # a C-contiguous layout
            a = _element_strided(np.asarray(a))
            lo, hi = _np_span(a)
            mem = _Memory(ctx, max(hi - lo, a.itemsize))
            off = (_ptr(a) - lo) // a.itemsize if a.size else 0
            views.append(_make_view(ctypes.pointer(mem.buf), dtype, off, a.shape, a.strides))
            self._slots.append(("host", a.shape, a.strides, off, mem))
        self.shape = _output_shape(ctx, subscripts, views)
        self._out = _Memory(ctx, max(int(np.prod(self.shape, dtype=np.int64)), 1) * dtype.itemsize)
        self.out_strides = tuple(_c(self.shape, dtype.itemsize))
        vout = _make_view(ctypes.pointer(self._out.buf), dtype, 0, self.shape, self.out_strides)
        h = ctypes.c_void_p()
        arr = (_lib.View * max(len(views), 1))(*views)
        self._views = (views, vout)
        ctx._owner.acquire("a plan")  # the C context is destroyed only after this plan
        try:
            ctx.check(lib.winsum_plan_create(ctx.handle, ctypes.byref(h), subscripts.encode(),
                                             len(views), arr, ctypes.byref(vout)))
        except BaseException:
            ctx._owner.release()
            raise
        self._h = h.value
        self._owner = ctx._owner

    def describe(self):
        return (lib.winsum_plan_describe(self._h) or b"").decode()

    def __repr__(self):
        return "winsum.Plan(%r, shape=%s, dtype=%s, context=%r)" % (
            self.subscripts, tuple(self.shape), self.dtype, self.ctx)

    def _check_out(self, out):
        """out's kind, shape and dtype, checked before anything runs."""
        if not (isinstance(out, (np.ndarray, Array)) or _is_pyopencl(out)):
            raise Error("out must be a numpy array, a winsum.Array or a pyopencl array",
                        _lib.ERR_ARGUMENT)
        if tuple(out.shape) != tuple(self.shape):
            raise Error("out has shape %s, the plan's output %s" % (tuple(out.shape), self.shape),
                        _lib.ERR_SHAPE)
        odt = np.dtype(out.dtype)
        if odt != self.dtype and not (odt.kind == "f" and np.can_cast(self.dtype, odt, "safe")):
            raise Error("out has dtype %s but the plan computes %s (numpy's 'safe' casting "
                        "refuses it)" % (odt, self.dtype), _lib.ERR_DTYPE)
        if isinstance(out, np.ndarray) and not out.flags.writeable:
            raise Error("out is read-only", _lib.ERR_ARGUMENT)

    def __call__(self, *operands, out=None, alpha=1.0, beta=0.0):
        ctx = self.ctx
        if ctx.closed:
            raise Error("the plan's context is closed", _lib.ERR_CONTEXT)
        if len(operands) != self.n:
            raise Error("the plan takes %d operands, got %d" % (self.n, len(operands)),
                        _lib.ERR_ARGUMENT)
        if out is not None:
            self._check_out(out)
        kind = result_kind(operands, out)
        ins = []
        for k, (a, slot) in enumerate(zip(operands, self._slots)):
            how, shape, strides, off, mem = slot
            if isinstance(a, Array):
                if a.dtype != self.dtype or a.shape != shape or a.strides != strides \
                        or a.offset != off or a.context is not ctx:
                    raise Error("operand %d: a winsum.Array of another dtype, shape, layout "
                                "or context than the plan's" % k, _lib.ERR_ARGUMENT)
                ins.append(a)
                continue
            if how != "host":
                raise Error("operand %d: the plan was made with a winsum.Array here; pass one "
                            "of the same layout" % k, _lib.ERR_ARGUMENT)
            a = np.asarray(a)
            if a.dtype != self.dtype:
                a = a.astype(self.dtype)
            if a.shape != shape:
                raise Error("operand %d has shape %s, the plan %s" % (k, a.shape, shape),
                            _lib.ERR_SHAPE)
            ins.append(a)
        result = out if out is not None else new_output(kind, self.shape, self.dtype, ctx)
        if out is None:
            beta = 0.0
        with self._lock:  # the staging buffers are the plan's: one call at a time
            return self._execute(ins, result, alpha, beta)

    def _execute(self, operands, result, alpha, beta):
        ctx = self.ctx
        bufs = (ctypes.POINTER(_lib.Buffer) * max(self.n, 1))()
        keep = []
        for k, (a, slot) in enumerate(zip(operands, self._slots)):
            how, shape, strides, off, mem = slot
            if isinstance(a, Array):
                bufs[k] = ctypes.pointer(a._mem.buf)
                keep.append(a)
                continue
            isz = a.itemsize
            if a.size and a.strides == strides and (_ptr(a) - _np_span(a)[0]) // isz == off \
                    and _ptr(a) % isz == 0:
                lo, hi = _np_span(a)
            else:  # stage it in the plan's layout
                tmp = np.zeros(max(mem.nbytes // isz, 1), self.dtype)
                if a.size:
                    np.lib.stride_tricks.as_strided(tmp[off:], shape, strides)[...] = a
                lo, hi = _ptr(tmp), _ptr(tmp) + tmp.nbytes
                keep.append(tmp)
            if ctx.backend == "ref":
                buf = _lib.Buffer(_lib.HOST, lo, None, max(hi - lo, 1))
                keep.append((a, buf))
                bufs[k] = ctypes.pointer(buf)
            else:
                mem.write(0, lo, hi - lo)
                bufs[k] = ctypes.pointer(mem.buf)
        # the output in place when it is a winsum.Array of exactly the plan's
        # view (dtype included: float32 with float64's byte strides is not)
        direct = (isinstance(result, Array) and result.dtype == self.dtype
                  and result.strides == self.out_strides and result.offset == 0
                  and result.context is ctx)
        if direct:
            obuf = result._mem.buf
        else:
            obuf = self._out.buf
            if beta:
                src = result.numpy() if isinstance(result, Array) else (
                    result.get() if _is_pyopencl(result) else result)
                src = np.ascontiguousarray(src, self.dtype)
                self._out.write(0, src.ctypes.data, src.nbytes)
        ctx.check(lib.winsum_plan_execute(self._h, bufs, ctypes.byref(obuf), float(alpha),
                                          float(beta), None))
        if not direct:
            host = np.empty(self.shape, self.dtype)
            self._out.read(0, host.ctypes.data, host.nbytes)
            if result.dtype != self.dtype:  # a safe cast, checked before
                host = host.astype(result.dtype)
            if isinstance(result, Array):
                if result.strides == tuple(_c(self.shape, result.itemsize)):
                    result._mem.write(result.offset * result.itemsize, host.ctypes.data,
                                      host.nbytes)
                else:
                    _write_array(result, host)
            elif _is_pyopencl(result):
                result.set(host)
            else:
                np.copyto(result, host)
        return result

    def __del__(self):
        o, self._owner = getattr(self, "_owner", None), None
        try:
            if self._h:
                lib.winsum_plan_destroy(self._h)
        except Exception:
            pass
        self._h = None
        if o is not None:
            o.release()


def _c(shape, itemsize):
    st, acc = [], itemsize
    for n in reversed(shape):
        st.append(acc)
        acc *= max(int(n), 1)
    return reversed(st)


def _write_array(dst, host):
    from ._core import asarray
    src = asarray(host, context=dst.context)
    einsum("...->...", src, out=dst, context=dst.context)


def plan(subscripts, *operands, context=None):
    """Plan a contraction once: operands are arrays or (shape, dtype) pairs.
    Returns a callable p(*operands, out=None, alpha=1.0, beta=0.0)."""
    return Plan(subscripts, *operands, context=context)
