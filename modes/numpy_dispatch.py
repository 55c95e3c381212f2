"""Plain NumPy code on boxed values: operators, `__array_ufunc__` and
`__array_function__` route to the registry, shared by both engines.

A NumPy function with no rule raises `UnsupportedFunction` naming it: fwdrev
never silently drops a derivative.
"""

import inspect
import math

import numpy as np

from . import ops
from .registry import Box


class UnsupportedFunction(TypeError):
    pass


def _unsupported(name, arguments=""):
    """`name` as NumPy spells it ("sinh", "linalg.inv"); `arguments`, the
    options fwdrev's version does not take."""
    short = name.rsplit(".", 1)[-1]
    if arguments:
        return UnsupportedFunction(f"fwdrev's numpy.{name} does not take {arguments}; call it "
                                   "without them, or register your own rule with modes.defop")
    return UnsupportedFunction(
        f"fwdrev has no differentiation rule for numpy.{name}. Rewrite the code with supported "
        f"functions (see modes.registry.REGISTRY), or register a rule: "
        f"modes.defop('{short}', primal, jvp=..., vjp=..., numpy=np.{name})")


def _numpy_name(func):
    module = getattr(func, "__module__", "numpy") or "numpy"
    prefix = module.replace("numpy", "", 1).lstrip(".")
    return f"{prefix}.{func.__name__}" if prefix and not prefix.startswith("_") else func.__name__


def _plain(function):
    """A non-differentiable function of the values (argmax, comparisons, ...)."""
    def on_plain_values(*args, **kwargs):
        return function(*[ops.strip(a) for a in args], **{k: ops.strip(v) for k, v in kwargs.items()})
    return on_plain_values


def _clip(x, a_min=None, a_max=None, *, min=None, max=None):
    """np.clip(x, a_min, a_max), or NumPy 2's min=/max= spelling; None: unbounded."""
    if (a_min is not None and min is not None) or (a_max is not None and max is not None):
        raise TypeError("np.clip: pass each bound once, as a_min/a_max or as min/max")
    low = a_min if min is None else min
    high = a_max if max is None else max
    return ops.clip(x, -np.inf if low is None else low, np.inf if high is None else high)


def _power(a, b):
    return ops.power(a, b)


def _hstack(arrays):
    # NumPy: 1-d arrays (scalars made 1-d first) join end to end, others along axis 1
    return ops.concatenate(arrays, axis=0 if np.ndim(ops.strip(arrays[0])) == 1 else 1)


def _floor_divide(a, b):
    return ops.floor(ops.truediv(a, b))               # piecewise constant: derivative 0


def _remainder(a, b):
    return ops.sub(a, ops.mul(b, _floor_divide(a, b)))  # a mod b = a - b floor(a / b)


UFUNCS = {
    np.add: ops.add, np.subtract: ops.sub, np.multiply: ops.mul, np.divide: ops.truediv,
    np.true_divide: ops.truediv, np.negative: ops.neg, np.power: _power, np.positive: lambda x: x,
    np.exp: ops.exp, np.log: ops.log, np.log1p: ops.log1p, np.expm1: ops.expm1, np.sqrt: ops.sqrt,
    np.square: ops.square, np.reciprocal: ops.reciprocal, np.sin: ops.sin, np.cos: ops.cos,
    np.tan: ops.tan, np.tanh: ops.tanh, np.absolute: ops.absolute, np.fabs: ops.absolute,
    np.exp2: ops.exp2, np.log2: ops.log2, np.log10: ops.log10, np.sinh: ops.sinh, np.cosh: ops.cosh,
    np.arcsin: ops.arcsin, np.arccos: ops.arccos, np.arctan: ops.arctan, np.arcsinh: ops.arcsinh,
    np.arccosh: ops.arccosh, np.arctanh: ops.arctanh, np.arctan2: ops.arctan2, np.hypot: ops.hypot,
    np.sign: ops.sign, np.floor: ops.floor, np.ceil: ops.ceil, np.rint: ops.round_,
    np.maximum: ops.maximum, np.minimum: ops.minimum,
    np.matmul: ops.matmul, np.floor_divide: _floor_divide, np.remainder: _remainder,
}
for _comparison in (np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
                    np.isfinite, np.isnan, np.isinf, np.logical_and, np.logical_or, np.logical_not,
                    np.signbit):
    UFUNCS[_comparison] = _plain(_comparison)

