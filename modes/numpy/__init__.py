"""`import modes.numpy as np`: NumPy, plus what NumPy cannot hand to fwdrev.

NumPy routes its functions to fwdrev when an argument is a box
(`__array_function__`, `__array_ufunc__`), so most code differentiates with
plain `import numpy as np`. A few calls never see a box as an argument, and
this module gives them one:
  - np.array / np.asarray of (nested) lists holding boxes: stacked;
  - np.zeros, empty, ones, full, eye, identity inside a differentiation call:
    a buffer of that call, so that `out[i] = v` with a derivative is recorded
    (the naive conv, max-pool, rnn and lstm loops of CS231n);
  - np.r_ and np.c_ of boxes;
  - np.ascontiguousarray, asfortranarray and asanyarray of a box: itself, or
    a copy where NumPy would copy;
  - np.lib.stride_tricks.as_strided of a box (modes/strided.py).
Every other name is NumPy's own (a true superset), and so are .random,
.linalg, .fft and the rest of .lib. Outside a differentiation call everything is plain NumPy.
Nothing is patched: code that imports numpy itself is unchanged.
"""

import numpy as _np

from ..registry import Box as _Box
from ..registry import innermost_constant as _innermost_constant
from ..registry import strip as _strip
from . import fft, lib, linalg, random  # noqa: F401  (NumPy's, by name)


def __getattr__(name):
    return getattr(_np, name)


def __dir__():
    return sorted(set(dir(_np)) | set(globals()))


# --- arrays of lists holding boxes ------------------------------------------------
def _holds_box(obj):
    if isinstance(obj, _Box):
        return True
    return isinstance(obj, (list, tuple)) and any(_holds_box(item) for item in obj)


def _stacked(obj):
    """A (nested) list of boxes, numbers and arrays as one array (np.stack of
    its rows, recursively: what np.array does for plain values)."""
    if isinstance(obj, (list, tuple)):
        return _np.stack([_stacked(item) for item in obj])
    return obj


def array(object, dtype=None, *, copy=True, **options):
    """np.array; a list holding boxes is stacked, a box is copied (or cast)."""
    if not _holds_box(object):
        return _np.array(object, dtype, copy=copy, **options)
    if options:
        raise TypeError(f"modes.numpy.array of differentiable values does not take {', '.join(options)}=")
    out = _stacked(object)
    if dtype is not None and _np.dtype(dtype) != out.dtype:
        return out.astype(dtype)
    return out.copy() if copy and out is object else out


def asarray(a, dtype=None, **options):
    """np.asarray; a box stays itself (no copy), a list holding boxes is stacked."""
    if not _holds_box(a):
        return _np.asarray(a, dtype, **options)
    return array(a, dtype, copy=False, **options)


def asanyarray(a, dtype=None, **options):
    return asarray(a, dtype, **options)


def _laid_out(flag, name):
    def convert(a, dtype=None, **options):
        if not isinstance(a, _Box):
            return getattr(_np, name)(a, dtype, **options)
        out = _np.atleast_1d(a)
        if dtype is not None:
            out = out.astype(dtype, copy=False)
        if getattr(_np.asarray(_strip(out)).flags, flag):
            return out                   # (NumPy returns the array itself, too)
        return out.copy() if flag == "c_contiguous" else out.T.copy().T     # (a Fortran-ordered copy)
    convert.__name__ = convert.__qualname__ = name
    convert.__doc__ = (f"np.{name}; a box is itself where its array is laid out so already, else a copy "
                       "that keeps its derivative.\n\n" + (getattr(_np, name).__doc__ or ""))
    return convert


ascontiguousarray = _laid_out("c_contiguous", "ascontiguousarray")
asfortranarray = _laid_out("f_contiguous", "asfortranarray")


# --- buffers: constants of the running differentiation call ----------------------------
def _buffer(made, name):
    def make(*args, **kwargs):
        out = made(*args, **kwargs)
        return _innermost_constant(out) if out.dtype.kind in "fc" else out
    make.__name__ = make.__qualname__ = name
    make.__doc__ = (f"np.{name}; inside a differentiation call, a buffer of that call "
                    "(writes of its values into it are recorded).\n\n" + (getattr(_np, name).__doc__ or ""))
    return make


zeros, ones, full, eye, identity = (_buffer(getattr(_np, name), name)
                                    for name in ("zeros", "ones", "full", "eye", "identity"))
empty = _buffer(_np.zeros, "empty")      # zeros, never uninitialized memory


# --- np.r_ and np.c_ ----------------------------------------------------------------
class _Concatenator:
    """np.r_[...] / np.c_[...]: with a box among the items, slices become
    ranges and everything is joined with np.concatenate (np.c_: 1-D items as
    columns); otherwise NumPy's own."""

    def __init__(self, numpy_version, columns):
        self.numpy_version, self.columns = numpy_version, columns

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        if not any(isinstance(item, _Box) for item in items):
            return self.numpy_version[key]
        if any(isinstance(item, str) for item in items):
            raise TypeError("np.r_/np.c_ with a directive string ('r', '0,2', ...) of differentiable values: "
                            "write np.concatenate or np.stack with axis= instead")
        parts = [_np.r_[item] if isinstance(item, slice) else _np.atleast_1d(item) for item in items]
        if self.columns:
            parts = [_np.reshape(p, (-1, 1)) if _np.ndim(p) == 1 else p for p in parts]
            return _np.concatenate(parts, axis=-1)
        return _np.concatenate(parts)

    def __len__(self):
        return 0


r_ = _Concatenator(_np.r_, columns=False)
c_ = _Concatenator(_np.c_, columns=True)
