# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""numpy.einsum's signature and behaviour on winsum: argument handling, dtype
dispatch, the complex decomposition, explicit paths and einsum_path (the
subscript rules and layouts are in _subscripts.py).

Which dtype takes which path (the computation dtype is `dtype`, else numpy's
common dtype of the operands and out):

* float16, float32, float64: winsum (the context's device, or its reference
  backend), as before.
* complex64, complex128: winsum, as one real einsum over float32/float64
  views. A complex operand z is read as the zero-copy view Z[..., c] of its
  real (c=0) and imaginary (c=1) parts; with m complex operands the real
  einsum gains an (m+1)-axis constant operand G[c_1..c_m, e] holding the
  real (e=0) and imaginary (e=1) parts of i**(c_1+..+c_m), and the output is
  written through the same kind of view of the complex result. Real operands
  stay real. More than 6 complex operands are contracted pairwise.
* bool and the integer dtypes: exact. winsum has no integer kernels, so the
  operands (cast to the dtype) go to winsum as float64 when
  B = prod_k max(1, max|operand k|) * prod(sizes of the summed indices)
  is below 2**53: every product, partial product and partial sum the device
  forms, in any order, is an integer of magnitude <= B, so float64 holds it
  exactly and the result is numpy's (integers wrap modulo 2**bits as numpy's
  integer loops do; bool is "any product true"). Otherwise (or with no
  float64 on the device) numpy's own einsum computes it on the host.
* everything else (longdouble, clongdouble, and object where numpy's einsum
  takes it): numpy's own einsum on the host.
"""
from __future__ import annotations

import ctypes
import os
import threading
from typing import Any, List, Optional, Tuple, Union

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import _lib
from . import _einsum as _wein
from ._core import Error, _make_view, default_context
from ._array import Array, _c_strides, empty
from ._binding import _is_pyopencl
from ._lib import lib
from ._subscripts import (ALL_LETTERS, TypeMismatch, alloc, analyse, canonical, parse,
                          single_view, split_call)

# numpy's own functions, kept before anyone replaces np.einsum with ours
_np_einsum = np.einsum
_np_einsum_path = np.einsum_path
_np_einsum_types = np.einsum  # only for _result_type's empty stand-ins

_ORDERS = ("K", "C", "F", "A")
_CASTINGS = ("no", "equiv", "safe", "same_kind", "unsafe")
_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_COMPLEX_PART = {np.dtype(np.complex64): np.dtype(np.float32),
                 np.dtype(np.complex128): np.dtype(np.float64)}
_EXACT_LIMIT = 2 ** 53
_MAX_STACKED = 6


# ------------------------------------------------------------- computations

def _stacked(z):
    """The float view Z[..., 2] of complex z's real and imaginary parts."""
    re = z.real
    return as_strided(re, z.shape + (2,), z.strides + (re.itemsize,),
                      writeable=z.flags.writeable)


_G = {}


def _phase_table(m, part):
    """G[c_1..c_m, e]: the real (e=0) and imaginary (e=1) parts of i**sum(c)."""
    key = (m, part)
    g = _G.get(key)
    if g is None:
        g = np.zeros((2,) * (m + 1), part)
        for idx in np.ndindex(*(2,) * m):
            k = sum(idx) % 4
            g[idx + (k % 2,)] = 1 if k < 2 else -1
        g.flags.writeable = False
        _G[key] = g
    return g


def _real_call(labels, views, out_labels, target, alpha, beta, ctx):
    subs = ",".join("".join(labs) for labs in labels) + "->" + "".join(out_labels)
    return _wein.einsum(subs, *views, out=target, alpha=alpha, beta=beta, context=ctx)


