"""`modes.numpy.fft`: numpy.fft itself, by name (its functions dispatch to
fwdrev's rules where a box is an argument)."""

import numpy.fft as _fft


def __getattr__(name):
    return getattr(_fft, name)


def __dir__():
    return dir(_fft)
