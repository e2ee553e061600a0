# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""Device Arrays, plans, and pyopencl interop."""
import numpy as np
import pytest

import winsum


def test_array_roundtrip_and_views(ctx, rng):
    a = rng.standard_normal((4, 6))
    d = winsum.asarray(a, context=ctx)
    assert d.shape == (4, 6) and d.dtype == np.float64 and d.strides == a.strides
    np.testing.assert_array_equal(d.numpy(), a)
    np.testing.assert_array_equal(d[1:, ::-2].numpy(), a[1:, ::-2])
    np.testing.assert_array_equal(d[2].numpy(), a[2])
    np.testing.assert_array_equal(d[2, 3].numpy(), a[2, 3])
    np.testing.assert_array_equal(d.T.numpy(), a.T)
    s = winsum.as_strided(d, (3, 2, 2), (48, 8, 48))
    np.testing.assert_array_equal(s.numpy(), np.lib.stride_tricks.as_strided(a, (3, 2, 2),
                                                                            (48, 8, 48)))
    with pytest.raises(winsum.Error):
        winsum.as_strided(d, (10, 10), (48, 8))
    f = winsum.asarray(np.asfortranarray(a)[::-1], context=ctx)  # keeps its strides
    np.testing.assert_array_equal(f.numpy(), a[::-1])


def test_chain_on_device(ctx, rng):
    a, b, c = (rng.standard_normal(s) for s in ((5, 6), (6, 7), (7, 3)))
    da, db, dc = (winsum.asarray(v, context=ctx) for v in (a, b, c))
    x = winsum.asarray(rng.standard_normal((1, 2, 6, 6)), context=ctx)
    w = winsum.asarray(rng.standard_normal((3, 2, 3, 3)), context=ctx)
    before = winsum.transfer_count()
    ab = winsum.einsum("ij,jk->ik", da, db, context=ctx)
    abc = winsum.einsum("ij,jk->ik", ab, dc, context=ctx)
    assert isinstance(abc, winsum.Array)
    y = winsum.conv_forward(x, w, padding=1, context=ctx)
    gx = winsum.conv_backward_data(y, w, x.shape, padding=1, context=ctx)
    assert isinstance(gx, winsum.Array)
    assert winsum.transfer_count() == before  # no host round trip in the chain
    np.testing.assert_allclose(abc.numpy(), a @ b @ c, rtol=1e-10)
    assert winsum.transfer_count() == before + 1  # the one read-back
    out = winsum.empty((5, 3), np.float64, context=ctx)
    winsum.einsum("ij,jk->ik", ab, dc, out=out, context=ctx)
    np.testing.assert_allclose(out.numpy(), a @ b @ c, rtol=1e-10)


def test_mixed_numpy_and_array(ctx, rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)).astype(np.float32)
    r = winsum.einsum("ij,jk->ik", winsum.asarray(a, context=ctx), b, context=ctx)
    assert isinstance(r, winsum.Array) and r.dtype == np.float64
    np.testing.assert_allclose(r.numpy(), a @ b, rtol=1e-6)


def test_plan(ctx, rng):
    p = winsum.plan("ij,jk->ik", ((4, 5), np.float32), ((5, 3), np.float32), context=ctx)
    for _ in range(3):
        a = rng.standard_normal((4, 5)).astype(np.float32)
        b = rng.standard_normal((5, 3)).astype(np.float32)
        np.testing.assert_allclose(p(a, b), a @ b, rtol=1e-5, atol=1e-5)
    a = rng.standard_normal((5, 4)).astype(np.float32).T  # other strides: staged
    np.testing.assert_allclose(p(a, b), a @ b, rtol=1e-5, atol=1e-5)
    out = np.zeros((4, 3), np.float32)
    assert p(a, b, out=out) is out
    np.testing.assert_allclose(out, a @ b, rtol=1e-5, atol=1e-5)
    with pytest.raises(winsum.Error):
        p(a, b[:4])
    assert "step" in p.describe().lower() or p.describe()
    x = rng.standard_normal((3, 3))[::-1]
    q = winsum.plan("ij->ji", x, context=ctx)
    np.testing.assert_array_equal(q(x), x.T)
    da = winsum.asarray(rng.standard_normal((4, 5)).astype(np.float32), context=ctx)
    pa = winsum.plan("ij,jk->ik", da, ((5, 3), np.float32), context=ctx)
    r = pa(da, b)
    assert isinstance(r, winsum.Array)
    np.testing.assert_allclose(r.numpy(), da.numpy() @ b, rtol=1e-5, atol=1e-5)


def test_pyopencl(rng):
    cl = pytest.importorskip("pyopencl")
    import pyopencl.array as cla
    try:
        clctx = cl.create_some_context(interactive=False)
    except Exception as e:  # no OpenCL platform
        pytest.skip(str(e))
    queue = cl.CommandQueue(clctx)
    ctx = winsum.Context.from_pyopencl(clctx, queue)
    a = rng.standard_normal((6, 5)).astype(np.float32)
    b = rng.standard_normal((5, 4)).astype(np.float32)
    da, db = cla.to_device(queue, a), cla.to_device(queue, b)
    r = winsum.einsum("ij,jk->ik", da, db, context=ctx)
    assert isinstance(r, cla.Array)
    np.testing.assert_allclose(r.get(), a @ b, rtol=1e-5, atol=1e-5)
    out = cla.zeros(queue, (4, 6), np.float32)
    winsum.einsum("ij,jk->ki", da, db, out=out, context=ctx)
    np.testing.assert_allclose(out.get(), (a @ b).T, rtol=1e-5, atol=1e-5)
    x = cla.to_device(queue, rng.standard_normal((1, 2, 6, 6)).astype(np.float32))
    w = cla.to_device(queue, rng.standard_normal((3, 2, 3, 3)).astype(np.float32))
    y = winsum.conv_forward(x, w, padding=1, context=ctx)
    import torch
    want = torch.nn.functional.conv2d(torch.from_numpy(x.get()), torch.from_numpy(w.get()),
                                      padding=1).numpy()
    np.testing.assert_allclose(y.get(), want, rtol=1e-4, atol=1e-4)
    with pytest.raises(winsum.Error):  # a pyopencl array on a context of another cl_context
        winsum.einsum("ij->ji", da, context=winsum.Context(backend="opencl"))
