"""`modes.numpy.linalg`: numpy.linalg itself, by name (its functions dispatch to
fwdrev's rules where a box is an argument)."""

import numpy.linalg as _linalg


def __getattr__(name):
    return getattr(_linalg, name)


def __dir__():
    return dir(_linalg)
