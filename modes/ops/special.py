"""SciPy's special functions (scipy.special's ufuncs): elementwise ops.

Each needs only its partial derivatives, written with registry ops so that
they differentiate again (a Hessian of gammaln is a polygamma). SciPy's
ufuncs reach these through `__array_ufunc__` on a box, unchanged:
`scipy.special.erf(x)` on a Dual or a traced value is the `erf` op here.

Orders (polygamma's n, the Bessel functions' v) and the shape parameters of
the incomplete gamma and beta functions are not differentiated: their
derivatives are refused with `UnsupportedFunction`, never taken as 0.

JAX twins come from jax.scipy.special where it has one, or an exact identity
in JAX functions (erfcinv(x) = erfinv(1 - x)); where JAX has neither, the
twin is None and the generated tests compare with finite differences only.
"""

import math

import numpy as np
import scipy.special as sc

from ..errors import UnsupportedFunction
from ..registry import NUMPY_TABLE, implements, passes_through
from .elementwise import (add, elementwise, exp, log, log1p, mul, neg, reciprocal, sigmoid,
                          sign, square, sub, truediv)
from . import domains

SQRT_PI = math.sqrt(math.pi)
SQRT_2PI = math.sqrt(2.0 * math.pi)


def _js():
    import jax.scipy.special as js
    return js


def refused(function, argument, why):
    """The partial of an argument fwdrev does not differentiate: an error
    if it is ever asked for (a box in that position), never a silent 0."""
    def partial(out, *primals):
        raise UnsupportedFunction(
            f"fwdrev does not differentiate scipy.special.{function} in its argument {argument}: {why}. "
            f"Pass {argument} as a plain (constant) value")
    return partial


ORDER = "the derivative in the order has no closed form"


# --- domains of the generated tests -----------------------------------------
def _unit_interval(rng, shape):
    return rng.uniform(0.1, 0.9, size=shape)


def _order(rng, shape):
    """Integer orders 0, 1, 2 (as floats: SciPy's ufuncs take them so)."""
    return rng.integers(0, 3, size=shape).astype(np.float64)


def _real_order(rng, shape):
    return rng.uniform(0.0, 2.5, size=shape)


def _between_0_and_2(rng, shape):
    return rng.uniform(0.2, 1.8, size=shape)


# --- gamma and beta functions ----------------------------------------------
GAMMALN = elementwise("gammaln", sc.gammaln,
                      lambda out, x: digamma(x),                          # d log|Gamma(x)| = psi(x)
                      jax=lambda x: _js().gammaln(x), domain=(domains.positive,))
LOGGAMMA = elementwise("loggamma", sc.loggamma,
                       lambda out, x: digamma(x),                         # d log Gamma(x) = psi(x)
                       jax=lambda x: _js().loggamma(x), domain=(domains.positive,))
GAMMA = elementwise("gamma", sc.gamma,
                    lambda out, x: mul(out, digamma(x)),                  # d Gamma(x) = Gamma(x) psi(x)
                    jax=lambda x: _js().gamma(x), domain=(domains.positive,), uses_out=True)
RGAMMA = elementwise("rgamma", sc.rgamma,
                     lambda out, x: neg(mul(out, digamma(x))),            # d 1/Gamma(x) = -psi(x)/Gamma(x)
                     jax=lambda x: 1.0 / _js().gamma(x), domain=(domains.positive,), uses_out=True)
DIGAMMA = elementwise("digamma", sc.digamma,
                      lambda out, x: polygamma(1.0, x),                   # d psi(x) = psi'(x)
                      jax=lambda x: _js().digamma(x), domain=(domains.positive,))
POLYGAMMA = elementwise("polygamma", sc.polygamma,
                        refused("polygamma", "n", "n is an integer order"),
                        lambda out, n, x: polygamma(add(n, 1.0), x),      # d psi^(n)(x) = psi^(n+1)(x)
                        jax=lambda n, x: _js().polygamma(__import__("jax").numpy.asarray(n).astype(int), x),
                        domain=(_order, domains.positive), nondiff=(0,))
BETA = elementwise("beta", sc.beta,
                   lambda out, a, b: mul(out, sub(digamma(a), digamma(add(a, b)))),  # d B/da = B (psi(a) - psi(a+b))
                   lambda out, a, b: mul(out, sub(digamma(b), digamma(add(a, b)))),
                   jax=lambda a, b: _js().beta(a, b), domain=(domains.positive, domains.positive), uses_out=True)
