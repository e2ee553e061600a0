#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""Train a small CNN on scikit-learn's bundled digits (8x8 images, 10 classes)
with every convolution, forward and backward, computed by winsum on the
default device ($WINSUM_DEVICE; no download: load_digits reads a file shipped
with scikit-learn).

    python3 examples/train_digits.py                 # ~95%+ test accuracy
    python3 examples/train_digits.py --compare       # and torch's own convs, same seed
    python3 examples/train_digits.py --compare --dtype float64 --epochs 1
    python3 examples/train_digits.py --processes 2   # data-parallel, gloo on localhost
    torchrun --nnodes N --nproc-per-node G ... examples/train_digits.py
        # one process per device; set WINSUM_DEVICE per process (e.g. $LOCAL_RANK)

Run from the build tree with
    PYTHONPATH=python WINSUM_LIBRARY=build/libwinsum.so python3 examples/train_digits.py
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))


class Net(nn.Module):
    """conv 1->16 3x3, ReLU, 2x2 max-pool, conv 16->32 3x3, ReLU, 2x2 max-pool,
    linear 128->10."""

    def __init__(self, conv2d):
        super().__init__()
        self.c1 = conv2d(1, 16, 3, padding=1)
        self.c2 = conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.fc(x.flatten(1))


def load(dtype, seed):
    from sklearn.datasets import load_digits
    d = load_digits()
    x = torch.tensor(d.images / 16.0, dtype=dtype).unsqueeze(1)
    y = torch.tensor(d.target, dtype=torch.long)
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(y), generator=g)
    n_test = len(y) // 5
    te, tr = perm[:n_test], perm[n_test:]
    return x[tr], y[tr], x[te], y[te]


def make_model(use_winsum, dtype, seed):
    import winsum.torch as wt
    torch.manual_seed(seed)
    return Net(wt.Conv2d if use_winsum else nn.Conv2d).to(dtype)


def train(args, use_winsum, rank=0, world=1, log=print):
    """Returns (per-step losses, test accuracy, model)."""
    dtype = getattr(torch, args.dtype)
    xtr, ytr, xte, yte = load(dtype, args.seed)
    model = make_model(use_winsum, dtype, args.seed)
    net = model
    if world > 1:
        net = nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    g = torch.Generator().manual_seed(args.seed + 1)
    losses, step = [], 0
    for epoch in range(args.epochs):
        t0 = time.time()
        perm = torch.randperm(len(ytr), generator=g)
        net.train()
        for i in range(0, len(perm) - args.batch + 1, args.batch):
            idx = perm[i:i + args.batch]
            idx = idx[rank::world]  # this process's share of the global batch
            opt.zero_grad()
            loss = F.cross_entropy(net(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            if world > 1:  # the global batch's loss, for the log
                lt = loss.detach().clone()
                torch.distributed.all_reduce(lt)
                losses.append(float(lt) / world)
            else:
                losses.append(float(loss))
            step += 1
            if args.steps and step >= args.steps:
                break
        acc = accuracy(model, xte, yte)
        if rank == 0:
            log("epoch %2d  loss %.4f  test accuracy %.2f%%  %.1f s" % (
                epoch + 1, float(np.mean(losses[-(len(perm) // args.batch):])), 100 * acc,
                time.time() - t0))
        if args.steps and step >= args.steps:
            break
    return losses, accuracy(model, xte, yte), model


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    return float((model(x).argmax(1) == y).double().mean())


def _worker(rank, world, args, port, result_path):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    torch.distributed.init_process_group("gloo", rank=rank, world_size=world)
    import winsum
    if rank == 0:
        print("process %d/%d on %s" % (rank, world, winsum.default_context().device_name))
    losses, acc, model = train(args, True, rank, world)
    if rank == 0:
        torch.save((losses, acc, model.state_dict()), result_path)
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: all)")
    ap.add_argument("--batch", type=int, default=32, help="global batch size")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--compare", action="store_true",
                    help="also train with torch's own convolutions (same seed) and compare")
    ap.add_argument("--processes", type=int, default=1,
                    help="data-parallel processes (torch.distributed, gloo, localhost)")
    ap.add_argument("--save", help="save the final state_dict here (torch.save)")
    ap.add_argument("--plot", default="train_digits.png", help="PNG of --compare's curves")
    ap.add_argument("--min-accuracy", type=float, default=0.0,
                    help="exit with status 1 when the test accuracy (%%) is below this")
    args = ap.parse_args(argv)
    import winsum

    t0 = time.time()
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # started by torchrun, one process each
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        torch.distributed.init_process_group(os.environ.get("WINSUM_DIST_BACKEND", "gloo"))
        losses, acc, model = train(args, True, rank, world)
        if rank == 0:
            print("winsum: test accuracy %.2f%% after %d steps, %d processes, %.1f s"
                  % (100 * acc, len(losses), world, time.time() - t0))
        torch.distributed.destroy_process_group()
        return 0
    if args.processes > 1:
        import socket
        import torch.multiprocessing as mp
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "rank0.pt")
            mp.start_processes(_worker, args=(args.processes, args, port, path),
                               nprocs=args.processes, start_method="spawn")
            losses, acc, state = torch.load(path)
    else:
        print("winsum on %s, %s" % (winsum.default_context().device_name, args.dtype))
        losses, acc, model = train(args, True)
        state = model.state_dict()
    print("winsum: test accuracy %.2f%% after %d steps, %.1f s"
          % (100 * acc, len(losses), time.time() - t0))
    if args.save:
        torch.save({"losses": losses, "accuracy": acc, "state": state}, args.save)
    if args.compare:
        t1 = time.time()
        print("torch's own convolutions, same seed:")
        tl, tacc, _ = train(args, False)
        print("torch: test accuracy %.2f%%, %.1f s" % (100 * tacc, time.time() - t1))
        print("%6s %14s %14s %10s" % ("step", "winsum loss", "torch loss", "rel diff"))
        n = min(len(losses), len(tl))
        show = sorted(set(list(range(min(n, 20))) + list(range(20, n, max(1, n // 20)))))
        for i in show:
            print("%6d %14.10f %14.10f %10.2e" % (i + 1, losses[i], tl[i],
                                                   abs(losses[i] - tl[i]) / abs(tl[i])))
        worst = max(abs(a - b) / abs(b) for a, b in zip(losses[:20], tl[:20]))
        print("largest relative difference over the first %d steps: %.2e" % (min(n, 20), worst))
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            plt.plot(losses, label="winsum")
            plt.plot(tl, label="torch", linestyle="--")
            plt.xlabel("step")
            plt.ylabel("loss")
            plt.legend()
            plt.savefig(args.plot)
            print("plot: %s" % args.plot)
        except ImportError:
            pass
    if 100 * acc < args.min_accuracy:
        print("test accuracy %.2f%% is below --min-accuracy %.2f%%" % (100 * acc,
                                                                       args.min_accuracy))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
