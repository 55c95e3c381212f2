"""Drop-in for scipy.stats: `import modes.scipy.stats as stats`, then
`stats.norm.logpdf(x, loc, scale)` as with SciPy.

scipy.stats's distributions are Python objects that call np.asarray on their
arguments, which a box refuses. Here each is an object with SciPy's method
names and signatures, written in plain NumPy and scipy.special functions on
the standardized variable z = (x - loc) / scale, so that every parameter is
differentiable (loc, scale and shapes alike):
    logpdf(x) = logpdf_std(z) - log(scale),  cdf(x) = cdf_std(z).
The cdfs of gamma, chi2, beta and t are incomplete gamma/beta functions,
differentiated in x, loc and scale; in the shape parameters fwdrev refuses
them (UnsupportedFunction), as it does for scipy.special.gammainc in a.

Outside the support, logpdf is -inf, cdf 0 and sf 1, as SciPy's; the
derivatives there are 0.
"""

import math

import numpy as np
import scipy.special as sc

from .. import ops
from ..registry import Box, strip

__all__ = ["norm", "t", "gamma", "chi2", "beta", "poisson", "multivariate_normal", "dirichlet"]

LOG_2PI = math.log(2.0 * math.pi)


def _inside(mask, value, outside):
    """value where mask holds, `outside` elsewhere (mask: plain booleans)."""
    return value if np.all(mask) else np.where(mask, value, outside)


def _safe(mask, z, inside_value):
    """z where mask holds, a harmless point of the support elsewhere (so no
    nan is computed where the result is replaced anyway)."""
    return z if np.all(mask) else np.where(mask, z, inside_value)


class _Continuous:
    """A location-scale family: subclasses give the standardized log density
    and cdf (and sf where 1 - cdf loses accuracy), on the support, and their
    shape parameters' names (SciPy's order: shapes, then loc, then scale)."""

    shapes = ()
    support = (-np.inf, np.inf)
    inside_point = 0.0        # a point of the support (see _safe)

    def _arguments(self, method, args, kwargs):
        """SciPy's (x, *shapes, loc=0, scale=1), given by position or by name."""
        names = ("x",) + self.shapes + ("loc", "scale")
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__[1:].lower()}.{method} takes at most {len(names)} arguments "
                            f"({', '.join(names)}), got {len(args)}")
        given = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in names or key in given:
                raise TypeError(f"{type(self).__name__[1:].lower()}.{method}: unexpected or repeated argument {key!r}")
            given[key] = value
        missing = [name for name in names[:-2] if name not in given]
        if missing:
            raise TypeError(f"{type(self).__name__[1:].lower()}.{method} needs {', '.join(missing)}")
        x, loc, scale = given["x"], given.get("loc", 0.0), given.get("scale", 1.0)
        z = (x - loc) / scale
        low, high = self.support
        plain = strip(z)
        inside = np.logical_and(plain > low, plain < high) if np.isfinite(low) or np.isfinite(high) else True
        below = plain <= low
        return _safe(inside, z, self.inside_point), [given[name] for name in self.shapes], scale, inside, below

    def logpdf(self, *args, **kwargs):
        z, shapes, scale, inside, _ = self._arguments("logpdf", args, kwargs)
        return _inside(inside, self._logpdf(z, *shapes) - np.log(scale), -np.inf)

    def pdf(self, *args, **kwargs):
        return np.exp(self.logpdf(*args, **kwargs))

    def cdf(self, *args, **kwargs):
        z, shapes, _, inside, below = self._arguments("cdf", args, kwargs)
        return _inside(inside, self._cdf(z, *shapes), np.where(below, 0.0, 1.0))

    def sf(self, *args, **kwargs):
        z, shapes, _, inside, below = self._arguments("sf", args, kwargs)
        return _inside(inside, self._sf(z, *shapes), np.where(below, 1.0, 0.0))

    def logcdf(self, *args, **kwargs):
        with np.errstate(divide="ignore"):
            return np.log(self.cdf(*args, **kwargs))

    def logsf(self, *args, **kwargs):
        with np.errstate(divide="ignore"):
            return np.log(self.sf(*args, **kwargs))

    def _sf(self, z, *shapes):
        return 1.0 - self._cdf(z, *shapes)


