"""Edge cases found by testing the engines as users write code; each was a
bug once. Expected values are closed forms or NumPy's own results."""

import numpy as np
import pytest

import modes
from modes import forward, reverse
from modes.numpy_dispatch import UnsupportedFunction

ENGINES = [forward.grad, reverse.grad]


@pytest.mark.parametrize("engine", ENGINES)
def test_inner_with_vectors_matrices_and_scalars(engine):
    A, v = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), np.array([1.0, 0.0, -1.0])
    np.testing.assert_array_equal(engine(lambda a: np.sum(np.inner(a, v)))(A), np.tile(v, (2, 1)))
    np.testing.assert_array_equal(engine(lambda b: np.sum(np.inner(A, b)))(v), A.sum(axis=0))
    assert engine(lambda s: np.sum(np.inner(s, v)))(2.0) == np.sum(v)


@pytest.mark.parametrize("ord_", [1, -1, np.inf, -np.inf, "fro", None])
def test_matrix_norms_match_numpy(ord_):
    X = np.array([[1.0, -2.0], [3.0, 4.0]])
    value, g = reverse.value_and_grad(lambda a: np.linalg.norm(a, ord=ord_, axis=(0, 1)))(X)
    assert value == pytest.approx(np.linalg.norm(X, ord=ord_, axis=(0, 1)))
    np.testing.assert_allclose(g, forward.grad(lambda a: np.linalg.norm(a, ord=ord_, axis=(0, 1)))(X))
    if ord_ == 1:      # the largest column sum is column 1: d/dX = sign there
        np.testing.assert_array_equal(g, [[0, -1], [0, 1]])


def test_norms_numpy_refuses_are_refused_with_numpys_message():
    with pytest.raises(ValueError, match="dimensions"):
        reverse.grad(lambda a: np.linalg.norm(a, ord=1))(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="Invalid norm order for matrices"):
        reverse.grad(lambda a: np.linalg.norm(a, ord=3))(np.eye(2))
    # the spectral norm is differentiable now (via the SVD): d s_max / dA = u_1 v_1^T
    np.testing.assert_allclose(reverse.grad(lambda a: np.linalg.norm(a, ord=2))(np.diag([2.0, 1.0])),
                               [[1.0, 0.0], [0.0, 0.0]], atol=1e-15)


def _prod_hessian(x):
    """Closed form: d2 prod / dx_i dx_j = product of the elements other than i, j (0 on the diagonal)."""
    n = len(x)
    return np.array([[0.0 if i == j else np.prod([x[k] for k in range(n) if k not in (i, j)])
                      for j in range(n)] for i in range(n)])


@pytest.mark.parametrize("x", [[0.0, 2.0, 3.0], [0.0, 2.0, 0.0], [0.0, 5.0, 0.0, 7.0], [0.0, 0.0, 0.0],
                               [4.0, 2.0, 3.0]])
def test_second_derivatives_of_prod_with_zeros(x):
    x = np.array(x)
    expected = _prod_hessian(x)
    np.testing.assert_array_equal(modes.hessian(np.prod)(x), expected)                    # forward over reverse
    np.testing.assert_array_equal(reverse.jacobian(reverse.grad(np.prod))(x), expected)   # reverse over reverse
    np.testing.assert_array_equal(forward.jacobian(forward.grad(np.prod))(x), expected)   # forward over forward


def test_third_derivative_of_prod_at_three_zeros():
    # prod(x) = x0 x1 x2: d3 / dx0 dx1 dx2 = 1, though every element is 0
    third = forward.jacobian(modes.hessian(np.prod))(np.zeros(3))
    assert third[0, 1, 2] == third[2, 1, 0] == 1.0
    assert third[0, 0, 1] == 0.0


