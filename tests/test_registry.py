"""Every op's rules, tested without any engine, generated from the registry:
a new op is covered by registering it.

- JVP rule against central differences, error bound: for h = 1e-6 the central
  difference is off by about h^2 |f'''| / 6 + eps |f| / h < 1e-9 on the test
  domains (|f'''| is small there), so 1e-6 relative is a safe margin.
- VJP rule against the JVP rule by the dot-product identity <u, J t> = <J^T u, t>.
- Batched (chunked) application of both rules against one direction at a time.

Complex values (fft, real/imag/conj/abs of complex input) are tested with
JAX's pairing: a cotangent u of a complex output stands for the functional
v -> Re <u, v>, so the identity reads Re <u, J t> = Re <J^T u, t>, with
complex random u and t where the output and the argument are complex.
"""

import numpy as np
import pytest

import modes  # noqa: F401  (fills the registry)
from modes.batching import Batched
from modes.registry import BUILT_IN, REGISTRY, jvp_of, shape_of, vjp_of

ELEMENTWISE_SHAPES = [[()], [(3,)], [(2, 3)], [(3,), (2, 3)], [(2, 1), (1, 3)], [(), (2, 3)]]


def _elementwise_cases(op, rng):
    arity = len(op.domain)
    for shapes in ELEMENTWISE_SHAPES:
        shapes = (shapes * arity)[:arity] if len(shapes) == 1 else (shapes + shapes[-1:] * arity)[:arity]
        yield tuple(sample(rng, shape) for sample, shape in zip(op.domain, shapes)), {}


def cases(op, seed=0):
    rng = np.random.default_rng(seed)
    return list(_elementwise_cases(op, rng)) if op.elementwise else op.examples(rng)


def built_in_ops():
    """The ops of modes/ops (tests may register user ops of their own)."""
    return [REGISTRY[name] for name in sorted(BUILT_IN)]


# Ops whose derivatives are accurate to a solver's tolerances, not to the
# machine precision asked here: each is checked in its own test file.
CHECKED_ELSEWHERE = {"odeint": "tests/test_odeint.py", "eig_vectors": "tests/test_decompositions.py"}


def differentiable_ops():
    return [op for op in built_in_ops() if op.jvp is not None and op.name not in CHECKED_ELSEWHERE]


def test_every_differentiable_op_has_generated_cases_or_says_where_it_is_checked():
    uncovered = [op.name for op in built_in_ops()
                 if op.jvp is not None and not op.elementwise and op.examples is None]
    assert sorted(uncovered) == sorted(CHECKED_ELSEWHERE)


def realified(op, args, params, argnums):
    """op(*args) as a function of real arrays only, for checks that compare
    real Jacobians (jax.jacfwd and jacrev take real inputs and outputs): a
    complex argument becomes its real and imaginary parts, a complex output
    its real and imaginary parts stacked. Returns (f, real args, argnums)."""
    real_args, slots, nums = [], [], []
    for i, a in enumerate(args):
        split = i in argnums and np.iscomplexobj(a)
        slots.append((len(real_args), split))
        if i in argnums:
            nums.extend(range(len(real_args), len(real_args) + 1 + split))
        real_args.extend([np.real(a), np.imag(a)] if split else [a])

    def f(*xs):
        full = [xs[k] + 1j * xs[k + 1] if split else xs[k] for k, split in slots]
        out = op(*full, **params)
        return np.stack([np.real(out), np.imag(out)]) if np.iscomplexobj(out) else out
    return f, tuple(real_args), tuple(nums)


def case_ids():
    return [(op.name, k) for op in differentiable_ops() for k in range(len(cases(op)))]


def _argnums(op, args):
    return [i for i in range(len(args)) if i not in op.nondiff]


def _central_difference(op, args, params, i, t, h=1e-6):
    def at(step):
        shifted = list(args)
        shifted[i] = args[i] + step * t
        out = np.asarray(op.impl(*shifted, **params))
        return out if out.dtype.kind == "c" else out.astype(float)
    return (at(h) - at(-h)) / (2 * h)


def _random_like(rng, x):
    """A random direction of x's shape, complex where x is complex."""
    t = rng.normal(size=shape_of(x))
    return t + 1j * rng.normal(size=shape_of(x)) if np.iscomplexobj(x) else t


def _case(name, k, seed):
    """The op, its k-th generated case, its output, and a seeded rng."""
    op = REGISTRY[name]
    args, params = cases(op)[k]
    return op, args, params, op.impl(*args, **params), np.random.default_rng(seed)


