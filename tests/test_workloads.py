"""The benchmark workloads compute what their formulas say, and both engines
differentiate them exactly as JAX does (on the same program, replayed)."""

import math

import numpy as np
import pytest

from modes import forward, reverse
from reports import workloads as wl
from reports.methods import jax_reference
from reports.workloads import WORKLOADS

# A small member of each family: cheap enough for the tests, big enough to
# exercise every branch (several mixture components, a 4x4 determinant...).
SMALL = {"rosenbrock": 12, "logsumexp": 12, "tanh-wide": 20, "tanh-tall": 20, "mlp": 96, "llsq": 10,
         "det-minors": 16, "recurrence": 12, "gmm": 30, "gp": 8, "odeint": 3}


def make(name, dim=None, seed=0):
    return WORKLOADS[name].make(dim or SMALL[name], np.random.default_rng(seed))


def test_every_workload_has_a_small_size():
    assert set(SMALL) == set(WORKLOADS)


def relative(a, b):
    return np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(b))


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_both_engines_agree_with_jax(name):
    instance = make(name)
    shape = (instance.n_outputs, instance.n_inputs)
    reference = jax_reference(instance)
    assert reference.shape == shape
    ours_forward = np.reshape(forward.jacobian(instance.f)(instance.x), shape)
    ours_reverse = np.reshape(reverse.jacobian(instance.f)(instance.x), shape)
    assert relative(ours_forward, reference) < 1e-8
    assert relative(ours_reverse, reference) < 1e-8


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_instances_describe_themselves(name):
    instance = make(name)
    out = np.asarray(instance.f(instance.x))
    assert instance.x.dtype == np.float64 and instance.x.ndim == 1
    assert instance.n_inputs == instance.x.size
    assert out.size == instance.n_outputs
    assert np.all(np.isfinite(out))
    workload = WORKLOADS[name]
    assert {"f", "forward", "reverse", "fd"} <= set(workload.cost)
    assert workload.formula and workload.source and workload.dim_label
    assert list(workload.quick) == sorted(workload.quick) and list(workload.full) == sorted(workload.full)


def test_theory_slopes():
    assert WORKLOADS["rosenbrock"].theory_slope("forward") == 2.0
    assert WORKLOADS["rosenbrock"].theory_slope("reverse") == 1.0
    assert WORKLOADS["tanh-tall"].theory_slope("forward") == 1.0
    assert WORKLOADS["tanh-tall"].theory_slope("reverse") == 2.0
    assert WORKLOADS["det-minors"].theory_slope("reverse") is None     # factorial, not a power law


# --- the formulas, against independent computations --------------------------

def test_rosenbrock_gradient_closed_form():
    instance = make("rosenbrock")
    x = instance.x
    g = np.zeros_like(x)
    g[:-1] = -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    g[1:] += 200 * (x[1:] - x[:-1] ** 2)
    np.testing.assert_allclose(reverse.grad(instance.f)(x), g, rtol=1e-12)


def test_logsumexp_gradient_is_softmax():
    instance = make("logsumexp")
    softmax = np.exp(instance.x) / np.sum(np.exp(instance.x))
    np.testing.assert_allclose(instance.f(instance.x), np.log(np.sum(np.exp(instance.x))), rtol=1e-14)
    np.testing.assert_allclose(reverse.grad(instance.f)(instance.x), softmax, rtol=1e-12)


def test_tanh_jacobian_closed_form():
    rng = np.random.default_rng(1)
    W, b, x = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=3)
    y = np.tanh(W @ x + b)
    expected = (1 - y ** 2)[:, None] * W
    np.testing.assert_allclose(forward.jacobian(wl.tanh_layer(W, b))(x), expected, rtol=1e-12)
    wide, tall = make("tanh-wide"), make("tanh-tall")
    assert (wide.n_inputs, wide.n_outputs) == (20, wl.LAYER)
    assert (tall.n_inputs, tall.n_outputs) == (wl.LAYER, 20)


def test_llsq_matches_gradbench_definition_and_gradient():
    n, x = 5, np.random.default_rng(2).uniform(size=5)
    points = wl.LLSQ_POINTS
    t = [-1 + 2 * i / (points - 1) for i in range(points)]
    value = 0.5 * sum((np.sign(ti) - sum(x[j] * ti ** j for j in range(n))) ** 2 for ti in t)
    f = wl.llsq(n)
    np.testing.assert_allclose(f(x), value, rtol=1e-12)
    T = np.array([[ti ** j for j in range(n)] for ti in t])
    np.testing.assert_allclose(reverse.grad(f)(x), T.T @ (T @ x - np.sign(t)), rtol=1e-10)


