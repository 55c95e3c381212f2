"""check_grads and check_gradient: verdicts, tables, messages, tolerances,
and the one-line assertions (comparisons.testing, the gradcheck fixture)."""

import importlib.metadata
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import modes
from comparisons import (GradientCheckError, PrecisionWarning, check_backward, check_gradient,
                         check_grads)
from comparisons.check import RTOL_ULPS, Comparison
from comparisons.testing import assert_gradients_close


@pytest.fixture
def user_op():
    """Register ops for one test, then take them out of the registry again
    (the registry-wide property suite must not see deliberately wrong ops)."""
    names = []

    def define(name, *args, **kwargs):
        names.append(name)
        return modes.defop(name, *args, **kwargs)
    yield define
    for name in names:
        modes.REGISTRY.pop(name, None)


def failing(result):
    return {(r.check, r.against) for r in result.comparisons if not r.passed}


def plain_numpy_layer(W, x, b):
    """No jax.numpy anywhere: replayed through the ops' JAX twins."""
    h = np.tanh(W @ x + b)
    return np.sum(h ** 2) + np.max(h), h


# --- passing checks -------------------------------------------------------------
def test_plain_numpy_function_checked_against_jax_fd_and_adjoint():
    rng = np.random.default_rng(0)
    result = check_grads(plain_numpy_layer, (rng.normal(size=(3, 4)), rng.normal(size=4),
                                             rng.normal(size=3)))
    assert result.ok, str(result)
    table = result.table
    assert list(table.columns[:8]) == ["order", "check", "against", "argument", "max_abs_error",
                                       "max_rel_error", "tolerance", "passed"]
    # forward: one row per output and reference; reverse: one per input; one adjoint row
    assert len(table) == 2 * 2 + 3 * 2 + 1
    assert set(table["argument"]) == {"out[0]", "out[1]", "W", "x", "b", "(all)"}
    assert "all 11 comparisons passed" in str(result)


def test_second_order_checks_forward_over_forward_and_reverse_over_reverse():
    result = check_grads(lambda x, y: np.sin(x) * np.exp(y), (np.array([0.3, -1.2]), 0.7), order=2)
    assert result.ok, str(result)
    assert set(result.table["order"]) == {1, 2}


def test_modes_and_references_can_be_chosen():
    result = check_grads(np.tanh, (np.array([0.5, 1.0]),), modes=("reverse",), against=("fd",))
    assert [(r.check, r.against) for r in result.comparisons] == [("reverse VJP", "fd")]
    with pytest.raises(ValueError, match="unknown mode 'sideways'"):
        check_grads(np.tanh, (np.ones(2),), modes=("sideways",))


def test_integer_arguments_are_constants():
    labels = np.array([2, 0])
    result = check_grads(lambda x, y: np.sum(x[np.arange(2), y] ** 3), (np.ones((2, 3)), labels))
    assert result.ok, str(result)
    assert set(result.table["argument"]) == {"out", "x", "(all)"}


def test_a_users_jax_twin_is_used_instead_of_the_replay():
    import jax.numpy as jnp
    good = check_grads(lambda x: np.sin(x) * x, (np.array([0.2, 0.4]),),
                       jax_twin=lambda x: jnp.sin(x) * x)
    assert good.ok, str(good)
    wrong = check_grads(lambda x: np.sin(x) * x, (np.array([0.2, 0.4]),),
                        jax_twin=lambda x: jnp.cos(x) * x)
    assert failing(wrong) == {("forward JVP", "jax"), ("reverse VJP", "jax")}
    assert "agree with finite differences but not with JAX" in str(wrong)


# --- a user op with a wrong rule ---------------------------------------------------
def test_vjp_sign_error_fails_on_adjoint_and_jax_and_says_which(user_op):
    cube = user_op("check_test_cube", lambda x: x ** 3,
                   jvp=lambda t, out, x: 3 * x ** 2 * t[0],
                   vjp=lambda ct, argnum, out, x: -3 * x ** 2 * ct,      # the sign error
                   jax=lambda x: x ** 3)
    result = check_grads(lambda x: np.sum(np.sin(cube(x))), (np.array([0.3, -0.8, 1.1]),))
    assert not result.ok
    assert failing(result) == {("reverse VJP", "jax"), ("reverse VJP", "fd"),
                               ("adjoint <u, J v>", "<J^T u, v>")}
    text = str(result)
    assert "FAIL reverse VJP vs jax" in text and "FAIL adjoint" in text
    assert "a VJP rule is wrong" in text
    assert "op 'check_test_cube': its VJP rule" in text
    # the sign flips every element: CS231n relative error 2, located in x
    assert result.worst.argument == "x" and result.worst.relative_error == pytest.approx(2.0)


