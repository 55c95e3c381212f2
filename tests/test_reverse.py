"""The tape engine: long chains, fan-out, safety, threads, checkpointing."""

import threading

import numpy as np
import pytest

from modes import reverse
from modes.reverse import EscapedTracer


def test_a_100000_op_chain_needs_no_recursion():
    def chain(x):
        for _ in range(100_000):
            x = x * 1.0000001
        return x
    assert reverse.grad(chain)(1.0) == pytest.approx(1.0000001 ** 100_000, rel=1e-9)


def test_fan_out_accumulates():
    # x is used three times: d(x*x + x)/dx = 2x + 1
    assert reverse.grad(lambda x: x * x + x)(3.0) == 7.0


def test_repeated_fancy_indices_accumulate():
    np.testing.assert_array_equal(reverse.grad(lambda x: np.sum(x[[0, 0, 1]]))(np.zeros(3)), [2, 1, 0])
    np.testing.assert_array_equal(reverse.grad(lambda x: np.sum(np.take(x, [2, 2, 2])))(np.zeros(3)), [0, 0, 3])


def test_prod_with_zeros():
    # d prod / dx_i = product of the others
    np.testing.assert_array_equal(reverse.grad(np.prod)(np.array([0.0, 2.0, 3.0])), [6, 0, 0])
    np.testing.assert_array_equal(reverse.grad(np.prod)(np.array([0.0, 2.0, 0.0])), [0, 0, 0])
    np.testing.assert_allclose(reverse.grad(np.prod)(np.array([4.0, 2.0, 3.0])), [6, 12, 8])


def test_broadcasting_pairs_unbroadcast():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 1, 3)), rng.normal(size=(4, 1))
    da, db = reverse.grad(lambda a, b: np.sum(a * b), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(da, np.broadcast_to(np.sum(b), (2, 1, 3)), rtol=1e-12)
    np.testing.assert_allclose(db, np.full((4, 1), np.sum(a)), rtol=1e-12)


def test_vjp_function_called_twice_gives_the_same_result():
    x = np.array([0.5, -1.0, 2.0])
    out, vjp_fn = reverse.vjp(lambda x: np.exp(x) * x, x)
    first = vjp_fn(np.ones(3))[0]
    second = vjp_fn(np.ones(3))[0]
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first, np.exp(x) * (1 + x))


def test_a_saved_array_cannot_be_mutated_before_the_backward_pass():
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = np.array([1.0, -1.0])
    out, vjp_fn = reverse.vjp(lambda x: np.sum(np.tanh(W @ x)), x)
    with pytest.raises(ValueError, match="read-only"):
        W[0, 0] = 100.0                      # W was saved for dx = W^T (...)
    np.testing.assert_allclose(vjp_fn(1.0)[0], W.T @ (1 - np.tanh(W @ x) ** 2))
    del vjp_fn                               # the tape is released with its vjp function
    W[0, 0] = 100.0                          # and the user's array is writeable again


def test_grad_releases_its_arrays():
    W = np.ones((2, 2))
    reverse.grad(lambda x: np.sum(W @ x))(np.ones(2))
    W[0, 0] = 5.0


def test_an_escaped_tracer_is_an_error():
    leaked = []
    reverse.grad(lambda x: leaked.append(x) or x * 2.0)(1.0)
    with pytest.raises(EscapedTracer, match="escaped"):
        leaked[0] + 1.0


def test_python_floats_without_arrays():
    xs = [0.1 * i for i in range(100)]
    f = lambda xs: sum(100.0 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1.0 - xs[i]) ** 2 for i in range(99))
    g = reverse.grad(f)(xs)
    assert isinstance(g, list) and len(g) == 100 and all(isinstance(v, float) for v in g)
    x = np.array(xs)
    expected = np.zeros(100)
    expected[:-1] = -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    expected[1:] += 200 * (x[1:] - x[:-1] ** 2)
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def test_threads_record_on_their_own_tapes():
    results, errors = {}, []

    def work(k):
        try:
            x = np.full(50, float(k))
            for _ in range(20):
                g = reverse.grad(lambda x: np.sum(np.sin(x) * k))(x)
            results[k] = g
        except Exception as error:   # pragma: no cover - reported below
            errors.append(error)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for k, g in results.items():
        np.testing.assert_allclose(g, k * np.cos(np.full(50, float(k))))


def test_jacobian_batches_rows():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(7, 3))
    f = lambda x: np.tanh(A @ x)
    x = rng.normal(size=3)
    expected = (1 - np.tanh(A @ x) ** 2)[:, None] * A
    for chunk in (1, 3, 7, None):
        np.testing.assert_allclose(reverse.jacobian(f, chunk=chunk)(x), expected, rtol=1e-12)


def _recurrence(W, T, segments=None):
    def step(h):
        return np.tanh(W @ h)

    def run(h0):
        h = h0
        if segments is None:
            for _ in range(T):
                h = step(h)
            return np.sum(h)
        length = T // segments

        def segment(h):
            for _ in range(length):
                h = step(h)
            return h
        segment = reverse.checkpoint(segment)
        for _ in range(segments):
            h = segment(h)
        return np.sum(h)
    return run


def test_checkpointing_saves_memory_and_keeps_the_gradient():
    rng = np.random.default_rng(2)
    n = 32
    W = rng.normal(size=(n, n)) / np.sqrt(n)
    h0 = rng.normal(size=n)
    saved = {}
    for T in (16, 64, 256):
        segments = int(np.sqrt(T))
        plain = reverse.trace(_recurrence(W, T), h0)
        checkpointed = reverse.trace(_recurrence(W, T, segments), h0)
        saved[T] = (plain.saved_bytes(), checkpointed.saved_bytes())
        np.testing.assert_allclose(reverse.grad(_recurrence(W, T, segments))(h0),
                                   reverse.grad(_recurrence(W, T))(h0), rtol=1e-10)
    # O(T) without checkpoints: 16x the steps, about 16x the bytes (W, a
    # constant saved once, aside; the segments do not save it at all)
    assert (saved[256][0] - W.nbytes) / (saved[16][0] - W.nbytes) > 12
    # O(sqrt(T)) with sqrt(T) segments: 16x the steps, about 4x the bytes
    assert 2 < saved[256][1] / saved[16][1] < 6
    assert saved[256][1] < (saved[256][0] - W.nbytes) / 10
