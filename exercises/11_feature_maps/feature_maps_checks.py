"""Helpers the visible and the hidden tests of 11_feature_maps share.

The lecture's vertical-edge example (deck 004) as a model recipe, its weights and its image;
random weights for the models of ``tinygrad_cnn.models``; and checks of what the student's
functions return (a dict with one array per requested layer, no forward hook left behind).
"""

import numpy as np

from tinygrad_cnn import models
from tinygrad_cnn.grading.checks import CheckFailed, as_array, check

EDGE_RECIPE = [["Conv2d", [1, 1, 3]], ["ReLU", []]]  # layers "0" (the convolution), "1"
VERTICAL_EDGE = np.array([[1.0, 0.0, -1.0]] * 3)  # bright on the left, dark on the right


def edge_state():
    """The state dict of EDGE_RECIPE: the vertical-edge kernel, bias 0."""
    return {"0.weight": VERTICAL_EDGE.reshape(1, 1, 3, 3), "0.bias": np.zeros(1)}


def edge_image(bright_left=True):
    """The lecture's 6x6 image, (1, 6, 6): 10 in columns 0-2 and 0 in columns 3-5 (swapped
    when ``bright_left`` is False)."""
    row = np.array([10.0, 10.0, 10.0, 0.0, 0.0, 0.0])
    return np.tile(row if bright_left else row[::-1], (6, 1))[None]


def random_state(model_name, seed):
    """Random float64 weights for the model ``tinygrad_cnn.models.MODELS[model_name]``, as a
    state dict, scaled by 1 / sqrt(fan in) so that activations stay of order 1."""
    rng = np.random.default_rng(seed)
    state = {}
    for name, array in models.MODELS[model_name]().state_dict().items():
        fan_in = int(np.prod(array.shape[1:])) if array.ndim > 1 else 1
        state[name] = rng.normal(0.0, 1.0 / np.sqrt(fan_in), size=array.shape)
    return state


def activations(result, layer_names, what):
    """The student's {layer name: array}, checked to hold exactly ``layer_names``."""
    check(
        isinstance(result, dict),
        f"{what} should return a dict layer name -> array, got {type(result).__name__}",
    )
    check(
        sorted(result) == sorted(layer_names),
        f"{what} returned the layers {sorted(result)}, expected {sorted(layer_names)}",
    )
    return {name: as_array(result[name], f"{what}[{name!r}]") for name in layer_names}


def check_no_hooks_left(hooks_left, what):
    """No forward hook may stay on the model once the student's function has returned."""
    if hooks_left != 0:
        plural = "s" if hooks_left != 1 else ""
        raise CheckFailed(
            f"{what}: {hooks_left} forward hook{plural} still registered on the model "
            f"afterwards, expected 0; keep each handle that register_forward_hook returns and "
            f"call handle.remove() once the forward pass is over (in a finally block, so that "
            f"it also happens when the pass fails)"
        )
