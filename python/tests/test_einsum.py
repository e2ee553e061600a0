# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""winsum.einsum against numpy.einsum on any-strided operands."""
import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided

import winsum
from conftest import tol


def check(ctx, subs, *ops, dtype=None):
    want = np.einsum(subs, *ops)
    got = winsum.einsum(subs, *ops, context=ctx)
    assert isinstance(got, np.ndarray)
    assert got.shape == want.shape
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    t = tol(got.dtype)
    scale = max(1.0, float(np.abs(want).max()) if want.size else 1.0)
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=t,
                               atol=t * scale)
    return got


CASES = [
    ("ij,jk->ik", [(5, 7), (7, 3)]),
    ("ij,jk", [(4, 6), (6, 2)]),
    ("bij,bjk->bik", [(3, 4, 5), (3, 5, 2)]),
    ("ii->i", [(5, 5)]),
    ("ii", [(4, 4)]),
    ("ij->", [(3, 4)]),
    ("i,i", [(7,), (7,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("...ij,...jk->...ik", [(2, 3, 4, 5), (2, 3, 5, 2)]),
    ("ij,jk,kl->il", [(3, 4), (4, 5), (5, 2)]),
    ("abc,cd,bd->a", [(2, 3, 4), (4, 5), (3, 5)]),
    ("iJ,Jk", [(2, 3), (3, 4)]),
    ("ij,ij->ij", [(3, 4), (1, 4)]),
    (",ij->ij", [(), (2, 3)]),
    ("->", [()]),
]


@pytest.mark.parametrize("subs,shapes", CASES)
def test_basic(ctx, rng, subs, shapes):
    ops = [rng.standard_normal(s) for s in shapes]
    check(ctx, subs, *ops)


def test_negative_strides(ctx, rng):
    a = rng.standard_normal((6, 5))
    b = rng.standard_normal((5, 8))
    check(ctx, "ij,jk->ik", a[::-1], b[::-1, ::-2])
    check(ctx, "ij,jk->ik", a[::-2, ::-1], b[:, 1::3])


def test_zero_strides(ctx, rng):
    v = rng.standard_normal(4)
    a = as_strided(v, (3, 4), (0, 8))  # broadcast rows
    b = rng.standard_normal((4, 5))
    check(ctx, "ij,jk->ik", a, b)
    check(ctx, "ij,jk->ik", np.broadcast_to(v[:, None], (4, 5)).T, b)


def test_as_strided_windows(ctx, rng):
    """The seed's example: a 2-D convolution as an einsum over windows."""
    x = rng.standard_normal((2, 3, 9, 8))
    w = rng.standard_normal((4, 3, 3, 2))
    n, c, h, wd = x.shape
    kh, kw = w.shape[2:]
    s = x.strides
    win = as_strided(x, (n, c, h - kh + 1, wd - kw + 1, kh, kw), s + s[2:])
    got = check(ctx, "ncxyij,ocij->noxy", win, w)
    import torch
    ref = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w)).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


def test_overlapping_operands(ctx, rng):
    a = rng.standard_normal((5, 5))
    check(ctx, "ij,jk->ik", a, a)
    check(ctx, "ij,jk->ik", a[1:], a[:, :4])
    check(ctx, "ij,ji->", a, a)


def test_fortran(ctx, rng):
    a = np.asfortranarray(rng.standard_normal((4, 6)))
    b = np.asfortranarray(rng.standard_normal((6, 3)))
    check(ctx, "ij,jk->ik", a, b)
    check(ctx, "ij->ji", a)


def test_zero_d(ctx, rng):
    check(ctx, "", np.array(2.5))
    check(ctx, ",", np.array(2.0), np.array(-3.0))
    check(ctx, ",i->i", np.array(2.0), rng.standard_normal(5))


def test_empty(ctx):
    check(ctx, "ij,jk->ik", np.zeros((0, 3)), np.ones((3, 2)))
    check(ctx, "ij,jk->ik", np.zeros((2, 0)), np.ones((0, 2)))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtypes(ctx, rng, dtype):
    a = rng.standard_normal((6, 5)).astype(dtype)
    b = rng.standard_normal((5, 4)).astype(dtype)
    check(ctx, "ij,jk->ik", a, b)
    check(ctx, "ij,jk->ik", a[::-1], b[:, ::2])


def test_mixed_dtypes(ctx, rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((4, 2))
    c = rng.standard_normal((4, 2)).astype(np.float16)
    assert check(ctx, "ij,jk->ik", a, b).dtype == np.float64
    assert check(ctx, "ij,jk->ik", a, c).dtype == np.float32
    assert check(ctx, "ij,jk->ik", c.T.copy(), c).dtype == np.float16


def test_interleaved_form(ctx, rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    got = winsum.einsum(a, [0, 1], b, [1, 2], [0, 2], context=ctx)
    np.testing.assert_allclose(got, np.einsum(a, [0, 1], b, [1, 2], [0, 2]))


def test_out_strided_and_view(ctx, rng):
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5))
    big = np.full((8, 10), 7.0)
    out = big[::2, 1::2][:, ::-1]
    r = winsum.einsum("ij,jk->ik", a, b, out=out, context=ctx)
    assert r is out
    np.testing.assert_allclose(out, a @ b, rtol=1e-12)
    mask = np.ones_like(big, bool)
    mask[::2, 1::2] = False
    assert (big[mask] == 7.0).all()  # the gaps are untouched
    fo = np.asfortranarray(np.zeros((4, 5)))
    winsum.einsum("ij,jk->ik", a, b, out=fo, context=ctx)
    np.testing.assert_allclose(fo, a @ b, rtol=1e-12)


def test_alpha_beta(ctx, rng):
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5))
    out = rng.standard_normal((4, 5))
    want = 2.0 * (a @ b) + 0.5 * out
    winsum.einsum("ij,jk->ik", a, b, out=out, alpha=2.0, beta=0.5, context=ctx)
    np.testing.assert_allclose(out, want, rtol=1e-12)


