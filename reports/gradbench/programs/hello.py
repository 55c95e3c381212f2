"""GradBench's `hello`: square(x) = x * x, and double(x) its derivative (2 x)."""

from . import Function, to_float


def square(x):
    return x * x


def prepare(input):
    return (float(input),)


def functions(d):
    return {"square": Function(prepare, square, to_float),
            "double": Function(prepare, d.grad(square), to_float)}
