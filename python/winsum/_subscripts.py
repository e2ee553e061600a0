# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""numpy.einsum's subscripts on winsum: the two call forms, numpy's subscript
rules (ellipsis, size-1 broadcasting, repeated labels, the implicit output),
zero-copy canonical views, numpy's result layouts, and a cache of all that
per subscripts, shapes and strides."""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import _lib
from ._core import Error

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
ALL_LETTERS = _UPPER + _LOWER


class TypeMismatch(Error, TypeError):
    """A winsum.Error that is also the TypeError numpy raises (a bad cast, a bad
    out, a sublist that is not one)."""


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
        out.append(ALL_LETTERS[s])
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
        if not (ch in ALL_LETTERS or ch in ",.->"):
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
    free = [c for c in ALL_LETTERS if c not in used]
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


def canonical(a, labels, sizes):
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


def single_view(a, labels, out_labels):
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


def alloc(shape, dtype, perm):
    """An uninitialised array of `shape` whose axes lie outer to inner as perm."""
    if perm is None:
        return np.empty(shape, dtype)
    base = np.empty(tuple(shape[p] for p in perm), dtype)
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return base.transpose(inv)


_ANALYSED = {}


def analyse(subs, ops, order):
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
