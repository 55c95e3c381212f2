"""In-place writes into boxes (`y[mask] = 0`, `x += 1`, `out[i] = v`), as
PyTorch allows them, in both engines.

A box is a mutable handle on an immutable history: a write records the
functional update setitem(value, y) -> y' (ops/update.py) and rebinds the box
to y', so every Python name for the box sees the write, as with an ndarray,
and the tape (or the tangent) stays a pure function of the inputs.

Views are kept right, as NumPy keeps them:
  - a box made from another by a view (`v = y[0]`, y.T, y.reshape(...)) is
    linked to it; a write into y re-reads each live view (v = y[0] again);
  - a write into a view made by indexing writes through to its base
    (`y[0][1] = 5`, or `v = y[0]; v[1] = 5`, changes y); a write into any
    other view (y.T, a reshape) is refused with the rewrite to make.

NumPy's functions that write into their first argument (np.copyto, np.put,
np.place, np.putmask, np.fill_diagonal, x.flat[i] = v) are writes of the same
kind, at the positions NumPy itself would write.

Cost: a write reuses the buffer's memory when nothing else can see it (no
other reference to the array, no view of it, not saved by a tape): k writes
into an n-element buffer cost O(k + n). Otherwise it copies once (copy on
write) and owns the copy from then on.
"""

import copy
import weakref

import numpy as np

from .errors import LostDerivative, UnsupportedFunction, user_location
from .ops.assembly import codes_like
from .ops.update import SETITEM, written_region
from .ops.shape import GETITEM, RESHAPE, broadcast_to, normalize_index, scatter_add
from .ops.elementwise import WHERE
from .registry import Box, apply, implements, shape_of, strip


def write(box, index, value):
    """box[index] = value, for a Dual or Traced box."""
    if isinstance(value, (list, tuple)):
        value = np.asarray(value)        # (boxes inside refuse with their own message)
    if isinstance(value, Box) and value.tag.level > box.tag.level and box.tag.alive:
        where = user_location()
        raise TypeError(
            (f"{where}: " if where else "") +
            "a value of an inner differentiation call was written into an array made outside it: the array "
            "would carry the inner call's derivative after that call has ended. Make the array inside the "
            "function being differentiated (out = np.zeros_like(x, shape=...)), or return the value instead")
    index = normalize_index(index, len(box.shape))
    base = getattr(box, "view_of", None)
    if base is not None and base[0].tag.alive:
        base_box, op, _args, params = base
        if op is not GETITEM:
            raise UnsupportedFunction(
                f"this array is a view of another differentiable array, made by {op.name} (such as x.T or "
                "x.reshape(...)); NumPy would write through it into that array, which fwdrev does only for views "
                "made by indexing (y[0][1] = v). Write into the original array, or make the view an array of its "
                f"own first: v = x.{op.name}(...).copy()")
        # through to the base: y[i][j] = v is y[i] = (y[i] with [j] = v)
        write(base_box, params["index"], apply(SETITEM, value, box, index=index, in_place=False))
        return
    updated = apply(SETITEM, value, box, index=index, in_place=box.owns_memory())
    box.become(updated)
    refresh_views(box)


def augmented_assign(box, operator, other):
    """`box <op>= other` (x += 1): an array box is written, as NumPy writes an
    ndarray; a scalar box is immutable, as a NumPy scalar is (a new value)."""
    result = operator(box, other)
    if not isinstance(strip(box), np.ndarray):
        return result
    if shape_of(result) != box.shape:
        raise ValueError(f"non-broadcastable output operand with shape {box.shape} doesn't match the "
                         f"broadcast shape {shape_of(result)}")
    write(box, Ellipsis, result)
    return box


def add_at(target, index, values):
    """np.add.at(target, index, values): unbuffered, a repeated index adds
    each time (x[index] += v adds once). Into a box only: a plain target
    would keep only the values."""
    if not isinstance(target, Box):
        where = user_location()
        raise LostDerivative(
            (f"{where}: " if where else "") + "np.add.at(out, index, v) adds a differentiable v into the plain "
            "array out, which keeps only its values: the derivative would be lost. Make out an array that "
            "records writes: `out = np.zeros_like(v, shape=out.shape)` (or `import modes.numpy as np` and "
            "np.zeros), then np.add.at(out, index, v)")
    index = normalize_index(index, len(target.shape))
    region = written_region(target.shape, index)
    write(target, Ellipsis, target + scatter_add(broadcast_to(values, region), index, target.shape))


