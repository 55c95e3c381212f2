"""Bilinear ops (matmul, einsum) and the linear-algebra functions built on them.

A bilinear op reuses its primal for both rules:
    JVP:  d(a @ b) = da @ b + a @ db
    VJP:  cotangent_a = ct @ b^T,  cotangent_b = a^T @ ct   (dW = dD X^T in the notes)
dot, outer, inner, vdot and linalg.norm lower to registry ops (norm's orders
2, -2 and 'nuc' to the singular values of ops/decompositions.py).
"""

import functools
import math
import string

import numpy as np

from ..registry import FLOP_COUNTERS, Op, apply, count, float_dtype, implements, register, shape_of, size_of, strip
from . import domains
from .complex import absolute, conj, squared_modulus
from .elementwise import ADD, add, mul, power, sqrt
from .reductions import max as max_
from .reductions import min as min_
from .reductions import sum as sum_
from .shape import (align_batched, axes_of, broadcast_to, diagonal, getitem, moveaxis, reshape, squeeze, swapaxes,
                    transpose)


def _jnp():
    import jax.numpy as jnp
    return jnp


def bilinear_jvp(op):
    def jvp(tangents, out, a, b, **params):
        ta, tb = tangents
        terms = [apply(op, ta, b, **params) if ta is not None else None,
                 apply(op, a, tb, **params) if tb is not None else None]
        terms = [t for t in terms if t is not None]
        return terms[0] if len(terms) == 1 else add(*terms)
    return jvp


# --- matmul ----------------------------------------------------------------
def _as_matrices(a, b):
    """Promote 1-D operands as NumPy's matmul does: a -> (1, k), b -> (k, 1)."""
    a2 = reshape(a, (1,) + shape_of(a)) if len(shape_of(a)) == 1 else a
    b2 = reshape(b, shape_of(b) + (1,)) if len(shape_of(b)) == 1 else b
    return a2, b2


def _matmul_vjp(cotangent, argnum, out, a, b):
    if len(shape_of(a)) == len(shape_of(b)) == 2:     # matrices, the common case
        return matmul(cotangent, transpose(b)) if argnum == 0 else matmul(transpose(a), cotangent)
    a2, b2 = _as_matrices(a, b)
    ct2 = cotangent
    if a2 is not a or b2 is not b:      # a promoted 1-D operand: the cotangent gets its axis too
        batch = np.broadcast_shapes(shape_of(a2)[:-2], shape_of(b2)[:-2])
        ct2 = reshape(cotangent, batch + (shape_of(a2)[-2], shape_of(b2)[-1]))
    if argnum == 0:
        grad = matmul(ct2, swapaxes(b2, -1, -2))          # dA = dD @ B^T
        return reshape(grad, shape_of(grad)[:-2] + shape_of(grad)[-1:]) if len(shape_of(a)) == 1 else grad
    grad = matmul(swapaxes(a2, -1, -2), ct2)              # dB = A^T @ dD
    return reshape(grad, shape_of(grad)[:-1]) if len(shape_of(b)) == 1 else grad


def _matmul_batch(args, flags):
    a, b = args
    if flags == [True, False] and len(shape_of(b)) == 2:
        # many rows times one matrix: a single (rows, k) @ (k, n) product
        rows = reshape(a, (-1, shape_of(a)[-1]))
        return reshape(matmul(rows, b), shape_of(a)[:-1] + shape_of(b)[-1:])
    if flags == [False, True] and len(shape_of(a)) == 2 and len(shape_of(b)) == 2:
        # A v for a batch of vectors v (rows of b): V A^T, one product
        return matmul(b, transpose(a))
    # General case: promote 1-D operands to matrices, give batched ones
    # singleton axes so their batch axis lines up in front of every broadcast
    # axis, multiply, then drop the promoted axes again.
    logical = [shape_of(x)[1:] if f else shape_of(x) for x, f in zip(args, flags)]
    promoted = []
    for x, f, shape, side in zip(args, flags, logical, ("a", "b")):
        if len(shape) == 1:
            lead = shape_of(x)[:1] if f else ()
            x = reshape(x, lead + ((1,) + shape if side == "a" else shape + (1,)))
        promoted.append(x)
    ndim = max(len(s) if len(s) > 1 else 2 for s in logical)
    promoted = [align_batched(x, ndim) if f else x for x, f in zip(promoted, flags)]
    out = matmul(*promoted)
    shape = shape_of(out)
    if len(logical[1]) == 1:
        shape = shape[:-1]
    if len(logical[0]) == 1:
        shape = shape[:-1] if len(logical[1]) == 1 else shape[:-2] + shape[-1:]
    return reshape(out, shape)


