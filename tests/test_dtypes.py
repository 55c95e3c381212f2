"""float32 stays float32: the derivatives of float32 inputs are float32 in
both engines (as JAX), and equal the float64 derivatives rounded to float32.
Each op here once built a partial or a filled-in zero tangent as float64."""

import numpy as np
import pytest

from modes import forward, reverse
from modes.ops import elementwise, reductions, shape

# kinks included: abs at 0 (+1), ties of maximum/minimum at 0 (0.5), clip at -1 (0.5)
X = np.array([1.0, -2.0, 0.5, 0.0, -1.0])
X32 = X.astype(np.float32)
C32 = np.array([3.0, -1.0], np.float32)       # a float32 constant argument

OPS = {
    "abs": np.abs,
    "maximum": lambda a: np.maximum(a, 0.0),
    "minimum": lambda a: np.minimum(a, 0.0),
    "where": lambda a: np.where(a > 0, a, 0.0),
    "clip": lambda a: np.clip(a, -1.0, 1.0),
    "relu-style maximum with an array": lambda a: np.maximum(a, np.zeros(5, np.float32)),
    "max": np.max,
    "min": np.min,
    "max with ties": lambda a: np.max(np.minimum(a, 0.5)),
    "min over an axis": lambda a: np.min(np.reshape(a[:4], (2, 2)), axis=1),
    "norm 1": lambda a: np.linalg.norm(a, 1),
    "norm inf": lambda a: np.linalg.norm(a, np.inf),
    "matrix norm 1": lambda a: np.linalg.norm(np.reshape(a[:4], (2, 2)), 1),
    "matrix norm -inf": lambda a: np.linalg.norm(np.reshape(a[:4], (2, 2)), -np.inf),
    "concatenate": lambda a: np.concatenate([a, C32]),
    "stack": lambda a: np.stack([a, np.ones(5, np.float32)]),
}
# forward mode fills constant arguments with zero tangents: only these need it
FORWARD_ONLY = {"concatenate", "stack"}


def _sum(f):
    return lambda a: np.sum(f(a))


def _check(got32, got64):
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, got64.astype(np.float32), rtol=1e-6)


@pytest.mark.parametrize("name", OPS)
def test_forward_jvp_keeps_float32(name):
    f = OPS[name]
    out32, t32 = forward.jvp(f, (X32,), (np.ones(5, np.float32),))
    _, t64 = forward.jvp(f, (X,), (np.ones(5),))
    assert np.result_type(out32) == np.float32
    _check(t32, t64)


@pytest.mark.parametrize("name", sorted(set(OPS) - FORWARD_ONLY))
def test_forward_grad_keeps_float32(name):
    _check(forward.grad(_sum(OPS[name]))(X32), forward.grad(_sum(OPS[name]))(X))


@pytest.mark.parametrize("name", sorted(set(OPS) - FORWARD_ONLY))
def test_reverse_grad_keeps_float32(name):
    _check(reverse.grad(_sum(OPS[name]))(X32), reverse.grad(_sum(OPS[name]))(X))


@pytest.mark.parametrize("name", OPS)
def test_reverse_vjp_keeps_float32(name):
    f = OPS[name]
    out32, vjp32 = reverse.vjp(f, X32)
    out64, vjp64 = reverse.vjp(f, X)
    ct = np.linspace(-1.0, 2.0, np.size(out64)).reshape(np.shape(out64))
    _check(vjp32(ct.astype(np.float32))[0], vjp64(ct)[0])


# The rules themselves, without an engine around them (an engine casting its
# final cotangent back to the input's dtype must not hide a float64 rule).
def _rule_cases():
    x, c = X32, (X32 > 0)
    ones = np.ones(5, np.float32)
    return [
        ("abs", elementwise.ABS, (x,), {}),
        ("relu", elementwise.RELU, (x,), {}),
        ("maximum", elementwise.MAXIMUM, (x, 0.0), {}),
        ("minimum", elementwise.MINIMUM, (x, 0.0), {}),
        ("maximum of arrays", elementwise.MAXIMUM, (x, ones - 1), {}),
        ("minimum of arrays", elementwise.MINIMUM, (ones - 1, x), {}),
        ("clip", elementwise.CLIP, (x, -1.0, 1.0), {}),
        ("clip with array bounds", elementwise.CLIP, (x, -ones, ones), {}),
        ("where", elementwise.WHERE, (c, x, 0.0), {}),
        ("where, second branch", elementwise.WHERE, (c, 0.0, x), {}),
        ("max", reductions.MAX, (x,), dict(axis=(0,), keepdims=False)),
        ("min", reductions.MIN, (x,), dict(axis=(0,), keepdims=True)),
        ("concatenate", shape.CONCATENATE, (x, C32), dict(axis=0)),
    ]


@pytest.mark.parametrize("case", _rule_cases(), ids=lambda case: case[0])
def test_rules_keep_float32(case):
    _, op, args, params = case
    out = op.impl(*args, **params)
    for i, a in enumerate(args):
        if np.result_type(a) != np.float32 or i in op.nondiff:
            continue
        tangents = [None] * len(args)
        tangents[i] = np.ones(np.shape(a), np.float32)
        assert op.jvp(tangents, out, *args, **params).dtype == np.float32, f"jvp, argument {i}"
        ct = np.ones(np.shape(out), np.float32)
        assert op.vjp(ct, i, out, *args, **params).dtype == np.float32, f"vjp, argument {i}"


def test_float64_partials_at_kinks_keep_the_jax_conventions():
    x = np.array([0.0, 1.0, -1.0, 2.0])
    np.testing.assert_array_equal(reverse.grad(_sum(np.abs))(x), [1.0, 1.0, -1.0, 1.0])
    np.testing.assert_array_equal(reverse.grad(_sum(lambda a: np.maximum(a, 0.0)))(x), [0.5, 1.0, 0.0, 1.0])
    np.testing.assert_array_equal(reverse.grad(_sum(lambda a: np.clip(a, -1.0, 1.0)))(x), [1.0, 0.5, 0.5, 0.0])
    np.testing.assert_array_equal(reverse.grad(np.max)(np.array([2.0, 1.0, 2.0])), [0.5, 0.0, 0.5])
    assert reverse.grad(_sum(np.abs))(x).dtype == np.float64


def test_second_derivatives_keep_float32():
    f = lambda a: np.sum(np.abs(a) * np.maximum(a, 0.0) + np.clip(a, -1.0, 1.0) ** 2)
    h32 = forward.jacobian(reverse.grad(f))(X32)
    _check(h32, forward.jacobian(reverse.grad(f))(X))
