"""The report's figures (matplotlib, PNG), drawn from the tidy results table.

One 2 x 2 figure per workload (time, time relative to f, operation counts,
memory, all against the swept dimension on log-log axes), and four figures
across workloads: the gradient overview, the tanh-wide / tanh-tall crossover,
the finite-difference step study, and nothing else. Each function writes one
PNG and returns its path. Colours are fixed per method: forward mode blue,
reverse mode red, JAX in lighter shades of the same, finite differences green.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")   # files only: never open a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator  # noqa: E402

STYLE = {
    "primal": dict(color="black", marker="o", linestyle="-"),
    "forward": dict(color="tab:blue", marker="o", linestyle="-"),
    "forward-chunked": dict(color="tab:blue", marker="s", linestyle="--"),
    "reverse": dict(color="tab:red", marker="o", linestyle="-"),
    "reverse-batched": dict(color="tab:red", marker="s", linestyle="--"),
    "reverse-checkpoint": dict(color="tab:purple", marker="D", linestyle="-"),
    "jax-jacfwd": dict(color="tab:cyan", marker="^", linestyle=":"),
    "jax-jacrev": dict(color="tab:orange", marker="v", linestyle=":"),
    "jax-jacfwd-jit": dict(color="tab:cyan", marker="^", linestyle="-."),
    "jax-jacrev-jit": dict(color="tab:orange", marker="v", linestyle="-."),
    "fd-central": dict(color="tab:green", marker="x", linestyle="-"),
    "complex-step": dict(color="tab:olive", marker="+", linestyle="-"),
}
FD_STYLE = {"forward": "tab:blue", "central": "tab:green", "richardson": "tab:purple",
            "complex-step": "tab:olive"}
MEASURED = ("ok", "over-budget")
DPI = 100


def _style(method):
    return STYLE.get(method, dict(color="gray", marker=".", linestyle="-"))


def _series(df, method, column):
    rows = df[(df.method == method) & df.status.isin(MEASURED)].sort_values("dim")
    rows = rows[np.isfinite(rows[column].astype(float)) & (rows[column].astype(float) > 0)]
    return rows


def _plot_methods(ax, df, column, *, errors=False, labels=None):
    """One line per method; over-budget points hollow (they stopped the method)."""
    for method in dict.fromkeys(df.method):
        rows = _series(df, method, column)
        if rows.empty:
            continue
        style = _style(method)
        label = (labels or {}).get(method, method)
        x, y = rows.dim.to_numpy(float), rows[column].to_numpy(float)
        if errors:
            low = y - rows.seconds_min.to_numpy(float)
            high = rows.seconds_max.to_numpy(float) - y
            ax.errorbar(x, y, yerr=[np.maximum(low, 0), np.maximum(high, 0)], label=label,
                        capsize=2, markersize=5, linewidth=1.4, **style)
        else:
            ax.plot(x, y, label=label, markersize=5, linewidth=1.4, **style)
        over = rows.status == "over-budget"
        if over.any():
            ax.plot(x[over.to_numpy()], y[over.to_numpy()], linestyle="none", marker="o",
                    markersize=12, markerfacecolor="none", markeredgecolor=style["color"])


def _log_axes(ax, xlabel, ylabel, title, sizes=True):
    """Log-log axes; with `sizes`, x ticks read as plain numbers (16, 128)."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    if sizes:
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    ax.grid(True, which="major", alpha=0.3)
    ax.grid(True, which="minor", alpha=0.08)


def _ticks_at(ax, dims):
    """Label the measured sizes themselves (log axes label decades only)."""
    ax.set_xticks(sorted(set(int(d) for d in dims)))
    ax.xaxis.set_minor_locator(NullLocator())


def _save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def workload_figure(df, workload, slopes, path):
    """Time, time / f, operation counts and memory against the dimension."""
    fig, axes = plt.subplots(2, 2, figsize=(13, 9.5))
    (time_ax, ratio_ax), (flops_ax, memory_ax) = axes
    xlabel = workload.dim_label
    _plot_methods(time_ax, df, "seconds", errors=True)
    _log_axes(time_ax, xlabel, "seconds per call (median; bars: min-max)", "wall time")
    _plot_methods(ratio_ax, df[df.method != "primal"], "ratio_to_f")
    _log_axes(ratio_ax, xlabel, "time / time of f", "wall time relative to f")

    fitted = {row.method: row for row in slopes.itertuples() if row.workload == workload.name}
    labels = {}
    for method, row in fitted.items():
        if np.isfinite(row.flops_slope):
            theory = "" if row.flops_theory is None or not np.isfinite(row.flops_theory) else \
                f", theory {row.flops_theory:g}"
            labels[method] = f"{method} (slope {row.flops_slope:.2f}{theory})"
    _plot_methods(flops_ax, df, "flops", labels=labels)
    _log_axes(flops_ax, xlabel, "flops (registry cost model)",
              "operation counts (finite differences: f calls x flops of f)")

    _plot_methods(memory_ax, df, "peak_bytes")
    tape = df[df.method.isin(["reverse", "reverse-checkpoint"])]
    for method in dict.fromkeys(tape.method):
        rows = _series(tape, method, "tape_bytes")
        if not rows.empty:
            memory_ax.plot(rows.dim, rows.tape_bytes, color=_style(method)["color"], marker="*",
                           linestyle=(0, (1, 1)), markersize=9, label=f"{method}: tape (saved arrays)")
    _log_axes(memory_ax, xlabel, "bytes", "memory: peak traced allocation (tracemalloc) and tape")

    for ax in axes.flat:
        _ticks_at(ax, df.dim)
        if ax.has_data():
            ax.legend(fontsize=7.5, loc="best", framealpha=0.85)
    over = (df.status == "over-budget").any()
    fig.suptitle(f"{workload.name}: {workload.formula}" + (
        "\nhollow circles: one call exceeded the time budget; larger sizes skipped" if over else ""),
        fontsize=11)
    return _save(fig, path)