def test_out_dtype_safe_cast(ctx, rng):
    a, b = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((3, 5)).astype(
        np.float32)
    out = np.zeros((4, 5))
    winsum.einsum("ij,jk->ik", a, b, out=out, context=ctx)
    np.testing.assert_allclose(out, a.astype(np.float64) @ b, rtol=1e-6)
    with pytest.raises(winsum.Error):
        winsum.einsum("ij,jk->ik", a.astype(np.float64), b, out=np.zeros((4, 5), np.float32),
                      context=ctx)


NUMPY_ERRORS = [
    ("ij,jk->ik", [(3, 4), (5, 2)]),      # size mismatch
    ("ij,jk->ik", [(3, 4)]),              # too few operands
    ("ij->ik", [(3, 4)]),                 # output label not in the inputs
    ("ij->ii", [(3, 3)]),                 # repeated output label
    ("ij,j", [(3, 4), (4,), (4,)]),      # too many operands
    ("i1,j", [(3, 4), (4,)]),            # bad character
    ("ijk", [(3, 4)]),                    # too many labels
    ("ii", [(3, 4)]),                     # diagonal of unequal sizes
    ("ij->", [(3, 4), (3, 4)]),
    ("i...j->", [(3,)]),
]


@pytest.mark.parametrize("subs,shapes", NUMPY_ERRORS)
def test_numpy_error_cases(ctx, subs, shapes):
    ops = [np.ones(s) for s in shapes]
    with pytest.raises(ValueError):
        np.einsum(subs, *ops)
    with pytest.raises(winsum.Error) as e:
        winsum.einsum(subs, *ops, context=ctx)
    assert isinstance(e.value, ValueError)
    assert e.value.status_name.startswith("WINSUM_ERR_")
    assert e.value.message


def test_error_leaves_out_untouched(ctx):
    out = np.full((3, 2), 5.0)
    with pytest.raises(winsum.Error):
        winsum.einsum("ij,jk->ik", np.ones((3, 4)), np.ones((5, 2)), out=out, context=ctx)
    assert (out == 5.0).all()
    with pytest.raises(winsum.Error):  # wrong out shape
        winsum.einsum("ij,jk->ik", np.ones((3, 4)), np.ones((4, 2)), out=np.full((3, 3), 5.0),
                      context=ctx)
    a = np.ones((3, 3))
    before = a.copy()
    with pytest.raises(winsum.Error) as e:  # out aliases an input
        winsum.einsum("ij,jk->ik", a, np.ones((3, 3)), out=a, context=ctx)
    assert e.value.status_name == "WINSUM_ERR_ALIAS"
    assert (a == before).all()
    z = as_strided(np.full(3, 5.0), (3, 2), (8, 0))  # out maps two indices to one element
    with pytest.raises(winsum.Error) as e:
        winsum.einsum("ij,jk->ik", np.ones((3, 4)), np.ones((4, 2)), out=z, context=ctx)
    assert e.value.status_name == "WINSUM_ERR_OVERLAP"
    assert (z == 5.0).all()


def test_bad_dtype(ctx):
    # numpy integer operands are computed exactly now (test_numpy_api.py); device
    # Arrays are float arrays and refuse an integer computation dtype
    da = winsum.asarray(np.ones((2, 2)), context=ctx)
    with pytest.raises(winsum.Error) as e:
        winsum.einsum("ij->", da, dtype=np.int64, context=ctx)
    assert e.value.status_name == "WINSUM_ERR_DTYPE"


def test_unaligned_strides(ctx, rng):
    raw = np.zeros(8 * 13 + 1, np.uint8)
    a = np.frombuffer(raw.data, np.float64, 12, offset=1).reshape(3, 4)  # misaligned
    a[...] = rng.standard_normal((3, 4))
    check(ctx, "ij->ji", a)


def test_default_context_env(monkeypatch):
    import subprocess, sys, os
    env = dict(os.environ, WINSUM_BACKEND="ref")
    r = subprocess.run([sys.executable, "-c", "import winsum; print(winsum.default_context().backend)"],
                       env=env, capture_output=True, text=True)
    assert r.stdout.strip() == "ref", r.stderr
    env = dict(os.environ, WINSUM_DEVICE="no such device", WINSUM_BACKEND="opencl")
    r = subprocess.run([sys.executable, "-c", "import winsum\ntry:\n winsum.default_context()\n"
                        "except winsum.Error as e: print(e.status_name)"],
                       env=env, capture_output=True, text=True)
    assert r.stdout.strip() == "WINSUM_ERR_NO_DEVICE", (r.stdout, r.stderr)


def test_devices_and_context_errors():
    ds = winsum.devices()
    assert all(isinstance(d.name, str) for d in ds)
    with pytest.raises(winsum.Error):
        winsum.Context(backend="bogus")
