"""The CS231n backpropagation notes' worked examples, exact numbers, both engines."""

import numpy as np
import pytest

import modes
from modes import forward, reverse

ENGINES = {"forward": forward.grad, "reverse": reverse.grad}


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@pytest.mark.parametrize("engine", ENGINES)
def test_example_1_add_then_multiply(engine):
    f = lambda x, y, z: (x + y) * z
    assert f(-2.0, 5.0, -4.0) == -12.0
    dx, dy, dz = ENGINES[engine](f, argnums=(0, 1, 2))(-2.0, 5.0, -4.0)
    assert (dx, dy, dz) == (-4.0, -4.0, 3.0)    # df/dq = z = -4 flows to x and y; df/dz = q = 3


@pytest.mark.parametrize("engine", ENGINES)
def test_example_2_sigmoid_neuron(engine):
    def neuron(w, x):
        return sigmoid(w[0] * x[0] + w[1] * x[1] + w[2])
    w, x = np.array([2.0, -3.0, -3.0]), np.array([-1.0, -2.0])
    f = neuron(w, x)
    ddot = (1 - f) * f                           # the sigmoid gate's local gradient
    dw, dx = ENGINES[engine](neuron, argnums=(0, 1))(w, x)
    assert f == pytest.approx(0.7310585786300049, abs=1e-12)
    np.testing.assert_allclose(dx, [w[0] * ddot, w[1] * ddot], rtol=1e-12)
    np.testing.assert_allclose(dw, [x[0] * ddot, x[1] * ddot, ddot], rtol=1e-12)
    np.testing.assert_allclose(dx, [0.393, -0.590], atol=5e-4)
    np.testing.assert_allclose(dw, [-0.197, -0.393, 0.197], atol=5e-4)


def staged(x, y):
    sigy = sigmoid(y)
    num = x + sigy
    sigx = sigmoid(x)
    xpy = x + y
    xpysqr = xpy ** 2
    den = sigx + xpysqr
    invden = 1.0 / den
    return num * invden


@pytest.mark.parametrize("engine", ENGINES)
def test_example_3_staged_computation(engine):
    dx, dy = ENGINES[engine](staged, argnums=(0, 1))(3.0, -4.0)
    assert dx == pytest.approx(2.0595697955721652, abs=1e-12)
    assert dy == pytest.approx(1.5922327514838093, abs=1e-12)


def test_example_3_hand_staged_backward_agrees():
    """The notes' backward stages, with `+=` at the forks, against the engine."""
    x, y = 3.0, -4.0
    sigy = sigmoid(y); num = x + sigy; sigx = sigmoid(x); xpy = x + y
    xpysqr = xpy ** 2; den = sigx + xpysqr; invden = 1.0 / den
    dnum = invden
    dinvden = num
    dden = (-1.0 / den ** 2) * dinvden
    dsigx = dden
    dxpysqr = dden
    dxpy = 2 * xpy * dxpysqr
    dx = dxpy
    dy = dxpy
    dx += (1 - sigx) * sigx * dsigx
    dx += dnum
    dsigy = dnum
    dy += (1 - sigy) * sigy * dsigy
    assert (dx, dy) == pytest.approx(reverse.grad(staged, argnums=(0, 1))(x, y), abs=1e-15)


def test_example_4_gate_patterns():
    """add distributes, max routes, multiply swaps: upstream gradient 2.00."""
    upstream = 2.0
    _, add_vjp = reverse.vjp(lambda a, b: a + b, 1.0, 3.0)
    assert add_vjp(upstream) == (2.0, 2.0)
    _, max_vjp = reverse.vjp(lambda z, w: np.maximum(z, w), 2.0, -1.0)
    assert max_vjp(upstream) == (2.0, 0.0)
    _, mul_vjp = reverse.vjp(lambda x, y: x * y, 3.0, -4.0)
    assert mul_vjp(upstream) == (-8.0, 6.0)


@pytest.mark.parametrize("engine", ["forward", "reverse"])
def test_example_5_matrix_multiply(engine):
    rng = np.random.default_rng(0)
    W, X = rng.normal(size=(5, 10)), rng.normal(size=(10, 3))
    dD = rng.normal(size=(5, 3))
    if engine == "reverse":
        D, vjp_fn = reverse.vjp(lambda W, X: W @ X, W, X)
        dW, dX = vjp_fn(dD)
    else:
        jac_W, jac_X = forward.jacobian(lambda W, X: W @ X, argnums=(0, 1))(W, X)
        dW = np.tensordot(dD, jac_W, axes=2)
        dX = np.tensordot(dD, jac_X, axes=2)
    assert dW.shape == W.shape and dX.shape == X.shape
    np.testing.assert_allclose(dW, dD @ X.T, rtol=1e-12)    # dW = dD . X^T
    np.testing.assert_allclose(dX, W.T @ dD, rtol=1e-12)    # dX = W^T . dD


def test_trace_stages_the_notes_example():
    t = reverse.trace(staged, 3.0, -4.0)
    table = t.table
    assert list(table.columns[:6]) == ["step", "name", "op", "inputs", "value", "gradient"]
    assert table.loc[table.name == "x", "gradient"].item() == pytest.approx(2.0595697955721652, abs=1e-12)
    assert table.iloc[-1]["gradient"] == 1.0 and table.iloc[-1]["op"] == "mul"
    assert "dx = 2.05957" in str(t)
    # x is used three times: its gradient is the sum over those uses (+= at the fork)
    uses = [i for i, r in enumerate(t.records) if t.inputs[0] in r.parents]
    assert len(uses) == 3


def test_top_level_api_names():
    f = lambda x: np.sum(np.tanh(x) ** 2)
    x = np.linspace(-1, 1, 4)
    g = modes.grad(f)(x)
    np.testing.assert_allclose(g, 2 * np.tanh(x) * (1 - np.tanh(x) ** 2), rtol=1e-12)
    value, g2 = modes.value_and_grad(f)(x)
    assert value == pytest.approx(f(x)) and np.allclose(g, g2)
    out, tangent = modes.jvp(f, (x,), (np.ones(4),))
    assert tangent == pytest.approx(np.sum(g))
    out, vjp_fn = modes.vjp(f, x)
    np.testing.assert_allclose(vjp_fn(1.0)[0], g)
    np.testing.assert_allclose(modes.jacfwd(np.tanh)(x), modes.jacrev(np.tanh)(x), rtol=1e-12)
