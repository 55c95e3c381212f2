"""np.linalg's decompositions as users call them: PCA through svd, a nuclear-norm
regularizer, least squares through lstsq and pinv, an orthogonal projection
through qr, powers of a Markov matrix, stacks of matrices, every norm order.

Both engines' gradients are compared with jax.grad of the same code written
with jax.numpy to 1e-10 relative (the matrices are well conditioned: singular
values and eigenvalues apart by more than 0.1, so the rules lose at most a few
digits), with closed forms where there is one, and check_grads (JAX twins,
finite differences, the adjoint test) for the whole program. Two Hessians,
reverse over forward, against jax.hessian. The conventions at degenerate
points (repeated singular values, rank-deficient pinv, eig's eigenvectors)
are JAX's and each has a test.
"""

import os

import numpy as np
import pytest
import scipy.linalg

from comparisons import check_grads
import modes
from modes import forward, reverse
from modes.errors import UnsupportedFunction

jax = pytest.importorskip("jax")
jnp = jax.numpy


pytestmark = pytest.mark.usefixtures("jax_in_double_precision")


rng = np.random.default_rng(2017)
DATA = rng.normal(size=(10, 4)) * np.array([3.0, 2.0, 1.0, 0.5])      # distinct singular values
DATA -= DATA.mean(axis=0)
W0 = rng.normal(size=(4, 3))
Y = rng.normal(size=(4, 3))
TALL = rng.uniform(-1, 1, (6, 3))
B6 = rng.uniform(-1, 1, 6)
STACK = rng.uniform(-1, 1, (4, 3, 3)) + 2 * np.eye(3)


def both_engines_match_jax(f, f_jax, *args, argnums=0, rtol=1e-10):
    """reverse.grad and forward.grad of f equal jax.grad of its jax.numpy twin
    (argnums an int or a tuple, as jax.grad takes it)."""
    expected = jax.jit(jax.grad(f_jax, argnums))(*args)
    for engine in (reverse, forward):
        ours = engine.grad(f, argnums)(*args)
        for mine, theirs in zip(*((ours, expected) if isinstance(argnums, tuple) else ((ours,), (expected,)))):
            np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=1e-13, err_msg=engine.__name__)
    return expected


def check_program(f, args, order=1):
    """check_grads of the whole program (JAX twins, finite differences, the
    adjoint test): ~10 s each on this machine, so in the full profile only
    (`make test-full`); the engines against jax.grad above run always."""
    if os.environ.get("FWDREV_HYPOTHESIS_PROFILE") == "full":
        check_grads(f, args, order=order).raise_if_failed()


def hessian_reverse_over_forward(f):
    return reverse.jacobian(forward.grad(f))


# --- PCA: the reconstruction error of the best rank-k approximation ----------------
def pca_loss(x, k=2, np=np):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    approx = (u[:, :k] * s[:k]) @ vh[:k]
    return np.sum((x - approx) ** 2)


def test_pca_reconstruction_loss_through_svd():
    g = both_engines_match_jax(pca_loss, lambda x: pca_loss(x, np=jnp), DATA)
    # closed form: the loss is sum_{i >= k} s_i^2, whose gradient is 2 U_k' S_k' V_k'^T
    u, s, vh = np.linalg.svd(DATA, full_matrices=False)
    np.testing.assert_allclose(pca_loss(DATA), np.sum(s[2:] ** 2), rtol=1e-12)
    np.testing.assert_allclose(g, 2 * (u[:, 2:] * s[2:]) @ vh[2:], rtol=1e-9, atol=1e-12)
    check_program(pca_loss, (DATA,))


def test_svd_of_a_wide_matrix_and_its_hessian():
    wide = DATA[:3]                                            # 3 x 4
    f = lambda x, np=np: np.sum(np.linalg.svd(x, full_matrices=False)[0][:, 0] ** 4) + np.sum(
        np.linalg.svd(x, compute_uv=False) ** 3)
    both_engines_match_jax(f, lambda x: f(x, np=jnp), wide)
    expected = jax.jit(jax.hessian(lambda x: f(x, np=jnp)))(wide)
    np.testing.assert_allclose(hessian_reverse_over_forward(f)(wide), expected, rtol=1e-8, atol=1e-10)


