"""The report: its table's schema, the files it writes, the budget logic, the
analysis, the CLI, and the operation-count slopes that carry the theory.
No assertion here is about wall-clock time."""

import re

import numpy as np
import pandas as pd
import pytest

import modes
from reports import bench, cli
from reports.methods import METHODS
from reports.report import crossing, fit_slope
from reports.workloads import WORKLOADS

REQUIRED = ["workload", "method", "n_inputs", "n_outputs", "seconds", "ratio_to_f", "flops",
            "peak_bytes", "max_rel_error"]


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    assert cli.main(["report", "--workload", "rosenbrock", "--max-dim", "32", "--out", str(out),
                     "--no-progress"]) == 0
    return out


def test_results_csv_schema(tiny_report):
    table = pd.read_csv(tiny_report / "results.csv")
    assert set(REQUIRED) <= set(table.columns)
    assert list(table.columns) == bench.COLUMNS
    assert not table.duplicated(["workload", "method", "dim"]).any()     # tidy: one row per cell
    assert set(table.workload) == {"rosenbrock"}
    assert table.dim.max() <= 32
    instance = WORKLOADS["rosenbrock"].make(16, np.random.default_rng(0))
    expected = {m for m in METHODS.values() if not m.jit and m.applies(WORKLOADS["rosenbrock"], instance)}
    assert set(table.method) == {m.name for m in expected}
    assert set(table.status) <= {"ok", "over-budget", "skipped", "error"}
    measured = table[table.status == "ok"]
    assert (measured.seconds > 0).all()
    primal = measured[measured.method == "primal"]
    assert np.allclose(primal.ratio_to_f, 1.0)
    ours = measured[measured.engine == "fwdrev"]
    assert (ours.flops > 0).all() and (ours.max_rel_error < 1e-8).all()
    assert (measured[measured.method == "fd-central"].max_rel_error < 1e-5).all()
    assert (measured[measured.method == "reverse"].tape_bytes > 0).all()
    forward = measured[measured.method == "forward"]
    assert (forward.f_calls == forward.n_inputs).all()          # one pass per input direction


