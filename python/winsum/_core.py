# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""Contexts, errors, device arrays, and the binding of numpy / device / pyopencl
operands to winsum views (one upload per byte span, no host copy)."""
from __future__ import annotations

import ctypes
import os
import threading
from collections import namedtuple
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _lib
from ._lib import lib

# an operand of Array's arithmetic: an Array, a scalar, or what np.asarray takes
Operand = Union["Array", int, float, np.ndarray, Sequence[Any]]

_DTYPE_CODE = {np.dtype(np.float32): _lib.F32, np.dtype(np.float64): _lib.F64,
               np.dtype(np.float16): _lib.F16}


class Error(ValueError):
    """A winsum failure: the library's message, with its status.

    A ValueError, so code written for numpy's errors catches it.

    Parameters
    ----------
    message : str
        What went wrong.
    status : int
        The winsum_status number (default WINSUM_ERR_ARGUMENT).

    Attributes
    ----------
    status : int
        The winsum_status number.
    status_name : str
        Its name, e.g. "WINSUM_ERR_SHAPE".
    message : str
        The message without the status name.

    Examples
    --------
    >>> import numpy as np, winsum
    >>> try:
    ...     winsum.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((4, 2)))
    ... except winsum.Error as e:
    ...     print(e.status_name)
    WINSUM_ERR_SHAPE
    """

    def __init__(self, message: str, status: int = _lib.ERR_ARGUMENT) -> None:
        self.status = int(status)
        self.status_name = _lib.status_name(self.status)
        self.message = message
        super().__init__("%s: %s" % (self.status_name, message))


def _decode(s):
    return s.decode("utf-8", "replace") if s else ""


# ------------------------------------------------------------------ devices

Device = namedtuple("Device", "index name is_gpu")


def devices() -> List[Device]:
    """The OpenCL devices winsum sees, in the order device indices count them.

    Returns
    -------
    list of Device
        (index, name, is_gpu) named tuples; empty without OpenCL devices.

    Examples
    --------
    >>> import winsum
    >>> all(d.index == i for i, d in enumerate(winsum.devices()))
    True
    """
    out = []
    for i in range(lib.winsum_device_count()):
        name = ctypes.create_string_buffer(512)
        gpu = ctypes.c_int(0)
        if lib.winsum_device_info(i, name, 512, ctypes.byref(gpu)) == _lib.OK:
            out.append(Device(i, _decode(name.value), bool(gpu.value)))
    return out


_BACKENDS = {"auto": _lib.BACKEND_AUTO, "opencl": _lib.BACKEND_OPENCL, "ref": _lib.BACKEND_REF,
             "reference": _lib.BACKEND_REF}


class _Owner:
    """A C context and the count of what still needs it: the buffers and
    plans made on it (winsum_buffer_free needs the context; the header asks
    for buffers to be freed first). winsum_context_destroy runs once the
    Context is closed (or collected) and the last of them is freed, in
    whatever order those happen and on whichever thread."""

    def __init__(self, h):
        self.h = h
        self.users = 0
        self.closed = False
        self.lock = threading.Lock()

    def acquire(self, what="the context"):
        with self.lock:
            if self.closed:
                raise Error("%s: the context is closed" % what, _lib.ERR_CONTEXT)
            self.users += 1

    def release(self):
        with self.lock:
            self.users -= 1
            last = self.closed and self.users == 0
        if last:
            self._destroy()

    def close(self):
        with self.lock:
            if self.closed:
                return
            self.closed = True
            last = self.users == 0
        if last:
            self._destroy()

    def _destroy(self):
        h, self.h = self.h, None
        if h and lib is not None:
            lib.winsum_context_destroy(h)


class Context:
    """A winsum context: one OpenCL device (or the C reference backend).

    Calls on one context take turns; for parallel work use one context per
    thread. A context is a context manager: ``with winsum.Context() as
    ctx:`` closes it at the end (see close()).

    Parameters
    ----------
    device : int or str, optional
        None follows $WINSUM_DEVICE, else the first GPU, else the first
        device; an index or a substring of "platform / device".
    backend : {"auto", "opencl", "ref"}
        "auto": OpenCL when a device exists, else the reference backend.

    Attributes
    ----------
    backend : str
        "opencl" or "ref".
    device_name : str
        "platform / device" (or the reference backend's name).

    Raises
    ------
    winsum.Error
        WINSUM_ERR_NO_DEVICE, WINSUM_ERR_ARGUMENT (an unknown backend),
        WINSUM_ERR_OPENCL.

    Examples
    --------
    >>> import numpy as np, winsum
    >>> with winsum.Context(backend="ref") as ctx:
    ...     print(ctx.backend, winsum.einsum("i,i->", np.ones(3), np.ones(3), context=ctx))
    ref 3.0
    >>> ctx.closed
    True
    """

    def __init__(self, device: Union[int, str, None] = None, backend: str = "auto",
                 _handle: Optional[int] = None, _keep: Any = None) -> None:
        self._owner = None
        self._keep = _keep
        if _handle is None:
            if backend is None:
                backend = "auto"
            b = _BACKENDS.get(str(backend).lower())
            if b is None:
                raise Error("backend %r: one of auto, opencl, ref" % (backend,), _lib.ERR_ARGUMENT)
            h = ctypes.c_void_p()
            dev = None if device is None else str(device).encode()
            st = lib.winsum_context_create(ctypes.byref(h), b, dev)
            if st:
                raise Error(_decode(lib.winsum_last_error(None)), st)
            _handle = h.value
        self._owner = _Owner(_handle)
        self.backend = "ref" if lib.winsum_context_backend(self._h) == _lib.BACKEND_REF else "opencl"
        self.device_name = _decode(lib.winsum_context_device_name(self._h))

    @classmethod
    def from_pyopencl(cls, cl_ctx: Any, queue: Any) -> "Context":
        """A winsum context on pyopencl's context and (in-order) queue.

        Parameters
        ----------
        cl_ctx : pyopencl.Context
        queue : pyopencl.CommandQueue
            In-order; winsum's work is queued on it.

        Returns
        -------
        Context
            It takes pyopencl arrays of that context as operands.

        Raises
        ------
        winsum.Error
            WINSUM_ERR_OPENCL, WINSUM_ERR_ARGUMENT (an out-of-order queue).
        """
        h = ctypes.c_void_p()
        st = lib.winsum_context_create_cl(ctypes.byref(h), ctypes.c_void_p(cl_ctx.int_ptr),
                                          ctypes.c_void_p(queue.int_ptr))
        if st:
            raise Error(_decode(lib.winsum_last_error(None)), st)
        c = cls(_handle=h.value, _keep=(cl_ctx, queue))
        c.pyopencl_context, c.pyopencl_queue = cl_ctx, queue
        return c

    @property
    def _h(self):
        """The C handle, None once closed."""
        o = self._owner
        return o.h if o is not None and not o.closed else None

    @property
    def closed(self) -> bool:
        """Whether close() was called (the context refuses new work)."""
        return self._h is None

    @property
    def handle(self) -> int:
        """The C handle; a closed context raises winsum.Error."""
        h = self._h
        if h is None:
            raise Error("the context is closed", _lib.ERR_CONTEXT)
        return h

    def check(self, st: int) -> None:
        """Raise winsum.Error with the context's last message for a nonzero
        winsum_status `st`."""
        if st:
            raise Error(_decode(lib.winsum_last_error(self._h)), st)

    def has_dtype(self, dtype: Any) -> bool:
        """Whether the device computes in `dtype` (float64 needs cl_khr_fp64).

        Examples
        --------
        >>> import numpy as np, winsum
        >>> winsum.Context(backend="ref").has_dtype(np.float64)
        True
        """
        code = _DTYPE_CODE.get(np.dtype(dtype))
        return code is not None and bool(lib.winsum_context_has_dtype(self.handle, code))

    def finish(self) -> None:
        """Wait until the work queued on the context is done."""
        self.check(lib.winsum_finish(self.handle))

    def memory_usage(self) -> Tuple[int, int]:
        """(current, peak) bytes of device memory winsum allocated on it."""
        cur, peak = ctypes.c_size_t(), ctypes.c_size_t()
        lib.winsum_memory_usage(self.handle, ctypes.byref(cur), ctypes.byref(peak))
        return cur.value, peak.value

    def close(self) -> None:
        """Refuse further work; the C context goes as soon as the buffers and
        plans made on it are freed (at once when there are none)."""
        if self._owner is not None:
            self._owner.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self) -> str:
        return "winsum.Context(%r, backend=%r%s)" % (self.device_name, self.backend,
                                                    ", closed" if self.closed else "")


_local = threading.local()  # a thread's own override, if any
_process = [None]  # the process-wide default
_process_lock = threading.Lock()


def default_context() -> Context:
    """The default context of calls given no `context=`.

    This thread's own if set_default_context(ctx, thread=True) set one, else
    the process-wide one, made on first use on device $WINSUM_DEVICE (else
    the first GPU, else the first device) and backend $WINSUM_BACKEND
    (default auto). A closed default is replaced by a fresh one.

    Returns
    -------
    Context

    Raises
    ------
    winsum.Error
        When the context cannot be made (see Context).

    Examples
    --------
    >>> import winsum
    >>> winsum.default_context() is winsum.default_context()
    True
    """
    c = getattr(_local, "ctx", None)
    if c is not None and not c.closed:
        return c
    with _process_lock:
        c = _process[0]
        if c is None or c.closed:
            c = Context(None, os.environ.get("WINSUM_BACKEND") or "auto")
            _process[0] = c
        return c


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


def set_default_context(ctx: Optional[Context], thread: bool = False) -> None:
    """Make `ctx` the default context of every thread.

    Parameters
    ----------
    ctx : Context or None
        None: the default is made afresh on next use.
    thread : bool
        True: this thread's own default only, ahead of the process-wide one
        (None removes the override).

    Examples
    --------
    >>> import winsum
    >>> ref = winsum.Context(backend="ref")
    >>> winsum.set_default_context(ref, thread=True)
    >>> winsum.default_context() is ref
    True
    >>> winsum.set_default_context(None, thread=True)
    """
    if thread:
        _local.ctx = ctx
    else:
        with _process_lock:
            _process[0] = ctx


_transfers = [0]


def transfer_count() -> int:
    """Operand transfers between host memory and winsum buffers that this
    package made (uploads of numpy spans, read-backs of results, .numpy()).

    numpy operands that the device uses in place (a CPU device sharing host
    memory) are not transfers.

    Returns
    -------
    int
        The count since the package was imported.

    Examples
    --------
    >>> import numpy as np, winsum
    >>> before = winsum.transfer_count()
    >>> A = winsum.asarray(np.ones(3), context=winsum.Context(backend="ref"))
    >>> winsum.transfer_count() - before  # the upload
    1
    """
    return _transfers[0]


# ------------------------------------------------------------ device arrays

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
    # (the functions are further below: _ops_* and the module functions)

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
        return maximum(self, other)

    def minimum(self, other: Operand) -> "Array":
        """winsum.minimum(self, other): the element-wise minimum on the device.

        Examples
        --------
        >>> import numpy as np, winsum
        >>> winsum.asarray(np.array([-1.0, 2.0])).minimum(0).numpy()
        array([-1.,  0.])
        """
        return minimum(self, other)

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

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_OPS = {"add": 0, "sub": 1, "mul": 2, "max": 3, "min": 4, "greater": 5, "equal": 6}


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


def _function(op, doc, example):
    def f(a: Operand, b: Operand, out: Optional[Array] = None) -> Array:
        if not isinstance(a, Array):
            if isinstance(b, Array):
                return _binary(op, b, a, out=out, reflected=op in ("sub", "greater"))
            raise Error("%s: one operand must be a winsum.Array" % op, _lib.ERR_ARGUMENT)
        return _binary(op, a, b, out=out)
    f.__doc__ = """%s

    Parameters
    ----------
    a, b : Array or scalar
        At least one an Array; they broadcast by numpy's rule. A scalar
        keeps the Array's dtype; a numpy operand is uploaded.
    out : Array, optional
        Of the broadcast shape; it may be an operand itself (in place).

    Returns
    -------
    Array

    Raises
    ------
    winsum.Error
        WINSUM_ERR_SHAPE, _DTYPE, _CONTEXT (Arrays of two contexts), _ALIAS;
        nothing is written.

    Examples
    --------
    >>> import numpy as np, winsum
    >>> x = winsum.asarray(np.array([[1.0, -2.0], [3.0, -4.0]]))
    >>> %s
    """ % (doc, example)
    f.__name__ = f.__qualname__ = {"sub": "subtract", "mul": "multiply", "max": "maximum",
                                   "min": "minimum"}.get(op, op)
    return f


add = _function("add", "a + b on the device (numpy's add).",
                """winsum.add(x, np.array([10.0, 20.0])).numpy()
    array([[11., 18.],
           [13., 16.]])""")
subtract = _function("sub", "a - b on the device (numpy's subtract).",
                     """winsum.subtract(1, x).numpy()
    array([[ 0.,  3.],
           [-2.,  5.]])""")
multiply = _function("mul", "a * b on the device (numpy's multiply).",
                     """winsum.multiply(x, x[:, :1]).numpy()
    array([[  1.,  -2.],
           [  9., -12.]])""")
maximum = _function("max", "The element-wise maximum on the device, NaN propagating "
                    "(numpy's maximum); maximum(x, 0) is ReLU.",
                    """winsum.maximum(x, 0).numpy()
    array([[1., 0.],
           [3., 0.]])""")
minimum = _function("min", "The element-wise minimum on the device (numpy's minimum).",
                    """winsum.minimum(x, 0).numpy()
    array([[ 0., -2.],
           [ 0., -4.]])""")
greater = _function("greater", "1 where a > b, else 0, in the operands' dtype, on the device.",
                    """winsum.greater(x, 0).numpy()
    array([[1., 0.],
           [1., 0.]])""")


def equal(a: Operand, b: Operand, out: Optional[Array] = None) -> Array:
    """1 where a == b, else 0, in the operands' dtype, on the device.

    Parameters
    ----------
    a, b : Array or scalar
        At least one an Array; they broadcast by numpy's rule.
    out : Array, optional
        Of the broadcast shape; it may be an operand itself.

    Returns
    -------
    Array

    Examples
    --------
    >>> import numpy as np, winsum
    >>> winsum.equal(winsum.asarray(np.array([1.0, 2.0, 3.0])), 2).numpy()
    array([0., 1., 0.])
    """
    if not isinstance(a, Array):
        a, b = b, a
    if _is_scalar(b):
        return elementwise("equal", a, None, 1.0, float(b), out=out)
    return elementwise("equal", a, _operand(a, b), out=out)


def zeros(shape: Union[int, Sequence[int]], dtype: Any = np.float32,
          context: Optional[Context] = None) -> Array:
    """A C-contiguous device Array of zeros, set on the device (no upload).

    Parameters
    ----------
    shape : int or tuple of int
    dtype : float16, float32 or float64
    context : Context, optional
        Default: default_context().

    Returns
    -------
    Array

    Examples
    --------
    >>> import winsum
    >>> winsum.zeros((2, 3)).numpy()
    array([[0., 0., 0.],
           [0., 0., 0.]], dtype=float32)
    """
    return empty(shape, dtype, context).fill(0.0)


# ---------------------------------------------------------------- binding

def _ptr(a):
    return a.__array_interface__["data"][0]


def _np_span(a):
    """(lo, hi) byte addresses that numpy array `a` reaches, hi exclusive."""
    p = _ptr(a)
    if a.size == 0:
        return p, p
    lo = hi = p
    for n, s in zip(a.shape, a.strides):
        if s < 0:
            lo += s * (n - 1)
        else:
            hi += s * (n - 1)
    return lo, hi + a.itemsize


def _element_strided(a):
    """`a`, or a copy when its strides are not whole elements or its byte
    order is not native."""
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    if any(s % a.itemsize for s in a.strides) or _ptr(a) % a.itemsize:
        # a copy: ascontiguousarray returns a contiguous but misaligned array
        # as it is, and the reference backend would load from that address
        a = np.array(a, order="C", copy=True)
    return a


def _make_view(bufptr, dtype, offset, shape, strides_bytes):
    v = _lib.View()
    v.buffer = bufptr
    v.dtype = _DTYPE_CODE[np.dtype(dtype)]
    v.offset = int(offset)
    if len(shape) > _lib.MAX_DIMS:
        raise Error("%d dimensions: winsum takes at most %d" % (len(shape), _lib.MAX_DIMS),
                    _lib.ERR_ARGUMENT)
    v.ndim = len(shape)
    isz = np.dtype(dtype).itemsize
    for i, (n, s) in enumerate(zip(shape, strides_bytes)):
        v.shape[i] = int(n)
        v.strides[i] = int(s) // isz
    v.nguards = 0
    return v


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
