# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""winsum.torch to second order and beyond (create_graph=True): every
derivative of a winsum conv or einsum is again computed by winsum, and
torch.autograd.gradgradcheck holds in float64. Small shapes: gradgradcheck
perturbs every element of the inputs and of the output's gradient."""
import pytest
import torch
import torch.nn.functional as F

import winsum
import winsum.torch as wt


def r(*shape, grad=True):
    return torch.randn(*shape, dtype=torch.float64, requires_grad=grad)


# (x shape, w shape, keyword arguments, bias?)
CONV = {
    "1d-stride-dil-groups-bias": ((2, 4, 7), (4, 2, 3),
                                  dict(stride=2, padding=1, dilation=2, groups=2), True),
    "1d-asym-pad": ((1, 3, 6), (2, 3, 2), dict(padding=((2, 1),)), False),
    "2d-stride-dil-asym-bias": ((2, 2, 5, 4), (3, 2, 2, 2),
                                dict(stride=(2, 1), padding=((1, 0), (0, 2)), dilation=(1, 2)),
                                True),
    "2d-same-groups": ((1, 4, 4, 4), (2, 2, 3, 3), dict(padding="same", groups=2), False),
    "2d-same-even-kernel-bias": ((1, 2, 4, 3), (2, 2, 2, 2), dict(padding="same"), True),
    "2d-nhwc-stride-bias": ((1, 4, 4, 3), (2, 3, 2, 2),
                            dict(stride=2, padding=1, layout="nhwc"), True),
    "3d-pad-bias": ((1, 2, 3, 3, 3), (2, 2, 2, 2, 2), dict(padding=(1, 0, 1)), True),
    "3d-stride-dil-groups": ((1, 2, 4, 3, 3), (2, 1, 2, 2, 1),
                             dict(stride=(2, 1, 1), dilation=(1, 2, 1), padding=1, groups=2),
                             False),
}


def close(m, t):
    """float64 agreement relative to the largest element (the results sum many
    terms of both signs, so a small element may carry the large ones' rounding)."""
    return m.shape == t.shape and float((m - t).abs().max()) <= 1e-10 * float(t.abs().max())


def torch_conv(x, w, b=None, layout="nchw", **kw):
    """The same convolution by torch (the reference)."""
    nd = x.dim() - 2
    if layout == "nhwc":
        x = x.movedim(-1, 1)
    pad = kw.pop("padding", 0)
    if not isinstance(pad, str) and not isinstance(pad, int) and \
            any(not isinstance(p, int) for p in pad):
        flat = []
        for lo, hi in reversed(pad):
            flat += [lo, hi]
        x, pad = F.pad(x, flat), 0
    y = getattr(F, "conv%dd" % nd)(x, w, b, padding=pad, **kw)
    return y.movedim(1, -1) if layout == "nhwc" else y


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("case", sorted(CONV))
def test_gradgradcheck_conv(ctx, case):
    xs, ws, kw, bias = CONV[case]
    torch.manual_seed(0)
    ops = [r(*xs), r(*ws)] + ([r(ws[0])] if bias else [])
    f = lambda *a: wt.conv(*a, context=ctx, **kw)  # noqa: E731
    assert torch.allclose(f(*ops), torch_conv(*ops, **kw))
    assert torch.autograd.gradgradcheck(f, ops)


def test_gradgradcheck_conv_channels_last_memory(ctx):
    """NCHW shapes with torch's channels_last strides (no layout argument)."""
    torch.manual_seed(1)
    x = torch.randn(1, 3, 4, 4, dtype=torch.float64).to(memory_format=torch.channels_last)
    w = torch.randn(2, 3, 2, 2, dtype=torch.float64).to(memory_format=torch.channels_last)
    x.requires_grad_()
    w.requires_grad_()
    b = r(2)
    f = lambda *a: wt.conv(*a, padding=1, context=ctx)  # noqa: E731
    assert torch.allclose(f(x, w, b), F.conv2d(x, w, b, padding=1))
    assert torch.autograd.gradgradcheck(f, (x, w, b))


@pytest.mark.parametrize("subs,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 2)]),                 # a contraction
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),       # three operands
    ("bij,bjk->bik", [(2, 3, 2), (2, 2, 3)]),         # batch matmul
    ("...ij,...j->...i", [(2, 3, 2), (2,)]),          # ellipsis broadcast
    ("ij,j->i", [(3, 4), (1,)]),                      # size-1 broadcast
    ("...ij,...jk->...ik", [(1, 3, 2), (2, 2, 2)]),   # batch broadcast from 1
    ("ii->i", [(3, 3)]),                              # diagonal
    ("ii->", [(3, 3)]),                               # trace
    ("iij,j->j", [(2, 2, 3), (3,)]),                  # a diagonal contracted
    ("ijk,k->j", [(2, 3, 2), (2,)]),                  # label only in one operand
    ("ij->", [(2, 3)]),                               # a full sum
    ("ij->i", [(3, 1)]),                              # a size-1 label summed
    ("i,j,k->ijk", [(2,), (3,), (2,)]),               # outer product
    ("ij,jk", [(2, 3), (3, 2)]),                      # implicit output
])
def test_gradgradcheck_einsum(ctx, subs, shapes):
    torch.manual_seed(2)
    ops = [r(*s) for s in shapes]
    f = lambda *o: wt.einsum(subs, *o, context=ctx)  # noqa: E731
    assert torch.allclose(f(*ops), torch.einsum(subs, *ops))
    assert torch.autograd.gradgradcheck(f, ops)


