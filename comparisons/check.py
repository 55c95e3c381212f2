"""Gradient checks with results a person can act on.

    check_grads(f, args)                  both engines vs JAX, finite differences
                                          and each other (the adjoint test)

and the tolerances, rows and notes that the checks of hand-written
gradients (comparisons.handwritten: check_gradient, check_backward,
check_value_and_grad, check_model) share.

Every comparison becomes one row of `CheckResult.table` (comparisons.result);
the derivatives compared come from comparisons.derivatives.

How values are compared. Derivatives are compared as directional
derivatives (JVPs along a random tangent, one row per output) and
cotangents (VJPs of a random cotangent, one row per input), so any output
shape works with one pass per engine; a seeded generator makes every check
reproducible. The relative error is reported but not used to decide: it is
meaningless where a derivative is (nearly) zero. The verdict uses
tolerances built from the working precision `eps` (that of the
lowest-precision float input: float32 inputs get float32 tolerances, with a
warning that float64 checks better) and from error estimates, never from
the array size:

  exact rules (JAX, our engines, a hand-written gradient, the adjoint test):
      |a - b| <= RTOL_ULPS * eps * scale
  with scale the largest of |a|, |b|, the typical magnitude of the
  derivative in the row and the primal scale max |f(x)|. Rounding in a sum
  is relative to its terms, not to a result that may have cancelled (a JVP
  of a scalar is a dot product), so the typical magnitude is the root mean
  square of our engine's derivative along random directions. Likewise a
  rule computes a derivative from primal values (tanh' = 1 - tanh(x)^2, the
  difference of two numbers near 1 at x = 15.5), so its rounding is
  absolute on the scale of those values, not relative to a derivative that
  came out tiny: two correct rules may differ by eps there. The outputs
  f(x) are the primal values a check sees, so max |f(x)| per input element
  an output sums over (`primal_scale`: max |f| * min(1, m / n) for m
  outputs and n inputs, one number per check) floors the typical magnitude.
  The inputs |x| are not used: they are not on the scale of the derivative
  (f = 1e-10 x at x = 1e5 would then accept any gradient). For the adjoint test, two
  inner products, scale = max(sum |u| typical(Jv), sum typical(J^T u) |v|)
  with the same floor;
  finite differences (finite_diff's error estimate `err`, elementwise):
      |a - b| <= FD_SAFETY * err + RTOL_ULPS * eps * scale.
For a first-order VJP our engine can record, a running error analysis of
its tape (comparisons.rounding) sharpens both: the typical magnitude is at
least |J|^T |u| (what the pulled-back terms sum to in magnitude, so
cancellation is covered element by element, and the scale becomes per
element), and `err` at least the noise of f's values (eps times the
intermediates weighted by their adjoints) over the step: a confident
softmax loss, whose gradient entries are tiny differences of numbers near
1, then passes when correct and still fails by a relative 1e-6.
Finite differences run along input coordinates (all of them, or a sample
for large inputs; comparisons.derivatives says why).

Where finite differences see a kink (one-sided slopes that differ), a
mismatch still fails, but the message says so: the point, not the
derivative, is the likely problem there.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import finite_diff, jax_bridge
from .rounding import reverse_rounding
from .derivatives import (Function, References, abs_dot, dot, forward_samples, inner_jvp, inner_vjp,
                          random_like, reverse_samples)
from .result import CheckResult, Comparison, FDCoverage, element_name

# Moved to comparisons.derivatives and comparisons.result; still importable from here.
from .derivatives import FD_FULL_LIMIT  # noqa: E402,F401
from .result import GradientCheckError, Worst  # noqa: E402,F401

RTOL_ULPS = 256        # exact comparisons agree to 256 eps of the largest magnitude
FD_SAFETY = 10.0       # finite differences: within 10 x their own error estimate

MODES = ("forward", "reverse")
AGAINST = ("jax", "fd", "adjoint")


class PrecisionWarning(UserWarning):
    """The check runs at a precision coarser than float64."""


# ---------------------------------------------------------------------------
# Tolerances

def _user_stacklevel():
    """The stacklevel (for warnings.warn called by our caller) of the first
    frame outside the comparisons package: the user's call."""
    import os
    import sys
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == package:
        frame, level = frame.f_back, level + 1
    return level


