"""scipy.special as users call it on differentiated values.

SciPy's ufuncs (expit, gammaln, erf, the Bessel functions, ...) need no
drop-in: a plain `import scipy.special` reaches fwdrev's rules through
__array_ufunc__. SciPy's Python-level functions (logsumexp, softmax,
log_softmax, polygamma, multigammaln) come from `modes.scipy.special`.

References: check_grads compares both engines with JAX (each op replayed
through its jax.scipy.special twin), finite differences and the adjoint
test, at check_grads' own tolerances; where JAX has no twin (the Bessel
functions J, Y and those of real order) it compares with finite differences
only and says so in its notes, which is tested too. (exp1, expi and dawsn,
beyond the issue's list, are left to the generated tests of
tests/test_registry.py: their JAX twins take seconds to compile.) Logistic regression is
also checked against its closed-form gradient and Hessian, to 1e-12.
"""

import numpy as np
import pytest
import scipy.special

import modes
import modes.scipy.special as special
from comparisons import check_grads
from modes import forward, reverse
from modes.errors import UnsupportedFunction

jax = pytest.importorskip("jax")
jnp = jax.numpy
jsp = pytest.importorskip("jax.scipy.special")


pytestmark = pytest.mark.usefixtures("jax_in_double_precision")


rng = np.random.default_rng(18)
POSITIVE = rng.uniform(0.5, 3.0, 5)
REAL = rng.uniform(-2.0, 2.0, 5)
UNIT = rng.uniform(0.1, 0.9, 5)
OTHER_POSITIVE = rng.uniform(0.5, 3.0, 5)


# --- logistic regression, as a student writes it ------------------------------
N, D = 20, 3
FEATURES = rng.normal(size=(N, D))
LABELS = (rng.uniform(size=N) < 0.5).astype(np.float64)


def logistic_loss(w):
    """Mean negative log-likelihood; log sigma(-s) = log(1 - sigma(s))."""
    scores = FEATURES @ w
    return -np.mean(LABELS * scipy.special.log_expit(scores) + (1 - LABELS) * scipy.special.log_expit(-scores))


W0 = np.array([0.3, -0.7, 1.1])


