"""What to tell a user whose code hands a box to something that keeps only
its value: a plain NumPy array being written into, ndarray.dot of a plain
array, np.mean of a Python list, float(), math.exp, SciPy's Python-level
functions. None of these can be intercepted, so the derivative would be
lost; the error names the user's file and line, the idiom, and the one
rewrite.

The interpreter's frames say which idiom it was: the user's innermost frame
(outside fwdrev, NumPy and SciPy), the instruction it is running (a store
into a subscript, a call), and the library function it called, if any.
This module imports only the error types and the standard library.
"""

import dis
import functools
import importlib
import linecache
import os
import re
import sys
import types

from .errors import PACKAGE, LostDerivative


def _in_library(frame):
    filename = os.path.abspath(frame.f_code.co_filename)
    return (filename.startswith(PACKAGE) or f"{os.sep}numpy{os.sep}" in filename
            or f"{os.sep}scipy{os.sep}" in filename)


def _frames():
    """(the user's frame, the library function it called or None): the
    outermost library frame with a public name, so that a decorator's wrapper
    (scipy.linalg.svd's) gives way to the function it wraps."""
    frame, entries = sys._getframe(2), []
    while frame is not None and _in_library(frame):
        if not os.path.abspath(frame.f_code.co_filename).startswith(PACKAGE):
            entries.append(frame)
        frame = frame.f_back
    named = [entry for entry in entries if _public_module(entry) is not None]
    return frame, (named or entries or [None])[-1]


@functools.lru_cache(maxsize=256)
def _instructions(code):
    return {instruction.offset: instruction.opname for instruction in dis.get_instructions(code)}


def _function(entry):
    """(module name, function name) of the frame's function; for a decorator's
    wrapper (scipy.linalg.svd's), of the function it wraps, found among the
    frame's closure variables."""
    name, module = entry.f_code.co_name, entry.f_globals.get("__name__", "")
    if name == "wrapper":
        wrapped = [v for v in entry.f_locals.values() if isinstance(v, types.FunctionType)]
        if wrapped:
            return wrapped[0].__module__, wrapped[0].__name__
    return module, name


def _public_module(entry):
    """The public module that offers the frame's function (numpy._core.fromnumeric
    -> numpy), or None."""
    module, name = _function(entry)
    parts = [part for part in module.split(".") if not part.startswith("_")]
    for end in range(len(parts), 0, -1):
        public = sys.modules.get(".".join(parts[:end]))
        if public is not None and hasattr(public, name):
            return ".".join(parts[:end])
    return None


def _public_name(entry):
    """The library function as the user called it: numpy.mean,
    numpy.linalg.norm, scipy.stats.norm.logpdf, scipy.special.logsumexp."""
    module, name = _function(entry)
    parts = [part for part in module.split(".") if not part.startswith("_")]
    distribution = getattr(entry.f_locals.get("self"), "name", None)    # scipy.stats' distributions
    if parts[:2] == ["scipy", "stats"] and isinstance(distribution, str):
        return f"scipy.stats.{distribution}.{name}"
    return f"{_public_module(entry) or '.'.join(parts)}.{name}"


def _drop_in(name):
    """fwdrev's drop-in for a SciPy function (modes.scipy.stats.norm.logpdf), or None."""
    parts = name.split(".")
    try:
        target = importlib.import_module("modes." + ".".join(parts[:2]))
    except ImportError:
        return None
    for part in parts[2:]:
        target = getattr(target, part, None)
        if target is None:
            return None
    if not getattr(target, "__module__", "").startswith("modes."):    # SciPy's own, handed through
        return None
    return "modes." + name


# NumPy functions that read an array's memory or layout, which NumPy cannot hand
# to fwdrev: modes.numpy has each, as np.<name> there
LAYOUT_FUNCTIONS = {"as_strided": "np.lib.stride_tricks.as_strided", "ascontiguousarray": "np.ascontiguousarray",
                    "asfortranarray": "np.asfortranarray", "asanyarray": "np.asanyarray"}


def _layout_function(entry, line):
    """The LAYOUT_FUNCTIONS entry the user called: its frame's (a Python
    function's), or the one the line names (a C function has no frame)."""
    if entry is not None:
        return LAYOUT_FUNCTIONS.get(_function(entry)[1])
    called = re.search(r"\b(" + "|".join(LAYOUT_FUNCTIONS) + r")\(", line)
    return LAYOUT_FUNCTIONS[called.group(1)] if called else None


