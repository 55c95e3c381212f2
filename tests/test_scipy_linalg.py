"""modes.scipy.linalg as users call it: a Gaussian process's likelihood with
cho_factor / cho_solve, a linear ODE's solution expm(A t) x0, LU solves,
triangular solves, sqrtm, block_diag and np.linalg's functions under their
scipy names.

References: values against scipy.linalg itself (rtol 1e-12); derivatives by
check_grads, both engines against a JAX twin written with jax.scipy.linalg
(jax_twin=), finite differences and the adjoint test, at check_grads'
tolerances; closed forms where they exist (the GP gradient
0.5 tr((K^{-1} - a a^T) dK), expm's Frechet derivative
scipy.linalg.expm_frechet, d/dt e^{At} x0 = A e^{At} x0) to 1e-10.
sqrtm has no JAX reference (JAX cannot differentiate its sqrtm): finite
differences only, which its check says.
"""

import numpy as np
import pytest
import scipy.linalg

import modes
import modes.scipy.linalg as linalg
from comparisons import check_grads
from modes import forward, reverse
from modes.errors import LostDerivative, UnsupportedFunction

jax = pytest.importorskip("jax")
jnp = jax.numpy
jsl = pytest.importorskip("jax.scipy.linalg")


pytestmark = pytest.mark.usefixtures("jax_in_double_precision")


rng = np.random.default_rng(18)


# --- a Gaussian process's negative log marginal likelihood ----------------------
INPUTS = np.sort(rng.uniform(0, 5, 8))
TARGETS = np.sin(INPUTS) + 0.1 * rng.normal(size=8)
THETA = np.log(np.array([1.2, 0.8, 0.05]))           # log lengthscale, log signal variance, log noise


def kernel(theta, xp=np):
    lengthscale, variance, noise = xp.exp(theta[0]), xp.exp(theta[1]), xp.exp(theta[2])
    d = INPUTS[:, None] - INPUTS[None, :]
    return variance * xp.exp(-0.5 * d ** 2 / lengthscale ** 2) + noise * np.eye(len(INPUTS))


def gp_nll(theta):
    K = kernel(theta)
    factor = linalg.cho_factor(K, lower=True)
    alpha = linalg.cho_solve(factor, TARGETS)
    return 0.5 * TARGETS @ alpha + np.sum(np.log(np.diag(factor[0]))) + 0.5 * len(TARGETS) * np.log(2 * np.pi)


def gp_nll_jax(theta):
    K = kernel(theta, jnp)
    factor = jsl.cho_factor(K, lower=True)
    alpha = jsl.cho_solve(factor, TARGETS)
    return 0.5 * TARGETS @ alpha + jnp.sum(jnp.log(jnp.diag(factor[0]))) + 0.5 * len(TARGETS) * jnp.log(2 * jnp.pi)


def test_gp_likelihood_value_is_scipys():
    K = kernel(THETA)
    c = scipy.linalg.cho_factor(K, lower=True)
    expected = 0.5 * TARGETS @ scipy.linalg.cho_solve(c, TARGETS) + np.sum(np.log(np.diag(c[0]))) \
        + 0.5 * len(TARGETS) * np.log(2 * np.pi)
    assert gp_nll(THETA) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("grad", [reverse.grad, forward.grad], ids=["reverse", "forward"])
def test_gp_gradient_is_the_closed_form(grad):
    # d nll/d theta_i = 0.5 tr((K^{-1} - a a^T) dK/d theta_i), a = K^{-1} y
    K = kernel(THETA)
    K_inv = np.linalg.inv(K)
    a = K_inv @ TARGETS
    d = INPUTS[:, None] - INPUTS[None, :]
    lengthscale, variance, noise = np.exp(THETA)
    rbf = variance * np.exp(-0.5 * d ** 2 / lengthscale ** 2)
    dK = [rbf * d ** 2 / lengthscale ** 2, rbf, noise * np.eye(len(INPUTS))]
    expected = [0.5 * np.trace((K_inv - np.outer(a, a)) @ dk) for dk in dK]
    np.testing.assert_allclose(grad(gp_nll)(THETA), expected, rtol=1e-10)


