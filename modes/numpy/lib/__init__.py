"""`modes.numpy.lib`: NumPy's numpy.lib, with a stride_tricks whose
as_strided takes differentiable arrays (see modes/strided.py)."""

import numpy.lib as _lib

from . import stride_tricks  # noqa: F401


def __getattr__(name):
    return getattr(_lib, name)
