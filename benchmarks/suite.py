"""What a timed benchmark is, and how one runs: check, then measure pairs.

A `Benchmark` is a set of contenders (zero-argument callables that each
compute the same derivative their own way) and the pairs to time against each
other. Contenders are closures over prepared inputs, so the timings hold only
the differentiation call, not data preparation or conversion.
"""

import contextlib
from dataclasses import dataclass

import numpy as np

from . import timing


@dataclass
class Pair:
    """time(contender) / time(baseline); `target` is the DESIGN.md bound on
    that ratio, None for a reference row (measured for context only)."""
    contender: str
    baseline: str
    target: float | None = None


@dataclass
class Benchmark:
    name: str
    contenders: dict            # label -> zero-argument callable
    reference: str              # label whose result the others must match
    pairs: list
    rtol: float = 1e-7
    note: str = ""
    primal_only: tuple = ()     # labels that compute f itself (a baseline), not checked


@dataclass
class Row:
    """One line of the table and the CSV. `unit` is "s" (the values are
    median seconds per call) or "flops" (cost-model counts); the faults are
    median minor page faults per call (None: not timed, or not counted)."""
    benchmark: str
    contender: str
    baseline: str
    ratio: float
    target: float | None
    contender_value: float
    baseline_value: float
    unit: str = "s"
    samples: int = 0
    note: str = ""
    met: str | None = None      # "yes" / "no" / "-" (no target) unless given, e.g. "?"
    contender_faults: float | None = None
    baseline_faults: float | None = None

    def __post_init__(self):
        if self.met is None:
            self.met = "-" if self.target is None else ("yes" if self.ratio <= self.target else "no")


class MismatchError(AssertionError):
    pass


def leaves(result):
    """A contender's result as a flat list of float arrays: dicts in key
    order (JAX sorts them), lists and tuples in order."""
    if isinstance(result, dict):
        return [leaf for key in sorted(result) for leaf in leaves(result[key])]
    if isinstance(result, (list, tuple)):
        return [leaf for item in result for leaf in leaves(item)]
    return [np.asarray(result, dtype=np.float64)]


def check(benchmark):
    """Run every contender once; raise MismatchError unless all agree with
    the reference to `rtol`, relative to each output's largest entry (the
    gradients here are small: an absolute tolerance would let errors pass)."""
    expected = leaves(benchmark.contenders[benchmark.reference]())
    for label, fn in benchmark.contenders.items():
        if label in benchmark.primal_only:
            continue
        got = leaves(fn())
        if [g.shape for g in got] != [e.shape for e in expected]:
            raise MismatchError(f"{benchmark.name}: {label} returned shapes {[g.shape for g in got]}, "
                                f"{benchmark.reference} {[e.shape for e in expected]}")
        for k, (g, e) in enumerate(zip(got, expected)):
            scale = float(np.max(np.abs(e), initial=0.0)) or 1.0
            error = float(np.max(np.abs(g - e), initial=0.0)) / scale
            if not error <= benchmark.rtol:
                raise MismatchError(f"{benchmark.name}: {label} differs from {benchmark.reference} "
                                    f"in output leaf {k}: relative error {error:.3g} > {benchmark.rtol:g}")


def measure(benchmark, samples):
    """The rows of a checked benchmark: one interleaved comparison per pair."""
    rows = []
    for pair in benchmark.pairs:
        result = timing.compare(benchmark.contenders[pair.contender],
                                benchmark.contenders[pair.baseline], samples)
        rows.append(Row(benchmark.name, pair.contender, pair.baseline, result.ratio, pair.target,
                        result.seconds_a, result.seconds_b, "s", result.samples, benchmark.note,
                        contender_faults=result.faults_a, baseline_faults=result.faults_b))
    return rows


@contextlib.contextmanager
def jax_float64():
    """JAX in float64 for the duration of a benchmark only (our engine and
    the hand-written code run in float64; other code keeps JAX's default)."""
    import jax
    with jax.enable_x64(True):
        yield


def block(result):
    """Wait for JAX's asynchronous dispatch so the time covers the work."""
    import jax
    return jax.block_until_ready(result)