def test_data_with_missing_values_is_checked_and_a_wrong_rule_there_still_fails(user_op):
    # NaN and inf intermediates masked before the output (np.nan_to_num, np.where) give the
    # rounding analysis nothing to bound: the finite-difference rows keep their own tolerance
    missing = np.array([0.0, np.nan, np.inf, -np.inf])
    masked = lambda x, op=np.sin: (np.sum(np.sin(np.nan_to_num(x + missing)))
                                   + np.sum(np.where(np.isnan(x * missing), 0.0, op(x))))
    x = np.array([0.3, -0.8, 1.1, 0.5])
    result = check_grads(masked, (x,))
    assert result.ok, str(result)
    assert np.isfinite(result.table["tolerance"]).all()
    cube = user_op("check_test_cube_missing", lambda x: x ** 3,
                   jvp=lambda t, out, x: 3 * x ** 2 * t[0],
                   vjp=lambda ct, argnum, out, x: -3 * x ** 2 * ct,      # the sign error
                   jax=lambda x: x ** 3)
    wrong = check_grads(lambda x: masked(x, cube), (x,))
    assert ("reverse VJP", "fd") in failing(wrong) and ("reverse VJP", "jax") in failing(wrong)


def test_jvp_error_is_told_apart_from_a_vjp_error(user_op):
    double = user_op("check_test_double", lambda x: 2 * x,
                     jvp=lambda t, out, x: 3 * t[0],                     # should be 2
                     vjp=lambda ct, argnum, out, x: 2 * ct, jax=lambda x: 2 * x)
    result = check_grads(lambda x: double(x) ** 2, (np.array([1.0, 2.0]),))
    assert {check for check, _ in failing(result)} == {"forward JVP", "adjoint <u, J v>"}
    assert "a JVP rule is wrong" in str(result)


def test_rules_that_are_not_differentiable_fail_only_at_order_two(user_op):
    from modes.ops import strip
    square = user_op("check_test_square", lambda x: x ** 2,
                     # strip() hides x from the outer derivative: d2/dx2 becomes 0
                     jvp=lambda t, out, x: 2 * strip(x) * t[0],
                     vjp=lambda ct, argnum, out, x: 2 * strip(x) * ct, jax=lambda x: x ** 2)
    result = check_grads(lambda x: square(x), (np.array([0.5, 1.5]),), order=2)
    orders = {r.order for r in result.comparisons if not r.passed}
    assert orders == {2}
    assert {(r.check, r.against) for r in result.comparisons if r.order == 2 and not r.passed} >= {
        ("forward JVP", "jax"), ("forward JVP", "fd"), ("reverse VJP", "jax"), ("reverse VJP", "fd")}


# --- what a result says ---------------------------------------------------------------
def test_relative_error_is_the_cs231n_one_and_zero_for_equal_values():
    c = Comparison(1, "hand-written gradient", "fd", "x", [1.0, 0.0, 2.0], [1.1, 0.0, 2.0], 1e-3)
    assert c.max_rel_error == pytest.approx(0.1 / 1.1)          # |a - b| / max(|a|, |b|)
    assert c.max_abs_error == pytest.approx(0.1)
    assert not c.passed and c.worst.index == (0,)
    assert (c.worst.value, c.worst.reference) == (1.0, 1.1)


