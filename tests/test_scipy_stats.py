"""modes.scipy.stats as a scientist uses it: likelihoods of data in their
parameters, with SciPy's names and signatures.

References: every value against scipy.stats itself (rtol 1e-12); every
derivative by check_grads, both engines against JAX (the ops' jax.scipy
twins replaying the program), finite differences and the adjoint test, at
check_grads' tolerances; the Gaussian log-likelihood also against its
closed-form gradient and Hessian (rtol 1e-12). The cdfs of t, gamma, chi2
and beta are incomplete beta/gamma functions, differentiated in x, loc and
scale; in a shape parameter fwdrev refuses them (tested), never returning 0.
"""

import numpy as np
import pytest
import scipy.stats

import modes
import modes.scipy.stats as stats
from comparisons import check_grads
from modes import forward, reverse
from modes.errors import UnsupportedFunction

jax = pytest.importorskip("jax")


pytestmark = pytest.mark.usefixtures("jax_in_double_precision")


rng = np.random.default_rng(18)
DATA = rng.normal(1.0, 2.0, 30)


# --- the Gaussian log-likelihood ----------------------------------------------
def log_likelihood(mu, sigma):
    return np.sum(stats.norm.logpdf(DATA, loc=mu, scale=sigma))


def test_gaussian_log_likelihood_value_is_scipys():
    assert log_likelihood(0.8, 1.7) == pytest.approx(np.sum(scipy.stats.norm.logpdf(DATA, 0.8, 1.7)), rel=1e-13)


@pytest.mark.parametrize("grad", [reverse.grad, forward.grad], ids=["reverse", "forward"])
def test_gaussian_log_likelihood_gradient_is_the_closed_form(grad):
    # d/dmu = sum(x - mu) / sigma^2,  d/dsigma = -n/sigma + sum((x - mu)^2) / sigma^3
    mu, sigma, n = 0.8, 1.7, DATA.size
    d_mu, d_sigma = grad(log_likelihood, argnums=(0, 1))(mu, sigma)
    assert d_mu == pytest.approx(np.sum(DATA - mu) / sigma ** 2, rel=1e-12)
    assert d_sigma == pytest.approx(-n / sigma + np.sum((DATA - mu) ** 2) / sigma ** 3, rel=1e-12)


def test_gaussian_log_likelihood_hessian_is_the_closed_form():
    mu, sigma, n = 0.8, 1.7, DATA.size
    r = DATA - mu
    expected = np.array([[-n / sigma ** 2, -2 * np.sum(r) / sigma ** 3],
                         [-2 * np.sum(r) / sigma ** 3, n / sigma ** 2 - 3 * np.sum(r * r) / sigma ** 4]])
    hessian = modes.hessian(lambda p: log_likelihood(p[0], p[1]))(np.array([mu, sigma]))
    np.testing.assert_allclose(hessian, expected, rtol=1e-12)


def test_maximum_likelihood_by_gradient_ascent_finds_the_sample_moments():
    params = np.array([0.0, 1.0])
    step = modes.grad(lambda p: log_likelihood(p[0], p[1]) / DATA.size)
    for _ in range(2000):
        params = params + 0.5 * step(params)
    np.testing.assert_allclose(params, [DATA.mean(), DATA.std()], rtol=1e-6)


# --- every distribution, method and parameter ----------------------------------
X = rng.uniform(0.2, 2.5, 4)            # points inside every support but beta's
U = rng.uniform(0.15, 0.85, 4)          # for beta
LOC, SCALE = 0.1, 1.3
CONTINUOUS_METHODS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")
# (distribution, points, shape parameters)
CONTINUOUS = [("norm", X, ()), ("t", X, (4.5,)), ("gamma", X + LOC, (2.5,)), ("chi2", X + LOC, (3.5,)),
              ("beta", U * SCALE + LOC, (2.5, 1.7))]
CASES = [(name, method, x, shapes) for name, x, shapes in CONTINUOUS for method in CONTINUOUS_METHODS]
# the cdfs, sfs and their logs are incomplete gamma/beta functions of the shapes
IN_SHAPES = {"norm": CONTINUOUS_METHODS, "t": ("logpdf", "pdf"), "gamma": ("logpdf", "pdf"),
             "chi2": ("logpdf", "pdf"), "beta": ("logpdf", "pdf")}


