"""GradBench's `llsq` (cmpad's llsq_obj): y(x) = 1/2 sum_i (s_i - sum_j x_j t_i^j)^2
with t_i = -1 + 2 i / (n - 1) and s_i = sign(t_i), i < n, j < m = len(x)."""

import numpy as np

from . import Function, to_float, to_list


def llsq(x, n):
    t = -1.0 + np.arange(n) * (2.0 / (n - 1))
    powers = t[:, None] ** np.arange(len(x))          # powers[i, j] = t_i^j
    residual = np.sign(t) - powers @ x
    return 0.5 * np.sum(residual * residual)


def prepare(input):
    return np.asarray(input["x"], dtype=float), int(input["n"])


def functions(d):
    return {"primal": Function(prepare, llsq, to_float),
            "gradient": Function(prepare, d.grad(llsq), to_list)}
