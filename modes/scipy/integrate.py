"""Drop-in for scipy.integrate.odeint: `from modes.scipy.integrate import odeint`.

    ys = odeint(func, y0, t, args=(k,))     # SciPy's spelling
    ys = odeint(func, y0, t, k)             # JAX's (jax.experimental.ode.odeint)

with func(y, t, *args) -> dy/dt written in plain NumPy. Differentiable in y0
and in every float parameter among args (arrays, floats, or dicts, lists,
tuples of them), forward mode by forward sensitivities, reverse mode by the
adjoint method (modes/ops/integrate.py). Not in t. Every other name is
scipy.integrate's own (module __getattr__).
"""

import numpy as np
import scipy.integrate as _scipy_integrate

from .. import ops
from ..errors import UnsupportedFunction
from ..ops.integrate import solve
from ..pytree import flatten
from ..registry import Box, shape_of, size_of, strip

# SciPy's options the solver takes through fwdrev (the others change what it returns)
PASSED = ("rtol", "atol", "mxstep", "h0", "hmax", "hmin", "tcrit", "mxordn", "mxords")

__all__ = ["odeint"]


def __getattr__(name):
    return getattr(_scipy_integrate, name)


def _differentiable(leaf):
    return isinstance(leaf, Box) or isinstance(leaf, float) or (
        isinstance(leaf, np.ndarray) and leaf.dtype.kind == "f")


def odeint(func, y0, t, *args, tfirst=False, **options):
    """y(t) for y' = func(y, t, *args), y(t[0]) = y0: shape (len(t), len(y0))."""
    if "args" in options:
        args = tuple(options.pop("args")) if isinstance(options["args"], (tuple, list)) else (options.pop("args"),)
    elif len(args) == 1 and isinstance(args[0], tuple):     # SciPy's positional args=(...)
        args = args[0]
    refused = sorted(set(options) - set(PASSED))
    if refused:
        raise UnsupportedFunction(f"fwdrev's scipy.integrate.odeint does not take {', '.join(refused)}; "
                                  f"it takes args, tfirst and {', '.join(PASSED)}")
    if len(shape_of(y0)) > 1:
        raise ValueError(f"odeint: y0 must be a scalar or 1-D, got shape {shape_of(y0)}")
    y0 = ops.reshape(y0, (-1,)) if isinstance(y0, Box) else np.asarray(y0, dtype=np.float64).reshape(-1)
    size = shape_of(y0)[0]

    # every float leaf of args is a parameter, packed flat after y0: z = [y0, theta]
    leaves, rebuild = flatten(args)
    slots = [i for i, leaf in enumerate(leaves) if _differentiable(leaf)]
    shapes = [shape_of(leaves[i]) for i in slots]
    pieces = [y0] + [ops.reshape(leaves[i], (-1,)) for i in slots]
    z = ops.concatenate(pieces) if len(pieces) > 1 else y0

    def packed_func(y, time, theta):
        filled, start = list(leaves), 0
        for i, shape in zip(slots, shapes):
            n = int(np.prod(shape))
            filled[i] = ops.reshape(ops.getitem(theta, slice(start, start + n)), shape)
            start += n
        return func(time, y, *rebuild(filled)) if tfirst else func(y, time, *rebuild(filled))

    times = t if isinstance(t, Box) else np.asarray(t, dtype=np.float64)
    return solve(z, times, packed_func, size, options)
