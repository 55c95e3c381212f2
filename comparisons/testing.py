"""One-line gradient assertions for a user's own test suite.

    from comparisons.testing import assert_gradients_close
    assert_gradients_close(loss, W, X)                      # our engines vs JAX, FD, adjoint
    assert_gradients_close(loss, W, X, grad=my_grad_loss)   # a hand-written gradient

With pytest the `gradcheck` fixture (comparisons.pytest_plugin, installed
with fwdrev) does the same. A failure raises `GradientCheckError`, an
AssertionError whose message is the full report (which check, where, by how
much), so pytest shows it as it shows any failed assert.
"""

from .check import check_grads
from .handwritten import check_backward, check_gradient
from .result import GradientCheckError

__all__ = ["assert_gradients_close", "assert_backward_close", "GradCheck", "GradientCheckError"]


def assert_gradients_close(f, *args, grad=None, **options):
    """Assert that f's derivatives check out at args; returns the result.

    Without `grad`: `check_grads(f, args, **options)` (both engines against
    JAX, finite differences and each other; `order=2` for second
    derivatives). With `grad`: `check_gradient(f, grad, *args, **options)`.
    """
    if grad is None:
        result = check_grads(f, args, **options)
    else:
        result = check_gradient(f, grad, *args, **options)
    return result.raise_if_failed()


def assert_backward_close(forward, backward, *inputs, **options):
    """Assert that a CS231n-style backward pass checks out (`check_backward`)."""
    return check_backward(forward, backward, *inputs, **options).raise_if_failed()


class GradCheck:
    """What the `gradcheck` fixture hands a test:

        gradcheck(f, x, y)                     # assert_gradients_close
        gradcheck(f, x, grad=grad_f)           # a hand-written gradient
        gradcheck.backward(forward, backward, x, w, b)
    Options given to the constructor (seed, rtol, ...) apply to every call."""

    def __init__(self, **defaults):
        self.defaults = defaults

    def __call__(self, f, *args, **options):
        return assert_gradients_close(f, *args, **{**self.defaults, **options})

    def backward(self, forward, backward, *inputs, **options):
        return assert_backward_close(forward, backward, *inputs, **{**self.defaults, **options})
