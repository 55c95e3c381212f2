"""The JAX bridge: JAX differentiates the same program our engines see.

A function is run once under `reverse.trace`, which records every registry op
it executes (op, arguments, static params). `replay` turns that recording
into a JAX function: each step is re-executed with its op's JAX twin
(`Op.jax`), so plain NumPy user code gets a `jax.numpy` version without
anyone rewriting it, and JAX then differentiates that program with its own
rules. Our rules and JAX's meet only at the primal computation, which is
what makes JAX an independent reference.

A replay is the program *at the traced point*: Python control flow, index
arrays and comparisons (`x > 0`) are frozen as they were there, exactly as
when JAX traces a function with concrete values. Its derivatives at that
point are the program's derivatives; away from it the replay may differ.

Arguments that are neither floating point nor complex (integer labels,
boolean masks, configuration) are constants of the replay: the values given to `replay`.

Precision: everything runs in float64 under JAX's x64 mode, switched on only
for our own calls (`x64()`), never globally: a user's JAX setting is left as
it was. JAX itself is imported lazily, so `import modes` and
`import comparisons` never import it.
"""

from __future__ import annotations

import contextlib

import numpy as np

from modes import registry, reverse
from modes.pytree import flatten
from modes.registry import jvp_of, shape_of, vjp_of


class NotReplayable(TypeError):
    """A recorded step has no JAX twin, so JAX cannot re-run the program."""


@contextlib.contextmanager
def x64():
    """JAX's 64-bit mode for the duration of the block only, op by op.

    `disable_jit` too: JAX library functions that are jitted (logsumexp,
    softmax) would compile a whole new program for every shape they meet,
    while op by op each primitive is compiled once per shape and reused by
    every check; small checked programs run about twice as fast so."""
    import jax
    if callable(getattr(jax, "enable_x64", None)):      # jax >= 0.6: a scoped config state
        x64_mode = jax.enable_x64(True)
    else:                                               # older jax
        from jax.experimental import enable_x64
        x64_mode = enable_x64()
    with x64_mode, jax.disable_jit():
        yield


def is_float_leaf(value) -> bool:
    """Differentiable leaves: Python floats and real floating-point arrays
    (not integers, booleans, complex numbers, strings or other objects)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.dtype.kind == "f"
    return isinstance(value, float)


def is_differentiable_leaf(value) -> bool:
    """Leaves JAX differentiates: float leaves and complex ones (complex
    arrays and numbers; their derivatives follow JAX's convention)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.dtype.kind in "fc"
    return isinstance(value, (float, complex))


# ---------------------------------------------------------------------------
# Replaying a recorded program with the ops' JAX twins

def replay(f, *args):
    """A JAX function equivalent to f near `args`.

    Returns `g` with f's signature: `g(*args)` computes f's output with
    `jax.numpy`, in f's output structure; non-float leaves of the arguments
    are ignored (they stay the constants recorded here); complex leaves are
    arguments like float ones. Raises
    `NotReplayable` if a step has no JAX twin.
    """
    leaves, rebuild = flatten(args)
    floats = [i for i, leaf in enumerate(leaves) if is_differentiable_leaf(leaf)]

    def of_floats(*float_leaves):
        full = list(leaves)
        for i, value in zip(floats, float_leaves):
            full[i] = value
        return f(*rebuild(full))

    run, structure = _replay_flat(of_floats, [leaves[i] for i in floats])

    def g(*new_args):
        new_leaves, _ = flatten(new_args)
        return structure(run(*[new_leaves[i] for i in floats]))
    return g


registry.jax_replay = replay      # for twins whose op takes a Python function (odeint's right-hand side)


def _replay_flat(f, leaves):
    """(run, structure): `run(*leaves)` replays f's steps and returns its
    output leaves concatenated into one flat JAX vector (f may return a
    pytree); `structure` splits such a vector back into f's output pytree."""
    from modes import ops
    shapes, rebuild_out = [], None

    def flat_f(*xs):
        nonlocal rebuild_out
        out_leaves, rebuild_out = flatten(f(*xs))
        shapes.extend(shape_of(y) for y in out_leaves)
        if len(out_leaves) == 1:
            return out_leaves[0]
        return ops.concatenate([ops.reshape(y, (-1,)) for y in out_leaves])

    recording = reverse.trace(flat_f, *leaves)
    missing = [(i, r.op.name) for i, r in enumerate(recording.records)
               if r.op is not None and r.op.jax is None]
    if missing:
        step, name = missing[0]
        raise NotReplayable(
            f"step {step} of the program, op {name!r}, has no JAX twin, so JAX cannot replay it. "
            f"Give it one (modes.defop({name!r}, ..., jax=lambda ...: jax.numpy ...)) or pass a "
            "JAX-written twin of the whole function (jax_twin=...).")

    def run(*xs):
        return _run_records(recording, xs)

    def structure(vector):
        import jax.numpy as jnp
        if len(shapes) == 1:
            return rebuild_out([jnp.reshape(vector, shapes[0])])
        parts, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape, dtype=np.int64))
            parts.append(jnp.reshape(vector[start:start + size], shape))
            start += size
        return rebuild_out(parts)
    return run, structure


