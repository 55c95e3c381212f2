"""Assembling and cutting arrays: pad, the split family, insert, delete, roll,
rot90, block, triangles, meshgrid, kron, cross, take_along_axis, select and
piecewise. No new ops: each lowers to the linear ops of shape.py (getitem,
concatenate, reshape, broadcast_to) and to where/mul, whose rules and
transposes are already registered.

Most of NumPy's rearrangements only move elements. For those fwdrev asks
NumPy itself where every element goes: `rearranged` runs the NumPy function
on integer codes that name each input element, then gathers the elements the
codes name (getitem, whose transpose is scatter_add). So the result follows
NumPy's semantics exactly (its argument checks and errors included), and the
derivative is the gather's:

    rearranged(f)(x) = x.ravel()[f(codes)]       d/dx: the same gather
    rearranged(f)^T  = scatter_add over f(codes) (repeated codes accumulate:
                       np.pad's edge mode copies x[0] many times)
"""

import numpy as np

from ..errors import UnsupportedFunction
from ..registry import Box, implements, passes_through, shape_of, size_of, strip
from .elementwise import mul, power, sub, where
from .shape import (axes_of, broadcast_to, concatenate, diag, getitem, moveaxis, ravel, reshape, scatter_add,
                    stack, take, transpose)


# --- rearrangements: NumPy run on the codes of the elements ---------------------
def codes_like(arrays):
    """For each array, its elements' positions in the concatenation of all of
    them raveled (int codes shaped like the array)."""
    codes, start = [], 0
    for a in arrays:
        n = size_of(a)
        codes.append(np.arange(start, start + n).reshape(shape_of(a)))
        start += n
    return codes


def _gather(arrays, codes):
    """The elements named by `codes` (an array, or a list of them for the
    split family) from the arrays raveled and joined."""
    flat = ravel(arrays[0]) if len(arrays) == 1 else concatenate([ravel(a) for a in arrays])
    if isinstance(codes, (list, tuple)):
        return [getitem(flat, (np.asarray(c),)) for c in codes]
    return getitem(flat, (np.asarray(codes),))


def rearranged(numpy_function, arrays, *args, **kwargs):
    """numpy_function(*arrays, *args, **kwargs) for a function that only moves
    the elements of `arrays`: it runs on their codes and the elements are
    gathered where the codes land."""
    return _gather(arrays, numpy_function(*codes_like(arrays), *args, **kwargs))


@implements(np.roll)
def roll(a, shift, axis=None):
    """roll^T = roll by -shift: the gather's transpose."""
    return rearranged(np.roll, [a], shift, axis)


