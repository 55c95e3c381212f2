"""GradBench's `ba` (bundle adjustment, from ADBench): n cameras, m points, p
observations. Observation i sees point obs[i, 1] from camera obs[i, 0], with
obs[i] = (i mod n, i mod m); the input gives one camera, point, weight and
feature, repeated n, m, p and p times.

A camera is (r, C, f, u0, v0, k1, k2): a Rodrigues rotation r, a centre C, a
focal length, a principal point and radial distortion. Projection:
Xcam = R(r) (X - C), q = Xcam[:2] / Xcam[2], distorted q (1 + k1 |q|^2 +
k2 |q|^4), times f, plus (u0, v0). The residuals: reproj_err[i] = w_i
(projection - feature_i) (2 per observation) and w_err[i] = 1 - w_i^2.

`jacobian` is the sparse (3p) x (11 n + 3 m + p) Jacobian in compressed rows:
rows 2i, 2i+1 hold observation i's 15 derivatives (its camera's 11, its
point's 3, its weight's 1), row 2p + i the weight error's. Each residual
depends on its own observation alone, so the blocks come from
Derivatives.per_item_jacobian: 15 forward directions or 2 backward rows for
all p observations at once.
"""

import numpy as np

from . import Function

CAMERA = 11      # parameters per camera: rotation 0:3, centre 3:6, focal 6, principal point 7:9, distortion 9:11
BLOCK = CAMERA + 3 + 1


def rodrigues_rotate(rotation, X):
    """R(r) X row by row: X cos t + (w x X) sin t + w (w . X)(1 - cos t) with
    t = |r|, w = r / t; X + r x X where r = 0 (the first-order formula there,
    as ADBench; the other branch is evaluated at a safe t so neither gives NaN)."""
    squared = np.sum(rotation ** 2, axis=1, keepdims=True)
    zero = squared == 0
    theta = np.sqrt(np.where(zero, 1.0, squared))
    w = rotation / theta
    cos, sin = np.cos(theta), np.sin(theta)
    rotated = X * cos + np.cross(w, X) * sin + w * (np.sum(w * X, axis=1, keepdims=True) * (1.0 - cos))
    return np.where(zero, X + np.cross(rotation, X), rotated)


def project(cams, X):
    Xcam = rodrigues_rotate(cams[:, 0:3], X - cams[:, 3:6])
    q = Xcam[:, :2] / Xcam[:, 2:3]
    r2 = np.sum(q ** 2, axis=1, keepdims=True)
    distortion = 1.0 + cams[:, 9:10] * r2 + cams[:, 10:11] * r2 * r2
    return q * distortion * cams[:, 6:7] + cams[:, 7:9]


def reprojection_error(cams, X, w, feats):
    """(p, 2): observation i's camera cams[i], point X[i], weight w[i]."""
    return w[:, None] * (project(cams, X) - feats)


def weight_error(w):
    return 1.0 - w ** 2


def observations(n, m, p):
    i = np.arange(p)
    return i % n, i % m


def objective(cams, X, w, feats, camera_of, point_of):
    return reprojection_error(cams[camera_of], X[point_of], w, feats), weight_error(w)


def sparse_jacobian(d, cams, X, w, feats, camera_of, point_of):
    """(rows, cols, vals) of the (3p) x (11 n + 3 m + p) Jacobian, compressed rows."""
    n, m, p = len(cams), len(X), len(w)
    J_cam, J_X, J_w = d.per_item_jacobian(reprojection_error, argnums=(0, 1, 2))(
        cams[camera_of], X[point_of], w, feats)                  # (p, 2, 11), (p, 2, 3), (p, 2)
    J_weight = d.per_item_jacobian(weight_error)(w)              # (p,): d(1 - w^2)/dw = -2 w
    reprojection_vals = np.concatenate([J_cam, J_X, J_w[:, :, None]], axis=2)         # (p, 2, 15)
    reprojection_cols = np.concatenate([CAMERA * camera_of[:, None] + np.arange(CAMERA),
                                        CAMERA * n + 3 * point_of[:, None] + np.arange(3),
                                        CAMERA * n + 3 * m + np.arange(p)[:, None]], axis=1)   # (p, 15)
    rows = np.concatenate([BLOCK * np.arange(2 * p + 1), BLOCK * 2 * p + np.arange(1, p + 1)])
    cols = np.concatenate([np.repeat(reprojection_cols, 2, axis=0).ravel(), CAMERA * n + 3 * m + np.arange(p)])
    vals = np.concatenate([np.ravel(reprojection_vals), np.ravel(J_weight)])
    return rows, cols, vals


def prepare(input):
    n, m, p = int(input["n"]), int(input["m"]), int(input["p"])
    camera_of, point_of = observations(n, m, p)
    return (np.tile(np.asarray(input["cam"], dtype=float), (n, 1)),
            np.tile(np.asarray(input["x"], dtype=float), (m, 1)),
            np.full(p, float(input["w"])), np.tile(np.asarray(input["feat"], dtype=float), (p, 1)),
            camera_of, point_of)


def objective_output(result):
    """As GradBench's reference tool answers: every observation's residuals are
    equal (the input repeats one camera, point, weight and feature), so the
    first pair and the count."""
    reprojection, weights = (np.asarray(r, dtype=float) for r in result)
    return {"reproj_error": {"elements": reprojection[0].tolist(), "repeated": len(reprojection)},
            "w_err": {"element": float(weights[0]), "repeated": len(weights)}}


def jacobian_output(result):
    """As GradBench's reference tool answers: the first observation's 30 entries
    of rows, cols and vals, and the last entry of each (the repeats between
    are identical)."""
    first = 2 * BLOCK
    return {key: np.concatenate([values[:first], values[-1:]]).tolist()
            for key, values in zip(("rows", "cols", "vals"), result)}


def functions(d):
    return {"objective": Function(prepare, objective, objective_output),
            "jacobian": Function(prepare, lambda *args: sparse_jacobian(d, *args), jacobian_output)}
