"""Reverse mode: a tape (Wengert list) recorded forward, walked backward.

Every registry op on a `Traced` value appends one `Record` (op, input
indices, saved arguments, output) to its tape, in execution order. The
backward pass walks the records by index in reverse (no recursion, no
topological sort: execution order already is one), calls each op's VJP rule
and accumulates cotangents at fan-out, `ct[x] = ct[x] + contribution`: the
`+=` of the CS231n notes, done out of place so no array that another value
aliases is ever written. One backward pass gives a whole gradient; a batch of
m cotangents (leading axis) gives m rows of a Jacobian.

Tags are shared with forward mode: a tape is a `Tag`, so tapes and Duals nest
in any order (forward-over-reverse Hessian-vector products,
reverse-over-reverse, and no perturbation confusion).
"""

import sys
import weakref
from operator import itemgetter

import numpy as np

from . import ops
from .batching import Batched, unbatched
from .forward import assemble_jacobian, basis_chunk, chunk_size
from .idioms import numpy_replaced
from .inputs import as_differentiable, normalize_argnums
from .numpy_dispatch import ArrayInterface
from .ops.elementwise import local_gradients
from .pytree import flatten, flatten_like
from .writes import link_if_view, set_shape
from .registry import (BUILT_IN, FLOP_COUNTERS, LIVE_CALLS, REGISTRY, Box, Tag, apply, as_constants, broadcast_cotangent, count, evaluate,
                       shape_of, size_of, vjp_of)


class Record(tuple):
    """One step of the program: out = op(*args, **params). `parents[i]` is the
    index of the record that produced args[i] on this tape, or -1 (constant).
    A leaf (an input) has op None. `local` holds the local gradients of an
    elementwise op on Python numbers, one per argument (None for a constant),
    computed when recorded (see `Traced.lift`).

    The tape stores plain tuples (op, args, parents, out, params, local):
    a long scalar program records millions of them. `Trace.records` shows
    them as Records, with names."""

    __slots__ = ()
    op = property(itemgetter(0))
    args = property(itemgetter(1))
    parents = property(itemgetter(2))
    out = property(itemgetter(3))
    params = property(itemgetter(4))
    local = property(itemgetter(5))


class Unsaved:
    """Stands in on a tape for an array the VJP rule does not read (see
    `Op.saves`): its shape and dtype, not its memory."""

    __slots__ = ("shape", "dtype")

    def __init__(self, array):
        self.shape, self.dtype = array.shape, array.dtype

    def __repr__(self):
        return f"Unsaved(shape={self.shape}, dtype={self.dtype})"


class Tape(Tag):
    """The records of one differentiation call, and the arrays it has made
    read-only while it may still need them. A tape keeps of each step only
    what its VJP rule reads (`Op.saves`); `keep_all` keeps every value, for
    `trace`, which shows them."""

    __slots__ = ("records", "locked", "keep_all")

    def __init__(self, keep_all=False):
        super().__init__()
        self.records = []
        self.locked = []
        self.keep_all = keep_all

    def leaves(self, values):
        """Record the inputs (records with op None); their Traced values."""
        traced = []
        for value in values:
            self.records.append((None, (), (), self._keep(value), None, None))
            traced.append(Traced(value, self, len(self.records) - 1))
        return traced

    def _keep(self, value):
        # An array saved for the backward pass must not change before it is
        # used: make it read-only (NumPy then refuses in-place writes) until
        # the tape is released; a view's bases too, outermost first, since
        # writing through the base would change the view. What the caller
        # can reach is locked: the inputs, the constants a step saves, and
        # (vjp) the outputs; other values a step makes live inside Traced
        # boxes, or are views of locked arrays.
        if type(value) is np.ndarray and value.flags.writeable:
            chain = [value]
            while isinstance(chain[-1].base, np.ndarray) and chain[-1].base.flags.writeable:
                chain.append(chain[-1].base)
            for array in reversed(chain):
                array.setflags(write=False)
                self.locked.append(array)
        return value

    def release(self):
        """Give the arrays back their writeability (bases before views)."""
        for array in self.locked:
            try:
                array.setflags(write=True)
            except ValueError:   # a view of an array someone else keeps read-only
                pass
        self.locked = []

    def saved_bytes(self):
        """Bytes of the arrays the backward pass needs (what a tape without
        `keep_all` keeps): inputs, and each step's residuals."""
        seen, total = set(), 0
        for op, args, _parents, out, _params, _local in self.records:
            saves = ("out",) if op is None else op.saves
            kept = (args if "args" in saves else ()) + ((out,) if "out" in saves else ())
            for value in kept:
                array = ops.strip(value)
                if isinstance(array, np.ndarray) and id(array) not in seen:
                    seen.add(id(array))
                    total += array.nbytes
                elif isinstance(array, float):
                    total += 8
        return total


