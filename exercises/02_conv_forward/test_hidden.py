"""The grader's tests for the convolution forward pass (not given to students).

Expectations: deck 000's 5x5x3 example recomputed as a cross-correlation (the deck's tables
are those of the kernels rotated by 180 degrees, see README.md), and otherwise the engine's
F.conv2d on the same arrays.
"""

import numpy as np
import pytest
from conv_forward_checks import check_conv
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_cnn.grading.checks import assert_equal
from tinygrad_cnn.testing import float_arrays

# deck 000 (cs231n's demo): x[:, :, c] and w0[:, :, c] in the deck are x[0, c] and w[0, c] here
X000 = np.array(
    [
        [[6, 3, 4, 6, 2], [7, 4, 4, 6, 1], [2, 6, 2, 2, 7], [4, 3, 7, 7, 2], [5, 4, 1, 7, 3]],
        [[5, 5, 1, 7, 3], [4, 0, 3, 1, 5], [4, 3, 0, 0, 2], [2, 6, 1, 7, 3], [3, 7, 6, 5, 5]],
        [[6, 5, 2, 3, 6], [3, 7, 0, 2, 4], [2, 6, 4, 0, 6], [1, 3, 0, 3, 5], [1, 1, 0, 1, 4]],
    ],
    float,
).reshape(1, 3, 5, 5)
W000 = np.array(
    [
        [[-1, 1, 1], [1, 1, 2], [0, -2, 1]],
        [[-1, 1, -1], [-1, 1, 2], [-1, -1, 1]],
        [[-1, -1, 1], [1, -2, 2], [2, -1, 2]],
    ],
    float,
).reshape(1, 3, 3, 3)
B000 = np.array([1.0])  # the deck's b0
PER_CHANNEL_000 = np.array(  # x[0, c] cross-correlated with w[0, c], padding 1
    [
        [[2, 13, 17, 3, 6], [26, 10, 25, 19, -11], [20, 14, 11, 9, 0], [12, 20, 27, 14, 8],
         [20, 17, 30, 16, 5]],
        [[11, 1, 8, 13, -10], [3, -6, -9, 13, -2], [18, -15, -1, -8, -4], [19, 1, -2, 4, -12],
         [13, 19, -3, 12, -4]],
        [[9, -1, 25, 14, -9], [17, -14, 15, 25, -21], [17, -13, 5, 25, -17], [9, -8, 3, 13, -15],
         [2, -5, 3, 8, -15]],
    ],
    float,
)  # fmt: skip
V000 = np.array(  # the sum of the three tables plus b0 = 1 (the deck's v[:, :, 0])
    [
        [23, 14, 51, 31, -12],
        [47, -9, 32, 58, -33],
        [56, -13, 16, 27, -20],
        [41, 14, 29, 32, -18],
        [36, 32, 31, 37, -13],
    ],
    float,
)


@pytest.mark.points(1)
def test_lecture_000_padding_channels_and_bias(student):
    for c in range(3):
        x, w = X000[:, c : c + 1], W000[:, c : c + 1]
        what = f"conv2d_loops(x[:, {c}:{c + 1}], w[:, {c}:{c + 1}], padding=1) (channel {c})"
        check_conv(
            student, x, w, padding=1, expected=PER_CHANNEL_000[c].reshape(1, 1, 5, 5), what=what
        )
    what = "conv2d_loops(x (1, 3, 5, 5), w (1, 3, 3, 3), b=[1], padding=1) (deck 000's v[:, :, 0])"
    check_conv(student, X000, W000, B000, padding=1, expected=V000.reshape(1, 1, 5, 5), what=what)


@st.composite
def convolutions(draw):
    """(x, w, b, stride, padding) with small random shapes, the kernel fitting the padded x."""
    n, c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    height, width = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    padding, stride = draw(st.integers(0, 2)), draw(st.integers(1, 3))
    kh = draw(st.integers(1, min(4, height + 2 * padding)))
    kw = draw(st.integers(1, min(4, width + 2 * padding)))
    x = draw(float_arrays((n, c_in, height, width)))
    w = draw(float_arrays((c_out, c_in, kh, kw)))
    b = draw(st.none() | float_arrays((c_out,)))
    return x, w, b, stride, padding


@pytest.mark.points(2)
@given(case=convolutions())
def test_agrees_with_the_engine(student, case):
    x, w, b, stride, padding = case
    check_conv(student, x, w, b, stride=stride, padding=padding)


@pytest.mark.points(1)
def test_each_image_and_filter_gets_its_own_output_and_bias(student):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 2, 5, 4))
    w = np.zeros((3, 2, 3, 3))
    w[0] = 1.0  # the sum over each window
    w[1, 0, 1, 1], w[1, 1, 1, 1] = 2.0, -1.0  # the centre only: 2 x[0] - x[1]
    w[2, :, 1, :], w[2, :, :, 1] = 0.5, 0.5  # a cross, as deck 001's blur
    b = np.array([1.0, -2.0, 0.5])
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)))
    assert_equal(student.zero_pad(x, 2), padded, "zero_pad(x of shape (2, 2, 5, 4), 2)")
    check_conv(student, x, w, b, padding=1)
    check_conv(student, x, w, None, padding=1)
    check_conv(student, x, w, np.zeros(3), stride=2)


@pytest.mark.points(1)
def test_lecture_blur_keeps_the_size_with_padding_one(student):
    # deck 001: a 7x7 patch of a grey image, averaged over a cross of 5 pixels
    u = np.array(
        [
            [130, 136, 53, 44, 231, 67, 108],
            [130, 89, 77, 58, 250, 154, 130],
            [208, 239, 120, 111, 112, 181, 22],
            [203, 223, 59, 79, 28, 57, 67],
            [164, 140, 215, 235, 66, 30, 204],
            [97, 159, 50, 110, 104, 76, 7],
            [207, 150, 58, 47, 152, 81, 237],
        ],
        float,
    )
    h = np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 0.0]]) / 5
    expected = np.array(
        [
            [79.2, 81.6, 62.0, 77.2, 118.4, 112.0, 61.0],
            [111.4, 134.2, 79.4, 108.0, 161.0, 156.4, 82.8],
            [156.0, 175.8, 121.2, 96.0, 136.4, 105.2, 80.0],
            [159.6, 172.8, 139.2, 102.4, 68.4, 72.6, 70.0],  # the row the deck leaves out
            [120.8, 180.2, 139.8, 141.0, 92.6, 86.6, 61.6],
            [125.4, 119.2, 118.4, 109.2, 101.6, 59.6, 104.8],
            [90.8, 114.8, 61.0, 73.4, 76.8, 109.2, 65.0],
        ]
    )
    check_conv(
        student,
        u.reshape(1, 1, 7, 7),
        h.reshape(1, 1, 3, 3),
        padding=1,
        expected=expected.reshape(1, 1, 7, 7),
    )
