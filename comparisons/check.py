"""Gradient checks with results a person can act on.

    check_grads(f, args)                  both engines vs JAX, finite differences
                                          and each other (the adjoint test)
    check_gradient(f, grad_f, *args)      a hand-written gradient vs JAX and FD
    check_backward(forward, backward, *x) a CS231n layer's backward vs our
                                          reverse engine, JAX and FD

Every comparison becomes one row of `CheckResult.table`.

How values are compared. Derivatives are compared as directional
derivatives (JVPs along a random tangent, one row per output) and
cotangents (VJPs of a random cotangent, one row per input), so any output
shape works with one pass per engine; a seeded generator makes every check
reproducible. The relative error is the CS231n one,
    rel = |a - b| / max(|a|, |b|)   (0 where a == b, so never 0/0),
reported but not used to decide: it is meaningless where a derivative is
(nearly) zero. The verdict uses tolerances built from the working precision
`eps` (that of the lowest-precision float input: float32 inputs get float32
tolerances, with a warning that float64 checks better) and from error
estimates, never from the array size:

  exact rules (JAX, our engines, a hand-written gradient, the adjoint test):
      |a - b| <= RTOL_ULPS * eps * scale
  with scale the largest of |a|, |b| and the typical magnitude of the
  derivative in the row. Rounding in a sum is relative to its terms, not to
  a result that may have cancelled (a JVP of a scalar is a dot product), so
  the typical magnitude is the root mean square of our engine's derivative
  along SAMPLES random directions (one chunked forward pass; one recording
  pulled back SAMPLES times). For the adjoint test, two inner products,
  scale = max(sum |u| typical(Jv), sum typical(J^T u) |v|);
  finite differences (finite_diff's error estimate `err`, elementwise):
      |a - b| <= FD_SAFETY * err + RTOL_ULPS * eps * scale.
Finite differences run along input coordinates, whose steps are exact
(x + h v along a general direction v rounds, an error their estimates do
not see), one direction per element: a VJP u^T J is each column contracted
with u, a JVP J v the columns summed with weights v, and the error
estimates contract with |u| and |v|. Up to FD_FULL_LIMIT input elements all
are used; beyond that a random sample of FD_SAMPLES (the sparse gradient
check of CS231n), and the JVP compared with finite differences is then the
one along v restricted to those elements.

Where finite differences see a kink (one-sided slopes that differ), a
mismatch still fails, but the message says so: the point, not the
derivative, is the likely problem there.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass

import numpy as np

from modes import forward, reverse
from modes.numpy_dispatch import UnsupportedFunction
from modes.ops import strip
from modes.pytree import flatten

from . import finite_diff, jax_bridge

RTOL_ULPS = 256        # exact comparisons agree to 256 eps of the largest magnitude
FD_SAFETY = 10.0       # finite differences: within 10 x their own error estimate
FD_FULL_LIMIT = 200    # elementwise FD gradients up to this many input elements
FD_SAMPLES = 64        # beyond it, this many randomly chosen elements
SAMPLES = 4            # random directions that measure a derivative's typical magnitude

MODES = ("forward", "reverse")
AGAINST = ("jax", "fd", "adjoint")


class GradientCheckError(AssertionError):
    """Raised by `CheckResult.raise_if_failed`; its message is the report."""


class PrecisionWarning(UserWarning):
    """The check runs at a precision coarser than float64."""


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
        return self.argument + (f"[{', '.join(map(str, self.index))}]" if self.index else "")

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
        if a.size:
            at = np.unravel_index(int(np.argmax(ratio)), a.shape)
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

    def row(self):
        return dict(order=self.order, check=self.check, against=self.against, argument=self.argument,
                    max_abs_error=self.max_abs_error, max_rel_error=self.max_rel_error,
                    tolerance=self.worst.tolerance, passed=self.passed,
                    worst_index=self.worst.index, kinks=self.kink_count)

    def describe(self):
        if self.check.startswith("adjoint"):
            w = self.worst
            return (f"{self.name}: <u, J v> by forward mode = {w.value:.10g} but <J^T u, v> by reverse "
                    f"mode = {w.reference:.10g} (abs. error {w.abs_error:.3g}, rel. error "
                    f"{w.relative_error:.3g}, tolerance {w.tolerance:.3g})")
        return str(self.worst)


def exact_tolerance(rtol, *arrays):
    """rtol times the largest magnitude among the arrays (the two compared
    and their typical magnitude)."""
    scale = max([float(np.max(np.abs(np.asarray(a, dtype=np.float64)), initial=0.0)) for a in arrays])
    return rtol * max(scale, np.finfo(np.float64).tiny)


# ---------------------------------------------------------------------------
# Results

class CheckResult:
    """`.ok`, `.table` (one row per comparison), `.worst`, a readable
    `str()` and `.raise_if_failed()`."""

    def __init__(self, title, comparisons, dtype, notes=(), hints=()):
        self.title, self.comparisons, self.dtype = title, list(comparisons), np.dtype(dtype)
        self.notes, self.hints = list(notes), list(hints)

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

    def raise_if_failed(self):
        if not self.ok:
            raise GradientCheckError(str(self))
        return self


# ---------------------------------------------------------------------------
# A function as seen by the checks: differentiable leaves in, flat outputs out

class Function:
    """f(*args) viewed as F(*x) -> tuple of float output arrays, where x are
    the float leaves of the arguments in `argnums` (all by default); the
    other leaves (integer labels, masks, configuration) stay fixed."""

    def __init__(self, f, args, argnums=None):
        self.f, self.args = f, tuple(args)
        self.name = getattr(f, "__name__", "f")
        positions = range(len(self.args)) if argnums is None else (
            (argnums,) if isinstance(argnums, int) else tuple(argnums))
        self.leaves, self.rebuild = flatten(self.args)
        argument_names = _parameter_names(f, len(self.args))
        self.slots, self.names = [], []
        start = 0
        for position, arg in enumerate(self.args):
            paths = _leaf_paths(arg, argument_names[position])
            for k, path in enumerate(paths):
                if position in positions and jax_bridge.is_float_leaf(self.leaves[start + k]):
                    self.slots.append(start + k)
                    self.names.append(path)
            start += len(paths)
        if not self.slots:
            raise ValueError(f"{self.name} has no floating-point argument to differentiate "
                             "(integers and booleans are constants)")
        self.x = [_copy(self.leaves[i]) for i in self.slots]
        out = f(*self.args)
        out_leaves, _ = flatten(out)
        self.keep = [jax_bridge.is_float_leaf(y) for y in out_leaves]
        self.out = [np.asarray(y) for y, k in zip(out_leaves, self.keep) if k]
        if not self.out:
            raise ValueError(f"{self.name} returned no floating-point output to differentiate")
        self.out_names = [p for p, k in zip(_leaf_paths(out, "out"), self.keep) if k]
        self.dtype = _working_dtype(self.x)

    def __call__(self, *xs):
        return self.call(self.f, xs)

    def call(self, body, xs):
        """`body` (f, or its JAX twin) at the differentiable leaves xs."""
        full = list(self.leaves)
        for i, value in zip(self.slots, xs):
            full[i] = value
        out_leaves, _ = flatten(body(*self.rebuild(full)))
        return tuple(y for y, k in zip(out_leaves, self.keep) if k)

    # flat vectors for finite differences
    def ravel(self, leaves):
        return np.concatenate([np.ravel(np.asarray(strip(v), dtype=np.float64)) for v in leaves])

    def unravel(self, vector):
        parts, start = [], 0
        for leaf in self.x:
            size = int(np.size(leaf))
            chunk = vector[start:start + size]
            parts.append(float(chunk[0]) if isinstance(leaf, float) else
                         chunk.reshape(np.shape(leaf)).astype(np.asarray(leaf).dtype))
            start += size
        return parts

    def z(self):
        """The differentiable leaves as one vector, in the working dtype."""
        return self.ravel(self.x).astype(np.result_type(*[np.asarray(v).dtype for v in self.x]))


def _copy(leaf):
    return leaf if isinstance(leaf, float) else np.array(leaf)


def _working_dtype(leaves):
    """The lowest precision among the float leaves (Python floats: float64)."""
    dtypes = [np.asarray(v).dtype for v in leaves]
    return max(dtypes, key=lambda d: np.finfo(d).eps)


def _parameter_names(f, n):
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    names = []
    for i in range(n):
        p = parameters[i] if i < len(parameters) else None
        if p is not None and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        else:
            names.append(f"args[{i}]")
    return names


def _leaf_paths(tree, prefix):
    """Names of the leaves of a pytree, in `modes.pytree.flatten` order."""
    if isinstance(tree, (tuple, list)):
        return [p for i, item in enumerate(tree) for p in _leaf_paths(item, f"{prefix}[{i}]")]
    if isinstance(tree, dict):
        return [p for k in tree for p in _leaf_paths(tree[k], f"{prefix}[{k!r}]")]
    return [prefix]


def _random_like(rng, leaves):
    """Standard normal (co)tangents shaped and typed like the leaves."""
    out = []
    for leaf in leaves:
        if isinstance(leaf, float):
            out.append(float(rng.standard_normal()))
        else:
            leaf = np.asarray(leaf)
            out.append(rng.standard_normal(leaf.shape).astype(leaf.dtype))
    return out


def _plain(tree):
    return [np.asarray(strip(v)) for v in flatten(tree)[0]]


# ---------------------------------------------------------------------------
# Engines, in JAX's vocabulary: jvp(F, primals, tangents) -> (out, out_tangent)
# and vjp(F, primals) -> pullback(cotangent) -> input cotangents

def _our_jvp(F, primals, tangents):
    return forward.jvp(F, tuple(primals), tuple(tangents))


def _our_vjp(F, primals):
    _, pullback = reverse.vjp(F, *primals)
    return lambda cotangent: pullback(tuple(cotangent))


def _jax_value(v):
    """JAX values (arrays, tracers of an outer transformation) pass; NumPy
    arrays and Python floats become arrays with an explicit dtype."""
    return v if hasattr(v, "aval") else np.asarray(v)


def _jax_jvp(F, primals, tangents):
    import jax
    return jax.jvp(F, tuple(map(_jax_value, primals)), tuple(map(_jax_value, tangents)))


def _jax_vjp(F, primals):
    import jax
    out, pullback = jax.vjp(F, *map(_jax_value, primals))
    return lambda cotangent: pullback(jax_bridge.cast_like(tuple(cotangent), out))


def nested_jvp(jvp, F, x, tangents):
    """The k-th directional derivative of F along tangents[0..k-1]
    (forward over forward ...), as a tuple of output arrays."""
    g = F
    for v in tangents[:-1]:
        g = (lambda g, v: lambda *xs: jvp(g, xs, v)[1])(g, v)
    return jvp(g, x, tangents[-1])[1]


def nested_pullback(vjp, F, x, cotangents):
    """Reverse over reverse: the pullback of the map that pulls cotangents[0]
    back through F, then cotangents[1] through that map, ... (F's own
    pullback when there are none)."""
    g = F
    for c in cotangents:
        g = (lambda g, c: lambda *xs: tuple(vjp(g, xs)(c)))(g, c)
    return vjp(g, x)


def _dot(a, b):
    return float(sum(np.sum(np.asarray(x, np.float64) * np.asarray(y, np.float64))
                     for x, y in zip(_plain(a), _plain(b))))


def _abs_dot(a, b):
    return _dot([np.abs(x) for x in _plain(a)], [np.abs(y) for y in _plain(b)])


def _typical(samples):
    """Per leaf, the root mean square over samples (lists of leaves): the
    typical magnitude of a derivative along random directions, immune to
    the cancellation that makes one direction's value small."""
    return [np.sqrt(np.mean(np.square(np.stack(leaves).astype(np.float64)), axis=0))
            for leaves in zip(*samples)]