def test_prod_over_several_axes_with_zeros_as_jax():
    import jax
    import jax.numpy as jnp
    x = np.array([[0.0, 2.0, 3.0], [1.5, 0.0, -1.0]])
    f = lambda x: np.sum(np.prod(x, axis=(0, 1), keepdims=True) + np.prod(x, axis=0))
    with jax.enable_x64(True):
        expected = jax.hessian(lambda x: jnp.sum(jnp.prod(x, axis=(0, 1), keepdims=True)
                                                 + jnp.prod(x, axis=0)))(x)
    np.testing.assert_allclose(modes.hessian(f)(x), expected, rtol=1e-15)


def test_float32_stays_float32():
    x = np.array([1.0, 2.0], np.float32)
    f = lambda a: np.sum(a * a)
    for derivative in (reverse.grad(f)(x), forward.grad(f)(x), reverse.jacobian(np.sin)(x),
                       forward.jacobian(np.sin)(x), modes.hessian(f)(x),
                       forward.jvp(np.sin, (x,), (np.ones(2, np.float32),))[1]):
        assert derivative.dtype == np.float32


def test_an_error_in_f_gives_the_arrays_back():
    x = np.array([1.0, 2.0])
    with pytest.raises(UnsupportedFunction):
        reverse.grad(lambda a: np.sum(np.unique(a)))(x)
    x[0] = 5.0          # writeable again


def test_the_base_of_a_saved_view_is_locked_too():
    C = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out, vjp_fn = reverse.vjp(lambda a: np.sum(a * C[0]), np.ones(3))
    with pytest.raises(ValueError, match="read-only"):
        C[0, :] = 100.0
    np.testing.assert_array_equal(vjp_fn(1.0)[0], [1.0, 2.0, 3.0])


def test_vjp_inputs_are_copied_so_a_training_step_can_update_them():
    W = np.array([1.0, 2.0, 3.0])
    loss, vjp_fn = reverse.vjp(lambda w: np.sum(w ** 2), W)
    (g,) = vjp_fn(1.0)
    W -= 0.1 * g                                   # like jax.vjp: the call saw a copy
    np.testing.assert_array_equal(vjp_fn(1.0)[0], [2.0, 4.0, 6.0])


@pytest.mark.parametrize("engine", ENGINES)
def test_checkpoint_with_an_index_argument(engine):
    segment = reverse.checkpoint(lambda t, index: t[index] ** 2)
    g = engine(lambda a: np.sum(segment(a, np.array([0, 2]))))(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g, [2.0, 0.0, 6.0])


def test_empty_inputs_and_outputs():
    assert reverse.jacobian(lambda a: a[2:2])(np.ones(3)).shape == (0, 3)
    assert forward.jacobian(lambda a: a[2:2])(np.ones(3)).shape == (0, 3)
    assert forward.grad(np.sum)(np.zeros(0)).shape == (0,)
    assert reverse.grad(np.sum)(np.zeros(0)).shape == (0,)


def test_unsupported_functions_and_options_are_named():
    x = np.array([1.0, 2.0])
    with pytest.raises(UnsupportedFunction, match=r"numpy\.unique"):
        reverse.grad(lambda a: np.sum(np.unique(a)))(x)
    with pytest.raises(UnsupportedFunction, match=r"numpy\.linalg\.eig.*np\.linalg\.eig"):
        reverse.grad(lambda a: np.real(np.sum(np.linalg.eig(a)[0])))(np.eye(2))
    with pytest.raises(UnsupportedFunction, match="out="):
        reverse.grad(lambda a: np.sum(a, out=np.zeros(())))(x)


def test_round_with_decimals_and_copy():
    x = np.array([1.234, 2.345])
    np.testing.assert_array_equal(reverse.grad(lambda a: np.sum(np.round(a, 2) + a.copy() * 2))(x), [2.0, 2.0])
    assert forward.jvp(lambda a: a * a, (2.0,), (1,)) == (4.0, 4.0)


