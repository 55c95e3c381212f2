"""Writes into arrays, as functional updates: `x[index] = value` is the op
setitem(value, x) -> a new x with x[index] replaced; `x.copy()` is copy(x).

Both are linear, so each needs only its transpose:
    setitem^T:  cotangent of value = ct[index]       (the elements it wrote)
                cotangent of x     = ct, ct[index] = 0 (what it overwrote gets no derivative)
    copy^T:     the identity

Where an index repeats (x[[0, 0]] = [a, b]) only the value NumPy keeps (b)
gets a derivative: NumPy's own assignment, replayed on positions, says which.

The value comes first among setitem's arguments: the backward pass reads
ct[index] for it before x's cotangent may reuse ct's memory (`vjp_in_place`).
`in_place=True` (chosen by modes/writes.py, never by a rule) lets the primal
write into x itself: k writes into an n-element buffer then cost O(k + n),
not a copy of the buffer per write.
"""

import numpy as np

from ..registry import apply, implements, linear, shape_of, size_of
from .shape import (_batch_size, _moved_batch_first, _moved_batch_last, align_batched, broadcast_to, getitem,
                    has_index_arrays)


def _jnp():
    import jax.numpy as jnp
    return jnp


def _setitem(value, x, index, in_place):
    out = x if in_place else np.array(x)
    out[index] = value
    return out


def written_region(shape, index):
    """The shape of x[index], without touching x's memory."""
    return np.broadcast_to(np.empty((), bool), shape)[index].shape


def _kept_writes(shape, index):
    """Which elements of the written region NumPy keeps where an integer
    index repeats (None: every one): replay the assignment on positions."""
    if not has_index_arrays(index):
        return None          # integers and slices never repeat
    region = written_region(shape, index)
    positions = np.arange(int(np.prod(region))).reshape(region)
    last = np.full(shape, -1, dtype=positions.dtype)
    last[index] = positions
    kept = last[index] == positions
    return None if kept.all() else kept


def _setitem_transpose(ct, argnum, value, x, index, in_place):
    if argnum == 1:
        return setitem(0.0, ct, index)          # d out / d x: 1 where nothing was written
    written = getitem(ct, index)                # d out / d value: 1 where it was written
    kept = _kept_writes(shape_of(x), index)
    if kept is not None:
        written = written * kept
    # a copy, not a view of ct: x's cotangent may reuse ct's memory (vjp_in_place)
    return np.array(written) if type(written) is np.ndarray else written


def _setitem_transpose_in_place(ct, argnum, out, value, x, index, in_place):
    ct[index] = 0.0        # x's cotangent in ct's own memory (the walk owns ct)
    return ct


def _setitem_batch(args, flags, index, in_place):
    # as getitem's rule: index the leading axes with the batch axis moved last
    size = _batch_size(args, flags)
    value, x = args
    region = written_region(shape_of(x)[1:] if flags[1] else shape_of(x), index)
    value = broadcast_to(align_batched(value, len(region)) if flags[0] else value, (size,) + region)
    if not flags[1]:
        x, in_place = broadcast_to(x, (size,) + shape_of(x)), False
    out = apply(SETITEM, _moved_batch_last(value), _moved_batch_last(x), index=index, in_place=in_place)
    # written in place into plain memory: x itself holds the result (not a transposed view of it)
    return args[1] if in_place and type(out) is np.ndarray else _moved_batch_first(out)


SETITEM = linear("setitem", _setitem, _setitem_transpose,
                 jax=lambda value, x, index, in_place: _jnp().asarray(x).at[index].set(value),
                 batch=_setitem_batch,
                 cost=lambda out, value, x, index, in_place: size_of(written_region(shape_of(x), index)),
                 examples=lambda rng: [
                     ((rng.uniform(-2, 2, (2,)), rng.uniform(-2, 2, (4,))), dict(index=(slice(1, 3),), in_place=False)),
                     ((rng.uniform(-2, 2, ()), rng.uniform(-2, 2, (3, 4))), dict(index=(1, 2), in_place=False)),
                     ((rng.uniform(-2, 2, (4,)), rng.uniform(-2, 2, (3, 4))),     # a row broadcast into two rows
                      dict(index=(slice(0, 2),), in_place=False)),
                     ((rng.uniform(-2, 2, (3,)), rng.uniform(-2, 2, (3, 4))),     # margins[np.arange(N), y] = v
                      dict(index=(np.array([0, 1, 2]), np.array([3, 0, 3])), in_place=False)),
                     ((rng.uniform(-2, 2, (3,)), rng.uniform(-2, 2, (4,))),       # a repeated index: the last wins
                      dict(index=(np.array([1, 1, 2]),), in_place=False))])
SETITEM.vjp_in_place = _setitem_transpose_in_place


def setitem(value, x, index, in_place=False):
    return apply(SETITEM, value, x, index=index, in_place=in_place)


COPY = linear("copy", lambda x: np.array(x), lambda ct, argnum, x: ct,
              jax=lambda x: _jnp().array(x), batch=lambda args, flags: copy(args[0]),
              examples=lambda rng: [((rng.uniform(-2, 2, (2, 3)),), {})])


@implements(np.copy)
def copy(x, order="K", subok=False):
    """A distinct array with x's values (x.copy(), np.copy(x)): writing into
    one never changes the other."""
    return apply(COPY, x)


@implements(np.astype)
def astype_function(x, dtype, /, *, copy=True, device=None):
    """np.astype(x, dtype) (NumPy 2): x.astype(dtype, copy=copy) of the box."""
    return x.astype(dtype, copy=copy)
