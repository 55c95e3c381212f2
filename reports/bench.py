"""The measuring harness: one tidy row per (workload, method, dimension).

What is measured, and why each measure is there:
- wall time: a warm-up call, then repeats of `number` calls each, `number`
  sized like timeit's autorange (1, 2, 5, 10, ... until a repeat lasts
  `target` seconds); the median per call, with the min and max over repeats
  as the spread. Times on a shared machine are noisy, so they are evidence of
  scale, not of small differences;
- operation counts: flops from the op registry's cost model, summed over
  every primitive our engines evaluate (rule computations included). They are
  deterministic and machine-independent: the cleanest evidence of the theory.
  For finite differences: the number of f evaluations times f's flops. JAX
  runs its own primitives, which our cost model does not see (NaN);
- memory: the peak of Python-traced allocations (tracemalloc sees NumPy's
  buffers, not XLA's) during one call, and, for reverse mode, the bytes of the
  arrays the tape keeps for the backward pass;
- accuracy: max |J - J_ref| / max |J_ref| against JAX's Jacobian of the same
  program (a norm-wise relative error: entries that are exactly 0 do not make
  it blow up).

A method whose call exceeds the time budget is measured once, marked
`over-budget`, and not run at larger dimensions (rows marked `skipped`); a
method whose time, extrapolated from the sizes before, would exceed several
budgets is skipped without being run.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np

import modes
from modes import reverse

from .methods import jax_reference

COLUMNS = ["workload", "method", "family", "engine", "dim", "n_inputs", "n_outputs", "seconds",
           "seconds_min", "seconds_max", "repeats", "number", "ratio_to_f", "flops", "flops_ratio",
           "f_calls", "peak_bytes", "tape_bytes", "max_rel_error", "status", "note"]


@dataclass(frozen=True)
class Settings:
    budget: float = 0.5      # seconds per call; beyond it larger dimensions are skipped
    target: float = 0.01     # seconds per timing repeat (timeit's autorange uses 0.2)
    repeats: int = 3
    memory: bool = True


QUICK = Settings()
TRACE_SLOWDOWN = 5
FULL = Settings(budget=10.0, target=0.2, repeats=5)


def autorange(thunk, target):
    """timeit.Timer.autorange with our target: the number of calls (1, 2, 5,
    10, 20, 50, ...) that makes one repeat last at least `target` seconds."""
    i = 1
    while True:
        for number in (i, 2 * i, 5 * i):
            elapsed = _time(thunk, number)
            if elapsed >= target:
                return number, elapsed
        i *= 10


def _time(thunk, number):
    start = time.perf_counter()
    for _ in range(number):
        thunk()
    return time.perf_counter() - start


def time_thunk(thunk, settings, guide):
    """Median, min and max seconds per call, repeats and number. `guide` is
    one call's time: a slow method is timed call by call, and its repeats stop
    before they would exceed the budget."""
    if guide > settings.target:
        number, samples = 1, [guide]
    else:
        number, elapsed = autorange(thunk, settings.target)
        samples = [elapsed / number]
    spent = sum(samples) * number
    while len(samples) < settings.repeats and spent + samples[-1] * number <= settings.budget:
        samples.append(_time(thunk, number) / number)
        spent += samples[-1] * number
    return statistics.median(samples), min(samples), max(samples), len(samples), number


class traced_peak:
    """Peak Python-traced bytes allocated inside the block (NumPy's buffers
    included), in `.bytes`; NaN when disabled."""

    def __init__(self, enabled=True):
        self.enabled, self.bytes, self.started = enabled, math.nan, False

    def __enter__(self):
        if self.enabled:
            self.started = not tracemalloc.is_tracing()
            if self.started:
                tracemalloc.start()
            tracemalloc.reset_peak()
            self.base = tracemalloc.get_traced_memory()[0]
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self.bytes = tracemalloc.get_traced_memory()[1] - self.base
            if self.started:
                tracemalloc.stop()


class CountingF:
    """f with a call counter (finite differences: flops = calls x f's flops)."""

    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, x):
        self.calls += 1
        return self.f(x)


def primal_flops(instance):
    """f's flops by the cost model: counted while the tape records f (every
    operation that depends on x; constants built inside f are not counted).
    NaN where the cost model misses part of f's work (odeint's solver)."""
    with modes.count_flops() as counter:
        reverse.vjp(instance.f, instance.x)
    return math.nan if counter.partial else counter.total


def tape_bytes(instance, method, cache):
    """Bytes the reverse tape keeps for the backward pass (once per tape)."""
    if method.engine != "fwdrev" or method.family != "reverse":
        return math.nan
    key = "checkpointed" if method.name == "reverse-checkpoint" else "plain"
    if key not in cache:
        f = instance.f_checkpointed if key == "checkpointed" else instance.f
        cache[key] = reverse.trace(f, instance.x).saved_bytes()
    return cache[key]


def relative_error(value, reference):
    if reference is None or value is None or np.shape(value) != np.shape(reference):
        return math.nan
    scale = np.max(np.abs(reference))
    return float(np.max(np.abs(value - reference)) / (scale if scale > 0 else 1.0))


