"""Hints point at the bug: the argument and element that are wrong, a
culprit named only where the evidence singles it out, and no notes about
inputs that cannot have a gradient."""

import numpy as np
import pytest

from comparisons import check_backward, check_gradient


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    rng = np.random.default_rng(dropout_param["seed"])
    mask = (rng.random(x.shape) < p) / p
    out = x * mask if mode == "train" else x
    return out, (dropout_param, mask)


def dropout_backward_without_the_mask(dout, cache):
    dropout_param, mask = cache
    return dout                            # forgot: dx = dout * mask


def test_a_one_argument_layer_that_fails_names_its_worst_element_and_nothing_shared():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5))
    param = {"p": 0.5, "mode": "train", "seed": 1}
    result = check_backward(dropout_forward, dropout_backward_without_the_mask, x, param)
    assert not result.ok
    worst = result.worst
    (hint,) = result.hints
    assert hint.startswith(f"the gradient for x disagrees with every reference, worst at {worst.where}")
    assert "share" not in hint and "dout" not in hint and "cache" not in hint
    assert result.notes == []                          # dropout_param is no differentiated argument


def word_embedding_forward(x, W):
    out = W[x, :]
    return out, (x, W)


def word_embedding_backward(dout, cache):
    x, W = cache
    dW = np.zeros_like(W)
    np.add.at(dW, x, dout)
    return dW                              # the assignment returns dW only: x holds integer indices


def test_a_backward_returning_gradients_for_the_float_inputs_only_is_matched_to_them():
    rng = np.random.default_rng(1)
    x, W = rng.integers(0, 5, size=(2, 3)), rng.normal(size=(5, 4))
    result = check_backward(word_embedding_forward, word_embedding_backward, x, W)
    assert result.ok, str(result)
    assert {r.argument for r in result.comparisons} == {"W"}
    assert result.notes == []

    def backward_dropping_repeats(dout, cache):
        x, W = cache
        dW = np.zeros_like(W)
        dW[x] += dout                      # the classic bug: repeated indices add once only
        return dW
    x = np.array([[0, 1, 0], [2, 0, 4]])
    wrong = check_backward(word_embedding_forward, backward_dropping_repeats, x, W)
    assert not wrong.ok and wrong.worst.where.startswith("W[0, ")


def test_a_gradient_kept_two_dimensional_is_told_to_reshape_not_blamed_on_a_lookalike():
    rng = np.random.default_rng(2)
    x, gamma, b1 = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=3)
    f = lambda x, gamma, b1: np.sum((gamma * x + b1) ** 2)

    def grad(x, gamma, b1):
        d = 2 * (gamma * x + b1)
        return d * gamma, np.sum(d * x, axis=0, keepdims=True), np.sum(d, axis=0)
    with pytest.raises(ValueError) as error:
        check_gradient(f, grad, x, gamma, b1)
    message = str(error.value)
    assert "shape (1, 3) for gamma of shape (3,)" in message
    assert "b1" not in message                         # b1 merely has gamma's shape
    assert "reshape it to (3,), or sum without keepdims=True" in message


def test_directions_that_fail_lead_the_hint_to_the_element():
    """Beyond the budget: the hint names the element bisection found."""
    from test_check_fd import conv_backward_one_element_wrong, conv_forward_naive, conv_inputs
    result = check_backward(conv_forward_naive, conv_backward_one_element_wrong, *conv_inputs(5), seed=5,
                            fd_budget=0.0)
    assert any("bisection of a failing direction leads to x[0, 0, 0, 0]" in h for h in result.hints), result.hints
    assert not any("share" in h for h in result.hints)
