"""np.linalg's decompositions (qr, svd, eigvals) of real and complex matrices and the
functions that lower to them (pinv, lstsq, cond) or to other ops
(matrix_power, multi_dot, tensorinv, tensorsolve), batched over leading axes.

The rules, as JAX writes them (jax/_src/lax/linalg.py), in registry ops so that
Hessians and nested derivatives work:

    qr (m >= n):  C = Q^T dA R^{-1},  Omega = tril(C, -1) - tril(C, -1)^T  (Walter & Lehmann 2018)
                  dQ = Q (Omega - C) + dA R^{-1},  dR = (C - Omega) R
                  A_bar = (Q_bar + Q copyltu(M)) R^{-T},  M = R_bar R^T - Q^T Q_bar
    qr (m < n):   A = [A1 A2]: (Q, R1) the QR of the square A1,  dR2 = dQ^T A2 + Q^T dA2
    svd:          dS = U^T dA V,  ds = diag dS,  F_ij = 1 / (s_j^2 - s_i^2)  (0 on the diagonal)
                  dU = U (F o (dS S + S dS^T)) + (I - U U^T) dA V S^{-1}            (Townsend 2016)
                  dV = V (F o (S dS + dS^T S)) + (I - V V^T) dA^T U S^{-1}
                  A_bar = U (diag s_bar + (F o (X - X^T)) S + S (F o (Y - Y^T))) V^T
                          + (I - U U^T) U_bar S^{-1} V^T + U S^{-1} V_bar^T (I - V V^T)
                  (X = U^T U_bar, Y = V^T V_bar)
    svdvals:      ds = diag(U^T dA V)                    A_bar = U diag(s_bar) V^T
    eigvals:      dw = diag(V^{-1} dA V)                 A_bar = V^{-T} diag(w_bar) V^T  (Seeger et al. 2017)
    pinv:         dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P  (Golub & Pereyra 1973)

Complex matrices, exactly as JAX (ops/complex.py: a cotangent C stands for
Re sum(C * dA)). The JVPs above hold with conjugate transposes (Q^H, U^H, V^H,
dA^H, P^H) and with JAX's gauge terms:

    qr:       Omega += i Im diag(C), so R's diagonal stays real (LAPACK's geqrf
              gives a real diagonal, in NumPy and JAX alike)
    svd:      ds = Re diag dS,  dU += U i Im diag(dS) S^{-1}  (V's phases fixed;
              S^{-1} reads 0 where s = 0, as JAX's s_inv)
    svdvals:  ds = Re diag(U^H dA V)
    eigvals:  holomorphic, the formulas as written
    pinv:     dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P

The VJPs are the literature's in the Hermitian pairing Re tr(G^H dA) (qr's
copyltu(M) with a real diagonal, svd's inner matrix + i Im diag(U^H U_bar) S^{-1}),
taken to JAX's pairing by `hermitian_pairing`: C = conj G, A_bar = conj(A_bar_H).
svd returns V's conjugate transpose Vh = V^H (the packed op holds V).

Conventions where the mathematics leaves a choice, JAX's:
- svd at repeated singular values: F is inf, so the singular vectors'
  derivatives are inf/nan; the singular values' (svdvals, norm 'nuc', 2, -2,
  cond) are finite. A cotangent that is zero on U or V adds nothing (no 0 * inf).
- svd(full_matrices=True) of a non-square matrix, qr(mode='complete') of a tall
  one: the extra columns of U, V or Q are not unique. JAX's svd refuses them
  (NotImplementedError); JAX's qr differentiates LAPACK's Householder choice
  (arXiv 2409.13374). fwdrev refuses both with an error naming the function.
- eig: JAX does not differentiate non-symmetric eigenvectors (jax issue 2748),
  and neither does fwdrev; eigvals are differentiable, complex as in JAX
  (complex128 even where all eigenvalues are real), and their second
  derivatives need the eigenvectors' first: refused as in JAX.
- pinv at a rank change: the derivative of the fixed-rank pseudo-inverse
  (Golub & Pereyra), JAX's: singular values at or below the cutoff count as
  exact zeros and do not move. lstsq's solution is pinv(A) b, so it follows;
  where A has full rank and equal singular values this is the true derivative
  (the normal equations'), where jnp.linalg.lstsq, differentiating its SVD,
  gives nan: the one deliberate difference from JAX here.
"""

