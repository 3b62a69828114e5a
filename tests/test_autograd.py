"""The backward pass: accumulation, deep graphs, no_grad, requires_grad propagation, errors."""

import gc

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.autograd import Function, unbroadcast


def test_gradient_accumulates_across_uses_of_a_tensor():
    x = tg.Tensor(3.0, requires_grad=True)
    y = x * x + x  # dy/dx = 2x + 1 = 7
    y.backward()
    assert x.grad == pytest.approx(7.0)


def test_gradient_accumulates_across_backward_calls_until_cleared():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [6, 6])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3, 3])


def test_diamond_graph_sums_both_paths():
    x = tg.Tensor(2.0, requires_grad=True)
    a = x * 3
    b = x.exp()
    (a * b).backward()  # d/dx (3x e^x) = 3 e^x + 3x e^x
    assert x.grad == pytest.approx(3 * np.exp(2) + 6 * np.exp(2))


def test_broadcast_gradients_sum_back_to_each_shape():
    a = tg.Tensor(np.ones((2, 3, 4)), requires_grad=True)
    b = tg.Tensor(np.ones((3, 1)), requires_grad=True)
    c = tg.Tensor(2.0, requires_grad=True)
    (a * b * c).sum().backward()
    assert a.grad.shape == (2, 3, 4) and b.grad.shape == (3, 1) and c.grad.shape == ()
    np.testing.assert_array_equal(b.grad, np.full((3, 1), 16.0))
    assert c.grad == 24.0


def test_unbroadcast_documented_example():
    grad = np.ones((2, 3, 4))
    np.testing.assert_array_equal(unbroadcast(grad, (3, 1)), np.full((3, 1), 8.0))
    np.testing.assert_array_equal(unbroadcast(grad, ()), 24.0)
    assert unbroadcast(grad, (2, 3, 4)) is grad


def test_chain_of_100000_ops_backpropagates_without_recursion_error():
    x = tg.Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.sum().backward()
    assert x.grad[0] == 1.0
    del y
    gc.collect()  # freeing the long chain must not overflow the C stack either


def test_no_grad_records_nothing_and_restores():
    x = tg.Tensor([1.0], requires_grad=True)
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = x * 2
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_no_grad_as_decorator_and_nested():
    @tg.no_grad()
    def double(t):
        return t * 2

    x = tg.Tensor([1.0], requires_grad=True)
    assert not double(x).requires_grad
    with tg.no_grad():
        with tg.no_grad():
            pass
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


def test_requires_grad_propagates_and_graphs_are_only_kept_when_needed():
    w = tg.Tensor([1.0], requires_grad=True)
    c = tg.Tensor([2.0])
    assert (w * c).requires_grad and not (w * c).is_leaf
    constant = c * c
    assert not constant.requires_grad and constant._ctx is None


def test_detach_cuts_the_graph_and_shares_data():
    x = tg.Tensor([2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.data is x.data
    (x * d).sum().backward()  # d is a constant: dx = d = 2
    np.testing.assert_array_equal(x.grad, [2.0])


def test_non_scalar_backward_needs_explicit_gradient():
    x = tg.Tensor([[1.0, 2.0]], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(1, 2\), so pass grad"):
        (x * 2).backward()
    (x * 2).backward(np.array([[1.0, 10.0]]))
    np.testing.assert_array_equal(x.grad, [[2, 20]])
    with pytest.raises(
        RuntimeError, match=r"grad has shape \(2,\) but the output has shape \(1, 2\)"
    ):
        (x * 2).backward(np.ones(2))


def test_single_element_non_scalar_gets_implicit_gradient():
    x = tg.Tensor([[3.0]], requires_grad=True)
    (x * x).backward()
    assert x.grad[0, 0] == 6.0


def test_leaf_gradient_is_a_private_copy():
    a = tg.Tensor([1.0], requires_grad=True)
    b = tg.Tensor([1.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad *= 10  # must not change b.grad, although Add passed the same array to both
    assert b.grad[0] == 1.0


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(
        ValueError,
        match=r"can require gradients, got a int64 tensor of shape \(3,\)",
    ):
        tg.Tensor([1, 2, 3], requires_grad=True)
    labels = tg.Tensor([1, 2, 3])
    with pytest.raises(ValueError, match="only floating-point"):
        labels.requires_grad = True
    assert not labels.requires_grad


def test_a_custom_function_with_a_wrong_gradient_shape_is_reported():
    class Broken(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g.sum()

    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"broken: backward returned a gradient of shape \(\)"):
        Broken.apply(x).sum().backward()


def test_custom_function_participates_in_autograd():
    class Cube(Function):
        """out = a^3, dL/da = 3 a^2 g"""

        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a**3

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 3 * a**2 * g

    assert Cube.name == "cube"
    assert tg.gradcheck(
        lambda t: Cube.apply(t), [tg.Tensor(np.array([0.5, -2.0]), requires_grad=True)]
    )
