"""The CS231n TwoLayerNet loss (assignment 1): N=64 CIFAR-sized samples,
3072-100-10, ReLU, softmax cross-entropy, L2 regularisation.

    scores = relu(X W1 + b1) W2 + b2
    loss   = mean softmax cross-entropy + 0.5 reg (sum W1^2 + sum W2^2)

Why this one: it is the function CS231n students differentiate by hand, so
the hand-written forward+backward is a real, tight baseline. The matrix
products dominate, so an engine's per-op overhead must stay small next to
them to come within 10% of it (target <= 1.10 x hand-written, <= 0.75 x HIPS
autograd).

One loss definition serves NumPy, autograd.numpy and jax.numpy (`make_loss`
takes the module); the hand-written version adds the derived backward pass.
"""

import numpy as np

from modes.registry import REGISTRY

from .suite import Benchmark, Pair, block

SIZES = dict(N=64, D=3072, H=100, C=10)
REG = 0.1


def make_data(N, D, H, C, seed=0):
    """CIFAR-shaped inputs, labels, and the assignment's small random init."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D))
    y = rng.integers(0, C, N)
    params = {"W1": 1e-2 * rng.standard_normal((D, H)), "b1": 1e-2 * rng.standard_normal(H),
              "W2": 1e-2 * rng.standard_normal((H, C)), "b2": 1e-2 * rng.standard_normal(C)}
    return X, y, params


def make_loss(xnp, X, y, reg):
    """The loss written against the NumPy-like module `xnp`."""
    N = X.shape[0]
    rows = np.arange(N)

    def loss(params):
        W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
        hidden = xnp.maximum(X @ W1 + b1, 0)
        scores = hidden @ W2 + b2
        exp_scores = xnp.exp(scores - xnp.max(scores, axis=1, keepdims=True))
        probs = exp_scores / xnp.sum(exp_scores, axis=1, keepdims=True)
        data_loss = -xnp.sum(xnp.log(probs[rows, y])) / N
        return data_loss + 0.5 * reg * (xnp.sum(W1 * W1) + xnp.sum(W2 * W2))
    return loss


def hand_written(params, X, y, reg):
    """Loss and the four gradients, backward pass derived by hand (what the
    assignment asks students to write)."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    N = X.shape[0]
    rows = np.arange(N)
    pre = X @ W1 + b1
    hidden = np.maximum(pre, 0)
    scores = hidden @ W2 + b2
    exp_scores = np.exp(scores - np.max(scores, axis=1, keepdims=True))
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[rows, y])) / N + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

    dscores = probs                      # d loss / d scores = (probs - onehot) / N
    dscores[rows, y] -= 1
    dscores /= N
    dhidden = dscores @ W2.T
    dhidden[pre <= 0] = 0                # ReLU gate
    grads = {"W1": X.T @ dhidden + reg * W1, "b1": np.sum(dhidden, axis=0),
             "W2": hidden.T @ dscores + reg * W2, "b2": np.sum(dscores, axis=0)}
    return loss, grads


def engine_free(params, X, y, reg):
    """Loss and gradients by the NumPy calls reverse.value_and_grad makes for
    `make_loss` (its rules' arithmetic, in the walk's order), with no engine
    around them: the floor an engine with these rules can reach, so that
    time(ours) / time(this) is the engine's own overhead."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    N = X.shape[0]
    rows = np.arange(N)
    add_matmul_vjp = REGISTRY["matmul"].vjp_into      # total += the matmul's VJP, in gemm
    pre = X @ W1 + b1
    hidden = np.maximum(pre, 0)
    scores = hidden @ W2 + b2
    top = np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(scores - top)
    total = np.sum(exp_scores, axis=1, keepdims=True)
    probs = exp_scores / total
    picked = probs[rows, y]
    loss = -np.sum(np.log(picked)) / N + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

    dW2, dW1 = W2 * reg, W1 * reg                  # sum(W * W)'s VJP, (2 ct) W with ct = reg / 2
    dprobs = np.zeros_like(probs)                  # getitem's VJP: a scatter-add
    np.add.at(dprobs, (rows, y), (1.0 / picked) * (-1.0 / N))
    dexp = (1.0 / total) * dprobs + np.sum(-(probs / total) * dprobs, axis=1, keepdims=True)
    dshifted = exp_scores * dexp
    hits = scores == top                           # max's VJP: ties split evenly
    dscores = dshifted + hits / np.sum(hits, axis=1, keepdims=True) * np.sum(-dshifted, axis=1, keepdims=True)
    dhidden = dscores @ W2.T
    add_matmul_vjp(dW2, dscores, 1, scores, hidden, W2)
    split = (pre > 0).astype(float)                # maximum's VJP: 0.5 at a tie
    np.putmask(split, pre == 0, 0.5)
    dpre = split * dhidden
    add_matmul_vjp(dW1, dpre, 1, pre, X, W1)
    return loss, {"W1": dW1, "b1": np.sum(dpre, axis=0), "W2": dW2, "b2": np.sum(dscores, axis=0)}


def build(N=SIZES["N"], D=SIZES["D"], H=SIZES["H"], C=SIZES["C"], reg=REG):
    """Contenders compute (loss, gradients of all four parameters)."""
    import autograd
    import autograd.numpy as anp
    import jax
    import jax.numpy as jnp
    from modes import reverse

    X, y, params = make_data(N, D, H, C)
    ours = reverse.value_and_grad(make_loss(np, X, y, reg))
    theirs = autograd.value_and_grad(make_loss(anp, X, y, reg))
    jax_value_and_grad = jax.value_and_grad(make_loss(jnp, jnp.asarray(X), jnp.asarray(y), reg))
    jitted = jax.jit(jax_value_and_grad)
    jax_params = {k: jnp.asarray(v) for k, v in params.items()}

    contenders = {
        "reverse.value_and_grad": lambda: ours(params),
        "hand-written": lambda: hand_written(params, X, y, reg),
        "our rules, no engine": lambda: engine_free(params, X, y, reg),
        "autograd": lambda: theirs(params),
        "jax eager": lambda: block(jax_value_and_grad(jax_params)),
        "jax jit": lambda: block(jitted(jax_params)),
    }
    pairs = [Pair("reverse.value_and_grad", "hand-written", 1.10),
             Pair("reverse.value_and_grad", "autograd", 0.75),
             Pair("reverse.value_and_grad", "our rules, no engine"),
             Pair("our rules, no engine", "hand-written"),
             Pair("autograd", "hand-written"),
             Pair("jax eager", "hand-written"),
             Pair("jax jit", "hand-written")]
    return [Benchmark("two_layer_net", contenders, "hand-written", pairs,
                      note=f"N={N} {D}-{H}-{C} reg={reg}")]
