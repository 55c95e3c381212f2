"""Arrays made like another one (np.zeros_like, ...). Made like a box, they
are a constant of the box's own call: plain values until something of that
call is written into them (`out = np.zeros_like(x, shape=...); out[i] = v`),
which is then recorded (see modes/writes.py). Their shape, dtype and values
come from the plain value under the box; integer ones stay plain arrays."""

import numpy as np

from ..registry import implements, strip


def made_like(x, array):
    """`array` as a constant of x's call, ready to be written into."""
    constant = getattr(x, "constant", None)       # (Dual and Traced have one)
    return constant(array) if constant is not None and array.dtype.kind in "fc" else array


@implements(np.zeros_like, np.empty_like)      # empty_like: zeros, never uninitialized memory
def zeros_like(x, *args, **kwargs): return made_like(x, np.zeros_like(strip(x), *args, **kwargs))


@implements(np.ones_like)
def ones_like(x, *args, **kwargs): return made_like(x, np.ones_like(strip(x), *args, **kwargs))


@implements(np.full_like)
def full_like(x, *args, **kwargs): return made_like(x, np.full_like(strip(x), *args, **kwargs))
