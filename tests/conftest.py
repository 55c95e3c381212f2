"""What the test files share.

- `jax_in_double_precision`: JAX's twins run in float64 as ours do. A file that
  compares against JAX asks for it (`pytestmark = pytest.mark.usefixtures(...)`);
  it is scoped to each test, so that no other test finds JAX's global precision
  changed.
- `@pytest.mark.full`: a slow case that `make test` skips and `make test-full`
  (FWDREV_HYPOTHESIS_PROFILE=full) runs, as the property tests' full profile.
"""

import os

import pytest

FULL = os.environ.get("FWDREV_HYPOTHESIS_PROFILE") == "full"


def pytest_configure(config):
    config.addinivalue_line("markers", "full: slow, runs with FWDREV_HYPOTHESIS_PROFILE=full (make test-full) only")


def pytest_collection_modifyitems(config, items):
    if FULL:
        return
    skip = pytest.mark.skip(reason="slow: runs with FWDREV_HYPOTHESIS_PROFILE=full (make test-full)")
    for item in items:
        if item.get_closest_marker("full"):
            item.add_marker(skip)


@pytest.fixture
def jax_in_double_precision():
    jax = pytest.importorskip("jax")
    with jax.enable_x64(True):
        yield