# --- a nuclear-norm regularizer (matrix completion, low-rank regression) ------------
def nuclear_objective(w, np=np):
    return 0.5 * np.sum((w - Y) ** 2) + 0.3 * np.linalg.norm(w, "nuc")


def test_nuclear_norm_regularizer_has_gradient_u_vt():
    g = both_engines_match_jax(nuclear_objective, lambda w: nuclear_objective(w, np=jnp), W0)
    u, _, vh = np.linalg.svd(W0, full_matrices=False)
    np.testing.assert_allclose(g, W0 - Y + 0.3 * u @ vh, rtol=1e-12)
    # reverse over forward, against jax.hessian
    expected = jax.jit(jax.hessian(lambda w: nuclear_objective(w, np=jnp)))(W0)
    np.testing.assert_allclose(hessian_reverse_over_forward(nuclear_objective)(W0), expected, rtol=1e-8, atol=1e-10)


def test_repeated_singular_values_follow_jax():
    """At a repeated singular value the singular values' gradient is finite
    (the nuclear norm of 2I is differentiable: U V^T = I) and the singular
    vectors' is not defined: inf/nan, exactly where JAX's is."""
    a = np.diag([2.0, 2.0, 1.0])
    nuc = lambda x, np=np: np.linalg.norm(x, "nuc")
    np.testing.assert_allclose(reverse.grad(nuc)(a), np.eye(3), rtol=1e-12)
    np.testing.assert_allclose(forward.grad(nuc)(a), jax.jit(jax.grad(lambda x: nuc(x, jnp)))(a), rtol=1e-12)
    vectors = lambda x, np=np: np.sum(np.linalg.svd(x)[0] ** 3)
    ours = reverse.grad(vectors)(a)
    theirs = np.asarray(jax.jit(jax.grad(lambda x: vectors(x, jnp)))(a))
    assert not np.all(np.isfinite(theirs))
    np.testing.assert_array_equal(np.isfinite(ours), np.isfinite(theirs))


def test_svd_refuses_full_matrices_of_a_rectangular_matrix_as_jax_does():
    with pytest.raises(UnsupportedFunction, match=r"numpy\.linalg\.svd\(full_matrices=True\).*full_matrices=False"):
        reverse.grad(lambda x: np.sum(np.linalg.svd(x)[0]))(TALL)
    with pytest.raises(NotImplementedError):
        jax.grad(lambda x: jnp.sum(jnp.linalg.svd(x)[0]))(TALL)


# --- least squares --------------------------------------------------------------------
def test_least_squares_through_lstsq_equals_the_normal_equations():
    def fit(a, b, np=np):
        x, residuals, rank, s = np.linalg.lstsq(a, b)
        return np.sum(x ** 2) + residuals[0]
    g_a, _ = both_engines_match_jax(fit, lambda a, b: fit(a, b, np=jnp), TALL, B6, argnums=(0, 1))
    # the same fit by the normal equations, differentiated by JAX: another route, the same numbers
    def normal(a, b):
        x = jnp.linalg.solve(a.T @ a, a.T @ b)
        return jnp.sum(x ** 2) + jnp.sum((b - a @ x) ** 2)
    np.testing.assert_allclose(g_a, jax.jit(jax.grad(normal))(TALL, B6), rtol=1e-10)
    x, residuals, rank, s = np.linalg.lstsq(TALL, B6)
    assert rank == 3 and residuals.shape == (1,)
    check_program(fit, (TALL, B6))


def test_lstsq_at_repeated_singular_values_is_finite_where_jax_gives_nan():
    """lstsq's solution is pinv(A) b, differentiated by Golub & Pereyra's rule:
    at A with equal singular values (full rank, differentiable) the gradient
    is the normal equations' one. jnp.linalg.lstsq differentiates through its
    SVD and gives nan there: the one place fwdrev does not copy JAX."""
    a, b = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), np.array([1.0, 2.0, 3.0])
    fit = lambda x: np.sum(np.linalg.lstsq(x, b)[0] ** 2)
    normal = jax.jit(jax.grad(lambda x: jnp.sum(jnp.linalg.solve(x.T @ x, x.T @ b) ** 2)))(a)
    np.testing.assert_allclose(reverse.grad(fit)(a), normal, rtol=1e-12)
    np.testing.assert_allclose(forward.grad(fit)(a), normal, rtol=1e-12)
    assert np.all(np.isnan(jax.jit(jax.grad(lambda x: jnp.sum(jnp.linalg.lstsq(x, b)[0] ** 2)))(a)))


