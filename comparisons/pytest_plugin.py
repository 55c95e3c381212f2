"""pytest plugin (registered by the `pytest11` entry point `fwdrev`).

Gives every test suite in an environment with fwdrev installed a
`gradcheck` fixture:

    def test_my_loss(gradcheck):
        gradcheck(my_loss, W, X)                          # engines vs JAX, FD, adjoint
        gradcheck(my_loss, W, X, grad=my_loss_grad)       # a hand-written gradient
        gradcheck.backward(affine_forward, affine_backward, x, w, b)

`--gradcheck-seed N` changes the random directions every check uses.
Nothing heavy is imported until a test asks for the fixture, so the plugin
costs other test suites nothing.
"""

import pytest


def pytest_addoption(parser):
    parser.addoption("--gradcheck-seed", type=int, default=0,
                     help="seed of the random tangents and cotangents of fwdrev's gradient checks")


@pytest.fixture
def gradcheck(request):
    """Assert gradients in one line: see comparisons.testing.GradCheck."""
    from comparisons.testing import GradCheck
    return GradCheck(seed=request.config.getoption("--gradcheck-seed"))