def test_tolerances_come_from_dtype_and_magnitude_not_size():
    def f(x):
        return np.sum(np.sin(x))
    small = check_grads(f, (np.full(3, 0.5),), against=("jax",))
    large = check_grads(f, (np.full(300, 0.5),), against=("jax",))
    row = lambda r: r.table.set_index(["check", "against"]).loc[("reverse VJP", "jax")]
    # the gradient is cos(0.5) everywhere: the same tolerance whatever the size
    assert row(small)["tolerance"] == pytest.approx(row(large)["tolerance"])
    assert row(small)["tolerance"] == pytest.approx(RTOL_ULPS * np.finfo(np.float64).eps * np.cos(0.5))


def test_float32_inputs_get_float32_tolerances_and_a_warning():
    x = np.array([0.5, 1.5], dtype=np.float32)
    with pytest.warns(PrecisionWarning, match="float64"):
        result = check_grads(np.tanh, (x,))
    assert result.ok, str(result)
    assert result.dtype == np.float32
    tolerance = result.table.set_index(["check", "against"]).loc[("reverse VJP", "jax"), "tolerance"]
    assert tolerance > 100 * np.finfo(np.float64).eps * 1e6          # float32-sized


def test_large_inputs_beyond_the_budget_use_a_random_sample_of_coordinates():
    from comparisons.check import FD_FULL_LIMIT
    x = np.random.default_rng(1).normal(size=(20, 15))
    assert x.size > FD_FULL_LIMIT
    result = check_grads(lambda x: np.tanh(x) @ np.arange(15.0), (x,), fd_budget=0.0)
    assert result.ok, str(result)
    assert result.fd_coverage.by == "sample" and result.fd_coverage.compared == 64
    assert any("random sample of 64 of the 300" in note and "exact references checked them" in note
               for note in result.notes)
    assert not any("undefined" in note for note in result.notes)   # unsampled is not undefined
    # within the budget (a cheap f): every element, so the worst is the true worst
    assert check_grads(lambda x: np.tanh(x) @ np.arange(15.0), (x,), fd_budget=600.0).fd_coverage.by == "elements"
    wrong = check_gradient(lambda x: np.sum(x ** 2), lambda x: 2.001 * x, x, against=("fd",), fd_budget=600.0)
    (row,) = wrong.comparisons
    assert not row.passed
    assert row.worst.index == np.unravel_index(np.argmax(np.abs(x)), x.shape)
    assert row.worst.reference == pytest.approx(2 * x[row.worst.index], rel=1e-8)


def test_a_kink_is_reported_as_such():
    result = check_grads(np.abs, (np.array([0.0, 1.0]),), against=("jax", "fd"))
    # JAX and both engines take d|x|/dx = 1 at 0; finite differences see the kink
    # and an error estimate that covers any answer: they cannot check x[0]
    assert result.ok, str(result)
    fd = result.table[result.table["against"] == "fd"]
    assert list(fd["kinks"]) == [1, 1]
    assert "finite differences see a kink at out[0], x[0]" in str(result)


def test_raise_if_failed_raises_an_assertion_error_with_the_report(user_op):
    cube = user_op("check_test_raise", lambda x: x ** 3, jvp=lambda t, out, x: 3 * x ** 2 * t[0],
                   vjp=lambda ct, argnum, out, x: 3 * x * ct, jax=lambda x: x ** 3)
    result = check_grads(cube, (np.array([2.0]),))
    with pytest.raises(GradientCheckError, match="FAIL reverse VJP") as info:
        result.raise_if_failed()
    assert isinstance(info.value, AssertionError)
    assert check_grads(np.sin, (np.ones(2),)).raise_if_failed().ok


# --- hand-written gradients -------------------------------------------------------------
def neuron(w, x):
    """Example 2 of the CS231n notes: a sigmoid neuron."""
    return 1.0 / (1.0 + np.exp(-(w[0] * x[0] + w[1] * x[1] + w[2])))


def neuron_grad(w, x):
    f = neuron(w, x)
    ddot = (1 - f) * f                                   # the notes' 0.1966
    return np.array([x[0], x[1], 1.0]) * ddot, np.array([w[0], w[1]]) * ddot


def test_hand_written_gradient_of_the_notes_neuron_passes():
    w, x = np.array([2.0, -3.0, -3.0]), np.array([-1.0, -2.0])
    dw, dx = neuron_grad(w, x)
    np.testing.assert_allclose(dw, [-0.196612, -0.393224, 0.196612], atol=1e-6)
    result = check_gradient(neuron, neuron_grad, w, x)
    assert result.ok, str(result)
    assert {(r.against, r.argument) for r in result.comparisons} == {
        ("jax", "w"), ("jax", "x"), ("fd", "w"), ("fd", "x")}


