"""Tests for comparisons.finite_diff: our own finite differences.

Accuracy assertions use the result's own error estimate: |fd - exact| must be
within ESTIMATE_FACTOR times the reported error. The estimates are estimates,
not bounds; across smooth test functions they are within a factor ~3 of the
actual error, so 10 leaves margin without making the check vacuous.
"""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comparisons import finite_diff as fd

ESTIMATE_FACTOR = 10
REAL_METHODS = ("forward", "central", "richardson")
EPS64 = np.finfo(np.float64).eps
EPS32 = np.finfo(np.float32).eps

X = np.array([-2.3, -0.7, 0.0, 0.4, 1.0, 2.9])

# (name, f, f') for elementwise closed forms
SCALAR_CASES = [
    ("sin", np.sin, np.cos),
    ("exp", np.exp, np.exp),
    ("cube", lambda x: x**3, lambda x: 3 * x**2),
    ("exp_sin", lambda x: np.exp(np.sin(x)), lambda x: np.cos(x) * np.exp(np.sin(x))),
]


def vector_function(x):
    """R^3 -> R^3 with a dense, known Jacobian."""
    return np.array([x[0] * x[1], np.sin(x[0]) + x[1] ** 2, np.exp(x[1]) * x[2]])


def vector_jacobian(x):
    return np.array(
        [
            [x[1], x[0], 0.0],
            [np.cos(x[0]), 2 * x[1], 0.0],
            [0.0, np.exp(x[1]) * x[2], np.exp(x[1])],
        ]
    )


def assert_within_estimate(result, exact):
    """|fd - exact| <= ESTIMATE_FACTOR * reported error + the closed form's own
    rounding (a few ulps: at complex-step accuracy the reference is the
    limit), elementwise."""
    assert result.value.shape == np.shape(exact)
    assert result.error.shape == result.value.shape
    assert np.all(result.error >= 0)
    actual = np.abs(result.value - exact)
    reference_rounding = 4 * EPS64 * np.abs(exact)
    assert np.all(actual <= ESTIMATE_FACTOR * result.error + reference_rounding), (
        f"{result.method}: errors {actual} exceed {ESTIMATE_FACTOR} x estimates {result.error}"
    )


# --------------------------------------------------------------------------
# Closed-form derivatives, every method


@pytest.mark.parametrize("method", fd.METHODS)
@pytest.mark.parametrize("name, f, df", SCALAR_CASES, ids=[c[0] for c in SCALAR_CASES])
def test_gradient_matches_closed_form_within_estimate(method, name, f, df):
    result = fd.gradient(lambda x: np.sum(f(x)), X, method=method)
    assert result.method == method
    assert_within_estimate(result, df(X))


@pytest.mark.parametrize("method", fd.METHODS)
@pytest.mark.parametrize("name, f, df", SCALAR_CASES, ids=[c[0] for c in SCALAR_CASES])
def test_jvp_matches_closed_form_within_estimate(method, name, f, df):
    v = np.linspace(-1.0, 1.5, X.size)
    assert_within_estimate(fd.jvp(f, X, v, method=method), df(X) * v)


@pytest.mark.parametrize("method", fd.METHODS)
def test_jacobian_of_vector_function(method):
    x = np.array([0.3, -1.1, 2.0])
    result = fd.jacobian(vector_function, x, method=method)
    assert result.value.shape == (3, 3)  # out.shape + x.shape
    assert_within_estimate(result, vector_jacobian(x))
    if method != "complex-step":
        assert result.kinks.shape == (3, 3) and not result.kinks.any()


@pytest.mark.parametrize("method", fd.METHODS)
def test_jvp_of_vector_function_is_jacobian_times_v(method):
    x, v = np.array([0.3, -1.1, 2.0]), np.array([0.5, -2.0, 1.0])
    assert_within_estimate(fd.jvp(vector_function, x, v, method=method), vector_jacobian(x) @ v)


