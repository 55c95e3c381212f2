"""The report in words: summary.md and a self-contained index.html.

The findings are sentences computed from the measurements (never written in
advance): what reverse and forward mode cost relative to f as n grew, where
they crossed on tanh-wide / tanh-tall, what checkpointing saved, how accurate
each method was, and which methods ran out of time budget. index.html embeds
its figures (base64), so it opens from disk, alone.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import numpy as np

MEASURED = ("ok", "over-budget")
CAPTIONS = {
    "overview": "Cost of the gradient of each R^n -> R workload relative to f itself. Left: operation "
                "counts from the op registry's cost model (deterministic); right: wall time. In theory reverse "
                "mode (red) stays a small constant times f and forward mode with one direction per pass "
                "(blue) grows like n, the dashed line; the findings say whether the sizes measured bear "
                "it out.",
    "crossover": "Full Jacobians of the same tanh layer in two shapes. Forward mode needs one pass per "
                 "input, reverse mode one per output, so they trade places where inputs and outputs are "
                 "equal in number (n = m = 64, dotted). Top: time; bottom: operations.",
    "fd": "Error of finite differences along a random direction, against the step h. Forward and central "
          "differences trace a V: truncation error falls as h shrinks until rounding error (eps |f| / h) "
          "takes over, near the default steps eps^(1/2) and eps^(1/3). The complex step never subtracts "
          "two nearby values, so it stays at machine precision for tiny h.",
}


# ---------------------------------------------------------------------------
# Numbers to sentences

def _fmt(x):
    """Ratios and slopes: 3 significant digits, thousands separated."""
    if x is None or not np.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 0.01:
        return f"{x:.2f}"
    return f"{x:.1e}"


def _plural(count, noun):
    return f"each of the {count} {noun}s" if count > 1 else f"the {noun}"


def _slope(x):
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.2f}".replace("-0.00", "0.00")


def _range(low, high, fmt=None):
    fmt = fmt or _fmt
    return fmt(low) if fmt(low) == fmt(high) else f"{fmt(low)} to {fmt(high)}"


def _bytes(x):
    if x is None or not np.isfinite(x):
        return "n/a"
    for unit in ("B", "KB", "MB", "GB"):
        if abs(x) < 1024 or unit == "GB":
            return f"{x:.0f} {unit}" if unit == "B" else f"{x:.1f} {unit}"
        x /= 1024


def _measured(results, workload, method):
    rows = results[(results.workload == workload) & (results.method == method)
                   & results.status.isin(MEASURED)]
    return rows.sort_values("dim")


def gradient_workloads(results, workloads):
    return [w for w in workloads if w.passes.get("forward") == 1.0 and w.passes.get("reverse") == 0.0
            and not results[results.workload == w.name].empty
            and (results[results.workload == w.name].n_outputs == 1).all()]


ONE_SIZE = "growth with {var} cannot be judged from one size (a larger --max-dim measures more)"
FLAT, LINEAR = 0.25, 0.25       # how far a fitted slope of cost / f may stray from theory's 0 or 1


def _sizes(rows):
    return sorted(set(rows.dim))


def _list(items):
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _one_size_note(rows, method, what):
    """The sentence for a method measured at a single size of each workload:
    its cost there, and no claim about growth."""
    at = rows.loc[rows.groupby("workload").dim.idxmax()]
    where = _list([f"{r.workload} at n = {r.dim:,}" for r in at.itertuples()])
    return (f"{method} mode's {what} was {_range(at.flops_ratio.min(), at.flops_ratio.max())} x f in "
            f"operations and {_range(at.ratio_to_f.min(), at.ratio_to_f.max())} x f in time, measured at "
            f"one size only ({where}): " + ONE_SIZE.format(var="n") + ".")


def _split_by_sizes(rows):
    """(rows of workloads measured at >= 2 sizes, rows of those at one size)."""
    counts = rows.groupby("workload").dim.nunique()
    several = counts[counts >= 2].index
    return rows[rows.workload.isin(several)], rows[~rows.workload.isin(several)]


def _fitted(slopes, method, names):
    """Finite fitted slopes of cost / f for `method` on the workloads `names`."""
    rows = slopes[(slopes.method == method) & slopes.workload.isin(list(names))]
    values = rows.ratio_slope.astype(float)
    return values[np.isfinite(values)]


def _reverse_finding(rev, slopes, grads):
    grown, single = _split_by_sizes(rev)
    said = []
    if not grown.empty:
        names = sorted(set(grown.workload))
        fitted = _fitted(slopes, "reverse", names)
        largest = grown.loc[grown.groupby("workload").dim.idxmax()]
        worst = grown.loc[grown.flops_ratio.idxmax()]
        if not fitted.empty and fitted.abs().max() <= FLAT:
            verdict = "did not grow with n"
        elif not fitted.empty:
            verdict = "grew with n, against the theory's constant"
        else:
            verdict = "was measured at several sizes"
        text = (f"Reverse mode's gradient cost {verdict}: at the largest size of "
                f"{_plural(len(names), 'gradient workload')} measured at two or more sizes it was "
                f"{_range(largest.flops_ratio.min(), largest.flops_ratio.max())} x f in operations "
                f"(cost model; up to n = {grown.dim.max():,}), at most {_fmt(worst.flops_ratio)} x f at any "
                f"size ({worst.workload}, n = {worst.dim:,})")
        if not fitted.empty:
            text += (f"; the fitted slope of cost / f against n was "
                     f"{_range(fitted.min(), fitted.max(), _slope)} (theory 0)")
        text += (f". In wall time it stayed within {_fmt(grown.ratio_to_f.max())} x f, the rest being "
                 f"Python's per-operation overhead, which weighs most when f is cheap." + _above_target(rev))
        said.append(text)
    if not single.empty:
        said.append(_one_size_note(single, "Reverse", "gradient cost")
                    + ("" if not grown.empty else _above_target(rev)))
    return said


def _forward_finding(fwd, slopes):
    grown, single = _split_by_sizes(fwd)
    said = []
    if not grown.empty:
        names = sorted(set(grown.workload))
        fitted = _fitted(slopes, "forward", names)
        top = grown.loc[grown.dim.idxmax()]
        if not fitted.empty and (fitted - 1).abs().max() <= LINEAR:
            verdict = "grew like n, as theory says"
        elif not fitted.empty:
            verdict = "did not grow like n as theory says (small sizes, where constant costs still count)"
        else:
            verdict = "was measured at several sizes"
        text = (f"Forward mode with one direction per pass {verdict}: {_fmt(top.flops_ratio)} x f in "
                f"operations and {_fmt(top.ratio_to_f)} x f in time at n = {top.dim:,} on {top.workload}")
        if not fitted.empty:
            text += (f"; the fitted slope of cost / f against n was "
                     f"{_range(fitted.min(), fitted.max(), _slope)} (theory 1)")
        said.append(text + ".")
    if not single.empty:
        said.append(_one_size_note(single, "Forward", "cost with one direction per pass"))
    return said


def findings(report, workloads):
    """The report's conclusions, each a sentence backed by the table. A claim
    about growth needs two or more sizes (a slope, as many as its fit needs;
    a crossover, the sizes either side of it)."""
    results, slopes = report.results, report.slopes
    said = []
    grads = gradient_workloads(results, workloads)
    names = [w.name for w in grads]
    if grads:
        rev = results[results.workload.isin(names) & (results.method == "reverse")
                      & results.status.isin(MEASURED)]
        if not rev.empty:
            said += _reverse_finding(rev, slopes, grads)
        fwd = results[results.workload.isin(names) & (results.method == "forward")
                      & results.status.isin(MEASURED)]
        if not fwd.empty:
            said += _forward_finding(fwd, slopes)
        chunked = results[results.workload.isin(names)
                          & results.method.isin(["forward-chunked", "reverse"])
                          & results.status.isin(MEASURED)]
        if not chunked.empty:
            pivot = chunked.pivot_table(index=["workload", "dim"], columns="method", values="seconds")
            if {"forward-chunked", "reverse"} <= set(pivot.columns):
                ratio = (pivot["forward-chunked"] / pivot["reverse"]).dropna()
                if not ratio.empty:
                    w, d = ratio.idxmax()
                    speed = (f"it was still up to {_fmt(ratio.max())} x slower than one reverse pass"
                             if ratio.max() > 1 else
                             f"it was at worst {_fmt(ratio.max())} x the time of one reverse pass")
                    said.append(
                        f"Carrying all n directions in one forward pass (chunked) removes the per-pass "
                        f"Python overhead but not the arithmetic: {speed} ({w}, n = {d:,}), and its "
                        f"tangents take n times f's memory.")
    said += _crossover_findings(report.crossovers, workloads, results)
    said += _checkpoint_findings(results, workloads)
    said += _accuracy_findings(results)
    said += _jax_findings(results, grads)
    said += _slope_findings(slopes)
    said += _budget_findings(results, workloads)
    return said


def _above_target(rev, target=4.0):
    """Where a reverse gradient broke DESIGN.md's target of <= 4 x f in operations."""
    above = rev[rev.flops_ratio > target]
    if above.empty:
        return f" Every size met the design target of at most {target:g} x f."
    worst = above.groupby("workload").flops_ratio.max()
    return (f" Above the design target of {target:g} x f: "
            + ", ".join(f"{w} (up to {_fmt(r)} x f)" for w, r in worst.items()) + ".")