@pytest.mark.parametrize("name, method, x, shapes", CASES, ids=[f"{c[0]}.{c[1]}" for c in CASES])
def test_continuous_distribution_in_every_parameter(name, method, x, shapes):
    ours, theirs = getattr(getattr(stats, name), method), getattr(getattr(scipy.stats, name), method)
    f = lambda x, *params: ours(x, *params[:-2], loc=params[-2], scale=params[-1])
    args = (x, *shapes, LOC, SCALE)
    np.testing.assert_allclose(f(*args), theirs(x, *shapes, loc=LOC, scale=SCALE), rtol=1e-12)
    differentiated = tuple(range(len(args))) if method in IN_SHAPES[name] else \
        (0, len(args) - 2, len(args) - 1)                                   # x, loc, scale
    check_grads(f, args, argnums=differentiated).raise_if_failed()


@pytest.mark.parametrize("name, shapes", [("t", (4.5,)), ("gamma", (2.5,)), ("chi2", (3.5,)), ("beta", (2.5, 1.7))])
def test_cdf_in_a_shape_parameter_is_refused_by_name(name, shapes):
    x = 0.4
    with pytest.raises(UnsupportedFunction, match=r"scipy\.special\.\w+ in its argument"):
        reverse.grad(lambda s: getattr(stats, name).cdf(x, s, *shapes[1:]))(shapes[0])


def test_second_derivatives_of_a_t_likelihood_nest():
    # a robust regression's noise model: Student's t in its degrees of freedom and scale
    check_grads(lambda df, scale: np.sum(stats.t.logpdf(DATA, df, loc=1.0, scale=scale)), (4.0, 2.0),
                order=2).raise_if_failed()


def test_values_outside_the_support_are_scipys_with_zero_derivative():
    x = np.array([-0.5, 0.5, 1.5])
    np.testing.assert_array_equal(stats.gamma.logpdf(x, 2.0), scipy.stats.gamma.logpdf(x, 2.0))
    np.testing.assert_array_equal(stats.beta.cdf(x, 2.0, 3.0), scipy.stats.beta.cdf(x, 2.0, 3.0))
    grad = reverse.grad(lambda x: np.sum(stats.gamma.cdf(x, 2.0)))(x)
    np.testing.assert_allclose(grad, [0.0, scipy.stats.gamma.pdf(0.5, 2.0), scipy.stats.gamma.pdf(1.5, 2.0)],
                               rtol=1e-13)


def test_norm_ppf_in_q_loc_and_scale():
    # d ppf/dq = scale / phi(ppf(q)): the inverse's derivative
    q = np.array([0.1, 0.5, 0.8])
    np.testing.assert_allclose(stats.norm.ppf(q, LOC, SCALE), scipy.stats.norm.ppf(q, LOC, SCALE), rtol=1e-12)
    check_grads(lambda q, loc, scale: stats.norm.ppf(q, loc, scale), (q, LOC, SCALE)).raise_if_failed()


def test_norm_logcdf_and_logsf_deep_in_the_tails():
    # log Phi(-40) underflows as log(cdf); log_ndtr does not, nor does its derivative phi/Phi ~ 40
    x = np.array([-40.0, 40.0])
    np.testing.assert_allclose(stats.norm.logcdf(x), scipy.stats.norm.logcdf(x), rtol=1e-13)
    np.testing.assert_allclose(stats.norm.logsf(x), scipy.stats.norm.logsf(x), rtol=1e-13)
    grad = reverse.grad(lambda x: np.sum(stats.norm.logcdf(x)))(x)
    assert np.all(np.isfinite(grad)) and grad[0] == pytest.approx(40.0, rel=1e-3)


# --- Poisson: counts are data, mu the parameter ---------------------------------
COUNTS = np.array([0, 1, 3, 2, 7])
MU = np.array([0.8, 1.5, 2.5, 3.0, 5.0])


@pytest.mark.parametrize("method", ["logpmf", "pmf", "cdf", "logcdf", "sf", "logsf"])
def test_poisson_in_mu(method):
    f = lambda mu: getattr(stats.poisson, method)(COUNTS, mu)
    np.testing.assert_allclose(f(MU), getattr(scipy.stats.poisson, method)(COUNTS, MU), rtol=1e-12)
    check_grads(f, (MU,)).raise_if_failed()


