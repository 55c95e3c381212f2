"""(loss, gradient) functions and models checked by one call each, as
CS231n's assignment 1 writes them."""

import numpy as np
import pytest

from comparisons import check_model, check_value_and_grad


def svm_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    correct = scores[np.arange(num_train), y].reshape(-1, 1)
    margins = np.maximum(0, scores - correct + 1)
    margins[np.arange(num_train), y] = 0
    loss = np.sum(margins) / num_train + reg * np.sum(W * W)
    binary = (margins > 0).astype(float)
    binary[np.arange(num_train), y] = -np.sum(binary, axis=1)
    dW = X.T.dot(binary) / num_train + 2 * reg * W
    return loss, dW


def svm_loss_forgetting_the_regulariser(W, X, y, reg):
    loss, dW = svm_loss_vectorized(W, X, y, reg)
    return loss, dW - 2 * reg * W


def svm_inputs(seed=0):
    rng = np.random.default_rng(seed)
    W = 0.01 * rng.normal(size=(6, 4))
    X = rng.normal(size=(8, 6))
    y = rng.integers(0, 4, size=8)
    return W, X, y, 0.5


def test_an_svm_loss_is_checked_by_one_call():
    result = check_value_and_grad(svm_loss_vectorized, *svm_inputs())
    assert result.ok, str(result)
    assert {r.argument for r in result.comparisons} == {"W"}     # not X, not reg: dW has W's shape


def test_an_svm_loss_without_the_regulariser_gradient_fails_at_W():
    result = check_value_and_grad(svm_loss_forgetting_the_regulariser, *svm_inputs())
    assert not result.ok
    W = svm_inputs()[0]
    worst = result.worst
    assert worst.argument == "W"
    # the missing term 2 reg W, at the worst element
    assert worst.reference - worst.value == pytest.approx(2 * 0.5 * W[worst.index], rel=1e-6)


def test_the_gradient_is_matched_to_the_first_float_argument_of_its_shape():
    def loss_x_first(X, W, y, reg):
        return svm_loss_vectorized(W, X, y, reg)
    W, X, y, reg = svm_inputs()
    result = check_value_and_grad(loss_x_first, X, W, y, reg)
    assert result.ok, str(result)
    assert {r.argument for r in result.comparisons} == {"W"}
    with pytest.raises(ValueError, match=r"shape \(6, 4\) for X of shape \(8, 6\)"):
        check_value_and_grad(loss_x_first, X, W, y, reg, argnums=0)      # an explicit argnums wins


def test_a_dict_of_gradients_matches_parameters_by_name():
    def affine_loss(w, b, x):
        scores = x.dot(w) + b
        return np.sum(scores ** 2), {"w": 2 * x.T.dot(scores), "b": 2 * np.sum(scores, axis=0)}
    rng = np.random.default_rng(2)
    result = check_value_and_grad(affine_loss, rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3)))
    assert result.ok, str(result)
    assert {r.argument for r in result.comparisons} == {"w", "b"}


class TwoLayerNet:
    """affine - relu - affine - softmax, as in assignment 1."""

    def __init__(self, input_size, hidden_size, output_size, std=1e-1, reg=0.05, seed=0, bug=None):
        rng = np.random.default_rng(seed)
        self.params = {}
        self.params["W1"] = std * rng.normal(size=(input_size, hidden_size))
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = std * rng.normal(size=(hidden_size, output_size))
        self.params["b2"] = np.zeros(output_size)
        self.reg, self.bug = reg, bug

    def loss(self, X, y=None):
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        N = X.shape[0]
        h = np.maximum(0, X.dot(W1) + b1)
        scores = h.dot(W2) + b2
        if y is None:
            return scores
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        exp = np.exp(shifted)
        probs = exp / np.sum(exp, axis=1, keepdims=True)
        loss = -np.sum(np.log(probs[np.arange(N), y])) / N
        loss += self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

        grads = {}
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads["W2"] = h.T.dot(dscores) + 2 * self.reg * W2
        grads["b2"] = np.sum(dscores, axis=0)
        dh = dscores.dot(W2.T)
        if self.bug != "relu":
            dh[h <= 0] = 0
        grads["W1"] = X.T.dot(dh) + (0 if self.bug == "reg" else 2 * self.reg * W1)
        grads["b1"] = np.sum(dh, axis=0)
        return loss, grads


def net_data(seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(5, 4)), rng.integers(0, 3, size=5)


def test_a_two_layer_net_is_checked_by_one_call_and_its_params_are_restored():
    net = TwoLayerNet(4, 6, 3)
    params = net.params
    before = {k: v.copy() for k, v in params.items()}
    X, y = net_data()
    result = check_model(net, X, y)
    assert result.ok, str(result)
    assert {r.argument for r in result.comparisons} == {"params['W1']", "params['b1']", "params['W2']",
                                                        "params['b2']"}
    assert net.params is params and set(params) == set(before)
    for k in before:
        assert type(params[k]) is np.ndarray
        np.testing.assert_array_equal(params[k], before[k])
    assert net.loss(X, y)[0] == pytest.approx(result_loss(before, X, y))


def result_loss(params, X, y):
    net = TwoLayerNet(4, 6, 3)
    net.params = params
    return net.loss(X, y)[0]


@pytest.mark.parametrize("bug, argument", [("reg", "params['W1']"), ("relu", "params['W1']")])
def test_planted_bugs_in_a_two_layer_net_are_caught(bug, argument):
    X, y = net_data()
    result = check_model(TwoLayerNet(4, 6, 3, bug=bug), X, y)
    assert not result.ok
    assert result.worst.argument == argument
    failed = {r.argument for r in result.comparisons if not r.passed}
    assert "params['W2']" not in failed and "params['b2']" not in failed


def test_check_model_needs_params_and_loss():
    with pytest.raises(TypeError, match=r"\.params dict"):
        check_model(object(), np.zeros((2, 2)), np.zeros(2, int))
