"""Plain NumPy code on boxed values: operators, `__array_ufunc__` and
`__array_function__` route to the registry, shared by both engines.

A NumPy function with no rule raises `UnsupportedFunction` naming it: fwdrev
never silently drops a derivative.
"""

import inspect
import math

import numpy as np

from . import ops, writes
from .errors import UnsupportedFunction, qualified_name
from .idioms import lost_derivative
from .registry import NUMPY_TABLE, Box, escaped_value


def _unsupported(name, arguments=""):
    """`name` as the user called it ("numpy.sinh", "numpy.linalg.inv",
    "scipy.special.erf"); `arguments`, the options fwdrev's version does not take."""
    short = name.rsplit(".", 1)[-1]
    if arguments:
        return UnsupportedFunction(f"fwdrev's {name} does not take {arguments}; call it "
                                   "without them, or register your own rule with modes.defop")
    call = name.replace("numpy.", "np.", 1) if name.startswith("numpy.") else name
    return UnsupportedFunction(
        f"fwdrev has no differentiation rule for {name}. Rewrite the code with supported "
        f"functions (see modes.registry.REGISTRY), or register a rule: "
        f"modes.defop('{short}', primal, jvp=..., vjp=..., numpy={call})")


def _check_arguments(function, numpy_function, args, kwargs):
    """After a TypeError from function(*args, **kwargs): arguments fwdrev's
    version does not take (out=, dtype=, order=...) are named in the error
    rather than a bare TypeError."""
    try:
        inspect.signature(function).bind(*args, **kwargs)
    except (TypeError, ValueError):
        given = ", ".join(f"{key}=" for key in kwargs) or f"{len(args)} positional arguments"
        raise _unsupported(qualified_name(numpy_function), given) from None


def register_numpy(numpy_function, implementation):
    """Route a NumPy function or ufunc to `implementation` (used by defop)."""
    NUMPY_TABLE[numpy_function] = implementation


