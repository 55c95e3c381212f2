"""The error types and the user's location: the ground floor beside the
registry (every other module may import this one; it imports none of them).

Why a module of its own: the op families raise these errors, and the
dispatch layer that catches NumPy's calls raises them too; neither may
import the other.
"""

import os
import sys
import warnings


class UnsupportedFunction(TypeError):
    """A NumPy or SciPy function with no differentiation rule, or an option
    fwdrev's rule does not take: refused, never differentiated wrongly."""


class LostDerivative(TypeError):
    """A box handed to code that keeps only its value (stored into a plain
    NumPy array, X.dot(W) with a plain X, float(), math.exp, SciPy's Python
    functions): refused, with the user's line and the rewrite (idioms.py)."""


def qualified_name(function):
    """A NumPy or SciPy function as the user called it: 'numpy.linalg.inv',
    'scipy.special.erf' (SciPy's ufuncs carry no module: found by name)."""
    name = getattr(function, "__name__", repr(function))
    module = getattr(function, "__module__", None)
    if module is None and type(function).__name__ == "ufunc":
        import numpy
        if getattr(numpy, name, None) is function:
            return f"numpy.{name}"
        import scipy.special
        if getattr(scipy.special, name, None) is function:
            return f"scipy.special.{name}"
        module = "numpy"
    module = module or "numpy"
    # numpy's private modules (numpy._core.fromnumeric) are the public 'numpy'
    public = ".".join(part for part in module.split(".") if not part.startswith("_"))
    return f"{public}.{name}"


class EscapedValueWarning(UserWarning):
    """A box from a finished transformation was used again (kept in a dict,
    an attribute, a global): it is used as its plain value, a constant."""


PACKAGE = os.path.dirname(os.path.abspath(__file__))


def user_frame():
    """The innermost frame outside fwdrev and NumPy: the user's line that
    led here (for errors that say where, and which rewrite)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not (filename.startswith(PACKAGE) or f"{os.sep}numpy{os.sep}" in filename
                or f"{os.sep}scipy{os.sep}" in filename):
            return frame
        frame = frame.f_back
    return None


def user_location():
    """'file.py:12' of the user's line, or '' when there is none."""
    frame = user_frame()
    return "" if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


def warn_at_user(message, category):
    """A warning attributed to the user's line, not to fwdrev's internals."""
    frame = user_frame()
    if frame is None:
        warnings.warn(message, category, stacklevel=2)
    else:
        warnings.warn_explicit(message, category, frame.f_code.co_filename, frame.f_lineno,
                               module=frame.f_globals.get("__name__"), registry=frame.f_globals.setdefault(
                                   "__warningregistry__", {}))
