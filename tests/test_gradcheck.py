"""gradcheck itself: passes correct gradients, catches wrong ones and says where."""

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.autograd import Function


def leaf(values):
    return tg.Tensor(np.array(values, dtype=np.float64), requires_grad=True)


def test_passes_for_correct_gradients_of_any_output_shape():
    assert tg.gradcheck(lambda x: x * x, [leaf([[1.0, 2.0], [3.0, -1.0]])])
    assert tg.gradcheck(lambda x: (x * x).sum(), leaf([1.0, 2.0]))
    assert tg.gradcheck(lambda x, y: (x * y, x + y), [leaf([1.0, 2.0]), leaf([3.0, 4.0])])


def test_catches_a_path_cut_by_detach():
    with pytest.raises(
        tg.GradcheckError,
        match=r"input 0 \(shape \(3,\)\), element \(\d,\): analytic gradient .* but numeric",
    ):
        tg.gradcheck(lambda x: x.detach() * x, [leaf([1.0, 2.0, 3.0])])


def test_catches_a_wrong_backward_and_names_input_and_element():
    class WrongSquare(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            wrong = 2 * a * g
            wrong[1] = 0.0  # one element wrong
            return wrong

    with pytest.raises(tg.GradcheckError) as info:
        tg.gradcheck(lambda c, x: c * WrongSquare.apply(x), [leaf([1.0]), leaf([1.0, 2.0, 3.0])])
    message = str(info.value)
    assert "input 1 (shape (3,)), element (1,)" in message
    assert "analytic gradient 0" in message and "1 of 3 elements differ" in message


def test_float32_inputs_are_checked_in_float64():
    x = tg.Tensor([0.1, 0.2, 0.3], requires_grad=True)
    assert x.dtype == np.float32
    assert tg.gradcheck(lambda t: t.exp(), [x])
    assert x.grad is None  # the user's tensor is left alone


def test_inputs_without_requires_grad_are_constants():
    constant = tg.Tensor(np.array([2.0, 3.0]))
    assert tg.gradcheck(lambda c, x: c * x, [constant, leaf([1.0, 1.0])])
    with pytest.raises(ValueError, match="no input has requires_grad"):
        tg.gradcheck(lambda c: c * 2, [constant])


def test_tolerances_follow_pytorch_meaning():
    # numeric gradient of |x| at 1e-7 straddles the kink: analytic 1 vs numeric 0.1
    with pytest.raises(tg.GradcheckError):
        tg.gradcheck(lambda x: x.abs(), [leaf([1e-7])])
    assert tg.gradcheck(lambda x: x.abs(), [leaf([1e-7])], atol=1.0)