def _crossover_findings(crossovers, workloads, results=None):
    """Where forward and reverse mode traded places. `crossovers` only holds
    pairs measured at two or more common sizes, and a crossing found there
    lies between two measured sizes; a crossover workload measured at fewer
    sizes gets a sentence saying so, and no claim."""
    said = []
    by_name = {w.name: w for w in workloads}
    if results is not None:
        for w in workloads:
            if "crossover" not in w.tags or any(c["workload"] == w.name for c in crossovers):
                continue
            rows = results[(results.workload == w.name) & results.method.isin(["forward", "reverse"])
                           & results.status.isin(MEASURED)]
            common = sorted(set(rows[rows.method == "forward"].dim) & set(rows[rows.method == "reverse"].dim))
            if len(common) == 1:
                var = w.dim_label.split()[0]
                said.append(f"On {w.name}, forward and reverse mode were both measured at one size only "
                            f"({var} = {common[0]:,}): where they cross cannot be judged (a larger "
                            f"--max-dim measures more).")
    for workload in dict.fromkeys(c["workload"] for c in crossovers):
        w = by_name[workload]
        var = w.dim_label.split()[0]
        parts = {c["metric"]: c for c in crossovers
                 if c["workload"] == workload and c["pair"] == "forward/reverse"}
        if not parts:
            continue
        timed, counted = parts.get("seconds"), parts.get("flops")
        some = counted or timed
        low, high = min(some["dims"]), max(some["dims"])
        text = f"On {workload} ({w.formula.split(',  ')[-1]}), "
        if timed and timed["at"] is not None:
            pass_of = "input" if timed["winner_above"] == "forward" else "output"
            text += (f"{timed['winner_above']} mode (one pass per {pass_of}) overtook "
                     f"{timed['winner_below']} mode above {var} ~ {timed['at']:.0f} in wall time")
        elif timed:
            text += (f"{timed['winner_above']} mode was faster at every {var} measured "
                     f"({min(timed['dims'])} to {max(timed['dims'])})")
        if counted:
            same = (timed and timed["at"] is not None and counted["at"] is not None
                    and timed["winner_above"] == counted["winner_above"])
            text += ", and" if same else ("; " if timed else "")
            if same:
                text += f" above {var} ~ {counted['at']:.0f} in operations"
            elif counted["at"] is not None:
                text += (f"in operations {counted['winner_above']} mode overtook {counted['winner_below']} "
                         f"mode above {var} ~ {counted['at']:.0f}")
            else:
                text += (f"in operations {counted['winner_above']} mode was cheaper at every {var} "
                         f"measured ({low} to {high})")
        text += f". Theory: the passes are equal in number at {var} = {some['fixed']}"
        if not low <= some["fixed"] <= high:
            text += f", outside the sizes measured ({low} to {high}), so not tested here"
        if counted and counted["c_forward"]:
            text += (f"; with the measured cost per pass (forward {counted['c_forward']:.2f} x f per "
                     f"direction, as it recomputes f each pass; reverse {counted['c_reverse']:.2f} x f "
                     f"per row, after recording once) operations should cross at {var} ~ "
                     f"{counted['predicted']:.0f}")
            if not low <= counted["predicted"] <= high:
                text += " (outside the sizes measured)"
        said.append(text + ".")
    return said


