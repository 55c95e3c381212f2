"""GradBench's `particle` (Pearlmutter and Siskind): a charged particle from
x(0) = (0, 8), x'(0) = (0.75, 0) in the potential p(x; w) = 1/|x - (10, 10 - w)|
+ 1/|x - (10, 0)|, accelerated by -grad_x p, integrated by naive Euler
(dt = 0.1) until it would cross the x axis, then linearly extrapolated to it;
the cost is x_0(t_f)^2 and w is found by gradient descent (descent.py) from
the input w. Function `ab`: the descent's derivative (in w) by engine a, the
force's (in x) by engine b, one nested inside the other."""

import numpy as np

from modes import forward, reverse

from . import Function, to_float
from .descent import argmin

DT = 0.1
ENGINES = {"f": forward.grad, "r": reverse.grad}


def potential(charges, x):
    return sum(1.0 / np.sqrt(np.sum((x - charge) ** 2)) for charge in charges)


def miss_squared(w, gradient):
    """x_0(t_f)^2 for control w, the force from `gradient` (an engine's grad)."""
    charges = (np.array([10.0, 10.0]) - w * np.array([0.0, 1.0]), np.array([10.0, 0.0]))
    force = gradient(lambda x: potential(charges, x))
    x, velocity = np.array([0.0, 8.0]), np.array([0.75, 0.0])
    while True:
        x_new = x + DT * velocity
        if not x_new[1] > 0:
            break
        x, velocity = x_new, velocity - DT * force(x)
    t_f = -x[1] / velocity[1]
    return (x[0] + t_f * velocity[0]) ** 2


def solve(w0, outer, inner):
    cost = lambda w: miss_squared(w[0], ENGINES[inner])
    return argmin(cost, ENGINES[outer](cost), np.array([w0]))[0]


def prepare(input):
    return (float(input["w"]),)


def functions(d):
    return {name: Function(prepare, lambda w0, name=name: solve(w0, name[0], name[1]), to_float)
            for name in ("rr", "ff", "fr", "rf")}
