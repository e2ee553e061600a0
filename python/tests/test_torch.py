# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""winsum.torch: autograd convolutions and einsum, gradcheck in float64."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import winsum
import winsum.torch as wt


def r(*shape, grad=True):
    return torch.randn(*shape, dtype=torch.float64, requires_grad=grad)


@pytest.mark.parametrize("ns,kw", [
    (1, dict(stride=2, padding=1)),
    (2, dict(padding=1)),
    (2, dict(stride=(2, 1), padding=((1, 0), (0, 2)), dilation=(1, 2))),
    (2, dict(padding="same", groups=2)),
    (3, dict(padding=(1, 0, 1))),
])
def test_gradcheck_conv(ctx, ns, kw):
    torch.manual_seed(0)
    x = r(2, 4, *[5] * ns)
    w = r(2 if kw.get("groups") else 3, 2 if kw.get("groups") else 4, *[3 - (ns == 3)] * ns)
    b = r(w.shape[0])
    assert torch.autograd.gradcheck(lambda x, w, b: wt.conv(x, w, b, context=ctx, **kw),
                                    (x, w, b))


def test_conv_matches_torch(ctx):
    torch.manual_seed(1)
    x, w, b = r(2, 3, 8, 8), r(4, 3, 3, 3), r(4)
    y = wt.conv(x, w, b, padding=1, context=ctx)
    yt = F.conv2d(x, w, b, padding=1)
    assert torch.allclose(y, yt)
    g = torch.randn_like(y)
    ga = torch.autograd.grad(y, (x, w, b), g)
    gb = torch.autograd.grad(yt, (x, w, b), g)
    for u, v in zip(ga, gb):
        assert torch.allclose(u, v)


def test_conv2d_drop_in(ctx):
    torch.manual_seed(2)
    ref = torch.nn.Conv2d(3, 5, 3, stride=2, padding=1, bias=True).double()
    mine = wt.Conv2d(3, 5, 3, stride=2, padding=1, bias=True).double()
    mine.winsum_context = ctx
    mine.load_state_dict(ref.state_dict())
    x = torch.randn(2, 3, 9, 9, dtype=torch.float64)
    y1, y2 = ref(x), mine(x)
    assert torch.allclose(y1, y2)
    y1.sum().backward()
    y2.sum().backward()
    assert torch.allclose(ref.weight.grad, mine.weight.grad)
    assert torch.allclose(ref.bias.grad, mine.bias.grad)
    assert isinstance(mine, torch.nn.Conv2d)
    m = wt.Conv2d(2, 2, 3, padding=1, padding_mode="reflect").double()
    m.winsum_context = ctx
    rm = torch.nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect").double()
    rm.load_state_dict(m.state_dict())
    x = torch.randn(1, 2, 5, 5, dtype=torch.float64)
    assert torch.allclose(m(x), rm(x))


@pytest.mark.parametrize("subs,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 2)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("ii->i", [(4, 4)]),
    ("ij->", [(3, 4)]),
    ("ij,j->i", [(3, 4), (1,)]),
    ("...ij,...j->...i", [(2, 3, 4), (4,)]),
    ("ijk,k->j", [(2, 3, 4), (4,)]),
    ("i,j,k->ijk", [(2,), (3,), (2,)]),
])
def test_gradcheck_einsum(ctx, subs, shapes):
    torch.manual_seed(3)
    ops = [r(*s) for s in shapes]
    out = wt.einsum(subs, *ops, context=ctx)
    assert torch.allclose(out, torch.einsum(subs, *ops))
    assert torch.autograd.gradcheck(lambda *o: wt.einsum(subs, *o, context=ctx), ops)


def test_strided_tensor(ctx):
    x = torch.randn(2, 3, 10, 10, dtype=torch.float64)[:, :, ::2, 1::2]
    w = torch.randn(4, 3, 3, 3, dtype=torch.float64).permute(0, 1, 3, 2)
    assert torch.allclose(wt.conv(x, w, context=ctx), F.conv2d(x, w))


def test_bad_input(ctx):
    with pytest.raises(winsum.Error):
        wt.conv(r(1, 3, 5, 5), r(2, 4, 3, 3), context=ctx)
