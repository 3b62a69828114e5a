"""Layers: gradients through each, PyTorch's initialization, dropout, batch norm."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.testing import float_arrays


def gradcheck_layer(layer, x):
    """gradcheck a layer in float64 with respect to its input and all its parameters: during
    the check, the layer's parameters are swapped for gradcheck's own leaf tensors."""
    layer.double()
    slots = [
        (module, name)
        for module in layer.modules()
        for name, p in module._parameters.items()
        if p is not None
    ]

    def call(x, *parameters):
        originals = [module._parameters[name] for module, name in slots]
        for (module, name), parameter in zip(slots, parameters):
            module._parameters[name] = parameter
        try:
            return layer(x)
        finally:
            for (module, name), original in zip(slots, originals):
                module._parameters[name] = original

    leaves = [tg.Tensor(x, requires_grad=True)]
    leaves += [
        tg.Tensor(module._parameters[name].data, requires_grad=True) for module, name in slots
    ]
    return tg.gradcheck(call, leaves)


@pytest.mark.parametrize(
    "layer, shape",
    [
        (lambda: nn.Linear(3, 2), (4, 3)),
        (lambda: nn.Linear(3, 2, bias=False), (2, 5, 3)),
        (lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1), (2, 2, 5, 5)),
        (lambda: nn.Conv2d(1, 2, (2, 3), dilation=(2, 1), bias=False), (1, 1, 5, 6)),
        (lambda: nn.AvgPool2d(2, padding=1), (1, 2, 4, 4)),
        (lambda: nn.AdaptiveAvgPool2d(1), (2, 2, 3, 3)),
        (lambda: nn.LeakyReLU(0.2), (3, 4)),
        (lambda: nn.Sigmoid(), (3, 4)),
        (lambda: nn.Tanh(), (3, 4)),
        (lambda: nn.Softmax(dim=1), (3, 4)),
        (lambda: nn.LogSoftmax(axis=1), (3, 4)),
        (lambda: nn.Flatten(), (2, 3, 2)),
        (lambda: nn.BatchNorm1d(3), (5, 3)),
        (lambda: nn.BatchNorm1d(3), (4, 3, 2)),
        (lambda: nn.BatchNorm2d(2), (3, 2, 2, 2)),
        (
            lambda: nn.Sequential(nn.Conv2d(1, 2, 2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2)),
            (2, 1, 3, 3),
        ),
    ],
)
@given(data=st.data())
def test_gradcheck_through_layer(layer, shape, data):
    tg.manual_seed(0)
    module = layer()
    x = data.draw(float_arrays(shape, avoid=(0.0,)))
    assert gradcheck_layer(module, x)


@given(x=float_arrays((2, 2, 4, 4), distinct=True))
def test_gradcheck_through_max_pool_and_relu(x):
    assert gradcheck_layer(
        nn.Sequential(nn.MaxPool2d(2), nn.ReLU()), np.where(np.abs(x) < 0.01, 0.5, x)
    )


def test_batch_norm_eval_uses_running_statistics():
    layer = nn.BatchNorm2d(2).double()
    layer.eval()
    assert gradcheck_layer(layer, np.random.default_rng(0).standard_normal((2, 2, 3, 3)))


def test_linear_and_conv_initialization_follow_pytorch():
    tg.manual_seed(0)
    linear = nn.Linear(400, 120)
    bound = 1 / math.sqrt(400)
    assert np.abs(linear.weight.data).max() <= bound and np.abs(linear.bias.data).max() <= bound
    assert linear.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    conv = nn.Conv2d(6, 16, 5)
    bound = 1 / math.sqrt(6 * 25)
    assert np.abs(conv.weight.data).max() <= bound
    assert conv.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert conv.weight.dtype == np.float32


def test_initialization_is_repeatable_with_manual_seed():
    tg.manual_seed(7)
    a = nn.Conv2d(3, 4, 3).weight.data.copy()
    tg.manual_seed(7)
    np.testing.assert_array_equal(a, nn.Conv2d(3, 4, 3).weight.data)


# ----------------------------------------------------------------- dropout
def test_dropout_keeps_the_mean_and_zeroes_gradients_where_it_dropped():
    tg.manual_seed(0)
    layer = nn.Dropout(p=0.3)
    x = tg.ones(200_000, requires_grad=True)
    out = layer(x)
    kept = out.data != 0
    # mean of n Bernoulli(0.7)/0.7 draws: sd = sqrt(0.3 / 0.7 / n) ~ 0.0015; allow 5 sd
    assert abs(out.data.mean() - 1.0) < 5 * math.sqrt(0.3 / 0.7 / 200_000)
    assert abs(kept.mean() - 0.7) < 5 * math.sqrt(0.3 * 0.7 / 200_000)
    np.testing.assert_allclose(out.data[kept], 1 / 0.7, rtol=1e-6)
    out.sum().backward()
    assert np.all(x.grad[~kept] == 0)
    np.testing.assert_allclose(x.grad[kept], 1 / 0.7, rtol=1e-6)


def test_dropout_is_the_identity_in_eval_mode_and_for_p_0():
    x = tg.randn(10)
    layer = nn.Dropout(0.5).eval()
    assert layer(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert not nn.Dropout(1.0)(x).data.any()
    with pytest.raises(ValueError, match="Dropout: p must be in"):
        nn.Dropout(1.5)


def test_dropout_draws_from_manual_seed():
    tg.manual_seed(3)
    a = nn.Dropout(0.5)(tg.ones(50)).data
    tg.manual_seed(3)
    np.testing.assert_array_equal(a, nn.Dropout(0.5)(tg.ones(50)).data)


# ----------------------------------------------------------------- batch norm
def test_batch_norm_training_normalizes_and_updates_running_statistics():
    x = np.random.default_rng(0).normal(3.0, 2.0, (8, 2, 4, 4)).astype(np.float32)
    layer = nn.BatchNorm2d(2)
    out = layer(tg.Tensor(x)).data
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1, atol=1e-3)
    batch_mean = x.mean(axis=(0, 2, 3))
    unbiased_var = x.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(layer.running_mean, 0.1 * batch_mean, rtol=1e-5)
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * unbiased_var, rtol=1e-5)


def test_batch_norm_eval_differs_from_train():
    x = tg.Tensor(np.random.default_rng(1).normal(5.0, 3.0, (16, 3)).astype(np.float32))
    layer = nn.BatchNorm1d(3)
    train_out = layer(x).data
    layer.eval()
    eval_out = layer(x).data
    expected = (x.data - layer.running_mean) / np.sqrt(layer.running_var + 1e-5)
    np.testing.assert_allclose(eval_out, expected, rtol=1e-5)
    assert not np.allclose(train_out, eval_out)


def test_batch_norm_rejects_wrong_inputs():
    with pytest.raises(ValueError, match="BatchNorm2d: expected a 4-D input"):
        nn.BatchNorm2d(3)(tg.ones(2, 3))
    with pytest.raises(ValueError, match="batch_norm: input .* must have 3 channels"):
        nn.BatchNorm2d(3)(tg.ones(2, 4, 2, 2))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(tg.ones(1, 3))


def test_linear_rejects_wrong_feature_count():
    with pytest.raises(
        ValueError, match=r"Linear: input of shape \(2, 5\) has 5 features, expected 3"
    ):
        nn.Linear(3, 2)(tg.ones(2, 5))


@pytest.mark.torch
def test_layers_match_pytorch():
    torch = pytest.importorskip("torch")
    tg.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((4, 3, 8, 8))
    ours = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64, 5),
    ).double()
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(64, 5),
    ).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()}, strict=False)
    tx = tg.Tensor(x, requires_grad=True)
    px = torch.tensor(x, requires_grad=True)
    out, expected = ours(tx), theirs(px)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(tx.grad, px.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(ours[1].running_var, theirs[1].running_var.numpy(), rtol=1e-10)