def test_wrong_hand_written_gradient_names_the_argument():
    def wrong(w, x):
        dw, dx = neuron_grad(w, x)
        return dw, -dx
    result = check_gradient(neuron, wrong, np.array([2.0, -3.0, -3.0]), np.array([-1.0, -2.0]))
    assert {r.argument for r in result.comparisons if not r.passed} == {"x"}
    assert "the gradient for x disagrees with every reference" in str(result)


def test_hand_written_gradient_of_a_parameter_dict():
    params = {"W": np.array([[0.5, -1.0], [2.0, 0.3]]), "b": np.array([0.1, -0.2])}
    X = np.array([[1.0, 2.0], [-0.5, 0.7], [0.3, 0.3]])

    def loss(params, X):
        return np.sum(np.tanh(X @ params["W"] + params["b"]) ** 2)

    def grads(params, X):
        h = np.tanh(X @ params["W"] + params["b"])
        dz = 2 * h * (1 - h ** 2)
        return {"b": dz.sum(axis=0), "W": X.T @ dz}          # keys in another order: matched by name
    result = check_gradient(loss, grads, params, X, argnums=0)
    assert result.ok, str(result)
    assert {r.argument for r in result.comparisons} == {"params['W']", "params['b']"}


def test_code_our_engine_cannot_trace_is_still_checked_by_finite_differences():
    def f(x):
        y = np.array(x)             # np.array of a traced value is refused by fwdrev
        return float(np.sum(y ** 2))
    result = check_gradient(f, lambda x: 2 * x, np.array([1.0, -2.0]))
    assert result.ok, str(result)
    assert [r.against for r in result.comparisons] == ["fd"]
    assert "cannot trace" in str(result)


# --- one line in a user's tests ----------------------------------------------------------
def test_assert_gradients_close():
    assert_gradients_close(plain_numpy_layer, np.eye(2), np.ones(2), np.zeros(2))
    assert_gradients_close(neuron, np.array([2.0, -3.0, -3.0]), np.array([-1.0, -2.0]), grad=neuron_grad)
    with pytest.raises(GradientCheckError, match="hand-written gradient"):
        assert_gradients_close(lambda x: np.sum(x ** 2), np.ones(3), grad=lambda x: x)


def test_the_pytest_plugin_is_registered_by_the_entry_point():
    plugins = {e.name: e.value for e in importlib.metadata.entry_points(group="pytest11")}
    assert plugins.get("fwdrev") == "comparisons.pytest_plugin"


def test_gradcheck_fixture(gradcheck):
    gradcheck(lambda x: np.sum(np.exp(x) * x), np.array([0.1, 0.2]))
    gradcheck(lambda x: np.sum(x ** 2), np.ones(3), grad=lambda x: 2 * x)


def test_a_users_suite_sees_the_report(tmp_path):
    test_file = tmp_path / "test_user_loss.py"
    test_file.write_text(textwrap.dedent("""
        import numpy as np

        def test_loss(gradcheck):
            gradcheck(lambda x: np.sum(x ** 3), np.array([1.0, 2.0]), grad=lambda x: 3 * x)
    """))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)]
    run = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 1
    assert "GradientCheckError" in run.stdout
    assert "FAIL hand-written gradient vs jax, worst at x[1]: 6 vs 12" in run.stdout


# --- regressions (QA pass 2) ------------------------------------------------------

def test_complex_step_finite_differences_work_inside_checks():
    x = np.array([0.3, 1.2])
    result = check_grads(lambda x: np.sum(np.sin(x)), (x,), fd_method="complex-step")
    assert result.ok, str(result)
    assert (result.table["against"] == "fd").any()
    scalar = check_grads(lambda x, y: np.sin(x) * y, (x, 2.0), fd_method="complex-step", order=2)
    assert scalar.ok, str(scalar)
    hand = check_gradient(lambda x: np.sum(np.exp(x)), lambda x: np.exp(x), x, fd_method="complex-step")
    assert hand.ok, str(hand)


