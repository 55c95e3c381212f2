"""The workloads whose gradient flops `flops.py` counts.

DESIGN.md's flops target (<= 4) applies to every report workload, so they
come from `reports/workloads.py` (each family at each of its quick
dimensions), plus the functions of the timed benchmarks here (the full-size
two-layer net, Rosenbrock over a list of Python floats).
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class Case:
    workload: str
    dim: int
    f: object          # x -> array (scalar or not)
    x: object          # the point: an array, a list of floats, a dict of arrays


def report_cases(seed=0):
    from reports.workloads import WORKLOADS
    rng = np.random.default_rng(seed)
    cases = []
    for name, workload in WORKLOADS.items():
        for dim in workload.quick:
            instance = workload.make(dim, rng)
            cases.append(Case(name, instance.dim, instance.f, instance.x))
    return cases


def benchmark_cases():
    from . import rosenbrock as list_rosenbrock
    from . import two_layer_net as net
    X, y, params = net.make_data(**net.SIZES)
    return [Case("two_layer_net (bench)", sum(p.size for p in params.values()),
                 net.make_loss(np, X, y, net.REG), params),
            Case("rosenbrock list (bench)", list_rosenbrock.N, list_rosenbrock.rosenbrock,
                 list_rosenbrock.make_point())]


def load():
    return report_cases() + benchmark_cases()