def _checkpoint_findings(results, workloads):
    said = []
    for w in workloads:
        if "checkpoint" not in w.tags:
            continue
        plain = _measured(results, w.name, "reverse")
        ckpt = _measured(results, w.name, "reverse-checkpoint")
        if len(plain) < 2 or len(ckpt) < 2:
            continue
        p0, p1, c0, c1 = plain.iloc[0], plain.iloc[-1], ckpt.iloc[0], ckpt.iloc[-1]
        said.append(
            f"On {w.name}, as T grew {p1.dim / p0.dim:.0f}-fold ({p0.dim:,} to {p1.dim:,} steps) the tape "
            f"grew {p1.tape_bytes / p0.tape_bytes:.1f}-fold, to {_bytes(p1.tape_bytes)}: every step's state "
            f"is kept. "
            f"With sqrt(T) checkpointed segments it grew {c1.tape_bytes / c0.tape_bytes:.1f}-fold, to "
            f"{_bytes(c1.tape_bytes)} (segment boundaries plus the constant W), for "
            f"{_fmt(c1.flops / p1.flops)} x the operations (each segment runs forward twice). "
            f"Peak traced memory at T = {p1.dim:,}: {_bytes(p1.peak_bytes)} against {_bytes(c1.peak_bytes)}.")
    return said


