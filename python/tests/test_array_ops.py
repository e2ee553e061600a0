# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""winsum.Array's on-device operations against numpy: arithmetic with
broadcasting and in-place forms, maximum/minimum/comparisons, sums over
axes, reshape (views where numpy makes one), copy, get/item/float, fill and
zeros, padded window views (winsum.windows) in einsum, and the transfer
count (nothing moves between host and device unless read back)."""
import numpy as np
import pytest

import winsum

DTYPES = [np.float32, np.float64, np.float16]
TOL = {np.float32: 1e-6, np.float64: 1e-15, np.float16: 2e-3}


def up(ctx, a):
    return winsum.asarray(a, context=ctx)


def close(got, want, dtype):
    got = np.asarray(got)
    assert got.shape == np.shape(want)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got.astype(np.float64), np.asarray(want, np.float64),
                               rtol=TOL[dtype] * 4, atol=TOL[dtype] * 4)


def need(ctx, dtype):
    if not ctx.has_dtype(dtype):
        pytest.skip("the device has no %s" % np.dtype(dtype))


SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5,), ()),
          ((1, 3), (4, 1))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_binary_broadcasting(ctx, rng, dtype, sa, sb):
    need(ctx, dtype)
    a = rng.uniform(-2, 2, sa).astype(dtype)
    b = rng.uniform(-2, 2, sb).astype(dtype)
    b.flat[::2] = a.flat[0] if a.size else 0  # a tie or two for max/min
    A, B = up(ctx, a), up(ctx, b)
    close(A + B, a + b, dtype)
    close(A - B, a - b, dtype)
    close(A * B, a * b, dtype)
    close(winsum.maximum(A, B), np.maximum(a, b), dtype)
    close(winsum.minimum(A, B), np.minimum(a, b), dtype)
    close(A > B, (a > b).astype(dtype), dtype)
    close(A < B, (a < b).astype(dtype), dtype)
    close(winsum.equal(A, B), (a == b).astype(dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_scalars_and_numpy_operands(ctx, rng, dtype):
    need(ctx, dtype)
    a = rng.uniform(-2, 2, (3, 5)).astype(dtype)
    A = up(ctx, a)
    s = dtype(0.75)
    close(A + 0.75, a + s, dtype)
    close(0.75 + A, s + a, dtype)
    close(A - 0.75, a - s, dtype)
    close(0.75 - A, s - a, dtype)
    close(A * 0.75, a * s, dtype)
    close(0.75 * A, s * a, dtype)
    close(A / 4, a / dtype(4), dtype)
    close(-A, -a, dtype)
    close(A > 0.75, (a > s).astype(dtype), dtype)
    close(A < 0.75, (a < s).astype(dtype), dtype)
    close(winsum.maximum(A, 0), np.maximum(a, 0), dtype)  # ReLU
    close(winsum.maximum(0, A), np.maximum(0, a), dtype)
    row = rng.uniform(-1, 1, 5).astype(dtype)
    close(A + row, a + row, dtype)  # a numpy operand is uploaded
    close(row - A, row - a, dtype)  # ndarray - Array runs on the device
    assert isinstance(row - A, winsum.Array)


def test_nan_propagates(ctx):
    a = np.array([np.nan, 1, 2, np.nan], np.float32)
    b = np.array([0, np.nan, 1, 3], np.float32)
    A, B = up(ctx, a), up(ctx, b)
    np.testing.assert_array_equal(winsum.maximum(A, B).numpy(), np.maximum(a, b))
    np.testing.assert_array_equal(winsum.minimum(A, B).numpy(), np.minimum(a, b))
    np.testing.assert_array_equal(winsum.maximum(A, 0).numpy(), np.maximum(a, 0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_in_place(ctx, rng, dtype):
    need(ctx, dtype)
    a = rng.uniform(-2, 2, (4, 6)).astype(dtype)
    bias = rng.uniform(-1, 1, 6).astype(dtype)
    A, Bias = up(ctx, a), up(ctx, bias)
    keep = A
    A += Bias
    assert A is keep
    a = a + bias
    close(A, a, dtype)
    A -= 0.5
    a = a - dtype(0.5)
    close(A, a, dtype)
    A *= A
    a = a * a
    close(A, a, dtype)
    A /= 2
    a = a / dtype(2)
    close(A, a, dtype)
    # a strided view written in place: only its elements change
    v = A[:, 1::2]
    v += 1.0
    a[:, 1::2] += dtype(1)
    close(A, a, dtype)
    with pytest.raises(winsum.Error) as e:
        Bias += A  # the result has A's shape, not Bias's
    assert e.value.status_name == "WINSUM_ERR_SHAPE"
    close(Bias, bias, dtype)


def test_refused_overlap_writes_nothing(ctx):
    a = np.arange(12, dtype=np.float32)
    A = up(ctx, a)
    with pytest.raises(winsum.Error) as e:
        winsum.add(A[:-1], A[1:], out=A[1:])  # out overlaps a, not the same view
    assert e.value.status_name == "WINSUM_ERR_ALIAS"
    np.testing.assert_array_equal(A.numpy(), a)
    with pytest.raises(winsum.Error) as e:
        winsum.elementwise("pow", A)
    assert e.value.status_name == "WINSUM_ERR_ARGUMENT"
    with pytest.raises(winsum.Error) as e:
        A + up(ctx, np.zeros(5, np.float32))
    assert e.value.status_name == "WINSUM_ERR_SHAPE"
    with pytest.raises(winsum.Error) as e:
        A + up(ctx, np.zeros(12, np.float64))
    assert e.value.status_name == "WINSUM_ERR_DTYPE"
    np.testing.assert_array_equal(A.numpy(), a)


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (1, 2), ()])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_and_mean(ctx, rng, axis, keepdims):
    a = rng.uniform(-1, 1, (3, 4, 5))
    A = up(ctx, a)
    close(A.sum(axis=axis, keepdims=keepdims), a.sum(axis=axis, keepdims=keepdims), np.float64)
    if axis != ():
        close(A.mean(axis=axis, keepdims=keepdims), a.mean(axis=axis, keepdims=keepdims),
              np.float64)
    close(A.T.sum(axis=0), a.T.sum(axis=0), np.float64)
    out = winsum.empty((4,), np.float64, ctx)
    assert A.sum(axis=(0, 2), out=out) is out
    close(out, a.sum(axis=(0, 2)), np.float64)


def test_reshape_views_and_copies(ctx, rng):
    a = rng.uniform(-1, 1, (2, 3, 4)).astype(np.float32)
    A = up(ctx, a)
    for shape in [(6, 4), (24,), (-1, 2), (2, 12), (4, 3, 2), (1, 24, 1), (2, 3, 4)]:
        R = A.reshape(shape)
        assert R._mem is A._mem  # C-contiguous: a view
        np.testing.assert_array_equal(R.numpy(), a.reshape(shape))
    T = A.transpose(2, 0, 1)
    n0 = winsum.transfer_count()
    for shape in [(4, 6), (24,), (4, 2, 3, 1)]:
        np.testing.assert_array_equal(T.reshape(shape).numpy(), a.transpose(2, 0, 1).reshape(shape))
    assert winsum.transfer_count() - n0 == 3  # the copies stay on the device
    # numpy's view rule: merging axes that are contiguous between themselves
    S = A[:, :, :2]  # (2, 3, 2): the last axis does not merge with the others
    np.testing.assert_array_equal(S.reshape(6, 2).numpy(), a[:, :, :2].reshape(6, 2))
    assert S.reshape(6, 2)._mem is A._mem
    assert A[:, :, ::2].reshape(12)._mem is A._mem  # one stride throughout: a view
    np.testing.assert_array_equal(S.reshape(12).numpy(), a[:, :, :2].reshape(12))
    assert S.reshape(12)._mem is not A._mem
    np.testing.assert_array_equal(A.reshape(2, 3, 4)[:, ::-1].reshape(6, 4).numpy(),
                                  a[:, ::-1].reshape(6, 4))
    for bad in [(5, 5), (-1, -1), (7, -1)]:
        with pytest.raises(winsum.Error) as e:
            A.reshape(bad)
        assert e.value.status_name == "WINSUM_ERR_SHAPE"


def test_copy_get_item_float_fill_zeros(ctx, rng):
    a = rng.uniform(-1, 1, (3, 4)).astype(np.float32)
    A = up(ctx, a)
    C = A.T.copy()
    assert C._mem is not A._mem and C.strides == (12, 4)
    A += 1.0  # the copy does not follow
    np.testing.assert_array_equal(C.get(), a.T)
    one = A[1, 2]
    assert one.shape == () and float(one) == pytest.approx(a[1, 2] + 1, rel=1e-6)
    assert A.sum().item() == pytest.approx(float((a + 1).sum()), rel=1e-5)
    with pytest.raises(winsum.Error):
        A.item()
    Z = winsum.zeros((3, 5), np.float32, ctx)
    np.testing.assert_array_equal(Z.numpy(), np.zeros((3, 5), np.float32))
    nan = up(ctx, np.full(4, np.nan, np.float32))
    np.testing.assert_array_equal(nan.fill(2.5).numpy(), np.full(4, 2.5, np.float32))


@pytest.mark.parametrize("geom", [((3, 3), 1, 1, 1), ((3, 3), 2, 1, 1), ((2, 3), 1, 2, (1, 2)),
                                  ((3, 3), 1, 1, ((2, 0), (0, 1))), ((5,), 2, 1, 2)])
def test_windows_match_padded_as_strided(ctx, rng, geom):
    kernel, stride, dilation, padding = geom
    ns = len(kernel)
    x = rng.uniform(-1, 1, (2, 3) + (7,) * ns)
    X = up(ctx, x)
    W = winsum.windows(X, kernel, stride, dilation, padding)
    # the seed's as_strided windows of a host-padded copy
    st = [stride] * ns if np.ndim(stride) == 0 else list(stride)
    dl = [dilation] * ns if np.ndim(dilation) == 0 else list(dilation)
    pd = [padding] * ns if np.ndim(padding) == 0 else list(padding)
    pd = [(p, p) if np.ndim(p) == 0 else tuple(p) for p in pd]
    xp = np.pad(x, [(0, 0), (0, 0)] + pd)
    out = [(xp.shape[2 + d] - dl[d] * (kernel[d] - 1) - 1) // st[d] + 1 for d in range(ns)]
    s = xp.strides
    win = np.lib.stride_tricks.as_strided(
        xp, x.shape[:2] + tuple(out) + tuple(kernel),
        s[:2] + tuple(s[2 + d] * st[d] for d in range(ns))
        + tuple(s[2 + d] * dl[d] for d in range(ns)))
    assert W.shape == win.shape
    n0 = winsum.transfer_count()
    C = W.copy()  # the guards make the padding's zeros on the device
    assert winsum.transfer_count() == n0
    np.testing.assert_array_equal(C.numpy(), win)
    np.testing.assert_array_equal(W.numpy(), win)
    w = rng.uniform(-1, 1, (4, 3) + tuple(kernel))
    sp = "xyz"[:ns]
    k = "ijk"[:ns]
    subs = "nc%s%s,oc%s->no%s" % (sp, k, k, sp)
    got = winsum.einsum(subs, W, up(ctx, w), context=ctx)
    close(got, np.einsum(subs, win, w), np.float64)
    with pytest.raises(winsum.Error) as e:
        W[0]
    assert e.value.status_name == "WINSUM_ERR_UNSUPPORTED"
    with pytest.raises(winsum.Error) as e:
        winsum.windows(X, (9, 9))
    assert e.value.status_name == "WINSUM_ERR_CONV"


def test_no_transfers_on_device(ctx, rng):
    """A layer's forward and backward on Arrays: no host transfer until read."""
    x = rng.uniform(-1, 1, (2, 3, 6, 6)).astype(np.float32)
    w = rng.uniform(-1, 1, (4, 3, 3, 3)).astype(np.float32)
    b = rng.uniform(-1, 1, 4).astype(np.float32)
    X, Wt, B = up(ctx, x), up(ctx, w), up(ctx, b)
    n0 = winsum.transfer_count()
    Y = winsum.einsum("ncxyij,ocij->noxy", winsum.windows(X, (3, 3), padding=1), Wt,
                      context=ctx)
    Y += B.reshape(4, 1, 1)
    R = winsum.maximum(Y, 0)
    G = R > 0
    S = (R * G).sum(axis=(0, 2, 3))
    assert winsum.transfer_count() == n0
    import torch
    t = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), padding=1)
    want = torch.relu(t).sum(dim=(0, 2, 3)).numpy()
    np.testing.assert_allclose(S.numpy(), want, rtol=1e-5, atol=1e-5)
    assert winsum.transfer_count() == n0 + 1
