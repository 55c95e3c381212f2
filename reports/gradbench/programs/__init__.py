"""GradBench's evals, one module each, every one written once in plain NumPy.

A program module defines its function(s) as plain NumPy code (e.g. lse.lse(x),
usable on floats, Duals and traced values alike), `prepare(input)` turning the
eval's JSON input into arguments, and `functions(d)`: the eval's function
names mapped to `Function`s whose derivatives come from `d`
(derivatives.Derivatives, forward or reverse mode).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

EVALS = ("hello", "lse", "llsq", "det", "ode", "gmm", "kmeans", "lstm", "particle", "saddle",
         "ba", "ht")


@dataclass(frozen=True)
class Function:
    """One function of an eval. Only `compute` is timed: converting the JSON
    input (`prepare`) and the output back (`finish`) is not, as GradBench's
    protocol says."""
    prepare: Callable[[Any], tuple]      # JSON input -> positional arguments of compute
    compute: Callable[..., Any]          # the work: a primal or a derivative
    finish: Callable[[Any], Any]         # compute's result -> JSON-ready Python values


def load(name: str):
    """The program module of eval `name`, or None if fwdrev does not implement it."""
    if name not in EVALS:
        return None
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name == f"{__name__}.{name}":   # listed, not written yet
            return None
        raise


def to_list(value):
    """An array (or a Dual's/box's plain value) as nested Python floats."""
    import numpy as np
    return np.asarray(value, dtype=float).tolist()


def to_float(value) -> float:
    return float(value)
