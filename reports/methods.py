"""The ways of computing a workload's derivative that the report compares.

Every method computes the same thing, the full Jacobian of f at x as an
(m, n) array (the gradient when m = 1), so that times, operation counts and
errors line up row by row. `primal` evaluates f itself: the unit of cost.

`family` says which theory applies: a forward-family method pays per input
direction (n passes), a reverse-family method per output row (m passes).
`engine` says whose code runs: fwdrev's engines, JAX (replaying the same
recorded program through each op's JAX twin, so that JAX differentiates the
workload without it being rewritten), or finite differences (f on floats).

`Method.prepare(instance)` does the untimed setup and returns a thunk that the
harness calls repeatedly; nothing expensive may hide in the setup.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from modes import forward, reverse


@dataclass(frozen=True)
class Method:
    name: str
    family: str            # "primal" | "forward" | "reverse"
    engine: str            # "numpy" | "fwdrev" | "jax" | "fd"
    doc: str
    prepare: Callable      # instance -> (() -> derivative as an (m, n) array)
    applies: Callable = lambda workload, instance: True
    jit: bool = False      # only with --jit


def _as_matrix(instance, value):
    return np.reshape(np.asarray(value, dtype=np.result_type(value, np.float64)),
                      (instance.n_outputs, instance.n_inputs))


# ---------------------------------------------------------------------------
# fwdrev's engines

def _primal(instance):
    f, x = instance.f, instance.x
    return lambda: f(x)


def _forward(chunk):
    def prepare(instance):
        jacobian = forward.jacobian(instance.f, chunk=chunk)
        return lambda: _as_matrix(instance, jacobian(instance.x))
    return prepare


def _reverse(chunk, checkpointed=False):
    def prepare(instance):
        f = instance.f_checkpointed if checkpointed else instance.f
        if instance.n_outputs == 1:      # a gradient: one plain backward pass
            grad = reverse.grad(f)
            return lambda: _as_matrix(instance, grad(instance.x))
        jacobian = reverse.jacobian(f, chunk=chunk)
        return lambda: _as_matrix(instance, jacobian(instance.x))
    return prepare


# ---------------------------------------------------------------------------
# JAX, on the same program

@contextlib.contextmanager
def jax_x64():
    """JAX in float64 for the duration of our own calls only: the user's
    global setting is never flipped. Eager otherwise as JAX is by default
    (its own jitted helpers stay jitted), which is what a user of
    jax.jacfwd without jax.jit gets."""
    import jax
    with jax.enable_x64(True):
        yield jax


def _jax(transform_name, jit=False):
    """jax.jacfwd / jax.jacrev of f's replay: the tape of f at x re-run with
    each op's JAX twin (comparisons.jax_bridge), so JAX differentiates the
    same program without the workload being rewritten."""
    def prepare(instance):
        from comparisons.jax_bridge import replay
        with jax_x64() as jax:
            g = getattr(jax, transform_name)(replay(instance.f, instance.x))
            if jit:
                g = jax.jit(g)
            x = jax.numpy.asarray(instance.x)

        def run():
            with jax_x64():
                return _as_matrix(instance, np.asarray(g(x)))
        return run
    return prepare


def jax_reference(instance):
    """The accuracy reference: JAX's Jacobian of the same program, by the mode
    with fewer passes, eager."""
    transform = "jacrev" if instance.n_outputs <= instance.n_inputs else "jacfwd"
    return _jax(transform)(instance)()


# ---------------------------------------------------------------------------
# Finite differences (comparisons.finite_diff, written independently of AD)

def _finite_difference(method):
    def prepare(instance):
        from comparisons import finite_diff
        return lambda: _as_matrix(instance, finite_diff.jacobian(instance.f, instance.x, method).value)
    return prepare


def _analytic(workload, instance):
    return workload.analytic


def _vector_output(workload, instance):
    return instance.n_outputs > 1


def _checkpointed(workload, instance):
    return instance.f_checkpointed is not None


METHODS: dict[str, Method] = {m.name: m for m in [
    Method("primal", "primal", "numpy", "f(x) itself, plain NumPy: the unit of cost", _primal),
    Method("forward", "forward", "fwdrev", "forward mode, one input direction per pass (n passes)",
           _forward(1)),
    Method("forward-chunked", "forward", "fwdrev",
           "forward mode, all n directions in one pass (tangents with a leading chunk axis)",
           _forward(None)),
    Method("reverse", "reverse", "fwdrev",
           "reverse mode, one output row per backward pass (m passes; a gradient is one)",
           _reverse(1)),
    Method("reverse-batched", "reverse", "fwdrev",
           "reverse mode, all m rows in one backward pass (cotangents with a batch axis)",
           _reverse(None), applies=_vector_output),
    Method("reverse-checkpoint", "reverse", "fwdrev",
           "reverse mode with sqrt(T) checkpointed segments (recomputed in the backward pass)",
           _reverse(1, checkpointed=True), applies=_checkpointed),
    Method("jax-jacfwd", "forward", "jax", "jax.jacfwd of the replayed program, eager", _jax("jacfwd")),
    Method("jax-jacrev", "reverse", "jax", "jax.jacrev of the replayed program, eager", _jax("jacrev")),
    Method("jax-jacfwd-jit", "forward", "jax", "jax.jit(jax.jacfwd(...)), compile time excluded",
           _jax("jacfwd", jit=True), jit=True),
    Method("jax-jacrev-jit", "reverse", "jax", "jax.jit(jax.jacrev(...)), compile time excluded",
           _jax("jacrev", jit=True), jit=True),
    Method("fd-central", "forward", "fd",
           "central differences, step eps^(1/3) max(1, |x_i|) (estimator with error bounds: 4n + 1 f calls)",
           _finite_difference("central")),
    Method("complex-step", "forward", "fd",
           "Im f(x + ih) / h, only for analytic code (checked against central differences)",
           _finite_difference("complex-step"), applies=_analytic),
]}

DEFAULT_METHODS = tuple(name for name, m in METHODS.items() if not m.jit)