def link_view(view, base, op, args, params):
    """`view` (just made by op(*args) from `base`) shares base's memory:
    remember how to read it again after base is written."""
    view.view_of = (base, op, args, params)
    try:
        views = base.views
    except AttributeError:
        views = base.views = []
    if len(views) % 256 == 255:       # reads in a loop (x[i] for each row): drop the dead views
        views[:] = [ref for ref in views if ref() is not None]
    views.append(weakref.ref(view))


def refresh_views(box):
    """After a write into `box`: every live view made from it reads it again."""
    views = getattr(box, "views", None)
    if not views:
        return
    alive = [ref for ref in views if ref() is not None]
    box.views = alive
    for ref in tuple(alive):     # (reading a view again links a short-lived copy: pruned next time)
        view = ref()
        if view is not None:
            _base, op, args, params = view.view_of
            view.become(apply(op, *args, **params))
            refresh_views(view)


def link_if_view(result, op, args, params):
    """Called by the engines for each op's result box: when its array is a
    view of (or is) the array of an argument box of the same call, link it."""
    array = strip(result)
    if type(array) is not np.ndarray:
        return
    root = array if array.base is None else array.base
    for a in args:
        if isinstance(a, Box) and a.tag is result.tag:
            value = strip(a)
            if type(value) is np.ndarray and (value is root or value.base is root or value is array):
                link_view(result, a, op, args, params)
                return


def set_shape(box, shape):
    """`box.shape = shape` (CS231n's fast layers: `x_cols.shape = (C * HH * WW, -1)`):
    NumPy reshapes the array itself, refusing where that would need a copy.
    The box becomes the reshape of what it held. Where that memory has other
    observers (the box is a view, or has views), what it held takes the box's
    place among them and the box is linked as a reshape view of it, so reads
    stay right and a write into the box is refused with its rewrite."""
    np.asarray(strip(box)).view().shape = shape      # NumPy's check, and its error
    shape = np.asarray(strip(box)).view().reshape(shape).shape
    view_of = getattr(box, "view_of", None)
    moved = [ref for ref in getattr(box, "views", ()) if ref() is not None]
    if view_of is None and not moved:
        box.become(apply(RESHAPE, box, shape=shape))
        return
    held = copy.copy(box)                            # (the same value, view_of and views)
    if view_of is not None:
        base = view_of[0]
        base.views = [ref for ref in base.views if ref() is not box] + [weakref.ref(held)]
    for ref in moved:
        view = ref()
        _base, op, args, params = view.view_of
        view.view_of = (held, op, tuple(held if a is box else a for a in args), params)
    box.become(apply(RESHAPE, held, shape=shape))
    box.view_of = (held, RESHAPE, (held,), {"shape": shape})
    held.views = moved + [weakref.ref(box)]
    box.views = []


# --- NumPy's functions that write into their first argument ------------------------------
def _target(array, call):
    """The box a write function writes into; a plain array would keep only the values."""
    if isinstance(array, Box):
        return array
    where = user_location()
    raise LostDerivative(
        (f"{where}: " if where else "") + f"{call} writes differentiable values into a plain array, which keeps "
        "only their values: the derivative would be lost. Make the array one that records writes: "
        "`out = np.zeros_like(v, shape=out.shape)` (or `import modes.numpy as np` and np.zeros)")


def _cycled(values, count):
    """values.flat[k % values.size] for k < count: how np.put, np.place, np.putmask,
    np.fill_diagonal and x.flat[...] = v repeat a value shorter than what they write."""
    if isinstance(values, (list, tuple)):
        values = np.stack(values)      # (a list of differentiable values: their array)
    flat = apply(RESHAPE, values, shape=(-1,))
    size = shape_of(flat)[0]
    if size == count:
        return flat
    if size == 0:
        raise ValueError("Cannot insert from an empty array!")
    return apply(GETITEM, flat, index=(np.arange(count) % size,))


