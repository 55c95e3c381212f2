"""np.linalg as users call it: a Gaussian-process likelihood, least squares,
determinants, batched inverses, ... in both engines against JAX (jax.numpy's
functions of the same name), finite differences and the adjoint test
(check_grads' default tolerances), a Hessian for a few (forward over reverse
against jax.hessian), and closed forms where there is one.
"""

import numpy as np
import pytest

import modes
from comparisons import check_grads
from modes import forward, reverse
from modes.errors import UnsupportedFunction

jax = pytest.importorskip("jax")
jnp = jax.numpy


@pytest.fixture(autouse=True)
def jax_in_double_precision():
    with jax.enable_x64(True):
        yield


rng = np.random.default_rng(17)
A = rng.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)            # well conditioned
STACK = rng.uniform(-1, 1, (5, 3, 3)) + 3 * np.eye(3)     # five of them
B = rng.uniform(-1, 1, (3, 2))
_x = rng.uniform(-1, 1, (4, 4))
SPD = _x @ _x.T + 4 * np.eye(4)                            # symmetric positive definite


def check(f, *args, order=1, jax_twin=None):
    check_grads(f, args, order=order, jax_twin=jax_twin).raise_if_failed()


# --- a Gaussian process: kernel, Cholesky, triangular solves, log-determinant ----
X_TRAIN = np.linspace(-2, 2, 6)
Y_TRAIN = np.sin(X_TRAIN) + 0.1 * np.cos(3 * X_TRAIN)


def gp_nll(log_lengthscale, log_amplitude, x, y, np=np):
    """-log p(y | x) of a GP with an RBF kernel and noise 0.1^2 (Rasmussen & Williams, alg. 2.1)."""
    d = x[:, None] - x[None, :]
    K = np.exp(2 * log_amplitude) * np.exp(-0.5 * d ** 2 / np.exp(2 * log_lengthscale)) + 0.01 * np.eye(len(x))
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    return 0.5 * y @ alpha + np.sum(np.log(np.diagonal(L))) + 0.5 * len(x) * np.log(2 * np.pi)


def test_gp_negative_log_marginal_likelihood_over_hyperparameters_and_inputs():
    args = (0.1, -0.2, X_TRAIN, Y_TRAIN)
    check(gp_nll, *args, jax_twin=lambda *a: gp_nll(*a, np=jnp))
    # the value is the closed form with the log-determinant of K
    d = X_TRAIN[:, None] - X_TRAIN[None, :]
    K = np.exp(-0.4) * np.exp(-0.5 * d ** 2 / np.exp(0.2)) + 0.01 * np.eye(6)
    expected = (0.5 * Y_TRAIN @ np.linalg.solve(K, Y_TRAIN) + 0.5 * np.linalg.slogdet(K)[1]
                + 3 * np.log(2 * np.pi))
    assert gp_nll(*args) == pytest.approx(expected, rel=1e-12)


def test_gp_hessian_in_the_hyperparameters_matches_jax():
    f = lambda theta: gp_nll(theta[0], theta[1], X_TRAIN, Y_TRAIN)
    theta = np.array([0.1, -0.2])
    expected = jax.hessian(lambda t: gp_nll(t[0], t[1], X_TRAIN, Y_TRAIN, np=jnp))(theta)
    np.testing.assert_allclose(modes.hessian(f)(theta), expected, rtol=1e-9)


