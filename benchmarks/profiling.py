"""`python -m benchmarks.profiling [NAME ...] [--top 15]`: where our engines
spend their time on a benchmark. For engine work: a ratio says *that*
something is slow, this says *what*.

Two views of the contender of ours that the benchmark's target is about:
  - kernels: wall time inside each registry op's NumPy primal (and its
    in-place VJP, `vjp_into`: matmul's gemm), per call of the contender; the
    rest of the wall time is the engine's own overhead (boxing, recording,
    rules' Python, pytrees). cProfile cannot show this:
    NumPy ufuncs (matmul, multiply, ...) are not profiled as functions, so
    their time lands in the tottime of whichever engine function called them.
  - cProfile, top functions by tottime (its overhead inflates small Python
    functions: read the ranking, not the absolute times).
"""

import argparse
import cProfile
import io
import pstats
import time
from collections import defaultdict

from . import blas

blas.pin_one_thread()    # as the suite measures: see blas.py

from . import rosenbrock, suite, tanh_jacobian, two_layer_net  # noqa: E402

TARGETS = {   # benchmark name -> (builder, our contender)
    "rosenbrock": (rosenbrock.build, "reverse.grad"),
    "two_layer_net": (two_layer_net.build, "reverse.value_and_grad"),
    "tanh_jacobian_n256": (lambda: [tanh_jacobian.build_one(256)], "forward.jacobian"),
    "tanh_jacobian_n1024": (lambda: [tanh_jacobian.build_one(1024)], "forward.jacobian"),
}


def _contender(name):
    build, label = TARGETS[name]
    with suite.jax_float64():
        benchmark = build()[0]
        # as the suite does before it times: every contender runs once (this
        # also leaves the allocator in the state the suite measures in)
        suite.check(benchmark)
    fn = benchmark.contenders[label]
    return label, fn


def _repeat(fn, seconds):
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        calls += 1
    return calls, time.perf_counter() - start


def kernels(fn, seconds=2.0):
    """Lines: time per contender call inside each op's primal (by output
    shape), and outside them all."""
    from modes.registry import REGISTRY, shape_of
    spent, counts, depth = defaultdict(float), defaultdict(int), [0]

    def timed(name, impl, shape):
        """`shape(out, args)`: the shape the time is filed under (big arrays
        and small ones apart), None for a call that did no kernel work."""
        def kernel(*args, **params):
            depth[0] += 1
            start, out = time.perf_counter(), None
            try:
                out = impl(*args, **params)
                return out
            finally:
                depth[0] -= 1
                if depth[0] == 0 and shape(out, args) is not None:   # an op inside another op's primal counts once
                    key = f"{name} {shape(out, args)}"
                    spent[key] += time.perf_counter() - start
                    counts[key] += 1
        return kernel

    originals = {name: (op.impl, op.vjp_into) for name, op in REGISTRY.items()}
    for name, op in REGISTRY.items():
        op.impl = timed(name, op.impl, lambda out, args: shape_of(out))
        if op.vjp_into is not None:     # True: it added into args[0]; False: it declined
            op.vjp_into = timed(f"{name} vjp_into", op.vjp_into, lambda done, args: shape_of(args[0]) if done else None)
    try:
        calls, wall = _repeat(fn, seconds)
    finally:
        for name, op in REGISTRY.items():
            op.impl, op.vjp_into = originals[name]
    per_call = wall / calls
    width = max([len(key) for key in spent] + [14])
    lines = [f"  {'op, output shape':<{width}} {'calls':>7} {'us/call':>9} {'share':>6}"]
    for name in sorted(spent, key=spent.get, reverse=True):
        lines.append(f"  {name:<{width}} {counts[name] / calls:>7.0f} {spent[name] / calls * 1e6:>9.1f} "
                     f"{spent[name] / wall:>6.1%}")
    inside = sum(spent.values()) / calls
    lines.append(f"  {'(all kernels)':<{width}} {sum(counts.values()) / calls:>7.0f} {inside * 1e6:>9.1f} "
                 f"{inside / per_call:>6.1%}")
    lines.append(f"  {'(engine)':<{width}} {'':>7} {(per_call - inside) * 1e6:>9.1f} "
                 f"{1 - inside / per_call:>6.1%}   outside the primals: the overhead to cut")
    return [f"{calls} calls, {per_call * 1e3:.3g} ms each (timing wrappers included)"] + lines


def cprofile(fn, seconds=2.0, top=15):
    """The top `top` functions by tottime over about `seconds` of calls."""
    profiler = cProfile.Profile()
    profiler.enable()
    calls, _ = _repeat(fn, seconds)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(top)
    return f"{calls} calls\n" + text.getvalue()


def profile(name, seconds=2.0, top=15):
    label, fn = _contender(name)
    return "\n".join([f"== {name}: {label}", "-- time inside each op's NumPy primal, per call:",
                      *kernels(fn, seconds), f"-- cProfile, top {top} by tottime:",
                      cprofile(fn, seconds, top)])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiling", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="default: rosenbrock two_layer_net; any of " + ", ".join(TARGETS))
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(TARGETS)
    if unknown:
        parser.error(f"unknown benchmark {', '.join(sorted(unknown))}; choose from {', '.join(TARGETS)}")
    for name in args.names or ["rosenbrock", "two_layer_net"]:
        print(profile(name, args.seconds, args.top))


if __name__ == "__main__":
    main()
