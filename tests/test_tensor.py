"""Tensor construction, dtypes, factories, seeding and conveniences."""

import numpy as np
import pytest

import tinygrad_cnn as tg


def test_dtype_rules_of_the_contract():
    assert tg.Tensor(1.5).dtype == np.float32
    assert tg.Tensor([1.0, 2.0]).dtype == np.float32
    assert tg.Tensor(np.ones(2)).dtype == np.float64
    assert tg.Tensor(np.ones(2, np.float32)).dtype == np.float32
    assert tg.Tensor([1, 2]).dtype.kind == "i"
    assert tg.Tensor(np.array([1, 2], np.uint8)).dtype == np.uint8
    assert tg.Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert tg.Tensor([True, False]).dtype == bool


def test_tensor_copies_its_input():
    array = np.ones(3)
    t = tg.Tensor(array)
    array[0] = 5
    assert t.data[0] == 1


def test_non_numeric_data_is_refused():
    with pytest.raises(ValueError, match="Tensor: cannot make a tensor from data of dtype"):
        tg.Tensor(["a", "b"])


def test_attributes_and_conversions():
    t = tg.Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    assert t.shape == (1, 3) and t.ndim == 2 and t.numel() == 3 and t.size() == (1, 3)
    assert t.size(1) == 3 and len(t) == 1
    assert t.requires_grad and t.grad is None and t.is_leaf
    assert np.asarray(t) is t.data and t.numpy() is t.data
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert tg.Tensor([[4.0]]).item() == 4.0
    with pytest.raises(ValueError, match=r"item: tensor of shape \(1, 3\) has 3 elements"):
        t.item()
    assert repr(tg.Tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    assert (
        repr(tg.Tensor(np.array([1.0]), requires_grad=True))
        == "Tensor([1.], dtype=float64, requires_grad=True)"
    )


def test_truth_value_and_number_conversions():
    assert not tg.Tensor([0.0]) and tg.Tensor(2.0)
    assert float(tg.Tensor([[1.5]])) == 1.5 and int(tg.Tensor(3)) == 3
    with pytest.raises(ValueError):
        bool(tg.Tensor([1.0, 2.0]))


def test_comparisons_give_boolean_tensors():
    x = tg.Tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal((x > 1.5).data, [False, True, True])
    np.testing.assert_array_equal((x == tg.Tensor([1.0, 0.0, 3.0])).data, [True, False, True])
    assert (x <= 2).data.sum() == 2 and (x != 2).data.sum() == 2 and (x < 3).data.sum() == 2
    assert (x >= 3).data.sum() == 1
    assert len({x, x}) == 1  # hashable by identity


def test_factories():
    assert tg.zeros(2, 3).shape == (2, 3) and tg.zeros((2, 3)).data.sum() == 0
    assert tg.ones(4).data.sum() == 4 and tg.ones(4).dtype == np.float32
    np.testing.assert_array_equal(tg.full((2, 2), 7.0).data, [[7, 7], [7, 7]])
    np.testing.assert_array_equal(tg.eye(3).data, np.eye(3))
    assert tg.eye(2, 3).shape == (2, 3)
    assert tg.arange(5).dtype == np.int64 and tg.arange(5).data.tolist() == [0, 1, 2, 3, 4]
    assert tg.arange(0.0, 1.0, 0.25).dtype == np.float32
    np.testing.assert_array_equal(tg.arange(2, 8, 3).data, [2, 5])
    base = tg.Tensor(np.ones((2, 2)))
    assert tg.zeros_like(base).dtype == np.float64 and tg.ones_like(base).data.sum() == 4
    assert tg.zeros(3, requires_grad=True).requires_grad
    assert tg.randn(2, 3, dtype=np.float64).dtype == np.float64


def test_manual_seed_makes_randomness_repeatable():
    tg.manual_seed(42)
    a, b = tg.randn(5), tg.rand(3)
    tg.manual_seed(42)
    np.testing.assert_array_equal(a.data, tg.randn(5).data)
    np.testing.assert_array_equal(b.data, tg.rand(3).data)
    tg.manual_seed(43)
    assert not np.array_equal(a.data, tg.randn(5).data)
    with pytest.raises(ValueError, match="manual_seed"):
        tg.manual_seed(-1)


def test_random_factories_have_the_right_distributions():
    tg.manual_seed(0)
    normal = tg.randn(100_000).data
    uniform = tg.rand(100_000).data
    assert abs(normal.mean()) < 0.02 and abs(normal.std() - 1) < 0.02
    assert uniform.min() >= 0 and uniform.max() < 1 and abs(uniform.mean() - 0.5) < 0.01


def test_import_compiles_nothing():
    import subprocess
    import sys

    code = "import sys, tinygrad_cnn; print('numba' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
