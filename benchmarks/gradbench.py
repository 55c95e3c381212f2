"""GradBench's evals through fwdrev's GradBench tool: derivative time / primal
time per eval, in both modes (reports/gradbench/ratios.py measures; inputs as
each eval's run.py generates them, at the smallest of its default sizes).

Each ratio is the median over the eval's workloads of (median derivative time
/ median primal time), as GRADBENCH.md's published ratios are. Target: <= the
published PyTorch ratio and <= 2 x the hand-written C++ one (where published).
`python -m benchmarks --only gradbench`, or `python -m benchmarks.gradbench`.

`python -m benchmarks.gradbench --default-sizes`: every eval at all of
GradBench's default sizes, one run per function, each against GradBench's
timeout of 600 s per response. A size whose derivative took over
`--give-up` seconds ends that eval in that mode; the larger sizes are listed
as not run, with the time the measured growth predicts.
"""

import json
import math
import statistics
import sys
import time

from .suite import Row

TIMEOUT = 600.0     # seconds per response in GradBench's nightly


# the tool whose ratio the "<= 2 x" target doubles: the hand-written C++ one, except for ode, whose
# C++ gradient skips the solver (issue 20: 2 x JAX's instead)
DOUBLED = {"ode": "JAX (jit)"}


def target(name, published):
    """Reverse mode's bound for eval `name`: <= PyTorch's published ratio and
    <= 2 x the hand-written C++ one (None where neither is published)."""
    doubled, pytorch = (published[tool].get(name) for tool in (DOUBLED.get(name, "manual (C++)"), "PyTorch"))
    bounds = [bound for bound in (2 * doubled if isinstance(doubled, float) else None,
                                  pytorch if isinstance(pytorch, float) else None) if bound is not None]
    return min(bounds, default=None)


def rows(samples=5):
    """Reverse mode against its targets; forward mode (a chunked gradient, one
    direction per input) beside it, with the directions theory multiplies its
    work by."""
    from reports.gradbench import ratios
    measured = ratios.measure(ratios.workloads, ("reverse", "forward"), samples, progress=_print)
    result = []
    for mode in ("reverse", "forward"):
        for name in ratios.FUNCTIONS:
            cases = [r for r in measured if r["mode"] == mode and r["eval"] == name]
            ratio = statistics.median(r["ratio"] for r in cases)
            if mode == "reverse":
                manual, pytorch = (ratios.PUBLISHED[tool].get(name, "-") for tool in ("manual (C++)", "PyTorch"))
                note = f"published manual {manual}, PyTorch {pytorch}, JAX {ratios.PUBLISHED['JAX (jit)'].get(name, '-')}"
            else:
                reverse = statistics.median(r["ratio"] for r in measured if r["mode"] == "reverse" and r["eval"] == name)
                note = (f"theory: n passes' worth of work, n = {'; '.join(str(r['directions']) for r in cases)} "
                        f"directions; measured forward / reverse {ratio / reverse:.3g}")
            primal_name, derivative_name = ratios.FUNCTIONS[name]
            result.append(Row("gradbench", f"{name} {derivative_name} ({mode})", f"{name} {primal_name}", ratio,
                              target(name, ratios.PUBLISHED) if mode == "reverse" else None,
                              statistics.median(r["derivative"] for r in cases),
                              statistics.median(r["primal"] for r in cases), "s", samples,
                              f"median over {'; '.join(r['workload'] for r in cases)}; {note}"))
    return result


def _print(row):
    print(f"  {row['mode']:7} {row['eval']:6} {row['workload']:32} primal {row['primal'] * 1e3:10.3f} ms  "
          f"{row['function']} {row['derivative'] * 1e3:12.3f} ms  ratio {row['ratio']:9.1f}", flush=True)


def default_sizes(give_up=60.0, modes=("forward", "reverse"), evals=None, out=sys.stdout):
    """Every eval at GradBench's default sizes: one JSON line per (mode, eval,
    workload) with primal and derivative seconds (primal: median of 3 runs,
    derivative: one), whether the derivative is within GradBench's timeout, or
    why a size was not run and the seconds its growth predicts."""
    from reports.gradbench import ratios
    sizes = {name: ratios.DEFAULT_SIZES[name] for name in evals or ratios.DEFAULT_SIZES}

    def report(row):
        if not math.isnan(row["derivative"]):
            row["within_timeout"] = row["derivative"] < TIMEOUT
        print(json.dumps(row), file=out, flush=True)
    ratios.measure(lambda: ratios.workloads(sizes), modes, samples=3, progress=report, give_up=give_up)


if __name__ == "__main__":
    from . import blas
    blas.pin_one_thread()
    if "--default-sizes" in sys.argv:
        evals = [a for a in sys.argv[1:] if not a.startswith("--")] or None
        default_sizes(evals=evals)
    else:
        from .output import table
        start = time.perf_counter()
        print(table(rows()))
        print(f"{time.perf_counter() - start:.0f} s")
