"""The top-level transformations built from the two engines, and `defop`."""



from . import forward, reverse
from .numpy_dispatch import register_numpy
from .ops.elementwise import elementwise
from .registry import Op, apply, elementwise_cost, register


def jacfwd(f, argnums=0, chunk=None):
    """Jacobian by forward mode: cheap when inputs are few."""
    return forward.jacobian(f, argnums, chunk)


def jacrev(f, argnums=0, chunk=None):
    """Jacobian by reverse mode: cheap when outputs are few."""
    return reverse.jacobian(f, argnums, chunk)


def hessian(f, argnums=0, chunk=None):
    """Forward-over-reverse: the Jacobian (forward mode) of the gradient
    (reverse mode), n Hessian-vector products in ceil(n / chunk) passes."""
    return forward.jacobian(reverse.grad(f, argnums), argnums, chunk)


def hvp(f, x, v):
    """The Hessian-vector product H(x) v, forward-over-reverse: one forward
    pass over one reverse pass, never forming H."""
    return forward.jvp(reverse.grad(f), (x,), (v,))[1]


def defop(name, primal, *, jvp=None, vjp=None, partials=None, jax=None, cost=None,
          nondiff=(), numpy=None, domain=None, examples=None):
    """Register a user op; it then works in both engines like a built-in one.

    Either give `partials` (elementwise ops: one function (out, *args) -> d out/d arg
    per argument) or both rules:
        jvp(tangents, out, *args, **params) -> out tangent   (tangents: None = zero)
        vjp(cotangent, argnum, out, *args, **params) -> cotangent of args[argnum]
    Rules should use registry functions (modes.ops, or NumPy functions on the
    values) so that they can be differentiated again. `numpy=np.some_function`
    routes that NumPy function to the op. Returns the op's function.
    """
    if partials is not None:
        op = elementwise(name, primal, *partials, jax=jax, nondiff=nondiff, domain=domain)
        if cost is not None:
            op.cost = cost
    else:
        if jvp is None or vjp is None:
            raise ValueError(f"defop({name!r}): give `partials` (elementwise) or both `jvp` and `vjp`")
        op = register(Op(name, primal, jvp=jvp, vjp=vjp, jax=jax,
                         cost=cost or elementwise_cost(1), nondiff=nondiff,
                         domain=domain, examples=examples))

    def function(*args, **params):
        return apply(op, *args, **params)
    function.op = op
    function.__name__ = name
    if numpy is not None:
        register_numpy(numpy, function)
    return function


