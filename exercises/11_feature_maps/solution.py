"""Feature maps and filters: what the layers of a convnet compute, made visible.

Two functions to write:

- ``capture_activations``: register a forward hook on each chosen layer of a model, run one
  image through it, keep what each layer produced, and remove the hooks again;
- ``filter_grid``: lay the kernels of a convolution layer out as one 2-D picture, each filter
  scaled on its own to [0, 1].

A Module cannot travel to the grader, so the tests call the given wrappers below
(``feature_maps``, ``feature_maps_twice``, ``hooks_left_after_failure``): they build the model
from plain data with ``build_model`` and call your ``capture_activations`` on it.

The lecture's vertical-edge example (deck 004): a 6x6 image, bright (10) on the left half and
dark (0) on the right, and the kernel with columns 1, 0, -1 give a 4x4 map whose rows all read

    0  30  30  0

the two middle columns are the windows that straddle the edge.
"""

import numpy as np

from tinygrad_cnn import Tensor, models, nn, no_grad


def build_model(recipe, state):
    """The model ``recipe`` describes, in float64 and evaluation mode, with ``state`` loaded
    (given).

    recipe: the name of a model of ``tinygrad_cnn.models.MODELS`` ("lenet5", "keras-cnn",
        "mlp"), or a list of ``[layer class name, [positional arguments]]`` pairs, e.g.
        ``[["Conv2d", [1, 1, 3]], ["ReLU", []]]``, that become an ``nn.Sequential``.
    state: a dict of dotted name -> numpy array, as ``Module.state_dict()`` makes it, e.g.
        ``{"0.weight": array of shape (1, 1, 3, 3), "0.bias": array of shape (1,)}``.
    """
    if isinstance(recipe, str):
        model = models.MODELS[recipe]()
    else:
        model = nn.Sequential(*(getattr(nn, name)(*args) for name, args in recipe))
    model.double()  # first, so that load_state_dict keeps the arrays in float64
    model.load_state_dict(state)
    return model.eval()


def count_forward_hooks(model):
    """How many forward hooks are registered on ``model`` and all its submodules (given)."""
    return sum(len(module._forward_hooks) for module in model.modules())


def feature_maps(recipe, state, image, layer_names):
    """Given: ``capture_activations`` on the model of ``recipe`` with the weights ``state``."""
    model = build_model(recipe, state)
    return capture_activations(model, np.asarray(image, dtype=np.float64), list(layer_names))


def feature_maps_twice(recipe, state, image, layer_names):
    """Given: ``capture_activations`` twice on the same model. Returns ``(first, second,
    hooks_left)``: the two results and the number of forward hooks still registered on the
    model afterwards (0 when every hook was removed)."""
    model = build_model(recipe, state)
    image = np.asarray(image, dtype=np.float64)
    first = capture_activations(model, image, list(layer_names))
    second = capture_activations(model, image, list(layer_names))
    return first, second, count_forward_hooks(model)


def hooks_left_after_failure(recipe, state, image, layer_names):
    """Given: a call of ``capture_activations`` that should fail (an unknown layer name, an
    image the model cannot take). Returns ``(raised, hooks_left)``: the name of the exception
    class that came out of it (None if it returned normally) and the number of forward hooks
    still registered on the model afterwards."""
    model = build_model(recipe, state)
    try:
        capture_activations(model, np.asarray(image, dtype=np.float64), list(layer_names))
        raised = None
    except Exception as error:  # noqa: BLE001  (any exception: its name is the answer)
        raised = type(error).__name__
    return raised, count_forward_hooks(model)


