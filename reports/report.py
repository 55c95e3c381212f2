"""`fwdrev report`: measure every (workload, method, dimension), then analyse,
plot and write index.html, summary.md and results.csv.

The analysis turns the tidy table into the claims a reader wants checked:
fitted log-log slopes of operation counts against the theory, where forward
and reverse mode cross on tanh-wide / tanh-tall, and what checkpointing does
to the recurrence's tape. `render.py` puts them into words.
"""

from __future__ import annotations

import math
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import plots, render
from .bench import COLUMNS, FULL, QUICK, Sweep, run_instance
from .methods import DEFAULT_METHODS, METHODS
from .workloads import WORKLOADS

SEED = 20240531


@dataclass
class Options:
    out: Path = Path("fwdrev-report")
    mode: str = "quick"                        # "quick" | "full"
    workloads: tuple[str, ...] = ()            # () = all
    methods: tuple[str, ...] = ()              # () = the defaults (+ jit variants with jit)
    max_dim: int | None = None
    jit: bool = False
    progress: bool = True
    gradbench: bool | None = None              # the GradBench section; None: when every workload runs


@dataclass
class Report:
    results: pd.DataFrame
    slopes: pd.DataFrame
    crossovers: list
    fd_studies: dict
    figures: list = field(default_factory=list)     # (title, path, caption)
    gradbench: list | None = None                   # reports.gradbench.ratios.measure's rows
    seconds: float = 0.0
    options: Options | None = None


# ---------------------------------------------------------------------------
# Choosing what to run

def select(options):
    unknown = [w for w in options.workloads if w not in WORKLOADS]
    unknown += [m for m in options.methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown workload or method: {', '.join(unknown)}; workloads: "
                         f"{', '.join(WORKLOADS)}; methods: {', '.join(METHODS)}")
    workloads = [WORKLOADS[w] for w in (options.workloads or WORKLOADS)]
    names = options.methods or DEFAULT_METHODS + (("jax-jacfwd-jit", "jax-jacrev-jit") if options.jit else ())
    names = ("primal",) + tuple(n for n in names if n != "primal")   # f is the unit of cost
    methods = [METHODS[n] for n in METHODS if n in names]
    cap = options.max_dim
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, (int, np.integer)) or cap < 1):
        raise ValueError(f"--max-dim: expected a positive integer, got {cap!r}")
    plan, too_small = [], []
    for workload in workloads:
        dims = list(workload.full if options.mode == "full" else workload.quick)
        if cap is not None:
            dims, smallest = capped_dims(workload, dims, cap)
            if not dims:
                too_small.append(f"{workload.name} ({smallest:,})")
                continue
        plan.append((workload, dims))
    if too_small:
        raise ValueError(f"--max-dim {cap:,} is below the smallest size of " + ", ".join(too_small)
                         + ": raise --max-dim, or leave such workloads out with --workload")
    return plan, methods


def _size_of(workload, dim):
    """The swept dimension `workload.make(dim)` actually builds (a family may
    round a requested size to its nearest member)."""
    return workload.make(dim, np.random.default_rng(0)).dim


def valid_size(workload, dim):
    """Whether `dim` is a member of the workload's family (det-minors: a
    square; mlp and gmm: whole hidden units / components; ...)."""
    return dim >= 1 and _size_of(workload, dim) == dim


def largest_valid_size(workload, cap, floor=1):
    """The largest member of the family that is <= cap (None if none >= floor)."""
    for dim in range(cap, max(floor, 1) - 1, -1):
        if valid_size(workload, dim):
            return dim
    return None


def smallest_valid_size(workload):
    """The smallest member of the family (at most the smallest listed size)."""
    listed = min(workload.quick + workload.full)
    return next((d for d in range(1, listed) if valid_size(workload, d)), listed)


