"""winsum.einsum's numpy signature: which path each dtype takes (winsum or the
host), the complex decomposition, exact integers, explicit paths, layouts."""
import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided

import winsum
from winsum import _numpy_api

NP_EINSUM = _numpy_api._np_einsum  # numpy's own, whatever np.einsum is now


@pytest.fixture
def no_host(monkeypatch):
    """Fails the test if winsum hands the computation to numpy's einsum."""
    def refuse(*a, **k):
        raise AssertionError("computed by numpy's einsum on the host")
    monkeypatch.setattr(_numpy_api, "_np_einsum", refuse)


@pytest.fixture
def host_calls(monkeypatch):
    calls = []

    def record(*a, **k):
        calls.append(a)
        return NP_EINSUM(*a, **k)
    monkeypatch.setattr(_numpy_api, "_np_einsum", record)
    return calls


@pytest.fixture
def winsum_calls(monkeypatch):
    """The subscripts of each call into winsum's float einsum."""
    calls = []
    real = _numpy_api._wein.einsum

    def record(subs, *ops, **k):
        calls.append(subs)
        return real(subs, *ops, **k)
    monkeypatch.setattr(_numpy_api._wein, "einsum", record)
    # the fast path for numpy operands calls the C library itself: off here
    monkeypatch.setattr(_numpy_api, "_numpy_fast", lambda *a, **k: None)
    return calls


def crand(rng, shape, dtype):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


COMPLEX_CASES = [
    ("ij,jk->ik", [(4, 5), (5, 3)], [True, True]),
    ("ij,jk->ik", [(4, 5), (5, 3)], [True, False]),
    ("ij,jk->ik", [(4, 5), (5, 3)], [False, True]),
    ("ij,jk,kl->il", [(3, 4), (4, 5), (5, 2)], [True, True, True]),
    ("i,i,i,i->", [(6,), (6,), (6,), (6,)], [True, True, False, True]),
    ("ii->i", [(4, 4)], [True]),
    ("bij,bjk->bki", [(2, 3, 4), (2, 4, 5)], [True, True]),
    ("a,b,c,d,e,f,g->", [(2,)] * 7, [True] * 7),  # > 6 complex operands: pairwise
]


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("subs,shapes,cplx", COMPLEX_CASES)
def test_complex_on_winsum(ctx, rng, no_host, subs, shapes, cplx, dtype):
    part = np.float32 if dtype == np.complex64 else np.float64
    ops = [crand(rng, s, dtype) if c else rng.standard_normal(s).astype(part)
           for s, c in zip(shapes, cplx)]
    want = NP_EINSUM(subs, *ops)
    got = winsum.einsum(subs, *ops, context=ctx)
    assert got.dtype == want.dtype
    tol = 1e-4 if dtype == np.complex64 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_complex_strided_views_and_beta(ctx, rng, no_host):
    base = crand(rng, (6, 8), np.complex128)
    a = base[::2, ::-1]           # negative and doubled strides: real views, no copy
    b = crand(rng, (8, 5), np.complex128).T.copy().T   # Fortran order
    out = crand(rng, (3, 5), np.complex128)
    want = 2.0 * NP_EINSUM("ij,jk->ik", a, b) + 0.5 * out
    got = winsum.einsum("ij,jk->ik", a, b, out=out, alpha=2.0, beta=0.5, context=ctx)
    assert got is out
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)


def test_complex_dtype_from_real_operands(ctx, rng, no_host):
    a, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(4)
    with pytest.raises(TypeError):  # float64 to complex64 is not 'safe'
        winsum.einsum("ij,j->i", a, b, dtype=np.complex64, context=ctx)
    got = winsum.einsum("ij,j->i", a, b, dtype=np.complex64, casting="same_kind", context=ctx)
    assert got.dtype == np.complex64
    np.testing.assert_allclose(got, (a @ b).astype(np.complex64), rtol=1e-5)
    assert (got.imag == 0).all()


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int32, np.uint32, np.int64,
                                   np.uint64, np.bool_])
