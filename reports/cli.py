"""The `fwdrev` command: `report` (this package), `check` and `draw`.

    fwdrev report [--out DIR] [--quick | --full] [--workload NAME ...]
                  [--methods NAME ...] [--max-dim N] [--jit]
    fwdrev check ...      (comparisons.cli_check)
    fwdrev draw ...       (reports.draw)
    fwdrev gradbench --mode forward|reverse   (reports.gradbench: a GradBench tool on stdin/stdout)

Imports are lazy: `fwdrev --help` does not load NumPy or JAX, and `report`
can pin BLAS to one thread before NumPy loads (see `_single_threaded_blas`).
"""

from __future__ import annotations

import argparse
import os
import sys

QUICK_NOTE = "the default: a few sizes per workload, under 2 minutes on 2 cores"


def _parser():
    parser = argparse.ArgumentParser(
        prog="fwdrev", description="Forward- and reverse-mode automatic differentiation, side by side.")
    commands = parser.add_subparsers(dest="command", metavar="{report,check,draw,gradbench}")
    commands.required = True

    report = commands.add_parser(
        "report", help="measure what forward and reverse mode cost as the problem grows",
        description="Measure every workload with every method over a sweep of sizes; write "
                    "index.html, summary.md, results.csv and PNG plots.")
    report.add_argument("--out", default="fwdrev-report", metavar="DIR",
                        help="output directory (default: fwdrev-report)")
    size = report.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="mode", action="store_const", const="quick", help=QUICK_NOTE)
    size.add_argument("--full", dest="mode", action="store_const", const="full",
                      help="sweep to sizes where the curves separate clearly (10 s budget per call)")
    report.set_defaults(mode="quick")
    report.add_argument("--workload", nargs="+", default=[], metavar="NAME", action="extend",
                        help="only these workloads (see --list)")
    report.add_argument("--methods", nargs="+", default=[], metavar="NAME", action="extend",
                        help="only these methods (primal always runs: it is the unit of cost)")
    report.add_argument("--max-dim", type=_positive_int, default=None, metavar="N",
                        help="skip sizes whose swept dimension exceeds N, and measure N itself "
                             "(snapped down to a size the workload can take) as the largest; "
                             "an error if N is below a workload's smallest size")
    report.add_argument("--jit", action="store_true", help="add jax.jit-compiled JAX variants")
    report.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    report.add_argument("--list", action="store_true", help="list workloads and methods, and exit")

    gradbench = commands.add_parser(
        "gradbench", help="serve GradBench's evals on stdin/stdout (a GradBench tool)",
        description="A GradBench tool: read the eval's JSON lines on stdin, answer on stdout, "
                    "differentiating each eval's NumPy program with the chosen engine. Run it "
                    "with GradBench's runner: --tool \"fwdrev gradbench --mode reverse\".")
    gradbench.add_argument("--mode", choices=("forward", "reverse"), default="reverse",
                           help="the engine that differentiates (default: reverse)")

    for name, help_text in (("check", "check gradients against JAX, finite differences and the "
                                      "adjoint test"),
                            ("draw", "draw a function's computational graph, CS231n style")):
        sub = commands.add_parser(name, help=help_text, add_help=False)
        sub.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def _positive_int(text):
    """argparse type for --max-dim (argparse prefixes the option's name)."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _single_threaded_blas():
    """Timings of small NumPy calls on a shared machine are steadier with one
    BLAS thread (OpenBLAS's threads spin for a busy core: complex matmuls
    were seen 10-100x slower). Only takes effect before NumPy is imported;
    a user's own setting wins."""
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")


def _report(args):
    _single_threaded_blas()
    from pathlib import Path

    from .methods import METHODS
    from .report import Options, run
    from .workloads import WORKLOADS
    if args.list:
        for w in WORKLOADS.values():
            print(f"workload {w.name:<12} {w.formula}")
        for m in METHODS.values():
            print(f"method   {m.name:<19} {m.doc}")
        return 0
    options = Options(out=Path(args.out), mode=args.mode, workloads=tuple(args.workload),
                      methods=tuple(args.methods), max_dim=args.max_dim, jit=args.jit,
                      progress=not args.no_progress)
    try:
        run(options)
    except ValueError as error:
        print(f"fwdrev report: {error}", file=sys.stderr)
        return 2
    return 0


def main(argv=None) -> int:
    try:
        return _dispatch(sys.argv[1:] if argv is None else list(argv))
    except BrokenPipeError:
        # `fwdrev check ... | head`: the reader has read enough. Point stdout at
        # /dev/null so the flush at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _dispatch(argv) -> int:
    if argv and argv[0] in ("check", "draw"):       # hand everything after the name over
        if argv[0] == "check":
            from comparisons.cli_check import main as check_main
            return int(check_main(argv[1:]) or 0)
        from .draw import main as draw_main
        return int(draw_main(argv[1:]) or 0)
    args = _parser().parse_args(argv)
    if args.command == "gradbench":
        _single_threaded_blas()          # GradBench's tools run single-threaded
        from .gradbench.protocol import serve
        return serve(args.mode)
    return _report(args)


if __name__ == "__main__":
    sys.exit(main())