class _Norm(_Continuous):
    """scipy.stats.norm: logpdf(x, loc=0, scale=1), ..., ppf(q, loc, scale)."""

    def _logpdf(self, z):
        return -0.5 * z * z - 0.5 * LOG_2PI                 # log phi(z)

    def _cdf(self, z):
        return sc.ndtr(z)

    def _sf(self, z):
        return sc.ndtr(-z)                                   # Phi(-z): no cancellation in the right tail

    def logcdf(self, *args, **kwargs):
        z = self._arguments("logcdf", args, kwargs)[0]
        return sc.log_ndtr(z)                                # no log of an underflowed cdf

    def logsf(self, *args, **kwargs):
        z = self._arguments("logsf", args, kwargs)[0]
        return sc.log_ndtr(-z)

    def ppf(self, q, loc=0.0, scale=1.0):
        return loc + scale * sc.ndtri(q)


class _T(_Continuous):
    """scipy.stats.t: logpdf(x, df, loc=0, scale=1), ..."""

    shapes = ("df",)

    def _logpdf(self, z, df):
        return (sc.gammaln(0.5 * (df + 1.0)) - sc.gammaln(0.5 * df) - 0.5 * np.log(math.pi * df)
                - 0.5 * (df + 1.0) * np.log1p(z * z / df))

    def _cdf(self, z, df):
        return sc.stdtr(df, z)

    def _sf(self, z, df):
        return sc.stdtr(df, -z)                              # symmetric


class _Gamma(_Continuous):
    """scipy.stats.gamma: logpdf(x, a, loc=0, scale=1), ..."""

    shapes = ("a",)
    support, inside_point = (0.0, np.inf), 1.0

    def _logpdf(self, z, a):
        return sc.xlogy(a - 1.0, z) - z - sc.gammaln(a)

    def _cdf(self, z, a):
        return sc.gammainc(a, z)

    def _sf(self, z, a):
        return sc.gammaincc(a, z)


class _Chi2(_Continuous):
    """scipy.stats.chi2: logpdf(x, df, loc=0, scale=1), ...: gamma(df/2, scale 2)."""

    shapes = ("df",)
    support, inside_point = (0.0, np.inf), 1.0

    def _logpdf(self, z, df):
        return sc.xlogy(0.5 * df - 1.0, z) - 0.5 * z - 0.5 * df * math.log(2.0) - sc.gammaln(0.5 * df)

    def _cdf(self, z, df):
        return sc.gammainc(0.5 * df, 0.5 * z)

    def _sf(self, z, df):
        return sc.gammaincc(0.5 * df, 0.5 * z)


class _Beta(_Continuous):
    """scipy.stats.beta: logpdf(x, a, b, loc=0, scale=1), ..."""

    shapes = ("a", "b")
    support, inside_point = (0.0, 1.0), 0.5

    def _logpdf(self, z, a, b):
        return sc.xlogy(a - 1.0, z) + sc.xlog1py(b - 1.0, -z) - sc.betaln(a, b)

    def _cdf(self, z, a, b):
        return sc.betainc(a, b, z)


