"""Shape and indexing ops, and the dtype cast. All are linear: each needs only its transpose.

    reshape^T      = reshape back          transpose^T  = inverse permutation
    broadcast_to^T = sum over broadcast    concatenate^T = slicing
    getitem^T      = scatter_add (repeated indices accumulate)
    scatter_add^T  = getitem               astype^T      = cast back

NumPy's expand_dims, squeeze, ravel, stack, take, swapaxes and moveaxis lower
to these. A batching rule (see batching.py) says how each op acts when one
argument carries an extra leading batch axis.
"""

import math

import numpy as np

from ..registry import (FLOP_COUNTERS, apply, count, implements, linear, no_cost, passes_through, shape_of, size_of,
                        strip, unbroadcast)


def _jnp():
    import jax.numpy as jnp
    return jnp


def _batch_size(args, flags):
    return next(shape_of(a)[0] for a, f in zip(args, flags) if f)


# --- reshape -------------------------------------------------------------------
def _reshape_batch(args, flags, shape):
    return reshape(args[0], (shape_of(args[0])[0],) + shape)


# (ndarray's own methods where x is an array: NumPy's np.reshape and
# np.transpose are Python wrappers around them, several times slower)
RESHAPE = linear("reshape", lambda x, shape: x.reshape(shape) if type(x) is np.ndarray else np.reshape(x, shape),
                 lambda ct, argnum, x, shape: reshape(ct, shape_of(x)),
                 jax=lambda x, shape: _jnp().reshape(x, shape), batch=_reshape_batch,
                 examples=lambda rng: [((rng.uniform(-2, 2, (2, 3)),), dict(shape=(3, 2))),
                                       ((rng.uniform(-2, 2, (6,)),), dict(shape=(2, 1, 3)))])


# --- transpose -----------------------------------------------------------------
def _transpose_batch(args, flags, axes):
    return transpose(args[0], (0,) + tuple(a + 1 for a in axes))


TRANSPOSE = linear("transpose", lambda x, axes: x.transpose(axes) if type(x) is np.ndarray else np.transpose(x, axes),
                   lambda ct, argnum, x, axes: transpose(ct, inverse_permutation(axes)),
                   jax=lambda x, axes: _jnp().transpose(x, axes), batch=_transpose_batch,
                   examples=lambda rng: [((rng.uniform(-2, 2, (2, 3)),), dict(axes=(1, 0))),
                                         ((rng.uniform(-2, 2, (2, 3, 4)),), dict(axes=(2, 0, 1)))])


def inverse_permutation(permutation):
    """The permutation that undoes `permutation` (transpose's transpose)."""
    return tuple(sorted(range(len(permutation)), key=permutation.__getitem__))


# --- broadcast_to ----------------------------------------------------------------
def align_batched(raw, ndim):
    """Give a batched value (B, *s) singleton axes after the batch so that it
    broadcasts against unbatched values of `ndim` dimensions."""
    shape = shape_of(raw)
    missing = ndim - (len(shape) - 1)
    return reshape(raw, shape[:1] + (1,) * missing + shape[1:]) if missing > 0 else raw


def _broadcast_batch(args, flags, shape):
    raw = align_batched(args[0], len(shape))
    return broadcast_to(raw, shape_of(raw)[:1] + shape)


BROADCAST_TO = linear("broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
                      lambda ct, argnum, x, shape: unbroadcast(ct, shape_of(x)),
                      jax=lambda x, shape: _jnp().broadcast_to(x, shape), batch=_broadcast_batch,
                      examples=lambda rng: [((rng.uniform(-2, 2, (3,)),), dict(shape=(2, 3))),
                                            ((rng.uniform(-2, 2, (2, 1)),), dict(shape=(2, 3)))])


# --- concatenate -----------------------------------------------------------------
def _concatenate_transpose(ct, argnum, *xs, axis):
    start = int(np.sum([shape_of(x)[axis] for x in xs[:argnum]], dtype=np.int64))
    stop = start + shape_of(xs[argnum])[axis]
    return getitem(ct, (slice(None),) * axis + (slice(start, stop),))


