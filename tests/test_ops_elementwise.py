"""Elementwise ops: forward against numpy, gradients by gradcheck, over hypothesis shapes."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_cnn as tg
from tinygrad_cnn.testing import (
    broadcastable_shapes,
    check_gradients,
    float_arrays,
    non_contiguous_arrays,
    shapes,
)


def pair(min_value=-3.0, max_value=3.0, **kwargs):
    """Two float64 arrays of broadcast-compatible shapes."""
    return broadcastable_shapes().flatmap(
        lambda s: st.tuples(
            float_arrays(s[0], min_value=min_value, max_value=max_value, **kwargs),
            float_arrays(s[1], min_value=min_value, max_value=max_value, **kwargs),
        )
    )


BINARY = [
    (lambda a, b: a + b, np.add),
    (lambda a, b: a - b, np.subtract),
    (lambda a, b: a * b, np.multiply),
    (tg.maximum, np.maximum),
    (tg.minimum, np.minimum),
]


@pytest.mark.parametrize("op, reference", BINARY)
@given(arrays=pair())
def test_binary_forward_and_gradient_with_broadcasting(op, reference, arrays):
    a, b = arrays
    out = op(tg.Tensor(a), tg.Tensor(b))
    np.testing.assert_allclose(out.data, reference(a, b))
    if op in (tg.maximum, tg.minimum):  # keep the two inputs apart: ties are kinks
        b = np.where(np.abs(a - b) < 1e-3, b + 0.5, b)
    check_gradients(op, a, b)


@given(arrays=pair(min_value=0.5, max_value=3.0))
def test_div_forward_and_gradient(arrays):
    a, b = arrays
    np.testing.assert_allclose((tg.Tensor(a) / tg.Tensor(b)).data, a / b)
    check_gradients(lambda x, y: x / y, a, b)


@given(arrays=pair(min_value=0.5, max_value=2.0))
def test_pow_tensor_exponent(arrays):
    a, b = arrays
    np.testing.assert_allclose((tg.Tensor(a) ** tg.Tensor(b)).data, a**b)
    check_gradients(lambda x, y: x**y, a, b)


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1, -2.5])
@given(a=float_arrays(shapes(), min_value=0.2, max_value=3.0))
def test_pow_scalar_exponent(exponent, a):
    np.testing.assert_allclose((tg.Tensor(a) ** exponent).data, a**exponent)
    check_gradients(lambda x: x**exponent, a)


def test_pow_worked_example_and_edge_cases():
    a = tg.Tensor(3.0, requires_grad=True)
    b = tg.Tensor(2.0, requires_grad=True)
    (a**b).backward()
    assert a.grad == pytest.approx(6.0)
    assert b.grad == pytest.approx(9 * np.log(3))
    zero = tg.Tensor([0.0], requires_grad=True)
    (zero**0).sum().backward()  # d/da a^0 = 0, not 0 * inf
    assert zero.grad[0] == 0.0
    base = tg.Tensor([2.0], requires_grad=True)
    (2.0**base).sum().backward()  # scalar base, tensor exponent (__rpow__)
    assert base.grad[0] == pytest.approx(4 * np.log(2))


UNARY = [
    (lambda x: x.exp(), np.exp, dict()),
    (lambda x: x.log(), np.log, dict(min_value=0.1)),
    (lambda x: x.sqrt(), np.sqrt, dict(min_value=0.1)),
    (lambda x: x.abs(), np.abs, dict(avoid=(0.0,))),
    (lambda x: -x, np.negative, dict()),
    (lambda x: x.relu(), lambda a: np.maximum(a, 0), dict(avoid=(0.0,))),
    (lambda x: x.leaky_relu(0.1), lambda a: np.where(a > 0, a, 0.1 * a), dict(avoid=(0.0,))),
    (lambda x: x.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), dict()),
    (lambda x: x.tanh(), np.tanh, dict()),
    (lambda x: x.clip(-1.0, 1.5), lambda a: np.clip(a, -1.0, 1.5), dict(avoid=(-1.0, 1.5))),
    (lambda x: x.clip(min=0.5), lambda a: np.maximum(a, 0.5), dict(avoid=(0.5,))),
]


@pytest.mark.parametrize("op, reference, bounds", UNARY)
@given(data=st.data())
def test_unary_forward_and_gradient(op, reference, bounds, data):
    a = data.draw(float_arrays(shapes(), **bounds))
    np.testing.assert_allclose(op(tg.Tensor(a)).data, reference(a), rtol=1e-12)
    check_gradients(op, a)


@pytest.mark.parametrize("op, reference, bounds", UNARY)
@given(data=st.data())
def test_unary_on_non_contiguous_input(op, reference, bounds, data):
    a = data.draw(non_contiguous_arrays(shapes(), **bounds))
    assert not a.flags.c_contiguous or a.size <= 1
    np.testing.assert_allclose(op(tg.Tensor(a)).data, reference(a), rtol=1e-12)
    check_gradients(op, a)


@given(
    arrays=broadcastable_shapes(num_shapes=3).flatmap(
        lambda s: st.tuples(st.just(s[0]), float_arrays(s[1]), float_arrays(s[2]))
    )
)
def test_where_routes_gradient(arrays):
    condition_shape, x, y = arrays
    condition = np.arange(int(np.prod(condition_shape))).reshape(condition_shape) % 3 == 0
    out = tg.where(condition, tg.Tensor(x), tg.Tensor(y))
    np.testing.assert_array_equal(out.data, np.where(condition, x, y))
    check_gradients(lambda a, b: tg.where(condition, a, b), x, y)


def test_where_rejects_non_boolean_condition():
    with pytest.raises(ValueError, match="where: condition must be boolean"):
        tg.where(tg.Tensor([1.0, 0.0]), tg.Tensor([1.0, 2.0]), 0.0)


def test_maximum_splits_gradient_on_ties():
    a = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = tg.Tensor([1.0, 5.0, 0.0], requires_grad=True)
    tg.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad, [0.5, 1.0, 0.0])


@given(
    data=st.data(),
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple),
)
def test_relu_split_over_threads_equals_numpy(data, shape):
    """In a training loop ReLU splits its batch over the threads (every array here: SPLIT_FROM
    0); values, NaNs and gradients are those of the one-piece numpy formulas."""
    from tinygrad_cnn.kernels import runtime

    values = st.one_of(st.floats(-3, 3), st.just(0.0), st.just(np.nan))
    a = data.draw(hnp.arrays(np.float32, shape, elements=values))
    g = data.draw(hnp.arrays(np.float32, shape, elements=st.floats(-3, 3, width=32)))
    with pytest.MonkeyPatch.context() as patch, tg.tuned_for_training():
        patch.setattr(runtime, "SPLIT_FROM", 0)
        x = tg.Tensor(a, requires_grad=True)
        out = x.relu()
        out.backward(g)
    np.testing.assert_array_equal(out.data, np.maximum(a, 0))
    np.testing.assert_array_equal(x.grad, np.where(a <= 0, 0, g))


@given(
    data=st.data(),
    dtype=st.sampled_from([np.float32, np.float64]),
    shape=st.lists(st.integers(1, 6), min_size=1, max_size=4).map(tuple),
)
def test_fast_relu_backward_equals_the_reference(data, dtype, shape):
    """The one-pass kernel gives the reference's gradient exactly: 0 at a <= 0 (-0.0 and -inf
    too) whatever g holds there (NaN, inf), g at a > 0 and at NaN."""
    from tinygrad_cnn.kernels import fast, reference

    specials = st.sampled_from([0.0, -0.0, np.inf, -np.inf, np.nan])
    values = st.one_of(st.floats(-3, 3, width=32), specials)
    a = data.draw(hnp.arrays(dtype, shape, elements=values))
    g = data.draw(hnp.arrays(dtype, shape, elements=values))
    expected = reference.relu_backward(a, g)
    got = fast.relu_backward(a, g)
    assert got.dtype == expected.dtype == dtype
    np.testing.assert_array_equal(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))  # -0.0 where g is -0.0
    masked = ~np.isnan(a) & (a <= 0)
    assert np.all(got[masked] == 0) and np.array_equal(got[~masked], g[~masked], equal_nan=True)


def test_kink_conventions_match_pytorch():
    x = tg.Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 0, 1])
    x.grad = None
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad, [-1, 0, 1])
    x.grad = None
    x.clip(0.0, 2.0).sum().backward()  # the bounds themselves pass the gradient
    np.testing.assert_array_equal(x.grad, [0, 1, 1])
    x.grad = None
    x.leaky_relu(0.2).sum().backward()
    np.testing.assert_allclose(x.grad, [0.2, 0.2, 1])


def test_sigmoid_is_stable_for_huge_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        out = tg.Tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
        s = out.sigmoid()
    np.testing.assert_array_equal(s.data, [0.0, 0.5, 1.0])
    s.sum().backward()
    np.testing.assert_array_equal(out.grad, [0.0, 0.25, 0.0])


def test_sigmoid_derivative_is_at_most_a_quarter():
    x = tg.Tensor(np.linspace(-10, 10, 1001), requires_grad=True)
    x.sigmoid().sum().backward()
    assert x.grad.max() == pytest.approx(0.25)
    assert np.all(x.grad <= 0.25)


def test_scalars_on_either_side_keep_float32():
    x = tg.Tensor([1.0, 2.0])
    for out in (x + 1, 1 + x, x - 1.5, 1.5 - x, x * 2, 2 * x, x / 2, 2 / x, x**2, 2**x, -x):
        assert out.dtype == np.float32
    np.testing.assert_allclose((3 - x).data, [2, 1])
    np.testing.assert_allclose((2 / x).data, [2, 1])


def test_numpy_array_on_the_left_uses_our_operators():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    out = np.array([3.0, 4.0]) * x
    assert isinstance(out, tg.Tensor)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [3, 4])


def test_float_ops_on_integer_tensors_give_float32():
    labels = tg.Tensor([1, 4])
    assert labels.dtype == np.int64
    assert labels.sqrt().dtype == np.float32
    assert (labels / 2).dtype == np.float32
    np.testing.assert_allclose((labels / 2).data, [0.5, 2.0])
    assert (labels + 1).dtype == np.int64


def test_broadcasting_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"mul: inputs of shape \(2, 3\), \(4,\)"):
        tg.ones(2, 3) * tg.ones(4)
