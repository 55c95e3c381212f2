"""scipy.linalg's ops beyond np.linalg's: matrix functions (expm, sqrtm), the
Sylvester equation and the pivoted LU factorization (lu_factor).

expm. Its derivative is the Frechet derivative L(A, E), read off the
exponential of a block matrix (Higham, "Functions of Matrices", 2008, eq. 3.16):

    expm([[A, E], [0, A]]) = [[e^A, L(A, E)], [0, e^A]],

so the JVP is expm of a 2n x 2n matrix (an expm op itself: nested derivatives
take 4n blocks, and so on), and since <G, L(A, E)> = <L(A^T, G), E>, the VJP
is A_bar = L(A^T, G), the same block identity.

Complex matrices, as JAX (ops/complex.py's pairing Re sum(C * dY)): expm,
sylvester, sqrtm and lu are holomorphic, so every rule here holds as written,
with plain transposes (under the Hermitian pairing of the literature the VJP
reads L(A^H, G); conjugated to JAX's pairing it is L(A^T, C), since
expm(conj A) = conj expm(A)).

sylvester. X with A X + X B = Q. Linear in Q; from A dX + dX B = dQ - dA X - X dB:

    dX = sylvester(A, B, dQ - dA X - X dB)
    Q_bar = sylvester(A^T, B^T, X_bar),  A_bar = -Q_bar X^T,  B_bar = -X^T Q_bar

(as a linear solve's rules, with the Sylvester operator in place of A).

sqrtm. X = A^(1/2) obeys X X = A, so X dX + dX X = dA:

    dX = sylvester(X, X, dA),   A_bar = sylvester(X^T, X^T, X_bar),

rules written with the sylvester op, so sqrtm's Hessians are right too.
Complex matrices, and real ones whose principal square root is real (no
eigenvalues on the closed negative real axis); JAX cannot differentiate its sqrtm (no rule
for the Schur decomposition), so sqrtm has no JAX twin: checks use finite
differences.

lu. SciPy's packed factor LU (L unit lower below the diagonal, U on and
above it) of P A = L U, P the row permutation of the pivots (a constant).
The derivative goes through the factors, as jax.scipy.linalg.lu_factor's:
from P dA = dL U + L dU, M = L^{-1} P dA U^{-1} = L^{-1} dL + dU U^{-1}, whose
strictly lower part is L^{-1} dL and upper part dU U^{-1}:

    dLU = L tril(M, -1) + triu(M) U
    M_bar = tril(L^T G, -1) + triu(G U^T),  A_bar = P^T L^{-T} M_bar U^{-T}

(G the cotangent of the packed factor; each triangular solve reads only its
factor's triangle of the packed matrix).
"""

import numpy as np
import scipy.linalg

from ..errors import UnsupportedFunction
from ..registry import Op, apply, register, shape_of, strip
from .elementwise import add, mul, neg, sub
from .factorizations import (complex_general, complex_uniform, general, hpd, mT, spd, stack_count, stacked_batch,
                             triangular_solve)
from .linalg import matmul
from .shape import concatenate, getitem


def _jnp():
    import jax.numpy as jnp
    return jnp


def _op(name, impl, jvp, vjp, jax, cost, examples, saves=("args", "out")):
    op = register(Op(name, impl, jvp=jvp, vjp=vjp, jax=jax, cost=cost, examples=examples, saves=saves))
    op.batch = stacked_batch(op)
    return op


def _square_examples(rng):
    return [((0.5 * general(rng, 3, 3) / 3,), {}), ((rng.uniform(-1, 1, (2, 2, 2)),), {}),
            ((rng.uniform(-1, 1, (1, 1)),), {}), ((0.5 * complex_general(rng, 3, 3) / 3,), {}),
            ((complex_uniform(rng, 2, 2, 2),), {})]


# --- expm --------------------------------------------------------------------------
def frechet(a, e):
    """L(A, E), the Frechet derivative of expm at A in the direction E:
    the upper right block of expm([[A, E], [0, A]]) (for stacks too)."""
    n = shape_of(a)[-1]
    top = concatenate([a, e], axis=-1)
    bottom = concatenate([np.zeros(shape_of(a)), a], axis=-1)
    block = apply(EXPM, concatenate([top, bottom], axis=-2))
    return getitem(block, (Ellipsis, slice(0, n), slice(n, None)))


