"""`python -m benchmarks [--quick] [--only NAME ...]`: run the performance
suite, print the table of ratios, write benchmarks/results/latest.csv.

Each timed benchmark is checked first (all contenders must return the same
gradient); a mismatch or a crash skips that benchmark and makes the exit
status 1. Missed targets are reported in the table, not as a failure: the
suite measures, the engine work it informs decides.
"""

import argparse
import sys
import time
import traceback

from . import blas

blas.pin_one_thread()    # before NumPy loads: see blas.py

from . import (flops, gradbench, gradbench_tools, output, overhead, rosenbrock, suite, tanh_jacobian,  # noqa: E402
               two_layer_net, workloads, write_loop)

SAMPLES = {"full": 41, "quick": 7}


def timed(build):
    def run(samples):
        rows = []
        with suite.jax_float64():
            for benchmark in build():
                suite.check(benchmark)
                print(f"  {benchmark.name}: all {len(benchmark.contenders)} contenders agree; "
                      f"timing {len(benchmark.pairs)} pairs", flush=True)
                rows += suite.measure(benchmark, samples)
        return rows
    return run


def flop_rows(samples):
    return flops.rows(workloads.load())


BENCHMARKS = {
    "two_layer_net": timed(two_layer_net.build),
    "rosenbrock": timed(rosenbrock.build),
    "tanh_jacobian": timed(tanh_jacobian.build),
    "write_loop": timed(write_loop.build),
    "overhead": overhead.rows,
    "flops": flop_rows,
    "gradbench": lambda samples: gradbench.rows(max(3, samples // 4)),
    "gradbench_tools": timed(gradbench_tools.build),
}


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{SAMPLES['quick']} interleaved pairs per ratio instead of {SAMPLES['full']}")
    parser.add_argument("--only", action="append", metavar="NAME", choices=list(BENCHMARKS),
                        help="run only this benchmark (repeatable): " + ", ".join(BENCHMARKS))
    parser.add_argument("--samples", type=int, help="interleaved pairs per ratio (overrides --quick)")
    parser.add_argument("--csv", default=output.RESULTS, help="where to write the table (default: %(default)s)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    samples = args.samples or SAMPLES["quick" if args.quick else "full"]
    print("\n".join(output.machine()))
    print(f"ratios: median over {samples} interleaved pairs (A, B, A, B, ...), "
          f">= {suite.timing.MIN_SAMPLE_TIME * 1e3:g} ms per sample\n", flush=True)
    rows, failures, start = [], [], time.perf_counter()
    for name in args.only or BENCHMARKS:
        print(f"{name} ...", flush=True)
        try:
            rows += BENCHMARKS[name](samples)
        except suite.MismatchError as error:
            failures.append(str(error))
            print(f"  FAILED: {error}", flush=True)
        except Exception as error:     # a contender crashed: report it, run the others
            traceback.print_exc()
            failures.append(f"{name}: {type(error).__name__}: {error}")
            print(f"  FAILED: {failures[-1]}", flush=True)
    print()
    print(output.table(rows))
    if rows:
        print(f"\nwrote {output.write_csv(rows, args.csv)}")
    print(f"{output.summary(rows)}; {time.perf_counter() - start:.0f} s")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
