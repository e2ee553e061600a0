"""numpy.einsum's signature and behaviour on winsum: argument handling, the
subscript rules, dtype dispatch, the complex decomposition, explicit paths
and einsum_path.

Which dtype takes which path (the computation dtype is `dtype`, else numpy's
result_type of the operands):

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

class TypeMismatch(Error, TypeError):
    """A winsum.Error that is also the TypeError numpy raises (a bad cast, a bad
    out, a sublist that is not one)."""


# numpy's own functions, kept before anyone replaces np.einsum with ours
_np_einsum = np.einsum
_np_einsum_path = np.einsum_path
_np_einsum_types = np.einsum  # only for _result_type's empty stand-ins

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_ALL_LETTERS = _UPPER + _LOWER
_ORDERS = ("K", "C", "F", "A")
_CASTINGS = ("no", "equiv", "safe", "same_kind", "unsafe")
_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_COMPLEX_PART = {np.dtype(np.complex64): np.dtype(np.float32),
                 np.dtype(np.complex128): np.dtype(np.float64)}
_EXACT_LIMIT = 2 ** 53
_MAX_STACKED = 6


# ------------------------------------------------------------ the two call forms

def _sublist(sub):
    """numpy's integer sublist: 0..25 are 'A'..'Z', 26..51 'a'..'z'."""
    if isinstance(sub, (str, bytes)):
        raise TypeMismatch("einsum: a sublist is a list of integers and Ellipsis, not %r"
                           % (sub,), _lib.ERR_SUBSCRIPTS)
    out = []
    for s in sub:  # a TypeError for what is not iterable, as numpy's
        if s is Ellipsis:
            out.append("...")
            continue
        if not isinstance(s, (int, np.integer)) or isinstance(s, (bool, np.bool_)):
            raise TypeMismatch("einsum: subscript %r in a sublist is not an integer" % (s,),
                               _lib.ERR_SUBSCRIPTS)
        s = int(s)
        if not 0 <= s < 52:
            raise Error("einsum: subscript %d in a sublist is not in [0, 52)" % s,
                        _lib.ERR_SUBSCRIPTS)
        out.append(_ALL_LETTERS[s])
    return "".join(out)


def split_call(operands):
    """(subscripts, operands) from either call form."""
    if not operands:
        raise Error("einsum: no subscripts and no operands given", _lib.ERR_SUBSCRIPTS)
    if isinstance(operands[0], str):
        subs, ops = operands[0], list(operands[1:])
    else:
        args = list(operands)
        n = len(args) // 2
        ops = [args[2 * k] for k in range(n)]
        subs = ",".join(_sublist(args[2 * k + 1]) for k in range(n))
        if len(args) % 2:
            subs += "->" + _sublist(args[-1])
    if not ops:
        raise Error("einsum: no operands given", _lib.ERR_SUBSCRIPTS)
    return subs, ops


# --------------------------------------------------------------- subscripts

def _term(term, where):
    """A term's letters and whether it has an ellipsis (at which position)."""
    if term.count("...") > 1 or "." in term.replace("...", "", 1):
        raise Error("einsum: %s: '.' only as one '...' (ellipsis)" % where, _lib.ERR_SUBSCRIPTS)
    pos = term.find("...")
    return term.replace("...", ""), pos