class Traced(ArrayInterface):
    """A value recorded on a tape: its value and the index of its record."""

    # (view_of, views: see writes.py; unset until a view is made)
    __slots__ = ("value", "tag", "index", "view_of", "views", "__weakref__")

    def __init__(self, value, tape, index):
        self.value, self.tag, self.index = value, tape, index     # index -1: a constant of this tape

    def owns_memory(self):
        """Nothing else holds this box's array: a write may reuse its memory."""
        value = self.value
        # three references: this box's slot, `value`, and getrefcount's argument
        return (type(value) is np.ndarray and value.base is None and value.flags.writeable
                and sys.getrefcount(value) == 3)

    def become(self, new):
        """Rebind this box to `new`, the result of a write into it."""
        if type(new) is Traced and new.tag is self.tag:
            self.value, self.index = new.value, new.index
        elif not self.tag.alive and not isinstance(new, Box):    # escaped: a plain value
            self.value = new
        else:
            raise TypeError(f"cannot write a {type(new).__name__} into a Traced array of another call")

    def constant(self, value):
        """`value` as a constant of this box's tape (np.zeros_like(x) for a traced x)."""
        return Traced(value, self.tag, -1) if self.tag.alive else value

    @property
    def shape(self):
        return getattr(self.value, "shape", ())

    @shape.setter
    def shape(self, shape):
        set_shape(self, shape)

    def plain_value(self):
        return self.value

    def __repr__(self):
        return f"Traced({self.value!r}, step={self.index})"

    def lift(self, op, args, params):
        tape = self.tag
        if not tape.alive:       # escaped from a finished call: a constant
            return as_constants(op, args, params)
        values, parents, boxed = [], [], False
        for a in args:
            if type(a) is Traced and a.tag is tape:
                parents.append(a.index)
                a = a.value
            else:
                parents.append(-1)
            values.append(a)
            if type(a) is not np.ndarray and isinstance(a, Box):
                boxed = True
        local = None
        if boxed:    # lower-tagged boxes among the values: hand them on
            out = apply(op, *values, **params)
        else:
            out = op.impl(*values, **params)
            if FLOP_COUNTERS:
                count(op, out, values, params)
            if op.partials is not None and type(out) is not np.ndarray and _all_numbers(values):
                # Scalar fast path: a gate on Python numbers computes its local
                # gradients now; the backward pass only multiplies and adds.
                local = local_gradients(op, out, values, parents)
        if op.vjp is None:    # not differentiable: a constant from here on
            return out
        # a view of an argument's array (x[0], x.T), or the array itself: linked (see writes.py)
        view = out.base is not None or out is values[0] if type(out) is np.ndarray else isinstance(out, Box)
        # The record keeps what the VJP rule reads (`Op.saves`), the rest as
        # `Unsaved` shapes; scalar records hold Python numbers only.
        records = tape.records
        saved_out = out
        if local is None:
            if op.saves_args or tape.keep_all:
                for value, parent in zip(values, parents):
                    if parent < 0 and type(value) is np.ndarray:
                        tape._keep(value)
            else:
                # a traced argument's own record already holds what may be
                # kept of it (its value, or its Unsaved stand-in): share that
                for k, parent in enumerate(parents):
                    if parent >= 0:
                        values[k] = records[parent][3]
                    elif type(values[k]) is np.ndarray:
                        values[k] = Unsaved(values[k])
            if type(out) is np.ndarray and not (op.saves_out or tape.keep_all):
                saved_out = Unsaved(out)
        records.append((op, tuple(values), parents, saved_out, params, local))
        result = Traced(out, tape, len(records) - 1)
        if view:
            link_if_view(result, op, args, params)
        return result


def _all_numbers(values):
    for value in values:
        if not isinstance(value, (float, int)):
            return False
    return True


FLOAT64 = np.float64     # NumPy's float scalar (what a full reduction returns) takes the fast path too