EXPM = _op("expm", scipy.linalg.expm,
           lambda tangents, out, a: frechet(a, tangents[0]),               # d e^A = L(A, dA)
           lambda ct, argnum, out, a: frechet(mT(a), ct),                  # A_bar = L(A^T, G)
           jax=lambda a: __import__("jax").scipy.linalg.expm(a),
           # scaling and squaring with a degree-13 Pade approximant: ~6 products, one solve, s squarings
           cost=lambda out, a: 20 * shape_of(a)[-1] ** 3 * stack_count(shape_of(a)),
           examples=_square_examples, saves=("args",))


# --- the Sylvester equation A X + X B = Q --------------------------------------------
def _sylvester_impl(a, b, q):
    # one dtype for all three: SciPy's solve_sylvester takes a real B's real Schur form (quasi-triangular)
    # into the complex triangular solver when A is complex, and returns a wrong X
    dtype = np.result_type(a, b, q, 1.0)
    a, b, q = (np.asarray(x, dtype) for x in (a, b, q))
    if a.ndim == 2 and b.ndim == 2 and q.ndim == 2:
        return scipy.linalg.solve_sylvester(a, b, q)
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2], q.shape[:-2])
    a, b, q = (np.broadcast_to(x, shape + x.shape[-2:]) for x in (a, b, q))
    out = np.empty(shape + q.shape[-2:], dtype)
    for i in np.ndindex(*shape):
        out[i] = scipy.linalg.solve_sylvester(a[i], b[i], q[i])
    return out


def _sylvester_jvp(tangents, out, a, b, q):
    da, db, dq = tangents
    rhs = dq
    for term in ([] if da is None else [matmul(da, out)]) + ([] if db is None else [matmul(out, db)]):
        rhs = neg(term) if rhs is None else sub(rhs, term)
    return sylvester(a, b, rhs)                                   # dX = S^{-1}(dQ - dA X - X dB)


def _sylvester_vjp(ct, argnum, out, a, b, q):
    q_bar = sylvester(mT(a), mT(b), ct)                           # Q_bar = S^{-T} X_bar
    if argnum == 2:
        return q_bar
    return neg(matmul(q_bar, mT(out))) if argnum == 0 else neg(matmul(mT(out), q_bar))  # -Q_bar X^T, -X^T Q_bar


def _sylvester_twin(a, b, q):
    # vec(A X + X B) = (I kron A + B^T kron I) vec(X), vec stacking columns
    jnp = _jnp()
    n, m = q.shape[-2], q.shape[-1]
    operator = jnp.kron(jnp.eye(m), a) + jnp.kron(b.T, jnp.eye(n))
    return jnp.linalg.solve(operator, q.T.reshape(-1)).reshape(m, n).T


def _sylvester_examples(rng):
    # A, B with eigenvalues near n (no lambda_i(A) + mu_j(B) near 0: solvable, well conditioned)
    return [((general(rng, 3, 3), general(rng, 2, 2), rng.uniform(-1, 1, (3, 2))), {}),
            ((spd(rng, 3, 3), spd(rng, 3, 3), rng.uniform(-1, 1, (3, 3))), {}),
            ((complex_general(rng, 3, 3), general(rng, 2, 2), complex_uniform(rng, 3, 2)), {}),
            ((general(rng, 2, 2), complex_general(rng, 2, 2), rng.uniform(-1, 1, (2, 2))), {})]


SYLVESTER = _op("sylvester", _sylvester_impl, _sylvester_jvp, _sylvester_vjp, jax=_sylvester_twin,
                # Bartels-Stewart: two Schur decompositions (~25 n^3 each), then back substitution
                cost=lambda out, a, b, q: (25 * shape_of(a)[-1] ** 3 + 25 * shape_of(b)[-1] ** 3)
                * stack_count(shape_of(out)),
                examples=_sylvester_examples)


def sylvester(a, b, q):
    """X with A X + X B = Q (scipy.linalg.solve_sylvester)."""
    return apply(SYLVESTER, a, b, q)


