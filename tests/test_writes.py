"""Writes into arrays, as students write them: preallocated buffers filled in
loops, boolean-mask writes, fancy-index -=, `x += 1`, views.

References: the hand-written CS231n backward passes, JAX's functional
`.at[].set()` twins, and finite differences (check_grads: central
differences with its stated rounding bound), in both engines, nested.
"""

import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import modes
from comparisons import check_grads
from modes import forward, reverse
from modes.errors import UnsupportedFunction

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))     # (bare pytest: the root for benchmarks)
from benchmarks.write_loop import conv_backward_naive, conv_forward_naive  # noqa: E402

jax = pytest.importorskip("jax")
jnp = jax.numpy


pytestmark = pytest.mark.usefixtures("jax_in_double_precision")


rng = np.random.default_rng(2)


# --- the CS231n idioms ----------------------------------------------------------
def svm_loss_vectorized(W, X, y, reg):
    """As assignment 1 has it (np.dot: X.dot(W) with a plain X is the idiom
    NumPy cannot hand us, see test_idiom_errors.py)."""
    num_train = X.shape[0]
    scores = np.dot(X, W)
    correct_class_scores = scores[np.arange(num_train), y]
    margins = np.maximum(0, scores - correct_class_scores[:, np.newaxis] + 1)
    margins[np.arange(num_train), y] = 0
    loss = np.sum(margins) / num_train
    loss += reg * np.sum(W * W)
    return loss


