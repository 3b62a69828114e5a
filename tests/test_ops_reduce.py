"""Reductions and the softmax family: forward against numpy, gradients by gradcheck."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn.testing import check_gradients, float_arrays, shapes


@st.composite
def array_and_axis(draw, distinct=False):
    """An array and an axis argument for it: None, an int (maybe negative) or a tuple."""
    a = draw(float_arrays(shapes(max_dims=3), distinct=distinct))
    axes = list(range(-a.ndim, a.ndim))
    axis = draw(
        st.one_of(
            st.none(),
            st.sampled_from(axes),
            st.lists(st.integers(0, a.ndim - 1), min_size=1, max_size=a.ndim, unique=True).map(
                tuple
            ),
        )
    )
    return a, axis, draw(st.booleans())


REDUCTIONS = [
    (lambda x, axis, k: x.sum(axis, k), np.sum, False),
    (lambda x, axis, k: x.mean(axis, k), np.mean, False),
    (lambda x, axis, k: x.max(axis, k), np.max, True),
    (lambda x, axis, k: x.min(axis, k), np.min, True),
]


@pytest.mark.parametrize("op, reference, distinct", REDUCTIONS)
@given(data=st.data())
def test_reduction_forward_and_gradient(op, reference, distinct, data):
    a, axis, keepdims = data.draw(array_and_axis(distinct=distinct))
    out = op(tg.Tensor(a), axis, keepdims)
    np.testing.assert_allclose(out.data, reference(a, axis=axis, keepdims=keepdims))
    check_gradients(lambda x: op(x, axis, keepdims), a)


@given(data=st.data())
def test_var_forward_and_gradient(data):
    a, axis, keepdims = data.draw(array_and_axis())
    count = a.size if axis is None else int(np.prod(np.array(a.shape)[np.array(axis)]))
    for correction in (0, 1):
        if count - correction <= 0:
            continue
        out = tg.Tensor(a).var(axis, keepdims, correction=correction)
        expected = np.var(a, axis=axis, keepdims=keepdims, ddof=correction)
        np.testing.assert_allclose(out.data, expected, atol=1e-12)
        check_gradients(lambda x, c=correction: x.var(axis, keepdims, correction=c), a)


def test_var_defaults_to_unbiased_like_pytorch():
    assert tg.Tensor([1.0, 3.0]).var().item() == pytest.approx(2.0)
    assert tg.Tensor([1.0, 3.0]).var(correction=0).item() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="var: reducing 1 element"):
        tg.Tensor([1.0]).var()


def test_max_splits_gradient_among_ties():
    x = tg.Tensor([1.0, 5.0, 5.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0, 0.5, 0.5])


def test_sum_worked_example():
    x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = x.sum(axis=1)
    np.testing.assert_array_equal(out.data, [3, 7])
    out.backward(np.array([10.0, 20.0]))
    np.testing.assert_array_equal(x.grad, [[10, 10], [20, 20]])


def test_argmax_gives_indices_without_gradient():
    x = tg.Tensor([[1.0, 9.0, 3.0], [7.0, 2.0, 0.0]], requires_grad=True)
    np.testing.assert_array_equal(x.argmax(axis=1).data, [1, 0])
    assert not x.argmax().requires_grad
    assert x.argmax().item() == 1


@pytest.mark.parametrize("axis", [3, -4, (0, 0), 1.5])
def test_bad_axis_is_a_clear_error(axis):
    with pytest.raises(ValueError, match="sum: axis"):
        tg.ones(2, 3, 4).sum(axis=axis)


def test_op_errors_are_prefixed_once_with_the_op_name():
    with pytest.raises(ValueError, match=r"^logsumexp: axis 5 is out of range"):
        tg.ones(2, 3).logsumexp(axis=5)


def test_max_of_empty_axis_is_a_clear_error():
    with pytest.raises(ValueError, match="max: cannot reduce an empty axis"):
        tg.zeros(0, 3).max(axis=0)


# ----------------------------------------------------------------- softmax family
@given(data=st.data())
def test_softmax_family_forward_and_gradient(data):
    a = data.draw(float_arrays(shapes(max_dims=3), min_value=-5, max_value=5))
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    shifted = np.exp(a - a.max(axis=axis, keepdims=True))
    expected = shifted / shifted.sum(axis=axis, keepdims=True)
    x = tg.Tensor(a)
    np.testing.assert_allclose(x.softmax(axis).data, expected, rtol=1e-12)
    np.testing.assert_allclose(x.log_softmax(axis).data, np.log(expected), atol=1e-12)
    lse = np.log(np.exp(a).sum(axis=axis))
    np.testing.assert_allclose(x.logsumexp(axis).data, lse, rtol=1e-12, atol=1e-12)
    check_gradients(lambda t: t.softmax(axis), a)
    check_gradients(lambda t: t.log_softmax(axis), a)
    check_gradients(lambda t: t.logsumexp(axis, keepdims=True), a)


def test_softmax_family_is_stable_for_huge_logits():
    x = tg.Tensor([1000.0, 0.0, -1000.0], requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        log_p = x.log_softmax()
        p = x.softmax()
        lse = x.logsumexp()
    np.testing.assert_array_equal(log_p.data, [0.0, -1000.0, -2000.0])
    np.testing.assert_array_equal(p.data, [1.0, 0.0, 0.0])
    assert lse.item() == 1000.0
    log_p[1].backward()
    assert np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(x.grad, [-1.0, 1.0, 0.0])


def test_logsumexp_of_all_minus_infinity_rows():
    out = tg.Tensor([[-np.inf, -np.inf], [0.0, 0.0]]).logsumexp(axis=1)
    assert out.data[0] == -np.inf
    assert out.data[1] == pytest.approx(np.log(2))


def test_softmax_worked_example():
    x = tg.Tensor([0.0, 0.0], requires_grad=True)
    x.softmax().backward(np.array([1.0, 0.0]))
    np.testing.assert_allclose(x.grad, [0.25, -0.25])
    x.grad = None
    x.log_softmax().backward(np.array([1.0, 0.0]))
    np.testing.assert_allclose(x.grad, [0.5, -0.5])
