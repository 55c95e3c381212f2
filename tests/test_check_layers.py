"""check_backward on layers with several outputs, written as CS231n
students write them: an LSTM step returns (next_h, next_c, cache) and its
backward takes (dnext_h, dnext_c, cache)."""

import numpy as np
import pytest

from comparisons import check_backward


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    o = sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache, ignore_dnext_c=False):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    tanh_c = np.tanh(next_c)
    do = dnext_h * tanh_c
    dc = dnext_h * o * (1 - tanh_c ** 2)
    if not ignore_dnext_c:
        dc += dnext_c                      # next_c is an output too: its gradient adds up
    df = dc * prev_c
    dprev_c = dc * f
    di = dc * g
    dg = dc * i
    da = np.hstack((di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g ** 2)))
    dx = da.dot(Wx.T)
    dprev_h = da.dot(Wh.T)
    dWx = x.T.dot(da)
    dWh = prev_h.T.dot(da)
    db = np.sum(da, axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_step_backward_ignoring_dnext_c(dnext_h, dnext_c, cache):
    return lstm_step_backward(dnext_h, dnext_c, cache, ignore_dnext_c=True)


def lstm_inputs(N=3, D=4, H=5, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H)),
            0.3 * rng.normal(size=(D, 4 * H)), 0.3 * rng.normal(size=(H, 4 * H)), 0.1 * rng.normal(size=4 * H))


def test_an_lstm_step_is_checked_exactly():
    result = check_backward(lstm_step_forward, lstm_step_backward, *lstm_inputs())
    assert result.ok, str(result)
    names = ["x", "prev_h", "prev_c", "Wx", "Wh", "b"]
    # the exact references ran: our reverse engine and JAX, for every input
    assert {(r.against, r.argument) for r in result.comparisons} == {
        (against, name) for against in ("reverse", "jax", "fd") for name in names}
    assert not any("cannot trace" in note for note in result.notes)


def test_an_lstm_backward_that_ignores_dnext_c_fails_at_every_reference():
    result = check_backward(lstm_step_forward, lstm_step_backward_ignoring_dnext_c, *lstm_inputs())
    assert not result.ok
    failed = {(r.against, r.argument) for r in result.comparisons if not r.passed}
    # dnext_c reaches every input through next_c = f * prev_c + i * g
    assert {against for against, _ in failed} == {"reverse", "jax", "fd"}
    assert {"prev_c", "x", "Wx"} <= {name for _, name in failed}
    # the worst element: where the forgotten dnext_c path is largest
    x, prev_h, prev_c, Wx, Wh, b = lstm_inputs()
    next_h, next_c, cache = lstm_step_forward(*lstm_inputs())
    rng = np.random.default_rng(0)                  # check_backward draws dnext_h, then dnext_c
    dnext_h, dnext_c = rng.standard_normal(next_h.shape), rng.standard_normal(next_c.shape)
    right = lstm_step_backward(dnext_h, dnext_c, cache)
    wrong = lstm_step_backward_ignoring_dnext_c(dnext_h, dnext_c, cache)
    rows = {(r.against, r.argument): r for r in result.comparisons}
    row = rows[("jax", "prev_c")]
    assert row.worst.reference == pytest.approx(right[2][row.worst.index], rel=1e-9)
    assert row.worst.value == pytest.approx(wrong[2][row.worst.index], rel=1e-12)
    # every gradient is wrong: the hint names what they all share, the upstream gradients by name
    assert any("check what they share (the upstream gradients dnext_h, dnext_c, the cache)" in h
               for h in result.hints), result.hints


def test_outputs_of_different_shapes_work():
    """A layer returning a (N, H) state and a scalar penalty: no stacking."""
    def forward(x, w):
        h = np.tanh(x.dot(w))
        penalty = np.sum(w ** 2)
        return h, penalty, (x, w, h)

    def backward(dh, dpenalty, cache):
        x, w, h = cache
        da = dh * (1 - h ** 2)
        return da.dot(w.T), x.T.dot(da) + 2 * w * dpenalty

    rng = np.random.default_rng(1)
    result = check_backward(forward, backward, rng.normal(size=(3, 4)), rng.normal(size=(4, 2)))
    assert result.ok, str(result)
    assert {r.against for r in result.comparisons} == {"reverse", "jax", "fd"}

    def backward_without_penalty(dh, dpenalty, cache):
        x, w, h = cache
        da = dh * (1 - h ** 2)
        return da.dot(w.T), x.T.dot(da)
    wrong = check_backward(forward, backward_without_penalty, rng.normal(size=(3, 4)), rng.normal(size=(4, 2)))
    assert {r.argument for r in wrong.comparisons if not r.passed} == {"w"}


def test_the_number_of_outputs_can_be_stated():
    """A backward taking *args says nothing: outputs= does."""
    def backward(*args):
        return lstm_step_backward(*args)
    assert check_backward(lstm_step_forward, backward, *lstm_inputs(), outputs=2).ok
    with pytest.raises(ValueError, match=r"returned 3 values but outputs=1"):
        check_backward(lstm_step_forward, backward, *lstm_inputs(), outputs=1)


def test_a_backward_taking_the_wrong_number_of_upstream_gradients_is_named():
    with pytest.raises(ValueError, match=r"lstm_step_forward returned 3 values but <lambda> takes 2 argument\(s\): "
                                         r"1 upstream gradient\(s\) and the cache.*outputs=k"):
        check_backward(lstm_step_forward, lambda dnext_h, cache: None, *lstm_inputs())
