"""Movement ops: reshape, permute/transpose, flatten, expand, indexing, pad, concatenate, stack."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn.testing import check_gradients, float_arrays, non_contiguous_arrays, shapes


@given(a=float_arrays(shapes(max_dims=4)), data=st.data())
def test_reshape_and_flatten(a, data):
    target = tuple(data.draw(st.permutations(a.shape))) + (1,)
    np.testing.assert_array_equal(tg.Tensor(a).reshape(target).data, a.reshape(target))
    np.testing.assert_array_equal(tg.Tensor(a).reshape(-1).data, a.reshape(-1))
    check_gradients(lambda x: x.reshape(target) * 2, a)
    start = data.draw(st.integers(0, a.ndim - 1))
    end = data.draw(st.integers(start, a.ndim - 1))
    flat = tg.Tensor(a).flatten(start, end)
    assert (
        flat.shape
        == a.shape[:start] + (int(np.prod(a.shape[start : end + 1])),) + a.shape[end + 1 :]
    )
    check_gradients(lambda x: x.flatten(start, end), a)


@given(a=non_contiguous_arrays(shapes(min_dims=1, max_dims=4)), data=st.data())
def test_permute_and_transpose(a, data):
    dims = tuple(data.draw(st.permutations(range(a.ndim))))
    np.testing.assert_array_equal(tg.Tensor(a).permute(*dims).data, a.transpose(dims))
    check_gradients(
        lambda x: x.permute(dims) * np.arange(a.size).reshape(a.transpose(dims).shape), a
    )
    i, j = data.draw(st.integers(-a.ndim, a.ndim - 1)), data.draw(st.integers(-a.ndim, a.ndim - 1))
    np.testing.assert_array_equal(tg.Tensor(a).transpose(i, j).data, np.swapaxes(a, i, j))
    check_gradients(lambda x: x.transpose(i, j), a)
    np.testing.assert_array_equal(tg.Tensor(a).T.data, a.T)


@given(a=float_arrays(shapes(max_dims=3, max_side=3)), data=st.data())
def test_expand(a, data):
    leading = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2)))
    target = leading + tuple(data.draw(st.integers(1, 3)) if s == 1 else s for s in a.shape)
    np.testing.assert_array_equal(tg.Tensor(a).expand(target).data, np.broadcast_to(a, target))
    check_gradients(lambda x: x.expand(target) * np.arange(np.prod(target)).reshape(target), a)
    assert tg.Tensor(a).expand(*((-1,) * a.ndim)).shape == a.shape


@st.composite
def indices(draw, shape):
    """A numpy-style index for an array of ``shape``: basic and advanced parts."""
    parts = []
    for size in shape:
        kind = draw(st.sampled_from(["int", "slice", "array"]))
        if kind == "int":
            parts.append(draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            start = draw(st.none() | st.integers(-size, size))
            stop = draw(st.none() | st.integers(-size, size))
            step = draw(st.none() | st.integers(1, 3) | st.integers(-3, -1))
            parts.append(slice(start, stop, step))
        else:
            parts.append(
                np.array(draw(st.lists(st.integers(-size, size - 1), min_size=1, max_size=5)))
            )
    if draw(st.booleans()) and len(parts) > 1:  # an Ellipsis standing for the trailing axes
        parts = parts[:1] + [Ellipsis]
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), None)
    advanced = [p for p in parts if isinstance(p, np.ndarray)]
    if len(advanced) > 1:  # several arrays must broadcast together; make them one length
        n = min(len(p) for p in advanced)
        parts = [p[:n] if isinstance(p, np.ndarray) else p for p in parts]
    return tuple(parts)


@given(data=st.data())
def test_getitem_matches_numpy_and_accumulates_repeats(data):
    a = data.draw(float_arrays(shapes(max_dims=3)))
    index = data.draw(indices(a.shape))
    np.testing.assert_array_equal(tg.Tensor(a)[index].data, a[index])
    check_gradients(lambda x: x[index], a)


def test_getitem_repeated_indices_accumulate():
    x = tg.Tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[[0, 0, 2]].sum().backward()
    np.testing.assert_array_equal(x.grad, [2, 0, 1])
    y = tg.Tensor(np.zeros((2, 3)), requires_grad=True)
    y[tg.Tensor([1, 1]), tg.Tensor([2, 2])].sum().backward()  # tensors as indices
    np.testing.assert_array_equal(y.grad, [[0, 0, 0], [0, 0, 2]])


@given(a=float_arrays(shapes(max_dims=3)))
def test_getitem_boolean_mask(a):
    mask = a > 0
    np.testing.assert_array_equal(tg.Tensor(a)[mask].data, a[mask])
    np.testing.assert_array_equal(tg.Tensor(a)[tg.Tensor(mask)].data, a[mask])
    check_gradients(lambda x: x[mask] * 3, a)


def test_getitem_out_of_range_raises_index_error():
    with pytest.raises(IndexError):
        tg.ones(2, 3)[2]


@given(a=float_arrays(shapes(max_dims=3, max_side=3)), data=st.data())
def test_pad_like_torch(a, data):
    pad = tuple(
        data.draw(
            st.lists(st.integers(0, 2), min_size=2, max_size=2 * a.ndim).filter(
                lambda p: len(p) % 2 == 0
            )
        )
    )
    pairs = [(0, 0)] * (a.ndim - len(pad) // 2) + [
        (pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2)
    ]
    np.testing.assert_array_equal(tg.Tensor(a).pad(pad).data, np.pad(a, pairs))
    np.testing.assert_array_equal(
        tg.Tensor(a).pad(pad, value=-1.0).data, np.pad(a, pairs, constant_values=-1.0)
    )
    check_gradients(lambda x: x.pad(pad), a)


def test_pad_image_worked_example_and_errors():
    out = tg.ones(1, 1, 2, 2).pad((1, 1, 1, 1))
    assert out.shape == (1, 1, 4, 4)
    assert out.sum().item() == 4
    assert out.data[0, 0, 0].tolist() == [0, 0, 0, 0]
    with pytest.raises(ValueError, match="pad: padding"):
        tg.ones(2).pad((1, 1, 1, 1))
    with pytest.raises(ValueError, match="pad: padding"):
        tg.ones(2).pad((1,))


@given(data=st.data())
def test_concatenate_and_stack(data):
    shape = data.draw(shapes(max_dims=3))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    arrays = []
    for size in sizes:
        one = list(shape)
        one[axis] = size
        arrays.append(data.draw(float_arrays(tuple(one))))
    np.testing.assert_array_equal(
        tg.concatenate([tg.Tensor(x) for x in arrays], axis).data, np.concatenate(arrays, axis)
    )
    check_gradients(lambda *xs: tg.cat(xs, axis=axis), *arrays)
    same = [data.draw(float_arrays(shape)) for _ in sizes]
    stack_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    np.testing.assert_array_equal(
        tg.stack([tg.Tensor(x) for x in same], stack_axis).data, np.stack(same, stack_axis)
    )
    check_gradients(lambda *xs: tg.stack(xs, axis=stack_axis), *same)


def test_movement_errors_name_the_op():
    with pytest.raises(ValueError, match=r"reshape: inputs of shape \(2, 3\)"):
        tg.ones(2, 3).reshape(4)
    with pytest.raises(ValueError, match="permute: dims"):
        tg.ones(2, 3).permute(0, 0)
    with pytest.raises(ValueError, match=r"concatenate: inputs of shape \(2, 3\), \(2, 4\)"):
        tg.cat([tg.ones(2, 3), tg.ones(2, 4)])
    with pytest.raises(ValueError, match="stack: inputs of shape"):
        tg.stack([tg.ones(2, 3), tg.ones(3, 2)])
    with pytest.raises(ValueError, match="expand: inputs of shape"):
        tg.ones(2, 3).expand(4, 3)
    with pytest.raises(ValueError, match="concatenate: expected a non-empty"):
        tg.cat([])
