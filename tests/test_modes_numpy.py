"""CS231n's naive layers as students write them, with one changed line:
`import modes.numpy as np`. Their forwards fill np.zeros buffers in loops;
check_backward then checks the hand-written backward passes against both of
our engines, JAX and finite differences (it no longer falls back to finite
differences alone)."""

import modes.numpy as np
import numpy
import pytest

import modes
from benchmarks import write_loop
from comparisons import check_backward
from modes import forward, reverse

jax = pytest.importorskip("jax")


pytestmark = pytest.mark.usefixtures("jax_in_double_precision")


rng = numpy.random.default_rng(231)


def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param['stride'], conv_param['pad']
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    out = np.zeros((N, F, H_out, W_out))
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, f, i, j] = np.sum(x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                                             * w[f]) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    return write_loop.conv_backward_naive(dout, x, w, conv_param)    # (the benchmark's: CS231n's loops)


def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, stride = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    H_out = 1 + (H - ph) // stride
    W_out = 1 + (W - pw) // stride
    out = np.zeros((N, C, H_out, W_out))
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, c, i, j] = np.max(x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw])
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, stride = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw]
                    mask = window == np.max(window)
                    dx[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw] += mask * dout[n, c, i, j]
    return dx


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    dtanh = dnext_h * (1 - next_h ** 2)
    return dtanh.dot(Wx.T), dtanh.dot(Wh.T), x.T.dot(dtanh), prev_h.T.dot(dtanh), dtanh.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    cache = []
    prev_h = h0
    for t in range(T):
        next_h, step_cache = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        h[:, t, :] = next_h
        cache.append(step_cache)
        prev_h = next_h
    return h, cache


def rnn_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dh0 = np.zeros((N, H))
    dWx, dWh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        dx_t, dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t, :] + dprev_h, cache[t])
        dx[:, t, :] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    dh0 = dprev_h
    return dx, dh0, dWx, dWh, db


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev_h, prev_c = h0, np.zeros((N, H))
    for t in range(T):
        a = x[:, t, :].dot(Wx) + prev_h.dot(Wh) + b
        i, f, o, g = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
        prev_c = f * prev_c + i * g
        prev_h = o * np.tanh(prev_c)
        h[:, t, :] = prev_h
    return h


def lstm_twin(x, h0, Wx, Wh, b):
    jnp = jax.numpy
    H = h0.shape[1]
    hs, prev_h, prev_c = [], h0, jnp.zeros_like(h0)
    for t in range(x.shape[1]):
        a = x[:, t, :] @ Wx + prev_h @ Wh + b
        i, f, o = (jax.nn.sigmoid(a[:, k * H:(k + 1) * H]) for k in range(3))
        prev_c = f * prev_c + i * jnp.tanh(a[:, 3 * H:])
        prev_h = o * jnp.tanh(prev_c)
        hs.append(prev_h)
    return jnp.stack(hs, axis=1)


def _assert_checked_exactly(result):
    assert result.ok, str(result)
    against = {r.against for r in result.comparisons}
    assert {"reverse", "jax"} <= against, f"only {against}: the forward did not trace"


def test_conv_forward_naive_with_np_zeros_checks_conv_backward_naive():
    x, w, b = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(2)
    _assert_checked_exactly(check_backward(conv_forward_naive, conv_backward_naive, x, w, b,
                                           {'stride': 2, 'pad': 1}))


def test_max_pool_forward_naive_checks_max_pool_backward_naive():
    x = rng.permutation(2 * 2 * 4 * 4).reshape(2, 2, 4, 4) / 10.0      # distinct: no ties
    pool = {'pool_height': 2, 'pool_width': 2, 'stride': 2}
    _assert_checked_exactly(check_backward(max_pool_forward_naive, max_pool_backward_naive, x, pool))


def test_rnn_forward_filling_h_checks_rnn_backward():
    N, T, D, H = 2, 3, 4, 5
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = 0.3 * rng.standard_normal((D, H)), 0.3 * rng.standard_normal((H, H)), rng.standard_normal(H)
    _assert_checked_exactly(check_backward(rnn_forward, rnn_backward, x, h0, Wx, Wh, b))


def test_lstm_forward_filling_h_agrees_with_jax_in_both_engines_and_a_hessian():
    N, T, D, H = 2, 3, 2, 2
    args = (rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), 0.4 * rng.standard_normal((D, 4 * H)),
            0.4 * rng.standard_normal((H, 4 * H)), rng.standard_normal(4 * H))
    loss = lambda *a: np.sum(lstm_forward(*a) ** 2)
    twin = lambda *a: jax.numpy.sum(lstm_twin(*a) ** 2)
    expected = jax.grad(twin, argnums=(0, 1, 2, 3, 4))(*args)
    for engine in (reverse.grad, forward.grad):
        for ours, theirs in zip(engine(loss, argnums=(0, 1, 2, 3, 4))(*args), expected):
            numpy.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    hessian = modes.hessian(lambda b: loss(*args[:4], b))(args[4])
    numpy.testing.assert_allclose(hessian, jax.hessian(lambda b: twin(*args[:4], b))(args[4]), rtol=1e-9, atol=1e-12)


def test_arrays_of_lists_of_boxes_and_r_c():
    def f(x):
        rows = np.array([[x[0], x[1]], [2.0, x[0] * x[1]]])
        joined = np.r_[x, 3.0, 0:2]
        columns = np.c_[x, x ** 2]
        return np.sum(rows ** 2) + np.sum(joined * np.arange(5.0)) + np.sum(columns)

    x = numpy.array([1.5, -0.5])
    x0, x1 = x
    expected = [2 * x0 + 2 * x0 * x1 ** 2 + 0 + 1 + 2 * x0, 2 * x1 + 2 * x0 ** 2 * x1 + 1 + 1 + 2 * x1]
    numpy.testing.assert_allclose(reverse.grad(f)(x), expected)
    numpy.testing.assert_allclose(forward.grad(f)(x), expected)
    assert f(x) == pytest.approx(float(f(x.copy())))


def test_outside_a_differentiation_call_it_is_plain_numpy():
    assert type(np.zeros(3)) is numpy.ndarray and type(np.array([1.0, 2.0])) is numpy.ndarray
    assert np.r_[0:3, 5].tolist() == [0, 1, 2, 5]
    assert np.linalg.norm is numpy.linalg.norm and np.random.default_rng is numpy.random.default_rng
    assert np.float64 is numpy.float64 and np.newaxis is None
    import modes.numpy.fft
    assert modes.numpy.fft.rfft is numpy.fft.rfft


def test_integer_buffers_stay_plain_inside_a_call():
    def f(x):
        labels = np.zeros(3, dtype=int)
        labels[1] = 2
        return np.sum(x[labels])

    numpy.testing.assert_allclose(reverse.grad(f)(numpy.array([1.0, 2.0, 3.0])), [2.0, 0.0, 1.0])
