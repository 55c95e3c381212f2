"""The benchmark workloads: families of functions f_n that grow with a dimension.

Each workload is written once, in plain NumPy (np.tanh, @, np.sum, slicing):
the same code runs on floats for the primal and for finite differences, on
complex numbers for the complex step, on Duals for forward mode and on traced
values for reverse mode; the JAX bridge replays its recorded tape for the
reference. Nothing here knows about differentiation.

A workload says where it comes from (ADBench, GradBench, CS231n), its formula,
the dimension it sweeps, and the theory of what each mode should cost. The
theory is stated in two forms: words for the report, and exponents the report
fits against. For f: R^n -> R^m, a full Jacobian takes n forward passes (one
per input direction) or m reverse passes (one per output row), each a small
constant times f; so with f's cost growing like dim^a,

    forward ~ dim^(a + slope of n),   reverse ~ dim^(a + slope of m).

`Workload.make(dim, rng)` returns an `Instance`: f, the point x (a float64
vector: every workload is R^n -> R^m), and the actual dimensions (a family
may round the requested dimension to its nearest member).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .gradbench.programs import det as gradbench_det
from .gradbench.programs import gmm as gradbench_gmm
from .gradbench.programs import llsq as gradbench_llsq
from .gradbench.programs import lse as gradbench_lse


@dataclass(frozen=True)
class Instance:
    """One member f_n of a family, at one point x."""
    f: Callable
    x: np.ndarray
    dim: int                 # the swept dimension: the x-axis of the plots
    n_inputs: int
    n_outputs: int
    f_checkpointed: Callable | None = None   # same f, segments under reverse.checkpoint


@dataclass(frozen=True)
class Workload:
    name: str
    formula: str
    source: str
    dim_label: str                     # what the swept dimension is
    make: Callable[[int, np.random.Generator], Instance]
    quick: tuple[int, ...]             # swept dimensions, default report
    full: tuple[int, ...]              # swept dimensions, --full (dense n x m Jacobians stay < 1 GB)
    cost: dict[str, str]               # theory in words: f, forward, reverse, fd
    f_slope: float | None              # d log cost(f) / d log dim (None: not a power law)
    passes: dict[str, float]           # d log(#passes) / d log dim, per mode
    analytic: bool                     # complex step allowed
    note: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    def theory_slope(self, family: str) -> float | None:
        """Expected log-log slope of a method's operation count against dim."""
        if self.f_slope is None:
            return None
        return self.f_slope + self.passes.get(family, 0.0)


def _instance(f, x, dim, n_outputs, f_checkpointed=None):
    return Instance(f, np.ascontiguousarray(x, dtype=np.float64), int(dim), int(np.size(x)),
                    int(n_outputs), f_checkpointed)


# ---------------------------------------------------------------------------
# rosenbrock: the extended Rosenbrock function (Dixon and Mills' form)

def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def _make_rosenbrock(n, rng):
    n = max(2, n)
    return _instance(rosenbrock, rng.uniform(-1.5, 1.5, n), n, 1)


# ---------------------------------------------------------------------------
# logsumexp: GradBench's lse program, the shifted form everyone writes (the max
# only stabilises: its derivative contributions cancel, so the function is
# still analytic)

logsumexp = gradbench_lse.lse


def _make_logsumexp(n, rng):
    return _instance(logsumexp, rng.normal(0.0, 2.0, n), n, 1)


# ---------------------------------------------------------------------------
# tanh-wide and tanh-tall: one tanh layer, two shapes of Jacobian

def tanh_layer(W, b):
    """x -> tanh(W x + b): the same code for both shapes."""
    def f(x):
        return np.tanh(W @ x + b)
    return f


LAYER = 64   # the fixed side of tanh-wide and tanh-tall


def _make_tanh(n_in, n_out, rng, dim):
    W = rng.normal(0.0, 1.0 / math.sqrt(n_in), (n_out, n_in))
    b = rng.normal(0.0, 0.1, n_out)
    return _instance(tanh_layer(W, b), rng.normal(0.0, 1.0, n_in), dim, n_out)


def _make_tanh_wide(n, rng):
    return _make_tanh(n, LAYER, rng, n)


def _make_tanh_tall(m, rng):
    return _make_tanh(LAYER, m, rng, m)


# ---------------------------------------------------------------------------
# mlp: the CS231n two-layer net (affine - ReLU - affine - softmax loss + L2),
# as a function of all its parameters flattened into one vector

MLP_N, MLP_D, MLP_C, MLP_REG = 16, 32, 10, 0.05