def test_logistic_regression_gradient_is_the_closed_form_in_both_engines():
    # d loss/dw = X^T (sigma(X w) - y) / N
    expected = FEATURES.T @ (scipy.special.expit(FEATURES @ W0) - LABELS) / N
    np.testing.assert_allclose(reverse.grad(logistic_loss)(W0), expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(forward.grad(logistic_loss)(W0), expected, rtol=1e-12, atol=1e-14)


def test_logistic_regression_hessian_is_the_closed_form():
    # d^2 loss/dw^2 = X^T diag(p (1 - p)) X / N, p = sigma(X w)
    p = scipy.special.expit(FEATURES @ W0)
    expected = FEATURES.T @ (FEATURES * (p * (1 - p))[:, None]) / N
    np.testing.assert_allclose(modes.hessian(logistic_loss)(W0), expected, rtol=1e-12, atol=1e-14)


def test_logistic_regression_with_expit_checks_against_jax():
    def loss(w):
        p = scipy.special.expit(FEATURES @ w)
        return -np.mean(scipy.special.xlogy(LABELS, p) + scipy.special.xlog1py(1 - LABELS, -p))
    check_grads(loss, (W0,), order=2).raise_if_failed()


# --- every ufunc of the issue, as it is called --------------------------------
# (id, f, arguments); the differentiated arguments are every float array
UFUNCS = [
    ("gammaln", lambda x: scipy.special.gammaln(x), (POSITIVE,)),
    ("loggamma", lambda x: scipy.special.loggamma(x), (POSITIVE,)),
    ("gamma", lambda x: scipy.special.gamma(x), (POSITIVE,)),
    ("rgamma", lambda x: scipy.special.rgamma(x), (POSITIVE,)),
    ("digamma", lambda x: scipy.special.digamma(x), (POSITIVE,)),
    ("psi", lambda x: scipy.special.psi(x), (POSITIVE,)),
    ("polygamma", lambda x: special.polygamma(2, x), (POSITIVE,)),
    ("multigammaln", lambda a: special.multigammaln(a, 3), (POSITIVE + 1.0,)),
    ("beta", lambda a, b: scipy.special.beta(a, b), (POSITIVE, OTHER_POSITIVE)),
    ("betaln", lambda a, b: scipy.special.betaln(a, b), (POSITIVE, OTHER_POSITIVE)),
    ("betainc-in-x", lambda x: scipy.special.betainc(2.0, 3.0, x), (UNIT,)),
    ("erf", lambda x: scipy.special.erf(x), (REAL,)),
    ("erfc", lambda x: scipy.special.erfc(x), (REAL,)),
    ("erfinv", lambda x: scipy.special.erfinv(x), (UNIT - 0.5,)),
    ("erfcinv", lambda x: scipy.special.erfcinv(x), (UNIT + 0.5,)),
    ("erfcx", lambda x: scipy.special.erfcx(x), (REAL,)),
    ("expit", lambda x: scipy.special.expit(x), (REAL,)),
    ("logit", lambda x: scipy.special.logit(x), (UNIT,)),
    ("log_expit", lambda x: scipy.special.log_expit(x), (REAL,)),
    ("xlogy", lambda x, y: scipy.special.xlogy(x, y), (REAL, POSITIVE)),
    ("xlog1py", lambda x, y: scipy.special.xlog1py(x, y), (REAL, POSITIVE)),
    ("entr", lambda x: scipy.special.entr(x), (POSITIVE,)),
    ("rel_entr", lambda x, y: scipy.special.rel_entr(x, y), (POSITIVE, OTHER_POSITIVE)),
    ("kl_div", lambda x, y: scipy.special.kl_div(x, y), (POSITIVE, OTHER_POSITIVE)),
    ("ndtr", lambda x: scipy.special.ndtr(x), (REAL,)),
    ("ndtri", lambda p: scipy.special.ndtri(p), (UNIT,)),
    ("log_ndtr", lambda x: scipy.special.log_ndtr(x), (REAL,)),
    ("i0", lambda x: scipy.special.i0(x), (REAL,)),
    ("i0e", lambda x: scipy.special.i0e(x), (POSITIVE,)),
    ("i1", lambda x: scipy.special.i1(x), (REAL,)),
    ("i1e", lambda x: scipy.special.i1e(x), (POSITIVE,)),
    ("gammainc-in-x", lambda x: scipy.special.gammainc(2.5, x), (POSITIVE,)),
    ("gammaincc-in-x", lambda x: scipy.special.gammaincc(2.5, x), (POSITIVE,)),
    # SciPy's names for NumPy's ufuncs
    ("expm1-log1p-exp2-cbrt", lambda x: scipy.special.expm1(x) * scipy.special.log1p(x) + scipy.special.exp2(x)
     * scipy.special.cbrt(x) + scipy.special.round(x), (POSITIVE,)),
]
# no JAX twin (JAX's bessel_jn is accurate to ~1e-11 only; no Y, no real orders): FD only
NO_TWIN = [
    ("j0", lambda x: scipy.special.j0(x), (REAL,)),
    ("j1", lambda x: scipy.special.j1(x), (REAL,)),
    ("y0", lambda x: scipy.special.y0(x), (POSITIVE,)),
    ("y1", lambda x: scipy.special.y1(x), (POSITIVE,)),
    ("jv-in-x", lambda x: scipy.special.jv(1.5, x), (POSITIVE,)),
    ("jn-in-x", lambda x: scipy.special.jn(2, x), (POSITIVE,)),
    ("yv-in-x", lambda x: scipy.special.yv(0.5, x), (POSITIVE,)),
    ("yn-in-x", lambda x: scipy.special.yn(1, x), (POSITIVE,)),
    ("iv-in-x", lambda x: scipy.special.iv(1.5, x), (POSITIVE,)),
    ("ive-in-x", lambda x: scipy.special.ive(1.5, x), (POSITIVE,)),
    ("kv-in-x", lambda x: scipy.special.kv(0.5, x), (POSITIVE,)),
    ("kve-in-x", lambda x: scipy.special.kve(0.5, x), (POSITIVE,)),
]


@pytest.mark.parametrize("name, f, args", UFUNCS, ids=[c[0] for c in UFUNCS])
def test_special_function_against_jax_and_fd(name, f, args):
    result = check_grads(f, args)
    result.raise_if_failed()
    assert not result.notes, result.notes     # JAX compared: it has a twin


@pytest.mark.parametrize("name, f, args", NO_TWIN, ids=[c[0] for c in NO_TWIN])
def test_special_function_without_a_jax_twin_falls_back_to_fd_and_says_so(name, f, args):
    result = check_grads(f, args)
    result.raise_if_failed()
    assert set(result.table["against"]) == {"fd", "<J^T u, v>"}
    assert any("no JAX comparison" in note and "has no JAX twin" in note for note in result.notes), result.notes


@pytest.mark.parametrize("name, f, args", [c for c in UFUNCS if c[0] in ("gammaln", "erf", "log_ndtr", "xlogy",
                                                                         "betaln", "i1e")]
                         + [c for c in NO_TWIN if c[0] == "jv-in-x"], ids=lambda c: c if isinstance(c, str) else "")
def test_second_derivatives_nest(name, f, args):
    check_grads(f, args, order=2).raise_if_failed()


def test_a_scalar_hessian_of_gammaln_is_trigamma():
    # d^2 log Gamma(x)/dx^2 = psi'(x) = polygamma(1, x)
    for x in (0.7, 2.5):
        assert modes.hessian(scipy.special.gammaln)(x) == pytest.approx(scipy.special.polygamma(1, x), rel=1e-13)


# --- what fwdrev refuses, named as the user called it --------------------------
def test_differentiating_jv_in_its_order_is_refused_by_name():
    for grad in (reverse.grad, forward.grad):
        with pytest.raises(UnsupportedFunction, match=r"scipy\.special\.jv in its argument v"):
            grad(lambda v: scipy.special.jv(v, 2.0))(1.5)


def test_differentiating_gammainc_in_its_shape_is_refused_by_name():
    with pytest.raises(UnsupportedFunction, match=r"scipy\.special\.gammainc in its argument a"):
        reverse.grad(lambda a: scipy.special.gammainc(a, 1.5))(2.0)


def test_the_order_as_a_constant_still_differentiates_in_x():
    # d J_v(x)/dx = (J_{v-1}(x) - J_{v+1}(x)) / 2
    x = 2.0
    expected = 0.5 * (scipy.special.jv(0.5, x) - scipy.special.jv(2.5, x))
    assert reverse.grad(lambda x: scipy.special.jv(1.5, x))(x) == pytest.approx(expected, rel=1e-14)


# --- logsumexp, softmax, log_softmax (modes.scipy.special) ----------------------
A = rng.normal(size=(3, 4))
B = rng.uniform(0.5, 2.0, (3, 4))
SIGNED_B = np.array([[1.0, -0.5, 2.0, 0.3], [-1.0, -2.0, 0.1, -1.5], [0.2, 0.6, -0.4, 3.0]])


@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True), (-1, False)])
def test_logsumexp_over_axes_matches_scipy_and_jax(axis, keepdims):
    np.testing.assert_allclose(special.logsumexp(A, axis=axis, keepdims=keepdims),
                               scipy.special.logsumexp(A, axis=axis, keepdims=keepdims), rtol=1e-14)
    check_grads(lambda a: special.logsumexp(a, axis=axis, keepdims=keepdims), (A,),
                jax_twin=lambda a: jsp.logsumexp(a, axis=axis, keepdims=keepdims)).raise_if_failed()


