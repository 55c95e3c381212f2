"""GradBench's evals through fwdrev's GradBench tool: derivative time / primal
time per eval, in both modes, at the smallest of GradBench's default
workloads (inputs generated as each eval's run.py does, seed 31337; lstm's
data files are not shipped, so its input is random with ADBench's b = 14 bits).

Each ratio is the median over the eval's workloads of (median derivative time
/ median primal time), as GRADBENCH.md's published ratios are. Target: <= the
published PyTorch ratio and <= 2 x the hand-written C++ one (where published).
`python -m benchmarks --only gradbench`, or `python -m benchmarks.gradbench`.
"""

import statistics
import time

import numpy as np

from .suite import Row

# eval -> (published manual C++ ratio, PyTorch ratio or None): GRADBENCH.md, nightly of 2026-03-14
PUBLISHED = {"lse": (1.12, 4.56), "llsq": (2.05, None), "det": (8.0, None), "ode": (0.05, None),
             "gmm": (2.22, 3.47), "kmeans": (1.35, 5.6), "lstm": (8.6, 2.7)}
DERIVATIVE = {"lse": ("primal", "gradient"), "llsq": ("primal", "gradient"), "det": ("primal", "gradient"),
              "ode": ("primal", "gradient"), "gmm": ("objective", "jacobian"), "kmeans": ("cost", "dir"),
              "lstm": ("objective", "jacobian")}


def workloads():
    """eval -> [(description, input)] at GradBench's smallest default sizes."""
    out = {}
    np.random.seed(31337)
    out["lse"] = [(f"n={n}", {"x": np.random.rand(n).tolist()}) for n in (2500, 5000)]
    np.random.seed(31337)
    out["llsq"] = [(f"n={n},m=128", {"x": np.random.rand(128).tolist(), "n": n}) for n in (16, 32, 64)]
    np.random.seed(31337)
    out["det"] = [(f"ell={ell}", {"A": np.random.rand(ell * ell).tolist(), "ell": ell}) for ell in (5, 6, 7)]
    np.random.seed(31337)
    out["ode"] = [(f"n=1000,s={s}", {"x": np.random.rand(1000).tolist(), "s": s}) for s in (1, 10)]
    out["gmm"] = []
    for d, k in ((2, 5), (2, 10)):
        rng = np.random.default_rng(31337)
        n = 1000
        out["gmm"].append((f"d={d},k={k},n={n}", {
            "d": d, "k": k, "n": n, "x": rng.normal(size=(n, d)).tolist(), "m": 0, "gamma": 1.0,
            "mu": rng.uniform(size=(k, d)).tolist(), "q": rng.normal(size=(k, d)).tolist(),
            "l": rng.normal(size=(k, d * (d - 1) // 2)).tolist(), "alpha": rng.normal(size=k).tolist()}))
    rng = np.random.default_rng(31337)
    points = rng.random((1000, 8))
    out["kmeans"] = [("k=10,n=1000,d=8", {"points": points.tolist(), "centroids": points[-10:].tolist()})]
    rng = np.random.default_rng(31337)
    layers, b, c = 2, 14, 1024
    out["lstm"] = [(f"l={layers},c={c}", {
        "main_params": rng.normal(size=(2 * layers, 4 * b)).tolist(), "extra_params": rng.normal(size=(3, b)).tolist(),
        "state": rng.normal(size=(2 * layers, b)).tolist(),
        "sequence": rng.integers(0, 2, size=(c, b)).astype(float).tolist()})]
    return out


def median_time(function, input, samples):
    from reports.gradbench.protocol import run
    _, timings = run(function, dict(input, min_runs=samples, min_seconds=0))
    return statistics.median(t["nanoseconds"] for t in timings) * 1e-9


def rows(samples=5):
    from reports.gradbench import programs
    from reports.gradbench.derivatives import derivatives
    result = []
    for mode in ("reverse", "forward"):
        d = derivatives(mode)
        for name, cases in workloads().items():
            functions = programs.load(name).functions(d)
            primal_name, derivative_name = DERIVATIVE[name]
            ratios, primals, derivs = [], [], []
            for description, input in cases:
                primal = median_time(functions[primal_name], input, samples)
                derivative = median_time(functions[derivative_name], input, max(1, samples // 2))
                ratios.append(derivative / primal)
                primals.append(primal)
                derivs.append(derivative)
                print(f"  {mode:7} {name:6} {description:18} primal {primal * 1e3:9.3f} ms  "
                      f"{derivative_name} {derivative * 1e3:10.3f} ms  ratio {ratios[-1]:9.1f}", flush=True)
            manual, pytorch = PUBLISHED[name]
            target = min(t for t in (2 * manual, pytorch) if t is not None)
            result.append(Row("gradbench", f"{name} {derivative_name} ({mode})", f"{name} {primal_name}",
                              statistics.median(ratios), target, statistics.median(derivs),
                              statistics.median(primals), "s", samples,
                              f"median over {', '.join(c for c, _ in cases)}; published manual {manual:g}, "
                              f"PyTorch {pytorch if pytorch is not None else '-'}"))
    return result


if __name__ == "__main__":
    from . import blas
    blas.pin_one_thread()
    from .output import table
    start = time.perf_counter()
    print(table(rows()))
    print(f"{time.perf_counter() - start:.0f} s")
