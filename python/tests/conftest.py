# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
import os

import numpy as np
import pytest

import winsum

BACKENDS = ["opencl", "ref"]


@pytest.fixture(scope="session", params=BACKENDS)
def ctx(request):
    """A context of each backend (OpenCL skipped when no device exists)."""
    if request.param == "opencl" and not winsum.devices():
        pytest.skip("no OpenCL device")
    return winsum.Context(backend=request.param)


@pytest.fixture(scope="session")
def cl_ctx():
    if not winsum.devices():
        pytest.skip("no OpenCL device")
    return winsum.Context(backend="opencl")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def tol(dtype):
    return {np.float16: 2e-2, np.float32: 1e-4, np.float64: 1e-10}[np.dtype(dtype).type]
