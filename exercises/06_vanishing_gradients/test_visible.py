"""Visible tests for 06_vanishing_gradients: the worked examples of the README, autograd on a
few fixed chains, and the gradient norms of deep sigmoid and ReLU networks."""

import numpy as np
import pytest
from vanishing_gradients_checks import autograd_chain_gradients, call_chain

from tinygrad_cnn.grading.checks import assert_close, check

# The README's two four-neuron chains: (x, w, b, dC/da_4) and the gradients it lists.
SHRINKING_CHAIN = (1.0, [1.0, -2.0, 1.5, 0.5], [0.0, 0.5, -0.5, 0.0], -1.0)
SHRINKING_GRAD_W = [0.003628071063, -0.006745095352, -0.008501172191, -0.1179732535]
SHRINKING_GRAD_B = [0.003628071063, -0.009226477261, -0.03075070956, -0.2464536294]
GROWING_CHAIN = (1.0, [0.5, 6.0, -1.0, 2.0], [0.0, -3.0, 0.5, 0.0], -1.0)
GROWING_GRAD_W = [0.03133181523, 0.01383154091, -0.06855055498, -0.09325100046]
GROWING_GRAD_B = [0.03133181523, 0.02222079454, -0.1014289421, -0.2044301499]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.points(1)
def test_worked_examples_of_the_four_neuron_chain(student):
    for chain, grad_w, grad_b in [
        (SHRINKING_CHAIN, SHRINKING_GRAD_W, SHRINKING_GRAD_B),
        (GROWING_CHAIN, GROWING_GRAD_W, GROWING_GRAD_B),
    ]:
        (got_w, got_b), what = call_chain(student, *chain)
        assert_close(got_w, grad_w, f"grad_w = {what}[0]", rtol=1e-8, atol=0)
        assert_close(got_b, grad_b, f"grad_b = {what}[1]", rtol=1e-8, atol=0)


@pytest.mark.points(0.5)
def test_one_neuron_gradient_is_input_times_slope_times_grad_out(student):
    for x, w_1, b_1, grad_out in [
        (0.5, 2.0, 0.1, 1.0),
        (-1.5, -0.7, 0.3, -2.0),
        (2.0, 0.0, 0.0, 1.0),
    ]:
        a = sigmoid(w_1 * x + b_1)
        slope = a * (1 - a)
        (got_w, got_b), what = call_chain(student, x, [w_1], [b_1], grad_out)
        assert_close(got_w, [x * slope * grad_out], f"grad_w = {what}[0]", rtol=1e-10, atol=0)
        assert_close(got_b, [slope * grad_out], f"grad_b = {what}[1]", rtol=1e-10, atol=0)


@pytest.mark.points(0.5)
def test_chain_gradients_equal_autograd_on_fixed_chains(student):
    chains = [
        (0.3, [1.2], [-0.4], 0.8),
        (-1.0, [0.7, -1.3], [0.2, 0.5], 1.5),
        (2.0, [-0.5, 1.5, 2.5], [1.0, -1.0, 0.0], -0.6),
        (0.8, [1.1, -0.9, 2.0, -1.7, 0.6, 1.4], [0.1, 0.2, -0.3, 0.4, -0.5, 0.6], 1.0),
    ]
    for chain in chains:
        (got_w, got_b), what = call_chain(student, *chain)
        expected_w, expected_b = autograd_chain_gradients(*chain)
        assert_close(
            got_w, expected_w, f"grad_w = {what}[0], compared with autograd", rtol=1e-9, atol=0
        )
        assert_close(
            got_b, expected_b, f"grad_b = {what}[1], compared with autograd", rtol=1e-9, atol=0
        )


@pytest.mark.points(1)
def test_gradient_norms_of_the_stated_example(student):
    examples = [
        (("sigmoid", "default"), [0.001003888681, 0.009117623263, 0.1341484156]),
        (("relu", "he"), [0.3472071868, 0.2289592862, 0.2545456308]),
    ]
    for (activation, init), expected in examples:
        got = student.layer_gradient_norms(3, 4, activation, init, 0, 8)
        what = (
            f"layer_gradient_norms(depth=3, width=4, {activation!r}, {init!r}, seed=0, "
            "batch_size=8): is every step of the recipe in the README's order?"
        )
        assert_close(got, expected, what, rtol=1e-6, atol=0)


def first_over_last(student, activation, init, seed):
    norms = np.asarray(student.layer_gradient_norms(10, 32, activation, init, seed, 16), float)
    what = (
        f"layer_gradient_norms(depth=10, width=32, {activation!r}, {init!r}, seed={seed}, "
        "batch_size=16)"
    )
    check(norms.shape == (10,), f"{what}: expected 10 norms, got shape {norms.shape}")
    check(
        bool(np.all(np.isfinite(norms)) and np.all(norms > 0)),
        f"{what}: expected positive finite norms, got {norms}",
    )
    return norms[0] / norms[-1], what


@pytest.mark.points(1)
def test_sigmoid_network_first_layer_gradient_vanishes(student):
    for seed in (0, 1, 2):
        ratio, what = first_over_last(student, "sigmoid", "default", seed)
        check(
            ratio < 1e-3,
            f"{what}: the first layer's gradient norm is {ratio:.3g} times the "
            "last layer's; a 10-layer sigmoid network gives less than 1e-3",
        )


@pytest.mark.points(1)
def test_relu_he_network_keeps_first_layer_gradient(student):
    for seed in (0, 1, 2):
        ratio, what = first_over_last(student, "relu", "he", seed)
        check(
            0.1 < ratio < 10,
            f"{what}: the first layer's gradient norm is {ratio:.3g} times "
            "the last layer's; with ReLU and He init it stays between 0.1 "
            "and 10 (are the weights re-drawn with kaiming_normal_?)",
        )


@pytest.mark.points(0)
def test_explanation_is_recorded(student, record_property):
    text = student.why_first_layer_gradient_is_small()
    check(
        isinstance(text, str),
        f"why_first_layer_gradient_is_small(): expected a str, got {type(text).__name__}",
    )
    record_property("note", text)
    check(
        0 < len(text.strip()) <= 300,
        f"why_first_layer_gradient_is_small(): expected one sentence of 1 to 300 characters, "
        f"got {len(text.strip())}",
    )
