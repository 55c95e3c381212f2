"""GradBench's protocol: newline-delimited JSON, in lock-step, on stdin/stdout.

Each line from the eval is one message; each gets exactly one line back with
the same `id`: `start` -> {id, tool, config}; `define` -> {id, success} (false:
fwdrev does not implement that eval); `evaluate` -> {id, success, output,
timings} or {id, success: false, error}; `analysis` -> {id}. The tool exits
when stdin closes. Nothing but these lines goes to stdout: anything a program
prints is sent to stderr.

Repeated runs: an input holding `min_runs` and `min_seconds` is run at least
`min_runs` times and until `min_seconds` have passed, with one
{"name": "evaluate", "nanoseconds": N} timing per run. Converting the JSON
input to arrays and the result back is not timed.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
import traceback

from . import programs
from .derivatives import derivatives

TOOL = "fwdrev"
RUN_FIELDS = ("min_runs", "min_seconds", "runs")   # `runs`: older evals (kmeans) say only this


class Malformed(ValueError):
    """A line that is not a GradBench message."""


class Tool:
    def __init__(self, mode: str):
        self.mode = mode
        self.derivatives = derivatives(mode)
        self.modules = {}        # defined eval name -> {function name: Function}

    def handle(self, message: dict) -> dict:
        kind = message["kind"]
        if kind == "start":
            return {"tool": TOOL, "config": {"mode": self.mode}}
        if kind == "define":
            return self.define(message["module"])
        if kind == "evaluate":
            return self.evaluate(message["module"], message["function"], message.get("input"))
        if kind == "analysis":
            return {}
        raise Malformed(f"unknown message kind {kind!r} (expected start, define, evaluate or analysis)")

    def define(self, module) -> dict:
        try:
            program = programs.load(module)
        except Exception as error:
            return _failure(error)
        if program is None:
            return {"success": False,
                    "error": f"fwdrev does not implement the eval {module!r}; it implements: "
                             f"{', '.join(e for e in programs.EVALS if programs.load(e))}"}
        self.modules[module] = program.functions(self.derivatives)
        return {"success": True}

    def evaluate(self, module, function, input) -> dict:
        if module not in self.modules:
            defined = self.define(module)
            if not defined["success"]:
                return defined
        functions = self.modules[module]
        if function not in functions:
            return {"success": False, "error": f"the eval {module!r} has no function {function!r} in "
                                               f"fwdrev; it has: {', '.join(functions)}"}
        try:
            output, timings = run(functions[function], input)
        except Exception as error:
            return _failure(error)
        return {"success": True, "output": output, "timings": timings}


def run(function: programs.Function, input):
    """Run `function` on `input` as many times as the input's run fields ask;
    returns (JSON output, one timing per run)."""
    min_runs, min_seconds = 1, 0.0
    if isinstance(input, dict):
        min_runs = int(input.get("min_runs", input.get("runs", 1)))
        min_seconds = float(input.get("min_seconds", 0.0))
        input = {key: value for key, value in input.items() if key not in RUN_FIELDS}
    args = function.prepare(input)
    timings, start = [], time.perf_counter_ns()
    while True:
        before = time.perf_counter_ns()
        result = function.compute(*args)
        after = time.perf_counter_ns()
        timings.append({"name": "evaluate", "nanoseconds": after - before})
        if len(timings) >= min_runs and after - start >= min_seconds * 1e9:
            return function.finish(result), timings


def _failure(error: BaseException) -> dict:
    return {"success": False, "error": "".join(traceback.format_exception(error)).rstrip()}


def parse(line: str) -> dict:
    try:
        message = json.loads(line)
    except json.JSONDecodeError as error:
        raise Malformed(f"not JSON ({error})") from None
    if not isinstance(message, dict):
        raise Malformed(f"a JSON {type(message).__name__}, not an object")
    missing = [key for key in ("id", "kind") if key not in message]
    if missing:
        raise Malformed(f"no {' and no '.join(repr(key) for key in missing)} field")
    return message


def serve(mode: str, stdin=None, stdout=None, stderr=None) -> int:
    """Answer messages from `stdin` until it closes. Returns an exit status (0)."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    tool = Tool(mode)
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            print(f"fwdrev gradbench: line {number} is empty; ignored", file=stderr, flush=True)
            continue
        message = None
        try:
            message = parse(line)
            with contextlib.redirect_stdout(stderr):    # stdout carries protocol lines only
                response = tool.handle(message)
        except (Malformed, KeyError, TypeError) as error:
            problem = (f"missing field {error}" if isinstance(error, KeyError) else str(error))
            excerpt = line.strip()[:200]
            print(f"fwdrev gradbench: line {number} is not a valid GradBench message: {problem}: "
                  f"{excerpt}", file=stderr, flush=True)
            response = {"success": False,
                        "error": f"fwdrev gradbench could not read this message: {problem}"}
        identifier = message.get("id") if isinstance(message, dict) else None
        stdout.write(json.dumps({"id": identifier, **response}) + "\n")
        stdout.flush()
    return 0
