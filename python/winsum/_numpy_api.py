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
import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import _lib
from . import _einsum as _wein
from ._core import Array, Error, _is_pyopencl, default_context
from ._subscripts import (ALL_LETTERS, TypeMismatch, alloc, analyse, canonical, single_view,
                          split_call)

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


def einsum(*operands, out=None, dtype=None, order="K", casting="safe", optimize=False,
           alpha=1.0, beta=0.0, context=None):
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
        Default: winsum.default_context().

    Returns
    -------
    ndarray (a winsum.Array when an operand is one; a pyopencl array for
    pyopencl operands), or `out`. One operand with no summed index returns a
    view of it, as numpy does.

    Dtypes: float16/32/64 run on winsum; complex64/128 run on winsum as one
    real einsum over the parts' zero-copy float views; bool and integers are
    exact: on winsum in float64 when every partial sum provably stays below
    2**53, else numpy's einsum on the host; longdouble, clongdouble (and
    object, where numpy takes it) run numpy's einsum on the host
    (details: winsum._numpy_api).

    Raises
    ------
    ValueError (winsum.Error for winsum's own failures, with .status),
    TypeError for a bad out, dtype, keyword or cast, RuntimeError for an
    invalid explicit path.

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


def einsum_path(*operands, optimize="greedy", einsum_call=False):
    """numpy.einsum_path's path and report for these operands' shapes.

    Returns (path, report): ``['einsum_path', (i, j), ...]`` and numpy's
    printable account of it (FLOP counts, largest intermediate). The search
    is numpy's own (greedy or optimal); winsum.einsum runs a path given as
    `optimize` step by step. winsum.Arrays and pyopencl arrays count by
    their shapes (nothing is read back).

    Examples
    --------
    >>> import numpy as np, winsum
    >>> a, b, c = np.ones((2, 3)), np.ones((3, 4)), np.ones((4, 5))
    >>> winsum.einsum_path("ij,jk,kl->il", a, b, c, optimize="greedy")[0]
    ['einsum_path', (1, 2), (0, 1)]
    """
    args = [_standin(a) if isinstance(a, Array) or _is_pyopencl(a) else a for a in operands]
    return _np_einsum_path(*args, optimize=optimize, einsum_call=einsum_call)