def capture_activations(model, image, layer_names):
    """What each named layer of ``model`` outputs for one image, captured with forward hooks.

    model: a tinygrad_cnn Module (float64 weights, evaluation mode).
    image: one image, a float64 numpy array (C, H, W), e.g. (1, 28, 28) for MNIST.
    layer_names: names of submodules as ``model.named_modules()`` yields them; for an
        ``nn.Sequential`` these are the positions "0", "1", ...

    Registers one hook per name with ``module.register_forward_hook(hook)``, where
    ``hook(module, inputs, output)`` keeps the output; runs the model once on the image as a
    batch of one, (1, C, H, W), without recording a graph; removes every hook with its
    handle's ``remove()``, also when the forward pass raises.

    Returns a dict layer name -> numpy array: that layer's output for the image, without the
    batch axis, e.g. (6, 28, 28) for LeNet-5's first convolution, (120,) for its first Linear.

    Raises ValueError, before registering any hook, if a name is not a submodule of the model.
    """
    ### BEGIN SOLUTION
    modules = dict(model.named_modules())
    unknown = [name for name in layer_names if name not in modules]
    if unknown:
        known = [name for name in modules if name]  # "" is the model itself
        raise ValueError(f"capture_activations: no layer named {unknown}; the layers: {known}")
    captured, handles = {}, []

    def keeper(name):
        def hook(module, inputs, output):
            captured[name] = np.array(output.data[0])  # a copy, without the batch axis

        return hook

    try:
        for name in layer_names:
            handles.append(modules[name].register_forward_hook(keeper(name)))
        with no_grad():  # no graph: nothing here needs gradients
            model(Tensor(image[None]))  # a batch of one image
    finally:  # the hooks go, whether the forward pass worked or not
        for handle in handles:
            handle.remove()
    return captured
    ### END SOLUTION


def filter_grid(weights, columns, padding=1, pad_value=0.0):
    """The kernels of a convolution layer as one 2-D image, tiles in rows of ``columns``.

    weights: a numpy array (C_out, C_in, kH, kW), a Conv2d weight.
    columns: tiles per row of the grid, an int >= 1.
    padding: pixels of ``pad_value`` around and between the tiles, an int >= 0.
    pad_value: the value of those pixels, and of the empty slots of the last row.

    Each filter o (all its C_in channels together) is scaled to [0, 1] on its own:
    (w[o] - min(w[o])) / (max(w[o]) - min(w[o])); a constant filter becomes all 0.
    The tiles are the C_out * C_in kernels in the order of ``weights.reshape(-1, kH, kW)``
    (filter 0 channel 0, filter 0 channel 1, ..., filter 1 channel 0, ...); tile t goes to
    grid row t // columns and column t % columns, its top-left pixel at
    (padding + row * (kH + padding), padding + column * (kW + padding)).

    Returns a float64 array of shape (rows * (kH + padding) + padding,
    columns * (kW + padding) + padding) with rows = ceil(C_out * C_in / columns).

    Raises ValueError if weights is not 4-D, columns < 1 or padding < 0.
    """
    ### BEGIN SOLUTION
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 4:
        raise ValueError(f"filter_grid: weights are (C_out, C_in, kH, kW), not {weights.shape}")
    if columns < 1 or padding < 0:
        raise ValueError(f"filter_grid: need columns >= 1, padding >= 0; got {columns}, {padding}")
    c_out, c_in, kh, kw = weights.shape
    low = weights.min(axis=(1, 2, 3), keepdims=True)  # one min and one max per filter
    span = weights.max(axis=(1, 2, 3), keepdims=True) - low
    scaled = (weights - low) / np.where(span > 0, span, 1.0)  # a constant filter -> 0
    tiles = scaled.reshape(c_out * c_in, kh, kw)
    rows = -(-len(tiles) // columns)
    grid = np.full(
        (rows * (kh + padding) + padding, columns * (kw + padding) + padding),
        float(pad_value),
    )
    for t, tile in enumerate(tiles):
        row, column = divmod(t, columns)
        top, left = padding + row * (kh + padding), padding + column * (kw + padding)
        grid[top : top + kh, left : left + kw] = tile
    return grid
    ### END SOLUTION
