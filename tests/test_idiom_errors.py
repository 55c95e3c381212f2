"""The idioms NumPy never hands to fwdrev, written as students write them:
each is refused in both engines with the user's file and line, the idiom,
and the one rewrite; after that rewrite the code differentiates."""

import math
import re

import numpy as np
import pytest
import scipy.linalg
import scipy.signal
import scipy.special
import scipy.stats

from modes import forward, reverse
from modes.errors import LostDerivative

ENGINES = [reverse.grad, forward.grad]


def _line_of(function, text):
    """file:line of the line of `function` holding `text` (where the error must point)."""
    import inspect
    lines, start = inspect.getsourcelines(function)
    offset = next(i for i, line in enumerate(lines) if text in line)
    return f"{inspect.getsourcefile(function)}:{start + offset}"


def svm_loss_naive(W, X, y):
    """Assignment 1's loop: the losses kept per example in a plain array."""
    losses = np.zeros(X.shape[0])
    for i in range(X.shape[0]):
        scores = np.dot(X[i], W)
        margins = np.maximum(0, scores - scores[y[i]] + 1)
        margins[y[i]] = 0
        losses[i] = np.sum(margins)
    return np.mean(losses)


def svm_loss_naive_fixed(W, X, y):
    losses = np.zeros_like(W, shape=X.shape[0])
    for i in range(X.shape[0]):
        scores = np.dot(X[i], W)
        margins = np.maximum(0, scores - scores[y[i]] + 1)
        margins[y[i]] = 0
        losses[i] = np.sum(margins)
    return np.mean(losses)


def two_layer_scores(W1, X):
    hidden = np.maximum(0, X.dot(W1))
    return np.sum(hidden)


def mean_of_list(w):
    terms = [np.sum(w[i] ** 2) for i in range(w.shape[0])]
    return np.mean(terms)


def norm_of_list(w):
    return np.linalg.norm([w[0, 0], w[1, 1]])


def array_of_list(w):
    return np.sum(np.array([w[0, 0], w[0, 1]]) ** 2)


def with_math_exp(w):
    return math.exp(w[0, 0]) + np.sum(w)


def with_float(w):
    scale = float(np.sum(w))
    return scale * w[0, 0]


def with_float64(w):
    return np.float64(w[0, 0]) * w[1, 1]


def add_at_plain(w):
    counts = np.zeros(3)
    np.add.at(counts, [0, 0, 2], w[0])
    return np.sum(counts ** 2)


def likelihood_with_scipy(w):
    return np.sum(scipy.stats.norm.logpdf(w, loc=0.5, scale=2.0))


def logsumexp_with_scipy(w):
    return scipy.special.logsumexp(w)


def conv_with_scipy(w):
    return np.sum(scipy.signal.convolve(w[0], w[1]))


def nuclear_norm_with_scipy(w):
    return np.sum(scipy.linalg.svd(w, compute_uv=False))       # a decorated SciPy function


def projection_with_scipy(w):
    return np.sum(scipy.linalg.qr(w.T)[0])                     # no drop-in: none is offered


def im2col_with_as_strided(w):
    # CS231n's conv_forward_strides: the windows of a padded image as a strided view of its memory
    padded = np.pad(w, 1)
    windows = np.lib.stride_tricks.as_strided(padded, shape=(2, 3, 2, 2), strides=padded.strides * 2)
    return np.sum(windows ** 2)


def contiguous_copy(w):
    columns = np.ascontiguousarray(w.T)
    return np.sum(columns[0] * columns[1])


def copy_into_plain(w):
    out = np.zeros(w.shape)
    np.copyto(out, w ** 2)
    return np.sum(out)


def vectorized(w):
    return np.sum(np.vectorize(lambda v: v * 2 if v > 0 else 0.0)(w))


