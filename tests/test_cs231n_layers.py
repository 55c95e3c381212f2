"""CS231n layers with hand-written backward passes, checked by check_backward:
the correct ones pass, the batchnorm backward that forgets a term fails and
points at the input and the element that are wrong."""

import numpy as np
import pytest

from comparisons import check_backward, check_gradient
from comparisons import examples as layers


@pytest.fixture
def rng():
    return np.random.default_rng(231)


def test_affine_layer_with_the_notes_shapes(rng):
    # notes example 5: D = W.dot(X) with W 5x10, X 10x3; as a layer, x (3, 10) @ w (10, 5)
    x, w, b = rng.normal(size=(3, 10)), rng.normal(size=(10, 5)), rng.normal(size=5)
    result = check_backward(layers.affine_forward, layers.affine_backward, x, w, b)
    assert result.ok, str(result)
    assert {(r.against, r.argument) for r in result.comparisons} == {
        (against, name) for against in ("reverse", "jax", "fd") for name in ("x", "w", "b")}


def test_affine_layer_flattens_image_shaped_inputs(rng):
    x, w, b = rng.normal(size=(4, 2, 3)), rng.normal(size=(6, 5)), rng.normal(size=5)
    assert check_backward(layers.affine_forward, layers.affine_backward, x, w, b).ok


def test_relu_layer(rng):
    x = rng.normal(size=(4, 5))
    result = check_backward(layers.relu_forward, layers.relu_backward, x)
    assert result.ok, str(result)


def test_softmax_loss(rng):
    x, y = rng.normal(size=(6, 4)), np.array([0, 3, 1, 1, 2, 0])
    result = check_backward(layers.softmax_loss_forward, layers.softmax_loss_backward, x, y)
    assert result.ok, str(result)
    assert {r.argument for r in result.comparisons} == {"x"}        # labels are constants
    # the assignment's sanity check: with all scores equal the loss is log(C)
    assert layers.softmax_loss(np.zeros((6, 4)), y)[0] == pytest.approx(np.log(4))


def test_softmax_loss_as_a_hand_written_gradient(rng):
    x, y = rng.normal(size=(6, 4)), np.array([0, 3, 1, 1, 2, 0])
    result = check_gradient(lambda x: layers.softmax_loss_forward(x, y)[0],
                            lambda x: layers.softmax_loss(x, y)[1], x)
    assert result.ok, str(result)


@pytest.mark.parametrize("backward", [layers.batchnorm_backward, layers.batchnorm_backward_alt])
def test_batchnorm_backward_passes(rng, backward):
    x, gamma, beta = 2 * rng.normal(size=(5, 3)) + 1, rng.normal(size=3), rng.normal(size=3)
    result = check_backward(layers.batchnorm_forward, backward, x, gamma, beta)
    assert result.ok, str(result)


def test_batchnorm_backward_that_forgets_a_term_fails_at_x(rng):
    x, gamma, beta = 2 * rng.normal(size=(5, 3)) + 1, rng.normal(size=3), rng.normal(size=3)
    result = check_backward(layers.batchnorm_forward, layers.batchnorm_backward_wrong, x, gamma, beta)
    assert not result.ok
    # every reference disagrees about x, and only about x
    assert {(r.against, r.argument) for r in result.comparisons if not r.passed} == {
        ("reverse", "x"), ("jax", "x"), ("fd", "x")}
    # the worst element is where the forgotten term is largest: the same random
    # dout (seed 0, as check_backward draws it) through the right and wrong backward
    out, cache = layers.batchnorm_forward(x, gamma, beta)
    dout = np.random.default_rng(0).standard_normal(out.shape)
    missing = layers.batchnorm_backward(dout, cache)[0] - layers.batchnorm_backward_wrong(dout, cache)[0]
    expected = np.unravel_index(np.argmax(np.abs(missing)), x.shape)
    worst = result.worst
    assert (worst.argument, worst.index) == ("x", tuple(int(i) for i in expected))
    assert worst.value - worst.reference == pytest.approx(-missing[expected], rel=1e-9)
    text = str(result)
    assert f"x[{expected[0]}, {expected[1]}]" in text
    assert "the gradient for x disagrees with every reference while the others agree" in text


def test_configuration_inputs_without_gradients_are_constants(rng):
    def forward(x, w, b, param):
        out, cache = layers.affine_forward(x, w * param["scale"], b)
        return out, (cache, param)

    def backward(dout, cache):
        (x, w_scaled, b), param = cache
        dx, dw, db = layers.affine_backward(dout, (x, w_scaled, b))
        return dx, dw * param["scale"], db          # nothing for `param`

    param = {"mode": "train", "scale": 0.5}
    result = check_backward(forward, backward, rng.normal(size=(3, 4)), rng.normal(size=(4, 2)),
                            rng.normal(size=2), param)
    assert result.ok, str(result)
    assert {r.argument for r in result.comparisons} == {"x", "w", "b"}


def test_a_gradient_of_the_wrong_shape_is_refused(rng):
    def backward(dout, cache):
        dx, dw, db = layers.affine_backward(dout, cache)
        return dx, dw, db[None, :]
    with pytest.raises(ValueError, match=r"shape \(1, 5\) for b of shape \(5,\)"):
        check_backward(layers.affine_forward, backward, rng.normal(size=(3, 4)),
                       rng.normal(size=(4, 5)), rng.normal(size=5))
