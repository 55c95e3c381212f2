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

Cost: a write reuses the buffer's memory when nothing else can see it (no
other reference to the array, no view of it, not saved by a tape): k writes
into an n-element buffer cost O(k + n). Otherwise it copies once (copy on
write) and owns the copy from then on.
"""

import weakref

import numpy as np

from .errors import LostDerivative, UnsupportedFunction, user_location
from .ops.update import SETITEM, written_region
from .ops.shape import GETITEM, broadcast_to, normalize_index, scatter_add
from .registry import Box, apply, shape_of, strip


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