def _run_records(recording, inputs):
    """Execute the recorded steps with JAX twins, the inputs replaced."""
    import jax.numpy as jnp
    records = recording.records
    values = [None] * len(records)
    for index, value in zip(recording.inputs, inputs):
        values[index] = value
    for i, record in enumerate(records):
        if record.op is None:
            continue
        arguments = [values[p] if p >= 0 else constant
                     for p, constant in zip(record.parents, record.args)]
        values[i] = record.op.jax(*arguments, **record.params)
    if recording.output is None:       # the output does not depend on the inputs
        return jnp.asarray(recording.out)
    return values[recording.output]


# ---------------------------------------------------------------------------
# JAX's derivatives of a replayed NumPy function, as NumPy arrays

def _to_numpy(tree):
    leaves, rebuild = flatten(tree)
    return rebuild([np.asarray(leaf) for leaf in leaves])


def _as_jax_input(value):
    """NumPy arrays keep their dtype; Python floats become float64 arrays."""
    return np.asarray(value)


def jvp(f, primals, tangents):
    """(f(*primals), J tangents) computed by JAX on the replay of f, like
    `modes.forward.jvp`. Only float arguments may carry tangents."""
    import jax
    primals = tuple(primals)
    with x64():
        g = replay(f, *primals)
        p = tuple(_as_jax_input(x) for x in primals)
        t = tuple(np.asarray(v, dtype=np.asarray(x).dtype) for v, x in zip(tangents, p))
        out, out_tangent = jax.jvp(g, p, t)
        return _to_numpy(out), _to_numpy(out_tangent)


def vjp(f, *primals):
    """(f(*primals), vjp_fn) computed by JAX on the replay of f, like
    `modes.reverse.vjp`: vjp_fn(cotangent) returns one cotangent per primal."""
    import jax
    with x64():
        g = replay(f, *primals)
        out, pullback = jax.vjp(g, *[_as_jax_input(x) for x in primals])

    def vjp_fn(cotangent):
        with x64():
            return _to_numpy(pullback(cast_like(cotangent, out)))
    return _to_numpy(out), vjp_fn


def grad(f, argnums=0):
    """The gradient of a scalar f by JAX on its replay, like `modes.grad`."""
    def grad_f(*args):
        import jax
        with x64():
            g = replay(f, *args)
            return _to_numpy(jax.grad(g, argnums)(*[_as_jax_input(x) for x in args]))
    return grad_f


def cast_like(cotangent, out):
    """A cotangent with the dtypes of the output it belongs to (JAX insists)."""
    import jax.numpy as jnp
    ct_leaves, rebuild = flatten(cotangent)
    out_leaves, _ = flatten(out)
    return rebuild([jnp.asarray(c, dtype=jnp.result_type(o)) for c, o in zip(ct_leaves, out_leaves)])


# ---------------------------------------------------------------------------
# Blame: which recorded step's rule disagrees with its JAX twin

def check_steps(f, leaves, seed=0, rtol=None):
    """Each recorded step's JVP and VJP rule against JAX's derivative of its
    twin, at the step's own arguments, with random (co)tangents.

    When a whole program disagrees with JAX this points at the op to blame.
    Returns a list of dicts (step, op, rule, argnum, abs_error, tolerance,
    passed); the tolerance is `rtol` (default 256 eps of float64) times the
    largest magnitude compared.
    """
    import jax
    rng = np.random.default_rng(seed)
    recording = reverse.trace(lambda *xs: f(*xs), *leaves)
    rtol = 256 * np.finfo(np.float64).eps if rtol is None else rtol
    rows = []
    with x64():
        for step, record in enumerate(recording.records):
            op = record.op
            if op is None or op.jax is None or op.vjp is None:
                continue
            diff = [k for k, (p, a) in enumerate(zip(record.parents, record.args))
                    if p >= 0 and k not in op.nondiff and is_float_leaf(a)]
            args, params = list(record.args), record.params

            def twin(*xs, diff=diff, args=args, op=op, params=params):
                full = list(args)
                for k, x in zip(diff, xs):
                    full[k] = x
                return op.jax(*full, **params)

            primals = [np.asarray(args[k]) for k in diff]
            tangents = [rng.standard_normal(shape_of(x)) for x in primals]
            cotangent = rng.standard_normal(shape_of(record.out))
            all_tangents = [None] * len(args)
            for k, t in zip(diff, tangents):
                all_tangents[k] = t
            ours = jvp_of(op, all_tangents, record.out, args, params)
            theirs = jax.jvp(twin, tuple(primals), tuple(tangents))[1]
            rows.append(_step_row(step, op.name, "jvp", None, ours, theirs, rtol))
            _, pullback = jax.vjp(twin, *primals)
            theirs_ct = pullback(jax.numpy.asarray(cotangent, dtype=jax.numpy.result_type(record.out)))
            for k, their in zip(diff, theirs_ct):
                our = vjp_of(op, cotangent, k, record.out, args, params)
                rows.append(_step_row(step, op.name, "vjp", k, our, their, rtol))
    return rows


def _step_row(step, name, rule, argnum, ours, theirs, rtol):
    from modes.ops import strip
    a = np.zeros(np.shape(theirs)) if ours is None else np.asarray(strip(ours))
    b = np.asarray(theirs)                  # complex values compared whole, never cast to real
    error = float(np.max(np.abs(a - b), initial=0.0))
    tolerance = rtol * max(float(np.max(np.abs(a), initial=0.0)),
                           float(np.max(np.abs(b), initial=0.0)), np.finfo(np.float64).tiny)
    return dict(step=step, op=name, rule=rule, argnum=argnum, abs_error=error,
                tolerance=tolerance, passed=bool(error <= tolerance))
