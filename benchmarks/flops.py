"""Cost-model flops of a reverse gradient relative to the function itself.

Theory (Griewank's cheap gradient principle) bounds the operations of a
reverse-mode gradient, forward sweep included, by a small constant times
those of f (c < 6, typically 2-3); DESIGN.md asks for <= 4 on every workload.
The counts come from the registry's cost model (`modes.count_flops`), so they
are deterministic: no timing, no noise.

How f is counted: plain NumPy code on plain arrays never reaches the
registry (count_flops around f(x) sees nothing), so f's flops are those of
recording it (`reverse.vjp`), which runs each primitive through the registry
once. "The gradient" is that recording plus one backward pass: for a scalar f
exactly reverse.grad; for f: R^n -> R^m one VJP (the gradient of <1, f>).
"""

import numpy as np

import modes
from modes import reverse

from .suite import Row

TARGET = 4.0


def flop_counts(f, x):
    """(flops of f, flops of the backward pass, the ops of f whose cost model
    misses part of their work), all at x."""
    with modes.count_flops() as primal:
        out, pullback = reverse.vjp(f, x)
    seed = np.ones_like(out) if isinstance(out, np.ndarray) else 1.0
    with modes.count_flops() as backward:
        pullback(seed)
    return primal.total, backward.total, primal.partial


def ratio(f, x):
    primal, backward, _partial = flop_counts(f, x)
    return (primal + backward) / primal


def rows(cases):
    """One row per workload: its worst ratio over the dimensions given."""
    worst = {}
    for case in cases:
        primal, backward, partial = flop_counts(case.f, case.x)
        entry = ((primal + backward) / primal, case.dim, primal, backward, partial)
        if case.workload not in worst or entry[0] > worst[case.workload][0]:
            worst[case.workload] = entry
    result = []
    for workload, (value, dim, primal, backward, partial) in worst.items():
        dims = sorted(c.dim for c in cases if c.workload == workload)
        note = f"dim {dim}" + (f" (worst of {','.join(map(str, dims))})" if len(dims) > 1 else "")
        met = None
        if backward == 0:     # no real gradient is free: some route went uncounted
            note, met = note + "; backward pass counted 0 flops", "?"
        if partial:           # f's count is a lower bound: the ratio says nothing
            note, met = note + f"; f's count misses the work of {', '.join(sorted(partial))} (compare by time)", "?"
        result.append(Row("flops", f"grad({workload})", workload, value, TARGET,
                          primal + backward, primal, "flops", 0, note, met))
    return result
