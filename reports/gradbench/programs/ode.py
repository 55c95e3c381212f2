"""GradBench's `ode` (cmpad's an_ode): y_0' = x_0, y_i' = x_i y_{i-1} (i > 0),
y(0) = 0, solved by s steps of classical Runge-Kutta (RK4) up to t = 2.
`primal` is y(2); `gradient` the gradient of its last element in x.

The README's formula reads sum_{j=1}^i x_j y_{i-1}; cmpad's an_ode, GradBench's
C++ reference (that validates every tool) and its JAX tool all use x_i y_{i-1},
and so does this.
"""

import numpy as np

from . import Function, to_list

T_FINAL = 2.0


def rhs(x, y):
    return np.concatenate([x[:1], x[1:] * y[:-1]])


def ode(x, s):
    h = T_FINAL / s
    y = np.zeros(len(x))
    for _ in range(s):
        k1 = rhs(x, y)
        k2 = rhs(x, y + h / 2 * k1)
        k3 = rhs(x, y + h / 2 * k2)
        k4 = rhs(x, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


def last(x, s):
    return ode(x, s)[-1]


def prepare(input):
    return np.asarray(input["x"], dtype=float), int(input["s"])


def functions(d):
    return {"primal": Function(prepare, ode, to_list),
            "gradient": Function(prepare, d.grad(last), to_list)}
