# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""winsum.einsum's fast paths: the cached views of calls on winsum.Arrays,
the small-problem rule (tiny host problems run numpy's einsum), and numpy
operands mapped in place on a device that shares host memory
(winsum_buffer_map_host). Speed is measured in bench/overhead.py, not here."""
import ctypes
import os
import subprocess
import sys

import numpy as np
import pytest

import winsum
from winsum import _einsum, _lib, _numpy_api


def test_array_calls_rebind_their_buffers(ctx, rng):
    """The second and later calls of one layout reuse the prepared views with
    the new arrays' memory: every result is its own operands'."""
    for _ in range(3):
        a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
        big = rng.standard_normal((6, 4))
        A, B = winsum.asarray(a, context=ctx), winsum.asarray(b, context=ctx)
        O = winsum.empty((3, 5), np.float64, context=ctx)
        r = winsum.einsum("ij,jk->ik", A, B, out=O, context=ctx)
        assert r is O
        np.testing.assert_allclose(O.numpy(), a @ b, rtol=1e-12)
        R = winsum.einsum("ij,jk->ik", A, B, context=ctx)
        assert isinstance(R, winsum.Array) and R.shape == (3, 5)
        np.testing.assert_allclose(R.numpy(), a @ b, rtol=1e-12)
        # same shape and strides at another offset: another view
        G = winsum.asarray(big, context=ctx)
        for lo in (0, 2):
            winsum.einsum("ij,jk->ik", G[lo:lo + 3], B, out=O, context=ctx)
            np.testing.assert_allclose(O.numpy(), big[lo:lo + 3] @ b, rtol=1e-12)
        winsum.einsum("ij,jk->ik", A, B, out=O, context=ctx)
        winsum.einsum("ij,jk->ik", A, B, out=O, alpha=2.0, beta=-1.0, context=ctx)
        np.testing.assert_allclose(O.numpy(), a @ b, rtol=1e-12)


def test_array_calls_still_check_everything(ctx, rng):
    a = rng.standard_normal((4, 4))
    A = winsum.asarray(a, context=ctx)
    O = winsum.empty((4, 4), np.float64, context=ctx)
    winsum.einsum("ij,jk->ik", A, A, out=O, context=ctx)  # the layout is cached now
    with pytest.raises(winsum.Error) as e:  # out is an operand
        winsum.einsum("ij,jk->ik", A, A, out=A, context=ctx)
    assert e.value.status_name == "WINSUM_ERR_ALIAS"
    np.testing.assert_array_equal(A.numpy(), a)  # nothing written
    other = winsum.Context(backend="ref")
    O2 = winsum.empty((4, 4), np.float64, context=other)
    with pytest.raises(winsum.Error) as e:
        winsum.einsum("ij,jk->ik", A, A, out=O2, context=ctx)
    assert e.value.status_name == "WINSUM_ERR_CONTEXT"
    with pytest.raises(winsum.Error) as e:  # float32 out for a float64 result
        winsum.einsum("ij,jk->ik", A, A, out=winsum.empty((4, 4), np.float32, context=ctx),
                      context=ctx)
    with pytest.raises(winsum.Error):  # out of the wrong shape
        winsum.einsum("ij,jk->ik", A, A, out=winsum.empty((4, 3), np.float64, context=ctx),
                      context=ctx)
    tmp = winsum.Context(backend=ctx.backend)
    T = winsum.asarray(a, context=tmp)
    winsum.einsum("ij,jk->ik", T, T, context=tmp)
    tmp.close()
    with pytest.raises(winsum.Error) as e:
        winsum.einsum("ij,jk->ik", T, T, context=tmp)
    assert e.value.status_name == "WINSUM_ERR_CONTEXT"


@pytest.fixture
def device_refuses(monkeypatch):
    """winsum's own einsum raises: what still works ran on numpy."""
    def refuse(*args, **kwargs):
        raise AssertionError("winsum's device path was taken")
    monkeypatch.setattr(_numpy_api._wein, "einsum", refuse)
    monkeypatch.setattr(_numpy_api, "_numpy_fast", refuse)
    old = winsum.set_host_limit(winsum.DEFAULT_HOST_LIMIT)
    yield
    winsum.set_host_limit(old)


def test_small_problems_run_numpy(device_refuses, rng):
    a, b = rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    np.testing.assert_array_equal(winsum.einsum("ij,jk->ik", a, b), np.einsum("ij,jk->ik", a, b))
    out = np.empty((2, 2))
    assert winsum.einsum("ij,jk->ik", a, b, out=out) is out
    np.testing.assert_array_equal(out, np.einsum("ij,jk->ik", a, b))
    # the sublist form, a list operand, optimize=True and integers too
    np.testing.assert_array_equal(
        winsum.einsum(np.ones((2, 2)), [0, 1], np.ones((2, 2)), [1, 2], [0, 2], optimize=True),
        np.full((2, 2), 2.0))
    assert winsum.einsum("i,i->", [1, 2], [3, 4]) == 11
    np.testing.assert_array_equal(winsum.einsum("i,i->", np.arange(5), np.arange(5)), 30)
    # work = the product of the index sizes times the operands: 32*32*32*2
    # is over the limit, and so is everything with a context, alpha or beta,
    # or an out that overlaps an operand
    big = rng.standard_normal((32, 32))
    for call in (lambda: winsum.einsum("ij,jk->ik", big, big),
                 lambda: winsum.einsum("ij,jk->ik", a, b, context=winsum.default_context()),
                 lambda: winsum.einsum("ij,jk->ik", a, b, alpha=2.0),
                 lambda: winsum.einsum("ij,jk->ik", a, b, out=a)):
        with pytest.raises(AssertionError, match="device path"):
            call()
    winsum.set_host_limit(0)
    with pytest.raises(AssertionError, match="device path"):
        winsum.einsum("ij,jk->ik", a, b)
    winsum.set_host_limit(16)
    winsum.einsum("ij,jk->ik", a, b)
    winsum.set_host_limit(15)
    with pytest.raises(AssertionError, match="device path"):
        winsum.einsum("ij,jk->ik", a, b)


def test_host_limit_setting():
    old = winsum.host_limit()
    try:
        assert winsum.set_host_limit(123) == old
        assert winsum.host_limit() == 123
        for bad in (-1, 1.5, True, "7", None):
            with pytest.raises(winsum.Error) as e:
                winsum.set_host_limit(bad)
            assert e.value.status_name == "WINSUM_ERR_ARGUMENT"
        assert winsum.host_limit() == 123
    finally:
        winsum.set_host_limit(old)
    # $WINSUM_HOST_LIMIT, read at import
    env = dict(os.environ, WINSUM_HOST_LIMIT="7")
    r = subprocess.run([sys.executable, "-c", "import winsum; print(winsum.host_limit())"],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "7", r.stderr


def test_host_limit_from_the_environment(monkeypatch):
    for value, want in (("7", 7), (" 0 ", 0), ("", winsum.DEFAULT_HOST_LIMIT)):
        monkeypatch.setenv("WINSUM_HOST_LIMIT", value)
        assert _numpy_api._host_limit_from_env() == want
    monkeypatch.delenv("WINSUM_HOST_LIMIT")
    assert _numpy_api._host_limit_from_env() == winsum.DEFAULT_HOST_LIMIT
    for value in ("seven", "-3", "1e3"):
        monkeypatch.setenv("WINSUM_HOST_LIMIT", value)
        with pytest.raises(ImportError, match="WINSUM_HOST_LIMIT"):
            _numpy_api._host_limit_from_env()


@pytest.fixture(scope="module")
def mapping_ctx():
    if not winsum.devices():
        pytest.skip("no OpenCL device")
    c = winsum.Context(backend="opencl")
    if not _einsum._maps_host(c):
        pytest.skip("the device does not share host memory")
    return c


def test_mapped_numpy_operands(mapping_ctx, rng):
    ctx = mapping_ctx
    x = rng.standard_normal(41)
    a = rng.standard_normal((5, 6))[:, ::-2]  # negative strides
    cases = [("i,i->", (x[:-1:2], x[1::2])),  # two views of one span: one mapping
             ("ij,kj->ik", (a, a)),
             ("ijk,k->ij", (rng.standard_normal((3, 4, 5)).transpose(2, 0, 1), rng.random(4)))]
    for subs, ops in cases:
        r = _einsum.einsum(subs, *ops, context=ctx)
        np.testing.assert_allclose(r, np.einsum(subs, *ops), rtol=1e-12, atol=1e-12)
    # out with gaps between its elements: only its elements are written
    base = np.full((5, 6), 7.0)
    out = base[:, ::2]
    _einsum.einsum("ij,kj->ik", a, a[:3], out=out, context=ctx)
    np.testing.assert_allclose(out, a @ a[:3].T, rtol=1e-12)
    np.testing.assert_array_equal(base[:, 1::2], 7.0)
    # beta reads out's old values
    o = np.ones((5, 3))
    _einsum.einsum("ij,kj->ik", a, a[:3], out=o, alpha=2.0, beta=3.0, context=ctx)
    np.testing.assert_allclose(o, 2 * a @ a[:3].T + 3, rtol=1e-12)


def test_mapped_failures_write_nothing(mapping_ctx, rng):
    ctx = mapping_ctx
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    out = np.full((3, 4), 7.0)  # the wrong shape: winsum_einsum refuses it
    with pytest.raises(winsum.Error) as e:
        _einsum.einsum("ij,jk->ik", a, b, out=out, context=ctx)
    assert e.value.status_name == "WINSUM_ERR_SHAPE"
    np.testing.assert_array_equal(out, 7.0)
    with pytest.raises(winsum.Error):
        _einsum.einsum("ij,jk->ik", a, a, context=ctx)  # j: 4 and 3
    # the context works on afterwards
    np.testing.assert_allclose(_einsum.einsum("ij,jk->ik", a, b, context=ctx), a @ b,
                               rtol=1e-12)


def test_map_host_entry_points(ctx):
    lib, h = _lib.lib, ctx.handle
    data = np.arange(4.0)
    buf = _lib.Buffer()
    st = lib.winsum_buffer_map_host(h, data.ctypes.data, data.nbytes, ctypes.byref(buf))
    if st == _lib.ERR_UNSUPPORTED:
        pytest.skip("the device does not share host memory")
    assert st == _lib.OK and buf.bytes == data.nbytes
    assert buf.where == (_lib.HOST if ctx.backend == "ref" else _lib.DEVICE)
    assert lib.winsum_buffer_unmap_host(h, ctypes.byref(buf), 1) == _lib.OK
    assert buf.bytes == 0 and not buf.mem and not buf.host  # zeroed
    assert lib.winsum_buffer_map_host(h, None, 8, ctypes.byref(buf)) == _lib.ERR_ARGUMENT
    assert b"NULL" in lib.winsum_last_error(h)
    assert lib.winsum_buffer_map_host(h, data.ctypes.data, 0, ctypes.byref(buf)) == \
        _lib.ERR_ARGUMENT
    assert lib.winsum_buffer_map_host(h, data.ctypes.data, 8, None) == _lib.ERR_ARGUMENT
    assert lib.winsum_buffer_unmap_host(h, None, 1) == _lib.ERR_ARGUMENT
    if ctx.backend == "opencl":
        empty = _lib.Buffer(_lib.DEVICE, None, None, 8)  # no cl_mem
        assert lib.winsum_buffer_unmap_host(h, ctypes.byref(empty), 1) == _lib.ERR_ARGUMENT
    assert lib.winsum_buffer_map_host(None, data.ctypes.data, 8, ctypes.byref(buf)) == \
        _lib.ERR_ARGUMENT


@pytest.mark.parametrize("backend", ["opencl", "ref"])
def test_numpy_fast_path(backend, rng, monkeypatch):
    """numpy operands, a new result: the prepared views with each call's own
    memory (mapped in place on OpenCL, host buffers on the reference
    backend), never the general binding."""
    if backend == "opencl":
        if not winsum.devices():
            pytest.skip("no OpenCL device")
        ctx = winsum.Context(backend="opencl")
        if not _einsum._maps_host(ctx):
            pytest.skip("the device does not share host memory")
    else:
        ctx = winsum.Context(backend="ref")

    def refuse(*args, **kwargs):
        raise AssertionError("the general path was taken")
    monkeypatch.setattr(_numpy_api._wein, "einsum", refuse)
    for dt in (np.float32, np.float64):
        for _ in range(3):  # the same layouts, new memory each time
            a = rng.standard_normal((6, 5)).astype(dt)[::-1, 1:]  # a negative stride
            b = np.asfortranarray(rng.standard_normal((4, 3)).astype(dt))
            r = winsum.einsum("ij,jk->ik", a, b, context=ctx)
            assert r.dtype == dt and r.flags.c_contiguous
            np.testing.assert_allclose(r, a.astype(np.float64) @ b, rtol=1e-5)
            r = winsum.einsum("ij,jk", a, b, alpha=2.0, context=ctx)
            np.testing.assert_allclose(r, 2 * (a.astype(np.float64) @ b), rtol=1e-5)
    monkeypatch.undo()
    # overlapping operands, a diagonal, a broadcast: the general path, right
    x = rng.standard_normal(9)
    np.testing.assert_allclose(winsum.einsum("i,i->", x[:-1], x[1:], context=ctx),
                               x[:-1] @ x[1:], rtol=1e-12)
    m = rng.standard_normal((3, 3))
    np.testing.assert_allclose(winsum.einsum("ii,ij->j", m, m, context=ctx),
                               np.einsum("ii,ij->j", m, m), rtol=1e-12)
    with pytest.raises(winsum.Error):
        winsum.einsum("ij,jk->ik", m, np.ones((4, 2)), context=ctx)


def test_bench_overhead_script_runs():
    """bench/overhead.py (the overhead suite's Python rows) runs and checks
    its results; a few calls only, nothing timed is asserted."""
    script = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "overhead.py")
    r = subprocess.run([sys.executable, script, "--reps", "1", "--calls", "5"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = [line for line in r.stdout.splitlines() if line.endswith("  ok")]
    assert len(rows) == 4, r.stdout
    r = subprocess.run([sys.executable, script, "--reps", "0"], capture_output=True, text=True)
    assert r.returncode == 2 and "--reps" in r.stderr


def test_small_problems_give_what_the_device_gives(rng):
    """A 0-d result is a 0-d array on both sides of the limit."""
    old = winsum.set_host_limit(winsum.DEFAULT_HOST_LIMIT)
    try:
        for x in (np.arange(4), np.arange(4.0), rng.standard_normal(3).astype(np.float32)):
            small = winsum.einsum("i,i", x, x)
            winsum.set_host_limit(0)
            dev = winsum.einsum("i,i", x, x)
            winsum.set_host_limit(winsum.DEFAULT_HOST_LIMIT)
            assert type(small) is np.ndarray and type(dev) is np.ndarray
            assert small.shape == dev.shape == () and small.dtype == dev.dtype
            np.testing.assert_allclose(small, dev, rtol=1e-6)
        small = winsum.einsum(np.arange(3.0), [0])  # numpy's pass-through view
        assert type(small) is np.ndarray
    finally:
        winsum.set_host_limit(old)
