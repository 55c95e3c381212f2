"""Finite differences: the first, AD-free layer of validation.

Every derivative here comes from evaluating the user's plain NumPy function
``f(x)`` at a few perturbed points, so it shares no code and no rules with the
AD engines it checks. Finite differences are also a subject of study in
fwdrev, so each estimate carries an honest error estimate and the step-size
trade-off can be measured with :func:`step_study`.

Methods (``METHODS``) and why their default steps are what they are:

* ``"forward"``: ``(f(x + h) - f(x)) / h``. Truncation error is about
  ``|f''| h / 2``; rounding error is about ``eps |f| / h`` because two nearly
  equal numbers are subtracted and the difference is divided by ``h``.
  The sum is smallest at ``h ~ sqrt(eps)``, giving about ``sqrt(eps)`` (1e-8)
  accuracy.
* ``"central"``: ``(f(x + h) - f(x - h)) / 2h``. The ``h`` term cancels by
  symmetry, so truncation is ``|f'''| h^2 / 6`` while rounding is still
  ``eps |f| / h``; balancing ``h^2`` against ``eps / h`` gives
  ``h ~ eps^(1/3)`` and about ``eps^(2/3)`` (1e-11) accuracy.
* ``"richardson"``: central differences at ``h, h/2, h/4`` combined in a
  Richardson table, which cancels the ``h^2`` and ``h^4`` terms: truncation
  ``O(h^6)``, so ``h ~ eps^(1/7)`` balances it against rounding.
* ``"complex-step"``: ``Im f(x + i h) / h``. For analytic ``f`` the Taylor
  series gives ``f(x + ih) = f(x) + ih f'(x) - h^2 f''(x) / 2 + ...``, so the
  derivative is read off the imaginary part directly: no two values are
  subtracted, so there is no cancellation and ``h`` can be tiny (``eps``),
  leaving machine precision. It is only valid for analytic code; it is
  refused (``ValueError``) where ``f`` shows it is not.

All steps are scaled by ``max(1, |x_i|)`` (a step must be large relative to
the spacing of floating-point numbers near ``x_i``) and rounded to a power of
two, so that ``x +- h``, ``x +- h/2``, ... are exact floating-point numbers and
the step ``f`` actually sees is the step we divide by. ``eps`` is that of the
input's dtype: float32 inputs get float32-sized steps.

Error estimates add a truncation estimate (the same formula at a second
step) to a rounding estimate (f's noise over the step). They assume f is
smooth at the scale of the step; they are estimates, not bounds.

Kinks: where the right and left one-sided derivatives disagree beyond their
error estimates, or f jumps (one increment of the stencil dwarfs the
others), ``f`` is not differentiable at (or within a step of) ``x``;
such elements are flagged in ``FiniteDifference.kinks`` so that a mismatch
there is not reported as an AD failure. The kink test reuses the points of
the error estimate plus ``f(x)`` (central) or the mirrored side (forward).

Evaluations of f per direction: forward 5, central 5, Richardson 7, complex
step 2 plus a 5-point central difference for the analyticity check.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

METHODS = ("forward", "central", "richardson", "complex-step")
# evaluations of f per direction (the module docstring's last paragraph)
EVALUATIONS = {"forward": 5, "central": 5, "richardson": 7, "complex-step": 7}

# Default step h = eps**exponent * max(1, |x|): see the module docstring.
_STEP_EXPONENT = {"forward": 1 / 2, "central": 1 / 3, "richardson": 1 / 7, "complex-step": 1.0}
# Central differences at h, h/2, h/4: the table's last entry is O(h^6).
_RICHARDSON_LEVELS = 3
# f's rounding is modelled as this many ulps of |f| (forward and central also
# measure it, see _noise); the kink test's floor is wider, its band below.
_ROUNDING_ULPS = 1.0
_KINK_NOISE_ULPS = 64.0
_KINK_BAND = 5.0
# A jump: one increment of the stencil this many times any other (see _jumps).
_JUMP_RATIO = 16.0
# The complex step is refused when it disagrees with a central difference by
# more than this multiple of their combined error estimates. Non-analytic code
# is off by O(1) (abs(x) * x gives 1 instead of 2), while the central estimate
# can be low by 10x where f's rounding noise dominates: a wide margin is free.
_ANALYTIC_TOLERANCE = 100.0

_ComplexWarning = getattr(np, "exceptions", np).ComplexWarning


@dataclass
class FiniteDifference:
    """A finite-difference derivative with its error estimate.

    ``value`` has the shape of the derivative (JVP: ``out.shape``; gradient:
    ``x.shape``; Jacobian: ``out.shape + x.shape``), ``error`` is a
    non-negative estimate of ``|value - exact|`` of the same shape, and
    ``kinks`` is a boolean mask of elements at non-differentiable points
    (``None`` for the complex step, which does not compute it).
    """

    value: np.ndarray
    error: np.ndarray
    method: str
    kinks: np.ndarray | None = None


# --------------------------------------------------------------------------
# Inputs and steps


def _as_real_array(x):
    """x as a floating-point ndarray: integers and bools become float64."""
    x = np.asarray(x)
    if x.dtype.kind in "biu":
        return x.astype(np.float64)
    if x.dtype.kind != "f":
        raise TypeError(f"finite differences need a real floating-point x, got dtype {x.dtype}")
    return x


def _check_method(method):
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")


def _power_of_two(h):
    """Round positive steps to the nearest power of two (exact scaling)."""
    return np.exp2(np.round(np.log2(h)))


def default_step(x, method) -> np.ndarray:
    """Per-element error-optimal steps ``eps**p * max(1, |x_i|)``, as x's dtype.

    ``p`` is 1/2 for forward, 1/3 for central, 1/7 for Richardson (these
    balance truncation against rounding, see the module docstring) and 1 for
    the complex step (no rounding term, so only truncation, h^2, matters:
    eps makes it negligible while keeping Im f = h f' far from underflow).
    ``eps`` is that of x's dtype.
    """
    _check_method(method)
    x = _as_real_array(x)
    eps = np.finfo(x.dtype).eps
    base = float(eps) ** _STEP_EXPONENT[method]
    return _power_of_two(base * np.maximum(1.0, np.abs(x))).astype(x.dtype)


def jvp_step(x, v, method):
    """One step t along v moving no element much beyond its default step
    (the smallest step_i / |v_i|, rounded to a power of two so t * v is exact)."""
    nonzero = v != 0
    if not np.any(nonzero):
        return 1.0  # f(x + t*0) = f(x): any t gives the exact JVP, 0
    steps = default_step(x, method)
    return float(_power_of_two(np.min(steps[nonzero] / np.abs(v[nonzero]))))


class _Basis:
    """The coordinate directions e_0 .. e_{n-1} of an array shape, built one
    at a time (a dense identity would take n^2 memory)."""

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype
        self.size = int(np.prod(shape, dtype=np.int64))

    def __len__(self):
        return self.size

    def __getitem__(self, k):
        e = np.zeros(self.size, self.dtype)
        e[k] = 1
        return e.reshape(self.shape)


# --------------------------------------------------------------------------
# The one place f is evaluated


def _call(f, point):
    """f at one point; 0-d points are passed as NumPy scalars (floats)."""
    return np.asarray(f(point[()] if point.ndim == 0 else point))


def _samples(f, x, directions, steps, offsets):
    """Evaluate f along each direction: ``F[s][k] = f(x + s * steps[k] * d_k)``.

    ``offsets`` are multiples of the step (``0``, ``+-1``, ``+-1/2``, ...,
    or ``1j``, ``2j`` for the complex step). Returns the dict ``F`` (each
    entry stacks the K outputs, shape ``(K, *out.shape)``, in at least double
    precision so that forming differences adds no rounding beyond f's own),
    the steps shaped to divide those entries, and the floating-point limits
    (``np.finfo``) of the coarser of the input's and the output's dtype.
    """
    is_complex = any(isinstance(s, complex) for s in offsets)
    point_dtype = np.result_type(x.dtype, np.complex64) if is_complex else x.dtype
    base = x.astype(point_dtype)
    F = {}
    for s in offsets:
        outputs = []
        for k in range(len(directions)):
            delta = np.asarray(s * steps[k] * directions[k]).astype(point_dtype)
            outputs.append(_call(f, base + delta))
        shapes = {out.shape for out in outputs}
        if len(shapes) > 1:
            raise ValueError(f"f returned outputs of different shapes {sorted(shapes)}")
        F[s] = np.stack(outputs)
    limits = np.finfo(x.dtype)
    for s, values in F.items():
        if values.dtype.kind in "fc" and np.finfo(values.dtype).eps > limits.eps:
            limits = np.finfo(values.dtype)
        F[s] = values.astype(np.result_type(values.dtype, np.float64))
    out_ndim = next(iter(F.values())).ndim - 1
    h = np.asarray(steps, dtype=np.float64).reshape((-1,) + (1,) * out_ndim)
    return F, h, limits


def _magnitude(*values):
    """Largest |f| over a stencil, elementwise: the scale of rounding errors."""
    return np.max(np.abs(np.stack(values)), axis=0)


# --------------------------------------------------------------------------
# The methods, along K directions at once. Each returns value, error and
# kinks (or None), arrays of shape (K, *out.shape).


def _noise(fm2, fm1, f0, f1, f2, eps):
    """f's rounding noise at a five-point stencil, elementwise.

    At forward and central steps the third and fourth differences of a smooth
    f (h^3 f''', h^4 f'''') are below rounding, so what they measure is f's
    own noise, divided by their gains sqrt(20), sqrt(70) (Moré and Wild's
    ECnoise idea). This catches code whose rounding is relative to an
    intermediate, not to |f| (log(1 + x**2) near 0). The floor is one ulp of |f|.
    """
    third = np.maximum(np.abs(f1 - 3 * f0 + 3 * fm1 - fm2), np.abs(f2 - 3 * f1 + 3 * f0 - fm1))
    fourth = np.abs(f2 - 4 * f1 + 6 * f0 - 4 * fm1 + fm2)
    measured = np.maximum(third / np.sqrt(20), fourth / np.sqrt(70))
    return np.maximum(_ROUNDING_ULPS * eps * _magnitude(fm2, fm1, f0, f1, f2), measured)


def _kinks(fm2, fm1, f0, f1, f2, h, eps):
    """True where right and left derivatives disagree beyond their errors.

    Each side gets a second-order one-sided derivative from steps h and 2h,
    ``R = 2 D+(h) - D+(2h)`` (and L likewise), whose error is bounded by
    ``|D+(h) - D+(2h)|``. For smooth f, R and L agree to O(h^3); at a kink
    they differ by the jump in slope whatever h is, and at a jump in f by
    O(1/h). Where rounding noise dominates, that bound is only about a third
    of the noise in R - L, hence the factor: it keeps noise from being
    flagged (about 2% of noise-dominated elements) while still catching a
    kink within h/4 of x. A floor of a few dozen ulps of |f| / h does the
    same for ordinary rounding.
    """
    right1, right2 = (f1 - f0) / h, (f2 - f0) / (2 * h)
    left1, left2 = (f0 - fm1) / h, (f0 - fm2) / (2 * h)
    right, left = 2 * right1 - right2, 2 * left1 - left2
    floor = _KINK_NOISE_ULPS * eps * _magnitude(fm2, fm1, f0, f1, f2) / h
    allowed = _KINK_BAND * (np.abs(right1 - right2) + np.abs(left1 - left2)) + floor
    return (np.abs(right - left) > allowed) | _jumps(fm2, fm1, f0, f1, f2, floor * h)


def _jumps(fm2, fm1, f0, f1, f2, floor):
    """True where f jumps within the stencil.

    A jump J between two neighbouring stencil points puts J into that one
    increment, whatever h is, while the other three increments are about
    f' h (one-sided differences growing like 1/h). The slope test above can
    miss it: the jump also inflates its own error bound (a jump at x - h
    gives |R - L| = 1.5 J / h against a band of 2.5 J / h). For smooth f the
    four increments are h f' at points h apart, of one size unless f' is
    near a zero of high order (x^7 within a step of 0: ratio 11), so an
    increment more than _JUMP_RATIO times every other one, and above f's
    rounding floor, is a jump (or a slope change too steep for the step).

    Two jumps in adjacent increments (sign(x) at 0, where f(0) = 0) pass
    that test, so a second one: g(a) = f(x + a) - f(x - a) is odd in a, so
    for smooth f, g(2h) / g(h) = 2 + O(h^2) (far from 2 only where f' is
    within O(h^2 f''') of 0, and g(h) is then about rounding), while across
    a jump g(h) does not go to zero: g(2h) is about g(h).
    """
    steps = np.abs(np.stack([fm1 - fm2, f0 - fm1, f1 - f0, f2 - f1]))
    jump = np.zeros(np.shape(f0), bool)
    for i in range(4):
        others = np.max(np.delete(steps, i, axis=0), axis=0)
        jump |= steps[i] > _JUMP_RATIO * others + floor
    inner, outer = f1 - fm1, f2 - fm2
    return jump | ((np.abs(inner) > floor) & (np.abs(outer - inner) <= 0.25 * np.abs(inner)))


def _forward(f, x, directions, steps):
    F, h, limits = _samples(f, x, directions, steps, (0, 1, 2, -1, -2))
    eps = float(limits.eps)
    stencil = F[-2], F[-1], F[0], F[1], F[2]
    d1, d2 = (F[1] - F[0]) / h, (F[2] - F[0]) / (2 * h)
    # d2 - d1 = f'' h / 2 + ...: the truncation error of d1 itself.
    error = np.abs(d2 - d1) + 2 * _noise(*stencil, eps) / h
    return d1, error, _kinks(*stencil, h, eps)


def _central(f, x, directions, steps):
    F, h, limits = _samples(f, x, directions, steps, (1, -1, 2, -2, 0))
    eps = float(limits.eps)
    stencil = F[-2], F[-1], F[0], F[1], F[2]
    c1, c2 = (F[1] - F[-1]) / (2 * h), (F[2] - F[-2]) / (4 * h)
    # c2 - c1 = 3 f''' h^2 / 6 + ...: a third of it is c1's truncation error.
    error = np.abs(c2 - c1) / 3 + _noise(*stencil, eps) / h
    return c1, error, _kinks(*stencil, h, eps)


def _richardson(f, x, directions, steps):
    fractions = [0.5**j for j in range(_RICHARDSON_LEVELS)]  # h, h/2, h/4
    offsets = [0] + [sign * r for r in fractions for sign in (1, -1)]
    F, h, limits = _samples(f, x, directions, steps, offsets)
    eps = float(limits.eps)
    # Row j of the table: the central difference at step h_j, then
    # extrapolations removing the h^2, h^4, ... terms (halving the step
    # multiplies the h^(2k) term by 4^-k).
    row = []
    for r in fractions:
        coarser = row
        row = [(F[r] - F[-r]) / (2 * r * h)]
        for k, entry in enumerate(coarser, start=1):
            row.append(row[-1] + (row[-1] - entry) / (4**k - 1))
    # The last two entries differ by the error of the less extrapolated one,
    # a conservative estimate for the last. The extrapolation weights amplify
    # the rounding of the finest central difference by about 1.5.
    finest, second = fractions[-1], fractions[-2]
    rounding = 2 * _ROUNDING_ULPS * eps * _magnitude(F[finest], F[-finest]) / (finest * h)
    error = np.abs(row[-1] - row[-2]) + rounding
    # The two finest steps form a (+-1, +-2) stencil for the kink test.
    kinks = _kinks(F[-second], F[-finest], F[0], F[finest], F[second], finest * h, eps)
    return row[-1], error, kinks


# the option is method= here and fd_method= in comparisons.check
USE_ANOTHER_METHOD = ("Use the 'central' or 'richardson' method instead (method= here, fd_method= in "
                      "check_grads, check_gradient and check_backward)")


def _complex_step(f, x, directions, steps):
    """Im f(x + ih) / h, refused unless f behaves as analytic code at x."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", _ComplexWarning)
        try:
            F, h, limits = _samples(f, x, directions, steps, (1j, 2j))
        except (TypeError, _ComplexWarning) as exc:
            raise ValueError(
                f"complex step refused: f is not analytic code, it failed at complex input ({exc}). "
                + USE_ANOTHER_METHOD
            ) from exc
    if not np.iscomplexobj(F[1j]):
        raise ValueError(
            "complex step refused: f is not analytic, it returned a real result for complex input "
            "(abs, maximum/minimum, comparisons, .real or casts discard the imaginary part). "
            + USE_ANOTHER_METHOD
        )
    d1, d2 = F[1j].imag / h, F[2j].imag / (2 * h)
    # Truncation is -f''' h^2 / 6 + ..., so (d2 - d1) / 3 estimates it. No
    # difference of nearby values is formed, so rounding is relative to the
    # derivative itself (a few ulps from evaluating f in complex arithmetic),
    # unless Im f = h f' underflows to subnormal numbers.
    rounding = 4 * float(limits.eps) * np.abs(d1) + float(limits.smallest_subnormal) / h
    error = np.abs(d2 - d1) / 3 + rounding
    _check_analytic(f, x, directions, d1, error)
    return d1, error, None


def _check_analytic(f, x, directions, value, error):
    """Refuse the complex step where f is evidently not analytic at x.

    Code such as ``abs(x) * x`` or ``maximum(x, 0)`` at 0 stays complex, but
    its imaginary part is not the derivative: only an independent estimate
    reveals it. A central difference at its default step is that estimate:
    f is refused where the central stencil finds a kink, or where the two
    derivatives disagree beyond their error estimates.
    """
    steps = _default_steps(x, directions, "central")
    reference, reference_error, kinks = _central(f, x, directions, steps)
    if np.iscomplexobj(reference):
        raise ValueError(
            "complex step refused: f is complex-valued for real input, so Im f(x + ih) / h is not its "
            "derivative. " + USE_ANOTHER_METHOD
        )
    gap = np.abs(value - reference)
    bad = kinks | (gap > _ANALYTIC_TOLERANCE * (reference_error + error))
    if np.any(bad):
        k = np.unravel_index(np.argmax(np.where(bad, gap, -np.inf)), gap.shape)
        why = "has a kink there (one-sided differences disagree)" if kinks[k] else "disagrees with it"
        raise ValueError(
            "complex step refused: f is not analytic at x (abs, maximum/minimum, sign, comparisons "
            f"or the like). At (direction, *output) index {tuple(int(i) for i in k)} the complex step "
            f"gives {value[k]:.17g}, but a central difference gives {reference[k]:.17g} "
            f"+- {reference_error[k]:.2g} and {why}. " + USE_ANOTHER_METHOD
            + " (their `kinks` mask shows non-differentiable points)"
        )


_IMPLEMENTATIONS = {
    "forward": _forward,
    "central": _central,
    "richardson": _richardson,
    "complex-step": _complex_step,
}


def _default_steps(x, directions, method):
    """Default steps along each direction (coordinate or general)."""
    if isinstance(directions, _Basis):
        return default_step(x, method).ravel()
    return np.array([jvp_step(x, d, method) for d in directions])


def _along(f, x, directions, method, steps=None):
    """Value, error and kinks along each direction, shapes (K, *out.shape)."""
    _check_method(method)
    if len(directions) == 0:  # empty x: nothing to perturb
        empty = np.empty((0,) + _call(f, x).shape)
        return empty, empty, None if method == "complex-step" else empty.astype(bool)
    if steps is None:
        steps = _default_steps(x, directions, method)
    steps = np.asarray(steps, dtype=np.float64)
    if not np.all(steps > 0):
        raise ValueError(
            "finite-difference steps must be positive (a step below the spacing of floats near x rounds to 0)"
        )
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _IMPLEMENTATIONS[method](f, x, directions, steps)


# --------------------------------------------------------------------------
# Public API


def _result(value, error, kinks, method):
    return FiniteDifference(
        value=np.asarray(value),
        error=np.asarray(error),
        method=method,
        kinks=None if kinks is None else np.asarray(kinks, dtype=bool),
    )


def jvp(f, x, v, method="central", h=None) -> FiniteDifference:
    """Directional derivative ``J(x) v`` of ``f``, shape ``f(x).shape``.

    ``h`` is the step along v (f is evaluated at ``x + s * h * v``, or at
    ``x + i h v`` for the complex step); by default the power of two nearest
    the smallest ``default_step(x)_i / |v_i|``. Unlike ``jacobian``, steps
    along a general v cannot be made exactly representable, so rounding of
    ``x + h v`` adds to the error (covered by the estimate in typical cases).
    """
    x = _as_real_array(x)
    v = np.broadcast_to(np.asarray(v, dtype=x.dtype), x.shape)
    if h is not None:
        if np.ndim(h) != 0:
            raise ValueError("jvp takes one scalar step h along v")
        h = [float(h)]
    value, error, kinks = _along(f, x, v[None], method, h)
    return _result(value[0], error[0], None if kinks is None else kinks[0], method)


def _jacobian(f, x, method, h):
    """The Jacobian, its error and kinks, plus f's output shape."""
    x = _as_real_array(x)
    directions = _Basis(x.shape, x.dtype)
    steps = None
    if h is not None:
        steps = np.broadcast_to(np.asarray(h, dtype=x.dtype), x.shape)
        if method != "complex-step":
            # Divide by the step f actually sees: x + h rounds, (x + h) - x is exact.
            steps = (x + steps) - x
        steps = steps.ravel()
    value, error, kinks = _along(f, x, directions, method, steps)
    out_shape = value.shape[1:]

    def layout(a):  # (n, *out.shape) -> out.shape + x.shape
        return None if a is None else np.moveaxis(a, 0, -1).reshape(out_shape + x.shape)

    return _result(layout(value), layout(error), layout(kinks), method), out_shape


def jacobian(f, x, method="central", h=None) -> FiniteDifference:
    """Full Jacobian of ``f`` at ``x``, shape ``f(x).shape + x.shape``.

    One direction per element of x, with per-element steps ``h`` (scalar or
    array broadcastable to x; default ``default_step(x, method)``).
    """
    return _jacobian(f, x, method, h)[0]


def gradient(f, x, method="central", h=None) -> FiniteDifference:
    """Gradient of a scalar-valued ``f`` at ``x``, shape ``x.shape``."""
    result, out_shape = _jacobian(f, x, method, h)
    if out_shape != ():
        raise ValueError(f"gradient needs a scalar-valued f, but f returned shape {out_shape}; use jacobian")
    return result


def find_kinks(f, x, v=None) -> np.ndarray:
    """Boolean mask of non-differentiable points, from central-step stencils.

    With ``v``: over the JVP's output, along v. Without: over the Jacobian,
    i.e. over x for a scalar f (where the gradient is not defined).
    """
    result = jacobian(f, x) if v is None else jvp(f, x, v)
    return result.kinks


def step_study(f, x, v, exact, methods=METHODS, steps=np.logspace(-16, -1, 46)) -> pd.DataFrame:
    """Error against step size for each method: the V-shaped curves.

    For each method and step h, the max-abs error of ``jvp(f, x, v, method,
    h)`` against the exact JVP ``exact``. Forward and central errors fall with
    h (truncation) until rounding, ``eps |f| / h``, takes over: a V with its
    bottom near the default step. The complex step has no rounding term, so
    its error stays at machine precision down to the smallest h (for
    non-analytic f it raises ValueError: leave it out of ``methods``).
    Returns a DataFrame with columns ``method``, ``h``, ``error``.
    """
    exact = np.asarray(exact)
    rows = []
    for method in methods:
        for h in np.asarray(steps, dtype=np.float64):
            value = jvp(f, x, v, method=method, h=h).value
            rows.append((method, float(h), float(np.max(np.abs(value - exact)))))
    return pd.DataFrame(rows, columns=["method", "h", "error"])