def test_pseudo_inverse_least_squares_and_its_hessian():
    f = lambda a, np=np: np.sum((np.linalg.pinv(a) @ B6) ** 2)
    both_engines_match_jax(f, lambda a: f(a, np=jnp), TALL)
    check_program(f, (TALL,), order=2)
    # pinv A = (A^T A)^{-1} A^T for full column rank
    np.testing.assert_allclose(np.linalg.pinv(TALL), np.linalg.solve(TALL.T @ TALL, TALL.T), rtol=1e-12)


def test_pinv_of_a_rank_deficient_matrix_keeps_the_rank_fixed_as_jax():
    """At rank 2 (of 3) the derivative is the fixed-rank one (Golub & Pereyra),
    JAX's: the zero singular value stays zero."""
    a = rng.uniform(-1, 1, (4, 2)) @ rng.uniform(-1, 1, (2, 3))
    da = rng.uniform(-1, 1, a.shape)
    ours = forward.jvp(lambda x: np.linalg.pinv(x, rtol=1e-8), (a,), (da,))[1]
    theirs = jax.jit(lambda x, t: jax.jvp(lambda y: jnp.linalg.pinv(y, rtol=1e-8), (x,), (t,))[1])(a, da)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    ct = rng.uniform(-1, 1, (3, 4))
    _, pullback = reverse.vjp(lambda x: np.linalg.pinv(x, rtol=1e-8), a)
    pulled = jax.jit(lambda x, c: jax.vjp(lambda y: jnp.linalg.pinv(y, rtol=1e-8), x)[1](c)[0])(a, ct)
    np.testing.assert_allclose(pullback(ct)[0], pulled, rtol=1e-9, atol=1e-12)


# --- an orthogonal projection through qr ---------------------------------------------
def projection_loss(x, b, np=np):
    """|b - Q Q^T b|^2: the distance of b from the column space of x."""
    q, r = np.linalg.qr(x)
    return np.sum((b - q @ (q.T @ b)) ** 2)


def test_orthogonal_projection_through_qr():
    g = both_engines_match_jax(projection_loss, lambda x, b: projection_loss(x, b, np=jnp), TALL, B6)
    # the same projection by the normal equations, x (x^T x)^{-1} x^T
    def by_solve(x, b):
        p = b - x @ jnp.linalg.solve(x.T @ x, x.T @ b)
        return jnp.sum(p ** 2)
    np.testing.assert_allclose(projection_loss(TALL, B6), by_solve(TALL, B6), rtol=1e-12)
    np.testing.assert_allclose(g, jax.jit(jax.grad(by_solve))(TALL, B6), rtol=1e-9)
    check_program(projection_loss, (TALL, B6), order=2)


def test_qr_r_mode_of_tall_and_wide_matrices_keeps_the_frobenius_norm():
    # |R|_F = |A|_F (Q has orthonormal columns): the gradient of |R|_F^2 is 2 A
    for a in (TALL, TALL.T.copy()):
        f = lambda x: np.sum(np.linalg.qr(x, mode="r") ** 2)
        np.testing.assert_allclose(reverse.grad(f)(a), 2 * a, rtol=1e-12)
        np.testing.assert_allclose(forward.grad(f)(a), 2 * a, rtol=1e-12)
    wide = TALL.T.copy()
    g = lambda x, np=np: np.sum(np.sin(np.linalg.qr(x, mode="complete")[1])) + np.sum(np.linalg.qr(x)[0] ** 3)
    both_engines_match_jax(g, lambda x: g(x, np=jnp), wide)


def test_complete_qr_of_a_tall_matrix_is_refused():
    with pytest.raises(UnsupportedFunction, match=r"numpy\.linalg\.qr\(mode='complete'\).*mode='reduced'"):
        reverse.grad(lambda x: np.sum(np.linalg.qr(x, mode="complete")[0]))(TALL)