def test_a_saturated_tanh_or_sigmoid_is_not_a_failure():
    # sech^2(15.5) = 1.4e-13 is 1 - tanh^2 rounded: JAX and fwdrev differ by
    # eps on the scale of tanh ~ 1, not of the tiny derivative
    assert check_grads(lambda x: np.tanh(x), (15.5,)).ok
    assert check_grads(lambda x: np.sum(np.tanh(x)), (np.array([15.5, -16.2, 0.3]),)).ok
    assert check_grads(lambda x: np.mean(np.tanh(x)), (np.full(500, 15.5),)).ok
    sigmoid = lambda s: 1 / (1 + np.exp(-s))
    assert check_grads(lambda x: np.sum(sigmoid(x)), (np.array([-30.0, 30.0, 0.5]),)).ok

    def forward(x):
        h = np.tanh(x)
        return h, h
    assert check_backward(forward, lambda d, h: d * (1 - h ** 2), np.array([[15.5, 0.3], [-16.2, 2.0]])).ok
    # a small genuine error in a saturated region still fails
    assert not check_gradient(lambda x: np.sum(np.tanh(x)),
                              lambda x: (1 - np.tanh(x) ** 2) * (1 + 1e-3), np.array([0.5, 1.5])).ok


def test_finite_differences_alone_disagreeing_are_named_the_odd_one_out():
    from comparisons.check import _engine_hints
    rows = [Comparison(1, "forward JVP", "jax", "out", np.array(1.0), np.array(1.0), 1e-12),
            Comparison(1, "forward JVP", "fd", "out", np.array(1.0), np.array(5.0), 1e-3),
            Comparison(1, "reverse VJP", "jax", "x", np.array(1.0), np.array(1.0), 1e-12),
            Comparison(1, "reverse VJP", "fd", "x", np.array(1.0), np.array(5.0), 1e-3),
            Comparison(1, "adjoint <u, J v>", "<J^T u, v>", "(all)", 1.0, 1.0, 1e-12)]
    (hint,) = _engine_hints(rows, None)
    assert "finite differences are the odd one out" in hint
    assert "kink or a discontinuity" in hint
    assert "both rules share" not in hint


def test_a_jump_is_flagged_as_a_kink_in_checks():
    result = check_grads(lambda x: np.sum(np.floor(x) * x), (np.array([1.0, 0.5]),))
    fd = result.table[result.table["against"] == "fd"]
    assert list(fd["kinks"]) == [1, 1]


def test_a_gradient_mirroring_one_tuple_argument():
    a, b = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    f = lambda ab: np.sum(ab[0] * ab[1])
    assert check_gradient(f, lambda ab: (ab[1], ab[0]), (a, b)).ok
    assert check_gradient(f, lambda ab: [ab[1], ab[0]], [a, b]).ok
    assert check_gradient(f, lambda ab: (ab[1], ab[0]), (a, b), argnums=0).ok
    assert check_gradient(f, lambda ab: ((ab[1], ab[0]),), (a, b), argnums=(0,)).ok
    assert not check_gradient(f, lambda ab: (ab[0], ab[0]), (a, b)).ok
    assert check_gradient(lambda x: np.sum(x ** 2), lambda x: [2 * x], a).ok   # still accepted


def test_argnums_behave_as_in_the_engines():
    f = lambda x, s: np.sum(x * s)
    x = np.array([1.0, 2.0])
    result = check_grads(f, (x, 3.0), argnums=-1)
    assert result.ok and set(result.table["argument"]) == {"s", "out", "(all)"}
    assert check_gradient(f, lambda x, s: np.sum(x), x, 3.0, argnums=-1).ok
    for argnums in (2, -3, (0, 5)):
        with pytest.raises(ValueError, match="argnums"):
            check_grads(f, (x, 3.0), argnums=argnums)
    for constant in (3, True, np.array([1, 2])):
        with pytest.raises(TypeError, match="differentiation needs floating-point inputs"):
            check_grads(f, (x, constant), argnums=1)
    assert check_grads(f, (x, 3), argnums=0).ok        # an integer left alone is a constant