@pytest.mark.parametrize("ell", [1, 2, 3, 5])
def test_det_by_minors_is_the_determinant_and_its_gradient_the_cofactors(ell):
    A = np.random.default_rng(ell).uniform(-1, 1, (ell, ell))
    f = wl.det_minors(ell)
    np.testing.assert_allclose(f(A.ravel()), np.linalg.det(A), rtol=1e-12, atol=1e-14)
    cofactors = np.linalg.det(A) * np.linalg.inv(A).T           # d det / dA
    np.testing.assert_allclose(reverse.grad(f)(A.ravel()), cofactors.ravel(), rtol=1e-9, atol=1e-12)


def test_mlp_loss_matches_a_direct_computation():
    rng = np.random.default_rng(3)
    X, y, H = rng.normal(size=(4, wl.MLP_D)), rng.integers(0, wl.MLP_C, 4), 3
    loss, size = wl.mlp_loss(X, y, H)
    theta = rng.normal(size=size)
    D, C = wl.MLP_D, wl.MLP_C
    W1, b1 = theta[:D * H].reshape(D, H), theta[D * H:D * H + H]
    W2, b2 = theta[D * H + H:D * H + H + H * C].reshape(H, C), theta[-C:]
    scores = np.maximum(0, X @ W1 + b1) @ W2 + b2
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(p[np.arange(4), y])) + 0.5 * wl.MLP_REG * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    np.testing.assert_allclose(loss(theta), expected, rtol=1e-12)


def test_gmm_matches_a_loop_over_points_and_components():
    """GradBench's corrected objective, written out with loops and explicit
    matrices (the Wishart prior enters with a minus sign)."""
    rng = np.random.default_rng(4)
    N, d, K, gamma, m = 6, 3, 2, 1.3, 2
    X = rng.normal(size=(N, d))
    objective, size = wl.gmm_objective(X, K, gamma=gamma, wishart_m=m)
    theta = rng.normal(size=size) * 0.5
    alpha, mu = theta[:K], theta[K:K + K * d].reshape(K, d)
    q = theta[K + K * d:K + 2 * K * d].reshape(K, d)
    l = theta[K + 2 * K * d:].reshape(K, -1)
    Qs = []
    for k in range(K):
        Q, entry = np.diag(np.exp(q[k])), 0
        for col in range(d):                  # l fills the strict lower triangle column by column
            for row in range(col + 1, d):
                Q[row, col] = l[k, entry]
                entry += 1
        Qs.append(Q)
    log_lik = 0.0
    for i in range(N):
        terms = [alpha[k] + q[k].sum() - 0.5 * np.sum((Qs[k] @ (X[i] - mu[k])) ** 2) for k in range(K)]
        log_lik += np.log(np.sum(np.exp(terms)))
    log_lik -= N * np.log(np.sum(np.exp(alpha))) + N * d / 2 * np.log(2 * np.pi)
    n_w = d + m + 1
    log_gamma_d = d * (d - 1) / 4 * np.log(np.pi) + sum(math.lgamma(n_w / 2 + (1 - j) / 2)
                                                        for j in range(1, d + 1))
    prior = sum(-0.5 * gamma ** 2 * (np.sum(np.exp(q[k]) ** 2) + np.sum(l[k] ** 2)) + m * q[k].sum()
                + n_w * d * np.log(gamma / np.sqrt(2)) - log_gamma_d for k in range(K))
    np.testing.assert_allclose(objective(theta), log_lik + prior, rtol=1e-12)


def test_recurrence_checkpointed_is_the_same_function_and_gradient():
    instance = make("recurrence", 10)
    np.testing.assert_allclose(instance.f_checkpointed(instance.x), instance.f(instance.x), rtol=1e-14)
    np.testing.assert_allclose(reverse.grad(instance.f_checkpointed)(instance.x),
                               reverse.grad(instance.f)(instance.x), rtol=1e-12)


def test_recurrence_tape_grows_like_T_and_like_sqrt_T_with_checkpoints():
    """Increments remove the constant part (W itself): quadrupling T adds
    about 4x as much tape without checkpoints, about 2x with sqrt(T) segments."""
    def saved(T, checkpointed):
        instance = make("recurrence", T)
        f = instance.f_checkpointed if checkpointed else instance.f
        return reverse.trace(f, instance.x).saved_bytes()
    steps = (64, 256, 1024)
    plain = [saved(T, False) for T in steps]
    ckpt = [saved(T, True) for T in steps]
    plain_growth = (plain[2] - plain[1]) / (plain[1] - plain[0])
    ckpt_growth = (ckpt[2] - ckpt[1]) / (ckpt[1] - ckpt[0])
    assert 3.5 < plain_growth < 4.5
    assert 1.5 < ckpt_growth < 2.5
    assert ckpt[2] < plain[2] / 10