def overview_figure(df, workloads, path):
    """The headline: a gradient's cost relative to f against n, forward mode
    (one direction per pass) against reverse mode, every gradient workload."""
    gradient = [w for w in workloads if (df[df.workload == w.name].n_outputs == 1).all()
                and not df[df.workload == w.name].empty and w.passes.get("forward") == 1.0]
    markers = "os^vDP*Xh"
    fig, (flops_ax, time_ax) = plt.subplots(1, 2, figsize=(13, 5.2))
    for ax, column, ylabel in ((flops_ax, "flops_ratio", "operations / operations of f"),
                               (time_ax, "ratio_to_f", "time / time of f")):
        for k, workload in enumerate(gradient):
            rows = df[df.workload == workload.name]
            for method, color in (("forward", "tab:blue"), ("reverse", "tab:red")):
                series = _series(rows, method, column)
                if not series.empty:
                    ax.plot(series.dim, series[column], color=color, marker=markers[k % len(markers)],
                            linewidth=1.2, markersize=6, label=f"{method}: {workload.name}")
        n = np.array([4.0, 10000.0])
        ax.plot(n, n, color="gray", linewidth=0.8, linestyle="--", label="n (theory: forward ~ n x f)")
        _log_axes(ax, "n (inputs)", ylabel, ylabel.split(" / ")[0].capitalize()
                  + " of a gradient, relative to f")
        ax.set_xlim(left=max(1.0, float(df.dim.min()) / 1.5), right=float(df.dim.max()) * 1.5)
    flops_ax.legend(fontsize=7, ncol=2, loc="upper left")
    fig.suptitle("Forward mode (blue) pays one pass per input; reverse mode (red) one pass per output",
                 fontsize=12)
    return _save(fig, path)


def crossover_figure(df, crossovers, workloads, path):
    """tanh-wide (R^n -> R^64) and tanh-tall (R^64 -> R^m): full Jacobians,
    forward against reverse, in time and in operations, crossings marked."""
    names = [w for w in workloads if "crossover" in w.tags and not df[df.workload == w.name].empty]
    fig, axes = plt.subplots(2, len(names), figsize=(6.5 * len(names), 9.5), squeeze=False)
    pairs = ["forward", "reverse", "forward-chunked", "reverse-batched", "jax-jacfwd", "jax-jacrev",
             "jax-jacfwd-jit", "jax-jacrev-jit"]
    for column, workload in enumerate(names):
        rows = df[(df.workload == workload.name) & df.method.isin(pairs)]
        for row, (metric, ylabel) in enumerate((("seconds", "seconds per Jacobian"),
                                                ("flops", "flops (cost model)"))):
            ax = axes[row, column]
            _plot_methods(ax, rows, metric)
            _log_axes(ax, workload.dim_label, ylabel, f"{workload.name}: {workload.formula}")
            ax.axvline(64, color="gray", linestyle=":", linewidth=1)
            ax.text(64, ax.get_ylim()[0], "  n = m = 64", color="gray", fontsize=8, va="bottom")
            for c in crossovers:
                if (c["workload"], c["metric"], c["pair"]) == (workload.name, metric, "forward/reverse") \
                        and c["at"] is not None:
                    ax.axvline(c["at"], color="black", linewidth=1.2)
                    ax.annotate(f"crossover ~ {c['at']:.0f}\n{c['winner_above']} wins above",
                                xy=(c["at"], math.sqrt(ax.get_ylim()[0] * ax.get_ylim()[1])),
                                xytext=(8, 0), textcoords="offset points", fontsize=9,
                                bbox=dict(boxstyle="round", fc="white", alpha=0.85))
            _ticks_at(ax, rows.dim)
            ax.legend(fontsize=7.5, loc="upper left")
    fig.suptitle("Full Jacobians: forward mode needs one pass per input,"
                 + (" " if len(names) > 1 else "\n") + "reverse mode one per output", fontsize=12)
    return _save(fig, path)


def fd_figure(studies, path):
    """Error against step: finite differences' V (truncation falls with h,
    rounding grows like eps / h) and the complex step's flat floor."""
    fig, axes = plt.subplots(1, len(studies), figsize=(6.5 * len(studies), 5), squeeze=False)
    eps = np.finfo(np.float64).eps
    for ax, (title, table) in zip(axes[0], studies.items()):
        for method, rows in table.groupby("method", sort=False):
            error = np.maximum(rows.relative_error.to_numpy(float), 1e-17)
            ax.plot(rows.h, error, marker=".", color=FD_STYLE.get(method, "gray"), label=method)
        for power, name in ((1 / 2, "eps^(1/2)"), (1 / 3, "eps^(1/3)")):
            ax.axvline(eps ** power, color="gray", linestyle=":", linewidth=1)
            ax.text(eps ** power, 1e-17, f" {name}", rotation=90, fontsize=8, color="gray", va="bottom")
        _log_axes(ax, "step h", "max |error| / max |J v|", title, sizes=False)
        ax.legend(fontsize=8)
    fig.suptitle("Finite differences: error against step size (exact J v from forward mode)", fontsize=12)
    return _save(fig, path)