# --- powers of a Markov matrix -----------------------------------------------------------
def markov(logits, np=np):
    e = np.exp(logits)
    return e / np.sum(e, axis=1, keepdims=True)


def test_matrix_power_of_a_markov_chain():
    logits = rng.normal(size=(3, 3))
    start, reward = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 2.0])
    f = lambda t, np=np: start @ np.linalg.matrix_power(markov(t, np), 7) @ reward
    both_engines_match_jax(f, lambda t: f(t, jnp), logits)
    # negative powers go through inv: P^-2 = inv(P) inv(P)
    # (the resolvent-like (P + I)^-2 applied to the reward)
    g = lambda t, np=np: start @ np.linalg.matrix_power(markov(t, np) + np.eye(3), -2) @ reward
    expected = jax.jit(jax.grad(lambda t: start @ jnp.linalg.inv(markov(t, jnp) + jnp.eye(3)) @
                        jnp.linalg.inv(markov(t, jnp) + jnp.eye(3)) @ reward))(logits)
    assert np.max(np.abs(expected)) > 1e-3
    np.testing.assert_allclose(reverse.grad(g)(logits), expected, rtol=1e-10)
    np.testing.assert_allclose(forward.grad(g)(logits), expected, rtol=1e-10)
    assert np.allclose(forward.grad(lambda t: np.sum(np.linalg.matrix_power(markov(t), 0)))(logits), 0)


# --- stacks of matrices --------------------------------------------------------------------
@pytest.mark.parametrize("name,f", [
    ("svd", lambda a, np: np.sum(np.linalg.svd(a)[1] ** 2) + np.sum(np.linalg.svd(a)[0][..., 0, :] ** 2)),
    ("qr", lambda a, np: np.sum(np.linalg.qr(a)[1] ** 3) + np.sum(np.linalg.qr(a)[0] ** 3)),
    ("eigvals", lambda a, np: np.sum(np.abs(np.linalg.eigvals(a)) ** 2)),
    ("pinv", lambda a, np: np.sum(np.linalg.pinv(a) ** 2)),
    ("matrix_power", lambda a, np: np.sum(np.linalg.matrix_power(a, 3))),
    ("norm 2", lambda a, np: np.sum(np.linalg.norm(a, 2, axis=(1, 2)))),
    ("cond", lambda a, np: np.sum(np.linalg.cond(a))),
])
def test_a_stack_of_four_3x3_matrices(name, f):
    both_engines_match_jax(lambda a: f(a, np), lambda a: f(a, jnp), STACK)


# --- eigenvalues of a general matrix -----------------------------------------------------------
def test_eigvals_of_a_real_matrix_are_complex_and_differentiable_as_in_jax():
    a = np.array([[0.0, -2.0, 0.3], [2.0, 0.1, 0.0], [0.2, 0.0, 1.0]])     # eigenvalues ~ 0.05 +- 2i, 1
    w = np.linalg.eigvals(a)
    assert np.iscomplexobj(w)
    # sum of the eigenvalues is the trace: its gradient is the identity, real
    trace = lambda x: np.real(np.sum(np.linalg.eigvals(x)))
    g = reverse.grad(trace)(a)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, np.eye(3), atol=1e-12)
    spectral = lambda x, np=np: np.sum(np.abs(np.linalg.eigvals(x)) ** 3) + np.sum(np.imag(np.linalg.eigvals(x)) ** 2)
    both_engines_match_jax(spectral, lambda x: spectral(x, jnp), a)
    _, tangent = forward.jvp(np.linalg.eigvals, (a,), (np.eye(3),))
    np.testing.assert_allclose(tangent, np.ones(3), atol=1e-12)          # A + t I: every eigenvalue moves by t


def test_eig_and_second_derivatives_of_eigvals_are_refused_as_in_jax():
    a = STACK[0]
    with pytest.raises(UnsupportedFunction, match=r"numpy\.linalg\.eig\b.*eigenvectors.*np\.linalg\.eigvals"):
        reverse.grad(lambda x: np.real(np.sum(np.linalg.eig(x)[1])))(a)
    with pytest.raises(UnsupportedFunction, match=r"numpy\.linalg\.eig\b"):      # forward mode too, as JAX's jvp
        forward.jvp(lambda x: np.linalg.eig(x)[0], (a,), (np.eye(3),))
    with pytest.raises(UnsupportedFunction, match=r"numpy\.linalg\.eigvals.*eigh"):
        hessian_reverse_over_forward(lambda x: np.real(np.sum(np.linalg.eigvals(x) ** 2)))(a)
    with pytest.raises(NotImplementedError):
        jax.grad(lambda x: jnp.real(jnp.sum(jnp.linalg.eig(x)[1])))(a)


