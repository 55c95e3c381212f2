"""np.linalg's factorizations and solves (real and complex matrices), batched over leading axes.

Every op takes stacks of matrices (..., m, n) as NumPy does, and its rules are
written in registry ops (matmul, solves, triangular solves), so that Hessians
and nested derivatives work. The rules, after Giles ("An extended collection of
matrix derivative results", 2008), Murray (Cholesky, 2016), Townsend (SVD,
2016) and Seeger et al. (eigen-decompositions, 2017), as JAX writes them:

    inv:        dY = -Y dA Y                         A_bar = -Y^T Y_bar Y^T
    solve:      dX = A^{-1} (dB - dA X)              B_bar = A^{-T} X_bar,  A_bar = -B_bar X^T
    trisolve:   as solve, with dA and A_bar kept to A's triangle (only it is read)
    det:        d det A = det A tr(A^{-1} dA)         A_bar = det_bar det A A^{-T}
    logabsdet:  d log|det A| = tr(A^{-1} dA)          A_bar = ld_bar A^{-T}
    cholesky:   dL = L Phi(L^{-1} dS L^{-T})          A_bar = sym(L^{-T} Phi(L^T L_bar) L^{-1})
                (S = herm(A) below, Phi: the lower triangle with its diagonal halved)

Solves go through factorizations (LAPACK's getrf and getrs, gesv, trtrs),
never through an inverse; a solve's rules reuse its LU factors (see solve
below); inv and det's gradient A^{-T} form an inverse where the mathematics
asks for one (as NumPy and JAX do).

Complex matrices, exactly as JAX (ops/complex.py: a cotangent C stands for
Re tr(C^T dA)). inv, solve, trisolve and det are holomorphic: the rules
above hold with plain transposes. The others read A^H and conjugates:

    log|det A| = Re log det A:  d = Re tr(A^{-1} dA)  A_bar = ld_bar A^{-T}
    sign = det A / |det A|:     d sign = i Im tr(A^{-1} dA) sign
                                A_bar = i Im(sign_bar sign) A^{-T}
    cholesky:   S = herm(A) = (A + A^H)/2 = L L^H
                dL = L Phi(L^{-1} dS L^{-H})     A_bar = herm(L^{-T} Phi(L^T L_bar) conj(L)^{-1})
    eigh:       S = herm(A) = V diag(w) V^H, M = V^H dS V
                dw = Re diag M, dV = V (F * M)   A_bar = herm(conj(V) (diag(Re w_bar) + F * (V^T V_bar)) V^T)

Conventions where NumPy and JAX differ: cholesky and eigh read herm(A), as
jnp.linalg.cholesky and jnp.linalg.eigh do by default (NumPy reads A's lower
triangle): the same on Hermitian input, and the derivative is Hermitian. At
a singular matrix inv, solve, det's and logabsdet's rules raise NumPy's
LinAlgError (JAX returns inf/nan there). A complex Hermitian matrix's
eigenvectors are defined up to a phase each: their derivative is JAX's (the
one with Re diag(V^H dV) = 0 and no change of phase, Im diag(V^H dV) = 0),
not the derivative of whatever phase LAPACK picks, so only functions that
do not depend on the phases (eigenvalues, |V|, V diag V^H) have a derivative
that finite differences can confirm; EIGH's generated examples are real for
that reason, and tests/test_linalg.py checks the complex ones.
"""

import collections

import numpy as np
import scipy.linalg

from ..registry import Op, apply, implements, is_complex, register, shape_of, strip
from .complex import conj, imag, real
from .elementwise import add, mul, neg, sub
from .linalg import matmul
from .reductions import sum as sum_
from .shape import align_batched, diagonal, moveaxis, reshape, swapaxes


def _jnp():
    import jax.numpy as jnp
    return jnp


def _jsl():
    import jax.scipy.linalg as jsl
    return jsl


# --- helpers -------------------------------------------------------------------
def mT(x):
    """The transpose of each matrix of a stack."""
    return swapaxes(x, -1, -2)


def mH(x):
    """The conjugate transpose of each matrix of a stack (the transpose of a real one)."""
    return conj(mT(x))


def herm(x):
    """(X + X^H) / 2 of each matrix: (X + X^T) / 2 of a real one."""
    return mul(add(x, mH(x)), 0.5)