def _complex_call(labels, views, out_labels, target, alpha, beta, ctx):
    """target (complex) = alpha * einsum + beta * target, as one real einsum."""
    part = _COMPLEX_PART[target.dtype]
    used = {lab for labs in labels for lab in labs} | set(out_labels)
    free = [c for c in ALL_LETTERS if c not in used]
    cplx = [k for k, v in enumerate(views) if v.dtype.kind == "c"]
    m = len(cplx)
    if m == 0:
        _real_call(labels, [v.astype(part, copy=False) for v in views], out_labels,
                   target.real, alpha, beta, ctx)
        if beta:
            target.imag *= beta
        else:
            target.imag = 0
        return target
    need = 1 if m == 1 else m + 1
    if need > len(free):
        raise Error("einsum: too many indices for winsum's 52 letters with a complex operand "
                    "(each takes one more)", _lib.ERR_SUBSCRIPTS)
    e = free[0]
    cl = [e] if m == 1 else free[1:m + 1]
    new_labels, new_views = [], []
    for k, (labs, v) in enumerate(zip(labels, views)):
        if v.dtype.kind == "c":
            new_labels.append(list(labs) + [cl[cplx.index(k)]])
            new_views.append(_stacked(v.astype(target.dtype, copy=False)))
        else:
            new_labels.append(list(labs))
            new_views.append(v.astype(part, copy=False))
    if m > 1:
        new_labels.append(cl + [e])
        new_views.append(_phase_table(m, part))
    _real_call(new_labels, new_views, list(out_labels) + [e], _stacked(target), alpha, beta, ctx)
    return target


def _intermediate(labels, views, keep, dtype, call, ctx):
    """One contraction of the given operands onto labels `keep` (C order)."""
    shape = tuple(_size_of(lab, labels, views) for lab in keep)
    t = np.empty(shape, dtype)
    call(labels, views, keep, t, 1.0, 0.0, ctx)
    return t


def _size_of(lab, labels, views):
    for labs, v in zip(labels, views):
        if lab in labs:
            return v.shape[labs.index(lab)]
    raise Error("einsum: index '%s' has no operand" % lab, _lib.ERR_SUBSCRIPTS)


def _run_path(path, labels, views, out_labels, target, alpha, beta, dtype, call, ctx):
    """An einsum_path list run step by step: each step contracts the listed
    operands (removed) into a new one (appended), numpy's convention."""
    labels, views = list(labels), list(views)
    steps = [tuple(int(i) for i in s) for s in path[1:]]
    for n, step in enumerate(steps):
        if len(set(step)) != len(step) or any(not 0 <= i < len(views) for i in step):
            raise RuntimeError("einsum: step %r of the path names an operand that is not "
                               "there (%d operands)" % (step, len(views)))
        last = n == len(steps) - 1
        picked = sorted(step, reverse=True)
        sl = [labels.pop(i) for i in picked][::-1]
        sv = [views.pop(i) for i in picked][::-1]
        if last:
            if views:
                raise RuntimeError("einsum: invalid einsum_path: %d operands are left "
                                   "uncontracted" % len(views))
            call(sl, sv, out_labels, target, alpha, beta, ctx)
            return target
        elsewhere = set(out_labels).union(*[set(labs) for labs in labels])
        keep = []
        for labs in sl:
            for lab in labs:
                if lab in elsewhere and lab not in keep:
                    keep.append(lab)
        labels.append(keep)
        views.append(_intermediate(sl, sv, keep, dtype, call, ctx))
    raise RuntimeError("einsum: invalid einsum_path: %d operands are left uncontracted"
                       % len(views))


def _maxabs(a):
    if a.size == 0:
        return 0
    if a.dtype.kind == "b":
        return int(a.any())
    return max(abs(int(a.max())), abs(int(a.min())))


def _standin(a):
    """A zero-stride host array of a's shape and dtype (for path searches)."""
    dt = np.dtype(a.dtype)
    return as_strided(np.zeros(1, dt), tuple(a.shape), (0,) * len(a.shape), writeable=False)


def _result_type(ops):
    """numpy's einsum's result dtype. With a 0-d operand among mixed dtypes,
    numpy's legacy value-based promotion inside einsum differs from
    np.result_type (uint16, float16 and int8(-1) give float64 there, float32
    here), so that case asks numpy's einsum itself, on empty stand-ins."""
    if len(ops) > 1 and any(a.ndim == 0 for a in ops) and \
            len({a.dtype for a in ops}) > 1:
        subs = ",".join("" if a.ndim == 0 else "z" for a in ops) + "->"
        try:
            return _np_einsum_types(subs, *[a if a.ndim == 0 else np.empty(0, a.dtype)
                                            for a in ops]).dtype
        except (TypeError, ValueError):
            pass
    return np.result_type(*ops)