def test_exact_integers_on_winsum(ctx, rng, no_host, dtype):
    """Inside the 2**53 bound integers and bools run on winsum in float64 and
    equal numpy's exactly (narrow integers wrap as numpy's do)."""
    if dtype == np.bool_:
        a = rng.integers(0, 2, (5, 7)).astype(bool)
        b = rng.integers(0, 2, (7, 3)).astype(bool)
    else:
        info = np.iinfo(dtype)
        lo, hi = max(info.min, -1000), min(info.max, 1000)
        a = rng.integers(lo, hi, (5, 7), endpoint=True).astype(dtype)
        b = rng.integers(lo, hi, (7, 3), endpoint=True).astype(dtype)
    for subs, ops in [("ij,jk->ik", (a, b)), ("ij->", (a,)), ("ij,ij->i", (a, a)),
                      ("ii->", (a[:5, :5],))]:
        want = NP_EINSUM(subs, *ops)
        got = winsum.einsum(subs, *ops, context=ctx)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_exact_bound_edges(ctx, host_calls):
    """Just below 2**53 winsum computes it; at 2**53 numpy's einsum does (float64
    would round there), and both give numpy's wrapped int64 result."""
    n = 2 ** 26
    a = np.array([n - 1, 1], np.int64)  # B = (2**26 - 1)**2 * 2 < 2**53
    assert winsum.einsum("i,i", a, a, context=ctx) == (n - 1) ** 2 + 1
    assert not host_calls
    b = np.array([2 ** 52 + 1, 2 ** 52 + 1], np.int64)  # the exact sum is odd
    one = np.ones(2, np.int64)
    got = winsum.einsum("i,i", b, one, context=ctx)
    assert len(host_calls) == 1
    assert got == 2 ** 53 + 2 and got == NP_EINSUM("i,i", b, one)
    big = np.full(3, 2 ** 62, np.int64)  # wraps modulo 2**64, as numpy's loop does
    assert winsum.einsum("i,i", big, np.full(3, 4, np.int64), context=ctx) == \
        NP_EINSUM("i,i", big, np.full(3, 4, np.int64))


def test_int8_wraps_like_numpy(ctx, no_host):
    a = np.full(10, 100, np.int8)
    got = winsum.einsum("i,i", a, a, context=ctx)  # 100000 mod 256, signed
    assert got.dtype == np.int8 and got == NP_EINSUM("i,i", a, a)


@pytest.mark.parametrize("dtype", [np.longdouble, np.clongdouble])
def test_host_dtypes(ctx, host_calls, dtype):
    a = np.arange(6).reshape(2, 3).astype(dtype)
    got = winsum.einsum("ij,kj->ik", a, a, context=ctx)
    assert len(host_calls) == 1
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, NP_EINSUM("ij,kj->ik", a, a))


def test_explicit_path_is_run_step_by_step(ctx, rng, winsum_calls):
    ops = [rng.standard_normal(s) for s in [(3, 4), (4, 5), (5, 6), (6, 2)]]
    path = ["einsum_path", (2, 3), (0, 1), (0, 1)]
    got = winsum.einsum("ij,jk,kl,lm->im", *ops, optimize=path, context=ctx)
    # (2, 3) contracts kl,lm -> km; then ij,jk -> ik; then km,ik -> im
    assert winsum_calls == ["kl,lm->km", "ij,jk->ik", "km,ik->im"]
    np.testing.assert_allclose(got, NP_EINSUM("ij,jk,kl,lm->im", *ops), rtol=1e-12)
    del winsum_calls[:]
    winsum.einsum("ij,jk,kl,lm->im", *ops, optimize="optimal", context=ctx)
    assert winsum_calls == ["ij,jk,kl,lm->im"]  # winsum's planner orders it
    with pytest.raises(RuntimeError):
        winsum.einsum("ij,jk,kl,lm->im", *ops, optimize=["einsum_path", (0, 1)], context=ctx)
    with pytest.raises(TypeError):
        winsum.einsum("ij,jk", *ops[:2], optimize="fastest", context=ctx)


