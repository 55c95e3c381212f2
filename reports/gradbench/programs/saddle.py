"""GradBench's `saddle` (Pearlmutter and Siskind): min over x of max over y of
f(x, y) = (x_1^2 + x_2^2) - (y_1^2 + y_2^2), both by gradient descent
(descent.py) from the input start; the outer descent differentiates through
the inner one. Then y = argmax_y f(x, y) from start, not nested. Function `ab`:
the outer derivative (in x) by engine a, the inner (in y) by engine b. The
output is x and y concatenated."""

import numpy as np

from modes import forward, reverse

from . import Function, to_list
from .descent import argmax, argmin, maximum

ENGINES = {"f": forward.grad, "r": reverse.grad}


def f(p1, p2):
    return (p1[0] ** 2 + p1[1] ** 2) - (p2[0] ** 2 + p2[1] ** 2)


def saddle(start, outer, inner):
    inner_cost = lambda p1: (lambda p2: f(p1, p2))
    inner_gradient = lambda p1: ENGINES[inner](inner_cost(p1))
    outer_cost = lambda p1: maximum(inner_cost(p1), inner_gradient(p1), start)
    x = argmin(outer_cost, ENGINES[outer](outer_cost), start)
    y = argmax(inner_cost(x), inner_gradient(x), start)
    return np.concatenate([x, y])


def prepare(input):
    return (np.asarray(input["start"], dtype=float),)


def functions(d):
    return {name: Function(prepare, lambda start, name=name: saddle(start, name[0], name[1]), to_list)
            for name in ("rr", "ff", "fr", "rf")}