class _References:
    """Reference derivatives of one Function: JAX's (on the replay or a
    user's twin) and finite differences'."""

    def __init__(self, fun, fd_method, rng, jax_twin=None):
        self.fun, self.fd_method, self.rng, self.jax_twin = fun, fd_method, rng, jax_twin
        self.notes, self._jax, self._coordinates = [], None, None

    def jax_function(self):
        """F for JAX, or None (with a note) when the program cannot be replayed."""
        if self._jax is None:
            fun = self.fun
            if self.jax_twin is not None:
                self._jax = lambda *xs: fun.call(self.jax_twin, xs)
            else:
                try:
                    with jax_bridge.x64():
                        self._jax = jax_bridge.replay(fun, *fun.x)
                except (jax_bridge.NotReplayable, UnsupportedFunction) as exc:
                    self.notes.append(f"no JAX comparison: {exc}")
                    self._jax = False
        return self._jax or None

    def jax_jvp(self, tangents):
        F = self.jax_function()
        if F is None:
            return None
        with jax_bridge.x64():
            return _plain(nested_jvp(_jax_jvp, F, self.fun.x, tangents))

    def jax_vjp(self, cotangents):
        F = self.jax_function()
        if F is None:
            return None
        with jax_bridge.x64():
            return _plain(nested_pullback(_jax_vjp, F, self.fun.x, cotangents[:-1])(cotangents[-1]))

    def coordinates(self):
        """The input coordinates finite differences run along: all of them,
        or a random sample of FD_SAMPLES beyond FD_FULL_LIMIT (fixed per check)."""
        if self._coordinates is None:
            n = self.fun.z().size
            self._coordinates = (np.arange(n) if n <= FD_FULL_LIMIT else
                                 np.sort(self.rng.choice(n, size=FD_SAMPLES, replace=False)))
        return self._coordinates

    def restrict(self, tangent):
        """The tangent with zeros off the FD coordinates (None: it is all of them)."""
        n = self.fun.z().size
        if len(self.coordinates()) == n:
            return None
        flat = np.zeros(n)
        flat[self.coordinates()] = self.fun.ravel(tangent)[self.coordinates()]
        return self.fun.unravel(flat)

    def fd(self, inner, tangent=None, cotangent=None):
        """Finite differences of x -> inner(x) along each FD coordinate, with
        exact steps (a general direction's x + h v rounds), contracted on the
        fly: with `tangent` (zero off the coordinates) into a JVP, with
        `cotangent` into a VJP. Error estimates contract with absolute
        values, so they stay on the scale of inner's own values even where a
        contraction cancels. Returns (jvp, vjp): jvp per output leaf and vjp
        per input leaf, each (value, error, kinks, compared mask or None)."""
        fun = self.fun
        z = fun.z()
        n = z.size
        out_like = _plain(inner(*fun.x))
        m = sum(int(np.size(o)) for o in out_like)
        t = None if tangent is None else fun.ravel(tangent)
        c = None if cotangent is None else fun.ravel(cotangent)
        jvp = [np.zeros(m), np.zeros(m), np.zeros(m, bool)]
        vjp = [np.full(n, np.nan), np.zeros(n), np.zeros(n, bool), np.zeros(n, bool)]
        G = lambda z: fun.ravel(inner(*fun.unravel(z)))
        for k in self.coordinates():
            r = finite_diff.jvp(G, z, np.eye(1, n, k, dtype=z.dtype)[0], method=self.fd_method)
            kinks = np.zeros(m, bool) if r.kinks is None else np.asarray(r.kinks, bool)
            if t is not None and t[k] != 0:
                jvp[0] += t[k] * r.value
                jvp[1] += abs(t[k]) * r.error
                jvp[2] |= kinks
            if c is not None:
                vjp[0][k], vjp[1][k] = c @ r.value, np.abs(c) @ r.error
                vjp[2][k], vjp[3][k] = bool(np.any(kinks & (c != 0))), True
        return ([_split(a, out_like) for a in jvp] + [None],
                [_split(a, fun.x) for a in vjp[:3]] + [None if vjp[3].all() else _split(vjp[3], fun.x)])