def _settings(dtype, rtol):
    eps = float(np.finfo(dtype).eps)
    if eps > np.finfo(np.float64).eps:
        warnings.warn(f"checking at {np.dtype(dtype).name} precision (eps {eps:.2g}): tolerances are "
                      "that coarse; float64 inputs check gradients far more sharply",
                      PrecisionWarning, stacklevel=_user_stacklevel())
    return RTOL_ULPS * eps if rtol is None else rtol


def primal_scale(fun):
    """The scale of the primal values the derivative rules compute from,
    whose rounding (absolute on that scale) may dwarf a derivative that is
    tiny (a saturated tanh or sigmoid): max |f(x)| per input an output
    element sums over, max |f(x)| * min(1, m / n) for m float output and n
    differentiated input elements. An elementwise f (m = n) gives max |f|;
    a loss summing n terms gives its average term, on the scale of the
    values each element's derivative came from (not the sum's, which grows
    with n while no derivative's rounding does); a mean gives |f| / n, as
    its derivatives carry the factor 1 / n too."""
    m = sum(int(np.size(o)) for o in fun.out)
    n = sum(int(np.size(x)) for x in fun.x)
    largest = max(float(np.max(np.abs(np.asarray(o, dtype=np.float64)), initial=0.0)) for o in fun.out)
    return largest * min(1.0, m / max(n, 1))


def _with_floor(typical, floor):
    """Typical magnitudes, each at least `floor` (elementwise)."""
    if typical is None:
        return None
    return [np.maximum(np.abs(np.asarray(t, dtype=np.float64)), floor) for t in typical]


def exact_tolerance(rtol, *arrays, per_element=False):
    """rtol times the largest finite magnitude among the arrays (the two
    compared and their typical magnitude): over the whole row, or, with
    `per_element` (the typical magnitude already bounds each element's
    rounding: comparisons.rounding), element by element. An infinite
    derivative (sqrt at 0) must not make other tolerances infinite: equal
    infinities count as equal anyway, and an infinity against a finite
    value fails."""
    finite = [np.where(np.isfinite(a), np.abs(a), 0.0) for a in np.broadcast_arrays(
        *[np.asarray(a, dtype=np.float64) for a in arrays])]
    scale = np.maximum.reduce(finite) if per_element else max(float(np.max(a, initial=0.0)) for a in finite)
    return rtol * np.maximum(scale, np.finfo(np.float64).tiny)


# ---------------------------------------------------------------------------
# Building rows

def _rows(order, check, names, ours, typical, against, rtol, jax_reference, fd_reference,
          fd_ours=None, per_element=False):
    """One Comparison per leaf and reference. `typical` gives the magnitude
    that scales the exact part of every tolerance; `fd_ours` are our values
    along the FD reference's own (restricted) direction, when it differs."""
    rows = []
    if "jax" in against:
        reference = jax_reference()
        if reference is not None:
            rows += _exact_rows(order, check, "jax", names, ours, reference, typical, rtol, per_element)
    if "fd" in against and fd_reference is not None:
        value, error, kinks, compared = fd_reference
        fd_ours = ours if fd_ours is None else fd_ours
        for i, name in enumerate(names):
            tolerance = FD_SAFETY * error[i] + exact_tolerance(rtol, fd_ours[i], value[i], typical[i],
                                                               per_element=per_element)
            # where f is undefined within a step (sqrt at 0: NaN at x - h), finite
            # differences have nothing to say: those elements are not compared
            defined = ~np.isnan(np.asarray(value[i], dtype=np.float64)) | np.isnan(np.asarray(fd_ours[i], dtype=np.float64))
            sampled = np.ones(np.shape(defined), bool) if compared is None else np.asarray(compared[i], bool)
            mask = defined & sampled
            row = Comparison(order, check, "fd", name, fd_ours[i], value[i], tolerance,
                             kinks=kinks[i], compared=None if mask.all() else mask)
            row.undefined_places = [element_name(name, tuple(int(k) for k in at))
                                    for at in np.argwhere(~defined & sampled)]
            row.unsampled = int(np.sum(~sampled))
            rows.append(row)
    return rows


