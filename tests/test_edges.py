"""Correctness at the edges (issue 15): each test pins a case where the engine once differed
from PyTorch. The expected values were computed with PyTorch 2.13 and are written out here,
so these tests run without it."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import nn
from tinygrad_cnn.testing import check_gradients, float_arrays

NAN, INF = float("nan"), float("inf")


def leaf(values, dtype=np.float32):
    return tg.Tensor(np.array(values, dtype=dtype), requires_grad=True)


# ----------------------------------------------------------------- bugs
def test_bug1_permute_with_negative_dims_has_the_right_gradient():
    x = leaf(np.zeros((2, 2, 2)))
    (x.permute(-1, 0, 1) * tg.arange(8).reshape(2, 2, 2)).sum().backward()
    np.testing.assert_array_equal(x.grad.ravel(), [0, 4, 1, 5, 2, 6, 3, 7])
    x = leaf(np.zeros((2, 3, 4)))
    (x.permute(-1, 0, -2) * tg.arange(24).reshape(4, 2, 3)).sum().backward()
    assert x.grad.shape == (2, 3, 4)
    np.testing.assert_array_equal(x.grad, np.arange(24).reshape(4, 2, 3).transpose(1, 2, 0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bug2_binary_cross_entropy_at_0_and_1_has_a_finite_gradient(dtype):
    p = leaf([0.0, 0.0, 1.0, 1.0, 0.5], dtype)
    t = tg.Tensor(np.array([1.0, 0.0, 1.0, 0.0, 1.0], dtype))
    loss = F.binary_cross_entropy(p, t, reduction="none")
    loss.sum().backward()
    np.testing.assert_allclose(loss.data, [100, 0, 0, 100, np.log(2)], rtol=1e-6)
    np.testing.assert_allclose(p.grad, [-1e12, 0, 0, 1e12, -2], rtol=1e-6)
    assert loss.dtype == dtype and p.grad.dtype == dtype


def test_bug2_binary_cross_entropy_gradient_in_the_target():
    p, t = leaf([0.2, 0.3, 0.7], np.float64), leaf([1.0, 0.4, 0.0], np.float64)
    loss = F.binary_cross_entropy(p, t)
    loss.backward()
    np.testing.assert_allclose(loss.item(), 1.169668, rtol=1e-6)
    np.testing.assert_allclose(p.grad, [-1.666667, -0.158730, 1.111111], rtol=1e-5)
    np.testing.assert_allclose(t.grad, [0.4620981, 0.2824326, -0.2824326], rtol=1e-5)


def test_bug3_cross_entropy_with_minus_inf_on_another_class():
    z = leaf([[0.0, -INF, 1.0]])
    loss = F.cross_entropy(z, [2])
    loss.backward()
    np.testing.assert_allclose(loss.item(), 0.3132617, rtol=1e-6)
    np.testing.assert_allclose(z.grad, [[0.2689414, 0.0, -0.2689414]], rtol=1e-6)
    z = leaf([[0.0, -INF, 1.0]])  # the -inf class is the target: an infinite loss, as torch
    loss = F.cross_entropy(z, [1])
    loss.backward()
    assert loss.item() == INF
    np.testing.assert_allclose(z.grad, [[0.2689414, -1.0, 0.7310586]], rtol=1e-6)


def test_bug4_bool_tensor_with_a_python_int_becomes_int():
    m = tg.Tensor([True, False])
    assert (m * 2).tolist() == [2, 0] and (m * 2).dtype == np.int64
    assert (m + 1).tolist() == [2, 1] and (1 + m).dtype == np.int64
    assert (m + True).tolist() == [True, True] and (m + True).dtype == bool
    assert (m * 2.5).dtype == np.float32


def test_bug5_int_tensor_with_a_python_float_is_float32():
    assert (tg.Tensor([1, 2]) * 2.5).dtype == np.float32
    assert (tg.Tensor([1, 2]) * 2.5).tolist() == [2.5, 5.0]
    assert tg.maximum(tg.Tensor([1, 2]), 0.5).dtype == np.float32
    assert tg.Tensor([1, 2]).maximum(0.5).dtype == np.float32
    assert (2.5 / tg.Tensor([1, 2])).dtype == np.float32


@pytest.mark.parametrize("other", [None, "a", object()])
def test_bug6_and_errors_adding_a_non_number_is_a_type_error(other):
    x = tg.ones(2)
    with pytest.raises(TypeError, match=r"^add: cannot combine a Tensor with"):
        x + other
    with pytest.raises(TypeError, match=r"^add: cannot combine a Tensor with"):
        other + x
    with pytest.raises(TypeError, match=r"^mul: "):
        x * other
    assert (x == other) is False and (x != other) is True  # identity, as Python does


def test_bug7_expand_refuses_minus_one_on_a_new_leading_axis():
    for shape in [(-1, 3), (-1, -1, 3)]:
        with pytest.raises(ValueError, match=r"^expand: cannot expand shape \(3,\)"):
            tg.arange(3).expand(*shape)
    assert tg.arange(3).reshape(3, 1).expand(2, -1, 4).shape == (2, 3, 4)


def test_bug8_binary_cross_entropy_with_logits_gives_the_target_a_gradient():
    x, t = leaf([0.3, -2.0]), leaf([0.2, 0.9])
    F.binary_cross_entropy_with_logits(x, t).backward()
    np.testing.assert_allclose(t.grad, [-0.15, 1.0], rtol=1e-6)
    np.testing.assert_allclose(x.grad, [0.1872213, -0.3903985], rtol=1e-5)


def test_bug9_dropout_refuses_integer_input():
    with pytest.raises(TypeError, match=r"^dropout: input must be floating point, got a int64"):
        F.dropout(tg.Tensor([1, 2, 3]), 0.5)
    assert F.dropout(tg.Tensor([1, 2, 3]), 0.5, training=False).tolist() == [1, 2, 3]


# ----------------------------------------------------------------- dtype promotion
@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: tg.ones(2) + tg.Tensor([1, 2]), np.float32),  # float keeps against int
        (lambda: tg.ones(2) + tg.Tensor([True, False]), np.float32),
        (lambda: tg.ones(2) + tg.Tensor(1.0, dtype=np.float64), np.float32),  # 0-d
        (lambda: tg.ones(2) * np.float64(2.0), np.float32),  # a numpy scalar is a number
        (lambda: tg.ones(2) + np.ones(2), np.float64),  # two float arrays: the wider
        (lambda: tg.ones(2, dtype=np.float64) + tg.ones(2), np.float64),
        (lambda: tg.ones(2) @ tg.ones(2, dtype=np.float64), np.float64),
        (lambda: tg.Tensor([1, 2]) + tg.Tensor(1.0, dtype=np.float64), np.float64),
        (lambda: tg.Tensor([1, 2], dtype=np.int32) + 5, np.int32),
        (lambda: tg.Tensor([1, 2], dtype=np.int32) + tg.Tensor([1, 2]), np.int64),
        (lambda: tg.Tensor([1, 2], dtype=np.uint8) + tg.Tensor(5), np.uint8),
        (lambda: tg.Tensor([2, 3]) ** 2, np.int64),  # int ** int stays int
        (lambda: tg.Tensor([2, 3]) ** 2.0, np.float32),
        (lambda: 2.0 ** tg.Tensor([2, 3]), np.float32),
        (lambda: tg.Tensor([2, 3]) / tg.Tensor([1, 2]), np.float32),
        (lambda: tg.where(tg.Tensor([True, False]), tg.ones(2), 0.0), np.float32),
        (lambda: tg.ones(2) + [1, 2], np.float32),
        (lambda: tg.cat([tg.ones(2), tg.Tensor([1, 2])]), np.float32),
        (lambda: tg.Tensor([1, 2]).clip(0.5), np.float32),
        (lambda: tg.Tensor([1, 2]).clip(0, 1), np.int64),
        (lambda: tg.ones(2).clip(np.float64(0.5)), np.float32),
        (lambda: tg.stack([tg.Tensor([1, 2]), tg.ones(2, dtype=np.float64)]), np.float64),
    ],
)
def test_dtype_promotion_follows_pytorch(make, expected):
    assert make().dtype == expected


def test_a_float32_model_stays_float32_and_gradients_keep_their_dtype():
    w = leaf([1.0, 2.0])
    out = (w * tg.Tensor([3, 4]) + tg.Tensor(0.5, dtype=np.float64) - 1).relu() ** 2 / 2
    assert out.dtype == np.float32
    out.sum().backward()
    assert w.grad.dtype == np.float32
    w64 = leaf([1.0, 2.0], np.float64)  # float32 meeting float64 becomes float64, and back
    (w * w64).sum().backward()
    assert w.grad.dtype == np.float32 and w64.grad.dtype == np.float64


def test_integer_to_a_negative_integer_power_is_refused():
    assert (tg.Tensor([2, 3]) ** 2).tolist() == [4, 9]
    with pytest.raises(ValueError, match=r"^pow: integer tensors \(2,\) \(int64\) to negative"):
        tg.Tensor([2, 3]) ** -1
    assert (tg.Tensor([2, 4]).float() ** -1).tolist() == [0.5, 0.25]


# ----------------------------------------------------------------- NaN and infinities
def test_nan_passes_its_gradient_through_relu():
    x = leaf([NAN, -1.0, 1.0])
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 1.0])


def test_relu_stops_even_an_infinite_or_nan_gradient_where_its_input_is_not_positive():
    """As PyTorch (checked with torch 2.13: tensor([0., 0., inf])): the gradient is chosen,
    not multiplied by a 0/1 mask, so inf * 0 gives no NaN."""
    for dtype in (np.float32, np.float64):
        x = tg.Tensor(np.array([-1.0, 0.0, 2.0], dtype), requires_grad=True)
        x.relu().backward(np.array([np.inf, NAN, np.inf], dtype))
        np.testing.assert_array_equal(x.grad, [0.0, 0.0, np.inf])


def test_nan_wins_maximum_and_minimum():
    for op in (tg.maximum, tg.minimum):
        a, b = leaf([NAN, 1.0, 2.0, NAN]), leaf([0.0, NAN, 2.0, NAN])
        out = op(a, b)
        out.sum().backward()
        np.testing.assert_array_equal(np.isnan(out.data), [True, True, False, True])
        np.testing.assert_array_equal(a.grad, [1.0, 0.0, 0.5, 0.5])
        np.testing.assert_array_equal(b.grad, [0.0, 1.0, 0.5, 0.5])


def test_nan_gets_the_gradient_of_max_and_min():
    for reduce in ("max", "min"):
        x = leaf([NAN, 1.0, 3.0])
        getattr(x, reduce)().backward()
        np.testing.assert_array_equal(x.grad, [1.0, 0.0, 0.0])
        x = leaf([[NAN, 1.0, NAN], [1.0, 3.0, 3.0]])
        getattr(x, reduce)(axis=1).sum().backward()
        expected = [[0.5, 0, 0.5], [0, 0.5, 0.5]] if reduce == "max" else [[0.5, 0, 0.5], [1, 0, 0]]
        np.testing.assert_array_equal(x.grad, expected)


def test_softmax_of_plus_inf_is_nan_and_logsumexp_is_inf():
    x = tg.Tensor([INF, 0.0])
    with np.errstate(invalid="ignore"):
        assert np.isnan(x.softmax().data).all() and np.isnan(x.log_softmax().data).all()
        assert x.logsumexp().item() == INF
    assert tg.Tensor([-INF, 0.0]).softmax().tolist() == [0.0, 1.0]


# ----------------------------------------------------------------- reductions and axes
def test_an_empty_axis_tuple_reduces_all_axes():
    x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert x.sum(axis=()).item() == 10 and x.mean(dim=()).item() == 2.5
    assert x.max(axis=()).item() == 4
    x.mean(axis=()).backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 2), 0.25))


def test_a_0d_tensor_accepts_axis_0_and_minus_1():
    x = tg.Tensor(3.0, requires_grad=True)
    for axis in (0, -1, (0,)):
        assert x.sum(axis=axis).item() == 3 and x.mean(axis=axis).item() == 3
        assert x.max(axis=axis).item() == 3 and x.logsumexp(axis=axis).item() == 3
    assert x.sum(axis=0, keepdims=True).shape == ()
    x.sum(0).backward()
    assert x.grad == 1
    with pytest.raises(ValueError, match=r"^sum: axis 1 is out of range"):
        x.sum(axis=1)


def test_softmax_over_an_empty_axis_is_empty():
    x = tg.ones(2, 0)
    assert x.softmax().shape == (2, 0) and x.log_softmax(axis=1).shape == (2, 0)
    assert x.logsumexp(axis=1).tolist() == [-INF, -INF]


# ----------------------------------------------------------------- backward and losses
def test_backward_accepts_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


Z = [[1.0, 2.0, 3.0], [0.0, 1.0, 0.0], [2.0, 0.0, 1.0]]


@pytest.mark.parametrize(
    "smoothing, reduction, loss, grad_row0",
    [
        (0.0, "mean", 0.4076059, [0.0450153, 0.1223642, -0.1673795]),
        (0.0, "sum", 0.8152118, [0.0900306, 0.2447285, -0.3347590]),
        (0.0, "none", [0.4076059, 0.0, 0.4076059], [0.0900306, 0.2447285, -0.3347590]),
        (0.2, "mean", 0.6076059, [0.0116820, 0.0890309, -0.1007128]),
        (0.2, "none", [0.6076059, 0.0, 0.6076059], [0.0233639, 0.1780618, -0.2014257]),
    ],
)
def test_cross_entropy_ignore_index(smoothing, reduction, loss, grad_row0):
    z = leaf(Z)
    out = F.cross_entropy(z, [2, -100, 0], reduction=reduction, label_smoothing=smoothing)
    out.sum().backward()
    np.testing.assert_allclose(out.data, loss, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(z.grad[0], grad_row0, rtol=1e-5)
    np.testing.assert_array_equal(z.grad[1], [0, 0, 0])  # the ignored row


def test_cross_entropy_ignore_index_any_value_and_all_ignored():
    out = F.cross_entropy(leaf(Z), [1, 5, 0], ignore_index=5)
    np.testing.assert_allclose(out.item(), 0.9076059, rtol=1e-6)
    with np.errstate(invalid="ignore"):
        assert np.isnan(F.cross_entropy(leaf(Z), [-100, -100, -100]).item())
    with pytest.raises(ValueError, match=r"^cross_entropy: target values must be class indices"):
        F.cross_entropy(leaf(Z), [1, 5, 0])


@given(data=st.data())
def test_loss_gradients_in_the_target_and_with_ignored_rows_gradcheck(data):
    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 5))
    z = data.draw(float_arrays((n, c)))
    y = np.array(data.draw(st.lists(st.integers(-1, c - 1), min_size=n, max_size=n)))
    reduction = data.draw(st.sampled_from(["sum", "none"] + ["mean"] * bool((y >= 0).any())))
    target = data.draw(float_arrays((n, c), min_value=0.0, max_value=1.0))
    check_gradients(lambda t: F.cross_entropy(t, y, reduction, 0.1, ignore_index=-1), z)
    check_gradients(lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction), z, target)
    check_gradients(lambda x, t: F.binary_cross_entropy(x.sigmoid(), t, reduction), z, target)


# ----------------------------------------------------------------- errors in one line
def test_bool_subtraction_and_negation_are_refused():
    m = tg.Tensor([True, False])
    with pytest.raises(TypeError, match=r"^sub: cannot subtract two boolean tensors \(2,\)"):
        m - m
    with pytest.raises(TypeError, match=r"^neg: cannot negate a boolean tensor of shape \(2,\)"):
        _ = -m
    assert (m - 1).tolist() == [0, -1]  # a bool and an int is fine: int64


def test_ragged_nested_list_is_a_value_error():
    with pytest.raises(ValueError, match=r"^Tensor: cannot make a tensor from \[\[1, 2\], \[3\]\]"):
        tg.Tensor([[1, 2], [3]])
    with pytest.raises(ValueError, match=r"^Tensor: cannot make a tensor from"):
        tg.Tensor([[1.0], [2.0, 3.0]], dtype=np.float64)


@pytest.mark.parametrize(
    "index, message",
    [
        (5, "index 5 is out of bounds"),
        ((0, 0, 0), "too many indices"),
        (1.5, "only integers"),
        (np.array([True]), "boolean index did not match"),
    ],
)
def test_indexing_errors_name_getitem_and_the_shape(index, message):
    x = tg.ones(2, 3)
    with pytest.raises(
        IndexError, match=rf"^getitem: bad index for a tensor of shape \(2, 3\): .*{message}"
    ):
        x[index]


@pytest.mark.parametrize(
    "reduction, expected",
    [("mean", (np.log(2) + np.log(10)) / 2), ("sum", np.log(2) + np.log(10)), ("none", None)],
)
def test_nll_loss_and_the_loss_modules_take_ignore_index(reduction, expected):
    log_probs = tg.tensor(np.log([[0.5, 0.5], [0.25, 0.75], [0.1, 0.9]]), requires_grad=True)
    target = np.array([0, -100, 0])  # the middle row is ignored
    loss = F.nll_loss(log_probs, target, reduction)
    if expected is None:
        np.testing.assert_allclose(loss.data, [np.log(2), 0.0, np.log(10)])
        return
    np.testing.assert_allclose(loss.item(), expected)
    loss.backward()
    scale = 0.5 if reduction == "mean" else 1.0
    np.testing.assert_allclose(log_probs.grad, [[-scale, 0], [0, 0], [-scale, 0]])
    module = nn.NLLLoss(reduction, ignore_index=-100)(log_probs, target)
    np.testing.assert_allclose(module.item(), loss.item())
    logits = tg.tensor([[1.0, 2.0], [3.0, -1.0]])
    np.testing.assert_allclose(
        nn.CrossEntropyLoss(reduction, ignore_index=1)(logits, np.array([1, 0])).item(),
        F.cross_entropy(logits[1:], np.array([0]), reduction).item(),
    )


def test_softmax_of_a_0d_tensor_is_one_as_in_pytorch():
    x = tg.tensor(2.0, requires_grad=True)
    assert x.softmax(0).item() == 1.0 and x.log_softmax(-1).item() == 0.0
    assert x.softmax(0).shape == () and x.log_softmax().shape == ()
    x.log_softmax(0).backward()
    assert x.grad == 0.0  # log(e^x / e^x) does not depend on x


def test_a_python_int_too_large_for_the_tensors_dtype_is_one_clear_line():
    # PyTorch wraps 300 around to 44 in uint8, silently; we say so instead
    small = tg.tensor(np.array([1, 2], dtype=np.uint8))
    with pytest.raises(ValueError, match=r"^add: Python integer 300 out of bounds for uint8; "):
        small + 300
    np.testing.assert_array_equal((small.long() + 300).data, [301, 302])
