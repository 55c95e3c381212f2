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
