"""Tests you can run: `pytest 03_conv_backward` (or `tinygrad-cnn grade` for the graded run).

Every test calls the given wrapper ``conv2d_gradients(x, weight, bias, grad_out, stride,
padding)``, which runs your ``Conv2dFunction`` forward and then your ``backward``, and checks
the three gradients it returns. The expected values are worked out by hand (the example of
docs/conv.md) or by the engine: central differences of its forward pass, one element at a
time. The loss L = sum(grad_out * out) is linear in each input, so a central difference is
exact up to rounding; the tolerance (1e-6) leaves room for that rounding only.
"""

import numpy as np
import pytest
from conv_backward_checks import (
    check_all,
    check_input_gradient,
    configurations,
    gradients,
    numeric_gradients,
)
from hypothesis import given

from tinygrad_cnn.grading.checks import CheckFailed, assert_close, assert_equal

# the worked example of docs/conv.md: a 3x3 input, a 2x2 kernel, stride 1, no padding
X = np.arange(9.0).reshape(1, 1, 3, 3)  # [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
WEIGHT = np.array([[[[0.0, 1.0], [2.0, 3.0]]]])
BIAS = np.zeros(1)
ONES = np.ones((1, 1, 2, 2))  # grad_out: dL/dout for L = the sum of the outputs
WORKED = "conv2d_gradients(x = [[0,1,2],[3,4,5],[6,7,8]], weight = [[0,1],[2,3]], g = ones)"


@pytest.mark.points(1)
def test_worked_example_weight_and_bias(student):
    _, grad_weight, grad_bias = gradients(student, X, WEIGHT, BIAS, ONES, 1, 0)
    # tap (i, j) read the 2x2 sub-grid of x starting at (i, j): 0+1+3+4, 1+2+4+5, ...
    expected = np.array([[[[8.0, 12.0], [20.0, 24.0]]]])
    assert_equal(grad_weight, expected, f"{WORKED}: grad_weight (sums of 2x2 sub-grids of x)")
    assert_equal(grad_bias, np.array([4.0]), f"{WORKED}: grad_bias (the sum of g)")


@pytest.mark.points(1)
def test_worked_example_input_gradient(student):
    grad_x, _, _ = gradients(student, X, WEIGHT, BIAS, ONES, 1, 0)
    # corner (0, 0): only tap (0, 0) of the first window reads it -> weight[0, 0] = 0;
    # centre (1, 1): every window reads it, through a different tap -> 0 + 1 + 2 + 3 = 6
    expected = np.array([[[[0.0, 1.0, 1.0], [2.0, 6.0, 4.0], [2.0, 5.0, 3.0]]]])
    check_input_gradient(grad_x, expected, X, WEIGHT, BIAS, ONES, 1, 0, f"{WORKED}: grad_x")


@pytest.mark.points(1)
def test_bias_gradient_sums_over_batch_and_positions(student):
    x = np.linspace(-1.0, 1.0, 24).reshape(2, 1, 3, 4)
    weight = np.linspace(0.5, -0.5, 12).reshape(3, 1, 2, 2)
    bias = np.array([0.1, 0.2, 0.3])
    grad_out = np.arange(36.0).reshape(2, 3, 2, 3)  # N = 2 images, F = 3 filters, 2x3 outputs
    _, _, grad_bias = gradients(student, x, weight, bias, grad_out, 1, 0)
    what = "conv2d_gradients(x (2, 1, 3, 4), weight (3, 1, 2, 2), ...): grad_bias"
    expected = grad_out.sum(axis=(0, 2, 3))
    for name, wrong in (
        ("the first image only", grad_out[0].sum(axis=(1, 2))),
        ("the mean over the batch", grad_out.sum(axis=(2, 3)).mean(axis=0)),
    ):
        if np.allclose(grad_bias, wrong) and not np.allclose(wrong, expected):
            raise CheckFailed(
                f"{what} is {grad_bias.tolist()}, the sum of grad_out over {name}; expected "
                f"{expected.tolist()}: every image and every position of filter f adds "
                f"bias[f], so grad_bias[f] sums grad_out[:, f] over N, OH and OW"
            )
    assert_close(grad_bias, expected, what + " vs grad_out.sum(axis=(0, 2, 3))")


@pytest.mark.points(2)
@given(case=configurations(max_stride=2, max_padding=1))
def test_gradients_match_central_differences(student, case):
    x, weight, bias, grad_out, stride, padding = case
    got = gradients(student, x, weight, bias, grad_out, stride, padding)
    expected = numeric_gradients(x, weight, bias, grad_out, stride, padding)
    check_all(got, expected, x, weight, bias, grad_out, stride, padding, "central differences")
