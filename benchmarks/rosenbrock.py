"""Rosenbrock over a list of 100 Python floats: the gradient's cost relative
to the function itself.

Why scalars in a list: here every operation is a Python-level scalar
operation, so the ratio grad / f measures an engine's pure per-operation
overhead (boxing, recording, walking the tape), with no NumPy kernel to hide
behind. Target <= 40; micrograd is ~155 and HIPS autograd ~1,360.

The same `rosenbrock` function runs in every contender: it uses only Python
arithmetic, which each engine overloads.
"""

import numpy as np

from .suite import Benchmark, Pair, block

N = 100


def rosenbrock(xs):
    return sum(100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2 for i in range(len(xs) - 1))


def rosenbrock_gradient(xs):
    """The hand-derived gradient, in plain Python."""
    g = [0.0] * len(xs)
    for i in range(len(xs) - 1):
        a = xs[i + 1] - xs[i] ** 2
        g[i] += -400.0 * xs[i] * a - 2.0 * (1.0 - xs[i])
        g[i + 1] += 200.0 * a
    return g


def make_point(n=N, seed=0):
    return [float(v) for v in np.random.default_rng(seed).uniform(-1.5, 1.5, n)]


def build(n=N):
    import autograd
    import jax
    from modes import reverse

    xs = make_point(n)
    ours, theirs = reverse.grad(rosenbrock), autograd.grad(rosenbrock)
    jax_grad = jax.grad(rosenbrock)
    jitted = jax.jit(jax_grad)
    contenders = {
        "f": lambda: rosenbrock(xs),
        "reverse.grad": lambda: ours(xs),
        "hand-written grad": lambda: rosenbrock_gradient(xs),
        "autograd": lambda: theirs(xs),
        "jax eager": lambda: block(jax_grad(xs)),
        "jax jit": lambda: block(jitted(xs)),
    }
    pairs = [Pair("reverse.grad", "f", 40.0)] + [
        Pair(label, "f") for label in ("hand-written grad", "autograd", "jax eager", "jax jit")]
    return [Benchmark("rosenbrock", contenders, "hand-written grad", pairs,
                      note=f"list of {n} Python floats", primal_only=("f",))]