def test_jacobian_shape_is_output_shape_then_input_shape():
    x = np.arange(6.0).reshape(2, 3)
    result = fd.jacobian(lambda a: a.T @ a, x)  # (3, 3) output
    assert result.value.shape == (3, 3, 2, 3)
    # d(a^T a)_ij / d a_kl = delta_jl a_ki + delta_il a_kj
    exact = np.einsum("jl,ki->ijkl", np.eye(3), x) + np.einsum("il,kj->ijkl", np.eye(3), x)
    assert_within_estimate(result, exact)


def test_python_float_and_integer_inputs():
    seen = []

    def f(x):
        seen.append(np.asarray(x).dtype)
        return x**3

    result = fd.gradient(f, 2.0)
    assert result.value.shape == ()
    assert_within_estimate(result, 12.0)
    seen.clear()
    result = fd.gradient(lambda x: np.sum(f(x)), np.array([1, 2, 3]))
    assert set(seen) == {np.dtype(np.float64)}  # integers are cast to float64
    assert_within_estimate(result, 3.0 * np.array([1.0, 4.0, 9.0]))


def test_gradient_requires_scalar_f():
    with pytest.raises(ValueError, match="scalar-valued f.*use jacobian"):
        fd.gradient(vector_function, np.ones(3))


def test_unknown_method_is_rejected():
    with pytest.raises(ValueError, match="unknown method"):
        fd.gradient(np.sin, 1.0, method="backward")


def test_explicit_steps_are_used():
    # Forward difference of x^2 at 1 with step h is exactly 2 + h (up to rounding).
    result = fd.gradient(lambda x: x**2, 1.0, method="forward", h=1e-3)
    assert result.value == pytest.approx(2.001, rel=1e-12)
    result = fd.jvp(lambda x: x**2, 1.0, 1.0, method="forward", h=2.0**-10)
    assert result.value == pytest.approx(2.0 + 2.0**-10, rel=1e-15)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-4.0, 4.0), min_size=1, max_size=5))
def test_central_estimate_holds_at_random_points(xs):
    x = np.array(xs)
    f = lambda a: np.sum(np.tanh(a) * np.cos(a))  # noqa: E731
    exact = (1 - np.tanh(x) ** 2) * np.cos(x) - np.tanh(x) * np.sin(x)
    assert_within_estimate(fd.gradient(f, x), exact)


# --------------------------------------------------------------------------
# Accuracy of the methods against each other


def test_complex_step_reaches_machine_precision_on_exp_sin():
    x = np.linspace(-3.0, 3.0, 25)
    exact = np.cos(x) * np.exp(np.sin(x))
    result = fd.jvp(lambda a: np.exp(np.sin(a)), x, np.ones_like(x), method="complex-step")
    # ~1e-15 relative: a few ulps, the accuracy of exact itself.
    assert np.max(np.abs(result.value - exact) / np.abs(exact)) <= 1e-15
    assert result.kinks is None
    assert np.all(result.error <= 1e-14 * np.abs(exact))  # estimate ~ eps |value|


def test_richardson_beats_central_on_smooth_function():
    x = np.linspace(-3.0, 3.0, 25)
    f = lambda a: np.exp(np.sin(a))  # noqa: E731
    exact = np.cos(x) * np.exp(np.sin(x))
    central = fd.jvp(f, x, np.ones_like(x), method="central")
    richardson = fd.jvp(f, x, np.ones_like(x), method="richardson")
    central_err = np.max(np.abs(central.value - exact))
    richardson_err = np.max(np.abs(richardson.value - exact))
    assert richardson_err * 10 < central_err
    assert richardson_err < 1e-12  # at least O(h^4) at its step


