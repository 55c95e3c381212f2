"""Convolution (scipy.signal.convolve and correlate): one bilinear op.

The op is the full n-D convolution, out[n] = sum_k a[k] v[n - k]; the
'valid' and 'same' modes are slices of it (getitem, whose transpose the
engine knows), and correlation is convolution with the kernel flipped.
Bilinear, so (as matmul's) its JVP reuses the primal,
    d(a * v) = da * v + a * dv,
and its transposes are correlations of the cotangent, 'valid' mode:
    ct_a[k] = sum_n ct[n] v[n - k] = correlate_valid(ct, v)
    ct_v[k] = correlate_valid(ct, a).
"""

import numpy as np
import scipy.signal

from ..registry import Op, apply, register, shape_of, size_of, strip
from .elementwise import add
from .shape import flip, getitem


def _full(a, v):
    return scipy.signal.convolve(a, v, mode="full")


def _jvp(tangents, out, a, v):
    ta, tv = tangents
    terms = ([] if ta is None else [convolve_full(ta, v)]) + ([] if tv is None else [convolve_full(a, tv)])
    return terms[0] if len(terms) == 1 else add(*terms)


def _vjp(cotangent, argnum, out, a, v):
    other = v if argnum == 0 else a
    return correlate(cotangent, other, "valid")


def _examples(rng):
    def u(*shape):
        return rng.uniform(-2.0, 2.0, shape)
    return [((u(5), u(3)), {}), ((u(2), u(4)), {}), ((u(1), u(1)), {}),
            ((u(3, 4), u(2, 2)), {}), ((u(2, 3, 2), u(2, 1, 2)), {})]


CONVOLVE = register(Op("convolve", _full, jvp=_jvp, vjp=_vjp, saves=("args",),
                       jax=lambda a, v: __import__("jax").scipy.signal.convolve(a, v, mode="full"),
                       cost=lambda out, a, v: 2 * size_of(a) * size_of(v), examples=_examples))


def convolve_full(a, v):
    return apply(CONVOLVE, a, v)


def mode_slices(mode, a_shape, v_shape):
    """The index of the full convolution that `mode` keeps (SciPy's rules)."""
    if mode == "full":
        return None
    if mode == "valid":
        if not (all(m >= n for m, n in zip(a_shape, v_shape)) or all(n >= m for m, n in zip(a_shape, v_shape))):
            raise ValueError("For 'valid' mode, one must be at least as large as the other in every dimension")
        # n in [min - 1, max - 1] along each axis (symmetric in a and v)
        return tuple(slice(min(m, n) - 1, max(m, n)) for m, n in zip(a_shape, v_shape))
    if mode == "same":
        # a's shape, centred on the full result (m + n - 1 long): it starts at (n - 1) // 2
        return tuple(slice((n - 1) // 2, (n - 1) // 2 + m) for m, n in zip(a_shape, v_shape))
    raise ValueError(f"acceptable mode flags are 'valid', 'same', or 'full', got {mode!r}")


def _operands(name, a, v):
    for x in (a, v):
        if np.iscomplexobj(strip(x)):
            raise TypeError(f"fwdrev's {name} takes real arrays; for complex ones, convolve real and "
                            "imaginary parts separately")
    if len(shape_of(a)) != len(shape_of(v)):
        raise ValueError(f"{name}: in1 and in2 should have the same dimensionality")


def convolve(a, v, mode="full"):
    _operands("scipy.signal.convolve", a, v)
    full = convolve_full(a, v)
    index = mode_slices(mode, shape_of(a), shape_of(v))
    return full if index is None else getitem(full, index)


def correlate(a, v, mode="full"):
    """sum_k a[n + k] v[k]: convolution with v flipped along every axis."""
    _operands("scipy.signal.correlate", a, v)
    return convolve(a, flip(v), mode)
