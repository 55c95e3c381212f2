"""Elementwise ops: each needs only its partial derivatives.

`elementwise(name, primal, *partials)` derives both rules from the partials
d out / d primals[i], written with registry ops so they differentiate again:
    JVP: out_tangent = sum_i partial_i * tangent_i
    VJP: cotangent_i = cotangent * partial_i   (the engine un-broadcasts)
A partial is a function (out, *primals) -> array, or the constant 1 or -1.
Conventions at kinks match JAX (see DESIGN.md).
"""

import functools
import math
import operator

import numpy as np

from ..registry import (FLOP_COUNTERS, Op, apply, count, elementwise_cost, float_dtype, implements,  # noqa: F401
                        passes_through, register, size_of, strip)
from . import domains
from .shape import astype


def elementwise(name, primal, *partials, jax, domain=None, flops=1, nondiff=(), uses_out=False):
    """`uses_out`: some partial reads the output (d e^x = e^x), so a tape keeps it."""
    scalings = [_scaling(partial) for partial in partials]    # t -> partial * t, per argument

    def jvp(tangents, out, *primals, **params):
        total = None
        for scale, t in zip(scalings, tangents):
            if t is None or scale is None:
                continue
            term = scale(t, out, primals, params)
            total = term if total is None else add(total, term)
        return total

    def grouped_vjp(cotangent, argnums, out, primals, params):
        # one value at several positions: ct * (sum of its partials), a single
        # product with the cotangent instead of one per position
        values = [float(partials[k]) if partials[k] in (1, -1) else partials[k](out, *primals, **params)
                  for k in argnums if partials[k] is not None]
        if not values:
            return None
        if len(values) == 2 and values[0] is values[1]:
            # x * x: ct * 2x, with the 2 on the smaller of the two (the L2
            # penalty's cotangent is a sum's, a scalar: one pass over x)
            x = values[0]
            small, large = (cotangent, x) if size_of(cotangent) <= size_of(x) else (x, cotangent)
            total, other = mul(small, 2.0), large
        else:
            total, other = functools.reduce(add, values), cotangent
        if len(values) > 1 and _scalable_in_place(total, other):
            # the total is an array made here: multiply where it lies (one
            # large temporary fewer)
            if FLOP_COUNTERS:
                count(MUL, total, (other, total), {})
            return np.multiply(total, other, out=total)
        return mul(other, total)

    def vjp(cotangent, argnum, out, *primals, **params):
        if type(argnum) is tuple:
            return grouped_vjp(cotangent, argnum, out, primals, params)
        scale = scalings[argnum]
        return None if scale is None else scale(cotangent, out, primals, params)

    arity = len(partials)
    constant = all(p in (1, -1, None) for p in partials)      # add, sub, neg: nothing to read
    saves = (() if constant else ("args",)) + (("out",) if uses_out else ())
    return register(Op(name, primal, jvp=jvp, vjp=vjp, jax=jax, cost=elementwise_cost(flops),
                       domain=domain or (domains.real,) * arity, nondiff=nondiff,
                       elementwise=True, partials=partials, saves=saves))


def _scaling(partial):
    """t -> partial * t for one argument: no product for the constants 1 and
    -1 (add, sub, neg), None for a non-differentiable argument."""
    if partial is None:
        return None
    if partial == 1:
        return lambda t, out, primals, params: t
    if partial == -1:
        return lambda t, out, primals, params: neg(t)
    return lambda t, out, primals, params: mul(partial(out, *primals, **params), t)


def _scalable_in_place(total, other):
    """Can other * total be written into total? Only plain arrays (no boxes:
    a higher-order trace must see the product) of the right shape and dtype."""
    return (type(total) is np.ndarray and total.flags.writeable
            and isinstance(other, (np.ndarray, float, np.floating))
            and np.result_type(other, total) == total.dtype
            and np.broadcast_shapes(np.shape(other), total.shape) == total.shape)


def local_gradients(op, out, args, parents):
    """d out / d arg for each argument with a parent on the tape (None for the
    others), on Python numbers: what a CS231n gate computes on the forward
    pass for its backward pass."""
    return tuple(None if parent < 0 or p is None else p if p in (1, -1) else p(out, *args)
                 for p, parent in zip(op.partials, parents))