def measure(method, instance, settings, f_flops, tape_cache):
    """One cell: the derivative (for accuracy), flops, memory, time. Returns
    (row fields, the derivative or None)."""
    counting = CountingF(instance.f)
    counted_instance = dataclasses.replace(instance, f=counting)
    row = dict(f_calls=math.nan, flops=math.nan, peak_bytes=math.nan, tape_bytes=math.nan,
               status="ok", note="")
    try:
        thunk = method.prepare(instance)
        counted = method.prepare(counted_instance)
        start = time.perf_counter()
        with modes.count_flops() as counter:
            value = counted()          # the warm-up call (JAX compiles for new shapes here)
        first = time.perf_counter() - start
        if method.engine == "jax" or first > settings.budget:
            # JAX: time a call without compilation; others: one retry, so
            # that a hiccup of a shared machine does not stop a method
            first = min(first, _time(thunk, 1)) if method.engine != "jax" else _time(thunk, 1)
    except Exception as error:         # a method may refuse (the complex step on non-analytic f)
        row.update(status="error", note=f"{type(error).__name__}: {error}"[:200])
        return row, None
    row["f_calls"] = counting.calls
    if method.engine in ("fwdrev", "numpy"):
        row["flops"] = (math.nan if counter.partial else counter.total) if method.engine == "fwdrev" else f_flops
    elif method.engine == "fd":
        row["flops"] = counting.calls * f_flops
    row["tape_bytes"] = tape_bytes(instance, method, tape_cache)
    if first > settings.budget:
        row.update(seconds=first, seconds_min=first, seconds_max=first, repeats=1, number=1,
                   status="over-budget", note=f"one call took {first:.2f} s > budget {settings.budget:g} s")
        return row, value
    # tracemalloc slows Python-heavy code about 5x: trace only calls that stay
    # within the budget; XLA's buffers are invisible to it anyway
    if settings.memory and method.engine != "jax" and first * TRACE_SLOWDOWN <= settings.budget:
        with traced_peak() as peak:
            thunk()
        row["peak_bytes"] = peak.bytes
    seconds, low, high, repeats, number = time_thunk(thunk, settings, first)
    row.update(seconds=seconds, seconds_min=low, seconds_max=high, repeats=repeats, number=number)
    return row, value


class Sweep:
    """What one workload's sweep remembers from size to size: the methods that
    went over budget, and each method's last measured time, from which the
    next size's time is predicted (a method predicted far over budget is not
    run at all: the report does not wait for it)."""

    def __init__(self):
        self.stopped: set[str] = set()
        self.history: dict[str, list] = {}

    def predict(self, method, dim):
        """Seconds expected at `dim`, extrapolating the last two sizes in
        log-log (slope at least 1: no method gets cheaper as sizes grow)."""
        points = self.history.get(method, [])
        if not points:
            return 0.0
        (d1, t1) = points[-1]
        slope = 1.0
        if len(points) >= 2:
            (d0, t0) = points[-2]
            if d1 > d0 and t0 > 0:
                slope = max(1.0, math.log(t1 / t0) / math.log(d1 / d0))
        return t1 * (dim / d1) ** slope

    def record(self, method, dim, fields):
        if fields["status"] == "over-budget":
            self.stopped.add(method)
        if np.isfinite(fields.get("seconds", math.nan)):
            self.history.setdefault(method, []).append((dim, fields["seconds"]))


PREDICTED_SLACK = 4   # skip a method predicted to take this many budgets per call


def run_instance(workload, instance, methods, settings, sweep, progress=None):
    """All applicable methods on one instance, as rows. `sweep` (a `Sweep`)
    carries the budget decisions across sizes and is updated.
    `progress(method_name)` is called as each method starts."""
    f_flops = primal_flops(instance)
    results, values, tape_cache = {}, {}, {}
    for method in methods:
        if not method.applies(workload, instance):
            continue
        if progress:
            progress(method.name)
        predicted = sweep.predict(method.name, instance.dim)
        if method.name in sweep.stopped:
            results[method] = dict(status="skipped", note="over budget at a smaller dimension")
            continue
        if predicted > PREDICTED_SLACK * settings.budget:
            results[method] = dict(status="skipped", note=f"predicted {predicted:.1f} s per call, "
                                                          f"over {PREDICTED_SLACK} x the budget")
            sweep.stopped.add(method.name)
            continue
        results[method], values[method.name] = measure(method, instance, settings, f_flops, tape_cache)
        sweep.record(method.name, instance.dim, results[method])
    reference = _reference(instance, values, sweep.stopped)
    primal_seconds = next((r.get("seconds", math.nan) for m, r in results.items() if m.name == "primal"),
                          math.nan)
    rows = []
    for method, fields in results.items():
        row = dict.fromkeys(COLUMNS, math.nan)
        row.update(workload=workload.name, method=method.name, family=method.family,
                   engine=method.engine, dim=instance.dim, n_inputs=instance.n_inputs,
                   n_outputs=instance.n_outputs, **fields)
        row["ratio_to_f"] = row["seconds"] / primal_seconds
        row["flops_ratio"] = row["flops"] / f_flops if f_flops else math.nan
        if method.name != "primal":
            row["max_rel_error"] = relative_error(values.get(method.name), reference)
        rows.append(row)
    return rows


def _reference(instance, values, stopped):
    """JAX's Jacobian of the same program: reuse the JAX method that computed
    it (jacrev when outputs are fewer, else jacfwd); otherwise compute it
    eagerly, unless that method already went over budget."""
    preferred = "jax-jacrev" if instance.n_outputs <= instance.n_inputs else "jax-jacfwd"
    for name in (preferred, preferred + "-jit"):
        if values.get(name) is not None:
            return values[name]
    if preferred in stopped:
        return None
    try:
        return jax_reference(instance)
    except Exception:
        return None