@pytest.mark.parametrize("name,k", case_ids())
def test_jvp_rule_matches_central_differences(name, k):
    op, args, params, out, rng = _case(name, k, seed=1)
    for i in _argnums(op, args):
        t = _random_like(rng, args[i])
        tangents = [t if j == i else None for j in range(len(args))]
        tangent = jvp_of(op, tangents, out, args, params)
        expected = _central_difference(op, args, params, i, t)
        np.testing.assert_allclose(tangent, expected, rtol=1e-6, atol=1e-6,
                                   err_msg=f"{name}: JVP rule of argument {i}")


@pytest.mark.parametrize("name,k", case_ids())
def test_vjp_rule_is_the_transpose_of_the_jvp_rule(name, k):
    op, args, params, out, rng = _case(name, k, seed=2)
    u = _random_like(rng, out)
    # a float32 primal gets a float32 cotangent (astype's transpose casts back):
    # then the identity holds to float32 rounding, eps 1.2e-7 over a few terms
    tolerance = 1e-5 if any(np.result_type(a) == np.float32 for a in args) else 1e-10
    for i in _argnums(op, args):
        t = _random_like(rng, args[i])
        tangents = [t if j == i else None for j in range(len(args))]
        lhs = np.real(np.sum(u * jvp_of(op, tangents, out, args, params)))     # Re <u, J t>
        cotangent = vjp_of(op, u, i, out, args, params)
        # un-broadcast: the argument's shape, or one that broadcasts to it (lazily,
        # as a sum's transpose hands it back)
        cotangent = np.broadcast_to(cotangent, shape_of(args[i]))
        rhs = np.real(np.sum(cotangent * t))                                   # Re <J^T u, t>
        assert lhs == pytest.approx(rhs, rel=tolerance, abs=tolerance), f"{name}: argument {i}"


@pytest.mark.parametrize("name,k", case_ids())
def test_batched_rules_equal_one_direction_at_a_time(name, k):
    op, args, params, out, rng = _case(name, k, seed=3)
    directions = 3
    for i in _argnums(op, args):
        tangents = np.stack([_random_like(rng, args[i]) for _ in range(directions)])
        batched = jvp_of(op, [Batched(tangents) if j == i else None for j in range(len(args))],
                         out, args, params)
        for d in range(directions):
            single = jvp_of(op, [tangents[d] if j == i else None for j in range(len(args))],
                            out, args, params)
            np.testing.assert_allclose(batched.value[d], single, rtol=1e-12, atol=1e-12)
        cotangents = np.stack([_random_like(rng, out) for _ in range(directions)])
        batched = vjp_of(op, Batched(cotangents), i, out, args, params)
        for d in range(directions):
            single = vjp_of(op, cotangents[d], i, out, args, params)
            np.testing.assert_allclose(batched.value[d], single, rtol=1e-12, atol=1e-12)


# jax.scipy.special has no Bessel functions of real order (only i0, i0e, i1,
# i1e): these are checked against finite differences alone. (odeint's twin,
# JAX's own odeint, is exercised in tests/test_odeint.py and test_workloads.py.)
# jax.scipy.linalg.sqrtm has no derivative rules: sqrtm is checked by FD alone.
NO_JAX_TWIN = {"iv", "ive", "j0", "j1", "jv", "kv", "kve", "y0", "y1", "yn", "yv", "sqrtm"}


def test_every_op_is_complete():
    """Each op has both rules (or neither: piecewise constant), a JAX twin, a
    cost and a test domain or examples."""
    for op in built_in_ops():
        assert (op.jvp is None) == (op.vjp is None), f"{op.name}: one rule missing"
        assert callable(op.jax) or op.name in NO_JAX_TWIN, f"{op.name}: no JAX twin"
        assert op.name not in NO_JAX_TWIN or op.jax is None, f"{op.name} has a JAX twin now"
        assert callable(op.cost), f"{op.name}: no cost model"
        if op.name in CHECKED_ELSEWHERE:
            continue
        args, params = cases(op)[0]
        flops = op.cost(op.impl(*args, **params), *args, **params)
        assert isinstance(flops, (int, np.integer)) and flops >= 0, f"{op.name}: cost {flops!r}"
        assert cases(op), f"{op.name}: no domain or examples for generated tests"


COVERAGE = """add sub mul truediv neg pow exp log log1p expm1 sqrt square reciprocal sin cos tan
tanh sigmoid abs sign maximum minimum clip where sum mean prod max min var logsumexp softmax
matmul einsum transpose reshape broadcast_to concatenate getitem cumsum""".split()


def test_registry_covers_the_design_list():
    missing = [name for name in COVERAGE if name not in REGISTRY]
    assert not missing, f"ops missing from the registry: {missing}"
