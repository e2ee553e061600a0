#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""peers.py - the Python peers of `winsum-bench`: PyTorch's CPU convolutions
and numpy.einsum(optimize=True) / torch.einsum, timed the way the bench times
winsum: untimed warm-up calls (two here, see median_ms), then REPS timed
calls, the median.

The bench starts this script once per run (bench/pypeers.c) as

    python3 peers.py THREADS

and talks to it over stdin/stdout, one line each way. THREADS is the number
of cores PoCL uses (the OpenCL device's compute units): torch runs on that
many threads (torch.set_num_threads), numpy's BLAS likewise (its
*_NUM_THREADS variables, set before numpy is imported).

First the script says what it has, one line per peer, then what it runs
on (info lines, printed by the bench as they are), then "ready":

    peer numpy ok 1.24.2
    peer torch n/a No module named 'torch'
    info BLAS: openblas 0.3.21, core Cooperlake (threadpoolctl 3.1.0)
    info env: OPENBLAS_CORETYPE=- OPENBLAS_L2_SIZE=- MALLOC_TOP_PAD_=... (-: unset)
    info env: MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=...
    ready

The BLAS line names the core OpenBLAS chose (numpy's and torch's BLAS is
the one OpenBLAS library here): threadpoolctl's "architecture" when it is
installed, else openblas_get_corename through ctypes on the OpenBLAS the
process has loaded. The bench starts this script with OPENBLAS_CORETYPE
and OPENBLAS_L2_SIZE unset and glibc's malloc settings of
bench/pypeers.c; the env lines show what the script got.

Then, for each request line, exactly one answer line:

    conv OP DTYPE REPS X=N,C,S.. W=O,CG,K.. STRIDE=s,.. PAD=p,.. GROUPS=g
        OP: fwd, bwd_data or bwd_weight; 1 to 3 spatial dims
        (torch.nn.functional.conv1d/2d/3d, torch.nn.grad.conv*d_input,
        torch.nn.grad.conv*d_weight)
    einsum PEER DTYPE REPS SUBSCRIPTS SHAPE SHAPE
        PEER: numpy (numpy.einsum(..., optimize=True)) or torch
        (torch.einsum); SHAPE: sizes joined by ','
    ok MILLISECONDS     the median
    n/a REASON          the peer is missing, or cannot run this
    err REASON          the call failed