def _split(vector, like):
    """A flat vector cut into arrays shaped like `like`."""
    parts, start = [], 0
    vector = np.asarray(vector)
    for leaf in like:
        size = int(np.size(leaf))
        parts.append(vector[start:start + size].reshape(np.shape(leaf)))
        start += size
    return parts


# ---------------------------------------------------------------------------
# Building rows

def _rows(order, check, names, ours, typical, against, rtol, jax_reference, fd_reference,
          fd_ours=None):
    """One Comparison per leaf and reference. `typical` gives the magnitude
    that scales the exact part of every tolerance; `fd_ours` are our values
    along the FD reference's own (restricted) direction, when it differs."""
    rows = []
    if "jax" in against:
        reference = jax_reference()
        if reference is not None:
            rows += [Comparison(order, check, "jax", name, a, b, exact_tolerance(rtol, a, b, t))
                     for name, a, b, t in zip(names, ours, reference, typical)]
    if "fd" in against and fd_reference is not None:
        value, error, kinks, compared = fd_reference
        fd_ours = ours if fd_ours is None else fd_ours
        for i, name in enumerate(names):
            tolerance = FD_SAFETY * error[i] + exact_tolerance(rtol, fd_ours[i], np.nan_to_num(value[i]),
                                                               typical[i])
            rows.append(Comparison(order, check, "fd", name, fd_ours[i], value[i], tolerance,
                                   kinks=kinks[i], compared=None if compared is None else compared[i]))
    return rows


