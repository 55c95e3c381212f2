"""The derivative operators the programs use, in the mode the tool runs in.

`--mode reverse`: modes.reverse (one backward pass per gradient, one per
Jacobian row). `--mode forward`: modes.forward (a gradient from chunked
forward passes, n directions in ceil(n / chunk) passes; a Jacobian likewise,
one column per direction). A program asks for `grad`, `jacobian` or, for a
block-diagonal Jacobian (ba, ht), `per_item_jacobian`, and never knows which
engine answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from modes import forward, reverse

MODES = ("forward", "reverse")


@dataclass(frozen=True)
class Derivatives:
    mode: str
    grad: Callable            # grad(f, argnums=0)(*args) -> the gradient of a scalar f
    jacobian: Callable        # jacobian(f, argnums=0)(*args) -> out.shape + in.shape
    engine: object            # the module itself: modes.forward or modes.reverse

    def per_item_jacobian(self, f: Callable, argnums=0):
        """The Jacobian of `f` whose output item i (leading axis) depends only on
        its inputs' item i, as a vmap of a per-item function (ba's observations,
        ht's correspondences): the Jacobian is block diagonal, so each block is
        found without computing the zeros between them.

        Forward mode: one direction per element of an input item, shared by all
        items (f at args + offsets, differentiated in the offsets at 0); reverse
        mode: one row per element of an output item, shared by all items (the sum
        over items of f, one batched backward pass). Returns, per differentiated
        argument, J[i] = d f(args)[i] / d args[argnum][i], of shape
        (items,) + output item shape + input item shape."""
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)

        def jacobian_of(*args):
            if self.mode == "forward":
                def shifted(*offsets):
                    full = list(args)
                    for i, offset in zip(nums, offsets):
                        full[i] = args[i] + offset      # offset broadcast over the items
                    return f(*full)
                offsets = tuple(np.zeros(np.shape(args[i])[1:]) for i in nums)
                blocks = forward.jacobian(shifted, argnums=tuple(range(len(nums))))(*offsets)
            else:
                def summed(*full):
                    return np.sum(f(*full), axis=0)
                blocks = reverse.jacobian(summed, argnums=nums)(*args)
                blocks = tuple(np.moveaxis(block, block.ndim - np.ndim(args[i]), 0)
                               for block, i in zip(blocks, nums))
            return blocks[0] if isinstance(argnums, int) else blocks
        return jacobian_of


def derivatives(mode: str) -> Derivatives:
    if mode == "forward":
        return Derivatives("forward", forward.grad, forward.jacobian, forward)
    if mode == "reverse":
        return Derivatives("reverse", reverse.grad, reverse.jacobian, reverse)
    raise ValueError(f"unknown mode {mode!r}: expected one of {', '.join(MODES)}")

