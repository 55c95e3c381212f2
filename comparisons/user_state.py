"""The user's objects come back from a check as they went in.

A check calls the user's code many times: with our engines' boxes (to trace
it), at perturbed points (finite differences). Code that keeps state writes
into the user's objects on every call: CS231n's batchnorm_forward stores
`bn_param['running_mean'] = momentum * running_mean + ...`, a box while it
is traced. Once the check is over that box is dead (modes: an escaped box
behaves as its plain value, and as a constant inside a new
transformation), and the running averages have moved by hundreds of
momentum steps the user never took.

`preserved(title, places)` snapshots the containers reachable from the
places a check's calls can write to (the dicts, lists and objects among the
user's arguments, in the closures of the user's functions and among the
globals they name), and on exit puts every entry back as it was, warning
once (UserStateWarning) where a box had been stored, e.g.
"bn_param['running_mean']". Arrays are not copied: state is restored by
entry (a store `d[k] = v`, an attribute), which is how layers update it.
"""

from __future__ import annotations

import inspect
import os
import sys
import sysconfig
import types
import warnings

import numpy as np

from modes.errors import EscapedValueWarning
from modes.registry import Box

DEPTH = 4              # containers this deep inside a place are restored too


class UserStateWarning(UserWarning):
    """The checked code stored traced values in the user's objects (they are restored)."""


def places_of(*functions):
    """name -> object for the dicts, lists and objects a user's functions
    can reach without being passed them: their closures' cells and the
    globals their code names (a notebook's `bn_param`, `model`)."""
    places = {}
    for f in functions:
        f = inspect.unwrap(f) if callable(f) else f
        code = getattr(f, "__code__", None)
        if code is None:
            continue
        for name, cell in zip(code.co_freevars, f.__closure__ or ()):
            try:
                places.setdefault(name, cell.cell_contents)
            except ValueError:          # an empty cell (a name assigned later)
                pass
        names = set()
        stack = [code]
        while stack:                    # the names of nested code (a lambda's, a comprehension's) too
            c = stack.pop()
            names.update(c.co_names)
            stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        scope = getattr(f, "__globals__", {})
        for name in sorted(names):
            if name in scope:
                places.setdefault(name, scope[name])
    return {name: value for name, value in places.items() if _is_state(value)}


def _is_state(value):
    """Containers and user objects: what a call can store into."""
    if isinstance(value, (dict, list)):
        return True
    if isinstance(value, (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType,
                          types.MethodType, np.ndarray, Box)):
        return False
    return hasattr(value, "__dict__") and not callable(value) and _users_class(type(value))


# where installed libraries and the standard library live: their objects (a
# DataFrame, a logger) keep internal state a check must not rewind
_LIBRARIES = tuple(os.path.realpath(p) for p in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
                                                  sysconfig.get_paths()["stdlib"]})


def _users_class(cls):
    """A class the user defined (in a script, a notebook, a test), not a library's."""
    module = sys.modules.get(cls.__module__)
    path = getattr(module, "__file__", None)
    return path is None or not os.path.realpath(path).startswith(_LIBRARIES)


def _entries(obj):
    """(key, value) pairs of a container's entries, or None if it has none
    we restore."""
    if isinstance(obj, dict):
        return list(obj.items())
    if isinstance(obj, list):
        return list(enumerate(obj))
    if _is_state(obj):
        return list(vars(obj).items())
    return None


def _label(path, key, obj):
    if isinstance(obj, (dict, list)):
        return f"{path}[{key!r}]"
    return f"{path}.{key}"


class preserved:
    """Context manager: the places' containers restored on exit, with a
    warning naming where boxes had been stored."""

    def __init__(self, title, places):
        self.title, self.places = title, dict(places)

    def __enter__(self):
        self.saved, seen = [], set()
        for name, obj in self.places.items():
            self._snapshot(obj, name, 0, seen)
        # within the check, the value one call stored is read by the next as a
        # constant (modes' convention for an escaped box); that is the check's
        # doing, reported once on exit, not the user's
        self.quiet = warnings.catch_warnings()
        self.quiet.__enter__()
        warnings.simplefilter("ignore", EscapedValueWarning)
        return self

    def _snapshot(self, obj, path, depth, seen):
        if depth > DEPTH or id(obj) in seen:
            return
        entries = _entries(obj)
        if entries is None:
            return
        seen.add(id(obj))
        self.saved.append((obj, path, entries))
        for key, value in entries:
            if _is_state(value):
                self._snapshot(value, _label(path, key, obj), depth + 1, seen)

    def __exit__(self, *exc_info):
        self.quiet.__exit__(*exc_info)
        boxes = []
        for obj, path, entries in self.saved:
            for key, value in (_entries(obj) or []):
                if isinstance(value, Box):
                    boxes.append(_label(path, key, obj))
            _restore(obj, entries)
        if boxes:
            shown = ", ".join(boxes[:6]) + (", ..." if len(boxes) > 6 else "")
            warnings.warn(f"{self.title} ran your code with traced values, and it stored them in {shown}: "
                          "restored to what they held before the check, so they keep working after it",
                          UserStateWarning, stacklevel=3)
        return False


def _restore(obj, entries):
    if isinstance(obj, dict):
        obj.clear()
        obj.update(entries)
    elif isinstance(obj, list):
        obj[:] = [value for _, value in entries]
    else:
        state = vars(obj)
        for key in [k for k in state if k not in dict(entries)]:
            del state[key]
        state.update(entries)
