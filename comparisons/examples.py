"""CS231n layers with hand-written backward passes, for `check_backward`.

The assignment convention: `layer_forward(*inputs) -> (out, cache)` and
`layer_backward(dout, cache) -> gradients`, one per input, each with its
input's shape. The forward passes are plain NumPy, so our engines and the
JAX bridge can differentiate them as written; the backward passes are what
a student writes, staged one line per node as in the notes (and `+=` where a
value fans out). `batchnorm_backward_wrong` forgets one term on purpose:
checks must catch it and point at `x`.
"""

import numpy as np


# --- affine: out = x.reshape(N, D) @ w + b ---------------------------------------
def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)              # dX = dD W^T
    dw = x.reshape(x.shape[0], -1).T.dot(dout)       # dW = X^T dD
    db = np.sum(dout, axis=0)                        # b fans out to every row
    return dx, dw, db


# --- ReLU: a max gate routes the gradient to the larger input --------------------
def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    x = cache
    return dout * (x > 0)


# --- softmax loss over N examples with integer labels y ----------------------------
def softmax_loss_forward(x, y):
    shifted = x - np.max(x, axis=1, keepdims=True)   # stability: softmax ignores shifts
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.mean(log_probs[np.arange(x.shape[0]), y])
    return loss, (np.exp(log_probs), y)


def softmax_loss_backward(dloss, cache):
    probs, y = cache
    n = probs.shape[0]
    dx = probs.copy()
    dx[np.arange(n), y] -= 1                         # d(-log p_y)/dx = p - onehot(y)
    return dloss * dx / n, None                      # labels are not differentiable


def softmax_loss(x, y):
    """(loss, dx) in one call, as the assignment's `softmax_loss`."""
    loss, cache = softmax_loss_forward(x, y)
    return loss, softmax_loss_backward(1.0, cache)[0]


# --- batch normalisation (training mode), staged ----------------------------------
def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=0)
    xmu = x - mu
    var = np.mean(xmu ** 2, axis=0)
    std = np.sqrt(var + eps)
    invstd = 1.0 / std
    xhat = xmu * invstd
    out = gamma * xhat + beta
    return out, (xhat, xmu, invstd, std, gamma)


def batchnorm_backward(dout, cache, forget_variance_path=False):
    """Stage by stage back through the forward pass. x reaches the output
    along three paths: through xmu directly, through the variance, and
    through the mean; `forget_variance_path` drops the second, the classic
    mistake (the result is then wrong for every element of x, while dgamma
    and dbeta stay right)."""
    xhat, xmu, invstd, std, gamma = cache
    n = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    dinvstd = np.sum(dxhat * xmu, axis=0)
    dxmu = dxhat * invstd                            # path 1: xhat = xmu * invstd
    dstd = -dinvstd / std ** 2
    dvar = 0.5 * dstd / std
    if not forget_variance_path:
        dxmu += 2.0 * xmu * dvar / n                 # path 2: var = mean(xmu ** 2)
    dmu = -np.sum(dxmu, axis=0)
    dx = dxmu + dmu / n                              # path 3: xmu = x - mean(x)
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """The same gradient simplified on paper into one expression."""
    xhat, xmu, invstd, std, gamma = cache
    n = dout.shape[0]
    dxhat = dout * gamma
    dx = invstd / n * (n * dxhat - np.sum(dxhat, axis=0) - xhat * np.sum(dxhat * xhat, axis=0))
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


def batchnorm_backward_wrong(dout, cache):
    """Deliberately wrong: forgets the path from x through the variance."""
    return batchnorm_backward(dout, cache, forget_variance_path=True)
