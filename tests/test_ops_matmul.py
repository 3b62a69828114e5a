"""matmul: 1-D, 2-D and batched with broadcasting; forward against numpy, gradcheck."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn.testing import broadcastable_shapes, check_gradients, float_arrays


@st.composite
def matmul_operands(draw):
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    batch_a, batch_b = draw(broadcastable_shapes(max_dims=2, max_side=3))
    a_shape = draw(st.sampled_from([(k,), batch_a + (n, k)]))
    b_shape = draw(st.sampled_from([(k,), batch_b + (k, m)]))
    return draw(float_arrays(a_shape)), draw(float_arrays(b_shape))


@given(operands=matmul_operands())
def test_matmul_forward_and_gradient(operands):
    a, b = operands
    np.testing.assert_allclose((tg.Tensor(a) @ tg.Tensor(b)).data, a @ b, rtol=1e-12)
    check_gradients(lambda x, y: x @ y, a, b)


def test_matmul_worked_example():
    a = tg.Tensor([[1.0, 2.0]], requires_grad=True)
    b = tg.Tensor([[3.0], [4.0]], requires_grad=True)
    out = a @ b
    assert out.item() == 11.0
    out.backward()
    np.testing.assert_array_equal(a.grad, [[3, 4]])
    np.testing.assert_array_equal(b.grad, [[1], [2]])


def test_shared_weight_gets_every_batch_gradient():
    x = tg.Tensor(np.ones((5, 2, 3)))
    w = tg.Tensor(np.ones((3, 4)), requires_grad=True)
    (x @ w).sum().backward()
    np.testing.assert_array_equal(w.grad, np.full((3, 4), 10.0))


def test_matmul_errors_name_both_shapes():
    with pytest.raises(
        ValueError, match=r"matmul: \(2, 3\) @ \(4, 5\): inner sizes 3 and 4 differ"
    ):
        tg.ones(2, 3) @ tg.ones(4, 5)
    with pytest.raises(ValueError, match=r"batch shapes \(2,\) and \(3,\) do not broadcast"):
        tg.ones(2, 1, 3) @ tg.ones(3, 3, 1)
    with pytest.raises(ValueError, match="at least 1 axis"):
        tg.Tensor(2.0) @ tg.ones(3)
