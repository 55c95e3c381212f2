"""Statistics: the NaN-ignoring reductions, weighted averages, ptp, the
quantile family (median, percentile, quantile and their nan- forms), cov
and corrcoef. No new ops: each lowers to reductions, where and gathers.

    nan-reductions: the reduction of where(isnan(x), identity, x)
                    (d/dx = 0 at the NaNs, the reduction's elsewhere)
    quantile:       sorted values at floor(p) and the next, mixed linearly by
                    p - floor(p) with p = q (n - 1): a gather (d/dx) and,
                    for a traced q, the slope between the two (d/dq)
"""

import numpy as np

from ..errors import UnsupportedFunction
from ..registry import Box, implements, shape_of, strip
from . import reductions
from .assembly import atleast_2d
from .elementwise import add, clip, floor, mul, sqrt, square, sub, truediv, where
from .linalg import matmul
from .reductions import cumprod, cumsum, normalize_axis
from .shape import (astype, broadcast_to, concatenate, diagonal, expand_dims, getitem, reshape, sort, squeeze,
                    transpose)


def _nan_mask(a):
    return np.isnan(strip(a))


def _filled(a, fill):
    """a with its NaNs replaced by `fill` (a constant there: no derivative)."""
    nans = _nan_mask(a)
    return where(nans, fill, a) if np.any(nans) else a


def _valid_count(a, axis, keepdims):
    """How many non-NaN elements each reduction sees (a constant)."""
    nans = _nan_mask(a)
    return np.add.reduce(~nans, axis=normalize_axis(axis, nans.ndim), keepdims=bool(keepdims)).astype(np.float64)


