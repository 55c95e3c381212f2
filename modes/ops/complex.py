"""Complex values, differentiated exactly as JAX does.

A cotangent c of a complex value z stands for the real linear functional
dz -> Re(c dz) (JAX's convention: for a real f, grad(f)(z) = df/dx - i df/dy).
With it a holomorphic op's VJP is cotangent * f'(z), the same formula as for
reals, so add, mul, exp, matmul, sum, fft, ... need nothing new. The ops that
are not holomorphic transpose their real-linear JVP:
    real:  dz -> Re dz                    c = ct
    imag:  dz -> Im dz = Re(-i dz)        c = -i ct
    conj:  dz -> conj dz                  c = conj ct
    |z|:   dz -> Re(conj(z) dz) / |z|     c = ct conj(z) / |z|   (0 at z = 0, as JAX)
    angle: arctan2(Im z, Re z)
A real input's cotangent is the real part of what its consumers hand back,
and a complex input's is complex: the engines see to both once, in
`registry.vjp_of` and where an input's gradient is returned.

On real values real and conj are the identity and imag and angle constants:
they record nothing.
"""

import numpy as np

from ..registry import NUMPY_TABLE, Op, apply, elementwise_cost, implements, is_complex, linear, register, strip
from .elementwise import arctan2, mul, truediv, where


def _jnp():
    import jax.numpy as jnp
    return jnp


def _complex_examples(rng):
    z = rng.uniform(-2, 2, (2, 3)) + 1j * rng.uniform(-2, 2, (2, 3))
    return [((z,), {}), ((z[0],), {})]


def _same_op(op):
    """Batched (co)tangents: an elementwise op just applies to the leading axis too."""
    return lambda args, flags: apply(op, args[0])


REAL = linear("real", np.real, lambda ct, argnum, z: ct,                           # d Re z = Re dz
              jax=lambda z: _jnp().real(z), examples=_complex_examples, batch=None)
IMAG = linear("imag", np.imag, lambda ct, argnum, z: mul(ct, -1j),                 # d Im z = Re(-i dz)
              jax=lambda z: _jnp().imag(z), examples=_complex_examples, batch=None)
CONJ = linear("conj", np.conj, lambda ct, argnum, z: conj(ct),                     # d conj z = conj dz
              jax=lambda z: _jnp().conj(z), examples=_complex_examples, batch=None)
for _op in (REAL, IMAG, CONJ):
    _op.batch = _same_op(_op)
    _op.cost = elementwise_cost(1)


def _unit(out, z):
    """conj(z) / |z|, 0 where z = 0 (JAX divides by |z| with zeros replaced by 1)."""
    return truediv(conj(z), where(strip(out) == 0, 1.0, out))


ABS = register(Op("abs_complex", np.abs,
                  jvp=lambda tangents, out, z: real(mul(_unit(out, z), tangents[0])),
                  vjp=lambda ct, argnum, out, z: mul(ct, _unit(out, z)),
                  jax=lambda z: _jnp().abs(z), cost=elementwise_cost(4), examples=_complex_examples))
ABS.batch = _same_op(ABS)


@implements(np.real)
def real(z):
    return apply(REAL, z) if is_complex(z) else z


@implements(np.imag)
def imag(z):
    return apply(IMAG, z) if is_complex(z) else np.zeros_like(strip(z))


@implements(np.conj, np.conjugate)
def conj(z):
    return apply(CONJ, z) if is_complex(z) else z


@implements(np.real_if_close)
def real_if_close(a, tol=100):
    """The real part where every imaginary part is within tol machine epsilons of 0 (NumPy's test, on values)."""
    if not is_complex(a):
        return a
    values = np.asarray(strip(a))
    if tol > 1:
        tol = tol * np.finfo(values.dtype).eps
    return real(a) if np.all(np.abs(values.imag) < tol) else a


@implements(np.angle)
def angle(z, deg=False):
    if not is_complex(z):
        return np.angle(strip(z), deg)        # 0 or pi: a constant
    radians = arctan2(imag(z), real(z))
    return mul(radians, 180 / np.pi) if deg else radians


# |x| of a real value stays elementwise.py's op (+1 at 0, DESIGN.md); a
# complex one is the modulus above.
_real_absolute = NUMPY_TABLE[np.absolute]


@implements(np.absolute)
def absolute(z):
    return apply(ABS, z) if is_complex(z) else _real_absolute(z)


def squared_modulus(z):
    """|z|^2 as z * conj(z)'s real part (x * x for reals): what norms and
    variances square."""
    return real(mul(z, conj(z))) if is_complex(z) else mul(z, z)
