"""modes.scipy.integrate.odeint, as a scientist calls it: SciPy's odeint with
its derivatives, forward mode by forward sensitivities, reverse mode by the
adjoint method (modes/ops/integrate.py).

Expected values: closed forms (exponential decay y = y0 exp(-k t); a linear
system y = expm(A t) y0, whose derivative in A is expm's Frechet derivative,
scipy.linalg.expm_frechet) and JAX's own odeint (jax.experimental.ode), a
different solver (Dormand-Prince, adjoint-method gradients).

Tolerance. Every derivative here is itself the solution of an ODE solved
with the primal's rtol and atol (sensitivities forward, the adjoint
backward), so it is exact only to the solver's accuracy, not to machine
precision. LSODA keeps each step's local error below rtol |y| + atol; the
global error is that times the error's growth over the steps, so an element
may be off by

    ERROR_GROWTH * (RTOL * scale + ATOL),   scale = max |expected|,

per solver involved (ours; JAX's too when it is the reference). Measured
here: at most 6 x (RTOL * scale + ATOL) against the closed forms and 15 x
against JAX, so ERROR_GROWTH = 100 is a margin of about 7 while a wrong
rule (off by O(1) of the derivative) fails by a factor of ~10^7.
"""

import numpy as np
import pytest
import scipy.integrate
from scipy.linalg import expm, expm_frechet

import modes
from comparisons import check_grads
from modes import forward, reverse
from modes.errors import UnsupportedFunction
from modes.scipy.integrate import odeint

jax = pytest.importorskip("jax")
jnp = jax.numpy
jax_odeint = pytest.importorskip("jax.experimental.ode").odeint

RTOL = ATOL = 1e-10
ERROR_GROWTH = 100.0


pytestmark = pytest.mark.usefixtures("jax_in_double_precision")


def assert_within_solver_accuracy(ours, expected, solvers=1):
    ours, expected = np.asarray(ours), np.asarray(expected)
    scale = np.max(np.abs(expected))
    bound = solvers * ERROR_GROWTH * (RTOL * scale + ATOL)
    np.testing.assert_allclose(ours, expected, rtol=0, atol=bound)


JACOBIANS = {"forward": forward.jacobian, "reverse": reverse.jacobian}

# --- exponential decay: y' = -k y, y(t) = y0 exp(-k t) ----------------------
T = np.linspace(0.0, 2.0, 5)
Y0 = np.array([1.0, 2.0, -0.5])
K = 0.7


def decay(y, t, k):
    return -k * y


def solve_decay(y0, k):
    return odeint(decay, y0, T, args=(k,), rtol=RTOL, atol=ATOL)


