"""`python -m modes.coverage`: the coverage table, docs/numpy-coverage.md.

Every public function of NumPy (numpy, numpy.linalg, numpy.fft), every
ndarray method, SciPy's special functions (ufuncs) and fwdrev's drop-ins for
SciPy's Python-level functions (modes.scipy.special, .stats, .signal,
.linalg, .integrate), with what fwdrev does when a box reaches it and, for
SciPy, whether check_grads can compare it with a JAX twin or falls back to
finite differences. Derived from the dispatch tables the op families fill
(`registry.NUMPY_TABLE`, `registry.PASSES_THROUGH`), so it cannot drift from
the code; tests/test_coverage_table.py fails when the file is stale.
"""

import argparse
import os

import numpy as np

from . import numpy as modes_numpy
from . import ops  # noqa: F401  (fills the tables)
from .errors import qualified_name
from .numpy_dispatch import ArrayInterface
from .registry import BUILT_IN, NUMPY_TABLE, PASSES_THROUGH, REFUSED, REGISTRY

DIFFERENTIABLE = "differentiable (both modes)"
PASSES = "passes through (not differentiable: computed on values)"
NO_RULE = "refused: no rule (UnsupportedFunction names it; add one with modes.defop)"
NOT_DISPATCHED = "not handed to fwdrev: NumPy does not dispatch it on a box's type"
BUFFER = "plain array; with `import modes.numpy as np`, inside a call, an array that records writes"
STACKS = "of a list holding boxes: refused with the rewrite; modes.numpy's version stacks them"
KEEPS = "not handed to fwdrev by NumPy (it reads the memory): differentiable with `import modes.numpy as np`"
BUFFERS = ("zeros", "empty", "ones", "full", "eye", "identity")

PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "numpy-coverage.md")


def _public_functions(module):
    for name in sorted(dir(module)):
        value = getattr(module, name)
        if name.startswith("_") or isinstance(value, type) or type(value).__name__ == "module" \
                or not callable(value) or type(value).__name__ == "PytestTester":
            continue
        yield name, value


def status(function, numpy_module=np, drop_in=modes_numpy):
    """What fwdrev does when a box reaches `function` (of `numpy_module`,
    whose modes.numpy version is `drop_in`)."""
    if function in REFUSED:
        return f"refused: {REFUSED[function]}"
    user_op = getattr(NUMPY_TABLE.get(function), "op", None)      # a rule added with modes.defop: not fwdrev's
    if function in NUMPY_TABLE and (user_op is None or user_op.name in BUILT_IN):
        return PASSES if function in PASSES_THROUGH else DIFFERENTIABLE
    if isinstance(function, np.ufunc) or type(function).__name__ == "_ArrayFunctionDispatcher":
        return NO_RULE
    name = getattr(function, "__name__", "")
    if getattr(drop_in, name, None) is not getattr(numpy_module, name, None):   # replaced in modes.numpy
        return STACKS if name in ("array", "asarray") else BUFFER if name in BUFFERS else KEEPS
    return NOT_DISPATCHED


def method_status(name):
    attribute = ArrayInterface.__dict__.get(name)
    if attribute is None and not any(name in vars(c) for c in ArrayInterface.__mro__[1:]):
        return NO_RULE
    refused = isinstance(attribute, property) and attribute.fget.__qualname__.startswith("_no_rule")
    if refused:
        try:
            attribute.fget(None)
        except AttributeError as error:
            return "refused: " + str(error).split(": ", 1)[1]
    return "supported"


def rows():
    """(section, name, status) for every entry of the table."""
    for module, prefix in ((np, "np."), (np.linalg, "np.linalg."), (np.fft, "np.fft.")):
        for name, function in _public_functions(module):
            if module is np and type(function).__name__ == "module":
                continue
            yield prefix.rstrip("."), f"{prefix}{name}", status(function)
    yield "np", "np.r_, np.c_", "of boxes: with `import modes.numpy as np` (concatenated); NumPy's own otherwise"
    for name, function in _public_functions(np.lib.stride_tricks):
        yield "np.lib.stride_tricks", f"np.lib.stride_tricks.{name}", status(
            function, np.lib.stride_tricks, modes_numpy.lib.stride_tricks)
    for name in sorted(n for n in dir(np.ndarray) if not n.startswith("_")):
        if callable(getattr(np.ndarray, name, None)) or isinstance(getattr(np.ndarray, name, None), property) \
                or name in ArrayInterface.__dict__:
            yield "ndarray", f"ndarray.{name}", method_status(name)
    import scipy.special
    ufuncs = {qualified_name(f): f for _, f in _public_functions(scipy.special) if isinstance(f, np.ufunc)}
    for name, function in ufuncs.items():      # (aliases, psi = digamma, jn = jv, once)
        yield "scipy.special", name, status(function)
    yield from drop_in_rows()