def mlp_loss(X, y, H, reg=MLP_REG):
    """theta -> loss of the two-layer net with hidden size H on (X, y)."""
    N, D = X.shape
    C = MLP_C
    sizes = (D * H, H, H * C, C)
    ends = np.cumsum(sizes)

    def loss(theta):
        W1 = theta[:ends[0]].reshape(D, H)
        b1 = theta[ends[0]:ends[1]]
        W2 = theta[ends[1]:ends[2]].reshape(H, C)
        b2 = theta[ends[2]:ends[3]]
        hidden = np.maximum(0.0, X @ W1 + b1)                    # ReLU
        scores = hidden @ W2 + b2
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        data_loss = -np.mean(log_probs[np.arange(N), y])
        return data_loss + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    return loss, int(ends[-1])


def _make_mlp(n, rng):
    H = max(1, round((n - MLP_C) / (MLP_D + 1 + MLP_C)))
    X = rng.normal(0.0, 1.0, (MLP_N, MLP_D))
    y = rng.integers(0, MLP_C, MLP_N)
    loss, size = mlp_loss(X, y, H)
    theta = np.concatenate([rng.normal(0, 1 / math.sqrt(MLP_D), MLP_D * H), np.zeros(H) + 0.01,
                            rng.normal(0, 1 / math.sqrt(H), H * MLP_C), np.zeros(MLP_C)])
    return _instance(loss, theta, size, 1)


# ---------------------------------------------------------------------------
# llsq: GradBench's llsq program (cmpad's linear least squares objective)
#   y(x) = 1/2 sum_i (s_i - sum_j x_j t_i^j)^2,  t_i = -1 + 2i/(p-1),  s_i = sign(t_i)
# with p = LLSQ_POINTS points fixed and the n = len(x) coefficients swept

LLSQ_POINTS = 128


def llsq(n, points=LLSQ_POINTS):
    """x (n coefficients) -> GradBench's llsq at `points` points."""
    return lambda x: gradbench_llsq.llsq(x, points)


def _make_llsq(n, rng):
    return _instance(llsq(n), rng.uniform(0.0, 1.0, n), n, 1)


# ---------------------------------------------------------------------------
# det-minors: GradBench's det program (cmpad's det_by_minor): the expansion in
# minors along the first row, evaluated bottom-up so that each minor is
# computed once (l levels, l 2^(l-1) products, instead of l! recursive ones)

def det_minors(ell):
    """A (l^2 entries, row-major) -> det A by GradBench's det program."""
    return lambda x: gradbench_det.det(x, ell)


def _make_det(n, rng):
    ell = max(1, round(math.sqrt(n)))
    return _instance(det_minors(ell), rng.uniform(-1.0, 1.0, ell * ell), ell * ell, 1)


# ---------------------------------------------------------------------------
# recurrence: T steps of h <- tanh(W h + u_t), differentiated with respect to W.
# Reverse mode keeps every step's state: its tape grows like T. Split into
# sqrt(T) checkpointed segments it keeps only the segment boundaries.

RNN_STATE = 8


def recurrence(T, h0, U, segment=None):
    """W (flattened) -> 1/2 |h_T|^2. With `segment` (a wrapper such as
    reverse.checkpoint), runs of about sqrt(T) steps are wrapped by it."""
    d = h0.shape[0]

    def steps(w, h, start, stop):
        W = w.reshape(d, d)
        for t in range(start, stop):
            h = np.tanh(W @ h + U[t])
        return h

    def f(w):
        if segment is None:
            h = steps(w, h0, 0, T)
        else:
            length = math.isqrt(T - 1) + 1 if T > 1 else 1      # ceil(sqrt(T))
            h = h0
            for start in range(0, T, length):
                stop = min(T, start + length)
                h = segment(lambda w, h, start=start, stop=stop: steps(w, h, start, stop))(w, h)
        return 0.5 * np.sum(h * h)
    return f


def _make_recurrence(T, rng):
    from modes import reverse
    d = RNN_STATE
    h0 = rng.normal(0.0, 1.0, d)
    U = rng.normal(0.0, 0.5, (T, d))
    w = rng.normal(0.0, 1.0 / math.sqrt(d), d * d)
    return _instance(recurrence(T, h0, U), w, T, 1,
                     f_checkpointed=recurrence(T, h0, U, segment=reverse.checkpoint))


# ---------------------------------------------------------------------------
# gmm: the Gaussian mixture model objective of ADBench, with GradBench's
# corrections (the sign of the Wishart prior and its normalising constant)

GMM_D, GMM_POINTS, GMM_GAMMA, GMM_M = 4, 32, 1.0, 0