def herm_part(a):
    """herm on plain arrays, for the primals that factor it."""
    return 0.5 * (a + np.conj(np.swapaxes(a, -1, -2)))


def trace(x):
    """tr X of each matrix: shape (...,)."""
    return sum_(diagonal(x, 0, -2, -1), axis=-1)


def matrices(x):
    """x with two trailing axes added (a stack of scalars as 1x1 matrices)."""
    return reshape(x, shape_of(x) + (1, 1))


def stack_count(shape):
    """How many matrices a stack of shape (..., m, n) holds."""
    return int(np.prod(shape[:-2], dtype=np.int64))


def stacked_batch(op):
    """Batched (co)tangents: the batch is one more leading stack axis (the
    arguments' stack axes aligned behind it, as NumPy broadcasts stacks)."""
    def batch(args, flags, **params):
        ndim = max(len(shape_of(a)) - f for a, f in zip(args, flags))
        return apply(op, *[align_batched(a, ndim) if f else a for a, f in zip(args, flags)], **params)
    return batch


def right_hand_side_batch(op):
    """Batched (co)tangents of a solve op(A, B): while A is not batched, the K
    directions of B are K m more right-hand-side columns of ONE solve, so A is
    factored once per pass, not K times: (K, ..., n, m) -> (..., n, K m), solve,
    and back. A batched A is a stack of K systems (stacked_batch)."""
    stacked = stacked_batch(op)

    def batch(args, flags, **params):
        if flags[0]:
            return stacked(args, flags, **params)
        a, b = args
        shape = shape_of(b)                                                        # (K, ..., n, m)
        columns = reshape(moveaxis(b, 0, -2), shape[1:-1] + (shape[0] * shape[-1],))
        x = apply(op, a, columns, **params)                                        # (..., n, K m)
        return moveaxis(reshape(x, shape_of(x)[:-1] + (shape[0], shape[-1])), -2, 0)
    return batch


def _op(name, impl, jvp, vjp, jax, cost, examples, saves=("args", "out"), nondiff=(), batch=stacked_batch):
    op = register(Op(name, impl, jvp=jvp, vjp=vjp, jax=jax, cost=cost, examples=examples, saves=saves,
                     nondiff=nondiff))
    op.batch = batch(op)
    return op


# --- samples for the generated tests (well conditioned) ----------------------------
def general(rng, *shape):
    """Random square matrices with a dominant diagonal (condition number ~ a few)."""
    n = shape[-1]
    return rng.uniform(-1, 1, shape) + n * np.eye(n)


def complex_uniform(rng, *shape):
    """Complex entries with real and imaginary parts uniform in [-1, 1]."""
    return rng.uniform(-1, 1, shape) + 1j * rng.uniform(-1, 1, shape)


def complex_general(rng, *shape):
    """Random complex square matrices with a dominant diagonal."""
    return general(rng, *shape) + 1j * rng.uniform(-1, 1, shape)


def spd(rng, *shape):
    """Symmetric positive definite matrices X X^T + n I."""
    x = rng.uniform(-1, 1, shape)
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


def hpd(rng, *shape):
    """Hermitian positive definite matrices X X^H + n I."""
    x = rng.uniform(-1, 1, shape) + 1j * rng.uniform(-1, 1, shape)
    return x @ np.conj(np.swapaxes(x, -1, -2)) + shape[-1] * np.eye(shape[-1])


def _square_examples(rng):
    return [((general(rng, 3, 3),), {}), ((general(rng, 2, 3, 3),), {}), ((general(rng, 1, 1),), {}),
            ((complex_general(rng, 3, 3),), {}), ((complex_general(rng, 2, 2, 2),), {})]


# --- inv ---------------------------------------------------------------------------
INV = _op("inv", np.linalg.inv,
          lambda tangents, out, a: neg(matmul(matmul(out, tangents[0]), out)),     # dY = -Y dA Y
          lambda ct, argnum, out, a: neg(matmul(matmul(mT(out), ct), mT(out))),    # A_bar = -Y^T Y_bar Y^T
          jax=lambda a: _jnp().linalg.inv(a),
          cost=lambda out, a: 2 * shape_of(a)[-1] ** 3 * stack_count(shape_of(a)),   # LU 2n^3/3 + inversion 4n^3/3
          examples=_square_examples, saves=("out",))


