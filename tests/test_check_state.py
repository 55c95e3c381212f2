"""A check leaves the user's objects as it found them: batchnorm's bn_param
(closed over, as notebooks do) and a model's bn_params work after the check,
and a warning names where the checked code had stored a traced value."""

import numpy as np
import pytest

from comparisons import UserStateWarning, check_backward, check_model


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    cache = None
    if mode == "train":
        sample_mean = x.mean(axis=0)
        sample_var = x.var(axis=0)
        x_hat = (x - sample_mean) / np.sqrt(sample_var + eps)
        out = gamma * x_hat + beta
        cache = (x_hat, gamma, sample_var + eps)
        running_mean = momentum * running_mean + (1 - momentum) * sample_mean
        running_var = momentum * running_var + (1 - momentum) * sample_var
    else:
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    x_hat, gamma, var_eps = cache
    N = dout.shape[0]
    dgamma = np.sum(dout * x_hat, axis=0)
    dbeta = np.sum(dout, axis=0)
    dx_hat = dout * gamma
    dx = (N * dx_hat - np.sum(dx_hat, axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0)) / (N * np.sqrt(var_eps))
    return dx, dgamma, dbeta


def bn_inputs(seed=0):
    rng = np.random.default_rng(seed)
    return 2 * rng.normal(size=(6, 3)) + 1, rng.normal(size=3), rng.normal(size=3)


def test_a_bn_param_closed_over_outlives_the_check():
    x, gamma, beta = bn_inputs()
    bn_param = {"mode": "train"}
    batchnorm_forward(x, gamma, beta, bn_param)                # one training step of the user's
    running = bn_param["running_mean"].copy()
    with pytest.warns(UserStateWarning, match=r"bn_param\['running_mean'\], bn_param\['running_var'\]"):
        result = check_backward(lambda x, gamma, beta: batchnorm_forward(x, gamma, beta, bn_param),
                                batchnorm_backward, x, gamma, beta)
    assert result.ok, str(result)
    assert {r.against for r in result.comparisons} == {"reverse", "jax", "fd"}
    # plain arrays, as the user left them: the check's calls moved nothing
    assert type(bn_param["running_mean"]) is np.ndarray
    np.testing.assert_array_equal(bn_param["running_mean"], running)
    # and the user's own code works afterwards, in both modes
    out, _ = batchnorm_forward(x, gamma, beta, bn_param)
    assert type(out) is np.ndarray and type(bn_param["running_mean"]) is np.ndarray
    bn_param["mode"] = "test"
    out, _ = batchnorm_forward(x, gamma, beta, bn_param)
    assert type(out) is np.ndarray and np.all(np.isfinite(out))


def test_a_bn_param_passed_as_an_input_is_a_constant_and_left_alone():
    x, gamma, beta = bn_inputs(1)
    bn_param = {"mode": "train", "eps": 1e-5, "momentum": 0.9}
    result = check_backward(batchnorm_forward, batchnorm_backward, x, gamma, beta, bn_param)
    assert result.ok, str(result)
    assert {r.argument for r in result.comparisons} == {"x", "gamma", "beta"}
    assert result.notes == []                     # no note about bn_param, which has no gradient
    assert bn_param == {"mode": "train", "eps": 1e-5, "momentum": 0.9}


class BatchNormNet:
    """affine - batchnorm - relu - affine - softmax, with its running averages
    in self.bn_params (a list of dicts, as FullyConnectedNet keeps them)."""

    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {"W1": 0.5 * rng.normal(size=(4, 5)), "b1": np.zeros(5), "gamma1": np.ones(5),
                       "beta1": np.zeros(5), "W2": 0.5 * rng.normal(size=(5, 3)), "b2": np.zeros(3)}
        self.bn_params = [{"mode": "train"}]

    def loss(self, X, y):
        p = self.params
        a = X @ p["W1"] + p["b1"]
        bn, bn_cache = batchnorm_forward(a, p["gamma1"], p["beta1"], self.bn_params[0])
        h = np.maximum(0, bn)
        scores = h.dot(p["W2"]) + p["b2"]
        N = X.shape[0]
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
        loss = -np.mean(np.log(probs[np.arange(N), y]))
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads = {"W2": h.T.dot(dscores), "b2": dscores.sum(axis=0)}
        dh = dscores.dot(p["W2"].T)
        dbn = dh * (bn > 0)
        da, grads["gamma1"], grads["beta1"] = batchnorm_backward(dbn, bn_cache)
        grads["W1"], grads["b1"] = X.T.dot(da), da.sum(axis=0)
        return loss, grads


def test_a_model_with_bn_params_works_after_check_model():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(6, 4)), rng.integers(0, 3, size=6)
    net = BatchNormNet()
    with pytest.warns(UserStateWarning, match=r"model\.bn_params\[0\]\['running_mean'\]"):
        result = check_model(net, X, y)
    assert result.ok, str(result)
    assert net.bn_params == [{"mode": "train"}]               # as before the check
    loss, grads = net.loss(X, y)                              # the user's next training step
    assert isinstance(loss, float) or type(loss) is np.float64
    assert all(type(g) is np.ndarray for g in grads.values())
    assert type(net.bn_params[0]["running_mean"]) is np.ndarray