def test_a_check_that_compares_nothing_is_an_error():
    f, args = (lambda x: np.sum(np.sin(x))), (np.array([1.0, 2.0]),)
    with pytest.raises(ValueError, match="adjoint test needs both modes"):
        check_grads(f, args, modes=("reverse",), against=("adjoint",))
    with pytest.raises(ValueError, match="compare nothing"):
        check_grads(f, args, against=())
    with pytest.raises(ValueError, match="nothing to check"):
        check_grads(f, args, modes=())
    one = check_grads(f, args, modes="forward", against="fd")
    assert set(one.table["check"]) == {"forward JVP"} and set(one.table["against"]) == {"fd"}


def test_precision_warning_points_at_the_users_call():
    x = np.array([1.0, 2.0], np.float32)
    for call in (lambda: check_grads(lambda x: np.sum(np.sin(x)), (x,)),
                 lambda: check_gradient(lambda x: np.sum(np.sin(x)), lambda x: np.cos(x), x)):
        with pytest.warns(PrecisionWarning) as record:
            call()
        assert record[0].filename == __file__


def test_check_backward_needs_forward_to_return_out_and_cache():
    # a bare (2, 3) array used to unpack silently into two rows
    with pytest.raises(ValueError, match=r"returns \(out, cache\)"):
        check_backward(lambda x: np.tanh(x), lambda d, c: d, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"returns \(out, cache\)"):
        check_backward(lambda x: (np.tanh(x), x, x), lambda d, c: d, np.ones((2, 3)))


def _sigmoid_forward(x):
    s = 1 / (1 + np.exp(-x))
    return s, s


def test_check_backward_gives_the_layer_copies_to_write_into():
    """Layers write into what they are given; every reference must still see
    the inputs and the dout the user's call had."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    original = x.copy()

    def sigmoid_backward_in_place(dout, s):       # correct: scales dout where it lies
        dout *= s * (1 - s)
        return dout

    def square_backward_scaling_its_cache(dout, x):   # correct values; the cache is the input itself
        x *= 2
        return dout * x

    def relu_forward_in_place(x):                 # clips its own input, as student code does
        out = x
        out[out < 0] = 0
        return out, x

    assert check_backward(_sigmoid_forward, sigmoid_backward_in_place, x).ok
    assert check_backward(lambda x: (x ** 2, x), square_backward_scaling_its_cache, x).ok
    relu = check_backward(relu_forward_in_place, lambda dout, x: dout * (x > 0), x)
    assert relu.ok and not any(c.kink_count for c in relu.comparisons)   # checked at x, not at relu(x)
    np.testing.assert_array_equal(x, original)


def test_check_backward_says_what_a_backward_returned_wrongly():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"returned a dict; a backward returns its gradients in the order"):
        check_backward(_sigmoid_forward, lambda dout, s: {"x": dout * s * (1 - s)}, x)
    with pytest.raises(ValueError, match=r"returned None"):
        check_backward(_sigmoid_forward, lambda dout, s: None, x)


def test_a_dict_gradient_with_missing_or_extra_keys_is_named():
    params = {"W": np.ones((2, 2)), "b": np.ones(2)}
    loss = lambda p: np.sum(p["W"] @ p["b"])
    with pytest.raises(TypeError, match=r"grad_f's gradient must mirror the structure of its argument: "
                                         r"at the top, a dict with keys 'W', 'b' in its argument but a "
                                         r"dict with keys 'W' in"):
        check_gradient(loss, lambda p: {"W": np.outer(np.ones(2), p["b"])}, params)
    with pytest.raises(TypeError, match=r"a dict with keys 'W', 'b', 'c'"):
        check_gradient(loss, lambda p: {"W": np.outer(np.ones(2), p["b"]), "b": p["W"].sum(0),
                                        "c": 0.0}, params)


def test_a_float32_result_sets_float32_tolerances():
    """f computes in float32 and returns float32 from float64 inputs: the check
    can only expect float32 agreement, and says so."""
    x = np.array([1.0 + 1e-9, 2.0, -0.7])
    f = lambda x: np.sum(x.astype(np.float32) ** 2)
    with pytest.warns(PrecisionWarning, match="float32"):
        assert check_grads(f, (x,)).ok
    with pytest.warns(PrecisionWarning, match="float32"):
        assert check_gradient(f, lambda x: 2 * x, x).ok
    with pytest.warns(PrecisionWarning):
        assert not check_gradient(f, lambda x: 2.001 * x, x).ok      # still sharp enough to fail


def test_an_infinite_derivative_does_not_blind_the_check_to_the_other_elements():
    """sqrt at 0 has derivative +inf (DESIGN's convention): the other elements
    are still checked to working precision, and finite differences, undefined
    within a step of 0, leave that element to the exact references."""
    f = lambda x: np.sum(np.sqrt(x))
    x = np.array([0.0, 1.0, 4.0])
    with np.errstate(divide="ignore"):
        wrong = check_gradient(f, lambda x: np.array([np.inf, 0.5, 7.0]), x, against=("jax",))
        assert not wrong.ok and wrong.worst.where == "x[2]"
        right = check_gradient(f, lambda x: 0.5 / np.sqrt(x), x)
        assert right.ok, right
        assert any("undefined at x[0]" in note for note in right.notes)
        assert check_grads(f, (x,)).ok


def test_a_mismatch_at_a_kink_is_called_one():
    """CS231n's ReLU backward, (x > 0), at an input exactly 0: a valid
    subgradient, not JAX's 0.5. The check still fails, and says why."""
    x = np.array([[0.0, 1.0, -1.0], [2.0, -0.5, 0.3]])
    result = check_backward(lambda x: (np.maximum(0, x), x), lambda dout, x: dout * (x > 0), x)
    assert not result.ok
    assert any(h.startswith("x[0, 0] is at a kink") and "reverse and jax follow JAX's convention" in h
               for h in result.hints), result.hints
    assert check_backward(lambda x: (np.maximum(0, x), x), lambda dout, x: dout * (x > 0), x + 0.25).ok


def test_inputs_a_backward_returns_no_gradient_for_are_named():
    from comparisons import examples as layers
    rng = np.random.default_rng(0)
    x, gamma, beta = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=3)
    only_dx = lambda dout, cache: layers.batchnorm_backward(dout, cache)[0]
    result = check_backward(layers.batchnorm_forward, only_dx, x, gamma, beta)
    assert result.ok
    assert "batchnorm_backward" not in result.notes[0] and "no gradient for gamma, beta: not checked" in result.notes[0]


