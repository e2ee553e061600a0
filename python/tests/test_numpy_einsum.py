# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""numpy's own einsum tests (Debian's copy of numpy/core/tests/test_einsum.py)
with np.einsum and np.einsum_path replaced by winsum's.

The file is imported from the installed numpy (skipped when that numpy does
not ship its tests); its test classes are subclassed here so that pytest
collects them in this module, where the autouse fixture below swaps numpy's
functions for winsum's for the duration of each test.

The suite makes some 15,000 einsum calls, most of them tiny; it runs on
winsum's reference backend (about 10 s) unless WINSUM_NUMPY_SUITE_BACKEND
says "opencl" (the default device; over a minute on PoCL, most of it
per-call overhead and kernel builds). The Python layer under test (argument
handling, dtype dispatch, complex decomposition, paths) is the same on
both; the float kernels of both backends are tested in test_einsum.py.
"""
import functools
import importlib.util
import os

import numpy as np
import pytest

import winsum

_CANDIDATES = [
    os.path.join(os.path.dirname(np.__file__), "core", "tests", "test_einsum.py"),
    os.path.join(os.path.dirname(np.__file__), "_core", "tests", "test_einsum.py"),
    "/usr/lib/python3/dist-packages/numpy/core/tests/test_einsum.py",
]
_PATH = next((p for p in _CANDIDATES if os.path.exists(p)), None)
if _PATH is None:
    pytest.skip("numpy's test_einsum.py is not installed", allow_module_level=True)

_spec = importlib.util.spec_from_file_location("_numpy_test_einsum", _PATH)
_nt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_nt)


@pytest.fixture(scope="module")
def _suite_context():
    backend = os.environ.get("WINSUM_NUMPY_SUITE_BACKEND", "ref")
    if backend == "opencl" and not winsum.devices():
        pytest.skip("no OpenCL device")
    return winsum.Context(backend=backend)


@pytest.fixture(autouse=True)
def _winsum_as_numpy(monkeypatch, _suite_context):
    """np.einsum / np.einsum_path are winsum's inside each test (numpy's
    functions are restored afterwards)."""
    monkeypatch.setattr(np, "einsum", functools.partial(winsum.einsum, context=_suite_context))
    monkeypatch.setattr(np, "einsum_path", winsum.einsum_path)
    yield


class TestEinsum(_nt.TestEinsum):
    pass


class TestEinsumPath(_nt.TestEinsumPath):
    pass


test_overlap = _nt.test_overlap
