"""User ops registered with modes.defop work in both engines like built-ins."""

import numpy as np
import pytest

import modes
from modes import forward, reverse
from modes import ops


def test_elementwise_user_op_in_both_engines_and_nested():
    cube = modes.defop("test_cube", lambda x: x ** 3, partials=[lambda out, x: 3 * x ** 2],
                       jax=lambda x: x ** 3)
    assert forward.grad(cube)(2.0) == 12.0 and reverse.grad(cube)(2.0) == 12.0
    # the partial is written with registry ops, so it differentiates again: d2 x^3 = 6x
    assert forward.grad(reverse.grad(cube))(2.0) == 12.0 * 1.0 and reverse.grad(reverse.grad(cube))(1.5) == 9.0


def test_user_op_with_both_rules():
    # log-determinant of a symmetric positive-definite matrix: d logdet(A) = tr(A^-1 dA)
    def jvp(tangents, out, A):
        return ops.sum(ops.mul(np.linalg.inv(ops.strip(A)).T, tangents[0]))

    def vjp(cotangent, argnum, out, A):
        return ops.mul(cotangent, np.linalg.inv(ops.strip(A)).T)

    logdet = modes.defop("test_logdet", lambda A: np.linalg.slogdet(A)[1], jvp=jvp, vjp=vjp,
                         jax=lambda A: __import__("jax").numpy.linalg.slogdet(A)[1],
                         cost=lambda out, A: A.shape[0] ** 3)
    A = np.array([[2.0, 0.5], [0.5, 1.0]])
    f = lambda A: logdet(A) * 2.0
    np.testing.assert_allclose(reverse.grad(f)(A), 2 * np.linalg.inv(A).T, rtol=1e-12)
    np.testing.assert_allclose(forward.grad(f)(A), 2 * np.linalg.inv(A).T, rtol=1e-12)


def test_defop_refuses_built_in_names_and_missing_rules():
    with pytest.raises(ValueError, match="built-in"):
        modes.defop("exp", np.exp, partials=[lambda out, x: out])
    with pytest.raises(ValueError, match="both"):
        modes.defop("test_half", lambda x: x / 2, jvp=lambda t, out, x: t[0] / 2)
