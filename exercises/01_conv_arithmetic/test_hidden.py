"""The grader's tests for convolution arithmetic (not given to students).

The expected sizes come from the engine itself: tinygrad_cnn.functional.conv2d run on zeros
of the drawn size (or its ValueError when no window fits); the expected parameter counts from
tinygrad_cnn.nn.Conv2d's parameters. The Keras network is deck 004's, with its printed counts.
"""

import numpy as np
import pytest
from conv_arithmetic_checks import call, check_count, check_parameters, describe
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor, nn
from tinygrad_cnn.grading.checks import expect_raises


def engine_output_size(n, k, stride, padding, dilation):
    """The side of F.conv2d's output on an n x n input and a k x k kernel, or None when the
    engine refuses the configuration (no window fits, or an invalid argument)."""
    x, w = Tensor(np.zeros((1, 1, n, n))), Tensor(np.zeros((1, 1, k, k)))
    try:
        out = F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)
    except ValueError:
        return None
    return out.shape[2]


def mistakes(n, k, stride, padding, dilation):
    """{the value a classic mistake gives: its description} for this configuration."""
    span, padded = dilation * (k - 1) + 1, n + 2 * padding
    return {
        (n + padding - span) // stride + 1: (
            "that counts the padding once; p zeros go on EACH side, so the padded input is n + 2p"
        ),
        (padded - k) // stride + 1: (
            "that ignores the dilation; a dilated kernel spans d(k - 1) + 1 pixels"
        ),
        -(-(padded - span) // stride) + 1: (
            "that rounds up; a window that would stick out of the padded input does not count"
        ),
        (padded - span) // stride: "one short: the first window, at position 0, counts too",
    }


@pytest.mark.points(1)
@given(
    n=st.integers(1, 12),
    k=st.integers(1, 5),
    stride=st.integers(0, 4),
    padding=st.integers(-1, 3),
    dilation=st.integers(1, 3),
)
def test_output_size_agrees_with_the_engine(student, n, k, stride, padding, dilation):
    kwargs = dict(stride=stride, padding=padding, dilation=dilation)
    what = describe("conv_output_size", n, k, **kwargs)
    expected = engine_output_size(n, k, **kwargs)
    if expected is None:
        why = "the dilated kernel is longer than the padded input, or an argument is invalid"
        expect_raises(
            ValueError, lambda: student.conv_output_size(n, k, **kwargs), f"{what} ({why})"
        )
        return
    got = call(student, "conv_output_size", n, k, **kwargs)
    hints = {wrong: text for wrong, text in mistakes(n, k, **kwargs).items() if wrong != expected}
    check_count(got, expected, what + " (the size of F.conv2d's output)", hints)


@pytest.mark.points(1)
@given(k=st.integers(1, 7), c_in=st.integers(1, 64), c_out=st.integers(1, 64), bias=st.booleans())
def test_parameters_agree_with_the_engine(student, k, c_in, c_out, bias):
    layer = nn.Conv2d(c_in, c_out, k, bias=bias)
    expected = sum(p.numel() for p in layer.parameters())
    what = describe("conv_parameters", k, c_in, c_out, bias=bias)
    got = call(student, "conv_parameters", k, c_in, c_out, bias=bias)
    if bias:
        check_parameters(got, expected, c_out, what)
    else:
        check_count(got, expected, what, {expected + c_out: "bias=False: leave the biases out"})


@pytest.mark.points(1)
def test_keras_mnist_convnet_has_93322_parameters(student):
    # deck 004: Conv2D(32, 3) on 28x28x1, MaxPooling2D(2), Conv2D(64, 3), MaxPooling2D(2),
    # Conv2D(64, 3), Flatten, Dense(64), Dense(10). Keras pools with stride = pool size.
    side, sides = 28, []
    for k, stride in ((3, 1), (2, 2), (3, 1), (2, 2), (3, 1)):
        side = call(student, "conv_output_size", side, k, stride=stride)
        sides.append(side)
    check_count(
        tuple(sides), (26, 13, 11, 5, 3), "the sides after each conv and pooling layer of deck 004"
    )
    layers = (  # (name, k, c_in, c_out, count printed by model.summary())
        ("conv2d_1", 3, 1, 32, 320),
        ("conv2d_2", 3, 32, 64, 18_496),
        ("conv2d_3", 3, 64, 64, 36_928),
        ("dense_80, a 1x1 convolution on the 576 flattened values", 1, 3 * 3 * 64, 64, 36_928),
        ("dense_81", 1, 64, 10, 650),
    )
    total = 0
    for name, k, c_in, c_out, expected in layers:
        got = call(student, "conv_parameters", k, c_in, c_out)
        check_parameters(got, expected, c_out, f"conv_parameters({k}, {c_in}, {c_out}) ({name})")
        total += got
    check_count(total, 93_322, "the total of the five layers (Keras: Total params: 93,322)")