def parse(subs, shapes):
    """numpy's subscript rules. Returns (in_labels, out_labels, sizes):
    in_labels per operand one label per axis (an ellipsis' axes get letters
    unused elsewhere, right-aligned across operands), out_labels the output's
    labels, sizes each label's (broadcast) size."""
    subs = subs.replace(" ", "")
    for ch in subs:
        if not (ch in _ALL_LETTERS or ch in ",.->"):
            raise Error("einsum: character %r is not a valid subscript" % ch, _lib.ERR_SUBSCRIPTS)
    if "->" in subs:
        ins, outs = subs.split("->", 1)
    else:
        ins, outs = subs, None
    if "-" in ins or ">" in ins or (outs is not None and ("-" in outs or ">" in outs
                                                          or "," in outs)):
        raise Error("einsum: '->' only once, between the inputs and the output",
                    _lib.ERR_SUBSCRIPTS)
    terms = ins.split(",")
    if len(terms) != len(shapes):
        raise Error("einsum: the subscripts have %d input terms for %d operands"
                    % (len(terms), len(shapes)), _lib.ERR_SUBSCRIPTS)
    parsed = []
    nell = 0
    for k, (t, shp) in enumerate(zip(terms, shapes)):
        letters, pos = _term(t, "operand %d" % k)
        nd = len(shp)
        if pos < 0:
            if len(letters) != nd:
                raise Error("einsum: operand %d has %d dimensions but its subscripts %r "
                            "name %d" % (k, nd, t, len(letters)), _lib.ERR_SHAPE)
            parsed.append((letters, pos, 0))
        else:
            e = nd - len(letters)
            if e < 0:
                raise Error("einsum: operand %d has %d dimensions, fewer than the %d its "
                            "subscripts %r name" % (k, nd, len(letters), t), _lib.ERR_SHAPE)
            parsed.append((letters, pos, e))
            nell = max(nell, e)
    used = set(subs)
    free = [c for c in _ALL_LETTERS if c not in used]
    if nell > len(free):
        raise Error("einsum: too many dimensions under '...'", _lib.ERR_SHAPE)
    ell = free[:nell]
    in_labels = []
    for (letters, pos, e), shp in zip(parsed, shapes):
        if pos < 0:
            in_labels.append(list(letters))
        else:
            in_labels.append(list(letters[:pos]) + ell[nell - e:] + list(letters[pos:]))
    sizes = {}
    for k, (labs, shp) in enumerate(zip(in_labels, shapes)):
        mine = {}
        for lab, n in zip(labs, shp):
            n = int(n)
            if lab in mine and mine[lab] != n:
                raise Error("einsum: dimensions in operand %d for collapsing index '%s' "
                                 "don't match (%d != %d)" % (k, lab, mine[lab], n), _lib.ERR_SHAPE)
            mine[lab] = n
        for lab, n in mine.items():
            have = sizes.get(lab)
            if have is None or have == 1:
                sizes[lab] = n
            elif n != 1 and n != have:
                raise Error("einsum: operands could not be broadcast together: index '%s' "
                                 "has sizes %d and %d" % (lab, have, n), _lib.ERR_SHAPE)
    if outs is None:
        counts = {}
        for t in terms:
            for c in t.replace("...", ""):
                counts[c] = counts.get(c, 0) + 1
        out_labels = ell + sorted(c for c, n in counts.items() if n == 1)
    else:
        letters, pos = _term(outs, "the output")
        for c in letters:
            if letters.count(c) > 1:
                raise Error("einsum: output subscript '%s' appears more than once" % c,
                            _lib.ERR_SUBSCRIPTS)
            if c not in sizes and not any(c in t for t in terms):
                raise Error("einsum: output subscript '%s' does not appear in the inputs" % c,
                            _lib.ERR_SUBSCRIPTS)
        if pos < 0:
            if nell:
                raise Error("einsum: the operands have dimensions under '...' but the "
                                 "output has no '...' to put them", _lib.ERR_SHAPE)
            out_labels = list(letters)
        else:
            out_labels = list(letters[:pos]) + ell + list(letters[pos:])
    return in_labels, out_labels, sizes


def _canonical(a, labels, sizes):
    """a's zero-copy view with one axis per distinct label (a repeated label's
    diagonal) and broadcast size-1 axes (stride 0), and those labels."""
    uniq, strides = [], []
    for lab, s, n in zip(labels, a.strides, a.shape):
        if lab in uniq:
            strides[uniq.index(lab)] += s
        else:
            uniq.append(lab)
            strides.append(s)
    shape = [sizes[lab] for lab in uniq]
    mine = dict(zip(labels, a.shape))
    strides = [0 if mine[lab] == 1 and sizes[lab] != 1 else s for lab, s in zip(uniq, strides)]
    if tuple(shape) == a.shape and tuple(strides) == a.strides:
        return a, uniq
    return as_strided(a, tuple(shape), tuple(strides), writeable=False), uniq


def _single_view(a, labels, out_labels):
    """numpy's pass-through: a view of `a` (its base is `a`'s) for one operand
    and no summed index."""
    first, idx = [], []
    for lab in labels:
        if lab in first:
            idx.append(0)
        else:
            first.append(lab)
            idx.append(slice(None))
    v = a[tuple(idx) + (Ellipsis,)].transpose([first.index(lab) for lab in out_labels])
    strides = tuple(sum(s for lab2, s in zip(labels, a.strides) if lab2 == lab)
                    for lab in out_labels)
    if v.strides != strides:
        try:
            v.strides = strides
        except (AttributeError, ValueError, TypeError):  # numpy without the setter
            v = as_strided(a, v.shape, strides, writeable=a.flags.writeable)
    return v


# ------------------------------------------------------------------ layout