# --- every norm order -----------------------------------------------------------------------------
VECTOR_ORDERS = [None, 2, 1, np.inf, -np.inf, 3, 0.5, -1, -2]
MATRIX_ORDERS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


@pytest.mark.parametrize("ord", VECTOR_ORDERS, ids=str)
def test_vector_norms_of_every_order(ord):
    x = rng.uniform(0.5, 2, 5) * np.array([1, -1, 1, -1, 1])
    rows = rng.uniform(0.5, 2, (3, 4))
    f = lambda v, r, np=np: np.linalg.norm(v, ord) + np.sum(np.linalg.norm(r, ord, axis=1, keepdims=True) * r)
    both_engines_match_jax(f, lambda v, r: f(v, r, jnp), x, rows, argnums=(0, 1))


@pytest.mark.parametrize("ord", MATRIX_ORDERS, ids=str)
def test_matrix_norms_of_every_order(ord):
    stack = rng.uniform(-1, 1, (3, 2, 4))
    f = lambda w, a, np=np: np.linalg.norm(w, ord) + np.sum(np.linalg.norm(a, ord, axis=(0, 2), keepdims=True) * a)
    both_engines_match_jax(f, lambda w, a: f(w, a, jnp), W0, stack, argnums=(0, 1))


def test_the_zero_norm_counts_and_has_no_derivative():
    x = np.array([0.0, 1.5, -2.0])
    assert np.linalg.norm(x, 0) == 2
    np.testing.assert_array_equal(reverse.grad(lambda v: np.linalg.norm(v, 0) + np.sum(v))(x), np.ones(3))


# --- cond, matrix_rank, multi_dot, tensorinv, tensorsolve ----------------------------------------
def test_cond_is_differentiable_and_matrix_rank_passes_through():
    for p in (None, -2, 1, "fro", np.inf):
        both_engines_match_jax(lambda a: np.linalg.cond(a, p), lambda a: jnp.linalg.cond(a, p), STACK[1])
    f = lambda a: np.linalg.matrix_rank(a) * np.sum(a)
    np.testing.assert_array_equal(reverse.grad(f)(STACK[1]), 3 * np.ones((3, 3)))


def test_multi_dot_of_a_vector_matrices_and_a_vector():
    v, m1, m2, w = rng.uniform(-1, 1, 4), W0, rng.uniform(-1, 1, (3, 5)), rng.uniform(-1, 1, 5)
    f = lambda *xs, np=np: np.linalg.multi_dot(list(xs))
    both_engines_match_jax(f, lambda *xs: f(*xs, np=jnp), v, m1, m2, w, argnums=(0, 1, 2, 3))
    assert f(v, m1, m2, w) == pytest.approx(v @ m1 @ m2 @ w, rel=1e-13)


def test_tensorinv_and_tensorsolve():
    a = (rng.uniform(-1, 1, (6, 6)) + 3 * np.eye(6)).reshape(2, 3, 6)
    f = lambda x, np=np: np.sum(np.linalg.tensorinv(x, ind=2) ** 2)
    both_engines_match_jax(f, lambda x: f(x, jnp), a)
    b = rng.uniform(-1, 1, (2, 3))
    g = lambda x, y, np=np: np.sum(np.sin(np.linalg.tensorsolve(x, y)))
    both_engines_match_jax(g, lambda x, y: g(x, y, jnp), a, b, argnums=(0, 1))
    h = lambda x, y, np=np: np.sum(np.linalg.tensorsolve(x, y, axes=(0,)) ** 2)
    both_engines_match_jax(h, lambda x, y: h(x, y, jnp), np.moveaxis(a, 2, 0).copy(), b)