def _check_optimize(optimize):
    if optimize is True or optimize is False:
        return None
    if isinstance(optimize, str) and optimize in ("greedy", "optimal"):
        return None
    if isinstance(optimize, (list, tuple)) and len(optimize) and \
            isinstance(optimize[0], str) and optimize[0] == "einsum_path":
        return list(optimize)
    if isinstance(optimize, tuple) and len(optimize) == 2 and \
            optimize[0] in ("greedy", "optimal") and isinstance(optimize[1], (int, float)):
        return None
    raise TypeMismatch("einsum: optimize=%r: one of False, True, 'greedy', 'optimal', "
                       "('greedy' or 'optimal', memory_limit) or an ['einsum_path', ...] list"
                       % (optimize,), _lib.ERR_ARGUMENT)


def _hostify(a):
    if isinstance(a, Array) or _is_pyopencl(a) or isinstance(a, np.ndarray):
        return a
    if a is not None and type(a).__module__.startswith("torch"):
        return a.detach().cpu().numpy()
    return np.asarray(a)


# ------------------------------------------------------------- the fast paths

#: The small-problem rule's default limit: problems whose work (below) is at
#: most this run numpy's own einsum on the host.
DEFAULT_HOST_LIMIT = 32768


def _host_limit_from_env():
    v = os.environ.get("WINSUM_HOST_LIMIT", "").strip()
    if not v:
        return DEFAULT_HOST_LIMIT
    try:
        n = int(v)
    except ValueError:
        raise ImportError("winsum: $WINSUM_HOST_LIMIT=%r is not an integer" % v) from None
    if n < 0:
        raise ImportError("winsum: $WINSUM_HOST_LIMIT=%d is negative" % n)
    return n


_host_limit = [_host_limit_from_env()]


def host_limit() -> int:
    """The small-problem rule's limit (see set_host_limit).

    Returns
    -------
    int
        The largest work, in multiply-adds, that winsum.einsum leaves to
        numpy's einsum on the host; 0 when the rule is off.

    Examples
    --------
    >>> import winsum
    >>> winsum.host_limit() >= 0
    True
    """
    return _host_limit[0]


def set_host_limit(work: int) -> int:
    """Set the small-problem rule's limit for the whole process.

    winsum.einsum runs a problem on the host with numpy's own einsum, not on
    the device, when all of these hold: no `context` is given (an explicit
    context always computes), every operand (and `out`, if given)
    is host memory (numpy arrays or what ``np.asarray`` takes; not a
    winsum.Array or a pyopencl array), ``alpha == 1`` and ``beta == 0``,
    `out` shares no memory with an operand, no explicit path is given, and
    the work, the product of the sizes of all distinct indices times the
    number of operands, is at most `work`. A device call costs tens of
    microseconds of binding, upload and synchronisation that such a problem
    never pays back: a 2x2 matmul has work 2*2*2*2 = 16. The result is then
    numpy's exactly (numpy's einsum with ``optimize=False``). The default
    limit is 32768 (winsum.DEFAULT_HOST_LIMIT), or $WINSUM_HOST_LIMIT when set
    at import; 0 turns the rule off.

    Parameters
    ----------
    work : int
        The new limit in multiply-adds, >= 0.

    Returns
    -------
    int
        The previous limit.

    Raises
    ------
    winsum.Error
        For a negative or non-integer limit (WINSUM_ERR_ARGUMENT).

    Examples
    --------
    >>> import numpy as np, winsum
    >>> old = winsum.set_host_limit(0)   # everything on the device
    >>> winsum.einsum("ij,jk->ik", np.eye(2), np.ones((2, 2)))
    array([[1., 1.],
           [1., 1.]])
    >>> winsum.set_host_limit(old)
    0
    """
    if isinstance(work, bool) or not isinstance(work, (int, np.integer)) or work < 0:
        raise Error("set_host_limit: the limit is an integer >= 0, not %r" % (work,),
                    _lib.ERR_ARGUMENT)
    old, _host_limit[0] = _host_limit[0], int(work)
    return old


_WORK = {}


def _work(subs, ops):
    """The small-problem rule's work for these subscripts and host operands
    (None when the subscripts do not parse: the general path says why)."""
    key = (subs,) + tuple(a.shape for a in ops)
    w = _WORK.get(key, -1)
    if w != -1:
        return w
    try:
        in_labels, _, sizes = parse(subs, [a.shape for a in ops])
    except Error:
        w = None
    else:
        w = len(ops)
        for n in sizes.values():
            w *= n
    if len(_WORK) >= 512:
        _WORK.clear()
    _WORK[key] = w
    return w


