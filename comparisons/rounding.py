"""How much rounding a correct float computation of a VJP may carry: a
running error analysis on our reverse engine's tape.

Why: a check's tolerance must cover the rounding of a correct computation,
and rounding is relative to the terms a result is summed from, not to the
result. A confident classifier's softmax loss shows the gap: its gradient
(p - onehot) / N has entries ~1e-15 computed from probabilities ~1, so two
correct programs differ by ~eps / N, far above eps times the entry.

Two first-order bounds (Wilkinson's running error analysis; Griewank and
Walther, Evaluating Derivatives, ch. 3), read off one recording of F:

- `magnitude`: |J|^T |u| per input element, the backward pass run on
  absolute values: each step adds |its local partial| * |cotangent| to its
  arguments. A correct VJP's rounding is a small multiple of eps times it,
  elementwise; it equals |J^T u| where nothing cancels.
- `value_rounding`: eps * sum over steps of |adjoint of the step| * |its
  value|, each intermediate's own rounding carried to the contraction
  <|u|, F>: the noise in F's values that finite differences divide by h.

A step's absolute partials come from its own VJP rule applied to |cotangent|
then made absolute, before un-broadcasting: exact for elementwise ops (one
product), linear ops (non-negative coefficients) and reductions (a product
with a partial); bilinear ops get |arguments| (the VJP multiplies by them).
Ops whose VJP sums signed terms itself (softmax) get an underestimate.
"""

from __future__ import annotations

import numpy as np

from modes import reverse
from modes.ops import strip
from modes.registry import shape_of, unbroadcast


class Rounding:
    """|J|^T |u| per input leaf (`magnitude`) and the rounding of the
    contraction <|u|, F> (`value_rounding`, in units of eps)."""

    def __init__(self, magnitude, value_rounding):
        self.magnitude, self.value_rounding = magnitude, value_rounding


def reverse_rounding(fun, cotangent):
    """The bounds for F = fun at fun.x pulled back along `cotangent` (one
    array per output leaf); None when our engine cannot record F."""
    try:
        trace = reverse.trace(lambda *xs: fun(*xs), *fun.x)
    except Exception:        # code our engine cannot record: no bounds, the defaults stand
        return None
    records = trace.records
    absolute = [None] * len(records)
    for index, u in zip(trace.outputs, cotangent):
        if index is not None:
            _add(absolute, index, np.abs(np.asarray(u, dtype=np.float64)))
    value_rounding = 0.0
    for i in range(len(records) - 1, -1, -1):
        ct = absolute[i]
        if ct is None:
            continue
        record = records[i]
        if record.op is not None:               # (inputs are given exactly)
            value_rounding += float(np.sum(ct * np.abs(_plain(record.out))))
            _pull_back(record, ct, absolute)
    magnitude = [np.zeros(np.shape(x)) if absolute[i] is None else absolute[i]
                 for i, x in zip(trace.inputs, fun.x)]
    return Rounding(magnitude, value_rounding)


def _pull_back(record, ct, absolute):
    """Add |local partial| * ct to each traced argument's entry."""
    op, args, parents, local = record.op, record.args, record.parents, record.local
    if local is not None:                       # a scalar step: its local gradients are stored
        for parent, partial in zip(parents, local):
            if parent >= 0 and partial is not None:
                _add(absolute, parent, ct * abs(partial))
        return
    values = tuple(np.abs(_plain(a)) for a in args) if op.bilinear else args
    for argnum, parent in enumerate(parents):
        if parent < 0 or argnum in op.nondiff:
            continue
        contribution = op.vjp(ct, argnum, record.out, *values, **record.params)
        if contribution is not None:
            contribution = np.abs(_plain(contribution))
            # (a sum's transpose hands back its cotangent lazily broadcast: make it x's shape)
            shape = shape_of(args[argnum])
            contribution = np.broadcast_to(contribution, np.broadcast_shapes(contribution.shape, shape))
            _add(absolute, parent, _plain(unbroadcast(contribution, shape)))


def _plain(value):
    return np.asarray(strip(value), dtype=np.float64)


def _add(absolute, index, value):
    absolute[index] = value if absolute[index] is None else absolute[index] + value