# --- sqrtm -------------------------------------------------------------------------
def _sqrtm_impl(a):
    out = scipy.linalg.sqrtm(a) if a.ndim == 2 else np.stack([scipy.linalg.sqrtm(m) for m in a.reshape(
        (-1,) + a.shape[-2:])]).reshape(a.shape)
    if np.iscomplexobj(out) and not np.iscomplexobj(a):
        if np.any(np.abs(out.imag) > 1e-12 * max(1.0, float(np.max(np.abs(out))))):
            raise UnsupportedFunction(
                "fwdrev differentiates scipy.linalg.sqrtm where the principal square root is real (no "
                "eigenvalues on the closed negative real axis); this matrix's is complex: pass it as a complex "
                "matrix (a + 0j) to differentiate its complex square root")
        out = out.real
    return out


SQRTM = _op("sqrtm", _sqrtm_impl,
            lambda tangents, out, a: sylvester(out, out, tangents[0]),          # X dX + dX X = dA
            lambda ct, argnum, out, a: sylvester(mT(out), mT(out), ct),         # A_bar = S^{-T} X_bar
            jax=None,      # (JAX cannot differentiate its sqrtm: no rule for the Schur decomposition)
            cost=lambda out, a: 28 * shape_of(a)[-1] ** 3 * stack_count(shape_of(a)),   # Schur + triangular root
            examples=lambda rng: [((spd(rng, 3, 3),), {}), ((spd(rng, 2, 2, 2),), {}), ((hpd(rng, 3, 3),), {}),
                                  ((complex_general(rng, 3, 3),), {})], saves=("out",))


def expm(a):
    return apply(EXPM, a)


def sqrtm(a):
    return apply(SQRTM, a)


# --- LU with partial pivoting (scipy.linalg.lu_factor) -------------------------------
def permutation(pivots):
    """The rows P A takes from A: LAPACK's pivots (row i swapped with row piv[i], in turn)."""
    rows = np.arange(len(pivots))
    for i, p in enumerate(pivots):
        rows[[i, p]] = rows[[p, i]]
    return rows


def _masks(n):
    """(strictly lower, upper) triangles of an n x n matrix."""
    strict = np.tril(np.ones((n, n)), -1)
    return strict, 1.0 - strict


def _lu_jvp(tangents, out, a, rows):
    strict, upper = _masks(shape_of(a)[-1])
    left = triangular_solve(out, getitem(tangents[0], rows), lower=True, unit_diagonal=True)   # L^{-1} P dA
    m = mT(triangular_solve(mT(out), mT(left), lower=True))                                    # (...) U^{-1}
    lower_factor = add(mul(out, strict), np.eye(shape_of(a)[-1]))
    return add(matmul(lower_factor, mul(m, strict)), matmul(mul(m, upper), mul(out, upper)))  # L tril(M) + triu(M) U


def _lu_vjp(ct, argnum, out, a, rows):
    strict, upper = _masks(shape_of(a)[-1])
    lower_factor = add(mul(out, strict), np.eye(shape_of(a)[-1]))
    m_bar = add(mul(matmul(mT(lower_factor), mul(ct, strict)), strict),
                mul(matmul(mul(ct, upper), mT(mul(out, upper))), upper))
    left = triangular_solve(mT(out), m_bar, lower=False, unit_diagonal=True)                   # L^{-T} M_bar
    right = mT(triangular_solve(out, mT(left), lower=False))                                   # (...) U^{-T}
    return getitem(right, np.argsort(rows))                                                    # P^T (...)


def _lu_impl(a, rows):
    return scipy.linalg.lu_factor(a, check_finite=False)[0]


LU = register(Op("lu_factor", _lu_impl, jvp=_lu_jvp, vjp=_lu_vjp,
                 jax=lambda a, rows: __import__("jax").scipy.linalg.lu_factor(a)[0],
                 cost=lambda out, a, rows: 2 * shape_of(a)[-1] ** 3 // 3,                 # 2n^3/3
                 examples=lambda rng: [((m,), dict(rows=permutation(scipy.linalg.lu_factor(m)[1])))
                                       for m in (rng.uniform(-1, 1, (3, 3)), rng.uniform(-1, 1, (4, 4)),
                                                 complex_uniform(rng, 3, 3))],
                 saves=("out",)))


def lu_factor(a):
    """(lu, piv) as scipy.linalg.lu_factor, lu differentiable."""
    if len(shape_of(a)) != 2 or shape_of(a)[0] != shape_of(a)[1]:
        raise ValueError(f"fwdrev's scipy.linalg.lu_factor takes one square matrix, got shape {shape_of(a)}")
    pivots = scipy.linalg.lu_factor(strip(a), check_finite=False)[1]
    return apply(LU, a, rows=permutation(pivots)), pivots
