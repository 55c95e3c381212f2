"""np.lib.stride_tricks on boxes: as_strided and sliding_window_view (the
im2col of CS231n's conv_forward_strides) as gathers.

A strided view shows some of x's elements, some of them many times. Which
ones is a question about positions, not values: the same call on an array of
positions (np.arange(x.size) in x's shape) answers it, and the view is then
x.ravel()[positions], whose derivative getitem's rules already give (its
transpose adds overlapping windows back up, the `+=` at fan-out).

The result is linked as a view of x, as NumPy's is: it reads x again after a
write into x; a write into it is refused (NumPy would write through into x,
and into every window sharing that element).

NumPy hands sliding_window_view to fwdrev; as_strided it does not (it reads
its argument's memory): `import modes.numpy as np` and call
np.lib.stride_tricks.as_strided there.
"""

import numpy as np

from .ops.assembly import codes_like
from .ops.shape import GETITEM, RESHAPE
from .registry import Box, apply, implements, strip
from .writes import link_view


def _gathered(x, positions):
    """x's elements at `positions` (indices into x.ravel()), linked as a view
    of x through x.ravel() (linked too where it is a copy: x not contiguous)."""
    flat = apply(RESHAPE, x, shape=(-1,))
    if isinstance(flat, Box) and getattr(flat, "view_of", None) is None:
        link_view(flat, x, RESHAPE, (x,), {"shape": (-1,)})
    index = (np.ascontiguousarray(positions),)      # (a gather takes its index's memory order)
    out = apply(GETITEM, flat, index=index)
    if isinstance(out, Box):
        link_view(out, flat, GETITEM, (flat,), {"index": index})
    return out


def _positions(x):
    return codes_like([x])[0]


@implements(np.lib.stride_tricks.sliding_window_view)
def sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False):
    if writeable:
        raise ValueError("sliding_window_view(..., writeable=True) of a differentiable array: its windows overlap, "
                         "so a write would change many elements at once; build the result with writes instead")
    return _gathered(x, np.lib.stride_tricks.sliding_window_view(_positions(x), window_shape, axis))


def as_strided(x, shape=None, strides=None, subok=False, writeable=True):
    """np.lib.stride_tricks.as_strided; x's strides (x.strides, x.itemsize) are its own array's."""
    if not isinstance(x, Box):
        return np.lib.stride_tricks.as_strided(x, shape, strides, subok, writeable)
    value = np.asarray(strip(x))
    if not value.flags.c_contiguous:
        raise ValueError("as_strided of a differentiable array that is not C-contiguous (a transpose or a "
                         "slice): its strides would step through memory it does not own. Make it contiguous "
                         "first: x = x.copy()")
    positions = _positions(x)
    strides = value.strides if strides is None else tuple(strides)
    if any(stride % value.itemsize for stride in strides):
        raise ValueError(f"as_strided with strides {strides} that are not multiples of the item size "
                         f"{value.itemsize}: they would split elements")
    element_strides = [stride // value.itemsize * positions.itemsize for stride in strides]
    shape = value.shape if shape is None else tuple(shape)
    reach = [(n - 1) * stride for n, stride in zip(shape, element_strides) if n > 0]
    if len(reach) == len(shape) and (sum(r for r in reach if r > 0) >= positions.nbytes
                                     or sum(r for r in reach if r < 0) < 0):
        raise ValueError(f"as_strided with shape {shape} and strides {strides} reads outside the array's "
                         f"{value.nbytes} bytes")
    return _gathered(x, np.lib.stride_tricks.as_strided(positions, shape, element_strides, writeable=False))