def test_gp_likelihood_against_jax():
    check_grads(gp_nll, (THETA,), jax_twin=gp_nll_jax).raise_if_failed()


def test_gp_hessian_is_jaxs():
    np.testing.assert_allclose(modes.hessian(gp_nll)(THETA), jax.jit(jax.hessian(gp_nll_jax))(THETA), rtol=1e-9)


@pytest.mark.parametrize("lower", [True, False])
def test_cho_solve_in_the_matrix_and_the_right_hand_side(lower):
    # S = F F^T + 4 I: differentiated through a symmetric parametrization, as users do (SciPy and JAX
    # read one triangle of S, fwdrev's cholesky sym(S): the same on symmetric matrices)
    F = rng.normal(size=(4, 4))
    B = rng.normal(size=(4, 2))
    f = lambda F, B: linalg.cho_solve(linalg.cho_factor(F @ F.T + 4 * np.eye(4), lower=lower), B)
    S = F @ F.T + 4 * np.eye(4)
    np.testing.assert_allclose(f(F, B), scipy.linalg.cho_solve(scipy.linalg.cho_factor(S, lower=lower), B),
                               rtol=1e-12)
    check_grads(f, (F, B), jax_twin=lambda F, B: jsl.cho_solve(jsl.cho_factor(F @ F.T + 4 * jnp.eye(4), lower=lower),
                                                               B)).raise_if_failed()


# --- a linear ODE: x(t) = expm(A t) x0 ----------------------------------------------
A = np.array([[-0.5, 1.0, 0.0], [-1.0, -0.2, 0.3], [0.1, 0.0, -0.8]])
X0 = np.array([1.0, 0.0, -0.5])
T = 1.7


def trajectory(A, t):
    return linalg.expm(A * t) @ X0


def test_linear_ode_solution_in_a_and_t_against_jax():
    np.testing.assert_allclose(trajectory(A, T), scipy.linalg.expm(A * T) @ X0, rtol=1e-12)
    check_grads(trajectory, (A, T), jax_twin=lambda A, t: jsl.expm(A * t) @ X0).raise_if_failed()


def test_linear_ode_time_derivative_is_a_times_the_state():
    # d/dt e^{At} x0 = A e^{At} x0
    expected = A @ scipy.linalg.expm(A * T) @ X0
    np.testing.assert_allclose(forward.jacobian(trajectory, argnums=1)(A, T), expected, rtol=1e-10)
    np.testing.assert_allclose(reverse.jacobian(trajectory, argnums=1)(A, T), expected, rtol=1e-10)


def test_expm_jvp_is_the_frechet_derivative():
    E = rng.normal(size=(3, 3))
    _, tangent = forward.jvp(linalg.expm, (A,), (E,))
    np.testing.assert_allclose(tangent, scipy.linalg.expm_frechet(A, E, compute_expm=False), rtol=1e-10)
    # reverse: <G, L(A, E)> = <L(A^T, G), E>
    G = rng.normal(size=(3, 3))
    _, pullback = reverse.vjp(linalg.expm, A)
    assert np.sum(pullback(G)[0] * E) == pytest.approx(np.sum(G * tangent), rel=1e-10)


def test_expm_hessian_nests():
    check_grads(lambda A: np.sum(linalg.expm(A) ** 2), (A,), order=2,
                jax_twin=lambda A: jnp.sum(jsl.expm(A) ** 2)).raise_if_failed()


# --- LU ------------------------------------------------------------------------------
M = rng.normal(size=(4, 4))                 # pivoting happens (no dominant diagonal)
RHS = rng.normal(size=4)


@pytest.mark.parametrize("trans", [0, 1])
def test_lu_solve_against_jax(trans):
    f = lambda M, b: linalg.lu_solve(linalg.lu_factor(M), b, trans=trans)
    np.testing.assert_allclose(f(M, RHS), scipy.linalg.lu_solve(scipy.linalg.lu_factor(M), RHS, trans=trans),
                               rtol=1e-12)
    check_grads(f, (M, RHS), jax_twin=lambda M, b: jsl.lu_solve(jsl.lu_factor(M), b, trans=trans)).raise_if_failed()


