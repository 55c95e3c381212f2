"""Every registered op, generated from the registry: forward vs reverse vs
JAX vs finite differences (via check_grads), at random shapes and points.

Elementwise ops get random shapes (0-d, vectors, matrices, broadcasting
pairs; 0-d arguments are sometimes Python floats) and points from their
`domain` samplers; the other ops get their `examples` at random points. An
op is covered by being registered: nothing here names one, except to check
the slowest at fewer examples in `make test`.

Profiles: "fast" (default, `make test`) runs a few examples per op (one for
the slowest, SLOW below); "full" (`make test-full` sets
FWDREV_HYPOTHESIS_PROFILE=full) many more.
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

settings.register_profile("fast", max_examples=5, deadline=None, database=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("full", max_examples=100, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("FWDREV_HYPOTHESIS_PROFILE", "fast"))

from comparisons import check_grads  # noqa: E402
from modes.registry import REGISTRY  # noqa: E402
from test_registry import realified  # noqa: E402

def _takes_or_gives_complex(op):
    """An op whose examples hold complex values (fft, real/imag/conj/abs of
    complex values): checked as a real function of real and imaginary parts."""
    if op.examples is None:
        return False
    for args, params in op.examples(np.random.default_rng(0)):
        if any(np.iscomplexobj(a) for a in args) or np.iscomplexobj(op.impl(*args, **params)):
            return True
    return False


# what is registered when the tests are collected
OPS = sorted(name for name in REGISTRY if not _takes_or_gives_complex(REGISTRY[name]))
COMPLEX_OPS = sorted(name for name in REGISTRY if _takes_or_gives_complex(REGISTRY[name]))


@st.composite
def elementwise_case(draw, op):
    """Arguments of broadcast-compatible random shapes, drawn from the domain."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=len(op.domain), min_dims=0,
                                                   max_dims=2, min_side=1, max_side=3)).input_shapes
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    args = []
    for sampler, shape in zip(op.domain, shapes):
        value = np.asarray(sampler(rng, shape))
        if shape == () and value.dtype.kind == "f" and draw(st.booleans()):
            value = float(value)          # Python floats take the ops' scalar path
        args.append(value)
    return tuple(args), {}


@st.composite
def example_case(draw, op):
    """One of the op's own examples, at a random point."""
    cases = op.examples(np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1))))
    return cases[draw(st.integers(0, len(cases) - 1))]


def cases_for(op):
    if op.elementwise and op.domain:
        return elementwise_case(op)
    if op.examples is not None:
        return example_case(op)
    return None


# The slowest ops here (5-20 s for the fast profile's five examples, on a 2-core
# machine: matrix functions, special functions with series or continued fractions,
# complex factorizations): `make test` checks each at one example, `make test-full`
# at the full profile's many.
SLOW = {"svd", "expi", "exp1", "beta", "betaln", "ndtri", "gammaincc"}
SLOW_COMPLEX = {"cholesky", "solve", "logabsdet", "det", "fftn", "expm", "sylvester", "pinv", "lu_factor"}


def test_the_slow_ops_are_registered_ops():
    assert SLOW <= set(OPS) and SLOW_COMPLEX <= set(COMPLEX_OPS)


def examples(name, slow):
    """How many examples of op `name` this profile draws."""
    if name in slow and os.environ.get("FWDREV_HYPOTHESIS_PROFILE", "fast") == "fast":
        return 1
    return settings().max_examples


@pytest.mark.parametrize("name", OPS)
# astype's examples start from float32 on purpose; the check says it compares
# at float32 precision, which is expected here
@pytest.mark.filterwarnings("ignore::comparisons.check.PrecisionWarning")
def test_op_agrees_with_jax_and_finite_differences(name):
    op = REGISTRY[name]
    strategy = cases_for(op)
    if strategy is None:
        pytest.skip(f"op {name!r} has neither a domain nor examples: give it one to be covered")

    @settings(max_examples=examples(name, SLOW))
    @given(data=st.data())
    def agrees(data):
        args, params = data.draw(strategy, label="args, params")
        differentiable = tuple(i for i in range(len(args)) if i not in op.nondiff)

        def f(*xs):
            return op(*xs, **params)
        f.__name__ = name
        check_grads(f, args, argnums=differentiable).raise_if_failed()
    agrees()


@pytest.mark.parametrize("name", COMPLEX_OPS)
def test_complex_op_agrees_with_jax_and_finite_differences(name):
    """Complex arguments and outputs as their real and imaginary parts: finite
    differences and JAX's Jacobians compare real functions."""
    op = REGISTRY[name]

    @settings(max_examples=examples(name, SLOW_COMPLEX))
    @given(data=st.data())
    def agrees(data):
        args, params = data.draw(example_case(op), label="args, params")
        differentiable = tuple(i for i in range(len(args)) if i not in op.nondiff)
        f, args, differentiable = realified(op, args, params, differentiable)
        f.__name__ = name
        check_grads(f, args, argnums=differentiable).raise_if_failed()
    agrees()