def _concatenate_batch(args, flags, axis):
    size = _batch_size(args, flags)
    batched = [a if f else broadcast_to(a, (size,) + shape_of(a)) for a, f in zip(args, flags)]
    return apply(CONCATENATE, *batched, axis=axis + 1)


CONCATENATE = linear("concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis),
                     _concatenate_transpose,
                     jax=lambda *xs, axis: _jnp().concatenate(xs, axis=axis), batch=_concatenate_batch,
                     examples=lambda rng: [((rng.uniform(-2, 2, (2,)), rng.uniform(-2, 2, (3,))), dict(axis=0)),
                                           ((rng.uniform(-2, 2, (2, 3)), rng.uniform(-2, 2, (2, 1))), dict(axis=1))])


# --- getitem and its transpose, scatter_add --------------------------------------
BASIC_ENTRIES = frozenset((int, slice))     # index entries that never repeat an element


def has_index_arrays(index):
    """An integer array among the entries: the index may repeat an element."""
    return np.ndarray in map(type, index)


def normalize_index(index, ndim):
    """A basic-or-fancy index as a tuple without Ellipsis; boolean masks become
    integer arrays, so that the index can be replayed on a cotangent."""
    index = index if isinstance(index, tuple) else (index,)
    if BASIC_ENTRIES.issuperset(map(type, index)):
        return index          # the common case (x[i, :, a:b]): nothing to normalize
    entries, consumed, ellipsis = [], 0, None     # (axes the entries index; where '...' stands)
    for entry in index:
        entry = strip(entry)
        if isinstance(entry, (list, range, np.ndarray)):      # (probs[range(N), y], CS231n's softmax loss)
            entry = np.asarray(entry)
            kind = entry.dtype.kind
            if kind == "b":
                masks = np.nonzero(entry)
                entries.extend(masks)
                consumed += len(masks)
                continue
            if kind not in "iu":        # (signed or unsigned integers)
                raise IndexError(f"arrays used as indices must be integer or boolean, not {entry.dtype}")
        if entry is Ellipsis:
            ellipsis = len(entries)
        elif entry is not None:
            consumed += 1
        entries.append(entry)
    if ellipsis is not None:
        entries[ellipsis:ellipsis + 1] = [slice(None)] * (ndim - consumed)
    return tuple(entries)


def _moved_batch_last(raw):
    n = len(shape_of(raw))
    return transpose(raw, tuple(range(1, n)) + (0,))


def _moved_batch_first(raw):
    n = len(shape_of(raw))
    return transpose(raw, (n - 1,) + tuple(range(n - 1)))


def _getitem_batch(args, flags, index):
    # Index the leading axes with the batch moved last: trailing unindexed axes
    # keep their place, whatever NumPy does with advanced indices.
    return _moved_batch_first(apply(GETITEM, _moved_batch_last(args[0]), index=index))


def _scatter_add(ct, index, shape):
    out = np.zeros(shape, dtype=getattr(ct, "dtype", np.float64))
    np.add.at(out, index, ct)
    return out


def _scatter_add_batch(args, flags, index, shape):
    size = _batch_size(args, flags)
    moved = apply(SCATTER_ADD, _moved_batch_last(args[0]), index=index, shape=shape + (size,))
    return _moved_batch_first(moved)


GETITEM = linear("getitem", lambda x, index: x[index],
                 lambda ct, argnum, x, index: scatter_add(ct, index, shape_of(x)),
                 jax=lambda x, index: x[index], batch=_getitem_batch, cost=no_cost,
                 examples=lambda rng: [((rng.uniform(-2, 2, (4,)),), dict(index=(slice(1, 3),))),
                                       ((rng.uniform(-2, 2, (3, 4)),), dict(index=(np.array([0, 0, 2]),))),
                                       ((rng.uniform(-2, 2, (3, 4)),), dict(index=(1, slice(None, None, -1)))),
                                       ((rng.uniform(-2, 2, (3, 4)),),
                                        dict(index=(np.array([0, 2]), np.array([1, 1]))))])


