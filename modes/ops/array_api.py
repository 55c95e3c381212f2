"""np.linalg's array-API names (NumPy 2.0) and np.matrix_transpose: the
functions of the other families under the array API's signatures, where a
matrix is always the last two axes and a vector the last axis.

Each is a lowering (no rules of its own): its derivative is the derivative
of what it calls.
"""

import numpy as np

from ..registry import implements
from .assembly import cross as _cross
from .decompositions import svdvals as _svdvals
from .linalg import matmul as _matmul
from .linalg import norm as _norm
from .linalg import outer as _outer
from .linalg import tensordot as _tensordot
from .reductions import sum as _sum
from .shape import diagonal as _diagonal
from .shape import reshape as _reshape
from .shape import swapaxes as _swapaxes


@implements(np.linalg.matmul)
def matmul(x1, x2): return _matmul(x1, x2)


@implements(np.linalg.tensordot)
def tensordot(x1, x2, axes=2): return _tensordot(x1, x2, axes)


@implements(np.linalg.outer)
def outer(x1, x2):
    if np.ndim(x1) != 1 or np.ndim(x2) != 1:
        raise ValueError("np.linalg.outer takes 1-dimensional vectors")
    return _outer(x1, x2)


@implements(np.linalg.cross)
def cross(x1, x2, axis=-1): return _cross(x1, x2, axis=axis)


@implements(np.matrix_transpose, np.linalg.matrix_transpose)
def matrix_transpose(x): return _swapaxes(x, -1, -2)


@implements(np.linalg.diagonal)
def diagonal(x, offset=0): return _diagonal(x, offset, -2, -1)


@implements(np.linalg.trace)
def trace(x, offset=0, dtype=None): return _sum(_diagonal(x, offset, -2, -1), axis=-1, dtype=dtype)


@implements(np.linalg.svdvals)
def svdvals(x): return _svdvals(x)


@implements(np.linalg.matrix_norm)
def matrix_norm(x, keepdims=False, ord="fro"): return _norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


@implements(np.linalg.vector_norm)
def vector_norm(x, axis=None, keepdims=False, ord=2):
    """The norm of a vector; with axis=None of all elements as one vector."""
    if axis is None:
        flat = _norm(_reshape(x, (-1,)), ord=ord)
        return _reshape(flat, (1,) * np.ndim(x)) if keepdims else flat
    if isinstance(axis, tuple) and len(axis) > 1:
        raise NotImplementedError("np.linalg.vector_norm over several axes: move them together and reshape first")
    return _norm(x, ord=ord, axis=axis, keepdims=keepdims)