def _exact_rows(order, check, against, names, ours, reference, typical, rtol, per_element=False):
    """One Comparison per leaf against a reference computed by exact rules."""
    return [Comparison(order, check, against, name, a, b, exact_tolerance(rtol, a, b, t, per_element=per_element))
            for name, a, b, t in zip(names, ours, reference, typical)]


def _names(values):
    """modes= or against= as a tuple of names; one name as a plain string is
    that name (not its characters)."""
    return (values,) if isinstance(values, str) else tuple(values)


def _compared_something(rows, notes):
    """A check that compared nothing must not pass."""
    if not rows:
        raise ValueError("nothing was compared, so nothing is checked"
                         + (": " + "; ".join(notes) if notes else ""))


def _require(values, allowed, what):
    for v in values:
        if v not in allowed:
            raise ValueError(f"unknown {what} {v!r}; choose from {allowed}")


# ---------------------------------------------------------------------------
# check_grads

def check_grads(f, args, modes=MODES, against=AGAINST, order=1, *, argnums=None, jax_twin=None,
                seed=0, rtol=None, fd_method="central", fd_budget=None):
    """Check f's derivatives by our engines, up to `order`.

    For each order k <= `order`: forward mode's k-th JVP (forward over
    forward) along random tangents v1..vk against JAX's and finite
    differences' (of forward mode's (k-1)-th JVP); reverse mode's k-th VJP
    (reverse over reverse: u pulled back, then v1, ...) against JAX's and
    finite differences'; and the adjoint test <u, D^k f[v1..vk]> (forward)
    == <k-th VJP, vk> (reverse), which needs neither JAX nor finite
    differences.

    `args` is the tuple of f's arguments (pytrees allowed); `argnums` picks
    which are differentiated (all float and complex leaves by default). JAX
    replays f through the ops' JAX twins unless `jax_twin` (f written with
    jax.numpy) is given. Returns a `CheckResult`.

    Complex arguments and outputs are checked as their real and imaginary
    parts, separate real variables (rows z.real, z.imag; comparisons.derivatives
    says why), with central finite differences; the complex step
    (fd_method="complex-step") is refused wherever f computes with complex
    values, where it is meaningless.
    """
    modes, against = _names(modes), _names(against)
    _require(modes, MODES, "mode")
    _require(against, AGAINST, "reference")
    if not modes:
        raise ValueError("modes is empty: nothing to check; choose from ('forward', 'reverse')")
    if not set(against) & {"jax", "fd"} and not ("adjoint" in against and len(set(modes)) == 2):
        why = ("the adjoint test needs both modes, forward and reverse" if "adjoint" in against
               else "no reference was chosen")
        raise ValueError(f"check_grads(modes={modes}, against={against}) would compare nothing: {why}; "
                         "add 'jax' or 'fd' to against, or check both modes")
    if order < 1:
        raise ValueError(f"order must be at least 1, got {order}")
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    fun = Function(f, args, argnums, complex_parts=True)
    complex_notes = _complex_notes(fun, fd_method if "fd" in against else None)
    rtol = _settings(fun.dtype, rtol)
    rng = np.random.default_rng(seed)
    refs = References(fun, fd_method, rng, jax_twin, fd_budget)
    refs.notes.extend(complex_notes)
    primal = primal_scale(fun)
    tangents = [random_like(rng, fun.x) for _ in range(order)]
    u = random_like(rng, fun.out)
    rows = []
    for k in range(1, order + 1):
        vs, cts = tangents[:k], [u] + tangents[:k - 1]
        fd_jvp, fd_vjp, restricted = _fd_references(refs, fun, vs, cts, modes, against)
        jvp_k = vjp_k = None
        if "forward" in modes:
            jvp_k, jvp_typical, jvp_restricted = forward_samples(fun, vs, rng, restricted)
            jvp_typical = _with_floor(jvp_typical, primal)
            rows += _rows(k, "forward JVP", fun.out_names, jvp_k, jvp_typical, against, rtol,
                          lambda: refs.jax_jvp(vs), fd_jvp, jvp_restricted)
        if "reverse" in modes:
            vjp_k, vjp_typical = reverse_samples(fun, cts, rng)
            vjp_typical = _with_floor(vjp_typical, primal)
            per_element = False
            if k == 1:
                vjp_typical, fd_vjp, per_element, _ = _rounding_floors(fun, u, vjp_typical, fd_vjp, fd_method)
            rows += _rows(k, "reverse VJP", fun.names, vjp_k, vjp_typical, against, rtol,
                          lambda: refs.jax_vjp(cts), fd_vjp, per_element=per_element)
        if "adjoint" in against and jvp_k is not None and vjp_k is not None:
            scale = max(abs_dot(u, jvp_typical), abs_dot(vjp_typical, vs[-1]))
            rows.append(Comparison(k, "adjoint <u, J v>", "<J^T u, v>", "(all)", dot(u, jvp_k),
                                   dot(vjp_k, vs[-1]), exact_tolerance(rtol, scale)))
    _compared_something(rows, refs.notes)
    coverage = _sample_coverage(refs, fun) if "fd" in against else None
    return CheckResult(f"check_grads({fun.name}, order={order})", rows, fun.dtype,
                       notes=refs.notes + _coverage_notes(coverage, refs) + _kink_notes(rows) + _undefined_notes(rows),
                       hints=_engine_hints(rows, fun) + _kink_hints(rows), fd_coverage=coverage)


