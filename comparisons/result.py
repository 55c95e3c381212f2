"""What a gradient check returns: one `Comparison` per row, gathered in a
`CheckResult` with `.ok`, `.table`, `.worst`, a readable `str()` and
`.raise_if_failed()`.

A comparison is judged by its tolerance, elementwise: `|a - b| <= tolerance`
(how a tolerance is built is the business of comparisons.check). The
relative error is the CS231n one,
    rel = |a - b| / max(|a|, |b|)   (0 where a == b, so never 0/0),
reported but not used to decide: it is meaningless where a derivative is
(nearly) zero.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np


class GradientCheckError(AssertionError):
    """Raised by `CheckResult.raise_if_failed`; its message is the report."""


def element_name(argument, index):
    """`x[0, 2]` for an element of argument x (`x` for a scalar)."""
    return argument + (f"[{', '.join(map(str, index))}]" if index else "")


# ---------------------------------------------------------------------------
# One comparison

@dataclass
class Worst:
    """The element furthest from (or past) its tolerance."""
    check: str
    argument: str
    index: tuple
    value: float
    reference: float
    abs_error: float
    relative_error: float
    tolerance: float
    kink: bool = False

    @property
    def where(self):
        return element_name(self.argument, self.index)

    def __str__(self):
        return (f"{self.check}, worst at {self.where}: {self.value:.10g} vs {self.reference:.10g} "
                f"(abs. error {self.abs_error:.3g}, rel. error {self.relative_error:.3g}, "
                f"tolerance {self.tolerance:.3g})")


class Comparison:
    """`value` against `reference`, elementwise within `tolerance`.

    `compared` masks the elements with a reference (a sampled FD gradient);
    `kinks` marks elements where finite differences saw a kink."""

    def __init__(self, order, check, against, argument, value, reference, tolerance,
                 kinks=None, compared=None):
        self.order, self.check, self.against, self.argument = order, check, against, argument
        a = np.asarray(value, dtype=np.float64)
        b = np.asarray(reference, dtype=np.float64)
        a, b = np.broadcast_arrays(a, b)
        mask = np.ones(a.shape, bool) if compared is None else np.asarray(compared, bool)
        with np.errstate(invalid="ignore"):
            same = (a == b) | (np.isnan(a) & np.isnan(b))
            error = np.where(same, 0.0, np.abs(a - b))
            magnitude = np.maximum(np.abs(a), np.abs(b))
            relative = np.where(same, 0.0, error / np.maximum(magnitude, np.finfo(np.float64).tiny))
        tolerance = np.broadcast_to(np.asarray(tolerance, dtype=np.float64), a.shape)
        error = np.where(mask, error, 0.0)
        relative = np.where(mask, relative, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(error == 0, 0.0, error / tolerance)
        ratio = np.where(np.isnan(ratio), np.inf, ratio)
        self.passed = bool(np.all(ratio <= 1.0))
        self.score = float(np.max(ratio, initial=0.0))
        self.max_abs_error = float(np.max(error, initial=0.0))
        self.max_rel_error = float(np.max(relative, initial=0.0))
        kinked = np.zeros(a.shape, bool) if kinks is None else np.asarray(kinks, bool) & mask
        self.kink_count = int(np.sum(kinked))
        self.kink_indices = [tuple(int(i) for i in at) for at in np.argwhere(kinked)]
        if a.size:   # (the worst among the compared elements)
            at = np.unravel_index(int(np.argmax(np.where(mask, ratio, -1.0))), a.shape)
            pick = lambda array: float(array[at])
        else:
            at, pick = (), lambda array: 0.0
        self.worst = Worst(check=self.name, argument=argument, index=tuple(int(i) for i in at),
                           value=pick(a), reference=pick(b), abs_error=pick(error),
                           relative_error=pick(relative), tolerance=pick(tolerance),
                           kink=bool(pick(kinked)))

    @property
    def name(self):
        order = f" (order {self.order})" if self.order > 1 else ""
        return f"{self.check}{order} vs {self.against}"

    @property
    def kink_places(self):
        """The elements where finite differences saw a kink, by name."""
        return [element_name(self.argument, index) for index in self.kink_indices]

    def row(self):
        return dict(order=self.order, check=self.check, against=self.against, argument=self.argument,
                    max_abs_error=self.max_abs_error, max_rel_error=self.max_rel_error,
                    tolerance=self.worst.tolerance, passed=self.passed,
                    worst_index=self.worst.index, kinks=self.kink_count)

    def describe(self):
        w = self.worst
        if self.argument == "direction":
            return (f"{self.name}: along random direction {w.index[0]} (+-1 on every input element) the "
                    f"gradient gives <g, v> = {w.value:.10g} but finite differences a slope of "
                    f"{w.reference:.10g} (abs. error {w.abs_error:.3g}, tolerance {w.tolerance:.3g})")
        if self.check.startswith("adjoint"):
            return (f"{self.name}: <u, J v> by forward mode = {w.value:.10g} but <J^T u, v> by reverse "
                    f"mode = {w.reference:.10g} (abs. error {w.abs_error:.3g}, rel. error "
                    f"{w.relative_error:.3g}, tolerance {w.tolerance:.3g})")
        return str(self.worst)


# ---------------------------------------------------------------------------
# All comparisons of one check

@dataclass
class FDCoverage:
    """What finite differences compared in a check: `by` "elements" (each
    input element along its coordinate), "directions" (<g, v> along random
    +-1 directions v over all elements) or "sample" (check_grads: some
    elements; its exact references see all); `compared` elements or directions
    out of `size` input elements; `uncovered` maps element (or "every
    element") to why finite differences could not check it; `miss_probability`
    bounds the chance that a gradient wrong by more than 2 x `threshold` in
    some element passes (0 element by element, where each element is
    compared; None for a sample); `kinks` counts directions along which a kink was seen."""
    by: str
    compared: int
    size: int
    uncovered: dict
    miss_probability: float
    threshold: float | None = None
    kinks: int = 0

    def __str__(self):
        if self.by == "elements":
            text = f"finite differences: {self.compared} of {self.size} input elements, one by one"
        elif self.by == "sample":
            text = f"finite differences: a random sample of {self.compared} of {self.size} input elements"
        else:
            text = (f"finite differences: {self.compared} random +-1 directions over all {self.size} input "
                    f"elements (miss probability <= {self.miss_probability:.2g} for an error above "
                    f"{2 * self.threshold:.3g})")
        return text + ("; not covered: " + ", ".join(self.uncovered) if self.uncovered else "")


class CheckResult:
    """`.ok`, `.table` (one row per comparison), `.worst`, a readable
    `str()` and `.raise_if_failed()`."""

    def __init__(self, title, comparisons, dtype, notes=(), hints=(), fd_coverage=None):
        self.title, self.comparisons, self.dtype = title, list(comparisons), np.dtype(dtype)
        self.notes, self.hints = list(notes), list(hints)
        self.fd_coverage = fd_coverage      # an FDCoverage, or None where finite differences did not run

    @property
    def ok(self) -> bool:
        return all(c.passed for c in self.comparisons)

    @property
    def failures(self):
        return [c for c in self.comparisons if not c.passed]

    @property
    def table(self):
        import pandas as pd
        columns = ["order", "check", "against", "argument", "max_abs_error", "max_rel_error",
                   "tolerance", "passed", "worst_index", "kinks"]
        return pd.DataFrame([c.row() for c in self.comparisons], columns=columns)

    @property
    def worst(self) -> Worst | None:
        if not self.comparisons:
            return None
        return max(self.comparisons, key=lambda c: c.score).worst

    def __bool__(self):
        return self.ok

    def __str__(self):
        n = len(self.comparisons)
        head = f"{self.title}, {self.dtype.name}"
        if not self.comparisons:
            lines = [f"{head}: nothing was compared"]
        elif self.ok:
            w = max(self.comparisons, key=lambda c: c.score)
            passed = f"all {n} comparisons passed" if n > 1 else "the one comparison passed"
            lines = [f"{head}: {passed} (closest to its tolerance: {w.name}, "
                     f"{w.worst.where}, rel. error {w.worst.relative_error:.3g}, "
                     f"{w.score:.0%} of its tolerance)"]
        else:
            failures = sorted(self.failures, key=lambda c: -c.score)
            lines = [f"{head}: FAILED {len(failures)} of {n} comparisons"]
            lines += [f"  FAIL {c.describe()}" for c in failures]
        lines += [f"  hint: {h}" for h in self.hints]
        lines += [f"  note: {m}" for m in self.notes]
        if self.comparisons:
            lines += ["", self.table.drop(columns=["worst_index"]).to_string(
                index=False, float_format=lambda v: f"{v:.3g}")]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        """The report for Jupyter: the verdict in colour, failures, hints and
        notes as lists, the table with its failed rows marked."""
        n = len(self.comparisons)
        if self.ok:
            verdict, colour = f"{'all ' + str(n) + ' comparisons' if n > 1 else 'the one comparison'} passed", "#1a7f37"
        else:
            verdict, colour = f"FAILED {len(self.failures)} of {n} comparisons", "#cf222e"
        parts = [f'<div class="fwdrev-check"><p style="font-weight:bold;color:{colour}">'
                 f"{html.escape(self.title)}, {self.dtype.name}: {verdict}</p>"]
        for label, items in (("FAIL", [c.describe() for c in sorted(self.failures, key=lambda c: -c.score)]),
                             ("hint", self.hints), ("note", self.notes)):
            if items:
                parts.append("<ul>" + "".join(f"<li><b>{label}</b> {html.escape(item)}</li>" for item in items)
                             + "</ul>")
        if self.comparisons:
            columns = ["check", "against", "argument", "max_abs_error", "max_rel_error", "tolerance", "passed",
                       "kinks"]
            head = "".join(f"<th>{c}</th>" for c in columns)
            rows = []
            for c in self.comparisons:
                row = c.row()
                cells = "".join(f"<td>{row[k]:.3g}</td>" if isinstance(row[k], float) else
                                f"<td>{html.escape(str(row[k]))}</td>" for k in columns)
                style = "" if c.passed else ' style="background:#ffebe9"'
                rows.append(f"<tr{style}>{cells}</tr>")
            parts.append(f'<table class="fwdrev-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
                         "</tbody></table>")
        return "".join(parts) + "</div>"

    def raise_if_failed(self):
        if not self.ok:
            raise GradientCheckError(str(self))
        return self
