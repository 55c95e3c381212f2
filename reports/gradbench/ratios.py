"""Derivative time / primal time per GradBench eval, in both modes, beside the
ratios GradBench publishes: what the report's GradBench section and
benchmarks/gradbench.py measure.

Inputs are generated as each eval's run.py does (NumPy, seed 31337) at its
default sizes (`DEFAULT_SIZES`), or at the smallest of them (`SMALL_SIZES`,
the quick report and `make bench`; ba smaller still). Three evals read data
files GradBench does not generate (ADBench's lstm, ba and ht): their inputs
are synthetic here, at the files' sizes where known (ba: the cameras, points
and observations of ba1 and ba2; lstm: l layers, c characters of b = 14
bits) and of a 22-bone hand for ht.

A ratio is the median over an eval's workloads of (median derivative time /
median primal time), as GRADBENCH.md's published ratios are.
"""

from __future__ import annotations

import math
import statistics

import numpy as np

from . import programs
from .derivatives import MODES, derivatives
from .protocol import run

NIGHTLY = "2026-03-14"      # GradBench nightly the published ratios come from (main of 2026-03-10)

# eval -> (primal function, derivative function)
FUNCTIONS = {"lse": ("primal", "gradient"), "llsq": ("primal", "gradient"), "det": ("primal", "gradient"),
             "ode": ("primal", "gradient"), "gmm": ("objective", "jacobian"), "kmeans": ("cost", "dir"),
             "lstm": ("objective", "jacobian"), "ba": ("objective", "jacobian"), "ht": ("objective", "jacobian")}

# tool -> eval -> published ratio (GRADBENCH.md; "-": not run or not published; ode's manual ratio
# does not differentiate the solver step by step)
PUBLISHED = {
    "manual (C++)": dict(lse=1.12, llsq=2.05, det=8.0, ode=0.05, gmm=2.22, kmeans=1.35, lstm=8.6, ba=7.7),
    "JAX (jit)": dict(lse=1.20, llsq=1.14, ode=2.57, gmm=3.23, kmeans=2.15),
    "PyTorch": dict(lse=4.56, gmm=3.47, kmeans=5.6, lstm=2.7, ba="error"),
    "Enzyme": dict(lse=2.14, llsq=1.44, det=15.1, ode=3.2, gmm=6.9, kmeans=2.8, lstm=2.8, ba=9.7),
    "Futhark": dict(lse=1.65, llsq=1.27, det=1.11, ode=4.4, gmm=4.3, kmeans=1.37, lstm=3.4, ba=11.7),
    "TensorFlow": dict(lse=2.8, gmm=1.95, lstm=5.0, ba="timeout"),
    "CoDiPack": dict(lse=3.7, llsq=11.1, det=3.2, ode=6.4, gmm=17.4, kmeans=33.6, lstm=2.1, ba=20.6),
    "ADOL-C": dict(lse=14.9, llsq=16.7, det=11.8, ode=111, gmm=41.3, kmeans=329, lstm=7.7, ba=194),
    "Zygote": dict(lse=3.9, llsq=2677, det=132, ode=5.6, gmm=11.1, lstm=83, ba=34),
    "finite differences": dict(lse=44000, llsq=256, det=128, ode=20000, gmm=4623, kmeans=3921, lstm=979, ba=52),
}

LSTM_BITS = 14


def lse(sizes):
    np.random.seed(31337)
    for n in sizes:
        yield f"n={n}", {"x": np.random.rand(n).tolist()}


def llsq(sizes, m=128):
    np.random.seed(31337)
    for n in sizes:
        yield f"n={n},m={m}", {"x": np.random.rand(m).tolist(), "n": n}


def det(sizes):
    np.random.seed(31337)
    for ell in sizes:
        yield f"ell={ell}", {"A": np.random.rand(ell * ell).tolist(), "ell": ell}


def ode(sizes):
    np.random.seed(31337)
    for n, s in sizes:
        yield f"n={n},s={s}", {"x": np.random.rand(n).tolist(), "s": s}


