"""Nested derivatives: tags keep perturbations apart, in every combination of
forward and reverse mode (Siskind & Pearlmutter's perturbation confusion)."""

import numpy as np
import pytest

import modes
from modes import forward, reverse


def D_forward(f):
    return lambda x: forward.jvp(f, (x,), (1.0,))[1]


def D_reverse(f):
    return reverse.grad(f)


DERIVATIVES = {"forward": D_forward, "reverse": D_reverse}
PAIRS = [(outer, inner) for outer in DERIVATIVES for inner in DERIVATIVES]


@pytest.mark.parametrize("outer,inner", PAIRS)
def test_perturbation_confusion_x_plus_y(outer, inner):
    D_out, D_in = DERIVATIVES[outer], DERIVATIVES[inner]
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1; confusion would give 2
    assert D_out(lambda x: x * D_in(lambda y: x + y)(1.0))(1.0) == 1.0


@pytest.mark.parametrize("outer,inner", PAIRS)
def test_perturbation_confusion_x_times_y(outer, inner):
    D_out, D_in = DERIVATIVES[outer], DERIVATIVES[inner]
    # d/dx [x * d/dy (x y)] = d/dx x^2 = 2x: 8 at x = 4
    assert D_out(lambda x: x * D_in(lambda y: x * y)(1.0))(4.0) == 8.0


def test_hips_autograd_issue_4():
    assert reverse.grad(lambda x: x * reverse.grad(lambda y: x * y)(2.0))(1.0) == 2.0


def rosenbrock(v):
    return 100.0 * (v[1] - v[0] ** 2) ** 2 + (1.0 - v[0]) ** 2


EXPECTED_HESSIAN = np.array([[802.0, -400.0], [-400.0, 200.0]])


@pytest.mark.parametrize("how", ["hessian", "reverse-over-reverse", "forward-over-forward",
                                 "reverse-over-forward"])
def test_rosenbrock_hessian_at_1_1(how):
    x = np.array([1.0, 1.0])
    hessian = {
        "hessian": lambda: modes.hessian(rosenbrock)(x),
        "reverse-over-reverse": lambda: reverse.jacobian(reverse.grad(rosenbrock))(x),
        "forward-over-forward": lambda: forward.jacobian(forward.grad(rosenbrock))(x),
        "reverse-over-forward": lambda: reverse.jacobian(forward.grad(rosenbrock))(x),
    }[how]()
    np.testing.assert_array_equal(hessian, EXPECTED_HESSIAN)


def test_hvp_is_forward_over_reverse():
    x, v = np.array([1.0, 1.0]), np.array([0.3, -2.0])
    np.testing.assert_allclose(modes.hvp(rosenbrock, x, v), EXPECTED_HESSIAN @ v, rtol=1e-14)


def test_third_derivative():
    d3 = D_forward(D_reverse(D_forward(np.sin)))
    assert d3(0.7) == pytest.approx(-np.cos(0.7), rel=1e-14)


def test_chunked_hessian_of_an_array_function():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(6, 6))
    A = A @ A.T
    f = lambda x: 0.5 * x @ A @ x + np.sum(np.sin(x))
    x = rng.normal(size=6)
    expected = A - np.diag(np.sin(x))
    for chunk in (1, 4, None):
        np.testing.assert_allclose(modes.hessian(f, chunk=chunk)(x), expected, rtol=1e-12, atol=1e-12)
