"""Where each op's generated tests sample their inputs: `sampler(rng, shape)`.

Points stay away from kinks and singularities so that finite differences (the
tests' reference) are accurate; the kinks themselves have their own tests.
"""

import numpy as np


def real(rng, shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, size=shape)


def nonzero(rng, shape):
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape)


away_from_zero = nonzero


def small(rng, shape):
    return rng.uniform(-1.0, 1.0, size=shape)


def inside_unit(rng, shape):
    return rng.uniform(-0.8, 0.8, size=shape)


def above_one(rng, shape):
    return rng.uniform(1.2, 3.0, size=shape)


def low_bound(rng, shape):
    return rng.uniform(-1.5, -1.0, size=shape) + rng.choice([0.0, 2.5], size=shape)


def high_bound(rng, shape):
    return rng.uniform(3.0, 3.5, size=shape)


def condition(rng, shape):
    return rng.uniform(size=shape) > 0.5