def test_poisson_regression_gradient_is_the_closed_form():
    # log mu = X w:  d/dw sum log p(k | mu) = X^T (k - mu)
    features = rng.normal(size=(5, 2)) * 0.5
    w = np.array([0.4, -0.3])
    loss = lambda w: np.sum(stats.poisson.logpmf(COUNTS, np.exp(features @ w)))
    expected = features.T @ (COUNTS - np.exp(features @ w))
    np.testing.assert_allclose(reverse.grad(loss)(w), expected, rtol=1e-12)
    np.testing.assert_allclose(forward.grad(loss)(w), expected, rtol=1e-12)


def test_poisson_counts_have_no_derivative():
    with pytest.raises(TypeError, match="poisson: k and loc are integers"):
        reverse.grad(lambda k: stats.poisson.logpmf(k, 2.0))(3.0)


# --- multivariate normal and Dirichlet -------------------------------------------
D = 3
MEAN = rng.normal(size=D)
FACTOR = rng.normal(size=(D, D))
COV = FACTOR @ FACTOR.T + D * np.eye(D)
POINTS = rng.normal(size=(6, D))


@pytest.mark.parametrize("method", ["logpdf", "pdf"])
@pytest.mark.parametrize("x", [POINTS, POINTS[0]], ids=["n-points", "one-point"])
def test_multivariate_normal_in_x_mean_and_cov(method, x):
    f = lambda x, mean, cov: getattr(stats.multivariate_normal, method)(x, mean, cov)
    np.testing.assert_allclose(f(x, MEAN, COV), getattr(scipy.stats.multivariate_normal, method)(x, MEAN, COV),
                               rtol=1e-12)
    check_grads(f, (x, MEAN, COV)).raise_if_failed()


@pytest.mark.parametrize("cov", [2.5, np.array([1.5, 0.7, 2.0])], ids=["scalar", "diagonal"])
def test_multivariate_normal_with_a_scalar_or_diagonal_cov(cov):
    f = lambda x, cov: stats.multivariate_normal.logpdf(x, MEAN, cov)
    np.testing.assert_allclose(f(POINTS, cov), scipy.stats.multivariate_normal.logpdf(POINTS, MEAN, cov), rtol=1e-12)
    check_grads(f, (POINTS, cov)).raise_if_failed()


def test_multivariate_normal_gradient_in_the_mean_is_the_closed_form():
    # d/dmean sum_i log N(x_i; mean, S) = S^{-1} sum_i (x_i - mean)
    grad = reverse.grad(lambda m: np.sum(stats.multivariate_normal.logpdf(POINTS, m, COV)))(MEAN)
    np.testing.assert_allclose(grad, np.linalg.solve(COV, np.sum(POINTS - MEAN, axis=0)), rtol=1e-12)


def test_multivariate_normal_hessian_in_the_covariance_nests():
    check_grads(lambda cov: np.sum(stats.multivariate_normal.logpdf(POINTS, MEAN, cov)), (COV,),
                order=2).raise_if_failed()


ALPHA = np.array([1.5, 2.0, 3.5])
SIMPLEX = rng.dirichlet(ALPHA, size=4).T           # (K, n): SciPy's layout


@pytest.mark.parametrize("method", ["logpdf", "pdf"])
@pytest.mark.parametrize("x", [SIMPLEX[:, 0], SIMPLEX], ids=["one-point", "n-points"])
def test_dirichlet_in_x_and_alpha(method, x):
    f = lambda x, alpha: getattr(stats.dirichlet, method)(x, alpha)
    np.testing.assert_allclose(f(x, ALPHA), getattr(scipy.stats.dirichlet, method)(x, ALPHA), rtol=1e-12)
    check_grads(f, (x, ALPHA)).raise_if_failed()


def test_dirichlet_gradient_in_alpha_is_the_closed_form():
    # d/dalpha_k log Dir(x; alpha) = log x_k + psi(sum alpha) - psi(alpha_k)
    from scipy.special import digamma
    x = SIMPLEX[:, 0]
    grad = reverse.grad(lambda a: stats.dirichlet.logpdf(x, a))(ALPHA)
    np.testing.assert_allclose(grad, np.log(x) + digamma(ALPHA.sum()) - digamma(ALPHA), rtol=1e-12)


def test_plain_scipy_stats_on_a_box_names_the_drop_in():
    with pytest.raises(Exception, match=r"modes\.scipy\.stats"):
        reverse.grad(lambda mu: np.sum(scipy.stats.norm.logpdf(DATA, mu, 1.0)))(0.5)