def _settings(dtype, rtol):
    eps = float(np.finfo(dtype).eps)
    if eps > np.finfo(np.float64).eps:
        warnings.warn(f"checking at {np.dtype(dtype).name} precision (eps {eps:.2g}): tolerances are "
                      "that coarse; float64 inputs check gradients far more sharply",
                      PrecisionWarning, stacklevel=3)
    return RTOL_ULPS * eps if rtol is None else rtol


def _require(values, allowed, what):
    for v in values:
        if v not in allowed:
            raise ValueError(f"unknown {what} {v!r}; choose from {allowed}")


# ---------------------------------------------------------------------------
# check_grads

def check_grads(f, args, modes=MODES, against=AGAINST, order=1, *, argnums=None, jax_twin=None,
                seed=0, rtol=None, fd_method="central"):
    """Check f's derivatives by our engines, up to `order`.

    For each order k <= `order`: forward mode's k-th JVP (forward over
    forward) along random tangents v1..vk against JAX's and finite
    differences' (of forward mode's (k-1)-th JVP); reverse mode's k-th VJP
    (reverse over reverse: u pulled back, then v1, ...) against JAX's and
    finite differences'; and the adjoint test <u, D^k f[v1..vk]> (forward)
    == <k-th VJP, vk> (reverse), which needs neither JAX nor finite
    differences.

    `args` is the tuple of f's arguments (pytrees allowed); `argnums` picks
    which are differentiated (all float leaves by default). JAX replays f
    through the ops' JAX twins unless `jax_twin` (f written with jax.numpy)
    is given. Returns a `CheckResult`.
    """
    modes, against = tuple(modes), tuple(against)
    _require(modes, MODES, "mode")
    _require(against, AGAINST, "reference")
    if order < 1:
        raise ValueError(f"order must be at least 1, got {order}")
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    fun = Function(f, args, argnums)
    rtol = _settings(fun.dtype, rtol)
    rng = np.random.default_rng(seed)
    refs = _References(fun, fd_method, rng, jax_twin)
    tangents = [_random_like(rng, fun.x) for _ in range(order)]
    u = _random_like(rng, fun.out)
    rows = []
    for k in range(1, order + 1):
        vs, cts = tangents[:k], [u] + tangents[:k - 1]
        fd_jvp, fd_vjp, restricted = _fd_references(refs, fun, vs, cts, modes, against)
        jvp_k = vjp_k = None
        if "forward" in modes:
            jvp_k, jvp_typical, jvp_restricted = _forward_samples(fun, vs, rng, restricted)
            rows += _rows(k, "forward JVP", fun.out_names, jvp_k, jvp_typical, against, rtol,
                          lambda: refs.jax_jvp(vs), fd_jvp, jvp_restricted)
        if "reverse" in modes:
            vjp_k, vjp_typical = _reverse_samples(fun, cts, rng)
            rows += _rows(k, "reverse VJP", fun.names, vjp_k, vjp_typical, against, rtol,
                          lambda: refs.jax_vjp(cts), fd_vjp)
        if "adjoint" in against and jvp_k is not None and vjp_k is not None:
            scale = max(_abs_dot(u, jvp_typical), _abs_dot(vjp_typical, vs[-1]))
            rows.append(Comparison(k, "adjoint <u, J v>", "<J^T u, v>", "(all)", _dot(u, jvp_k),
                                   _dot(vjp_k, vs[-1]), rtol * max(scale, np.finfo(np.float64).tiny)))
    return CheckResult(f"check_grads({fun.name}, order={order})", rows, fun.dtype,
                       notes=refs.notes + _kink_notes(rows),
                       hints=_engine_hints(rows, fun) + _kink_hints(rows))


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
        fd_jvp, fd_vjp = refs.fd(_inner_jvp(fun, []), along if forward_on else None,
                                 cotangents[-1] if reverse_on else None)
        return fd_jvp, fd_vjp, tangent
    fd_jvp = refs.fd(_inner_jvp(fun, tangents[:-1]), tangent=along)[0] if forward_on else None
    fd_vjp = (refs.fd(_inner_vjp(fun, cotangents[:-1]), cotangent=cotangents[-1])[1]
              if reverse_on else None)
    return fd_jvp, fd_vjp, tangent