def _getitem_vjp_into(total, ct, argnum, out, x, index):
    # reading x[i] one element at a time must not cost a dense array per read
    if has_index_arrays(index):
        np.add.at(total, index, ct)       # integer arrays may repeat an index: each adds
    else:
        total[index] += ct                # integers and slices never repeat (and += is faster)
    if FLOP_COUNTERS:
        count(SCATTER_ADD, total, (ct,), dict(index=index, shape=total.shape))
    return True


GETITEM.vjp_into = _getitem_vjp_into
SCATTER_ADD = linear("scatter_add", _scatter_add,
                     lambda ct, argnum, values, index, shape: getitem(ct, index),
                     jax=lambda values, index, shape: _jnp().zeros(shape).at[index].add(values),
                     batch=_scatter_add_batch,
                     cost=lambda out, values, index, shape: size_of(values),
                     examples=lambda rng: [((rng.uniform(-2, 2, (3,)),),
                                            dict(index=(np.array([0, 0, 1]),), shape=(4,))),
                                           ((rng.uniform(-2, 2, (2, 3)),),
                                            dict(index=(slice(0, 2),), shape=(3, 3)))])


# --- astype: a float dtype cast (float64 -> float32 rounds; its transpose casts back)
ASTYPE = linear("astype", lambda x, dtype: np.asarray(x).astype(dtype),
                lambda ct, argnum, x, dtype: astype(ct, np.result_type(x)),
                jax=lambda x, dtype: _jnp().asarray(x).astype(dtype),
                batch=lambda args, flags, dtype: astype(args[0], dtype),
                # examples widen (float32 -> float64): the rule tests compare with
                # central differences, which a float32 result would round away
                examples=lambda rng: [((rng.uniform(-2, 2, (2, 3)).astype(np.float32),),
                                       dict(dtype=np.dtype(np.float64)))])


# --- the functions rules and users call ----------------------------------------
@implements(np.reshape)
def reshape(x, shape):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(n) for n in shape)
    if -1 in shape:
        known = math.prod(n for n in shape if n != -1)
        shape = tuple(size_of(x) // max(known, 1) if n == -1 else n for n in shape)
    if shape == shape_of(x):
        return x
    if math.prod(shape) != size_of(x):
        raise ValueError(f"cannot reshape an array of shape {shape_of(x)} into shape {shape}")
    return apply(RESHAPE, x, shape=shape)


@implements(np.transpose)
def transpose(x, axes=None):
    ndim = len(shape_of(x))
    if axes is None:         # reversed: x.T
        if ndim < 2:
            return x
        return apply(TRANSPOSE, x, axes=tuple(range(ndim - 1, -1, -1)))
    axes = tuple(int(a) % ndim for a in axes)
    if axes == tuple(range(ndim)):
        return x
    return apply(TRANSPOSE, x, axes=axes)


@implements(np.broadcast_to)
def broadcast_to(x, shape):
    shape = tuple(shape)
    if shape_of(x) == shape:
        return x
    return apply(BROADCAST_TO, x, shape=shape)


def cast_all(arrays, dtype, casting, name):
    """NumPy's dtype=/casting= of the joining functions: each array must cast
    to the result's dtype under `casting` (a TypeError as NumPy's otherwise);
    a float dtype= casts them (astype: its transpose casts back)."""
    dtypes = [np.result_type(strip(a)) for a in arrays]
    target = np.result_type(*dtypes) if dtype is None else np.dtype(dtype)
    for d in dtypes:
        if not np.can_cast(d, target, casting=casting):
            raise TypeError(f"{name}: cannot cast array data from {d!r} to {target!r} according to the rule "
                            f"{casting!r}")
    return arrays if dtype is None else tuple(astype(a, target) for a in arrays)


def refuse_out(out, name):
    if out is not None:
        from ..errors import UnsupportedFunction
        raise UnsupportedFunction(f"numpy.{name} with out= would write into a plain array and lose the "
                                  f"derivative; use the returned value")


@implements(np.concatenate)
def concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """NumPy's signature; dtype=/casting= as NumPy checks them (cast_all)."""
    arrays = tuple(arrays)
    if out is not None or dtype is not None or casting != "same_kind":
        refuse_out(out, "concatenate")
        arrays = cast_all(arrays, dtype, casting, "concatenate")
    if axis is None:
        arrays, axis = tuple(reshape(a, (-1,)) for a in arrays), 0
    return apply(CONCATENATE, *arrays, axis=int(axis) % len(shape_of(arrays[0])))


def getitem(x, index):
    return apply(GETITEM, x, index=normalize_index(index, len(shape_of(x))))


def scatter_add(values, index, shape):
    return apply(SCATTER_ADD, values, index=index, shape=tuple(shape))


@implements(np.expand_dims)
def expand_dims(x, axis):
    shape = list(shape_of(x))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    ndim = len(shape) + len(axes)
    for a in sorted(int(a) % ndim for a in axes):
        shape.insert(a, 1)
    return reshape(x, tuple(shape))


@implements(np.squeeze)
def squeeze(x, axis=None):
    shape = shape_of(x)
    if axis is None:
        axes = {i for i, n in enumerate(shape) if n == 1}
    else:
        axes = {int(a) % len(shape) for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis)}
        if any(shape[a] != 1 for a in axes):
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return reshape(x, tuple(n for i, n in enumerate(shape) if i not in axes))


