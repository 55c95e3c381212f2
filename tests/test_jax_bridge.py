"""The JAX bridge: plain NumPy code replayed through the ops' JAX twins."""

import subprocess
import sys

import numpy as np
import pytest

import modes
from comparisons import jax_bridge


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def staged(x, y):
    """Example 3 of the CS231n notes, plain NumPy."""
    return (x + sigmoid(y)) / (sigmoid(x) + (x + y) ** 2)


def test_importing_modes_and_comparisons_does_not_import_jax():
    code = "import sys, modes, comparisons; print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_jax_differentiates_plain_numpy_code_to_the_notes_numbers():
    dx, dy = jax_bridge.grad(staged, (0, 1))(3.0, -4.0)
    assert dx == pytest.approx(2.0595697955721652, rel=1e-14)
    assert dy == pytest.approx(1.5922327514838093, rel=1e-14)


def test_float64_without_touching_the_global_setting():
    import jax
    before = jax.config.jax_enable_x64
    out, tangent = jax_bridge.jvp(np.sin, (np.array([0.1, 0.2]),), (np.ones(2),))
    assert tangent.dtype == np.float64
    np.testing.assert_allclose(tangent, np.cos([0.1, 0.2]), rtol=1e-15)   # float32 would miss this
    assert jax.config.jax_enable_x64 == before


def test_replay_mirrors_pytrees_and_keeps_integer_arguments_constant():
    labels = np.array([0, 0, 2])

    def f(params, y):
        picked = params["w"][y]
        return {"total": np.sum(picked * params["b"]), "rows": [picked]}

    params = {"w": np.arange(3.0), "b": 2.0}
    with jax_bridge.x64():
        g = jax_bridge.replay(f, params, labels)
        out = g({"w": np.array([1.0, 5.0, 7.0]), "b": 3.0}, labels)
    assert set(out) == {"total", "rows"}
    assert float(out["total"]) == (1.0 + 1.0 + 7.0) * 3.0
    np.testing.assert_array_equal(np.asarray(out["rows"][0]), [1.0, 1.0, 7.0])


def test_replay_freezes_control_flow_at_the_traced_point():
    def f(x):
        return x if x > 0 else -x           # the branch is Python: frozen by the trace

    with jax_bridge.x64():
        g = jax_bridge.replay(f, 2.0)
        assert float(g(-1.0)) == -1.0       # the x > 0 branch, as JAX tracing would freeze it


def test_vjp_and_jvp_match_closed_forms():
    W = np.array([[1.0, 2.0], [3.0, -1.0]])
    x = np.array([0.5, -0.25])
    out, pullback = jax_bridge.vjp(lambda W, x: np.tanh(W @ x), W, x)
    ct = np.array([1.0, 2.0])
    dW, dx = pullback(ct)
    local = ct * (1 - np.tanh(W @ x) ** 2)
    np.testing.assert_allclose(dW, np.outer(local, x), rtol=1e-14)     # dW = dD x^T
    np.testing.assert_allclose(dx, W.T @ local, rtol=1e-14)            # dx = W^T dD
    _, tangent = jax_bridge.jvp(lambda W, x: np.tanh(W @ x), (W, x), (np.zeros_like(W), np.ones(2)))
    np.testing.assert_allclose(tangent, (1 - np.tanh(W @ x) ** 2) * W.sum(axis=1), rtol=1e-14)


def test_fancy_indexing_accumulates_in_jax_too():
    index = np.array([0, 0, 2])
    grad = jax_bridge.grad(lambda x: np.sum(x[index] ** 2))(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(grad, [4.0, 0.0, 6.0])


def test_an_op_without_a_jax_twin_is_refused_by_name():
    half = modes.defop("bridge_test_half", lambda x: x / 2, jvp=lambda t, out, x: t[0] / 2,
                       vjp=lambda ct, argnum, out, x: ct / 2)
    try:
        with pytest.raises(jax_bridge.NotReplayable, match="bridge_test_half.*jax="):
            jax_bridge.grad(lambda x: np.sum(half(x)))(np.ones(2))
        segment = modes.checkpoint(lambda x: np.sin(x))
        with pytest.raises(jax_bridge.NotReplayable, match="checkpoint"):
            jax_bridge.grad(lambda x: np.sum(segment(x)))(np.ones(2))
    finally:
        modes.REGISTRY.pop("bridge_test_half", None)


def test_check_steps_blames_the_op_with_a_wrong_rule():
    bad = modes.defop("bridge_test_bad_square", lambda x: x ** 2,
                      jvp=lambda t, out, x: 2 * x * t[0],
                      vjp=lambda ct, argnum, out, x: -2 * x * ct,          # sign error
                      jax=lambda x: x ** 2)
    try:
        steps = jax_bridge.check_steps(lambda x: np.sum(np.sin(bad(x))), [np.array([0.5, 1.5])])
    finally:
        modes.REGISTRY.pop("bridge_test_bad_square", None)
    failing = {(s["op"], s["rule"]) for s in steps if not s["passed"]}
    assert failing == {("bridge_test_bad_square", "vjp")}
    assert {s["op"] for s in steps} == {"bridge_test_bad_square", "sin", "sum"}
