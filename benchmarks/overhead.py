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


def floors(per_op_seconds, out=print):
    """For each GradBench program at its smallest default size and the write
    loop: the registry primitives one primal call runs (each one recorded op
    under reverse mode), its time, and the derivative / primal ratio the
    bookkeeping alone implies, 1 + ops x per_op / primal (before any of the
    backward pass's NumPy work). `python -m benchmarks.overhead`."""
    import statistics
    import time

    import modes
    from modes import reverse
    from reports.gradbench import programs, ratios
    from reports.gradbench.derivatives import derivatives

    from . import write_loop

    def measure(label, f, args):
        floats = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]

        def of_floats(*values):
            full = list(args)
            for i, value in zip(floats, values):
                full[i] = value
            return f(*full)
        with modes.count_flops() as counted:      # every primitive recorded passes the counter once
            reverse.vjp(of_floats, *[args[i] for i in floats])
        times = []
        for _ in range(7):
            start = time.perf_counter()
            f(*args)
            times.append(time.perf_counter() - start)
        primal = statistics.median(times)
        out(f"{label:40} {counted.calls:8,d} ops  primal {primal * 1e6:10.1f} us  "
            f"{primal / counted.calls * 1e6:6.2f} us of NumPy per op  floor {1 + counted.calls * per_op_seconds / primal:6.2f}")

    d = derivatives("reverse")
    for name, cases in ratios.workloads().items():
        _size, description, input = next(iter(cases))
        functions = programs.load(name).functions(d)
        primal = functions[ratios.FUNCTIONS[name][0]]
        measure(f"GradBench {name} {description}", primal.compute, primal.prepare(input))
    rng = np.random.default_rng(0)
    measure("write loop (naive conv)", write_loop.loss,
            [rng.standard_normal(write_loop.SHAPES[k]) for k in ("x", "w", "b")])


if __name__ == "__main__":
    from . import blas
    blas.pin_one_thread()
    (row,) = rows(samples=21)
    print(f"{row.note}")
    floors((row.contender_value - row.baseline_value) / K)