def test_lu_factor_itself_differentiates_through_the_packed_factor():
    lu, piv = linalg.lu_factor(M)
    expected_lu, expected_piv = scipy.linalg.lu_factor(M)
    np.testing.assert_allclose(lu, expected_lu, rtol=1e-12)
    np.testing.assert_array_equal(piv, expected_piv)
    # the log-determinant from U's diagonal, as users write it: log|det M| = sum log|U_ii|
    logdet = lambda M: np.sum(np.log(np.abs(np.diag(linalg.lu_factor(M)[0]))))
    np.testing.assert_allclose(reverse.grad(logdet)(M), np.linalg.inv(M).T, rtol=1e-10)
    check_grads(lambda M: linalg.lu_factor(M)[0], (M,), order=2,
                jax_twin=lambda M: jsl.lu_factor(M)[0]).raise_if_failed()


# --- triangular solves -------------------------------------------------------------------
TRI = rng.normal(size=(4, 4)) + 4 * np.eye(4)
COLUMNS = rng.normal(size=(4, 2))
# each value of each option twice (lower x trans x unit_diagonal in a half factorial design)
OPTIONS = [dict(lower=lower, trans=trans, unit_diagonal=unit)
           for lower, trans, unit in ((True, 0, False), (False, "T", False), (True, "T", True), (False, 0, True))]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: f"lower={o['lower']}-trans={o['trans']}-unit={o['unit_diagonal']}")
def test_solve_triangular_against_jax(options):
    f = lambda a, b: linalg.solve_triangular(a, b, **options)
    np.testing.assert_allclose(f(TRI, COLUMNS), scipy.linalg.solve_triangular(TRI, COLUMNS, **options), rtol=1e-12)
    check_grads(f, (TRI, COLUMNS), jax_twin=lambda a, b: jsl.solve_triangular(a, b, **options)).raise_if_failed()


def test_solve_triangular_of_a_vector():
    x = linalg.solve_triangular(TRI, RHS, lower=True)
    np.testing.assert_allclose(x, scipy.linalg.solve_triangular(TRI, RHS, lower=True), rtol=1e-12)
    check_grads(lambda a, b: linalg.solve_triangular(a, b, lower=True), (TRI, RHS)).raise_if_failed()


# --- sqrtm and the Sylvester equation ----------------------------------------------------
SPD = TRI @ TRI.T


def test_sqrtm_squares_back_and_differentiates_by_fd():
    root = linalg.sqrtm(SPD)
    np.testing.assert_allclose(root, scipy.linalg.sqrtm(SPD), rtol=1e-10)
    np.testing.assert_allclose(root @ root, SPD, rtol=1e-10)
    result = check_grads(linalg.sqrtm, (SPD,), order=2)
    result.raise_if_failed()
    assert any("'sqrtm', has no JAX twin" in note for note in result.notes)


def test_sqrtm_jvp_solves_the_sylvester_equation():
    # X dX + dX X = dA
    E = rng.normal(size=(4, 4))
    root, tangent = forward.jvp(linalg.sqrtm, (SPD,), (E,))
    np.testing.assert_allclose(root @ tangent + tangent @ root, E, rtol=1e-9, atol=1e-12)


def test_sqrtm_of_a_matrix_with_a_complex_root_is_refused_by_name():
    with pytest.raises(UnsupportedFunction, match=r"scipy\.linalg\.sqrtm"):
        reverse.grad(lambda a: np.sum(linalg.sqrtm(a)))(np.array([[-1.0, 0.0], [0.0, 1.0]]))