def _accuracy_findings(results):
    rows = results[results.status.isin(MEASURED) & np.isfinite(results.max_rel_error.astype(float))]
    if rows.empty:
        return []
    ours = rows[rows.engine == "fwdrev"].max_rel_error
    text = (f"Accuracy against JAX's Jacobian of the same program (max |error| / max |J|): both engines "
            f"within {_fmt(ours.max())} everywhere")
    for method, name in (("fd-central", "central differences"), ("complex-step", "the complex step")):
        errors = rows[rows.method == method].max_rel_error
        if not errors.empty:
            text += f"; {name} {_fmt(errors.median())} typically, {_fmt(errors.max())} at worst"
    return [text + "."]


def _jax_findings(results, grads):
    if not grads:
        return []
    names = [w.name for w in grads]
    rows = results[results.workload.isin(names) & results.method.isin(["reverse", "jax-jacrev"])
                   & results.status.isin(MEASURED)]
    pivot = rows.pivot_table(index=["workload", "dim"], columns="method", values="seconds")
    if not {"reverse", "jax-jacrev"} <= set(pivot.columns):
        return []
    ratio = (pivot["jax-jacrev"] / pivot["reverse"]).dropna()
    if ratio.empty:
        return []
    return [f"Eager jax.jacrev (on the same program, replayed op by op) took {_fmt(ratio.median())} x "
            f"the time of our reverse gradient (median over gradient workloads and sizes; range "
            f"{_fmt(ratio.min())} to {_fmt(ratio.max())}); both dispatch one operation at a time from "
            f"Python. With --jit, JAX compiles the whole program first."]