def _forward_samples(fun, tangents, rng, restricted=None):
    """Forward mode's derivative along `tangents`, its typical magnitude
    from SAMPLES directions for the last tangent, and (if given) along the
    `restricted` last tangent instead: one chunked pass."""
    extra = [_random_like(rng, fun.x) for _ in range(SAMPLES - 1)]
    if restricted is not None:
        extra.append(restricted)
    chunk = [np.stack([v] + [e[i] for e in extra]) for i, v in enumerate(tangents[-1])]
    out = _plain(nested_jvp(_our_jvp, fun, fun.x, tangents[:-1] + [chunk]))
    ours = [o[0] for o in out]
    along_restricted = [o[-1] for o in out] if restricted is not None else None
    return ours, _typical([[o[j] for o in out] for j in range(SAMPLES)]), along_restricted


def _reverse_samples(fun, cotangents, rng):
    """Reverse mode's pullback of `cotangents`, and its typical magnitude
    from SAMPLES cotangents in place of the last (one recording)."""
    pullback = nested_pullback(_our_vjp, fun, fun.x, cotangents[:-1])
    last = cotangents[-1]
    cotangents_used = [last] + [_random_like(rng, last) for _ in range(SAMPLES - 1)]
    samples = [_plain(pullback(c)) for c in cotangents_used]
    return samples[0], _typical(samples)