def non_differentiable(name, primal, jax, arity=1):
    """Piecewise-constant ops (sign, floor, round): derivative 0 everywhere."""
    return register(Op(name, primal, jvp=None, vjp=None, jax=jax, cost=elementwise_cost(1),
                       domain=(domains.real,) * arity, elementwise=True))


def _jnp():
    import jax.numpy as jnp
    return jnp


def _on_floats(python_function, numpy_function):
    """Python floats take the fast path (math module, operators); arrays, and
    floats where Python raises (log(0), 1/0; math.hypot(float, array)), take
    NumPy's IEEE semantics."""
    def primal(*args):
        if type(args[0]) is float:
            try:
                return python_function(*args)
            except (ArithmeticError, ValueError, TypeError):
                pass
        return numpy_function(*args)
    primal.__name__ = numpy_function.__name__
    return primal


def _choose(condition, yes, no, like):
    """np.where(condition, yes, no) in the float dtype of `like`, the primal
    whose partial it is (neither the mask nor Python floats decide the dtype)."""
    return np.where(condition, yes, no).astype(float_dtype(like), copy=False)


def _where_one(condition, like):
    """1 where condition holds, else 0, in the float dtype of `like`."""
    return np.asarray(condition, dtype=float_dtype(like))


# --- arithmetic ------------------------------------------------------------
# Python operators: NumPy's semantics on arrays, and fast on Python floats.
ADD = elementwise("add", operator.add, 1, 1,                         # d(a+b) = da + db
                  jax=lambda a, b: _jnp().add(a, b))
SUB = elementwise("sub", operator.sub, 1, -1,                        # d(a-b) = da - db
                  jax=lambda a, b: _jnp().subtract(a, b))
MUL = elementwise("mul", operator.mul,
                  lambda out, a, b: b,                               # d(a*b)/da = b
                  lambda out, a, b: a,                               # d(a*b)/db = a
                  jax=lambda a, b: _jnp().multiply(a, b))
TRUEDIV = elementwise("truediv", _on_floats(operator.truediv, np.true_divide),
                      lambda out, a, b: reciprocal(b),               # d(a/b)/da = 1/b
                      lambda out, a, b: neg(truediv(out, b)),        # d(a/b)/db = -a/b^2
                      jax=lambda a, b: _jnp().divide(a, b),
                      domain=(domains.real, domains.nonzero), uses_out=True)
NEG = elementwise("neg", operator.neg, -1,                           # d(-a) = -da
                  jax=lambda a: _jnp().negative(a))