def _small(subs, ops, out):
    """Whether the small-problem rule sends this call to numpy."""
    limit = _host_limit[0]
    if not limit:
        return False
    w = _work(subs, ops)
    if w is None or w > limit:
        return False
    if out is not None:
        for a in ops:
            if np.may_share_memory(a, out):
                return False
    return True


_tls = threading.local()  # per thread: the device fast path's prepared views
_VIEW_BYTES = ctypes.sizeof(_lib.View)
_PTR_STEP = _VIEW_BYTES // ctypes.sizeof(ctypes.c_void_p)  # View.buffer is its first field
_addressof = ctypes.addressof
# winsum_einsum again, as a function object of its own that takes addresses
_raw_einsum = lib["winsum_einsum"]
_raw_einsum.restype = ctypes.c_int
_raw_einsum.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p,
                        ctypes.c_void_p, ctypes.c_double, ctypes.c_double]


def _array_key(a):
    d = a.__dict__
    n = len(d)
    if n == 5 or (n == 6 and d.get("guards", 1) == ()):
        # _mem, dtype, shape, strides, offset (and no guards): the view is these
        return (d["shape"], d["strides"], d["offset"], d["dtype"])
    # an Array with more to its view (guards, say): every attribute but the
    # memory, or a TypeError (unhashable) that sends the call the general way
    return tuple((k, v) for k, v in d.items() if k != "_mem")


def _device_entry(subs, ops, out, ctx):
    """The views of a call on winsum.Arrays, their buffers left out, or None
    when the call is not a plain one (the general path handles it)."""
    dt = ops[0].dtype
    if dt not in _FLOATS or any(a.dtype != dt for a in ops) or \
            (out is not None and out.dtype != dt) or not ctx.has_dtype(dt):
        return None
    views = [a.view_struct() for a in ops]
    text = subs.replace(" ", "")
    if out is None:
        try:
            shape = _wein._output_shape(ctx, text, views)
        except Error:
            return None
        ov = _make_view(None, dt, 0, shape, _c_strides(shape, dt.itemsize))
    else:
        ov = out.view_struct()
        shape = out.shape
    arr = (_lib.View * (len(views) + 1))(*views, ov)
    for v in arr:
        v.buffer = None
    ptrs = (ctypes.c_void_p * ((len(views) + 1) * _PTR_STEP)).from_buffer(arr)
    a0 = _addressof(arr)
    return (arr, ptrs, a0, a0 + len(views) * _VIEW_BYTES, text.encode(), shape, dt)


def _device_fast(subs, ops, out, alpha, beta, context):
    """One call on winsum.Arrays (and an Array out), its views prepared once
    per subscripts, shapes, strides, offsets and dtype; None sends the call
    the general way (which also gives every error its message)."""
    # the operands' context (the general path raises for a mismatch); the
    # key holds the context's owner (kept alive by it: its id is not reused)
    ctx = context if context is not None else ops[0]._mem.ctx
    try:
        key = (subs, ctx._owner, None if out is None else _array_key(out)) + \
            tuple(_array_key(a) for a in ops)
        cache = _tls.cache
    except AttributeError:
        cache = _tls.cache = {}
    except TypeError:
        return None
    e = cache.get(key)
    if e is None:
        if ctx.closed or any(a._mem.ctx is not ctx for a in ops):
            return None
        e = _device_entry(subs, ops, out, ctx)
        if e is None:
            return None
        if len(cache) >= 128:
            cache.clear()
        cache[key] = e
    arr, ptrs, a0, aout, text, shape, dt = e
    k = 0
    for a in ops:
        m = a._mem
        if m.ctx is not ctx:
            return None
        ptrs[k] = _addressof(m.buf)
        k += _PTR_STEP
    if out is None:
        out = empty(shape, dt, ctx)
        beta = 0.0
    elif out._mem.ctx is not ctx:
        return None
    ptrs[k] = _addressof(out._mem.buf)
    h = ctx._h
    if h is None:
        return None
    st = _raw_einsum(h, text, len(ops), a0, aout, alpha, beta)
    if st:
        ctx.check(st)
    return out


_MISSING = object()
_map_host = lib["winsum_buffer_map_host"]
_map_host.restype = ctypes.c_int
_map_host.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
_unmap_host = lib["winsum_buffer_unmap_host"]
_unmap_host.restype = ctypes.c_int
_unmap_host.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]


