#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""Train the digits CNN with every tensor on the device: winsum.Array for
data, weights, activations, gradients and optimizer state; convolutions as
einsums over padded window views (winsum.windows), bias, ReLU, max-pooling,
the loss and SGD as element-wise operations and sums on the device. Per step
exactly one host transfer happens: the loss coming back.

    python3 examples/cnn_on_device.py                  # ~97% test accuracy
    python3 examples/cnn_on_device.py --steps 20 --check   # what CTest runs

The network is examples/train_digits.py's: conv 1->16 3x3 (padding 1),
ReLU, 2x2 max-pool, conv 16->32 3x3, ReLU, max-pool, linear 128->10, on
scikit-learn's bundled 8x8 digits (load_digits downloads nothing). The loss
is the squared error against one-hot labels (softmax needs exp, which the
device operations do not have), the optimizer SGD with momentum. The data is
shuffled once on the host and uploaded once; a step's batch is a slice.

Run from the build tree with
    PYTHONPATH=python WINSUM_LIBRARY=build/libwinsum.so python3 examples/cnn_on_device.py
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import winsum  # noqa: E402


class DeviceCNN:
    """The CNN's parameters, momentum and step, all on one context."""

    def __init__(self, ctx, dtype, seed):
        self.ctx, self.dtype = ctx, np.dtype(dtype)
        rng = np.random.default_rng(seed)

        def param(shape, fan_in):  # He initialisation, uploaded once
            w = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
            return winsum.asarray(w.astype(self.dtype), context=ctx)

        self.params = {
            "w1": param((16, 1, 3, 3), 9), "b1": winsum.zeros(16, self.dtype, ctx),
            "w2": param((32, 16, 3, 3), 144), "b2": winsum.zeros(32, self.dtype, ctx),
            "wf": param((10, 128), 128 * 50), "bf": winsum.zeros(10, self.dtype, ctx),
        }
        self.velocity = {k: winsum.zeros(p.shape, self.dtype, ctx)
                         for k, p in self.params.items()}

    def einsum(self, subscripts, *operands):
        return winsum.einsum(subscripts, *operands, context=self.ctx)

    # ------------------------------------------------------------ layers
    def conv(self, x, w, b):
        """A 3x3 convolution with padding 1 plus bias: one einsum over the
        padded windows, then a broadcast add in place."""
        y = self.einsum("ncxyij,ocij->noxy", winsum.windows(x, (3, 3), padding=1), w)
        y += b.reshape(-1, 1, 1)
        return y

    def conv_backward(self, x, w, gy, need_gx=True):
        """Gradients of conv(): weight and bias, and the input's (a padded
        convolution with the flipped kernel, again over windows)."""
        gw = self.einsum("ncxyij,noxy->ocij", winsum.windows(x, (3, 3), padding=1), gy)
        gb = gy.sum(axis=(0, 2, 3))
        gx = None
        if need_gx:
            gx = self.einsum("noxyij,ocij->ncxy", winsum.windows(gy, (3, 3), padding=1),
                             w[:, :, ::-1, ::-1])
        return gw, gb, gx

    @staticmethod
    def pool(a):
        """2x2 max-pooling as the maximum of four strided views."""
        q = [a[:, :, i::2, j::2] for i in (0, 1) for j in (0, 1)]
        m = winsum.maximum(q[0], q[1])
        winsum.maximum(m, winsum.maximum(q[2], q[3]), out=m)
        return m, q

    @staticmethod
    def pool_backward(a, q, m, gm):
        """The gradient reaches the inputs equal to their window's maximum
        (the four views tile the input, so every element is written)."""
        ga = winsum.empty(a.shape, a.dtype, a.context)
        for k, (i, j) in enumerate((i, j) for i in (0, 1) for j in (0, 1)):
            v = ga[:, :, i::2, j::2]
            winsum.equal(q[k], m, out=v)
            v *= gm
        return ga

    # ------------------------------------------------------------- model
    def forward(self, x):
        p = self.params
        z1 = self.conv(x, p["w1"], p["b1"])
        a1 = winsum.maximum(z1, 0)
        p1, q1 = self.pool(a1)
        z2 = self.conv(p1, p["w2"], p["b2"])
        a2 = winsum.maximum(z2, 0)
        p2, q2 = self.pool(a2)
        f = p2.reshape(p2.shape[0], -1)
        logits = self.einsum("nk,ok->no", f, p["wf"])
        logits += p["bf"]
        return logits, (a1, q1, p1, a2, q2, p2, f)

    def step(self, x, y, lr, momentum):
        """One SGD step on batch (x, y one-hot); returns the mean squared
        error over the batch, the step's only read-back."""
        p = self.params
        n = x.shape[0]
        logits, (a1, q1, p1, a2, q2, p2, f) = self.forward(x)
        d = logits - y
        loss = self.einsum("no,no->", d, d)  # on the device, read at the end
        g = d * (2.0 / n)
        grads = {"wf": self.einsum("no,nk->ok", g, f), "bf": g.sum(axis=0)}
        gp2 = self.einsum("no,ok->nk", g, p["wf"]).reshape(p2.shape)
        gz2 = self.pool_backward(a2, q2, p2, gp2)
        gz2 *= a2 > 0  # ReLU
        grads["w2"], grads["b2"], gp1 = self.conv_backward(p1, p["w2"], gz2)
        gz1 = self.pool_backward(a1, q1, p1, gp1)
        gz1 *= a1 > 0
        grads["w1"], grads["b1"], _ = self.conv_backward(x, p["w1"], gz1, need_gx=False)
        for k, w in p.items():  # v = momentum v + g; w -= lr v
            v = self.velocity[k]
            winsum.elementwise("add", v, grads[k], alpha=momentum, beta=1.0, out=v)
            winsum.elementwise("add", w, v, alpha=1.0, beta=-lr, out=w)
        return float(loss) / n

    def accuracy(self, x, labels, batch=120):
        right = 0
        for i in range(0, x.shape[0], batch):
            logits, _ = self.forward(x[i:i + batch])
            right += int((logits.numpy().argmax(axis=1) == labels[i:i + batch]).sum())
        return right / x.shape[0]


