"""The tape engine: long chains, fan-out, safety, threads, checkpointing."""

import threading
import weakref

import numpy as np
import pytest

from modes import forward, reverse
from modes.errors import EscapedValueWarning


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


def test_writing_a_saved_array_inside_f_says_why_and_what_to_do():
    W = np.array([[1.0, 2.0], [3.0, 4.0]])

    def f(x):
        out = np.sum(W @ x)
        W[0, 0] = 100.0                      # W was saved for dx = W^T (...)
        return out
    with pytest.raises(ValueError, match="read-only.*silently change the derivative.*Build a new array"):
        reverse.grad(f)(np.ones(2))
    W[0, 0] = 100.0                          # released: the user's array is writeable again


def test_the_output_vjp_returns_cannot_be_changed_under_its_pullback():
    # exp's VJP reads its output: writing into the returned array would
    # silently change the derivative
    x = np.array([0.0, 1.0])
    out, vjp_fn = reverse.vjp(np.exp, x)
    with pytest.raises(ValueError, match="read-only"):
        out *= 2.0
    np.testing.assert_allclose(vjp_fn(np.ones(2))[0], np.exp(x))


def test_grad_releases_its_arrays():
    W = np.ones((2, 2))
    reverse.grad(lambda x: np.sum(W @ x))(np.ones(2))
    W[0, 0] = 5.0


def test_an_escaped_tracer_is_its_value_outside_and_a_constant_inside_a_new_call():
    bn_param = {"running_mean": np.zeros(3)}

    def loss(x):
        bn_param["running_mean"] = 0.9 * bn_param["running_mean"] + 0.1 * x   # as batchnorm does
        return np.sum(x * x)
    x = np.array([1.0, 2.0, 3.0])
    reverse.grad(loss)(x)
    with pytest.warns(EscapedValueWarning, match="finished differentiation call") as warned:
        np.testing.assert_allclose(np.asarray(bn_param["running_mean"]), 0.1 * x)
        np.testing.assert_allclose(bn_param["running_mean"] + 1.0, 1.0 + 0.1 * x)
        # a second call reads the stale box as a constant: d/dx sum(x * x + 0.9 rm) = 2x exactly
        np.testing.assert_allclose(reverse.grad(loss)(x), 2.0 * x)
        # the second call stored another box: running mean 0.9 (0.1 x) + 0.1 x, a constant again
        np.testing.assert_allclose(forward.grad(lambda x: np.sum(x * bn_param["running_mean"]))(x), 0.19 * x)
    assert len(warned) == 2, "said once per finished call whose box was used"


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


def test_a_tape_keeps_only_the_values_its_rules_read():
    """The memory of a tape is the residuals: an intermediate that no VJP rule
    reads (y, read by add and sum only for its shape) is freed while the tape
    lives; one a rule reads (exp's output) is kept."""
    arrays = {}

    def f(x):
        y = x + 1.0
        e = np.exp(x)
        arrays["y"], arrays["e"] = weakref.ref(y.value), weakref.ref(e.value)
        return np.sum(y) + np.sum(e)

    x = np.arange(3.0)
    _, vjp_fn = reverse.vjp(f, x)
    assert arrays["y"]() is None
    assert arrays["e"]() is not None
    np.testing.assert_allclose(vjp_fn(1.0)[0], 1.0 + np.exp(x))


# --- lazily broadcast cotangents (a sum's transpose hands back a small one) ----

def test_a_lazy_cotangent_counts_every_element_it_stands_for():
    # d/da sum(a + b) with a (1, 1) broadcast against b (1, 3): 3, not 1
    a, b = np.ones((1, 1)), np.ones((1, 3))
    da, db = reverse.grad(lambda a, b: np.sum(a + b), argnums=(0, 1))(a, b)
    np.testing.assert_array_equal(da, [[3.0]])
    np.testing.assert_array_equal(db, [[1.0, 1.0, 1.0]])
    # the same through a reduction over one axis and a mean
    dx = reverse.grad(lambda x: np.sum(np.mean(x, axis=0, keepdims=True) * np.ones((4, 1, 3))))(np.ones((2, 3)))
    np.testing.assert_array_equal(dx, np.full((2, 3), 4 / 2))


