"""Reductions over `axis` (always a normalized tuple inside the op) with `keepdims`.

Linear ones (sum, mean, cumsum) need only a transpose. The others are written
through `reduction`, from the partial d out / d x (shaped like x):
    JVP: out_tangent = sum(partial * tangent over axis)
    VJP: cotangent_x = partial * (cotangent broadcast back over axis)
"""

import math

import numpy as np

from ..errors import UnsupportedFunction
from ..registry import Op, apply, implements, input_size_cost, is_complex, linear, passes_through, register, shape_of
from . import domains
from .complex import squared_modulus
from .elementwise import add, equal_zero, exp, float_dtype, maximum, minimum, mul, sqrt, strip, sub, truediv
from .elementwise import where as choose
from .shape import astype, axes_of, concatenate, getitem, inverse_permutation, moveaxis, reshape, transpose


def refuse_options(name, **options):
    """NumPy options fwdrev does not differentiate (out=, where=, initial=)."""
    given = [key for key, value in options.items() if value is not None and value is not np._NoValue]
    if given:
        raise UnsupportedFunction(f"numpy.{name} with {', '.join(f'{key}=' for key in given)} has no "
                                  f"differentiation rule in fwdrev; compute it without them")


def normalize_axis(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:     # the common case, quickly
        return (axis % ndim,)
    return tuple(sorted(axes_of(axis, ndim, "axis")))


def kept_shape(shape, axis):
    """The shape of the reduction with keepdims=True."""
    return tuple([1 if i in axis else n for i, n in enumerate(shape)])


def unreduce(cotangent, x, axis, keepdims):
    """Sum's transpose: the cotangent broadcast back over the reduced axes,
    lazily: given its size-1 axes back, it broadcasts to x's shape in the
    arithmetic that uses it (no copy of x's size; see registry.py)."""
    if not keepdims and shape_of(cotangent) != ():     # a scalar broadcasts as it is
        cotangent = reshape(cotangent, kept_shape(shape_of(x), axis))
    return cotangent


def _jnp():
    import jax.numpy as jnp
    return jnp


def shift_axis_batch(op):
    """Batching rule of a one-argument op over `axis`: the batch is axis 0."""
    def batch(args, flags, axis, **params):
        shifted = tuple(a + 1 for a in axis) if isinstance(axis, tuple) else axis + 1
        return apply(op, args[0], axis=shifted, **params)
    return batch


def _examples(rng):
    cases = [((rng.uniform(-2, 2, ()),), dict(axis=(), keepdims=False)),
             ((rng.uniform(-2, 2, (3,)),), dict(axis=(0,), keepdims=False))]
    for axis in [(0,), (1,), (0, 1)]:
        for keepdims in (False, True):
            cases.append(((rng.uniform(-2, 2, (2, 3)),), dict(axis=axis, keepdims=keepdims)))
    return cases


def reduction(name, primal, partial, *, jax, domain=domains.real, saves=("args", "out")):
    op = Op(name, primal, jvp=None, vjp=None, jax=jax, cost=input_size_cost,
            domain=(domain,), examples=_examples, saves=saves)

    def jvp(tangents, out, x, axis, keepdims, **params):
        return sum(mul(partial(out, x, axis, keepdims, **params), tangents[0]), axis, keepdims=keepdims)

    def vjp(cotangent, argnum, out, x, axis, keepdims, **params):
        return mul(partial(out, x, axis, keepdims, **params), unreduce(cotangent, x, axis, keepdims))

    op.jvp, op.vjp, op.batch = jvp, vjp, shift_axis_batch(op)
    return register(op)


# --- linear reductions -------------------------------------------------------
def _reduced_count(x, axis):
    shape = shape_of(x)
    return math.prod(shape[a] for a in axis)


SUM = linear("sum", np.add.reduce,
             lambda ct, argnum, x, axis, keepdims: unreduce(ct, x, axis, keepdims),   # sum^T = broadcast
             jax=lambda x, axis, keepdims: _jnp().sum(x, axis=axis, keepdims=keepdims),
             examples=_examples, batch=None, cost=input_size_cost)
SUM.batch = shift_axis_batch(SUM)

MEAN = linear("mean", lambda x, axis, keepdims: np.mean(x, axis=axis, keepdims=keepdims),
              lambda ct, argnum, x, axis, keepdims:
                  truediv(unreduce(ct, x, axis, keepdims), float(_reduced_count(x, axis))),
              jax=lambda x, axis, keepdims: _jnp().mean(x, axis=axis, keepdims=keepdims),
              examples=_examples, batch=None, cost=input_size_cost)
MEAN.batch = shift_axis_batch(MEAN)


def _reverse_along(x, axis):
    return getitem(x, (slice(None),) * axis + (slice(None, None, -1),))


CUMSUM = linear("cumsum", lambda x, axis: np.cumsum(x, axis=axis),
                # cumsum^T = reversed cumsum of the reversed cotangent
                lambda ct, argnum, x, axis: _reverse_along(cumsum(_reverse_along(ct, axis), axis), axis),
                jax=lambda x, axis: _jnp().cumsum(x, axis=axis),
                examples=lambda rng: [((rng.uniform(-2, 2, (4,)),), dict(axis=0)),
                                      ((rng.uniform(-2, 2, (2, 3)),), dict(axis=1))],
                batch=None, cost=input_size_cost)
CUMSUM.batch = shift_axis_batch(CUMSUM)


# --- products and extremes -------------------------------------------------
def _prod_partial(out, x, axis, keepdims):
    # d prod(x)/dx_i = the product of the others. With no zero in x that is
    # out / x_i, exact to every order there. With a zero, division fails: the
    # product of the elements before i times those after i (scans, as JAX's
    # tree of products), whose own derivatives are then right too (d2 prod at
    # two zeros is the product of the rest, not 0).
    if not np.any(equal_zero(x)):
        return truediv(reshape(out, kept_shape(shape_of(x), axis)), x)
    shape = shape_of(x)
    kept = tuple(i for i in range(len(shape)) if i not in axis)
    order = kept + tuple(axis)                       # reduced axes last, as one axis
    rows = reshape(transpose(x, order), tuple(shape[i] for i in kept) + (-1,))
    others = mul(_exclusive_products(rows), _reverse_last(_exclusive_products(_reverse_last(rows))))
    others = reshape(others, tuple(shape[i] for i in order))
    return transpose(others, inverse_permutation(order))


def _exclusive_products(rows):
    """out[..., i] = product of rows[..., j] for j < i, in log2(n) doubling
    steps of multiplications (Hillis-Steele scan): no division anywhere."""
    lead, n = shape_of(rows)[:-1], shape_of(rows)[-1]
    before, dtype = (slice(None),) * len(lead), np.result_type(strip(rows))

    def shifted(values, by):      # values moved `by` places along the last axis, 1s in front
        return concatenate([np.ones(lead + (by,), dtype), getitem(values, before + (slice(0, n - by),))], axis=-1)

    return inclusive_products(shifted(rows, 1))


def inclusive_products(rows):
    """out[..., i] = product of rows[..., j] for j <= i (np.cumprod along the
    last axis), in log2(n) doubling steps: each step multiplies by the
    products `by` places before. Only multiplications, so every derivative
    is right where elements are 0 (the division out / x_i would fail)."""
    lead, n = shape_of(rows)[:-1], shape_of(rows)[-1]
    before, dtype = (slice(None),) * len(lead), np.result_type(strip(rows))
    products, by = rows, 1
    while by < n:
        products = mul(products, concatenate([np.ones(lead + (by,), dtype),
                                              getitem(products, before + (slice(0, n - by),))], axis=-1))
        by *= 2
    return products


def _reverse_last(rows):
    return getitem(rows, (slice(None),) * (len(shape_of(rows)) - 1) + (slice(None, None, -1),))


def _extreme_partial(out, x, axis, keepdims):
    # ties split evenly: 1/count at each element equal to the extreme, as JAX
    plain_x, extreme = strip(x), strip(out)
    if not keepdims:
        extreme = extreme.reshape(kept_shape(shape_of(plain_x), axis))   # (a NumPy scalar reshapes too)
    hits = np.equal(plain_x, extreme)
    return hits / np.add.reduce(hits, axis=axis, keepdims=True, dtype=float_dtype(plain_x))   # float32 stays float32


def _logsumexp(x, axis, keepdims):
    shift = np.max(x, axis=axis, keepdims=True) if np.size(x) else 0.0
    shift = np.where(np.isfinite(shift), shift, 0.0)
    out = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    return out if keepdims else np.squeeze(out, axis=axis)


def _logsumexp_partial(out, x, axis, keepdims):
    return exp(sub(x, reshape(out, kept_shape(shape_of(x), axis))))   # softmax weights


def _var_partial(out, x, axis, keepdims, ddof):
    # d var/dx_i = 2 (x_i - mean) / (N - ddof)
    return mul(2.0 / (_reduced_count(x, axis) - ddof), sub(x, mean(x, axis, keepdims=True)))


PROD = reduction("prod", np.multiply.reduce,
                 _prod_partial, jax=lambda x, axis, keepdims: _jnp().prod(x, axis=axis, keepdims=keepdims))
MAX = reduction("max", np.maximum.reduce,
                _extreme_partial, jax=lambda x, axis, keepdims: _jnp().max(x, axis=axis, keepdims=keepdims))
MIN = reduction("min", np.minimum.reduce,
                _extreme_partial, jax=lambda x, axis, keepdims: _jnp().min(x, axis=axis, keepdims=keepdims))
LOGSUMEXP = reduction("logsumexp", _logsumexp, _logsumexp_partial,
                      jax=lambda x, axis, keepdims:
                          __import__("jax").scipy.special.logsumexp(x, axis=axis, keepdims=keepdims))
VAR = reduction("var", lambda x, axis, keepdims, ddof: np.var(x, axis=axis, keepdims=keepdims, ddof=ddof),
                _var_partial, saves=("args",),
                jax=lambda x, axis, keepdims, ddof: _jnp().var(x, axis=axis, keepdims=keepdims, ddof=ddof))
VAR.examples = lambda rng: [(args, dict(params, ddof=ddof)) for args, params in _examples(rng)
                            for ddof in (0, 1) if _reduced_count(args[0], params["axis"]) > ddof]


# --- softmax: not a reduction, but axis-wise ---------------------------------
def _softmax(x, axis):
    return np.exp(x - _logsumexp(x, axis, True))


def _softmax_jvp(tangents, out, x, axis):
    # d softmax = s * (t - <s, t>)
    t = tangents[0]
    return mul(out, sub(t, sum(mul(out, t), axis, keepdims=True)))


def _softmax_vjp(cotangent, argnum, out, x, axis):
    # the Jacobian diag(s) - s s^T is symmetric: same formula
    return _softmax_jvp((cotangent,), out, x, axis)


SOFTMAX = register(Op("softmax", _softmax, jvp=_softmax_jvp, vjp=_softmax_vjp, saves=("out",),
                      jax=lambda x, axis: __import__("jax").nn.softmax(x, axis=axis),
                      cost=lambda out, x, axis: 4 * np.size(strip(x)),
                      examples=lambda rng: [((rng.uniform(-2, 2, (4,)),), dict(axis=(0,))),
                                            ((rng.uniform(-2, 2, (2, 3)),), dict(axis=(1,))),
                                            ((rng.uniform(-2, 2, (2, 3)),), dict(axis=(0, 1)))]))
SOFTMAX.batch = shift_axis_batch(SOFTMAX)


# --- the functions rules and users call --------------------------------------
# NumPy's signatures, positional order included: np.sum(x, 0, np.float32) is
# (axis, dtype), not (axis, keepdims). A float dtype casts x first (NumPy
# accumulates in it); out= has no rule and is refused; where= and initial= are
# lowered to where(mask, x, identity) and one more element.
def _reduce(op, x, axis, dtype, keepdims, refused, **params):
    if refused:
        refuse_options(op.name, **refused)
    if dtype is not None:
        x = astype(x, dtype)
    return apply(op, x, axis=normalize_axis(axis, len(shape_of(x))), keepdims=bool(keepdims), **params)


def _masked(x, where, fill):
    """x where the mask holds, else the reduction's identity (where=)."""
    return x if where is None else choose(np.asarray(strip(where), dtype=bool), x, fill)


def _with_initial(reduced, initial, combine):
    """initial= joins the reduction as one more element."""
    return reduced if initial is None else combine(reduced, initial)


def _with_dtype(op, fill, combine):
    """np.sum, np.prod: (x, axis=None, dtype=None, out=None, keepdims=False, initial, where).
    where= reduces where(mask, x, identity); initial= is one more element."""
    def reduce(x, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None, **options):
        reduced = _reduce(op, _masked(x, where, fill), axis, dtype, keepdims, dict(options, out=out)
                          if out is not None or options else None)
        return _with_initial(reduced, initial, combine)
    reduce.__name__ = op.name
    return reduce


def _without_dtype(op, fill, combine):
    """np.max, np.min: (x, axis=None, out=None, keepdims=False, initial, where).
    where= needs initial=, as in NumPy (a maximum has no identity)."""
    def reduce(x, axis=None, out=None, keepdims=False, initial=None, where=None, **options):
        if where is not None and initial is None:
            raise ValueError(f"reduction operation '{op.name}imum' does not have an identity, so to use a "
                             "where mask one has to specify 'initial'")
        reduced = _reduce(op, _masked(x, where, fill), axis, None, keepdims, dict(options, out=out)
                          if out is not None or options else None)
        return _with_initial(reduced, initial, combine)
    reduce.__name__ = op.name
    return reduce


def mean(x, axis=None, dtype=None, out=None, keepdims=False, *, where=None, **options):
    """np.mean; with where=, the sum over the mask by the mask's count."""
    refused = dict(options, out=out) if out is not None or options else None
    if where is None:
        return _reduce(MEAN, x, axis, dtype, keepdims, refused)
    mask = np.broadcast_to(np.asarray(strip(where), dtype=bool), shape_of(x))
    count = np.add.reduce(mask, axis=normalize_axis(axis, len(shape_of(x))), keepdims=bool(keepdims))
    return truediv(_reduce(SUM, _masked(x, mask, 0.0), axis, dtype, keepdims, refused), count.astype(np.float64))


sum = _with_dtype(SUM, 0.0, add)
prod = _with_dtype(PROD, 1.0, mul)
max = _without_dtype(MAX, -np.inf, maximum)
min = _without_dtype(MIN, np.inf, minimum)


def logsumexp(x, axis=None, keepdims=False):
    return _reduce(LOGSUMEXP, x, axis, None, keepdims, {})


@implements(np.var)
def var(x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **options):
    """np.var's signature: (x, axis=None, dtype=None, out=None, ddof=0, keepdims=False).
    Of complex x it is real, the mean |x - mean|^2 (as NumPy): a lowering."""
    if is_complex(x):
        refuse_options("var", out=out, dtype=dtype, **options)
        axes = normalize_axis(axis, len(shape_of(x)))
        deviations = squared_modulus(sub(x, mean(x, axis=axes, keepdims=True)))
        return mul(sum(deviations, axis=axes, keepdims=keepdims), 1.0 / (_reduced_count(x, axes) - ddof))
    return _reduce(VAR, x, axis, dtype, keepdims, dict(options, out=out), ddof=ddof)


@implements(np.std)
def std(x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **options):
    refuse_options("std", out=out, **options)
    return sqrt(var(x, axis, dtype, None, ddof, keepdims))


def softmax(x, axis=-1):
    return apply(SOFTMAX, x, axis=normalize_axis(axis, len(shape_of(x))))


@implements(np.cumsum)
def cumsum(x, axis=None, dtype=None, out=None):
    refuse_options("cumsum", out=out)
    if dtype is not None:
        x = astype(x, dtype)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    return apply(CUMSUM, x, axis=normalize_axis(axis, len(shape_of(x)))[0])


@implements(np.cumprod)
def cumprod(x, axis=None, dtype=None, out=None):
    """The running product as a scan of multiplications (inclusive_products):
    right at zeros and to every order, as JAX's associative scan."""
    refuse_options("cumprod", out=out)
    if dtype is not None:
        x = astype(x, dtype)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = normalize_axis(axis, len(shape_of(x)))[0]
    return moveaxis(inclusive_products(moveaxis(x, axis, -1)), -1, axis)


for _numpy_functions, _function in (((np.sum,), sum), ((np.mean,), mean), ((np.prod,), prod),
                                     ((np.max, np.amax), max), ((np.min, np.amin), min)):
    implements(*_numpy_functions)(_function)

passes_through(np.argmax, np.argmin, np.argsort, np.nonzero, np.count_nonzero, np.any, np.all,
               np.allclose, np.isclose, np.array_equal)


# --- ufunc methods: np.add.reduce(x) is np.sum(x, axis=0), np.add.accumulate(x) np.cumsum(x, axis=0)
def _along_axis_0(function):
    def method(x, axis=0, *args, **kwargs):
        return function(x, axis, *args, **kwargs)
    method.__name__ = function.__name__
    return method


def _logaddexp_reduce(x, axis=0, dtype=None, out=None, keepdims=False):
    refuse_options("logaddexp.reduce", out=out)
    return logsumexp(x if dtype is None else astype(x, dtype), axis, keepdims)


for _ufunc, _reduction in ((np.add, sum), (np.multiply, prod), (np.maximum, max), (np.minimum, min)):
    implements(_ufunc.reduce)(_along_axis_0(_reduction))
implements(np.logaddexp.reduce)(_logaddexp_reduce)
implements(np.add.accumulate)(_along_axis_0(cumsum))
implements(np.multiply.accumulate)(_along_axis_0(cumprod))


def _cumulative(scan, identity):
    """np.cumulative_sum / cumulative_prod (the array API's): the scan along axis
    (required above 1-D), with include_initial= the identity first."""
    def cumulative(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
        refuse_options(scan.__name__, out=out)
        ndim = len(shape_of(x))
        if axis is None:
            if ndim > 1:
                raise ValueError("axis must be specified for multi-dimensional arrays")
            axis = 0
        scanned = scan(x, axis, dtype)
        if not include_initial:
            return scanned
        axis = normalize_axis(axis, ndim)[0]
        first = np.full(kept_shape(shape_of(x), (axis,)), identity, dtype=np.result_type(strip(scanned)))
        return concatenate([first, scanned], axis=axis)
    return cumulative


implements(np.cumulative_sum)(_cumulative(cumsum, 0.0))
implements(np.cumulative_prod)(_cumulative(cumprod, 1.0))