def svm_gradient_hand_written(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    correct = scores[np.arange(num_train), y]
    margins = np.maximum(0, scores - correct[:, np.newaxis] + 1)
    margins[np.arange(num_train), y] = 0
    binary = (margins > 0).astype(float)
    binary[np.arange(num_train), y] = -np.sum(binary, axis=1)
    return X.T.dot(binary) / num_train + 2 * reg * W


def test_svm_loss_with_a_fancy_index_write_matches_the_hand_written_gradient():
    X, W = rng.standard_normal((6, 5)), 0.1 * rng.standard_normal((5, 4))
    y = np.array([0, 3, 1, 1, 2, 0])
    expected = svm_gradient_hand_written(W, X, y, 0.1)
    np.testing.assert_allclose(reverse.grad(svm_loss_vectorized)(W, X, y, 0.1), expected, rtol=1e-12)
    np.testing.assert_allclose(forward.grad(svm_loss_vectorized)(W, X, y, 0.1), expected, rtol=1e-12)


def test_relu_by_boolean_mask_write():
    def relu_forward(x):
        out = x.copy()
        out[out < 0] = 0
        return out

    x = rng.standard_normal((3, 4))
    check_grads(lambda x: np.sum(relu_forward(x) ** 2), (x,), order=2,
                jax_twin=lambda x: jnp.sum(jnp.where(x < 0, 0.0, x) ** 2)).raise_if_failed()
    dout = rng.standard_normal((3, 4))
    np.testing.assert_allclose(reverse.vjp(relu_forward, x)[1](dout)[0], dout * (x > 0))
    assert np.all(x == relu_forward(x) + np.minimum(x, 0)), "the caller's array is never written"


def test_softmax_gradient_with_fancy_index_minus_equals():
    """dscores = probs.copy(); dscores[np.arange(N), y] -= 1, differentiated
    (what a second-order check of a softmax classifier does)."""
    def dscores_of(scores, y):
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
        dscores = probs.copy()
        dscores[np.arange(scores.shape[0]), y] -= 1
        dscores /= scores.shape[0]
        return np.sum(dscores * dscores)

    def twin(scores, y):
        probs = jax.nn.softmax(scores, axis=1)
        dscores = probs.at[jnp.arange(scores.shape[0]), y].add(-1.0) / scores.shape[0]
        return jnp.sum(dscores * dscores)

    scores, y = rng.standard_normal((5, 3)), np.array([0, 2, 1, 2, 0])
    check_grads(dscores_of, (scores, y), argnums=0, order=2, jax_twin=twin).raise_if_failed()


@pytest.mark.parametrize("engine", ["reverse", "forward"])
def test_naive_conv_filling_a_buffer_matches_conv_backward_naive(engine):
    # the benchmark's naive conv: out = np.zeros_like(x, shape=...); out[n, f, i, j] = ...
    x, w, b = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(2)
    conv_param = {'stride': 2, 'pad': 1}
    out = conv_forward_naive(x, w, b, conv_param)
    dout = rng.standard_normal(out.shape)
    expected = conv_backward_naive(dout, x, w, conv_param)
    layer = lambda x, w, b: conv_forward_naive(x, w, b, conv_param)
    if engine == "reverse":
        got = reverse.vjp(layer, x, w, b)[1](dout)
    else:
        jac = forward.jacobian(layer, argnums=(0, 1, 2))(x, w, b)
        got = [np.tensordot(dout, j, axes=dout.ndim) for j in jac]
    for ours, theirs in zip(got, expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, stride = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    H_out, W_out = 1 + (H - ph) // stride, 1 + (W - pw) // stride
    out = np.zeros_like(x, shape=(N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            out[:, :, i, j] = np.max(x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw], axis=(2, 3))
    return out


def test_max_pool_filling_a_buffer_agrees_with_jax_and_fd():
    x = rng.permutation(64).reshape(2, 2, 4, 4).astype(float) / 7      # distinct: no ties at the maxima
    pool = {'pool_height': 2, 'pool_width': 2, 'stride': 2}
    twin = lambda x: jnp.sum(jnp.max(x.reshape(2, 2, 2, 2, 2, 2), axis=(3, 5)) ** 2)
    check_grads(lambda x: np.sum(max_pool_forward_naive(x, pool) ** 2), (x,), order=2,
                jax_twin=twin).raise_if_failed()


def rnn_forward(x, h0, Wx, Wh, b):
    """With a view of the buffer kept across the next write (prev_h =
    h[:, t - 1, :]): the view must keep reading the buffer as NumPy's does."""
    N, T, D = x.shape
    h = np.zeros_like(h0, shape=(N, T, h0.shape[1]))
    for t in range(T):
        prev_h = h0 if t == 0 else h[:, t - 1, :]
        h[:, t, :] = np.tanh(np.dot(x[:, t, :], Wx) + np.dot(prev_h, Wh) + b)
    return h


def rnn_twin(x, h0, Wx, Wh, b):
    hs, prev_h = [], h0
    for t in range(x.shape[1]):
        prev_h = jnp.tanh(x[:, t, :] @ Wx + prev_h @ Wh + b)
        hs.append(prev_h)
    return jnp.stack(hs, axis=1)


def test_rnn_forward_writing_time_steps_agrees_with_jax():
    N, T, D, H = 2, 4, 3, 5
    args = (rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), 0.3 * rng.standard_normal((D, H)),
            0.3 * rng.standard_normal((H, H)), rng.standard_normal(H))
    check_grads(lambda *a: np.sum(rnn_forward(*a) ** 2), args,
                jax_twin=lambda *a: jnp.sum(rnn_twin(*a) ** 2)).raise_if_failed()


# --- semantics, as NumPy's ----------------------------------------------------------
def test_in_place_operators_change_every_name_for_the_array():
    def f(x):
        y = x * 1.0
        alias = y
        y += x            # alias sees it, as with an ndarray
        y *= 2
        y[0] -= 1
        return np.sum(alias * x)

    x = np.array([1.0, 2.0, 3.0])
    assert reverse.value_and_grad(f)(x)[0] == pytest.approx(f(x.copy()))
    np.testing.assert_allclose(reverse.grad(f)(x), 8 * x - np.array([1, 0, 0]))     # d sum(4x^2 - x0) / dx
    np.testing.assert_allclose(forward.grad(f)(x), 8 * x - np.array([1, 0, 0]))


def test_scalar_in_place_operators_make_new_values():
    def f(x):
        loss = np.sum(x)
        before = loss
        loss += np.sum(x * x)
        return before * loss     # `before` is unchanged, as a NumPy scalar would be

    x = np.array([0.5, -1.0])
    s, q = x.sum(), (x * x).sum()
    np.testing.assert_allclose(reverse.grad(f)(x), (s + q) + s * (1 + 2 * x))


def test_overwritten_elements_get_no_derivative_and_repeated_indices_keep_the_last():
    def f(x):
        y = x * 1.0
        y[1] = 7.0                          # x[1] overwritten
        y[np.array([0, 0])] = x[1:3] * 3    # index 0 twice: NumPy keeps x[2] * 3
        return np.sum(y * y)

    x = np.array([1.0, 2.0, 3.0, 4.0])
    value = f(x.copy())
    assert value == pytest.approx(81 + 49 + 9 + 16)
    expected = np.array([0.0, 0.0, 2 * 9 * 3 + 2 * 3, 2 * 4])     # d(9 x2^2 + 49 + x2^2 + x3^2)
    np.testing.assert_allclose(reverse.grad(f)(x), expected)
    np.testing.assert_allclose(forward.grad(f)(x), expected)


def test_fancy_minus_equals_with_repeated_indices_subtracts_once_as_numpy():
    def f(x):
        y = x * 2.0
        y[np.array([0, 0, 2])] -= x[0]      # buffered: index 0 gets one subtraction
        return np.sum(y * y)

    x = np.array([1.0, 2.0, 3.0])
    assert reverse.value_and_grad(f)(x)[0] == pytest.approx(f(x.copy()))
    check_grads(f, (x,), order=2, against=("fd", "adjoint")).raise_if_failed()


def test_views_read_and_write_through_as_numpy():
    def f(x):
        y = x * 1.0
        row = y[0]             # a view: it sees the next write
        y[0, 1] = 5.0
        y[1][0] = 7.0          # through a view into y
        other = y[1]
        other[2] = x[0, 0] * 10
        transposed = y.T       # another kind of view: it sees writes into y too
        y[1, 1] = x[1, 1] ** 2
        return np.sum(row * np.arange(3.0)) + np.sum(y) + transposed[1, 1]

    x = np.arange(1.0, 7.0).reshape(2, 3)
    value = f(x.copy())
    assert reverse.value_and_grad(f)(x)[0] == pytest.approx(value)
    expected = np.array([[11.0, 0.0, 3.0], [0.0, 4 * x[1, 1], 0.0]])
    np.testing.assert_allclose(reverse.grad(f)(x), expected)
    np.testing.assert_allclose(forward.grad(f)(x), expected)
    np.testing.assert_allclose(modes.hessian(f)(x).reshape(6, 6)[4, 4], 4.0)


def test_writing_into_a_reshape_or_transpose_view_is_refused_with_the_rewrite():
    def f(x):
        y = x * 1.0
        flat = y.reshape(-1)
        flat[0] = 1.0
        return np.sum(y)

    with pytest.raises(UnsupportedFunction, match=r"view .* made by reshape.*\.copy\(\)"):
        reverse.grad(f)(np.ones((2, 2)))
    with pytest.raises(UnsupportedFunction, match="made by transpose"):
        forward.grad(lambda x: (lambda t: (t.__setitem__((0, 1), 2.0), np.sum(t))[1])((x * 1.0).T))(np.ones((2, 2)))


def test_writes_into_inputs_and_saved_values_copy_once():
    def f(x):
        e = np.exp(x)          # exp keeps its output for the backward pass
        x[0] = 0.0             # a write into the input: the caller's array is not touched
        e[1] = 0.0
        return np.sum(e * x)

    x = np.array([1.0, 2.0, 3.0])
    expected = np.array([0.0, 0.0, np.exp(3.0) * 4])      # d/dx of e0*0 + 0*x1 + e2*x2
    np.testing.assert_allclose(reverse.grad(f)(x), expected)
    np.testing.assert_allclose(forward.grad(f)(x), expected)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_an_inner_calls_value_written_into_an_outer_buffer_is_refused():
    def outer(x):
        buffer = np.zeros_like(x)

        def inner(y):
            buffer[0] = y[0]
            return np.sum(y)
        reverse.grad(inner)(x)
        return np.sum(buffer)

    with pytest.raises(TypeError, match="inner differentiation call"):
        reverse.grad(outer)(np.ones(2))


# --- nesting and Jacobians ----------------------------------------------------------
def fill_by_rows(x):
    out = np.zeros_like(x, shape=(3, 2))
    for i in range(3):
        out[i, 0] = x[i] * x[(i + 1) % 3]
        out[i, 1] = np.sin(x[i])
    out[out > 0.5] *= 2
    return out


def fill_by_rows_twin(x):
    out = jnp.zeros((3, 2))
    for i in range(3):
        out = out.at[i, 0].set(x[i] * x[(i + 1) % 3]).at[i, 1].set(jnp.sin(x[i]))
    return jnp.where(out > 0.5, 2 * out, out)


def test_jacobians_and_hessians_through_a_filled_buffer_agree_with_jax():
    x = np.array([0.3, 1.1, -0.8])
    jac = jax.jacfwd(fill_by_rows_twin)(x)
    np.testing.assert_allclose(forward.jacobian(fill_by_rows)(x), jac, rtol=1e-12)
    np.testing.assert_allclose(forward.jacobian(fill_by_rows, chunk=2)(x), jac, rtol=1e-12)
    np.testing.assert_allclose(reverse.jacobian(fill_by_rows)(x), jac, rtol=1e-12)
    total = lambda x: np.sum(fill_by_rows(x) ** 2)
    hess = jax.hessian(lambda x: jnp.sum(fill_by_rows_twin(x) ** 2))(x)
    np.testing.assert_allclose(modes.hessian(total)(x), hess, rtol=1e-10)
    np.testing.assert_allclose(reverse.jacobian(reverse.grad(total))(x), hess, rtol=1e-10)
    np.testing.assert_allclose(forward.jacobian(forward.grad(total))(x), hess, rtol=1e-10)


def test_trace_shows_a_write_as_one_step():
    def f(x):
        y = x * 2.0
        y[0] = 0.0
        return np.sum(y)

    trace = reverse.trace(f, np.array([1.0, 2.0]))
    assert [r.op.name for r in trace.records if r.op is not None] == ["mul", "setitem", "sum"]
    np.testing.assert_allclose(trace.gradients[0], [0.0, 2.0])


# --- cost: no copy of the buffer per write ------------------------------------------------
def test_k_writes_into_an_n_element_buffer_take_memory_of_order_n_plus_k():
    n, k = 200_000, 200            # a copy per write would be k * 1.6 MB = 320 MB

    def fill(x):
        out = np.zeros_like(x, shape=(n,))
        for i in range(k):
            out[i] = x[i % x.shape[0]] * i
        return np.sum(out * out)

    x = np.ones(4)
    for engine in (reverse.grad, forward.grad):
        tracemalloc.start()
        engine(fill)(x)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 20 * n * 8, f"{engine.__module__}: peak {peak / 1e6:.1f} MB"


# --- ndarray methods as layers call them ----------------------------------------------
def dropout_forward(x, dropout_param):
    p, mode = dropout_param['p'], dropout_param['mode']
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])
    mask, out = None, None
    if mode == 'train':
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    elif mode == 'test':
        out = x
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout * mask if dropout_param['mode'] == 'train' else dout