def test_gradients_out_of_order_are_named():
    from comparisons import examples as layers
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 5)), rng.normal(size=5)

    def swapped(dout, cache):
        dx, dw, db = layers.affine_backward(dout, cache)
        return dw, dx, db
    with pytest.raises(ValueError, match=r"for x of shape \(3, 4\).*the one returned for w has the shape of x: are they in the order"):
        check_backward(layers.affine_forward, swapped, x, w, b)


def test_a_confident_softmax_loss_passes_and_its_bugs_still_fail():
    """At a margin of 10 to 35 the gradient (p - onehot) / N has entries down
    to 1e-16 computed from probabilities near 1: correct code differs from
    the references by eps / N, which the rounding analysis (|J|^T |u|, and the
    noise of the loss's values for finite differences) allows. A relative
    error of 1e-6 in one entry is still far outside it."""
    from comparisons import examples as layers
    rng = np.random.default_rng(5)
    y = np.array([0, 2, 4, 1])
    for margin in (10.0, 20.0, 35.0):
        x = rng.normal(size=(4, 5))
        x[np.arange(4), y] += margin
        result = check_backward(layers.softmax_loss_forward, layers.softmax_loss_backward, x, y)
        assert result.ok, result

        def off_by_a_millionth(dout, cache):
            dx, dy = layers.softmax_loss_backward(dout, cache)
            dx = dx.copy()
            dx[1, 3] *= 1 + 1e-6
            return dx, dy
        wrong = check_backward(layers.softmax_loss_forward, off_by_a_millionth, x, y)
        assert not wrong.ok and wrong.worst.where == "x[1, 3]"
    x = rng.normal(size=(4, 5))
    x[np.arange(4), y] += 10.0
    assert check_grads(lambda x: layers.softmax_loss_forward(x, y)[0], (x,)).ok