def _matmul_cost(out, a, b):
    # 2 m k n flops per (broadcast) matrix product
    k = shape_of(a)[-1]
    return 2 * k * max(1, size_of(out))


def _matmul_examples(rng):
    u = lambda *s: rng.uniform(-2, 2, s)
    return [((u(2, 3), u(3, 4)), {}), ((u(3,), u(3, 4)), {}), ((u(2, 3), u(3,)), {}),
            ((u(3,), u(3,)), {}), ((u(2, 2, 3), u(3, 4)), {}), ((u(3,), u(2, 3, 4)), {})]


def _matmul_vjp_into(total, cotangent, argnum, out, a, b):
    """total += the VJP, inside BLAS's gemm (C = A B + beta C with beta = 1):
    a weight used twice (a layer and its L2 penalty, a shared RNN matrix)
    gets its product added where its cotangent lies, with no temporary and no
    separate pass; NumPy's @ asks gemm for beta = 0, which zero-fills C first.
    Plain 2-D float32/float64 matrices only; anything else (boxes, batches,
    vectors, mixed dtypes) declines and takes the generic route."""
    dtype = total.dtype
    if not (type(cotangent) is type(a) is type(b) is np.ndarray
            and total.ndim == cotangent.ndim == a.ndim == b.ndim == 2
            and dtype in _GEMM and cotangent.dtype == a.dtype == b.dtype == dtype
            and total.flags.c_contiguous):
        return False
    # total is C-ordered, so total^T is Fortran-ordered, as BLAS wants its output:
    # grad a: total^T += b ct^T;   grad b: total^T += ct^T a   (the transposes of dA = dD B^T, dB = A^T dD)
    left, right = (b, cotangent.T) if argnum == 0 else (cotangent.T, a)
    (left, trans_left), (right, trans_right) = _fortran_operand(left), _fortran_operand(right)
    output = total.T
    gemm = getattr(_blas(), _GEMM[dtype])
    result = gemm(1.0, left, right, beta=1.0, c=output, trans_a=trans_left, trans_b=trans_right, overwrite_c=True)
    if result is not output:     # (the wrapper had to copy: never seen here)
        output[...] = result
    if FLOP_COUNTERS:
        count(MATMUL, total, (cotangent, b.T) if argnum == 0 else (a.T, cotangent), {})
        count(ADD, total, (total, total), {})
    return True


def _fortran_operand(matrix):
    """(array, trans) with op(array) == matrix and array Fortran-ordered (a
    C-ordered matrix is its transpose, Fortran-ordered): no copy for either."""
    if matrix.flags.f_contiguous:
        return matrix, 0
    if matrix.flags.c_contiguous:
        return matrix.T, 1
    return np.asfortranarray(matrix), 0


_GEMM = {np.dtype(np.float64): "dgemm", np.dtype(np.float32): "sgemm"}


@functools.cache
def _blas():
    from scipy.linalg import blas      # (loads in ~0.2 s: only when first needed)
    return blas

MATMUL = register(Op("matmul", np.matmul, jvp=None, vjp=_matmul_vjp, saves=("args",),
                     jax=lambda a, b: _jnp().matmul(a, b), cost=_matmul_cost,
                     domain=(domains.real, domains.real), examples=_matmul_examples, batch=_matmul_batch))
MATMUL.jvp = bilinear_jvp(MATMUL)
MATMUL.vjp_into = _matmul_vjp_into
MATMUL.bilinear = True