@pytest.mark.parametrize("mode", ["train", "test"])
def test_dropout_with_astype_copy_false_checks_its_backward(mode):
    from comparisons import check_backward
    x = rng.standard_normal((4, 5))
    result = check_backward(dropout_forward, dropout_backward, x, {'p': 0.5, 'mode': mode, 'seed': 123})
    assert result.ok and {"reverse", "jax"} <= {r.against for r in result.comparisons}, str(result)


def test_astype_copies_unless_told_not_to_and_checks_casting():
    def f(x):
        same = x.astype(x.dtype, copy=False)      # x itself: a write shows in both
        copied = x.astype(np.float64)             # a copy: a write shows in it alone
        copied[0] = 100.0
        same[1] = 0.0
        return np.sum(x * np.arange(1.0, 4.0)) + np.sum(copied)

    x = np.array([1.0, 2.0, 3.0])
    assert reverse.value_and_grad(f)(x)[0] == pytest.approx(f(x.copy()))
    np.testing.assert_allclose(reverse.grad(f)(x), [1.0, 0.0 + 1.0, 3.0 + 1.0])   # x * [1, 2, 3] with x[1] cut, + copied
    with pytest.raises(TypeError, match="according to the rule 'safe'"):
        reverse.grad(lambda x: np.sum(x.astype(np.float32, casting="safe")))(x)