def load(dtype, seed):
    from sklearn.datasets import load_digits
    d = load_digits()
    x = (d.images / 16.0).astype(dtype)[:, None]
    onehot = np.eye(10, dtype=dtype)[d.target]
    perm = np.random.default_rng(seed).permutation(len(x))
    n_test = len(x) // 5
    te, tr = perm[:n_test], perm[n_test:]
    return x[tr], onehot[tr], d.target[tr], x[te], d.target[te]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: all)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.02)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--backend", default="auto", help="auto, opencl or ref")
    ap.add_argument("--check", action="store_true",
                    help="fail unless every step made exactly one transfer and the loss fell")
    ap.add_argument("--min-accuracy", type=float, default=0.0,
                    help="fail below this test accuracy (percent)")
    args = ap.parse_args(argv)

    ctx = winsum.Context(backend=args.backend)
    print("winsum on %s, %s" % (ctx.device_name, args.dtype))
    xtr, ytr, ltr, xte, lte = load(args.dtype, args.seed)
    t0 = winsum.transfer_count()
    X, Y, XT = (winsum.asarray(a, context=ctx) for a in (xtr, ytr, xte))
    net = DeviceCNN(ctx, args.dtype, args.seed)
    print("uploads before training: %d (data, labels, initial weights)"
          % (winsum.transfer_count() - t0))

    losses, per_step, steps = [], [], 0
    start = time.perf_counter()
    for epoch in range(args.epochs):
        t_epoch = time.perf_counter()
        for i in range(0, len(xtr) - args.batch + 1, args.batch):
            before = winsum.transfer_count()
            losses.append(net.step(X[i:i + args.batch], Y[i:i + args.batch], args.lr,
                                   args.momentum))
            per_step.append(winsum.transfer_count() - before)
            steps += 1
            if args.steps and steps >= args.steps:
                break
        nb = len(xtr) // args.batch
        print("epoch %2d  loss %.4f  transfers per step %s  %.1f s" % (
            epoch + 1, np.mean(losses[-nb:]), sorted(set(per_step[-nb:])),
            time.perf_counter() - t_epoch))
        if args.steps and steps >= args.steps:
            break
    elapsed = time.perf_counter() - start
    acc = 100 * net.accuracy(XT, lte)
    print("test accuracy %.2f%% after %d steps, %.1f s; host transfers per step: %s"
          % (acc, steps, elapsed, sorted(set(per_step))))

    ok = True
    if args.check:
        k = max(1, min(5, len(losses) // 4))
        first, last = np.mean(losses[:k]), np.mean(losses[-k:])
        if set(per_step) != {1}:
            print("FAIL: host transfers per step %s, expected exactly 1 (the loss)"
                  % sorted(set(per_step)))
            ok = False
        if not last < 0.8 * first:
            print("FAIL: the loss did not fall: first %d steps %.4f, last %d %.4f"
                  % (k, first, k, last))
            ok = False
        if ok:
            print("check: 1 transfer in each of %d steps; loss %.4f -> %.4f" % (steps, first,
                                                                              last))
    if acc < args.min_accuracy:
        print("FAIL: test accuracy %.2f%% below %.2f%%" % (acc, args.min_accuracy))
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
