"""The results as a console table and a CSV, and the machine they came from
(ratios depend on the machine: Python overhead and BLAS speed do not scale
together)."""

import csv
import dataclasses
import os
import platform
from pathlib import Path

from . import blas

RESULTS = Path(__file__).parent / "results" / "latest.csv"


def machine():
    """Lines describing the interpreter, CPU and library versions."""
    import autograd  # noqa: F401
    import jax
    import numpy as np
    from importlib.metadata import version
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return [f"fwdrev    {_revision()}",
            f"platform  {platform.platform()}, Python {platform.python_version()}",
            f"cpu       {cpu}; {os.cpu_count()} CPUs, {usable} usable; load average {load}",
            f"versions  numpy {np.__version__}, jax {jax.__version__}, autograd {version('autograd')}",
            f"threads   {blas.describe()}",
            f"kernel    {blas.kernel()}",
            f"malloc    {allocator()}"]


# glibc's knobs for when big blocks come from (and go back to) the kernel
MALLOC_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")


def allocator():
    """How glibc's malloc is set: by default it moves its mmap threshold with
    the process's history, which decides who pays page faults (see timing.py)."""
    chosen = ", ".join(f"{name}={os.environ[name]}" for name in MALLOC_VARIABLES if name in os.environ)
    return chosen or "glibc defaults (mmap threshold moves with the process's history)"


def _revision():
    """The commit measured, and whether the engines differ from it (read-only
    git plumbing: the engines change fast, a ratio needs its version)."""
    import subprocess
    root = Path(__file__).parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                                text=True, check=True).stdout.strip()
        clean = subprocess.run(["git", "diff-index", "--quiet", "HEAD", "--", "modes"], cwd=root,
                               capture_output=True).returncode == 0
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"commit {commit}" + ("" if clean else ", modes/ modified since")


def _value(value, unit):
    if unit == "flops":
        return f"{value:,.0f} fl"
    for scale, suffix in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
        if value >= scale:
            return f"{value / scale:.3g} {suffix}"
    return f"{value * 1e9:.3g} ns"


def _ratio(ratio):
    return f"{ratio:.3g}" if ratio < 1000 else f"{ratio:,.0f}"


def _faults(row):
    """Page faults per call, contender / baseline ("-": not counted)."""
    if row.contender_faults is None or row.baseline_faults is None:
        return "-"
    return f"{row.contender_faults:,.0f} / {row.baseline_faults:,.0f}"


def table(rows):
    """Fixed-width lines: one per row, benchmark groups separated."""
    header = ("benchmark", "contender", "/ baseline", "ratio", "target", "met", "contender", "baseline",
              "page faults/call", "note")
    lines = [[*header]]
    for row in rows:
        lines.append([row.benchmark, row.contender, row.baseline, _ratio(row.ratio),
                      "-" if row.target is None else f"<= {row.target:g}", row.met,
                      _value(row.contender_value, row.unit), _value(row.baseline_value, row.unit),
                      _faults(row), row.note])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    right = {3, 4, 6, 7, 8}
    text, previous = [], None
    for k, line in enumerate(lines):
        if k > 1 and line[0] != previous:
            text.append("")
        previous = line[0]
        text.append("  ".join(cell.rjust(w) if i in right else cell.ljust(w)
                              for i, (cell, w) in enumerate(zip(line, widths))).rstrip())
        if k == 0:
            text.append("-" * len(text[-1]))
    return "\n".join(text)


def summary(rows):
    counts = {label: sum(row.met == met for row in rows)
              for label, met in (("met", "yes"), ("missed", "no"), ("unknown", "?"), ("reference", "-"))}
    return "targets: " + ", ".join(f"{n} {label}" for label, n in counts.items())


def write_csv(rows, path=RESULTS):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = [f.name for f in dataclasses.fields(rows[0])] if rows else []
    fields.insert(fields.index("target") + 1, fields.pop(fields.index("met")))
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow(dataclasses.asdict(row))
    return path