def test_solve_sylvester_against_a_kronecker_solve_in_jax():
    a, b, q = TRI, rng.normal(size=(2, 2)) + 3 * np.eye(2), COLUMNS
    np.testing.assert_allclose(linalg.solve_sylvester(a, b, q), scipy.linalg.solve_sylvester(a, b, q), rtol=1e-12)

    def kron_twin(a, b, q):      # vec(A X + X B) = (I kron A + B^T kron I) vec(X)
        operator = jnp.kron(jnp.eye(2), a) + jnp.kron(b.T, jnp.eye(4))
        return jnp.linalg.solve(operator, q.T.reshape(-1)).reshape(2, 4).T
    check_grads(linalg.solve_sylvester, (a, b, q), jax_twin=kron_twin).raise_if_failed()


# --- complex matrices, exactly as JAX ----------------------------------------------------------
# Complex arguments: check_grads compares each engine with JAX's twin and with central
# differences on the real and imaginary parts (comparisons.check_grads' default tolerances).
def hermitian(n):
    x = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    return 0.5 * (x + np.conj(x.T))


H = hermitian(3)
PSI0 = np.array([1.0, 0.0, 0.0], dtype=complex)
PHI = np.array([0.0, 1.0, 1.0j]) / np.sqrt(2)


def fidelity(t, h, expm=linalg.expm, xp=np):
    """|<phi| e^{-i H t} |psi0>|^2: the probability that the propagator takes psi0 to phi."""
    return xp.abs(xp.conj(PHI) @ expm(-1j * h * t) @ PSI0) ** 2


def test_quantum_propagator_fidelity_in_time_and_hamiltonian_against_jax():
    t = 0.7
    twin = lambda t, h: fidelity(t, h, jsl.expm, jnp)
    u = scipy.linalg.expm(-1j * H * t)
    assert fidelity(t, H) == pytest.approx(abs(np.conj(PHI) @ u @ PSI0) ** 2, rel=1e-12)
    expected = jax.jit(jax.grad(twin, (0, 1)))(t, H)
    grads = reverse.grad(fidelity, (0, 1))(t, H)
    assert np.result_type(grads[0]) == np.float64 and grads[1].dtype == np.complex128        # as JAX's
    for ours, theirs in zip(grads, expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)
    # closed form in t: a = <phi|U|psi0>, da/dt = <phi|-i H U|psi0>, d|a|^2/dt = 2 Re(conj(a) da/dt)
    a, da = np.conj(PHI) @ u @ PSI0, np.conj(PHI) @ (-1j * H) @ u @ PSI0
    np.testing.assert_allclose(forward.grad(fidelity)(t, H), 2 * np.real(np.conj(a) * da), rtol=1e-10)
    np.testing.assert_allclose(modes.hessian(fidelity)(t, H), jax.jit(jax.hessian(twin))(t, H), rtol=1e-9)
    check_grads(fidelity, (t, H), jax_twin=twin).raise_if_failed()


def test_complex_expm_jvp_is_the_frechet_derivative_and_its_vjp_jaxs():
    z = 0.5 * (rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3)))
    e = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
    _, tangent = forward.jvp(linalg.expm, (z,), (e,))
    np.testing.assert_allclose(tangent, scipy.linalg.expm_frechet(z, e, compute_expm=False), rtol=1e-10)
    # reverse, JAX's pairing Re sum(G * dY): A_bar = L(A^T, G)
    g = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
    (ours,) = reverse.vjp(linalg.expm, z)[1](g)
    (theirs,) = jax.vjp(jsl.expm, z)[1](g)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    np.testing.assert_allclose(ours, scipy.linalg.expm_frechet(z.T, g, compute_expm=False), rtol=1e-10)


CM = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))      # pivoting happens
CRHS = rng.normal(size=4) + 1j * rng.normal(size=4)


@pytest.mark.parametrize("trans", [0, 1, 2])
def test_complex_lu_factor_and_lu_solve_against_jax(trans):
    lu, piv = linalg.lu_factor(CM)
    expected_lu, expected_piv = scipy.linalg.lu_factor(CM)
    np.testing.assert_allclose(lu, expected_lu, rtol=1e-12)
    np.testing.assert_array_equal(piv, expected_piv)
    np.testing.assert_allclose(lu, jsl.lu_factor(CM)[0], rtol=1e-12)
    f = lambda m, b: linalg.lu_solve(linalg.lu_factor(m), b, trans=trans)
    np.testing.assert_allclose(f(CM, CRHS), scipy.linalg.lu_solve((expected_lu, expected_piv), CRHS, trans=trans),
                               rtol=1e-12)
    check_grads(f, (CM, CRHS), jax_twin=lambda m, b: jsl.lu_solve(jsl.lu_factor(m), b, trans=trans)).raise_if_failed()