def test_numpy_options_fwdrev_does_not_take_are_named():
    x = np.ones(2)
    with pytest.raises(UnsupportedFunction, match=r"numpy\.reshape does not take order="):
        reverse.grad(lambda a: np.sum(np.reshape(a, (2,), order="F")))(x)
    with pytest.raises(UnsupportedFunction, match=r"numpy\.multiply was asked to write into an existing array \(out="):
        reverse.grad(lambda a: np.sum(np.multiply(a, a, out=np.zeros(2))))(x)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("x, low, high", [(1.0, 1.0, 1.0), (0.0, 0.0, 1.0), (1.0, 0.0, 1.0),
                                          (0.5, 0.0, 1.0), (-1.0, 0.0, 1.0), (2.0, 1.0, 1.0)])
def test_clip_ties_as_jax(engine, x, low, high):
    """clip is minimum(maximum(x, low), high) in JAX: tie factors multiply
    (0.25 where x, low and high all meet)."""
    import jax
    import jax.numpy as jnp
    with jax.enable_x64(True):
        expected = jax.grad(lambda x, l, h: jnp.clip(x, l, h), argnums=(0, 1, 2))(x, low, high)
    got = engine(lambda x, l, h: np.clip(x, l, h), argnums=(0, 1, 2))(x, low, high)
    np.testing.assert_array_equal(np.array(got), np.array(expected))


@pytest.mark.parametrize("engine, dtype", [(forward.grad, np.float32), (reverse.grad, np.float64)])
def test_astype_casts_the_value_and_its_derivative(engine, dtype):
    """As JAX: forward mode's derivative has the output's dtype (jax.jacfwd),
    reverse mode's the input's (jax.grad)."""
    x = np.array([1.0 + 1e-9, 2.0])                     # 1 + 1e-9 rounds to 1 in float32

    def f(x):
        y = x.astype(np.float32)
        assert y.dtype == np.float32
        return np.sum(y * y)
    g = engine(f)(x)
    assert g.dtype == dtype
    np.testing.assert_array_equal(g, (2 * x.astype(np.float32)).astype(dtype))
    # an integer cast is a constant (derivative 0, as np.trunc's), so an integer loss has no gradient
    with pytest.raises(TypeError, match="grad needs a floating-point output.*int64"):
        engine(lambda x: np.sum(x.astype(np.int64)))(x)


@pytest.mark.parametrize("engine", [forward.grad, reverse.grad], ids=["forward", "reverse"])
def test_integer_casts_are_constants_used_as_indices(engine):
    # autograd's test_cast_to_int: the last column of W, cast to integers, indexes W's other columns
    W = np.concatenate([np.arange(15.0).reshape(5, 3) / 10, [[0.0], [2.0], [1.0], [1.0], [4.0]]], axis=1)

    def f(W):
        rows = np.int64(W[:, -1])                 # NumPy asks for an int64 array: the values, a constant
        assert rows.dtype == np.int64 and not isinstance(rows, modes.registry.Box)
        return np.sum(W[:, :-1][rows] ** 2) + np.sum(W[:, :-1][W[:, -1].astype(int)])
    expected = np.zeros_like(W)
    for row in (0, 2, 1, 1, 4):                   # d sum(W[rows, :3]^2) = 2 W at each row, once per use
        expected[row, :3] += 2 * W[row, :3] + 1
    np.testing.assert_allclose(engine(f)(W), expected, rtol=1e-14)


def test_dict_tangents_and_cotangents_are_matched_by_key():
    f = lambda p: p["a"] * 2.0 + p["b"] * 3.0
    assert forward.jvp(f, ({"a": 1.0, "b": 1.0},), ({"b": 0.0, "a": 1.0},))[1] == 2.0
    g = lambda x: {"u": x * 2.0, "v": x * 3.0}
    assert reverse.vjp(g, 1.0)[1]({"v": 0.0, "u": 1.0}) == (2.0,)
    with pytest.raises(TypeError, match=r"the cotangent must mirror the structure of the output: at the top, "
                                        r"a dict with keys 'u', 'v' in the output but a dict with keys 'v', 'w'"):
        reverse.vjp(g, 1.0)[1]({"v": 0.0, "w": 1.0})
    with pytest.raises(TypeError, match=r"tangents must mirror the structure of the primals: at \[0\]\['a'\]\['b'\], "
                                        r"an array in the primals but a sequence of 1"):
        forward.jvp(lambda p: p["a"]["b"], ({"a": {"b": np.ones(2)}},), ({"a": {"b": (np.ones(2),)}},))
    with pytest.raises(TypeError, match=r"a tuple of primals and a tuple of tangents"):
        forward.jvp(np.sin, 1.0, 1.0)


