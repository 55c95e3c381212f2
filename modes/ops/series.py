"""Sequences and samples: differences, gradient, trapezoid, convolution and
correlation, polynomials, interpolation, and linspace/logspace/geomspace
with traced end points. No new ops: each lowers to slices, arithmetic,
matmul and gathers.

    diff(a)          = a[1:] - a[:-1]            (linear; its transpose the
                                                  negated difference, padded)
    correlate(a, v)[k] = sum_j a[j + k] v[j]     a window gather of a times v
                                                  (bilinear: matmul's rules)
    convolve(a, v)   = correlate(a, v[::-1])
    polyval(p, x)    = Horner: y = y x + p_i
    interp(x, xp, fp) = fp_i + (x - xp_i) (fp_{i+1} - fp_i) / (xp_{i+1} - xp_i)
                       on the interval i holding x (searchsorted on values)
    linspace(a, b)   = a + i (b - a) / div         (linear in a and b)
"""

import numpy as np

from ..errors import UnsupportedFunction
from ..registry import Box, implements, shape_of, strip
from . import reductions
from .assembly import vander
from .decompositions import lstsq
from .elementwise import add, log10, mul, neg, power, remainder, sub, truediv, where
from .linalg import matmul
from .shape import astype, axes_of, broadcast_to, concatenate, expand_dims, getitem, moveaxis, ravel, reshape


def _array(value):
    """A list or number as an array; a box as it is."""
    return value if isinstance(value, Box) else np.asarray(value)


def _along(axis, ndim, entry):
    return (slice(None),) * axis + (entry,) + (slice(None),) * (ndim - axis - 1)


# --- differences ---------------------------------------------------------------------
def _as_edge(value, shape, axis):
    """np.diff's prepend/append: a scalar becomes one slice along axis."""
    if len(shape_of(value)) == 0:
        return broadcast_to(value, tuple(1 if i == axis else n for i, n in enumerate(shape)))
    return value


@implements(np.diff)
def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    """The n-th difference along axis: a[1:] - a[:-1], n times."""
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n!r}")
    ndim = len(shape_of(a))
    if ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = axes_of(axis, ndim, "diff")[0]
    pieces = []
    if prepend is not np._NoValue:
        pieces.append(_as_edge(prepend, shape_of(a), axis))
    pieces.append(a)
    if append is not np._NoValue:
        pieces.append(_as_edge(append, shape_of(a), axis))
    if len(pieces) > 1:
        a = concatenate(pieces, axis=axis)
    for _ in range(n):
        a = sub(getitem(a, _along(axis, ndim, slice(1, None))), getitem(a, _along(axis, ndim, slice(None, -1))))
    return a