def _complex_notes(fun, fd_method):
    """What a check of complex code compares (notes for the result), or a
    ValueError where the complex step was asked for on it."""
    complex_outputs = [name[:-len(".real")] for name in fun.out_names if name.endswith(".real")]
    if not fun.complex_names and not complex_outputs and not fun.computes_complex():
        return []
    if fd_method == "complex-step":
        raise ValueError(
            f"fd_method='complex-step' cannot check {fun.name}: it computes with complex values, and the "
            "complex step f(x + ih) is meaningful only for real code that is real-analytic in x. Use "
            "fd_method='central' (the default: central differences over the real and imaginary parts)")
    notes = []
    if fun.complex_names:
        notes.append(f"complex argument{'s' * (len(fun.complex_names) > 1)} {', '.join(fun.complex_names)}: "
                     "checked as real and imaginary parts (rows z.real, z.imag), separate real variables; "
                     "the engines' and jax.grad's complex gradient is d/dz.real - i d/dz.imag")
    if complex_outputs:
        notes.append(f"complex output{'s' * (len(complex_outputs) > 1)} {', '.join(complex_outputs)}: "
                     "checked as real and imaginary parts")
    if fd_method is not None:
        notes.append(f"finite differences: {fd_method} (the complex step does not apply to complex code)")
    return notes


def _rounding_floors(fun, cotangent, typical, fd, fd_method):
    """Typical magnitudes at least |J|^T |u|, and finite differences' error at
    least the noise of F's values over their step (comparisons.rounding):
    what a correct computation may be off by where its terms cancel (a
    confident softmax loss). Unchanged where our engine cannot record F,
    and on complex code (the analysis is of real arithmetic). The flag says whether the typical magnitudes now bound each element's
    rounding, so that tolerances may be per element."""
    rounding = None if fun.computes_complex() else reverse_rounding(fun, cotangent)
    if rounding is None:
        return typical, fd, False, 0.0
    # An intermediate holding NaN or inf (data with missing values, masked by np.where or
    # np.nan_to_num before the output) bounds nothing: no floor from it, rather than a NaN or
    # infinite tolerance that no comparison could fail.
    typical = [np.where(np.isfinite(m), np.maximum(t, m), t) for t, m in zip(typical, rounding.magnitude)]
    # (the complex step subtracts nothing: no noise of f's values to divide by its step)
    noise = 0.0 if fd_method == "complex-step" else float(np.finfo(fun.dtype).eps) * rounding.value_rounding
    if not np.isfinite(noise):
        noise = 0.0
    if fd is not None and noise:
        value, error, kinks, compared = fd
        steps = fun.unravel(finite_diff.default_step(fun.z(), fd_method))
        error = [np.maximum(e, 2 * noise / np.asarray(h, dtype=np.float64)) for e, h in zip(error, steps)]
        fd = (value, error, kinks, compared)
    return typical, fd, True, noise


