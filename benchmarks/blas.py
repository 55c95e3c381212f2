"""One BLAS thread for the suite (NumPy's OpenBLAS and JAX's XLA alike),
unless the user chose a number.

Why: this machine has 2 cores shared with other work. With OpenBLAS's
default of one thread per core, a matmul stalls whenever another process (or
JAX's own thread pool, in this very process) holds one of the cores, and the
stall lands on whichever contender happens to be in a matmul. Measured here
under load: the hand-written two-layer backward went from 1.5 ms to 40-110 ms,
dragging ratios towards 1 and a missed target to "met". With one thread every
contender runs the same single-threaded kernels and the ratios measure what
they are meant to: each engine's cost on top of the same NumPy work.

The variable must be set before NumPy loads, so entry points call
`pin_one_thread()` before importing anything that imports NumPy.
"""

import os
import sys

VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_pinned = False


# XLA's CPU backend runs its own thread pool (Eigen), not OpenBLAS
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def pin_one_thread():
    global _pinned
    if "numpy" in sys.modules or any(name in os.environ for name in VARIABLES):
        return
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    if "jax" not in sys.modules and "XLA_FLAGS" not in os.environ:
        os.environ["XLA_FLAGS"] = XLA_ONE_THREAD
    _pinned = True


def describe():
    chosen = ", ".join(f"{name}={os.environ[name]}" for name in VARIABLES + ("XLA_FLAGS",)
                       if name in os.environ)
    if _pinned:
        return f"{chosen} (the suite's default; export it to choose)"
    return chosen or "BLAS default (one per CPU)"


def kernel():
    """Which OpenBLAS kernel NumPy runs: OPENBLAS_CORETYPE (set on some
    machines for old OpenBLAS builds) can force a slower one than the CPU's."""
    from threadpoolctl import threadpool_info
    blas = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"]
    forced = os.environ.get("OPENBLAS_CORETYPE")
    names = ", ".join(f"{pool.get('internal_api')} {pool.get('architecture')}" for pool in blas) or "?"
    return names + (f" (forced by OPENBLAS_CORETYPE={forced})" if forced else "")
