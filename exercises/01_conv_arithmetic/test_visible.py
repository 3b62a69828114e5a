"""Tests you can run: `pytest 01_conv_arithmetic` (or `tinygrad-cnn grade` for the graded run).

The expected numbers are the lectures' own worked examples (Taller deck 001, TP557 deck 002),
worked out by hand in README.md.
"""

import pytest
from conv_arithmetic_checks import call, check_count, check_parameters, describe

from tinygrad_cnn.grading.checks import expect_raises

PADDING_ONCE = (
    "that counts the padding once; p zeros go on EACH side, so the padded input is n + 2p"
)


@pytest.mark.points(1)
def test_lecture_output_sizes(student):
    # deck 001: a 3x3 filter on a 7x7 input, stride 1, 2, then 3 (the stride that "doesn't fit")
    for stride, expected in ((1, 5), (2, 3), (3, 2)):
        got = call(student, "conv_output_size", 7, 3, stride=stride)
        what = describe("conv_output_size", 7, 3, stride=stride)
        hints = {
            3: "that rounds up; windows start at columns 0 and 3, and one starting at 6 would "
            "stick out of the input: take the floor (the last column is left unused)"
        }
        check_count(got, expected, what, hints if stride == 3 else None)
    # deck 001: the same with a border of one zero: the size is kept ("same" padding)
    got = call(student, "conv_output_size", 7, 3, padding=1)
    check_count(got, 7, describe("conv_output_size", 7, 3, padding=1), {6: PADDING_ONCE})
    # deck 001: 32 -> 28 -> 24 under 5x5 filters; deck 002: ten 5x5 layers take 240 to 200
    for n, expected in ((32, 28), (28, 24)):
        check_count(call(student, "conv_output_size", n, 5), expected, f"conv_output_size({n}, 5)")
    side = 240
    for _ in range(10):
        side = call(student, "conv_output_size", side, 5)
    check_count(side, 200, "conv_output_size(..., 5) applied ten times from 240")


@pytest.mark.points(1)
def test_the_lecture_layer_of_760_parameters(student):
    # deck 001: a 32x32x3 input, ten 5x5 filters with stride 1 and padding 2 -> 32x32x10
    got = call(student, "conv_output_size", 32, 5, stride=1, padding=2)
    what = describe("conv_output_size", 32, 5, stride=1, padding=2)
    check_count(got, 32, what, {30: PADDING_ONCE})
    got = call(student, "conv_parameters", 5, 3, 10)
    check_parameters(got, 760, 10, "conv_parameters(5, 3, 10)")


@pytest.mark.points(1)
def test_a_kernel_larger_than_the_padded_input_raises(student):
    expect_raises(
        ValueError,
        lambda: student.conv_output_size(2, 3),
        "conv_output_size(2, 3) (a 3-pixel kernel on a 2-pixel input)",
    )
    expect_raises(
        ValueError,
        lambda: student.conv_output_size(5, 3, dilation=3),
        "conv_output_size(5, 3, dilation=3) (the dilated kernel spans 7 pixels, the input 5)",
    )
    # with padding 1 the same kernel fits exactly once: 5 + 2 = 7 pixels
    got = call(student, "conv_output_size", 5, 3, padding=1, dilation=3)
    check_count(got, 1, "conv_output_size(5, 3, padding=1, dilation=3)")
