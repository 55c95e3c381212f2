"""The Jacobian of a dense layer, tanh(W x + b), W 64 x n: forward mode's
home ground when n is small, and a test of chunking when n is large.

Why against jax.jacfwd *without* jit: JAX eager is what a user gets with no
compilation step, and it pays a dispatch per primitive (0.8-11 ms here, single-threaded); with
all n directions in one chunk our forward.jacobian pays Python overhead once
per op. Targets (issue 20, restated against forward mode's floor): <= 0.5 x
jax.jacfwd eager at every n, and <= 1.15 x the same NumPy calls with no
engine at n = 1024, where arithmetic dominates. reverse.jacobian,
jax.jacrev, autograd, a hand-written Jacobian and jax.jacfwd under jit are
measured for reference, and so is forward mode's own floor: the NumPy calls
forward.jacobian makes, with no engine (`engine_free`). At large n that floor
is the dense product of the n x n identity seed with W, which no engine
overhead can go below.
"""

import numpy as np

from .suite import Benchmark, Pair, block

SIZES = (16, 256, 1024)
M = 64


def make_layer(xnp, W, b):
    return lambda x: xnp.tanh(W @ x + b)


def hand_written(W, b, x):
    """d tanh(W x + b) / dx = diag(1 - tanh^2) W."""
    t = np.tanh(W @ x + b)
    return (1.0 - t * t)[:, None] * W


def engine_free(W, b, x, seed):
    """The NumPy calls forward.jacobian makes for this layer (all n directions
    in one chunk, rows of the identity as the seed), with no engine around them."""
    t = np.tanh(W @ x + b)
    tangents = seed @ W.T                   # W v for every seed direction v: (n, m)
    return ((1.0 - t * t) * tangents).T     # tanh's JVP; the directions become columns


def build_one(n, m=M, seed=0):
    import autograd
    import autograd.numpy as anp
    import jax
    import jax.numpy as jnp
    from modes import forward, reverse

    rng = np.random.default_rng(seed)
    W, b, x = rng.standard_normal((m, n)) / np.sqrt(n), rng.standard_normal(m), rng.standard_normal(n)
    layer = make_layer(np, W, b)
    jax_layer = make_layer(jnp, jnp.asarray(W), jnp.asarray(b))
    jx = jnp.asarray(x)
    ours_forward, ours_reverse = forward.jacobian(layer), reverse.jacobian(layer)
    autograd_jacobian = autograd.jacobian(make_layer(anp, W, b))
    jacfwd, jacrev = jax.jacfwd(jax_layer), jax.jacrev(jax_layer)
    jacfwd_jit = jax.jit(jacfwd)
    identity = np.eye(n)      # the seed, made once, as forward.jacobian keeps its seed between calls
    contenders = {
        "forward.jacobian": lambda: ours_forward(x),
        "reverse.jacobian": lambda: ours_reverse(x),
        "hand-written": lambda: hand_written(W, b, x),
        "our rules, no engine": lambda: engine_free(W, b, x, identity),
        "autograd.jacobian": lambda: autograd_jacobian(x),
        "jax.jacfwd eager": lambda: block(jacfwd(jx)),
        "jax.jacrev eager": lambda: block(jacrev(jx)),
        "jax.jacfwd jit": lambda: block(jacfwd_jit(jx)),
    }
    pairs = [Pair("forward.jacobian", "jax.jacfwd eager", 0.5),
             Pair("forward.jacobian", "our rules, no engine", 1.15 if n >= 1024 else None),
             Pair("our rules, no engine", "jax.jacfwd eager"),
             Pair("reverse.jacobian", "jax.jacrev eager"),
             Pair("hand-written", "jax.jacfwd eager"),
             Pair("autograd.jacobian", "jax.jacfwd eager"),
             Pair("jax.jacfwd jit", "jax.jacfwd eager")]
    return Benchmark(f"tanh_jacobian_n{n}", contenders, "hand-written", pairs, note=f"W {m} x {n}")


def build(sizes=SIZES):
    return [build_one(n) for n in sizes]
