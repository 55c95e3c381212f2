"""The performance suite's machinery, fast and without wall-clock
assertions: every benchmark's contenders agree (on smaller sizes than
`make bench` uses), a wrong contender is caught, interleaved timing and the
flops ratio compute, and the table and CSV are written."""

import csv
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

# benchmarks/ is the repository's suite, not an installed package: importable
# from the root (`python -m pytest` puts it on the path, bare `pytest` does not)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import __main__ as cli  # noqa: E402
from benchmarks import flops, gradbench, gradbench_tools, output, overhead, rosenbrock, suite, tanh_jacobian, timing, two_layer_net, write_loop  # noqa: E402
from benchmarks.workloads import Case  # noqa: E402

SMALL = {
    "two_layer_net": lambda: two_layer_net.build(N=16, D=48, H=10, C=5),
    "rosenbrock": lambda: rosenbrock.build(n=20),
    "tanh_jacobian": lambda: tanh_jacobian.build(sizes=(16, 80)),
    "write_loop": write_loop.build,
    "gradbench_tools": gradbench_tools.build,       # GradBench's smallest sizes: about a second
}


@pytest.mark.parametrize("name", SMALL)
def test_all_contenders_return_the_same_gradient(name):
    with suite.jax_float64():
        for benchmark in SMALL[name]():
            suite.check(benchmark)
            timed = {label for pair in benchmark.pairs for label in (pair.contender, pair.baseline)}
            assert timed <= set(benchmark.contenders)


def test_the_overhead_row_says_the_bookkeeping_per_op():
    (row,) = overhead.rows(samples=3)       # (checks reverse.grad against the closed form first)
    assert row.target is None and "us" in row.note and row.contender_value > row.baseline_value


def test_every_benchmark_has_a_target_row():
    with suite.jax_float64():
        for build in SMALL.values():
            for benchmark in build():
                assert any(pair.target is not None for pair in benchmark.pairs)


def test_gradbench_targets_are_issue_20s():
    from reports.gradbench.ratios import PUBLISHED
    # <= PyTorch's ratio and <= 2 x the C++ one; ode (its C++ gradient skips the solver): 2 x JAX's
    expected = {"lse": 2.24, "llsq": 4.1, "det": 16.0, "ode": 5.14, "gmm": 3.47, "kmeans": 2.7, "lstm": 2.7,
                "ba": 15.4, "ht": None}
    assert {name: gradbench.target(name, PUBLISHED) for name in expected} == pytest.approx(expected)


def test_a_wrong_contender_is_caught():
    right = lambda: {"w": np.ones(3)}
    wrong = lambda: {"w": np.array([1.0, 1.0, 1.1])}
    benchmark = suite.Benchmark("fake", {"right": right, "wrong": wrong}, "right", [])
    with pytest.raises(suite.MismatchError, match="wrong"):
        suite.check(benchmark)


def test_hand_written_two_layer_backward_matches_its_loss_by_finite_differences():
    X, y, params = two_layer_net.make_data(N=5, D=4, H=3, C=3)
    loss = two_layer_net.make_loss(np, X, y, 0.1)
    value, grads = two_layer_net.hand_written({k: v.copy() for k, v in params.items()}, X, y, 0.1)
    assert value == pytest.approx(loss(params))
    step, bumped = 1e-6, {k: v.copy() for k, v in params.items()}
    bumped["b2"][1] += step
    assert grads["b2"][1] == pytest.approx((loss(bumped) - value) / step, rel=1e-4)


def test_interleaved_comparison_reports_medians():
    result = timing.compare(lambda: sum(range(50)), lambda: sum(range(100)), samples=3, min_time=1e-4)
    assert result.samples == 3
    assert result.seconds_a > 0 and result.seconds_b > 0 and result.ratio > 0


@pytest.mark.skipif(timing.resource is None, reason="page faults are counted with the resource module, which only Unix systems have; make bench shows \"-\" for them here")
def test_page_faults_are_counted_per_call():
    # 64 MiB is above glibc's largest mmap threshold (32 MiB): each call maps
    # fresh pages and writes them, >= 1 fault per 2 MiB huge page (4 KiB pages: 16,384)
    fresh = lambda: np.ones(8 * 2 ** 20)
    no_allocation = lambda: None
    result = timing.compare(fresh, no_allocation, samples=3, min_time=1e-4)
    assert result.faults_a >= 32 and result.faults_b < 1


def test_flops_ratio_on_a_small_case():
    f = lambda x: np.sum(np.tanh(x) ** 2)
    primal, backward, partial = flops.flop_counts(f, np.linspace(-1.0, 1.0, 5))
    assert primal > 0 and backward > 0 and not partial
    assert 1 < flops.ratio(f, np.linspace(-1.0, 1.0, 5)) <= flops.TARGET


def test_a_workload_whose_solver_the_cost_model_cannot_see_is_not_judged_by_flops():
    # odeint's steps run in SciPy on plain arrays: f's count is a lower bound, so no "met" either way
    from benchmarks.workloads import load
    cases = [case for case in load() if case.workload == "odeint"][:1]
    (row,) = flops.rows(cases)
    assert row.met == "?" and "odeint" in row.note


