"""Complex values, exactly as JAX: one test per defect of issue 17, in both
engines, nested, and through the JAX bridge; then check_grads on complex code.

JAX's convention, which our engines follow: a cotangent c of a complex value
z stands for the functional dz -> Re(c dz), so for a real f of complex z
jax.grad(f)(z) = df/dx - i df/dy (the conjugate of the usual Wirtinger
gradient 2 df/dz*). A real input's derivative is real, a complex input's
complex. Expected values are JAX's (jax.jvp / jax.vjp / jax.grad on the same
function written with jax.numpy) and, where there is one, a closed form;
dtypes are compared exactly. Tolerance: 1e-12 relative (a few roundings of
float64 in a handful of operations).
"""

import numpy as np
import pytest

from comparisons import jax_bridge
from modes import forward, reverse

jax = pytest.importorskip("jax")
jnp = jax.numpy

RTOL = 1e-12

Z = np.array([1 + 2j, 3 - 1j, -0.5 + 0.25j])          # a complex parameter vector
DZ = np.array([0.5 - 1j, -2 + 0.5j, 1 + 1j])          # a complex tangent


pytestmark = pytest.mark.usefixtures("jax_in_double_precision")


def same(ours, theirs):
    """Same values (to RTOL) and same dtype as JAX's."""
    theirs = np.asarray(theirs)
    assert np.result_type(ours) == theirs.dtype, f"dtype {np.result_type(ours)} where JAX has {theirs.dtype}"
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=RTOL)


# --- defect 1: the reverse derivative of np.linalg.norm of a complex vector ---------
def test_norm_of_a_complex_vector_has_jaxs_gradient_in_both_engines():
    grad = reverse.grad(np.linalg.norm)(Z)
    same(grad, jax.grad(jnp.linalg.norm)(Z))
    same(grad, np.conj(Z) / np.sqrt(np.sum(np.abs(Z) ** 2)))         # closed form: conj(z) / ||z||
    _, tangent = forward.jvp(np.linalg.norm, (Z,), (DZ,))
    same(tangent, jax.jvp(jnp.linalg.norm, (Z,), (DZ,))[1])


# --- defect 2: abs of a complex number ------------------------------------------------
def test_abs_of_a_complex_number_is_the_modulus_not_derivative_one():
    z = 3 + 4j
    _, tangent = forward.jvp(np.abs, (z,), (1.0 + 0j,))
    assert tangent == pytest.approx(0.6, rel=RTOL)                     # d|z| along 1: Re z / |z|
    same(tangent, jax.jvp(jnp.abs, (jnp.asarray(z),), (jnp.asarray(1.0 + 0j),))[1])
    same(reverse.grad(np.abs)(z), jax.grad(jnp.abs)(jnp.asarray(z)))  # conj(z) / |z| = 0.6 - 0.8i
    assert reverse.grad(np.abs)(z) == pytest.approx(0.6 - 0.8j, rel=RTOL)


def test_abs_at_complex_zero_has_derivative_zero_as_in_jax():
    zero = np.zeros(2, complex)
    same(reverse.grad(lambda z: np.sum(np.abs(z)))(zero), jax.grad(lambda z: jnp.sum(jnp.abs(z)))(zero))


# --- defect 3: a real input mixed with a complex one ---------------------------------
def test_a_real_input_times_a_complex_constant_has_a_real_cotangent():
    out, pullback = reverse.vjp(lambda a: a * (1 + 1j), 2.0)
    (ct,) = pullback(1 + 1j)
    assert ct == 0.0 and not np.iscomplexobj(ct)                       # Re((1+i)(1+i)) = Re(2i) = 0
    (theirs,) = jax.vjp(lambda a: a * (1 + 1j), 2.0)[1](jnp.asarray(1 + 1j))
    same(ct, theirs)


def test_a_real_gain_on_a_complex_signal_gets_a_real_gradient():
    def loss(gain, z):
        return np.sum(np.abs(gain * z) ** 2)                           # gain^2 ||z||^2

    def loss_jax(gain, z):
        return jnp.sum(jnp.abs(gain * z) ** 2)
    d_gain, d_z = reverse.grad(loss, argnums=(0, 1))(1.5, Z)
    j_gain, j_z = jax.grad(loss_jax, argnums=(0, 1))(1.5, Z)
    same(d_gain, j_gain)
    assert d_gain == pytest.approx(2 * 1.5 * np.sum(np.abs(Z) ** 2), rel=RTOL)
    same(d_z, j_z)
    _, tangent = forward.jvp(loss, (1.5, Z), (1.0, DZ))
    same(tangent, jax.jvp(loss_jax, (1.5, Z), (1.0, DZ))[1])


