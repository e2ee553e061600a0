# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""The training example: a 30-step run whose loss falls, winsum vs torch in
float64, and the 2-process data-parallel run against one process."""
import os
import subprocess
import sys

import pytest
import torch

import winsum

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "examples"))
import train_digits  # noqa: E402


def args(*extra):
    return train_digits.argparse.Namespace(**vars(_parser_defaults(*extra)))


def _parser_defaults(*extra):
    import argparse
    ns = argparse.Namespace(epochs=15, steps=0, batch=32, lr=3e-3, seed=0, dtype="float32",
                            compare=False, processes=1, save=None, plot="x.png")
    for k, v in zip(extra[0::2], extra[1::2]):
        setattr(ns, k, v)
    return ns


def test_loss_falls():
    before = winsum.transfer_count()
    losses, acc, _ = train_digits.train(args("steps", 30, "epochs", 1, "lr", 1e-2), True, log=lambda s: None)
    assert len(losses) == 30
    assert winsum.transfer_count() > before  # the convolutions ran through winsum
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < 0.8 * first, (first, last)


def test_matches_torch_float64():
    a = args("steps", 20, "epochs", 1, "dtype", "float64")
    lw, _, _ = train_digits.train(a, True, log=lambda s: None)
    lt, _, _ = train_digits.train(a, False, log=lambda s: None)
    for x, y in zip(lw, lt):
        assert abs(x - y) <= 1e-9 * abs(y)


def test_two_processes(tmp_path):
    env = dict(os.environ)
    script = os.path.join(ROOT, "examples", "train_digits.py")
    common = ["--steps", "4", "--dtype", "float64"]
    p2, p1 = str(tmp_path / "p2.pt"), str(tmp_path / "p1.pt")
    r = subprocess.run([sys.executable, script, "--processes", "2", "--save", p2] + common,
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([sys.executable, script, "--save", p1] + common, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    a, b = torch.load(p1), torch.load(p2)
    for k in a["state"]:
        assert torch.allclose(a["state"][k], b["state"][k], rtol=1e-10, atol=1e-12), k