class ArrayInterface(Box):
    """What makes a box behave like an ndarray in plain NumPy code."""

    __slots__ = ()

    # NumPy protocols ------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "at" and ufunc is np.add:
            return writes.add_at(*inputs)
        if kwargs and kwargs.pop("out", None) is not None:
            raise UnsupportedFunction(
                f"numpy.{ufunc.__name__} was asked to write into an existing array (out=, or an "
                "in-place operator such as y += x on a plain array y): the derivative would be lost. "
                "Write y = y + x instead")
        if method == "outer" and ufunc.nin == 2 and ufunc in NUMPY_TABLE:
            a, b = inputs      # np.add.outer(a, b): a with b's axes appended, broadcast against b
            inputs, method = (ops.reshape(a, np.shape(ops.strip(a)) + (1,) * np.ndim(ops.strip(b))), b), "__call__"
        # np.add.reduce and np.add.accumulate have entries of their own (ops/reductions.py)
        function = NUMPY_TABLE.get(ufunc if method == "__call__" else getattr(ufunc, method, None))
        if function is None:
            raise _unsupported(qualified_name(ufunc) + ("" if method == "__call__" else f".{method}"))
        try:
            return function(*inputs, **kwargs)
        except TypeError:
            _check_arguments(function, ufunc, inputs, kwargs)
            raise

    def __array_function__(self, func, types, args, kwargs):
        function = NUMPY_TABLE.get(func)
        if function is None:
            raise _unsupported(qualified_name(func))
        try:
            return function(*args, **kwargs)
        except TypeError:
            _check_arguments(function, func, args, kwargs)
            raise

    def __array__(self, dtype=None, copy=None):
        if not self.tag.alive:    # escaped from a finished call: its value
            return np.asarray(escaped_value(self), dtype)
        if dtype is not None and np.dtype(dtype).kind in "iub":    # np.int64(v): as v.astype(int)
            return ops.astype(self, dtype)
        raise lost_derivative("array", f"differentiable value (a {type(self).__name__})")

    def _plain_scalar(self, kind, conversion):
        if not self.tag.alive:    # escaped from a finished call: its value
            return kind(escaped_value(self))
        raise lost_derivative(conversion, f"differentiable value (a {type(self).__name__})")

    def __float__(self): return self._plain_scalar(float, "float")
    def __int__(self): return self._plain_scalar(int, "int")
    def __complex__(self): return self._plain_scalar(complex, "complex")
    def __index__(self): return self._plain_scalar(int, "index")

    def __bool__(self):
        return bool(ops.strip(self))

    def __format__(self, spec):      # f"{loss:.3f}" shows the value, as print(loss) does
        return format(ops.strip(self), spec)

    def __len__(self):
        return len(ops.strip(self))

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # in-place writes: recorded as functional updates (see writes.py)
    def __setitem__(self, index, value): writes.write(self, index, value)
    def __iadd__(self, other): return writes.augmented_assign(self, ops.add, other)
    def __isub__(self, other): return writes.augmented_assign(self, ops.sub, other)
    def __imul__(self, other): return writes.augmented_assign(self, ops.mul, other)
    def __itruediv__(self, other): return writes.augmented_assign(self, ops.truediv, other)
    def __ipow__(self, other): return writes.augmented_assign(self, ops.power, other)
    def fill(self, value): writes.write(self, Ellipsis, value)

    def sort(self, axis=-1, kind=None, order=None):
        """In place, as ndarray.sort: the sorted values written back."""
        writes.write(self, Ellipsis, ops.sort(self, axis))

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
    def __floordiv__(self, other): return ops.floor_divide(self, other)
    def __rfloordiv__(self, other): return ops.floor_divide(other, self)
    def __mod__(self, other): return ops.remainder(self, other)
    def __rmod__(self, other): return ops.remainder(other, self)
    def __divmod__(self, other): return ops.floor_divide(self, other), ops.remainder(self, other)
    def __rdivmod__(self, other): return ops.floor_divide(other, self), ops.remainder(other, self)
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
    # its array's memory layout (what as_strided and CS231n's conv_forward_strides read)
    @property
    def itemsize(self): return self.dtype.itemsize
    @property
    def nbytes(self): return self.size * self.itemsize
    @property
    def strides(self): return np.asarray(ops.strip(self)).strides

    # ndarray's reduction methods take NumPy's arguments in NumPy's order
    def sum(self, *args, **kwargs): return ops.sum(self, *args, **kwargs)
    def mean(self, *args, **kwargs): return ops.mean(self, *args, **kwargs)
    def prod(self, *args, **kwargs): return ops.prod(self, *args, **kwargs)
    def max(self, *args, **kwargs): return ops.max(self, *args, **kwargs)
    def min(self, *args, **kwargs): return ops.min(self, *args, **kwargs)
    def var(self, *args, **kwargs): return ops.var(self, *args, **kwargs)
    def std(self, *args, **kwargs): return ops.std(self, *args, **kwargs)
    def cumsum(self, axis=None, dtype=None, out=None): return ops.cumsum(self, axis, dtype, out)
    def cumprod(self, axis=None, dtype=None, out=None): return ops.cumprod(self, axis, dtype, out)
    def dot(self, other): return ops.dot(self, other)
    def clip(self, min=None, max=None): return ops.clip(self, min, max)
    def copy(self, order="C"): return ops.copy(self)
    def round(self, decimals=0): return ops.round_(self, decimals)
    def take(self, indices, axis=None): return ops.take(self, indices, axis)
    def nonzero(self): return np.nonzero(ops.strip(self))
    @property
    def mT(self): return ops.swapaxes(self, -1, -2)
    @property
    def flat(self): return writes.Flat(self)

    def ravel(self, order="C"):
        return self.reshape(-1, order=order)

    def flatten(self, order="C"):
        return ops.copy(self.ravel(order))     # (always a copy, as ndarray.flatten)
    def squeeze(self, axis=None): return ops.squeeze(self, axis)
    def argmax(self, axis=None): return np.argmax(ops.strip(self), axis=axis)
    def argmin(self, axis=None): return np.argmin(ops.strip(self), axis=axis)
    def swapaxes(self, a, b): return ops.swapaxes(self, a, b)
    def diagonal(self, offset=0, axis1=0, axis2=1): return ops.diagonal(self, offset, axis1, axis2)
    def repeat(self, repeats, axis=None): return ops.repeat(self, repeats, axis)
    def trace(self, offset=0, axis1=0, axis2=1): return ops.trace(self, offset, axis1, axis2)

    def reshape(self, *shape, order="C"):
        shape = shape[0] if len(shape) == 1 else shape
        if _memory_order(self, order) == "F":      # Fortran order: reversed axes, reshaped, reversed back
            return ops.transpose(ops.reshape(ops.transpose(self), tuple(np.atleast_1d(shape))[::-1]))
        return ops.reshape(self, shape)

    def transpose(self, *axes):
        return ops.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        """As ndarray.astype: a copy unless copy=False finds the dtype already
        right (dropout's `out.astype(x.dtype, copy=False)`)."""
        if not np.can_cast(self.dtype, dtype, casting=casting):
            raise TypeError(f"Cannot cast array data from {self.dtype!r} to {np.dtype(dtype)!r} according to the "
                            f"rule {casting!r}")
        cast = ops.astype(self, dtype)
        return ops.copy(cast) if cast is self and copy else cast

    real = property(lambda self: ops.real(self))
    imag = property(lambda self: ops.imag(self))
    def conj(self): return ops.conj(self)
    conjugate = conj
    def any(self, *args, **kwargs): return np.any(ops.strip(self), *args, **kwargs)
    def all(self, *args, **kwargs): return np.all(ops.strip(self), *args, **kwargs)


def _memory_order(box, order):
    """NumPy's order= of reshape and ravel: 'C' or 'F' ('A' and 'K': F for
    an array laid out in Fortran order only)."""
    if order in ("A", "K"):
        flags = np.asarray(ops.strip(box)).flags
        return "F" if flags.f_contiguous and not flags.c_contiguous else "C"
    if order not in ("C", "F"):
        raise ValueError(f"order must be one of 'C', 'F', 'A', or 'K' (got {order!r})")
    return order


def _no_rule(name):
    """ndarray's .name on a box: an AttributeError that says why (a property,
    not __getattr__: a class with __getattr__ loses CPython's fast attribute
    loads, which cost the scalar Rosenbrock gradient 15%)."""
    dropping = name in ("item", "tolist", "tobytes", "itemset", "view", "tofile", "dump", "dumps")

    def refuse(self):
        raise AttributeError(
            f"{type(self).__name__} has no .{name}"
            + (": it would drop the derivative (read .value or .primal if you mean that)" if dropping
               else ": fwdrev has no rule for it; see modes.registry.REGISTRY, or register one with modes.defop"))
    return property(refuse)


for _name in dir(np.ndarray):
    if not _name.startswith("_") and not hasattr(ArrayInterface, _name):
        setattr(ArrayInterface, _name, _no_rule(_name))
