"""np.lib.stride_tricks on differentiable arrays (modes/strided.py), as
CS231n's fast layers use it: conv_forward_strides verbatim after one changed
import line, sliding_window_view with plain NumPy; both engines, a Hessian,
JAX and finite differences; the views stay views; what cannot be right is
refused."""

import sys
from pathlib import Path

import numpy
import pytest

import modes.numpy as np
from comparisons import check_backward, check_grads
from modes import forward, reverse
from modes.errors import UnsupportedFunction

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))     # (bare pytest: the root for benchmarks)
from benchmarks import write_loop  # noqa: E402

pytestmark = pytest.mark.usefixtures("jax_in_double_precision")

rng = numpy.random.default_rng(7)


# --- CS231n assignment 2, fast_layers.py, as written (only the import is fwdrev's) ----
def conv_forward_strides(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param['stride'], conv_param['pad']

    # Pad the input
    p = pad
    x_padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode='constant')

    # Figure out output dimensions
    H += 2 * pad
    W += 2 * pad
    out_h = (H - HH) // stride + 1
    out_w = (W - WW) // stride + 1

    # Perform an im2col operation by picking clever strides
    shape = (C, HH, WW, N, out_h, out_w)
    strides = (H * W, W, 1, C * H * W, stride * W, stride)
    strides = x.itemsize * np.array(strides)
    x_stride = np.lib.stride_tricks.as_strided(x_padded, shape=shape, strides=strides)
    x_cols = np.ascontiguousarray(x_stride)
    x_cols.shape = (C * HH * WW, N * out_h * out_w)

    # Now all our convolutions are a big matrix multiply
    res = w.reshape(F, -1).dot(x_cols) + b.reshape(-1, 1)

    # Reshape the output
    res.shape = (F, N, out_h, out_w)
    out = res.transpose(1, 0, 2, 3)

    # Be nice and return a contiguous array
    # The old version of conv_forward_fast doesn't do this, so for a fair
    # comparison we won't either
    out = np.ascontiguousarray(out)

    cache = (x, w, b, conv_param, x_cols)
    return out, cache


def conv_backward_naive(dout, cache):
    """Assignment 2's conv_backward_naive loops (the hand-written reference), on this cache."""
    x, w, _b, conv_param, _x_cols = cache
    return write_loop.conv_backward_naive(dout, x, w, conv_param)