def _slope_findings(slopes):
    rows = slopes[np.isfinite(slopes.flops_slope.astype(float)) & slopes.flops_theory.notna()
                  & (slopes.points >= 3)]
    if rows.empty:
        return []
    off = rows[(rows.flops_slope - rows.flops_theory.astype(float)).abs() > 0.25]
    text = (f"Fitted log-log slopes of operation counts matched the theory within 0.25 for "
            f"{len(rows) - len(off)} of {len(rows)} (workload, method) pairs with 3 or more sizes")
    if not off.empty:
        text += " (off: " + ", ".join(f"{r.method} on {r.workload} {r.flops_slope:.2f} vs {r.flops_theory:g}"
                                      for r in off.itertuples())
        text += ": small sizes, where constant costs still count)"
    return [text + "."]


def _budget_findings(results, workloads):
    labels = {w.name: w.dim_label.split()[0] for w in workloads}
    over = results[results.status == "over-budget"]
    predicted = results[(results.status == "skipped") & results.note.astype(str).str.startswith("predicted")]
    items = [f"{r.method} on {r.workload} at {labels.get(r.workload, 'n')} = {r.dim:,} ({r.seconds:.2f} s)"
             for r in over.itertuples()]
    items += [f"{r.method} on {r.workload} before {labels.get(r.workload, 'n')} = {r.dim:,} "
              f"({r.note.split(',')[0]})" for r in predicted.itertuples()]
    if not items:
        return []
    return ["Stopped by the time budget (larger sizes skipped, marked in the table): "
            + "; ".join(items) + "."]


def headline(results, workloads):
    """One row per workload at its largest size: the costs relative to f."""
    rows = []
    for w in workloads:
        sub = results[(results.workload == w.name) & results.status.isin(MEASURED)]
        if sub.empty:
            continue
        dim = sub[sub.method == "primal"].dim.max()
        at = sub[sub.dim == dim].set_index("method")
        timed = at.drop("primal", errors="ignore")
        fastest = timed.seconds.idxmin() if not timed.empty else "n/a"
        get = lambda m, c: at[c].get(m, math.nan)  # noqa: E731
        rows.append([w.name, f"{dim:,}", f"{int(at.n_inputs.iloc[0])} -> {int(at.n_outputs.iloc[0])}",
                     _seconds(get("primal", "seconds")),
                     _fmt(get("forward", "ratio_to_f")), _fmt(get("reverse", "ratio_to_f")),
                     _fmt(get("forward", "flops_ratio")), _fmt(get("reverse", "flops_ratio")), fastest])
    return (["workload", "largest size", "n -> m", "f", "forward time/f", "reverse time/f",
             "forward ops/f", "reverse ops/f", "fastest derivative"], rows)


def _seconds(s):
    if s is None or not np.isfinite(s):
        return "n/a"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def slope_table(slopes):
    def pair(value, theory):
        known = theory is not None and np.isfinite(float(theory))
        t = f" ({theory:g})" if known else ""
        return f"{_slope(value)}{t}"
    rows = [[r.workload, r.method, r.dims, str(r.points), pair(r.flops_slope, r.flops_theory),
             pair(r.ratio_slope, r.ratio_theory), _slope(r.time_slope)] for r in slopes.itertuples()]
    return (["workload", "method", "sizes", "points", "ops slope (theory)", "ops/f slope (theory)",
             "time slope"], rows)


def gradbench_table(rows):
    """Our derivative/primal ratios per GradBench eval, both modes, beside the
    published ones (reports/gradbench/ratios.py)."""
    from .gradbench.ratios import PUBLISHED, summary
    table = summary(rows)
    tools = list(PUBLISHED)

    def cell(value):
        return "-" if value is None else (value if isinstance(value, str) else _fmt(value))
    body = [[name, entry["function"], "; ".join(entry["workloads"]) or "none within the budget",
             cell(entry.get("reverse")), cell(entry.get("forward")), *(cell(PUBLISHED[t].get(name)) for t in tools)]
            for name, entry in table.items()]
    return (["eval", "derivative", "our workloads", "fwdrev reverse", "fwdrev forward", *tools], body)


