"""np.linalg as users call it: a Gaussian-process likelihood, least squares,
determinants, batched inverses, ... in both engines against JAX (jax.numpy's
functions of the same name), finite differences and the adjoint test
(check_grads' default tolerances), a Hessian for a few (forward over reverse
against jax.hessian), and closed forms where there is one.

Complex matrices at the end: JAX's convention (a real loss's gradient is
df/dRe - i df/dIm), both engines against jax.grad and jax.jvp with their
dtypes, to 1e-10 relative (condition numbers of a few, a few dozen roundings).
"""

import numpy as np
import pytest

import modes
from comparisons import check_grads
from modes import forward, reverse

jax = pytest.importorskip("jax")
jnp = jax.numpy


pytestmark = pytest.mark.usefixtures("jax_in_double_precision")


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


# --- many directions through one factorization -----------------------------------------
# A Jacobian of K columns (forward) or rows (reverse) carries K directions per
# pass. While A is a constant of the pass, the K directions of the right-hand
# side are K more columns of one solve: A is factored once per pass, not K times.
@pytest.fixture
def systems_solved(monkeypatch):
    """Counts the matrices LAPACK factors under fwdrev's solve op (getrf, or
    np.linalg.solve where the op is given no factors) and those it solves
    against under scipy.linalg.solve_triangular: a stack of five counts
    five, a matrix with any number of right-hand-side columns one."""
    import scipy.linalg

    from modes.ops import factorizations
    counts = {"factored": 0, "solve_triangular": 0}

    def counting(name, function):
        def call(a, b, **kwargs):
            if kwargs.get("factors") is None:
                counts[name] += int(np.prod(np.broadcast_shapes(np.shape(a)[:-2], np.shape(b)[:-2]), dtype=int))
            return function(a, b, **kwargs)
        return call

    def counting_factorizations(a):
        counts["factored"] += 1
        return factorize(a)
    solve_op, factorize = modes.registry.REGISTRY["solve"], factorizations.LU_FACTORS.impl
    monkeypatch.setattr(solve_op, "impl", counting("factored", solve_op.impl))
    monkeypatch.setattr(factorizations.LU_FACTORS, "impl", counting_factorizations)
    monkeypatch.setattr(scipy.linalg, "solve_triangular", counting("solve_triangular", scipy.linalg.solve_triangular))
    return counts


@pytest.mark.parametrize("a, b", [(A, B), (A, B[:, 0]), (STACK, B), (A, rng.uniform(-1, 1, (4, 3, 2)))],
                         ids=["matrix", "vector", "stack_of_A", "stack_of_B"])