def _fd_references(refs, fun, tangents, cotangents, modes, against):
    """Finite differences of the (k-1)-th derivative programs of our
    engines, for the k-th order rows: (JVP reference, VJP reference, the
    tangent they use when it is restricted to sampled coordinates)."""
    if "fd" not in against:
        return None, None, None
    tangent = refs.restrict(tangents[-1])
    along = tangents[-1] if tangent is None else tangent
    forward_on, reverse_on = "forward" in modes, "reverse" in modes
    if len(tangents) == 1:   # both differentiate f itself: one set of FD columns serves both
        fd_jvp, fd_vjp = refs.fd(inner_jvp(fun, []), along if forward_on else None,
                                 cotangents[-1] if reverse_on else None)
        return fd_jvp, fd_vjp, tangent
    fd_jvp = refs.fd(inner_jvp(fun, tangents[:-1]), tangent=along)[0] if forward_on else None
    fd_vjp = (refs.fd(inner_vjp(fun, cotangents[:-1]), cotangent=cotangents[-1])[1]
              if reverse_on else None)
    return fd_jvp, fd_vjp, tangent


# ---------------------------------------------------------------------------
# Hints: turning a pattern of failures into a next step

def _engine_hints(rows, fun):
    def failed(check, against=None):
        return any(not r.passed for r in rows if r.check.startswith(check)
                   and against in (None, r.against))

    def present(check):
        return any(r.check.startswith(check) for r in rows)

    forward_bad, reverse_bad, adjoint_bad = failed("forward"), failed("reverse"), failed("adjoint")
    if not (forward_bad or reverse_bad or adjoint_bad):
        return []
    rule = None
    jax_rows = [r for r in rows if r.against == "jax"]
    if (jax_rows and all(r.passed for r in jax_rows) and not adjoint_bad
            and any(not r.passed for r in rows if r.against == "fd")):
        return ["both engines agree with JAX (and with each other) but not with finite differences: "
                "the finite differences are the odd one out; suspect a kink or a discontinuity of f "
                "within a step of the point, or f too noisy for its step (try fd_method='richardson', "
                "or move the point)"]
    if reverse_bad and present("forward") and not forward_bad:
        hints, rule = ["forward mode agrees with its references but reverse mode does not: a VJP rule "
                       "is wrong (for a modes.defop op: its vjp=)"], "vjp"
    elif forward_bad and present("reverse") and not reverse_bad:
        hints, rule = ["reverse mode agrees with its references but forward mode does not: a JVP rule "
                       "is wrong (for a modes.defop op: its jvp=)"], "jvp"
    elif adjoint_bad:
        hints = ["forward and reverse mode disagree with each other (adjoint test): one of an op's "
                 "two rules is wrong"]
    elif failed("forward", "jax") and not failed("forward", "fd"):
        hints = ["both engines agree with finite differences but not with JAX: an op's JAX twin "
                 "(jax=) may be wrong"]
    else:
        hints = ["both engines disagree with the references but agree with each other: a derivative "
                 "both rules share is wrong (for a modes.defop op: partials=)"]
    return hints + _blame(fun, rule)


def _blame(fun, rule):
    """Name the recorded steps whose rules disagree with their JAX twins."""
    try:
        steps = jax_bridge.check_steps(fun, fun.x)
    except Exception:      # a program JAX cannot replay: no blame, the table says enough
        return []
    hints = []
    for s in [s for s in steps if not s["passed"] and rule in (None, s["rule"])][:3]:
        which = "its JVP rule" if s["rule"] == "jvp" else f"its VJP rule for argument {s['argnum']}"
        hints.append(f"step {s['step']}, op {s['op']!r}: {which} disagrees with JAX's derivative of "
                     f"its twin (abs. error {s['abs_error']:.3g}, tolerance {s['tolerance']:.3g})")
    return hints


