# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""Contexts, devices, errors, the transfer count, and the helpers that turn
numpy arrays into winsum views. Device arrays: _array.py; operations on them:
_ops.py; the binding of a call's operands: _binding.py."""
from __future__ import annotations

import ctypes
import os
import threading
from collections import namedtuple
from typing import Any, List, Optional, Tuple, Union

import numpy as np

from . import _lib
from ._lib import lib


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
