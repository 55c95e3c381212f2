"""fwdrev's engines: forward mode (dual numbers) and reverse mode (a tape),
over one op registry.

    from modes import forward, reverse
    import modes
    modes.grad(f)(x)             # reverse mode
    modes.jvp(f, (x,), (v,))     # forward mode
"""

from . import ops  # noqa: F401  (fills the registry)
from . import forward, reverse  # noqa: F401
from . import strided  # noqa: F401  (np.lib.stride_tricks' views, as gathers)
from .api import defop, hessian, hvp, jacfwd, jacrev  # noqa: F401
from .forward import Dual, jvp  # noqa: F401
from .numpy_dispatch import UnsupportedFunction  # noqa: F401
from .registry import REGISTRY, count_flops  # noqa: F401
from .reverse import checkpoint, grad, trace, value_and_grad, vjp  # noqa: F401