def test_logsumexp_with_weights_b_in_both_arguments():
    # a mixture's log-likelihood: log sum_k w_k exp(l_k), differentiated in l and w
    f = lambda a, b: special.logsumexp(a, axis=1, b=b)
    np.testing.assert_allclose(f(A, B), scipy.special.logsumexp(A, axis=1, b=B), rtol=1e-14)
    check_grads(f, (A, B), jax_twin=lambda a, b: jsp.logsumexp(a, axis=1, b=b)).raise_if_failed()


def test_logsumexp_with_return_sign_and_negative_weights():
    value, sign = special.logsumexp(A, axis=1, b=SIGNED_B, return_sign=True)
    expected_value, expected_sign = scipy.special.logsumexp(A, axis=1, b=SIGNED_B, return_sign=True)
    np.testing.assert_allclose(value, expected_value, rtol=1e-13)
    np.testing.assert_array_equal(sign, expected_sign)
    assert np.any(expected_sign < 0)        # the case return_sign is for
    check_grads(lambda a, b: special.logsumexp(a, axis=1, b=b, return_sign=True)[0], (A, SIGNED_B),
                jax_twin=lambda a, b: jsp.logsumexp(a, axis=1, b=b, return_sign=True)[0]).raise_if_failed()


def test_logsumexp_ignores_terms_whose_weight_is_zero():
    # b = 0 removes a term, even at a = inf (SciPy's convention): no nan in the gradient
    a = np.array([0.5, np.inf, -1.0])
    b = np.array([1.0, 0.0, 2.0])
    grad = reverse.grad(lambda a: special.logsumexp(a, b=b))(a)
    weights = b * np.exp(np.where(b == 0, -np.inf, a))
    np.testing.assert_allclose(grad, weights / weights.sum(), rtol=1e-14)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_softmax_and_log_softmax(axis):
    np.testing.assert_allclose(special.softmax(A, axis=axis), scipy.special.softmax(A, axis=axis), rtol=1e-14)
    np.testing.assert_allclose(special.log_softmax(A, axis=axis), scipy.special.log_softmax(A, axis=axis),
                               rtol=1e-14)
    check_grads(lambda a: special.softmax(a, axis=axis), (A,), order=2,
                jax_twin=lambda a: jax.nn.softmax(a, axis=axis)).raise_if_failed()
    check_grads(lambda a: special.log_softmax(a, axis=axis), (A,),
                jax_twin=lambda a: jax.nn.log_softmax(a, axis=axis)).raise_if_failed()


def test_cross_entropy_with_log_softmax_has_the_textbook_gradient():
    # CS231n's softmax loss: d/dscores of -mean(log_softmax(s)[y]) = (softmax(s) - onehot(y)) / N
    labels = np.array([2, 0, 3])
    loss = lambda s: -np.mean(special.log_softmax(s, axis=1)[np.arange(3), labels])
    expected = (scipy.special.softmax(A, axis=1) - np.eye(4)[labels]) / 3
    np.testing.assert_allclose(reverse.grad(loss)(A), expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(forward.grad(loss)(A), expected, rtol=1e-13, atol=1e-15)


def test_plain_scipy_logsumexp_on_a_box_names_the_drop_in():
    with pytest.raises(Exception, match=r"modes\.scipy\.special"):
        reverse.grad(lambda a: scipy.special.logsumexp(a))(A)