def gmm(sizes, n=1000):
    for d, k in sizes:
        rng = np.random.default_rng(31337)
        yield f"d={d},k={k},n={n}", {
            "d": d, "k": k, "n": n, "x": rng.normal(size=(n, d)).tolist(), "m": 0, "gamma": 1.0,
            "mu": rng.uniform(size=(k, d)).tolist(), "q": rng.normal(size=(k, d)).tolist(),
            "l": rng.normal(size=(k, d * (d - 1) // 2)).tolist(), "alpha": rng.normal(size=k).tolist()}


def kmeans(sizes):
    rng = np.random.default_rng(31337)      # the eval itself draws from NumPy's global state, unseeded
    for k, n, d in sizes:
        points = rng.random((n, d))
        yield f"k={k},n={n},d={d}", {"points": points.tolist(), "centroids": points[-k:].tolist()}


def lstm(sizes, b=LSTM_BITS):
    for layers, c in sizes:
        rng = np.random.default_rng(31337)
        yield f"l={layers},c={c}", {
            "main_params": rng.normal(size=(2 * layers, 4 * b)).tolist(),
            "extra_params": rng.normal(size=(3, b)).tolist(), "state": rng.normal(size=(2 * layers, b)).tolist(),
            "sequence": rng.integers(0, 2, size=(c, b)).astype(float).tolist()}


def ba_input(rng, n, m, p):
    """ba's input: one camera (rotation, centre, focal length, principal point,
    distortion), point, weight and feature, repeated by the tool."""
    cam = np.concatenate([rng.normal(scale=0.1, size=3), rng.normal(scale=0.1, size=3), [400.0],
                          rng.normal(size=2), [-3e-7, 5e-13]])
    return {"n": n, "m": m, "p": p, "cam": cam.tolist(), "x": [rng.normal(), rng.normal(), -5.0 + rng.normal()],
            "w": float(rng.uniform(0.5, 1.5)), "feat": rng.normal(size=2).tolist()}


def ba(sizes):
    rng = np.random.default_rng(31337)
    for n, m, p in sizes:
        yield f"n={n},m={m},p={p}", ba_input(rng, n, m, p)


def hand_input(rng, bones=22, vertices=544, npts=100, complicated=False, mirrored=False):
    """ht's input for a synthetic hand: rigid base transforms, a random bone
    tree (parents first), skinning weights summing to 1 over 3 bones per
    vertex, two triangles per vertex, and random observed points."""
    def rigid():
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        return np.block([[q, rng.normal(size=(3, 1))], [np.zeros((1, 3)), np.ones((1, 1))]])
    weights = np.zeros((vertices, bones))
    for v in range(vertices):
        weights[v, rng.choice(bones, 3, replace=False)] = rng.dirichlet(np.ones(3))
    triangles = np.array([rng.choice(vertices, 3, replace=False) for _ in range(2 * vertices)])
    model = {"bone_count": bones, "bone_names": [f"bone{b}" for b in range(bones)],
             "parents": [-1] + [int(rng.integers(0, b)) for b in range(1, bones)],
             "base_relatives": [rigid().tolist() for _ in range(bones)],
             "inverse_base_absolutes": [rigid().tolist() for _ in range(bones)],
             "base_positions": np.column_stack([rng.normal(size=(vertices, 3)), np.ones(vertices)]).tolist(),
             "weights": weights.tolist(), "triangles": triangles.tolist(), "is_mirrored": mirrored}
    correspondences = rng.integers(0, len(triangles) if complicated else vertices, size=npts)
    return {"theta": rng.normal(scale=0.5, size=26).tolist(),
            "data": {"model": model, "correspondences": correspondences.tolist(),
                     "points": rng.normal(size=(npts, 3)).tolist()},
            "us": rng.uniform(size=(npts, 2)).tolist() if complicated else []}


def ht(sizes):
    rng = np.random.default_rng(31337)
    for kind, vertices, npts in sizes:
        yield f"{kind},vertices={vertices},c={npts}", hand_input(
            rng, vertices=vertices, npts=npts, complicated=kind == "complicated")


GENERATORS = dict(lse=lse, llsq=llsq, det=det, ode=ode, gmm=gmm, kmeans=kmeans, lstm=lstm, ba=ba, ht=ht)

# eval -> its run.py's default workloads (ba: ADBench's ba1 and ba2 sizes; ht: synthetic hands)
DEFAULT_SIZES = {
    "lse": [2500 * 2 ** i for i in range(10)],
    "llsq": [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8196, 16392],
    "det": [5, 6, 7, 8, 9, 10, 11],
    "ode": [(n, s) for n in (1000, 10000, 100000) for s in (1, 10, 100)],
    "gmm": [(d, k) for d in (2, 10, 20, 32, 64) for k in (5, 10, 25, 50, 100)],
    "kmeans": [(k, n, d) for k in (10, 100, 1000) for n in (1000, 10000, 100000) for d in (8, 16)],
    "lstm": [(layers, c) for layers in (2, 4) for c in (1024, 4096)],
    "ba": [(49, 7776, 31843), (21, 11315, 36455)],
    "ht": [("simple", 544, 100), ("simple", 544, 200), ("complicated", 544, 100), ("complicated", 544, 200)],
}

# the smallest of them (the quick report, `make bench`); ba: ba2's 21 cameras with a ninth of its
# observations, so that the quick report stays quick
SMALL_SIZES = {
    "lse": [2500, 5000], "llsq": [16, 32, 64], "det": [5, 6, 7], "ode": [(1000, 1), (1000, 10)],
    "gmm": [(2, 5), (2, 10)], "kmeans": [(10, 1000, 8)], "lstm": [(2, 1024)],
    "ba": [(21, 1000, 4000)], "ht": [("simple", 544, 100), ("complicated", 544, 100)],
}


def workloads(sizes=None):
    """eval -> (size, description, input) for each size, smallest primal first
    (inputs generated lazily)."""
    sizes = SMALL_SIZES if sizes is None else sizes
    return {name: _cases(name, sizes[name]) for name in sizes}


def _cases(name, sizes):
    ordered = sorted(sizes, key=lambda size: _dimensions(name, size)[1])
    return ((size, *case) for size, case in zip(ordered, GENERATORS[name](ordered)))


def _dimensions(name, size):
    """(input directions, primal work, largest primal intermediate) of a
    workload, in elements: rough sizes for predicting time and memory."""
    return {
        "lse": lambda n: (n, n, n), "llsq": lambda n: (128, 128 * n, 128 * n),
        "det": lambda ell: (ell * ell, ell * 2 ** ell, ell * math.comb(ell, ell // 2)),
        "ode": lambda n, s: (n, n * s, n),
        "gmm": lambda d, k: (k * (1 + 2 * d + d * (d - 1) // 2), 1000 * k * d * d, 1000 * k * d),
        "kmeans": lambda k, n, d: (k * d, k * n * d, 2 * k * n),
        "lstm": lambda layers, c: (layers * 8 * LSTM_BITS + 3 * LSTM_BITS, layers * c * LSTM_BITS, 4 * LSTM_BITS),
        "ba": lambda n, m, p: (15, p, 15 * p), "ht": lambda kind, vertices, c: (28, 66 * vertices + c, 66 * vertices),
    }[name](*(size if isinstance(size, tuple) else (size,)))


def directions(name, mode, size):
    """Directions one derivative carries: all inputs' in forward mode; in
    reverse mode one cotangent row, except ht's Jacobian (3 c rows)."""
    if mode == "forward":
        return _dimensions(name, size)[0]
    return 3 * size[2] if name == "ht" else 1


def work(name, mode, size):
    """What a derivative's time grows with: primal work times its directions."""
    return _dimensions(name, size)[1] * directions(name, mode, size)


MAX_ELEMENTS = 1.25e8      # 1 GiB per array: a derivative that would build a larger one is not run


def peak_elements(name, mode, size):
    """About the largest array a derivative builds: the primal's largest
    intermediate times the directions of one forward pass (or the rows of one
    batched backward pass), as the engines' default chunks choose them."""
    carried = directions(name, mode, size)
    return _dimensions(name, size)[2] * min(carried, max(1, 2 ** 23 // carried))


def predict(history, at):
    """Seconds at work `at` from the (work, seconds) measured, extrapolating the
    growth of the last two (at least linear)."""
    (w0, t0), (w1, t1) = history[-2:] if len(history) > 1 else ((history[0][0] / 2, history[0][1] / 2),
                                                                   history[0])
    exponent = math.log(t1 / t0) / math.log(w1 / w0) if w1 != w0 and t0 > 0 and t1 > 0 else 1.0
    return t1 * (at / w1) ** max(exponent, 1.0)


def median_time(function, input, samples):
    """Median seconds of `samples` runs, timed as the protocol times them."""
    _, timings = run(function, dict(input, min_runs=samples, min_seconds=0))
    return statistics.median(t["nanoseconds"] for t in timings) * 1e-9


def measure(cases, modes=MODES, samples=5, progress=None, give_up=None):
    """One row per (mode, eval, workload): primal and derivative seconds and
    their ratio. `cases`: a function returning workloads()'s eval -> cases (it
    is called once per mode). With `give_up` (seconds), a derivative slower
    than that ends its eval in that mode, and a workload whose derivative would
    build an array over MAX_ELEMENTS is not run: such rows say why, and the
    seconds the measured growth predicts."""
    rows = []
    for mode in modes:
        d = derivatives(mode)
        for name, inputs in cases().items():
            functions = programs.load(name).functions(d)
            primal_name, derivative_name = FUNCTIONS[name]
            history = []
            for size, description, input in inputs:
                row = dict(mode=mode, eval=name, workload=description, function=derivative_name,
                           directions=directions(name, mode, size), primal=math.nan, derivative=math.nan,
                           ratio=math.nan, predicted=math.nan, why="")
                peak = peak_elements(name, mode, size)
                if give_up is not None and history and (history[-1][1] > give_up or peak > MAX_ELEMENTS):
                    row.update(predicted=predict(history, work(name, mode, size)),
                               why=(f"the previous size took {history[-1][1]:.0f} s" if history[-1][1] > give_up
                                    else f"an intermediate of about {peak * 8 / 2 ** 30:.1f} GiB"))
                else:
                    primal = median_time(functions[primal_name], input, samples)
                    derivative = median_time(functions[derivative_name], input, max(1, samples // 2))
                    history.append((work(name, mode, size), derivative))
                    row.update(primal=primal, derivative=derivative, ratio=derivative / primal)
                rows.append(row)
                if progress:
                    progress(row)
    return rows


def summary(rows):
    """eval -> {"function", "workloads" (measured), mode: median ratio}: the report's table."""
    table = {}
    for row in rows:
        entry = table.setdefault(row["eval"], {"workloads": [], "function": row["function"]})
        if math.isnan(row["ratio"]):
            continue
        entry.setdefault(row["mode"], []).append(row["ratio"])
        if row["workload"] not in entry["workloads"]:
            entry["workloads"].append(row["workload"])
    for entry in table.values():
        for mode in MODES:
            if mode in entry:
                entry[mode] = statistics.median(entry[mode])
    return table