BETALN = elementwise("betaln", sc.betaln,
                     lambda out, a, b: sub(digamma(a), digamma(add(a, b))),  # d log B/da = psi(a) - psi(a+b)
                     lambda out, a, b: sub(digamma(b), digamma(add(a, b))),
                     jax=lambda a, b: _js().betaln(a, b), domain=(domains.positive, domains.positive))

# incomplete gamma and beta: differentiated in x only; in the shape parameters
# the derivative is a series (no closed form) that fwdrev does not implement
SHAPE = "its derivative there is a series with no closed form, not implemented"


def _gammainc_density(out, a, x):
    # d P(a, x)/dx = x^(a-1) e^-x / Gamma(a), in logs (no overflow for large a)
    return exp(sub(sub(mul(sub(a, 1.0), log(x)), x), gammaln(a)))


GAMMAINC = elementwise("gammainc", sc.gammainc, refused("gammainc", "a", SHAPE), _gammainc_density,
                       jax=lambda a, x: _js().gammainc(a, x),
                       domain=(domains.positive, domains.positive), nondiff=(0,))
GAMMAINCC = elementwise("gammaincc", sc.gammaincc, refused("gammaincc", "a", SHAPE),
                        lambda out, a, x: neg(_gammainc_density(out, a, x)),   # Q = 1 - P
                        jax=lambda a, x: _js().gammaincc(a, x),
                        domain=(domains.positive, domains.positive), nondiff=(0,))
BETAINC = elementwise("betainc", sc.betainc, refused("betainc", "a", SHAPE), refused("betainc", "b", SHAPE),
                      # d I_x(a, b)/dx = x^(a-1) (1-x)^(b-1) / B(a, b)
                      lambda out, a, b, x: exp(sub(add(mul(sub(a, 1.0), log(x)), mul(sub(b, 1.0), log1p(neg(x)))),
                                                   betaln(a, b))),
                      jax=lambda a, b, x: _js().betainc(a, b, x),
                      domain=(domains.positive, domains.positive, _unit_interval), nondiff=(0, 1))



def _student_t_density(out, df, t):
    # d stdtr(df, t)/dt = the t density: Gamma((df+1)/2) / (sqrt(df pi) Gamma(df/2)) (1 + t^2/df)^(-(df+1)/2)
    half = mul(0.5, add(df, 1.0))
    return exp(sub(sub(gammaln(half), gammaln(mul(0.5, df))),
                   add(mul(0.5, log(mul(math.pi, df))), mul(half, log1p(truediv(square(t), df))))))


def _stdtr_twin(df, t):
    # Student's t cdf by the regularized incomplete beta function (JAX has no stdtr)
    import jax.numpy as jnp
    tail = 0.5 * _js().betainc(0.5 * df, 0.5, df / (df + t * t))
    return jnp.where(t > 0, 1.0 - tail, tail)


STDTR = elementwise("stdtr", sc.stdtr, refused("stdtr", "df", SHAPE), _student_t_density, jax=_stdtr_twin,
                    domain=(domains.above_one, domains.real), nondiff=(0,))

# --- error functions --------------------------------------------------------
ERF = elementwise("erf", sc.erf,
                  lambda out, x: mul(2.0 / SQRT_PI, exp(neg(square(x)))),     # d erf = 2/sqrt(pi) e^(-x^2)
                  jax=lambda x: _js().erf(x))
ERFC = elementwise("erfc", sc.erfc,
                   lambda out, x: mul(-2.0 / SQRT_PI, exp(neg(square(x)))),   # erfc = 1 - erf
                   jax=lambda x: _js().erfc(x))
ERFCX = elementwise("erfcx", sc.erfcx,
                    lambda out, x: sub(mul(mul(2.0, x), out), 2.0 / SQRT_PI),  # d e^(x^2) erfc x = 2x erfcx - 2/sqrt(pi)
                    jax=lambda x: _js().erfcx(x), uses_out=True)
ERFINV = elementwise("erfinv", sc.erfinv,
                     lambda out, x: mul(SQRT_PI / 2.0, exp(square(out))),     # inverse: 1 / erf'(erfinv x)
                     jax=lambda x: _js().erfinv(x), domain=(domains.inside_unit,), uses_out=True)
