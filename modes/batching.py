"""Batched (co)tangents: many directions through one rule application.

Forward mode's chunked tangents have shape (K, *primal.shape) and reverse
mode's batched cotangents (m, *out.shape): K columns or m rows of a Jacobian
per pass (why chunks: one pass of Python overhead serves K directions, and
NumPy does the K-fold arithmetic in C).

Rules are written for one direction. While a rule runs, each batched value is
wrapped in `Batched`, whose `.shape` is the logical (per-direction) shape;
when a registry op meets one, `Batched.lift` applies the op with the batch as
an extra leading axis, once, here, for every op:
  - elementwise ops: batched arguments get singleton axes after the batch
    axis, so NumPy broadcasting lines them up;
  - other ops: their record's `batch(args, flags, **params)` rule (shift the
    axis, prepend to the shape, ...);
  - an op without one: a loop over the batch (correct, slow).
"""

import math

from .numpy_dispatch import ArrayInterface
from .registry import apply, shape_of
from .ops.shape import align_batched, stack


class _BatchTag:
    """Batched values are handled before any transformation: they only exist
    inside one rule application and hold values of lower tags."""
    level = math.inf
    alive = True


class Batched(ArrayInterface):
    __slots__ = ("value",)
    tag = _BatchTag

    def __init__(self, value):
        self.value = value           # shape (batch, *logical shape)

    @property
    def shape(self):
        return shape_of(self.value)[1:]

    def plain_value(self):
        return self.value

    def lift(self, op, args, params):
        flags = [isinstance(a, Batched) for a in args]
        raw = [a.value if f else a for a, f in zip(args, flags)]
        if op.elementwise:
            ndim = max(len(shape_of(a)) for a in args)
            out = apply(op, *[align_batched(r, ndim) if f else r for r, f in zip(raw, flags)], **params)
        elif op.batch is not None:
            out = op.batch(raw, flags, **params)
        else:
            size = shape_of(raw[flags.index(True)])[0]
            out = stack([apply(op, *[r[k] if f else r for r, f in zip(raw, flags)], **params)
                         for k in range(size)])
        return Batched(out)


def unbatched(value, size):
    """The raw (batch, ...) array of a rule's result."""
    if isinstance(value, Batched):
        return value.value
    from .ops.shape import broadcast_to
    return broadcast_to(value, (size,) + shape_of(value))
