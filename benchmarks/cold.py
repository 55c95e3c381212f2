"""`python -m benchmarks.cold [--repeats 400]`: the engine's overhead with cold
and warm caches, on the two-layer net.

Why: at full size every large kernel of the two-layer net (X W1, W1 * W1,
the gemm) streams megabytes through the L2 cache, so the engine's Python
that runs after it refetches its code and objects; its overhead there is
larger than a loop of calls on small arrays shows. This program measures
both on small inputs (N=64, D=6, H=100, C=10): each of our calls and each
engine-free call ("our rules, no engine") is made right after a full-size
hand-written call (cold) and then once more (warm); the medians and the
differences, ours - engine-free, are the engine's overhead in each state.
"""

import argparse
import time

from . import blas

blas.pin_one_thread()    # as the suite measures: see blas.py

import numpy as np  # noqa: E402

from . import two_layer_net  # noqa: E402

SMALL = dict(N=64, D=6, H=100, C=10)


def measure(repeats=400, full=two_layer_net.SIZES, small=SMALL):
    """{"ours cold", "ours warm", "engine-free cold", "engine-free warm"}: median seconds."""
    from modes import reverse
    X_full, y_full, params_full = two_layer_net.make_data(**full)
    X, y, params = two_layer_net.make_data(**small)
    ours = reverse.value_and_grad(two_layer_net.make_loss(np, X, y, two_layer_net.REG))
    contenders = {"ours": lambda: ours(params),
                  "engine-free": lambda: two_layer_net.engine_free(params, X, y, two_layer_net.REG)}
    times = {f"{name} {state}": [] for name in contenders for state in ("cold", "warm")}
    for _ in range(repeats):
        for name, call in contenders.items():
            two_layer_net.hand_written(params_full, X_full, y_full, two_layer_net.REG)   # evicts the caches
            for state in ("cold", "warm"):
                start = time.perf_counter()
                call()
                times[f"{name} {state}"].append(time.perf_counter() - start)
    return {key: float(np.median(values)) for key, values in times.items()}


def report(medians):
    lines = [f"  {key:<18} {seconds * 1e6:8.1f} us" for key, seconds in medians.items()]
    for state in ("cold", "warm"):
        overhead = medians[f"ours {state}"] - medians[f"engine-free {state}"]
        lines.append(f"  engine overhead, {state}: {overhead * 1e6:.1f} us a call")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cold", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=400, help="calls of each kind (default: %(default)s)")
    args = parser.parse_args(argv)
    print(f"two-layer net on {SMALL}, after a full-size hand-written call (median of {args.repeats}):")
    print(report(measure(args.repeats)))


if __name__ == "__main__":
    main()