import collections
import math

import numpy as np

from ..errors import UnsupportedFunction
from ..registry import apply, implements, is_complex, passes_through, refuses, shape_of, strip
from .complex import conj, imag, real, squared_modulus
from .elementwise import add, mul, neg, reciprocal, sub, truediv
from .factorizations import (_op, _square, complex_general, complex_uniform, general, inv, mH, mT, solve,
                             solve_matrix, stack_count, triangular_solve)
from .linalg import matmul, norm
from .reductions import sum as sum_
from .shape import concatenate, diagonal, getitem, moveaxis, reshape


def _jnp():
    import jax.numpy as jnp
    return jnp


def row(v):
    """A stack of vectors (..., k) as rows (..., 1, k)."""
    return reshape(v, shape_of(v)[:-1] + (1, shape_of(v)[-1]))


def column(v):
    """A stack of vectors (..., k) as columns (..., k, 1)."""
    return reshape(v, shape_of(v) + (1,))


def columns(x, start, stop=None):
    return getitem(x, (Ellipsis, slice(start, stop)))


def rows(x, start, stop=None):
    return getitem(x, (Ellipsis, slice(start, stop), slice(None)))


def any_nonzero(x):
    """A cotangent part that is not all zeros (a zero one contributes nothing: no 0 * inf)."""
    return bool(np.any(strip(x)))


def _samples(rng):
    u = lambda *s: rng.uniform(-1, 1, s)
    return u(4, 3), u(3, 4), general(rng, 3, 3), u(2, 4, 3)


def _complex_samples(rng):
    return complex_uniform(rng, 4, 3), complex_uniform(rng, 3, 4), complex_general(rng, 3, 3)


def hermitian_pairing(vjp):
    """A VJP rule written with the Hermitian pairing Re tr(G^H dY) of the
    literature (and PyTorch), as JAX's pairing Re sum(C * dY) needs it: C = conj G,
    so A_bar = conj(vjp_H(conj C)). On real values conj records nothing."""
    def rule(ct, argnum, out, *args, **params):
        return conj(vjp(conj(ct), argnum, out, *args, **params))
    return rule


# --- QR --------------------------------------------------------------------------
# One op, one output: Q^T (..., k, m) beside R (..., k, n), as (..., k, m + n).
def _qr(a):
    q, r = np.linalg.qr(a)
    return np.concatenate([np.swapaxes(q, -1, -2), r], axis=-1)


def _qr_parts(packed, m):
    return mT(columns(packed, 0, m)), columns(packed, m)


def _qr_twin(a):
    jnp = _jnp()
    q, r = jnp.linalg.qr(a)
    return jnp.concatenate([jnp.swapaxes(q, -1, -2), r], axis=-1)


def _right_solve_upper(x, r):
    """X R^{-1} for upper triangular R: R^T (X R^{-1})^T = X^T."""
    return mT(triangular_solve(mT(r), mT(x), lower=True))


def _thin_qr_jvp(q, r, da):
    n = shape_of(r)[-1]
    da_rinv = _right_solve_upper(da, r)                                 # dA R^{-1}
    c = matmul(mH(q), da_rinv)                                          # C = Q^H dA R^{-1}
    lower = mul(c, np.tril(np.ones((n, n)), -1))
    omega = sub(lower, mH(lower))                                       # skew-Hermitian
    if is_complex(c):                                                   # + i Im diag C: R's diagonal stays real
        omega = add(omega, mul(mul(imag(c), 1j), np.eye(n)))
    return add(matmul(q, sub(omega, c)), da_rinv), matmul(sub(c, omega), r)   # dQ, dR


def _thin_qr_vjp(q, r, q_bar, r_bar):
    """A_bar (Hermitian pairing) = (Q_bar + Q G) R^{-H}, G = copyltu(M) with a real diagonal."""
    n = shape_of(r)[-1]
    m_ = sub(matmul(r_bar, mH(r)), matmul(mH(q), q_bar))              # M = R_bar R^H - Q^H Q_bar
    strict = mul(m_, np.triu(np.ones((n, n)), 1))
    g = add(add(strict, mH(strict)), mul(real(m_), np.eye(n)))          # triu(M, 1) + triu(M, 1)^H + Re diag M
    rhs = add(q_bar, matmul(q, g))
    return mH(triangular_solve(r, mH(rhs), lower=False))               # (Q_bar + Q G) R^{-H}