@implements(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return reductions.sum(_filled(a, 0.0), axis, dtype, out, keepdims, initial, where)


@implements(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return reductions.prod(_filled(a, 1.0), axis, dtype, out, keepdims, initial, where)


@implements(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """nansum / the count of non-NaN elements (NaN where there are none)."""
    if where is not None:
        raise UnsupportedFunction("numpy.nanmean with where= has no rule in fwdrev; use np.mean(x, where=...)")
    total = reductions.sum(_filled(a, 0.0), axis, dtype, out, keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        return truediv(total, _valid_count(a, axis, keepdims))


def _nan_extreme(extreme, fill):
    def reduce(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        """The extreme over the non-NaN elements; NaN where all are NaN."""
        result = extreme(_filled(a, fill), axis, out, keepdims, initial, where)
        none = _valid_count(a, axis, keepdims) == 0
        return where_nan(none, result)
    reduce.__name__ = "nan" + extreme.__name__
    return reduce


def where_nan(condition, result):
    return where(condition, np.nan, result) if np.any(condition) else result


nanmax = implements(np.nanmax)(_nan_extreme(reductions.max, -np.inf))
nanmin = implements(np.nanmin)(_nan_extreme(reductions.min, np.inf))


@implements(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
           correction=None):
    """sum((x - nanmean)^2 over non-NaN) / (count - ddof)."""
    if where is not None or mean is not None or correction is not None:
        raise UnsupportedFunction("numpy.nanvar with where=, mean= or correction= has no rule in fwdrev")
    if dtype is not None:
        a = astype(a, dtype)
    centered = _filled(sub(a, nanmean(a, axis, keepdims=True)), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return truediv(reductions.sum(square(centered), axis, None, out, keepdims),
                       np.maximum(_valid_count(a, axis, keepdims) - ddof, 0.0))


@implements(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
           correction=None):
    return sqrt(nanvar(a, axis, dtype, out, ddof, keepdims, where=where, mean=mean, correction=correction))


@implements(np.nancumsum)
def nancumsum(a, axis=None, dtype=None, out=None):
    return cumsum(_filled(a, 0.0), axis, dtype, out)


@implements(np.nancumprod)
def nancumprod(a, axis=None, dtype=None, out=None):
    return cumprod(_filled(a, 1.0), axis, dtype, out)


# --- averages and ranges -------------------------------------------------------------
@implements(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """sum(a w) / sum(w): differentiable in a and in the weights."""
    if weights is None:
        result = reductions.mean(a, axis, keepdims=keepdims)
        scale = np.float64(np.prod(shape_of(a)) / max(np.prod(np.shape(strip(result))), 1))
    else:
        ndim = len(shape_of(a))
        if shape_of(a) != shape_of(weights):
            if axis is None:
                raise TypeError("Axis must be specified when shapes of a and weights differ.")
            axes = normalize_axis(axis, ndim)
            if shape_of(weights) != tuple(shape_of(a)[i] for i in axes):
                raise ValueError("Shape of weights must be consistent with shape of a along specified axis.")
            # the weights along `axis`, size-1 elsewhere
            weights = reshape(weights, tuple(shape_of(a)[i] if i in axes else 1 for i in range(ndim)))
        scale = reductions.sum(broadcast_to(weights, np.broadcast_shapes(shape_of(weights), shape_of(a))),
                               axis, keepdims=keepdims)
        if np.any(strip(scale) == 0.0):
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        result = truediv(reductions.sum(mul(a, weights), axis, keepdims=keepdims), scale)
    if returned:
        return result, broadcast_to(scale, shape_of(result)) if shape_of(scale) != shape_of(result) else scale
    return result


@implements(np.ptp)
def ptp(a, axis=None, out=None, keepdims=False):
    """max - min (ties split as max and min split them)."""
    return sub(reductions.max(a, axis, out, keepdims), reductions.min(a, axis, out, keepdims))


# --- the quantile family ---------------------------------------------------------------
_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _quantile(a, q, axis, keepdims, method, ignore_nan, name):
    """The q-th quantiles along axis (q in [0, 1]; the q axes first, as
    NumPy). NaNs sort last; the nan- forms interpolate among the first
    `count` sorted values, the others return NaN for a slice with one."""
    if method not in _METHODS:
        raise UnsupportedFunction(f"numpy.{name}(method={method!r}) has no rule in fwdrev; use one of {_METHODS}")
    plain_q = np.asarray(strip(q), dtype=np.float64)
    q = q if isinstance(q, Box) else plain_q
    if np.any((plain_q < 0) | (plain_q > 1)):
        raise ValueError("Quantiles must be in the range [0, 1]")
    ndim = len(shape_of(a))
    axes = normalize_axis(axis, ndim)
    rest = [i for i in range(ndim) if i not in axes]
    rest_shape = tuple(shape_of(a)[i] for i in rest)
    moved = reshape(transpose(a, tuple(rest) + axes), rest_shape + (-1,))       # reduced axes merged last
    n = shape_of(moved)[-1]
    ordered = sort(moved, axis=-1)
    nans = np.isnan(strip(moved))
    count = (n - np.add.reduce(nans, axis=-1)) if ignore_nan else np.full(rest_shape, n)
    q_axes = plain_q.ndim
    count = count.reshape((1,) * q_axes + rest_shape).astype(np.float64)
    q_b = reshape(q, plain_q.shape + (1,) * len(rest_shape))           # q along its own axes
    position = mul(q_b, np.maximum(count - 1.0, 0.0))                       # q (n - 1)
    plain_position = np.asarray(strip(position), dtype=np.float64)
    last = np.maximum(count - 1, 0).astype(np.intp)
    low = np.minimum(np.floor(plain_position).astype(np.intp), last)
    high = np.minimum(low + 1, last)
    if method == "lower":
        high = low
    elif method == "higher":
        low = high = np.minimum(np.ceil(plain_position).astype(np.intp), last)
    elif method == "nearest":
        low = high = np.minimum(np.around(plain_position).astype(np.intp), last)
    grid = np.indices(rest_shape, sparse=True)
    values = [getitem(ordered, tuple(grid) + (i,)) for i in (low, high)]
    if method == "linear":
        fraction = sub(position, floor(position))                           # p - floor(p): d/dq = n - 1
        result = add(values[0], mul(fraction, sub(values[1], values[0])))
    elif method == "midpoint":
        high = np.minimum(np.ceil(plain_position).astype(np.intp), last)
        result = mul(0.5, add(values[0], getitem(ordered, tuple(grid) + (high,))))
    else:
        result = values[0]
    empty = count == 0 if ignore_nan else np.broadcast_to(nans.any(axis=-1), count.shape)
    result = where_nan(np.broadcast_to(empty, shape_of(result)), result)
    if keepdims:
        kept = list(plain_q.shape) + [1 if i in axes else shape_of(a)[i] for i in range(ndim)]
        result = reshape(result, tuple(kept))
    return result


def _quantile_function(name, scale, ignore_nan):
    def function(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
                 weights=None, interpolation=None):
        if out is not None or weights is not None or interpolation is not None:
            raise UnsupportedFunction(f"numpy.{name} with out=, weights= or interpolation= has no rule in "
                                      "fwdrev; use method=")
        return _quantile(a, q if scale == 1 else truediv(q, scale), axis, keepdims, method, ignore_nan, name)
    function.__name__ = name
    return function


quantile = implements(np.quantile)(_quantile_function("quantile", 1, False))
percentile = implements(np.percentile)(_quantile_function("percentile", 100.0, False))
nanquantile = implements(np.nanquantile)(_quantile_function("nanquantile", 1, True))
nanpercentile = implements(np.nanpercentile)(_quantile_function("nanpercentile", 100.0, True))


@implements(np.median)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The middle value, or the mean of the two middle ones."""
    return quantile(a, 0.5, axis, out, keepdims=keepdims)


@implements(np.nanmedian)
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return nanquantile(a, 0.5, axis, out, keepdims=keepdims)


# --- covariance ---------------------------------------------------------------------------
@implements(np.cov)
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *, dtype=None):
    """(X - mean) w (X - mean)^T / fact, NumPy's weights and normalization;
    differentiable in the data and in aweights."""
    X = atleast_2d(m)
    if not rowvar and shape_of(X)[0] != 1:
        X = transpose(X)
    if y is not None:
        Y = atleast_2d(y)
        if not rowvar and shape_of(Y)[0] != 1:
            Y = transpose(Y)
        X = concatenate([X, Y], axis=0)
    if dtype is not None:
        X = astype(X, dtype)
    ddof = (0 if bias else 1) if ddof is None else ddof
    w = None
    if fweights is not None:
        fweights = np.asarray(strip(fweights))
        if np.any(fweights < 0) or not np.all(fweights == np.around(fweights)):
            raise ValueError("fweights must be non-negative integers")
        w = fweights.astype(np.float64)
    if aweights is not None:
        if np.any(np.asarray(strip(aweights)) < 0):
            raise ValueError("aweights cannot be negative")
        w = aweights if w is None else mul(w, aweights)
    average_, w_sum = average(X, axis=1, weights=w, returned=True)
    if w is None:
        fact = float(shape_of(X)[1] - ddof)
    else:
        w_sum = w_sum[0] if shape_of(w_sum) else w_sum
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = sub(w_sum, ddof)
        else:
            fact = sub(w_sum, truediv(mul(ddof, reductions.sum(mul(w, aweights))), w_sum))
    centered = sub(X, expand_dims(average_, 1))
    weighted = centered if w is None else mul(centered, w)
    c = truediv(matmul(centered, transpose(weighted)), fact)
    return squeeze(c)


@implements(np.corrcoef)
def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """cov / sqrt(outer(diag, diag)), clipped to [-1, 1] as NumPy."""
    c = cov(x, y, rowvar, dtype=dtype)
    if shape_of(c) == ():
        return truediv(c, c)
    stddev = sqrt(diagonal(c))
    c = truediv(truediv(c, expand_dims(stddev, 1)), expand_dims(stddev, 0))
    return clip(c, -1.0, 1.0)
