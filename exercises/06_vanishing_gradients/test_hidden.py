"""Hidden tests for 06_vanishing_gradients: autograd and the sigmoid bound on random chains,
and the gradient norms of other recipes recomputed with the engine."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from vanishing_gradients_checks import autograd_chain_gradients, call_chain

import tinygrad_cnn
from tinygrad_cnn import nn
from tinygrad_cnn.grading.checks import assert_close, check
from tinygrad_cnn.testing import float_arrays


@st.composite
def chains(draw):
    """(x, w, b, dC/da_n) of a chain of 1 to 8 neurons; |z_i| stays below 12."""
    n = draw(st.integers(1, 8))
    x = draw(st.floats(-3.0, 3.0, allow_subnormal=False))
    w = draw(float_arrays((n,), min_value=-3.0, max_value=3.0))
    b = draw(float_arrays((n,), min_value=-3.0, max_value=3.0))
    grad_out = draw(st.floats(-2.0, 2.0, allow_subnormal=False))
    return x, w, b, grad_out


@pytest.mark.points(1)
@given(chain=chains())
def test_chain_gradients_equal_autograd_on_random_chains(student, chain):
    (got_w, got_b), what = call_chain(student, *chain)
    expected_w, expected_b = autograd_chain_gradients(*chain)
    assert_close(
        got_w, expected_w, f"grad_w = {what}[0], compared with autograd", rtol=1e-9, atol=1e-300
    )
    assert_close(
        got_b, expected_b, f"grad_b = {what}[1], compared with autograd", rtol=1e-9, atol=1e-300
    )


@pytest.mark.points(1)
@given(chain=chains())
def test_first_weight_gradient_obeys_the_sigmoid_bound(student, chain):
    x, w, b, grad_out = chain
    (got_w, _), what = call_chain(student, *chain)
    got = float(np.asarray(got_w, dtype=np.float64)[0])
    n = len(w)
    bound = abs(x) * np.prod(np.abs(w[1:])) * 0.25**n * abs(grad_out)
    check(
        abs(got) <= bound * (1 + 1e-9) + 1e-300,
        f"{what}: |dC/dw_1| = {abs(got):.6g} exceeds |x| * |w_2 ... w_n| * (1/4)^n * |dC/da_n| "
        f"= {bound:.6g}; each of the n neurons contributes a factor s'(z_i) <= 1/4: is one "
        "missing?",
    )


def engine_gradient_norms(depth, width, activation, init, seed, batch_size):
    """The README's recipe, step by step, with tinygrad_cnn."""
    tinygrad_cnn.manual_seed(seed)
    layers, modules = [], []
    for _ in range(depth):
        layer = nn.Linear(width, width)
        if init == "he":
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
        layers.append(layer)
        modules += [layer, nn.Sigmoid() if activation == "sigmoid" else nn.ReLU()]
    model = nn.Sequential(*modules).double()
    x = tinygrad_cnn.randn(batch_size, width, dtype=np.float64)
    model(x).mean().backward()
    return np.array([np.sqrt(np.sum(layer.weight.grad**2)) for layer in layers])


@pytest.mark.points(1)
def test_gradient_norms_equal_the_engine_for_other_recipes(student):
    recipes = [
        (1, 3, "sigmoid", "default", 4, 2),
        (2, 5, "relu", "default", 9, 1),
        (4, 6, "sigmoid", "he", 11, 3),
        (5, 7, "relu", "he", 23, 5),
        (8, 8, "sigmoid", "default", 1, 4),
    ]
    for recipe in recipes:
        depth, width, activation, init, seed, batch_size = recipe
        got = student.layer_gradient_norms(depth, width, activation, init, seed, batch_size)
        what = (
            f"layer_gradient_norms(depth={depth}, width={width}, {activation!r}, {init!r}, "
            f"seed={seed}, batch_size={batch_size}) vs the recipe run with tinygrad_cnn"
        )
        assert_close(got, engine_gradient_norms(*recipe), what, rtol=1e-6, atol=0)