def _qr_jvp(tangents, out, a):
    m, n = shape_of(a)[-2:]
    q, r = _qr_parts(out, m)
    da = tangents[0]
    if m >= n:
        dq, dr = _thin_qr_jvp(q, r, da)
    else:                                                               # A = [A1 A2], R = [R1 R2]
        dq, dr1 = _thin_qr_jvp(q, columns(r, 0, m), columns(da, 0, m))
        dr2 = add(matmul(mH(dq), columns(a, m)), matmul(mH(q), columns(da, m)))   # dR2 = dQ^H A2 + Q^H dA2
        dr = concatenate([dr1, dr2], axis=-1)
    return concatenate([mT(dq), dr], axis=-1)


@hermitian_pairing
def _qr_vjp(ct, argnum, out, a):
    m, n = shape_of(a)[-2:]
    q, r = _qr_parts(out, m)
    q_bar, r_bar = _qr_parts(ct, m)
    if m >= n:
        return _thin_qr_vjp(q, r, q_bar, r_bar)
    r2_bar = columns(r_bar, m)
    q_bar = add(q_bar, matmul(columns(a, m), mH(r2_bar)))              # R2 = Q^H A2 reads Q: + A2 R2_bar^H
    a1_bar = _thin_qr_vjp(q, columns(r, 0, m), q_bar, columns(r_bar, 0, m))
    return concatenate([a1_bar, matmul(q, r2_bar)], axis=-1)           # A2_bar = Q R2_bar