def _layout_perm(order, arrs, in_labels, out_labels):
    """The result's axes from outer to inner for numpy's `order` (K: the axis
    order of the operands' strides, as numpy's iterator picks it); None for
    C order."""
    n = len(out_labels)
    if n <= 1 or order == "C":
        return None
    if order == "A":
        order = "F" if all(a.flags.f_contiguous for a in arrs) else "C"
    if order == "F":
        return tuple(range(n - 1, -1, -1))
    if order == "C":
        return None
    # K: numpy's iterator axes are the output's then the summed labels sorted;
    # an insertion sort from the innermost moves an axis inward past one whose
    # stride is larger in every operand that has both (others don't decide).
    summed = sorted({lab for labs in in_labels for lab in labs} - set(out_labels))
    axes = list(out_labels) + summed
    table = []
    for a, labs in zip(arrs, in_labels):
        st = {}
        for lab, s, d in zip(labs, a.strides, a.shape):
            st[lab] = st.get(lab, 0) + (abs(s) if d > 1 else 0)
        table.append(st)
    lst = list(reversed(axes))  # innermost first
    for i0 in range(1, len(lst)):
        a0 = lst[i0]
        pos = i0
        for i1 in range(i0 - 1, -1, -1):
            a1 = lst[i1]
            ambiguous, swap = True, False
            for st in table:
                s0, s1 = st.get(a0, 0), st.get(a1, 0)
                if s0 and s1:
                    if s1 <= s0:
                        swap = False
                    elif ambiguous:
                        swap = True
                    ambiguous = False
            if not ambiguous:
                if swap:
                    pos = i1
                else:
                    break
        if pos != i0:
            lst.insert(pos, lst.pop(i0))
    inner = [lab for lab in lst if lab in out_labels]  # innermost first
    perm = tuple(out_labels.index(lab) for lab in reversed(inner))  # outer to inner
    return None if perm == tuple(range(n)) else perm


def _alloc(shape, dtype, perm):
    """An uninitialised array of `shape` whose axes lie outer to inner as perm."""
    if perm is None:
        return np.empty(shape, dtype)
    base = np.empty(tuple(shape[p] for p in perm), dtype)
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return base.transpose(inv)


_ANALYSED = {}


def _analyse(subs, ops, order):
    """parse() and the result's layout, cached by the subscripts and the
    operands' shapes and strides: (in_labels, out_labels, sizes, out_shape,
    summed, perm, plain); plain[k] when operand k has no repeated label and
    no broadcast axis (its view is used as it is)."""
    key = (subs, order) + tuple((a.shape, a.strides) for a in ops)
    hit = _ANALYSED.get(key)
    if hit is not None:
        return hit
    in_labels, out_labels, sizes = parse(subs, [a.shape for a in ops])
    out_shape = tuple(sizes[lab] for lab in out_labels)
    summed = {lab for labs in in_labels for lab in labs} - set(out_labels)
    perm = _layout_perm(order, ops, in_labels, out_labels)
    plain = tuple(len(set(labs)) == len(labs) and
                  all(sizes[lab] == n for lab, n in zip(labs, a.shape))
                  for labs, a in zip(in_labels, ops))
    hit = (in_labels, out_labels, sizes, out_shape, summed, perm, plain)
    if len(_ANALYSED) >= 256:
        _ANALYSED.clear()
    _ANALYSED[key] = hit
    return hit


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
    free = [c for c in _ALL_LETTERS if c not in used]
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
        Written in place (numpy's `casting` rule from the result dtype) and
        returned. It may overlap the operands.
    dtype : dtype, optional
        The computation dtype (the operands are cast to it under `casting`);
        default numpy's result_type of the operands.
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
    object, where numpy takes it) run numpy's einsum on the host. (Details: winsum._numpy_api.)

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

    in_labels, out_labels, sizes, out_shape, summed, perm, plain = _analyse(subs, ops, order)
    if out is not None and out.shape != out_shape:
        raise Error("einsum: out has shape %s, the result %s" % (out.shape, out_shape),
                    _lib.ERR_SHAPE)

    if path is not None:  # numpy's checks of an explicit path (RuntimeError)
        _np_einsum_path(subs, *[_standin(a) for a in ops], optimize=path)
    if len(ops) == 1 and not summed and out is None:
        # numpy's pass-through: a view, whatever dtype and casting say
        return _single_view(ops[0], in_labels[0], out_labels)

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
            v, u = _canonical(a.astype(np.float64), labs, sizes)
            views.append(v)
            labels.append(u)
        r = np.empty(out_shape, np.float64)
        _real_call(labels, views, out_labels, r, 1.0, 0.0, ctx)  # one call: exact in any order
        res = (r != 0) if dt.kind == "b" else r.astype(np.int64).astype(dt)
        if out is not None:
            np.copyto(out, res, casting="unsafe")
            return out
        final = _alloc(out_shape, dt, perm)
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
            v, u = _canonical(a, labs, sizes)
            views.append(v)
            labels.append(u)
    if out is not None and out.dtype == dt:
        target = out
    else:
        target = _alloc(out_shape, dt, perm if out is None else None)
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