def test_the_primal_is_scipys_odeint():
    expected = scipy.integrate.odeint(decay, Y0, T, args=(K,), rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(solve_decay(Y0, K), expected)
    assert_within_solver_accuracy(expected, Y0 * np.exp(-K * T[:, None]))


@pytest.mark.parametrize("mode", JACOBIANS)
def test_decay_jacobians_match_the_closed_form(mode):
    d_y0, d_k = JACOBIANS[mode](solve_decay, argnums=(0, 1))(Y0, K)
    decay_factor = np.exp(-K * T)                                     # dy_i(t)/dy0_j = exp(-k t) delta_ij
    assert d_y0.shape == (len(T), 3, 3) and d_k.shape == (len(T), 3)
    assert_within_solver_accuracy(d_y0, decay_factor[:, None, None] * np.eye(3))
    assert_within_solver_accuracy(d_k, -T[:, None] * Y0 * decay_factor[:, None])   # dy/dk = -t y0 exp(-k t)


def final_total(k):
    return np.sum(solve_decay(Y0, k)[-1])


@pytest.mark.parametrize("how", ["hessian", "reverse-over-reverse", "forward-over-forward",
                                 "reverse-over-forward"])
def test_decay_second_derivative_matches_the_closed_form(how):
    # d^2/dk^2 sum(y0 exp(-k t)) = t^2 sum(y0) exp(-k t): the rules are odeint ops
    # themselves, so they differentiate again
    second = {
        "hessian": lambda: modes.hessian(final_total)(K),
        "reverse-over-reverse": lambda: reverse.grad(reverse.grad(final_total))(K),
        "forward-over-forward": lambda: forward.grad(forward.grad(final_total))(K),
        "reverse-over-forward": lambda: reverse.grad(forward.grad(final_total))(K),
    }[how]()
    assert_within_solver_accuracy(second, T[-1] ** 2 * np.sum(Y0) * np.exp(-K * T[-1]))


# --- a linear system: y' = A y, y(t) = expm(A t) y0 -------------------------
rng = np.random.default_rng(18)
A = rng.normal(size=(3, 3)) - 2.0 * np.eye(3)       # stable
B = rng.normal(size=3)
LINEAR_T = np.linspace(0.0, 1.5, 4)


def linear(y, t, A):
    return A @ y


def final_state(y0, A):
    return odeint(linear, y0, LINEAR_T, args=(A,), rtol=RTOL, atol=ATOL)[-1]


def jax_linear(y, t, A):
    return A @ y


def expm_derivative_in_A(A, y0, t):
    """d (expm(A t) y0)_k / dA_ij = (L(A t, E_ij t) y0)_k, L expm's Frechet derivative."""
    n = len(y0)
    out = np.empty((n, n, n))
    for i in range(n):
        for j in range(n):
            direction = np.zeros((n, n))
            direction[i, j] = t
            out[:, i, j] = expm_frechet(A * t, direction, compute_expm=False) @ y0
    return out


@pytest.mark.parametrize("mode", JACOBIANS)
def test_linear_system_jacobians_match_expm(mode):
    t = LINEAR_T[-1]
    d_y0, d_A = JACOBIANS[mode](final_state, argnums=(0, 1))(Y0, A)
    assert_within_solver_accuracy(final_state(Y0, A), expm(A * t) @ Y0)
    assert_within_solver_accuracy(d_y0, expm(A * t))
    assert_within_solver_accuracy(d_A, expm_derivative_in_A(A, Y0, t))


# ~30 s (check_grads through two adaptive solvers): make test-full; make test checks the
# same system against expm above and JAX's odeint on Lotka-Volterra below
@pytest.mark.full
def test_linear_system_check_grads_against_jax_odeint_and_the_adjoint_test():
    # check_grads with JAX's own odeint as the twin, rtol the bound above for two
    # solvers. JAX's odeint has a custom VJP only (jax.jvp refuses it), so JAX checks
    # reverse mode, and the adjoint test <u, J v> = <J^T u, v> checks forward
    # sensitivities against the adjoint method (two solves: the same bound)
    def jax_final_state(y0, A):
        return jax_odeint(jax_linear, y0, jnp.asarray(LINEAR_T), A, rtol=RTOL, atol=ATOL)[-1]
    rtol = 2 * ERROR_GROWTH * (RTOL + ATOL / np.max(np.abs(expm(A * LINEAR_T[-1]))))
    against_jax = check_grads(final_state, (Y0, A), modes=("reverse",), against=("jax",),
                              jax_twin=jax.jit(jax_final_state), rtol=rtol)
    against_jax.raise_if_failed()
    adjoint = check_grads(final_state, (Y0, A), against=("adjoint",), rtol=rtol)
    adjoint.raise_if_failed()
    assert set(against_jax.table["against"]) == {"jax"} and len(adjoint.table) == 1


# --- Lotka-Volterra, nonlinear, against JAX's odeint -------------------------
LV_T = np.linspace(0.0, 3.0, 6)
PREY_PREDATOR = np.array([2.0, 1.0])
RATES = {"birth": 1.0, "predation": 0.5, "growth": 0.3, "death": 0.8}


def lotka_volterra(y, t, rates):
    prey, predator = y[0], y[1]
    return np.stack([rates["birth"] * prey - rates["predation"] * prey * predator,
                     rates["growth"] * prey * predator - rates["death"] * predator])


def jax_lotka_volterra(y, t, rates):
    prey, predator = y[0], y[1]
    return jnp.stack([rates["birth"] * prey - rates["predation"] * prey * predator,
                      rates["growth"] * prey * predator - rates["death"] * predator])


def squared_populations(y0, rates):
    return np.sum(odeint(lotka_volterra, y0, LV_T, args=(rates,), rtol=RTOL, atol=ATOL) ** 2)


def jax_squared_populations(y0, rates):
    return jnp.sum(jax_odeint(jax_lotka_volterra, y0, jnp.asarray(LV_T), rates, rtol=RTOL, atol=ATOL) ** 2)


@pytest.fixture(scope="module")
def jax_lv_gradient():
    with jax.enable_x64(True):
        return jax.grad(jax_squared_populations, argnums=(0, 1))(jnp.asarray(PREY_PREDATOR), RATES)


@pytest.mark.parametrize("grad", [forward.grad, reverse.grad], ids=["forward", "reverse"])
def test_lotka_volterra_gradient_with_dict_parameters_matches_jax(grad, jax_lv_gradient):
    d_y0, d_rates = grad(squared_populations, argnums=(0, 1))(PREY_PREDATOR, RATES)
    jax_y0, jax_rates = jax_lv_gradient
    assert isinstance(d_rates, dict) and set(d_rates) == set(RATES)     # the gradient mirrors the pytree
    ours = np.concatenate([d_y0, [d_rates[name] for name in RATES]])
    theirs = np.concatenate([np.asarray(jax_y0), [float(jax_rates[name]) for name in RATES]])
    assert_within_solver_accuracy(ours, theirs, solvers=2)


def test_lotka_volterra_hessian_vector_product_matches_jax():
    rates = np.array(list(RATES.values()))
    v = np.array([0.3, -0.2, 0.5, 0.1])

    def loss(rates):
        return squared_populations(PREY_PREDATOR, dict(zip(RATES, rates)))

    def jax_loss(rates):
        return jax_squared_populations(jnp.asarray(PREY_PREDATOR), dict(zip(RATES, rates)))

    ours = modes.hvp(loss, rates, v)                           # forward over the adjoint method
    # JAX's odeint has a custom VJP only: its Hessian is reverse over reverse
    theirs = jax.grad(lambda r: jnp.vdot(jax.grad(jax_loss)(r), v))(jnp.asarray(rates))
    assert_within_solver_accuracy(ours, theirs, solvers=2)


# --- SciPy's and JAX's calling forms ----------------------------------------
def test_scipy_args_tuple_jax_positional_args_and_tfirst_agree():
    def tfirst_decay(t, y, k):
        return -k * y

    def d_final(solve):
        return reverse.grad(lambda k: np.sum(solve(k)[-1]))(K)

    scipy_form = d_final(lambda k: odeint(decay, Y0, T, args=(k,), rtol=RTOL, atol=ATOL))
    jax_form = d_final(lambda k: odeint(decay, Y0, T, k, rtol=RTOL, atol=ATOL))
    tfirst = d_final(lambda k: odeint(tfirst_decay, Y0, T, args=(k,), tfirst=True, rtol=RTOL, atol=ATOL))
    assert scipy_form == jax_form == tfirst
    assert_within_solver_accuracy(scipy_form, -T[-1] * np.sum(Y0) * np.exp(-K * T[-1]))


def test_integer_arguments_are_constants_and_pytree_parameters_are_differentiated():
    # y' = -k y^p + c, with p an integer power (a constant), (k, c) a tuple inside a list
    def f(y, t, params, p):
        (k, c), = params
        return -k * y ** p + c

    def final(k, c):
        return odeint(f, Y0, T, args=([(k, c)], 1), rtol=RTOL, atol=ATOL)[-1]

    d_k, d_c = reverse.jacobian(final, argnums=(0, 1))(K, 0.2)
    # y = c/k + (y0 - c/k) exp(-k t): dy/dc = (1 - exp(-k t)) / k
    t = T[-1]
    assert_within_solver_accuracy(d_c, np.full(3, (1 - np.exp(-K * t)) / K))
    assert_within_solver_accuracy(forward.jacobian(final, argnums=0)(K, 0.2), d_k)


def test_a_scalar_initial_state_is_one_component():
    ys = odeint(decay, 2.0, T, args=(K,), rtol=RTOL, atol=ATOL)
    assert ys.shape == (len(T), 1)
    d_y0 = reverse.grad(lambda y0: odeint(decay, y0, T, args=(K,), rtol=RTOL, atol=ATOL)[-1, 0])(2.0)
    assert_within_solver_accuracy(d_y0, np.exp(-K * T[-1]))


# --- the adjoint method keeps no tape of the solver's steps ------------------
def test_the_tape_holds_one_odeint_step_however_many_steps_the_solver_takes():
    def loss(k, tolerance):
        return np.sum(odeint(decay, Y0, T, args=(k,), rtol=tolerance, atol=tolerance)[-1])

    _, info = scipy.integrate.odeint(decay, Y0, T, args=(K,), rtol=1e-4, atol=1e-4, full_output=True)
    coarse_steps = info["nst"][-1]
    _, info = scipy.integrate.odeint(decay, Y0, T, args=(K,), rtol=1e-12, atol=1e-12, full_output=True)
    assert info["nst"][-1] > 5 * coarse_steps        # the tight solve takes many more steps
    coarse, tight = reverse.trace(lambda k: loss(k, 1e-4), K), reverse.trace(lambda k: loss(k, 1e-12), K)
    assert len(coarse.records) == len(tight.records)
    assert [r.op.name for r in tight.records if r.op is not None].count("odeint") == 1


# --- what is refused, and how it says so -------------------------------------
@pytest.mark.parametrize("mode", JACOBIANS)
def test_the_derivative_in_t_is_refused(mode):
    with pytest.raises(UnsupportedFunction, match=r"scipy\.integrate\.odeint in its time points t"):
        JACOBIANS[mode](lambda t: odeint(decay, Y0, t, args=(K,)))(T)


def test_a_parameter_captured_by_a_closure_is_refused():
    def solve(k):
        return odeint(lambda y, t: -k * y, Y0, T)

    with pytest.raises(TypeError, match="closure.*odeint\\(func, y0, t, k\\)"):
        reverse.grad(lambda k: np.sum(solve(k)))(K)


def test_options_that_change_what_odeint_returns_are_refused():
    with pytest.raises(UnsupportedFunction, match="scipy.integrate.odeint does not take full_output"):
        odeint(decay, Y0, T, args=(K,), full_output=True)
