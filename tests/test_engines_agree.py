"""Forward and reverse mode agree on every registry op and on composite
functions: Jacobians from both engines, generated from the registry."""

import numpy as np
import pytest

from modes import forward, reverse
from modes.registry import REGISTRY
from test_registry import _argnums, case_ids, cases, realified


@pytest.mark.parametrize("name,k", case_ids())
def test_forward_and_reverse_jacobians_agree_on_each_op(name, k):
    op = REGISTRY[name]
    args, params = cases(op)[k]
    f, args, argnums = realified(op, args, params, tuple(_argnums(op, args)))
    jac_forward = forward.jacobian(f, argnums=argnums)(*args)
    jac_reverse = reverse.jacobian(f, argnums=argnums)(*args)
    for a, b in zip(jac_forward, jac_reverse):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def _composite(x, W, b):
    h = np.maximum(0, W @ x + b)
    s = np.exp(h - np.max(h))
    return np.concatenate([s / np.sum(s), np.cumsum(x[[0, 2, 2]]) * np.linalg.norm(x)])


@pytest.mark.parametrize("chunk", [1, 2, None])
def test_engines_agree_on_a_composite_function(chunk):
    rng = np.random.default_rng(0)
    x, W, b = rng.normal(size=4), rng.normal(size=(5, 4)), rng.normal(size=5)
    jac_forward = forward.jacobian(_composite, argnums=(0, 1, 2), chunk=chunk)(x, W, b)
    jac_reverse = reverse.jacobian(_composite, argnums=(0, 1, 2), chunk=chunk)(x, W, b)
    for a, b_ in zip(jac_forward, jac_reverse):
        np.testing.assert_allclose(a, b_, rtol=1e-10, atol=1e-12)
    assert jac_forward[1].shape == (8, 5, 4)