# SciPy's distributions whose cdf, sf (and their logs) are incomplete gamma/beta
# functions of the shape parameters: differentiated in x, loc and scale only
SHAPE_REFUSED = {"t", "gamma", "chi2", "beta"}
OP_NAMES = {"expit": "sigmoid"}     # a SciPy name served by a registry op of another name


def drop_in_rows():
    """(section, name, status) for each function of the modes.scipy drop-ins."""
    import importlib
    for module_name in ("special", "stats", "signal", "linalg", "integrate"):
        module = importlib.import_module(f"modes.scipy.{module_name}")
        section = f"modes.scipy.{module_name}"
        for name in module.__all__:
            value = getattr(module, name)
            if callable(value):
                yield section, f"scipy.{module_name}.{name}", DIFFERENTIABLE
                continue
            for method in sorted(m for m in dir(value) if not m.startswith("_") and callable(getattr(value, m))):
                state = DIFFERENTIABLE
                if name in SHAPE_REFUSED and method in ("cdf", "logcdf", "sf", "logsf"):
                    state += "; in x, loc and scale (in a shape parameter refused: no closed form)"
                elif method == "ppf":
                    state += "; in q, loc and scale"
                yield section, f"scipy.{module_name}.{name}.{method}", state


def jax_twin(name):
    """What check_grads compares a SciPy function with: its op's JAX twin,
    or finite differences where the op has none."""
    op = REGISTRY.get(OP_NAMES.get(name.rsplit(".", 1)[-1], name.rsplit(".", 1)[-1]))
    if op is not None and op.jax is None:
        return "none: finite differences only"
    if name == "scipy.integrate.odeint":
        return "jax.experimental.ode.odeint (reverse mode only: forward mode against finite differences)"
    return "yes"


def table():
    lines = ["# What fwdrev does with each NumPy and SciPy function", "",
             "Generated by `python -m modes.coverage` from the dispatch tables; do not edit. A function marked "
             "differentiable works in forward and reverse mode and nested (Hessians); the property suite and "
             "tests/test_numpy_functions.py check them against JAX's twins. SciPy's Python-level functions "
             "(scipy.stats, scipy.signal, scipy.linalg, scipy.integrate, logsumexp) have drop-ins in `modes.scipy`, "
             "listed in the modes.scipy sections; called plainly on a box they are refused with the drop-in's name. "
             "For SciPy, the JAX twin column says whether check_grads compares with JAX (jax.scipy's function) or, "
             "where JAX has none, with finite differences alone (its notes say so).", ""]
    current, counts = None, {}
    entries = list(rows())
    for section, _name, state in entries:
        key = DIFFERENTIABLE if state.startswith(DIFFERENTIABLE) else \
            state if state in (PASSES, NO_RULE, NOT_DISPATCHED, "supported") else \
            "refused" if state.startswith("refused") else "other"
        counts.setdefault(section, {}).setdefault(key, 0)
        counts[section][key] += 1
    lines += ["| section | " + " | ".join(["differentiable", "passes through", "no rule", "refused, saying why",
                                          "not dispatched", "supported (methods)", "other"]) + " |", "|---" * 8 + "|"]
    for section, c in counts.items():
        lines.append(f"| {section} | " + " | ".join(str(c.get(k, 0)) for k in (
            DIFFERENTIABLE, PASSES, NO_RULE, "refused", NOT_DISPATCHED, "supported", "other")) + " |")
    for section, name, state in entries:
        scipy = section.startswith(("scipy", "modes.scipy"))
        if section != current:
            header = "| function | status | JAX twin |\n|---|---|---|" if scipy else "| function | status |\n|---|---|"
            lines += ["", f"## {section}", "", header]
            current = section
        if scipy and state.startswith(DIFFERENTIABLE):
            lines.append(f"| `{name}` | {state} | {jax_twin(name)} |")
        else:
            lines.append(f"| `{name}` | {state} |" + (" |" if scipy else ""))
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=PATH)
    args = parser.parse_args(argv)
    with open(args.output, "w") as handle:
        handle.write(table())
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
