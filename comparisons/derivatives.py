"""The derivatives a gradient check compares, all in one vocabulary.

`Function` is f as the checks see it: its float leaves in, its float
outputs out. Our engines and JAX are both spoken to in JAX's terms,
jvp(F, primals, tangents) -> (out, out_tangent) and vjp(F, primals) ->
pullback, so `nested_jvp` and `nested_pullback` build k-th derivatives
(forward over forward, reverse over reverse) from either. `References`
holds JAX's derivatives (on the replay of f, or a user's twin) and finite
differences'.

Finite differences run along input coordinates, whose steps are exact
(x + h v along a general direction v rounds, an error their estimates do
not see), one direction per element: a VJP u^T J is each column contracted
with u, a JVP J v the columns summed with weights v, and the error
estimates contract with |u| and |v|. All coordinates are used up to
FD_FULL_LIMIT input elements, and beyond it while their evaluations of f fit
a time budget (`fd_budget`, FD_BUDGET seconds, estimated from the time f
takes once). Beyond the budget, a hand-written VJP is compared along
DIRECTIONS random directions v, each +-1 on every input element (steps
along them stay exact: a power of two times +-1): <g, v> against the finite
difference slope of <u, f(x + t v)>. An error of more than T (the
direction's tolerance) in one element alone changes <g, v> by more than T
whatever the signs, so it fails every direction; and whatever the errors,
if one exceeds 2T, the two signs of that element give values of <g, v> more
than 4T apart, at most one of them within T: each direction passes with
probability at most 1/2, all of them with at most 2^-DIRECTIONS. Our
engines' checks (check_grads), whose exact references see every element,
sample FD_SAMPLES coordinates beyond the budget instead (the sparse
gradient check of CS231n), and the JVP compared with finite differences is
then the one along v restricted to those elements.

A derivative's typical magnitude, which scales the tolerances, is the root
mean square of our engine's derivative along SAMPLES random directions (one
chunked forward pass; one recording pulled back SAMPLES times).

Complex values (`complex_parts=True`, what check_grads asks for): each
complex leaf z of a differentiated argument is checked as two real
variables, `z.real` and `z.imag`, and each complex output y as `y.real` and
`y.imag`. F(x, y) = f(x + i y) is then a real function of real variables,
whatever f computes inside: its derivatives involve no convention, finite
differences over each part are meaningful (central ones; the complex step is
not, as f is not real-analytic in them), and our engines and JAX
differentiate the same complex program, through the same complex
intermediates. The gradient a user gets for z, reverse.grad(f)(z) =
jax.grad(f)(z) = dF/dx - i dF/dy, is these two rows read together.
"""

from __future__ import annotations

import inspect
import time

import numpy as np

from modes import forward, reverse
from modes.numpy_dispatch import UnsupportedFunction
from modes.ops import strip
from modes.registry import is_complex
from modes.inputs import as_differentiable, normalize_argnums
from modes.pytree import flatten

from . import finite_diff, jax_bridge

FD_FULL_LIMIT = 200    # elementwise FD gradients up to this many input elements, always
FD_BUDGET = 2.0        # beyond it, while their evaluations of f take at most this many seconds
FD_SAMPLES = 64        # beyond the budget, check_grads samples this many elements
DIRECTIONS = 24        # beyond the budget, a hand-written VJP is checked along this many directions
SAMPLES = 4            # random directions that measure a derivative's typical magnitude


# ---------------------------------------------------------------------------
# A function as seen by the checks: differentiable leaves in, flat outputs out