def _scalar_operator(op, reflected=False):
    """The operator `self <op> other` of Traced, with a fast path for Python
    numbers: a long scalar program (Rosenbrock over a list of floats) spends
    its time in dispatch, so a float on this tape combined with a number or
    another float on this tape goes straight to the op's primal and partials
    (the same registry record; only the route is shorter). Anything else
    takes the generic route: `apply`, as ArrayInterface's operators do."""
    name = f"__{'r' if reflected else ''}{op.name}__"
    partial_a, partial_b = op.partials
    constant_a = partial_a if partial_a in (1, -1) else None     # add, sub: no call needed
    constant_b = partial_b if partial_b in (1, -1) else None

    impl = op.impl

    def operator_method(self, other):
        tape = self.tag
        kind = type(self.value)
        if (kind is not float and kind is not FLOAT64) or not tape.alive or FLOP_COUNTERS:
            return apply(op, other, self) if reflected else apply(op, self, other)
        kind = type(other)
        if kind is float or kind is int or kind is FLOAT64:
            other_value, other_parent = other, -1
        elif kind is Traced and other.tag is tape and (type(other.value) is float or type(other.value) is FLOAT64):
            other_value, other_parent = other.value, other.index
        else:
            return apply(op, other, self) if reflected else apply(op, self, other)
        if reflected:
            a, b, parent_a, parent_b = other_value, self.value, other_parent, self.index
        else:
            a, b, parent_a, parent_b = self.value, other_value, self.index, other_parent
        out = impl(a, b)
        local = (None if parent_a < 0 else constant_a or partial_a(out, a, b),
                 None if parent_b < 0 else constant_b or partial_b(out, a, b))
        records = tape.records
        records.append((op, (a, b), (parent_a, parent_b), out, _NO_PARAMS, local))
        return Traced(out, tape, len(records) - 1)
    operator_method.__name__ = name
    return operator_method


ADD, MUL = REGISTRY["add"], REGISTRY["mul"]
_NO_PARAMS = {}     # (shared by every record of these operators: nothing writes to it)
for _name in ("add", "sub", "mul", "truediv", "pow"):     # op names are the dunder names
    setattr(Traced, f"__{_name}__", _scalar_operator(REGISTRY[_name]))
    setattr(Traced, f"__r{_name}__", _scalar_operator(REGISTRY[_name], reflected=True))


def backward(tape, seeds):
    """Walk the tape from its last seeded record to the first; return the
    cotangent of every record (None where nothing flowed)."""
    records, keep_all = tape.records, tape.keep_all
    cotangents = [None] * len(records)
    owned = [False] * len(records)     # cotangents[i] is an array this walk allocated
    for index, seed in seeds:
        if cotangents[index] is None:
            cotangents[index] = seed
        else:
            _add_into(cotangents, owned, index, seed)
    for i in range(max([index for index, _ in seeds]), -1, -1):
        cotangent = cotangents[i]
        if cotangent is None:     # not on a path to the output
            continue
        op, args, parents, out, params, local = records[i]
        if op is None:            # an input: nothing further back
            continue
        if local is not None and isinstance(cotangent, float):
            if FLOP_COUNTERS:
                _count_scalar_backward(parents, local, cotangents)
            k = 0
            for partial in local:     # ct[parent] += ct * local gradient (None: a constant)
                if partial is not None:
                    parent = parents[k]
                    previous = cotangents[parent]
                    cotangents[parent] = cotangent * partial if previous is None else previous + cotangent * partial
                k += 1
            continue
        # the walk's own array, read by nothing after this step: a rule may write into it (vjp_in_place)
        reusable = owned[i] and not keep_all and op.vjp_in_place is not None
        if not keep_all:          # an intermediate's cotangent is spent here: free it for reuse
            cotangents[i] = None
        if not op.elementwise and getattr(cotangent, "shape", ()) != getattr(out, "shape", ()):
            cotangent = broadcast_cotangent(cotangent, shape_of(out))   # (a lazily broadcast one: a view)
            reusable = False
        vjp_into = op.vjp_into
        last = len(parents) - 1
        for argnum, parent in (enumerate(parents) if op.partials is None or len(parents) == 1
                               or (len(parents) == 2 and parents[0] != parents[1]) else _grouped(parents)):
            if parent < 0:        # a constant
                continue
            if vjp_into is not None and owned[parent] and isinstance(cotangent, (np.ndarray, float)) \
                    and vjp_into(cotangents[parent], cotangent, argnum, out, *args, **params):
                continue
            if reusable and argnum == last and type(cotangent) is np.ndarray:
                contribution = op.vjp_in_place(cotangent, argnum, out, *args, **params)
                fresh = True      # (ct's memory, which this walk owns)
            else:
                contribution = vjp_of(op, cotangent, argnum, out, args, params)
                if contribution is None:
                    continue
                # A built-in rule's result that owns its memory and is not the
                # cotangent passed through is a fresh array: the walk may own it.
                fresh = (type(contribution) is np.ndarray and contribution is not cotangent
                         and contribution.base is None and contribution.flags.writeable
                         and op.name in BUILT_IN)
            if cotangents[parent] is None:
                cotangents[parent] = contribution
                owned[parent] = fresh
            else:
                _add_into(cotangents, owned, parent, contribution)
    return cotangents