@pytest.mark.parametrize("conv_param", [{"stride": 1, "pad": 1}, {"stride": 2, "pad": 1}], ids=["stride1", "stride2"])
def test_cs231n_conv_forward_strides_against_its_naive_backward(conv_param):
    x, w, b = rng.normal(size=(2, 3, 5, 5)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    result = check_backward(lambda x, w, b: conv_forward_strides(x, w, b, conv_param), conv_backward_naive, x, w, b)
    assert result.ok, str(result)
    # traced, not finite differences alone: our reverse mode and JAX's replay of the tape take part
    assert {r.against for r in result.comparisons} == {"reverse", "jax", "fd"}


def test_conv_forward_strides_gives_numpys_values():
    x, w, b = rng.normal(size=(1, 2, 4, 4)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    plain = conv_forward_strides(x, w, b, {"stride": 1, "pad": 1})[0]
    # (w traced too: its w.reshape(F, -1).dot(x_cols) is ndarray.dot, which a plain w would run)
    traced, _ = reverse.vjp(lambda x, w, b: conv_forward_strides(x, w, b, {"stride": 1, "pad": 1})[0], x, w, b)
    numpy.testing.assert_array_equal(numpy.asarray(traced), plain)


def sliding_window_conv(x, w):
    """A valid 2-D convolution (CS231n's layout) from sliding_window_view, with plain NumPy."""
    windows = numpy.lib.stride_tricks.sliding_window_view(x, w.shape[-2:], axis=(2, 3))   # (N, C, Ho, Wo, HH, WW)
    return numpy.einsum("ncijhw,fchw->nfij", windows, w)


def test_sliding_window_view_differentiates_with_plain_numpy_in_both_engines_and_a_hessian():
    x, w = rng.normal(size=(1, 2, 4, 4)), rng.normal(size=(2, 2, 2, 2))
    check_grads(lambda x, w: numpy.sum(numpy.tanh(sliding_window_conv(x, w))), (x, w), order=2).raise_if_failed()


def test_sliding_window_view_of_a_vector_adds_overlapping_windows_back_up():
    # each element of x lies in as many length-3 windows as cover it: 1, 2, 3, 3, 2, 1
    x = rng.normal(size=6)
    windowed_sum = lambda x: numpy.sum(numpy.lib.stride_tricks.sliding_window_view(x, 3))
    for engine in (reverse.grad, forward.grad):
        numpy.testing.assert_array_equal(engine(windowed_sum)(x), [1, 2, 3, 3, 2, 1])


def test_as_strided_with_default_strides_and_a_hessian():
    x = rng.normal(size=(3, 4))
    pairs = lambda x: np.lib.stride_tricks.as_strided(x, shape=(3, 3, 2), strides=x.strides + (x.itemsize,))
    check_grads(lambda x: np.sum(np.sin(pairs(x)) ** 2), (x,), order=2).raise_if_failed()
    same = lambda x: np.lib.stride_tricks.as_strided(x)                # shape and strides: x's own
    numpy.testing.assert_array_equal(reverse.jacobian(same)(x), numpy.eye(12).reshape(3, 4, 3, 4))


def test_a_strided_view_reads_its_base_again_after_a_write_into_it():
    def f(x):
        y = x.copy()
        windows = np.lib.stride_tricks.as_strided(y, shape=(3, 2), strides=(y.itemsize, y.itemsize))
        y[1] = 10 * y[1]            # seen by the two windows holding y[1], as in NumPy
        return np.sum(windows ** 2)
    x = rng.normal(size=4)
    value, gradient = reverse.value_and_grad(f)(x)
    assert value == f(x)            # plain NumPy's own as_strided, through modes.numpy
    # y[1] counts twice: d/dx1 of 2 (10 x1)^2 = 400 x1; x0 and x3 once, x2 twice
    numpy.testing.assert_allclose(gradient, [2 * x[0], 400 * x[1], 4 * x[2], 2 * x[3]], rtol=1e-13)
    numpy.testing.assert_allclose(forward.grad(f)(x), gradient, rtol=1e-13)


def test_windows_of_a_transposed_array_read_it_again_after_a_write():
    def f(x):
        y = x.copy()
        windows = numpy.lib.stride_tricks.sliding_window_view(y.T, 2, axis=0)   # y.T: not contiguous
        y[0, 0] = 3.0 * y[0, 0]
        return numpy.sum(windows ** 2 * numpy.arange(1.0, 5.0).reshape(2, 2, 1))
    x = rng.normal(size=(2, 3))
    value, gradient = reverse.value_and_grad(f)(x)
    assert value == pytest.approx(f(x), rel=1e-14)             # NumPy's own windows on a plain array
    check_grads(f, (x,)).raise_if_failed()


def test_what_a_strided_view_cannot_do_is_refused():
    x = rng.normal(size=(3, 4))

    def write_into_windows(x):
        windows = np.lib.stride_tricks.as_strided(x, shape=(3, 2), strides=(x.itemsize, x.itemsize))
        windows[0, 0] = 1.0        # NumPy would write into x, and into every window sharing the element
        return np.sum(windows)
    with pytest.raises(UnsupportedFunction, match="view of another differentiable array"):
        reverse.grad(write_into_windows)(x)
    with pytest.raises(ValueError, match="reads outside the array"):
        reverse.grad(lambda x: np.sum(np.lib.stride_tricks.as_strided(x, shape=(4, 4))))(x)
    with pytest.raises(ValueError, match="not C-contiguous.*x = x.copy()"):
        reverse.grad(lambda x: np.sum(np.lib.stride_tricks.as_strided(x.T, shape=(2,), strides=(8,))))(x)
    with pytest.raises(ValueError, match="not multiples of the item size"):
        reverse.grad(lambda x: np.sum(np.lib.stride_tricks.as_strided(x, shape=(2,), strides=(4,))))(x)
    with pytest.raises(ValueError, match="writeable=True"):
        reverse.grad(lambda x: np.sum(np.lib.stride_tricks.sliding_window_view(x, 2, writeable=True)))(x)


def test_modes_numpy_ascontiguousarray_is_the_box_itself_or_a_copy_as_numpy_decides():
    def f(x):
        same = np.ascontiguousarray(x)           # contiguous already: x itself, so a write shows in x
        same[0, 0] = 0.0
        copied = np.ascontiguousarray(x.T)       # a copy: a write does not show in x
        copied[0, 1] = 0.0
        fortran = np.asfortranarray(x)
        return np.sum(x ** 2) + np.sum(copied * fortran.T) + np.sum(np.asanyarray(x))
    x = rng.normal(size=(2, 3))
    value, gradient = reverse.value_and_grad(f)(x)
    assert value == pytest.approx(f(x.copy()), rel=1e-14)      # NumPy's own semantics on a plain copy
    check_grads(f, (x,)).raise_if_failed()
    # f = 2 sum(x^2) - x10^2 + sum(x), with x00 overwritten by 0 before every use
    expected = 4 * x + 1
    expected[0, 0] = 0.0
    expected[1, 0] = 2 * x[1, 0] + 1             # copied[0, 1] (x[1, 0]) was overwritten in the copy only
    numpy.testing.assert_allclose(gradient, expected, rtol=1e-13)