FUNCTIONS = {
    np.sum: ops.sum, np.mean: ops.mean, np.prod: ops.prod, np.max: ops.max, np.amax: ops.max,
    np.min: ops.min, np.amin: ops.min, np.var: ops.var, np.std: ops.std, np.cumsum: ops.cumsum,
    np.clip: _clip, np.where: ops.where, np.dot: ops.dot, np.matmul: ops.matmul,
    np.einsum: ops.einsum, np.outer: ops.outer, np.inner: ops.inner, np.vdot: ops.vdot,
    np.trace: ops.trace, np.linalg.norm: ops.norm, np.transpose: ops.transpose,
    np.reshape: ops.reshape, np.broadcast_to: ops.broadcast_to, np.expand_dims: ops.expand_dims,
    np.squeeze: ops.squeeze, np.ravel: ops.ravel, np.concatenate: ops.concatenate,
    np.stack: ops.stack, np.take: ops.take, np.swapaxes: ops.swapaxes, np.moveaxis: ops.moveaxis,
    np.round: ops.round_, np.around: ops.round_, np.diagonal: ops.diagonal, np.flip: ops.flip,
    np.fliplr: lambda x: ops.flip(x, 1), np.flipud: lambda x: ops.flip(x, 0), np.tensordot: ops.tensordot,
    np.sort: ops.sort, np.diag: ops.diag, np.repeat: ops.repeat, np.tile: ops.tile,
    np.square: ops.square, np.sqrt: ops.sqrt, np.abs: ops.absolute,
    np.vstack: lambda arrays: ops.concatenate([ops.reshape(a, (1, -1)) if np.ndim(ops.strip(a)) < 2
                                               else a for a in arrays], axis=0),
    np.hstack: lambda arrays: _hstack([ops.reshape(a, (1,)) if np.ndim(ops.strip(a)) == 0 else a
                                       for a in arrays]),
    np.shape: lambda x: x.shape, np.ndim: lambda x: x.ndim, np.size: lambda x: x.size,
    np.zeros_like: lambda x, *a, **k: np.zeros_like(ops.strip(x), *a, **k),
    np.ones_like: lambda x, *a, **k: np.ones_like(ops.strip(x), *a, **k),
    np.full_like: lambda x, *a, **k: np.full_like(ops.strip(x), *a, **k),
    np.empty_like: lambda x, *a, **k: np.zeros_like(ops.strip(x), *a, **k),
}
for _plain_function in (np.argmax, np.argmin, np.argsort, np.nonzero, np.allclose, np.isclose,
                        np.array_equal, np.count_nonzero, np.any, np.all,
                        np.iscomplexobj, np.isrealobj, np.result_type, np.can_cast):
    FUNCTIONS[_plain_function] = _plain(_plain_function)


def _check_arguments(function, numpy_function, args, kwargs):
    """After a TypeError from function(*args, **kwargs): arguments fwdrev's
    version does not take (out=, dtype=, order=...) are named in the error
    rather than a bare TypeError."""
    try:
        inspect.signature(function).bind(*args, **kwargs)
    except (TypeError, ValueError):
        given = ", ".join(f"{key}=" for key in kwargs) or f"{len(args)} positional arguments"
        raise _unsupported(_numpy_name(numpy_function), given) from None


def register_numpy(numpy_function, implementation):
    """Route a NumPy function or ufunc to `implementation` (used by defop)."""
    table = UFUNCS if isinstance(numpy_function, np.ufunc) else FUNCTIONS
    table[numpy_function] = implementation