def test_central_beats_forward():
    x = np.linspace(-3.0, 3.0, 25)
    exact = np.cos(x)
    forward = np.max(np.abs(fd.jvp(np.sin, x, np.ones_like(x), method="forward").value - exact))
    central = np.max(np.abs(fd.jvp(np.sin, x, np.ones_like(x), method="central").value - exact))
    assert forward > 1e-10 and central < 1e-9 and central * 100 < forward


# --------------------------------------------------------------------------
# The complex step refuses non-analytic code


def test_complex_step_refuses_abs():
    # abs of a complex number is real: the imaginary part is lost.
    with pytest.raises(ValueError, match=r"not analytic.*real result.*Use the 'central'.*fd_method="):
        fd.gradient(lambda x: np.sum(np.abs(x)), np.array([1.0, -2.0]), method="complex-step")


def test_complex_step_refuses_maximum_at_a_tie():
    # maximum stays complex (lexicographic comparison) but gives 1, not 0.5, at the tie.
    with pytest.raises(ValueError, match=r"not analytic at x.*kink.*Use the 'central'.*fd_method="):
        fd.jvp(lambda x: np.maximum(x, 0.0), np.array([0.0, 1.0]), np.ones(2), method="complex-step")


def test_complex_step_refuses_complex_but_wrong_code():
    # abs(x) * x stays complex, yet Im f(x + ih) / h = |x|, not 2|x|.
    with pytest.raises(ValueError, match=r"not analytic at x.*disagrees"):
        fd.gradient(lambda x: np.abs(x) * x, 1.5, method="complex-step")


def test_complex_step_refuses_code_that_fails_or_is_complex_valued():
    with pytest.raises(ValueError, match="failed at complex input"):
        fd.gradient(np.floor, 1.5, method="complex-step")
    with pytest.raises(ValueError, match="complex-valued for real input"):
        fd.jvp(lambda x: np.exp(1j * x), 0.5, 1.0, method="complex-step")


# --------------------------------------------------------------------------
# Kinks


def relu(x):
    return np.maximum(x, 0.0)


@pytest.mark.parametrize("method", REAL_METHODS)
def test_kinks_flagged_at_abs_and_relu_zero_not_at_one(method):
    x = np.array([0.0, 1.0, -1.0])
    assert fd.jvp(np.abs, x, np.ones(3), method=method).kinks.tolist() == [True, False, False]
    assert fd.jvp(relu, x, np.ones(3), method=method).kinks.tolist() == [True, False, False]
    assert fd.gradient(lambda a: np.sum(relu(a)), x, method=method).kinks.tolist() == [True, False, False]


def test_find_kinks_over_x_or_over_jvp_output():
    x = np.array([0.0, 1.0])
    assert fd.find_kinks(lambda a: np.sum(relu(a)), x).tolist() == [True, False]
    assert fd.find_kinks(relu, x, np.ones(2)).tolist() == [True, False]
    assert fd.find_kinks(np.abs, 0.0).shape == ()
    assert bool(fd.find_kinks(np.abs, 0.0))
    # Elementwise f without v: the mask covers the Jacobian, out.shape + x.shape.
    assert fd.find_kinks(relu, x).tolist() == [[True, False], [False, False]]


def test_no_kinks_for_smooth_functions():
    x = np.linspace(-3.0, 3.0, 41)
    for method in REAL_METHODS:
        for f in (np.sin, np.exp, np.tanh, lambda a: a**4, lambda a: np.log1p(a**2)):
            assert not fd.jvp(f, x, np.ones_like(x), method=method).kinks.any()


# --------------------------------------------------------------------------
# Steps and the step-size study


def test_default_steps_follow_eps_powers_and_scale_with_x():
    x = np.array([0.0, 0.5, 1.0, 1000.0])
    expected = {"forward": EPS64**0.5, "central": EPS64 ** (1 / 3), "complex-step": EPS64}
    for method, base in expected.items():
        steps = fd.default_step(x, method)
        scale = np.maximum(1.0, np.abs(x))
        ratio = steps / (base * scale)
        assert steps.dtype == np.float64
        assert np.all((ratio >= 2**-0.5) & (ratio <= 2**0.5))  # power of two nearest the ideal
        assert np.all(np.log2(steps) == np.round(np.log2(steps)))