class Function:
    """f(*args) viewed as F(*x) -> tuple of float output arrays, where x are
    the float leaves of the arguments in `argnums` (all by default); the
    other leaves (integer labels, masks, configuration) stay fixed."""

    def __init__(self, f, args, argnums=None, strict=True, complex_parts=False):
        """argnums as the engines take them: an int or a sequence, negative
        ones counted from the end, out of range a ValueError. With `strict`,
        an argument named in argnums that has no float leaf (an integer, a
        bool) is a TypeError, as in the engines; otherwise it is skipped.
        With `complex_parts`, complex leaves and outputs are taken as their
        real and imaginary parts (see the module's docstring); without it a
        complex argument to differentiate is a TypeError."""
        self.name = getattr(f, "__name__", "f")
        args = tuple(args)
        positions = range(len(args)) if argnums is None else normalize_argnums(argnums, len(args))[0]
        argument_names = parameter_names(f, len(args))
        complex_leaves = [p for p in positions if any(_is_complex_leaf(v) for v in flatten(args[p])[0])]
        if complex_leaves and not complex_parts:
            raise TypeError(
                f"argument {complex_leaves[0]} ({argument_names[complex_leaves[0]]}) of {self.name} is complex: "
                "hand-written gradients are checked on real arguments. Check complex code with "
                "comparisons.check_grads (it takes complex arguments as their real and imaginary parts)")
        self.wrap = _in_parts(args, positions) if complex_parts else (lambda body: body)
        self.f = f
        self.args = tuple(_as_parts(a) if p in positions else a for p, a in enumerate(args))
        self.complex_names = [argument_names[p] for p in complex_leaves]
        self._computes_complex = None
        self.leaves, self.rebuild = flatten(self.args)
        if argnums is not None and strict:
            for position in positions:
                leaves = flatten(self.args[position])[0]
                if leaves and not any(jax_bridge.is_float_leaf(v) for v in leaves):
                    as_differentiable(leaves[0], f"argument {position} ({argument_names[position]}) "
                                                 f"of {self.name}, named in argnums,")
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
        out = self.wrap(f)(*self.args)
        out_leaves, _ = flatten(out)
        self.keep = [jax_bridge.is_float_leaf(y) for y in out_leaves]
        self.out = [np.asarray(y) for y, k in zip(out_leaves, self.keep) if k]
        if not self.out:
            raise ValueError(f"{self.name} returned no floating-point output to differentiate")
        self.out_names = [p for p, k in zip(_leaf_paths(out, "out"), self.keep) if k]
        # float32 anywhere among inputs and outputs sets the precision the check can expect
        self.dtype = _working_dtype(self.x + self.out)

    def __call__(self, *xs):
        return self.call(self.f, xs)

    def computes_complex(self):
        """Whether F computes with complex values at the point: a complex
        intermediate on our engine's recording (False where it cannot record F)."""
        if self._computes_complex is None:
            try:
                records = reverse.trace(self, *self.x).records
            except Exception:        # not recordable: the checks that need the recording say why
                records = []
            self._computes_complex = any(getattr(r.out, "dtype", np.result_type(r.out)).kind == "c"
                                         for r in records)
        return self._computes_complex

    def call(self, body, xs):
        """`body` (f, or its JAX twin) at the differentiable leaves xs."""
        full = list(self.leaves)
        for i, value in zip(self.slots, xs):
            full[i] = value
        out_leaves, _ = flatten(self.wrap(body)(*self.rebuild(full)))
        return tuple(y for y, k in zip(out_leaves, self.keep) if k)

    # flat vectors for finite differences. Complex values (the complex step's
    # x + ih, and what f returns there) pass through: casting them to the
    # inputs' real dtype would discard the imaginary part, the derivative.
    def ravel(self, leaves):
        arrays = [np.asarray(strip(v)) for v in leaves]
        dtype = np.result_type(np.float64, *[a.dtype for a in arrays if a.dtype.kind == "c"])
        return np.concatenate([np.ravel(a.astype(dtype)) for a in arrays])

    def unravel(self, vector):
        return [_unravel_leaf(part, leaf) for part, leaf in zip(_split(vector, self.x), self.x)]

    def z(self):
        """The differentiable leaves as one vector, in the working dtype."""
        return self.ravel(self.x).astype(np.result_type(*[np.asarray(v).dtype for v in self.x]))


class Parts(dict):
    """A complex leaf as its real and imaginary parts, {"real": x, "imag": y}."""


def _is_complex_leaf(value):
    if isinstance(value, (np.ndarray, np.generic)):
        return value.dtype.kind == "c"
    return isinstance(value, complex)


def _as_parts(tree):
    """A pytree with each complex leaf replaced by its Parts."""
    leaves, rebuild = flatten(tree)
    return rebuild([Parts(real=_copy(np.real(v) if isinstance(v, np.ndarray) else v.real),
                          imag=_copy(np.imag(v) if isinstance(v, np.ndarray) else v.imag))
                    if _is_complex_leaf(v) else v for v in leaves])


