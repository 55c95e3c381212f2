"""The op definitions, by family. Importing this package fills the registry.

Each family file holds its ops' records (primal, rules, JAX twin, cost,
domain) and the plain functions that rules and users call (`add`, `sum`,
`matmul`, ...). `numpy_dispatch.py` maps NumPy's functions to these.
"""

from .elementwise import *  # noqa: F401,F403
from .elementwise import absolute, add, mul, neg, power, round_, strip, sub, truediv, where  # noqa: F401
from .linalg import dot, einsum, inner, matmul, norm, outer, trace, vdot  # noqa: F401
from .reductions import (cumsum, logsumexp, max, mean, min, prod, softmax, std, sum,  # noqa: F401
                         var)
from .shape import (broadcast_to, concatenate, expand_dims, getitem, moveaxis, ravel,  # noqa: F401
                    reshape, scatter_add, squeeze, stack, swapaxes, take, transpose)

from ..registry import BUILT_IN, REGISTRY

BUILT_IN.update(REGISTRY)
