#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""The overhead suite's Python rows: one winsum.einsum call from Python on
2x2 float32 operands ('ij,jk->ik'), timed side by side with numpy's own
np.einsum on the same operands.

Rows (microseconds per call, the median over --reps batches of --calls
calls; the cases take turns within each batch round, so load falls on all):
  numpy np.einsum             numpy's einsum, the yardstick
  Arrays in, out=             winsum.Arrays in and out (the cached fast path)
  numpy in (host rule)        numpy operands, the default small-problem rule:
                              numpy's einsum behind winsum's checks
  numpy in (device, mapped)   numpy operands with the rule off
                              (winsum.set_host_limit(0)): the device computes
                              in the operands' memory (winsum_buffer_map_host)
                              where it shares host memory, else copies
host CPU is the calling thread's CPU time (time.thread_time, as the C rows'
CLOCK_THREAD_CPUTIME_ID); wall runs until the context's queue is finished.
"x numpy" is the median over batches of the ratio to that batch's numpy.

Run by winsum-bench's overhead suite (bench/overhead.c), or alone:
  PYTHONPATH=python WINSUM_LIBRARY=build/libwinsum.so python3 bench/overhead.py
Exit status 0, or 1 when a result does not match numpy's.
"""
import argparse
import os
import statistics
import sys
import time


def _import_winsum(exe_dir):
    """winsum from the path, else the source tree's python/ folder with the
    library beside the bench executable (a build folder)."""
    try:
        import winsum
        return winsum
    except ImportError:
        pass
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(os.path.dirname(here), "python"))
    if exe_dir and not os.environ.get("WINSUM_LIBRARY"):
        lib = os.path.join(exe_dir, "libwinsum.so")
        if os.path.exists(lib):
            os.environ["WINSUM_LIBRARY"] = lib
    import winsum
    return winsum


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=5, help="batches (default 5)")
    ap.add_argument("--calls", type=int, default=2000, help="calls per batch (default 2000)")
    ap.add_argument("--exe-dir", default="", help="where libwinsum.so may be (a build folder)")
    args = ap.parse_args()
    if args.reps < 1 or args.calls < 1:
        ap.error("--reps and --calls must be at least 1")
    import numpy as np
    winsum = _import_winsum(args.exe_dir)
    ctx = winsum.default_context()
    rng = np.random.default_rng(7)
    a = rng.standard_normal((2, 2)).astype(np.float32)
    b = rng.standard_normal((2, 2)).astype(np.float32)
    want = np.einsum("ij,jk->ik", a, b)
    A, B = winsum.asarray(a), winsum.asarray(b)
    O = winsum.empty((2, 2), np.float32)
    host_limit = winsum.host_limit()

    def device_numpy():
        return winsum.einsum("ij,jk->ik", a, b)

    cases = [
        ("numpy np.einsum", lambda: np.einsum("ij,jk->ik", a, b), None),
        ("Arrays in, out=", lambda: winsum.einsum("ij,jk->ik", A, B, out=O), None),
        ("numpy in (host rule)", lambda: winsum.einsum("ij,jk->ik", a, b), host_limit),
        ("numpy in (device, mapped)", device_numpy, 0),
    ]
    bad = []
    for name, fn, limit in cases:  # warm up, and check each result
        if limit is not None:
            winsum.set_host_limit(limit)
        for _ in range(50):
            r = fn()
        ctx.finish()
        got = O.numpy() if r is O else np.asarray(r)
        if not np.allclose(got, want, rtol=1e-6, atol=1e-6):
            bad.append(name)
    cpu = {name: [] for name, _, _ in cases}
    wall = {name: [] for name, _, _ in cases}
    for _ in range(args.reps):
        for name, fn, limit in cases:
            if limit is not None:
                winsum.set_host_limit(limit)
            w0, c0 = time.perf_counter(), time.thread_time()
            for _ in range(args.calls):
                fn()
            c1 = time.thread_time()
            ctx.finish()
            w1 = time.perf_counter()
            cpu[name].append((c1 - c0) / args.calls * 1e6)
            wall[name].append((w1 - w0) / args.calls * 1e6)
    winsum.set_host_limit(host_limit)
    base = cases[0][0]
    print("python: winsum.einsum('ij,jk->ik') on 2x2 float32 from Python (bench/overhead.py);")
    print("  microseconds per call, median of %d batches of %d calls" % (args.reps, args.calls))
    print("  %s;" % ctx)
    print("  small-problem rule: work <= %d on the host (winsum.host_limit())" % host_limit)
    print("%-28s %12s %12s %10s %10s  %s" % ("python call", "host CPU us", "wall us",
                                             "x numpy", "x (wall)", "check"))
    ratios = {}
    for name, _, _ in cases:
        rc = statistics.median(c / n for c, n in zip(cpu[name], cpu[base]))
        rw = statistics.median(w / n for w, n in zip(wall[name], wall[base]))
        ratios[name] = (rc, rw)
        print("%-28s %12.2f %12.2f %10.1f %10.1f  %s"
              % (name, statistics.median(cpu[name]), statistics.median(wall[name]), rc, rw,
                 "MISMATCH" if name in bad else "ok"))
    for name, target in (("Arrays in, out=", 12), ("numpy in (host rule)", 30),
                         ("numpy in (device, mapped)", 30)):
        rc = ratios[name][0]
        print("target: %s <= %dx numpy's host CPU: %s (%.1fx)"
              % (name, target, "met" if rc <= target else "NOT met", rc))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