def test_numpy_2_array_api_spellings_in_np_linalg():
    a, b = rng.uniform(-1, 1, (2, 3, 4)), rng.uniform(-1, 1, (2, 4, 3))
    def f(x, y, np=np):
        return (np.sum(np.linalg.matrix_norm(x, ord="nuc")) + np.sum(np.linalg.vector_norm(x, axis=(0, 2), ord=3))
                + np.linalg.vector_norm(y) + np.sum(np.linalg.svdvals(x) ** 3)
                + np.sum(np.linalg.matmul(x, y) ** 2) + np.sum(np.linalg.matrix_transpose(x) * y)
                + np.sum(np.linalg.trace(np.linalg.matmul(x, y), offset=1) ** 2)
                + np.sum(np.linalg.diagonal(y, offset=-1) ** 3) + np.sum(np.linalg.outer(x[0, 0], y[0, 0]) ** 2)
                + np.linalg.tensordot(x, y, axes=((1, 2), (2, 1))).sum() ** 2 + np.sum(np.linalg.vecdot(x, x) ** 2))
    both_engines_match_jax(f, lambda x, y: f(x, y, jnp), a, b, argnums=(0, 1))


# --- complex matrices, exactly as JAX ------------------------------------------------------------
# same_as_jax: reverse.grad against jax.grad, forward.jvp against jax.jvp along complex directions
# (values and dtypes, 1e-10 relative), and the gradient differentiated again, forward and reverse.
# A complex U, V (svd) are unique up to a phase per singular pair: the losses below read only
# gauge-invariant functions of them (s, |U|^2, U diag(s) V^H, projectors U U^H), which finite
# differences and JAX agree on whatever phases LAPACK picks. QR of a complex matrix has R's
# diagonal real in NumPy and JAX alike (Householder, LAPACK's geqrf): Q and R themselves are compared.
CTALL = rng.uniform(-1, 1, (6, 3)) + 1j * rng.uniform(-1, 1, (6, 3))
CWIDE = rng.uniform(-1, 1, (3, 5)) + 1j * rng.uniform(-1, 1, (3, 5))
CSQUARE = STACK[0] + 1j * rng.uniform(-1, 1, (3, 3))
CSTACK = STACK + 1j * rng.uniform(-1, 1, STACK.shape)
CB6 = B6 + 1j * rng.uniform(-1, 1, 6)


def complex_direction(x):
    t = rng.uniform(-1, 1, np.shape(x))
    return t + 1j * rng.uniform(-1, 1, np.shape(x)) if np.iscomplexobj(x) else t