@pytest.mark.parametrize("engine", [forward.jacobian, reverse.jacobian])
def test_reductions_take_numpys_positional_order(engine):
    X = np.arange(1.0, 7.0).reshape(2, 3)
    assert engine(lambda a: np.sum(a, 0, np.float64))(X).shape == (3, 2, 3)      # (axis, dtype), not keepdims
    assert engine(lambda a: a.mean(1, np.float64))(X).shape == (2, 2, 3)
    assert engine(lambda a: np.max(a, 0, None, True))(X).shape == (1, 3, 2, 3)   # (axis, out, keepdims)
    np.testing.assert_allclose(engine(lambda a: np.var(a, 0, None, None, 1))(X)[:, 0, :],   # ddof=1
                               [[-3.0, 0, 0], [0, -3.0, 0], [0, 0, -3.0]])       # d var / dx = 2 (x - mean) / (N - 1)
    assert engine(lambda a: np.sum(a, dtype=np.float32))(X).dtype == (np.float32 if engine is forward.jacobian
                                                                     else np.float64)


def test_clip_takes_numpy_2s_keywords():
    x = np.array([1.0, -2.0, 3.0])
    value, gradient = reverse.value_and_grad(lambda a: np.sum(np.clip(a, min=0.0, max=2.0)))(x)
    assert value == 3.0
    np.testing.assert_array_equal(gradient, [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(forward.grad(lambda a: np.sum(a.clip(min=0.0)))(x), [1.0, 0.0, 1.0])
    with pytest.raises(UnsupportedFunction, match="numpy.clip does not take casting="):
        reverse.grad(lambda a: np.sum(np.clip(a, 0.0, 1.0, casting="unsafe")))(x)


def test_bad_calls_are_refused_as_jax_refuses_them():
    x = np.ones(3)
    with pytest.raises(ValueError, match="chunk must be a positive number"):
        reverse.jacobian(np.sin, chunk=-1)(x)                    # was an all-zero Jacobian
    with pytest.raises(ValueError, match=r"argnums=\(0, 0\) names an argument more than once"):
        reverse.grad(lambda a, b: a * b, argnums=(0, 0))(2.0, 3.0)
    with pytest.raises(TypeError, match="the cotangent has dtype int64"):
        reverse.vjp(np.sum, x)[1](1)
    with pytest.raises(ValueError, match=r"cotangent shape \(2,\) does not match the output's shape \(3,\)"):
        reverse.vjp(np.sin, x)[1](np.ones(2))
    with pytest.raises(TypeError, match=r"returned 2 arrays \(a tuple\)"):
        reverse.grad(lambda a: (np.sum(a), a))(x)
    with pytest.raises(TypeError, match=r"returned a tuple"):
        forward.grad(lambda a: (np.sum(a), a))(x)
    with pytest.raises(TypeError, match="needs a floating-point output"):
        reverse.grad(lambda a: 3)(x)


@pytest.mark.parametrize("engine", ENGINES)
def test_keyword_arguments_pass_through_undifferentiated(engine):
    f = lambda a, scale=1.0: np.sum(a) * scale
    np.testing.assert_array_equal(engine(f)(np.ones(3), scale=2.0), [2.0, 2.0, 2.0])


def test_gradients_are_arrays_of_their_own_in_the_inputs_dtype():
    x = np.ones(3)
    g = reverse.grad(np.sum)(x)            # was a read-only broadcast view
    g *= 0.1
    ct = np.ones(3)
    assert reverse.vjp(lambda a: a + 1.0, x)[1](ct)[0] is not ct
    x32 = np.ones(2, np.float32)
    assert reverse.vjp(lambda a: a * np.ones(2), x32)[1](np.ones(2))[0].dtype == np.float32   # as jax.vjp
    identity = forward.jacobian(lambda a: a)(x)
    identity[0, 1] = 5.0                   # was the cached read-only seed
    assert forward.jacobian(lambda a: a)(x)[0, 1] == 0.0


@pytest.mark.parametrize("engine", ENGINES)
def test_floor_division_and_remainder(engine):
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(engine(lambda a: np.sum(a // 0.75))(x), [0.0, 0.0])      # piecewise constant
    np.testing.assert_array_equal(engine(lambda a: np.sum(a % 0.75))(x), [1.0, 1.0])       # a - b floor(a / b)
    assert engine(lambda b: np.sum(x % b))(0.75) == -3.0                                     # -floor(1/.75) - floor(2/.75)
    assert engine(lambda b: np.sum(np.remainder(x, b) + np.floor_divide(x, b)))(0.75) == -3.0


@pytest.mark.parametrize("engine", [forward.jacobian, reverse.jacobian])
def test_moveaxis_with_sequences_and_hstack_of_scalars(engine):
    a = np.arange(24.0).reshape(2, 3, 4)
    for source, destination in [([0, 1], [1, 0]), ([0, 2], [2, 0]), ([2, 0], [0, 1]), (0, -1)]:
        expected = np.moveaxis(np.eye(24).reshape(24, 2, 3, 4), [s + 1 for s in np.atleast_1d(source)],
                               [d % 3 + 1 for d in np.atleast_1d(destination)])
        jac = engine(lambda x: np.moveaxis(x, source, destination))(a)
        np.testing.assert_array_equal(jac.reshape(-1, 24), expected.reshape(24, -1).T)
    np.testing.assert_array_equal(engine(lambda x: np.hstack([x[0], x[1]]))(np.array([1.0, 2.0])), np.eye(2))


def test_ndarray_methods_without_a_rule_say_so():
    with pytest.raises(AttributeError, match=r"Traced has no \.item: it would drop the derivative"):
        reverse.grad(lambda a: a.item())(np.ones(()))
    with pytest.raises(AttributeError, match=r"Dual has no \.partition: fwdrev has no rule for it"):
        forward.grad(lambda a: np.sum(a.partition(1)))(np.ones((2, 2)))
    np.testing.assert_array_equal(reverse.grad(lambda a: np.sum(a.real * a.conj()))(np.ones(2)), [2.0, 2.0])


@pytest.mark.parametrize("engine", ENGINES)
def test_none_in_a_pytree_is_an_empty_subtree(engine):
    assert engine(lambda p: p[0] * 2.0)((1.0, None)) == (2.0, None)                 # as JAX
    assert engine(lambda p: p["a"] * 3.0)({"a": 1.0, "b": None}) == {"a": 3.0, "b": None}


def test_a_checkpointed_function_returning_a_tuple_is_named():
    segment = reverse.checkpoint(lambda x: (np.sin(x), x))
    with pytest.raises(TypeError, match="a checkpointed function returns one array"):
        reverse.grad(lambda x: np.sum(segment(x)[0]))(np.ones(2))


CASES_AS_JAX = [   # (numpy function, its jax.numpy twin, argument shapes)
    (lambda a: np.flip(a), lambda a: __import__("jax").numpy.flip(a), [(2, 3)]),
    (lambda a: np.flip(a, 1), lambda a: __import__("jax").numpy.flip(a, 1), [(2, 3)]),
    (lambda a: np.fliplr(a) + np.flipud(a), lambda a: __import__("jax").numpy.fliplr(a)
     + __import__("jax").numpy.flipud(a), [(3, 3)]),
    (lambda a: np.diagonal(a), lambda a: __import__("jax").numpy.diagonal(a), [(3, 4)]),
    (lambda a: a.diagonal(1), lambda a: a.diagonal(1), [(3, 4)]),
    (lambda a: np.diagonal(a, -1, 2, 0), lambda a: __import__("jax").numpy.diagonal(a, -1, 2, 0), [(3, 2, 4)]),
    (lambda a: np.trace(a, 1) + a.trace(), lambda a: __import__("jax").numpy.trace(a, 1) + a.trace(), [(3, 4)]),
    (lambda a, b: np.tensordot(a, b), lambda a, b: __import__("jax").numpy.tensordot(a, b), [(2, 3, 4), (3, 4, 2)]),
    (lambda a, b: np.tensordot(a, b, axes=([0, 2], [2, 1])),
     lambda a, b: __import__("jax").numpy.tensordot(a, b, axes=([0, 2], [2, 1])), [(2, 3, 4), (3, 4, 2)]),
    (lambda a, b: np.tensordot(a, b, 1), lambda a, b: __import__("jax").numpy.tensordot(a, b, 1), [(2, 3), (3, 2)]),
    (lambda a, b: np.arctan2(a, b) + np.hypot(a, b), lambda a, b: __import__("jax").numpy.arctan2(a, b)
     + __import__("jax").numpy.hypot(a, b), [(3,), (3,)]),
    (lambda a: np.sort(a), lambda a: __import__("jax").numpy.sort(a), [(3, 4)]),
    (lambda a: np.sort(a, axis=0), lambda a: __import__("jax").numpy.sort(a, axis=0), [(3, 4)]),
    (lambda a: np.sort(a, axis=None), lambda a: __import__("jax").numpy.sort(a, axis=None), [(3, 4)]),
    (lambda a: np.diag(a), lambda a: __import__("jax").numpy.diag(a), [(3,)]),
    (lambda a: np.diag(a, -1) + np.diag(a, 1).T, lambda a: __import__("jax").numpy.diag(a, -1)
     + __import__("jax").numpy.diag(a, 1).T, [(3,)]),
    (lambda a: np.diag(a, 1), lambda a: __import__("jax").numpy.diag(a, 1), [(3, 4)]),
    (lambda a: np.repeat(a, 2), lambda a: __import__("jax").numpy.repeat(a, 2), [(2, 3)]),
    (lambda a: a.repeat([1, 0, 2], axis=1), lambda a: __import__("jax").numpy.repeat(a, __import__("jax").numpy.array([1, 0, 2]), axis=1, total_repeat_length=3), [(2, 3)]),
    (lambda a: np.tile(a, 2), lambda a: __import__("jax").numpy.tile(a, 2), [(2, 3)]),
    (lambda a: np.tile(a, (2, 1, 3)), lambda a: __import__("jax").numpy.tile(a, (2, 1, 3)), [(2, 3)]),
] + [   # einsum with '...' and with an index repeated within an operand (a diagonal)
    ((lambda *ops, s=subscripts: np.einsum(s, *ops)),
     (lambda *ops, s=subscripts: __import__("jax").numpy.einsum(s, *ops)), shapes)
    for subscripts, shapes in [("ii", [(3, 3)]), ("ii->i", [(3, 3)]), ("ij,jj->i", [(3, 3), (3, 3)]),
                               ("iij->j", [(3, 3, 2)]), ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
                               ("...ij,...jk", [(2, 3, 4), (4, 5)]), ("ij...,j->i...", [(3, 4, 2), (4,)])]
]


@pytest.mark.parametrize("k", range(len(CASES_AS_JAX)))
@pytest.mark.parametrize("engine", [forward.jacobian, reverse.jacobian])
def test_lowered_functions_as_jax(engine, k):
    import jax
    f, twin, shapes = CASES_AS_JAX[k]
    rng = np.random.default_rng(k)
    args = [rng.uniform(0.5, 2.0, s) for s in shapes]
    argnums = tuple(range(len(args)))
    with jax.enable_x64(True):
        expected = jax.jacfwd(twin, argnums=argnums)(*args)
        value = twin(*args)
    np.testing.assert_allclose(f(*args), value, rtol=1e-14)
    for got, want in zip(engine(f, argnums=argnums)(*args), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("engine", ENGINES)
def test_hypot_at_the_origin_as_jax(engine):
    assert engine(np.hypot, argnums=(0, 1))(0.0, 0.0) == (0.5, 0.5)        # JAX's max/min ties
    np.testing.assert_array_equal(modes.hessian(lambda v: np.hypot(v[0], v[1]))(np.zeros(2)), np.zeros((2, 2)))
    assert engine(np.hypot, argnums=(0, 1))(3.0, 4.0) == pytest.approx((0.6, 0.8), rel=1e-15)


def test_einsum_refuses_what_numpy_refuses_and_broadcasts_what_it_broadcasts():
    C, D = np.ones((1, 4)), np.ones((3, 4))
    np.testing.assert_array_equal(reverse.grad(lambda d: np.einsum("ij,ij->", C, d))(D), np.ones((3, 4)))
    y = np.arange(12.0).reshape(3, 4)
    with pytest.raises(ValueError, match="repeated in 'ii' has sizes 3 and 4"):
        reverse.grad(lambda a: np.einsum("ii", a))(y)
    with pytest.raises(ValueError, match=r"einsum term 'i\.\.j' does not fit"):
        reverse.grad(lambda a: np.sum(np.einsum("i..j", a)))(y)
    with pytest.raises(ValueError, match=r"einsum term 'abc' does not fit"):      # NumPy's sublist form
        reverse.grad(lambda a: np.sum(np.einsum(a, [0, 1, 2])))(y)


def test_axes_and_options_numpy_refuses_are_refused():
    x = np.ones((2, 3))
    refused = [(lambda a: np.flip(a, 5), np.exceptions.AxisError), (lambda a: np.flip(a, (0, 0)), ValueError),
               (lambda a: np.diagonal(a, 0, 0, 5), np.exceptions.AxisError),
               (lambda a: np.tensordot(a, a, axes=([0], [0, 1])), ValueError),
               (lambda a: np.tensordot(a, a, 3), ValueError), (lambda a: np.diagonal(a[0]), ValueError),
               (lambda a: a.max(0, None, False, None, a > 0), ValueError),     # where= without initial=
               (lambda a: np.std(a, where=a > 0), UnsupportedFunction),
               (lambda a: np.clip(a, a_min=0.0, min=0.0), TypeError)]
    for f, error in refused:
        with pytest.raises(error):
            reverse.grad(lambda a: np.sum(f(a)))(x)
    with pytest.raises(UnsupportedFunction, match="numpy.std with where="):
        reverse.grad(lambda a: np.std(a, where=a > 0))(x)
    quotient, remainder = reverse.vjp(lambda a: divmod(a, 0.75), np.array([1.0, 2.0]))[0]
    np.testing.assert_array_equal(quotient, [1.0, 2.0])
    np.testing.assert_allclose(remainder, [0.25, 0.5])


def test_a_box_formats_as_its_value():
    # print(f"loss {loss:.3f}") inside a loss function shows the value, in both engines
    for engine in (reverse, forward):
        shown = []

        def loss(x):
            value = np.sum(x ** 2)
            shown.append(f"loss {value:.3f}, first {x[0]:+.1f}")
            return value
        engine.grad(loss)(np.array([1.0, 2.0]))
        assert shown == ["loss 5.000, first +1.0"]


def test_an_index_holding_a_range_reads_and_writes_and_replays_in_jax():
    # CS231n's softmax loss: -np.log(probs[range(N), y]); its backward: dscores[range(N), y] -= 1
    from comparisons import check_grads
    scores, y = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]]), np.array([2, 0])

    def softmax_loss(scores):
        N = scores.shape[0]
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
        dscores = probs.copy()
        dscores[range(N), y] -= 1
        return -np.sum(np.log(probs[range(N), y])) / N + np.sum(dscores[range(N), y] ** 2)
    check_grads(softmax_loss, (scores,)).raise_if_failed()      # forward, reverse, JAX's replay, fd
