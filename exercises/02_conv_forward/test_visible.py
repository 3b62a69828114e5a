"""Tests you can run: `pytest 02_conv_forward` (or `tinygrad-cnn grade` for the graded run).

The expected outputs are the lectures' tables, computed by hand in README.md (decks 002 and
004). Arrays are NCHW: x[n, c] is image n's channel c, w[f, c] filter f's kernel for
channel c.
"""

import numpy as np
import pytest
from conv_forward_checks import check_conv

from tinygrad_cnn.grading.checks import assert_equal

LECTURE_KERNEL = np.array([[0.0, 1.0], [2.0, 3.0]])  # deck 002's 2x2 kernel


@pytest.mark.points(1)
def test_zero_pad_adds_a_border_of_zeros(student):
    x = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)  # [[1, 2, 3], [4, 5, 6]]
    expected = np.array(
        [
            [0, 0, 0, 0, 0],
            [0, 1, 2, 3, 0],
            [0, 4, 5, 6, 0],
            [0, 0, 0, 0, 0],
        ],
        float,
    ).reshape(1, 1, 4, 5)  # (N, C, H + 2p, W + 2p)
    assert_equal(student.zero_pad(x, 1), expected, "zero_pad(x of shape (1, 1, 2, 3), 1)")
    x = np.arange(24.0).reshape(2, 3, 2, 2)  # every image and channel gets its own border
    got = student.zero_pad(x, 2)
    expected = np.zeros((2, 3, 6, 6))
    expected[:, :, 2:4, 2:4] = x
    assert_equal(got, expected, "zero_pad(x of shape (2, 3, 2, 2), 2)")
    assert_equal(student.zero_pad(x, 0), x, "zero_pad(x, 0) (nothing to add)")


@pytest.mark.points(1)
def test_lecture_one_channel(student):
    x = np.arange(9.0).reshape(1, 1, 3, 3)  # [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    w = LECTURE_KERNEL.reshape(1, 1, 2, 2)
    expected = np.array([[19.0, 25.0], [37.0, 43.0]]).reshape(1, 1, 2, 2)
    check_conv(student, x, w, expected=expected)  # out has shape (N, C_out, H_out, W_out)


@pytest.mark.points(1)
def test_lecture_stride_two(student):
    x = np.array([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1], [2, 3, 4, 5]], float)
    w = LECTURE_KERNEL.reshape(1, 1, 2, 2)
    expected = np.array([[24.0, 36.0], [22.0, 24.0]]).reshape(1, 1, 2, 2)
    check_conv(student, x.reshape(1, 1, 4, 4), w, stride=2, expected=expected)


@pytest.mark.points(1)
def test_lecture_three_channels(student):
    x = np.array(
        [
            [[0, 1, 2], [3, 4, 5], [6, 7, 8]],
            [[3, 1, 5], [0, 2, 7], [8, 4, 9]],
            [[9, 2, 3], [3, 1, 4], [8, 0, 5]],
        ],
        float,
    ).reshape(1, 3, 3, 3)
    w = np.array([[[0, 1], [2, 3]], [[5, 6], [1, 0]], [[1, 3], [4, 2]]], float).reshape(1, 3, 2, 2)
    expected = np.array([[69.0, 85.0], [95.0, 122.0]]).reshape(1, 1, 2, 2)  # summed over c
    check_conv(student, x, w, expected=expected)


@pytest.mark.points(1)
def test_lecture_vertical_edge_detector(student):
    image = np.array([[10.0, 10.0, 10.0, 0.0, 0.0, 0.0]] * 6)  # bright left, dark right
    kernel = np.array([[1.0, 0.0, -1.0]] * 3)  # deck 004: left column minus right column
    expected = np.array([[0.0, 30.0, 30.0, 0.0]] * 4)  # the edge lights up in the middle
    check_conv(
        student,
        image.reshape(1, 1, 6, 6),
        kernel.reshape(1, 1, 3, 3),
        expected=expected.reshape(1, 1, 4, 4),
    )