class ArrayInterface(Box):
    """What makes a box behave like an ndarray in plain NumPy code."""

    __slots__ = ()

    # NumPy protocols ------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__":
            raise _unsupported(f"{ufunc.__name__}.{method}")
        if kwargs and kwargs.pop("out", None) is not None:
            raise UnsupportedFunction(
                f"numpy.{ufunc.__name__} was asked to write into an existing array (out=, or an "
                "in-place operator such as y += x on a plain array y): the derivative would be lost. "
                "Write y = y + x instead")
        function = UFUNCS.get(ufunc)
        if function is None:
            raise _unsupported(ufunc.__name__)
        try:
            return function(*inputs, **kwargs)
        except TypeError:
            _check_arguments(function, ufunc, inputs, kwargs)
            raise

    def __array_function__(self, func, types, args, kwargs):
        function = FUNCTIONS.get(func)
        if function is None:
            raise _unsupported(_numpy_name(func))
        try:
            return function(*args, **kwargs)
        except TypeError:
            _check_arguments(function, func, args, kwargs)
            raise

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            f"a {type(self).__name__} cannot become a plain NumPy array: its derivative would be "
            "lost. Keep it in NumPy functions, or read its value (.primal for a Dual, .value for a "
            "traced value) if you really mean to drop the derivative.")

    def __float__(self):
        raise TypeError(f"float() of a {type(self).__name__} would drop its derivative; "
                        "keep it as an array, or read .primal / .value explicitly")

    __int__ = __complex__ = __index__ = __float__

    def __bool__(self):
        return bool(ops.strip(self))

    def __len__(self):
        return len(ops.strip(self))

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __setitem__(self, index, value):
        raise TypeError("differentiable arrays cannot be assigned in place (x[i] = v); build a new "
                        "array instead: np.where(mask, v, x), np.concatenate, or x + scatter")

    # arithmetic operators --------------------------------------------------------
    def __add__(self, other): return ops.add(self, other)
    def __radd__(self, other): return ops.add(other, self)
    def __sub__(self, other): return ops.sub(self, other)
    def __rsub__(self, other): return ops.sub(other, self)
    def __mul__(self, other): return ops.mul(self, other)
    def __rmul__(self, other): return ops.mul(other, self)
    def __truediv__(self, other): return ops.truediv(self, other)
    def __rtruediv__(self, other): return ops.truediv(other, self)
    def __pow__(self, other): return ops.power(self, other)
    def __rpow__(self, other): return ops.power(other, self)
    def __floordiv__(self, other): return _floor_divide(self, other)
    def __rfloordiv__(self, other): return _floor_divide(other, self)
    def __mod__(self, other): return _remainder(self, other)
    def __rmod__(self, other): return _remainder(other, self)
    def __divmod__(self, other): return _floor_divide(self, other), _remainder(self, other)
    def __rdivmod__(self, other): return _floor_divide(other, self), _remainder(other, self)
    def __matmul__(self, other): return ops.matmul(self, other)
    def __rmatmul__(self, other): return ops.matmul(other, self)
    def __neg__(self): return ops.neg(self)
    def __pos__(self): return self
    def __abs__(self): return ops.absolute(self)
    def __getitem__(self, index): return ops.getitem(self, index)

    # comparisons act on values: they are not differentiable
    def __lt__(self, other): return ops.strip(self) < ops.strip(other)
    def __le__(self, other): return ops.strip(self) <= ops.strip(other)
    def __gt__(self, other): return ops.strip(self) > ops.strip(other)
    def __ge__(self, other): return ops.strip(self) >= ops.strip(other)
    def __eq__(self, other): return ops.strip(self) == ops.strip(other)
    def __ne__(self, other): return ops.strip(self) != ops.strip(other)
    __hash__ = None

    # ndarray attributes and methods ------------------------------------------------
    @property
    def ndim(self): return len(self.shape)
    @property
    def size(self): return math.prod(self.shape)
    @property
    def dtype(self): return np.result_type(ops.strip(self))
    @property
    def T(self): return ops.transpose(self)

    # ndarray's reduction methods take NumPy's arguments in NumPy's order
    def sum(self, *args, **kwargs): return ops.sum(self, *args, **kwargs)
    def mean(self, *args, **kwargs): return ops.mean(self, *args, **kwargs)
    def prod(self, *args, **kwargs): return ops.prod(self, *args, **kwargs)
    def max(self, *args, **kwargs): return ops.max(self, *args, **kwargs)
    def min(self, *args, **kwargs): return ops.min(self, *args, **kwargs)
    def var(self, *args, **kwargs): return ops.var(self, *args, **kwargs)
    def std(self, *args, **kwargs): return ops.std(self, *args, **kwargs)
    def cumsum(self, axis=None): return ops.cumsum(self, axis)
    def dot(self, other): return ops.dot(self, other)
    def clip(self, min=None, max=None): return _clip(self, min, max)
    def ravel(self): return ops.ravel(self)
    def copy(self): return self      # values under a transformation are never written in place
    def round(self, decimals=0): return ops.round_(self, decimals)
    flatten = ravel
    def squeeze(self, axis=None): return ops.squeeze(self, axis)
    def argmax(self, axis=None): return np.argmax(ops.strip(self), axis=axis)
    def argmin(self, axis=None): return np.argmin(ops.strip(self), axis=axis)
    def swapaxes(self, a, b): return ops.swapaxes(self, a, b)
    def diagonal(self, offset=0, axis1=0, axis2=1): return ops.diagonal(self, offset, axis1, axis2)
    def repeat(self, repeats, axis=None): return ops.repeat(self, repeats, axis)
    def trace(self, offset=0, axis1=0, axis2=1): return ops.trace(self, offset, axis1, axis2)

    def reshape(self, *shape):
        return ops.reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes):
        return ops.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def astype(self, dtype):
        return ops.astype(self, dtype)

    # real arrays: their real part and conjugate are themselves
    real = property(lambda self: self)
    def conj(self): return self
    conjugate = conj
    def any(self, *args, **kwargs): return np.any(ops.strip(self), *args, **kwargs)
    def all(self, *args, **kwargs): return np.all(ops.strip(self), *args, **kwargs)


def _no_rule(name):
    """ndarray's .name on a box: an AttributeError that says why (a property,
    not __getattr__: a class with __getattr__ loses CPython's fast attribute
    loads, which cost the scalar Rosenbrock gradient 15%)."""
    dropping = name in ("item", "tolist", "tobytes", "fill", "itemset", "view", "tofile", "dump", "dumps")

    def refuse(self):
        raise AttributeError(
            f"{type(self).__name__} has no .{name}"
            + (": it would drop the derivative (read .value or .primal if you mean that)" if dropping
               else ": fwdrev has no rule for it; see modes.registry.REGISTRY, or register one with modes.defop"))
    return property(refuse)


for _name in dir(np.ndarray):
    if not _name.startswith("_") and not hasattr(ArrayInterface, _name):
        setattr(ArrayInterface, _name, _no_rule(_name))
