"""Losses: values by hand, gradients by gradcheck, reductions, stability, errors, penalties."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import nn
from tinygrad_cnn.testing import check_gradients, float_arrays


def test_cross_entropy_worked_example():
    logits = tg.Tensor(np.zeros((1, 2)), requires_grad=True)
    loss = F.cross_entropy(logits, np.array([0]))
    assert loss.item() == pytest.approx(math.log(2))
    loss.backward()
    np.testing.assert_allclose(logits.grad, [[-0.5, 0.5]])


def test_cross_entropy_values_reductions_and_label_smoothing():
    z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    y = np.array([0, 1])
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    per_sample = -log_p[[0, 1], y]
    x = tg.Tensor(z)
    np.testing.assert_allclose(F.cross_entropy(x, y, reduction="none").data, per_sample)
    assert F.cross_entropy(x, y).item() == pytest.approx(per_sample.mean())
    assert F.cross_entropy(x, tg.Tensor(y), reduction="sum").item() == pytest.approx(
        per_sample.sum()
    )
    smoothed = 0.9 * per_sample + 0.1 * (-log_p.mean(axis=1))
    assert F.cross_entropy(x, y, label_smoothing=0.1).item() == pytest.approx(smoothed.mean())
    assert nn.CrossEntropyLoss(label_smoothing=0.1)(x, y).item() == pytest.approx(smoothed.mean())


def test_cross_entropy_is_stable_for_huge_logits():
    logits = tg.Tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    loss = F.cross_entropy(logits, [2])
    assert loss.item() == pytest.approx(2000.0)
    loss.backward()
    np.testing.assert_allclose(logits.grad, [[1.0, 0.0, -1.0]])


@given(data=st.data())
def test_losses_gradcheck(data):
    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 5))
    z = data.draw(float_arrays((n, c)))
    y = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    smoothing = data.draw(st.sampled_from([0.0, 0.2]))
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]))
    target = data.draw(float_arrays((n, c), min_value=0.0, max_value=1.0))
    check_gradients(lambda t: F.cross_entropy(t, y, reduction, smoothing), z)
    check_gradients(lambda t: F.nll_loss(t.log_softmax(axis=1), y, reduction), z)
    check_gradients(lambda t: F.binary_cross_entropy_with_logits(t, target, reduction), z)
    check_gradients(lambda t: F.binary_cross_entropy(t.sigmoid(), target, reduction), z)
    check_gradients(lambda t: F.mse_loss(t, target, reduction), z)
    check_gradients(lambda t: F.l1_loss(t, target + 10, reduction), z)


def test_nll_of_log_softmax_equals_cross_entropy():
    z = np.random.default_rng(0).standard_normal((5, 4))
    y = np.array([0, 3, 1, 1, 2])
    np.testing.assert_allclose(
        F.nll_loss(tg.Tensor(z).log_softmax(axis=1), y).item(),
        F.cross_entropy(tg.Tensor(z), y).item(),
    )


def test_binary_cross_entropy_values_and_stability():
    p = tg.Tensor([0.9, 0.2, 0.0, 1.0])
    t = np.array([1.0, 0.0, 1.0, 0.0])
    expected = [-math.log(0.9), -math.log(0.8), 100.0, 100.0]  # logs clipped at -100
    np.testing.assert_allclose(
        F.binary_cross_entropy(p, t, reduction="none").data, expected, rtol=1e-6
    )
    logits = tg.Tensor([1000.0, -1000.0, 0.0], requires_grad=True)
    with np.errstate(over="raise", invalid="raise"):
        loss = F.binary_cross_entropy_with_logits(
            logits, np.array([0.0, 1.0, 1.0]), reduction="none"
        )
    np.testing.assert_allclose(loss.data, [1000.0, 1000.0, math.log(2)], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(logits.grad, [1.0, -1.0, -0.5])
    with pytest.raises(ValueError, match="binary_cross_entropy: input must hold probabilities"):
        F.binary_cross_entropy(tg.Tensor([1.5]), [1.0])


def test_mse_and_l1():
    x, t = tg.Tensor([1.0, 2.0, 4.0]), np.array([1.0, 0.0, 1.0])
    assert F.mse_loss(x, t).item() == pytest.approx((0 + 4 + 9) / 3)
    assert nn.MSELoss(reduction="sum")(x, t).item() == pytest.approx(13)
    assert nn.L1Loss()(x, t).item() == pytest.approx(5 / 3)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: F.cross_entropy(tg.ones(2, 3), [0, 3]),
            r"cross_entropy: target values must be class indices in \[0, 2\]",
        ),
        (
            lambda: F.cross_entropy(tg.ones(2, 3), [0.0, 1.0]),
            "cross_entropy: target must hold integer class indices",
        ),
        (
            lambda: F.cross_entropy(tg.ones(2, 3), [0, 1, 2]),
            r"target of shape \(3,\) does not match input \(2, 3\)",
        ),
        (lambda: F.cross_entropy(tg.ones(3), [0]), r"cross_entropy: input must be 2-D \(N, C\)"),
        (
            lambda: F.cross_entropy(tg.ones(2, 3), [0, 1], reduction="avg"),
            "reduction must be one of",
        ),
        (lambda: F.cross_entropy(tg.ones(2, 3), [0, 1], label_smoothing=2), "label_smoothing"),
        (
            lambda: F.mse_loss(tg.ones(3), np.ones((3, 1))),
            r"mse_loss: input \(3,\) and target \(3, 1\)",
        ),
        (lambda: nn.NLLLoss(reduction="bad"), "NLLLoss: reduction must be one of"),
    ],
)
def test_loss_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_penalties_and_their_gradients():
    w = tg.Tensor([[1.0, -2.0]], requires_grad=True)
    b = tg.Tensor([3.0], requires_grad=True)
    penalty = F.l2_penalty([w, b])
    assert penalty.item() == pytest.approx(14.0)
    (0.5 * penalty).backward()  # C_reg = C + lam * sum w^2 -> gradient 2 * lam * w
    np.testing.assert_allclose(w.grad, [[1.0, -2.0]])
    assert F.l1_penalty([w]).item() == pytest.approx(3.0)


@pytest.mark.torch
def test_losses_match_pytorch():
    torch = pytest.importorskip("torch")
    z = np.random.default_rng(0).standard_normal((6, 4))
    y = np.array([0, 3, 1, 1, 2, 0])
    t = np.random.default_rng(1).random((6, 4))
    pairs = [
        (
            lambda a: F.cross_entropy(a, y, label_smoothing=0.1),
            lambda a: torch.nn.functional.cross_entropy(a, torch.tensor(y), label_smoothing=0.1),
        ),
        (
            lambda a: F.binary_cross_entropy_with_logits(a, t),
            lambda a: torch.nn.functional.binary_cross_entropy_with_logits(a, torch.tensor(t)),
        ),
        (
            lambda a: F.binary_cross_entropy(a.sigmoid(), t, reduction="sum"),
            lambda a: torch.nn.functional.binary_cross_entropy(
                a.sigmoid(), torch.tensor(t), reduction="sum"
            ),
        ),
    ]
    for ours, theirs in pairs:
        a, b = tg.Tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
        out, expected = ours(a), theirs(b)
        out.backward()
        expected.backward()
        assert out.item() == pytest.approx(expected.item(), rel=1e-10)
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-9, atol=1e-12)