def _in_parts(args, positions):
    """body -> the same function with each complex leaf of args[positions]
    taken as its Parts (two leaves, real then imaginary, where flatten puts
    them) and its complex outputs returned as Parts."""
    structures = {p: flatten(args[p]) for p in positions}

    def joined(p, tree):
        leaves, rebuild = structures[p]
        parts, k, full = flatten(tree)[0], 0, []
        for leaf in leaves:
            if _is_complex_leaf(leaf):
                full.append(parts[k] + 1j * parts[k + 1])      # z = x + i y
                k += 2
            else:
                full.append(parts[k])
                k += 1
        return rebuild(full)

    complex_out = []    # which output leaves are complex, as f's first call (at the point) returns them:
                        # a real output stays one where the complex step makes it complex

    def wrap(body):
        def parts_body(*args):
            out = body(*[joined(p, a) if p in structures else a for p, a in enumerate(args)])
            leaves, rebuild = flatten(out)
            if not complex_out:
                complex_out.extend(is_complex(y) for y in leaves)
            return rebuild([Parts(real=np.real(y), imag=np.imag(y)) if c else y
                            for y, c in zip(leaves, complex_out)])
        return parts_body
    return wrap


def _unravel_leaf(part, leaf):
    """A slice of a flat vector shaped and typed like `leaf` (complex stays complex)."""
    if np.iscomplexobj(part):
        if isinstance(leaf, float):
            return complex(part)
        return part.astype(np.result_type(np.asarray(leaf).dtype, np.complex64))
    return float(part) if isinstance(leaf, float) else part.astype(np.asarray(leaf).dtype)


def _copy(leaf):
    return leaf if isinstance(leaf, float) else np.array(leaf)


def _working_dtype(leaves):
    """The lowest precision among the float leaves (Python floats: float64)."""
    dtypes = [np.asarray(v).dtype for v in leaves]
    return max(dtypes, key=lambda d: np.finfo(d).eps)


def signature_or_none(f):
    try:
        return inspect.signature(f)
    except (TypeError, ValueError):
        return None


def parameter_names(f, n):
    signature = signature_or_none(f)
    parameters = [] if signature is None else list(signature.parameters.values())
    names = []
    for i in range(n):
        p = parameters[i] if i < len(parameters) else None
        if p is not None and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        else:
            names.append(f"args[{i}]")
    return names


def _leaf_paths(tree, prefix):
    """Names of the leaves of a pytree, in `modes.pytree.flatten` order
    (a complex leaf's Parts: z.real, z.imag)."""
    if isinstance(tree, Parts):
        return [f"{prefix}.real", f"{prefix}.imag"]
    if isinstance(tree, (tuple, list)):
        return [p for i, item in enumerate(tree) for p in _leaf_paths(item, f"{prefix}[{i}]")]
    if isinstance(tree, dict):
        return [p for k in tree for p in _leaf_paths(tree[k], f"{prefix}[{k!r}]")]
    return [prefix]


def random_like(rng, leaves):
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


def dot(a, b):
    return float(sum(np.sum(np.asarray(x, np.float64) * np.asarray(y, np.float64))
                     for x, y in zip(_plain(a), _plain(b))))


def abs_dot(a, b):
    return dot([np.abs(x) for x in _plain(a)], [np.abs(y) for y in _plain(b)])


# ---------------------------------------------------------------------------
# Our engines' derivatives, and their typical magnitudes

def _typical(samples):
    """Per leaf, the root mean square over samples (lists of leaves): the
    typical magnitude of a derivative along random directions, immune to
    the cancellation that makes one direction's value small."""
    return [np.sqrt(np.mean(np.square(np.stack(leaves).astype(np.float64)), axis=0))
            for leaves in zip(*samples)]


def forward_samples(fun, tangents, rng, restricted=None):
    """Forward mode's derivative along `tangents`, its typical magnitude
    from SAMPLES directions for the last tangent, and (if given) along the
    `restricted` last tangent instead: one chunked pass."""
    extra = [random_like(rng, fun.x) for _ in range(SAMPLES - 1)]
    if restricted is not None:
        extra.append(restricted)
    chunk = [np.stack([v] + [e[i] for e in extra]) for i, v in enumerate(tangents[-1])]
    out = _plain(nested_jvp(_our_jvp, fun, fun.x, tangents[:-1] + [chunk]))
    ours = [o[0] for o in out]
    along_restricted = [o[-1] for o in out] if restricted is not None else None
    return ours, _typical([[o[j] for o in out] for j in range(SAMPLES)]), along_restricted


def reverse_samples(fun, cotangents, rng):
    """Reverse mode's pullback of `cotangents`, and its typical magnitude
    from SAMPLES cotangents in place of the last (one recording)."""
    pullback = nested_pullback(_our_vjp, fun, fun.x, cotangents[:-1])
    last = cotangents[-1]
    cotangents_used = [last] + [random_like(rng, last) for _ in range(SAMPLES - 1)]
    samples = [_plain(pullback(c)) for c in cotangents_used]
    return samples[0], _typical(samples)


