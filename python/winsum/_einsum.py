# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""winsum.einsum and winsum.plan."""
from __future__ import annotations

import ctypes
import threading
from typing import Any, Optional, Tuple

import numpy as np

from . import _lib
from ._lib import lib
from ._core import Error, _element_strided, _make_view, _np_span, _ptr
from ._array import Array, _Memory, call_context
from ._binding import Binding, _is_pyopencl, new_output, promote, result_kind

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


def _maps_host(ctx):
    """Whether ctx's device computes in host memory mapped in place
    (winsum_buffer_map_host), asked once per context."""
    m = ctx.__dict__.get("_winsum_maps_host")
    if m is None:
        m = False
        if ctx.backend == "opencl":
            probe = np.zeros(1)
            buf = _lib.Buffer()
            st = lib.winsum_buffer_map_host(ctx.handle, probe.ctypes.data, probe.nbytes,
                                            ctypes.byref(buf))
            if st == _lib.OK:
                lib.winsum_buffer_unmap_host(ctx.handle, ctypes.byref(buf), 1)
                m = True
        ctx.__dict__["_winsum_maps_host"] = m
    return m


def _self_overlapping(a):
    """Whether two of a's elements may share memory (a sufficient test: each
    axis, by increasing stride, must step past all the inner ones)."""
    reach = a.itemsize
    for s, n in sorted((abs(s), n) for s, n in zip(a.strides, a.shape) if n > 1):
        if s < reach:
            return True
        reach += s * (n - 1)
    return False


def _mapped(ctx, subscripts, ops, out, alpha, beta, dtype):
    """One call on numpy operands whose memory the device uses in place
    (CL_MEM_USE_HOST_PTR): no upload, no read-back, one synchronisation.
    Operands whose byte spans overlap share one mapping. The result is
    computed into fresh host memory (out's old values copied in first when
    beta reads them) and copied into `out` only after the call succeeded, so
    a failing call writes nothing. None when the call is not one for this
    path (an empty array, out overlapping an operand, a read-only or
    unaligned out): the general binding handles it."""
    if out is not None:
        if not out.flags.writeable or out.size == 0 or _ptr(out) % out.itemsize or \
                any(s % out.itemsize for s in out.strides) or _self_overlapping(out):
            return None  # the general binding says what is wrong
        for a in ops:
            if np.may_share_memory(a, out):
                return None
    spans = []
    for k, a in enumerate(ops):
        if a.size == 0:
            return None
        lo, hi = _np_span(a)
        spans.append((lo, hi, k, a))
    spans.sort(key=lambda t: t[0])
    groups = []
    for lo, hi, k, a in spans:
        if groups and lo < groups[-1][1]:
            g = groups[-1]
            g[1] = max(g[1], hi)
            g[2].append((k, a))
        else:
            groups.append([lo, hi, [(k, a)]])
    h = ctx.handle
    mapped = []  # Buffers to unmap
    try:
        views = [None] * len(ops)
        for lo, hi, members in groups:
            buf = _lib.Buffer()
            ctx.check(lib.winsum_buffer_map_host(h, lo, hi - lo, ctypes.byref(buf)))
            mapped.append(buf)
            for k, a in members:
                views[k] = _make_view(ctypes.pointer(buf), dtype, (_ptr(a) - lo) // a.itemsize,
                                      a.shape, a.strides)
        shape = out.shape if out is not None else _output_shape(ctx, subscripts, views)
        res = np.empty(shape, dtype)
        if res.size == 0:
            return None
        if out is not None and beta:
            res[...] = out
        if out is None:
            beta = 0.0
        obuf = _lib.Buffer()
        ctx.check(lib.winsum_buffer_map_host(h, res.ctypes.data, res.nbytes, ctypes.byref(obuf)))
        mapped.insert(0, obuf)  # the output is unmapped first, with the sync
        vout = _make_view(ctypes.pointer(obuf), dtype, 0, res.shape, res.strides)
        arr = (_lib.View * len(views))(*views)
        st = lib.winsum_einsum(h, subscripts.encode(), len(views), arr, ctypes.byref(vout),
                               float(alpha), float(beta))
        msg = _lib_error(ctx) if st else None
    finally:
        sync = 1
        failed = 0
        for buf in mapped:
            s2 = lib.winsum_buffer_unmap_host(h, ctypes.byref(buf), sync)
            failed = failed or s2
            sync = 0
    if st:
        raise Error(msg, st)
    if failed:
        ctx.check(failed)
    if out is None:
        return res
    np.copyto(out, res)
    return out


def _lib_error(ctx):
    s = lib.winsum_last_error(ctx.handle)
    return s.decode("utf-8", "replace") if s else ""


