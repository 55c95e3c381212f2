"""np.fft: three linear ops and the NumPy functions lowered to them.

    fftn   (x, axes, norm, inverse)    complex -> complex, the DFT or its inverse
    rfftn  (x, axes, norm)             real -> the half spectrum (last axis n//2 + 1)
    irfftn (x, axes, norm, lengths)    half spectrum -> real, `lengths` long

Each is linear, so its JVP is itself and its VJP its transpose (JAX's
convention for complex cotangents, see ops/complex.py):
    fftn^T = fftn              (the DFT matrix is symmetric, and so is its scaling)
    rfftn^T ct = fftn(ct zero-padded to n), whose real part the engine keeps (x is real)
    irfftn^T ct = conj(mask * rfftn(ct, norm swapped)), mask = 1 at 0 and n/2, else 2
                               (the half spectrum stands for both halves; jax's _irfft_transpose)
The ops keep their axes negative, so that a leading batch axis of chunked
tangents passes straight through. s= pads or truncates the input first, as
NumPy does, with registry ops (a slice, a concatenation of zeros). hfft and
ihfft are irfft and rfft of the conjugate with the norm's direction swapped.
"""

import math

import numpy as np

from ..registry import apply, implements, linear, passes_through, shape_of, strip
from .assembly import roll
from .complex import conj
from .elementwise import mul
from .reductions import refuse_options
from .shape import concatenate, getitem

SWAPPED = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


def _jnp():
    import jax.numpy as jnp
    return jnp


def _cost(out, x, axes, **params):
    """5 N log2 N flops for N transformed points (radix-2 count), per transform."""
    n = math.prod(max(shape_of(out)[a], shape_of(x)[a]) for a in axes)
    return int(5 * math.prod(shape_of(out)) * math.log2(max(n, 2)))


def _itself(op):
    return lambda args, flags, **params: apply(op, args[0], **params)


def _examples(rng, complex_input):
    def sample(shape):
        x = rng.uniform(-2, 2, shape)
        return x + 1j * rng.uniform(-2, 2, shape) if complex_input else x
    return [((sample((5,)),), dict(axes=(-1,), norm="backward")),
            ((sample((3, 4)),), dict(axes=(-2, -1), norm="ortho")),
            ((sample((3, 4)),), dict(axes=(-2,), norm="forward"))]


FFTN = linear("fftn", lambda x, axes, norm, inverse: (np.fft.ifftn if inverse else np.fft.fftn)(x, axes=axes, norm=norm),
              lambda ct, argnum, x, axes, norm, inverse: fftn(ct, axes, norm, inverse),
              jax=lambda x, axes, norm, inverse: (_jnp().fft.ifftn if inverse else _jnp().fft.fftn)(x, axes=axes, norm=norm),
              examples=lambda rng: [(args, dict(params, inverse=inverse)) for inverse in (False, True)
                                    for args, params in _examples(rng, complex_input=True)],
              batch=None, cost=_cost)
RFFTN = linear("rfftn", lambda x, axes, norm: np.fft.rfftn(x, axes=axes, norm=norm),
               lambda ct, argnum, x, axes, norm: fftn(resize(ct, axes[-1], shape_of(x)[axes[-1]]), axes, norm, False),
               jax=lambda x, axes, norm: _jnp().fft.rfftn(x, axes=axes, norm=norm),
               examples=lambda rng: _examples(rng, complex_input=False), batch=None, cost=_cost)


def _irfftn_transpose(ct, argnum, x, axes, norm, lengths):
    half = shape_of(x)[axes[-1]]
    weights = np.full(half, 2.0)
    weights[0] = 1.0
    if lengths[-1] % 2 == 0:
        weights[-1] = 1.0                       # the Nyquist term appears once
    weights = weights.reshape((half,) + (1,) * (-axes[-1] - 1))
    return conj(mul(rfftn(ct, axes, SWAPPED[norm]), weights))


IRFFTN = linear("irfftn", lambda x, axes, norm, lengths: np.fft.irfftn(x, s=lengths, axes=axes, norm=norm),
                _irfftn_transpose,
                jax=lambda x, axes, norm, lengths: _jnp().fft.irfftn(x, s=lengths, axes=axes, norm=norm),
                examples=lambda rng: [((x,), dict(params, lengths=tuple(2 * (shape_of(x)[a] - 1) + odd
                                                                        if a == params["axes"][-1] else shape_of(x)[a]
                                                                        for a in params["axes"])))
                                      for odd in (0, 1) for (x,), params in _examples(rng, complex_input=True)],
                batch=None, cost=_cost)
for _op in (FFTN, RFFTN, IRFFTN):
    _op.batch = _itself(_op)


def fftn(x, axes, norm, inverse):
    return apply(FFTN, x, axes=axes, norm=norm, inverse=inverse)


def rfftn(x, axes, norm):
    return apply(RFFTN, x, axes=axes, norm=norm)


# --- NumPy's signatures --------------------------------------------------------
def resize(x, axis, n):
    """x truncated or zero-padded to n along `axis`, as NumPy's s= and n= do."""
    m = shape_of(x)[axis]
    if m > n:
        index = [slice(None)] * len(shape_of(x))
        index[axis] = slice(0, n)
        return getitem(x, tuple(index))
    if m < n:
        shape = list(shape_of(x))
        shape[axis] = n - m
        return concatenate([x, np.zeros(shape, np.result_type(strip(x)))], axis=axis % len(shape))
    return x


