"""The derivative operators the programs use, in the mode the tool runs in.

`--mode reverse`: modes.reverse (one backward pass per gradient, one per
Jacobian row). `--mode forward`: modes.forward (a gradient from chunked
forward passes, n directions in ceil(n / chunk) passes; a Jacobian likewise,
one column per direction). A program asks for `grad` or `jacobian` and never
knows which engine answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from modes import forward, reverse

MODES = ("forward", "reverse")


@dataclass(frozen=True)
class Derivatives:
    mode: str
    grad: Callable            # grad(f, argnums=0)(*args) -> the gradient of a scalar f
    jacobian: Callable        # jacobian(f, argnums=0)(*args) -> out.shape + in.shape
    engine: object            # the module itself: modes.forward or modes.reverse


def derivatives(mode: str) -> Derivatives:
    if mode == "forward":
        return Derivatives("forward", forward.grad, forward.jacobian, forward)
    if mode == "reverse":
        return Derivatives("reverse", reverse.grad, reverse.jacobian, reverse)
    raise ValueError(f"unknown mode {mode!r}: expected one of {', '.join(MODES)}")