# --- determinants and inverses -----------------------------------------------------
def test_det_of_a_3x3_has_the_cofactor_gradient():
    # d det A / dA = det(A) A^{-T}: the cofactor matrix
    cofactors = np.array([[np.linalg.det(np.delete(np.delete(A, i, 0), j, 1)) * (-1) ** (i + j)
                           for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(reverse.grad(np.linalg.det)(A), cofactors, rtol=1e-12)
    np.testing.assert_allclose(forward.grad(np.linalg.det)(A), cofactors, rtol=1e-12)
    check(np.linalg.det, A, order=2)


def test_batched_inverse_of_a_stack_of_five():
    f = lambda a: np.sum(np.linalg.inv(a) ** 2)
    check(f, STACK, order=2)
    # the tangent of inv along dA is -inv(A) dA inv(A), matrix by matrix
    dA = rng.uniform(-1, 1, STACK.shape)
    _, tangent = forward.jvp(np.linalg.inv, (STACK,), (dA,))
    expected = -np.linalg.inv(STACK) @ dA @ np.linalg.inv(STACK)
    np.testing.assert_allclose(tangent, expected, rtol=1e-12, atol=1e-14)


def test_slogdet_of_a_stack_and_its_sign_is_constant():
    def f(a):
        sign, logdet = np.linalg.slogdet(a)
        return np.sum(sign * logdet)
    check(f, STACK * np.array([1, -1, 1, -1, 1])[:, None, None])
    sign, logdet = np.linalg.slogdet(A)
    np.testing.assert_allclose(reverse.grad(lambda a: np.linalg.slogdet(a)[1])(A), np.linalg.inv(A).T, rtol=1e-12)


def test_solve_with_a_vector_a_matrix_and_a_stack():
    check(lambda a, b: np.sum(np.linalg.solve(a, b) ** 2), A, B[:, 0])
    check(lambda a, b: np.sum(np.sin(np.linalg.solve(a, b))), A, B, order=2)
    check(lambda a, b: np.sum(np.linalg.solve(a, b) ** 2), STACK, B)
    check(lambda a, b: np.sum(np.linalg.solve(a, b) ** 2), A, rng.uniform(-1, 1, (4, 3, 2)))


def test_cholesky_of_an_spd_matrix_and_its_upper_form():
    # an SPD matrix built from data, as users build one (a Gram matrix plus a ridge)
    gram = lambda x, np=np: x @ x.T + 4 * np.eye(4)
    check(lambda x: np.sum(np.linalg.cholesky(gram(x)) ** 3), _x, order=2)
    check(lambda x: np.sum(np.linalg.cholesky(gram(x), upper=True) @ x), _x,
          jax_twin=lambda x: jnp.sum(jnp.linalg.cholesky(gram(x, jnp), upper=True) @ x))


def test_cholesky_reads_the_symmetric_part_as_jax_does():
    """NumPy reads A's lower triangle; fwdrev, as jnp.linalg.cholesky (and
    autograd), factors (A + A^T) / 2: the same on symmetric input, and the
    gradient with respect to A is symmetric, JAX's."""
    f = lambda a: np.sum(np.linalg.cholesky(a) ** 3)
    g = reverse.grad(f)(SPD)
    np.testing.assert_allclose(g, g.T, rtol=1e-13)
    np.testing.assert_allclose(g, jax.grad(lambda a: jnp.sum(jnp.linalg.cholesky(a) ** 3))(SPD), rtol=1e-12)
    np.testing.assert_allclose(forward.jacobian(f)(SPD), g, rtol=1e-12)
    check_grads(f, (SPD,), against=("jax", "adjoint")).raise_if_failed()


# --- what is refused ---------------------------------------------------------------
def test_complex_matrices_are_refused_with_a_clear_error():
    z = A + 1j * np.eye(3)
    with pytest.raises(UnsupportedFunction, match=r"numpy\.linalg\.inv on real matrices only"):
        reverse.grad(lambda x: np.real(np.sum(np.linalg.inv(x * z))))(1.0)
    with pytest.raises(UnsupportedFunction, match=r"numpy\.linalg\.det on real matrices only"):
        forward.grad(lambda x: np.real(np.linalg.det(x * z)))(1.0)


# --- symmetric eigendecomposition ----------------------------------------------------
def test_eigh_of_a_covariance_matrix_pca_style():
    data = rng.uniform(-1, 1, (8, 3))
    def top_variance(x, np=np):
        cov = x.T @ x / len(x)
        w, v = np.linalg.eigh(cov)
        return w[-1] + np.sum((x @ v[:, -1]) ** 4)      # sign-invariant in the eigenvector
    check(top_variance, data, order=2, jax_twin=lambda x: top_variance(x, jnp))
    check(lambda x: np.sum(np.linalg.eigvalsh(x.T @ x) ** 2), data)


def test_eigvalsh_at_a_repeated_eigenvalue_is_finite():
    # d sum(w^2) / dA = 2 A for any symmetric A, repeated eigenvalues included
    g = reverse.grad(lambda a: np.sum(np.linalg.eigvalsh(a) ** 2))(2 * np.eye(3))
    np.testing.assert_allclose(g, 4 * np.eye(3), rtol=1e-12)