def lost_derivative(conversion, kind):
    """The error for a box about to become a plain value. `conversion`:
    'array' (NumPy asked for __array__) or the Python type asked for
    (float, int, complex, index)."""
    user, entry = _frames()
    if user is None:
        return LostDerivative(f"a {kind} would become a plain value here, and its derivative would be lost")
    where = f"{user.f_code.co_filename}:{user.f_lineno}"
    line = linecache.getline(user.f_code.co_filename, user.f_lineno).strip()
    said = f"{where}: `{line}`: " if line else f"{where}: "
    instruction = _instructions(user.f_code).get(user.f_lasti, "")
    if instruction == "STORE_SUBSCR" and entry is None:
        return LostDerivative(
            said + "a differentiable value is stored into a plain NumPy array, which keeps only its value: "
            "the derivative would be lost. Make the array one that records writes: "
            "`out = np.zeros_like(x, shape=...)` (x: any differentiated array), or `import modes.numpy as np` "
            "and keep np.zeros(...)")
    layout = _layout_function(entry, line) if conversion == "array" else None
    if layout is not None:
        return LostDerivative(
            said + f"{layout} reads the memory of a {kind}, which NumPy cannot hand to fwdrev, and the derivative "
            f"would be lost. `import modes.numpy as np`, whose {layout} keeps derivatives"
            + (" (or write x.copy(): a C-contiguous copy)" if layout == "np.ascontiguousarray" else ""))
    if entry is not None and type(entry.f_locals.get("self")).__name__ == "vectorize":
        return LostDerivative(
            said + "np.vectorize calls your function on each element as a plain number, and the derivative "
            "would be lost. Call the function on the whole array (NumPy's functions and operators act "
            "elementwise), or loop over the elements and np.stack the results")
    if entry is not None and entry.f_globals.get("__name__", "").startswith("scipy"):
        name = _public_name(entry)
        drop_in = _drop_in(name)
        return LostDerivative(
            said + f"{name} turns its arguments into plain arrays, and the derivative would be lost. "
            + (f"Call fwdrev's drop-in instead: {drop_in} (from modes.scipy import {name.split('.')[1]})"
               if drop_in else
               "fwdrev has no drop-in for it: write it with NumPy functions, or register a rule with "
               "modes.defop"))
    if entry is not None:
        name = _public_name(entry).replace("numpy.", "np.", 1)
        return LostDerivative(
            said + f"{name} of a Python list holding differentiable values makes a plain array of the list "
            f"first, and the derivative would be lost. Stack them into one array: {name}(np.stack([...])), "
            "or `import modes.numpy as np`, whose np.array stacks such lists")
    if conversion == "array" and ".dot(" in line:
        return LostDerivative(
            said + "X.dot(W) with a plain NumPy X runs ndarray.dot, which NumPy does not hand to fwdrev, and the "
            "derivative would be lost. Write `X @ W` or `np.dot(X, W)`")
    if conversion == "array" and re.search(r"\bfloat(16|32|64|128)?\(", line):
        conversion = "np.float64"         # a NumPy scalar of a box: the float() case
    elif conversion == "array":
        return LostDerivative(
            said + f"a {kind} is made into a plain NumPy array here (np.array or np.asarray of a list holding "
            "it, or a function NumPy cannot hand to fwdrev), and the derivative would be lost. Write "
            "np.stack([...]) for a list, or `import modes.numpy as np`, whose np.array and np.asarray keep "
            "derivatives")
    if conversion == "index":
        return LostDerivative(said + f"a {kind} is used as an integer (an index, range(), a shape): integers "
                              "have no derivative. Use its value: int(x.value) for a Traced, int(x.primal) "
                              "for a Dual")
    return LostDerivative(
        said + f"{conversion}() of a {kind} keeps only its value (so do math.exp, math.sqrt and np.float64 of "
        "it), and the derivative would be lost. Keep it in NumPy: np.exp(v), np.sqrt(v), or v itself; read "
        "v.value (Traced) or v.primal (Dual) if you mean to drop the derivative")


def numpy_replaced(error):
    """NumPy replaces the error of a box stored into a plain array element
    with its own 'setting an array element with a sequence' (ours is its
    cause): give back ours, at the user's line."""
    cause = error.__cause__
    if isinstance(error, ValueError) and isinstance(cause, LostDerivative):
        return cause.with_traceback(error.__traceback__)
    return error