def _qr_cost(out, a):
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    return (4 * m * n * k - 4 * k ** 3 // 3) * stack_count(shape_of(a))     # Householder R, then Q: ~4mnk - 4k^3/3


# Complex samples too: Householder QR (LAPACK's geqrf, in NumPy and JAX alike) gives R a real
# diagonal, and with it Q and R are unique up to the signs of that diagonal, which both take alike.
QR = _op("qr", _qr, _qr_jvp, _qr_vjp, jax=_qr_twin, cost=_qr_cost,
         examples=lambda rng: [((x,), {}) for x in _samples(rng) + _complex_samples(rng)])

QRResult = collections.namedtuple("QRResult", "Q R")


@implements(np.linalg.qr)
def qr(a, mode="reduced"):
    """Q, R with A = Q R (mode 'reduced', or 'complete' where it is the same:
    m <= n), or R alone (mode 'r')."""
    m, n = shape_of(a)[-2:]
    if mode not in ("reduced", "complete", "r"):
        raise UnsupportedFunction(
            f"numpy.linalg.qr(mode={mode!r}) returns LAPACK's Householder reflectors: fwdrev differentiates "
            "modes 'reduced', 'complete' and 'r'")
    if mode == "complete" and m > n:
        raise UnsupportedFunction(
            f"numpy.linalg.qr(mode='complete') of a tall {m}x{n} matrix: the last {m - n} columns of Q are not "
            "unique (any orthonormal basis of the complement), and fwdrev does not differentiate LAPACK's "
            "choice of them (JAX does, arXiv 2409.13374). Use mode='reduced'")
    q, r = _qr_parts(apply(QR, a), m)
    return r if mode == "r" else QRResult(q, r)


# --- SVD -------------------------------------------------------------------------
# One op, one output: s (..., 1, k) on top of U (..., m, k) and V (..., n, k),
# as (..., 1 + m + n, k), k = min(m, n): the reduced decomposition.
def _svd(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.concatenate([s[..., None, :], u, np.conj(np.swapaxes(vh, -1, -2))], axis=-2)      # V = Vh^H


def _svd_parts(packed, m):
    """(s, U, V) of a packed SVD (s real, packed with a complex U and V or not)."""
    return real(getitem(packed, (Ellipsis, 0, slice(None)))), rows(packed, 1, 1 + m), rows(packed, 1 + m)


def _svd_twin(a):
    jnp = _jnp()
    u, s, vh = jnp.linalg.svd(a, full_matrices=False)
    return jnp.concatenate([s[..., None, :], u, jnp.conj(jnp.swapaxes(vh, -1, -2))], axis=-2)


def _gaps(s):
    """F_ij = 1 / (s_j^2 - s_i^2) off the diagonal, 0 on it (inf at repeated singular values, as JAX)."""
    eye = np.eye(shape_of(s)[-1])
    s2 = mul(s, s)
    return sub(reciprocal(add(eye, sub(row(s2), column(s2)))), eye)


def _pseudo_reciprocal(s):
    """1 / s, 0 where s = 0 (JAX's s_inv)."""
    zeros = strip(s) == 0
    return sub(reciprocal(add(s, zeros)), zeros)


def _svd_jvp(tangents, out, a):
    m, n = shape_of(a)[-2:]
    s, u, v = _svd_parts(out, m)
    da = tangents[0]
    ds = matmul(matmul(mH(u), da), v)                                   # dS = U^H dA V
    f = _gaps(s)
    ds_s, s_ds = mul(ds, row(s)), mul(column(s), ds)                    # dS S, S dS
    du = matmul(u, mul(f, add(ds_s, mH(ds_s))))                          # U (F o (dS S + S dS^H))
    dv = matmul(v, mul(f, add(s_ds, mH(s_ds))))                          # V (F o (S dS + dS^H S))
    if is_complex(ds):                          # + U i Im diag(dS) S^{-1}: JAX's phase gauge (V's phases fixed)
        du = add(du, matmul(u, mul(mul(imag(ds), mul(row(_pseudo_reciprocal(s)), 1j)), np.eye(shape_of(s)[-1]))))
    if m > n:                                                           # + (I - U U^H) dA V S^{-1}
        da_v = matmul(da, v)
        du = add(du, truediv(sub(da_v, matmul(u, matmul(mH(u), da_v))), row(s)))
    if n > m:                                                           # + (I - V V^H) dA^H U S^{-1}
        da_u = matmul(mH(da), u)
        dv = add(dv, truediv(sub(da_u, matmul(v, matmul(mH(v), da_u))), row(s)))
    return concatenate([row(real(diagonal(ds, 0, -2, -1))), du, dv], axis=-2)      # ds = Re diag dS


@hermitian_pairing
def _svd_vjp(ct, argnum, out, a):
    m, n = shape_of(a)[-2:]
    s, u, v = _svd_parts(out, m)
    s_bar, u_bar, v_bar = _svd_parts(ct, m)
    k = shape_of(s)[-1]
    inner = mul(row(s_bar), np.eye(k))                                  # diag(s_bar)
    f = _gaps(s) if any_nonzero(u_bar) or any_nonzero(v_bar) else None
    if any_nonzero(u_bar):
        x = matmul(mH(u), u_bar)
        inner = add(inner, mul(mul(f, sub(x, mH(x))), row(s)))          # (F o (X - X^H)) S
        if is_complex(x):                                               # + i Im diag(X) S^{-1} (dU's gauge term)
            inner = add(inner, mul(mul(imag(x), mul(row(_pseudo_reciprocal(s)), 1j)), np.eye(k)))
    if any_nonzero(v_bar):
        y = matmul(mH(v), v_bar)
        inner = add(inner, mul(column(s), mul(f, sub(y, mH(y)))))       # S (F o (Y - Y^H))
    a_bar = matmul(matmul(u, inner), mH(v))
    if m > n and any_nonzero(u_bar):                                    # (I - U U^H) U_bar S^{-1} V^H
        free = truediv(sub(u_bar, matmul(u, matmul(mH(u), u_bar))), row(s))
        a_bar = add(a_bar, matmul(free, mH(v)))
    if n > m and any_nonzero(v_bar):                                    # U S^{-1} V_bar^H (I - V V^H)
        free = truediv(sub(v_bar, matmul(v, matmul(mH(v), v_bar))), row(s))
        a_bar = add(a_bar, matmul(u, mH(free)))
    return a_bar


def _svd_cost(out, a):
    m, n = shape_of(a)[-2:]
    k, l = min(m, n), max(m, n)
    return (6 * l * k * k + 11 * k ** 3) * stack_count(shape_of(a))         # R-SVD with U, V (Golub & Van Loan 8.6)


# Real samples only: a complex U and V are unique up to a phase per singular pair, and their
# derivative is that of JAX's gauge, not of LAPACK's phases, so differences cannot confirm it;
# tests/test_decompositions.py checks gauge-invariant functions of complex ones (U diag(s) V^H, |U|^2).
SVD = _op("svd", _svd, _svd_jvp, _svd_vjp, jax=_svd_twin, cost=_svd_cost,
          examples=lambda rng: [((x,), {}) for x in _samples(rng)])


def singular_vectors(a):
    """(s, U, V) of the reduced SVD, differentiable."""
    return _svd_parts(apply(SVD, a), shape_of(a)[-2])


def _svdvals_jvp(tangents, out, a):
    _, u, v = singular_vectors(a)
    return real(sum_(mul(conj(u), matmul(tangents[0], v)), axis=-2))   # ds = Re diag(U^H dA V)


def _svdvals_vjp(ct, argnum, out, a):
    # A_bar = U diag(s_bar) V^H under the Hermitian pairing: conj(U) diag(s_bar) V^T under JAX's
    _, u, v = singular_vectors(a)
    return matmul(mul(conj(u), row(ct)), mT(v))


def _svdvals_cost(out, a):
    m, n = shape_of(a)[-2:]
    k, l = min(m, n), max(m, n)
    return (4 * l * k * k - 4 * k ** 3 // 3) * stack_count(shape_of(a))      # bidiagonalisation


SVDVALS = _op("svdvals", lambda a: np.linalg.svd(a, compute_uv=False), _svdvals_jvp, _svdvals_vjp,
              jax=lambda a: _jnp().linalg.svd(a, compute_uv=False), cost=_svdvals_cost,
              examples=lambda rng: [((x,), {}) for x in _samples(rng) + _complex_samples(rng)],
              saves=("args",))


@implements(np.linalg.svdvals)
def svdvals(a, /):
    return apply(SVDVALS, a)


SVDResult = collections.namedtuple("SVDResult", "U S Vh")


@implements(np.linalg.svd)
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """U, s, Vh (reduced, or full for a square matrix), or s alone. hermitian=True
    computes the general SVD (the same s; NumPy's U and Vh may differ in sign)."""
    if not compute_uv:
        return svdvals(a)
    m, n = shape_of(a)[-2:]
    if full_matrices and m != n:
        raise UnsupportedFunction(
            f"numpy.linalg.svd(full_matrices=True) of a {m}x{n} matrix: the last {abs(m - n)} singular vectors are "
            "not unique and have no derivative (JAX refuses them too). Pass full_matrices=False")
    s, u, v = singular_vectors(a)
    return SVDResult(u, s, mH(v))


# --- eigenvalues of a general real matrix ---------------------------------------------
def _no_eigenvector_derivatives(*_):
    raise UnsupportedFunction(
        "the second derivatives of numpy.linalg.eigvals need the derivatives of numpy.linalg.eig's eigenvectors, "
        "which fwdrev does not define, as JAX does not (non-symmetric eigenvectors are differentiable only under "
        "assumptions on A nobody can check: jax issue 2748). Use numpy.linalg.eigh for a symmetric matrix")


# The right eigenvectors V, the constant the eigenvalues' rules read: its own
# rules refuse (checked in tests/test_decompositions.py).
EIGENVECTORS = _op("eig_vectors", lambda a: np.linalg.eig(a)[1].astype(np.result_type(a, 1j)),
                   _no_eigenvector_derivatives, _no_eigenvector_derivatives,
                   jax=lambda a: _jnp().linalg.eig(a)[1],
                   cost=lambda out, a: 25 * shape_of(a)[-1] ** 3 * stack_count(shape_of(a)), examples=None)


def _eigvals_jvp(tangents, out, a):
    v = apply(EIGENVECTORS, a)
    return sum_(mul(solve_matrix(v, tangents[0]), mT(v)), axis=-1)     # dw = diag(V^{-1} dA V)


def _eigvals_vjp(ct, argnum, out, a):
    v = apply(EIGENVECTORS, a)
    return solve_matrix(mT(v), mul(column(ct), mT(v)))                  # A_bar = V^{-T} diag(w_bar) V^T


def _eigvals_examples(rng):
    rotation = np.array([[0.0, -2.0, 0.3], [2.0, 0.1, 0.0], [0.2, 0.0, 1.0]])     # eigenvalues ~ +-2i, 1
    return [((general(rng, 3, 3),), {}), ((rotation + 0.1 * rng.uniform(-1, 1, (3, 3)),), {}),
            ((general(rng, 2, 3, 3),), {}), ((complex_general(rng, 3, 3),), {})]


EIGVALS = _op("eigvals", lambda a: np.linalg.eig(a)[0].astype(np.result_type(a, 1j)), _eigvals_jvp, _eigvals_vjp,
              jax=lambda a: _jnp().linalg.eigvals(a),
              cost=lambda out, a: 10 * shape_of(a)[-1] ** 3 * stack_count(shape_of(a)),   # Hessenberg QR, ~10n^3
              examples=_eigvals_examples, saves=("args",))


@implements(np.linalg.eigvals)
def eigvals(a):
    """The eigenvalues, complex (JAX's dtype, even where all are real)."""
    _square("numpy.linalg.eigvals", a)
    return apply(EIGVALS, a)


# np.linalg.eig's eigenvectors: refused, as JAX refuses them (jnp.linalg.eig
# computes them, so JAX refuses its eigenvalues' derivatives too)
refuses(np.linalg.eig, "numpy.linalg.eig",
        "the derivatives of a non-symmetric matrix's eigenvectors are valid only under assumptions on the matrix "
        "nobody can check (distinct eigenvalues, a phase convention), and fwdrev does not define them, as JAX "
        "does not (jax issue 2748). For the eigenvalues use np.linalg.eigvals (differentiable); for a symmetric "
        "or Hermitian matrix use np.linalg.eigh")


# --- pseudo-inverse, least squares ------------------------------------------------------
def _pinv_jvp(tangents, out, a, rtol):
    p, da_h = out, mH(tangents[0])
    z = matmul(matmul(p, mH(p)), da_h)                                  # P P^H dA^H
    y = matmul(da_h, matmul(mH(p), p))                                  # dA^H P^H P
    return add(add(neg(matmul(matmul(p, tangents[0]), p)),              # -P dA P
                   sub(z, matmul(matmul(z, a), p))),                    # + P P^H dA^H (I - A P)
               sub(y, matmul(p, matmul(a, y))))                         # + (I - P A) dA^H P^H P


@hermitian_pairing
def _pinv_vjp(ct, argnum, out, a, rtol):
    p, ct_h = out, mH(ct)
    t = matmul(ct_h, matmul(p, mH(p)))                                  # P_bar^H P P^H
    w = matmul(matmul(mH(p), p), ct_h)                                  # P^H P P_bar^H
    return add(add(neg(matmul(matmul(mH(p), ct), mH(p))),              # -P^H P_bar P^H
                   sub(t, matmul(a, matmul(p, t)))),                    # + (I - A P) P_bar^H P P^H
               sub(w, matmul(matmul(w, p), a)))                         # + P^H P P_bar^H (I - P A)


def _pinv_cost(out, a, rtol):
    m, n = shape_of(a)[-2:]
    return _svd_cost(None, a) + 2 * m * n * min(m, n) * stack_count(shape_of(a))


def _pinv_examples(rng):
    u = lambda *s: rng.uniform(-1, 1, s)
    rank_two = u(4, 2) @ u(2, 3)
    # rank two: a perturbation of 1e-6 stays below the cutoff, so differences see the fixed-rank derivative
    return [((x,), dict(rtol=1e-15)) for x in (u(4, 3), u(3, 4), u(2, 3, 3), complex_uniform(rng, 4, 3),
                                                complex_uniform(rng, 2, 3, 4))] + [((rank_two,), dict(rtol=1e-3))]


PINV = _op("pinv", lambda a, rtol: np.linalg.pinv(a, rtol=rtol), _pinv_jvp, _pinv_vjp,
           jax=lambda a, rtol: _jnp().linalg.pinv(a, rtol=rtol), cost=_pinv_cost, examples=_pinv_examples,
           saves=("args", "out"))


def _cutoff(a, rcond, rtol, default):
    """NumPy's relative cutoff for small singular values."""
    if rcond is not None:
        return rcond
    if rtol is None:
        return max(shape_of(a)[-2:]) * np.finfo(np.result_type(strip(a), 1.0)).eps
    return default if rtol is np._NoValue else rtol


@implements(np.linalg.pinv)
def pinv(a, rcond=None, hermitian=False, *, rtol=np._NoValue):
    """The pseudo-inverse, NumPy's cutoff (singular values <= rtol * s_max are
    zeros); its derivative keeps the rank fixed (JAX's)."""
    return apply(PINV, a, rtol=_cutoff(a, rcond, rtol, 1e-15))


LstsqResult = collections.namedtuple("LstsqResult", "solution residuals rank singular_values")


@implements(np.linalg.lstsq)
def lstsq(a, b, rcond=None):
    """x = pinv(A) b (NumPy's cutoff rcond * s_max); the residuals |b - A x|^2 per
    column where NumPy gives them (full column rank, m > n); the rank and
    singular values pass through as constants."""
    _, residuals, rank, s = np.linalg.lstsq(strip(a), strip(b), rcond)
    x = matmul(apply(PINV, a, rtol=_cutoff(a, rcond, None, None)), b)
    if len(residuals):
        r = sub(b, matmul(a, x))
        residuals = sum_(squared_modulus(r), axis=0)
        if len(shape_of(b)) == 1:
            residuals = reshape(residuals, (1,))
    return LstsqResult(x, residuals, rank, s)


# --- lowerings to matmul, inv and solve ----------------------------------------------------
@implements(np.linalg.matrix_power)
def matrix_power(a, n):
    """A^n by repeated squaring; negative n: inv(A)^|n|; A^0 = I (a constant)."""
    _square("numpy.linalg.matrix_power", a)
    shape = shape_of(a)
    n = int(n)
    if n == 0:
        return np.broadcast_to(np.eye(shape[-1], dtype=np.result_type(strip(a))), shape).copy()
    if n < 0:
        a, n = inv(a), -n
    result, power = None, a
    while True:
        if n & 1:
            result = power if result is None else matmul(result, power)
        n >>= 1
        if not n:
            return result
        power = matmul(power, power)


@implements(np.linalg.multi_dot)
def multi_dot(arrays, *, out=None):
    """A chain of matmuls, left to right; a 1-D first (last) array is a row (column)."""
    if out is not None:
        raise UnsupportedFunction("numpy.linalg.multi_dot(out=...) writes into a buffer: fwdrev returns a new array")
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    first_1d, last_1d = len(shape_of(arrays[0])) == 1, len(shape_of(arrays[-1])) == 1
    if first_1d:
        arrays[0] = row(arrays[0])
    if last_1d:
        arrays[-1] = column(arrays[-1])
    result = arrays[0]
    for x in arrays[1:]:
        result = matmul(result, x)
    shape = shape_of(result)
    if first_1d or last_1d:
        shape = tuple(d for d, drop in zip(shape, (first_1d, last_1d)) if not drop)
        return reshape(result, shape)
    return result


@implements(np.linalg.tensorinv)
def tensorinv(a, ind=2):
    """inv of a reshaped to a square matrix, reshaped to shape[ind:] + shape[:ind]."""
    shape = shape_of(a)
    rows_, cols = math.prod(shape[:ind]), math.prod(shape[ind:])
    if ind <= 0 or rows_ != cols:
        raise ValueError("Invalid ind argument." if ind <= 0 else "the product of the first ind dimensions must "
                         "equal the product of the rest")
    return reshape(inv(reshape(a, (rows_, cols))), shape[ind:] + shape[:ind])


@implements(np.linalg.tensorsolve)
def tensorsolve(a, b, axes=None):
    """solve of a reshaped to (b.size, x.size) against b flattened."""
    if axes is not None:
        axes = [k % len(shape_of(a)) for k in axes]
        a = moveaxis(a, axes, list(range(len(shape_of(a)) - len(axes), len(shape_of(a)))))
    shape = shape_of(a)[len(shape_of(b)):]
    size = math.prod(shape)
    if size != math.prod(shape_of(b)):
        raise np.linalg.LinAlgError("Input arrays must satisfy the requirement prod(a.shape[b.ndim:]) == "
                                    "prod(a.shape[:b.ndim])")
    a2 = reshape(a, (size, size))
    return reshape(solve(a2, reshape(b, (size,))), shape)


@implements(np.linalg.cond)
def cond(x, p=None):
    """As jnp.linalg.cond: s_max / s_min for p None, 2 (-2: its inverse) from the
    singular values; otherwise norm(x, p) norm(inv(x), p)."""
    if p in (None, 2, -2):
        s = svdvals(x)
        largest, smallest = getitem(s, (Ellipsis, 0)), getitem(s, (Ellipsis, -1))
        return truediv(smallest, largest) if p == -2 else truediv(largest, smallest)
    return mul(norm(x, ord=p, axis=(-2, -1)), norm(inv(x), ord=p, axis=(-2, -1)))


passes_through(np.linalg.matrix_rank)