# --- einsum ------------------------------------------------------------------
def parse_subscripts(subscripts, operands):
    """'ij,jk->ik' as (['ij', 'jk'], 'ik'); implicit outputs made explicit."""
    subscripts = subscripts.replace(" ", "")
    if "." in subscripts:
        raise ValueError(f"einsum subscripts {subscripts!r}: '.' only appears as '...'")
    inputs, _, output = subscripts.partition("->")
    inputs = inputs.split(",")
    if "->" not in subscripts:
        letters = "".join(inputs)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if len(inputs) != len(operands):
        raise ValueError(f"einsum subscripts name {len(inputs)} operands but {len(operands)} were given")
    for term in inputs:
        if len(set(term)) != len(term):
            raise NotImplementedError(
                f"einsum term {term!r} repeats an index (a trace or diagonal); "
                "fwdrev differentiates einsum without repeated indices: use np.diagonal/np.trace first")
    return inputs, output


def _einsum(*operands, subscripts):
    return np.einsum(subscripts, *operands, optimize=len(operands) > 2)


def _einsum_jvp(tangents, out, *operands, subscripts):
    # linear in each operand: sum over operands of einsum with that operand's tangent
    total = None
    for i, t in enumerate(tangents):
        if t is not None:
            term = einsum(subscripts, *operands[:i], t, *operands[i + 1:])
            total = term if total is None else add(total, term)
    return total


def _einsum_vjp(cotangent, argnum, out, *operands, subscripts):
    # transpose: contract the cotangent with the other operands into operand argnum's indices
    inputs, output = parse_subscripts(subscripts, operands)
    others = [term for i, term in enumerate(inputs) if i != argnum]
    target = inputs[argnum]
    available = set(output).union(*others) if others else set(output)
    reachable = "".join(c for c in target if c in available)
    spec = ",".join([output] + others) + "->" + reachable
    grad = einsum(spec, cotangent, *[x for i, x in enumerate(operands) if i != argnum])
    shape = shape_of(operands[argnum])
    if reachable != target:   # indices summed inside this operand alone: broadcast back
        kept = tuple(shape[i] if c in reachable else 1 for i, c in enumerate(target))
        grad = broadcast_to(reshape(grad, kept), shape)
    elif shape_of(grad) != shape:   # an index of size 1 elsewhere broadcast against this one
        grad = broadcast_to(grad, shape)
    return grad


def _einsum_batch(args, flags, subscripts):
    inputs, output = parse_subscripts(subscripts, args)
    letter = next(c for c in string.ascii_letters if c not in subscripts)
    inputs = [letter + term if f else term for term, f in zip(inputs, flags)]
    return einsum(",".join(inputs) + "->" + letter + output, *args)


def _einsum_cost(out, *operands, subscripts):
    inputs, output = parse_subscripts(subscripts, operands)
    sizes = {}
    for term, x in zip(inputs, operands):
        sizes.update(zip(term, shape_of(x)))
    return 2 * math.prod(sizes.values()) * max(1, len(operands) - 1)


EINSUM = register(Op("einsum", _einsum, jvp=_einsum_jvp, vjp=_einsum_vjp, saves=("args",),
                     jax=lambda *operands, subscripts: _jnp().einsum(subscripts, *operands),
                     cost=_einsum_cost, batch=_einsum_batch,
                     examples=lambda rng: [((rng.uniform(-2, 2, (2, 3)), rng.uniform(-2, 2, (3, 4))),
                                            dict(subscripts="ij,jk->ik")),
                                           ((rng.uniform(-2, 2, (2, 3)),), dict(subscripts="ij->i")),
                                           ((rng.uniform(-2, 2, (2, 3)), rng.uniform(-2, 2, (3,)),
                                             rng.uniform(-2, 2, (2,))), dict(subscripts="ij,j,i->"))]))
EINSUM.bilinear = True     # (multilinear: linear in each operand)