ERFCINV = elementwise("erfcinv", sc.erfcinv,
                      lambda out, x: mul(-SQRT_PI / 2.0, exp(square(out))),   # inverse: 1 / erfc'(erfcinv x)
                      jax=lambda x: _js().erfinv(1.0 - x),                    # (JAX has no erfcinv)
                      domain=(_between_0_and_2,), uses_out=True)
DAWSN = elementwise("dawsn", sc.dawsn,
                    lambda out, x: sub(1.0, mul(mul(2.0, x), out)),            # D'(x) = 1 - 2x D(x)
                    jax=lambda x: _js().dawsn(x), uses_out=True)

# --- logistic, entropies, logs ----------------------------------------------
LOGIT = elementwise("logit", sc.logit,
                    lambda out, x: reciprocal(mul(x, sub(1.0, x))),           # d log(x/(1-x)) = 1/(x(1-x))
                    jax=lambda x: _js().logit(x), domain=(_unit_interval,))
LOG_EXPIT = elementwise("log_expit", sc.log_expit,
                        lambda out, x: sigmoid(neg(x)),                       # d log sigma(x) = 1 - sigma(x) = sigma(-x)
                        jax=lambda x: __import__("jax").nn.log_sigmoid(x))    # (JAX: jax.nn, not jax.scipy)
XLOGY = elementwise("xlogy", sc.xlogy,
                    lambda out, x, y: log(y),                                 # d x log y/dx = log y
                    lambda out, x, y: truediv(x, y),                          # d x log y/dy = x/y
                    jax=lambda x, y: _js().xlogy(x, y), domain=(domains.real, domains.positive))
XLOG1PY = elementwise("xlog1py", sc.xlog1py,
                      lambda out, x, y: log1p(y),                             # d x log(1+y)/dx = log(1+y)
                      lambda out, x, y: truediv(x, add(1.0, y)),              # d x log(1+y)/dy = x/(1+y)
                      jax=lambda x, y: _js().xlog1py(x, y), domain=(domains.real, domains.positive))
ENTR = elementwise("entr", sc.entr,
                   lambda out, x: neg(add(log(x), 1.0)),                      # d (-x log x) = -(log x + 1)
                   jax=lambda x: _js().entr(x), domain=(domains.positive,))
REL_ENTR = elementwise("rel_entr", sc.rel_entr,
                       lambda out, x, y: add(log(truediv(x, y)), 1.0),        # d x log(x/y)/dx = log(x/y) + 1
                       lambda out, x, y: neg(truediv(x, y)),                  # d x log(x/y)/dy = -x/y
                       jax=lambda x, y: _js().rel_entr(x, y), domain=(domains.positive, domains.positive))
KL_DIV = elementwise("kl_div", sc.kl_div,
                     lambda out, x, y: log(truediv(x, y)),                    # d (x log(x/y) - x + y)/dx = log(x/y)
                     lambda out, x, y: sub(1.0, truediv(x, y)),               # ... /dy = 1 - x/y
                     jax=lambda x, y: _js().kl_div(x, y), domain=(domains.positive, domains.positive))

# --- the normal distribution's functions ------------------------------------
def _normal_density(x):
    return mul(1.0 / SQRT_2PI, exp(mul(-0.5, square(x))))                     # phi(x)


NDTR = elementwise("ndtr", sc.ndtr,
                   lambda out, x: _normal_density(x),                        # d Phi = phi
                   jax=lambda x: _js().ndtr(x))
NDTRI = elementwise("ndtri", sc.ndtri,
                    lambda out, p: mul(SQRT_2PI, exp(mul(0.5, square(out)))),  # inverse: 1 / phi(Phi^-1(p))
                    jax=lambda p: _js().ndtri(p), domain=(_unit_interval,), uses_out=True)
LOG_NDTR = elementwise("log_ndtr", sc.log_ndtr,
                       # d log Phi = phi / Phi = e^(-x^2/2 - log Phi) / sqrt(2 pi): no 0/0 in the far left tail
                       lambda out, x: mul(1.0 / SQRT_2PI, exp(sub(mul(-0.5, square(x)), out))),
                       jax=lambda x: _js().log_ndtr(x), uses_out=True)

# --- exponential integrals --------------------------------------------------
EXP1 = elementwise("exp1", sc.exp1,
                   lambda out, x: neg(truediv(exp(neg(x)), x)),               # d E1(x) = -e^-x / x
                   jax=lambda x: _js().exp1(x), domain=(domains.positive,))