@implements(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    """rot90^T = rot90 by -k."""
    return rearranged(np.rot90, [m], k, axes)


@implements(np.delete)
def delete(arr, obj, axis=None):
    """delete^T = scatter of the kept elements back to their places (zeros
    where elements were deleted)."""
    return rearranged(np.delete, [arr], strip(obj), axis)


@implements(np.insert)
def insert(arr, obj, values, axis=None):
    """insert^T: the cotangent's slots split between arr and values."""
    codes_arr, codes_values = codes_like([arr, values])
    return _gather([arr, values], np.insert(codes_arr, strip(obj), codes_values, axis))


@implements(np.append)
def append(arr, values, axis=None):
    """np.append: concatenate (both raveled when axis is None)."""
    if axis is None:
        return concatenate([ravel(arr), ravel(values)])
    return concatenate([arr, values], axis=axis)


def _leaves(nested):
    """The arrays of np.block's nested lists, in order."""
    if isinstance(nested, list):
        return [leaf for item in nested for leaf in _leaves(item)]
    return [nested]


def _replace_leaves(nested, codes):
    if isinstance(nested, list):
        return [_replace_leaves(item, codes) for item in nested]
    return codes.pop(0)


@implements(np.block)
def block(arrays):
    """np.block: each leaf's elements go where NumPy puts its codes."""
    leaves = _leaves(arrays)
    return _gather(leaves, np.block(_replace_leaves(arrays, codes_like(leaves))))


@implements(np.column_stack)
def column_stack(tup):
    tup = list(tup)
    return _gather(tup, np.column_stack(codes_like(tup)))


@implements(np.dstack)
def dstack(tup):
    tup = list(tup)
    return _gather(tup, np.dstack(codes_like(tup)))


# --- split: slices along one axis ---------------------------------------------------
def _pieces(x, indices_or_sections, axis, numpy_split):
    """The pieces NumPy's split would cut along `axis`, as basic slices (views
    in NumPy, getitem here: split^T = concatenate of the cotangents)."""
    shape = shape_of(x)
    axis = axes_of(axis, len(shape), numpy_split.__name__)[0]
    positions = numpy_split(np.arange(shape[axis]), strip(indices_or_sections))   # NumPy's checks
    before = (slice(None),) * axis
    starts = np.cumsum([0] + [len(p) for p in positions])
    return [getitem(x, before + (slice(int(start), int(start) + len(p)),)) for start, p in zip(starts, positions)]


@implements(np.split)
def split(ary, indices_or_sections, axis=0):
    return _pieces(ary, indices_or_sections, axis, np.split)


@implements(np.array_split)
def array_split(ary, indices_or_sections, axis=0):
    return _pieces(ary, indices_or_sections, axis, np.array_split)


def _split_along(ary, indices_or_sections, axis, least, name):
    if len(shape_of(ary)) < least:
        raise ValueError(f"{name} only works on arrays of {least} or more dimensions")
    return _pieces(ary, indices_or_sections, axis, np.split)


@implements(np.hsplit)
def hsplit(ary, indices_or_sections):
    return _split_along(ary, indices_or_sections, 1 if len(shape_of(ary)) > 1 else 0, 1, "hsplit")


@implements(np.vsplit)
def vsplit(ary, indices_or_sections):
    return _split_along(ary, indices_or_sections, 0, 2, "vsplit")


@implements(np.dsplit)
def dsplit(ary, indices_or_sections):
    return _split_along(ary, indices_or_sections, 2, 3, "dsplit")


# --- pad --------------------------------------------------------------------------
def _pairs(value, ndim):
    """np.pad's per-axis (before, after) pairs of an option (stat_length,
    constant_values, end_values), read as NumPy reads them; a boxed option
    keeps its derivative."""
    if value is None:
        return [(None, None)] * ndim
    if not isinstance(value, Box):
        value = np.asarray(value)
    shape = shape_of(value)
    if size_of(value) == 1:
        single = reshape(value, ())
        return [(single, single)] * ndim
    if size_of(value) == 2 and shape != (2, 1):
        both = ravel(value)
        return [(getitem(both, 0), getitem(both, 1))] * ndim
    pairs = broadcast_to(value, (ndim, 2))
    return [(getitem(pairs, (i, 0)), getitem(pairs, (i, 1))) for i in range(ndim)]


def _along(axis, ndim, entry):
    return (slice(None),) * axis + (entry,) + (slice(None),) * (ndim - axis - 1)


def _stat_pad(x, widths, stat_lengths, statistic):
    """maximum, minimum, mean, median: axis after axis (as NumPy, each axis
    sees the padding of the axes before it), each side filled with the
    statistic of its first or last stat_length elements."""
    ndim = len(shape_of(x))
    for axis, (before, after) in enumerate(widths):
        if before == 0 and after == 0:
            continue
        n = shape_of(x)[axis]
        left_length, right_length = (n if s is None else min(int(s), n) for s in stat_lengths[axis])
        if n == 0 or left_length == 0 or right_length == 0:
            raise ValueError("can't extend empty axis or compute a statistic of no elements in np.pad")
        left = statistic(getitem(x, _along(axis, ndim, slice(0, left_length))), axis=axis, keepdims=True)
        right = statistic(getitem(x, _along(axis, ndim, slice(n - right_length, n))), axis=axis, keepdims=True)
        side = list(shape_of(x))
        x = concatenate([broadcast_to(left, tuple(side[:axis]) + (before,) + tuple(side[axis + 1:])), x,
                         broadcast_to(right, tuple(side[:axis]) + (after,) + tuple(side[axis + 1:]))], axis=axis)
    return x


def _linear_ramp_pad(x, widths, end_values):
    """linear_ramp: from end_value to the edge value, endpoint excluded,
    linear in both (np.linspace with traced ends)."""
    from .series import linspace
    ndim = len(shape_of(x))
    for axis, (before, after) in enumerate(widths):
        if before == 0 and after == 0:
            continue
        n = shape_of(x)[axis]
        first = getitem(x, _along(axis, ndim, slice(0, 1)))
        last = getitem(x, _along(axis, ndim, slice(n - 1, n)))
        start_value, stop_value = end_values[axis]
        left = linspace(start_value, first, before, endpoint=False, axis=axis)
        right = linspace(stop_value, last, after, endpoint=False, axis=axis)
        right = getitem(right, _along(axis, ndim, slice(None, None, -1)))
        # linspace of (1, ...)-shaped ends has a leading size-1 axis to drop
        left = reshape(left, tuple(shape_of(first)[:axis]) + (before,) + tuple(shape_of(first)[axis + 1:]))
        right = reshape(right, tuple(shape_of(last)[:axis]) + (after,) + tuple(shape_of(last)[axis + 1:]))
        x = concatenate([left, x, right], axis=axis)
    return x


def _odd_reflection_pad(x, widths, mode):
    """reflect_type='odd': 2 * edge - even reflection, axis by axis, for pads
    no longer than one reflection (longer ones reflect reflections)."""
    ndim = len(shape_of(x))
    for axis, (before, after) in enumerate(widths):
        if before == 0 and after == 0:
            continue
        n = shape_of(x)[axis]
        if max(before, after) > n - (mode == "reflect"):
            raise UnsupportedFunction(
                f"np.pad(mode={mode!r}, reflect_type='odd') is differentiated for pads up to the axis length "
                f"({n}); pad in several steps, or use reflect_type='even'")
        axis_widths = [(0, 0)] * ndim
        axis_widths[axis] = (before, after)
        codes = codes_like([x])[0]
        even = _gather([x], np.pad(codes, axis_widths, mode=mode))
        edge = _gather([x], np.pad(codes, axis_widths, mode="edge"))
        inside = np.zeros(n + before + after, bool)
        inside[before:before + n] = True
        inside = inside.reshape((-1,) + (1,) * (ndim - axis - 1))
        x = where(inside, even, sub(mul(2.0, edge), even))
    return x


_STATISTICS = ("maximum", "minimum", "mean", "median")


@implements(np.pad)
def pad(array, pad_width, mode="constant", **kwargs):
    """np.pad, every mode (a callable mode is refused). Linear in the array:
    constant, edge, reflect, symmetric, wrap are gathers of the array's and
    constant_values' elements, and so the transpose is a scatter_add;
    linear_ramp mixes the edge and end_values linearly; maximum, minimum,
    median gather the chosen element, mean averages (their own rules)."""
    if callable(mode):
        raise UnsupportedFunction("np.pad with a callable mode has no differentiation rule in fwdrev; "
                                  "build the padding with np.concatenate")
    ndim = len(shape_of(array))
    widths = [(int(b), int(a)) for b, a in np.broadcast_to(np.asarray(strip(pad_width), dtype=np.intp), (ndim, 2))]
    if mode in _STATISTICS:
        from . import reductions, statistics
        statistic = {"maximum": reductions.max, "minimum": reductions.min, "mean": reductions.mean,
                     "median": statistics.median}[mode]
        return _stat_pad(array, widths, _pairs(kwargs.get("stat_length"), ndim), statistic)
    if mode == "linear_ramp":
        return _linear_ramp_pad(array, widths, _pairs(kwargs.get("end_values", 0), ndim))
    if mode in ("reflect", "symmetric") and kwargs.get("reflect_type", "even") == "odd":
        return _odd_reflection_pad(array, widths, mode)
    if mode in ("constant", "empty"):       # empty: undefined values, here the constant 0
        constants = kwargs.get("constant_values", 0) if mode == "constant" else 0
        values = [v for pair in _pairs(constants, ndim) for v in pair]
        codes = codes_like([array] + values)
        pairs = np.array(codes[1:], dtype=np.intp).reshape(ndim, 2)
        return _gather([array] + values, np.pad(codes[0], widths, mode="constant", constant_values=pairs))
    return rearranged(np.pad, [array], widths, mode=mode, **kwargs)


# --- triangles, grids and products -----------------------------------------------
@implements(np.tril)
def tril(m, k=0):
    """tril = where(lower triangle, m, 0): tril^T = tril."""
    n, columns = shape_of(m)[-2:] if len(shape_of(m)) >= 2 else shape_of(m) * 2
    return where(np.tri(n, columns, k, dtype=bool), m, 0.0)


@implements(np.triu)
def triu(m, k=0):
    """triu = where(upper triangle, m, 0): triu^T = triu."""
    n, columns = shape_of(m)[-2:] if len(shape_of(m)) >= 2 else shape_of(m) * 2
    return where(~np.tri(n, columns, k - 1, dtype=bool), m, 0.0)


def _atleast(arys, shape_for):
    out = tuple(reshape(a, shape_for(shape_of(a))) for a in arys)
    return out[0] if len(out) == 1 else out


@implements(np.atleast_1d)
def atleast_1d(*arys):
    return _atleast(arys, lambda s: s if len(s) >= 1 else (1,))


@implements(np.atleast_2d)
def atleast_2d(*arys):
    return _atleast(arys, lambda s: s if len(s) >= 2 else ((1,) + s) * (len(s) == 1) or (1, 1))


@implements(np.atleast_3d)
def atleast_3d(*arys):
    return _atleast(arys, lambda s: s if len(s) >= 3 else {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}[len(s)])


@implements(np.meshgrid)
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Each coordinate vector reshaped along its own axis, then broadcast
    (meshgrid^T = sums over the broadcast axes)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    ndim = len(xi)
    axes = list(range(ndim))
    if indexing == "xy" and ndim > 1:
        axes[0], axes[1] = 1, 0
    grids = [reshape(ravel(x), tuple(-1 if d == axis else 1 for d in range(ndim))) for x, axis in zip(xi, axes)]
    if not sparse:
        shape = np.broadcast_shapes(*(shape_of(g) for g in grids))
        grids = [broadcast_to(g, shape) for g in grids]
    return tuple(grids)


@implements(np.kron)
def kron(a, b):
    """kron(a, b)[i*nb + j] = a[i] b[j] on every axis: a product of a and b
    spread on interleaved axes (bilinear: each argument's derivative is the
    same product with the other)."""
    sa, sb = shape_of(a), shape_of(b)
    ndim = max(len(sa), len(sb))
    if len(sa) == 0 or len(sb) == 0:
        return mul(a, b)
    sa, sb = (1,) * (ndim - len(sa)) + sa, (1,) * (ndim - len(sb)) + sb
    spread_a = reshape(a, tuple(n for size in sa for n in (size, 1)))
    spread_b = reshape(b, tuple(n for size in sb for n in (1, size)))
    return reshape(mul(spread_a, spread_b), tuple(p * q for p, q in zip(sa, sb)))


@implements(np.cross, np.linalg.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The vector product, component by component (bilinear). (np.linalg.cross(a, b, axis=k) is
    np.cross(a, b, axis=k) for 3-vectors.)"""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if shape_of(a)[-1] not in (2, 3) or shape_of(b)[-1] not in (2, 3):
        raise ValueError("incompatible dimensions for cross product (dimension must be 2 or 3)")
    component = [lambda v, i=i: getitem(v, (Ellipsis, i)) for i in range(3)]
    a0, a1, b0, b1 = component[0](a), component[1](a), component[0](b), component[1](b)
    if shape_of(a)[-1] == 2 and shape_of(b)[-1] == 2:
        return sub(mul(a0, b1), mul(a1, b0))
    a2 = component[2](a) if shape_of(a)[-1] == 3 else 0.0
    b2 = component[2](b) if shape_of(b)[-1] == 3 else 0.0
    components = [sub(mul(a1, b2), mul(a2, b1)), sub(mul(a2, b0), mul(a0, b2)), sub(mul(a0, b1), mul(a1, b0))]
    shape = np.broadcast_shapes(*(shape_of(c) for c in components))
    c = stack([broadcast_to(c, shape) for c in components], axis=-1)
    return moveaxis(c, -1, axisc)


# --- choosing elements -------------------------------------------------------------
@implements(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    """arr's elements at `indices` along axis: a gather (transpose: scatter_add)."""
    indices = np.asarray(strip(indices))
    if axis is None:
        arr, axis = ravel(arr), 0
    ndim = len(shape_of(arr))
    axis = axes_of(axis, ndim, "take_along_axis")[0]
    if indices.ndim != ndim:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    grid = np.indices(indices.shape, sparse=True)
    return getitem(arr, tuple(indices if d == axis else grid[d] for d in range(ndim)))


@implements(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """a's elements gathered in np.argpartition's order (ties as NumPy's)."""
    if order is not None:
        raise UnsupportedFunction("np.partition with order= (structured arrays) is not differentiable")
    if axis is None:
        a, axis = ravel(a), 0
    return take_along_axis(a, np.argpartition(strip(a), strip(kth), axis=axis, kind=kind), axis)


@implements(np.select)
def select(condlist, choicelist, default=0):
    """The first choice whose condition holds: nested where, last first
    (d/dchoice_k = [cond_k and no earlier cond])."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    result = default
    for condition, choice in zip(reversed(condlist), reversed(choicelist)):
        condition = np.asarray(strip(condition))
        if condition.dtype != bool:
            raise TypeError(f"invalid entry in condlist: should be boolean ndarray, not {condition.dtype}")
        result = where(condition, choice, result)
    shape = np.broadcast_shapes(*(shape_of(c) for c in list(condlist) + list(choicelist)), shape_of(default))
    return broadcast_to(result, shape) if shape_of(result) != shape else result


@implements(np.piecewise)
def piecewise(x, condlist, funclist, *args, **kw):
    """As NumPy: y[cond_k] = f_k(x[cond_k]) in order (later conditions win),
    0 where none holds; each piece is gathered, evaluated and scattered back."""
    shape = shape_of(x)
    conditions = np.asarray(strip(condlist), dtype=bool) if not isinstance(condlist, list) \
        else [np.asarray(strip(c), dtype=bool) for c in condlist]
    if isinstance(conditions, np.ndarray) and (conditions.ndim == 0 or conditions.shape == shape):
        conditions = [conditions]
    conditions = [np.broadcast_to(c, shape) for c in conditions]
    if len(funclist) == len(conditions) + 1:
        conditions.append(~np.logical_or.reduce(conditions, axis=0))
    elif len(funclist) != len(conditions):
        raise ValueError(f"with {len(conditions)} condition(s), either {len(conditions)} or "
                         f"{len(conditions) + 1} functions are expected")
    y = np.zeros(shape, np.result_type(strip(x), np.float64) if np.result_type(strip(x)).kind in "fc"
                 else np.result_type(strip(x)))
    for condition, function in zip(conditions, funclist):
        places = np.nonzero(condition)
        if callable(function):
            if not places[0].size:
                continue
            values = function(getitem(x, places), *args, **kw)
        else:
            values = function
        values = broadcast_to(values, places[0].shape) if shape_of(values) != places[0].shape else values
        y = where(condition, scatter_add(values, places, shape), y)
    return y


def rollaxis_order(ndim, axis, start):
    """np.rollaxis's permutation (axis moved to before `start`)."""
    axis = axes_of(axis, ndim, "rollaxis")[0]
    if not -ndim <= start <= ndim:
        raise np.exceptions.AxisError(f"rollaxis: start {start} is out of bounds for dimension {ndim}")
    start = start % (ndim + 1) if start < 0 else start
    if axis < start:
        start -= 1
    order = [a for a in range(ndim) if a != axis]
    order.insert(start, axis)
    return tuple(order)


@implements(np.rollaxis)
def rollaxis(a, axis, start=0):
    return transpose(a, rollaxis_order(len(shape_of(a)), axis, start))


@implements(np.broadcast_arrays)
def broadcast_arrays(*args, subok=False):
    """Each argument broadcast to their common shape (broadcast_to's transpose sums back)."""
    shape = np.broadcast_shapes(*(shape_of(a) for a in args))
    return tuple(broadcast_to(a, shape) for a in args)


@implements(np.apply_along_axis)
def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """func1d on each 1-D slice of arr along axis, its results stacked where
    the axis was (NumPy's shape: arr.shape[:axis] + result.shape + arr.shape[axis + 1:])."""
    ndim = len(shape_of(arr))
    axis = axes_of(axis, ndim, "apply_along_axis")[0]
    moved = moveaxis(arr, axis, -1)
    outer = shape_of(moved)[:-1]
    if 0 in outer:
        raise ValueError("Cannot apply_along_axis when any iteration dimensions are 0")
    results = [func1d(getitem(moved, index), *args, **kwargs) for index in np.ndindex(outer)]
    result_ndim = len(shape_of(results[0]))
    stacked = reshape(np.stack(results), outer + shape_of(results[0]))
    return moveaxis(stacked, tuple(range(len(outer), len(outer) + result_ndim)),
                    tuple(range(axis, axis + result_ndim)))


@implements(np.compress)
def compress(condition, a, axis=None, out=None):
    """The slices of a where condition holds (along axis; of a raveled without one)."""
    if out is not None:
        raise UnsupportedFunction("fwdrev's numpy.compress does not take out=; call it without")
    kept = np.flatnonzero(np.asarray(strip(condition), dtype=bool))
    if axis is None:
        return getitem(ravel(a), (kept,))
    return take(a, kept, axis)


@implements(np.extract)
def extract(condition, arr):
    """arr's elements where condition holds, raveled."""
    return getitem(ravel(arr), (np.flatnonzero(np.ravel(np.asarray(strip(condition), dtype=bool))),))


@implements(np.resize)
def resize(a, new_shape):
    """a's elements repeated (in order) to fill new_shape: a gather, its transpose sums the repeats."""
    return rearranged(np.resize, [a], new_shape)


@implements(np.unstack)
def unstack(x, /, *, axis=0):
    return tuple(moveaxis(x, axis, 0)[i] for i in range(shape_of(x)[axis]))


@implements(np.diagflat)
def diagflat(v, k=0):
    return diag(ravel(v), k)


@implements(np.vander)
def vander(x, N=None, increasing=False):
    """Columns x^(N-1), ..., x, 1 (increasing: reversed): powers of a column of x."""
    N = shape_of(x)[0] if N is None else int(N)
    powers = np.arange(N, dtype=float) if increasing else np.arange(N - 1, -1, -1, dtype=float)
    return power(reshape(x, (-1, 1)), powers)


@implements(np.bincount)
def bincount(x, weights=None, minlength=0):
    """Per bin, the sum of the weights of its integers: a scatter-add of the weights
    (differentiable in them; the integers x are constants)."""
    bins = np.asarray(strip(x))
    if weights is None:
        return np.bincount(bins, minlength=minlength)
    length = max(int(minlength), int(bins.max()) + 1 if bins.size else 0)
    return scatter_add(weights, (bins,), (length,))


passes_through(np.argpartition, np.argwhere, np.flatnonzero, np.searchsorted, np.digitize, np.lexsort,
               np.isin, np.array_equiv, np.nanargmax, np.nanargmin, np.unravel_index, np.ravel_multi_index,
               np.ix_, np.diag_indices_from, np.tril_indices_from, np.triu_indices_from,
               np.may_share_memory, np.shares_memory, np.common_type, np.min_scalar_type,
               # values as text or on disk
               np.array2string, np.array_str, np.array_repr, np.save, np.savetxt, np.savez, np.savez_compressed)


@implements(np.choose)
def choose(a, choices, out=None, mode="raise"):
    """choices[a[i]][i]: the choices broadcast and stacked, then gathered along the stack."""
    if out is not None:
        raise UnsupportedFunction("fwdrev's numpy.choose does not take out=; call it without")
    index, n = np.asarray(strip(a)), len(choices)
    if mode == "wrap":
        index = index % n
    elif mode == "clip":
        index = np.clip(index, 0, n - 1)
    elif np.any((index < 0) | (index >= n)):
        raise ValueError("invalid entry in choice array")
    shape = np.broadcast_shapes(index.shape, *(shape_of(c) for c in choices))
    stacked = stack([broadcast_to(c, shape) for c in choices])
    return getitem(take_along_axis(stacked, np.broadcast_to(index, shape)[None], axis=0), 0)


@implements(np.trim_zeros)
def trim_zeros(filt, trim="fb", axis=None):
    """filt without its leading ('f') and trailing ('b') zeros: a slice found on the values."""
    values = np.asarray(strip(filt))
    if axis is not None or values.ndim != 1:
        raise UnsupportedFunction("fwdrev's numpy.trim_zeros takes a 1-D array and no axis=")
    nonzero = np.flatnonzero(values)
    if not nonzero.size:
        return getitem(filt, slice(0, 0))
    first = nonzero[0] if "f" in trim.lower() else 0
    last = nonzero[-1] + 1 if "b" in trim.lower() else values.size
    return getitem(filt, slice(int(first), int(last)))


@implements(np.apply_over_axes)
def apply_over_axes(func, a, axes):
    """func(a, axis) for each axis in turn, the reduced axis kept (as NumPy)."""
    ndim = len(shape_of(a))
    for axis in np.atleast_1d(axes):
        axis = int(axis) % ndim
        result = func(a, axis)
        if len(shape_of(result)) != ndim:
            result = reshape(result, shape_of(result)[:axis] + (1,) + shape_of(result)[axis:])
        if len(shape_of(result)) != ndim:
            raise ValueError("function is not returning an array of the correct shape")
        a = result
    return a


passes_through(np.einsum_path, np.packbits, np.unpackbits, np.isnat, np.is_busday, np.busday_count,
               np.busday_offset, np.datetime_as_string)