class _Poisson:
    """scipy.stats.poisson: logpmf(k, mu, loc=0), pmf, cdf, logcdf, sf, logsf;
    differentiable in mu (k is a count)."""

    def _count(self, k, loc):
        if isinstance(k, Box) or isinstance(loc, Box):
            raise TypeError("poisson: k and loc are integers (counts): they have no derivative; pass plain values")
        return np.asarray(k, dtype=np.float64) - loc

    def logpmf(self, k, mu, loc=0):
        k = self._count(k, loc)
        valid = np.logical_and(k >= 0, k == np.floor(k))
        k = _safe(valid, k, 0.0)
        return _inside(valid, sc.xlogy(k, mu) - mu - sc.gammaln(k + 1.0), -np.inf)

    def pmf(self, k, mu, loc=0):
        return np.exp(self.logpmf(k, mu, loc))

    def cdf(self, k, mu, loc=0):
        # P(K <= k) = Q(floor(k) + 1, mu), the regularized upper incomplete gamma function
        k = np.floor(self._count(k, loc))
        return _inside(k >= 0, sc.gammaincc(np.maximum(k, 0.0) + 1.0, mu), 0.0)

    def sf(self, k, mu, loc=0):
        k = np.floor(self._count(k, loc))
        return _inside(k >= 0, sc.gammainc(np.maximum(k, 0.0) + 1.0, mu), 1.0)

    def logcdf(self, k, mu, loc=0):
        with np.errstate(divide="ignore"):
            return np.log(self.cdf(k, mu, loc))

    def logsf(self, k, mu, loc=0):
        with np.errstate(divide="ignore"):
            return np.log(self.sf(k, mu, loc))


class _MultivariateNormal:
    """scipy.stats.multivariate_normal: logpdf(x, mean=None, cov=1), pdf;
    x of shape (d,) or (n, d), cov a number, a diagonal (d,) or a matrix,
    each differentiable. The density is computed as written,
        log N(x; m, C) = -(d log 2 pi + log|det C| + r^T C^{-1} r) / 2,  r = x - m,
    with np.linalg.slogdet and np.linalg.solve (LU) for every cov, plain or
    not: so the function finite differences perturb (C off the symmetric
    matrices too) is the one differentiated."""

    def logpdf(self, x, mean=None, cov=1.0, allow_singular=False):
        if allow_singular:
            raise NotImplementedError("multivariate_normal(allow_singular=True) is not supported by fwdrev")
        d = np.shape(strip(x))[-1] if np.ndim(strip(x)) else 1
        residual = x if mean is None else x - mean
        if np.ndim(strip(cov)) == 0:
            cov = cov * np.eye(d)
        elif np.ndim(strip(cov)) == 1:
            cov = ops.mul(ops.reshape(cov, (-1, 1)), np.eye(d))          # diag(cov)
        elif np.ndim(strip(cov)) != 2:
            raise ValueError("multivariate_normal: cov must be a number, a vector or a d x d matrix")
        logdet = np.linalg.slogdet(cov)[1]
        columns = np.ndim(strip(residual)) == 2
        solved = np.linalg.solve(cov, ops.transpose(residual) if columns else residual)
        if columns:
            solved = ops.transpose(solved)
        maha = np.sum(residual * solved, axis=-1)
        return -0.5 * (d * LOG_2PI + logdet + maha)

    def pdf(self, x, mean=None, cov=1.0, allow_singular=False):
        return np.exp(self.logpdf(x, mean, cov, allow_singular))


class _Dirichlet:
    """scipy.stats.dirichlet: logpdf(x, alpha), pdf; x of shape (K,) or (K, n)
    (SciPy's layout: the components along the first axis)."""

    def logpdf(self, x, alpha):
        log_norm = np.sum(sc.gammaln(alpha)) - sc.gammaln(np.sum(alpha))
        terms = sc.xlogy(alpha - 1.0, x) if np.ndim(strip(x)) == 1 else \
            sc.xlogy(ops.reshape(alpha - 1.0, (-1, 1)), x)
        return np.sum(terms, axis=0) - log_norm

    def pdf(self, x, alpha):
        return np.exp(self.logpdf(x, alpha))


norm, t, gamma, chi2, beta = _Norm(), _T(), _Gamma(), _Chi2(), _Beta()
poisson, multivariate_normal, dirichlet = _Poisson(), _MultivariateNormal(), _Dirichlet()
