# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""winsum.Array operands carry their context: einsum, the conv functions and
plan compute on it without context=, and Arrays of two contexts (or an
explicit context= other than theirs) are a WINSUM_ERR_CONTEXT error with
nothing written."""
import numpy as np
import pytest

import winsum
from winsum import _einsum

from conftest import BACKENDS


@pytest.fixture(scope="module", params=BACKENDS)
def ctx(request):
    """A fresh context of each backend, never the default one."""
    if request.param == "opencl" and not winsum.devices():
        pytest.skip("no OpenCL device")
    c = winsum.Context(backend=request.param)
    assert c is not winsum.default_context()
    return c


@pytest.fixture(scope="module")
def other():
    """A second context, another object than any ctx (the reference backend
    computes everywhere)."""
    return winsum.Context(backend="ref")


def _pair(ctx, rng, dtype=np.float64):
    a = rng.standard_normal((3, 4)).astype(dtype)
    b = rng.standard_normal((4, 5)).astype(dtype)
    return a, b, winsum.asarray(a, context=ctx), winsum.asarray(b, context=ctx)


def test_einsum_takes_the_arrays_context(ctx, rng):
    a, b, A, B = _pair(ctx, rng)
    for _ in range(3):  # the first call prepares the fast path, the others hit it
        R = winsum.einsum("ij,jk->ik", A, B)
        assert isinstance(R, winsum.Array) and R.context is ctx
        np.testing.assert_allclose(R.numpy(), a @ b, rtol=1e-12)
    O = winsum.empty((3, 5), np.float64, context=ctx)
    for _ in range(2):
        assert winsum.einsum("ij,jk->ik", A, B, out=O, alpha=2.0) is O
        np.testing.assert_allclose(O.numpy(), 2 * (a @ b), rtol=1e-12)
    # an explicit context that is theirs is fine
    R = winsum.einsum("ij,jk->ik", A, B, context=ctx)
    assert R.context is ctx


def test_general_paths_take_it_too(ctx, rng):
    a, b, A, B = _pair(ctx, rng)
    # numpy's sublist form and optimize lists go the general way
    R = winsum.einsum(A, [0, 1], B, [1, 2], [0, 2])
    assert R.context is ctx
    np.testing.assert_allclose(R.numpy(), a @ b, rtol=1e-12)
    R = winsum.einsum("ij,jk->ik", A, B, optimize=["einsum_path", (0, 1)])
    assert R.context is ctx
    np.testing.assert_allclose(R.numpy(), a @ b, rtol=1e-12)
    # a numpy operand beside an Array is uploaded to the Array's context
    R = winsum.einsum("ij,jk->ik", A, b)
    assert R.context is ctx
    np.testing.assert_allclose(R.numpy(), a @ b, rtol=1e-12)
    # an Array out alone decides the context as well
    O = winsum.empty((3, 5), np.float64, context=ctx)
    assert winsum.einsum("ij,jk->ik", a, b, out=O) is O
    np.testing.assert_allclose(O.numpy(), a @ b, rtol=1e-12)
    # the float layer under winsum.einsum
    R = _einsum.einsum("ij,jk->ik", A, B)
    assert R.context is ctx
    np.testing.assert_allclose(R.numpy(), a @ b, rtol=1e-12)
    # padded windows of an Array of ctx
    x = rng.standard_normal((1, 1, 5))
    k = rng.standard_normal((1, 1, 3))
    W = winsum.windows(winsum.asarray(x, context=ctx), (3,), padding=1)
    R = winsum.einsum("ncxi,oci->nox", W, winsum.asarray(k, context=ctx))
    assert R.context is ctx
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1)))
    want = np.array([[[np.dot(xp[0, 0, i:i + 3], k[0, 0]) for i in range(5)]]])
    np.testing.assert_allclose(R.numpy(), want, rtol=1e-12)


def test_same_layout_on_two_contexts(ctx, other, rng):
    """The fast path's prepared views are per context: the same layouts on
    another context compute there."""
    a, b, A, B = _pair(ctx, rng)
    A2, B2 = winsum.asarray(a, context=other), winsum.asarray(b, context=other)
    for _ in range(2):
        for c, X, Y in ((ctx, A, B), (other, A2, B2)):
            R = winsum.einsum("ij,jk->ik", X, Y)
            assert R.context is c
            np.testing.assert_allclose(R.numpy(), a @ b, rtol=1e-12)


def _refused(fn, *out):
    before = [o.numpy().copy() for o in out]
    with pytest.raises(winsum.Error) as e:
        fn()
    assert e.value.status_name == "WINSUM_ERR_CONTEXT"
    for o, b in zip(out, before):
        np.testing.assert_array_equal(o.numpy(), b)
    return e.value.message


def test_mixed_contexts_raise(ctx, other, rng):
    a, b, A, B = _pair(ctx, rng)
    B2 = winsum.asarray(b, context=other)
    O = winsum.asarray(np.full((3, 5), 7.0), context=ctx)
    O2 = winsum.asarray(np.full((3, 5), 7.0), context=other)
    winsum.einsum("ij,jk->ik", A, B, out=O)  # prepare the fast path for these layouts
    O.fill(7.0)
    msg = _refused(lambda: winsum.einsum("ij,jk->ik", A, B2))
    assert msg.startswith("operand 1 is a winsum.Array of another context than operand 0's")
    _refused(lambda: winsum.einsum("ij,jk->ik", A, B2, out=O), O)
    _refused(lambda: winsum.einsum("ij,jk->ik", A, B, out=O2), O2)
    msg = _refused(lambda: winsum.einsum("ij,jk->ik", A, B, out=O, context=other), O)
    assert msg.startswith("operand 0 is a winsum.Array of another context than context=")
    _refused(lambda: winsum.einsum("ij,jk->ik", a, b, out=O, context=other), O)
    _refused(lambda: winsum.einsum(A, [0, 1], B2, [1, 2], [0, 2]))
    _refused(lambda: _einsum.einsum("ij,jk->ik", A, B, out=O, context=other), O)
    _refused(lambda: winsum.plan("ij,jk->ik", A, B, context=other))
    # and the right context still computes afterwards
    winsum.einsum("ij,jk->ik", A, B, out=O)
    np.testing.assert_allclose(O.numpy(), a @ b, rtol=1e-12)


def test_conv_and_plan(ctx, other, rng):
    x = rng.standard_normal((1, 2, 5, 5))
    w = rng.standard_normal((3, 2, 3, 3))
    X, Wt = winsum.asarray(x, context=ctx), winsum.asarray(w, context=ctx)
    want = winsum.conv_forward(x, w, padding=1, context=ctx)
    Y = winsum.conv_forward(X, Wt, padding=1)
    assert isinstance(Y, winsum.Array) and Y.context is ctx
    np.testing.assert_allclose(Y.numpy(), want, rtol=1e-12)
    GW = winsum.conv_backward_weight(X, Y, w.shape, padding=1)
    assert GW.context is ctx
    GB = winsum.conv_backward_bias(Y)
    assert GB.context is ctx
    np.testing.assert_allclose(GB.numpy(), Y.numpy().sum(axis=(0, 2, 3)), rtol=1e-12)
    W2 = winsum.asarray(w, context=other)
    _refused(lambda: winsum.conv_forward(X, W2, padding=1), Y)
    _refused(lambda: winsum.conv_forward(X, Wt, padding=1, out=Y, context=other), Y)
    _refused(lambda: winsum.conv_backward_data(Y, W2, x.shape, padding=1))
    a, b, A, B = _pair(ctx, rng)
    p = winsum.plan("ij,jk->ik", A, B)
    assert p.ctx is ctx
    R = p(A, B)
    assert R.context is ctx
    np.testing.assert_allclose(R.numpy(), a @ b, rtol=1e-12)
