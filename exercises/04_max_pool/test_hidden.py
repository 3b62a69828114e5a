"""The grader's tests for max pooling (not given to students).

Expected values come from tinygrad_cnn: its reference max-pooling kernel for out and argmax
(the first maximum of a window wins, as in PyTorch) and its autograd through F.max_pool2d
for the gradient. Random inputs are small: N, C in {1, 2}, kernel 1 to 3, H and W up to
kernel + 4.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from max_pool_checks import (
    backward,
    check_argmax,
    check_gradient,
    check_sum_is_kept,
    describe,
    engine_forward,
    engine_gradient,
    forward,
)

from tinygrad_cnn.grading.checks import assert_close, assert_equal
from tinygrad_cnn.testing import float_arrays


def output_shape(x_shape, kernel_size, stride):
    step = kernel_size if stride is None else stride
    n, c, h, w = x_shape
    return (n, c, (h - kernel_size) // step + 1, (w - kernel_size) // step + 1)


@st.composite
def pool_cases(draw, max_stride, ties=False):
    """(x, kernel_size, stride, grad_out): stride None (= kernel_size) or 1..max_stride
    (max_stride=None: up to kernel_size, so windows touch or overlap); x has distinct values,
    or with ties=True only the values 0, 1 and 2 (many tied windows)."""
    kernel_size = draw(st.integers(1, 3))
    stride = draw(st.none() | st.integers(1, max_stride or kernel_size))
    side = st.integers(kernel_size, kernel_size + 4)
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(side), draw(side))
    if ties:
        x = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0, 2.0])))
    else:
        x = draw(float_arrays(shape, distinct=True))
    grad_out = draw(float_arrays(output_shape(shape, kernel_size, stride)))
    return x, kernel_size, stride, grad_out


@pytest.mark.points(1)
@given(case=pool_cases(max_stride=3))
def test_forward_matches_engine_on_random_shapes(student, case):
    x, kernel_size, stride, _ = case
    out, argmax = forward(student, x, kernel_size, stride)
    expected_out, expected_argmax = engine_forward(x, kernel_size, stride)
    what = describe(x.shape, kernel_size, stride)
    assert_close(out, expected_out, f"{what}: out, compared with F.max_pool2d", rtol=0, atol=0)
    check_argmax(argmax, expected_argmax, x, what)


@pytest.mark.points(1)
@given(case=pool_cases(max_stride=None))
def test_backward_matches_engine_autograd(student, case):
    x, kernel_size, stride, grad_out = case
    _, argmax = engine_forward(x, kernel_size, stride)
    grad_x, what = backward(student, grad_out, argmax, x.shape)
    expected = engine_gradient(x, kernel_size, stride, grad_out)
    what += f" (kernel_size={kernel_size}, stride={stride}), compared with autograd"
    check_gradient(grad_x, expected, grad_out, argmax, what)


@pytest.mark.points(1)
@given(case=pool_cases(max_stride=None, ties=True))
def test_gradient_sum_is_kept_with_ties_and_overlaps(student, case):
    x, kernel_size, stride, grad_out = case
    out, argmax = forward(student, x, kernel_size, stride)
    expected_out, expected_argmax = engine_forward(x, kernel_size, stride)
    what = describe(x.shape, kernel_size, stride) + " on values 0, 1, 2 (many ties)"
    assert_equal(out, expected_out, f"{what}: out")
    check_argmax(argmax, expected_argmax, x, what)
    grad_x, what = backward(student, grad_out, argmax, x.shape)
    what += f" (kernel_size={kernel_size}, stride={stride}, the argmax of the forward)"
    check_sum_is_kept(grad_x, grad_out, what)
    expected = engine_gradient(x, kernel_size, stride, grad_out)
    check_gradient(grad_x, expected, grad_out, expected_argmax, what + ", compared with autograd")


@pytest.mark.points(1)
def test_width_three_stride_one_as_in_deck_001(student):
    # deck 001 pools a row of conv outputs with width 3, stride 1; three equal rows make the
    # 3x3 window's max the row's width-3 max (and the first row wins every tie)
    row = np.array([1.0, 4.0, 2.0, 0.0, 3.0, 1.0, 0.0])
    shifted = np.concatenate([[0.0], row[:-1]])  # the same row moved one pixel right
    for values, pooled in ((row, [4.0, 4.0, 3.0, 3.0, 3.0]), (shifted, [4.0, 4.0, 4.0, 3.0, 3.0])):
        x = np.tile(values, (3, 1)).reshape(1, 1, 3, 7)
        out, _ = forward(student, x, 3, stride=1)
        what = f"max_pool_forward(three rows {values.tolist()}, kernel_size=3, stride=1): out"
        assert_equal(out, np.array(pooled).reshape(1, 1, 1, 5), what)
    x = np.tile(row, (3, 1)).reshape(1, 1, 3, 7)
    _, argmax = engine_forward(x, 3, 1)  # [1, 1, 4, 4, 4]: the 4 twice, the 3 three times
    grad_out = np.ones((1, 1, 1, 5))
    grad_x, what = backward(student, grad_out, argmax, x.shape)
    expected = np.zeros((1, 1, 3, 7))
    expected[0, 0, 0, 1], expected[0, 0, 0, 4] = 2.0, 3.0
    what += " with ones, kernel_size=3, stride=1 (the 4 is picked twice, the 3 three times)"
    check_gradient(grad_x, expected, grad_out, argmax, what)