@implements(np.ravel)
def ravel(x):
    return reshape(x, (-1,))


@implements(np.stack)
def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    arrays = tuple(arrays)
    if len({shape_of(a) for a in arrays}) > 1:
        raise ValueError("all input arrays must have the same shape")
    ndim = len(shape_of(arrays[0])) + 1
    return concatenate([expand_dims(a, axis) for a in arrays], axis=int(axis) % ndim, out=out, dtype=dtype,
                       casting=casting)


@implements(np.take)
def take(x, indices, axis=None):
    if axis is None:
        x, axis = ravel(x), 0
    axis = int(axis) % len(shape_of(x))
    return getitem(x, (slice(None),) * axis + (np.asarray(strip(indices)),))


@implements(np.swapaxes)
def swapaxes(x, axis1, axis2):
    axes = list(range(len(shape_of(x))))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, tuple(axes))


def axes_of(axis, ndim, what):
    """An int or a sequence of axes as distinct non-negative ints, as NumPy
    checks them: out of range is an AxisError, a repeated axis a ValueError."""
    axes = [int(a) for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis)]
    for a in axes:
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(f"{what}: axis {a} is out of bounds for an array of dimension {ndim}")
    axes = [a % ndim for a in axes]
    if len(set(axes)) != len(axes):
        raise ValueError(f"{what}: repeated axis in {tuple(axes)}")
    return axes


@implements(np.moveaxis)
def moveaxis(x, source, destination):
    ndim = len(shape_of(x))
    source, destination = axes_of(source, ndim, "moveaxis"), axes_of(destination, ndim, "moveaxis")
    if len(source) != len(destination):
        raise ValueError("moveaxis: source and destination must have the same number of elements")
    order = [a for a in range(ndim) if a not in source]
    for to, axis in sorted(zip(destination, source)):   # as NumPy: fill the destinations in order
        order.insert(to, axis)
    return transpose(x, tuple(order))


