"""GradBench's `lse`: LSE(x) = a + log sum_i exp(x_i - a) with a = max x (the
LogSumExp trick), from its primitives (a maximum, a sum), as the README asks."""

import numpy as np

from . import Function, to_float, to_list


def lse(x):
    a = np.max(x)
    return a + np.log(np.sum(np.exp(x - a)))


def prepare(input):
    return (np.asarray(input["x"], dtype=float),)


def functions(d):
    return {"primal": Function(prepare, lse, to_float),
            "gradient": Function(prepare, d.grad(lse), to_list)}
