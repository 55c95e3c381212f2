"""The op definitions, by family. Importing this package fills the registry.

Each family file holds its ops' records (primal, rules, JAX twin, cost,
domain) and the plain functions that rules and users call (`add`, `sum`,
`matmul`, ...). Each of those names the NumPy functions it serves
(`@implements(np.sum)`), which fills the table `numpy_dispatch.py` reads.
"""

from ..registry import BUILT_IN, REGISTRY
from . import creation  # noqa: F401
from . import integrate, signal, special  # noqa: F401  (SciPy's odeint, convolution, special functions)
from .elementwise import (absolute, add, arccos, arccosh, arcsin, arcsinh, arctan, arctan2,  # noqa: F401
                          arctanh, ceil, clip, cos, cosh, exp, exp2, expm1, floor, hypot, log, log1p,
                          log2, log10, maximum, minimum, mul, neg, power, reciprocal, relu, round_, floor_divide, remainder,
                          sigmoid, sign, sin, sinh, sqrt, square, strip, sub, tan, tanh, truediv, where)
from .complex import absolute, angle, conj, imag, real  # noqa: F401,E402  (complex-aware; after elementwise)
from . import fft  # noqa: F401,E402
from . import factorizations  # noqa: F401,E402  (np.linalg's factorizations and solves)
from . import matrixfunctions  # noqa: F401,E402  (scipy.linalg's expm, sqrtm, Sylvester solves)
from . import decompositions  # noqa: F401,E402  (qr, svd, eigvals, pinv, lstsq, ...)
from .linalg import dot, einsum, inner, matmul, norm, outer, tensordot, trace, vdot  # noqa: F401
from .reductions import (cumprod, cumsum, logsumexp, max, mean, min, prod, softmax, std, sum,  # noqa: F401
                         var)
from .shape import (astype, broadcast_to, concatenate, diag, diagonal, expand_dims, flip,  # noqa: F401
                    getitem, moveaxis, ravel, repeat, reshape, scatter_add, sort, squeeze, stack,
                    swapaxes, take, tile, transpose)

from . import assembly, series, statistics  # noqa: F401,E402  (NumPy functions lowered to the ops above)
from .update import copy, setitem  # noqa: F401,E402  (writes into arrays, see modes/writes.py)

BUILT_IN.update(REGISTRY)