def gradbench_note(rows):
    from .gradbench.ratios import NIGHTLY
    skipped = [f"{r['eval']} {r['workload']} ({r['mode']}: {r['why']}; about {_seconds(r['predicted'])} "
               "predicted)" for r in rows if r["why"]]
    note = (f"Derivative time / primal time, the median over each eval's workloads of the ratio of median "
            f"times (lower is better). fwdrev: the GradBench tool's functions timed as its protocol times them, on this "
            f"machine, inputs generated as each eval's run.py does (lstm, ba and ht read ADBench data files, "
            f"so their inputs are synthetic at those sizes). Published: GradBench's nightly of {NIGHTLY}, "
            f"the median over the eval's default workloads of mean derivative time / mean primal time; "
            f"GradBench publishes no ratios for ht, and its ode entry for the hand-written tool does not "
            f"differentiate the solver step by step. The quick report runs the smallest of GradBench's "
            f"sizes, --full all of them within its budget.")
    if skipped:
        note += " Not run: " + "; ".join(skipped) + "."
    return note


def workload_table(workloads):
    rows = [[w.name, w.formula, w.source, w.dim_label, w.cost["f"], w.cost["forward"], w.cost["reverse"],
             "yes" if w.analytic else "no"] for w in workloads]
    return (["workload", "formula", "source", "swept", "cost of f", "forward mode", "reverse mode",
             "complex step"], rows)


def method_table(methods):
    return (["method", "mode", "engine", "what it does"],
            [[m.name, m.family, m.engine, m.doc] for m in methods])


# ---------------------------------------------------------------------------
# Writers

def _md_table(headers, rows):
    def cell(x):
        return str(x).replace("|", "\\|")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def _html_table(headers, rows):
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _intro(report, settings, env):
    o = report.options
    return (f"Mode: {o.mode} (time budget {settings.budget:g} s per call, timing repeats of at least "
            f"{settings.target:g} s, {settings.repeats} repeats, median). Run time {report.seconds:.0f} s. "
            f"Python {env['python']}, NumPy {env['numpy']}, JAX {env['jax']}; {env['machine']}; "
            f"BLAS threads: {env['blas_threads']}. Wall times on a shared machine are noisy; operation "
            f"counts are exact and machine-independent.")


def write(report, workloads, methods, settings, out, env):
    out = Path(out)
    said = findings(report, workloads)
    (out / "summary.md").write_text(_markdown(report, workloads, methods, settings, env, said))
    (out / "index.html").write_text(_html(report, workloads, methods, settings, env, said))


def _markdown(report, workloads, methods, settings, env, said):
    parts = ["# fwdrev report: what forward and reverse mode cost", "", _intro(report, settings, env), "",
             "## Findings", ""]
    parts += [f"- {s}" for s in said] + ["", "## At the largest size of each workload", "",
                                         _md_table(*headline(report.results, workloads)), ""]
    parts += ["## Figures", ""]
    for title, path, caption in report.figures:
        parts += [f"### {title}", "", f"![{title}]({Path(path).name})", ""]
        parts += [caption, ""] if caption else []
    parts += ["## Fitted slopes against theory (log-log, against the swept size)", "",
              _md_table(*slope_table(report.slopes)), "", _SLOPE_NOTE, "",
              *(["## GradBench: derivative time / primal time", "", _md_table(*gradbench_table(report.gradbench)),
                 "", gradbench_note(report.gradbench), ""] if report.gradbench else []),
              "## Workloads", "", _md_table(*workload_table(workloads)), "",
              "## Methods", "", _md_table(*method_table(methods)), "", _MEASURE_NOTE, "",
              "Every measurement is in `results.csv` (one row per workload, method and size).", ""]
    return "\n".join(parts)