def _grouped(parents):
    """(argnum, parent) for each argument of an elementwise op that takes one
    value at several positions (x * x): that value comes once, with the tuple
    of its positions, so its VJP rule sums the partials before multiplying.
    (Every other op's arguments are walked one by one, constants as -1.)"""
    grouped = {}
    for argnum, parent in enumerate(parents):
        if parent >= 0:
            grouped.setdefault(parent, []).append(argnum)
    return [(tuple(argnums) if len(argnums) > 1 else argnums[0], parent)
            for parent, argnums in grouped.items()]


def _add_into(cotangents, owned, index, contribution):
    """cotangents[index] += contribution, out of place unless the slot holds
    an array this walk owns (a fresh rule result, or a sum made here): a
    contribution may alias another value (add's VJP hands the same cotangent
    to both inputs), so only owned arrays are ever written into."""
    previous = cotangents[index]
    if owned[index] and isinstance(contribution, (np.ndarray, float)) and shape_of(contribution) == previous.shape:
        np.add(previous, contribution, out=previous)
        if FLOP_COUNTERS:
            count(ADD, previous, (previous, contribution), {})
    else:
        total = ops.add(previous, contribution)
        cotangents[index] = total
        owned[index] = type(total) is np.ndarray and total.flags.writeable


def _count_scalar_backward(parents, local, cotangents):
    """The scalar fast path multiplies and adds Python floats itself: count them."""
    for parent, partial in zip(parents, local):
        if parent >= 0 and partial is not None:
            count(MUL, 0.0, (0.0, 0.0), {})
            if cotangents[parent] is not None:
                count(ADD, 0.0, (0.0, 0.0), {})


def _record(f, args, nums, keep_all=False, copy_inputs=False, kwargs=None):
    """Run f with the arguments `nums` traced on a fresh tape. `copy_inputs`
    (vjp): the tape outlives the call, so it records copies and leaves the
    caller's arrays free to change (a training step `W -= lr * dW`).
    `kwargs` go to f as they are: keyword arguments are not differentiated."""
    leaves, rebuild = flatten(tuple([args[i] for i in nums]))
    tape = Tape(keep_all)
    label = f"argument {nums[0]}" if len(nums) == 1 else "a differentiated argument"
    values = [x if type(x) is float else as_differentiable(x, label) for x in leaves]
    if copy_inputs:
        values = [np.array(x) if type(x) is np.ndarray else x for x in values]
    traced = tape.leaves(values)
    # f may write into its inputs (x[0] = 0 rebinds the box x): the caller's copies stay the inputs
    handed = [Traced(t.value, tape, t.index) for t in traced]
    full = list(args)
    for i, value in zip(nums, rebuild(handed)):
        full[i] = value
    call = (tape, lambda value: Traced(value, tape, -1))
    LIVE_CALLS.append(call)
    try:
        out = f(*full, **(kwargs or {}))
    except BaseException as error:
        saved_any = bool(tape.locked)
        tape.release()
        if saved_any and isinstance(error, ValueError) and "read-only" in str(error):
            raise ValueError(
                f"f wrote into a read-only array ({error}). While f is recorded, the arrays the tape "
                "saves for the backward pass (the inputs, and constants a rule reads, such as W in "
                "W @ x) are read-only: changing one would silently change the derivative. Build a "
                "new array instead (y = y * 2, not y *= 2), or pass f a copy it may change") from error
        raise numpy_replaced(error)
    finally:
        tape.alive = False
        LIVE_CALLS.remove(call)
    return tape, traced, rebuild, out


