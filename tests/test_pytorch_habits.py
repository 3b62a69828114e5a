"""PyTorch habits that carry over (issue 13, item 5): subpackages reachable after
``import tinygrad_cnn``, ``tg.tensor``/``tg.from_numpy``, ``tolist``/``float``/``double``/...,
``dim=``/``keepdim=`` wherever ``axis=``/``keepdims=`` are, and ``tg.save(model)`` refused
with what to do instead. The numpy names keep working."""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import nn
from tinygrad_cnn.ops.cast import Cast
from tinygrad_cnn.testing import check_gradients, float_arrays, shapes


def run_fresh(code):
    """Run ``code`` in a fresh interpreter (so nothing imported here counts); return stdout."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


# ----------------------------------------------------------------- subpackages, lazily
def test_subpackages_are_reachable_after_import_tinygrad_cnn():
    code = (
        "import tinygrad_cnn as tg\n"
        "print(tg.data.read_idx.__name__, tg.data.DataLoader.__name__,"
        " tg.models.lenet5().__class__.__name__, tg.nn.Linear.__name__,"
        " tg.optim.SGD.__name__, tg.functional.conv2d.__name__, tg.grading.__name__,"
        " tg.testing.__name__, tg.viz.__name__)"
    )
    assert run_fresh(code).split() == [
        "read_idx",
        "DataLoader",
        "Sequential",
        "Linear",
        "SGD",
        "conv2d",
        "tinygrad_cnn.grading",
        "tinygrad_cnn.testing",
        "tinygrad_cnn.viz",
    ]


def test_read_idx_through_the_package_reads_a_file(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    # IDX header: two zero bytes, type 0x08 (unsigned byte), 1 dimension, size 3; then data
    path.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 9]))
    code = f"import tinygrad_cnn as tg; print(tg.data.read_idx({str(path)!r}).tolist())"
    assert run_fresh(code) == "[7, 2, 9]"


def test_import_stays_light():
    heavy = ("numba", "matplotlib", "graphviz", "tinygrad_cnn.data", "tinygrad_cnn.models")
    code = f"import sys, tinygrad_cnn; print([m for m in {heavy!r} if m in sys.modules])"
    assert run_fresh(code) == "[]"


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'datasets'"):
        tg.datasets  # noqa: B018
    assert not hasattr(tg, "__main__")  # never runs the CLI by attribute access
    assert {"data", "models", "viz", "tensor", "from_numpy"} <= set(dir(tg))


# ----------------------------------------------------------------- tg.tensor and tg.from_numpy
def test_tensor_copies_with_the_dtype_rules():
    array = np.array([1.0, 2.0])
    t = tg.tensor(array, requires_grad=True)
    array[0] = 100.0
    assert t.tolist() == [1.0, 2.0] and t.dtype == np.float64 and t.requires_grad
    assert tg.tensor([1.0, 2.0]).dtype == np.float32
    assert tg.tensor([3, 1]).dtype == np.int64
    assert tg.tensor([1, 2], dtype=np.float64).tolist() == [1.0, 2.0]
    assert tg.tensor(2.5).item() == 2.5 and tg.tensor(2.5).shape == ()


def test_from_numpy_shares_memory_both_ways():
    array = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = tg.from_numpy(array)
    assert t.dtype == np.float64 and not t.requires_grad and np.shares_memory(t.data, array)
    array[0, 0] = 10.0
    assert t.tolist() == [[10.0, 2.0], [3.0, 4.0]]
    t.data[1, 1] = -1.0
    assert array[1, 1] == -1.0


def test_from_numpy_parameter_is_updated_in_place_as_in_pytorch():
    array = np.array([1.0, 2.0], np.float32)
    weight = nn.Parameter(tg.from_numpy(array))
    (weight * weight).sum().backward()
    tg.optim.SGD([weight], lr=0.25).step()  # w - 0.25 * 2w = w / 2
    np.testing.assert_allclose(array, [0.5, 1.0])


def test_from_numpy_refuses_what_is_not_a_numeric_array():
    with pytest.raises(TypeError, match="from_numpy: expected a numpy array, got list"):
        tg.from_numpy([1.0, 2.0])
    with pytest.raises(ValueError, match="from_numpy: cannot share an array of dtype <U1"):
        tg.from_numpy(np.array(["a"]))


# ----------------------------------------------------------------- tolist and dtype conversions
def test_tolist_gives_python_numbers():
    values = tg.Tensor([[1.5, 2.0], [3.0, 4.0]]).tolist()
    assert values == [[1.5, 2.0], [3.0, 4.0]] and type(values[0][0]) is float
    assert tg.tensor([3, 1]).tolist() == [3, 1] and type(tg.tensor([3]).tolist()[0]) is int
    assert tg.tensor(7).tolist() == 7


def test_float_double_long_int_bool_values_and_dtypes():
    x = tg.Tensor(np.array([-1.7, 0.0, 2.9]))  # float64
    assert x.float().dtype == np.float32 and x.float().tolist() == pytest.approx([-1.7, 0, 2.9])
    assert x.double() is x  # already float64: the same tensor, as in PyTorch
    assert x.long().dtype == np.int64 and x.long().tolist() == [-1, 0, 2]  # towards zero
    assert x.int().dtype == np.int32 and x.int().tolist() == [-1, 0, 2]
    assert x.bool().tolist() == [True, False, True]
    labels = tg.tensor([0, 2, 1])
    assert labels.float().dtype == np.float32 and labels.float().tolist() == [0.0, 2.0, 1.0]
    assert x.to(np.float32).dtype == np.float32


def test_float_cast_carries_the_gradient_back_in_the_leaf_dtype():
    x = tg.Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)  # float64 leaf
    y = x.float()
    assert y.requires_grad and y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, [2.0, -4.0, 6.0])
    w = tg.Tensor([0.5, 1.5], requires_grad=True)  # float32 leaf, upcast and back
    (w.double() * 3).sum().backward()
    assert w.grad.dtype == np.float32 and w.grad.tolist() == [3.0, 3.0]


def test_integer_cast_has_no_gradient():
    x = tg.Tensor([1.5, 2.5], requires_grad=True)
    assert not x.long().requires_grad and x.long().is_leaf


def test_to_names_what_it_accepts():
    with pytest.raises(TypeError, match="to: expected a dtype such as np.float64, got 'cuda'"):
        tg.Tensor([1.0]).to("cuda")


# ----------------------------------------------------------------- dim= and axis=, one meaning
REDUCTIONS = ("sum", "mean", "max", "min", "var", "logsumexp")


@st.composite
def array_and_axis(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    values = draw(
        hnp.arrays(np.float64, shape, elements=st.floats(-10, 10, allow_nan=False, width=64))
    )
    ndim = len(shape)
    single = st.integers(-ndim, ndim - 1)
    several = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)
    return values, draw(st.one_of(st.none(), single, several))


@given(array_and_axis(), st.sampled_from(REDUCTIONS), st.booleans())
def test_reductions_dim_equals_axis_and_numpy(case, name, keep):
    values, axis = case
    x = tg.Tensor(values)
    by_axis = getattr(x, name)(axis=axis, keepdims=keep)
    by_dim = getattr(x, name)(dim=axis, keepdim=keep)
    positional = getattr(x, name)(axis, keep)
    assert by_dim.shape == by_axis.shape == positional.shape
    np.testing.assert_array_equal(by_dim.data, by_axis.data)
    np.testing.assert_array_equal(positional.data, by_axis.data)
    mixed = getattr(x, name)(dim=axis, keepdims=keep)  # either name of each, in any mix
    np.testing.assert_array_equal(mixed.data, by_axis.data)
    if name in ("sum", "mean", "max", "min"):
        expected = getattr(np, name)(values, axis=axis, keepdims=keep)
        np.testing.assert_allclose(by_dim.data, expected, rtol=1e-12)


@given(array_and_axis(), st.sampled_from(("argmax", "argmin")), st.booleans())
def test_argmax_argmin_dim_equals_axis(case, name, keep):
    values, axis = case
    if isinstance(axis, tuple):  # numpy's argmax takes one axis (or None)
        axis = axis[0]
    x = tg.Tensor(values)
    by_dim = getattr(x, name)(dim=axis, keepdim=keep)
    expected = getattr(np, name)(values, axis=axis, keepdims=keep)
    np.testing.assert_array_equal(by_dim.data, expected)
    np.testing.assert_array_equal(getattr(x, name)(axis=axis, keepdims=keep).data, expected)


@given(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4), st.data())
def test_softmax_and_log_softmax_dim_equals_axis(shape, data):
    values = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-5, 5, width=64)))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = tg.Tensor(values)
    for method, function in (("softmax", F.softmax), ("log_softmax", F.log_softmax)):
        by_axis = getattr(x, method)(axis=axis).data
        np.testing.assert_array_equal(getattr(x, method)(dim=axis).data, by_axis)
        np.testing.assert_array_equal(function(x, dim=axis).data, by_axis)
        np.testing.assert_array_equal(function(x, axis).data, by_axis)
    exp = np.exp(values - values.max(axis=axis, keepdims=True))
    np.testing.assert_allclose(F.softmax(x, dim=axis).data, exp / exp.sum(axis, keepdims=True))


def test_softmax_default_is_the_last_axis():
    x = tg.Tensor([[0.0, np.log(3.0)], [0.0, 0.0]])
    np.testing.assert_allclose(F.softmax(x).data, [[0.25, 0.75], [0.5, 0.5]], rtol=1e-6)
    np.testing.assert_allclose(x.softmax(dim=0).data, [[0.5, 0.75], [0.5, 0.25]], rtol=1e-6)


def test_cat_stack_concatenate_take_dim():
    a, b = tg.Tensor([[1.0, 2.0]]), tg.Tensor([[3.0, 4.0]])
    assert tg.cat([a, b], dim=1).tolist() == [[1.0, 2.0, 3.0, 4.0]]
    assert tg.cat([a, b]).tolist() == [[1.0, 2.0], [3.0, 4.0]]  # default 0
    assert tg.concatenate([a, b], axis=1).tolist() == tg.cat([a, b], 1).tolist()
    assert tg.stack([a, b], dim=2).tolist() == [[[1.0, 3.0], [2.0, 4.0]]]
    assert tg.stack([a, b]).shape == (2, 1, 2) and tg.stack([a, b], axis=-1).shape == (1, 2, 2)


def test_dim_gradients_match_axis_gradients():
    values = np.arange(6.0).reshape(2, 3)
    grads = []
    for kwargs in ({"axis": 1, "keepdims": True}, {"dim": 1, "keepdim": True}):
        x = tg.Tensor(values, requires_grad=True)
        (x.max(**kwargs) * 2 + x.mean(**kwargs)).sum().backward()
        grads.append(x.grad)
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_allclose(grads[1], [[1 / 3, 1 / 3, 2 + 1 / 3]] * 2)


def test_max_with_dim_returns_values_only():
    x = tg.Tensor([[1.0, 5.0, 3.0], [7.0, 2.0, 0.0]])
    assert x.max(dim=1).tolist() == [5.0, 7.0]  # not (values, indices) as torch.max
    assert x.argmax(dim=1).tolist() == [1, 0]


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.sum(axis=0, dim=1),
        lambda x: x.mean(1, dim=1),
        lambda x: x.max(axis=0, dim=0),
        lambda x: x.var(axis=0, dim=0),
        lambda x: x.argmax(axis=0, dim=0),
        lambda x: x.softmax(axis=-1, dim=-1),
        lambda x: F.log_softmax(x, 0, dim=0),
        lambda x: tg.cat([x, x], axis=0, dim=0),
        lambda x: tg.stack([x, x], axis=0, dim=1),
    ],
)
def test_axis_and_dim_together_is_a_type_error(call):
    with pytest.raises(TypeError, match=r"^[a-z_]+: got both axis=.* and dim=.*pass only one$"):
        call(tg.ones(2, 3))


@pytest.mark.parametrize("layer", [nn.Softmax, nn.LogSoftmax])
def test_softmax_layers_take_dim_or_axis_but_not_both(layer):
    x = tg.tensor([[1.0, 2.0], [3.0, 5.0]])
    by_rows = x.log_softmax(axis=0) if layer is nn.LogSoftmax else x.softmax(axis=0)
    for made in (layer(0), layer(dim=0), layer(axis=0)):
        np.testing.assert_allclose(made(x).data, by_rows.data)
    assert layer().axis == -1
    with pytest.raises(TypeError, match=rf"^{layer.__name__}: got both axis=0 and dim=1"):
        layer(dim=1, axis=0)


def test_keepdims_and_keepdim_together_is_a_type_error():
    with pytest.raises(TypeError, match="sum: got both keepdims=True and keepdim=True"):
        tg.ones(2, 3).sum(0, keepdims=True, keepdim=True)


def test_flatten_transpose_size_already_speak_dim():
    x = tg.zeros(2, 3, 4)
    assert x.flatten(start_dim=1).shape == (2, 12) and x.flatten(0, 1).shape == (6, 4)
    assert x.transpose(0, 2).shape == (4, 3, 2) and x.size(dim=1) == 3


# ----------------------------------------------------------------- tg.save(model)
def test_save_of_a_module_says_to_save_its_state_dict(tmp_path):
    model = tg.models.lenet5()
    path = tmp_path / "model.npz"
    with pytest.raises(TypeError) as info:
        tg.save(model, path)
    message = str(info.value)
    assert "\n" not in message and "Sequential object" in message and "pickle" in message
    assert "tg.save(model.state_dict(), path)" in message
    assert not os.listdir(tmp_path)  # nothing written, not even a temporary file
    tg.save(model.state_dict(), path)  # the way shown works
    restored = tg.models.lenet5()
    restored.load_state_dict(tg.load(path))
    for (name, a), (_, b) in zip(model.named_parameters(), restored.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)


def test_save_of_an_optimizer_or_a_nested_module_gives_the_same_advice(tmp_path):
    model = nn.Linear(2, 1)
    optimizer = tg.optim.Adam(model.parameters())
    with pytest.raises(TypeError, match=r"Adam object .* tg.save\(optimizer.state_dict\(\)"):
        tg.save(optimizer, tmp_path / "opt.npz")
    with pytest.raises(TypeError, match=r"Linear object .* tg.save\(model.state_dict\(\)"):
        tg.save({"epoch": 3, "model": model}, tmp_path / "run.npz")
    assert not os.listdir(tmp_path)


@given(float_arrays(shapes()))
def test_cast_gradcheck(array):
    """The Cast op itself (float64 -> float64, so finite differences keep their precision)
    passes the gradient through unchanged."""
    assert check_gradients(lambda a: Cast.apply(a, dtype=np.float64) * 3.0, array)


def test_cast_gives_the_gradient_back_in_the_input_dtype():
    a = tg.Tensor(np.array([1.5], np.float32), requires_grad=True)
    (a.double() * 2.0).sum().backward()
    assert a.grad.dtype == np.float32 and a.grad.tolist() == [2.0]
