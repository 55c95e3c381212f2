"""GradBench's `ht` (hand tracking, from ADBench): a skinned hand model posed by
26 parameters theta, and the residuals between observed points and the model.

theta = global rotation (angle-axis, 3), global translation (3), then 4 per
finger for 5 fingers; they fill the pose parameters, one row of 3 per bone
after rows for global rotation, scale (ones) and translation: finger f's
first bone gets (theta, theta, 0), its next two (theta, 0, 0); the wrist's two
rows and each finger's last row stay 0. Bone b's posed relative transform is
base_relatives[b] with its rotation block times R(pose[3 + b]), the Euler
angles (x, z, y) composed as Rz Ry Rx; absolutes follow the parents (parents
come first); vertex v is sum_b weights[v, b] (absolute_b
inverse_base_absolute_b base_position_v)[:3], x negated if mirrored, then
rotated by the global angle-axis (identity below norm 1e-4), scaled and
translated.

`objective`: points[i] - vertex[correspondences[i]] (simple), or, when `us`
is given (complicated), points[i] minus the point u0 a + u1 b + (1 - u0 - u1) c
of triangle correspondences[i] = (a, b, c); 3 per point, flattened.
`jacobian`: d residuals / d theta (3 npts x 26); complicated: two columns
d / d(u0, u1) of each point's own us first (the us part is block diagonal,
one 3 x 2 block per point), then the 26 of theta.
"""

import functools
from typing import NamedTuple

import numpy as np

from . import Function, to_list

FINGERS = 5


class Model(NamedTuple):
    parents: tuple                  # parent bone of each bone, -1 for a root; parents precede children
    base_relatives: np.ndarray      # (bones, 4, 4)
    inverse_base_absolutes: np.ndarray
    base_positions: np.ndarray      # (vertices, 4), homogeneous
    weights: np.ndarray             # (vertices, bones)
    triangles: np.ndarray           # (triangles, 3) vertex indices
    is_mirrored: bool


@functools.lru_cache(maxsize=8)
def _pose_index(bones):
    """index into [theta..., 1, 0] of every entry of the (bones + 3, 3) pose
    parameters: rows global rotation, scale, translation, then one per bone."""
    one, zero = 26, 27
    index = np.full((bones + 3, 3), zero, dtype=np.intp)
    index[0], index[1], index[2] = (0, 1, 2), one, (3, 4, 5)
    i_theta, row = 6, 5
    for _ in range(FINGERS):
        index[row, :2] = i_theta, i_theta + 1
        index[row + 1, 0], index[row + 2, 0] = i_theta + 2, i_theta + 3
        i_theta, row = i_theta + 4, row + 4
    return index


def pose_parameters(theta, bones):
    return np.concatenate([theta, np.array([1.0, 0.0])])[_pose_index(bones)]


def euler_rotations(angles):
    """(bones, 3, 3): Rz Ry Rx for angles (x, z, y) per row."""
    tx, tz, ty = angles[:, 0], angles[:, 1], angles[:, 2]
    one, zero = np.ones(len(angles)), np.zeros(len(angles))
    matrix = lambda rows: np.stack([np.stack(row, axis=-1) for row in rows], axis=-2)
    Rx = matrix([(one, zero, zero), (zero, np.cos(tx), -np.sin(tx)), (zero, np.sin(tx), np.cos(tx))])
    Ry = matrix([(np.cos(ty), zero, np.sin(ty)), (zero, one, zero), (-np.sin(ty), zero, np.cos(ty))])
    Rz = matrix([(np.cos(tz), -np.sin(tz), zero), (np.sin(tz), np.cos(tz), zero), (zero, zero, one)])
    return Rz @ Ry @ Rx


def angle_axis_rotation(angle_axis):
    norm = np.sqrt(np.sum(angle_axis ** 2))
    if norm < 1e-4:
        return np.eye(3)
    x, y, z = angle_axis[0] / norm, angle_axis[1] / norm, angle_axis[2] / norm
    s, c = np.sin(norm), np.cos(norm)
    return np.stack([np.stack([x * x + (1 - x * x) * c, x * y * (1 - c) - z * s, x * z * (1 - c) + y * s]),
                     np.stack([x * y * (1 - c) + z * s, y * y + (1 - y * y) * c, y * z * (1 - c) - x * s]),
                     np.stack([x * z * (1 - c) - y * s, z * y * (1 - c) + x * s, z * z + (1 - z * z) * c])])


def vertex_positions(theta, model):
    bones = len(model.parents)
    pose = pose_parameters(theta, bones)
    # relative = base_relative [[R, 0], [0, 1]]: its first three columns times R, the last kept
    relatives = np.concatenate([model.base_relatives[:, :, :3] @ euler_rotations(pose[3:]),
                                model.base_relatives[:, :, 3:]], axis=2)
    absolutes = []
    for bone, parent in enumerate(model.parents):
        absolutes.append(relatives[bone] if parent == -1 else absolutes[parent] @ relatives[bone])
    transforms = (np.stack(absolutes) @ model.inverse_base_absolutes)[:, :3, :]     # (bones, 3, 4)
    per_bone = np.einsum("bij,vj->vbi", transforms, model.base_positions)           # (vertices, bones, 3)
    positions = np.einsum("vb,vbi->vi", model.weights, per_bone)
    if model.is_mirrored:
        positions = positions * np.array([-1.0, 1.0, 1.0])
    R = angle_axis_rotation(pose[0]) * pose[1]        # columns scaled
    return positions @ R.T + pose[2]


def surface_points(us, positions, model, correspondences):
    a, b, c = (positions[model.triangles[correspondences, j]] for j in range(3))
    u0, u1 = us[:, 0:1], us[:, 1:2]
    return u0 * a + u1 * b + (1.0 - u0 - u1) * c


def objective(theta, us, model, correspondences, points):
    positions = vertex_positions(theta, model)
    if us is None:
        return np.ravel(points - positions[correspondences])
    return np.ravel(points - surface_points(us, positions, model, correspondences))


def jacobian(d, theta, us, model, correspondences, points):
    J_theta = d.jacobian(objective)(theta, us, model, correspondences, points)            # (3 npts, 26)
    if us is None:
        return J_theta
    positions = vertex_positions(theta, model)           # constants for the us part
    J_us = d.per_item_jacobian(lambda u: points - surface_points(u, positions, model, correspondences))(us)
    return np.concatenate([np.reshape(J_us, (-1, 2)), J_theta], axis=1)                   # (npts, 3, 2) rows


def prepare(input):
    data, model = input["data"], input["data"]["model"]
    us = np.asarray(input.get("us") or [], dtype=float)
    return (np.asarray(input["theta"], dtype=float), us.reshape(-1, 2) if us.size else None,
            Model(tuple(int(p) for p in model["parents"]), np.asarray(model["base_relatives"], dtype=float),
                  np.asarray(model["inverse_base_absolutes"], dtype=float),
                  np.asarray(model["base_positions"], dtype=float), np.asarray(model["weights"], dtype=float),
                  np.asarray(model["triangles"], dtype=np.intp), bool(model["is_mirrored"])),
            np.asarray(data["correspondences"], dtype=np.intp), np.asarray(data["points"], dtype=float))


def functions(d):
    return {"objective": Function(prepare, objective, to_list),
            "jacobian": Function(prepare, lambda *args: jacobian(d, *args), to_list)}