class _Pullback:
    """Maps output cotangents (optionally with a leading batch axis) to input
    cotangents, as many times as asked, on one recorded tape."""

    def __init__(self, tape, traced, rebuild, out):
        self.tape, self.traced, self.rebuild = tape, traced, rebuild
        out_leaves, self.rebuild_out = flatten(out)
        self.out_leaves = out_leaves
        self.out_values = [leaf.value if self._ours(leaf) else leaf for leaf in out_leaves]
        self.out = self.rebuild_out(self.out_values)

    def _ours(self, value):
        return isinstance(value, Traced) and value.tag is self.tape and value.index >= 0

    def check(self, cotangent_leaves):
        """A caller's cotangents (vjp_fn): one per output, its shape, floating."""
        for value, ct in zip(self.out_values, cotangent_leaves):
            if shape_of(ct) != shape_of(value):
                raise ValueError(f"cotangent shape {shape_of(ct)} does not match the output's "
                                 f"shape {shape_of(value)}")
            if np.result_type(ops.strip(ct)).kind not in "fc":
                raise TypeError(f"the cotangent has dtype {np.result_type(ops.strip(ct))}; cotangents are "
                                "floating-point (as in jax.vjp): pass it as a float array")

    def __call__(self, cotangent_leaves, batch=None):
        seeds = [(leaf.index, ct if batch is None else Batched(ct))
                 for leaf, ct in zip(self.out_leaves, cotangent_leaves) if self._ours(leaf)]
        cotangents = backward(self.tape, seeds) if seeds else [None] * len(self.tape.records)
        seed_ids = {id(seed) for _, seed in seeds}
        return [self._gradient(leaf, cotangents[leaf.index], batch, seed_ids) for leaf in self.traced]

    @staticmethod
    def _gradient(leaf, ct, batch, seed_ids):
        """An input's cotangent as the caller gets it: its input's dtype (as
        jax.vjp), zeros where nothing flowed, an array of its own (never a
        read-only view or the caller's cotangent passed through)."""
        if ct is None:
            zero_shape = shape_of(leaf.value) if batch is None else (batch,) + shape_of(leaf.value)
            return np.zeros(zero_shape, np.result_type(leaf.value)) if zero_shape else 0.0 * leaf.value
        if batch is not None:
            ct = unbatched(ct, batch)
        elif isinstance(leaf.value, float):
            return float(ct) if isinstance(ct, (np.ndarray, np.floating)) else ct   # scalars stay scalars
        ct = broadcast_cotangent(ct, shape_of(leaf.value) if batch is None else (batch,) + shape_of(leaf.value))
        if type(ct) is np.ndarray:
            dtype = leaf.value.dtype if type(leaf.value) is np.ndarray else np.result_type(leaf.value)
            if ct.dtype != dtype or ct.base is not None or not ct.flags.writeable or id(ct) in seed_ids:
                ct = ct.astype(dtype)           # (a copy)
        return ct


def vjp(f, *primals):
    """(f(*primals), vjp_fn) like jax.vjp: vjp_fn(cotangent) returns a tuple of
    cotangents, one per primal, each mirroring its primal's structure."""
    tape, traced, rebuild, out = _record(f, primals, tuple(range(len(primals))), copy_inputs=True)
    pullback = _Pullback(tape, traced, rebuild, out)
    for value in pullback.out_values:     # the caller's now, and the backward pass may read them
        tape._keep(value)

    def vjp_fn(cotangent):
        ct_leaves = flatten_like(cotangent, pullback.out, "the cotangent", "the output")
        pullback.check(ct_leaves)
        return tuple(rebuild(pullback(ct_leaves)))

    weakref.finalize(vjp_fn, tape.release)
    return pullback.out, vjp_fn


