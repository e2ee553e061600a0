# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""Convolutions against torch.nn.functional."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import winsum

FWD = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
TR = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}

# (spatial size, channels in, out, kernel, stride, padding, dilation, groups)
CASES = [
    ((9,), 2, 3, (3,), 1, 0, 1, 1),
    ((10,), 4, 4, (3,), 2, 1, 2, 2),
    ((8, 7), 3, 4, (3, 3), 1, 1, 1, 1),
    ((9, 9), 2, 6, (3, 2), (2, 1), (1, 0), (1, 2), 2),
    ((8, 8), 4, 4, (3, 3), 1, 1, 1, 4),            # depthwise
    ((11, 10), 3, 2, (5, 3), 3, 2, 1, 1),
    ((5, 6, 4), 2, 3, (3, 2, 2), 1, (1, 0, 1), 1, 1),
    ((6, 5, 5), 2, 2, (2, 3, 3), 2, 1, (1, 2, 1), 2),
]


def t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


def torch_pad(x, pads):
    """Asymmetric padding for torch: ((lo, hi), ...) per spatial axis."""
    flat = []
    for lo, hi in reversed(pads):
        flat += [lo, hi]
    return F.pad(x, flat)


@pytest.mark.parametrize("case", CASES)
def test_forward_backward(ctx, rng, case):
    sp, c, o, k, s, p, d, g = case
    ns = len(sp)
    x = rng.standard_normal((2, c) + sp)
    w = rng.standard_normal((o, c // g) + k)
    b = rng.standard_normal(o)
    xt, wt, bt = (t(v).requires_grad_() for v in (x, w, b))
    yt = FWD[ns](xt, wt, bt, stride=s, padding=p, dilation=d, groups=g)
    y = winsum.conv_forward(x, w, b, stride=s, padding=p, dilation=d, groups=g, context=ctx)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-10)
    gy = rng.standard_normal(y.shape)
    yt.backward(t(gy))
    gx = winsum.conv_backward_data(gy, w, x.shape, stride=s, padding=p, dilation=d, groups=g,
                                   context=ctx)
    gw = winsum.conv_backward_weight(x, gy, w.shape, stride=s, padding=p, dilation=d, groups=g,
                                     context=ctx)
    gb = winsum.conv_backward_bias(gy, context=ctx)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gw, wt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gb, bt.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", CASES[1:6])
def test_transpose(ctx, rng, case):
    sp, c, o, k, s, p, d, g = case
    ns = len(sp)
    x = rng.standard_normal((2, o) + sp)
    w = rng.standard_normal((o, c // g) + k)
    b = rng.standard_normal(c)
    op = 1 if (s if isinstance(s, int) else max(s)) > 1 else 0
    op = tuple(min(op, (s if isinstance(s, int) else s[i]) - 1) for i in range(ns))
    want = TR[ns](t(x), t(w), t(b), stride=s, padding=p, output_padding=op, groups=g, dilation=d)
    got = winsum.conv_transpose(x, w, b, stride=s, padding=p, output_padding=op, groups=g,
                                dilation=d, context=ctx)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-10)


def test_asymmetric_and_same_padding(ctx, rng):
    x = rng.standard_normal((2, 3, 9, 8))
    w = rng.standard_normal((4, 3, 3, 4))
    pads = ((1, 2), (0, 3))
    y = winsum.conv_forward(x, w, padding=pads, context=ctx)
    want = F.conv2d(torch_pad(t(x), pads), t(w))
    np.testing.assert_allclose(y, want.numpy(), rtol=1e-10, atol=1e-10)
    w3 = rng.standard_normal((4, 3, 3, 3))
    y = winsum.conv_forward(x, w3, padding="same", dilation=2, context=ctx)
    np.testing.assert_allclose(y, F.conv2d(t(x), t(w3), padding="same", dilation=2).numpy(),
                               rtol=1e-10, atol=1e-10)
    w4 = rng.standard_normal((4, 3, 4, 2))  # even kernel: torch puts the extra on the high side
    y = winsum.conv_forward(x, w4, padding="same", context=ctx)
    np.testing.assert_allclose(y, F.conv2d(t(x), t(w4), padding="same").numpy(),
                               rtol=1e-10, atol=1e-10)


def test_nhwc(ctx, rng):
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    xl = x.transpose(0, 2, 3, 1)  # a strided view, channels last
    y = winsum.conv_forward(xl, w, b, padding=1, stride=2, layout="nhwc", context=ctx)
    want = F.conv2d(t(x), t(w), t(b), padding=1, stride=2).numpy().transpose(0, 2, 3, 1)
    np.testing.assert_allclose(y, want, rtol=1e-10, atol=1e-10)
    gy = rng.standard_normal(y.shape)
    gx = winsum.conv_backward_data(gy, w, xl.shape, padding=1, stride=2, layout="nhwc",
                                   context=ctx)
    gb = winsum.conv_backward_bias(gy, layout="nhwc", context=ctx)
    xt = t(x).requires_grad_()
    F.conv2d(xt, t(w), padding=1, stride=2).backward(t(gy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(gx, xt.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gb, gy.sum((0, 1, 2)), rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_dtypes(ctx, rng, dtype):
    x = rng.standard_normal((2, 3, 8, 8)).astype(dtype)
    w = (rng.standard_normal((4, 3, 3, 3)) / 3).astype(dtype)
    y = winsum.conv_forward(x, w, padding=1, context=ctx)
    assert y.dtype == dtype
    want = F.conv2d(t(x.astype(np.float64)), t(w.astype(np.float64)), padding=1).numpy()
    tol = 2e-2 if dtype == np.float16 else 1e-4
    np.testing.assert_allclose(y.astype(np.float64), want, rtol=tol, atol=tol * 4)


def test_strided_inputs(ctx, rng):
    x = rng.standard_normal((2, 3, 10, 10))[:, ::-1, ::2, 1::2]
    w = np.asfortranarray(rng.standard_normal((4, 3, 3, 3)))
    y = winsum.conv_forward(x, w, context=ctx)
    np.testing.assert_allclose(y, F.conv2d(t(x), t(w)).numpy(), rtol=1e-10, atol=1e-10)


def test_bad_input(ctx, rng):
    x = rng.standard_normal((2, 3, 8, 8))
    out = np.full((2, 4, 6, 6), 3.0)
    with pytest.raises(winsum.Error) as e:  # channels disagree
        winsum.conv_forward(x, rng.standard_normal((4, 2, 3, 3)), out=out, context=ctx)
    assert e.value.status_name == "WINSUM_ERR_CONV"
    assert (out == 3.0).all()
    with pytest.raises(winsum.Error):  # kernel larger than the input
        winsum.conv_forward(x, rng.standard_normal((4, 3, 9, 9)), context=ctx)
    with pytest.raises(winsum.Error):
        winsum.conv_forward(x[0], rng.standard_normal((4, 3, 3)), context=ctx)
    with pytest.raises(winsum.Error):
        winsum.conv_forward(x, rng.standard_normal((4, 3, 3, 3)), padding="bogus", context=ctx)
    with pytest.raises(winsum.Error):
        winsum.conv_forward(x, rng.standard_normal((4, 3, 3, 3)), stride=0, context=ctx)
    with pytest.raises(winsum.Error):
        winsum.conv_transpose(x, rng.standard_normal((3, 2, 3, 3)), padding="same", context=ctx)
    gx = np.full((2, 3, 8, 8), 1.0)
    with pytest.raises(winsum.Error):  # grad_output of the wrong size
        winsum.conv_backward_data(np.ones((2, 4, 5, 5)), np.ones((4, 3, 3, 3)), x.shape, out=gx,
                                  context=ctx)
    assert (gx == 1.0).all()


def test_accumulate_beta(ctx, rng):
    x, gy = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((2, 4, 4, 4))
    gw = np.ones((4, 3, 3, 3))
    winsum.conv_backward_weight(x, gy, gw.shape, out=gw, beta=1.0, context=ctx)
    want = winsum.conv_backward_weight(x, gy, gw.shape, context=ctx) + 1.0
    np.testing.assert_allclose(gw, want, rtol=1e-12)
