"""Interleaved timing: the ratio of two callables, robust to a noisy machine.

Why interleave: on a shared machine the load changes from second to second.
Timing all of A and then all of B lets a burst of load land on one side only;
alternating A, B, A, B, ... exposes both to the same conditions, and the median
of the per-pair ratios discards the pairs a burst did hit.

Why a repeat count per sample: a single call of a fast function (a few
microseconds) is below the timer's resolution and dominated by jitter, so each
sample runs the callable `number` times, chosen once so a sample lasts at least
`min_time` seconds.

The garbage collector stays on: an engine's allocation churn (tape records,
boxes) triggers collections, and that cost is real for its users.

Why count page faults: a call that allocates large arrays may get fresh
pages from the kernel each time (glibc maps big blocks with mmap and, past a
threshold that moves with the process's history, returns them on free), and
touching a fresh page costs a fault, ~1-1.5 us per 4 KiB here. Measured here:
HIPS autograd's two-layer gradient takes ~1,770 faults a call and JAX eager's
n = 1024 Jacobian 2,000-10,000, most of their time; ours and the
hand-written NumPy take none. The table shows the count beside each time, so
a ratio can be read for what it is.
"""

import statistics
import time
from dataclasses import dataclass

try:
    import resource
except ImportError:        # (not on Windows: no fault counts there)
    resource = None

MIN_SAMPLE_TIME = 0.005   # seconds per sample
WARMUP_CALLS = 2


def time_calls(fn, number):
    """Seconds for `number` calls of fn()."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


def minor_faults():
    """Page faults this process has taken that needed no disk (fresh or
    reclaimed pages), or None where the OS does not say."""
    return None if resource is None else resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def sample(fn, number):
    """(seconds per call, page faults per call or None) over `number` calls."""
    faults = minor_faults()
    seconds = time_calls(fn, number) / number
    return seconds, None if faults is None else (minor_faults() - faults) / number


def calibrate(fn, min_time=MIN_SAMPLE_TIME):
    """The smallest repeat count (roughly) whose sample lasts >= min_time."""
    number = 1
    while True:
        elapsed = time_calls(fn, number)
        if elapsed >= min_time:
            return number
        # jump close to the goal instead of doubling many times
        number = max(number * 2, int(number * 1.2 * min_time / max(elapsed, 1e-9)))


@dataclass
class Comparison:
    """Median ratio time(a) / time(b) over interleaved samples, and the
    median seconds and page faults per call of each (faults None: not counted)."""
    ratio: float
    seconds_a: float
    seconds_b: float
    samples: int
    faults_a: float | None = None
    faults_b: float | None = None


def compare(a, b, samples, min_time=MIN_SAMPLE_TIME):
    """Time a and b alternately, `samples` pairs; return the medians."""
    for fn in (a, b):
        for _ in range(WARMUP_CALLS):
            fn()
    number_a, number_b = calibrate(a, min_time), calibrate(b, min_time)
    samples_a, samples_b = [], []
    for _ in range(samples):
        samples_a.append(sample(a, number_a))
        samples_b.append(sample(b, number_b))
    (times_a, faults_a), (times_b, faults_b) = zip(*samples_a), zip(*samples_b)
    ratios = [ta / tb for ta, tb in zip(times_a, times_b)]
    return Comparison(statistics.median(ratios), statistics.median(times_a), statistics.median(times_b),
                      samples, _median(faults_a), _median(faults_b))


def _median(counts):
    return None if None in counts else statistics.median(counts)