def value_and_grad(f, argnums=0):
    """(f(*args), gradient of f with respect to args[argnums]): one forward
    pass that records, one backward pass."""
    def value_and_grad_f(*args, **kwargs):
        nums, single = normalize_argnums(argnums, len(args))
        tape, traced, rebuild, out = _record(f, args, nums, kwargs=kwargs)
        try:
            pullback = _Pullback(tape, traced, rebuild, out)
            value = pullback.out_values[0] if len(pullback.out_leaves) == 1 else None
            if value is None or shape_of(value) != ():
                returned = (f"{len(pullback.out_leaves)} arrays (a {type(out).__name__})" if value is None
                            else f"shape {shape_of(value)}")
                raise TypeError(f"grad needs a function with a scalar output (as jax.grad); this one returned "
                                f"{returned}. Use jacobian or vjp for other outputs.")
            seed = 1.0     # d out / d out, for a Python or NumPy float64 output
            if not isinstance(value, float):
                dtype = np.result_type(ops.strip(value))
                if dtype.kind == "c":
                    raise TypeError("grad needs a real output (as jax.grad); this one is complex. Take "
                                    "np.real, np.abs or the like of it, or use vjp with a complex cotangent")
                if dtype.kind not in "fc":
                    raise TypeError(f"grad needs a floating-point output (as jax.grad); this one returned "
                                    f"dtype {dtype}, which does not depend on the inputs")
                seed = np.ones((), dtype)
            grads = rebuild(pullback([seed]))
        finally:
            tape.release()
        return pullback.out, grads[0] if single else tuple(grads)
    return value_and_grad_f


def grad(f, argnums=0):
    """The gradient of a scalar function by reverse mode (one backward pass)."""
    value_and_grad_f = value_and_grad(f, argnums)
    return lambda *args, **kwargs: value_and_grad_f(*args, **kwargs)[1]


def jacobian(f, argnums=0, chunk=None):
    """The Jacobian by reverse mode: f recorded once, then ceil(m / chunk)
    backward passes, each carrying `chunk` rows (cotangents with a leading
    batch axis). Shapes and structure as forward.jacobian."""
    def jacobian_of(*args, **kwargs):
        nums, single = normalize_argnums(argnums, len(args))
        tape, traced, rebuild, out = _record(f, args, nums, kwargs=kwargs)
        try:
            pullback = _Pullback(tape, traced, rebuild, out)
            m = sum(size_of(v) for v in pullback.out_values)
            step = chunk_size(chunk, m)
            rows = []
            for start in range(0, m, step):
                count = min(step, m - start)
                rows.append(pullback(basis_chunk(pullback.out_values, start, count), batch=count))
        finally:
            tape.release()
        return assemble_jacobian(pullback.out, rows, [t.value for t in traced], rebuild, single,
                                 rows_are_inputs=False)
    return jacobian_of


# ---------------------------------------------------------------------------
# The recorded program made visible

class Trace:
    """The tape of one call, staged as in the CS231n notes: one row per step
    with its op, inputs, forward value and (for a scalar output, after the
    backward pass) the gradient of the output with respect to that step.

    `.table` is a pandas DataFrame; `.records` the raw records; `.inputs` the
    record indices of the inputs; `.output` the index of the output record
    (None when the output does not depend on the inputs); `.outputs` the
    same for each leaf of a pytree output."""

    def __init__(self, tape, names, inputs, output, out, gradients, outputs):
        self.tape, self.names, self.inputs = tape, names, inputs
        self.records = [Record(record) for record in tape.records]
        self.output, self.out, self.gradients, self.outputs = output, out, gradients, outputs

    def saved_bytes(self):
        return self.tape.saved_bytes()

    @property
    def table(self):
        import pandas as pd
        rows = []
        for i, record in enumerate(self.records):
            rows.append({
                "step": i, "name": self.names[i],
                "op": "input" if record.op is None else record.op.name,
                "inputs": ", ".join(self._argument_names(record)),
                "value": record.out,
                "gradient": None if self.gradients is None else self.gradients[i],
            })
        # "cotangent" (JAX's word) is the notes' "gradient": the same column
        table = pd.DataFrame(rows)
        table["cotangent"] = table["gradient"]
        return table

    def _argument_names(self, record):
        return [self.names[p] if p >= 0 else _short(a) for a, p in zip(record.args, record.parents)]

    def __str__(self):
        lines = []
        for i, record in enumerate(self.records):
            left = (f"{self.names[i]} = input" if record.op is None else
                    f"{self.names[i]} = {record.op.name}({', '.join(self._argument_names(record))})")
            line = f"{left:<34} value {_short(record.out):>12}"
            if self.gradients is not None:
                line += f"   d{self.names[i]} = {_short(self.gradients[i])}"
            lines.append(line)
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        """The staged listing as an HTML table, for Jupyter: one row per step."""
        import html
        head = "<th>step</th><th>stage</th><th>value</th>" + ("<th>gradient</th>" if self.gradients is not None else "")
        rows = []
        for i, record in enumerate(self.records):
            stage = (f"{self.names[i]} = input" if record.op is None else
                     f"{self.names[i]} = {record.op.name}({', '.join(self._argument_names(record))})")
            cells = [str(i), stage, _short(record.out)]
            if self.gradients is not None:
                cells.append(f"d{self.names[i]} = {_short(self.gradients[i])}")
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        return f'<table class="fwdrev-trace"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _short(value):
    value = ops.strip(value)
    if value is None:
        return "0"
    array = np.asarray(value)
    if array.size == 1:
        return f"{array.item():.6g}"
    return f"array{array.shape}"


