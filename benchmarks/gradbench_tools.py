"""GradBench's gradient programs, ours against the Python AD tools a user
would otherwise reach for, in one process on the same inputs: HIPS autograd
and JAX eager (JAX jit for reference), at the smallest of each eval's default
sizes (reports/gradbench/ratios.py generates the inputs).

Every tool runs the SAME source: each program module is loaded again with its
global `np` bound to autograd.numpy or jax.numpy (a name those lack, such as
np.intp, falls back to NumPy's), and differentiated by that tool's own grad.
So the rows compare engines, not implementations. Target (issue 20): ours
ahead of both, every program. Programs that write into arrays or call what a
tool does not support are left out for that tool, with the reason in the note.
"""

import importlib.util

import numpy as np

from .suite import Benchmark, Pair, block

# the scalar-gradient evals whose every contender takes well under a second here (lstm's 1,024 and
# ode's 1,000 steps of small ops take JAX eager minutes per gradient: not in make bench)
EVALS = ("lse", "llsq", "det", "gmm")


class _Overlay:
    """An array module (autograd.numpy, jax.numpy) with NumPy's names as the
    fallback for what it lacks (np.intp, np.newaxis, ...)."""

    def __init__(self, primary):
        self._primary = primary

    def __getattr__(self, name):
        try:
            return getattr(self._primary, name)
        except AttributeError:
            return getattr(np, name)


def with_numpy(name, array_module):
    """A fresh copy of GradBench program `name` whose global np is `array_module`."""
    from reports.gradbench import programs
    module = programs.load(name)
    spec = importlib.util.spec_from_file_location(module.__name__, module.__file__)
    copy = importlib.util.module_from_spec(spec)
    copy.__package__ = module.__package__
    spec.loader.exec_module(copy)
    copy.np = _Overlay(array_module)
    return copy


def _autograd_grad(f, argnums=0):
    """jax.grad's signature on autograd.grad (which takes one argnum): the
    differentiated arguments travel as one tuple."""
    import autograd
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)

    def grad_f(*args):
        def of_parts(parts):
            full = list(args)
            for i, part in zip(nums, parts):
                full[i] = part
            return f(*full)
        parts = autograd.grad(of_parts)(tuple(args[i] for i in nums))
        return parts[0] if isinstance(argnums, int) else parts
    return grad_f


class _Grad:
    """What a program's functions(d) asks of `d`: here only grad."""

    def __init__(self, grad):
        self.grad = grad


def _tools():
    import autograd.numpy as anp
    import jax
    import jax.numpy as jnp
    return {"HIPS autograd": (anp, _Grad(_autograd_grad), lambda f: f),
            "JAX eager": (jnp, _Grad(jax.grad), lambda f: f),
            "JAX jit": (jnp, _Grad(jax.grad), jax.jit)}


def build():
    from reports.gradbench import programs, ratios
    from reports.gradbench.derivatives import derivatives
    benchmarks = []
    for name in EVALS:
        _size, description, input = next(iter(ratios.workloads()[name]))
        primal, gradient = ratios.FUNCTIONS[name]
        contenders, left_out = {}, []

        def add(label, function, wrap=lambda f: f):
            # timed: the computation only (GradBench's protocol times neither prepare nor finish;
            # finish's list of Python floats alone is ~5 ms at lse's n = 2,500)
            args = function.prepare(input)
            compute = wrap(function.compute)
            contenders[label] = lambda: block(compute(*args))

        ours = programs.load(name)
        add("fwdrev reverse", ours.functions(derivatives("reverse"))[gradient])
        add("plain NumPy primal", ours.functions(derivatives("reverse"))[primal])
        for label, (array_module, d, wrap) in _tools().items():
            try:
                function = with_numpy(name, array_module).functions(d)[gradient]
                add(label, function, wrap)
                contenders[label]()
            except Exception as error:       # a tool that cannot run this program: said in the note
                contenders.pop(label, None)
                left_out.append(f"{label}: {type(error).__name__}: {str(error).splitlines()[0][:80]}")
        pairs = [Pair("fwdrev reverse", label, 1.0) for label in ("HIPS autograd", "JAX eager") if label in contenders]
        pairs += [Pair("JAX jit", "fwdrev reverse")] if "JAX jit" in contenders else []
        pairs += [Pair("fwdrev reverse", "plain NumPy primal")]
        note = f"GradBench {name} {description}" + (f"; left out: {'; '.join(left_out)}" if left_out else "")
        benchmarks.append(Benchmark(f"gradbench_tools {name}", contenders, "fwdrev reverse", pairs, rtol=1e-9,
                                    note=note, primal_only=("plain NumPy primal",)))
    return benchmarks
