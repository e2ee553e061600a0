# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""winsum: einsum contractions and convolutions over strided views, on OpenCL
devices (or winsum's C reference backend), from numpy, torch and pyopencl.

    import numpy as np, winsum
    x = np.random.rand(1, 3, 8, 8)
    win = np.lib.stride_tricks.as_strided(...)      # any strides
    y = winsum.einsum("ncxyij,ocij->noxy", win, w)  # no host copy of `win`
"""
from ._lib import path as library_path
from ._core import (Context, Device, Error, default_context, devices, set_default_context,
                    transfer_count)
from ._array import Array, as_strided, asarray, elementwise, empty
# data that stays on the device: element-wise operations, padded windows
from ._ops import (add, equal, greater, maximum, minimum, multiply, subtract,
                   zeros)
from ._windows import windows
_DEVICE_OPS = ["add", "elementwise", "equal", "greater", "maximum", "minimum", "multiply",
               "subtract", "windows", "zeros"]
from ._einsum import Plan, plan
from ._numpy_api import DEFAULT_HOST_LIMIT, einsum, einsum_path, host_limit, set_host_limit
from ._conv import (conv_backward_bias, conv_backward_data, conv_backward_weight, conv_forward,
                    conv_output_shape, conv_transpose)
from ._lib import lib as _clib

__version__ = _clib.winsum_version_string().decode()

__all__ = list(_DEVICE_OPS)
__all__ += ["Array", "Context", "Device", "Error", "Plan", "as_strided", "asarray",
           "conv_backward_bias", "conv_backward_data", "conv_backward_weight", "conv_forward",
           "conv_output_shape", "conv_transpose", "default_context", "devices", "einsum",
           "einsum_path", "empty", "plan", "set_default_context", "transfer_count"]
__all__ += ["DEFAULT_HOST_LIMIT", "host_limit", "set_host_limit"]