def trace(f, *args):
    """Record f(*args) and, when the output is a scalar, run the backward
    pass; return the `Trace` (staged listing, table, records)."""
    import inspect
    nums = tuple(range(len(args)))
    tape, traced, rebuild, out = _record(f, args, nums, keep_all=True)
    try:
        parameter_names = list(inspect.signature(f).parameters)
    except (TypeError, ValueError):
        parameter_names = []
    names = [f"v{i}" for i in range(len(tape.records))]
    for position, arg in enumerate(args):
        leaves, _ = flatten(arg)
        base = parameter_names[position] if position < len(parameter_names) else f"x{position}"
        for k, _leaf in enumerate(leaves):
            index = traced[sum(len(flatten(a)[0]) for a in args[:position]) + k].index
            names[index] = base if len(leaves) == 1 else f"{base}[{k}]"
    def recorded(value):     # (a constant of the tape, index -1, is not)
        return isinstance(value, Traced) and value.tag is tape and value.index >= 0
    output = out.index if recorded(out) else None
    outputs = [leaf.index if recorded(leaf) else None for leaf in flatten(out)[0]]
    gradients = None
    try:
        if output is not None and shape_of(out.value) == ():
            cotangents = backward(tape, [(output, 1.0)])
            gradients = [None if c is None else ops.strip(broadcast_cotangent(c, shape_of(record[3])))
                         for c, record in zip(cotangents, tape.records)]
    finally:
        tape.release()
    return Trace(tape, names, [t.index for t in traced], output,
                 out.value if output is not None else out, gradients, outputs)


# ---------------------------------------------------------------------------
# Checkpointing: trade recomputation for memory

def checkpoint(fn):
    """A segment whose intermediates are not kept: the tape records one step
    for the whole call of fn(*arrays) -> array, saving only its inputs and
    output; the backward pass runs fn again under its own vjp. With T steps
    split into sqrt(T) segments the saved residuals drop from O(T) to
    O(sqrt(T)) at the price of one more forward pass."""
    from .registry import Op

    def segment_jvp(tangents, out, *args):
        from .forward import jvp as forward_jvp
        moving = [i for i, t in enumerate(tangents) if t is not None]
        return forward_jvp(_of_positions(fn, args, moving), [args[i] for i in moving],
                           [tangents[i] for i in moving])[1]

    def segment_vjp(cotangent, argnum, out, *args):
        # recompute, then pull back: only args[argnum] varies (indices stay fixed)
        return vjp(_of_positions(fn, args, [argnum]), args[argnum])[1](cotangent)[0]

    def segment(*args):
        out = fn(*args)
        if isinstance(out, (tuple, list, dict)):
            raise TypeError(f"a checkpointed function returns one array; {getattr(fn, '__name__', 'fn')} "
                            f"returned a {type(out).__name__}: checkpoint each output's function separately")
        return out

    op = Op(f"checkpoint({getattr(fn, '__name__', 'fn')})", segment, jvp=segment_jvp, vjp=segment_vjp,
            jax=None, cost=lambda out, *args: 0, saves=("args",))

    def checkpointed(*args):
        return apply(op, *args)
    return checkpointed


def _of_positions(fn, args, positions):
    """fn as a function of the arguments at `positions`, the others fixed."""
    def partial_fn(*values):
        full = list(args)
        for i, value in zip(positions, values):
            full[i] = value
        return fn(*full)
    return partial_fn
