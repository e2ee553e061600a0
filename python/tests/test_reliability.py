# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""The Python layer's contract under adversarial use (issue 18): out= of any
address and layout, one Plan shared by threads, plan outputs of another dtype,
no leak whatever the order of close / del / GC, the library search order, and
nothing written to out on an error."""
import ctypes
import gc
import os
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

import winsum
import winsum._array as core


def unaligned(shape, dtype=np.float64):
    """A writeable array whose address is 1 byte past an item boundary."""
    isz = np.dtype(dtype).itemsize
    n = int(np.prod(shape))
    raw = np.zeros(n * isz + isz, np.uint8)
    a = np.frombuffer(raw.data, dtype, n, offset=1).reshape(shape)
    assert a.__array_interface__["data"][0] % isz
    return a


# ----------------------------------------------------------- finding 1

def test_unaligned_out_with_beta_reads_the_old_out(ctx, rng):
    a, b = rng.standard_normal((3, 5)), rng.standard_normal((5, 4))
    out = unaligned((3, 4))
    out[...] = 100.0
    r = winsum.einsum("ij,jk->ik", a, b, out=out, alpha=2.0, beta=0.5, context=ctx)
    assert r is out
    np.testing.assert_allclose(out, 2.0 * (a @ b) + 50.0, rtol=1e-12)
    x, w = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    y = unaligned((1, 3, 3, 3))
    y[...] = 7.0
    winsum.conv_forward(x, w, out=y, beta=1.0, context=ctx)
    import torch
    want = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w)).numpy() + 7.0
    np.testing.assert_allclose(y, want, rtol=1e-12)
    p = winsum.plan("ij,jk->ik", a, b, context=ctx)
    out[...] = 100.0
    p(a, b, out=out, beta=1.0)
    np.testing.assert_allclose(out, a @ b + 100.0, rtol=1e-12)


# ----------------------------------------------------------- finding 2

def test_one_plan_from_eight_threads(ctx):
    p = winsum.plan("ij,jk->ik", ((12, 20), np.float64), ((20, 6), np.float64), context=ctx)
    rng = np.random.default_rng(7)
    ops = [(rng.standard_normal((12, 20)), rng.standard_normal((20, 6))) for _ in range(8)]
    wrong, errors = [0] * 8, []
    start = threading.Barrier(8)

    def work(k):
        try:
            a, b = ops[k]
            at = np.asfortranarray(a)  # another layout: staged
            want = a @ b
            start.wait()
            for i in range(60):
                if i % 3 == 0:
                    r = p(a, b)
                elif i % 3 == 1:
                    r = p(at, b, out=np.empty((12, 6)))
                else:
                    r = np.full((12, 6), 1.0)
                    p(a, b, out=r, beta=1.0)
                    r = r - 1.0
                if not np.allclose(r, want, rtol=1e-12, atol=1e-12):
                    wrong[k] += 1
        except Exception as e:  # reported below, not lost in the thread
            errors.append(e)

    ts = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors
    assert sum(wrong) == 0, wrong


# ----------------------------------------------------------- finding 5

def test_plan_out_array_of_another_dtype(ctx, rng):
    p = winsum.plan("ij->ij", ((3, 4), np.float64), context=ctx)
    a = rng.standard_normal((3, 4))
    f = winsum.asarray(np.full((3, 8), 5.0, np.float32), context=ctx)
    out = f[:, ::2]  # float32, byte strides (32, 8), offset 0: the plan's float64 layout
    assert out.strides == p.out_strides and out.offset == 0
    with pytest.raises(winsum.Error) as e:
        p(a, out=out)
    assert e.value.status_name == "WINSUM_ERR_DTYPE" and "out" in e.value.message
    np.testing.assert_array_equal(f.numpy(), np.full((3, 8), 5.0, np.float32))  # untouched
    q = winsum.plan("ij->ij", ((3, 4), np.float32), context=ctx)
    b = rng.standard_normal((3, 4)).astype(np.float32)
    o64 = winsum.asarray(np.full((3, 4), 2.0), context=ctx)  # a safe cast: converted
    assert q(b, out=o64, beta=1.0) is o64
    np.testing.assert_allclose(o64.numpy(), b.astype(np.float64) + 2.0, rtol=1e-7)
    o16 = winsum.asarray(np.full((3, 4), 2.0, np.float16), context=ctx)
    with pytest.raises(winsum.Error) as e:  # float32 into float16: refused, as einsum does
        q(b, out=o16)
    assert e.value.status_name == "WINSUM_ERR_DTYPE" and "out" in e.value.message
    np.testing.assert_array_equal(o16.numpy(), np.full((3, 4), 2.0, np.float16))


# ----------------------------------------------------------- finding 11

def _address_space():
    # under ASan (the sanitizer run of these tests) freed memory waits in its
    # quarantine before it is unmapped: empty that first
    purge = getattr(ctypes.CDLL(None), "__sanitizer_purge_allocator", None)
    if purge is not None:
        purge()
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    pytest.skip("no /proc/self/status")


@pytest.mark.parametrize("backend", ["opencl", "ref"])
def test_close_del_gc_in_any_order_frees_everything(backend):
    if backend == "opencl" and not winsum.devices():
        pytest.skip("no OpenCL device")
    big = np.ones((512, 1024))  # 4 MiB: each plan stages it, each Array holds it
    v = np.ones(1024)

    def one(order):
        c = winsum.Context(backend=backend)
        p = winsum.plan("ij,j->i", big, v, context=c)
        arr = winsum.asarray(big, context=c)
        p(big, v)
        if order == 0:  # close first, then the plan and the array go
            c.close()
            del p, arr
        elif order == 1:  # the plan first, then close, then the array
            del p
            c.close()
            del arr
        elif order == 2:  # close, then a reference cycle that only the GC frees
            c.close()
            cyc = [p, arr]
            cyc.append(cyc)
            del p, arr, cyc
            gc.collect()
        else:  # no close at all: the context goes with its last user
            del c, p, arr
        gc.collect()

    for i in range(4):
        one(i)
    before = _address_space()
    for i in range(40):
        one(i % 4)
    grown = _address_space() - before
    # a leak is >= 8 MiB a round (staging + array), 24 MiB with OpenCL: 320 MiB+
    assert grown < 64 << 20, "address space grew by %.0f MiB over 40 plans" % (grown / 2**20)


def test_closed_context_refuses_new_work(ctx):
    c = winsum.Context(backend=ctx.backend)
    arr = winsum.asarray(np.ones(4), context=c)
    c.close()
    c.close()  # twice is fine
    with pytest.raises(winsum.Error) as e:
        arr.numpy()
    assert "closed" in e.value.message
    with pytest.raises(winsum.Error):
        winsum.einsum("i->", np.ones(3), context=c)


# ----------------------------------------------------------- finding 12

def test_out_gaps_written_by_another_thread_survive(ctx, rng, monkeypatch):
    """Between the kernel and the read-back, a second thread writes the gaps
    between out's elements; those writes stay (only out's elements are
    written). The reference backend writes out in place (no read-back)."""
    real_read = core._Memory.read
    gaps = []  # the gap view the next read-back races with

    def read_after_a_thread_wrote_the_gaps(self, offset, ptr, nbytes):
        for g in gaps:
            t = threading.Thread(target=g.fill, args=(9.0,))
            t.start()
            t.join()
        return real_read(self, offset, ptr, nbytes)

    monkeypatch.setattr(core._Memory, "read", read_after_a_thread_wrote_the_gaps)
    # the copying binding (the mapped one has no read-back; test_fast.py)
    monkeypatch.setattr(winsum._einsum, "_maps_host", lambda ctx: False)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5))
    base = np.zeros((4, 10))
    gaps[:] = [base[:, 1::2]]
    winsum.einsum("ij,jk->ik", a, b, out=base[:, ::2], context=ctx)
    np.testing.assert_allclose(base[:, ::2], a @ b, rtol=1e-12)
    if ctx.backend != "ref":
        assert (base[:, 1::2] == 9.0).all()
    else:
        assert (base[:, 1::2] == 0.0).all()
    x, w = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    ybase = np.zeros((1, 3, 3, 6))
    gaps[:] = [ybase[..., 1::2]]
    winsum.conv_forward(x, w, out=ybase[..., ::2], alpha=2.0, beta=1.0, context=ctx)
    assert (ybase[..., 1::2] == (9.0 if ctx.backend != "ref" else 0.0)).all()


# ----------------------------------------------------------- finding 15

LOAD = "import winsum, sys; sys.stdout.write(winsum.library_path)"


def _lib_file():
    return winsum.library_path


def _run(pythonpath, env_lib):
    env = {k: v for k, v in os.environ.items()
           if k not in ("WINSUM_LIBRARY", "LD_LIBRARY_PATH", "PYTHONPATH")}
    env["PYTHONPATH"] = pythonpath
    if env_lib:
        env["WINSUM_LIBRARY"] = env_lib
    return subprocess.run([sys.executable, "-c", LOAD], env=env, capture_output=True, text=True,
                          cwd="/")


def test_library_search_order(tmp_path):
    pkg = os.path.dirname(winsum.__file__)
    lib = _lib_file()
    # an installed tree: PREFIX/lib/libwinsum.so.0 and the package in
    # PREFIX/lib/python3/dist-packages/winsum
    prefix = tmp_path / "prefix"
    site = prefix / "lib" / "python3" / "dist-packages"
    shutil.copytree(pkg, site / "winsum", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(lib, prefix / "lib" / "libwinsum.so.0")
    mine = tmp_path / "mine" / "libwinsum.so"
    mine.parent.mkdir()
    shutil.copy(lib, mine)
    r = _run(str(site), str(mine))
    assert r.returncode == 0, r.stderr
    assert r.stdout == str(mine), "$WINSUM_LIBRARY ignored for " + r.stdout
    r = _run(str(site), None)  # without the variable: the installed copy beside the package
    assert r.returncode == 0 and r.stdout == str(prefix / "lib" / "libwinsum.so.0"), r
    # a checkout (CHECKOUT/python/winsum) whose parent folder holds a stray library
    parent = tmp_path / "parent"
    shutil.copytree(pkg, parent / "checkout" / "python" / "winsum",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(lib, parent / "libwinsum.so.0")
    r = _run(str(parent / "checkout" / "python"), str(mine))
    assert r.returncode == 0 and r.stdout == str(mine), r
    r = _run(str(parent / "checkout" / "python"), None)
    assert r.stdout != str(parent / "libwinsum.so.0"), "loaded the parent folder's copy"
    # an explicit variable that does not load is an error, not a silent fallback
    r = _run(str(site), str(tmp_path / "missing.so"))
    assert r.returncode != 0 and "WINSUM_LIBRARY" in r.stderr, r


# ------------------------------------------------- errors write nothing

def test_errors_write_nothing_and_name_the_argument(ctx, rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    out = np.full((3, 2), 5.0)
    p = winsum.plan("ij,jk->ik", a, b, context=ctx)
    with pytest.raises(winsum.Error) as e:  # a plan operand of another shape
        p(a, b[:3], out=out)
    assert "operand 1" in e.value.message
    with pytest.raises(winsum.Error) as e:  # a plan out of another shape
        p(a, b, out=np.full((2, 3), 5.0))
    assert "out" in e.value.message
    with pytest.raises(winsum.Error) as e:  # a plan out that float64 cannot be cast into
        p(a, b, out=np.full((3, 2), 5.0, np.float32))
    assert e.value.status_name == "WINSUM_ERR_DTYPE" and "out" in e.value.message
    with pytest.raises(winsum.Error) as e:  # einsum: out of a dtype numpy would refuse
        winsum.einsum("ij,jk->ik", a, b, out=np.full((3, 2), 5.0, np.float16), context=ctx)
    assert "out" in e.value.message
    with pytest.raises(winsum.Error):  # a bad alpha, refused by the library
        winsum.einsum("ij,jk->ik", a, b, out=out, alpha=float("nan"), context=ctx)
    assert (out == 5.0).all()
    x, w = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((2, 3, 3, 3))
    y = np.full((1, 3, 7, 7), 5.0)
    with pytest.raises(winsum.Error) as e:  # conv: out of the wrong shape
        winsum.conv_transpose(x, w, out=np.full((1, 3, 6, 6), 5.0), context=ctx)
    assert "out" in e.value.message
    # conv_transpose's bias inside out: refused before anything is written
    yb = y.reshape(-1)
    with pytest.raises(winsum.Error) as e:
        winsum.conv_transpose(x, w, bias=yb[:3], out=y, context=ctx)
    assert e.value.status_name == "WINSUM_ERR_ALIAS" and "bias" in e.value.message
    assert (y == 5.0).all()
    with pytest.raises(winsum.Error) as e:  # conv: an integer weight
        winsum.conv_forward(x, np.ones((3, 2, 3, 3), np.int32), out=np.full((1, 3, 3, 3), 5.0),
                            context=ctx)
    assert "w " in e.value.message
    wf = w.transpose(1, 0, 2, 3)  # (3, 2, 3, 3): a forward weight for x
    ro = np.full((1, 3, 3, 3), 5.0)
    ro.flags.writeable = False
    with pytest.raises(winsum.Error) as e:  # a read-only out
        winsum.conv_forward(x, wf, out=ro, context=ctx)
    assert "out is read-only" in e.value.message
    other = winsum.Context(backend="ref")
    with pytest.raises(winsum.Error) as e:  # arrays of another context name themselves
        winsum.conv_forward(winsum.asarray(x, context=other), wf, out=y[..., :3, :3],
                            context=ctx)
    assert e.value.message.startswith("x is a winsum.Array of another context")
    oa = winsum.asarray(np.full((3, 2), 5.0), context=other)
    with pytest.raises(winsum.Error) as e:
        winsum.einsum("ij,jk->ik", a, b, out=oa, context=ctx)
    assert e.value.message.startswith("out is a winsum.Array of another context")
    assert (oa.numpy() == 5.0).all() and (y == 5.0).all()
    with pytest.raises(winsum.Error) as e:
        winsum.conv_forward(x, wf, out=[0.0], context=ctx)
    assert "out must be" in e.value.message
