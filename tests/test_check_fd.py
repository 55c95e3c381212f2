"""Finite differences alone must not let a wrong gradient pass.

A CS231n naive convolution, written the way students write it (loops, a
preallocated `np.zeros` output, `float()` of a window's sum), cannot be
traced by fwdrev, so only finite differences check its backward. A backward
wrong in the single element dx[0, 0, 0, 0] must fail on every seed, and the
result must say truthfully what finite differences compared."""

import numpy as np
import pytest

from comparisons import check_backward


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = float(np.sum(window * w[f])) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for n in range(N):
        for f in range(F):
            db[f] += np.sum(dout[n, f])
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    dw[f] += window * dout[n, f, i, j]
                    dx_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW] += w[f] * dout[n, f, i, j]
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def conv_backward_one_element_wrong(dout, cache):
    dx, dw, db = conv_backward_naive(dout, cache)
    dx = dx.copy()
    dx[0, 0, 0, 0] *= 1.01            # off by 1% in one of 234 input elements
    return dx, dw, db


def conv_inputs(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 3, 5, 5))           # 150
    w = rng.normal(size=(3, 3, 3, 3))           # 81
    b = rng.normal(size=3)                      # 3: 234 input elements
    return x, w, b, {"stride": 1, "pad": 1}


def test_the_naive_conv_cannot_be_traced_so_only_finite_differences_check_it():
    result = check_backward(conv_forward_naive, conv_backward_naive, *conv_inputs(0))
    assert result.ok, str(result)
    assert {r.against for r in result.comparisons} == {"fd"}
    assert "cannot trace" in str(result)


@pytest.mark.parametrize("seed", range(10))
def test_one_wrong_element_fails_on_every_seed_by_directions(seed):
    """A budget of 0 s leaves no room for element-by-element differences:
    random directions, each +-1 on all 234 elements, must catch the one
    wrong element anyway, and bisection must find it."""
    result = check_backward(conv_forward_naive, conv_backward_one_element_wrong, *conv_inputs(seed),
                            seed=seed, fd_budget=0.0)
    assert not result.ok, str(result)
    text = str(result)
    assert "direction" in text
    assert "undefined" not in text                       # no false claim about unsampled elements
    assert result.fd_coverage.by == "directions"
    assert result.fd_coverage.uncovered == {}
    assert 0 < result.fd_coverage.miss_probability <= 2.0 ** -20
    assert result.worst.where == "x[0, 0, 0, 0]", text


def test_one_wrong_element_fails_element_by_element_within_the_budget():
    result = check_backward(conv_forward_naive, conv_backward_one_element_wrong, *conv_inputs(3),
                            fd_budget=600.0)
    assert not result.ok
    assert result.fd_coverage.by == "elements"
    assert result.fd_coverage.miss_probability == 0.0
    assert [(r.argument, r.passed) for r in result.comparisons] == [("x", False), ("w", True), ("b", True)]
    assert result.worst.where == "x[0, 0, 0, 0]"
    # the reference is the finite difference of the right gradient
    x, w, b, param = conv_inputs(3)
    out, cache = conv_forward_naive(x, w, b, param)
    dout = np.random.default_rng(0).standard_normal(out.shape)
    right = conv_backward_naive(dout, cache)[0][0, 0, 0, 0]
    assert result.worst.reference == pytest.approx(right, rel=1e-7)


@pytest.mark.parametrize("seed", range(3))
def test_a_right_conv_backward_passes_by_directions(seed):
    result = check_backward(conv_forward_naive, conv_backward_naive, *conv_inputs(seed), seed=seed,
                            fd_budget=0.0)
    assert result.ok, str(result)
    assert result.fd_coverage.by == "directions"
    assert any("random directions" in note for note in result.notes)