# --- the functions rules and users call ----------------------------------------
@implements(np.matmul)
def matmul(a, b):
    if len(shape_of(a)) == 0 or len(shape_of(b)) == 0:
        raise ValueError("matmul: an input operand is a scalar (0-d); use * for scalars")
    return apply(MATMUL, a, b)


@implements(np.einsum)
def einsum(subscripts, *operands, **options):
    subscripts, operands = _without_ellipsis_or_repeats(subscripts, operands)
    inputs, output = parse_subscripts(subscripts, operands)
    return apply(EINSUM, *operands, subscripts=",".join(inputs) + "->" + output)


def _without_ellipsis_or_repeats(subscripts, operands):
    """The einsum NumPy means, with '...' written out as letters and an index
    repeated within one operand ('ii', a diagonal) taken by np.diagonal
    first, so the op itself only sees plain contractions."""
    if not isinstance(subscripts, str):
        subscripts, operands = _sublists_as_subscripts(subscripts, *operands)
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    inputs = inputs.split(",")
    if len(inputs) != len(operands):
        raise ValueError(f"einsum subscripts name {len(inputs)} operands but {len(operands)} were given")
    if "..." in subscripts:
        spare = iter(c for c in string.ascii_uppercase if c not in subscripts)
        width = max(len(shape_of(x)) - (len(t) - 3) for t, x in zip(inputs, operands) if "..." in t)
        letters = "".join(next(spare) for _ in range(width))
        inputs = [t.replace("...", letters[width - (len(shape_of(x)) - (len(t) - 3)):]) if "..." in t else t
                  for t, x in zip(inputs, operands)]
        if arrow:
            output = output.replace("...", letters)
        else:                 # implicit: the broadcast axes first, then the indices used once
            used = "".join(t for t in inputs if t)
            output = letters + "".join(sorted(c for c in set(used) if used.count(c) == 1 and c not in letters))
            arrow = "->"
    for term, x in zip(inputs, operands):
        if not term.isalpha() and term or len(term) != len(shape_of(x)):
            raise ValueError(f"einsum term {term!r} does not fit an operand of {len(shape_of(x))} "
                             "dimensions (one letter per axis, or '...')")
    operands = list(operands)
    for k, term in enumerate(inputs):
        while len(set(term)) != len(term):
            letter = next(c for c in term if term.count(c) > 1)
            first, second = term.index(letter), term.index(letter, term.index(letter) + 1)
            sizes = shape_of(operands[k])[first], shape_of(operands[k])[second]
            if sizes[0] != sizes[1]:
                raise ValueError(f"einsum: index {letter!r} repeated in {term!r} has sizes {sizes[0]} "
                                 f"and {sizes[1]}; a repeated index needs equal sizes")
            operands[k] = diagonal(operands[k], 0, first, second)      # the diagonal axis goes last
            term = "".join(c for i, c in enumerate(term) if i not in (first, second)) + letter
        inputs[k] = term
    if not arrow:             # implicit output, as NumPy counts it on the terms as written
        written = subscripts.replace(",", "")
        output = "".join(sorted(c for c in set(written) if written.count(c) == 1))
    return ",".join(inputs) + "->" + output, operands


def _sublists_as_subscripts(*operands_and_sublists):
    """NumPy's sublist form einsum(a, [0, 1], b, [1, 2], [0, 2]) as the string
    form 'ab,bc->ac' (Ellipsis is '...'), so one parser serves both."""
    def letters(sublist):
        return "".join("..." if axis is Ellipsis else string.ascii_letters[axis] for axis in sublist)
    items = list(operands_and_sublists)
    output = letters(items.pop()) if len(items) % 2 else None
    operands, sublists = items[0::2], items[1::2]
    subscripts = ",".join(letters(s) for s in sublists)
    return (subscripts if output is None else subscripts + "->" + output), operands


@implements(np.dot)
def dot(a, b):
    na, nb = len(shape_of(a)), len(shape_of(b))
    if na == 0 or nb == 0:
        return mul(a, b)
    if nb <= 2:
        return matmul(a, b)
    # N-D dot: sum over the last axis of a and the second-to-last of b
    letters = iter(string.ascii_lowercase)
    ta = "".join(next(letters) for _ in range(na))
    tb = "".join(next(letters) for _ in range(nb))
    tb = tb[:-2] + ta[-1] + tb[-1]
    return einsum(f"{ta},{tb}->{ta[:-1]}{tb[:-2]}{tb[-1]}", a, b)