@implements(np.ediff1d)
def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of the raveled array, with to_begin and to_end around them."""
    pieces = [ravel(_array(v)) for v in (to_begin,) if v is not None]
    pieces.append(diff(ravel(ary)))
    pieces += [ravel(_array(v)) for v in (to_end,) if v is not None]
    return concatenate(pieces) if len(pieces) > 1 else pieces[0]


def _gradient_along(f, axis, spacing, edge_order):
    """np.gradient along one axis: central differences inside (second order,
    for uneven spacing too), one-sided differences of edge_order at the ends.
    `spacing` is a scalar step or the coordinates along the axis."""
    ndim, n = len(shape_of(f)), shape_of(f)[axis]
    if n < edge_order + 1:
        raise ValueError("Shape of array too small to calculate a numerical gradient, "
                         "at least (edge_order + 1) elements are required.")

    def part(start, stop=None):
        return getitem(f, _along(axis, ndim, slice(start, stop)))

    def along(coefficient):          # 1-D coefficients broadcast along `axis`
        if len(shape_of(coefficient)) == 0:
            return coefficient
        return reshape(coefficient, (-1,) + (1,) * (ndim - axis - 1))

    if len(shape_of(spacing)) == 0:
        h = spacing
        inside = truediv(sub(part(2), part(0, -2)), mul(2.0, h))
        if edge_order == 1:
            first = truediv(sub(part(1, 2), part(0, 1)), h)
            last = truediv(sub(part(-1), part(-2, -1)), h)
        else:
            first = truediv(add(add(mul(-1.5, part(0, 1)), mul(2.0, part(1, 2))), mul(-0.5, part(2, 3))), h)
            last = truediv(add(add(mul(0.5, part(-3, -2)), mul(-2.0, part(-2, -1))), mul(1.5, part(-1))), h)
        return concatenate([first, inside, last], axis=axis)
    if shape_of(spacing) != (n,):
        raise ValueError("when 1d, distances must match the length of the corresponding dimension")
    dx = diff(spacing)
    dx1, dx2 = getitem(dx, slice(None, -1)), getitem(dx, slice(1, None))
    a = truediv(neg(dx2), mul(dx1, add(dx1, dx2)))
    b = truediv(sub(dx2, dx1), mul(dx1, dx2))
    c = truediv(dx1, mul(dx2, add(dx1, dx2)))
    inside = add(add(mul(along(a), part(0, -2)), mul(along(b), part(1, -1))), mul(along(c), part(2)))
    d = [getitem(dx, i) for i in (0, 1, -2, -1)]
    if edge_order == 1:
        first = truediv(sub(part(1, 2), part(0, 1)), d[0])
        last = truediv(sub(part(-1), part(-2, -1)), d[3])
    else:
        dx1, dx2 = d[0], d[1]
        a = neg(truediv(add(mul(2.0, dx1), dx2), mul(dx1, add(dx1, dx2))))
        b = truediv(add(dx1, dx2), mul(dx1, dx2))
        c = neg(truediv(dx1, mul(dx2, add(dx1, dx2))))
        first = add(add(mul(a, part(0, 1)), mul(b, part(1, 2))), mul(c, part(2, 3)))
        dx1, dx2 = d[2], d[3]
        a = truediv(dx2, mul(dx1, add(dx1, dx2)))
        b = neg(truediv(add(dx2, dx1), mul(dx1, dx2)))
        c = truediv(add(mul(2.0, dx2), dx1), mul(dx2, add(dx1, dx2)))
        last = add(add(mul(a, part(-3, -2)), mul(b, part(-2, -1))), mul(c, part(-1)))
    return concatenate([first, inside, last], axis=axis)


@implements(np.gradient)
def gradient(f, *varargs, axis=None, edge_order=1):
    """NumPy's finite-difference gradient (linear in f; differentiable in
    the spacings too)."""
    ndim = len(shape_of(f))
    axes = list(range(ndim)) if axis is None else axes_of(axis, ndim, "gradient")
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    if len(varargs) == 0:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1 and len(shape_of(varargs[0])) == 0:
        spacings = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        spacings = [_array(h) for h in varargs]
    else:
        raise TypeError("invalid number of arguments")
    if np.result_type(strip(f)).kind not in "fc":
        f = astype(f, np.float64)
    out = tuple(_gradient_along(f, a, h, edge_order) for a, h in zip(axes, spacings))
    return out[0] if len(out) == 1 else out


@implements(np.trapezoid, *([np.trapz] if hasattr(np, "trapz") else []))
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """sum of (y_i + y_{i+1}) / 2 times the step: linear in y, and
    differentiable in x or dx."""
    ndim = len(shape_of(y))
    axis = axes_of(axis, ndim, "trapezoid")[0]
    x = None if x is None else _array(x)
    if x is None:
        d = dx
    elif len(shape_of(x)) == 1:       # coordinates along axis
        d = reshape(diff(x), (-1,) + (1,) * (ndim - axis - 1))
    else:
        d = diff(x, axis=axis)
    pairs = add(getitem(y, _along(axis, ndim, slice(1, None))), getitem(y, _along(axis, ndim, slice(None, -1))))
    return reductions.sum(truediv(mul(d, pairs), 2.0), axis)


# --- convolution and correlation --------------------------------------------------
def _correlation(a, v, start, length):
    """Entries start .. start+length-1 of the full cross-correlation of the
    1-D a and v (lag -(m-1) first): row k of a gather of the zero-padded a
    times v, computed as one matmul."""
    n, m = shape_of(a)[0], shape_of(v)[0]
    dtype = np.result_type(strip(a), strip(v), np.float64)
    padded = concatenate([np.zeros(m - 1, dtype), a, np.zeros(m - 1, dtype)])
    windows = getitem(padded, (np.add.outer(np.arange(start, start + length), np.arange(m)),))
    return matmul(windows, v)


def _checked_1d(a, v, name):
    if len(shape_of(a)) != 1 or len(shape_of(v)) != 1:
        raise ValueError(f"{name}: object too deep for desired array (only 1-D arrays)")
    if shape_of(a)[0] == 0 or shape_of(v)[0] == 0:
        raise ValueError(f"{name}: v cannot be empty" if shape_of(v)[0] == 0 else f"{name}: a cannot be empty")


def _window(n, m, mode, swapped):
    """Where NumPy's mode cuts the full correlation (length n + m - 1)."""
    short, long = min(n, m), max(n, m)
    if mode == "full":
        return 0, n + m - 1
    if mode == "valid":
        return short - 1, long - short + 1
    if mode == "same":
        # NumPy centres the window; for a correlation whose second argument
        # is the longer one the result is the reversed correlation of (v, a)
        return ((short - 1) - (short - 1) // 2 if swapped else (short - 1) // 2), long
    raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")


@implements(np.correlate)
def correlate(a, v, mode="valid"):
    """c[k] = sum_j a[j + k] v[j] (real inputs), mode full, same or valid."""
    _checked_1d(a, v, "correlate")
    n, m = shape_of(a)[0], shape_of(v)[0]
    start, length = _window(n, m, mode, swapped=n < m)
    return _correlation(a, v, start, length)


@implements(np.convolve)
def convolve(a, v, mode="full"):
    """(a * v)[k] = sum_i a[i] v[k - i] = correlate(long, short[::-1])."""
    _checked_1d(a, v, "convolve")
    if shape_of(v)[0] > shape_of(a)[0]:
        a, v = v, a
    n, m = shape_of(a)[0], shape_of(v)[0]
    start, length = _window(n, m, mode, swapped=False)
    return _correlation(a, getitem(v, slice(None, None, -1)), start, length)


# --- polynomials and interpolation ----------------------------------------------------
@implements(np.polyval)
def polyval(p, x):
    """Horner's scheme, as NumPy: y = y x + p_i (differentiable in p and x)."""
    y = np.zeros_like(np.asarray(strip(x), dtype=np.result_type(strip(x), strip(p), np.float64)))
    for i in range(shape_of(p)[0] if shape_of(p) else len(p)):
        y = add(mul(y, x), getitem(p, i) if isinstance(p, Box) or isinstance(p, np.ndarray) else p[i])
    return y


def _aligned(*polynomials):
    """Coefficient arrays (highest power first) padded with leading zeros to one length."""
    polynomials = [_array(p) for p in polynomials]
    n = max(shape_of(p)[0] for p in polynomials)
    return [concatenate([np.zeros(n - shape_of(p)[0], np.result_type(strip(p), np.float64)), p])
            if shape_of(p)[0] < n else p for p in polynomials]


@implements(np.polyadd)
def polyadd(a1, a2):
    return add(*_aligned(a1, a2))


@implements(np.polysub)
def polysub(a1, a2):
    return sub(*_aligned(a1, a2))


@implements(np.polymul)
def polymul(a1, a2):
    """The product's coefficients: the convolution of the factors'."""
    return convolve(_array(a1), _array(a2))


@implements(np.polyder)
def polyder(p, m=1):
    """d/dx sum p_i x^(n-i): each coefficient times its power, the constant dropped (m times)."""
    p = _array(p)
    for _ in range(int(m)):
        n = shape_of(p)[0] - 1
        p = mul(getitem(p, slice(0, n)), np.arange(n, 0, -1, dtype=float))
    return p


@implements(np.polyint)
def polyint(p, m=1, k=None):
    """The antiderivative's coefficients: each divided by its new power, then the
    integration constant k (m times; k a constant each time, or differentiable)."""
    m = int(m)
    k = [0.0] * m if k is None else k
    k = [k] * m if not isinstance(k, (list, tuple)) and len(shape_of(k)) == 0 else k
    if len(k) == 1 and m > 1:
        k = [k[0]] * m
    p = _array(p)
    for i in range(m):
        n = shape_of(p)[0]
        p = concatenate([truediv(p, np.arange(n, 0, -1, dtype=float)), reshape(k[i], (1,))])
    return p


@implements(np.poly)
def poly(seq_of_zeros):
    """The monic polynomial with these roots: prod (x - r), one convolution per root
    (differentiable in real roots)."""
    roots = _array(seq_of_zeros)
    if len(shape_of(roots)) != 1:
        raise UnsupportedFunction("fwdrev's numpy.poly takes a 1-D sequence of roots; of a matrix, write "
                                  "np.poly(np.linalg.eigvals(A))")
    coefficients = np.ones(1)
    for i in range(shape_of(roots)[0]):
        coefficients = convolve(coefficients, concatenate([np.ones(1), reshape(neg(getitem(roots, i)), (1,))]))
    return coefficients


@implements(np.polyfit)
def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least squares on the Vandermonde matrix, as NumPy solves it (columns
    scaled to unit norm first, NumPy's default rcond = len(x) eps): a
    lowering to lstsq, differentiable in x, y and w."""
    if full or cov:
        raise UnsupportedFunction("fwdrev's numpy.polyfit does not take full= or cov=; call it without them "
                                  "(np.linalg.lstsq gives residuals and rank)")
    lhs = vander(x, int(deg) + 1)
    rhs = y
    if w is not None:
        lhs = mul(lhs, reshape(w, (-1, 1)))
        rhs = mul(rhs, w if len(shape_of(y)) == 1 else reshape(w, (-1, 1)))
    if rcond is None:
        rcond = shape_of(lhs)[0] * np.finfo(np.result_type(strip(x), np.float64)).eps
    scale = power(reductions.sum(mul(lhs, lhs), axis=0), 0.5)
    coefficients = lstsq(truediv(lhs, scale), rhs, rcond)[0]
    return truediv(coefficients, scale) if len(shape_of(y)) == 1 else truediv(coefficients, reshape(scale, (-1, 1)))


@implements(np.unwrap)
def unwrap(p, discont=None, axis=-1, *, period=2 * np.pi):
    """p plus the multiples of period NumPy adds to remove its jumps, computed on
    values: a constant, so d unwrap(p) = dp."""
    values = np.asarray(strip(p))
    return add(p, np.unwrap(values, discont, axis, period=period) - values)


@implements(np.interp)
def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation, differentiable in x, xp and fp (and in
    left/right); d/dx jumps at the knots, where the interval to the right
    counts (as JAX)."""
    x, xp, fp = _array(x), _array(xp), _array(fp)
    if len(shape_of(xp)) != 1 or shape_of(xp) != shape_of(fp):
        raise ValueError("fp and xp are not of the same length" if len(shape_of(xp)) == 1
                         else "Data points must be 1-D sequences")
    if shape_of(xp)[0] == 0:
        raise ValueError("array of sample points is empty")
    if period is not None:
        if period == 0:
            raise ValueError("period must be a non-zero value")
        period = abs(period)
        x, xp = remainder(x, period), remainder(xp, period)
        order = np.argsort(strip(xp), kind="stable")
        xp, fp = getitem(xp, (order,)), getitem(fp, (order,))
        xp = concatenate([sub(getitem(xp, slice(-1, None)), period), xp, add(getitem(xp, slice(0, 1)), period)])
        fp = concatenate([getitem(fp, slice(-1, None)), fp, getitem(fp, slice(0, 1))])
    plain_x, plain_xp = np.asarray(strip(x), dtype=np.float64), np.asarray(strip(xp), dtype=np.float64)
    n = plain_xp.shape[0]
    if n == 1:
        y = broadcast_to(getitem(fp, 0), plain_x.shape)
    else:
        i = np.clip(np.searchsorted(plain_xp, plain_x, side="right"), 1, n - 1)
        x0, x1, f0, f1 = getitem(xp, (i - 1,)), getitem(xp, (i,)), getitem(fp, (i - 1,)), getitem(fp, (i,))
        y = add(f0, mul(truediv(sub(x, x0), sub(x1, x0)), sub(f1, f0)))
    if period is None:
        y = where(plain_x < plain_xp[0], getitem(fp, 0) if left is None else left, y)
        y = where(plain_x > plain_xp[-1], getitem(fp, -1) if right is None else right, y)
    return y


# --- evenly spaced samples with traced end points ----------------------------------
@implements(np.linspace)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None):
    """start + i step with step = (stop - start) / div, the last sample stop
    itself (as NumPy): linear in start and stop."""
    num = int(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    div = num - 1 if endpoint else num
    delta = sub(stop, start)
    shape = shape_of(delta)
    steps = np.arange(num, dtype=np.float64).reshape((-1,) + (1,) * len(shape))
    if div > 0:
        step = truediv(delta, float(div))
        y = add(mul(steps, step), start)
    else:
        step = np.nan
        y = add(mul(steps, delta), start)
    if endpoint and num > 1:
        last = reshape(broadcast_to(stop, shape), (1,) + shape)
        y = concatenate([getitem(y, slice(None, -1)), last], axis=0)
    if len(shape):
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        y = astype(y, dtype)
    return (y, step) if retstep else y


@implements(np.logspace)
def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """base ** linspace(start, stop): differentiable in start, stop and base."""
    y = linspace(start, stop, num, endpoint, axis=axis)
    if len(shape_of(base)):
        base = expand_dims(base, axis)
    out = power(base, y)
    return astype(out, dtype) if dtype is not None else out


@implements(np.geomspace)
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """sign * 10 ** linspace(log10 |start|, log10 |stop|), the ends start and
    stop themselves (as NumPy)."""
    plain_start, plain_stop = np.asarray(strip(start)), np.asarray(strip(stop))
    if np.any(plain_start == 0) or np.any(plain_stop == 0):
        raise ValueError("Geometric sequence cannot include zero")
    if np.iscomplexobj(plain_start) or np.iscomplexobj(plain_stop):
        raise UnsupportedFunction("np.geomspace of complex end points has no rule in fwdrev")
    sign = np.sign(plain_start).astype(np.float64)
    start, stop = mul(start, sign), mul(stop, sign)
    shape = np.broadcast_shapes(plain_start.shape, plain_stop.shape)
    samples = logspace(log10(start), log10(stop), num, endpoint, axis=0)
    if num > 0:
        pieces = [reshape(broadcast_to(start, shape), (1,) + shape)]
        if num > 1:
            inner = getitem(samples, slice(1, -1 if endpoint else None))
            pieces += [inner] + ([reshape(broadcast_to(stop, shape), (1,) + shape)] if endpoint else [])
        samples = concatenate(pieces, axis=0)
    out = mul(sign, samples)
    if shape:
        out = moveaxis(out, 0, axis)
    return astype(out, dtype) if dtype is not None else out