EXPI = elementwise("expi", sc.expi,
                   lambda out, x: truediv(exp(x), x),                         # d Ei(x) = e^x / x
                   jax=lambda x: _js().expi(x), domain=(domains.positive,))

# --- Bessel functions: differentiated in their argument, not their order ----
# Recurrences: J_v' = (J_{v-1} - J_{v+1})/2, Y likewise, I_v' = (I_{v-1} + I_{v+1})/2,
# K_v' = -(K_{v-1} + K_{v+1})/2; the scaled ones (ive = I e^-|x|, kve = K e^x)
# add the derivative of their scale.
# (JAX's bessel_jn, its only J, is accurate to about 1e-11 relative: no twin)
J0 = elementwise("j0", sc.j0, lambda out, x: neg(j1(x)),                       # J0' = -J1
                 jax=None)
J1 = elementwise("j1", sc.j1, lambda out, x: mul(0.5, sub(j0(x), jv(2.0, x))),  # J1' = (J0 - J2)/2
                 jax=None)
Y0 = elementwise("y0", sc.y0, lambda out, x: neg(y1(x)),                       # Y0' = -Y1
                 jax=None, domain=(domains.positive,))
Y1 = elementwise("y1", sc.y1, lambda out, x: mul(0.5, sub(y0(x), yv(2.0, x))),  # Y1' = (Y0 - Y2)/2
                 jax=None, domain=(domains.positive,))
JV = elementwise("jv", sc.jv, refused("jv", "v", ORDER),
                 lambda out, v, x: mul(0.5, sub(jv(sub(v, 1.0), x), jv(add(v, 1.0), x))),
                 jax=None, domain=(_real_order, domains.positive), nondiff=(0,))
YV = elementwise("yv", sc.yv, refused("yv", "v", ORDER),
                 lambda out, v, x: mul(0.5, sub(yv(sub(v, 1.0), x), yv(add(v, 1.0), x))),
                 jax=None, domain=(_real_order, domains.positive), nondiff=(0,))
YN = elementwise("yn", sc.yn, refused("yn", "n", ORDER),
                 lambda out, n, x: mul(0.5, sub(yn(sub(n, 1.0), x), yn(add(n, 1.0), x))),
                 jax=None, domain=(_order, domains.positive), nondiff=(0,))
I0 = elementwise("i0", sc.i0, lambda out, x: i1(x),                            # I0' = I1
                 jax=lambda x: _js().i0(x))
I1 = elementwise("i1", sc.i1, lambda out, x: mul(0.5, add(i0(x), iv(2.0, x))),  # I1' = (I0 + I2)/2
                 jax=lambda x: _js().i1(x))
# d I e^-|x| = I' e^-|x| - sign(x) I e^-|x|
I0E = elementwise("i0e", sc.i0e, lambda out, x: sub(i1e(x), mul(sign(x), out)),
                  jax=lambda x: _js().i0e(x), domain=(domains.away_from_zero,), uses_out=True)
I1E = elementwise("i1e", sc.i1e,
                  lambda out, x: sub(mul(0.5, add(i0e(x), ive(2.0, x))), mul(sign(x), out)),
                  jax=lambda x: _js().i1e(x), domain=(domains.away_from_zero,), uses_out=True)
IV = elementwise("iv", sc.iv, refused("iv", "v", ORDER),
                 lambda out, v, x: mul(0.5, add(iv(sub(v, 1.0), x), iv(add(v, 1.0), x))),
                 jax=None, domain=(_real_order, domains.positive), nondiff=(0,))
IVE = elementwise("ive", sc.ive, refused("ive", "v", ORDER),
                  lambda out, v, x: sub(mul(0.5, add(ive(sub(v, 1.0), x), ive(add(v, 1.0), x))), mul(sign(x), out)),
                  jax=None, domain=(_real_order, domains.positive), nondiff=(0,), uses_out=True)
KV = elementwise("kv", sc.kv, refused("kv", "v", ORDER),
                 lambda out, v, x: mul(-0.5, add(kv(sub(v, 1.0), x), kv(add(v, 1.0), x))),
                 jax=None, domain=(_real_order, domains.positive), nondiff=(0,))