def test_float32_gets_float32_sized_steps_and_stays_float32():
    x32 = np.array([0.5, 2.0], dtype=np.float32)
    steps = fd.default_step(x32, "central")
    assert steps.dtype == np.float32
    ratio = steps / (EPS32 ** (1 / 3) * np.maximum(1.0, np.abs(x32)))
    assert np.all((ratio >= 2**-0.5) & (ratio <= 2**0.5))  # ~5e-3, not float64's ~6e-6
    seen = []

    def f(x):
        seen.append(x.dtype)
        return np.sin(x)

    result = fd.jvp(f, x32, np.ones(2, np.float32))
    assert set(seen) == {np.dtype(np.float32)}  # f is evaluated in float32
    assert_within_estimate(result, np.cos(x32.astype(np.float64)))
    assert np.max(result.error) > 1e-7  # float32 accuracy, not float64's


def test_step_study_v_shape():
    x, v = np.array([0.7, 1.3]), np.array([1.0, -0.5])
    f = lambda a: np.exp(np.sin(a))  # noqa: E731
    exact = np.cos(x) * np.exp(np.sin(x)) * v
    study = fd.step_study(f, x, v, exact)
    assert isinstance(study, pd.DataFrame)
    assert list(study.columns) == ["method", "h", "error"]
    assert set(study["method"]) == set(fd.METHODS)
    assert len(study) == len(fd.METHODS) * 46

    central = study[study["method"] == "central"].set_index("h")["error"]
    best_h = central.idxmin()
    assert 1e-7 <= best_h <= 1e-4  # near eps^(1/3) ~ 6e-6
    at = lambda h: central.iloc[np.argmin(np.abs(np.log(central.index / h)))]  # noqa: E731
    assert central.min() * 100 <= at(1e-14)  # rounding side of the V
    assert central.min() * 100 <= at(1e-1)  # truncation side of the V

    forward = study[study["method"] == "forward"].set_index("h")["error"]
    assert 1e-10 <= forward.idxmin() <= 1e-6  # near sqrt(eps) ~ 1.5e-8

    # The complex step has no rounding side: tiny steps stay at machine precision.
    complex_step = study[study["method"] == "complex-step"].set_index("h")["error"]
    assert complex_step[complex_step.index <= 1e-8].max() < 1e-14


# --------------------------------------------------------------------------
# Jumps are kinks too


@pytest.mark.parametrize("method", REAL_METHODS)
def test_jumps_are_flagged_as_kinks(method):
    # floor jumps at 1.0 (a stencil point) and just above 3.0; 0.5 is flat
    x = np.array([1.0, 0.5, 3.0 + 1e-7])
    assert fd.gradient(lambda a: np.sum(np.floor(a)), x, method=method).kinks.tolist() == [True, False, True]
    # sign at 0 jumps twice (f(0) = 0 between -1 and 1)
    assert fd.jvp(np.sign, np.array([0.0, 2.0]), np.ones(2), method=method).kinks.tolist() == [True, False]
    # a jump on top of a slope
    step = lambda a: np.where(a > 1.0, 1.0, 0.0) + 3 * a
    assert fd.jvp(step, np.array([1.0, 2.0]), np.ones(2), method=method).kinks.tolist() == [True, False]


@pytest.mark.parametrize("method", REAL_METHODS)
def test_no_jumps_seen_in_smooth_functions_at_random_points(method):
    x = np.random.default_rng(1).normal(size=20000) * 3
    for f in (np.sin, np.tanh, lambda a: a ** 3, lambda a: np.cos(5 * a) * a ** 2, lambda a: 1 / (1 + a ** 2)):
        assert not fd.jvp(f, x, np.ones_like(x), method=method).kinks.any()