@pytest.mark.parametrize("trans", [0, "T", "C"])
def test_complex_solve_triangular_against_jax(trans):
    tri = TRI + 1j * rng.normal(size=(4, 4))
    b = COLUMNS + 1j * rng.normal(size=(4, 2))
    f = lambda a, b: linalg.solve_triangular(a, b, trans=trans, lower=True)
    np.testing.assert_allclose(f(tri, b), scipy.linalg.solve_triangular(tri, b, trans=trans, lower=True), rtol=1e-12)
    check_grads(f, (tri, b), jax_twin=lambda a, b: jsl.solve_triangular(a, b, trans=trans, lower=True)).raise_if_failed()


@pytest.mark.parametrize("lower", [True, False])
def test_complex_cho_solve_and_solve_against_jax(lower):
    f = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    b = rng.normal(size=(4, 2)) + 1j * rng.normal(size=(4, 2))
    hpd = lambda f, xp=np: f @ xp.conj(f.T) + 4 * xp.eye(4)
    solve = lambda f, b: linalg.cho_solve(linalg.cho_factor(hpd(f), lower=lower), b)
    np.testing.assert_allclose(solve(f, b), scipy.linalg.cho_solve(scipy.linalg.cho_factor(hpd(f), lower=lower), b),
                               rtol=1e-12)
    check_grads(solve, (f, b), jax_twin=lambda f, b: jsl.cho_solve(jsl.cho_factor(hpd(f, jnp), lower=lower), b)
                ).raise_if_failed()
    np.testing.assert_allclose(linalg.cholesky(hpd(f)), scipy.linalg.cholesky(hpd(f)), rtol=1e-12)   # upper, U^H U
    check_grads(linalg.solve, (CM, b), jax_twin=jsl.solve).raise_if_failed()
    with pytest.raises(NotImplementedError, match=r"scipy\.linalg\.solve\(transposed=True\)"):
        linalg.solve(CM, b, transposed=True)


def test_complex_sqrtm_and_solve_sylvester():
    # a complex matrix's principal root (no JAX twin: finite differences), X dX + dX X = dA
    z = SPD + 1j * rng.normal(size=(4, 4))
    root = linalg.sqrtm(z)
    np.testing.assert_allclose(root @ root, z, rtol=1e-10)
    e = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    _, tangent = forward.jvp(linalg.sqrtm, (z,), (e,))
    np.testing.assert_allclose(root @ tangent + tangent @ root, e, rtol=1e-9, atol=1e-12)
    check_grads(lambda z: linalg.sqrtm(z), (z,)).raise_if_failed()
    # a real matrix with a complex root is differentiated as a complex one
    neg = np.array([[-1.0, 0.0], [0.0, 1.0]]) + 0j
    np.testing.assert_allclose(linalg.sqrtm(neg), np.diag([1j, 1.0]), atol=1e-12)
    a, b = TRI + 1j * rng.normal(size=(4, 4)), rng.normal(size=(2, 2)) + 3 * np.eye(2)
    q = COLUMNS + 1j * rng.normal(size=(4, 2))
    b[0, 1], b[1, 0] = 1.0, -2.0                # complex eigenvalues: SciPy alone, given a real b, solves wrongly
    x = linalg.solve_sylvester(a, b, q)
    np.testing.assert_allclose(a @ x + x @ b, q, atol=1e-12)
    np.testing.assert_allclose(x, scipy.linalg.solve_sylvester(a, b + 0j, q), rtol=1e-12)

    def kron_twin(a, b, q):      # vec(A X + X B) = (I kron A + B^T kron I) vec(X)
        operator = jnp.kron(jnp.eye(2), a) + jnp.kron(b.T, jnp.eye(4))
        return jnp.linalg.solve(operator, q.T.reshape(-1)).reshape(2, 4).T
    check_grads(linalg.solve_sylvester, (a, b, q), jax_twin=kron_twin).raise_if_failed()


