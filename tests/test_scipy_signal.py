"""modes.scipy.signal's convolve and correlate as users call them: a 1-D
filter and a 2-D image kernel, in every mode, differentiated in both inputs.

References: values against scipy.signal itself (rtol 1e-12); derivatives by
check_grads, both engines against JAX's jax.scipy.signal twin (the op's
replay), finite differences and the adjoint test; a moving-average filter's
gradient against its closed form (each input sample's weight: how many
windows hold it, over the window length), to 1e-14.
"""

import numpy as np
import pytest
import scipy.signal

import modes
import modes.scipy.signal as signal
from comparisons import check_grads
from modes import forward, reverse

jax = pytest.importorskip("jax")
jsig = pytest.importorskip("jax.scipy.signal")


pytestmark = pytest.mark.usefixtures("jax_in_double_precision")


rng = np.random.default_rng(18)
SIGNAL, FILTER = rng.normal(size=9), rng.normal(size=4)
IMAGE, KERNEL = rng.normal(size=(6, 5)), rng.normal(size=(3, 2))
MODES = ("full", "valid", "same")
CASES = [(name, mode, a, v) for name in ("convolve", "correlate") for mode in MODES
         for a, v in ((SIGNAL, FILTER), (IMAGE, KERNEL))]


@pytest.mark.parametrize("name, mode, a, v", CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2].ndim}d" for c in CASES])
def test_convolution_in_both_inputs(name, mode, a, v):
    ours, theirs, twin = getattr(signal, name), getattr(scipy.signal, name), getattr(jsig, name)
    np.testing.assert_allclose(ours(a, v, mode=mode), theirs(a, v, mode=mode), rtol=1e-12, atol=1e-14)
    check_grads(lambda a, v: ours(a, v, mode=mode), (a, v),
                jax_twin=lambda a, v: twin(a, v, mode=mode)).raise_if_failed()


def test_a_kernel_larger_than_the_signal():
    # 'valid' is symmetric in its inputs; 'same' keeps the first input's shape
    short, long_ = SIGNAL[:3], FILTER.tolist() + [0.5, -1.0]
    long_ = np.array(long_)
    for mode in MODES:
        np.testing.assert_allclose(signal.convolve(short, long_, mode), scipy.signal.convolve(short, long_, mode),
                                   rtol=1e-12)
        check_grads(lambda a, v: signal.correlate(a, v, mode), (short, long_)).raise_if_failed()


def test_moving_average_gradient_is_the_closed_form():
    # y = mean over each window of 3 ('valid'); d sum(y)/dx_i = (number of windows holding x_i) / 3
    window = np.ones(3) / 3
    smooth = lambda x: np.sum(signal.convolve(x, window, mode="valid"))
    counts = np.array([1, 2, 3, 3, 3, 3, 3, 2, 1]) / 3
    np.testing.assert_allclose(reverse.grad(smooth)(SIGNAL), counts, rtol=1e-14)
    np.testing.assert_allclose(forward.grad(smooth)(SIGNAL), counts, rtol=1e-14)


def test_learning_a_filter_is_a_least_squares_problem():
    # fit v so that convolve(x, v) matches a target made with a known filter: gradient descent recovers it
    target = scipy.signal.convolve(SIGNAL, FILTER, mode="full")
    loss = lambda v: 0.5 * np.sum((signal.convolve(SIGNAL, v, mode="full") - target) ** 2)
    hessian = modes.hessian(loss)(np.zeros(4))        # X^T X for the convolution matrix X: constant
    v = np.zeros(4)
    for _ in range(3):
        v = v - np.linalg.solve(hessian, modes.grad(loss)(v))      # Newton: exact for a quadratic
    np.testing.assert_allclose(v, FILTER, rtol=1e-10)


def test_second_derivatives_of_an_image_loss_nest():
    check_grads(lambda img, k: np.sum(np.tanh(signal.correlate(img, k, mode="same")) ** 2), (IMAGE, KERNEL),
                order=2).raise_if_failed()


def test_plain_scipy_signal_on_a_box_names_the_drop_in():
    with pytest.raises(Exception, match=r"modes\.scipy\.signal"):
        reverse.grad(lambda x: np.sum(scipy.signal.convolve(x, FILTER)))(SIGNAL)


def test_complex_inputs_are_refused_with_the_function_name():
    with pytest.raises(TypeError, match=r"scipy\.signal\.convolve takes real arrays"):
        reverse.grad(lambda x: np.sum(np.abs(signal.convolve(x * 1j, FILTER))))(SIGNAL)
