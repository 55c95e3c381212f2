"""Drop-in for scipy.signal's convolution: `import modes.scipy.signal as signal`.

convolve and correlate, modes 'full', 'valid' and 'same', 1-D and n-D, real
arrays (modes/ops/signal.py: one bilinear op, the full convolution). Every
other name is scipy.signal's own (module __getattr__).
"""

import scipy.signal as _scipy_signal

from ..ops import signal as _ops

__all__ = ["convolve", "correlate"]


def __getattr__(name):
    return getattr(_scipy_signal, name)


def convolve(in1, in2, mode="full", method="auto"):
    """scipy.signal.convolve; `method` is accepted and ignored: the primal
    is SciPy's own (method 'auto'), the derivatives are convolutions too."""
    return _ops.convolve(in1, in2, mode)


def correlate(in1, in2, mode="full", method="auto"):
    """scipy.signal.correlate (real arrays); `method` as in convolve."""
    return _ops.correlate(in1, in2, mode)