def _gmm_sizes(K, d):
    return (K, K * d, K * d, K * d * (d - 1) // 2)


def gmm_objective(X, K, gamma=GMM_GAMMA, wishart_m=GMM_M):
    """theta = (alpha, means, q, l) flattened -> GradBench's gmm program
    (reports/gradbench/programs/gmm.py): the log-likelihood plus log prior.

    Each component k has a precision factor Q_k = diag(exp(q_k)) + L_k, with
    L_k strictly lower triangular holding l_k (column by column, as GradBench):
        sum_i logsumexp_k(alpha_k + sum(q_k) - 1/2 |Q_k (x_i - mu_k)|^2)
        - N logsumexp(alpha) - N d/2 log(2 pi)
        - sum_k [1/2 gamma^2 (|exp(q_k)|^2 + |l_k|^2) - m sum(q_k)]
        + K [n_w d log(gamma / sqrt 2) - log Gamma_d(n_w / 2)],  n_w = d + m + 1.
    """
    d = X.shape[1]
    ends = np.cumsum(_gmm_sizes(K, d))

    def objective(theta):
        alpha, mu, q, l = (theta[:ends[0]], theta[ends[0]:ends[1]].reshape(K, d),
                           theta[ends[1]:ends[2]].reshape(K, d), theta[ends[2]:ends[3]].reshape(K, -1))
        return gradbench_gmm.gmm_objective(alpha, mu, q, l, X, wishart_m, gamma)
    return objective, int(ends[-1])


def _make_gmm(n, rng):
    d = GMM_D
    per_component = sum(_gmm_sizes(1, d))
    K = max(1, round(n / per_component))
    X = rng.normal(0.0, 1.0, (GMM_POINTS, d))
    objective, size = gmm_objective(X, K)
    theta = np.concatenate([rng.normal(0, 1, K), rng.normal(0, 1, K * d),
                            rng.normal(0, 0.3, K * d), rng.normal(0, 0.3, K * d * (d - 1) // 2)])
    return _instance(objective, theta, size, 1)


# ---------------------------------------------------------------------------
# gp: the negative log marginal likelihood of a Gaussian process (Rasmussen &
# Williams, algorithm 2.1) over its kernel's hyperparameters and its n training
# inputs: a squared-exponential kernel plus noise, a Cholesky factorization,
# two triangular solves and the log-determinant from L's diagonal. NumPy has
# no triangular solve: np.linalg.solve of L and L^T, as users write it.

def gp_nll(y):
    n = len(y)

    def f(x):
        log_lengthscale, log_amplitude, log_noise, inputs = x[0], x[1], x[2], x[3:]
        d = inputs[:, None] - inputs[None, :]
        K = (np.exp(2 * log_amplitude) * np.exp(-0.5 * d ** 2 / np.exp(2 * log_lengthscale))
             + np.exp(2 * log_noise) * np.eye(n))
        L = np.linalg.cholesky(K)
        alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
        return 0.5 * y @ alpha + np.sum(np.log(np.diagonal(L))) + 0.5 * n * np.log(2 * np.pi)
    return f


def _make_gp(n, rng):
    inputs = np.sort(rng.uniform(-3.0, 3.0, n))
    y = np.sin(inputs) + 0.1 * rng.normal(size=n)
    x = np.concatenate([[0.0, 0.0, np.log(0.3)], inputs])      # lengthscale 1, amplitude 1, noise 0.3
    return _instance(gp_nll(y), x, n, 1)


# odeint: a system of p coupled decays with p rates, differentiated in the
# rates. Forward mode integrates one sensitivity system (2p states) per rate:
# p solves. Reverse mode integrates one adjoint system backward (the adjoint
# method, modes/ops/integrate.py) whatever p is, with no tape of the solver's
# steps: its memory is the saved trajectory, not the solver's work.

ODE_TIMES = np.linspace(0.0, 1.0, 3)
ODE_TOL = 1e-11


def ode_rings(y, t, rates):
    """y_i' = -rates_i y_i + 0.5 tanh(y_{i-1}): decays coupled in a ring."""
    return -rates * y + 0.5 * np.tanh(np.roll(y, 1))


def ode_loss(y0):
    """rates -> 1/2 |y(t_end)|^2."""
    from modes.scipy.integrate import odeint

    def f(rates):
        ys = odeint(ode_rings, y0, ODE_TIMES, args=(rates,), rtol=ODE_TOL, atol=ODE_TOL)
        return 0.5 * np.sum(ys[-1] ** 2)
    return f


def _make_ode(p, rng):
    p = max(1, p)
    return _instance(ode_loss(rng.normal(0.0, 1.0, p)), rng.uniform(0.5, 2.0, p), p, 1)


# ---------------------------------------------------------------------------
# The table

_GRADIENT = dict(forward="n passes, each c x f: about n x f", reverse="one pass: a small constant x f",
                 fd="2n evaluations of f (our estimator takes 4n + 1, for its error estimate)")

WORKLOADS: dict[str, Workload] = {w.name: w for w in [
    Workload(
        "rosenbrock", "f(x) = sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2,  R^n -> R",
        "extended Rosenbrock (Dixon & Mills; ADBench-style scalar benchmark)", "n (inputs)",
        _make_rosenbrock, (16, 128, 1024), (16, 64, 256, 1024, 4096),
        dict(f="O(n)", **_GRADIENT), 1.0, dict(forward=1.0, reverse=0.0), True),
    Workload(
        "logsumexp", "f(x) = c + log sum_i exp(x_i - c),  c = max x,  R^n -> R",
        "GradBench lse", "n (inputs)",
        _make_logsumexp, (16, 128, 1024), (16, 64, 256, 1024, 4096),
        dict(f="O(n)", **_GRADIENT), 1.0, dict(forward=1.0, reverse=0.0), True,
        note="GradBench's lse program itself (reports/gradbench/programs/lse.py); x ~ normal(0, 2) where "
             "GradBench draws uniform [0, 1), and n up to 4,096 where GradBench runs 2,500 ... 1,280,000 "
             "(forward mode needs n passes; the GradBench section runs GradBench's sizes)"),
    Workload(
        "tanh-wide", f"f(x) = tanh(W x + b),  W: {LAYER} x n,  R^n -> R^{LAYER}",
        "one dense layer (CS231n); ForwardDiff/JAX jacfwd-vs-jacrev folklore", "n (inputs)",
        _make_tanh_wide, (16, 32, 64, 128, 256), (8, 16, 32, 64, 128, 256, 512, 1024),
        dict(f=f"O({LAYER} n)", forward=f"n passes: O({LAYER} n^2)",
             reverse=f"{LAYER} passes (one per output row): O({LAYER}^2 n)",
             fd="2n evaluations of f: O(n^2)"),
        1.0, dict(forward=1.0, reverse=0.0), True, tags=("crossover",),
        note=f"reverse should win for n > {LAYER} (more inputs than outputs)"),
    Workload(
        "tanh-tall", f"f(x) = tanh(W x + b),  W: m x {LAYER},  R^{LAYER} -> R^m",
        "one dense layer (CS231n); the transpose of tanh-wide", "m (outputs)",
        _make_tanh_tall, (16, 32, 64, 128, 256), (8, 16, 32, 64, 128, 256, 512, 1024),
        dict(f=f"O({LAYER} m)", forward=f"{LAYER} passes (one per input): O({LAYER}^2 m)",
             reverse=f"m passes: O({LAYER} m^2)", fd=f"{2 * LAYER} evaluations of f: O(m)"),
        1.0, dict(forward=0.0, reverse=1.0), True, tags=("crossover",),
        note=f"forward should win for m > {LAYER} (more outputs than inputs)"),
    Workload(
        "mlp", f"CS231n two-layer net: softmax loss of relu(X W1 + b1) W2 + b2 plus L2, "
               f"over all parameters (N={MLP_N}, D={MLP_D}, C={MLP_C}, hidden H grows)",
        "CS231n assignment 1 (two_layer_net)", "n (parameters)",
        _make_mlp, (96, 354, 1386), (96, 354, 1386, 5514),
        dict(f="O(N D H)", **_GRADIENT), 1.0, dict(forward=1.0, reverse=0.0), False,
        note="ReLU (a maximum) is not analytic: no complex step"),
    Workload(
        "llsq", f"f(x) = 1/2 sum_i (s_i - sum_j x_j t_i^j)^2,  {LLSQ_POINTS} points t_i in [-1, 1], "
                "s_i = sign(t_i),  R^n -> R",
        "GradBench llsq (from cmpad llsq_obj)", "n (coefficients)",
        _make_llsq, (16, 128, 1024), (16, 64, 128, 256, 1024, 4096),
        dict(f=f"O({LLSQ_POINTS} n)", **_GRADIENT), 1.0, dict(forward=1.0, reverse=0.0), True,
        note=f"GradBench's llsq program itself (reports/gradbench/programs/llsq.py), but swept the other "
             f"way: here {LLSQ_POINTS} points and n coefficients grow; GradBench fixes m = 128 coefficients "
             "(n = 128 here) and grows the points from 16 to 16,392"),
    Workload(
        "det-minors", "f(A) = det A by expansion in minors along the first row, each minor once "
                      "(l levels of vectorised products),  A: l x l,  R^(l^2) -> R",
        "GradBench det / cmpad det_by_minor", "n = l^2 (matrix entries)",
        _make_det, (4, 9, 16, 25), (4, 9, 16, 25, 36, 49, 64, 81, 100, 121),
        dict(f="l levels, l 2^(l-1) products in all", forward="n = l^2 passes: O(l^3 2^l)",
             reverse="one pass: O(l 2^l)", fd="2 l^2 evaluations of f"),
        None, dict(forward=1.0, reverse=0.0), True,
        note="GradBench's det program itself (reports/gradbench/programs/det.py), l = 2 ... 11 (GradBench: "
             "5 ... 11); the same expansion as the recursive one, but each shared minor computed once "
             "(l 2^(l-1) products, not l!): f's cost is exponential, not a power law, so compare the cost "
             "ratios to f"),
    Workload(
        "recurrence", f"h_(t+1) = tanh(W h_t + u_t), t < T,  f(W) = 1/2 |h_T|^2,  "
                      f"W: {RNN_STATE} x {RNN_STATE} (n = {RNN_STATE ** 2}), T grows",
        "a vanilla RNN (backpropagation through time)", "T (steps)",
        _make_recurrence, (16, 64, 256), (16, 64, 256, 1024, 4096),
        dict(f="O(T d^2)", forward=f"n = {RNN_STATE ** 2} passes: O(n T d^2)",
             reverse="one pass: O(T d^2), but the tape holds all T states",
             fd=f"{2 * RNN_STATE ** 2} evaluations of f"),
        1.0, dict(forward=0.0, reverse=0.0), True, tags=("checkpoint",),
        note="memory: the tape grows like T; with sqrt(T) checkpointed segments like sqrt(T)"),
    Workload(
        "gmm", f"Gaussian mixture log-likelihood with Wishart prior, d={GMM_D}, N={GMM_POINTS} "
               "points, K components (n = K (1 + 2d + d(d-1)/2) parameters)",
        "ADBench GMM, as corrected by GradBench", "n (parameters)",
        _make_gmm, (15, 60, 240), (15, 60, 240, 960, 3840),
        dict(f="O(N K d^2)", **_GRADIENT), 1.0, dict(forward=1.0, reverse=0.0), True,
        note=f"GradBench's gmm program itself (reports/gradbench/programs/gmm.py) with its parameters "
             f"flattened into one vector; d = {GMM_D}, N = {GMM_POINTS} points, m = {GMM_M}, "
             f"gamma = {GMM_GAMMA:g} and K grows, where GradBench runs d = 2 ... 64, K = 5 ... 100, "
             "N = 1,000 (the GradBench section runs those)"),
    Workload(
        "gp", "f = 1/2 y^T K^-1 y + 1/2 log det K + n/2 log 2 pi,  K = s^2 exp(-|x_i - x_j|^2 / 2l^2) + sn^2 I, "
              "over (log l, log s, log sn) and the n inputs x_i,  R^(n+3) -> R",
        "Gaussian-process regression (Rasmussen & Williams, alg. 2.1)", "n (training inputs)",
        _make_gp, (8, 32, 128), (8, 32, 128, 256),
        dict(f="O(n^3): a Cholesky factorization and two solves", forward="n + 3 passes, each c x f: O(n^4)",
             reverse="one pass: a small constant x f, O(n^3)", fd="2(n + 3) evaluations of f: O(n^4)"),
        3.0, dict(forward=1.0, reverse=0.0), False,
        note="Cholesky reads its matrix as Hermitian (it conjugates): not analytic, so no complex step"),
    Workload(
        "odeint", "y' = -theta * y + 0.5 tanh(roll(y)), y in R^p,  f(theta) = 1/2 |y(1)|^2 "
                  "(scipy.integrate.odeint, LSODA, rtol = atol = 1e-11),  R^p -> R",
        "continuous-time forward vs reverse: forward sensitivities vs the adjoint method "
        "(HIPS autograd's odeint; Froehlich et al. 2017)", "p (parameters = dimension)",
        _make_ode, (2, 4, 8), (2, 4, 8, 16, 32),
        dict(f="one LSODA solve of p states: O(p) per step",
             forward="p sensitivity solves of 2p states: O(p^2) per step",
             reverse="one adjoint solve of 3p states, backward: O(p) per step, no tape of the steps",
             fd="2p solves of f"),
        1.0, dict(forward=1.0, reverse=0.0), False,
        note="the solver's adaptive steps are not in the cost model (counted as 0 flops): compare times; "
             "derivatives are accurate to the solver's tolerance, not to machine precision"),
]}