def same_as_jax(f, f_jax, *args, second_order=True):
    """reverse.grad against jax.grad and forward.jvp against jax.jvp along random
    complex directions, values and dtypes, 1e-10 relative; with second_order, the
    gradient in the first argument differentiated again (forward over reverse,
    reverse over reverse) against JAX's, 1e-9. (JAX's side jitted: eagerly, its
    second derivatives of an SVD take ten seconds here.)"""
    argnums = tuple(range(len(args)))
    for ours, theirs in zip(reverse.grad(f, argnums)(*args), jax.jit(jax.grad(f_jax, argnums))(*args)):
        assert np.result_type(ours) == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    tangents = tuple(complex_direction(a) for a in args)
    ours, theirs = forward.jvp(f, args, tangents)[1], jax.jit(lambda *a: jax.jvp(f_jax, a, tangents)[1])(*args)
    assert np.result_type(ours) == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    if not second_order:
        return
    g = lambda x: reverse.grad(f)(x, *args[1:])
    g_jax = lambda x: jax.grad(f_jax)(x, *args[1:])
    np.testing.assert_allclose(forward.jvp(g, args[:1], tangents[:1])[1],
                               jax.jit(lambda x: jax.jvp(g_jax, (x,), tangents[:1])[1])(args[0]), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(reverse.vjp(g, args[0])[1](tangents[0])[0],
                               jax.jit(lambda x: jax.vjp(g_jax, x)[1](tangents[0])[0])(args[0]), rtol=1e-9, atol=1e-12)


def test_complex_least_squares_fit_through_lstsq():
    """Fit x to a complex design: min ||A x - b||^2; lstsq's solution and its
    residual (real, as NumPy's) in the design and the data, against JAX."""
    def fit(a, b, np=np):
        x, residuals, _, _ = np.linalg.lstsq(a, b, rcond=None)
        return np.sum(np.abs(x) ** 2) + 3 * residuals[0] + np.real(np.sum(x * (0.4 - 0.8j)))
    def fit_jax(a, b):
        x = jnp.linalg.lstsq(a, b, rcond=None)[0]
        return jnp.sum(jnp.abs(x) ** 2) + 3 * jnp.sum(jnp.abs(a @ x - b) ** 2) + jnp.real(jnp.sum(x * (0.4 - 0.8j)))
    same_as_jax(fit, fit_jax, CTALL, CB6, second_order=False)      # (pinv's second order: below)
    x, residuals, rank, _ = np.linalg.lstsq(CTALL, CB6, rcond=None)
    assert rank == 3 and residuals.dtype == np.float64
    # the residual's gradient in b is 2 conj(b - A x) (JAX's convention: df/dRe - i df/dIm)
    residual = lambda b: np.linalg.lstsq(CTALL, b, rcond=None)[1][0]
    np.testing.assert_allclose(reverse.grad(residual)(CB6), 2 * np.conj(CB6 - CTALL @ x), rtol=1e-10)
    check_program(fit, (CTALL, CB6))


def test_nuclear_norm_and_spectral_loss_of_a_complex_matrix():
    """||A||_* = sum s: its gradient is conj(U V^H) (the Hermitian gradient U V^H,
    conjugated to JAX's convention); a spectral loss reading s, |U|^2 and the rank-2
    reconstruction U_2 diag(s_2) V_2^H, all independent of the singular vectors' phases."""
    nuclear = lambda a: np.sum(np.linalg.svd(a, compute_uv=False))
    u, s, vh = np.linalg.svd(CTALL, full_matrices=False)
    np.testing.assert_allclose(reverse.grad(nuclear)(CTALL), np.conj(u @ vh), rtol=1e-10)

    def spectral(a, np=np):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        rank_two = (u[..., :2] * s[..., None, :2]) @ vh[..., :2, :]
        return (np.sum(s ** 3) + np.sum(np.abs(u[..., 0]) ** 4) + np.sum(np.abs(vh[..., 1, :]) ** 3)
                + np.sum(np.abs(a - rank_two) ** 2))
    same_as_jax(spectral, lambda a: spectral(a, jnp), CWIDE)
    for a in (CTALL, CSTACK[:2]):
        same_as_jax(spectral, lambda a: spectral(a, jnp), a, second_order=False)
    check_program(spectral, (CWIDE,))


def test_complex_singular_vectors_have_jaxs_gauge():
    """d(U diag(s) V^H) along dA is dA itself, and JAX's gauge: V^H dV has a zero
    diagonal, U^H dU the imaginary diagonal i Im(U^H dA V)_ii / s_i."""
    t = rng.uniform(-1, 1, CTALL.shape) + 1j * rng.uniform(-1, 1, CTALL.shape)
    (u, s, vh), (du, ds, dvh) = forward.jvp(lambda a: tuple(np.linalg.svd(a, full_matrices=False)), (CTALL,), (t,))
    assert ds.dtype == np.float64 and du.dtype == np.complex128
    np.testing.assert_allclose((du * s) @ vh + (u * ds) @ vh + (u * s) @ dvh, t, atol=1e-12)
    np.testing.assert_allclose(np.diagonal(vh @ np.conj(dvh.T)), 0, atol=1e-12)
    expected = 1j * np.imag(np.diagonal(np.conj(u.T) @ t @ np.conj(vh.T))) / s
    np.testing.assert_allclose(np.diagonal(np.conj(u.T) @ du), expected, atol=1e-12)


def test_complex_qr_orthogonalisation_loss():
    """Orthogonalise complex columns with QR: the projection of T onto their span
    (Q Q^H T, phase-free) and R's real diagonal, against JAX; Q and R themselves
    too, since NumPy and JAX take the same (LAPACK's) R with a real diagonal."""
    target = rng.uniform(-1, 1, (6, 2)) + 1j * rng.uniform(-1, 1, (6, 2))
    def orthogonalise(a, np=np):
        q, r = np.linalg.qr(a)
        return (np.sum(np.abs(target - q @ (np.conj(q.T) @ target)) ** 2) + np.sum(np.log(np.abs(np.diagonal(r))))
                + np.real(np.sum(q ** 2)) + np.imag(np.sum(r ** 3)))
    same_as_jax(orthogonalise, lambda a: orthogonalise(a, jnp), CTALL)
    q, r = np.linalg.qr(CTALL)
    q_jax, r_jax = jnp.linalg.qr(CTALL)
    np.testing.assert_allclose(q, q_jax, atol=1e-12)
    np.testing.assert_allclose(r, r_jax, atol=1e-12)
    _, (dq, dr) = forward.jvp(lambda a: tuple(np.linalg.qr(a)), (CTALL,), (1j * CTALL,))
    np.testing.assert_allclose(np.imag(np.diagonal(dr)), 0, atol=1e-12)           # R's diagonal stays real
    wide = lambda a, np=np: np.sum(np.abs(np.linalg.qr(a)[1]) ** 3) + np.real(np.sum(np.linalg.qr(a)[0] ** 3))
    same_as_jax(wide, lambda a: wide(a, jnp), CWIDE, second_order=False)
    check_program(orthogonalise, (CTALL,))


def test_complex_pinv_cond_and_eigvals():
    pinv = lambda a, np=np: np.sum(np.abs(np.linalg.pinv(a)) ** 2) + np.real(np.sum(np.linalg.pinv(a) * (1 - 2j)))
    same_as_jax(pinv, lambda a: pinv(a, jnp), CTALL)
    same_as_jax(pinv, lambda a: pinv(a, jnp), CSTACK[:2], second_order=False)
    for p in (None, "fro"):
        same_as_jax(lambda a: np.linalg.cond(a, p), lambda a: jnp.linalg.cond(a, p), CSQUARE, second_order=False)
    # eigvals of a complex matrix: holomorphic, d sum w = tr dA, so the trace's gradient is I
    spectral = lambda a, np=np: np.sum(np.abs(np.linalg.eigvals(a)) ** 3) + np.real(np.prod(np.linalg.eigvals(a)))
    same_as_jax(spectral, lambda a: spectral(a, jnp), CSQUARE, second_order=False)      # (second order refused, as JAX)
    trace = lambda a: np.real(np.sum(np.linalg.eigvals(a)))
    np.testing.assert_allclose(reverse.grad(trace)(CSQUARE), np.eye(3), atol=1e-12)


def test_hessian_of_a_real_parameterised_complex_spectral_loss():
    """modes.hessian of real parameters p entering a complex matrix
    A(p) = A0 + p0 E + i p1 F: the nuclear norm, a QR and a pseudo-inverse term, against jax.hessian."""
    e, f = rng.uniform(-1, 1, (2,) + CTALL.shape)
    def loss(p, np=np):
        a = CTALL + p[0] * e + 1j * p[1] * f
        q, r = np.linalg.qr(a)
        return (np.sum(np.linalg.svd(a, compute_uv=False)) + np.sum(np.abs(np.diagonal(r)) ** 3)
                + np.sum(np.abs(np.linalg.pinv(a)) ** 2))
    p = np.array([0.3, -0.2])
    np.testing.assert_allclose(modes.hessian(loss)(p), jax.jit(jax.hessian(lambda p: loss(p, jnp)))(p), rtol=1e-9)


def test_complex_hermitian_matrix_function_through_eigh():
    """f(S) = V diag(exp(w)) V^H of a complex Hermitian S = herm(A): independent of the
    eigenvectors' phases, so it is comparable with JAX and equals expm(S)."""
    def heat(a, np=np):
        w, v = np.linalg.eigh(a)
        f_s = (v * np.exp(0.3 * w)) @ np.conj(v.T)
        return np.sum(np.abs(f_s[:, 0]) ** 2) + np.real(np.trace(f_s @ CSQUARE)) + np.sum(np.abs(v) ** 4)
    s = CSQUARE @ np.conj(CSQUARE.T)
    w, v = np.linalg.eigh(s)
    np.testing.assert_allclose((v * np.exp(0.3 * w)) @ np.conj(v.T), scipy.linalg.expm(0.3 * s), rtol=1e-12)
    same_as_jax(heat, lambda a: heat(a, jnp), s)