def test_einsum_path_reads_no_device_data(ctx, rng):
    a = winsum.asarray(rng.standard_normal((3, 4)), context=ctx)
    b = rng.standard_normal((4, 5))
    before = winsum.transfer_count()
    path, report = winsum.einsum_path("ij,jk->ik", a, b, optimize="greedy")
    assert winsum.transfer_count() == before
    assert path == ["einsum_path", (0, 1)]
    assert "ij,jk->ik" in report and "Optimized FLOP count:" in report


@pytest.mark.parametrize("order,c,f", [("C", True, False), ("F", False, True),
                                       ("A", False, True), ("K", False, False)])
def test_order(ctx, order, c, f):
    a = np.ones((2, 3, 5), order="F")
    b = np.ones((4, 3), order="F")
    got = winsum.einsum("...ft,mf->...mt", a, b, order=order, context=ctx)
    want = NP_EINSUM("...ft,mf->...mt", a, b, order=order)
    assert (got.flags.c_contiguous, got.flags.f_contiguous) == (c, f)
    assert got.strides == want.strides
    np.testing.assert_array_equal(got, want)


def test_views_and_errors(ctx):
    a = np.arange(12.0).reshape(3, 4).copy()
    v = winsum.einsum("ij->ji", a, context=ctx)
    assert v.base is a and v.flags.writeable
    d = np.arange(9.0).reshape(3, 3).copy()
    assert winsum.einsum("ii->i", d, context=ctx).base is d
    with pytest.raises(TypeError) as e:  # numpy's TypeError, still a winsum.Error
        winsum.einsum("ij,jk", a, a.T, out=np.zeros((3, 3), np.float32), context=ctx)
    assert isinstance(e.value, winsum.Error) and e.value.status_name == "WINSUM_ERR_DTYPE"
    with pytest.raises(ValueError, match="'i'"):
        winsum.einsum("ii", a, context=ctx)
    with pytest.raises(TypeError):
        winsum.einsum("ij", a, bogus=1)
    z = as_strided(np.zeros(1), (3, 4), (0, 0))
    with pytest.raises(ValueError):  # read-only out, nothing written
        winsum.einsum("ij->ij", a, out=z, context=ctx)


def test_out_takes_part_in_the_dtype(ctx):
    """numpy's iterator: out's dtype joins the common dtype (a 0-d out by its
    value), and out must cast both ways under `casting`."""
    a = np.full(3, 2.0 ** 24 / 3, np.float32)
    got = winsum.einsum("i,i->i", a, a, out=np.zeros(3), context=ctx)  # computed in f8
    np.testing.assert_array_equal(got, NP_EINSUM("i,i->i", a, a, out=np.zeros(3)))
    h = (np.arange(2000) / 7).astype(np.float16)
    o1, o2 = np.zeros(()), np.zeros(())
    NP_EINSUM("i->", h, out=o1)
    winsum.einsum("i->", h, out=o2, context=ctx)  # 0-d out of value 0: float16, as numpy
    assert np.isinf(o1) and np.isinf(o2)
    with pytest.raises(TypeError):  # out float64 -> dtype float16 refused by 'safe'
        winsum.einsum("i,i->i", h, h, out=np.zeros(2000), dtype=np.float16, context=ctx)
    o = np.zeros(())
    winsum.einsum("i->", h, out=o, dtype=np.float16, context=ctx)  # 0-d: by value, fine


