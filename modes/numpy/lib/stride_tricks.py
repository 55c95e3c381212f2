"""`modes.numpy.lib.stride_tricks`: NumPy's, with as_strided taking
differentiable arrays (NumPy reads its argument's memory, so it cannot hand
the call to fwdrev). sliding_window_view is NumPy's own: it dispatches."""

import numpy.lib.stride_tricks as _stride_tricks

from ...strided import as_strided  # noqa: F401


def __getattr__(name):
    return getattr(_stride_tricks, name)