def test_jacobian_of_a_solve_in_its_right_hand_side_matches_jax(a, b):
    f = lambda b: np.sin(np.linalg.solve(a, b))
    expected = jax.jacfwd(lambda b: jnp.sin(jnp.linalg.solve(a, b)))(b)
    np.testing.assert_allclose(forward.jacobian(f)(b), expected, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(reverse.jacobian(f)(b), expected, rtol=1e-10, atol=1e-13)


def test_gp_loss_jacobian_in_hyperparameters_and_inputs_matches_jax():
    f = lambda theta, np=np: gp_nll(theta[0], theta[1], theta[2:], Y_TRAIN, np=np)
    theta = np.concatenate([[0.1, -0.2], X_TRAIN])
    expected = jax.jacfwd(lambda t: f(t, np=jnp))(theta)
    np.testing.assert_allclose(forward.jacobian(f)(theta), expected, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(reverse.jacobian(f)(theta), expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("a", [A, STACK], ids=["matrix", "stack"])
def test_a_jacobian_factors_A_once_per_pass_not_once_per_direction(a, systems_solved):
    f = lambda b: np.linalg.solve(a, b) ** 2
    b = rng.uniform(-1, 1, (3, 4))
    forward.jvp(f, (b,), (np.ones_like(b),))                         # one direction: the primal and one tangent
    one_direction = dict(systems_solved)
    # a matrix: factored once, the tangent's solve reuses its factors; a stack: each matrix twice
    assert one_direction["factored"] == (1 if a.ndim == 2 else 2 * len(a))
    # all columns (12 directions) or all rows (12 or 60) of the Jacobian in one pass
    for jacobian, directions in ((forward.jacobian, b.size), (reverse.jacobian, f(b).size)):
        systems_solved.update(factored=0)
        jacobian(f, chunk=directions)(b)
        assert systems_solved["factored"] == one_direction["factored"]


@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_a_gradient_through_solve_factors_A_once(argnums, systems_solved):
    # B_bar = A^{-T} X_bar is solved with the forward pass's LU factors (getrs' transposed
    # solve): two triangular solves, no second factorization (PyTorch and JAX reuse them too)
    f = lambda a, b: np.sum(np.linalg.solve(a, b) ** 2)
    gradient = reverse.grad(f, argnums)(A, B)
    assert systems_solved["factored"] == 1
    expected = jax.grad(lambda a, b: jnp.sum(jnp.linalg.solve(a, b) ** 2), argnums)(A, B)
    as_tuple = lambda g: g if isinstance(g, tuple) else (g,)
    for ours, theirs in zip(as_tuple(gradient), as_tuple(expected), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    with modes.count_flops() as counted:
        reverse.grad(f, argnums)(A, B)
    n, k = B.shape
    assert counted.by_op["lu_factors"] == 2 * n ** 3 // 3
    solves = 1 + (1 if argnums in (0, 1) else 2)                      # the primal's, and one per argument
    assert counted.by_op["solve"] == solves * 2 * n * n * k            # triangular solves only


def test_a_gp_loss_jacobian_factors_as_often_as_one_direction_does(systems_solved):
    f = lambda theta: gp_nll(theta[0], theta[1], theta[2:], Y_TRAIN)
    theta = np.concatenate([[0.1, -0.2], X_TRAIN])                   # 8 directions
    forward.jvp(f, (theta,), (np.ones_like(theta),))
    one_direction = dict(systems_solved)
    assert one_direction["factored"] > 0 and one_direction["solve_triangular"] > 0   # Cholesky's rule solves with L
    systems_solved.update(factored=0, solve_triangular=0)
    forward.jacobian(f, chunk=8)(theta)
    assert systems_solved == one_direction


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


# --- complex matrices, exactly as JAX ----------------------------------------------------
CA = A + 1j * rng.uniform(-1, 1, (3, 3))                                    # well conditioned, complex
CB = rng.uniform(-1, 1, (5, 3)) + 1j * rng.uniform(-1, 1, (5, 3))            # a tall complex design
CY = rng.uniform(-1, 1, 5) + 1j * rng.uniform(-1, 1, 5)
_cx = rng.uniform(-1, 1, (4, 4)) + 1j * rng.uniform(-1, 1, (4, 4))
HPD = _cx @ _cx.conj().T + 4 * np.eye(4)                                     # Hermitian positive definite


def complex_direction(x):
    """A random direction for x: complex where x is complex, real where it is real."""
    t = rng.uniform(-1, 1, np.shape(x))
    return t + 1j * rng.uniform(-1, 1, np.shape(x)) if np.iscomplexobj(x) else t


def same_as_jax(f, f_jax, *args):
    """f's gradient (reverse) and its derivative along random complex
    directions (forward) equal JAX's, values and dtypes; so does the
    derivative of the gradient (forward over reverse, reverse over reverse)."""
    argnums = tuple(range(len(args)))
    grads = reverse.grad(f, argnums)(*args)
    expected = jax.grad(f_jax, argnums)(*args)
    for ours, theirs in zip(grads, expected):
        assert np.result_type(ours) == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    tangents = tuple(complex_direction(a) for a in args)
    _, ours = forward.jvp(f, args, tangents)
    _, theirs = jax.jvp(f_jax, args, tangents)
    assert np.result_type(ours) == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    # the gradient in the first argument, differentiated again
    g = lambda x: reverse.grad(f)(x, *args[1:])
    g_jax = lambda x: jax.grad(f_jax)(x, *args[1:])
    _, ours = forward.jvp(g, args[:1], tangents[:1])
    _, theirs = jax.jvp(g_jax, args[:1], tangents[:1])
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    (ours,) = reverse.vjp(g, args[0])[1](tangents[0])
    (theirs,) = jax.vjp(g_jax, args[0])[1](tangents[0])
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    return grads


def test_complex_least_squares_by_the_normal_equations():
    """min_x ||B x - y||^2 over complex x: x = (B^H B)^{-1} B^H y, the
    residual's squared norm as a function of the design and the data."""
    def residual(b, y, np=np):
        x = np.linalg.solve(np.conj(b.T) @ b, np.conj(b.T) @ y)
        return np.sum(np.abs(b @ x - y) ** 2)
    same_as_jax(residual, lambda b, y: residual(b, y, jnp), CB, CY)
    # ||r||^2 = y^H (I - P) y with P the projection on B's columns: its gradient is 2 conj((I - P) y) = -2 conj(r)
    x = np.linalg.lstsq(CB, CY, rcond=None)[0]
    np.testing.assert_allclose(reverse.grad(residual, 1)(CB, CY), -2 * np.conj(CB @ x - CY), rtol=1e-10)


def test_log_abs_det_of_a_complex_matrix_and_its_sign():
    # log|det A| = Re log det A: its gradient is (log det)' = A^{-T}
    logabsdet = lambda a, np=np: np.linalg.slogdet(a)[1]
    grad = same_as_jax(logabsdet, lambda a: logabsdet(a, jnp), CA)[0]
    np.testing.assert_allclose(grad, np.linalg.inv(CA).T, rtol=1e-12)
    # the sign det / |det| is differentiable on complex matrices (d sign = i Im tr(A^{-1} dA) sign)
    phase = lambda a, np=np: np.real(np.linalg.slogdet(a)[0] * (0.3 - 0.7j)) + np.linalg.slogdet(a)[1]
    same_as_jax(phase, lambda a: phase(a, jnp), CA)
    # along dA = A, det(A + t A) = (1 + t)^n det A: a real factor, the sign does not move
    _, d_sign = forward.jvp(lambda a: np.linalg.slogdet(a)[0], (CA,), (CA,))
    np.testing.assert_allclose(d_sign, 0, atol=1e-12)
    # along dA = i A, det grows by the phase (1 + i t)^n: d sign = i n sign
    _, d_sign = forward.jvp(lambda a: np.linalg.slogdet(a)[0], (CA,), (1j * CA,))
    np.testing.assert_allclose(d_sign, 3j * np.linalg.slogdet(CA)[0], rtol=1e-12)


# ~20 s (nested derivatives of three complex ops): make test-full; make test checks the same
# ops' complex rules in test_registry and test_property_registry
@pytest.mark.full
def test_complex_det_inv_and_solve_of_a_stack():
    stack = STACK + 1j * rng.uniform(-1, 1, STACK.shape)
    f = lambda a, b, np=np: np.sum(np.abs(np.linalg.inv(a) @ np.linalg.solve(a, b)) ** 2) + np.real(np.sum(np.linalg.det(a)))
    same_as_jax(f, lambda a, b: f(a, b, jnp), stack, B + 1j * B[::-1])


def test_a_real_matrix_solved_against_complex_data_gets_a_real_gradient():
    f = lambda a, y, np=np: np.sum(np.abs(np.linalg.solve(a, y)) ** 2)
    grads = same_as_jax(f, lambda a, y: f(a, y, jnp), A, CY[:3])
    assert grads[0].dtype == np.float64 and grads[1].dtype == np.complex128


def test_complex_cholesky_log_determinant_of_a_hermitian_matrix():
    """log det S = 2 sum log L_ii for S = L L^H: the Gaussian-likelihood idiom,
    on a complex covariance; its gradient over A reading herm(A) is herm(S^{-1})^T."""
    logdet = lambda s, np=np: 2 * np.sum(np.log(np.real(np.diagonal(np.linalg.cholesky(s)))))
    grad = same_as_jax(logdet, lambda s: logdet(s, jnp), HPD)[0]
    np.testing.assert_allclose(grad, np.linalg.inv(HPD).T, rtol=1e-12)
    L = np.linalg.cholesky(HPD)
    np.testing.assert_allclose(L @ np.conj(L.T), HPD, rtol=1e-12)
    np.testing.assert_array_equal(np.linalg.cholesky(HPD, upper=True), np.conj(L.T))
    upper = lambda s, np=np: np.sum(np.abs(np.linalg.cholesky(s, upper=True) @ CB[:4]) ** 2)
    same_as_jax(upper, lambda s: jnp.sum(jnp.abs(jnp.linalg.cholesky(s, upper=True) @ CB[:4]) ** 2), HPD)


def test_hermitian_eigenvalue_loss():
    """Eigenvalues of a Hermitian matrix H = X^H X (real, ascending), and a
    loss of its eigenvectors that does not depend on their phases."""
    def spectrum(x, np=np):
        w, v = np.linalg.eigh(np.conj(x.T) @ x)
        return w[-1] + np.sum(w ** 2) + np.sum(np.abs(v[:, -1]) ** 4)
    same_as_jax(spectrum, lambda x: spectrum(x, jnp), CB)
    w = np.linalg.eigvalsh(HPD)
    assert w.dtype == np.float64
    # d sum(w^2) / dA = 2 herm(A)^T = 2 conj(A) for Hermitian A (JAX's convention: df/dRe - i df/dIm)
    np.testing.assert_allclose(reverse.grad(lambda a: np.sum(np.linalg.eigvalsh(a) ** 2))(HPD), 2 * np.conj(HPD),
                               rtol=1e-12)


def test_complex_eigh_rules_are_each_others_transpose():
    """The eigenvectors' derivative cannot be compared with finite differences
    (each eigenvector's phase is LAPACK's choice), but JVP and VJP still obey
    Re <u, J t> = Re <J^T u, t> on the whole decomposition."""
    t = complex_direction(HPD)
    (w, v), (dw, dv) = forward.jvp(lambda a: tuple(np.linalg.eigh(a)), (HPD,), (t,))
    u_w, u_v = rng.uniform(-1, 1, w.shape), complex_direction(v)
    (ct,) = reverse.vjp(lambda a: tuple(np.linalg.eigh(a)), HPD)[1]((u_w, u_v))
    lhs = np.sum(u_w * dw) + np.real(np.sum(u_v * dv))
    assert lhs == pytest.approx(np.real(np.sum(ct * t)), rel=1e-12)
    # and V^H dV has JAX's gauge: no change of phase (its diagonal is 0)
    np.testing.assert_allclose(np.diagonal(np.conj(v.T) @ dv), 0, atol=1e-12)
