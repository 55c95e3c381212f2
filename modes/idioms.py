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

from .errors import PACKAGE, LostDerivative


def _in_library(frame):
    filename = os.path.abspath(frame.f_code.co_filename)
    return (filename.startswith(PACKAGE) or f"{os.sep}numpy{os.sep}" in filename
            or f"{os.sep}scipy{os.sep}" in filename)


def _frames():
    """(the user's frame, the library function it called or None)."""
    frame, entry = sys._getframe(2), None
    while frame is not None and _in_library(frame):
        if not os.path.abspath(frame.f_code.co_filename).startswith(PACKAGE):
            entry = frame
        frame = frame.f_back
    return frame, entry


@functools.lru_cache(maxsize=256)
def _instructions(code):
    return {instruction.offset: instruction.opname for instruction in dis.get_instructions(code)}


def _public_name(entry):
    """The library function as the user called it: numpy.mean,
    numpy.linalg.norm, scipy.stats.norm.logpdf, scipy.special.logsumexp."""
    name = entry.f_code.co_name
    parts = [part for part in entry.f_globals.get("__name__", "").split(".") if not part.startswith("_")]
    distribution = getattr(entry.f_locals.get("self"), "name", None)    # scipy.stats' distributions
    if parts[:2] == ["scipy", "stats"] and isinstance(distribution, str):
        return f"scipy.stats.{distribution}.{name}"
    for end in range(len(parts), 0, -1):      # the public module that offers it: numpy._core.fromnumeric -> numpy
        module = sys.modules.get(".".join(parts[:end]))
        if module is not None and hasattr(module, name):
            return f"{'.'.join(parts[:end])}.{name}"
    return f"{'.'.join(parts)}.{name}"


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
    return "modes." + name


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
