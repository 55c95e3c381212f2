"""`fwdrev check`: check a function's derivatives from the command line.

    fwdrev check path/to/file.py:function --shape 3,4
    fwdrev check path/to/file.py:function --input x.npy --shape 4
    python -m comparisons.cli_check path/to/file.py:function --shape 3,4

Each `--shape` (random standard-normal values, seeded) or `--input` (a NumPy
.npy file) is the function's next positional argument, in the order given;
`--shape ""` is a scalar. The comparison table is printed; the exit status
is 0 when every comparison passes, 1 on a mismatch, 2 on a usage error or
when the file fails to import or the function raises (one line on stderr).

The `fwdrev` console script hands `check` to `add_arguments` and `run`
(or `main` with the remaining arguments).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np

EXIT_OK, EXIT_MISMATCH, EXIT_USAGE = 0, 1, 2


class CannotLoad(ValueError):
    """The target's file or module could not be imported."""


class _Argument(argparse.Action):
    """--shape and --input both append to one ordered list of arguments."""

    def __call__(self, parser, namespace, value, option_string=None):
        inputs = list(getattr(namespace, "inputs", None) or [])
        inputs.append((self.dest, value))
        namespace.inputs = inputs


def add_arguments(parser):
    parser.add_argument("target", help="FILE.py:FUNCTION or package.module:FUNCTION")
    parser.add_argument("--shape", dest="shape", action=_Argument, metavar="N,M,...",
                        help="a random argument of this shape (repeat for more arguments; '' = scalar)")
    parser.add_argument("--input", dest="input", action=_Argument, metavar="FILE.npy",
                        help="an argument loaded from a .npy file (repeatable, mixes with --shape)")
    parser.add_argument("--order", type=int, default=1, help="check derivatives up to this order")
    parser.add_argument("--modes", default="forward,reverse", help="engines to check (comma-separated)")
    parser.add_argument("--against", default="jax,fd,adjoint", help="references (comma-separated)")
    parser.add_argument("--seed", type=int, default=0, help="seed of random inputs and directions")
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"],
                        help="dtype of random inputs")
    parser.add_argument("--fd-method", default="central",
                        help="finite-difference method: forward, central, richardson, complex-step")
    parser.set_defaults(inputs=[])
    return parser


def load_function(target):
    """The function named by FILE.py:FUNCTION or module:FUNCTION."""
    location, sep, name = target.rpartition(":")
    if not sep or not location or not name:
        raise ValueError(f"expected FILE.py:FUNCTION, got {target!r}")
    if location.endswith(".py") or Path(location).exists():
        path = Path(location)
        if not path.is_file():
            raise ValueError(f"no such file: {location}")
        spec = importlib.util.spec_from_file_location(f"fwdrev_check_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(path.parent.resolve()))   # so the file can import its neighbours
        try:
            spec.loader.exec_module(module)
        except Exception as exc:     # the user's file raised while importing (SyntaxError, ...)
            raise CannotLoad(f"cannot load {location}: {_describe(exc)}") from exc
        finally:
            sys.path.remove(str(path.parent.resolve()))
    else:
        try:
            module = importlib.import_module(location)
        except Exception as exc:
            raise CannotLoad(f"cannot import {location}: {_describe(exc)}") from exc
    function = getattr(module, name, None)
    if not callable(function):
        raise ValueError(f"{location} has no function {name!r}")
    return function


def parse_shape(text):
    parts = text.strip().strip("()").replace("x", ",").split(",")
    try:
        return tuple(int(n) for n in parts if n.strip())
    except ValueError:
        raise ValueError(f"--shape {text!r}: expected whole numbers separated by commas, e.g. --shape 3,4 "
                         "(--shape '' for a scalar)") from None


def make_arguments(inputs, seed, dtype):
    rng = np.random.default_rng(seed)
    args = []
    for kind, value in inputs:
        if kind == "shape":
            args.append(rng.standard_normal(parse_shape(value)).astype(dtype))
        else:
            args.append(np.load(value))
    return args


def run(options, out=sys.stdout) -> int:
    from .check import PrecisionWarning, check_grads
    try:
        function = load_function(options.target)
        args = make_arguments(options.inputs, options.seed, options.dtype)
    except (ValueError, OSError) as exc:     # a missing file, a bad --shape, CannotLoad
        print(f"fwdrev check: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args:
        print("fwdrev check: give the function's arguments with --shape or --input", file=sys.stderr)
        return EXIT_USAGE
    split = lambda text: tuple(s.strip() for s in text.split(",") if s.strip())
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PrecisionWarning)
            result = check_grads(function, tuple(args), modes=split(options.modes),
                                 against=split(options.against), order=options.order,
                                 seed=options.seed, fd_method=options.fd_method)
        for warning in caught:    # one line each, not Python's source-line format
            print(f"fwdrev check: note: {warning.message}", file=sys.stderr)
    except Exception as exc:        # the function raised, uses what fwdrev does not support, or
                                    # the options compare nothing: all said in one line
        print(f"fwdrev check: checking {options.target} failed: {_describe(exc)}", file=sys.stderr)
        return EXIT_USAGE
    print(result, file=out)
    return EXIT_OK if result.ok else EXIT_MISMATCH


def _describe(exc):
    """One line for an exception: its type, message and (for a SyntaxError) place."""
    if isinstance(exc, SyntaxError):
        where = f"{exc.filename}, line {exc.lineno}" if exc.filename else f"line {exc.lineno}"
        return f"SyntaxError: {exc.msg} ({where})"
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def main(argv=None) -> int:
    parser = add_arguments(argparse.ArgumentParser(
        prog="fwdrev check", description="Check a function's derivatives: both engines against "
                                         "JAX, finite differences and each other."))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