The data are uniform random numbers in [-1, 1) of the dtype (float32 or
float64); the timings do not depend on them and nothing is checked here.
Python's own messages go to stderr, which the bench keeps and shows only
when the script dies.
"""
import os
import sys
import time

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 0
if THREADS > 0:
    # numpy's BLAS reads these when it loads, so before the import
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(THREADS)

np = torch = None
WHY = {}
try:
    import numpy as np
except Exception as e:  # ImportError, or a broken install
    WHY["numpy"] = str(e).splitlines()[0] if str(e) else type(e).__name__
try:
    import torch
    import torch.nn.functional
    import torch.nn.grad

    if THREADS > 0:
        torch.set_num_threads(THREADS)
except Exception as e:
    torch = None
    WHY["torch"] = str(e).splitlines()[0] if str(e) else type(e).__name__
if torch is not None and np is None:
    # the data are made with numpy
    WHY["torch"] = "numpy is missing (the peer script makes its data with it)"
    torch = None


def say(line):
    sys.stdout.write(line.replace("\n", " ") + "\n")
    sys.stdout.flush()


def median_ms(fn, reps):
    # warm-up: torch's oneDNN settles over the first two calls of a new
    # shape (depthwise 3x3 256@14, batch 8: 94 ms, 29 ms, then 1 ms), so
    # two untimed calls, where winsum's one warm-up call compiles its kernel
    fn()
    fn()
    t = []
    for _ in range(max(1, reps)):
        t0 = time.perf_counter()
        fn()
        t.append((time.perf_counter() - t0) * 1e3)
    t.sort()
    n = len(t)
    return t[n // 2] if n % 2 else 0.5 * (t[n // 2 - 1] + t[n // 2])


def random(shape, dtype):
    rng = np.random.default_rng(12345)
    return rng.uniform(-1.0, 1.0, size=shape).astype(dtype)


def ints(text):
    return [int(v) for v in text.split(",") if v != ""]


def conv(op, dtype, reps, args):
    if torch is None:
        return "n/a " + WHY["torch"]
    kv = dict(a.split("=", 1) for a in args)
    xs, ws = ints(kv["X"]), ints(kv["W"])
    stride, pad, groups = ints(kv["STRIDE"]), ints(kv["PAD"]), int(kv["GROUPS"])
    nsp = len(xs) - 2
    if nsp not in (1, 2, 3) or len(ws) != nsp + 2:
        return "err conv: 1 to 3 spatial dims, X and W of the same rank"
    fwd = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d,
           3: torch.nn.functional.conv3d}[nsp]
    bwd_in = {1: torch.nn.grad.conv1d_input, 2: torch.nn.grad.conv2d_input,
              3: torch.nn.grad.conv3d_input}[nsp]
    bwd_w = {1: torch.nn.grad.conv1d_weight, 2: torch.nn.grad.conv2d_weight,
             3: torch.nn.grad.conv3d_weight}[nsp]
    ys = [xs[0], ws[0]] + [(xs[2 + i] + 2 * pad[i] - ws[2 + i]) // stride[i] + 1
                           for i in range(nsp)]
    x = torch.from_numpy(random(xs, dtype))
    w = torch.from_numpy(random(ws, dtype))
    y = torch.from_numpy(random(ys, dtype))
    if op == "fwd":
        fn = lambda: fwd(x, w, None, stride, pad, 1, groups)
    elif op == "bwd_data":
        fn = lambda: bwd_in(xs, w, y, stride, pad, 1, groups)
    elif op == "bwd_weight":
        fn = lambda: bwd_w(x, ws, y, stride, pad, 1, groups)
    else:
        return "err conv: unknown op " + op
    with torch.no_grad():
        return "ok %.6f" % median_ms(fn, reps)


def einsum(peer, dtype, reps, subs, shapes):
    if peer not in ("numpy", "torch"):
        return "err einsum: unknown peer " + peer
    if (np if peer == "numpy" else torch) is None:
        return "n/a " + WHY[peer]
    ops = [random(ints(s), dtype) for s in shapes]
    if peer == "numpy":
        fn = lambda: np.einsum(subs, *ops, optimize=True)
    else:
        tops = [torch.from_numpy(o) for o in ops]
        fn = lambda: torch.einsum(subs, *tops)
    return "ok %.6f" % median_ms(fn, reps)


def answer(line):
    f = line.split()
    if len(f) < 4:
        return "err bad request: " + line
    kind, reps = f[0], int(f[3])
    if kind == "conv":
        op, dtype = f[1], f[2]
    elif kind == "einsum":
        op, dtype = f[1], f[2]
    else:
        return "err unknown request " + kind
    if dtype not in ("float32", "float64"):
        return "n/a %s: the peers run float32 and float64 only" % dtype
    if kind == "conv":
        return conv(op, dtype, reps, f[4:])
    return einsum(op, dtype, reps, f[4], f[5:])


# two lines of at most 100 columns in the bench's header
ENV_SHOWN = (("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "MALLOC_TOP_PAD_"),
             ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"))


def blas_core():
    """Which BLAS the peers run and its core, and how that was found."""
    try:
        import threadpoolctl
        found = ["%s %s, core %s" % (d.get("internal_api"), d.get("version"),
                                     d.get("architecture", "?"))
                 for d in threadpoolctl.threadpool_info() if d.get("user_api") == "blas"]
        if found:
            return "%s (threadpoolctl %s)" % ("; ".join(found), threadpoolctl.__version__)
    except Exception:  # not installed: ctypes below
        pass
    try:
        import ctypes
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f
                            if "openblas" in line and ".so" in line})
        for path in paths:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return "openblas, core %s (openblas_get_corename via ctypes, %s)" % (
                lib.openblas_get_corename().decode(), path)
    except Exception as e:
        return "unknown (%s)" % (str(e).splitlines()[0] if str(e) else type(e).__name__)
    return "no OpenBLAS loaded (numpy and torch may use another BLAS)"


def blas_quieters():
    """blas_thread_shutdown_ of each OpenBLAS this process has loaded: after
    a call OpenBLAS's idle threads spin (sched_yield) for about 0.1 s, a
    whole core, into the bench's next cell; the bench calls it after each
    of its own OpenBLAS cells too. Its next call starts the threads again
    (the warm-up calls here)."""
    try:
        import ctypes
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f
                            if "openblas" in line and ".so" in line})
        return [getattr(ctypes.CDLL(p), "blas_thread_shutdown_") for p in paths
                if hasattr(ctypes.CDLL(p), "blas_thread_shutdown_")]
    except Exception:  # no ctypes or no such symbol: the threads spin
        return []


def main():
    for peer, mod in (("numpy", np), ("torch", torch)):
        if mod is None:
            say("peer %s n/a %s" % (peer, WHY[peer]))
        else:
            say("peer %s ok %s" % (peer, mod.__version__))
    if np is not None or torch is not None:
        say("info BLAS: " + blas_core())
    say("info env: %s%s" % (" ".join("%s=%s" % (v, os.environ.get(v, "-")) for v in ENV_SHOWN[0]),
                            " (-: unset)"))
    say("info env: " + " ".join("%s=%s" % (v, os.environ.get(v, "-")) for v in ENV_SHOWN[1]))
    quiet = blas_quieters()
    say("ready")
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        if line == "quit":
            break
        try:
            text = answer(line)
            for fn in quiet:
                fn()
            say(text)
        except Exception as e:  # a failed call is an answer, not the end
            say("err %s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else ""))


if __name__ == "__main__":
    main()
