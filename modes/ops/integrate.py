"""scipy.integrate.odeint as one op, differentiable in both modes.

The op integrates y' = func(y, t, theta) from y(t[0]) = y0 and returns y at
every t (shape (T, D)). Its one differentiable argument is z = [y0, theta]
(the initial state and every float parameter, packed flat by
modes.scipy.integrate.odeint), so that one backward integration gives the
whole cotangent.

Forward mode (forward sensitivities). The tangent s = dy/dz . dz obeys
    s' = f_y s + f_theta dtheta,   s(t0) = dy0,
so the JVP integrates the augmented state [y, s] with the parameters
[theta, dtheta], its right-hand side a forward-mode JVP of func.

Reverse mode (the adjoint method, as HIPS autograd's odeint; Froehlich et
al. 2017, sec. 2.4.2). The adjoint a = dL/dy(t) obeys, backward in time,
    a' = -a^T f_y,   a_theta' = -a^T f_theta,
started from the cotangent of y(t[-1]) and bumped by the cotangent of each
earlier y(t[i]); y itself is integrated backward beside them from the saved
y(t[i]). Each right-hand side is a reverse-mode VJP of func. No tape of the
solver's steps is kept: the op's record holds z and the (T, D) solution.

Both rules are odeint ops themselves (of augmented systems), so they
differentiate again: a Hessian is forward sensitivities of the adjoint
system. Derivatives in t are refused (UnsupportedFunction).
Accuracy: each derivative is the solution of an ODE solved with the same
rtol/atol as the primal, so it is accurate to about those tolerances, not
to machine precision.
"""

import numpy as np
import scipy.integrate

from ..errors import UnsupportedFunction
from .. import registry
from ..registry import Box, Op, apply, register, shape_of, size_of, strip
from .elementwise import add, neg
from .shape import concatenate, getitem


def _solve(z, t, *, func, size, options):
    """SciPy's odeint of y' = func(y, t, theta) with z = [y0, theta]."""
    y0, theta = z[:size], z[size:]

    def rhs(y, time):
        dy = func(y, time, theta)
        if isinstance(dy, Box):
            raise TypeError(
                "odeint: func returned a differentiated value that is none of its arguments (a closure "
                "over a traced or dual value?). Pass every parameter you differentiate through odeint's "
                "arguments: odeint(func, y0, t, k) with func(y, t, k)")
        return dy
    return scipy.integrate.odeint(rhs, y0, t, **options)


def _refuse_time():
    raise UnsupportedFunction(
        "fwdrev does not differentiate scipy.integrate.odeint in its time points t; "
        "pass t as a plain array (differentiate y0 and the parameters)")


def _tangent_dynamics(func, size, n_params):
    """The augmented system [y, s]' = [f, f_y s + f_theta dtheta] with the
    parameters [theta, dtheta]: its right-hand side is a JVP of func."""
    from .. import forward     # (the engines stand on the ops: imported when a rule runs)

    def dynamics(state, time, params):
        y, s = state[:size], state[size:]
        theta, dtheta = params[:n_params], params[n_params:]
        dy, ds = forward.jvp(lambda y, theta: func(y, time, theta), (y, theta), (s, dtheta))
        return concatenate([dy, ds])
    return dynamics


def _adjoint_dynamics(func, size):
    """The adjoint system [y, a, a_theta]' = [f, -a^T f_y, -a^T f_theta]
    with the parameters theta: its right-hand side is a VJP of func."""
    from .. import reverse

    def dynamics(state, time, theta):
        y, a = state[:size], state[size:2 * size]
        dy, pullback = reverse.vjp(lambda y, theta: func(y, time, theta), y, theta)
        ct_y, ct_theta = pullback(neg(a))
        return concatenate([dy, ct_y, ct_theta])
    return dynamics


def _jvp(tangents, out, z, t, *, func, size, options):
    tz, tt = tangents
    if tt is not None:
        _refuse_time()
    if tz is None:
        return None
    n_params = size_of(z) - size
    start = concatenate([getitem(z, slice(0, size)), getitem(tz, slice(0, size)),
                         getitem(z, slice(size, None)), getitem(tz, slice(size, None))])
    augmented = solve(start, t, _tangent_dynamics(func, size, n_params), 2 * size, options)
    return getitem(augmented, (slice(None), slice(size, 2 * size)))


def _vjp(cotangent, argnum, out, z, t, *, func, size, options):
    if argnum == 1:
        _refuse_time()
    n_params = size_of(z) - size
    times = strip(t)
    theta = getitem(z, slice(size, None))
    dynamics = _adjoint_dynamics(func, size)
    a, a_theta = getitem(cotangent, -1), np.zeros(n_params, dtype=np.result_type(strip(z)))
    for i in range(len(times) - 1, 0, -1):
        start = concatenate([getitem(out, i), a, a_theta, theta])
        back = solve(start, np.array([times[i], times[i - 1]]), dynamics, 2 * size + n_params, options)
        a = add(getitem(back, (1, slice(size, 2 * size))), getitem(cotangent, i - 1))
        a_theta = getitem(back, (1, slice(2 * size, None)))
    return concatenate([a, a_theta])


def _jax_twin(z, t, *, func, size, options):
    """JAX's odeint (Dormand-Prince, its own adjoint) of the same system:
    func's steps, recorded once by fwdrev at a sample point (ones; func's
    control flow must not depend on its values) and replayed with their JAX
    twins (registry.jax_replay: the bridge, which calls every twin, sets it)."""
    from jax.experimental.ode import odeint as jax_odeint
    replay = registry.jax_replay
    n_params = int(np.shape(z)[0]) - size
    rhs = replay(lambda y, time, theta: func(y, time, theta), np.ones(size), float(t[0]), np.ones(n_params))
    passed = {k: v for k, v in options.items() if k in ("rtol", "atol", "mxstep", "hmax")}
    return jax_odeint(rhs, z[:size], t, z[size:], **passed)


ODEINT = register(Op("odeint", _solve, jvp=_jvp, vjp=_vjp, saves=("args", "out"), jax=_jax_twin,
                     # no `examples`: its derivatives are accurate to the solver's tolerances,
                     # not to the machine precision the generated tests ask of every op
                     # (tests/test_odeint.py checks it with bounds from rtol/atol)
                     cost=lambda out, z, t, **params: 0, nondiff=(1,)))
# the solver's steps are adaptive and its right-hand sides run on plain arrays,
# outside the registry: the cost model does not see them (time odeint instead)
ODEINT.cost_is_partial = True


def solve(z, t, func, size, options):
    """y at the times t, of y' = func(y, t, theta), z = [y(t[0]), theta] (flat)."""
    if len(shape_of(z)) != 1 or len(shape_of(t)) != 1:
        raise ValueError("odeint: the packed state [y0, theta] and t must be 1-D")
    return apply(ODEINT, z, t, func=func, size=int(size), options=options)
