"""Forward mode: dual numbers carrying tangents alongside primals.

A `Dual(primal, tangent)` flows through the program; every registry op maps
(primals, tangents) to (out, out_tangent) with its JVP rule. One pass gives
J v for one direction v, or, with a chunk of K tangents (shape
(K, *primal.shape)), K columns of the Jacobian at once, as ForwardDiff.jl's
chunk mode does. A full Jacobian costs ceil(n / K) passes.

Why tags: `jvp` inside `jvp` must not mix up the perturbations of the two
calls (perturbation confusion, Siskind & Pearlmutter). Every call gets a fresh
`Tag`; an op works on the highest-tagged Duals among its arguments and treats
the rest as constants, so `D(x -> x * D(y -> x + y)(1))(1) == 1`.
"""

import functools
import sys

import numpy as np

from . import ops
from .batching import Batched, unbatched
from .idioms import numpy_replaced
from .inputs import as_differentiable, normalize_argnums
from .numpy_dispatch import ArrayInterface
from .pytree import flatten, flatten_like
from .writes import link_if_view, set_shape
from .registry import LIVE_CALLS, Box, Tag, apply, as_constants, evaluate, float_dtype, jvp_of, shape_of, size_of, strip


# The default chunk: all directions in one pass while the seed stays under this
# many elements (64 MiB of float64); beyond it, chunks of that size.
MAX_SEED_ELEMENTS = 2 ** 23


class Dual(ArrayInterface):
    """A primal value with its tangent (or a chunk of K tangents, leading axis)."""

    # (view_of, views: see writes.py; unset until a view is made)
    __slots__ = ("primal", "tangent", "tag", "chunked", "view_of", "views", "__weakref__")

    def __init__(self, primal, tangent, tag=None, chunked=None):
        if tag is None:   # made by a user: check it, and give it a tag of its own
            primal = as_differentiable(primal, "the primal of a Dual")
            tangent, chunked = _checked_tangent(primal, tangent)
            tag = Tag()
        self.primal = primal
        self.tangent = tangent
        self.tag = tag
        self.chunked = chunked

    @property
    def shape(self):
        return shape_of(self.primal)

    @shape.setter
    def shape(self, shape):
        set_shape(self, shape)

    def plain_value(self):
        return self.primal

    def __repr__(self):
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"

    def owns_memory(self):
        """Nothing else holds this box's arrays: a write may reuse their memory."""
        primal, tangent = self.primal, self.tangent
        # three references each: this box's slot, the local name, getrefcount's argument
        return (type(primal) is np.ndarray and type(tangent) is np.ndarray
                and primal.base is None and tangent.base is None
                and primal.flags.writeable and tangent.flags.writeable
                and sys.getrefcount(primal) == 3 and sys.getrefcount(tangent) == 3)

    def become(self, new):
        """Rebind this box to `new`, the result of a write into it."""
        if type(new) is Dual and new.tag is self.tag:
            self.primal, self.tangent, self.chunked = new.primal, new.tangent, new.chunked
        elif not self.tag.alive and not isinstance(new, Box):    # escaped: a plain value
            self.primal = new
        else:
            raise TypeError(f"cannot write a {type(new).__name__} into a Dual array of another call")

    def constant(self, value):
        """`value` with a zero tangent of this box's call (np.zeros_like(x) for a dual x)."""
        if not self.tag.alive:
            return value
        chunk = shape_of(self.tangent)[:1] if self.chunked else ()
        return Dual(value, np.zeros(chunk + shape_of(value), float_dtype(value)), self.tag, self.chunked)

    def lift(self, op, args, params):
        tag = self.tag
        if not tag.alive:        # escaped from a finished call: a constant
            return as_constants(op, args, params)
        primals, tangents, chunk, boxed = [], [], 0, False
        for a in args:
            if type(a) is Dual and a.tag is tag:
                if a.chunked:
                    chunk = shape_of(a.tangent)[0]
                    tangents.append(Batched(a.tangent))
                else:
                    tangents.append(a.tangent)
                a = a.primal
            else:
                tangents.append(None)
            primals.append(a)
            boxed = boxed or isinstance(a, Box)
        # lower-tagged boxes among the primals: hand them on; else just run the primal
        out = apply(op, *primals, **params) if boxed else evaluate(op, primals, params)
        if op.jvp is None:
            return out
        tangent = jvp_of(op, tangents, out, primals, params)
        if tangent is None:
            return out
        result = Dual(out, unbatched(tangent, chunk), tag, True) if chunk else Dual(out, tangent, tag, False)
        # a view of an argument's array (x[0], x.T), or the array itself: linked (see writes.py)
        if out.base is not None or out is primals[0] if type(out) is np.ndarray else isinstance(out, Box):
            link_if_view(result, op, args, params)
        return result


