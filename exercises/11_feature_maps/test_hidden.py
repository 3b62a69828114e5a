"""The grader's tests for feature maps (not given to students).

Expectations come from the engine itself (each model run layer by layer, with no hook) and
from numpy (the grid built tile by tile), never from the reference solution.
"""

import numpy as np
import pytest
from feature_maps_checks import (
    EDGE_RECIPE,
    activations,
    check_no_hooks_left,
    edge_image,
    edge_state,
    random_state,
)
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_cnn import Tensor, models
from tinygrad_cnn.grading.checks import CheckFailed, as_array, assert_close, check
from tinygrad_cnn.testing import float_arrays


def layer_by_layer(model_name, state, image):
    """{position: output without the batch axis} of every layer of the Sequential model,
    computed by calling the layers one after the other (float64, evaluation mode)."""
    model = models.MODELS[model_name]().double()
    model.load_state_dict(state)
    model.eval()
    x, outputs = Tensor(np.asarray(image, dtype=np.float64)[None]), {}
    for position, layer in enumerate(model):
        x = layer(x)
        outputs[str(position)] = x.numpy()[0]
    return outputs


@pytest.mark.points(1)
def test_activations_match_a_plain_forward_pass(student):
    # a dark-to-bright edge: the convolution gives -30, the ReLU after it 0
    what = "feature_maps(EDGE_RECIPE, edge_state(), edge image bright on the RIGHT, ['0', '1'])"
    result = student.feature_maps(EDGE_RECIPE, edge_state(), edge_image(False), ["0", "1"])
    maps = activations(result, ["0", "1"], what)
    conv = np.tile([0.0, -30.0, -30.0, 0.0], (1, 4, 1))
    assert_close(maps["0"], conv, what + "['0'] (the convolution)")
    if maps["1"].shape == conv.shape and np.allclose(maps["1"], conv):
        raise CheckFailed(
            f"{what}['1']: the ReLU layer's activation equals its input (-30 stays -30); "
            f"keep the hook's output argument, not its inputs"
        )
    assert_close(maps["1"], np.zeros((1, 4, 4)), what + "['1'] (the ReLU: max(0, -30) = 0)")
    cases = [
        ("lenet5", [str(i) for i in range(12)], 1),  # every layer
        ("keras-cnn", ["0", "2", "5", "6", "9", "11"], 2),
    ]
    for model_name, names, seed in cases:
        state = random_state(model_name, seed)
        image = np.random.default_rng(seed).random((1, 28, 28))
        expected = layer_by_layer(model_name, state, image)
        what = f"feature_maps({model_name!r}, random weights, image, {names})"
        maps = activations(student.feature_maps(model_name, state, image, names), names, what)
        for name in names:
            assert_close(maps[name], expected[name], f"{what}[{name!r}]", rtol=1e-10)


# how a grid goes wrong when each filter is not scaled on its own, and what to say then
WRONG_SCALES = {
    "all": "the tiles are scaled with the min and max of all the filters together; scale each "
    "filter with its own min and max",
    "channel": "each tile is scaled with the min and max of its own input channel; scale each "
    "filter over all its input channels together",
    "none": "the tiles hold the raw weights; scale each filter to [0, 1] with its own min and max",
}


def scale_weights(weights, scale):
    """The weights scaled to [0, 1] per filter ("filter"), per kernel ("channel"), over all
    the weights ("all") or not at all ("none"); a constant group becomes 0."""
    if scale == "none":
        return weights.copy()
    axes = {"filter": (1, 2, 3), "channel": (2, 3), "all": (0, 1, 2, 3)}[scale]
    low = weights.min(axis=axes, keepdims=True)
    span = weights.max(axis=axes, keepdims=True) - low
    return np.where(span > 0, (weights - low) / np.where(span > 0, span, 1.0), 0.0)


def tile_slot(t, columns, padding, kh, kw):
    """The rows and columns of the grid that tile t covers, as slices."""
    row, column = divmod(t, columns)
    top, left = padding + row * (kh + padding), padding + column * (kw + padding)
    return slice(top, top + kh), slice(left, left + kw)