def capped_dims(workload, dims, cap):
    """The sizes to run under --max-dim `cap`: the listed sizes <= cap, plus
    the largest valid size <= cap when it lies above them and below the
    largest listed size (so that the cap itself is measured, snapped down to a
    member of the family). Returns (dims, smallest valid size); dims is empty
    when even the smallest valid size exceeds the cap."""
    kept = [d for d in dims if d <= cap]
    if cap >= max(dims):
        return kept, None
    top = largest_valid_size(workload, cap, floor=max(kept, default=0) + 1)
    if top is not None:
        kept.append(top)
    return kept, (None if kept else smallest_valid_size(workload))


class Progress:
    """A one-line progress bar on stderr (a line per instance when stderr is
    not a terminal, so that logs stay readable)."""

    def __init__(self, total, enabled=True, stream=sys.stderr):
        self.total, self.done, self.enabled, self.stream = total, 0, enabled, stream
        self.tty = enabled and stream.isatty()
        self.start = time.perf_counter()
        self.where = ""

    def instance(self, workload, dim):
        self.where = f"{workload.name} {workload.dim_label.split()[0]}={dim}"
        if self.enabled and not self.tty:
            print(f"[{self.done:>4}/{self.total}] {self.where}", file=self.stream, flush=True)

    def step(self, method):
        """Called as `method` starts on the current instance."""
        if self.tty:
            width = 24
            filled = int(width * self.done / max(self.total, 1))
            elapsed = time.perf_counter() - self.start
            line = (f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                    f"{elapsed:5.0f}s  {self.where}  {method}")
            print(f"{line:<100}", end="", file=self.stream, flush=True)
        self.done += 1

    def close(self, message):
        if self.enabled:
            print(("\r" if self.tty else "") + f"{message:<100}", file=self.stream, flush=True)


# ---------------------------------------------------------------------------
# Measuring

def measure(plan, methods, settings, progress):
    rows = []
    for workload, dims in plan:
        sweep = Sweep()
        for dim in dims:
            rng = np.random.default_rng([SEED, dim, sum(map(ord, workload.name))])
            instance = workload.make(dim, rng)
            progress.instance(workload, instance.dim)
            rows += run_instance(workload, instance, methods, settings, sweep, progress.step)
    return pd.DataFrame(rows, columns=COLUMNS)


def count_cells(plan, methods):
    total = 0
    for workload, dims in plan:
        instance = workload.make(dims[0], np.random.default_rng(0))
        total += len(dims) * sum(m.applies(workload, instance) for m in methods)
    return total


# ---------------------------------------------------------------------------
# Analysis

def fit_slope(x, y):
    """Least-squares slope of log y against log x (NaN with < 2 points)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if keep.sum() < 2 or np.ptp(np.log(x[keep])) == 0:
        return math.nan
    return float(np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)[0])


def fit_slopes(results, plan, methods):
    """Per (workload, method): fitted log-log slopes of operations, of
    operations relative to f, and of time, against the swept dimension, with
    the theory's exponents."""
    rows = []
    for workload, _ in plan:
        for method in methods:
            sub = results[(results.workload == workload.name) & (results.method == method.name)
                          & results.status.isin(plots.MEASURED)]
            if sub.empty:
                continue
            family = "primal" if method.family == "primal" else method.family
            rows.append(dict(
                workload=workload.name, method=method.name, family=family,
                dims=f"{sub.dim.min()}-{sub.dim.max()}", points=len(sub),
                flops_slope=fit_slope(sub.dim, sub.flops), flops_theory=workload.theory_slope(family),
                ratio_slope=fit_slope(sub.dim, sub.flops_ratio) if method.name != "primal" else math.nan,
                ratio_theory=workload.passes.get(family, 0.0) if method.name != "primal" else math.nan,
                time_slope=fit_slope(sub.dim, sub.seconds)))
    return pd.DataFrame(rows, columns=["workload", "method", "family", "dims", "points", "flops_slope",
                                       "flops_theory", "ratio_slope", "ratio_theory", "time_slope"])