# --- `x.shape = ...`: NumPy's in-place reshape (CS231n's fast layers) -------------------
def test_setting_the_shape_of_a_box_reshapes_it_in_both_engines_and_a_hessian():
    def f(x):
        y = x * 2.0
        y.shape = (3, -1)            # as CS231n's conv_forward_strides sets x_cols.shape
        y[:, 0] = y[:, 0] ** 3       # and it stays writable
        return np.sum(np.sin(y) * np.arange(12.0).reshape(3, 4))
    x = rng.normal(size=(2, 6))
    check_grads(f, (x,), order=2).raise_if_failed()
    value, _ = reverse.vjp(f, x)
    assert value == f(x)


def test_setting_the_shape_of_a_view_keeps_it_a_view_of_its_base():
    def f(x):
        base = x.copy()
        y = base[1:]                 # a view of base
        row = y[0]                   # a view of y
        y.shape = (-1,)              # y stays a view of base, row a view of the memory y had
        base[1, 1] = 5.0 * base[1, 1]    # seen by y (its element 1) and by row (its element 1), as in NumPy
        return np.sum(row ** 2) + np.sum(y ** 3 * np.arange(8.0)) + np.sum(base)
    x = rng.normal(size=(3, 4))
    value, gradient = reverse.value_and_grad(f)(x)
    assert value == pytest.approx(f(x.copy()), rel=1e-14)     # NumPy on plain arrays
    check_grads(f, (x,)).raise_if_failed()
    np.testing.assert_allclose(forward.grad(f)(x), gradient, rtol=1e-13)
    # by hand: x11 enters as 5 x11 in row, y and base; every other element of rows 1-2 once in y
    # (weighted by its place k in y's 8) and base, and row 1's in row too
    expected, place = np.ones_like(x), np.arange(8.0).reshape(2, 4)
    expected[1:] += 3 * x[1:] ** 2 * place
    expected[1] += 2 * x[1]
    expected[1, 1] = 5 * (2 * 5 * x[1, 1] + 3 * (5 * x[1, 1]) ** 2 * place[0, 1] + 1)
    np.testing.assert_allclose(gradient, expected, rtol=1e-13)


