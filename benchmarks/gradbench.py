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


def rows(samples=5):
    from reports.gradbench import ratios
    result = []
    measured = ratios.measure(ratios.workloads, ("reverse", "forward"), samples, progress=_print)
    for mode in ("reverse", "forward"):
        for name in ratios.FUNCTIONS:
            cases = [r for r in measured if r["mode"] == mode and r["eval"] == name]
            manual, pytorch = (ratios.PUBLISHED[tool].get(name) for tool in ("manual (C++)", "PyTorch"))
            targets = [t for t in (2 * manual if isinstance(manual, float) else None,
                                   pytorch if isinstance(pytorch, float) else None) if t is not None]
            primal_name, derivative_name = ratios.FUNCTIONS[name]
            result.append(Row("gradbench", f"{name} {derivative_name} ({mode})", f"{name} {primal_name}",
                              statistics.median(r["ratio"] for r in cases), min(targets, default=None),
                              statistics.median(r["derivative"] for r in cases),
                              statistics.median(r["primal"] for r in cases), "s", samples,
                              f"median over {'; '.join(r['workload'] for r in cases)}; published manual "
                              f"{manual if manual is not None else '-'}, PyTorch {pytorch if pytorch is not None else '-'}"))
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