_SLOPE_NOTE = ("A slope needs two or more sizes: n/a where fewer were measured (a larger --max-dim "
               "measures more). Ops slope: operations against the swept size (theory: f's exponent plus that of the "
               "number of passes). Ops/f slope: the same relative to f (theory: 1 for a method paying per "
               "input when the inputs grow, or per output when the outputs grow; 0 otherwise). Time slopes "
               "are lower than op-count slopes at small sizes, where Python's fixed per-operation cost "
               "dominates; `fwdrev report --full` runs larger sizes.")
_MEASURE_NOTE = ("Time: a warm-up call (JAX compiles here), then repeats sized like timeit's autorange; the "
                 "median per call. Operations: flops from the op registry's cost model over every primitive "
                 "evaluated (rules included); for finite differences, f's calls times f's flops; JAX's own "
                 "primitives are not counted. Memory: tracemalloc's peak during one call (NumPy buffers "
                 "included, XLA's not; not traced for calls over a fifth of the budget, as tracing slows "
                 "Python-heavy code about 5x) and the bytes the reverse tape saves for the backward pass. "
                 "Accuracy: max |J - J_jax| / max |J_jax|, J_jax from JAX differentiating the same program "
                 "(replayed through each op's JAX twin). Status `over-budget`: one call exceeded the budget, "
                 "larger sizes `skipped`.")

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1320px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.8em 0; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } tr:nth-child(even) td { background: #fafafa; }
img { max-width: 100%; border: 1px solid #eee; } figure { margin: 1.5em 0; }
figcaption { color: #555; font-size: 0.92em; max-width: 60em; }
.note { color: #555; font-size: 0.9em; max-width: 70em; } li { margin: 0.35em 0; }
"""


def _html(report, workloads, methods, settings, env, said):
    figures = []
    for title, path, caption in report.figures:
        data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        figures.append(f"<figure><h3>{html.escape(title)}</h3><img alt='{html.escape(title)}' "
                       f"src='data:image/png;base64,{data}'><figcaption>{html.escape(caption or '')}"
                       f"</figcaption></figure>")
    results = report.results.copy()
    for column in ("seconds", "seconds_min", "seconds_max", "ratio_to_f", "flops_ratio", "max_rel_error"):
        results[column] = results[column].map(lambda v: "" if not np.isfinite(v) else f"{v:.3g}")
    body = [
        "<h1>fwdrev report: what forward and reverse mode cost</h1>",
        f"<p class='note'>{html.escape(_intro(report, settings, env))}</p>",
        "<h2>Findings</h2><ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in said) + "</ul>",
        "<h2>At the largest size of each workload</h2>", _html_table(*headline(report.results, workloads)),
        "<h2>Figures</h2>", *figures,
        "<h2>Fitted slopes against theory</h2>", _html_table(*slope_table(report.slopes)),
        f"<p class='note'>{html.escape(_SLOPE_NOTE)}</p>",
        *([("<h2>GradBench: derivative time / primal time</h2>" + _html_table(*gradbench_table(report.gradbench))
            + f"<p class='note'>{html.escape(gradbench_note(report.gradbench))}</p>")] if report.gradbench else []),
        "<h2>Workloads</h2>", _html_table(*workload_table(workloads)),
        "<h2>Methods</h2>", _html_table(*method_table(methods)),
        f"<p class='note'>{html.escape(_MEASURE_NOTE)}</p>",
        "<h2>All measurements</h2><details><summary>results.csv as a table "
        f"({len(results)} rows)</summary>" + results.to_html(index=False, na_rep="", border=0) + "</details>",
    ]
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>fwdrev report</title>"
            f"<style>{_CSS}</style></head><body>" + "\n".join(body) + "</body></html>")
