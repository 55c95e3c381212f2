"""`modes.numpy.random`: numpy.random itself, by name (its functions dispatch to
fwdrev's rules where a box is an argument)."""

import numpy.random as _random


def __getattr__(name):
    return getattr(_random, name)


def __dir__():
    return dir(_random)
