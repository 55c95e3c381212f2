"""docs/numpy-coverage.md is generated from the dispatch tables: it must be
current, and what it says must be true (sampled in both engines)."""

import numpy as np
import pytest

from modes import coverage, forward, reverse
from modes.errors import UnsupportedFunction


def test_the_table_in_docs_is_current():
    with open(coverage.PATH) as handle:
        assert handle.read() == coverage.table(), "docs/numpy-coverage.md is stale: run python -m modes.coverage"


def _unary_ufuncs(state):
    names = [name for section, name, status in coverage.rows() if section == "np" and status == state]
    ufuncs = [getattr(np, n[3:]) for n in names if isinstance(getattr(np, n[3:], None), np.ufunc)]
    return [u for u in ufuncs if u.nin == 1 and u.nout == 1 and "d->d" in u.types]


@pytest.mark.parametrize("ufunc", _unary_ufuncs(coverage.DIFFERENTIABLE), ids=lambda u: u.__name__)
def test_a_ufunc_the_table_calls_differentiable_differentiates_in_both_engines(ufunc):
    x = np.array([0.35, 0.6])            # inside every domain (arccos, log, arctanh, ...), away from kinks
    f = lambda x: np.sum(ufunc(x))
    h = 1e-6     # central differences: error ~ h^2 |f'''| + eps |f| / h, well under 1e-6 here
    expected = [(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(2)]
    for engine in (reverse.grad, forward.grad):
        np.testing.assert_allclose(engine(f)(x), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("ufunc", _unary_ufuncs(coverage.NO_RULE), ids=lambda u: u.__name__)
def test_a_ufunc_the_table_calls_refused_is_refused_by_name(ufunc):
    with pytest.raises(UnsupportedFunction, match=f"numpy.{ufunc.__name__}"):
        reverse.grad(lambda x: np.sum(ufunc(x)))(np.array([0.35, 0.6]))
