"""Validation of fwdrev's derivatives: finite differences, the JAX bridge,
the adjoint test, and checks of hand-written gradients.

    from comparisons import check_grads, check_gradient, check_backward
    from comparisons import check_value_and_grad, check_model

JAX is imported only when a check needs it, never by `import comparisons`.
"""

from .check import PrecisionWarning, check_grads  # noqa: F401
from .handwritten import check_backward, check_gradient, check_model, check_value_and_grad  # noqa: F401
from .result import CheckResult, FDCoverage, GradientCheckError, Worst  # noqa: F401
from .user_state import UserStateWarning  # noqa: F401

__all__ = ["check_grads", "check_gradient", "check_backward", "check_value_and_grad", "check_model",
           "CheckResult", "FDCoverage", "Worst", "GradientCheckError", "PrecisionWarning", "UserStateWarning"]
