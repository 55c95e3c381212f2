"""Checking and preparing the arguments a transformation differentiates."""

import numpy as np

from .registry import Box


def as_differentiable(value, where):
    """A float array (or Python float) ready to be boxed; TypeError for
    integers and booleans, as JAX does: their derivative is not defined."""
    if type(value) is np.ndarray and value.dtype.kind in "fc":     # the common case, quickly
        return value
    if isinstance(value, Box):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, (bool, int, np.integer, np.bool_)):
        raise TypeError(f"{where} is an integer ({value!r}); differentiation needs floating-point "
                        f"inputs: pass float({value!r})")
    array = np.asarray(value)
    if array.dtype.kind not in "fc":       # floating or complex
        raise TypeError(f"{where} has dtype {array.dtype}; differentiation needs floating-point "
                        f"inputs: pass it as x.astype(float)")
    return array


def normalize_argnums(argnums, n_args):
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for a in nums:
        if not -n_args <= a < n_args:
            raise ValueError(f"argnums={argnums!r} but the function was called with {n_args} arguments")
    nums = tuple([a % n_args for a in nums])
    if len(set(nums)) != len(nums):
        raise ValueError(f"argnums={argnums!r} names an argument more than once")
    return nums, single
