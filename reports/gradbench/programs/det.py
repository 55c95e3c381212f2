"""GradBench's `det` (cmpad's det_by_minor): the determinant by expansion in
minors along the first row, recursively,

    det(A[r:, S]) = sum_j (-1)^j A[r, S_j] det(A[r+1:, S without S_j]),

where S is the set of columns left (in increasing order) and det of the empty
matrix is 1. The recursion is evaluated bottom-up, one level per row: level k
holds the determinants of the last k rows over every k-subset of columns, each
minor computed once (the plain recursion recomputes shared minors ell!/k! times;
at ell = 11 that is 4e7 scalar products, out of reach for Python). Same formula,
same arithmetic per minor; ell 2^(ell-1) products instead of ell!.
"""

import functools
import itertools

import numpy as np

from . import Function, to_float, to_list


@functools.lru_cache(maxsize=16)
def _levels(ell):
    """For k = 1..ell: (columns[C, k], minors[C, k], signs[k]) where row c of
    level k is the c-th k-subset S of range(ell) (lexicographic), columns[c, j]
    = S_j, minors[c, j] the index of S without S_j in level k - 1, and
    signs[j] = (-1)^j. Integer structure, depending only on ell."""
    levels, index = [], {(): 0}
    for k in range(1, ell + 1):
        subsets = list(itertools.combinations(range(ell), k))
        columns = np.array(subsets, dtype=np.intp).reshape(len(subsets), k)
        minors = np.array([[index[s[:j] + s[j + 1:]] for j in range(k)] for s in subsets],
                          dtype=np.intp).reshape(len(subsets), k)
        levels.append((columns, minors, (-1.0) ** np.arange(k)))
        index = {s: c for c, s in enumerate(subsets)}
    return tuple(levels)


def det_by_minors(A):
    ell = A.shape[0]
    dets = np.ones(1)                                   # det of the empty matrix
    for k, (columns, minors, signs) in enumerate(_levels(ell), start=1):
        row = A[ell - k]
        dets = np.sum(signs * row[columns] * dets[minors], axis=1)
    return dets[0]


def det(A_flat, ell):
    return det_by_minors(np.reshape(A_flat, (ell, ell)))


def prepare(input):
    return np.asarray(input["A"], dtype=float), int(input["ell"])


def functions(d):
    return {"primal": Function(prepare, det, to_float),
            "gradient": Function(prepare, d.grad(det), to_list)}