# --- defect 4: a complex input that does not affect the output ------------------------
def test_an_unused_complex_input_gets_complex_zero():
    def f(z, w):
        return np.sum(np.abs(w))
    unused, used = reverse.grad(f, argnums=(0, 1))(Z, Z)
    theirs = jax.grad(lambda z, w: jnp.sum(jnp.abs(w)), argnums=(0, 1))(Z, Z)
    same(unused, theirs[0])                                            # complex128 zeros, not 0.0
    same(used, theirs[1])
    _, tangent = forward.jvp(f, (Z, Z), (DZ, np.zeros(3, complex)))
    same(tangent, jax.jvp(lambda z, w: jnp.sum(jnp.abs(w)), (Z, Z), (DZ, jnp.zeros(3, complex)))[1])


# --- defect 5: np.var of complex input ---------------------------------------------------
def test_var_of_complex_input_is_real_and_so_is_its_tangent():
    value, tangent = forward.jvp(np.var, (Z,), (DZ,))
    j_value, j_tangent = jax.jvp(jnp.var, (Z,), (DZ,))
    same(value, j_value)
    same(tangent, j_tangent)                                           # float64, not complex
    same(reverse.grad(np.var)(Z), jax.grad(jnp.var)(Z))
    same(reverse.grad(np.var)(Z), 2 * np.conj(Z - Z.mean()) / Z.size)  # closed form


# --- nesting: derivatives of derivatives of a real function of complex input -----------
def quartic(z):
    return np.sum(np.abs(z) ** 4)


def quartic_jax(z):
    return jnp.sum(jnp.abs(z) ** 4)


def test_grad_of_sum_abs_z_to_the_fourth_in_closed_form():
    # |z|^4 = (x^2 + y^2)^2: df/dx - i df/dy = 4 |z|^2 (x - i y)
    same(reverse.grad(quartic)(Z), 4 * np.abs(Z) ** 2 * np.conj(Z))
    same(reverse.grad(quartic)(Z), jax.grad(quartic_jax)(Z))


def test_reverse_over_reverse_and_forward_over_reverse_match_jax():
    inner, inner_jax = reverse.grad(quartic), jax.grad(quartic_jax)
    (ours,) = reverse.vjp(inner, Z)[1](DZ)
    (theirs,) = jax.vjp(inner_jax, Z)[1](DZ)
    same(ours, theirs)
    same(forward.jvp(inner, (Z,), (DZ,))[1], jax.jvp(inner_jax, (Z,), (DZ,))[1])


def test_grad_of_a_real_function_of_a_gradient():
    def outer(z):                                          # a real function of grad |z|^4
        return np.sum(np.abs(reverse.grad(quartic)(z)) ** 2)

    def outer_jax(z):
        return jnp.sum(jnp.abs(jax.grad(quartic_jax)(z)) ** 2)
    same(reverse.grad(outer)(Z), jax.grad(outer_jax)(Z))
    same(forward.jvp(outer, (Z,), (DZ,))[1], jax.jvp(outer_jax, (Z,), (DZ,))[1])


# --- the JAX bridge: plain NumPy code on complex values, replayed in JAX -----------------
def test_the_jax_bridge_differentiates_complex_arguments():
    same(jax_bridge.grad(quartic)(Z), jax.grad(quartic_jax)(Z))
    same(jax_bridge.grad(np.linalg.norm)(Z), reverse.grad(np.linalg.norm)(Z))
    _, tangent = jax_bridge.jvp(np.var, (Z,), (DZ,))
    same(tangent, forward.jvp(np.var, (Z,), (DZ,))[1])
    _, pullback = jax_bridge.vjp(lambda a: a * (1 + 1j), 2.0)
    (ct,) = pullback(1 + 1j)
    same(ct, reverse.vjp(lambda a: a * (1 + 1j), 2.0)[1](1 + 1j)[0])


def test_the_jax_bridge_keeps_a_real_argument_real_beside_a_complex_one():
    def loss(gain, z):
        return np.sum(np.abs(gain * z) ** 2)
    ours = reverse.grad(loss, argnums=(0, 1))(1.5, Z)
    bridged = jax_bridge.grad(loss, argnums=(0, 1))(1.5, Z)
    same(ours[0], bridged[0])
    same(ours[1], bridged[1])


# --- check_grads on complex code -------------------------------------------------------
# Complex arguments are checked as their real and imaginary parts (rows z.real,
# z.imag), with check_grads' own tolerances (256 eps against JAX and the
# adjoint test; 10 x the finite differences' error estimate against them).
from comparisons import check_gradient, check_grads  # noqa: E402
import modes  # noqa: E402