def test_einsum_same_operand_twice(ctx):
    """A quadratic form x^T A x: the second derivative is not zero."""
    torch.manual_seed(3)
    x, a = r(3), r(3, 3)
    f = lambda x, a: wt.einsum("i,ij,j->", x, a, x, context=ctx)  # noqa: E731
    h = torch.autograd.functional.hessian(lambda x: f(x, a), x)
    assert torch.allclose(h, a + a.T)
    assert torch.autograd.gradgradcheck(f, (x, a))


def _residual_penalty(conv, x, w1, b1, w2, b2, act):
    """A gradient penalty through a residual block: |d loss / dx|^2, and its
    gradients with respect to the parameters (second derivatives)."""
    y = x + conv(act(conv(x, w1, b1)), w2, b2)
    gx, = torch.autograd.grad((y * y).sum(), x, create_graph=True)
    penalty = (gx * gx).sum()
    return torch.autograd.grad(penalty, (w1, b1, w2, b2))


@pytest.mark.parametrize("act", [torch.relu, torch.tanh], ids=["relu", "tanh"])
def test_gradient_penalty_matches_torch(ctx, act):
    torch.manual_seed(4)
    x = r(2, 3, 6, 6)
    w1, b1, w2, b2 = r(4, 3, 3, 3), r(4), r(3, 4, 3, 3), r(3)
    mine = _residual_penalty(lambda x, w, b: wt.conv(x, w, b, padding=1, context=ctx),
                             x, w1, b1, w2, b2, act)
    ref = _residual_penalty(lambda x, w, b: F.conv2d(x, w, b, padding=1),
                            x, w1, b1, w2, b2, act)
    for m, t in zip(mine, ref):
        assert close(m, t), (m.norm(), t.norm())


def test_third_derivative_matches_torch(ctx):
    """Any order: d^3/dx^3 of sum(tanh(conv(x, w)))^2 along a direction, and
    the same through einsum."""
    torch.manual_seed(5)
    x, w, v = r(1, 2, 5), r(3, 2, 2), torch.randn(1, 2, 5, dtype=torch.float64)

    def third(conv):
        y = conv(x, w)
        s = (torch.tanh(y) ** 2).sum()
        g1, = torch.autograd.grad(s, x, create_graph=True)
        g2, = torch.autograd.grad((g1 * v).sum(), x, create_graph=True)
        g3 = torch.autograd.grad((g2 * v).sum(), (x, w))
        return g3

    mine = third(lambda x, w: wt.conv(x, w, stride=2, padding=1, context=ctx))
    ref = third(lambda x, w: F.conv1d(x, w, stride=2, padding=1))
    for m, t in zip(mine, ref):
        assert close(m, t)
    a, b = r(3, 4), r(4, 2)

    def third_e(es):
        s = (es("ij,jk->ik", a, b) ** 3).sum()
        g1, = torch.autograd.grad(s, a, create_graph=True)
        g2, = torch.autograd.grad(g1.sum(), b, create_graph=True)
        return torch.autograd.grad((g2 ** 2).sum(), (a, b))

    for m, t in zip(third_e(lambda s, *o: wt.einsum(s, *o, context=ctx)),
                    third_e(torch.einsum)):
        assert close(m, t)


class _Poison:
    """A default context that fails the test when anything uses it."""

    def __getattr__(self, name):
        raise AssertionError("the default context was used, not context=")

    def __bool__(self):
        return True


def test_backward_uses_context(ctx):
    """context= reaches every derivative (first and second order, conv and
    einsum); nothing falls back to the default context."""
    torch.manual_seed(6)
    x, w, b = r(1, 2, 4, 4), r(2, 2, 2, 2), r(2)
    a, c = r(2, 3), r(3, 2)
    winsum.set_default_context(_Poison())
    try:
        y = wt.conv(x, w, b, padding=1, context=ctx)
        z = wt.einsum("ij,jk->ik", a, c, context=ctx)
        g = torch.autograd.grad((y * y).sum() + (z * z).sum(), (x, w, b, a, c),
                                create_graph=True)
        gg = torch.autograd.grad(sum((t * t).sum() for t in g), (x, w, b, a, c))
        assert all(t is not None for t in gg)
    finally:
        winsum.set_default_context(None)


def test_einsum_diagonal_with_every_letter_used(ctx):
    """A repeated label when the subscripts use all 52 letters: the gradient
    needs no letter beyond them (and agrees with torch to second order)."""
    torch.manual_seed(7)
    letters = wt._LETTERS
    subs = "aa," + letters[1:27] + "," + letters[27:] + "->a"
    a = r(2, 2)
    b, c = r(*[1] * 26), r(*[1] * 25)

    def grads(es):
        z = es(subs, a, b, c)
        g = torch.autograd.grad((z * z).sum(), (a, b, c), create_graph=True)
        return g + torch.autograd.grad(sum((t * t).sum() for t in g), (a, b, c))

    for m, t in zip(grads(lambda s, *o: wt.einsum(s, *o, context=ctx)), grads(torch.einsum)):
        assert close(m, t)


def test_einsum_32_operands(ctx):
    """The most operands winsum takes, one with a label of its own: the
    gradient einsums stay within that many operands (the ones tensor for the
    label comes in a second einsum), to second order, as torch's."""
    torch.manual_seed(8)
    ops = [r(2, 3)] + [r(3) for _ in range(31)]
    subs = "ab," + ",".join(["b"] * 31) + "->b"

    def grads(es):
        z = es(subs, *ops)
        g = torch.autograd.grad((z * z).sum(), ops[:3], create_graph=True)
        return g + torch.autograd.grad(sum((t * t).sum() for t in g), ops[:3])

    for m, t in zip(grads(lambda s, *o: wt.einsum(s, *o, context=ctx)), grads(torch.einsum)):
        assert close(m, t)
