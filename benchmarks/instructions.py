"""`python -m benchmarks.instructions [NAME ...] [--calls 200]`: instructions
per call of our engines' benchmark programs, counted by valgrind's callgrind.

Why: wall-clock ratios on this shared machine move by a few percent from run
to run, which is the size of most engine optimisations. An instruction count
does not move: the same program gives the same count, whatever else the
machine is doing, so an A/B of one change is one number against another.
Two things would make it move, and are pinned here: OpenBLAS's worker threads
spin (their instructions count too), and string hashing is randomised per
process (dict and set layouts change).

Each program is ours alone on small inputs (no JAX: importing it under
valgrind takes minutes), so the count is mostly the engine's own overhead,
the part the two-layer and Rosenbrock targets are about. The count per call
is (count after N calls - count after 0 calls) / N, both after the same
warm-up, so imports and start-up cancel.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

WARM_UP = 20


def _two_layer_net():
    import numpy as np

    from modes import reverse

    from . import two_layer_net
    X, y, params = two_layer_net.make_data(N=4, D=6, H=5, C=3)
    value_and_grad = reverse.value_and_grad(two_layer_net.make_loss(np, X, y, two_layer_net.REG))
    return lambda: value_and_grad(params)


def _rosenbrock():
    from modes import reverse

    from . import rosenbrock
    xs = rosenbrock.make_point()
    grad = reverse.grad(rosenbrock.rosenbrock)
    return lambda: grad(xs)


def _tanh_jacobian():
    import numpy as np

    from modes import forward

    from . import tanh_jacobian
    rng = np.random.default_rng(0)
    W, b, x = rng.standard_normal((8, 16)), rng.standard_normal(8), rng.standard_normal(16)
    jacobian = forward.jacobian(tanh_jacobian.make_layer(np, W, b))
    return lambda: jacobian(x)


def _write_loop(gradient):
    import numpy as np

    from modes import reverse

    from . import write_loop
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((1, 3, 6, 6)), rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(2)
    loss = reverse.grad(write_loop.loss, argnums=(0, 1, 2)) if gradient else write_loop.loss
    return lambda: loss(x, w, b)


PROGRAMS = {   # name -> builder of a zero-argument call of ours
    "two_layer_net": _two_layer_net,       # N=4, 6-5-3: the engine's overhead on the real program
    "rosenbrock": _rosenbrock,             # 100 Python floats, as in the suite
    "tanh_jacobian": _tanh_jacobian,       # W 8 x 16, all 16 directions in one pass
    "write_loop": lambda: _write_loop(True),             # naive conv, 72 element writes: reverse.grad
    "write_loop_primal": lambda: _write_loop(False),     # the same loss on plain arrays (the ratio's unit)
}
ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}


def run_calls(name, calls):
    """The child process: build, warm up, then make `calls` calls."""
    call = PROGRAMS[name]()
    for _ in range(WARM_UP + calls):
        call()


def collected(valgrind_output):
    """The instruction count callgrind reports ("==123== Collected : 456")."""
    match = re.search(r"Collected\s*:\s*(\d+)", valgrind_output)
    if match is None:
        raise RuntimeError("valgrind reported no instruction count:\n" + valgrind_output[-2000:])
    return int(match.group(1))


def total(name, calls):
    """Instructions of one process that makes `calls` calls of program
    `name` (after the warm-up), counted by callgrind."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, "-m", "benchmarks.instructions", "--child", name, str(calls)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **ENVIRONMENT},
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return collected(done.stderr)


def count(name, calls):
    """Instructions per call of program `name`: start-up and warm-up cancel."""
    return (total(name, calls) - total(name, 0)) / calls


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="of " + ", ".join(PROGRAMS) + " (default: all)")
    parser.add_argument("--calls", type=int, default=200, help="calls counted per program (default: %(default)s)")
    parser.add_argument("--child", nargs=2, metavar=("NAME", "CALLS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_calls(args.child[0], int(args.child[1]))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 1
    for name in args.names or PROGRAMS:
        if name not in PROGRAMS:
            parser.error(f"unknown program {name!r}; choose from {', '.join(PROGRAMS)}")
        print(f"{name:15s} {count(name, args.calls):>12,.0f} instructions per call", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