rng = np.random.default_rng(17)
SIGNAL = np.sin(np.linspace(0, 6, 16)) + 0.3 * rng.standard_normal(16)


def spectral_loss(taps, signal):
    """A complex FIR filter fitted in the frequency domain: the power of the
    filtered signal's spectrum against a low-pass target, plus a ridge."""
    spectrum = np.fft.fft(signal) * np.fft.fft(taps, n=signal.size)
    target = (np.abs(np.fft.fftfreq(signal.size)) < 0.2).astype(float)
    return np.sum((np.abs(spectrum) ** 2 / signal.size - target) ** 2) + 0.1 * np.sum(np.abs(taps) ** 2)


def test_check_grads_of_a_signal_processing_loss_of_complex_filter_taps():
    taps = np.array([0.5 + 0.1j, 0.25 - 0.2j, -0.1 + 0.05j, 0.05j])
    result = check_grads(spectral_loss, (taps, SIGNAL), order=2)
    result.raise_if_failed()
    table = result.table
    assert {"taps.real", "taps.imag", "signal"} <= set(table["argument"])
    assert set(table["against"]) == {"jax", "fd", "<J^T u, v>"}
    assert any("taps" in note and "real and imaginary parts" in note for note in result.notes)
    assert any("finite differences: central" in note for note in result.notes)


def test_check_grads_of_a_real_loss_of_a_complex_parameter_vector():
    design = rng.standard_normal((5, 3)) + 1j * rng.standard_normal((5, 3))
    data = rng.standard_normal(5) + 1j * rng.standard_normal(5)

    def misfit(z):
        return np.sum(np.abs(design @ z - data) ** 2) + np.sum(np.abs(z) ** 4)
    check_grads(misfit, (Z,), order=2).raise_if_failed()
    # the rows are the real gradients dF/dx and dF/dy: together JAX's complex gradient
    grad = reverse.grad(misfit)(Z)
    same(grad, jax.grad(lambda z: jnp.sum(jnp.abs(design @ z - data) ** 2) + jnp.sum(jnp.abs(z) ** 4))(Z))


def test_check_grads_of_a_complex_valued_output():
    result = check_grads(lambda z: np.fft.ifft(z) * np.exp(1j * np.real(z)), (Z,))
    result.raise_if_failed()
    assert {"out.real", "out.imag"} <= set(result.table["argument"])


def test_check_grads_catches_a_complex_rule_that_forgets_a_conjugate():
    # |z|^2 with a VJP of 2 z, where JAX's convention gives 2 conj(z)
    wrong = modes.defop("test_wrong_modulus2", lambda z: np.real(z * np.conj(z)),
                        jvp=lambda t, out, z: np.real(2 * np.conj(z) * t[0]),
                        vjp=lambda ct, argnum, out, z: 2 * ct * z,
                        jax=lambda z: jnp.real(z * jnp.conj(z)))
    result = check_grads(lambda z: np.sum(wrong(z)), (Z,))
    assert not result.ok
    failed = result.table[~result.table["passed"]]
    assert set(failed["check"]) == {"reverse VJP", "adjoint <u, J v>"}
    assert set(failed[failed["check"] == "reverse VJP"]["argument"]) == {"z.imag"}   # Re(2 z) is right


def test_the_complex_step_is_refused_on_complex_code():
    with pytest.raises(ValueError, match=r"complex-step.*computes with complex values.*fd_method='central'"):
        check_grads(lambda z: np.sum(np.abs(z) ** 2), (Z,), fd_method="complex-step")
    # a real function of real input that computes with complex values inside (a power spectrum)
    with pytest.raises(ValueError, match=r"complex-step cannot check|fd_method='complex-step' cannot check"):
        check_grads(lambda x: np.sum(np.abs(np.fft.rfft(x)) ** 2), (SIGNAL,), fd_method="complex-step")
    # real code keeps it, with no note about complex values
    result = check_grads(lambda x: np.sum(np.sin(x) ** 2), (SIGNAL,), fd_method="complex-step")
    result.raise_if_failed()
    assert not any("complex" in note for note in result.notes)


def test_hand_written_gradient_checks_name_check_grads_for_complex_arguments():
    with pytest.raises(TypeError, match=r"argument 0 \(z\) of <lambda> is complex.*check_grads"):
        check_gradient(lambda z: np.sum(np.abs(z) ** 2), lambda z: 2 * np.conj(z), Z)
