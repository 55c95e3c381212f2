"""Drop-in for scipy.linalg: `import modes.scipy.linalg as linalg`.

scipy.linalg's functions call np.asarray on their arguments, which a box
refuses; these have SciPy's names and signatures and differentiate in both
modes, nested (their rules are registry ops):

    solve_triangular (trans, lower, unit_diagonal), cho_factor / cho_solve,
    lu_factor / lu_solve (the derivative goes through the packed factor, as
    jax.scipy.linalg's does: modes/ops/matrixfunctions.py), expm (its
    Frechet derivative), sqrtm and solve_sylvester (Sylvester equations),
    block_diag, and np.linalg's inv, solve, det, cholesky, eigh, eigvalsh,
    norm under their scipy.linalg names and defaults (cholesky: upper).

Real and complex matrices (complex as JAX differentiates them). Every other name is scipy.linalg's own (module
__getattr__): on a box it is refused with the function's name.
"""

import numpy as np
import scipy.linalg as _scipy_linalg

from ..ops import decompositions as _decompositions
from ..ops import factorizations as _factorizations
from ..ops import matrixfunctions as _functions
from ..ops.complex import conj
from ..ops.factorizations import mT, triangular_solve
from ..ops.linalg import norm  # noqa: F401  (scipy.linalg.norm is np.linalg.norm's)
from ..ops.shape import concatenate, getitem, reshape
from ..registry import is_complex, shape_of

inv, det = _factorizations.inv, _factorizations.det
expm, sqrtm, lu_factor = _functions.expm, _functions.sqrtm, _functions.lu_factor

__all__ = ["solve_triangular", "cho_factor", "cho_solve", "lu_factor", "lu_solve", "expm", "sqrtm",
           "solve_sylvester", "block_diag", "inv", "solve", "det", "cholesky", "eigh", "eigvalsh", "norm",
           "svd", "svdvals"]


def __getattr__(name):
    return getattr(_scipy_linalg, name)


def _as_matrix(b):
    """b as columns (a vector as one), and how to give the result b's shape."""
    if len(shape_of(b)) == 1:
        return reshape(b, shape_of(b) + (1,)), lambda x: reshape(x, shape_of(x)[:-1])
    return b, lambda x: x


def _transpose(trans):
    """The map trans asks of the matrix: itself, its transpose or its conjugate transpose."""
    if trans in (0, "N"):
        return None
    if trans in (1, "T"):
        return mT
    if trans in (2, "C"):
        return lambda x: conj(mT(x))
    raise ValueError(f"scipy.linalg: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=True):
    """x with T x = b (trans 1: T^T x = b, 2: T^H x = b), T the lower or upper
    triangle of a (its other triangle is not read; unit_diagonal: nor is its diagonal)."""
    columns, back = _as_matrix(b)
    transpose = _transpose(trans)
    if transpose:
        return back(triangular_solve(transpose(a), columns, not lower, unit_diagonal))
    return back(triangular_solve(a, columns, lower, unit_diagonal))


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """SciPy's default is the upper factor U, A = U^H U."""
    return _factorizations.cholesky(a, upper=not lower)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """(c, lower) for cho_solve. SciPy leaves arbitrary values in c's other
    triangle; here they are zeros (cho_solve reads only the factor's)."""
    return cholesky(a, lower=lower), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """x with A x = b, A = L L^H (or U^H U) from cho_factor: two triangular solves."""
    c, lower = c_and_lower
    columns, back = _as_matrix(b)
    factor = c if lower else conj(mT(c))                     # L, lower triangular
    half = triangular_solve(factor, columns, lower=True)     # L y = b
    return back(triangular_solve(conj(mT(factor)), half, lower=False))   # L^H x = y


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """x with A x = b (trans 1: A^T x = b, 2: A^H x = b) from lu_factor's (lu, piv): P A = L U."""
    lu, pivots = lu_and_piv
    rows = _functions.permutation(pivots)
    columns, back = _as_matrix(b)
    transpose = _transpose(trans)
    if transpose:
        # A^T = U^T L^T P: U^T z = b, L^T w = z, x = P^T w (A^H: the same with conjugates)
        z = triangular_solve(transpose(lu), columns, lower=True)
        w = triangular_solve(transpose(lu), z, lower=False, unit_diagonal=True)
        return back(getitem(w, np.argsort(rows)))
    # L U x = P b
    y = triangular_solve(lu, getitem(columns, rows), lower=True, unit_diagonal=True)
    return back(triangular_solve(lu, y, lower=False))


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True, assume_a=None,
          transposed=False):
    """x with A x = b (transposed: A^T x = b, real A only, as SciPy). assume_a
    ('sym', 'pos', ...) picks SciPy's LAPACK routine, not the solution: here it is an LU solve."""
    if transposed and is_complex(a):
        raise NotImplementedError("scipy.linalg.solve(transposed=True) is not supported for complex a, as in "
                                  "SciPy: solve with a.T (or a.conj().T) instead")
    columns, back = _as_matrix(b)
    return back(_factorizations.solve_matrix(mT(a) if transposed else a, columns))


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True, lapack_driver="gesdd"):
    """U, s, Vh as np.linalg.svd gives them (the LAPACK driver picks the algorithm, not the result)."""
    return _decompositions.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)


def svdvals(a, overwrite_a=False, check_finite=True):
    return _decompositions.svdvals(a)


def solve_sylvester(a, b, q):
    """X with A X + X B = Q."""
    return _functions.sylvester(a, b, q)


def eigh(a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False, type=1,
         check_finite=True, subset_by_index=None, subset_by_value=None, driver=None):
    """(w, v) of a symmetric matrix (sym(A), as numpy.linalg.eigh here);
    the generalized problem (b) and subsets are refused."""
    if b is not None or subset_by_index is not None or subset_by_value is not None:
        raise NotImplementedError("fwdrev's scipy.linalg.eigh solves the standard problem of a whole matrix: "
                                  "pass no b, subset_by_index or subset_by_value (for A v = w B v, reduce it "
                                  "with B's Cholesky factor: eigh(L^{-1} A L^{-T}))")
    w, v = _factorizations.eigh(a)
    return w if eigvals_only else (w, v)


def eigvalsh(a, b=None, *, lower=True, overwrite_a=False, overwrite_b=False, type=1, check_finite=True,
             subset_by_index=None, subset_by_value=None, driver=None):
    return eigh(a, b, lower=lower, eigvals_only=True, subset_by_index=subset_by_index,
                subset_by_value=subset_by_value)


def block_diag(*arrs):
    """The block diagonal matrix of arrs (scalars as 1 x 1, vectors as rows),
    assembled with concatenate: its derivative is each block's."""
    blocks = [reshape(a, (1, 1)) if len(shape_of(a)) == 0 else reshape(a, (1, -1)) if len(shape_of(a)) == 1
              else a for a in arrs]
    if not blocks:
        return np.empty((1, 0))
    if any(len(shape_of(b)) != 2 for b in blocks):
        raise ValueError("scipy.linalg.block_diag: arguments must have 2 or fewer dimensions")
    width = sum(shape_of(b)[1] for b in blocks)
    rows, start = [], 0
    for block in blocks:
        m, n = shape_of(block)
        pieces = ([np.zeros((m, start))] if start else []) + [block] + \
                 ([np.zeros((m, width - start - n))] if width - start - n else [])
        rows.append(concatenate(pieces, axis=1) if len(pieces) > 1 else block)
        start += n
    return concatenate(rows, axis=0) if len(rows) > 1 else rows[0]
