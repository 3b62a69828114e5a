"""Module, Parameter, Sequential, state dicts and summary."""

from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import models, nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.norm = nn.BatchNorm2d(2)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
        self.scale = nn.Parameter(tg.ones(1))
        self.not_a_parameter = 5

    def forward(self, x):
        return self.head(self.norm(self.conv(x)).relu()) * self.scale


def test_parameters_are_registered_by_assignment_with_dotted_names():
    block = Block()
    names = [name for name, _ in block.named_parameters()]
    assert names == [
        "scale",
        "conv.weight",
        "conv.bias",
        "norm.weight",
        "norm.bias",
        "head.1.weight",
        "head.1.bias",
    ]
    assert all(p.requires_grad for p in block.parameters())
    assert [name for name, _ in block.named_buffers()] == ["norm.running_mean", "norm.running_var"]
    assert block.not_a_parameter == 5
    del block.scale
    assert "scale" not in dict(block.named_parameters())


def test_parameter_shares_the_tensor_data():
    t = tg.Tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert p.data is t.data and p.requires_grad and isinstance(p, tg.Tensor)


def test_forward_backward_train_eval_and_zero_grad():
    block = Block()
    out = block(tg.randn(4, 1, 6, 6))
    assert out.shape == (4, 3)
    out.sum().backward()
    assert all(p.grad is not None for p in block.parameters())
    block.zero_grad()
    assert all(p.grad is None for p in block.parameters())
    block.eval()
    assert not any(m.training for m in block.modules())
    block.train()
    assert all(m.training for m in block.modules())


def test_forgetting_super_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(2, 2)

    with pytest.raises(RuntimeError, match=r"call super\(\).__init__\(\)"):
        Broken()


def test_repr_is_readable():
    text = repr(
        nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.Linear(3, 4, bias=False))
    )
    assert text == (
        "Sequential(\n"
        "  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))\n"
        "  (1): ReLU()\n"
        "  (2): Linear(in_features=3, out_features=4, bias=False)\n"
        ")"
    )


def test_sequential_indexing_len_iteration_append():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    seq.append(nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and isinstance(seq[1], nn.ReLU)
    assert len(seq[:2]) == 2 and isinstance(seq[:2], nn.Sequential)
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]
    with pytest.raises(ValueError, match="Sequential: expected a Module"):
        seq.append(lambda x: x)


def test_state_dict_round_trip_into_a_fresh_model():
    tg.manual_seed(0)
    source = Block()
    source(tg.randn(4, 1, 6, 6))  # moves the batch-norm running statistics
    target = Block()
    target.load_state_dict(source.state_dict())
    x = tg.randn(2, 1, 6, 6)
    source.eval(), target.eval()
    np.testing.assert_array_equal(source(x).data, target(x).data)
    state = source.state_dict()
    state["conv.weight"][...] = 0  # a copy: the model is not affected
    assert source.conv.weight.data.any()


def test_load_state_dict_errors_leave_the_model_unchanged():
    model = Block()
    before = model.state_dict()
    state = model.state_dict()
    state["conv.weight"] = np.zeros((9, 9))
    with pytest.raises(
        ValueError, match=r"'conv.weight' has shape \(9, 9\) in the state but \(2, 1, 3, 3\)"
    ):
        model.load_state_dict(state)
    incomplete = Block().state_dict()
    del incomplete["head.1.bias"]
    incomplete["extra"] = np.zeros(1)
    with pytest.raises(
        ValueError, match=r"missing keys \['head.1.bias'\], unexpected keys \['extra'\]"
    ):
        model.load_state_dict(incomplete)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    missing, unexpected = model.load_state_dict(incomplete, strict=False)
    assert missing == ["head.1.bias"] and unexpected == ["extra"]


def test_keras_mnist_cnn_summary_matches_keras():
    table = models.keras_mnist_cnn().summary((1, 28, 28))
    for shape, count in [
        ("(32, 26, 26)", "320"),
        ("(64, 11, 11)", "18,496"),
        ("(64, 3, 3)", "36,928"),
        ("(64,)", "36,928"),
        ("(10,)", "650"),
    ]:
        assert any(shape in line and line.rstrip().endswith(count) for line in table.splitlines())
    for shape in ["(32, 13, 13)", "(64, 5, 5)", "(576,)"]:
        assert shape in table
    assert "Total params: 93,322" in table and "Trainable params: 93,322" in table


def test_model_parameter_counts():
    assert sum(p.numel() for p in models.lenet5().parameters()) == 61_706
    assert sum(p.numel() for p in models.keras_mnist_cnn().parameters()) == 93_322
    assert sum(p.numel() for p in models.mlp().parameters()) == 101_770
    assert "Total params: 61,706" in models.lenet5().summary((1, 28, 28))


def test_summary_keeps_mode_and_removes_its_hooks():
    model = models.lenet5(dropout=0.5)
    model.train()
    model.summary((1, 28, 28))
    assert model.training and all(not m._forward_hooks for m in model.modules())


def test_double_casts_parameters_in_place():
    model = nn.Linear(2, 2)
    weight = model.weight
    model.double()
    assert model.weight is weight and weight.dtype == np.float64