def einsum(subscripts: Any, *operands: Any, out: Any = None, alpha: float = 1.0,
           beta: float = 0.0, context: Any = None) -> Any:
    """out = alpha * numpy.einsum(subscripts, *operands) + beta * out, computed by
    winsum (the float layer under winsum.einsum; no numpy keywords, no host
    rule). Operands: numpy arrays (any strides: as_strided, negative, zero,
    Fortran, 0-d) of float16/32/64, winsum.Arrays, or pyopencl arrays; mixed
    dtypes promote as numpy does. Returns a numpy array (a winsum.Array when an
    operand is one; a pyopencl array for pyopencl operands), or `out`. On a
    device that shares host memory (winsum_buffer_map_host) numpy operands
    are used in place, not uploaded."""
    subscripts, operands = _parse_args(subscripts, operands)
    ctx = call_context(context, operands + [out],
                       ["operand %d" % k for k in range(len(operands))] + ["out"], "einsum")
    if not isinstance(subscripts, str):
        raise Error("subscripts must be a string", _lib.ERR_SUBSCRIPTS)
    kind = result_kind(operands, out)
    if out is not None and not (isinstance(out, (np.ndarray, Array)) or _is_pyopencl(out)):
        raise Error("out must be a numpy array, a winsum.Array or a pyopencl array",
                    _lib.ERR_ARGUMENT)
    ops, dtype = promote(operands, ctx, out)
    if kind == "numpy" and (out is None or type(out) is np.ndarray) and \
            all(type(a) is np.ndarray for a in ops) and _maps_host(ctx):
        r = _mapped(ctx, subscripts, ops, out, alpha, beta, dtype)
        if r is not None:
            return r
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
    runs the plan with new operands (no parsing or planning again).

    Threads may share a plan: a call stages its operands and result in
    buffers the plan owns, so calls on one plan take turns (the C library
    serialises calls on a context anyway). Made by winsum.plan().

    Parameters
    ----------
    subscripts : str
        The contraction, numpy's notation (or the sublist form).
    *operands : arrays or (shape, dtype) pairs
        What the calls will pass: numpy arrays (their strides are planned
        for; others are staged), winsum.Arrays (the same layout each call),
        or (shape, dtype) for C-contiguous host operands.
    out : unused
        Accepted for symmetry with einsum; the plan's output is C-contiguous.
    context : winsum.Context, optional
        Default: the context of the winsum.Array operands (an explicit one
        must be theirs), else winsum.default_context().

    Attributes
    ----------
    shape : tuple of int
        The result's shape.
    dtype : numpy.dtype
        The computation's dtype.

    Raises
    ------
    winsum.Error
        Bad subscripts, shapes or dtypes; a closed context.

    Examples
    --------
    >>> import numpy as np, winsum
    >>> p = winsum.plan("ij,jk->ik", ((2, 3), np.float64), ((3, 2), np.float64))
    >>> p.shape
    (2, 2)
    >>> p(np.ones((2, 3)), np.ones((3, 2)))
    array([[3., 3.],
           [3., 3.]])
    """

    def __init__(self, subscripts: Any, *operands: Any, out: Any = None,
                 context: Any = None) -> None:
        self._h = None
        self._owner = None
        self._lock = threading.Lock()
        subscripts, operands = _parse_args(subscripts, operands)
        self.ctx = ctx = call_context(context, operands,
                                      ["operand %d" % k for k in range(len(operands))], "plan")
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

    def describe(self) -> str:
        """The C library's account of the plan (its steps and kernels), text."""
        return (lib.winsum_plan_describe(self._h) or b"").decode()

    def __repr__(self) -> str:
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

    def __call__(self, *operands: Any, out: Any = None, alpha: float = 1.0,
                 beta: float = 0.0) -> Any:
        """Run the plan: out = alpha * einsum(operands) + beta * out.

        Parameters
        ----------
        *operands
            As many as planned, of the planned shapes (numpy operands of
            another dtype are cast; winsum.Arrays must match exactly).
        out : ndarray, winsum.Array or pyopencl array, optional
            The plan's shape; a dtype the result casts to safely.
        alpha, beta : float
            Scaling; beta reads out.

        Returns
        -------
        ndarray, winsum.Array or pyopencl array
            `out`, else a new array of the operands' kind.

        Raises
        ------
        winsum.Error
            Another count, shape, dtype or layout than planned; a closed
            context; the C library's failures (nothing is written then).
        """
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
    from ._array import asarray
    src = asarray(host, context=dst.context)
    einsum("...->...", src, out=dst, context=dst.context)


def plan(subscripts: Any, *operands: Any, context: Any = None) -> Plan:
    """Plan a contraction once, to run it many times.

    Parameters
    ----------
    subscripts : str
        numpy's notation.
    *operands : arrays or (shape, dtype) pairs
        The operands' layouts (see Plan).
    context : winsum.Context, optional
        Default: the context of the winsum.Array operands (an explicit one
        must be theirs), else winsum.default_context().

    Returns
    -------
    Plan
        A callable p(*operands, out=None, alpha=1.0, beta=0.0).

    Raises
    ------
    winsum.Error
        Bad subscripts, shapes or dtypes.

    Examples
    --------
    >>> import numpy as np, winsum
    >>> p = winsum.plan("i,i->", np.ones(3), np.ones(3))
    >>> float(p(np.arange(3.0), np.arange(3.0)))
    5.0
    """
    return Plan(subscripts, *operands, context=context)