def _inner_jvp(fun, tangents):
    """x -> forward mode's derivative of order len(tangents) (F itself for 0)."""
    if not tangents:
        return lambda *xs: _plain(fun(*xs))
    return lambda *xs: _plain(nested_jvp(_our_jvp, fun, list(xs), tangents))


def _inner_vjp(fun, cotangents):
    """x -> reverse mode's pullback of cotangents (F itself for none)."""
    if not cotangents:
        return lambda *xs: _plain(fun(*xs))
    return lambda *xs: _plain(nested_pullback(_our_vjp, fun, list(xs), cotangents[:-1])(cotangents[-1]))


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
    return [f"{r.worst.where} is at (or within a step of) a kink of the function, where finite "
            f"differences are not meaningful ({r.kink_count} such element(s) in {r.name}): move the "
            "point away from the kink, or rely on the JAX comparison"
            for r in rows if not r.passed and r.worst.kink]


def _kink_notes(rows):
    """Kinks where finite differences passed: their error estimate is then
    so large that they checked nothing there."""
    places = []
    for r in rows:
        if r.kink_count and r.passed:
            places += [r.argument + (f"[{', '.join(map(str, i))}]" if i else "") for i in r.kink_indices]
    if not places:
        return []
    places = list(dict.fromkeys(places))
    shown = ", ".join(places[:5]) + (", ..." if len(places) > 5 else "")
    return [f"finite differences see a kink at {shown}: their error estimate there is too large to "
            "check anything (the table's `kinks` column); move the point to check those elements"]


