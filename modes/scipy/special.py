"""Drop-in for scipy.special: `import modes.scipy.special as special`.

SciPy's ufuncs (erf, gammaln, ...) are scipy.special's own objects here: on a
box they reach the registry through `__array_ufunc__` (modes/ops/special.py).
What SciPy writes in Python (logsumexp, softmax, polygamma, multigammaln)
calls np.asarray on its arguments, which a box refuses; those are written
here with registry functions, under SciPy's names and signatures. Every
other name is scipy.special's own (module __getattr__).
"""

import math

import numpy as np
import scipy.special as _scipy_special

from .. import ops
from ..ops.special import polygamma  # noqa: F401  (SciPy's polygamma is Python-level)
from ..registry import Box, shape_of, strip


__all__ = ["logsumexp", "softmax", "log_softmax", "polygamma", "multigammaln"]


def __getattr__(name):
    return getattr(_scipy_special, name)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """log(sum(b * exp(a))) over `axis`, as scipy.special.logsumexp; with
    return_sign, (log|sum|, sign(sum)) (b may be negative)."""
    if b is None and not return_sign:
        return ops.logsumexp(a, axis=axis, keepdims=keepdims)
    if b is None:
        b = 1.0
    # where b == 0 a term is absent, whatever a is there (SciPy's convention)
    absent = np.equal(strip(b), 0)
    a = ops.where(absent, -np.inf, a) if np.any(absent) else a
    # a constant shift: the result does not depend on it, so neither do its derivatives
    shift = np.max(strip(a), axis=axis, keepdims=True) if np.size(strip(a)) else 0.0
    shift = np.where(np.isfinite(shift), shift, 0.0)
    total = ops.sum(ops.mul(b, ops.exp(ops.sub(a, shift))), axis=axis, keepdims=True)
    sign = np.sign(strip(total))
    if return_sign:
        magnitude = ops.absolute(total)
    else:
        magnitude = total     # log of a negative sum: nan, as SciPy
    with np.errstate(divide="ignore", invalid="ignore"):
        out = ops.add(ops.log(magnitude), shift)
    if not keepdims:
        axes = tuple(range(len(shape_of(out)))) if axis is None else axis
        out, sign = ops.squeeze(out, axes), np.squeeze(sign, axes)
    return (out, sign) if return_sign else out


def softmax(x, axis=None):
    """exp(x) / sum(exp(x)) over `axis` (SciPy's default: all of x)."""
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=None):
    """x - logsumexp(x) over `axis` (SciPy's default: all of x)."""
    return ops.sub(x, ops.logsumexp(x, axis=axis, keepdims=True))


def multigammaln(a, d):
    """log of the multivariate gamma function of dimension d:
    d(d-1)/4 log(pi) + sum_{j<d} gammaln(a - j/2)."""
    if isinstance(d, Box) or int(d) != d or d < 1:
        raise ValueError(f"multigammaln: d must be a positive integer (a plain number), got {d!r}")
    d = int(d)
    if np.any(np.less_equal(strip(a), 0.5 * (d - 1))):
        raise ValueError(f"multigammaln: a must be greater than (d - 1)/2 = {0.5 * (d - 1)} everywhere")
    total = d * (d - 1) / 4.0 * math.log(math.pi)
    for j in range(d):
        total = ops.add(total, ops.special.gammaln(ops.sub(a, 0.5 * j)))
    return total