# --- solve (B a matrix or a stack of them; solve() lowers vectors to columns) -------
# One matrix A is factored once (LAPACK getrf) and its factors travel with the
# record as a parameter: the rules' solves (A^{-1} for the JVP, A^{-T} for the
# VJP) reuse them, as PyTorch's linalg_solve saves LU and pivots and JAX's
# custom_linear_solve closes over them, so a gradient costs two triangular
# solves, not a second factorization. A stack of matrices goes to np.linalg.solve
# (its loop is in C), and its rules factor again.
def _lu_factors(a):
    """(lu, pivots) of one matrix (getrf); NumPy's LinAlgError where it is singular."""
    getrf, = scipy.linalg.get_lapack_funcs(("getrf",), (a,))
    lu, pivots, info = getrf(a)
    if info > 0:
        raise np.linalg.LinAlgError("Singular matrix")
    return lu, pivots


# not recorded (it runs on plain values) nor registered: an op so that count_flops counts the factorization
LU_FACTORS = Op("lu_factors", _lu_factors, jvp=None, vjp=None, jax=None,
                cost=lambda out, a: 2 * shape_of(a)[-1] ** 3 // 3)                # 2n^3/3


def _solve(a, b, factors=None, transposed=False):
    """X with A X = B (A^T X = B if transposed), from A's factors where given."""
    if factors is None:
        return np.linalg.solve(np.swapaxes(a, -1, -2) if transposed else a, b)
    lu, pivots = factors
    dtype = np.result_type(lu, b)
    getrs, = scipy.linalg.get_lapack_funcs(("getrs",), (lu.astype(dtype, copy=False), b))
    n, stack = b.shape[-2], b.shape[:-2]
    columns = np.moveaxis(b, -2, 0).reshape(n, -1)                                # a stack of B: more columns
    x = getrs(lu.astype(dtype, copy=False), pivots, columns, trans=int(transposed))[0]
    return np.moveaxis(x.reshape((n,) + stack + b.shape[-1:]), 0, -2)


def _solve_jvp(tangents, out, a, b, factors=None, transposed=False):
    da, db = tangents
    if da is not None:
        da = matmul(mT(da) if transposed else da, out)
    rhs = db if da is None else (neg(da) if db is None else sub(db, da))
    return apply(SOLVE, a, rhs, factors=factors, transposed=transposed)          # dX = A^{-1} (dB - dA X)


def _solve_vjp(ct, argnum, out, a, b, factors=None, transposed=False):
    b_bar = apply(SOLVE, a, ct, factors=factors, transposed=not transposed)      # B_bar = A^{-T} X_bar
    if argnum == 1:
        return b_bar
    return neg(matmul(out, mT(b_bar)) if transposed else matmul(b_bar, mT(out)))  # A_bar = -B_bar X^T


def _solve_cost(out, a, b, factors=None, transposed=False):
    n, k = shape_of(a)[-1], shape_of(out)[-1]
    factoring = 2 * n ** 3 // 3 if factors is None else 0                        # (else counted by LU_FACTORS)
    return (factoring + 2 * n * n * k) * stack_count(shape_of(out))              # LU, then two triangular solves


def _solve_twin(a, b, factors=None, transposed=False):
    jnp = _jnp()
    return jnp.linalg.solve(jnp.swapaxes(a, -1, -2) if transposed else a, b)


def _solve_batch(op):
    """right_hand_side_batch; a batched A is K matrices, which the factors of one do not solve."""
    batch = right_hand_side_batch(op)

    def batch_solve(args, flags, factors=None, transposed=False):
        return batch(args, flags, factors=None if flags[0] else factors, transposed=transposed)
    return batch_solve


SOLVE = _op("solve", _solve, _solve_jvp, _solve_vjp, jax=_solve_twin, cost=_solve_cost, batch=_solve_batch,
            examples=lambda rng: [((general(rng, 3, 3), rng.uniform(-1, 1, (3, 2))), {}),
                                  ((general(rng, 3, 3), rng.uniform(-1, 1, (3, 2))), dict(transposed=True)),
                                  ((general(rng, 2, 3, 3), rng.uniform(-1, 1, (3, 1))), {}),
                                  ((general(rng, 3, 3), rng.uniform(-1, 1, (2, 3, 2))), {}),
                                  ((complex_general(rng, 3, 3), complex_uniform(rng, 3, 2)), {}),
                                  ((complex_general(rng, 3, 3), rng.uniform(-1, 1, (3, 2))), {}),
                                  ((general(rng, 3, 3), complex_uniform(rng, 2, 3, 1)), {})])


def solve_matrix(a, b):
    """X with A X = B: one float64 or complex128 matrix A through its factors (above)."""
    plain = strip(a)
    if plain.ndim == 2 and plain.dtype in (np.float64, np.complex128):
        return apply(SOLVE, a, b, factors=apply(LU_FACTORS, plain))
    return apply(SOLVE, a, b)


# --- triangular solve (scipy.linalg.solve_triangular; the Cholesky rules use it) ----
def _triangle(lower, unit_diagonal, n):
    """The mask of the entries a triangular solve reads."""
    k = -1 if unit_diagonal else 0
    return np.tril(np.ones((n, n)), k) if lower else np.triu(np.ones((n, n)), -k)


def _trisolve(a, b, lower, unit_diagonal):
    return scipy.linalg.solve_triangular(a, b, lower=lower, unit_diagonal=unit_diagonal, check_finite=False)


def _trisolve_jvp(tangents, out, a, b, lower, unit_diagonal):
    da, db = tangents
    if da is not None:
        da_x = matmul(mul(da, _triangle(lower, unit_diagonal, shape_of(a)[-1])), out)
        db = neg(da_x) if db is None else sub(db, da_x)
    return triangular_solve(a, db, lower, unit_diagonal)                         # dX = A^{-1} (dB - tri(dA) X)


def _trisolve_vjp(ct, argnum, out, a, b, lower, unit_diagonal):
    b_bar = triangular_solve(mT(a), ct, not lower, unit_diagonal)                 # B_bar = A^{-T} X_bar
    if argnum == 1:
        return b_bar
    return mul(neg(matmul(b_bar, mT(out))), _triangle(lower, unit_diagonal, shape_of(a)[-1]))  # tri(-B_bar X^T)


def _trisolve_twin(a, b, lower, unit_diagonal):
    jnp = _jnp()
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return _jsl().solve_triangular(jnp.broadcast_to(a, batch + a.shape[-2:]), jnp.broadcast_to(b, batch + b.shape[-2:]),
                                   lower=lower, unit_diagonal=unit_diagonal)


TRISOLVE = _op("solve_triangular", _trisolve, _trisolve_jvp, _trisolve_vjp, jax=_trisolve_twin,
               batch=right_hand_side_batch,
               cost=lambda out, a, b, lower, unit_diagonal: shape_of(a)[-1] ** 2 * shape_of(out)[-1]
               * stack_count(shape_of(out)),                                       # n^2 k per matrix
               examples=lambda rng: [((general(rng, 3, 3), rng.uniform(-1, 1, (3, 2))),
                                      dict(lower=lower, unit_diagonal=unit))
                                     for lower in (True, False) for unit in (False, True)]
               + [((general(rng, 2, 3, 3), rng.uniform(-1, 1, (3, 1))), dict(lower=True, unit_diagonal=False)),
                  ((complex_general(rng, 3, 3), complex_uniform(rng, 3, 2)), dict(lower=True, unit_diagonal=False)),
                  ((complex_general(rng, 3, 3), rng.uniform(-1, 1, (3, 2))), dict(lower=False, unit_diagonal=True))])


def triangular_solve(a, b, lower, unit_diagonal=False):
    """X with tri(A) X = B, B a matrix (..., n, k)."""
    return apply(TRISOLVE, a, b, lower=bool(lower), unit_diagonal=bool(unit_diagonal))


# --- determinants ------------------------------------------------------------------
def _lu_cost(out, a):
    return 2 * shape_of(a)[-1] ** 3 // 3 * stack_count(shape_of(a))                 # LU: 2n^3/3


DET = _op("det", np.linalg.det,
          lambda tangents, out, a: mul(out, trace(solve_matrix(a, tangents[0]))),  # d det = det tr(A^{-1} dA)
          lambda ct, argnum, out, a: mul(matrices(mul(ct, out)), mT(inv(a))),      # A_bar = det_bar det A^{-T}
          jax=lambda a: _jnp().linalg.det(a), cost=_lu_cost, examples=_square_examples)

LOGABSDET = _op("logabsdet", lambda a: np.linalg.slogdet(a)[1],
                lambda tangents, out, a: real(trace(solve_matrix(a, tangents[0]))),  # d log|det| = Re tr(A^{-1} dA)
                lambda ct, argnum, out, a: mul(matrices(ct), mT(inv(a))),            # A_bar = ld_bar A^{-T}
                jax=lambda a: _jnp().linalg.slogdet(a)[1], cost=_lu_cost, examples=_square_examples,
                saves=("args",))

# the sign of a complex determinant, det / |det| (a real one's is piecewise constant)
SIGN = _op("slogdet_sign", lambda a: np.linalg.slogdet(a)[0],
           # d sign = i Im tr(A^{-1} dA) sign
           lambda tangents, out, a: mul(mul(imag(trace(solve_matrix(a, tangents[0]))), 1j), out),
           # A_bar = i Im(sign_bar sign) A^{-T}
           lambda ct, argnum, out, a: mul(matrices(mul(imag(mul(ct, out)), 1j)), mT(inv(a))),
           jax=lambda a: _jnp().linalg.slogdet(a)[0], cost=_lu_cost,
           examples=lambda rng: [((complex_general(rng, 3, 3),), {}), ((complex_general(rng, 2, 2, 2),), {})])


# --- Cholesky ----------------------------------------------------------------------
def _phi(x):
    """The lower triangle of each matrix, its diagonal halved."""
    n = shape_of(x)[-1]
    return mul(x, np.tril(np.ones((n, n))) - 0.5 * np.eye(n))


def _cholesky_jvp(tangents, out, a):
    # dL = L Phi(L^{-1} dS L^{-H}), dS = herm(dA) (Murray 2016, eq. 10)
    half = triangular_solve(out, herm(tangents[0]), lower=True)                  # L^{-1} dS
    return matmul(out, _phi(triangular_solve(out, mH(half), lower=True)))        # L^{-1} (L^{-1} dS)^H, dS Hermitian


def _cholesky_vjp(ct, argnum, out, a):
    # A_bar = herm(L^{-T} Phi(L^T L_bar) conj(L)^{-1})
    left = triangular_solve(mT(out), _phi(matmul(mT(out), ct)), lower=False)     # L^{-T} P
    return herm(mT(triangular_solve(mH(out), mT(left), lower=False)))            # (L^{-H} (L^{-T} P)^T)^T


CHOLESKY = _op("cholesky", lambda a: np.linalg.cholesky(herm_part(a)),
               _cholesky_jvp, _cholesky_vjp, jax=lambda a: _jnp().linalg.cholesky(a),
               cost=lambda out, a: shape_of(a)[-1] ** 3 // 3 * stack_count(shape_of(a)),   # n^3/3
               examples=lambda rng: [((spd(rng, 3, 3),), {}), ((spd(rng, 2, 4, 4),), {}),
                                     ((spd(rng, 3, 3) + np.triu(rng.uniform(-0.1, 0.1, (3, 3)), 1),), {}),
                                     ((hpd(rng, 3, 3),), {}), ((hpd(rng, 2, 2, 2),), {}),
                                     ((hpd(rng, 3, 3) + np.triu(rng.uniform(-0.1, 0.1, (3, 3)), 1),), {})],
               saves=("out",))


# --- NumPy's signatures --------------------------------------------------------------
def _square(name, a):
    shape = shape_of(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise np.linalg.LinAlgError("Last 2 dimensions of the array must be square")


@implements(np.linalg.inv)
def inv(a):
    _square("numpy.linalg.inv", a)
    return apply(INV, a)


@implements(np.linalg.solve)
def solve(a, b):
    """X with A X = B; b a vector (M,) (NumPy 2's rule: only when b is 1-D) or a stack (..., M, K)."""
    _square("numpy.linalg.solve", a)
    if len(shape_of(b)) == 1:
        out = solve_matrix(a, reshape(b, shape_of(b) + (1,)))
        return reshape(out, shape_of(out)[:-1])
    return solve_matrix(a, b)


@implements(np.linalg.det)
def det(a):
    _square("numpy.linalg.det", a)
    return apply(DET, a)


SlogdetResult = collections.namedtuple("SlogdetResult", "sign logabsdet")


@implements(np.linalg.slogdet)
def slogdet(a):
    """(sign, log|det A|): a real sign is piecewise constant (no derivative),
    a complex one, det / |det|, is differentiable."""
    _square("numpy.linalg.slogdet", a)
    sign = apply(SIGN, a) if is_complex(a) else np.linalg.slogdet(strip(a))[0]
    return SlogdetResult(sign, apply(LOGABSDET, a))


@implements(np.linalg.cholesky)
def cholesky(a, /, *, upper=False):
    """The lower factor L of herm(A) = L L^H (upper=True: L^H)."""
    _square("numpy.linalg.cholesky", a)
    factor = apply(CHOLESKY, a)
    return mH(factor) if upper else factor


# --- symmetric eigendecomposition ---------------------------------------------------
# One op with one output: the eigenvalues w (..., n) stacked on top of the
# eigenvectors V (..., n, n), as (..., n + 1, n); eigh() takes them apart with
# getitem (linear), so both share one decomposition and one tape record.
def _eigh(a):
    w, v = np.linalg.eigh(herm_part(a))
    return np.concatenate([w[..., None, :], v], axis=-2)


def _eigen_gaps(w):
    """F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it (inf at equal eigenvalues, as JAX)."""
    from .elementwise import reciprocal
    eye = np.eye(shape_of(w)[-1])
    return sub(reciprocal(add(eye, sub(reshape(w, shape_of(w)[:-1] + (1, -1)),
                                       reshape(w, shape_of(w) + (1,))))), eye)


def _parts(packed):
    """(w, V) of a packed eigendecomposition (w real, packed with a complex V or not)."""
    from .shape import getitem
    return real(getitem(packed, (Ellipsis, 0, slice(None)))), getitem(packed, (Ellipsis, slice(1, None), slice(None)))


def _eigh_jvp(tangents, out, a):
    # M = V^H dS V:  dw = Re diag M,  dV = V (F * M)   (dS = herm(dA))
    w, v = _parts(out)
    m = matmul(matmul(mH(v), herm(tangents[0])), v)
    dw = real(diagonal(m, 0, -2, -1))
    dv = matmul(v, mul(_eigen_gaps(w), m))
    from .shape import concatenate
    return concatenate([reshape(dw, shape_of(dw)[:-1] + (1, -1)), dv], axis=-2)


def _eigh_vjp(ct, argnum, out, a):
    # A_bar = herm(conj(V) (diag(Re w_bar) + F * (V^T V_bar)) V^T)
    w, v = _parts(out)
    w_bar, v_bar = _parts(ct)
    n = shape_of(w)[-1]
    inner = mul(reshape(w_bar, shape_of(w_bar)[:-1] + (1, -1)), np.eye(n))
    if np.any(strip(v_bar)):      # eigenvalues only (eigvalsh): no 0 * inf at repeated eigenvalues
        inner = add(inner, mul(_eigen_gaps(w), matmul(mT(v), v_bar)))
    return herm(matmul(matmul(conj(v), inner), mT(v)))


def _eigh_twin(a):
    jnp = _jnp()
    w, v = jnp.linalg.eigh(a)
    return jnp.concatenate([w[..., None, :], v], axis=-2)


EIGH = _op("eigh", _eigh, _eigh_jvp, _eigh_vjp, jax=_eigh_twin,
           cost=lambda out, a: 9 * shape_of(a)[-1] ** 3 * stack_count(shape_of(a)),   # ~9n^3 (Golub & Van Loan, 8.3)
           examples=lambda rng: [((spd(rng, 3, 3),), {}), ((spd(rng, 2, 3, 3) - 3 * np.eye(3),), {})],
           saves=("out",))

EighResult = collections.namedtuple("EighResult", "eigenvalues eigenvectors")


@implements(np.linalg.eigh)
def eigh(a, UPLO="L"):
    """Eigenvalues (ascending, real) and eigenvectors of herm(A) (jnp.linalg.eigh's
    default; NumPy reads one triangle). At repeated eigenvalues the
    eigenvectors' derivative is inf/nan, as in JAX; the eigenvalues' is finite."""
    _square("numpy.linalg.eigh", a)
    w, v = _parts(apply(EIGH, a))
    return EighResult(w, v)


@implements(np.linalg.eigvalsh)
def eigvalsh(a, UPLO="L"):
    return eigh(a, UPLO)[0]