def test_gradients_and_trace_cotangents_have_their_values_shapes():
    x = np.arange(6.0).reshape(2, 3)
    g = reverse.grad(np.sum)(x)        # the cotangent 1.0 stood for all six
    assert g.shape == (2, 3) and g.flags.writeable and g.base is None
    np.testing.assert_array_equal(g, np.ones((2, 3)))
    g[0, 0] = 5.0                      # an array of its own
    trace = reverse.trace(lambda x: np.sum(x * x), x)
    for record, gradient in zip(trace.records, trace.gradients):
        assert np.shape(gradient) == np.shape(record.out)
    rows = reverse.jacobian(lambda x: np.sum(x, axis=1))(x)
    np.testing.assert_array_equal(rows, np.repeat(np.eye(2)[:, :, None], 3, axis=2))


def test_x_times_x_under_a_sum_is_2x_times_the_cotangent():
    x = np.array([[1.0, -2.0], [3.0, 0.5]], np.float32)
    g = reverse.grad(lambda x: 0.25 * np.sum(x * x))(x)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, 0.5 * x)
    u = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(reverse.vjp(lambda x: x * x, x.astype(float))[1](u)[0], 2 * x * u)


# --- a matmul's VJP added into a gathered cotangent by gemm (beta = 1) ------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["C", "F"])
def test_a_weight_used_twice_gets_both_contributions(dtype, layout):
    # loss = sum(X @ W * G) + sum(W * W): dW = X^T G + 2 W; dX = G W^T (X used once)
    rng = np.random.default_rng(3)
    X = np.asarray(rng.normal(size=(5, 4)), dtype, order=layout)
    W = np.asarray(rng.normal(size=(4, 3)), dtype, order=layout)
    G = rng.normal(size=(5, 3)).astype(dtype)
    loss = lambda X, W: np.sum((X @ W) * G) + np.sum(W * W) + np.sum(X * X)
    dX, dW = reverse.grad(loss, argnums=(0, 1))(X, W)
    tolerance = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(dW, X.T @ G + 2 * W, rtol=tolerance)
    np.testing.assert_allclose(dX, G @ W.T + 2 * X, rtol=tolerance)
    assert dW.dtype == dX.dtype == dtype


def test_matmul_accumulation_falls_back_where_gemm_does_not_apply():
    rng = np.random.default_rng(4)
    A = rng.normal(size=(2, 5, 4))            # a batch of products: no single gemm
    W = rng.normal(size=(4, 3))
    v = rng.normal(size=4)                    # a vector operand
    dW = reverse.grad(lambda W: np.sum(A @ W) + np.sum(W * W))(W)
    np.testing.assert_allclose(dW, np.einsum("bik->k", A)[:, None] + 2 * W, rtol=1e-13)
    dv = reverse.grad(lambda v: np.sum(W.T @ v) + np.sum(v * v))(v)
    np.testing.assert_allclose(dv, W.sum(axis=1) + 2 * v, rtol=1e-13)
    # second order: the gathered cotangent holds traced values, gemm declines
    H = reverse.jacobian(reverse.grad(lambda W: np.sum(np.tanh(A[0] @ W)) + np.sum(W * W)))(W)
    assert H.shape == (4, 3, 4, 3)


def test_flop_counts_do_not_depend_on_the_accumulation_route():
    from modes.ops import linalg
    from modes.registry import count_flops
    X, W = np.ones((6, 4)), np.ones((4, 3))
    loss = lambda W: np.sum(X @ W) + np.sum(W * W)
    with count_flops() as fused:
        reverse.grad(loss)(W)
    linalg.MATMUL.vjp_into = None
    try:
        with count_flops() as generic:
            reverse.grad(loss)(W)
    finally:
        linalg.MATMUL.vjp_into = linalg._matmul_vjp_into
    arithmetic = lambda counter: {name: flops for name, flops in counter.by_op.items() if flops}
    assert arithmetic(fused) == arithmetic(generic) and fused.total == generic.total > 0


def test_the_backward_pass_frees_each_cotangent_once_spent():
    # 40 negations save nothing (d(-x) = -dx); without freeing, the walk would
    # hold all 40 cotangents of 0.8 MB at its end
    import tracemalloc
    n, steps = 100_000, 40

    w = np.linspace(0.0, 1.0, n)

    def chain(x):
        for _ in range(steps):
            x = -x
        return np.sum(w * x)           # (a full cotangent, w, enters the chain)
    x = np.ones(n)
    tracemalloc.start()
    try:
        g = reverse.grad(chain)(x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(g, w)          # (-1)^40 w
    assert peak < 6 * x.nbytes, f"peak {peak / x.nbytes:.1f} arrays of x's size"