def test_report_files_are_written_and_self_contained(tiny_report):
    for name in ("index.html", "summary.md", "results.csv", "rosenbrock.png", "overview.png",
                 "finite-differences.png"):
        assert (tiny_report / name).stat().st_size > 0, name
    page = (tiny_report / "index.html").read_text()
    sources = re.findall(r"src='([^']*)'", page) + re.findall(r'src="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<link" not in page and "<script" not in page
    summary = (tiny_report / "summary.md").read_text()
    assert "## Findings" in summary and "Reverse mode's gradient cost" in summary
    assert "![" in summary and "overview.png" in summary


def test_jax_global_precision_is_left_alone(tiny_report):
    import jax
    assert not jax.config.read("jax_enable_x64")


def test_operation_count_slopes_on_rosenbrock():
    """Forward mode (one direction per pass) costs about n x f, f costs about
    n: slope 2. Reverse mode costs a constant x f: slope 1. Counted by the
    registry's cost model, so exact and machine-independent."""
    dims = [8, 16, 32, 64, 128, 256]
    counts = {"forward": [], "reverse": [], "primal": []}
    for n in dims:
        instance = WORKLOADS["rosenbrock"].make(n, np.random.default_rng(n))
        counts["primal"].append(bench.primal_flops(instance))
        for name in ("forward", "reverse"):
            thunk = METHODS[name].prepare(instance)
            with modes.count_flops() as counter:
                thunk()
            counts[name].append(counter.total)
    assert abs(fit_slope(dims, counts["forward"]) - 2) < 0.25
    assert abs(fit_slope(dims, counts["reverse"]) - 1) < 0.25
    assert abs(fit_slope(dims, counts["primal"]) - 1) < 0.25
    assert max(r / p for r, p in zip(counts["reverse"], counts["primal"])) < 4   # DESIGN: <= 4 x f


def test_budget_stops_a_method_at_larger_sizes():
    workload = WORKLOADS["rosenbrock"]
    methods = [METHODS["primal"], METHODS["forward"]]
    settings = bench.Settings(budget=0.0, target=1e-4, repeats=1, memory=False)
    sweep, statuses = bench.Sweep(), []
    for n in (4, 8):
        instance = workload.make(n, np.random.default_rng(0))
        rows = bench.run_instance(workload, instance, methods, settings, sweep)
        statuses.append({r["method"]: r["status"] for r in rows})
    assert statuses[0] == {"primal": "over-budget", "forward": "over-budget"}
    assert statuses[1] == {"primal": "skipped", "forward": "skipped"}


def test_a_method_predicted_far_over_budget_is_not_run():
    sweep = bench.Sweep()
    sweep.record("forward", 10, dict(status="ok", seconds=0.01))
    sweep.record("forward", 20, dict(status="ok", seconds=0.04))        # slope 2
    assert sweep.predict("forward", 40) == pytest.approx(0.16)
    assert sweep.predict("reverse", 40) == 0.0                          # nothing known yet
    workload = WORKLOADS["rosenbrock"]
    settings = bench.Settings(budget=0.01, target=1e-4, repeats=1, memory=False)
    rows = bench.run_instance(workload, workload.make(40, np.random.default_rng(0)), [METHODS["forward"]],
                              settings, sweep)
    assert rows[0]["status"] == "skipped" and "predicted" in rows[0]["note"]
    assert np.isnan(rows[0]["seconds"])


def test_a_refusing_method_is_recorded_not_raised():
    """The complex step refuses non-analytic code; the row says so."""
    workload = WORKLOADS["rosenbrock"]
    instance = workload.make(4, np.random.default_rng(0))
    nonanalytic = type(instance)(lambda x: np.sum(np.abs(x) * x), instance.x, 4, 4, 1)
    row, value = bench.measure(METHODS["complex-step"], nonanalytic, bench.QUICK, 1, {})
    assert row["status"] == "error" and "complex step" in row["note"] and value is None


def test_autorange_reaches_its_target():
    calls = []
    number, elapsed = bench.autorange(lambda: calls.append(1), 1e-3)
    assert elapsed >= 1e-3
    assert str(number).rstrip("0") in {"1", "2", "5"}      # timeit's 1-2-5 sequence
    assert len(calls) >= number


def test_crossing_and_slope_helpers():
    dims = [16, 32, 64, 128, 256]
    forward = [d * 2.0 for d in dims]          # grows with n
    reverse = [64 * 2.0] * len(dims)           # constant: 64 passes
    assert crossing(dims, forward, reverse) == pytest.approx(64)
    assert crossing(dims, reverse, [1.0] * len(dims)) is None
    assert crossing(dims, [d ** 2 for d in dims], [100.0 * d for d in dims]) == pytest.approx(100)
    assert fit_slope(dims, [d ** 1.5 for d in dims]) == pytest.approx(1.5)
    assert np.isnan(fit_slope([4], [1.0]))


def test_cli_lists_and_rejects(capsys):
    assert cli.main(["report", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in WORKLOADS) and "jax-jacrev" in listed
    assert cli.main(["report", "--workload", "nope", "--no-progress"]) == 2
    with pytest.raises(SystemExit):
        cli.main(["report", "--quick", "--full"])


@pytest.mark.parametrize("command, module", [("check", "comparisons.cli_check"), ("draw", "reports.draw")])
def test_cli_hands_check_and_draw_their_arguments(monkeypatch, command, module):
    import importlib
    seen = []
    monkeypatch.setattr(importlib.import_module(module), "main", lambda argv: seen.append(argv) or 3)
    assert cli.main([command, "--flag", "value"]) == 3
    assert seen == [["--flag", "value"]]


def test_max_dim_caps_the_sweep():
    from reports.report import Options, select
    plan, methods = select(Options(workloads=("rosenbrock", "det-minors"), max_dim=20))
    # the cap itself is measured as the largest size, snapped down to a square for det-minors
    assert dict((w.name, dims) for w, dims in plan) == {"rosenbrock": [16, 20], "det-minors": [4, 9, 16]}
    plan, _ = select(Options(workloads=("rosenbrock", "det-minors", "mlp", "gmm"), max_dim=64))
    assert dict((w.name, dims) for w, dims in plan) == {
        "rosenbrock": [16, 64], "det-minors": [4, 9, 16, 25], "mlp": [53], "gmm": [15, 60]}
    plan, _ = select(Options(workloads=("rosenbrock",), max_dim=8))
    assert plan[0][1] == [8]                      # no quick size fits: the cap itself
    plan, _ = select(Options(workloads=("rosenbrock",), max_dim=10 ** 6))
    assert plan[0][1] == list(WORKLOADS["rosenbrock"].quick)    # above every size: nothing added
    for workload, dims in select(Options(max_dim=100))[0] + select(Options(max_dim=100, mode="full"))[0]:
        assert max(dims) <= 100 and dims == sorted(set(dims)), workload.name
        assert all(workload.make(d, np.random.default_rng(0)).dim == d for d in dims), workload.name
    assert methods[0].name == "primal"
    _, methods = select(Options(methods=("reverse",), jit=True))
    assert [m.name for m in methods] == ["primal", "reverse"]


def test_max_dim_below_a_workloads_smallest_size_is_an_error(tmp_path, capsys):
    from reports.report import Options, select
    with pytest.raises(ValueError, match=r"--max-dim 20 .*mlp \(53\)"):
        select(Options(workloads=("rosenbrock", "mlp"), max_dim=20))
    out = tmp_path / "never"
    assert cli.main(["report", "--workload", "rosenbrock", "--max-dim", "1", "--out", str(out),
                     "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "--max-dim" in err and "rosenbrock (2)" in err
    assert not out.exists()                       # nothing ran above the cap


@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_max_dim_must_be_a_positive_integer(tmp_path, capsys, value):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["report", "--workload", "rosenbrock", "--max-dim", value, "--out", str(tmp_path / "x")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--max-dim" in err and "positive integer" in err and value in err
    assert not (tmp_path / "x").exists()


def test_max_dim_measures_the_cap_itself(tmp_path, tiny_report):
    assert sorted(set(pd.read_csv(tiny_report / "results.csv").dim)) == [16, 32]
    out = tmp_path / "r64"
    assert cli.main(["report", "--workload", "rosenbrock", "--methods", "reverse", "--max-dim", "64",
                     "--out", str(out), "--no-progress"]) == 0
    table = pd.read_csv(out / "results.csv")
    assert sorted(set(table.dim)) == [16, 64]
    assert set(table[table.dim == 64].status) == {"ok"}


def test_no_growth_claim_from_one_size(tmp_path):
    """One size measured: the findings give the cost there and say growth
    cannot be judged; no slope, growth or crossover claim."""
    out = tmp_path / "one"
    assert cli.main(["report", "--workload", "rosenbrock", "tanh-wide", "--methods", "reverse", "forward",
                     "--max-dim", "16", "--out", str(out), "--no-progress"]) == 0
    assert set(pd.read_csv(out / "results.csv").dim) == {16}
    summary = (out / "summary.md").read_text()
    findings = summary[summary.index("## Findings"):summary.index("## At the largest size")]
    for claim in ("did not grow", "grew like n", "as theory says", "fitted slope", "overtook",
                  "faster at every", "cheaper at every", "matched the theory"):
        assert claim not in findings, claim
    assert findings.count("cannot be judged") == 3          # reverse, forward, the tanh-wide crossover
    assert "one size only" in findings and "--max-dim" in findings


def test_growth_claims_need_two_sizes(tiny_report):
    """Two sizes measured (16 and 32): the claims come back, backed by slopes."""
    findings = (tiny_report / "summary.md").read_text().split("## At the largest size")[0]
    assert "Reverse mode's gradient cost did not grow with n" in findings
    assert "grew like n, as theory says" in findings and "cannot be judged" not in findings


def test_findings_judge_only_the_workloads_with_several_sizes():
    """Mixed: a workload with two sizes gets the growth claim, one with a
    single size gets the no-claim sentence."""
    from types import SimpleNamespace

    from reports import render
    from reports.report import fit_slopes
    rows = []
    for workload, dims in (("rosenbrock", (16, 32)), ("logsumexp", (16,))):
        for dim in dims:
            for method, ratio in (("primal", 1.0), ("reverse", 2.0), ("forward", 2.0 * dim)):
                rows.append(dict(workload=workload, method=method, dim=dim, status="ok", n_inputs=dim,
                                 n_outputs=1, flops=ratio * dim, flops_ratio=ratio, seconds=ratio * 1e-4,
                                 ratio_to_f=ratio, engine="fwdrev", max_rel_error=0.0))
    results = pd.DataFrame(rows).reindex(columns=bench.COLUMNS)
    results["note"] = ""
    workloads = [WORKLOADS["rosenbrock"], WORKLOADS["logsumexp"]]
    plan = [(w, None) for w in workloads]
    methods = [METHODS[m] for m in ("primal", "reverse", "forward")]
    report = SimpleNamespace(results=results, slopes=fit_slopes(results, plan, methods), crossovers=[])
    said = render.findings(report, workloads)
    growth = [s for s in said if "did not grow" in s or "grew like n" in s]
    single = [s for s in said if "cannot be judged" in s]
    assert len(growth) == 2 and all("logsumexp" not in s for s in growth)
    assert len(single) == 2 and all("logsumexp at n = 16" in s for s in single)