def crossing(dims, a, b):
    """Where log(a / b) changes sign, interpolated in log-log; None if never."""
    r = np.log(np.asarray(a, float) / np.asarray(b, float))
    d = np.log(np.asarray(dims, float))
    for i in range(len(r) - 1):
        if not (np.isfinite(r[i]) and np.isfinite(r[i + 1])) or r[i] == r[i + 1] == 0:
            continue
        if r[i] == 0:                           # a tie at a measured size
            return float(dims[i])
        if r[i] * r[i + 1] <= 0:
            return float(np.exp(d[i] + (d[i + 1] - d[i]) * r[i] / (r[i] - r[i + 1])))
    return None


PAIRS = {"forward/reverse": ("forward", "reverse"),
         "chunked/batched": ("forward-chunked", "reverse-batched"),
         "jax": ("jax-jacfwd", "jax-jacrev")}


def find_crossovers(results, plan):
    """For the crossover workloads: where forward and reverse mode trade
    places, in time and in operations, for each comparable pair of methods."""
    found = []
    for workload, _ in plan:
        if "crossover" not in workload.tags:
            continue
        rows = results[(results.workload == workload.name) & results.status.isin(plots.MEASURED)]
        for pair, (fwd, rev) in PAIRS.items():
            for metric in ("seconds", "flops"):
                a = rows[rows.method == fwd].set_index("dim")[metric]
                b = rows[rows.method == rev].set_index("dim")[metric]
                common = sorted(set(a.dropna().index) & set(b.dropna().index))
                if len(common) < 2:
                    continue
                at = crossing(common, a[common], b[common])
                last = a[common[-1]] < b[common[-1]]
                first = a[common[0]] < b[common[0]]
                found.append(dict(workload=workload.name, pair=pair, metric=metric, at=at,
                                  dims=common, winner_above="forward" if last else "reverse",
                                  winner_below="forward" if first else "reverse",
                                  ratio_at_max=float(a[common[-1]] / b[common[-1]]),
                                  **per_pass_costs(rows, fwd, rev)))
    return found


def per_pass_costs(rows, fwd, rev):
    """Measured operations per pass, in units of f (forward: per input
    direction, reverse: per output row), and the crossing they predict:
    where c_fwd n_inputs = c_rev n_outputs."""
    a, b = rows[rows.method == fwd], rows[rows.method == rev]
    grows_inputs = rows.n_inputs.nunique() > 1
    fixed = int(rows.n_outputs.iloc[0] if grows_inputs else rows.n_inputs.iloc[0])
    if a.empty or b.empty or not np.isfinite(a.flops_ratio).all() or not np.isfinite(b.flops_ratio).all():
        return dict(c_forward=None, c_reverse=None, predicted=None, fixed=fixed)
    c_forward = float(np.median(a.flops_ratio / a.n_inputs))
    c_reverse = float(np.median(b.flops_ratio / b.n_outputs))
    predicted = fixed * (c_reverse / c_forward if grows_inputs else c_forward / c_reverse)
    return dict(c_forward=c_forward, c_reverse=c_reverse, predicted=predicted, fixed=fixed)


def fd_studies(plan):
    """The finite-difference step study on two small workloads, the exact
    J v coming from forward mode."""
    from comparisons import finite_diff
    from modes import forward
    studies = {}
    wanted = [w for w, _ in plan if w.name in ("rosenbrock", "tanh-wide")] or \
             [w for w, _ in plan if w.analytic][:1]
    for workload in wanted:
        instance = workload.make(16, np.random.default_rng(SEED))
        v = np.random.default_rng(SEED + 1).normal(size=instance.n_inputs)
        exact = forward.jvp(instance.f, (instance.x,), (v,))[1]
        methods = [m for m in finite_diff.METHODS if workload.analytic or m != "complex-step"]
        table = finite_diff.step_study(instance.f, instance.x, v, exact, methods,
                                       steps=np.logspace(-16, -1, 31))
        table["relative_error"] = table.error / np.max(np.abs(exact))
        studies[f"{workload.name} (n = {instance.n_inputs}, |f| ~ "
                f"{np.max(np.abs(instance.f(instance.x))):.2g})"] = table
    return studies


