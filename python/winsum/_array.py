# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""Device arrays: strided views of a context's memory (winsum.Array), and
empty / asarray / as_strided / call_context."""
from __future__ import annotations

import ctypes
from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _lib
from ._lib import lib
from ._core import (_DTYPE_CODE, Context, Error, _element_strided, _make_view, _np_span, _ptr,
                    _transfers, default_context)


# an operand of Array's arithmetic: an Array, a scalar, or what np.asarray takes
Operand = Union["Array", int, float, np.ndarray, Sequence[Any]]


def call_context(context: Optional[Context], items: Sequence[Any], names: Sequence[str],
                 who: str) -> Context:
    """The context a call computes on: the one its winsum.Array operands (and
    out) belong to, else `context`, else default_context(). Arrays of two
    contexts, or an explicit `context` other than theirs, raise winsum.Error
    (WINSUM_ERR_CONTEXT, naming the argument) before anything is written."""
    ctx = first = None
    for a, name in zip(items, names):
        if isinstance(a, Array):
            c = a._mem.ctx
            if context is not None and c is not context:
                raise Error("%s is a winsum.Array of another context than context= (%s: %r, "
                            "not %r)" % (name, who, c, context), _lib.ERR_CONTEXT)
            if ctx is None:
                ctx, first = c, name
            elif c is not ctx:
                raise Error("%s is a winsum.Array of another context than %s's (%s: all "
                            "winsum.Array operands and out share one context)"
                            % (name, first, who), _lib.ERR_CONTEXT)
    if ctx is None:
        return context if context is not None else default_context()
    return ctx


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

def _letters(n):
    if n > len(_LETTERS):
        raise Error("%d axes: at most %d here" % (n, len(_LETTERS)), _lib.ERR_ARGUMENT)
    return _LETTERS[:n]


def _nocopy_strides(oldshape, oldstrides, newshape, itemsize):
    """The strides of a view of newshape (C order) on the same elements, or
    None when none exists (numpy's rule for reshape without a copy)."""
    if int(np.prod(oldshape, dtype=np.int64)) == 0:
        return _c_strides(newshape, itemsize)
    old = [(n, s) for n, s in zip(oldshape, oldstrides) if n != 1]
    od, ost = [n for n, _ in old], [s for _, s in old]
    new = list(newshape)
    st = [0] * len(new)
    oi, oj, ni, nj = 0, 1, 0, 1
    while ni < len(new) and oi < len(od):
        pn, po = new[ni], od[oi]
        while pn != po:
            if pn < po:
                pn *= new[nj]
                nj += 1
            else:
                po *= od[oj]
                oj += 1
        for k in range(oi, oj - 1):
            if ost[k] != od[k + 1] * ost[k + 1]:
                return None
        st[nj - 1] = ost[oj - 1]
        for k in range(nj - 1, ni, -1):
            st[k - 1] = st[k] * new[k]
        ni, nj = nj, nj + 1
        oi, oj = oj, oj + 1
    last = st[ni - 1] if ni >= 1 else itemsize
    for k in range(ni, len(new)):
        st[k] = last
    return tuple(st)


class _Memory:
    """A winsum_buffer that winsum_buffer_alloc made; freed with the last view."""

    def __init__(self, ctx, nbytes):
        self.ctx = ctx
        self.buf = _lib.Buffer()
        self.nbytes = nbytes
        self._owner = None
        ctx._owner.acquire("a buffer")
        try:
            ctx.check(lib.winsum_buffer_alloc(ctx.handle, max(int(nbytes), 1),
                                              ctypes.byref(self.buf)))
        except BaseException:
            ctx._owner.release()
            raise
        self._owner = ctx._owner
        self.buf.bytes = max(int(nbytes), 1)

    def write(self, offset, ptr, nbytes):
        if nbytes:
            _transfers[0] += 1
            self.ctx.check(lib.winsum_buffer_write(self.ctx.handle, ctypes.byref(self.buf),
                                                   offset, ptr, nbytes))

    def read(self, offset, ptr, nbytes):
        if nbytes:
            _transfers[0] += 1
            self.ctx.check(lib.winsum_buffer_read(self.ctx.handle, ctypes.byref(self.buf),
                                                  offset, ptr, nbytes))

    def __del__(self):
        o, self._owner = getattr(self, "_owner", None), None
        if o is None:
            return
        try:
            lib.winsum_buffer_free(o.h, ctypes.byref(self.buf))
        except Exception:
            pass
        o.release()


_FAKE = 1 << 44  # a made-up address for index arithmetic on views (never dereferenced)


class _Fake:
    def __init__(self, shape, strides, dtype, addr):
        self.__array_interface__ = {"shape": tuple(shape), "strides": tuple(strides),
                                    "typestr": np.dtype(dtype).str, "data": (addr, True),
                                    "version": 3}


class Array:
    """A strided view of device memory (the context's kind: OpenCL memory, or
    host memory on the reference backend).

    Made by winsum.asarray, winsum.empty, winsum.zeros, winsum.windows, the
    methods below and calls on Arrays (winsum.einsum, the conv functions);
    not constructed directly.

    Arrays compute where they live: `+ - *` (and `/` by a scalar) with
    numpy's broadcasting, their in-place forms (`+=` writes into the
    Array), `>` and `<` (1 or 0), maximum() and minimum(), sum() over axes,
    reshape(), copy() and einsum (winsum.einsum, on the Array's context)
    run on the device; only numpy(), get(), float() and item() read back
    (winsum.transfer_count() counts them). A scalar operand keeps the
    Array's dtype (numpy's rule for Python scalars); a numpy operand is
    uploaded. Basic slicing (``A[1:, ::2]``), transpose() and T are views.

    Attributes
    ----------
    shape : tuple of int
    strides : tuple of int
        numpy's: in bytes.
    dtype : numpy.dtype
        float16, float32 or float64.
    offset : int
        In elements, from the start of its memory.
    guards : tuple
        The padding of a window view (winsum.windows): a tuple of
        (coefficients per axis, offset, extent); an element whose
        sum(coef * index) + offset lies outside [0, extent) reads as zero.
        einsum and copy() take guarded Arrays; indexing them does not.
        () for a plain view.
    context : Context
        The context whose memory it is; calls on it compute there.
    ndim, size, itemsize, nbytes : int
        As numpy's.

    Examples
    --------
    >>> import numpy as np, winsum
    >>> A = winsum.asarray(np.arange(6.0).reshape(2, 3))
    >>> A  # doctest: +ELLIPSIS
    winsum.Array(shape=(2, 3), dtype=float64, context=...)
    >>> (2 * A.T + 1).numpy()
    array([[ 1.,  7.],
           [ 3.,  9.],
           [ 5., 11.]])
    >>> A[:, 1:].sum(axis=0).numpy()
    array([5., 7.])
    """

    __array_ufunc__ = None  # numpy operators defer to Array's (ndarray + Array runs here)

    def __init__(self, mem: Any, dtype: Any, shape: Sequence[int], strides: Sequence[int],
                 offset: int = 0, guards: Sequence[Any] = ()) -> None:
        self._mem = mem
        self.dtype = np.dtype(dtype)
        self.shape = tuple(int(n) for n in shape)
        self.strides = tuple(int(s) for s in strides)
        self.offset = int(offset)
        self.guards = tuple(guards)

    @property
    def context(self) -> Context:
        """The context whose memory the Array is."""
        return self._mem.ctx

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return len(self.shape)

    @property
    def size(self) -> int:
        """The number of elements."""
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        """size * itemsize."""
        return self.size * self.itemsize

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return "winsum.Array(shape=%s, dtype=%s, context=%r)" % (self.shape, self.dtype,
                                                                  self.context)

    def _fake(self):
        return np.asarray(_Fake(self.shape, self.strides, self.dtype,
                                _FAKE + self.offset * self.itemsize))

    def _from_fake(self, f):
        addr = f.__array_interface__["data"][0]
        return Array(self._mem, self.dtype, f.shape, f.strides, (addr - _FAKE) // self.itemsize)

    def _plain(self, what):
        if self.guards:
            raise Error("%s of a guarded (padded window) Array: copy() it first" % what,
                        _lib.ERR_UNSUPPORTED)

    def __getitem__(self, key: Any) -> "Array":
        """A view: numpy's basic indexing (ints, slices, None, Ellipsis); an
        int index keeps a 0-d view (read it with item()). Fancy indexing and
        guarded Arrays raise winsum.Error (WINSUM_ERR_UNSUPPORTED)."""
        self._plain("indexing")
        key = key if isinstance(key, tuple) else (key,)
        if any(isinstance(k, (list, np.ndarray, Array)) for k in key):
            raise Error("winsum.Array: advanced (fancy) indexing copies; use basic slicing",
                        _lib.ERR_UNSUPPORTED)
        if not any(k is Ellipsis for k in key):
            key = key + (Ellipsis,)  # a view even when every axis is indexed (no read)
        return self._from_fake(self._fake()[key])

    def transpose(self, *axes: int) -> "Array":
        """A view with the axes permuted (numpy's transpose).

        Parameters
        ----------
        *axes : int
            The permutation (also as one tuple); none: reversed.

        Returns
        -------
        Array
            A view of the same memory (guarded Arrays: copy() them first).

        Examples
        --------
        >>> import numpy as np, winsum
        >>> winsum.asarray(np.zeros((2, 3, 4))).transpose(2, 0, 1).shape
        (4, 2, 3)
        """
        self._plain("transpose")
        f = self._fake()
        return self._from_fake(f.transpose(*axes) if axes else f.T)

    @property
    def T(self) -> "Array":
        """transpose(): the axes reversed, a view."""
        return self.transpose()

    def _span(self):
        """(lo, hi) element indices reached, hi exclusive (0, 0 when empty)."""
        if self.size == 0:
            return self.offset, self.offset
        lo = hi = self.offset
        for n, s in zip(self.shape, self.strides):
            s //= self.itemsize
            if s < 0:
                lo += s * (n - 1)
            else:
                hi += s * (n - 1)
        return lo, hi + 1

    def numpy(self) -> np.ndarray:
        """A host copy, C order (one transfer; guards applied).

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> import numpy as np, winsum
        >>> winsum.asarray(np.arange(4.0)).numpy()
        array([0., 1., 2., 3.])
        """
        if self.guards:
            return self.copy().numpy()
        out = np.empty(self.shape, self.dtype)
        if self.size == 0:
            return out
        lo, hi = self._span()
        if self.strides == out.strides and hi - lo == self.size:
            self._mem.read(lo * self.itemsize, out.ctypes.data, out.nbytes)
            return out
        host = np.empty(hi - lo, self.dtype)
        self._mem.read(lo * self.itemsize, host.ctypes.data, host.nbytes)
        v = np.lib.stride_tricks.as_strided(host[self.offset - lo:], self.shape, self.strides)
        out[...] = v
        return out

    def __array__(self, dtype: Any = None) -> np.ndarray:
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def view_struct(self, buf: Any = None) -> Any:
        """The C winsum_view of this Array (a ctypes structure over its
        buffer, or `buf`), for calls into the C library."""
        v = _make_view(ctypes.pointer(buf or self._mem.buf), self.dtype, self.offset,
                       self.shape, self.strides)
        v.nguards = len(self.guards)
        for g, (coef, off, ext) in enumerate(self.guards):
            for i, c in enumerate(coef):
                v.guards[g].coef[i] = int(c)
            v.guards[g].offset = int(off)
            v.guards[g].extent = int(ext)
        return v

    # -------------------------------------------------- on-device operations
    # (the module functions they run are at the end of this file)

    def get(self) -> np.ndarray:
        """A host copy as a numpy array (pyopencl's name for numpy()).

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> import numpy as np, winsum
        >>> winsum.asarray(np.ones(2)).get()
        array([1., 1.])
        """
        return self.numpy()

    def item(self) -> float:
        """The one element of a size-1 Array, as a Python float (one read).

        Returns
        -------
        float

        Raises
        ------
        winsum.Error
            WINSUM_ERR_SHAPE when the Array has more or fewer elements.

        Examples
        --------
        >>> import numpy as np, winsum
        >>> winsum.asarray(np.arange(3.0)).sum().item()
        3.0
        """
        if self.size != 1:
            raise Error("item(): the Array has %d elements, not 1" % self.size,
                        _lib.ERR_SHAPE)
        return self.numpy().item()

    def __float__(self) -> float:
        return float(self.item())

    def copy(self) -> "Array":
        """A C-contiguous copy on the device (an einsum; guards applied:
        padding becomes zeros).

        Returns
        -------
        Array
            New memory of the same context, shape and dtype.

        Examples
        --------
        >>> import numpy as np, winsum
        >>> A = winsum.asarray(np.arange(6.0).reshape(2, 3))
        >>> C = A.T.copy()
        >>> C.strides, C.numpy()[0]
        ((16, 8), array([0., 3.]))
        """
        out = empty(self.shape, self.dtype, self.context)
        if self.size:
            letters = _letters(self.ndim)
            _raw_einsum(self.context, "%s->%s" % (letters, letters), [self], out)
        return out

    def reshape(self, *shape: Union[int, Sequence[int]]) -> "Array":
        """The Array in a new shape: a view where the strides allow one
        (numpy's no-copy rule), else a reshaped copy on the device.

        Parameters
        ----------
        *shape : int or tuple of int
            The new shape (also as one tuple); one size may be -1.

        Returns
        -------
        Array

        Raises
        ------
        winsum.Error
            WINSUM_ERR_SHAPE when the sizes do not match.

        Examples
        --------
        >>> import numpy as np, winsum
        >>> A = winsum.asarray(np.arange(6.0))
        >>> A.reshape(2, -1).numpy()
        array([[0., 1., 2.],
               [3., 4., 5.]])
        """
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        shape = tuple(int(n) for n in shape)
        if shape.count(-1) > 1 or any(n < -1 for n in shape):
            raise Error("reshape: bad shape %s" % (shape,), _lib.ERR_SHAPE)
        known = int(np.prod([n for n in shape if n != -1], dtype=np.int64))
        if -1 in shape:
            if known == 0 or self.size % known:
                raise Error("reshape: cannot reshape %s into %s" % (self.shape, shape),
                            _lib.ERR_SHAPE)
            shape = tuple(self.size // known if n == -1 else n for n in shape)
        elif known != self.size:
            raise Error("reshape: cannot reshape %s (%d elements) into %s" %
                        (self.shape, self.size, shape), _lib.ERR_SHAPE)
        src = self.copy() if self.guards else self
        strides = _nocopy_strides(src.shape, src.strides, shape, src.itemsize)
        if strides is None:
            src = src.copy()
            strides = _c_strides(shape, src.itemsize)
        return Array(src._mem, src.dtype, shape, strides, src.offset)

    def sum(self, axis: Union[None, int, Sequence[int]] = None, keepdims: bool = False,
            out: Optional["Array"] = None, alpha: float = 1.0) -> "Array":
        """alpha times the sum over `axis`, an einsum on the device.

        Parameters
        ----------
        axis : None, int or tuple of int
            None: all axes (a 0-d Array); negative counts from the end.
        keepdims : bool
            Keep the summed axes as size 1.
        alpha : float
            The scale.
        out : Array, optional
            Of the result's shape, dtype and context: written and returned.

        Returns
        -------
        Array

        Raises
        ------
        winsum.Error
            WINSUM_ERR_ARGUMENT (a bad axis), _CONTEXT / _SHAPE / _DTYPE (a bad out).

        Examples
        --------
        >>> import numpy as np, winsum
        >>> A = winsum.asarray(np.arange(6.0).reshape(2, 3))
        >>> A.sum(axis=1).numpy(), A.sum().item()
        (array([ 3., 12.]), 15.0)
        """
        return _sum(self, axis, keepdims, out, alpha)

    def mean(self, axis: Union[None, int, Sequence[int]] = None,
             keepdims: bool = False) -> "Array":
        """The mean over `axis` (None: all), on the device (sum() scaled).

        Parameters
        ----------
        axis : None, int or tuple of int
        keepdims : bool

        Returns
        -------
        Array

        Examples
        --------
        >>> import numpy as np, winsum
        >>> winsum.asarray(np.arange(6.0).reshape(2, 3)).mean(axis=0).numpy()
        array([1.5, 2.5, 3.5])
        """
        axes = _axes(self, axis)
        n = int(np.prod([self.shape[a] for a in axes], dtype=np.int64))
        return _sum(self, axis, keepdims, None, 1.0 / n if n else 1.0)

    def fill(self, value: float) -> "Array":
        """Set every element to `value`, on the device (no upload).

        Parameters
        ----------
        value : float

        Returns
        -------
        Array
            self.

        Examples
        --------
        >>> import numpy as np, winsum
        >>> winsum.empty(3, np.float64).fill(2.5).numpy()
        array([2.5, 2.5, 2.5])
        """
        # 0 * x > 0 is 0 whatever x holds (NaN included): a zero without
        # reading anything meaningful, then + value
        elementwise("greater", self, None, 0.0, 0.0, out=self)
        if value:
            elementwise("add", self, None, 1.0, float(value), out=self)
        return self

    def maximum(self, other: Operand) -> "Array":
        """winsum.maximum(self, other): the element-wise maximum on the device.

        Examples
        --------
        >>> import numpy as np, winsum
        >>> winsum.asarray(np.array([-1.0, 2.0])).maximum(0).numpy()
        array([0., 2.])
        """
        return _binary("max", self, other)

    def minimum(self, other: Operand) -> "Array":
        """winsum.minimum(self, other): the element-wise minimum on the device.

        Examples
        --------
        >>> import numpy as np, winsum
        >>> winsum.asarray(np.array([-1.0, 2.0])).minimum(0).numpy()
        array([-1.,  0.])
        """
        return _binary("min", self, other)

    def __add__(self, o: Operand) -> "Array":
        return _binary("add", self, o)

    def __radd__(self, o: Operand) -> "Array":
        return _binary("add", self, o)

    def __sub__(self, o: Operand) -> "Array":
        return _binary("sub", self, o)

    def __rsub__(self, o: Operand) -> "Array":
        return _binary("sub", self, o, reflected=True)

    def __mul__(self, o: Operand) -> "Array":
        return _binary("mul", self, o)

    def __rmul__(self, o: Operand) -> "Array":
        return _binary("mul", self, o)

    def __truediv__(self, o: Union[int, float]) -> "Array":
        if not _is_scalar(o):
            return NotImplemented  # no element-wise division on the device
        return _binary("mul", self, 1.0 / float(o))

    def __gt__(self, o: Operand) -> "Array":
        return _binary("greater", self, o)

    def __lt__(self, o: Operand) -> "Array":
        return _binary("greater", self, o, reflected=True)

    def __neg__(self) -> "Array":
        return _binary("mul", self, -1.0)

    def __pos__(self) -> "Array":
        return self

    def __iadd__(self, o: Operand) -> "Array":
        return _binary("add", self, o, out=self)

    def __isub__(self, o: Operand) -> "Array":
        return _binary("sub", self, o, out=self)

    def __imul__(self, o: Operand) -> "Array":
        return _binary("mul", self, o, out=self)

    def __itruediv__(self, o: Union[int, float]) -> "Array":
        if not _is_scalar(o):
            return NotImplemented
        return _binary("mul", self, 1.0 / float(o), out=self)


def _check_dtype(dtype, ctx=None):
    dtype = np.dtype(dtype)
    if dtype not in _DTYPE_CODE:
        raise Error("dtype %s: winsum computes in float16, float32 and float64" % dtype,
                    _lib.ERR_DTYPE)
    if ctx is not None and not ctx.has_dtype(dtype):
        raise Error("the device %r does not compute in %s" % (ctx.device_name, dtype),
                    _lib.ERR_DTYPE)
    return dtype


def empty(shape: Union[int, Sequence[int]], dtype: Any = np.float32,
          context: Optional[Context] = None) -> "Array":
    """An uninitialised C-contiguous device Array.

    Parameters
    ----------
    shape : int or sequence of int
    dtype : float16, float32 (default) or float64
    context : Context, optional
        Default: winsum.default_context().

    Returns
    -------
    Array

    Raises
    ------
    winsum.Error
        WINSUM_ERR_DTYPE for another dtype (or one the device lacks),
        WINSUM_ERR_MEMORY.

    Examples
    --------
    >>> import winsum
    >>> winsum.empty((2, 3)).shape
    (2, 3)
    """
    ctx = context or default_context()
    dtype = _check_dtype(dtype, ctx)
    shape = (int(shape),) if np.ndim(shape) == 0 and not isinstance(shape, tuple) else tuple(
        int(n) for n in shape)
    n = int(np.prod(shape, dtype=np.int64))
    strides = _c_strides(shape, dtype.itemsize)
    return Array(_Memory(ctx, n * dtype.itemsize), dtype, shape, strides, 0)


def _c_strides(shape, itemsize):
    st, acc = [], itemsize
    for n in reversed(shape):
        st.append(acc)
        acc *= max(int(n), 1)
    return tuple(reversed(st))


def asarray(a: Any, dtype: Any = None, context: Optional[Context] = None) -> "Array":
    """A device Array of `a` (an Array of this context is returned as is).

    A numpy array's byte span is uploaded once and keeps its strides.

    Parameters
    ----------
    a : array_like or Array
        Integers and bools become float64.
    dtype : float16, float32 or float64, optional
        Default: a's (float64 for integers).
    context : Context, optional
        Default: winsum.default_context() (an Array of another context is
        copied when a context is given).

    Returns
    -------
    Array

    Raises
    ------
    winsum.Error
        WINSUM_ERR_DTYPE for a dtype winsum does not compute in.

    Examples
    --------
    >>> import numpy as np, winsum
    >>> A = winsum.asarray(np.arange(6.0).reshape(2, 3))
    >>> A.shape, A.dtype
    ((2, 3), dtype('float64'))
    >>> A.numpy()
    array([[0., 1., 2.],
           [3., 4., 5.]])
    """
    ctx = context or default_context()
    if isinstance(a, Array):
        if a.context is not ctx and context is not None:
            a = np.asarray(a.numpy())
        elif dtype is None or np.dtype(dtype) == a.dtype:
            return a
        else:
            a = a.numpy()
    a = np.asarray(a)
    if dtype is not None:
        a = a.astype(dtype, copy=False)
    elif a.dtype.kind in "iub":
        a = a.astype(np.float64)
    dtype = _check_dtype(a.dtype, ctx)
    a = _element_strided(a)
    if a.size == 0:
        return Array(_Memory(ctx, dtype.itemsize), dtype, a.shape, a.strides, 0)
    lo, hi = _np_span(a)
    mem = _Memory(ctx, hi - lo)
    mem.write(0, lo, hi - lo)
    return Array(mem, dtype, a.shape, a.strides, (_ptr(a) - lo) // dtype.itemsize)


def as_strided(a: Any, shape: Sequence[int], strides: Sequence[int], offset: int = 0) -> Any:
    """numpy's as_strided (strides in bytes) on an Array (a view, no copy) or
    on a numpy array.

    Parameters
    ----------
    a : Array or array_like
    shape : sequence of int
    strides : sequence of int
        In bytes, multiples of the item size; any sign, zero allowed.
    offset : int
        In elements from a's first element.

    Returns
    -------
    Array or ndarray
        A view of a's memory.

    Raises
    ------
    winsum.Error
        WINSUM_ERR_BOUNDS when an Array view reaches outside its memory,
        WINSUM_ERR_ARGUMENT for strides that are not whole elements.

    Examples
    --------
    >>> import numpy as np, winsum
    >>> A = winsum.asarray(np.arange(5.0))
    >>> winsum.as_strided(A, (3, 3), (8, 8)).numpy()  # sliding windows
    array([[0., 1., 2.],
           [1., 2., 3.],
           [2., 3., 4.]])
    """
    if not isinstance(a, Array):
        a = np.asarray(a)
        if offset:
            a = a.reshape(-1)[offset:] if a.flags.c_contiguous else a
        return np.lib.stride_tricks.as_strided(a, shape, strides)
    r = Array(a._mem, a.dtype, shape, strides, a.offset + offset)
    lo, hi = r._span()
    if r.size and (lo < 0 or hi * r.itemsize > a._mem.nbytes):
        raise Error("as_strided: the view reaches elements %d..%d outside its memory of %d "
                    "elements" % (lo, hi - 1, a._mem.nbytes // r.itemsize), 4)
    if any(s % r.itemsize for s in r.strides):
        raise Error("as_strided: strides must be multiples of the item size %d" % r.itemsize,
                    _lib.ERR_ARGUMENT)
    return r




# ------------------------------------------------- on-device operations
# (what Array's methods run; the public functions over them: py)

_OPS = {"add": 0, "sub": 1, "mul": 2, "max": 3, "min": 4, "greater": 5, "equal": 6}


def _raw_einsum(ctx, subscripts, arrays, out, alpha=1.0, beta=0.0):
    """winsum_einsum on Arrays of ctx (no binding, no transfer)."""
    structs = [a.view_struct() for a in arrays]
    views = (_lib.View * len(structs))(*structs)
    ov = out.view_struct()
    ctx.check(lib.winsum_einsum(ctx.handle, subscripts.encode(), len(arrays), views,
                                ctypes.byref(ov), float(alpha), float(beta)))


def _axes(a, axis):
    if axis is None:
        return tuple(range(a.ndim))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    res = []
    for ax in axes:
        ax = int(ax)
        if not -a.ndim <= ax < a.ndim:
            raise Error("axis %d is out of bounds for %d dimensions" % (ax, a.ndim),
                        _lib.ERR_ARGUMENT)
        ax %= a.ndim
        if ax in res:
            raise Error("axis %d repeated" % ax, _lib.ERR_ARGUMENT)
        res.append(ax)
    return tuple(sorted(res))


def _sum(a, axis, keepdims, out, alpha):
    axes = _axes(a, axis)
    letters = _letters(a.ndim)
    keep = [d for d in range(a.ndim) if d not in axes]
    shape = tuple(a.shape[d] for d in keep)
    if out is None:
        res = empty(shape, a.dtype, a.context)
    else:
        _check_out(out, a.context, a.dtype, shape, "sum")
        res = out
    if res.size:
        _raw_einsum(a.context, "%s->%s" % (letters, "".join(letters[d] for d in keep)), [a],
                    res, alpha)
    if keepdims:
        res = res.reshape(tuple(1 if d in axes else n for d, n in enumerate(a.shape)))
    return res


def _check_out(out, ctx, dtype, shape, who):
    if not isinstance(out, Array) or out.context is not ctx:
        raise Error("%s: out must be a winsum.Array of the operands' context" % who,
                    _lib.ERR_CONTEXT)
    if out.dtype != dtype:
        raise Error("%s: out is %s, the result %s" % (who, out.dtype, dtype), _lib.ERR_DTYPE)
    if out.shape != tuple(shape):
        raise Error("%s: out has shape %s, the result %s" % (who, out.shape, tuple(shape)),
                    _lib.ERR_SHAPE)


def _is_scalar(o):
    return isinstance(o, (int, float, np.integer, np.floating)) and not isinstance(o, bool) \
        or (isinstance(o, np.ndarray) and o.ndim == 0 and o.dtype.kind in "iuf")


def elementwise(op: str, a: "Array", b: Optional["Array"] = None, alpha: float = 1.0,
                beta: float = 1.0, out: Optional["Array"] = None) -> "Array":
    """Element by element on the device: out = op(alpha * a, beta * b).

    The C call winsum_elementwise; the operators of Array and add(),
    maximum() etc. are made of it.

    Parameters
    ----------
    op : {"add", "sub", "mul", "max", "min", "greater", "equal"}
        x + y, x - y, x * y, numpy's maximum / minimum (NaN propagates), and
        1 where x > y (x == y), else 0, for x = alpha * a, y = beta * b.
    a : Array
    b : Array, optional
        Of a's context and dtype; a and b broadcast to the result's shape
        by numpy's rule. None: y is the constant beta.
    alpha, beta : float
        The scales (beta: the constant without b).
    out : Array, optional
        Of the broadcast shape; it may be a or b itself (in place), nothing
        else that overlaps them. None: a new Array.

    Returns
    -------
    Array
        out.

    Raises
    ------
    winsum.Error
        WINSUM_ERR_ARGUMENT (an unknown op), _SHAPE (no broadcast), _DTYPE,
        _CONTEXT, _ALIAS (out overlaps a or b otherwise); nothing is written.

    Examples
    --------
    >>> import numpy as np, winsum
    >>> x = winsum.asarray(np.array([-1.0, 2.0, -3.0]))
    >>> winsum.elementwise("max", x, None, 1.0, 0.0).numpy()   # ReLU
    array([0., 2., 0.])
    >>> winsum.elementwise("add", x, x, 2.0, -1.0, out=x).numpy()  # x = 2x - x
    array([-1.,  2., -3.])
    """
    code = _OPS.get(op)
    if code is None:
        raise Error("elementwise: op %r is not one of %s" % (op, ", ".join(_OPS)),
                    _lib.ERR_ARGUMENT)
    if not isinstance(a, Array):
        raise Error("elementwise: a must be a winsum.Array", _lib.ERR_ARGUMENT)
    ctx = a.context
    if b is not None and (not isinstance(b, Array) or b.context is not ctx):
        raise Error("elementwise: b must be a winsum.Array of a's context", _lib.ERR_CONTEXT)
    if b is not None and b.dtype != a.dtype:
        raise Error("elementwise: a is %s, b %s: one dtype" % (a.dtype, b.dtype),
                    _lib.ERR_DTYPE)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape) if b is not None else a.shape
    except ValueError:
        raise Error("elementwise: shapes %s and %s do not broadcast" % (a.shape, b.shape),
                    _lib.ERR_SHAPE) from None
    if out is None:
        out = empty(shape, a.dtype, ctx)
    elif not isinstance(out, Array) or out.context is not ctx:
        raise Error("elementwise: out must be a winsum.Array of a's context", _lib.ERR_CONTEXT)
    av = a.view_struct()
    bv = b.view_struct() if b is not None else None
    ov = out.view_struct()
    ctx.check(lib.winsum_elementwise(ctx.handle, code, float(alpha), ctypes.byref(av),
                                     float(beta), ctypes.byref(bv) if bv is not None else None,
                                     ctypes.byref(ov)))
    return out


def _operand(x, o):
    """o as an Array of x's context and dtype (a numpy operand is uploaded)."""
    if isinstance(o, Array):
        if o.context is not x.context:
            raise Error("the operands are Arrays of different contexts", _lib.ERR_CONTEXT)
        if o.dtype != x.dtype:
            raise Error("the operands are %s and %s: convert one (winsum computes in one "
                        "dtype)" % (x.dtype, o.dtype), _lib.ERR_DTYPE)
        return o
    return asarray(np.asarray(o, dtype=x.dtype), context=x.context)


def _binary(op, x, o, out=None, reflected=False):
    """x op o (o op x when reflected) for an Array x; o an Array, a scalar or
    array-like. op: add, sub, mul, max, min, greater."""
    if _is_scalar(o):
        s = float(o)
        # x op s as op(alpha x, beta) with a scalar beta
        if op == "sub":
            return elementwise("add", x, None, -1.0 if reflected else 1.0,
                               s if reflected else -s, out=out)
        if op == "mul":
            return elementwise("mul", x, None, s, 1.0, out=out)
        if op == "greater" and reflected:  # s > x  <=>  -x > -s
            return elementwise("greater", x, None, -1.0, -s, out=out)
        return elementwise(op, x, None, 1.0, s, out=out)
    o = _operand(x, o)
    if reflected:
        return elementwise(op, o, x, out=out)
    return elementwise(op, x, o, out=out)
