"""A naive CS231n convolution that writes its output element by element
into a buffer: the reverse gradient's cost relative to the plain forward.

Why: students' conv, max-pool and rnn forwards fill preallocated arrays in
loops (`out[n, f, i, j] = ...`). Each write is recorded as a functional
update; if a write copied the buffer, k writes into n elements would cost
O(n k). Target: reverse.grad / forward <= 5 (issue: write loops). The
hand-written backward (conv_backward_naive's loops) is the reference row.
"""

import numpy as np

from .suite import Benchmark, Pair

SHAPES = {"x": (2, 3, 8, 8), "w": (4, 3, 3, 3), "b": (4,)}
CONV = {"stride": 1, "pad": 1}


def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    H_out, W_out = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros_like(x, shape=(N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out


def conv_backward_naive(dout, x, w, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, F, H_out, W_out = dout.shape
    _, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad, dw, db = np.zeros_like(x_pad), np.zeros_like(w), np.sum(dout, axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    dw[f] += window * dout[n, f, i, j]
                    dx_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW] += w[f] * dout[n, f, i, j]
    return dx_pad[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]], dw, db


def loss(x, w, b):
    return np.sum(conv_forward_naive(x, w, b, CONV) ** 2) / 2      # dout = out


def hand_written(x, w, b):
    out = conv_forward_naive(x, w, b, CONV)
    return conv_backward_naive(out, x, w, CONV)


def build():
    from modes import reverse
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(SHAPES[k]) for k in ("x", "w", "b"))
    ours = reverse.grad(loss, argnums=(0, 1, 2))
    contenders = {
        "forward pass": lambda: loss(x, w, b),
        "reverse.grad": lambda: ours(x, w, b),
        "hand-written backward": lambda: hand_written(x, w, b),
    }
    pairs = [Pair("reverse.grad", "forward pass", 5.0), Pair("hand-written backward", "forward pass")]
    N, F = SHAPES["x"][0], SHAPES["w"][0]
    writes = N * F * SHAPES["x"][2] * SHAPES["x"][3]
    return [Benchmark("write_loop", contenders, "hand-written backward", pairs, rtol=1e-10,
                      note=f"naive conv, {writes} element writes", primal_only=("forward pass",))]
