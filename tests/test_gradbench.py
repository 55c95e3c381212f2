"""fwdrev as a GradBench tool (reports/gradbench): the protocol driven by a fake
eval with recorded messages, and every eval's outputs against JAX.

References: each eval's program written again in jax.numpy here (following the
eval's README), differentiated by JAX in float64. Agreement: every element
within 1e-10 of the reference's largest magnitude (|ours - jax| <= 1e-10 *
max|jax|), in both modes: far tighter than GradBench's own 1e-4 validation.
Inputs are generated as each eval's run.py does, at small sizes.
"""

import io
import json
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from reports.gradbench import programs
from reports.gradbench.protocol import Tool, serve

ROOT = Path(__file__).resolve().parents[1]
MODES = ("forward", "reverse")
RTOL = 1e-10


def converse(messages, mode="reverse"):
    """Feed `messages` (dicts or raw lines) to the tool; returns (responses, stderr)."""
    lines = [m if isinstance(m, str) else json.dumps(m) for m in messages]
    stdout, stderr = io.StringIO(), io.StringIO()
    assert serve(mode, io.StringIO("\n".join(lines) + "\n"), stdout, stderr) == 0
    return [json.loads(line) for line in stdout.getvalue().splitlines()], stderr.getvalue()


def evaluate(module, function, input, mode):
    response = Tool(mode).evaluate(module, function, input)
    assert response["success"], response.get("error")
    return response["output"]


def assert_matches(ours, reference):
    ours, reference = np.asarray(ours, dtype=float), np.asarray(reference, dtype=float)
    assert ours.shape == reference.shape
    scale = max(np.max(np.abs(reference)), np.finfo(float).tiny)
    worst = np.max(np.abs(ours - reference)) / scale
    assert worst <= RTOL, f"worst error {worst:.3g} x max|reference| (bound {RTOL:g})"


@pytest.fixture(autouse=True)
def float64_jax():
    with jax.enable_x64(True):
        yield


# ---------------------------------------------------------------- the protocol

