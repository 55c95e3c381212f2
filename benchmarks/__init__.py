"""fwdrev's performance suite (`make bench`, i.e. `python -m benchmarks`).

DESIGN.md states the engines' performance targets as *ratios*: this machine is
shared and noisy, so absolute times mean little, but two contenders timed in
alternation (A, B, A, B, ...) see the same noise, and the median of the
per-pair ratios is stable. Every benchmark first checks that all contenders
return the same gradient: a fast wrong answer is not a result.

Modules, one job each:
    timing.py         calibrated, interleaved pairs; medians
    suite.py          what a benchmark is; correctness check; pairs -> rows
    two_layer_net.py  CS231n TwoLayerNet loss: ours vs hand-written, autograd, JAX
    rosenbrock.py     Rosenbrock over a list of 100 Python floats: grad / f
    tanh_jacobian.py  Jacobian of tanh(W x + b): forward.jacobian vs jax.jacfwd
    flops.py          cost-model flops of a reverse gradient / f, per workload
    workloads.py      its workloads: reports/workloads.py's and the benchmarks' own
    output.py         the table, the CSV, the machine
    blas.py           one BLAS thread unless you choose (why: see there)
    profiling.py      where our engine's time goes: per-op kernels, cProfile
    write_loop.py     a naive conv writing element by element into a buffer: grad / forward
    gradbench.py      GradBench's programs (reports/gradbench): derivative / primal per eval, both modes
"""
