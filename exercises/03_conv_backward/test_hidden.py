"""The grader's tests for conv_backward (not given to students).

The expected gradients come from the engine (autograd through F.conv2d, or central
differences of its forward pass) or by hand; strides from 1 to 3 and paddings from 0 to 2,
including strides that leave rows and columns of the input unread (their gradient is 0).
"""

import numpy as np
import pytest
from conv_backward_checks import (
    check_all,
    check_input_gradient,
    configurations,
    describe,
    engine_gradients,
    gradients,
    numeric_gradients,
)
from hypothesis import given

from tinygrad_cnn.grading.checks import CheckFailed, assert_close, assert_equal


@pytest.mark.points(2)
@given(case=configurations(max_channels=3, max_stride=3, max_padding=2))
def test_gradients_match_engine_autograd_with_stride_and_padding(student, case):
    x, weight, bias, grad_out, stride, padding = case
    got = gradients(student, x, weight, bias, grad_out, stride, padding)
    expected = engine_gradients(x, weight, bias, grad_out, stride, padding)
    check_all(got, expected, x, weight, bias, grad_out, stride, padding, "autograd of F.conv2d")


@pytest.mark.points(1)
@given(case=configurations(max_batch=1, max_stride=3, max_padding=2))
def test_central_differences_with_stride_and_padding(student, case):
    x, weight, bias, grad_out, stride, padding = case
    got = gradients(student, x, weight, bias, grad_out, stride, padding)
    expected = numeric_gradients(x, weight, bias, grad_out, stride, padding)
    check_all(got, expected, x, weight, bias, grad_out, stride, padding, "central differences")


def read_positions(size, kernel, stride, padding):
    """The input rows (or columns) that some window reads: oh*s + i - p inside the input."""
    outputs = (size + 2 * padding - kernel) // stride + 1
    read = {oh * stride + i - padding for oh in range(outputs) for i in range(kernel)}
    return sorted(r for r in read if 0 <= r < size)


@pytest.mark.points(1)
def test_stride_that_skips_the_border_gets_zero_gradient(student):
    rng = np.random.default_rng(3)
    # (size, kernel, stride, padding): the last row and column unread (5x5, 2x2, stride 2,
    # and the lecture's 7x7, 3x3, stride 3), then a stride larger than the kernel that skips
    # rows 1 and 4 inside the input
    for size, kernel, stride, padding in ((5, 2, 2, 0), (7, 3, 3, 0), (6, 2, 3, 1)):
        x = rng.normal(size=(2, 2, size, size))
        weight = rng.normal(size=(3, 2, kernel, kernel))
        bias = rng.normal(size=3)
        out_size = (size + 2 * padding - kernel) // stride + 1
        grad_out = rng.normal(size=(2, 3, out_size, out_size))
        got = gradients(student, x, weight, bias, grad_out, stride, padding)
        what = describe(x, weight, stride, padding)
        read = read_positions(size, kernel, stride, padding)
        unread = [r for r in range(size) if r not in read]
        grad_x = got[0]
        for r in unread:
            if np.any(grad_x[:, :, r, :] != 0) or np.any(grad_x[:, :, :, r] != 0):
                raise CheckFailed(
                    f"{what}: no window reads row {r} or column {r} of the input ({out_size} "
                    f"windows per axis read rows {read}), so their gradient must be exactly "
                    f"0; got grad_x[0, 0, {r}, :] = {np.round(grad_x[0, 0, r, :], 6).tolist()}. "
                    f"In grad_x, output (oh, ow) reaches only the pixels oh*s + i - p, "
                    f"ow*s + j - p: the stride spaces the windows"
                )
        expected = engine_gradients(x, weight, bias, grad_out, stride, padding)
        check_all(got, expected, x, weight, bias, grad_out, stride, padding, "F.conv2d")


@pytest.mark.points(1)
def test_lecture_examples_with_stride_two_and_three_channels(student):
    # TP557 (deck 002): a 4x4 input, the kernel [[0,1],[2,3]], stride 2 -> [[24,36],[22,24]];
    # the windows do not overlap, so with g = ones each one sends the kernel back to its pixels
    x = np.array([[0.0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1], [2, 3, 4, 5]]).reshape(1, 1, 4, 4)
    weight = np.array([[0.0, 1], [2, 3]]).reshape(1, 1, 2, 2)
    bias, ones = np.zeros(1), np.ones((1, 1, 2, 2))
    assert_close(
        student.conv2d_forward(x, weight, bias, stride=2, padding=0),
        np.array([[24.0, 36], [22, 24]]).reshape(1, 1, 2, 2),
        "conv2d_forward(the lecture's 4x4 input, [[0,1],[2,3]], stride=2) (given code)",
    )
    grad_x, grad_weight, grad_bias = gradients(student, x, weight, bias, ones, 2, 0)
    what = "conv2d_gradients(the lecture's 4x4 input, [[0,1],[2,3]], g = ones, stride=2)"
    tiled = np.tile(weight[0, 0], (2, 2)).reshape(1, 1, 4, 4)  # [[0,1,0,1],[2,3,2,3],...]
    check_input_gradient(grad_x, tiled, x, weight, bias, ones, 2, 0, f"{what}: grad_x")
    # tap (0, 0) read x at (0,0), (0,2), (2,0), (2,2): 0 + 2 + 8 + 0 = 10; and so on
    expected_w = np.array([[10.0, 14], [16, 20]]).reshape(1, 1, 2, 2)
    assert_equal(grad_weight, expected_w, f"{what}: grad_weight")
    assert_equal(grad_bias, np.array([4.0]), f"{what}: grad_bias")

    # TP557: three channels, one filter, stride 1 -> [[69, 85], [95, 122]]
    x = np.array(
        [
            [[0.0, 1, 2], [3, 4, 5], [6, 7, 8]],
            [[3, 1, 5], [0, 2, 7], [8, 4, 9]],
            [[9, 2, 3], [3, 1, 4], [8, 0, 5]],
        ]
    ).reshape(1, 3, 3, 3)
    weight = np.array([[[0.0, 1], [2, 3]], [[5, 6], [1, 0]], [[1, 3], [4, 2]]]).reshape(1, 3, 2, 2)
    grad_x, grad_weight, grad_bias = gradients(student, x, weight, bias, ones, 1, 0)
    what = "conv2d_gradients(the lecture's 3-channel input and kernel, g = ones)"
    # per channel, the sums of the 2x2 sub-grids of that channel
    expected_w = np.array([[[8.0, 12], [20, 24]], [[6, 15], [14, 22]], [[15, 10], [12, 10]]])
    assert_equal(grad_weight, expected_w.reshape(1, 3, 2, 2), f"{what}: grad_weight")
    # per channel, each pixel collects the taps of that channel's kernel that read it
    expected_x = np.array(
        [
            [[0.0, 1, 1], [2, 6, 4], [2, 5, 3]],
            [[5, 11, 6], [6, 12, 6], [1, 1, 0]],
            [[1, 4, 3], [5, 10, 5], [4, 6, 2]],
        ]
    ).reshape(1, 3, 3, 3)
    check_input_gradient(grad_x, expected_x, x, weight, bias, ones, 1, 0, f"{what}: grad_x")
    assert_equal(grad_bias, np.array([4.0]), f"{what}: grad_bias")