def _numpy_entry(subs, ops, ctx):
    """What a call on numpy operands mapped in place needs, prepared once per
    subscripts, shapes, strides and dtypes; None when the call is not a
    plain one (the general path handles it)."""
    dt = ops[0].dtype
    if dt not in _FLOATS or any(a.dtype != dt for a in ops) or not ctx.has_dtype(dt):
        return None
    isz = dt.itemsize
    try:
        in_labels, out_labels, sizes, out_shape, summed, perm, plain = analyse(subs, ops, "K")
    except Error:
        return None
    if perm is not None or not all(plain) or (len(ops) == 1 and not summed):
        return None  # numpy's own layout, a broadcast or diagonal, or numpy's view
    size = 1
    for n in out_shape:
        size *= n
    if not size:
        return None
    bufs = [_lib.Buffer() for _ in range(len(ops) + 1)]
    views, deltas, spans = [], [], []
    for a, buf in zip(ops, bufs):
        if not a.size or any(st % isz for st in a.strides):
            return None
        lo = hi = 0
        for n, st in zip(a.shape, a.strides):
            if st < 0:
                lo += st * (n - 1)
            else:
                hi += st * (n - 1)
        deltas.append(lo)
        spans.append(hi + isz - lo)
        views.append(_make_view(ctypes.pointer(buf), dt, -lo // isz, a.shape, a.strides))
    ov = _make_view(ctypes.pointer(bufs[-1]), dt, 0, out_shape, _c_strides(out_shape, isz))
    arr = (_lib.View * (len(views) + 1))(*views, ov)
    a0 = _addressof(arr)
    text = ",".join("".join(labs) for labs in in_labels) + "->" + "".join(out_labels)
    return (arr, a0, a0 + len(views) * _VIEW_BYTES, text.encode(), out_shape, dt, isz,
            [_addressof(b) for b in bufs], bufs, deltas, spans)


def _numpy_fast(subs, ops, alpha, context):
    """A new result from numpy operands on a device that computes in host
    memory in place (winsum_buffer_map_host): the views prepared once, each
    operand's span mapped (no upload), the result written into a fresh
    array, one synchronisation. None sends the call the general way (which
    also gives every error its message)."""
    ctx = context if context is not None else default_context()
    maps = ctx.__dict__.get("_winsum_numpy_fast")
    if maps is None:  # the reference backend computes in host memory anyway
        maps = ctx.__dict__["_winsum_numpy_fast"] = ctx.backend == "ref" or _wein._maps_host(ctx)
    if not maps:
        return None
    key = (subs,) + tuple((a.shape, a.strides, a.dtype) for a in ops)
    try:
        cache = _tls.numpy
    except AttributeError:
        cache = _tls.numpy = {}
    e = cache.get(key, _MISSING)
    if e is _MISSING:
        if ctx.closed:
            return None
        e = _numpy_entry(subs, ops, ctx)
        if len(cache) >= 128:
            cache.clear()
        cache[key] = e
    if e is None:
        return None
    arr, a0, aout, text, shape, dt, isz, baddr, bufs, deltas, spans = e
    h = ctx._h
    if h is None:
        return None
    los = []
    for a, d in zip(ops, deltas):
        p = a.__array_interface__["data"][0]
        if p % isz or not a.dtype.isnative:
            return None
        los.append(p + d)
    n = len(ops)
    for i in range(n):  # operands whose spans overlap go the general way
        for j in range(i):
            if los[i] < los[j] + spans[j] and los[j] < los[i] + spans[i]:
                return None
    res = np.empty(shape, dt)
    done = 0
    st = 0
    try:
        for k in range(n):
            if _map_host(h, los[k], spans[k], baddr[k]):
                return None
            done += 1
        if _map_host(h, res.ctypes.data, res.nbytes, baddr[n]):
            return None
        done = -1
        st = _raw_einsum(h, text, n, a0, aout, alpha, 0.0)
        msg = lib.winsum_last_error(h) if st else None
    finally:
        sync = 1
        if done < 0:
            sync = 0
            _unmap_host(h, baddr[n], 1)  # waits for the call's work
            done = n
        for k in range(done):
            _unmap_host(h, baddr[k], sync)
            sync = 0
    if st:
        raise Error(msg.decode("utf-8", "replace") if msg else "", st)
    return res


def _fast(operands, out, alpha, beta, context):
    """The plain calls, or None: the string form, every operand a
    winsum.Array (out one or None), or every operand and out host arrays
    small enough for the small-problem rule."""
    subs = operands[0]
    ops = operands[1:]
    if not ops:
        return None
    t = type(ops[0])
    if t is Array:
        for a in ops:
            if type(a) is not Array:
                return None
        if out is not None and type(out) is not Array:
            return None
        return _device_fast(subs, ops, out, float(alpha), float(beta), context)
    if t is np.ndarray:
        for a in ops:
            if type(a) is not np.ndarray:
                return None
        if out is not None and type(out) is not np.ndarray:
            return None
        if alpha == 1.0 and beta == 0.0 and context is None and _small(subs, ops, out):
            r = _np_einsum(*operands, out=out)
            # a 0-d result is a 0-d array, as winsum's device path gives
            return r if type(r) is np.ndarray else np.asarray(r)
        if out is None:
            return _numpy_fast(subs, ops, float(alpha), context)
    return None


def einsum(*operands: Any, out: Any = None, dtype: Any = None, order: str = "K",
           casting: str = "safe", optimize: Union[bool, str, tuple, list] = False,
           alpha: float = 1.0, beta: float = 0.0, context: Any = None) -> Any:
    """numpy.einsum, computed by winsum: out = alpha * einsum(...) + beta * out.

    Parameters
    ----------
    subscripts, *operands
        numpy's two call forms: ``einsum("ij,jk->ik", a, b)`` and
        ``einsum(a, [0, 1], b, [1, 2], [0, 2])``. Operands: numpy arrays (any
        strides: as_strided, negative, zero, Fortran, 0-d) or anything
        ``np.asarray`` takes, winsum.Arrays, pyopencl arrays, torch tensors.
    out : ndarray, winsum.Array or pyopencl array, optional
        Written in place (numpy's `casting` rule, both ways) and returned.
        For a float or complex result an out that overlaps an operand is
        refused (WINSUM_ERR_ALIAS, as in winsum's C API; numpy allows it);
        an integer result may overlap.
    dtype : dtype, optional
        The computation dtype (the operands are cast to it under `casting`);
        default numpy's common dtype of the operands and out.
    order : {'K', 'C', 'F', 'A'}
        The new result's layout, as numpy's: K follows the operands' axis
        order, A is F when every operand is F-contiguous.
    casting : {'no', 'equiv', 'safe', 'same_kind', 'unsafe'}
        numpy's casting rule for the operands to `dtype` and the result to `out`.
    optimize : False, True, 'greedy', 'optimal', (name, memory_limit) or list
        False/True/'greedy'/'optimal' (and a memory limit) all leave the
        contraction order to winsum's planner (one call; its pairwise order
        search). An explicit ``['einsum_path', (i, j), ...]`` list (numpy's
        form, e.g. from einsum_path) is checked and run step by step, each
        step one winsum einsum (float and complex numpy operands; exact
        integers and device operands run in one call, ordered by winsum's
        planner: an exact result does not depend on the order).
    alpha, beta : float
        winsum's scaling (float and complex results only); beta reads `out`.
    context : winsum.Context, optional
        Default: the context of the winsum.Array operands and out (all of
        one context; an explicit context must be theirs: WINSUM_ERR_CONTEXT
        otherwise), else winsum.default_context().

    Returns
    -------
    ndarray, winsum.Array or pyopencl array
        `out` when given; else a numpy array (a winsum.Array when an operand
        is one; a pyopencl array for pyopencl operands). One operand with no
        summed index returns a view of it, as numpy does; a 0-d result is a
        0-d array.

    Dtypes: float16/32/64 run on winsum; complex64/128 run on winsum as one
    real einsum over the parts' zero-copy float views; bool and integers are
    exact: on winsum in float64 when every partial sum provably stays below
    2**53, else numpy's einsum on the host; longdouble, clongdouble (and
    object, where numpy takes it) run numpy's einsum on the host
    (details: winsum._numpy_api).

    Small problems run on the host: with no `context`, numpy operands,
    alpha=1, beta=0 and at most winsum.host_limit() multiply-adds (the
    product of all index sizes times the operands; default 32768), numpy's
    own einsum computes the result (a device call would cost more than the
    problem); see set_host_limit. An explicit `context` always computes.

    Raises
    ------
    winsum.Error
        A ValueError with .status for winsum's own failures (bad subscripts,
        shapes, an out that overlaps an operand, a closed context, ...).
    TypeError
        For a bad out, dtype, keyword or cast (winsum's are winsum.Errors too).
    RuntimeError
        For an invalid explicit path.

    Examples
    --------
    >>> import numpy as np, winsum
    >>> a = np.arange(6.0).reshape(2, 3)
    >>> winsum.einsum("ij,kj->ik", a, a, optimize=True)
    array([[ 5., 14.],
           [14., 50.]])
    >>> winsum.einsum("i,i", np.arange(4), np.arange(4))
    array(14)
    """
    if dtype is None and order == "K" and casting == "safe" and operands and \
            type(operands[0]) is str and (optimize is False or optimize is True
                                          or optimize == "greedy" or optimize == "optimal"):
        r = _fast(operands, out, alpha, beta, context)
        if r is not None:
            return r
    if isinstance(order, str) and order.upper() in _ORDERS:
        order = order.upper()
    else:
        raise Error("einsum: order=%r: one of 'K', 'C', 'F', 'A'" % (order,), _lib.ERR_ARGUMENT)
    if casting not in _CASTINGS:
        raise Error("einsum: casting=%r: one of %s" % (casting, ", ".join(_CASTINGS)),
                    _lib.ERR_ARGUMENT)
    dt_req = None if dtype is None else np.dtype(dtype)  # TypeError for a bad dtype
    device_out = out is not None and (isinstance(out, Array) or _is_pyopencl(out))
    if out is not None and not (isinstance(out, np.ndarray) or device_out):
        raise TypeMismatch("einsum: out must be a numpy array, a winsum.Array or a pyopencl "
                           "array, not %s" % type(out).__name__, _lib.ERR_ARGUMENT)
    path = _check_optimize(optimize)
    subs, ops = split_call(operands)
    ops = [_hostify(a) for a in ops]
    if path is None and alpha == 1.0 and beta == 0.0 and context is None and \
            all(type(a) is np.ndarray for a in ops) and \
            (out is None or type(out) is np.ndarray) and _small(subs, ops, out):
        r = _np_einsum(subs, *ops, out=out, dtype=dtype, order=order, casting=casting)
        return r if isinstance(r, np.ndarray) else np.asarray(r)

    if device_out or any(isinstance(a, Array) or _is_pyopencl(a) for a in ops):
        # device operands are float arrays; winsum's planner orders the work
        if dt_req is not None and dt_req not in _FLOATS:
            raise Error("einsum: winsum.Array and pyopencl operands compute in float16, "
                        "float32 or float64, not %s" % dt_req, _lib.ERR_DTYPE)
        if path is not None:
            _np_einsum_path(subs, *[_standin(a) for a in ops], optimize=path)  # validates
        if dt_req is not None:
            ops = [a.astype(dt_req) if isinstance(a, np.ndarray) else a for a in ops]
        return _wein.einsum(subs.replace(" ", ""), *ops, out=out, alpha=alpha, beta=beta,
                            context=context)

    in_labels, out_labels, sizes, out_shape, summed, perm, plain = analyse(subs, ops, order)
    if out is not None and out.shape != out_shape:
        raise Error("einsum: out has shape %s, the result %s" % (out.shape, out_shape),
                    _lib.ERR_SHAPE)

    if path is not None:  # numpy's checks of an explicit path (RuntimeError)
        _np_einsum_path(subs, *[_standin(a) for a in ops], optimize=path)
    if len(ops) == 1 and not summed and out is None:
        # numpy's pass-through: a view, whatever dtype and casting say
        return single_view(ops[0], in_labels[0], out_labels)

    # numpy's iterator: the computation dtype is `dtype`, else the common
    # dtype of the operands and out (0-d ones by value, numpy's legacy
    # promotion); operands are cast to it, and out (read and written) both
    # ways, under `casting` (0-d arrays again by value).
    dt = dt_req if dt_req is not None else _result_type(ops if out is None else ops + [out])
    for k, a in enumerate(ops):
        if not np.can_cast(a, dt, casting):
            raise TypeMismatch("einsum: cannot cast operand %d from %s to %s under casting=%r"
                               % (k, a.dtype, dt, casting), _lib.ERR_DTYPE)
    if out is not None and not (np.can_cast(dt, out.dtype, casting) and
                                np.can_cast(out, dt, casting)):
        raise TypeMismatch("einsum: out's %s and the computation's %s do not cast both ways "
                           "under casting=%r" % (out.dtype, dt, casting), _lib.ERR_DTYPE)

    if dt in _FLOATS:
        kind = "float"
    elif dt in _COMPLEX_PART:
        kind = "complex"
    elif dt.kind in "biu":
        kind = "exact"
    else:
        kind = "host"
    if kind in ("exact", "host") and (alpha != 1.0 or beta != 0.0):
        raise Error("einsum: alpha and beta apply to float and complex results, not %s" % dt,
                    _lib.ERR_DTYPE)
    ctx = None
    if kind == "exact":
        ctx = context or default_context()
        cast = [a.astype(dt, copy=False) for a in ops]
        bound = 1
        for a in cast:
            bound *= max(1, _maxabs(a))
        for lab in summed:
            bound *= sizes[lab]
        if bound >= _EXACT_LIMIT or not ctx.has_dtype(np.float64):
            kind = "host"
    if kind == "host":
        return _np_einsum(*operands, out=out, dtype=dtype, order=order, casting=casting,
                          optimize=optimize if path is None else path)
    ctx = ctx or context or default_context()

    if kind == "exact":
        views, labels = [], []
        for a, labs in zip(cast, in_labels):
            v, u = canonical(a.astype(np.float64), labs, sizes)
            views.append(v)
            labels.append(u)
        r = np.empty(out_shape, np.float64)
        _real_call(labels, views, out_labels, r, 1.0, 0.0, ctx)  # one call: exact in any order
        res = (r != 0) if dt.kind == "b" else r.astype(np.int64).astype(dt)
        if out is not None:
            np.copyto(out, res, casting="unsafe")
            return out
        final = alloc(out_shape, dt, perm)
        final[...] = res
        return final

    views, labels = [], []
    for a, labs, same in zip(ops, in_labels, plain):
        if kind == "float" or a.dtype.kind == "c" or a.dtype.kind not in "biuf":
            a = a.astype(dt, copy=False)
        if same:
            views.append(a)
            labels.append(labs)
        else:
            v, u = canonical(a, labs, sizes)
            views.append(v)
            labels.append(u)
    if out is not None and out.dtype == dt:
        target = out
    else:
        target = alloc(out_shape, dt, perm if out is None else None)
        if out is not None and beta:
            target[...] = out
        if out is None:
            beta = 0.0
    call = _real_call if kind == "float" else _complex_call
    if path is None and kind == "complex" and \
            sum(v.dtype.kind == "c" for v in views) > _MAX_STACKED:
        path = _np_einsum_path(subs, *[_standin(a) for a in ops], optimize="greedy")[0]
    if path is not None:
        _run_path(path, labels, views, out_labels, target, alpha, beta, dt, call, ctx)
    else:
        call(labels, views, out_labels, target, alpha, beta, ctx)
    if out is not None and target is not out:
        np.copyto(out, target, casting="unsafe")
        return out
    return target


def einsum_path(*operands: Any, optimize: Union[bool, str, tuple, list] = "greedy",
                einsum_call: bool = False) -> Tuple[List[Any], str]:
    """numpy.einsum_path's path and report for these operands' shapes.

    The search is numpy's own (greedy or optimal); winsum.einsum runs a path
    given as `optimize` step by step. winsum.Arrays and pyopencl arrays count
    by their shapes (nothing is read back).

    Parameters
    ----------
    subscripts, *operands
        As winsum.einsum's (both call forms).
    optimize : bool, 'greedy', 'optimal', (name, memory_limit) or list
        numpy's: the search, or an explicit path to check.
    einsum_call : bool
        numpy's internal form of the answer (the contraction list).

    Returns
    -------
    (list, str)
        ``['einsum_path', (i, j), ...]`` and numpy's printable account of it
        (FLOP counts, largest intermediate).

    Raises
    ------
    ValueError, TypeError, RuntimeError
        numpy's, for bad subscripts, operands or paths.

    Examples
    --------
    >>> import numpy as np, winsum
    >>> a, b, c = np.ones((2, 3)), np.ones((3, 4)), np.ones((4, 5))
    >>> winsum.einsum_path("ij,jk,kl->il", a, b, c, optimize="greedy")[0]
    ['einsum_path', (1, 2), (0, 1)]
    """
    args = [_standin(a) if isinstance(a, Array) or _is_pyopencl(a) else a for a in operands]
    return _np_einsum_path(*args, optimize=optimize, einsum_call=einsum_call)