def inner_jvp(fun, tangents):
    """x -> forward mode's derivative of order len(tangents) (F itself for 0)."""
    if not tangents:
        return lambda *xs: _plain(fun(*xs))
    return lambda *xs: _plain(nested_jvp(_our_jvp, fun, list(xs), tangents))


def inner_vjp(fun, cotangents):
    """x -> reverse mode's pullback of cotangents (F itself for none)."""
    if not cotangents:
        return lambda *xs: _plain(fun(*xs))
    return lambda *xs: _plain(nested_pullback(_our_vjp, fun, list(xs), cotangents[:-1])(cotangents[-1]))


# ---------------------------------------------------------------------------
# The references: JAX and finite differences

class References:
    """Reference derivatives of one Function: JAX's (on the replay or a
    user's twin) and finite differences'."""

    def __init__(self, fun, fd_method, rng, jax_twin=None, fd_budget=FD_BUDGET):
        self.fun, self.fd_method, self.rng, self.jax_twin = fun, fd_method, rng, jax_twin
        self.fd_budget = FD_BUDGET if fd_budget is None else float(fd_budget)
        self.notes, self._jax, self._coordinates, self._by_elements = [], None, None, None

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

    def without_replay(self):
        """No JAX comparison unless a twin is given: the replay of f needs
        our engine's trace, which f refused."""
        if self.jax_twin is None:
            self._jax = False

    def jax_jvp(self, tangents):
        return self._on_jax(lambda F: nested_jvp(_jax_jvp, F, self.fun.x, tangents))

    def jax_vjp(self, cotangents):
        return self._on_jax(
            lambda F: nested_pullback(_jax_vjp, F, self.fun.x, cotangents[:-1])(cotangents[-1]))

    def _on_jax(self, derivative):
        """derivative(F for JAX) in float64, as plain arrays (None without JAX)."""
        F = self.jax_function()
        if F is None:
            return None
        with jax_bridge.x64():
            return _plain(derivative(F))

    # --- finite differences -------------------------------------------------------

    def evaluations_per_direction(self):
        return finite_diff.EVALUATIONS[self.fd_method]

    def element_cost(self):
        """Seconds that finite differences along every input element would
        take: n directions times the evaluations of f each, at the time f
        took once (the faster of two calls)."""
        fun = self.fun
        seconds = []
        for _ in range(2):
            start = time.perf_counter()
            fun(*fun.x)
            seconds.append(time.perf_counter() - start)
        return fun.z().size * self.evaluations_per_direction() * min(seconds)

    def by_elements(self):
        """Whether finite differences run along every input element: up to
        FD_FULL_LIMIT elements always, beyond while they fit fd_budget."""
        if self._by_elements is None:
            n = self.fun.z().size
            self._by_elements = n <= FD_FULL_LIMIT or self.element_cost() <= self.fd_budget
        return self._by_elements

    def coordinates(self):
        """The input coordinates finite differences run along: all of them
        (by_elements), or a random sample of FD_SAMPLES (fixed per check)."""
        if self._coordinates is None:
            n = self.fun.z().size
            self._coordinates = (np.arange(n) if self.by_elements() or n <= FD_SAMPLES else
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

    def _flat_function(self, inner):
        fun = self.fun
        return lambda z: fun.ravel(inner(*fun.unravel(z)))

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
        G = self._flat_function(inner)
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

    def random_signs(self, count):
        """`count` random directions, each +-1 on every input element (flat)."""
        n = self.fun.z().size
        return [self.rng.choice(np.array([-1.0, 1.0]), size=n) for _ in range(count)]

    def fd_slope(self, inner, cotangent, direction):
        """The finite difference slope of <u, inner(x + t v)> along a flat
        direction v: (value, error estimate, kink seen, the step t)."""
        fun = self.fun
        z = fun.z()
        v = np.asarray(direction, dtype=z.dtype)
        c = fun.ravel(cotangent)
        r = finite_diff.jvp(self._flat_function(inner), z, v, method=self.fd_method)
        kinks = np.zeros(c.shape, bool) if r.kinks is None else np.asarray(r.kinks, bool)
        return (float(c @ r.value), float(np.abs(c) @ r.error), bool(np.any(kinks & (c != 0))),
                finite_diff.jvp_step(z, v, self.fd_method))