def _pow_base_partial(out, a, b):
    # d(a^b)/da = b a^(b-1); 0 where b == 0 (x**0 is constant, never NaN)
    if isinstance(b, (int, float)):
        return 0.0 if b == 0 else 2.0 * a if b == 2 else b * power(a, b - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return where(equal_zero(b), 0.0, mul(b, power(a, sub(b, 1.0))))


def _pow_exponent_partial(out, a, b):
    # d(a^b)/db = a^b log(a); 0 where a == 0 (as JAX)
    with np.errstate(divide="ignore", invalid="ignore"):
        return where(equal_zero(a), 0.0, mul(out, log(where(equal_zero(a), 1.0, a))))


def equal_zero(x):
    return np.equal(strip(x), 0)


def _power(a, b):
    """a ** b: Python's on floats (fast), NumPy's where they differ: Python's
    (-8.0) ** (1/3) is complex and 0.0 ** -1 raises, NumPy's are nan and inf."""
    if type(a) is float:
        try:
            out = a ** b
            if type(out) is not complex:
                return out
        except ArithmeticError:
            pass
    return np.power(a, b)


POW = elementwise("pow", _power, _pow_base_partial, _pow_exponent_partial,
                  jax=lambda a, b: _jnp().power(a, b), domain=(domains.positive, domains.real),
                  flops=2, uses_out=True)

# --- exponentials and logarithms -------------------------------------------
EXP = elementwise("exp", _on_floats(math.exp, np.exp),
                  lambda out, x: out,                                # d e^x = e^x
                  jax=lambda x: _jnp().exp(x), uses_out=True)
LOG = elementwise("log", _on_floats(math.log, np.log),
                  lambda out, x: reciprocal(x),                      # d log x = 1/x
                  jax=lambda x: _jnp().log(x), domain=(domains.positive,))
LOG1P = elementwise("log1p", _on_floats(math.log1p, np.log1p),
                    lambda out, x: reciprocal(add(1.0, x)),          # d log(1+x) = 1/(1+x)
                    jax=lambda x: _jnp().log1p(x), domain=(domains.positive,))
EXPM1 = elementwise("expm1", _on_floats(math.expm1, np.expm1),
                    lambda out, x: add(out, 1.0),                    # d (e^x - 1) = e^x
                    jax=lambda x: _jnp().expm1(x), uses_out=True)
EXP2 = elementwise("exp2", _on_floats(lambda x: 2.0 ** x, np.exp2),
                   lambda out, x: mul(out, math.log(2.0)),           # d 2^x = 2^x log 2
                   jax=lambda x: _jnp().exp2(x), uses_out=True)
LOG2 = elementwise("log2", _on_floats(math.log2, np.log2),
                   lambda out, x: reciprocal(mul(x, math.log(2.0))),  # d log2 x = 1/(x log 2)
                   jax=lambda x: _jnp().log2(x), domain=(domains.positive,))
LOG10 = elementwise("log10", _on_floats(math.log10, np.log10),
                    lambda out, x: reciprocal(mul(x, math.log(10.0))),  # d log10 x = 1/(x log 10)
                    jax=lambda x: _jnp().log10(x), domain=(domains.positive,))
SQRT = elementwise("sqrt", _on_floats(math.sqrt, np.sqrt),
                   lambda out, x: truediv(0.5, out),                 # d sqrt x = 1/(2 sqrt x); +inf at 0
                   jax=lambda x: _jnp().sqrt(x), domain=(domains.positive,), uses_out=True)
SQUARE = elementwise("square", np.square,
                     lambda out, x: mul(2.0, x),                     # d x^2 = 2x
                     jax=lambda x: _jnp().square(x))
RECIPROCAL = elementwise("reciprocal", _on_floats(lambda x: 1.0 / x, lambda x: np.true_divide(1.0, x)),
                         lambda out, x: neg(square(out)),            # d (1/x) = -1/x^2
                         jax=lambda x: _jnp().reciprocal(x), domain=(domains.nonzero,), uses_out=True)

# --- trigonometric and hyperbolic ------------------------------------------
SIN = elementwise("sin", _on_floats(math.sin, np.sin),
                  lambda out, x: cos(x),                             # d sin x = cos x
                  jax=lambda x: _jnp().sin(x))
COS = elementwise("cos", _on_floats(math.cos, np.cos),
                  lambda out, x: neg(sin(x)),                        # d cos x = -sin x
                  jax=lambda x: _jnp().cos(x))
TAN = elementwise("tan", _on_floats(math.tan, np.tan),
                  lambda out, x: add(1.0, square(out)),              # d tan x = 1 + tan^2 x
                  jax=lambda x: _jnp().tan(x), domain=(domains.small,), uses_out=True)
TANH = elementwise("tanh", _on_floats(math.tanh, np.tanh),
                   lambda out, x: sub(1.0, square(out)),             # d tanh x = 1 - tanh^2 x
                   jax=lambda x: _jnp().tanh(x), uses_out=True)
SINH = elementwise("sinh", _on_floats(math.sinh, np.sinh),
                   lambda out, x: cosh(x),                           # d sinh x = cosh x
                   jax=lambda x: _jnp().sinh(x))
COSH = elementwise("cosh", _on_floats(math.cosh, np.cosh),
                   lambda out, x: sinh(x),                           # d cosh x = sinh x
                   jax=lambda x: _jnp().cosh(x))
ARCSIN = elementwise("arcsin", _on_floats(math.asin, np.arcsin),
                     lambda out, x: reciprocal(sqrt(sub(1.0, square(x)))),   # d asin x = 1/sqrt(1 - x^2)
                     jax=lambda x: _jnp().arcsin(x), domain=(domains.inside_unit,))
ARCCOS = elementwise("arccos", _on_floats(math.acos, np.arccos),
                     lambda out, x: neg(reciprocal(sqrt(sub(1.0, square(x))))),  # d acos x = -1/sqrt(1 - x^2)
                     jax=lambda x: _jnp().arccos(x), domain=(domains.inside_unit,))
ARCTAN = elementwise("arctan", _on_floats(math.atan, np.arctan),
                     lambda out, x: reciprocal(add(1.0, square(x))),       # d atan x = 1/(1 + x^2)
                     jax=lambda x: _jnp().arctan(x))
ARCSINH = elementwise("arcsinh", _on_floats(math.asinh, np.arcsinh),
                      lambda out, x: reciprocal(sqrt(add(1.0, square(x)))),  # d asinh x = 1/sqrt(1 + x^2)
                      jax=lambda x: _jnp().arcsinh(x))
ARCCOSH = elementwise("arccosh", _on_floats(math.acosh, np.arccosh),
                      lambda out, x: reciprocal(sqrt(sub(square(x), 1.0))),  # d acosh x = 1/sqrt(x^2 - 1)
                      jax=lambda x: _jnp().arccosh(x), domain=(domains.above_one,))
ARCTANH = elementwise("arctanh", _on_floats(math.atanh, np.arctanh),
                      lambda out, x: reciprocal(sub(1.0, square(x))),       # d atanh x = 1/(1 - x^2)
                      jax=lambda x: _jnp().arctanh(x), domain=(domains.inside_unit,))
ARCTAN2 = elementwise("arctan2", _on_floats(math.atan2, np.arctan2),
                      lambda out, y, x: truediv(x, add(square(x), square(y))),       # d atan2(y, x)/dy = x/(x^2+y^2)
                      lambda out, y, x: neg(truediv(y, add(square(x), square(y)))),  # d atan2(y, x)/dx = -y/(x^2+y^2)
                      jax=lambda y, x: _jnp().arctan2(y, x), domain=(domains.real, domains.nonzero))
def _hypot_partial(mine):
    # d hypot(a, b)/da = a / hypot; at (0, 0) 0.5, as JAX's max/min ties give
    # (the division is kept finite there so that no NaN leaks into derivatives)
    def partial(out, a, b):
        at_origin = equal_zero(out)
        return where(at_origin, 0.5, truediv(a if mine == "a" else b, where(at_origin, 1.0, out)))
    return partial


HYPOT = elementwise("hypot", _on_floats(math.hypot, np.hypot), _hypot_partial("a"), _hypot_partial("b"),
                    jax=lambda a, b: _jnp().hypot(a, b), domain=(domains.nonzero, domains.nonzero),
                    uses_out=True)


def _sigmoid(x):
    # 1 / (1 + e^-x), written to avoid overflow for large |x|
    if type(x) is float:
        return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
    e = np.exp(-np.abs(x))
    return np.where(np.greater_equal(x, 0), 1.0 / (1.0 + e), e / (1.0 + e))


SIGMOID = elementwise("sigmoid", _sigmoid,
                      lambda out, x: mul(out, sub(1.0, out)),        # d sigma = sigma (1 - sigma)
                      jax=lambda x: __import__("jax").nn.sigmoid(x), uses_out=True)

# --- kinks: conventions match JAX ------------------------------------------
ABS = elementwise("abs", abs,
                  lambda out, x: _choose(np.greater_equal(strip(x), 0), 1.0, -1.0, x),  # +1 at 0
                  jax=lambda x: _jnp().abs(x), domain=(domains.away_from_zero,))
RELU = elementwise("relu", lambda x: np.maximum(x, 0.0),
                   lambda out, x: _where_one(np.greater(strip(x), 0), x),  # 0 at 0
                   jax=lambda x: __import__("jax").nn.relu(x), domain=(domains.away_from_zero,))


def _tie_split(a, b, like=None):
    """d max(a, b)/da: 1 where a wins, 0.5 at a tie, 0 where b wins, in the
    float dtype of `like` (default a: the primal the partial belongs to)."""
    a, b = strip(a), strip(b)
    split = np.asarray(np.greater(a, b), dtype=float_dtype(a if like is None else like))   # (a new array)
    split[np.equal(a, b)] = 0.5
    return split


MAXIMUM = elementwise("maximum", np.maximum,
                      lambda out, a, b: _tie_split(a, b),
                      lambda out, a, b: _tie_split(b, a),
                      jax=lambda a, b: _jnp().maximum(a, b))
MINIMUM = elementwise("minimum", np.minimum,
                      lambda out, a, b: _tie_split(b, a, like=a),   # d min(a, b)/da = d max(b, a)/db
                      lambda out, a, b: _tie_split(a, b, like=b),
                      jax=lambda a, b: _jnp().minimum(a, b))


def _clip_partial(which):
    """clip = minimum(maximum(x, low), high), as JAX computes it: the partials of
    x and low are the products of the two ops' tie factors (0.25 where all
    three meet); each partial is in its own argument's float dtype."""
    def partial(out, x, low, high):
        x, low, high = strip(x), strip(low), strip(high)
        raised = np.maximum(x, low)
        if which == "high":
            return _tie_split(raised, high, like=high)                     # d min(m, high)/dhigh
        mine, other = (x, low) if which == "x" else (low, x)
        return _tie_split(mine, other) * _tie_split(high, raised, like=mine)   # d max/dmine * d min(m, high)/dm
    return partial


CLIP = elementwise("clip", np.clip, _clip_partial("x"), _clip_partial("low"), _clip_partial("high"),
                   jax=lambda x, low, high: _jnp().clip(x, low, high),
                   domain=(domains.real, domains.low_bound, domains.high_bound))
WHERE = elementwise("where", np.where,
                    None,
                    lambda out, c, a, b: _where_one(strip(c), a),    # d where(c, a, b)/da = [c]
                    lambda out, c, a, b: _where_one(np.logical_not(strip(c)), b),
                    jax=lambda c, a, b: _jnp().where(c, a, b), nondiff=(0,),
                    domain=(domains.condition, domains.real, domains.real))

# --- more of NumPy's ufuncs --------------------------------------------------
LOGADDEXP = elementwise("logaddexp", np.logaddexp,
                        lambda out, a, b: exp(sub(a, out)),          # d log(e^a + e^b)/da = e^(a - out)
                        lambda out, a, b: exp(sub(b, out)),
                        jax=lambda a, b: _jnp().logaddexp(a, b), flops=4, uses_out=True)
LOGADDEXP2 = elementwise("logaddexp2", np.logaddexp2,
                         lambda out, a, b: exp2(sub(a, out)),        # d log2(2^a + 2^b)/da = 2^(a - out)
                         lambda out, a, b: exp2(sub(b, out)),
                         jax=lambda a, b: _jnp().logaddexp2(a, b), flops=4, uses_out=True)
CBRT = elementwise("cbrt", np.cbrt,
                   lambda out, x: truediv(1.0 / 3.0, square(out)),   # d x^(1/3) = 1/(3 x^(2/3)); inf at 0
                   jax=lambda x: _jnp().cbrt(x), domain=(domains.nonzero,), uses_out=True)


def _sinc_partial(out, x):
    # d sinc x = (cos(pi x) - sinc x) / x, with sinc x = sin(pi x)/(pi x). Near 0
    # that difference cancels, so there the series of the derivative,
    # -pi^2 x/3 + pi^4 x^3/30 - pi^6 x^5/840 (error below 1e-25 for |x| < 1e-3),
    # which differentiates again correctly at 0 (d2 sinc(0) = -pi^2/3)
    near = np.less(np.abs(strip(x)), 1e-3)
    x2 = square(x)
    series = mul(x, add(-math.pi ** 2 / 3.0, mul(x2, add(math.pi ** 4 / 30.0, mul(x2, -math.pi ** 6 / 840.0)))))
    if not np.any(near):
        return truediv(sub(cos(mul(math.pi, x)), out), x)
    safe = where(near, 1.0, x)
    return where(near, series, truediv(sub(cos(mul(math.pi, safe)), sinc(safe)), safe))


SINC = elementwise("sinc", np.sinc, _sinc_partial, jax=lambda x: _jnp().sinc(x), flops=4, uses_out=True)
COPYSIGN = elementwise("copysign", np.copysign,
                       # |a| with b's sign: d/da = sign(a) sign(b); d/db = 0 (piecewise constant)
                       lambda out, a, b: _choose(np.signbit(strip(a)) == np.signbit(strip(b)), 1.0, -1.0, a),
                       None, jax=lambda a, b: _jnp().copysign(a, b), nondiff=(1,),
                       domain=(domains.nonzero, domains.nonzero))


def _nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


NAN_TO_NUM = elementwise("nan_to_num", _nan_to_num,
                         # the identity where x is finite; a constant where NaN or infinite
                         lambda out, x, **params: _where_one(np.isfinite(strip(x)), x),
                         jax=lambda x, **params: _jnp().nan_to_num(x, **params))

# --- piecewise constant: derivative 0 --------------------------------------
SIGN = non_differentiable("sign", np.sign, lambda x: _jnp().sign(x))
FLOOR = non_differentiable("floor", np.floor, lambda x: _jnp().floor(x))
CEIL = non_differentiable("ceil", np.ceil, lambda x: _jnp().ceil(x))
TRUNC = non_differentiable("trunc", np.trunc, lambda x: _jnp().trunc(x))
ROUND = non_differentiable("round", lambda x, decimals=0: np.round(x, decimals),
                           lambda x, decimals=0: _jnp().round(x, decimals))
HEAVISIDE = non_differentiable("heaviside", np.heaviside, lambda x, h0: _jnp().heaviside(x, h0), arity=2)


# --- the functions rules and users call ------------------------------------
@implements(np.add)
def add(a, b): return apply(ADD, a, b)
@implements(np.subtract)
def sub(a, b): return apply(SUB, a, b)
@implements(np.multiply)
def mul(a, b): return apply(MUL, a, b)
@implements(np.divide, np.true_divide)
def truediv(a, b): return apply(TRUEDIV, a, b)
@implements(np.negative)
def neg(a): return apply(NEG, a)
@implements(np.power)
def power(a, b): return apply(POW, a, b)
@implements(np.exp)
def exp(x): return apply(EXP, x)
@implements(np.log)
def log(x): return apply(LOG, x)
@implements(np.log1p)
def log1p(x): return apply(LOG1P, x)
@implements(np.expm1)
def expm1(x): return apply(EXPM1, x)
@implements(np.sqrt)
def sqrt(x): return apply(SQRT, x)
@implements(np.square)
def square(x): return apply(SQUARE, x)
@implements(np.reciprocal)
def reciprocal(x): return apply(RECIPROCAL, x)
@implements(np.sin)
def sin(x): return apply(SIN, x)
@implements(np.cos)
def cos(x): return apply(COS, x)
@implements(np.tan)
def tan(x): return apply(TAN, x)
@implements(np.tanh)
def tanh(x): return apply(TANH, x)
@implements(np.exp2)
def exp2(x): return apply(EXP2, x)
@implements(np.log2)
def log2(x): return apply(LOG2, x)
@implements(np.log10)
def log10(x): return apply(LOG10, x)
@implements(np.sinh)
def sinh(x): return apply(SINH, x)
@implements(np.cosh)
def cosh(x): return apply(COSH, x)
@implements(np.arcsin)
def arcsin(x): return apply(ARCSIN, x)
@implements(np.arccos)
def arccos(x): return apply(ARCCOS, x)
@implements(np.arctan)
def arctan(x): return apply(ARCTAN, x)
@implements(np.arcsinh)
def arcsinh(x): return apply(ARCSINH, x)
@implements(np.arccosh)
def arccosh(x): return apply(ARCCOSH, x)
@implements(np.arctanh)
def arctanh(x): return apply(ARCTANH, x)
@implements(np.arctan2)
def arctan2(y, x): return apply(ARCTAN2, y, x)
@implements(np.hypot)
def hypot(a, b): return apply(HYPOT, a, b)
def sigmoid(x): return apply(SIGMOID, x)
@implements(np.absolute, np.fabs)
def absolute(x): return apply(ABS, x)
def relu(x): return apply(RELU, x)
@implements(np.maximum)
def maximum(a, b): return apply(MAXIMUM, a, b)
@implements(np.minimum)
def minimum(a, b): return apply(MINIMUM, a, b)
@implements(np.clip)
def clip(x, a_min=None, a_max=None, *, min=None, max=None):
    """np.clip(x, a_min, a_max), or NumPy 2's min=/max= spelling; None: unbounded."""
    if (a_min is not None and min is not None) or (a_max is not None and max is not None):
        raise TypeError("np.clip: pass each bound once, as a_min/a_max or as min/max")
    low = a_min if min is None else min
    high = a_max if max is None else max
    return apply(CLIP, x, -np.inf if low is None else low, np.inf if high is None else high)
@implements(np.where)
def where(condition, a, b): return apply(WHERE, strip(condition), a, b)
@implements(np.sign)
def sign(x): return apply(SIGN, x)
@implements(np.floor)
def floor(x): return apply(FLOOR, x)
@implements(np.ceil)
def ceil(x): return apply(CEIL, x)
@implements(np.trunc, np.fix)
def trunc(x): return apply(TRUNC, x)
@implements(np.rint, np.round, np.around)
def round_(x, decimals=0): return apply(ROUND, x, decimals=decimals)


# np.positive is the identity; floor division and remainder are piecewise
# constant in a, linear in their arguments between jumps
@implements(np.positive)
def positive(x): return x


@implements(np.floor_divide)
def floor_divide(a, b): return floor(truediv(a, b))                # derivative 0


@implements(np.remainder)
def remainder(a, b): return sub(a, mul(b, floor_divide(a, b)))     # a mod b = a - b floor(a / b)


@implements(np.fmod)
def fmod(a, b): return sub(a, mul(b, trunc(truediv(a, b))))        # C's fmod: a - b trunc(a / b)


@implements(np.logaddexp)
def logaddexp(a, b): return apply(LOGADDEXP, a, b)
@implements(np.logaddexp2)
def logaddexp2(a, b): return apply(LOGADDEXP2, a, b)
@implements(np.cbrt)
def cbrt(x): return apply(CBRT, x)
@implements(np.sinc)
def sinc(x): return apply(SINC, x)
@implements(np.copysign)
def copysign(a, b): return apply(COPYSIGN, a, b)
@implements(np.heaviside)
def heaviside(x, h0): return apply(HEAVISIDE, x, h0)


@implements(np.nan_to_num)
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    return apply(NAN_TO_NUM, x, nan=nan, posinf=posinf, neginf=neginf)


# linear in x: multiplication by a constant
@implements(np.deg2rad, np.radians)
def deg2rad(x): return mul(x, math.pi / 180.0)                      # d = pi/180


@implements(np.rad2deg, np.degrees)
def rad2deg(x): return mul(x, 180.0 / math.pi)                      # d = 180/pi


# NaN-ignoring extremes: the other argument where one is NaN, else maximum's
# (ties split evenly); float_power: power in float64
@implements(np.fmax)
def fmax(a, b): return where(np.isnan(strip(b)), a, where(np.isnan(strip(a)), b, maximum(a, b)))


@implements(np.fmin)
def fmin(a, b): return where(np.isnan(strip(b)), a, where(np.isnan(strip(a)), b, minimum(a, b)))


@implements(np.float_power)
def float_power(a, b):
    return power(*(astype(v, np.float64) if np.result_type(strip(v)) != np.float64 else v for v in (a, b)))


passes_through(np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
               np.isfinite, np.isnan, np.isinf, np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
               np.signbit, np.spacing, np.isneginf, np.isposinf, np.iscomplex, np.isreal,
               # integer arithmetic: integers have no derivative
               np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert, np.bitwise_count, np.left_shift,
               np.right_shift, np.gcd, np.lcm)


@implements(np.modf)
def modf(x):
    """(fractional part, integral part): d frac = dx, the integral part a constant (as trunc's)."""
    whole = np.trunc(strip(x))
    return sub(x, whole), whole


@implements(np.frexp)
def frexp(x):
    """(mantissa, exponent) with x = mantissa 2^exponent: d mantissa = dx / 2^exponent."""
    exponent = np.frexp(strip(x))[1]
    return mul(x, np.ldexp(1.0, -exponent)), exponent


@implements(np.ldexp)
def ldexp(x, exponent):
    """x 2^exponent (integer exponents: constants)."""
    return mul(x, np.ldexp(1.0, strip(exponent)))


@implements(np.divmod)
def divmod_(a, b):
    return floor_divide(a, b), remainder(a, b)

