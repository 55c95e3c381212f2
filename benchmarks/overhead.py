"""The reverse engine's bookkeeping per recorded op: the cost no NumPy kernel
hides.

A chain of K multiplies of a one-element array, reverse.grad against the plain
chain: (grad - plain) / K is what the engine spends to record one op and walk
it back (the box, the record, the rule call, the accumulation). It is the
floor of every program made of many small ops: ops x this / primal time is the
ratio the bookkeeping alone adds (the write loop's seven ops per element
write; GradBench's lstm, whose ops work on 14-element vectors). A reference
row: measured, no target.
"""

import numpy as np

from . import suite
from .suite import Benchmark, Pair

K = 200
FACTOR = 1.0000001


def chain(x):
    for _ in range(K):
        x = x * FACTOR
    return np.sum(x)


def build():
    from modes import reverse
    x = np.ones(1)
    ours = reverse.grad(chain)
    contenders = {
        "plain chain": lambda: chain(x),
        "reverse.grad": lambda: ours(x),
        "closed form": lambda: np.full(1, FACTOR ** K),      # d/dx of x * FACTOR^K
    }
    return [Benchmark("overhead", contenders, "closed form", [Pair("reverse.grad", "plain chain")],
                      rtol=1e-12, note=f"{K} multiplies of a 1-element array", primal_only=("plain chain",))]


def rows(samples):
    """The timed row, its note saying the bookkeeping per op in microseconds."""
    (benchmark,) = build()
    suite.check(benchmark)
    (row,) = suite.measure(benchmark, samples)
    row.note += f"; bookkeeping per op (record + backward): {(row.contender_value - row.baseline_value) / K * 1e6:.1f} us"
    return [row]
