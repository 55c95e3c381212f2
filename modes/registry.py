"""The op registry: one record per primitive op, read by everything.

Each `Op` holds the NumPy primal, a JVP rule, a VJP rule, the JAX twin, a cost
model (flops), a test domain and which arguments are non-differentiable. The
forward engine reads `jvp`, the reverse engine reads `vjp`, the JAX bridge reads
`jax`, the reports read `cost`, the generated tests read `domain`/`examples`.

Rules are written with registry ops themselves, so a rule applied to a traced or
dual value is recorded or differentiated again: that is all it takes for
Hessian-vector products and nested derivatives.

Rule signatures (JAX vocabulary):
    jvp(tangents, out, *primals, **params) -> out_tangent
        `tangents` has one entry per argument, None for a zero tangent.
    vjp(cotangent, argnum, out, *primals, **params) -> cotangent of primals[argnum]
        It may return a cotangent of the broadcast shape; the engine
        un-broadcasts it (see `unbroadcast`), once, for every op.
        Cotangents are broadcast lazily: a sum's transpose hands back its
        cotangent with size-1 axes, not a broadcast copy, so an elementwise
        rule may get a cotangent that only broadcasts to `out` (its NumPy
        arithmetic broadcasts anyway); every other rule gets out's shape.

`apply(op, *args, **params)` is the single entry point. With no boxed argument
it runs the primal; otherwise it hands the call to the box with the highest tag
(the innermost transformation), which treats lower-tagged boxes as constants.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import EscapedValueWarning, UnsupportedFunction, warn_at_user


class Op:
    """One primitive: the primal and everything needed to differentiate it."""

    __slots__ = ("name", "impl", "jvp", "vjp", "jax", "cost", "domain",
                 "examples", "nondiff", "batch", "elementwise", "partials", "vjp_into", "vjp_in_place", "saves_args",
                 "saves_out", "bilinear", "cost_is_partial")

    def __init__(self, name, impl, *, jvp, vjp, jax, cost, domain=None, examples=None,
                 nondiff=(), batch=None, elementwise=False, partials=None, saves=("args", "out")):
        self.name = name
        self.impl = impl            # NumPy primal: impl(*args, **params)
        self.jvp = jvp              # None: not differentiable (derivative 0)
        self.vjp = vjp
        self.jax = jax              # jax twin: jax(*args, **params)
        self.cost = cost            # cost(out, *args, **params) -> flops
        self.domain = domain        # per-argument samplers for generated tests
        self.examples = examples    # rng -> [(args, params)], for non-elementwise ops
        self.nondiff = tuple(nondiff)
        self.batch = batch          # batch(args, batched_flags, **params), see batching.py
        self.elementwise = elementwise
        self.partials = partials    # elementwise ops: d out / d args[i], see ops/elementwise.py
        # optional: add the VJP into an existing array in place, (total, cotangent,
        # argnum, out, *args, **params) -> True, or False where it does not apply
        # (then the VJP rule runs); getitem (sparse) and matmul (gemm) have one
        self.vjp_into = None
        # optional: the VJP of the last argument computed in the cotangent's own
        # memory, (cotangent, argnum, out, *args, **params) -> cotangent; the
        # walk calls it when it owns the cotangent and nothing reads it after
        # (setitem zeroes the elements it wrote: no copy of the buffer per write)
        self.vjp_in_place = None
        # what the VJP rule reads besides shapes: "args", "out", both or neither.
        # A tape keeps only these (the rest as `Unsaved` shapes): its memory is
        # the residuals the backward pass needs, not every intermediate.
        self.saves = saves
        # matmul, einsum: each argument's VJP multiplies the cotangent by the
        # other arguments (what a rounding analysis needs to know)
        self.bilinear = False
        # the cost model misses work the primal does outside the registry (odeint's
        # solver steps): a flop count that includes this op is a lower bound
        self.cost_is_partial = False

    @property
    def saves(self):
        return ("args",) * self.saves_args + ("out",) * self.saves_out

    @saves.setter
    def saves(self, saves):
        self.saves_args, self.saves_out = "args" in saves, "out" in saves

    def __call__(self, *args, **params):
        return apply(self, *args, **params)

    def __repr__(self):
        return f"<op {self.name}>"


REGISTRY: dict[str, Op] = {}
BUILT_IN: set[str] = set()     # filled once modes.ops is imported


def register(op: Op) -> Op:
    """Add an op; a user op may replace an earlier user op of the same name
    (re-running a notebook cell), never a built-in one."""
    if op.name in BUILT_IN:
        raise ValueError(f"{op.name!r} is a built-in op; give your op another name")
    REGISTRY[op.name] = op
    return op


# ---------------------------------------------------------------------------
# Boxes and dispatch

class Box:
    """A value under a transformation: a forward `Dual`, a reverse `Traced`, or
    a `Batched` tangent inside a rule. `tag` orders nested transformations."""

    __slots__ = ()
    __array_priority__ = 100.0


class Tag:
    """Identity of one transformation call. `level` grows with every call, so
    the innermost live transformation has the highest level (why tags, not
    stack depth: a value created inside an inner call may outlive it, and two
    sibling calls must never be confused)."""

    __slots__ = ("level", "alive", "warned")
    _counter = 0

    def __init__(self):
        Tag._counter += 1
        self.level = Tag._counter
        self.alive = True
        self.warned = False     # an escaped box of this call has been reported


# The transformation calls running now, innermost last: (tag, constant), where
# constant(value) makes `value` a constant box of that call (modes.numpy's
# np.zeros and friends return one, so that writes of the call's values into
# it are recorded). Pushed and popped by forward.jvp and reverse's recording.
LIVE_CALLS: list = []

# How a JAX twin turns a Python function among its op's parameters (odeint's
# right-hand side) into a JAX function: `replay(f, *sample_args)`. Set by the
# JAX bridge (comparisons/jax_bridge.py), the only caller of twins, so that
# the registry never imports the layer above it.
jax_replay = None


def innermost_constant(value):
    """`value` as a constant of the innermost transformation call running, or
    itself outside every call."""
    for tag, constant in reversed(LIVE_CALLS):
        if tag.alive:
            return constant(value)
    return value


def escaped_value(box):
    """The plain value of a box whose call has finished (it escaped into a
    dict, an attribute, a closure or a global): a constant, as in JAX
    (DESIGN.md, conventions). Said once per call."""
    if not box.tag.warned:
        box.tag.warned = True
        warn_at_user(
            f"a {type(box).__name__} from a finished differentiation call was used again (it was kept "
            "in a dict, an attribute, a closure or a global): it is used as its plain value, a constant "
            "with no derivative. Store plain values in user state (x.value, x.primal)", EscapedValueWarning)
    return box.plain_value()


def as_constants(op: Op, args, params):
    """`op` with every escaped box among its arguments taken as its value."""
    plain = [escaped_value(a) if isinstance(a, Box) and not a.tag.alive else a for a in args]
    return apply(op, *plain, **params)


FLOP_COUNTERS: list = []   # active `count_flops` contexts


def apply(op: Op, *args, **params):
    top = None
    for a in args:
        if isinstance(a, Box) and (top is None or a.tag.level > top.tag.level):
            top = a
    if top is not None:
        return top.lift(op, args, params)
    out = op.impl(*args, **params)     # `evaluate`, inlined
    if FLOP_COUNTERS:
        count(op, out, args, params)
    return out


def evaluate(op: Op, args, params):
    """Run the primal on plain values (no boxes), counting its flops.
    (`apply` and `Traced.lift` spell these lines out: every primitive passes there.)"""
    out = op.impl(*args, **params)
    if FLOP_COUNTERS:
        count(op, out, args, params)
    return out


def count(op: Op, out, args, params):
    """Add one evaluation of `op` to the active flop counters (for arithmetic
    an engine does itself, without `evaluate`)."""
    flops = op.cost(out, *args, **params)
    for counter in FLOP_COUNTERS:
        counter.add(op.name, flops)
        if op.cost_is_partial:
            counter.partial.add(op.name)


class count_flops:
    """Context manager counting the cost-model flops of every primitive run
    inside it, rule computations included:

        with count_flops() as c:
            reverse.grad(f)(x)
        c.total, c.by_op
        c.partial: the ops whose cost model misses part of their work (then c.total is a lower bound)
    """

    def __init__(self):
        self.partial: set[str] = set()
        self.total = 0
        self.calls = 0
        self.by_op: dict[str, int] = {}

    def add(self, name, flops):
        self.total += flops
        self.calls += 1
        self.by_op[name] = self.by_op.get(name, 0) + flops

    def __enter__(self):
        FLOP_COUNTERS.append(self)
        return self

    def __exit__(self, *exc):
        FLOP_COUNTERS.remove(self)


# ---------------------------------------------------------------------------
# NumPy's functions, as each family file names them

# NumPy (or SciPy) function or ufunc -> the implementation on boxes. Filled by
# `implements` where each family defines its functions, read by the dispatch
# layer (numpy_dispatch.py) and the coverage table (docs/).
NUMPY_TABLE: dict = {}
PASSES_THROUGH: set = set()     # those of them that are not differentiable


def implements(*numpy_functions):
    """Decorator: the decorated function serves these NumPy/SciPy functions
    when their arguments hold a box (`@implements(np.sum)` above `def sum`)."""
    def register_function(function):
        for numpy_function in numpy_functions:
            NUMPY_TABLE[numpy_function] = function
        return function
    return register_function


def passes_through(*numpy_functions):
    """Non-differentiable functions (comparisons, argmax, shapes): they run
    on the plain values under the boxes, and their results are constants."""
    for numpy_function in numpy_functions:
        def on_plain_values(*args, _function=numpy_function, **kwargs):
            return _function(*[_plain(a) for a in args], **{k: _plain(v) for k, v in kwargs.items()})
        NUMPY_TABLE[numpy_function] = on_plain_values
        PASSES_THROUGH.add(numpy_function)


def _plain(x):
    """x with every box in it, in lists and tuples too (np.lexsort((a, b))), as its plain value."""
    return type(x)(_plain(item) for item in x) if type(x) in (list, tuple) else strip(x)


REFUSED: dict = {}     # NumPy functions refused on boxes on purpose -> why (the coverage table says it)


def refuses(numpy_function, name, why):
    """A function fwdrev will not differentiate although it could run it (as
    JAX refuses it): a box reaching it raises UnsupportedFunction saying why."""
    def refused(*args, **kwargs):
        raise UnsupportedFunction(f"{name}: {why}")
    NUMPY_TABLE[numpy_function] = refused
    REFUSED[numpy_function] = why


# ---------------------------------------------------------------------------
# Small helpers shared by rules and engines

def strip(x):
    """The plain value under every box (for masks and tests of kinks)."""
    while isinstance(x, Box):
        x = x.plain_value()
    return x


def float_dtype(x):
    """The dtype of x's derivatives: x's own floating dtype (float32 stays
    float32); float64 for Python floats, integers and booleans."""
    dtype = x.dtype if type(x) is np.ndarray else np.result_type(strip(x))
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)     # floating or complex


def is_complex(x) -> bool:
    """x holds complex values (a box: its innermost value does)."""
    if type(x) is np.ndarray:
        return x.dtype.kind == "c"
    if type(x) is float or type(x) is np.float64:
        return False
    return isinstance(x, complex) or np.iscomplexobj(strip(x))


def shape_of(x) -> tuple:
    """x's shape; () for a Python number. (The engines' hottest paths spell
    it `getattr(x, "shape", ())` in place: the same, without a Python call.)"""
    return x.shape if type(x) is np.ndarray else getattr(x, "shape", ())


def size_of(x) -> int:
    return math.prod(shape_of(x))


def unbroadcast(cotangent, shape):
    """Sum a cotangent of a broadcast result back to `shape` (the transpose of
    broadcasting). Called by the engines for every op, never inside rules."""
    ct_shape = getattr(cotangent, "shape", ())
    if ct_shape == shape:
        return cotangent
    extra = len(ct_shape) - len(shape)
    axes = list(range(extra))      # the leading axes broadcasting added, and those it stretched
    for i, n in enumerate(shape):
        if n == 1 and ct_shape[extra + i] != 1:
            axes.append(extra + i)
    # one sum; keepdims keeps the stretched size-1 axes when there are no extra leading ones
    summed = apply(REGISTRY["sum"], cotangent, axis=tuple(axes), keepdims=not extra)
    return apply(REGISTRY["reshape"], summed, shape=shape) if getattr(summed, "shape", ()) != shape else summed


def broadcast_cotangent(cotangent, shape):
    """A lazily broadcast cotangent made `shape` (a view) for rules that need it."""
    if getattr(cotangent, "shape", ()) == shape:
        return cotangent
    return apply(REGISTRY["broadcast_to"], cotangent, shape=shape)


def vjp_of(op: Op, cotangent, argnum, out, args, params):
    """The cotangent of args[argnum], un-broadcast to its shape (None: zero).
    argnum may be a tuple of positions that hold one value (elementwise ops).
    A lazily broadcast cotangent (see the module's docstring) stays lazy;
    an argument an elementwise op broadcast sums over out's full shape, where
    a size-1 axis of a lazy cotangent stands for n equal values."""
    ct = op.vjp(cotangent, argnum, out, *args, **params)
    if ct is None:
        return None
    arg = args[argnum if type(argnum) is int else argnum[0]]
    if is_complex(ct) and not is_complex(arg):
        # a real input's cotangent is real (ops/complex.py: the functional Re(c dx))
        ct = apply(REGISTRY["real"], ct)
    shape = getattr(arg, "shape", ())
    ct_shape = getattr(ct, "shape", ())
    if op.elementwise:
        out_shape = getattr(out, "shape", ())
        if shape != out_shape:
            # (even when ct has arg's shape: a lazy ct of shape () stands for out's many equal values)
            return unbroadcast(broadcast_cotangent(ct, out_shape), shape)
    if ct_shape == shape:
        return ct
    if not ct_shape or (len(ct_shape) <= len(shape)
                        and all(c in (1, n) for c, n in zip(ct_shape[::-1], shape[::-1]))):
        return ct     # lazily broadcast: it stays so
    return unbroadcast(ct, shape)


def jvp_of(op: Op, tangents, out, args, params):
    """The tangent of `out`, broadcast to its shape (None: zero)."""
    t = op.jvp(tangents, out, *args, **params)
    if t is None or shape_of(t) == shape_of(out):
        return t
    return apply(REGISTRY["broadcast_to"], t, shape=shape_of(out))


# ---------------------------------------------------------------------------
# Cost models

def elementwise_cost(flops_per_element):
    return lambda out, *args, **params: flops_per_element * max(1, size_of(out))


def no_cost(out, *args, **params):
    """Data movement (reshape, transpose, indexing): no arithmetic."""
    return 0


def input_size_cost(out, x, *args, **params):
    """Reductions: one operation per input element."""
    return size_of(x)


# ---------------------------------------------------------------------------
# Deriving rules: a linear op needs only its transpose

def linear(name, primal, transpose, *, jax, examples, batch, cost=no_cost):
    """A linear op L: its JVP is L applied to the tangents (zeros filled in for
    constant arguments), its VJP is `transpose(cotangent, argnum, *primals, **params)`,
    which reads the primals' shapes only: nothing needs saving."""
    op = Op(name, primal, jvp=None, vjp=None, jax=jax, cost=cost,
            examples=examples, batch=batch, saves=())

    def jvp(tangents, out, *primals, **params):
        if all(t is None for t in tangents):
            return None
        # zeros in each primal's float dtype
        filled = [np.zeros(shape_of(p), float_dtype(p)) if t is None else t
                  for t, p in zip(tangents, primals)]
        return apply(op, *filled, **params)

    def vjp(cotangent, argnum, out, *primals, **params):
        return transpose(cotangent, argnum, *primals, **params)

    op.jvp, op.vjp = jvp, vjp
    return register(op)
