"""Tests you can run: `pytest 04_max_pool` (or `tinygrad-cnn grade` for the graded run).

argmax holds, for each output, the position h * W + w of the copied element in its own
(H, W) plane; on a tie the first maximum in row-major window order wins.
"""

import numpy as np
import pytest
from max_pool_checks import (
    LECTURE_ARGMAX,
    LECTURE_OUT,
    LECTURE_X,
    backward,
    check_argmax,
    check_gradient,
    check_sum_is_kept,
    forward,
)

from tinygrad_cnn.grading.checks import assert_equal


@pytest.mark.points(1)
def test_lecture_example_gives_9_2_6_3(student):
    out, argmax = forward(student, LECTURE_X, 2)  # stride left out: it defaults to 2
    what = "max_pool_forward(lecture 004's 4x4 input, kernel_size=2)"
    assert_equal(out, LECTURE_OUT, f"{what}: out")
    check_argmax(argmax, LECTURE_ARGMAX, LECTURE_X, what)
    # lecture 004's Keras summary: 2x2 pooling takes the 11x11 maps to 5x5 (the last row and
    # column fit in no window); forward() checks the shape
    x = np.arange(2 * 11 * 11, dtype=np.float64).reshape(1, 2, 11, 11)
    out, _ = forward(student, x, 2)
    assert_equal(out, x[:, :, 1:10:2, 1:10:2], "max_pool_forward(arange(242) as 2 11x11 maps, 2)")


@pytest.mark.points(1)
def test_gradient_lands_on_each_maximum_and_nowhere_else(student):
    grad_out = np.array([[0.1, 0.2], [0.3, 0.4]]).reshape(1, 1, 2, 2)
    grad_x, what = backward(student, grad_out, LECTURE_ARGMAX, LECTURE_X.shape)
    expected = np.zeros((4, 4))
    expected[1, 1], expected[0, 2], expected[3, 1], expected[2, 3] = 0.1, 0.2, 0.3, 0.4
    what += " for lecture 004's example (the 9, 2, 6 and 3 get 0.1, 0.2, 0.3 and 0.4)"
    check_gradient(grad_x, expected.reshape(1, 1, 4, 4), grad_out, LECTURE_ARGMAX, what)


@pytest.mark.points(1)
def test_tied_window_picks_the_first_maximum(student):
    # after a ReLU, windows full of zeros are common: a tie of four
    x = np.array([[0.0, 0.0, 4.0, 1.0], [0.0, 0.0, 4.0, 4.0]]).reshape(1, 1, 2, 4)
    out, argmax = forward(student, x, 2)
    what = "max_pool_forward([[0, 0, 4, 1], [0, 0, 4, 4]], kernel_size=2)"
    assert_equal(out, np.array([0.0, 4.0]).reshape(1, 1, 1, 2), f"{what}: out")
    expected_argmax = np.array([0, 2]).reshape(1, 1, 1, 2)  # (0, 0) and (0, 2)
    check_argmax(argmax, expected_argmax, x, what)
    grad_out = np.array([1.5, 2.5]).reshape(1, 1, 1, 2)
    grad_x, what = backward(student, grad_out, argmax, x.shape)
    expected = np.array([[1.5, 0.0, 2.5, 0.0], [0.0, 0.0, 0.0, 0.0]]).reshape(1, 1, 2, 4)
    what += " with the argmax of this tie: the whole gradient goes to ONE element"
    check_gradient(grad_x, expected, grad_out, expected_argmax, what)


@pytest.mark.points(1)
def test_overlapping_windows_add_up_at_a_shared_maximum(student):
    # kernel 3, stride 1: the windows start at columns 0, 1 and 2, and all three hold the 9
    x = np.array([[1.0, 2.0, 3.0, 2.0, 1.0], [2.0, 5.0, 9.0, 4.0, 3.0], [0.0, 1.0, 2.0, 1.0, 0.0]])
    x = x.reshape(1, 1, 3, 5)
    out, argmax = forward(student, x, 3, stride=1)
    what = "max_pool_forward(x, kernel_size=3, stride=1)"
    assert_equal(out, np.full((1, 1, 1, 3), 9.0), f"{what}: out")
    check_argmax(argmax, np.full((1, 1, 1, 3), 7), x, what)  # 9 is at h * 5 + w = 1 * 5 + 2
    grad_out = np.array([0.5, 1.0, 2.0]).reshape(1, 1, 1, 3)
    grad_x, what = backward(student, grad_out, np.full((1, 1, 1, 3), 7), x.shape)
    expected = np.zeros((1, 1, 3, 5))
    expected[0, 0, 1, 2] = 0.5 + 1.0 + 2.0
    what += " where three windows picked the same 9"
    check_gradient(grad_x, expected, grad_out, np.full((1, 1, 1, 3), 7), what)
    check_sum_is_kept(grad_x, grad_out, what)
