# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""Default contexts across threads, Context as a context manager, and the
reprs of Context, Array and Plan (issue 20, items 5 and 6)."""
import threading

import numpy as np
import pytest

import winsum


@pytest.fixture
def restore_default():
    yield
    winsum.set_default_context(None)
    winsum.set_default_context(None, thread=True)


def _in_thread(fn):
    box = []
    t = threading.Thread(target=lambda: box.append(fn()))
    t.start()
    t.join()
    return box[0]


def test_set_default_context_reaches_other_threads(restore_default):
    ctx = winsum.Context(backend="ref")
    winsum.set_default_context(ctx)
    assert winsum.default_context() is ctx
    assert _in_thread(winsum.default_context) is ctx
    a = np.arange(6.0).reshape(2, 3)
    # a computation on another thread runs on it too
    assert np.allclose(_in_thread(lambda: winsum.einsum("ij->j", a)), a.sum(0))


def test_thread_override_stays_on_its_thread(restore_default):
    shared = winsum.Context(backend="ref")
    own = winsum.Context(backend="ref")
    winsum.set_default_context(shared)

    def body():
        winsum.set_default_context(own, thread=True)
        return winsum.default_context()

    assert _in_thread(body) is own
    assert winsum.default_context() is shared
    winsum.set_default_context(None, thread=True)
    assert winsum.default_context() is shared


def test_one_default_made_for_all_threads(restore_default):
    winsum.set_default_context(None)
    seen = []
    ts = [threading.Thread(target=lambda: seen.append(winsum.default_context()))
          for _ in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len({id(c) for c in seen}) == 1


def test_context_manager_closes():
    with winsum.Context(backend="ref") as ctx:
        assert not ctx.closed
        a = np.ones((2, 2))
        assert np.allclose(winsum.einsum("ij->", a, context=ctx), 4.0)
    assert ctx.closed
    assert "closed" in repr(ctx)
    with pytest.raises(winsum.Error):
        winsum.einsum("ij->", a, context=ctx)


def test_reprs_say_device_shape_dtype():
    ctx = winsum.Context(backend="ref")
    r = repr(ctx)
    assert ctx.device_name in r and "ref" in r
    arr = winsum.asarray(np.zeros((2, 3), np.float32), context=ctx)
    r = repr(arr)
    assert "(2, 3)" in r and "float32" in r and ctx.device_name in r
    p = winsum.plan("ij,jk->ik", np.zeros((2, 3)), np.zeros((3, 4)), context=ctx)
    r = repr(p)
    assert "ij,jk->ik" in r and "(2, 4)" in r and "float64" in r and ctx.device_name in r