def astype(x, dtype):
    """x cast to dtype. An integer or boolean cast (indices: W[:, -1].astype(int)) is
    piecewise constant, derivative 0 as np.trunc's: its plain values, a constant (as
    JAX's astype under grad)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iub":
        return np.asarray(strip(x)).astype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"astype({dtype}) of a differentiable value: fwdrev casts to floating dtypes, and to "
                        "integers and booleans as constants; for a complex value write x + 0j")
    if np.result_type(strip(x)) == dtype:
        return x
    return apply(ASTYPE, x, dtype=dtype)


@implements(np.flip)
def flip(x, axis=None):
    ndim = len(shape_of(x))
    axes = range(ndim) if axis is None else axes_of(axis, ndim, "flip")
    return getitem(x, tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(ndim)))


@implements(np.diagonal)
def diagonal(x, offset=0, axis1=0, axis2=1):
    """As NumPy: the diagonal of the (axis1, axis2) planes becomes the last axis."""
    if len(shape_of(x)) < 2:
        raise ValueError("diagonal requires an array of at least two dimensions")
    moved = moveaxis(x, axes_of((axis1, axis2), len(shape_of(x)), "diagonal"), (-2, -1))
    *rest, n, m = shape_of(moved)
    rows = np.arange(max(0, min(n, m - offset) if offset >= 0 else min(n + offset, m)))
    rows, columns = (rows, rows + offset) if offset >= 0 else (rows - offset, rows)
    return getitem(moved, (slice(None),) * len(rest) + (rows, columns))


@implements(np.sort)
def sort(x, axis=-1):
    """x's values in order: a gather by np.argsort (stable), so each element's
    derivative follows it to its place, as JAX's."""
    ndim = len(shape_of(x))
    if axis is None:
        x, axis, ndim = ravel(x), 0, 1
    axis = axes_of(axis, ndim, "sort")[0]
    order = np.argsort(strip(x), axis=axis, kind="stable")
    grid = np.indices(order.shape, sparse=True)
    return getitem(x, tuple(order if d == axis else grid[d] for d in range(ndim)))


@implements(np.diag)
def diag(v, k=0):
    """np.diag: a 1-D v on the k-th diagonal of a square matrix, or the k-th
    diagonal of a 2-D v."""
    if len(shape_of(v)) == 2:
        return diagonal(v, k)
    if len(shape_of(v)) != 1:
        raise ValueError("diag: input must be 1- or 2-dimensional")
    n = shape_of(v)[0] + abs(k)
    rows = np.arange(shape_of(v)[0]) + max(0, -k)
    return scatter_add(v, (rows, rows + k), (n, n))


@implements(np.repeat)
def repeat(x, repeats, axis=None):
    """np.repeat: a gather with each index repeated."""
    if axis is None:
        x, axis = ravel(x), 0
    axis = axes_of(axis, len(shape_of(x)), "repeat")[0]
    index = np.repeat(np.arange(shape_of(x)[axis]), repeats)
    return getitem(x, (slice(None),) * axis + (index,))


@implements(np.tile)
def tile(x, reps):
    """np.tile: x broadcast along new axes interleaved with its own, then merged."""
    reps = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
    shape = shape_of(x)
    ndim = max(len(shape), len(reps))
    shape, reps = (1,) * (ndim - len(shape)) + shape, (1,) * (ndim - len(reps)) + reps
    spread = reshape(x, tuple(n for size in shape for n in (1, size)))
    wide = broadcast_to(spread, tuple(n for pair in zip(reps, shape) for n in pair))
    return reshape(wide, tuple(r * size for r, size in zip(reps, shape)))


@implements(np.fliplr)
def fliplr(x): return flip(x, 1)


@implements(np.flipud)
def flipud(x): return flip(x, 0)


@implements(np.vstack, *([np.row_stack] if hasattr(np, "row_stack") else []))
def vstack(arrays, *, dtype=None, casting="same_kind"):
    return concatenate([reshape(a, (1, -1)) if len(shape_of(a)) < 2 else a for a in arrays], axis=0,
                       dtype=dtype, casting=casting)


@implements(np.hstack)
def hstack(arrays, *, dtype=None, casting="same_kind"):
    # NumPy: 1-d arrays (scalars made 1-d first) join end to end, others along axis 1
    arrays = [reshape(a, (1,)) if len(shape_of(a)) == 0 else a for a in arrays]
    return concatenate(arrays, axis=0 if len(shape_of(arrays[0])) == 1 else 1, dtype=dtype, casting=casting)


@implements(np.shape)
def shape(x): return shape_of(x)


@implements(np.ndim)
def ndim(x): return len(shape_of(x))


@implements(np.size)
def size(x): return size_of(x)


passes_through(np.iscomplexobj, np.isrealobj, np.result_type, np.can_cast)
