#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""test_numpy.py - the winsum CLI against numpy.

Usage: /usr/bin/python3 tests/test_numpy.py path/to/winsum

Writes random arrays (seeded; WINSUM_TEST_SEED=N replays a run) as .npy
files, runs `winsum einsum` and `winsum conv ...` on both backends
(--backend ref and --backend opencl) and compares the results with
numpy.einsum and with a numpy convolution built the practitioner's way
(np.pad, as_strided windows, einsum 'ncxyij,ocij->noxy', plus bias; the
backward passes as the matching einsums and a scatter-add).

Tolerances scale with the reduction length K (the iteration space over the
output's size) and with the magnitude einsum(|operands|) of the result:
float32 1e-5 * sqrt(K), float64 1e-12 * sqrt(K), float16 2e-3 * sqrt(K)
(float16 is storage: sums in float32, each output rounded to half once,
2^-11 relative, and intermediates of longer chains once each).

The OpenCL cases are skipped (and said so) when `winsum devices` lists no
OpenCL device. The last line is "test_numpy: N passed, M failed".
"""
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
from numpy.lib.stride_tricks import as_strided

if len(sys.argv) != 2:
    sys.exit("usage: test_numpy.py path/to/winsum")
WINSUM = sys.argv[1]

seed = int(os.environ.get("WINSUM_TEST_SEED", str(int.from_bytes(os.urandom(4), "little"))))
print(f"test_numpy: seed {seed} (replay with WINSUM_TEST_SEED={seed})")
rng = np.random.default_rng(seed)

passed = 0
failed = 0
tmp = tempfile.TemporaryDirectory(prefix="winsum_test_numpy_")
counter = 0


def fresh(name):
    global counter
    counter += 1
    return os.path.join(tmp.name, f"{counter}_{name}.npy")


def result(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what}: {detail}")


def run(args):
    p = subprocess.run([WINSUM] + args, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stderr.strip()


def have_opencl():
    p = subprocess.run([WINSUM, "devices"], capture_output=True, text=True, timeout=60)
    return p.returncode == 0 and "no OpenCL device found" not in p.stdout


BACKENDS = ["ref", "opencl"] if have_opencl() else ["ref"]
if "opencl" not in BACKENDS:
    print("test_numpy: no OpenCL device: the opencl cases are skipped")


def label_sizes(subscripts, shapes):
    """Sizes of every label, ellipsis dimensions included (right-aligned)."""
    sizes = {}
    terms = subscripts.replace(" ", "").split("->")[0].split(",")
    for term, shape in zip(terms, shapes):
        if "..." in term:
            pre, post = term.split("...")
            nell = len(shape) - len(pre) - len(post)
            labels = list(pre) + [f".{nell - i}" for i in range(nell)] + list(post)
        else:
            labels = list(term)
        for lab, n in zip(labels, shape):
            sizes[lab] = n if sizes.get(lab, 1) == 1 else sizes[lab]
    return sizes


def compare(what, got, want, mag, k, dtype):
    """got against want (float64): shape, dtype, and |got - want| <= tol."""
    if got.shape != want.shape:
        return result(False, what, f"shape {got.shape}, numpy gives {want.shape}")
    if got.dtype != dtype:
        return result(False, what, f"dtype {got.dtype}, expected {dtype}")
    rtol = {np.float32: 1e-5, np.float64: 1e-12, np.float16: 2e-3}[np.dtype(dtype).type]
    tol = rtol * math.sqrt(max(k, 1)) * max(mag, 1e-30)
    err = float(np.max(np.abs(got.astype(np.float64) - want))) if want.size else 0.0
    if not np.all(np.isfinite(got)):
        err = math.inf
    result(err <= tol, what, f"max error {err:.3g} > tolerance {tol:.3g}")


# ------------------------------------------------------------------ einsum

F2, F4, F8 = np.float16, np.float32, np.float64


def einsum_case(subscripts, shapes, dtypes=None, fortran=None):
    dtypes = dtypes or [F4] * len(shapes)
    fortran = fortran or [False] * len(shapes)
    ops, paths = [], []
    for i, (shape, dt, f) in enumerate(zip(shapes, dtypes, fortran)):
        a = rng.standard_normal(shape).astype(dt)
        if f:
            a = np.asfortranarray(a)
        path = fresh(f"op{i}")
        np.save(path, a)
        ops.append(a)
        paths.append(path)
    out_dtype = np.result_type(*dtypes)
    wide = [a.astype(np.float64) for a in ops]
    want = np.asarray(np.einsum(subscripts, *wide))
    mag = float(np.max(np.einsum(subscripts, *[np.abs(a) for a in wide]), initial=0.0))
    sizes = label_sizes(subscripts, shapes)
    k = math.prod(sizes.values()) / max(want.size, 1)
    tag = ",".join("F" if f else "" for f in fortran).strip(",")
    for backend in BACKENDS:
        what = f"einsum '{subscripts}' {shapes} {[np.dtype(d).name for d in dtypes]}" + \
               (f" fortran={fortran}" if tag else "") + f" --backend {backend}"
        out = fresh("out")
        rc, err = run(["einsum", subscripts] + paths + ["-o", out, "--backend", backend])
        if rc != 0:
            result(False, what, f"exit {rc}: {err}")
            continue
        compare(what, np.load(out), want, mag, k, out_dtype)


EINSUM_CASES = [
    # explicit and implicit output, transposes
    ("ij,jk->ik", [(5, 7), (7, 3)]),
    ("ij,jk", [(5, 7), (7, 3)]),
    ("ij,jk->ki", [(4, 6), (6, 5)]),
    ("ba,ac", [(3, 4), (4, 5)]),
    ("ij->ji", [(3, 5)]),
    ("ji", [(3, 5)]),
    ("ijk->kij", [(2, 3, 4)]),
    ("ij", [(3, 4)]),
    # matmul, batch matmul, bigger tiles
    ("ij,jk->ik", [(64, 70), (70, 50)]),
    ("bij,bjk->bik", [(3, 33, 17), (3, 17, 29)]),
    ("ik,kj->ij", [(1, 5), (5, 1)]),
    ("ij,jk", [(3, 0), (0, 4)]),
    # dot, outer, elementwise
    ("i,i", [(7,)]*2),
    ("i,i->", [(100,)]*2),
    ("i,j->ij", [(4,), (5,)]),
    ("i,j", [(4,), (5,)]),
    ("ij,ij->ij", [(3, 4)]*2),
    ("ij,ij->i", [(3, 4)]*2),
    ("ij,jk->ijk", [(2, 3), (3, 4)]),
    # ellipsis and size-1 broadcasting
    ("...ij,...jk->...ik", [(2, 3, 4, 5), (3, 5, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 4, 5), (3, 5, 2)]),
    ("...ij,...jk", [(2, 3, 4, 5), (3, 5, 2)]),
    ("...i,...i->...", [(4, 1, 3), (5, 3)]),
    ("i...->...", [(3, 2, 4)]),
    ("...,...", [(2, 3), (1, 3)]),
    ("ij,ij->ij", [(3, 1), (1, 4)]),
    # diagonals and sums inside one operand
    ("ii->i", [(5, 5)]),
    ("ii", [(5, 5)]),
    ("iij->j", [(4, 4, 3)]),
    ("iji->ij", [(3, 2, 3)]),
    ("ij->", [(6, 7)]),
    ("ij->i", [(6, 7)]),
    ("ij->j", [(6, 7)]),
    ("ijk->", [(3, 4, 5)]),
    ("i->", [(1000,)]),
    ("ii,jj", [(3, 3), (4, 4)]),
    # 0-d operands
    ("->", [()]),
    (",ij->ij", [(), (3, 4)]),
    (",ij", [(), (3, 4)]),
    (",", [(), ()]),
    # three and four operands
    ("ij,jk,kl->il", [(4, 5), (5, 6), (6, 3)]),
    ("i,ij,j->", [(4,), (4, 5), (5,)]),
    ("abc,cd,de->abe", [(2, 3, 4), (4, 5), (5, 3)]),
    ("ij,jk,kl,lm->im", [(3, 4), (4, 5), (5, 6), (6, 2)]),
    ("ab,bc,cd,da->", [(3, 4), (4, 5), (5, 6), (6, 3)]),
    ("ab,bc,cd,de", [(3, 4), (4, 5), (5, 6), (6, 3)]),
    # upper- and lower-case labels, spaces
    ("aA,Ab->ab", [(3, 4), (4, 5)]),
    ("Ij,jK", [(3, 4), (4, 5)]),
    ("aB,Ba", [(3, 4), (4, 3)]),
    (" ij , jk -> ik ", [(3, 4), (4, 5)]),
]

for subs, shapes in EINSUM_CASES:
    einsum_case(subs, shapes)

# Fortran-ordered inputs (saved with np.asfortranarray: strided views)
einsum_case("ij,jk->ik", [(5, 7), (7, 3)], fortran=[True, True])
einsum_case("ij,jk->ik", [(5, 7), (7, 3)], fortran=[True, False])
einsum_case("ijk->kji", [(2, 3, 4)], fortran=[True])
einsum_case("ii->i", [(4, 4)], fortran=[True])
einsum_case("bij,bjk->bik", [(2, 5, 3), (2, 3, 4)], fortran=[False, True])
# float64 and mixed float32/float64 (the result is float64)
einsum_case("ij,jk->ik", [(6, 8), (8, 5)], dtypes=[F8, F8])
einsum_case("bij,bjk", [(2, 9, 7), (2, 7, 3)], dtypes=[F8, F8])
einsum_case("ij,jk->ik", [(6, 8), (8, 5)], dtypes=[F4, F8])
einsum_case("i,ij,j->", [(4,), (4, 5), (5,)], dtypes=[F8, F4, F4])
einsum_case("ii->i", [(5, 5)], dtypes=[F8])
einsum_case("ij,jk->ik", [(5, 7), (7, 3)], dtypes=[F8, F4], fortran=[True, True])
# float16 ('<f2' files), and float16 with float32 (the result is float32)
einsum_case("ij,jk->ik", [(6, 300), (300, 5)], dtypes=[F2, F2])
einsum_case("bij,bjk", [(2, 9, 7), (2, 7, 3)], dtypes=[F2, F2])
einsum_case("i,ij,j->", [(4,), (4, 5), (5,)], dtypes=[F2, F2, F2])
einsum_case("ijk->kji", [(2, 3, 4)], dtypes=[F2], fortran=[True])
einsum_case("ij,jk->ik", [(6, 8), (8, 5)], dtypes=[F2, F4])

# --------------------------------------------------------------- conv
# 2-D, NCHW, in float64. Each reference is linear in each argument, so the
# same function over |arguments| gives the magnitude for the tolerance.

def windows(x, kh, kw, stride, pad, dil):
    """The window view (n, c, oh, ow, kh, kw) of x padded by pad = (lo, hi)."""
    x = np.pad(x, ((0, 0), (0, 0), pad, pad))
    n, c, h, wd = x.shape
    oh = (h - dil * (kh - 1) - 1) // stride + 1
    ow = (wd - dil * (kw - 1) - 1) // stride + 1
    s = x.strides
    return as_strided(x, (n, c, oh, ow, kh, kw),
                      (s[0], s[1], s[2] * stride, s[3] * stride, s[2] * dil, s[3] * dil))


def ref_forward(x, w, b, stride, pad, dil, groups):
    win = windows(x, w.shape[2], w.shape[3], stride, pad, dil)
    cg, og = w.shape[1], w.shape[0] // groups
    y = np.concatenate([np.einsum("ncxyij,ocij->noxy", win[:, g * cg:(g + 1) * cg],
                                  w[g * og:(g + 1) * og]) for g in range(groups)], axis=1)
    return y if b is None else y + b[None, :, None, None]


def ref_backward_weight(x, gy, wshape, stride, pad, dil, groups):
    win = windows(x, wshape[2], wshape[3], stride, pad, dil)
    cg, og = wshape[1], wshape[0] // groups
    return np.concatenate([np.einsum("ncxyij,noxy->ocij", win[:, g * cg:(g + 1) * cg],
                                     gy[:, g * og:(g + 1) * og]) for g in range(groups)], axis=0)


def ref_backward_data(gy, w, xshape, stride, pad, dil, groups):
    """Scatter-add of every tap into the padded input, then the crop."""
    n, c, h, wd = xshape
    o, cg, kh, kw = w.shape
    og = o // groups
    oh, ow = gy.shape[2], gy.shape[3]
    gx = np.zeros((n, c, h + 2 * pad[0] + stride + dil * kh, wd + 2 * pad[0] + stride + dil * kw))
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                gx[:, g * cg:(g + 1) * cg,
                   i * dil:i * dil + stride * (oh - 1) + 1:stride,
                   j * dil:j * dil + stride * (ow - 1) + 1:stride] += np.einsum(
                    "noxy,oc->ncxy", gy[:, g * og:(g + 1) * og], w[g * og:(g + 1) * og, :, i, j])
    return gx[:, :, pad[0]:pad[0] + h, pad[0]:pad[0] + wd]


def conv_check(what, args, want, mag, k, dtype, layout):
    """Runs a conv command on each backend; want is NCHW, layout the output's."""
    if layout == "nhwc" and want.ndim == 4:
        want = want.transpose(0, 2, 3, 1)
    for backend in BACKENDS:
        out = fresh("out")
        rc, err = run(args + ["-o", out, "--backend", backend])
        if rc != 0:
            result(False, f"{what} --backend {backend}", f"exit {rc}: {err}")
            continue
        compare(f"{what} --backend {backend}", np.load(out), want, mag, k, dtype)


def conv_case(name, n=2, c=4, h=9, wd=8, o=6, k=3, stride=1, pad=(0, 0), dil=1, groups=1,
              bias=True, dtype=F4, layout="nchw", pad_arg=None, backward=True):
    """conv forward against numpy; with backward, also backward-data,
    backward-weight, backward-bias and transpose (padding must be symmetric)."""
    x = rng.standard_normal((n, c, h, wd)).astype(dtype)
    w = rng.standard_normal((o, c // groups, k, k)).astype(dtype)
    b = rng.standard_normal((o,)).astype(dtype) if bias else None
    x8, w8, b8 = x.astype(F8), w.astype(F8), None if b is None else b.astype(F8)
    geo = (stride, pad, dil, groups)
    y = ref_forward(x8, w8, b8, *geo)
    gy = rng.standard_normal(y.shape).astype(dtype)
    gy8 = gy.astype(F8)

    def save(name, a, activation=True):
        if layout == "nhwc" and activation:
            a = np.ascontiguousarray(a.transpose(0, 2, 3, 1))
        path = fresh(name)
        np.save(path, a)
        return path

    xp, wp, gyp = save("x", x), save("w", w, False), save("gy", gy)
    opts = ["--stride", str(stride), "--padding", pad_arg or f"{pad[0]}:{pad[1]}",
            "--dilation", str(dil), "--groups", str(groups), "--layout", layout]
    args = ["conv", "forward", "--input", xp, "--weight", wp] + opts
    if b is not None:
        args += ["--bias", save("b", b, False)]
    mag = ref_forward(np.abs(x8), np.abs(w8), None if b is None else np.abs(b8), *geo)
    kk = w.shape[1] * k * k
    conv_check(f"conv forward {name}", args, y, mag.max(initial=0), kk, dtype, layout)
    if not backward:
        return

    xshape = ",".join(map(str, x.shape if layout == "nchw" else x.transpose(0, 2, 3, 1).shape))
    gx = ref_backward_data(gy8, w8, x.shape, *geo)
    mag = ref_backward_data(np.abs(gy8), np.abs(w8), x.shape, *geo)
    kk = (o // groups) * k * k
    conv_check(f"conv backward-data {name}",
               ["conv", "backward-data", "--grad-output", gyp, "--weight", wp,
                "--input-shape", xshape] + opts, gx, mag.max(initial=0), kk, dtype, layout)

    gw = ref_backward_weight(x8, gy8, w.shape, *geo)
    mag = ref_backward_weight(np.abs(x8), np.abs(gy8), w.shape, *geo)
    kk = n * y.shape[2] * y.shape[3]
    conv_check(f"conv backward-weight {name}",
               ["conv", "backward-weight", "--input", xp, "--grad-output", gyp,
                "--weight-shape", ",".join(map(str, w.shape))] + opts,
               gw, mag.max(initial=0), kk, dtype, "nchw")  # (O, C/G, k...) in every layout

    gb = gy8.sum(axis=(0, 2, 3))
    mag = np.abs(gy8).sum(axis=(0, 2, 3))
    conv_check(f"conv backward-bias {name}",
               ["conv", "backward-bias", "--grad-output", gyp] + opts, gb, mag.max(initial=0),
               kk, dtype, layout)

    # the transposed convolution of gy is backward-data; --output-padding
    # recovers the input size that the stride rounded away
    span = dil * (k - 1) + 1
    op = [(size + pad[0] + pad[1] - span) % stride for size in (h, wd)]
    if op[0] == op[1]:
        conv_check(f"conv transpose {name}",
                   ["conv", "transpose", "--input", gyp, "--weight", wp,
                    "--output-padding", str(op[0])] + opts,
                   gx, ref_backward_data(np.abs(gy8), np.abs(w8), x.shape, *geo).max(initial=0),
                   (o // groups) * k * k, dtype, layout)


conv_case("plain")
conv_case("stride 2", stride=2)
conv_case("padding 1", pad=(1, 1))
conv_case("padding 1:2", pad=(1, 2), pad_arg="1:2", backward=False)
conv_case("dilation 2", dil=2)
conv_case("groups 2", groups=2)
conv_case("depthwise", c=4, o=4, groups=4)
conv_case("stride 2 padding 1 dilation 2 groups 2", stride=2, pad=(1, 1), dil=2, groups=2)
conv_case("stride 3 odd sizes", h=10, wd=10, stride=3, pad=(1, 1))
conv_case("no bias", bias=False)
conv_case("float64", dtype=F8, pad=(1, 1), pad_arg="1")
conv_case("float16", dtype=F2, pad=(1, 1), pad_arg="1")
conv_case("float16 nhwc stride 2 groups 2", dtype=F2, layout="nhwc", stride=2, groups=2)
conv_case("nhwc padding 1", layout="nhwc", pad=(1, 1), pad_arg="1")
conv_case("nhwc stride 2 groups 2", layout="nhwc", stride=2, groups=2)

print(f"test_numpy: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