def test_a_recorded_session_defines_evaluates_with_runs_and_analyses():
    session = [
        {"id": 0, "kind": "start", "eval": "lse", "config": {}},
        {"id": 1, "kind": "define", "module": "lse"},
        {"id": 2, "kind": "evaluate", "module": "lse", "function": "primal",
         "input": {"x": [1.0, 2.0, 3.0], "min_runs": 5, "min_seconds": 0}, "description": "n=3"},
        {"id": 3, "kind": "analysis", "of": 2, "valid": True},
        {"id": 4, "kind": "evaluate", "module": "lse", "function": "gradient",
         "input": {"x": [1.0, 2.0, 3.0], "min_runs": 1, "min_seconds": 0.05}},
        {"id": 5, "kind": "analysis", "of": 4, "valid": False, "error": "too far"},
    ]
    responses, stderr = converse(session)
    assert [r["id"] for r in responses] == [0, 1, 2, 3, 4, 5]
    assert responses[0]["tool"] == "fwdrev" and responses[0]["config"] == {"mode": "reverse"}
    assert responses[1] == {"id": 1, "success": True}
    primal = responses[2]
    assert primal["success"] and "error" not in primal
    assert primal["output"] == pytest.approx(3 + np.log(np.exp(-2) + np.exp(-1) + 1), rel=1e-15)
    assert len(primal["timings"]) == 5                      # min_runs = 5, min_seconds = 0
    assert all(t["name"] == "evaluate" and isinstance(t["nanoseconds"], int) and t["nanoseconds"] > 0
               for t in primal["timings"])
    assert responses[3] == {"id": 3} and responses[5] == {"id": 5}
    gradient = responses[4]
    assert len(gradient["timings"]) >= 1
    softmax = np.exp([1.0, 2.0, 3.0]) / np.sum(np.exp([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(gradient["output"], softmax, rtol=1e-14)
    assert stderr == ""


def test_runs_last_at_least_min_seconds():
    function = programs.Function(prepare=lambda input: (), compute=lambda: None, finish=lambda r: r)
    from reports.gradbench.protocol import run
    import time
    start = time.perf_counter_ns()
    _, timings = run(function, {"min_runs": 2, "min_seconds": 0.02})
    assert time.perf_counter_ns() - start >= 0.02e9
    assert len(timings) >= 2


def test_hello_answers_square_and_double_in_both_modes():
    for mode in MODES:
        session = [{"id": 0, "kind": "start"}, {"id": 1, "kind": "define", "module": "hello"}]
        x, expected = 1.0, []
        for i in range(4):                                # as hello's eval: x -> x^2 -> 2 x^2
            session.append({"id": 2 + 2 * i, "kind": "evaluate", "module": "hello",
                            "function": "square", "input": x})
            session.append({"id": 3 + 2 * i, "kind": "evaluate", "module": "hello",
                            "function": "double", "input": x * x})
            expected += [x * x, 2 * x * x]
            x = 2 * x * x
        responses, _ = converse(session, mode)
        assert [r["output"] for r in responses[2:]] == expected


def test_an_unknown_module_is_undefined_not_an_error():
    responses, stderr = converse([{"id": 0, "kind": "define", "module": "nonesuch"},
                                  {"id": 1, "kind": "evaluate", "module": "nonesuch",
                                   "function": "f", "input": {}}])
    assert [r["success"] for r in responses] == [False, False]
    assert "nonesuch" in responses[0]["error"] and "lse" in responses[0]["error"]
    assert stderr == ""


def test_an_unknown_function_and_a_failing_input_answer_success_false_with_the_error():
    responses, _ = converse([{"id": 0, "kind": "define", "module": "lse"},
                             {"id": 1, "kind": "evaluate", "module": "lse", "function": "hessian",
                              "input": {"x": [1.0]}},
                             {"id": 2, "kind": "evaluate", "module": "lse", "function": "primal",
                              "input": {"y": [1.0]}}])
    assert not responses[1]["success"] and "'hessian'" in responses[1]["error"]
    assert "primal, gradient" in responses[1]["error"]
    assert not responses[2]["success"] and "KeyError: 'x'" in responses[2]["error"]
    assert "output" not in responses[2]


def test_a_malformed_message_gets_a_failure_and_a_clear_stderr_line_and_the_session_goes_on():
    responses, stderr = converse(['{"id": 0, "kind": "define", "module": "lse"',      # cut short
                                  '{"kind": "define", "module": "lse"}',               # no id
                                  '{"id": 2, "kind": "shutdown"}',                     # no such kind
                                  '{"id": 3, "kind": "define", "module": "lse"}'])
    assert [r["id"] for r in responses] == [None, None, 2, 3]
    assert [r["success"] for r in responses] == [False, False, False, True]
    lines = stderr.splitlines()
    assert len(lines) == 3
    assert "line 1" in lines[0] and "not JSON" in lines[0]
    assert "line 2" in lines[1] and "no 'id' field" in lines[1]
    assert "line 3" in lines[2] and "'shutdown'" in lines[2]


def test_the_command_line_tool_writes_only_protocol_lines_to_stdout():
    session = "\n".join(json.dumps(m) for m in [
        {"id": 0, "kind": "start", "eval": "hello"},
        {"id": 1, "kind": "define", "module": "hello"},
        {"id": 2, "kind": "evaluate", "module": "hello", "function": "double", "input": 3.0},
        {"id": 3, "kind": "define", "module": "nonesuch"}]) + "\nnot json\n"
    for mode in MODES:
        done = subprocess.run([sys.executable, "-m", "reports.cli", "gradbench", "--mode", mode],
                              input=session, capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert done.returncode == 0, done.stderr
        responses = [json.loads(line) for line in done.stdout.splitlines()]
        assert [r["id"] for r in responses] == [0, 1, 2, 3, None]
        assert responses[2]["output"] == 6.0
        assert "not a valid GradBench message" in done.stderr


# ---------------------------------------------------------------- the programs against JAX

def jax_lse(x):
    a = jnp.max(x)
    return a + jnp.log(jnp.sum(jnp.exp(x - a)))


@pytest.mark.parametrize("mode", MODES)
def test_lse(mode):
    np.random.seed(31337)
    x = np.random.rand(40)
    assert_matches(evaluate("lse", "primal", {"x": x.tolist()}, mode), jax_lse(x))
    assert_matches(evaluate("lse", "gradient", {"x": x.tolist()}, mode), jax.grad(jax_lse)(x))


def jax_llsq(x, n):
    t = -1.0 + jnp.arange(n) * 2.0 / (n - 1)
    predicted = sum(x[j] * t ** j for j in range(len(x)))
    return 0.5 * jnp.sum((jnp.sign(t) - predicted) ** 2)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n", [16, 33])
def test_llsq(mode, n):
    np.random.seed(31337)
    x = np.random.rand(12)
    input = {"x": x.tolist(), "n": n}
    assert_matches(evaluate("llsq", "primal", input, mode), jax_llsq(x, n))
    assert_matches(evaluate("llsq", "gradient", input, mode), jax.grad(jax_llsq)(x, n))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ell", [1, 2, 5])
def test_det_by_minors_against_jax_determinant(mode, ell):
    np.random.seed(31337)
    A = np.random.rand(ell * ell)
    input = {"A": A.tolist(), "ell": ell}
    reference = lambda a: jnp.linalg.det(a.reshape(ell, ell))
    assert_matches(evaluate("det", "primal", input, mode), reference(A))
    assert_matches(evaluate("det", "gradient", input, mode), jax.grad(reference)(A))


def gmm_input(rng, d, k, n):
    """As GradBench's gmm eval generates its inputs (seeded default_rng)."""
    return {"d": d, "k": k, "n": n, "x": rng.normal(size=(n, d)).tolist(), "m": 2, "gamma": 1.5,
            "mu": rng.uniform(size=(k, d)).tolist(), "q": rng.normal(size=(k, d)).tolist(),
            "l": rng.normal(size=(k, d * (d - 1) // 2)).tolist(), "alpha": rng.normal(size=k).tolist()}


def jax_gmm(alpha, mu, q, l, x, m, gamma):
    """GradBench's definition in jax.numpy, with JAX's own logsumexp and multigammaln."""
    from jax.scipy.special import logsumexp, multigammaln
    n, d = x.shape
    k = alpha.shape[0]
    rows, cols = zip(*[(row, col) for col in range(d) for row in range(col + 1, d)]) if d > 1 else ((), ())
    Ls = jnp.zeros((k, d, d)).at[:, list(rows), list(cols)].set(l)
    Q = Ls + jax.vmap(jnp.diag)(jnp.exp(q))                               # lower triangular
    centred = x[:, None, :] - mu[None]
    mahalanobis = jnp.sum(jnp.einsum("kij,nkj->nki", Q, centred) ** 2, axis=2)
    inner = alpha + jnp.sum(q, axis=1) - 0.5 * mahalanobis
    p = d + m + 1
    prior = (-jnp.sum(0.5 * gamma ** 2 * (jnp.sum(jnp.exp(2 * q), axis=1) + jnp.sum(l ** 2, axis=1))
                      - m * jnp.sum(q, axis=1))
             + k * (p * d * jnp.log(gamma / jnp.sqrt(2.0)) - multigammaln(0.5 * p, d)))
    return (jnp.sum(logsumexp(inner, axis=1)) - n * logsumexp(alpha)
            - 0.5 * n * d * jnp.log(2 * jnp.pi) + prior)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("d, k", [(2, 5), (4, 3)])
def test_gmm(mode, d, k):
    input = gmm_input(np.random.default_rng(31337), d, k, n=12)
    args = [np.array(input[key], dtype=float).reshape(shape) for key, shape in
            (("alpha", (k,)), ("mu", (k, d)), ("q", (k, d)), ("l", (k, d * (d - 1) // 2)), ("x", (12, d)))]
    assert_matches(evaluate("gmm", "objective", input, mode), jax_gmm(*args, 2, 1.5))
    gradients = evaluate("gmm", "jacobian", input, mode)
    assert list(gradients) == ["alpha", "mu", "q", "l"]
    for key, reference in zip(gradients, jax.grad(jax_gmm, argnums=(0, 1, 2, 3))(*args, 2, 1.5)):
        assert_matches(np.reshape(gradients[key], reference.shape), reference)


def jax_kmeans_cost(points, centroids):
    return jnp.sum(jnp.min(jnp.sum((points[None, :, :] - centroids[:, None, :]) ** 2, axis=2), axis=0))


@pytest.mark.parametrize("mode", MODES)
def test_kmeans_dir_is_the_gradient_over_the_hessian_diagonal(mode):
    points = np.random.default_rng(31337).random((30, 3))
    centroids = points[-4:] + 0.01          # as the eval: each cluster keeps its point
    input = {"points": points.tolist(), "centroids": centroids.tolist()}
    assert_matches(evaluate("kmeans", "cost", input, mode), jax_kmeans_cost(points, centroids))
    f = lambda c: jax_kmeans_cost(points, c)
    hessian = jax.hessian(f)(centroids).reshape(centroids.size, centroids.size)
    assert np.count_nonzero(hessian - np.diag(np.diag(hessian))) == 0     # the README's premise
    expected = jax.grad(f)(centroids) / np.diag(hessian).reshape(centroids.shape)
    assert_matches(evaluate("kmeans", "dir", input, mode), expected)


def jax_ode(x, s):
    h = 2.0 / s
    f = lambda y: jnp.concatenate([x[:1], x[1:] * y[:-1]])
    y = jnp.zeros_like(x)
    for _ in range(s):
        k1 = f(y)
        k2 = f(y + h / 2 * k1)
        k3 = f(y + h / 2 * k2)
        k4 = f(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n, s", [(1, 1), (8, 3), (20, 10)])
def test_ode(mode, n, s):
    np.random.seed(31337)
    x = np.random.rand(n)
    input = {"x": x.tolist(), "s": s}
    assert_matches(evaluate("ode", "primal", input, mode), jax_ode(x, s))
    assert_matches(evaluate("ode", "gradient", input, mode), jax.grad(lambda v: jax_ode(v, s)[-1])(x))


def test_ode_with_one_step_is_one_rk4_step_of_the_closed_form():
    # y0' = x0 and y1' = x1 y0 give y0 = x0 t, y1 = x1 x0 t^2 / 2: RK4 is exact on this polynomial
    x = np.array([0.3, 0.7])
    np.testing.assert_allclose(evaluate("ode", "primal", {"x": x.tolist(), "s": 1}, "reverse"),
                               [0.3 * 2, 0.7 * 0.3 * 4 / 2], rtol=1e-15)


def jax_lstm(main, extra, state, sequence):
    b = state.shape[1]
    sig = jax.nn.sigmoid
    hidden, cell = list(state[0::2]), list(state[1::2])
    total = 0.0
    for t in range(sequence.shape[0] - 1):
        x = sequence[t] * extra[0]
        for layer in range(len(hidden)):
            w, bias = main[2 * layer], main[2 * layer + 1]
            h = hidden[layer]
            forget = sig(x * w[:b] + bias[:b])
            ingate = sig(h * w[b:2 * b] + bias[b:2 * b])
            outgate = sig(x * w[2 * b:3 * b] + bias[2 * b:3 * b])
            change = jnp.tanh(h * w[3 * b:] + bias[3 * b:])
            cell[layer] = cell[layer] * forget + ingate * change
            hidden[layer] = outgate * jnp.tanh(cell[layer])
            x = hidden[layer]
        ypred = x * extra[1] + extra[2]
        total += jnp.sum(sequence[t + 1] * (ypred - jnp.log(jnp.sum(jnp.exp(ypred)) + 2)))
    return -total / ((sequence.shape[0] - 1) * b)


@pytest.mark.parametrize("mode", MODES)
def test_lstm(mode):
    rng = np.random.default_rng(31337)
    layers, b, c = 2, 5, 7
    main, extra = rng.normal(size=(2 * layers, 4 * b)), rng.normal(size=(3, b))
    state, sequence = rng.normal(size=(2 * layers, b)), rng.integers(0, 2, size=(c, b)).astype(float)
    input = {"main_params": main.tolist(), "extra_params": extra.tolist(), "state": state.tolist(),
             "sequence": sequence.tolist()}
    assert_matches(evaluate("lstm", "objective", input, mode), jax_lstm(main, extra, state, sequence))
    g_main, g_extra = jax.grad(jax_lstm, argnums=(0, 1))(main, extra, state, sequence)
    assert_matches(evaluate("lstm", "jacobian", input, mode),
                   np.concatenate([np.ravel(g_main), np.ravel(g_extra)]))


# particle and saddle: the values their evals validate against, in all four pairings.
# Each pairing takes 8-40 s here (nested descent in Python), so they run with the full profile.
full_only = pytest.mark.full


@full_only
@pytest.mark.parametrize("pairing", ["rr", "ff", "fr", "rf"])
def test_particle_lands_where_the_eval_says(pairing):
    # particle's eval expects 0.2071918746486116 from w = 0
    assert evaluate("particle", pairing, {"w": 0.0}, "reverse") == pytest.approx(0.2071918746486116,
                                                                                rel=1e-12)


@full_only
@pytest.mark.parametrize("pairing", ["rr", "ff", "fr", "rf"])
def test_saddle_finds_the_point_the_eval_says(pairing):
    # saddle's eval expects 8.246324826140356e-06 four times from start (1, 1)
    assert evaluate("saddle", pairing, {"start": [1.0, 1.0]}, "forward") == pytest.approx(
        [8.246324826140356e-06] * 4, rel=1e-12)


# ---------------------------------------------------------------- ba

def jax_ba_residuals(params, n, m, feats, camera_of, point_of):
    """ADBench's bundle adjustment in jax.numpy, one observation at a time
    (vmapped): all 3p residuals as one vector of all 11 n + 3 m + p parameters."""
    cams, X, w = params[:11 * n].reshape(n, 11), params[11 * n:11 * n + 3 * m].reshape(m, 3), params[11 * n + 3 * m:]

    def residual(cam, x, weight, feat):
        rotation, Xo = cam[:3], x - cam[3:6]
        sq = jnp.sum(rotation ** 2)
        theta = jnp.sqrt(jnp.where(sq == 0, 1.0, sq))
        u = rotation / theta
        rodrigues = Xo * jnp.cos(theta) + jnp.cross(u, Xo) * jnp.sin(theta) + u * jnp.dot(u, Xo) * (1 - jnp.cos(theta))
        Xcam = jnp.where(sq == 0, Xo + jnp.cross(rotation, Xo), rodrigues)
        q = Xcam[:2] / Xcam[2]
        r2 = jnp.dot(q, q)
        projected = q * (1 + cam[9] * r2 + cam[10] * r2 ** 2) * cam[6] + cam[7:9]
        return weight * (projected - feat)

    reprojection = jax.vmap(residual)(cams[camera_of], X[point_of], w, feats)
    return jnp.concatenate([reprojection.ravel(), 1 - w ** 2])


def ba_arrays(rng, n, m, p, zero_rotation=False):
    """Distinct cameras, points, weights and features (GradBench repeats one of
    each; distinct ones also catch a derivative landing in the wrong block)."""
    cams = np.column_stack([rng.normal(scale=0.3, size=(n, 3)) * (not zero_rotation), rng.normal(size=(n, 2)),
                            rng.uniform(-8, -6, size=(n, 1)), rng.uniform(300, 400, size=(n, 1)),
                            rng.normal(size=(n, 2)), rng.normal(scale=1e-2, size=(n, 2))])
    return cams, rng.normal(size=(m, 3)), rng.uniform(0.5, 1.5, size=p), rng.normal(size=(p, 2))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("zero_rotation", [False, True])
def test_ba_sparse_jacobian_is_jaxs_dense_one(mode, zero_rotation):
    import scipy.sparse
    from reports.gradbench.derivatives import derivatives
    from reports.gradbench.programs import ba
    n, m, p = 3, 5, 8
    cams, X, w, feats = ba_arrays(np.random.default_rng(31337), n, m, p, zero_rotation)
    camera_of, point_of = ba.observations(n, m, p)
    params = np.concatenate([cams.ravel(), X.ravel(), w])
    reference = np.asarray(jax_ba_residuals(params, n, m, feats, camera_of, point_of))
    reprojection, weights = ba.objective(cams, X, w, feats, camera_of, point_of)
    assert_matches(np.concatenate([np.ravel(reprojection), weights]), reference)

    rows, cols, vals = ba.sparse_jacobian(derivatives(mode), cams, X, w, feats, camera_of, point_of)
    assert len(rows) == 3 * p + 1 and len(cols) == len(vals) == 15 * 2 * p + p
    ours = scipy.sparse.csr_matrix((vals, cols, rows), shape=(3 * p, 11 * n + 3 * m + p)).toarray()
    expected = jax.jacfwd(jax_ba_residuals)(params, n, m, feats, camera_of, point_of)
    assert_matches(ours, expected)


@pytest.mark.parametrize("mode", MODES)
def test_ba_answers_in_gradbench_reference_tools_format(mode):
    # the eval repeats one camera, point, weight and feature; GradBench's reference tool
    # answers the first observation's values and the count (objective), and the first 30
    # entries plus the last of rows, cols and vals (jacobian)
    cams, X, w, feats = ba_arrays(np.random.default_rng(7), 1, 1, 1)
    n, m, p = 4, 6, 10
    input = {"n": n, "m": m, "p": p, "cam": cams[0].tolist(), "x": X[0].tolist(), "w": float(w[0]),
             "feat": feats[0].tolist()}
    from reports.gradbench.programs import ba
    camera_of, point_of = ba.observations(n, m, p)
    params = np.concatenate([np.tile(cams[0], n), np.tile(X[0], m), np.full(p, w[0])])
    residuals = np.asarray(jax_ba_residuals(params, n, m, np.tile(feats[0], (p, 1)), camera_of, point_of))
    objective = evaluate("ba", "objective", input, mode)
    assert objective["reproj_error"]["repeated"] == p and objective["w_err"]["repeated"] == p
    assert_matches(objective["reproj_error"]["elements"] + [objective["w_err"]["element"]],
                   np.append(residuals[:2], residuals[-1]))
    jacobian = evaluate("ba", "jacobian", input, mode)
    all_rows = np.concatenate([15 * np.arange(2 * p + 1), 30 * p + np.arange(1, p + 1)])   # 15 per residual, then 1
    assert jacobian["rows"] == all_rows[:30].tolist() + [all_rows[-1]]
    dense = np.asarray(jax.jacfwd(jax_ba_residuals)(params, n, m, np.tile(feats[0], (p, 1)), camera_of, point_of))
    first_columns = list(range(11)) + [11 * n, 11 * n + 1, 11 * n + 2, 11 * n + 3 * m]    # camera 0, point 0, weight 0
    assert jacobian["cols"] == first_columns * 2 + [11 * n + 3 * m + p - 1]
    assert_matches(jacobian["vals"], np.concatenate([dense[0, first_columns], dense[1, first_columns], dense[-1, -1:]]))


# ---------------------------------------------------------------- ht

def jax_hand_residuals(theta, us, input):
    """ADBench's hand objective in jax.numpy, following its C++ bone by bone."""
    data, model = input["data"], input["data"]["model"]
    bones = len(model["parents"])
    pose = [jnp.zeros(3)] * (bones + 3)
    pose[0], pose[1], pose[2] = theta[0:3], jnp.ones(3), theta[3:6]
    i_theta, row = 6, 5
    for _ in range(5):
        pose[row] = jnp.array([theta[i_theta], theta[i_theta + 1], 0.0])
        pose[row + 1] = jnp.array([theta[i_theta + 2], 0.0, 0.0])
        pose[row + 2] = jnp.array([theta[i_theta + 3], 0.0, 0.0])
        i_theta, row = i_theta + 4, row + 4
    absolutes = []
    for b in range(bones):
        tx, tz, ty = pose[3 + b]
        Rx = jnp.array([[1, 0, 0], [0, jnp.cos(tx), -jnp.sin(tx)], [0, jnp.sin(tx), jnp.cos(tx)]])
        Ry = jnp.array([[jnp.cos(ty), 0, jnp.sin(ty)], [0, 1, 0], [-jnp.sin(ty), 0, jnp.cos(ty)]])
        Rz = jnp.array([[jnp.cos(tz), -jnp.sin(tz), 0], [jnp.sin(tz), jnp.cos(tz), 0], [0, 0, 1]])
        tr = jnp.eye(4).at[:3, :3].set(Rz @ Ry @ Rx)
        relative = jnp.array(model["base_relatives"][b]) @ tr
        parent = model["parents"][b]
        absolutes.append(relative if parent == -1 else absolutes[parent] @ relative)
    base = jnp.array(model["base_positions"]).T                                   # (4, vertices)
    weights = jnp.array(model["weights"])
    positions = sum((absolutes[b] @ jnp.array(model["inverse_base_absolutes"][b]) @ base)[:3] * weights[:, b]
                    for b in range(bones))                                      # (3, vertices)
    if model["is_mirrored"]:
        positions = positions.at[0].multiply(-1)
    norm = jnp.linalg.norm(pose[0])
    x, y, z = pose[0] / norm
    s, c = jnp.sin(norm), jnp.cos(norm)
    R = jnp.array([[x * x + (1 - x * x) * c, x * y * (1 - c) - z * s, x * z * (1 - c) + y * s],
                   [x * y * (1 - c) + z * s, y * y + (1 - y * y) * c, y * z * (1 - c) - x * s],
                   [x * z * (1 - c) - y * s, z * y * (1 - c) + x * s, z * z + (1 - z * z) * c]])
    positions = (R * pose[1]) @ positions + pose[2][:, None]
    points, correspondences = jnp.array(data["points"]), np.array(data["correspondences"])
    if us is None:
        return jnp.ravel(points - positions[:, correspondences].T)
    a, b, c = (positions[:, np.array(model["triangles"])[correspondences, j]].T for j in range(3))
    return jnp.ravel(points - (us[:, :1] * a + us[:, 1:] * b + (1 - us[:, :1] - us[:, 1:]) * c))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("complicated, mirrored", [(False, False), (True, False), (False, True)])
def test_ht(mode, complicated, mirrored):
    from reports.gradbench.ratios import hand_input
    input = hand_input(np.random.default_rng(31337), vertices=60, npts=12, complicated=complicated,
                       mirrored=mirrored)
    theta = np.array(input["theta"])
    us = np.array(input["us"]) if complicated else None
    assert_matches(evaluate("ht", "objective", input, mode), jax_hand_residuals(theta, us, input))
    J_theta = jax.jacfwd(jax_hand_residuals)(theta, us, input)                           # (3 npts, 26)
    if complicated:
        J_us = jax.jacfwd(jax_hand_residuals, argnums=1)(theta, us, input)               # (3 npts, npts, 2)
        own = np.repeat(np.arange(len(us)), 3)                                            # row 3i + j: point i
        expected = np.concatenate([np.asarray(J_us)[np.arange(3 * len(us)), own], J_theta], axis=1)
    else:
        expected = J_theta
    jacobian = evaluate("ht", "jacobian", input, mode)
    assert np.shape(jacobian) == (36, 28 if complicated else 26)
    assert_matches(jacobian, expected)


# ---------------------------------------------------------------- the ratios beside GradBench's

def test_ratios_are_measured_per_mode_and_eval_and_rendered_beside_the_published_ones():
    from reports import render
    from reports.gradbench import ratios
    cases = lambda: {"lse": ratios._cases("lse", [64, 32]), "det": ratios._cases("det", [3])}
    rows = ratios.measure(cases, samples=1)
    assert [(r["mode"], r["eval"], r["workload"]) for r in rows] == [
        (mode, name, w) for mode in MODES for name, w in (("lse", "n=32"), ("lse", "n=64"), ("det", "ell=3"))]
    assert all(r["ratio"] == r["derivative"] / r["primal"] > 0 and r["why"] == "" for r in rows)
    table = ratios.summary(rows)
    assert table["lse"]["workloads"] == ["n=32", "n=64"]
    assert table["lse"]["forward"] == pytest.approx(np.median([r["ratio"] for r in rows[:2]]), rel=1e-15)
    headers, body = render.gradbench_table(rows)
    lse_row = dict(zip(headers, body[0]))
    assert lse_row["eval"] == "lse" and lse_row["manual (C++)"] == "1.12" and lse_row["PyTorch"] == "4.56"
    assert dict(zip(headers, body[1]))["JAX (jit)"] == "-"                 # det: JAX publishes none
    assert "2026-03-14" in render.gradbench_note(rows)


def test_a_derivative_over_the_budget_ends_its_eval_and_the_rest_is_predicted():
    from reports.gradbench import ratios
    rows = ratios.measure(lambda: {"lse": ratios._cases("lse", [100, 200, 400])}, modes=("forward",),
                          samples=1, give_up=0.0)
    assert [r["workload"] for r in rows] == ["n=100", "n=200", "n=400"]
    assert rows[0]["why"] == "" and rows[0]["derivative"] > 0
    assert all(r["why"].startswith("the previous size took") and np.isnan(r["ratio"]) for r in rows[1:])
    # one size measured: time taken as linear in the work, n directions of O(n) each: 4x and 16x
    assert rows[1]["predicted"] == pytest.approx(4 * rows[0]["derivative"])
    assert rows[2]["predicted"] == pytest.approx(16 * rows[0]["derivative"])


def test_each_generated_input_is_the_size_it_is_measured_as():
    from reports.gradbench import ratios
    cases = list(ratios._cases("gmm", [(3, 7), (2, 2)])) + list(ratios._cases("ode", [(50, 3), (10, 2)]))
    assert [(size, description) for size, description, _ in cases] == [
        ((2, 2), "d=2,k=2,n=1000"), ((3, 7), "d=3,k=7,n=1000"), ((10, 2), "n=10,s=2"), ((50, 3), "n=50,s=3")]
    assert [np.shape(input["mu"]) for _, _, input in cases[:2]] == [(2, 2), (7, 3)]
    assert [len(input["x"]) for _, _, input in cases[2:]] == [10, 50]
