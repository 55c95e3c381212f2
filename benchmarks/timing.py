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
"""

import statistics
import time
from dataclasses import dataclass

MIN_SAMPLE_TIME = 0.005   # seconds per sample
WARMUP_CALLS = 2


def time_calls(fn, number):
    """Seconds for `number` calls of fn()."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


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
    median seconds per call of each."""
    ratio: float
    seconds_a: float
    seconds_b: float
    samples: int


def compare(a, b, samples, min_time=MIN_SAMPLE_TIME):
    """Time a and b alternately, `samples` pairs; return the medians."""
    for fn in (a, b):
        for _ in range(WARMUP_CALLS):
            fn()
    number_a, number_b = calibrate(a, min_time), calibrate(b, min_time)
    times_a, times_b = [], []
    for _ in range(samples):
        times_a.append(time_calls(a, number_a) / number_a)
        times_b.append(time_calls(b, number_b) / number_b)
    ratios = [ta / tb for ta, tb in zip(times_a, times_b)]
    return Comparison(statistics.median(ratios), statistics.median(times_a),
                      statistics.median(times_b), samples)
