"""The forward engine: Duals, chunks, pytrees, plain NumPy functions, kinks, errors."""

import numpy as np
import pytest

from modes import forward, reverse
from modes.errors import EscapedValueWarning
from modes.forward import Dual
from modes.numpy_dispatch import UnsupportedFunction


def test_dual_by_hand():
    d = np.sin(Dual(0.5, 1.0)) * 3.0
    assert d.primal == pytest.approx(3 * np.sin(0.5)) and d.tangent == pytest.approx(3 * np.cos(0.5))


def test_dual_with_a_chunk_of_tangents():
    x = np.array([1.0, 2.0, 3.0])
    d = np.sum(Dual(x, np.eye(3)) ** 2)
    np.testing.assert_allclose(d.tangent, 2 * x)


@pytest.mark.parametrize("chunk", [1, 3, 13, 14, None])
def test_chunk_sizes_give_the_same_jacobian(chunk):
    rng = np.random.default_rng(0)
    x = rng.normal(size=13)
    A = rng.normal(size=(5, 13))
    f = lambda x: np.tanh(A @ x) * x[:5]
    expected = (1 - np.tanh(A @ x) ** 2)[:, None] * A * x[:5, None] + np.diag(np.tanh(A @ x)) @ np.eye(5, 13)
    np.testing.assert_allclose(forward.jacobian(f, chunk=chunk)(x), expected, rtol=1e-12, atol=1e-14)


def test_closed_form_tanh_layer():
    rng = np.random.default_rng(1)
    W, b, x = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=3)
    f = lambda W, b: np.sum(np.tanh(W @ x + b))
    dW, db = forward.grad(f, argnums=(0, 1))(W, b)
    local = 1 - np.tanh(W @ x + b) ** 2            # d tanh(s)/ds
    np.testing.assert_allclose(db, local, rtol=1e-12)
    np.testing.assert_allclose(dW, np.outer(local, x), rtol=1e-12)


