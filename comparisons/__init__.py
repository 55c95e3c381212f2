"""Validation of fwdrev's derivatives: finite differences, the JAX bridge,
the adjoint test, and checks of hand-written gradients.

    from comparisons import check_grads, check_gradient, check_backward

JAX is imported only when a check needs it, never by `import comparisons`.
"""

from .check import PrecisionWarning, check_backward, check_gradient, check_grads  # noqa: F401
from .result import CheckResult, GradientCheckError, Worst  # noqa: F401

__all__ = ["check_grads", "check_gradient", "check_backward", "CheckResult", "Worst",
           "GradientCheckError", "PrecisionWarning"]