# ---------------------------------------------------------------------------
# Hand-written gradients and CS231n backward passes

def check_gradient(f, grad_f, *args, argnums=None, against=("jax", "fd"), jax_twin=None, seed=0,
                   rtol=None, fd_method="central"):
    """Check a hand-written gradient: `grad_f(*args)` against the gradient
    of the scalar `f(*args)` by JAX (f replayed, or `jax_twin`) and finite
    differences ("reverse" adds our reverse engine). `grad_f` returns one
    gradient per differentiated argument (every argument with a float leaf,
    or `argnums`), a bare array when there is one, mirroring pytrees."""
    fun = Function(f, args, argnums)
    if len(fun.out) != 1 or fun.out[0].shape != ():
        raise ValueError(f"check_gradient needs a scalar-valued f; {fun.name} returned shapes "
                         f"{[o.shape for o in fun.out]}. Use check_backward for a VJP.")
    hand = _hand_written_leaves(grad_f(*args), fun, argnums, "grad_f")
    return _check_vjp(fun, [1.0], hand, against, f"check_gradient({fun.name})", "hand-written gradient",
                      jax_twin, seed, rtol, fd_method)


def check_backward(forward_fn, backward_fn, *inputs, against=("reverse", "jax", "fd"), seed=0,
                   rtol=None, fd_method="central"):
    """Check a CS231n-style layer: `forward_fn(*inputs) -> (out, cache)`,
    `backward_fn(dout, cache) -> (dx, dw, ...)` one gradient per input
    (None, or nothing at the end, for inputs that are not differentiated).
    A random upstream `dout` is pulled back by the hand-written backward and
    by our reverse engine, JAX and finite differences."""
    rng = np.random.default_rng(seed)
    out, cache = forward_fn(*inputs)
    dout = _random_like(rng, [out])[0]
    grads = backward_fn(dout, cache)
    grads = list(grads) if isinstance(grads, (tuple, list)) else [grads]
    if len(grads) > len(inputs):
        raise ValueError(f"backward returned {len(grads)} gradients for {len(inputs)} inputs")
    positions = tuple(i for i, g in enumerate(grads) if g is not None)
    name = getattr(forward_fn, "__name__", "forward")

    def layer(*xs):
        return forward_fn(*xs)[0]
    layer.__signature__ = _signature_or_none(forward_fn)
    layer.__name__ = name
    fun = Function(layer, inputs, positions)
    hand = _hand_written_leaves(tuple(grads[i] for i in positions), fun, positions, "backward")
    return _check_vjp(fun, [dout], hand, against, f"check_backward({name})", "hand-written backward",
                      None, seed, rtol, fd_method)


def _signature_or_none(f):
    try:
        return inspect.signature(f)
    except (TypeError, ValueError):
        return None