def test_closed_form_softmax_loss():
    rng = np.random.default_rng(2)
    scores, label = rng.normal(size=(4, 5)), np.array([0, 3, 1, 4])

    def loss(scores):
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        return -np.mean(log_probs[np.arange(4), label])
    probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
    expected = probs.copy()
    expected[np.arange(4), label] -= 1                # d loss / d scores = (p - y) / N
    expected /= 4
    np.testing.assert_allclose(forward.grad(loss)(scores), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(reverse.grad(loss)(scores), expected, rtol=1e-12, atol=1e-15)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def rosenbrock_gradient(x):
    g = np.zeros_like(x)
    g[:-1] = -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    g[1:] += 200 * (x[1:] - x[:-1] ** 2)
    return g


def test_closed_form_rosenbrock():
    x = np.random.default_rng(3).normal(size=7)
    np.testing.assert_allclose(forward.grad(rosenbrock, chunk=3)(x), rosenbrock_gradient(x), rtol=1e-12)


def test_pytree_arguments_mirror_their_structure():
    params = {"W": np.ones((2, 3)), "b": [np.zeros(2), 1.5]}
    f = lambda p, x: np.sum(np.tanh(p["W"] @ x + p["b"][0])) * p["b"][1]
    x = np.array([0.1, 0.2, 0.3])
    g_forward = forward.grad(f)(params, x)
    g_reverse = reverse.grad(f)(params, x)
    assert set(g_forward) == {"W", "b"} and isinstance(g_forward["b"], list)
    assert isinstance(g_forward["b"][1], float)                 # scalars stay scalars
    np.testing.assert_allclose(g_forward["W"], g_reverse["W"], rtol=1e-12)
    assert g_forward["b"][1] == pytest.approx(g_reverse["b"][1], rel=1e-12)


def test_jvp_returns_tuples_like_jax():
    out, tangent = forward.jvp(lambda x, y: (x * y, x + y), (2.0, 3.0), (1.0, 0.0))
    assert out == (6.0, 5.0) and tangent == (3.0, 1.0)


def test_outputs_that_do_not_depend_on_the_input_have_zero_tangent():
    out, tangent = forward.jvp(lambda x: np.ones(3), (1.0,), (1.0,))
    np.testing.assert_array_equal(tangent, np.zeros(3))


@pytest.mark.parametrize("engine", [forward.grad, reverse.grad])
def test_kink_conventions_match_jax(engine):
    assert engine(np.abs)(0.0) == 1.0                                        # abs at 0: +1
    assert engine(lambda x: np.maximum(x, 0.0))(0.0) == 0.5                  # maximum tie: split
    assert engine(lambda x: np.minimum(x, 0.0))(0.0) == 0.5
    np.testing.assert_array_equal(engine(np.max)(np.array([1.0, 3.0, 3.0])), [0, 0.5, 0.5])
    np.testing.assert_array_equal(engine(np.min)(np.array([2.0, 2.0, 3.0, 2.0])), [1 / 3, 1 / 3, 0, 1 / 3])
    assert engine(np.sign)(0.3) == 0.0 and engine(np.floor)(1.5) == 0.0 and engine(np.round)(1.2) == 0.0
    with np.errstate(divide="ignore"):
        assert engine(np.sqrt)(0.0) == np.inf
    assert engine(lambda x: x ** 2)(0.0) == 0.0
    assert engine(lambda x: x ** 0)(0.0) == 0.0 and engine(lambda x: x ** 0.0)(0.0) == 0.0
    assert engine(lambda x: np.clip(x, 0.0, 1.0))(0.0) == 0.5
    from modes.ops import relu
    assert engine(relu)(0.0) == 0.0                                          # registry relu: 0


@pytest.mark.parametrize("engine", [forward.grad, reverse.grad])
def test_integer_inputs_are_refused(engine):
    with pytest.raises(TypeError, match="floating-point"):
        engine(lambda x: x * 2.0)(3)
    with pytest.raises(TypeError, match="int64"):
        engine(lambda x: np.sum(x))(np.arange(3))
    with pytest.raises(TypeError, match="bool"):
        engine(lambda x: np.sum(x))(np.array([True, False]))


def test_tangent_shape_must_match():
    with pytest.raises(ValueError, match="tangent shape"):
        forward.jvp(np.sin, (np.ones(3),), (np.ones(4),))
    with pytest.raises(TypeError, match="mirror"):
        forward.jvp(lambda x, y: x * y, (1.0, 2.0), (1.0,))


@pytest.mark.parametrize("engine", [forward.grad, reverse.grad])
def test_grad_needs_a_scalar_output(engine):
    with pytest.raises(TypeError, match="scalar output"):
        engine(lambda x: x * 2.0)(np.ones(3))


def test_an_escaped_dual_is_its_value_outside_and_a_constant_inside_a_new_call():
    state = {}

    def f(x):
        state["scaled"] = 3.0 * x       # user state keeps a Dual (a running mean, a cache)
        return x * x
    forward.jvp(f, (2.0,), (1.0,))
    with pytest.warns(EscapedValueWarning, match="finished differentiation call.*constant") as warned:
        assert state["scaled"] * 2.0 == 12.0                    # outside any call: its value
        assert float(state["scaled"]) == 6.0
        # inside a new call it is a constant: d(x * 6)/dx = 6, not 6 + 3x
        assert forward.grad(lambda x: x * state["scaled"])(5.0) == 6.0
        assert reverse.grad(lambda x: x * state["scaled"])(5.0) == 6.0
    assert len(warned) == 1, "said once per finished call"
    assert warned[0].filename == __file__       # the user's line, not fwdrev's


def test_a_numpy_function_without_a_rule_names_itself():
    with pytest.raises(UnsupportedFunction, match=r"numpy\.histogram.*defop"):
        forward.grad(lambda x: np.sum(np.histogram(x)[1]))(np.ones(3))
    with pytest.raises(UnsupportedFunction, match=r"numpy\.unique.*defop\('unique'"):
        forward.jacobian(lambda a: np.unique(a))(np.ones(3))
    with pytest.raises(TypeError, match="derivative"):
        forward.grad(lambda x: float(x))(1.0)


def test_comparisons_and_control_flow_pass_through():
    f = lambda x: x * 2.0 if x > 0 else -x
    assert forward.grad(f)(1.0) == 2.0 and forward.grad(f)(-1.0) == -1.0
    assert reverse.grad(f)(1.0) == 2.0


def test_numpy_methods_on_duals():
    x = np.arange(6.0).reshape(2, 3)
    f = lambda x: x.T.reshape(-1).sum() + x.mean(axis=0).max() + x[None, ..., 1:].sum()
    np.testing.assert_allclose(forward.grad(f)(x), reverse.grad(f)(x), rtol=1e-12)


@pytest.mark.parametrize("engine", [forward.grad, reverse.grad])
def test_integer_constants_do_not_truncate_derivatives(engine):
    # d(x / 2)/dx = 1/2, not integer 1 // 2 = 0
    np.testing.assert_array_equal(engine(lambda x: np.sum(x) / 2)(np.ones((2, 2))), np.full((2, 2), 0.5))
    assert engine(lambda x: x / np.int64(4))(1.0) == 0.25
    assert engine(lambda x: 3 / x)(2.0) == -0.75


@pytest.mark.parametrize("engine", [forward.grad, reverse.grad])
def test_python_floats_follow_numpy_semantics(engine):
    # Python's (-8.0) ** (1/3) is complex and 1.0 / 0.0 raises; NumPy gives nan and inf
    with np.errstate(invalid="ignore", divide="ignore"):
        assert np.isnan(engine(lambda x: x ** (1 / 3))(-8.0))
        assert engine(lambda x: 1.0 / x)(0.0) == -np.inf