@implements(np.outer)
def outer(a, b):
    return mul(reshape(a, (-1, 1)), reshape(b, (1, -1)))


@implements(np.inner)
def inner(a, b):
    """Sum over the last axes of a and b: shape a.shape[:-1] + b.shape[:-1]."""
    na, nb = len(shape_of(a)), len(shape_of(b))
    if na == 0 or nb == 0:
        return mul(a, b)
    if na == 1 or nb == 1:
        return sum_(mul(a, b), axis=-1)
    return dot(a, swapaxes(b, -1, -2))


@implements(np.vdot)
def vdot(a, b):
    return sum_(mul(reshape(a, (-1,)), reshape(b, (-1,))))


# NumPy 2's matrix-vector gufuncs (np.vecdot is below, with np.linalg's spellings)
@implements(np.matvec)
def matvec(m, v):
    return einsum("...ij,...j->...i", m, v)                            # (A v)_i = sum_j A_ij v_j


@implements(np.vecmat)
def vecmat(v, m):
    return einsum("...j,...ji->...i", conj(v), m)                      # (v^H A)_i = sum_j conj(v_j) A_ji


@implements(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    """np.linalg.norm via registry ops, every order NumPy has. Vector norms over
    one axis: 2 (None), 1, inf, -inf, 0 (a count: no derivative) and any p,
    (sum |x|^p)^(1/p). Matrix norms over two axes: 'fro' (None), 1, -1, inf,
    -inf from sums of |x|, and 2, -2, 'nuc' from the singular values (largest,
    smallest, sum: finite at repeated singular values, as in JAX)."""
    ndim = len(shape_of(x))
    if axis is None and ord is None:           # the 2-norm of all elements
        return sqrt(sum_(squared_modulus(x), axis=None, keepdims=keepdims))
    if axis is None:
        if ndim not in (1, 2):
            raise ValueError("Improper number of dimensions to norm.")
        axis = tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, tuple(a % ndim for a in axes), keepdims)
    raise ValueError("Improper number of dimensions to norm.")


def _vector_norm(x, ord, axes, keepdims):
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    if ord is None or ord == 2:
        return sqrt(sum_(squared_modulus(x), axis=axes, keepdims=keepdims))
    if ord == 1:
        return sum_(absolute(x), axis=axes, keepdims=keepdims)
    if ord == np.inf:
        return max_(absolute(x), axis=axes, keepdims=keepdims)
    if ord == -np.inf:
        return min_(absolute(x), axis=axes, keepdims=keepdims)
    if ord == 0:                               # the number of nonzeros: piecewise constant
        return np.sum(strip(x) != 0, axis=axes, keepdims=keepdims).astype(np.finfo(float_dtype(x)).dtype)
    # (sum |x|^p)^(1/p)
    return power(sum_(power(absolute(x), float(ord)), axis=axes, keepdims=keepdims), 1.0 / float(ord))


def _matrix_norm(x, ord, axes, keepdims):
    rows, columns = axes
    if rows == columns:
        raise ValueError("Duplicate axes given.")
    if ord in (None, "fro"):
        return sqrt(sum_(squared_modulus(x), axis=axes, keepdims=keepdims))
    if ord in (1, -1, np.inf, -np.inf):
        summed_over, extreme_over = (rows, columns) if ord in (1, -1) else (columns, rows)
        extreme = max_ if ord in (1, np.inf) else min_
        total = extreme(sum_(absolute(x), axis=summed_over, keepdims=True), axis=extreme_over,
                        keepdims=True)
        return total if keepdims else squeeze(total, axis=(rows, columns))
    if ord in (2, -2, "nuc"):
        from .decompositions import svdvals     # (decompositions builds on this file)
        s = svdvals(moveaxis(x, (rows, columns), (-2, -1)))
        total = sum_(s, axis=-1) if ord == "nuc" else getitem(s, (Ellipsis, 0 if ord == 2 else -1))
        if keepdims:
            shape = list(shape_of(x))
            shape[rows] = shape[columns] = 1
            total = reshape(total, tuple(shape))
        return total
    raise ValueError("Invalid norm order for matrices.")