def _axes_and_lengths(x, s, axes, default_axes):
    """Negative axes and the transform's lengths (NumPy's defaults: s follows axes)."""
    ndim = len(shape_of(x))
    if axes is None:
        axes = default_axes if default_axes is not None else (
            tuple(range(-len(s), 0)) if s is not None else tuple(range(-ndim, 0)))
    axes = tuple(a % ndim - ndim for a in axes)
    lengths = tuple(shape_of(x)[a] for a in axes) if s is None else tuple(s)
    return axes, lengths


def _norm(norm):
    if norm not in (None, "backward", "ortho", "forward"):
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or "forward".')
    return norm or "backward"


def complex_transform(x, s, axes, norm, inverse, default_axes=None):
    axes, lengths = _axes_and_lengths(x, s, axes, default_axes)
    for axis, n in zip(axes, lengths):
        x = resize(x, axis, n)
    return fftn(x, axes, _norm(norm), inverse)


def real_transform(x, s, axes, norm, default_axes=None):
    axes, lengths = _axes_and_lengths(x, s, axes, default_axes)
    for axis, n in zip(axes, lengths):
        x = resize(x, axis, n)
    return rfftn(x, axes, _norm(norm))


def inverse_real_transform(x, s, axes, norm, default_axes=None):
    axes, lengths = _axes_and_lengths(x, s, axes, default_axes)
    if s is None:       # NumPy's default: an even output of 2 (m - 1) along the last axis
        lengths = lengths[:-1] + (2 * (shape_of(x)[axes[-1]] - 1),)
    for axis, n in zip(axes[:-1], lengths[:-1]):
        x = resize(x, axis, n)
    x = resize(x, axes[-1], lengths[-1] // 2 + 1)
    return apply(IRFFTN, x, axes=axes, norm=_norm(norm), lengths=lengths)


def _one(n):
    return None if n is None else (n,)


@implements(np.fft.fft)
def fft(a, n=None, axis=-1, norm=None, out=None):
    refuse_options("fft.fft", out=out)
    return complex_transform(a, _one(n), (axis,), norm, False)


@implements(np.fft.ifft)
def ifft(a, n=None, axis=-1, norm=None, out=None):
    refuse_options("fft.ifft", out=out)
    return complex_transform(a, _one(n), (axis,), norm, True)


@implements(np.fft.fft2, np.fft.fftn)
def fft2_or_n(a, s=None, axes=None, norm=None, out=None):
    refuse_options("fft.fft2_or_n", out=out)
    return complex_transform(a, s, axes, norm, False)


@implements(np.fft.ifft2, np.fft.ifftn)
def ifft2_or_n(a, s=None, axes=None, norm=None, out=None):
    refuse_options("fft.ifft2_or_n", out=out)
    return complex_transform(a, s, axes, norm, True)


@implements(np.fft.rfft)
def rfft(a, n=None, axis=-1, norm=None, out=None):
    refuse_options("fft.rfft", out=out)
    return real_transform(a, _one(n), (axis,), norm)


@implements(np.fft.rfft2, np.fft.rfftn)
def rfft2_or_n(a, s=None, axes=None, norm=None, out=None):
    refuse_options("fft.rfft2_or_n", out=out)
    return real_transform(a, s, axes, norm)


@implements(np.fft.irfft)
def irfft(a, n=None, axis=-1, norm=None, out=None):
    refuse_options("fft.irfft", out=out)
    return inverse_real_transform(a, _one(n), (axis,), norm)


@implements(np.fft.irfft2, np.fft.irfftn)
def irfft2_or_n(a, s=None, axes=None, norm=None, out=None):
    refuse_options("fft.irfft2_or_n", out=out)
    return inverse_real_transform(a, s, axes, norm)


@implements(np.fft.hfft)
def hfft(a, n=None, axis=-1, norm=None, out=None):
    """hfft = irfft of the conjugate, the normalization's direction swapped (as NumPy)."""
    refuse_options("fft.hfft", out=out)
    return inverse_real_transform(conj(a), _one(n), (axis,), SWAPPED[_norm(norm)])


@implements(np.fft.ihfft)
def ihfft(a, n=None, axis=-1, norm=None, out=None):
    refuse_options("fft.ihfft", out=out)
    return conj(real_transform(a, _one(n), (axis,), SWAPPED[_norm(norm)]))


def _roll_by_half(x, axes, direction):
    """A roll by n // 2 (direction +1) or back (-1) along each axis: linear,
    so fftshift's transpose is ifftshift."""
    axes = tuple(range(len(shape_of(x)))) if axes is None else tuple(np.atleast_1d(axes).tolist())
    return roll(x, [direction * (shape_of(x)[a] // 2) for a in axes], axes)


@implements(np.fft.fftshift)
def fftshift(x, axes=None):
    return _roll_by_half(x, axes, +1)


@implements(np.fft.ifftshift)
def ifftshift(x, axes=None):
    return _roll_by_half(x, axes, -1)


passes_through(np.fft.fftfreq, np.fft.rfftfreq)