# d K e^x = K' e^x + K e^x
KVE = elementwise("kve", sc.kve, refused("kve", "v", ORDER),
                  lambda out, v, x: add(mul(-0.5, add(kve(sub(v, 1.0), x), kve(add(v, 1.0), x))), out),
                  jax=None, domain=(_real_order, domains.positive), nondiff=(0,), uses_out=True)


# --- the functions rules and users call -------------------------------------
# (scipy.special.psi is digamma, jn is jv, expit is the registry's sigmoid)
@implements(sc.gammaln)
def gammaln(x): return GAMMALN(x)
@implements(sc.loggamma)
def loggamma(x): return LOGGAMMA(x)
@implements(sc.gamma)
def gamma(x): return GAMMA(x)
@implements(sc.rgamma)
def rgamma(x): return RGAMMA(x)
@implements(sc.digamma)
def digamma(x): return DIGAMMA(x)
def polygamma(n, x): return POLYGAMMA(n, x)   # scipy.special.polygamma is Python: modes.scipy.special's
@implements(sc.beta)
def beta(a, b): return BETA(a, b)
@implements(sc.betaln)
def betaln(a, b): return BETALN(a, b)
@implements(sc.gammainc)
def gammainc(a, x): return GAMMAINC(a, x)
@implements(sc.gammaincc)
def gammaincc(a, x): return GAMMAINCC(a, x)
@implements(sc.betainc)
def betainc(a, b, x): return BETAINC(a, b, x)
@implements(sc.stdtr)
def stdtr(df, t): return STDTR(df, t)
@implements(sc.erf)
def erf(x): return ERF(x)
@implements(sc.erfc)
def erfc(x): return ERFC(x)
@implements(sc.erfcx)
def erfcx(x): return ERFCX(x)
@implements(sc.erfinv)
def erfinv(x): return ERFINV(x)
@implements(sc.erfcinv)
def erfcinv(x): return ERFCINV(x)
@implements(sc.dawsn)
def dawsn(x): return DAWSN(x)
@implements(sc.expit)
def expit(x): return sigmoid(x)
@implements(sc.logit)
def logit(x): return LOGIT(x)
@implements(sc.log_expit)
def log_expit(x): return LOG_EXPIT(x)
@implements(sc.xlogy)
def xlogy(x, y): return XLOGY(x, y)
@implements(sc.xlog1py)
def xlog1py(x, y): return XLOG1PY(x, y)
@implements(sc.entr)
def entr(x): return ENTR(x)
@implements(sc.rel_entr)
def rel_entr(x, y): return REL_ENTR(x, y)
@implements(sc.kl_div)
def kl_div(x, y): return KL_DIV(x, y)
@implements(sc.ndtr)
def ndtr(x): return NDTR(x)
@implements(sc.ndtri)
def ndtri(p): return NDTRI(p)
@implements(sc.log_ndtr)
def log_ndtr(x): return LOG_NDTR(x)
@implements(sc.exp1)
def exp1(x): return EXP1(x)
@implements(sc.expi)
def expi(x): return EXPI(x)
@implements(sc.j0)
def j0(x): return J0(x)
@implements(sc.j1)
def j1(x): return J1(x)
@implements(sc.y0)
def y0(x): return Y0(x)
@implements(sc.y1)
def y1(x): return Y1(x)
@implements(sc.jv)
def jv(v, x): return JV(v, x)
@implements(sc.yv)
def yv(v, x): return YV(v, x)
@implements(sc.yn)
def yn(n, x): return YN(n, x)
@implements(sc.i0, np.i0)
def i0(x): return I0(x)
@implements(sc.i1)
def i1(x): return I1(x)
@implements(sc.i0e)
def i0e(x): return I0E(x)
@implements(sc.i1e)
def i1e(x): return I1E(x)
@implements(sc.iv)
def iv(v, x): return IV(v, x)
@implements(sc.ive)
def ive(v, x): return IVE(v, x)
@implements(sc.kv)
def kv(v, x): return KV(v, x)
@implements(sc.kve)
def kve(v, x): return KVE(v, x)


# integer- and sign-valued: piecewise constant
passes_through(sc.gammasgn)


# SciPy's names for NumPy's ufuncs: the same entries
for _scipy_function, _numpy_function in ((sc.expm1, np.expm1), (sc.log1p, np.log1p), (sc.exp2, np.exp2),
                                         (sc.cbrt, np.cbrt), (sc.round, np.round)):
    implements(_scipy_function)(NUMPY_TABLE[_numpy_function])