# NumPy 2's array-API spellings in np.linalg (stacks: the last two axes)
@implements(np.linalg.matrix_norm)
def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


@implements(np.linalg.vector_norm)
def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """The vector norm over `axis` (all axes: of the flattened array)."""
    if axis is None or not isinstance(axis, (int, np.integer)):
        ndim = len(shape_of(x))
        axes = tuple(range(ndim)) if axis is None else tuple(a % ndim for a in axis)
        kept = tuple(1 if i in axes else n for i, n in enumerate(shape_of(x)))
        rest = [i for i in range(ndim) if i not in axes]
        flat = reshape(transpose(x, rest + list(axes)), tuple(shape_of(x)[i] for i in rest) + (-1,))
        out = norm(flat, ord=ord, axis=-1)
        return reshape(out, kept) if keepdims else out
    return norm(x, ord=ord, axis=axis, keepdims=keepdims)


@implements(np.linalg.matmul)
def linalg_matmul(x1, x2, /):
    return matmul(x1, x2)


@implements(np.matrix_transpose, np.linalg.matrix_transpose)
def matrix_transpose(x, /):
    return swapaxes(x, -1, -2)


@implements(np.linalg.diagonal)
def linalg_diagonal(x, /, *, offset=0):
    return diagonal(x, offset, -2, -1)


@implements(np.linalg.trace)
def linalg_trace(x, /, *, offset=0, dtype=None):
    return sum_(diagonal(x, offset, -2, -1), axis=-1, dtype=dtype)


@implements(np.linalg.outer)
def linalg_outer(x1, x2, /):
    if len(shape_of(x1)) != 1 or len(shape_of(x2)) != 1:
        raise ValueError("Input arrays must be one-dimensional")
    return outer(x1, x2)


@implements(np.linalg.tensordot)
def linalg_tensordot(x1, x2, /, *, axes=2):
    return tensordot(x1, x2, axes)


@implements(np.vecdot, np.linalg.vecdot)
def vecdot(x1, x2, /, *, axis=-1):
    """sum(conj(x1) x2) over `axis`, broadcasting the rest."""
    return sum_(mul(conj(x1), x2), axis=axis)


@implements(np.trace)
def trace(x, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return sum_(diagonal(x, offset, axis1, axis2), axis=-1, dtype=dtype, out=out)


@implements(np.tensordot)
def tensordot(a, b, axes=2):
    """np.tensordot as an einsum: `axes` an int (the last n of a with the first n of b) or two lists."""
    na, nb = len(shape_of(a)), len(shape_of(b))
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(na, nb):
            raise ValueError("tensordot: shape-mismatch for sum")
        axes_a, axes_b = list(range(na - axes, na)), list(range(int(axes)))
    else:
        axes_a, axes_b = [[int(i) for i in np.atleast_1d(side)] for side in axes]
    axes_a, axes_b = axes_of(axes_a, na, "tensordot"), axes_of(axes_b, nb, "tensordot")
    if len(axes_a) != len(axes_b) or any(shape_of(a)[i] != shape_of(b)[j] for i, j in zip(axes_a, axes_b)):
        raise ValueError("tensordot: shape-mismatch for sum")
    letters = iter(string.ascii_lowercase)
    ta = [next(letters) for _ in range(na)]
    tb = [next(letters) for _ in range(nb)]
    for i, j in zip(axes_a, axes_b):
        tb[j] = ta[i]
    free = [t for i, t in enumerate(ta) if i not in axes_a] + [t for j, t in enumerate(tb) if j not in axes_b]
    return einsum(f"{''.join(ta)},{''.join(tb)}->{''.join(free)}", a, b)