def _hand_written_leaves(grads, fun, positions, who):
    """The hand-written gradients as a list aligned with fun.x, shapes checked.

    One gradient per differentiated argument (`positions`; None: every
    argument with a float leaf), a bare array when there is only one."""
    if positions is None:
        positions = [i for i, a in enumerate(fun.args)
                     if any(jax_bridge.is_float_leaf(v) for v in flatten(a)[0])]
    positions = (positions,) if isinstance(positions, int) else tuple(positions)
    chosen = [fun.args[i] for i in positions]
    sequence = (tuple, list)
    if len(chosen) == 1 and not (isinstance(grads, sequence) and isinstance(chosen[0], sequence)):
        grads = grads if isinstance(grads, sequence) and len(grads) == 1 else (grads,)
    if not isinstance(grads, sequence) or len(grads) != len(chosen):
        count = len(grads) if isinstance(grads, sequence) else 1
        raise ValueError(f"{who} returned {count} gradient(s) for {len(chosen)} differentiated "
                         "arguments; pass argnums= to say which arguments they belong to")
    leaves = []
    for arg, g in zip(chosen, grads):
        for leaf, value in zip(flatten(arg)[0], _leaves_like(g, arg)):
            if jax_bridge.is_float_leaf(leaf):
                leaves.append(value)
    for name, x, g in zip(fun.names, fun.x, leaves):
        if g is None or np.shape(g) != np.shape(x):
            raise ValueError(f"{who} returned a gradient of shape {None if g is None else np.shape(g)} "
                             f"for {name} of shape {np.shape(x)}: a gradient has its input's shape")
    return [np.asarray(g) for g in leaves]


def _leaves_like(tree, template):
    """Leaves of `tree` in `template`'s order (dict keys matched by name)."""
    if isinstance(template, dict) and isinstance(tree, dict):
        return [leaf for k in template for leaf in _leaves_like(tree[k], template[k])]
    if isinstance(template, (tuple, list)) and isinstance(tree, (tuple, list)):
        return [leaf for t, s in zip(tree, template) for leaf in _leaves_like(t, s)]
    return [tree]


def _check_vjp(fun, cotangent, hand, against, title, check, jax_twin, seed, rtol, fd_method):
    """A hand-written VJP of one cotangent against the references. Our
    reverse engine, when it can trace the user's code, is a reference and
    gives the typical magnitudes that scale the tolerances."""
    _require(against, ("reverse", "jax", "fd"), "reference")
    rtol = _settings(fun.dtype, rtol)
    rng = np.random.default_rng(seed)
    refs = _References(fun, fd_method, rng, jax_twin)
    try:
        ours, typical = _reverse_samples(fun, [cotangent], rng)
    except Exception as exc:    # user code may do what our engine cannot trace (x.copy(), x[i] = v)
        refs.notes.append(f"fwdrev cannot trace {fun.name} ({type(exc).__name__}: {exc}); "
                          "compared with finite differences and a JAX twin only")
        if jax_twin is None:
            refs._jax = False       # the replay needs our trace too
        ours, typical = None, hand
    rows = []
    if "reverse" in against and ours is not None:
        rows += [Comparison(1, check, "reverse", name, a, b, exact_tolerance(rtol, a, b, t))
                 for name, a, b, t in zip(fun.names, hand, ours, typical)]
    fd = refs.fd(_inner_vjp(fun, []), cotangent=cotangent)[1] if "fd" in against else None
    rows += _rows(1, check, fun.names, hand, typical, [a for a in against if a != "reverse"], rtol,
                  lambda: refs.jax_vjp([cotangent]), fd)
    return CheckResult(title, rows, fun.dtype, notes=refs.notes + _kink_notes(rows),
                       hints=_hand_written_hints(rows) + _kink_hints(rows))


def _hand_written_hints(rows):
    """What a pattern of failures says about a hand-written gradient."""
    failed = [r for r in rows if not r.passed]
    if not failed:
        return []
    if all(r.against == "reverse" for r in failed) and any(r.against != "reverse" for r in rows):
        return ["JAX and finite differences agree with the hand-written code but fwdrev's reverse "
                "engine does not: that is a bug in fwdrev, please report it"]
    arguments = list(dict.fromkeys(r.argument for r in rows))
    wrong = [a for a in arguments if all(not r.passed for r in rows if r.argument == a)]
    if not wrong:       # the references disagree among themselves: the table says which
        return []
    if len(wrong) == len(arguments):
        return ["every gradient disagrees with every reference: check the terms they share "
                "(the upstream gradient, the cache)"]
    return [f"the gradient for {', '.join(wrong)} disagrees with every reference while the others "
            f"agree: the hand-written code for {'it' if len(wrong) == 1 else 'them'} is wrong"]