# (function, the text on the line the error points at, what the message must say)
CASES = [
    (svm_loss_naive, "losses[i] = np.sum(margins)",
     r"stored into a plain NumPy array.*`out = np\.zeros_like\(x, shape=\.\.\.\)`.*import modes\.numpy as np"),
    (two_layer_scores, "X.dot(W1)", r"X\.dot\(W\) with a plain NumPy X.*Write `X @ W` or `np\.dot\(X, W\)`"),
    (mean_of_list, "np.mean(terms)", r"np\.mean of a Python list.*np\.mean\(np\.stack\(\[\.\.\.\]\)\).*modes\.numpy"),
    (norm_of_list, "np.linalg.norm", r"np\.linalg\.norm of a Python list.*np\.stack"),
    (array_of_list, "np.array([", r"np\.array or np\.asarray of a list.*np\.stack\(\[\.\.\.\]\).*modes\.numpy"),
    (with_math_exp, "math.exp", r"float\(\) of a differentiable value.*math\.exp.*np\.exp\(v\)"),
    (with_float, "float(np.sum(w))", r"float\(\) of a differentiable value.*Keep it in NumPy"),
    (with_float64, "np.float64", r"np\.float64\(\) of a differentiable value.*Keep it in NumPy"),
    (add_at_plain, "np.add.at", r"np\.add\.at\(out, index, v\).*plain array.*`out = np\.zeros_like\(v, shape=out\.shape\)`"),
    (likelihood_with_scipy, "scipy.stats.norm.logpdf",
     r"scipy\.stats\.norm\.logpdf turns .*drop-in instead: modes\.scipy\.stats\.norm\.logpdf \(from modes\.scipy import stats\)"),
    (logsumexp_with_scipy, "scipy.special.logsumexp", r"drop-in instead: modes\.scipy\.special\.logsumexp"),
    (conv_with_scipy, "scipy.signal.convolve", r"drop-in instead: modes\.scipy\.signal\.convolve"),
    (nuclear_norm_with_scipy, "scipy.linalg.svd",
     r"scipy\.linalg\.svd turns .*drop-in instead: modes\.scipy\.linalg\.svd \(from modes\.scipy import linalg\)"),
    (projection_with_scipy, "scipy.linalg.qr", r"scipy\.linalg\.qr turns .*fwdrev has no drop-in for it"),
    (im2col_with_as_strided, "as_strided(padded",
     r"np\.lib\.stride_tricks\.as_strided reads the memory of a differentiable value.*`import modes\.numpy as np`"),
    (copy_into_plain, "np.copyto",
     r"np\.copyto\(dst, src\) writes differentiable values into a plain array.*`out = np\.zeros_like\(v, shape=out\.shape\)`"),
    (vectorized, "np.vectorize", r"np\.vectorize calls your function on each element.*on the whole array"),
    (contiguous_copy, "np.ascontiguousarray",
     r"np\.ascontiguousarray reads the memory.*`import modes\.numpy as np`.*x\.copy\(\)"),
]


@pytest.mark.parametrize("engine", ENGINES, ids=["reverse", "forward"])
@pytest.mark.parametrize("function,line,says", CASES, ids=[case[0].__name__ for case in CASES])
def test_each_idiom_names_the_line_and_the_rewrite(engine, function, line, says):
    W = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]])
    X, y = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, 0.3]]), np.array([0, 2, 1])
    args = (W, X, y) if function is svm_loss_naive else (W.T, X) if function is two_layer_scores else (W,)
    with pytest.raises(LostDerivative) as error:
        engine(function)(*args)
    message = str(error.value)
    assert message.startswith(_line_of(function, line) + ": "), message
    assert re.search(says, message, re.S), message


def test_the_rewrites_differentiate():
    W, X, y = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]), np.array([[1.0, 2.0], [-1.0, 0.5]]), np.array([0, 2])
    expected = reverse.grad(lambda W: np.mean(np.sum(np.maximum(0, X @ W - (X @ W)[np.arange(2), y][:, None] + 1)
                                                     * (np.arange(3) != y[:, None]), axis=1)))(W)
    for engine in ENGINES:
        np.testing.assert_allclose(engine(svm_loss_naive_fixed)(W, X, y), expected, rtol=1e-12)
        np.testing.assert_allclose(engine(lambda W1: np.sum(np.maximum(0, X @ W1)))(W),
                                   X.T @ (X @ W > 0).astype(float), rtol=1e-12)   # d sum(relu(XW)) = X^T 1[XW > 0]
        np.testing.assert_allclose(engine(lambda w: np.mean(np.stack([np.sum(w[i] ** 2) for i in range(2)])))(W),
                                   W, rtol=1e-12)        # d mean(sum(w_i^2)) = 2 w / 2
        # contiguous_copy after x.copy(): d sum(w[:, 0] * w[:, 1]) is w's columns swapped
        np.testing.assert_allclose(engine(lambda w: np.sum(w.T.copy()[0] * w.T.copy()[1]))(W.T),
                                   W.T[:, ::-1], rtol=1e-12)


def test_numpys_own_message_for_a_stored_box_is_replaced_by_ours():
    # NumPy turns the error of a box stored into an array element into "setting an array element with a
    # sequence"; the engines give back ours
    with pytest.raises(LostDerivative, match="stored into a plain NumPy array"):
        reverse.grad(svm_loss_naive)(np.ones((2, 3)), np.ones((2, 2)), np.array([0, 1]))