# --- block_diag and np.linalg's functions under scipy names -------------------------------
def test_block_diag_of_matrices_vectors_and_scalars():
    blocks = (rng.normal(size=(2, 2)), rng.normal(size=3), 1.5, rng.normal(size=(1, 2)))
    np.testing.assert_array_equal(linalg.block_diag(*blocks), scipy.linalg.block_diag(*blocks))
    check_grads(lambda a, v, s, r: linalg.block_diag(a, v, s, r), blocks,
                jax_twin=lambda a, v, s, r: jsl.block_diag(a, v, s, r)).raise_if_failed()


SCIPY_NAMES = [
    ("inv", lambda a: linalg.inv(a), lambda a: jsl.inv(a)),
    ("det", lambda a: linalg.det(a), lambda a: jsl.det(a)),
    ("solve", lambda a: linalg.solve(a, RHS), lambda a: jsl.solve(a, RHS)),
    ("solve-transposed", lambda a: linalg.solve(a, RHS, transposed=True), lambda a: jsl.solve(a.T, RHS)),
    ("cholesky-upper", lambda a: linalg.cholesky(a @ a.T), lambda a: jsl.cholesky(a @ a.T)),
    ("cholesky-lower", lambda a: linalg.cholesky(a @ a.T, lower=True), lambda a: jsl.cholesky(a @ a.T, lower=True)),
    ("eigh", lambda a: linalg.eigh(a + a.T)[0], lambda a: jsl.eigh(a + a.T)[0]),
    ("eigvalsh", lambda a: linalg.eigvalsh(a + a.T), lambda a: jsl.eigh(a + a.T, eigvals_only=True)),
    ("norm", lambda a: linalg.norm(a), lambda a: jnp.linalg.norm(a)),
]


@pytest.mark.parametrize("name, f, twin", SCIPY_NAMES, ids=[c[0] for c in SCIPY_NAMES])
def test_numpy_linalg_functions_under_scipy_names(name, f, twin):
    np.testing.assert_allclose(f(TRI), np.asarray(twin(TRI)), rtol=1e-10)
    check_grads(f, (TRI,), jax_twin=twin).raise_if_failed()


def test_scipy_cholesky_is_upper_by_default():
    U = linalg.cholesky(SPD)
    np.testing.assert_allclose(U, scipy.linalg.cholesky(SPD), rtol=1e-12)
    np.testing.assert_allclose(U, np.triu(U))


def test_other_scipy_linalg_names_are_scipys_own():
    assert linalg.qr is scipy.linalg.qr and linalg.LinAlgError is scipy.linalg.LinAlgError
    with pytest.raises(LostDerivative, match="the derivative would be lost"):
        reverse.grad(lambda a: np.sum(linalg.qr(a)[1]))(TRI)


@pytest.mark.parametrize("engine", [reverse.grad, forward.grad], ids=["reverse", "forward"])
def test_svd_under_its_scipy_name_against_jax(engine):
    # a rank-2 approximation's error: the discarded singular values, by scipy's svd and svdvals
    A = rng.normal(size=(5, 3))

    def loss(a):
        U, s, Vh = linalg.svd(a, full_matrices=False)
        return np.sum((a - (U[:, :2] * s[:2]) @ Vh[:2]) ** 2) + np.sum(linalg.svdvals(a) ** 3)

    def loss_jax(a):
        U, s, Vh = jsl.svd(a, full_matrices=False)
        return jnp.sum((a - (U[:, :2] * s[:2]) @ Vh[:2]) ** 2) + jnp.sum(jnp.linalg.svdvals(a) ** 3)
    np.testing.assert_allclose(engine(loss)(A), jax.grad(loss_jax)(A), rtol=1e-10, atol=1e-12)
