"""GradBench's `gmm` (from ADBench): the log-posterior of a Gaussian mixture,

    sum_i logsumexp_k(alpha_k + sum(q_k) - |Q_k (x_i - mu_k)|^2 / 2)
      - n logsumexp(alpha) - n d log(2 pi) / 2 + log Wishart prior,

where Q_k is lower triangular with diagonal exp(q_k) and strictly lower part
l_k (packed column by column: (1,0), (2,0), ..., (d-1,0), (2,1), ...), and the
prior is -sum_k (gamma^2 / 2 (|exp(q_k)|^2 + |l_k|^2) - m sum(q_k))
+ k (n' d log(gamma / sqrt 2) - log Gamma_d(n' / 2)) with n' = d + m + 1.
`jacobian` is the gradient with respect to alpha, mu, q and l.
"""

import functools
import math

import numpy as np
from scipy.special import multigammaln

from . import Function, to_float, to_list


def logsumexp(v, axis=None):
    a = np.max(v, axis=axis, keepdims=True)
    return np.squeeze(a, axis=axis) + np.log(np.sum(np.exp(v - a), axis=axis))


@functools.lru_cache(maxsize=16)
def _lower_index(d):
    """index[row, col] = 1 + the position of L[row, col] in the packed l, for
    row > col; 0 (a zero column prepended to l) on and above the diagonal."""
    index = np.zeros((d, d), dtype=np.intp)
    position = 1
    for col in range(d):
        for row in range(col + 1, d):
            index[row, col] = position
            position += 1
    return index


def log_wishart_prior(q, l, m, gamma):
    k, d = q.shape
    n = d + m + 1
    frobenius = np.sum(np.exp(q) ** 2, axis=1) + np.sum(l ** 2, axis=1)
    out = np.sum(0.5 * gamma * gamma * frobenius - m * np.sum(q, axis=1))
    C = n * d * math.log(gamma / math.sqrt(2)) - multigammaln(0.5 * n, d)
    return k * C - out


def gmm_objective(alpha, mu, q, l, x, m, gamma):
    n, d = x.shape
    k = alpha.shape[0]
    Ls = np.concatenate([np.zeros((k, 1)), l], axis=1)[:, _lower_index(d)]     # (k, d, d)
    centred = x[:, None, :] - mu[None, :, :]                                     # (n, k, d)
    Q_centred = np.exp(q) * centred + np.einsum("kij,nkj->nki", Ls, centred)
    inner = alpha + np.sum(q, axis=1) - 0.5 * np.sum(Q_centred ** 2, axis=2)    # (n, k)
    return (-0.5 * n * d * math.log(2 * math.pi) + np.sum(logsumexp(inner, axis=1))
            - n * logsumexp(alpha) + log_wishart_prior(q, l, m, gamma))


def prepare(input):
    d, k = int(input["d"]), int(input["k"])
    arrays = [np.asarray(input[key], dtype=float) for key in ("alpha", "mu", "q", "l", "x")]
    alpha, mu, q, l, x = arrays
    return (alpha.reshape(k), mu.reshape(k, d), q.reshape(k, d), l.reshape(k, d * (d - 1) // 2),
            x.reshape(-1, d), int(input["m"]), float(input["gamma"]))


def _as_dict(gradients):
    return dict(zip(("alpha", "mu", "q", "l"), (to_list(g) for g in gradients)))


def functions(d):
    return {"objective": Function(prepare, gmm_objective, to_float),
            "jacobian": Function(prepare, d.grad(gmm_objective, argnums=(0, 1, 2, 3)), _as_dict)}