# ---------------------------------------------------------------------------
# The whole command

def run(options: Options) -> Report:
    started = time.perf_counter()
    settings = FULL if options.mode == "full" else QUICK
    plan, methods = select(options)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    progress = Progress(count_cells(plan, methods), options.progress)
    results = measure(plan, methods, settings, progress)
    results.to_csv(out / "results.csv", index=False)
    progress.close(f"measured {len(results)} cells in {time.perf_counter() - started:.0f} s; plotting")

    report = Report(results, fit_slopes(results, plan, methods), find_crossovers(results, plan),
                    fd_studies(plan), options=options)
    if options.gradbench or (options.gradbench is None and not options.workloads):
        report.gradbench = measure_gradbench(options.mode, settings, options.progress)
        pd.DataFrame(report.gradbench).to_csv(out / "gradbench.csv", index=False)
    workloads = [w for w, _ in plan]
    report.figures = draw(report, workloads, out)
    report.seconds = time.perf_counter() - started
    render.write(report, workloads, methods, settings, out, environment())
    if options.progress:
        print(f"wrote {out / 'index.html'}, {out / 'summary.md'} and {out / 'results.csv'} "
              f"in {report.seconds:.0f} s", file=sys.stderr)
    return report


def measure_gradbench(mode, settings, progress=True):
    """GradBench's evals through fwdrev's GradBench tool in both modes: the
    smallest of each eval's default sizes (quick), or all of them where the
    time budget allows (full: a derivative over 10 budgets ends its eval)."""
    from .gradbench import ratios

    def said(row):
        if progress:
            result = (f"{row['ratio']:.3g} x primal" if row["why"] == "" else f"not run: {row['why']}")
            print(f"gradbench {row['mode']:7} {row['eval']:6} {row['workload']}: {result}", file=sys.stderr,
                  flush=True)
    if mode == "full":
        return ratios.measure(lambda: ratios.workloads(ratios.DEFAULT_SIZES), samples=settings.repeats,
                              progress=said, give_up=10 * settings.budget)
    return ratios.measure(ratios.workloads, samples=settings.repeats, progress=said)


def draw(report, workloads, out):
    """All figures: (title, path, caption) in reading order."""
    results, figures = report.results, []
    gradient_like = [w for w in workloads if w.passes.get("forward") == 1.0]
    if any((results.workload == w.name).any() and (results[results.workload == w.name].n_outputs == 1).all()
           for w in gradient_like):
        figures.append(("Gradients: forward against reverse", plots.overview_figure(
            results, workloads, out / "overview.png"), render.CAPTIONS["overview"]))
    if any("crossover" in w.tags for w in workloads):
        figures.append(("The crossover: tanh-wide and tanh-tall", plots.crossover_figure(
            results, report.crossovers, workloads, out / "crossover.png"), render.CAPTIONS["crossover"]))
    for workload in workloads:
        rows = results[results.workload == workload.name]
        path = plots.workload_figure(rows, workload, report.slopes, out / f"{workload.name}.png")
        figures.append((f"{workload.name}", path, workload.note))
    if report.fd_studies:
        figures.append(("Finite differences: the step-size V", plots.fd_figure(
            report.fd_studies, out / "finite-differences.png"), render.CAPTIONS["fd"]))
    return figures


def environment():
    import os

    import jax
    return dict(python=platform.python_version(), numpy=np.__version__, jax=jax.__version__,
                machine=f"{platform.machine()}, {os.cpu_count()} logical cores",
                blas_threads=os.environ.get("OPENBLAS_NUM_THREADS", "default"))