def _kink_hints(rows):
    """A failure at a kink: the point, not the derivative, is the likely problem."""
    hints = [f"{r.worst.where} is at (or within a step of) a kink of the function, where finite "
             f"differences are not meaningful ({r.kink_count} such element(s) in {r.name}): move the "
             "point away from the kink, or rely on the JAX comparison"
             for r in rows if not r.passed and r.worst.kink]
    # an exact reference failing where finite differences see a kink: two valid
    # one-sided answers (ReLU's (x > 0) at 0 is a subgradient; JAX's convention is 0.5)
    kinks = {place for r in rows if r.against == "fd" for place in r.kink_places}
    at_kinks = {}
    for r in rows:
        if not r.passed and r.against != "fd" and r.worst.where in kinks:
            at_kinks.setdefault(r.worst.where, []).append(r.against)
    for place, references in at_kinks.items():
        hints.append(f"{place} is at a kink of the function (finite differences see one): any value between "
                     f"the one-sided derivatives is a valid subgradient there, and {' and '.join(references)} "
                     "follow JAX's convention (ties split 0.5/0.5, abs'(0) = 1; DESIGN.md): move the point "
                     "off the kink to check the rest")
    return hints


def _undefined_notes(rows):
    """Elements finite differences could not check: f is NaN within a step."""
    places = list(dict.fromkeys(p for r in rows for p in getattr(r, "undefined_places", [])))
    if not places:
        return []
    shown = ", ".join(places[:5]) + (", ..." if len(places) > 5 else "")
    return [f"finite differences are undefined at {shown} (f is NaN within a step: the edge of its "
            "domain, as sqrt at 0); only the exact references checked those elements"]


def _kink_notes(rows):
    """Kinks where finite differences passed: their error estimate is then
    so large that they checked nothing there."""
    places = []
    for r in rows:
        if r.kink_count and r.passed:
            places += r.kink_places
    if not places:
        return []
    places = list(dict.fromkeys(places))
    shown = ", ".join(places[:5]) + (", ..." if len(places) > 5 else "")
    return [f"finite differences see a kink at {shown}: their error estimate there is too large to "
            "check anything (the table's `kinks` column); move the point to check those elements"]


def _element_coverage(rows, fun):
    """What element-by-element finite differences covered."""
    uncovered = {}
    for r in rows:
        if r.against == "fd":
            for place in r.undefined_places:
                uncovered[place] = "f is NaN within a step (the edge of its domain, as sqrt at 0)"
            for place in r.kink_places:
                uncovered[place] = "a kink within a step: the error estimate there covers any value"
    n = int(sum(np.size(x) for x in fun.x))
    return FDCoverage("elements", n - len(uncovered), n, uncovered, miss_probability=0.0)


def _sample_coverage(refs, fun):
    """What finite differences covered in check_grads: every element, or a
    sample (the exact references, JAX and the adjoint test, see them all)."""
    n, sampled = fun.z().size, len(refs.coordinates())
    if sampled == n:
        return FDCoverage("elements", n, n, {}, miss_probability=0.0)
    why = (f"not sampled: {n} elements x {refs.evaluations_per_direction()} evaluations of f exceed the "
           f"{refs.fd_budget:g} s budget (fd_budget=); the exact references checked them")
    return FDCoverage("sample", sampled, n, {f"the other {n - sampled} elements": why}, miss_probability=None)


def _coverage_notes(coverage, refs):
    """What finite differences compared, in words (only where it is not
    simply every element)."""
    if coverage is not None and coverage.by == "sample":
        return [f"finite differences compared a random sample of {coverage.compared} of the {coverage.size} "
                f"input elements; {next(iter(coverage.uncovered.values()))}"]
    if coverage is None or coverage.by != "directions":
        return []
    n, k = coverage.size, coverage.compared
    budget = (f"{n} elements x {refs.evaluations_per_direction()} evaluations of f would exceed the "
              f"{refs.fd_budget:g} s budget, fd_budget=")
    note = (f"finite differences compared <gradient, v> along {k} random directions v, each +-1 on all {n} "
            f"input elements, instead of element by element ({budget}): one element wrong by more than "
            f"T = {coverage.threshold:.3g} (the largest tolerance of a direction) fails every direction, "
            f"and a gradient wrong by more than 2T in any element passes all {k} with probability at most "
            f"2^-{k} = {coverage.miss_probability:.2g}")
    if coverage.uncovered:
        note += "; not covered: " + "; ".join(f"{p} ({why})" for p, why in coverage.uncovered.items())
    return [note]