def test_flops_rows_keep_each_workloads_worst_dimension():
    layer = lambda W: (lambda x: np.tanh(W @ x))           # vector output: one VJP
    cases = [Case("layer", n, layer(np.ones((3, n))), np.ones(n)) for n in (2, 4)]
    cases.append(Case("sum", 3, np.sum, np.ones(3)))
    rows = flops.rows(cases)
    assert [row.contender for row in rows] == ["grad(layer)", "grad(sum)"]
    assert rows[0].ratio == max(flops.ratio(c.f, c.x) for c in cases[:2])
    assert rows[0].unit == "flops" and rows[0].met in ("yes", "no")


def test_table_and_csv(tmp_path):
    rows = [suite.Row("b", "ours", "theirs", 0.5, 1.0, 1e-3, 2e-3, "s", 5,
                      contender_faults=0.0, baseline_faults=1768.0),
            suite.Row("b", "ref", "theirs", 3.0, None, 6e-6, 2e-6, "s", 5)]
    assert [row.met for row in rows] == ["yes", "-"]
    text = output.table(rows)
    assert "ours" in text and "<= 1" in text and "1 ms" in text and "0 / 1,768" in text
    path = output.write_csv(rows, tmp_path / "results" / "latest.csv")
    with open(path) as handle:
        written = list(csv.DictReader(handle))
    assert [r["contender"] for r in written] == ["ours", "ref"]
    assert [r["baseline_faults"] for r in written] == ["1768.0", ""]
    assert list(written[0])[:6] == ["benchmark", "contender", "baseline", "ratio", "target", "met"]


def test_cli_runs_the_flops_benchmark(tmp_path, capsys, monkeypatch):
    for name in output.MALLOC_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["--only", "flops", "--csv", str(tmp_path / "out.csv")]) == 0
    printed = capsys.readouterr().out
    assert "numpy" in printed and "grad(" in printed and "malloc    glibc defaults" in printed
    assert (tmp_path / "out.csv").exists()


def test_the_header_names_malloc_settings_a_user_exported(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "33554432")
    assert output.allocator() == "MALLOC_MMAP_THRESHOLD_=33554432"


def test_kernel_profile_times_ops_and_restores_the_registry():
    from benchmarks import profiling
    from modes import reverse
    from modes.registry import REGISTRY
    before = {name: (op.impl, op.vjp_into) for name, op in REGISTRY.items()}
    lines = profiling.kernels(lambda: reverse.grad(lambda x: np.sum(np.tanh(x)))(np.ones(4)), 0.05)
    assert any(line.split()[0] == "tanh" for line in lines[1:])
    assert lines[-1].split()[0] == "(engine)"
    assert {name: (op.impl, op.vjp_into) for name, op in REGISTRY.items()} == before


def test_kernel_profile_counts_the_gemm_a_vjp_adds_in_place():
    from benchmarks import profiling
    from modes import reverse
    W = np.ones((3, 4))
    # w is used twice: the penalty's VJP leaves a cotangent array, which matmul's VJP adds into (gemm)
    lines = profiling.kernels(lambda: reverse.grad(lambda w: np.sum(np.ones((2, 3)) @ w) + np.sum(w * w))(W), 0.05)
    assert any(line.split()[:3] == ["matmul", "vjp_into", "(3,"] for line in lines[1:])


def test_cold_and_warm_overhead_is_measured_for_both_programs():
    from benchmarks import cold
    medians = cold.measure(repeats=3, full=dict(N=8, D=30, H=20, C=4), small=dict(N=4, D=6, H=5, C=3))
    assert set(medians) == {"ours cold", "ours warm", "engine-free cold", "engine-free warm"}
    assert all(seconds > 0 for seconds in medians.values())
    lines = cold.report(medians).splitlines()
    assert [line.split(",")[0].strip() for line in lines[-2:]] == ["engine overhead"] * 2


def test_instruction_counting_programs_run_and_the_report_parses():
    from benchmarks import instructions
    for name in instructions.PROGRAMS:
        instructions.run_calls(name, 1)
    assert instructions.collected("==4711== Events    : Ir\n==4711== Collected : 1724486\n") == 1724486
    with pytest.raises(RuntimeError, match="no instruction count"):
        instructions.collected("valgrind: command not found")


# two runs under valgrind, ~3 min: make test-full (make test runs the programs above, uncounted)
@pytest.mark.full
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="counting instructions needs valgrind (Debian package valgrind), which this machine lacks")
def test_instruction_counts_repeat_exactly_enough_to_compare_one_change():
    # the point of the tool: with the pinned environment two runs of the same
    # program agree far closer than wall-clock ratios (which move by ~3%)
    from benchmarks import instructions
    first, second = instructions.total("rosenbrock", 2), instructions.total("rosenbrock", 2)
    assert first > 1e8 and abs(first - second) <= 1e-4 * first