def test_a_write_into_a_reshaped_view_is_refused_and_a_shape_that_needs_a_copy_is_numpys_error():
    def write_through(x):
        y = x.copy()
        row = y[0]
        row.shape = (2, 2)
        row[0, 0] = 1.0              # NumPy writes into y; fwdrev writes through views made by indexing only
        return np.sum(y)
    with pytest.raises(UnsupportedFunction, match="view of another differentiable array, made by reshape"):
        reverse.grad(write_through)(np.ones((2, 4)))

    def transposed(x):
        y = x.T
        y.shape = (8,)               # needs a copy: NumPy refuses, and so does fwdrev
        return np.sum(y)
    with pytest.raises(AttributeError, match="Incompatible shape for in-place modification"):
        transposed(np.ones((2, 4)))
    for engine in (reverse.grad, forward.grad):
        with pytest.raises(AttributeError, match="Incompatible shape for in-place modification"):
            engine(transposed)(np.ones((2, 4)))


def test_put_modes_place_and_what_numpy_refuses():
    x = rng.normal(size=(2, 3))

    def put_wrapped(x, mode):
        y = x.copy()
        np.put(y, [7, -8], x[0, :2] ** 2, mode=mode)   # wrap: positions 1 and 4; clip: 5 and 0
        return y
    for mode, positions in (("wrap", [1, 4]), ("clip", [5, 0])):
        expected = x.copy().ravel()
        expected[positions] = x[0, :2] ** 2
        np.testing.assert_array_equal(reverse.vjp(lambda x: put_wrapped(x, mode), x)[0], expected.reshape(2, 3))
        check_grads(lambda x: put_wrapped(x, mode), (x,)).raise_if_failed()
    with pytest.raises(IndexError, match="index 7 is out of bounds"):
        reverse.grad(lambda x: np.sum(put_wrapped(x, "raise")))(x)

    def placed_from_nothing(x):
        y = x.copy()
        np.place(y, y > -10, x[:0])
        return np.sum(y)
    with pytest.raises(ValueError, match="Cannot insert from an empty array"):
        reverse.grad(placed_from_nothing)(x)
    with pytest.raises(ValueError, match="Cannot insert from an empty array"):
        placed_from_nothing(x)                        # (NumPy's own message)