def _write_positions(target, positions, values):
    """target.flat[positions] = values (cycled), as one recorded write."""
    positions = np.asarray(positions, dtype=np.intp).ravel()
    write(target, np.unravel_index(positions, target.shape), _cycled(values, positions.size))


class Flat:
    """x.flat of a box: reading x.flat[i] reads x.ravel()[i]; x.flat[i] = v writes
    x's elements at those flat positions (v repeated where shorter, as NumPy does)."""

    def __init__(self, box):
        self.box = box

    def __getitem__(self, index):
        return apply(GETITEM, apply(RESHAPE, self.box, shape=(-1,)), index=normalize_index(index, 1))

    def __setitem__(self, index, value):
        _write_positions(self.box, np.arange(int(np.prod(self.box.shape)))[index], value)

    def __len__(self):
        return int(np.prod(self.box.shape))

    def __iter__(self):
        return (self[i] for i in range(len(self)))


@implements(np.copyto)
def copyto(dst, src, casting="same_kind", where=True):
    """dst[...] = src where the mask holds (np.copyto)."""
    dst = _target(dst, "np.copyto(dst, src)")
    if not np.can_cast(np.result_type(strip(src)), np.result_type(strip(dst)), casting=casting):
        raise TypeError(f"Cannot cast array data from {np.result_type(strip(src))!r} to "
                        f"{np.result_type(strip(dst))!r} according to the rule {casting!r}")
    mask = np.broadcast_to(np.asarray(strip(where), dtype=bool), dst.shape)
    write(dst, Ellipsis, src if mask.all() else apply(WHERE, mask, src, dst))


@implements(np.put)
def put(a, ind, v, mode="raise"):
    """a.flat[ind] = v (np.put; mode 'wrap' or 'clip' for indices out of range)."""
    a, size = _target(a, "np.put(a, ind, v)"), int(np.prod(shape_of(a)))
    ind = np.asarray(strip(ind)).ravel()
    if mode == "wrap":
        ind = ind % size
    elif mode == "clip":
        ind = np.clip(ind, 0, size - 1)
    elif np.any((ind >= size) | (ind < -size)):
        raise IndexError(f"index {ind[(ind >= size) | (ind < -size)][0]} is out of bounds for axis 0 with size {size}")
    _write_positions(a, ind % size, v)


@implements(np.place)
def place(arr, mask, vals):
    """arr[mask] = vals, vals repeated to the mask's count (np.place)."""
    arr = _target(arr, "np.place(arr, mask, vals)")
    _write_positions(arr, np.flatnonzero(np.asarray(strip(mask))), vals)


@implements(np.putmask)
def putmask(a, mask, values):
    """a.flat[n] = values.flat[n % values.size] where mask.flat[n] (np.putmask)."""
    a = _target(a, "np.putmask(a, mask, values)")
    positions = np.flatnonzero(np.broadcast_to(np.asarray(strip(mask), dtype=bool), a.shape))
    values = apply(RESHAPE, values, shape=(-1,))
    write(a, np.unravel_index(positions, a.shape),
          apply(GETITEM, values, index=(positions % shape_of(values)[0],)))


@implements(np.fill_diagonal)
def fill_diagonal(a, val, wrap=False):
    """a's main diagonal = val (np.fill_diagonal): the positions NumPy fills, replayed on a mask."""
    a = _target(a, "np.fill_diagonal(a, val)")
    marked = np.zeros(a.shape, dtype=bool)
    np.fill_diagonal(marked, True, wrap=wrap)
    _write_positions(a, np.flatnonzero(marked), val)


@implements(np.put_along_axis)
def put_along_axis(arr, indices, values, axis):
    """arr's elements at indices along axis = values: the positions np.take_along_axis
    names, replayed on positions."""
    arr = _target(arr, "np.put_along_axis(arr, indices, values, axis)")
    positions = codes_like([arr])[0]
    if axis is None:
        positions, axis = positions.ravel(), 0
    written = np.take_along_axis(positions, np.asarray(strip(indices)), axis)
    _write_positions(arr, written, broadcast_to(values, written.shape))
