"""Tests you can run: `pytest 11_feature_maps` (or `tinygrad-cnn grade` for the graded run).

The model cannot travel between processes, so the tests call the given wrappers of
solution.py (``feature_maps``, ``feature_maps_twice``), which build the model from a recipe
and a state dict and then call your ``capture_activations``.
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

from tinygrad_cnn.grading.checks import CheckFailed, as_array, assert_close, check

# LeNet-5 (tinygrad_cnn.models.lenet5) on a 1x28x28 image: output shape of some layers
LENET_SHAPES = {"0": (6, 28, 28), "2": (6, 14, 14), "5": (16, 5, 5), "6": (400,), "7": (120,)}


@pytest.mark.points(1)
def test_vertical_edge_lights_up_the_middle_columns(student):
    what = "feature_maps(EDGE_RECIPE, edge_state(), edge_image(), ['0', '1'])"
    result = student.feature_maps(EDGE_RECIPE, edge_state(), edge_image(), ["0", "1"])
    maps = activations(result, ["0", "1"], what)
    # each 3x3 window sums 10 * (left column - right column) over 3 rows: 0, 30, 30, 0
    expected = np.tile([0.0, 30.0, 30.0, 0.0], (1, 4, 1))
    assert_close(maps["0"], expected, what + "['0'] (the convolution, (1, 4, 4))")
    assert_close(maps["1"], expected, what + "['1'] (the ReLU after it, nothing negative)")


@pytest.mark.points(1)
def test_filter_grid_worked_example(student):
    weights = np.array(
        [
            [[[-1.0, 0.0], [1.0, 3.0]]],  # min -1, max 3: (w + 1) / 4
            [[[10.0, 20.0], [30.0, 40.0]]],  # min 10, max 40: (w - 10) / 30
            [[[5.0, 5.0], [5.0, 5.0]]],  # constant: all 0
        ]
    )  # (3 filters, 1 channel, 2, 2)
    what = "filter_grid(weights of shape (3, 1, 2, 2), columns=2, padding=1, pad_value=1.0)"
    grid = as_array(student.filter_grid(weights, 2, padding=1, pad_value=1.0), what)
    check(
        grid.shape == (7, 7),
        f"{what}: shape {grid.shape}, expected (7, 7): 2 rows and 2 columns of 2x2 tiles with "
        f"a 1-pixel border around and between them, 2 * (2 + 1) + 1 = 7",
    )
    check(
        not np.isnan(grid).any(),
        f"{what}: the grid holds NaN; filter 2 is constant (max = min = 5), so its tile is "
        f"all 0, not 0 / 0",
    )
    second = grid[1:3, 4:6]  # filter 1, top right
    overall = (weights[1, 0] + 1) / 41  # scaled with the min -1 and max 40 of all filters
    if np.allclose(second, overall) or np.allclose(second, weights[1, 0]):  # the classic slip
        raise CheckFailed(
            f"{what}: the tile of filter 1, grid[1:3, 4:6], is {second.tolist()}, "
            f"expected [[0, 1/3], [2/3, 1]]: scale each filter with its own min and max, "
            f"here (w - 10) / (40 - 10), not with those of all the filters"
        )
    tiles = {  # row-major: filter 0 top left, filter 1 top right, filter 2 bottom left
        "filter 0's tile, grid[1:3, 1:3]": (grid[1:3, 1:3], [[0.0, 0.25], [0.5, 1.0]]),
        "filter 1's tile, grid[1:3, 4:6]": (grid[1:3, 4:6], [[0.0, 1 / 3], [2 / 3, 1.0]]),
        "filter 2's tile, grid[4:6, 1:3]": (grid[4:6, 1:3], [[0.0, 0.0], [0.0, 0.0]]),
    }
    for name, (got, expected) in tiles.items():
        assert_close(got, expected, f"{what}, {name}")
    t = 1.0  # the pad value, around and between the tiles and in the empty fourth slot
    expected = [
        [t, t, t, t, t, t, t],
        [t, 0.0, 0.25, t, 0.0, 1 / 3, t],
        [t, 0.5, 1.0, t, 2 / 3, 1.0, t],
        [t, t, t, t, t, t, t],
        [t, 0.0, 0.0, t, t, t, t],
        [t, 0.0, 0.0, t, t, t, t],
        [t, t, t, t, t, t, t],
    ]
    assert_close(grid, expected, what + ", the whole grid")


@pytest.mark.points(1)
def test_hooks_are_removed_after_each_call(student):
    names = list(LENET_SHAPES)
    image = np.random.default_rng(0).random((1, 28, 28))
    what = f"feature_maps_twice('lenet5', weights, image, {names})"
    first, second, hooks_left = student.feature_maps_twice(
        "lenet5", random_state("lenet5", 0), image, names
    )
    first = activations(first, names, what + ", the first call")
    second = activations(second, names, what + ", the second call")
    for name, shape in LENET_SHAPES.items():
        check(
            first[name].shape == shape,
            f"{what}: layer {name!r} has shape {first[name].shape}, expected {shape} "
            f"(the layer's output for the one image, without the batch axis)",
        )
        assert_close(second[name], first[name], f"{what}: layer {name!r}, second vs first call")
    check_no_hooks_left(int(hooks_left), what)