@pytest.mark.filterwarnings("ignore::numpy.ComplexWarning")
def test_random_calls_match_numpy():
    """Seeded random calls (operand, out and computation dtypes, casting,
    optimize) give numpy's dtype, values and exception type."""
    ctx = winsum.Context(backend="ref")
    rng = np.random.default_rng(7)
    dts = [np.float16, np.float32, np.float64, np.complex64, np.complex128, np.int8,
           np.uint8, np.int32, np.int64, np.bool_]
    compared = 0
    for _ in range(150):
        size = {c: int(rng.integers(1, 4)) for c in "abcde"}
        terms = ["".join(rng.choice(list("abcde"), int(rng.integers(0, 4))))
                 for _ in range(int(rng.integers(1, 4)))]
        labels = sorted(set("".join(terms)))
        subs = ",".join(terms) + "->" + "".join(
            rng.permutation(labels)[:int(rng.integers(0, len(labels) + 1))])
        ops = []
        for t in terms:
            x = rng.standard_normal([size[c] for c in t]) * 3
            dt = np.dtype(dts[rng.integers(len(dts))])
            ops.append((x + 1j * (0.7 * x + 1) if dt.kind == "c" else x).astype(dt))
        kw = {"casting": ["no", "safe", "same_kind", "unsafe"][rng.integers(4)]}
        if rng.random() < 0.4:
            kw["dtype"] = dts[rng.integers(len(dts))]
        try:
            shape = np.shape(NP_EINSUM(subs, *ops, **kw))
        except (TypeError, ValueError):
            shape = None
        out = None
        if shape is not None and rng.random() < 0.5:
            out = (rng.standard_normal(shape) * 3).astype(dts[rng.integers(len(dts))])
        opt = [False, True, "greedy", "optimal"][rng.integers(4)]
        res = []
        for f, extra in ((NP_EINSUM, {}), (winsum.einsum, {"optimize": opt, "context": ctx})):
            o = None if out is None else out.copy()
            try:
                res.append((np.asarray(f(subs, *ops, out=o, **kw, **extra)), None))
            except (TypeError, ValueError) as e:
                res.append((None, e))
        (want, we), (got, ge) = res
        if we is not None or ge is not None:
            assert we is not None and isinstance(ge, type(we)), (subs, kw, we, ge)
            continue
        compared += 1
        assert got.dtype == want.dtype and got.shape == want.shape, (subs, kw)
        if want.dtype.kind in "biu":
            np.testing.assert_array_equal(got, want, err_msg=subs)
        else:
            kinds = [np.dtype(kw.get("dtype", want.dtype))] + [a.dtype for a in ops]
            t = 3e-2 if np.dtype(np.float16) in kinds else (
                1e-4 if {np.dtype(np.float32), np.dtype(np.complex64)} & set(kinds) else 1e-9)
            scale = max(1.0, float(np.abs(want).max()) if want.size else 1.0)
            np.testing.assert_allclose(got, want, rtol=t, atol=t * scale, err_msg=subs)
    assert compared > 60


def test_integer_path_checks_and_scaling(ctx):
    a = np.arange(6).reshape(2, 3)
    with pytest.raises(RuntimeError):  # an explicit path is checked for every dtype
        winsum.einsum("ij,jk,kl->il", a, a.T, a, optimize=["einsum_path", (0, 1)], context=ctx)
    out = np.ones((2, 2), np.int64)
    with pytest.raises(winsum.Error):  # alpha/beta: float and complex only, nothing written
        winsum.einsum("ij,kj->ik", a, a, out=out, beta=1.0, context=ctx)
    assert (out == 1).all()


def test_empty_sizes(ctx):
    for subs, shapes in [("ij,jk->ik", [(2, 0), (0, 3)]), ("ij,jk->ik", [(0, 2), (2, 3)]),
                         ("i->", [(0,)])]:
        for dt in (np.float32, np.complex64, np.int32):
            ops = [np.ones(s, dt) for s in shapes]
            got = winsum.einsum(subs, *ops, context=ctx)
            want = NP_EINSUM(subs, *ops)
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_array_equal(got, want)
