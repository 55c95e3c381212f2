"""Arrays made like another one (np.zeros_like, ...): constants, whatever
the argument's derivative. Their shape, dtype and values come from the
plain value under the box."""

import numpy as np

from ..registry import implements, strip


@implements(np.zeros_like, np.empty_like)      # empty_like: zeros, never uninitialized memory
def zeros_like(x, *args, **kwargs): return np.zeros_like(strip(x), *args, **kwargs)


@implements(np.ones_like)
def ones_like(x, *args, **kwargs): return np.ones_like(strip(x), *args, **kwargs)


@implements(np.full_like)
def full_like(x, *args, **kwargs): return np.full_like(strip(x), *args, **kwargs)