def expected_grid(weights, columns, padding, pad_value, scale="filter"):
    """The grid by the statement's rules, tile by tile (``scale``: see scale_weights)."""
    c_out, c_in, kh, kw = weights.shape
    rows = (c_out * c_in + columns - 1) // columns
    grid = np.full((rows * (kh + padding) + padding, columns * (kw + padding) + padding), pad_value)
    for t, tile in enumerate(scale_weights(weights, scale).reshape(-1, kh, kw)):
        grid[tile_slot(t, columns, padding, kh, kw)] = tile
    return grid


@st.composite
def conv_weights(draw):
    shape = tuple(draw(st.integers(1, n)) for n in (6, 3, 4, 4))  # (C_out, C_in, kH, kW)
    weights = draw(float_arrays(shape))
    if draw(st.booleans()):
        weights[-1] = 0.7  # a constant filter
    return weights


@pytest.mark.points(1)
@given(
    weights=conv_weights(),
    columns=st.integers(1, 7),
    padding=st.integers(0, 2),
    pad_value=st.sampled_from([0.0, 1.0, 0.5, -1.0]),
)
def test_filter_grid_tiles_layout_and_scale(student, weights, columns, padding, pad_value):
    c_out, c_in, kh, kw = weights.shape
    what = (
        f"filter_grid(weights of shape {weights.shape}, columns={columns}, padding={padding}, "
        f"pad_value={pad_value})"
    )
    grid = as_array(student.filter_grid(weights, columns, padding, pad_value), what)
    expected = expected_grid(weights, columns, padding, pad_value)
    rows = (c_out * c_in + columns - 1) // columns
    check(
        grid.shape == expected.shape,
        f"{what}: shape {grid.shape}, expected {expected.shape}: {c_out * c_in} tiles of "
        f"{kh}x{kw} make {rows} rows of {columns}, so ({rows} * ({kh} + {padding}) + "
        f"{padding}, {columns} * ({kw} + {padding}) + {padding})",
    )
    check(
        not np.isnan(grid).any(),
        f"{what}: the grid holds NaN; a constant filter (max = min) becomes all 0, not 0 / 0",
    )
    if not np.allclose(grid, expected, rtol=1e-10, atol=1e-12):
        for scale, hint in WRONG_SCALES.items():
            if np.allclose(grid, expected_grid(weights, columns, padding, pad_value, scale)):
                raise CheckFailed(f"{what}: {hint}")
    for t in range(c_out * c_in):
        o, c = divmod(t, c_in)
        rows_, columns_ = tile_slot(t, columns, padding, kh, kw)
        where = (
            f"the tile of filter {o}, channel {c}, grid[{rows_.start}:{rows_.stop}, "
            f"{columns_.start}:{columns_.stop}]"
        )
        if weights[o].min() == weights[o].max():
            where += f" (filter {o} is constant: its tile is all 0)"
        got, want = grid[rows_, columns_], expected[rows_, columns_]
        assert_close(got, want, f"{what}, {where}", rtol=1e-10, atol=1e-12)
    assert_close(grid, expected, f"{what}, the padding and empty slots (pad_value={pad_value})")


@pytest.mark.points(1)
def test_hooks_removed_when_the_call_fails(student):
    state, image = random_state("lenet5", 3), np.random.default_rng(3).random((1, 28, 28))
    names = ["0", "3", "conv1"]  # "conv1" is no layer of the Sequential (positions "0"...)
    what = f"capture_activations(lenet5, image, {names})"
    raised, hooks_left = student.hooks_left_after_failure("lenet5", state, image, names)
    check(
        raised == "ValueError",
        f"{what} should raise ValueError (no layer is named 'conv1'); "
        + ("it returned normally" if raised is None else f"it raised {raised}"),
    )
    check_no_hooks_left(int(hooks_left), what)
    two_channels = np.random.default_rng(4).random((2, 28, 28))  # LeNet-5 takes 1 channel
    what = "capture_activations(lenet5, image of shape (2, 28, 28), ['0', '3'])"
    raised, hooks_left = student.hooks_left_after_failure("lenet5", state, two_channels, ["0", "3"])
    check(
        raised is not None,
        f"{what} returned normally; the forward pass fails on 2 channels, and that error "
        f"should come out of capture_activations",
    )
    check_no_hooks_left(int(hooks_left), what)
