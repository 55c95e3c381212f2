"""GradBench's `kmeans`: the cost sum_i min_j |C_j - P_i|^2 over points P and
centroids C, and `dir` = J / diag(H): the cost's gradient in C divided
elementwise by its Hessian's diagonal (the Hessian is diagonal, so diag(H) =
H 1: one forward-mode pass over the gradient, forward-over-reverse in reverse
mode, forward-over-forward in forward mode). Squared distances as
|P|^2 + |C|^2 - 2 P.C, as GradBench's JAX and PyTorch tools compute them.
"""

import numpy as np

from modes import forward

from . import Function, to_float, to_list


def cost(points, centroids):
    points_squared = np.sum(points ** 2, axis=1)[None, :]          # (1, n)
    centroids_squared = np.sum(centroids ** 2, axis=1)[:, None]    # (k, 1)
    distances = points_squared + centroids_squared - 2 * (centroids @ points.T)   # (k, n)
    return np.sum(np.min(distances, axis=0))


def prepare(input):
    return (np.asarray(input["points"], dtype=float), np.asarray(input["centroids"], dtype=float))


def functions(d):
    def direction(points, centroids):
        gradient = d.grad(lambda c: cost(points, c))
        J, H_diagonal = forward.jvp(gradient, (centroids,), (np.ones_like(centroids),))
        return J / H_diagonal
    return {"cost": Function(prepare, cost, to_float),
            "dir": Function(prepare, direction, to_list)}