def _checked_tangent(primal, tangent):
    """The tangent as an array, and whether it carries a chunk axis."""
    if isinstance(primal, float) and isinstance(tangent, (int, float)) and not isinstance(tangent, bool):
        tangent = float(tangent)      # scalars stay scalars
    elif not isinstance(tangent, (float, ArrayInterface)):
        tangent = np.asarray(tangent, dtype=None if np.iscomplexobj(tangent) else float_dtype(primal))
    p, t = shape_of(primal), shape_of(tangent)
    if t == p:
        return tangent, False
    if t[1:] == p:
        return tangent, True
    raise ValueError(f"tangent shape {t} does not match the primal shape {p} (or (K, *{p}) for "
                     "K directions at once)")


def jvp(f, primals, tangents):
    """(f(*primals), J tangents), like jax.jvp: primals and tangents are tuples
    of matching pytrees. Tangents with a leading axis K give K JVPs at once."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp takes a tuple of primals and a tuple of tangents, one per argument of f "
                        "(as jax.jvp): jvp(f, (x,), (v,))")
    primals, tangents = tuple(primals), tuple(tangents)
    primal_leaves, rebuild = flatten(primals)
    tangent_leaves = flatten_like(tangents, primals, "jvp: the tangents", "the primals")
    tag = Tag()
    duals, chunks = [], set()
    for i, (p, t) in enumerate(zip(primal_leaves, tangent_leaves)):
        p = as_differentiable(p, f"primal {i}")
        t, chunked = _checked_tangent(p, t)
        chunks.add(shape_of(t)[0] if chunked else None)
        duals.append(Dual(p, t, tag, chunked))
    if len(chunks) > 1:
        raise ValueError("jvp: all tangents must carry the same number of directions "
                         f"(leading axes seen: {sorted(map(str, chunks))})")
    chunk = chunks.pop() if chunks else None
    call = (tag, Dual(0.0, 0.0 if chunk is None else np.zeros(chunk), tag, chunk is not None).constant)
    LIVE_CALLS.append(call)
    try:
        out = f(*rebuild(duals))
    except ValueError as error:
        raise numpy_replaced(error)
    finally:
        tag.alive = False
        LIVE_CALLS.remove(call)
    out_leaves, rebuild_out = flatten(out)
    values, out_tangents = [], []
    for leaf in out_leaves:
        if isinstance(leaf, Dual) and leaf.tag is tag:
            values.append(leaf.primal)
            out_tangents.append(leaf.tangent)
        else:   # does not depend on the inputs: zero tangent
            values.append(leaf)
            zero_shape = shape_of(leaf) if chunk is None else (chunk,) + shape_of(leaf)
            out_tangents.append(np.zeros(zero_shape, float_dtype(leaf)) if zero_shape else 0.0)
    return rebuild_out(values), rebuild_out(out_tangents)


def default_chunk(n_inputs):
    return max(1, min(n_inputs, MAX_SEED_ELEMENTS // max(1, n_inputs)))


def chunk_size(chunk, directions):
    """Directions per pass: `chunk`, or by default as many as fit (None or 0)."""
    if not chunk:
        return default_chunk(directions)
    if int(chunk) < 1:
        raise ValueError(f"chunk must be a positive number of directions, got {chunk!r}")
    return int(chunk)


def jacobian(f, argnums=0, chunk=None):
    """The Jacobian by forward mode: ceil(n / chunk) passes of `chunk` columns.
    Each output leaf's Jacobian has shape out.shape + in.shape, arranged like
    jax.jacfwd: the output's structure, then the differentiated arguments'."""
    def jacobian_of(*args, **kwargs):
        nums, single = normalize_argnums(argnums, len(args))
        leaves, rebuild = flatten(tuple(args[i] for i in nums))
        label = f"argument {nums[0]}" if single else "a differentiated argument"
        leaves = [as_differentiable(x, label) for x in leaves]
        if any(np.iscomplexobj(x) for x in leaves):
            raise TypeError(f"{label} is complex: forward.jacobian and forward.grad take real inputs (as "
                            "jax.jacfwd). Use reverse.grad, or forward.jvp with complex tangents")
        n = sum(size_of(x) for x in leaves)
        step = chunk_size(chunk, n)

        def call(*diff_leaves):
            full = list(args)
            for i, value in zip(nums, rebuild(list(diff_leaves))):
                full[i] = value
            return f(*full, **kwargs)      # keyword arguments are not differentiated

        columns, out = [], None if n else call(*leaves)
        for start in range(0, n, step):
            seeds = basis_chunk(leaves, start, min(step, n - start))
            out, tangents = jvp(call, leaves, seeds)
            columns.append(flatten(tangents)[0])
        return assemble_jacobian(out, columns, leaves, rebuild, single, rows_are_inputs=True)
    return jacobian_of


def basis_chunk(leaves, start, count):
    """Tangents for basis directions start..start+count, one array per leaf
    with a leading axis of `count`: column blocks of rows of the identity."""
    rows = _identity_rows(sum(size_of(leaf) for leaf in leaves), start, count)
    seeds, offset = [], 0
    for leaf in leaves:
        size = size_of(leaf)
        block = rows[:, offset:offset + size].astype(float_dtype(leaf), copy=False)
        seeds.append(block.reshape((count,) + shape_of(leaf)))
        offset += size
    return seeds


CACHED_SEED_ELEMENTS = 2 ** 20     # 8 MiB of float64


def _make_identity_rows(n, start, count):
    """Rows start..start+count of the n x n identity, read-only."""
    rows = np.zeros((count, n))
    rows[np.arange(count), np.arange(start, start + count)] = 1.0
    rows.flags.writeable = False
    return rows


# A Jacobian is usually wanted again at the same size (in a loop), so small
# seeds are kept for the next call, as ForwardDiff.jl keeps them in a
# JacobianConfig: making an n x n identity costs page faults, not arithmetic.
_cached_identity_rows = functools.lru_cache(maxsize=4)(_make_identity_rows)


def _identity_rows(n, start, count):
    if n * count > CACHED_SEED_ELEMENTS:
        return _make_identity_rows(n, start, count)
    return _cached_identity_rows(n, start, count)


def assemble_jacobian(out, rows, leaves, rebuild, single, rows_are_inputs):
    """Arrange per-direction derivatives into out.shape + in.shape blocks, in
    jax.jacfwd's structure (outputs, then differentiated arguments).

    Forward mode gives, per output leaf, chunks of (K, *out.shape) tangents
    (one per input direction); reverse mode gives, per input leaf, chunks of
    (K, *in.shape) cotangents (one per output direction). Registry ops keep
    this differentiable when it runs inside another transformation."""
    out_leaves, rebuild_out = flatten(out)

    def joined(pieces, axis=0):   # no copy for the common single piece
        return ops.concatenate(pieces, axis=axis) if len(pieces) > 1 else pieces[0]

    # one (n_out, n_in) matrix, whichever way it was computed
    if not rows:           # no directions at all: an empty input or output
        matrix = np.zeros((sum(size_of(y) for y in out_leaves), sum(size_of(x) for x in leaves)))
    else:
        parts = [joined([ops.reshape(chunk[j], (-1, size_of(leaf))) for chunk in rows])
                 for j, leaf in enumerate(out_leaves if rows_are_inputs else leaves)]
        matrix = joined(parts, axis=1)
        if rows_are_inputs:    # rows were input directions: (n_in, n_out)
            matrix = ops.transpose(matrix)
    whole = len(out_leaves) == 1 and len(leaves) == 1
    per_output, row = [], 0
    for out_leaf in out_leaves:
        blocks, column = [], 0
        for leaf in leaves:
            block = matrix if whole else ops.getitem(matrix, (slice(row, row + size_of(out_leaf)),
                                                              slice(column, column + size_of(leaf))))
            block = ops.reshape(block, shape_of(out_leaf) + shape_of(leaf))
            if type(block) is np.ndarray and not block.flags.writeable:
                block = np.array(block)     # a view of a cached seed: the caller gets its own array
            blocks.append(float(block) if isinstance(leaf, float) and isinstance(block, np.ndarray)
                          and block.shape == () else block)   # scalars stay scalars
            column += size_of(leaf)
        structured = rebuild(blocks)
        per_output.append(structured[0] if single else structured)
        row += size_of(out_leaf)
    return rebuild_out(per_output)


def grad(f, argnums=0, chunk=None):
    """The gradient of a scalar function by forward mode: n directions, in
    ceil(n / chunk) passes. Reverse mode needs one pass; this is the comparison."""
    return jacobian(_require_scalar(f), argnums, chunk)


def _require_scalar(f):
    def scalar_f(*args, **kwargs):
        out = f(*args, **kwargs)
        if isinstance(out, (tuple, list, dict)) or shape_of(out) != ():
            returned = (f"a {type(out).__name__}" if isinstance(out, (tuple, list, dict))
                        else f"shape {shape_of(out)}")
            raise TypeError(f"grad needs a function with a scalar output (as jax.grad); this one returned "
                            f"{returned}. Use jacobian for other outputs.")
        dtype = np.result_type(strip(out))
        if dtype.kind not in "fc":
            raise TypeError(f"grad needs a floating-point output (as jax.grad); this one returned dtype {dtype}, "
                            "which does not depend on the inputs")
        return out
    return scalar_f
