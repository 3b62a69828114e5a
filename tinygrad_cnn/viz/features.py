"""Feature maps and filters: what each convolution and pooling layer makes of one image.

- ``feature_layers(model)``: the (name, module) of every Conv2d and pooling layer;
- ``capture(model, x, names)``: run ``x`` through the model with a forward hook on each named
  layer and return what each produced (the hooks are removed again, even on error);
- ``mosaic(maps)``: a stack of 2-D maps laid out as one picture, each scaled on its own;
- ``features_figure(...)``: the input, the first conv layer's filters and one grid per layer.
"""

import math

import numpy as np
from matplotlib import colormaps

from tinygrad_cnn import nn
from tinygrad_cnn.autograd import no_grad
from tinygrad_cnn.viz.png import new_figure

LAYER_TYPES = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)


def feature_layers(model):
    """[(name, module)] of the model's convolution and pooling layers, in forward order."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, LAYER_TYPES)]


@no_grad()
def capture(model, x, names):
    """{name: output array} of the named layers for the input tensor ``x``."""
    modules = dict(model.named_modules())
    outputs, handles = {}, []
    try:
        for name in names:
            record = lambda module, inputs, output, name=name: outputs.update({name: output.data})  # noqa: E731
            handles.append(modules[name].register_forward_hook(record))
        model(x)
    finally:
        for handle in handles:
            handle.remove()
    return {name: outputs[name] for name in names}


def mosaic(maps, pad=1):
    """The maps (n, h, w) tiled left to right, top to bottom in a near-square grid, each scaled
    to [0, 1] on its own (a constant map becomes 0), separated by ``pad`` blank (NaN) pixels."""
    maps = np.asarray(maps, dtype=np.float64)
    n, h, w = maps.shape
    columns = math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    low = maps.min(axis=(1, 2), keepdims=True)
    span = maps.max(axis=(1, 2), keepdims=True) - low
    scaled = (maps - low) / np.where(span > 0, span, 1)
    picture = np.full((rows * (h + pad) - pad, columns * (w + pad) - pad), np.nan)
    for k in range(n):
        top, left = (k // columns) * (h + pad), (k % columns) * (w + pad)
        picture[top : top + h, left : left + w] = scaled[k]
    return picture


def first_filters(model):
    """The weight (F, C, kH, kW) of the model's first Conv2d."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return module.weight.data
    raise ValueError(f"{type(model).__name__} has no Conv2d layer")


def describe(module):
    """A short label: 'Conv2d 6 5x5' or 'MaxPool2d 2x2'."""
    if isinstance(module, nn.Conv2d):
        out_channels, _, kh, kw = module.weight.shape
        return f"Conv2d {out_channels} filters {kh}x{kw}"
    size = module.kernel_size
    size = size if isinstance(size, tuple) else (size, size)
    return f"{type(module).__name__} {size[0]}x{size[1]}"


def features_figure(image, outputs, layers, filters, title):
    """The figure: ``image`` (2-D), the first conv layer's ``filters`` (F, C, kH, kW), and one
    mosaic per layer of ``outputs`` ({name: (1, C, H, W) array}; ``layers``: {name: module})."""
    panels = 2 + len(outputs)
    columns = min(3, panels)
    rows = math.ceil(panels / columns)
    figure = new_figure(5 * columns, 4.6 * rows + 0.6)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for extra in axes[panels:]:
        extra.set_axis_off()
    _show(axes[0], image, "input image (28x28, normalized)", cmap="gray")
    count, channels, kh, kw = filters.shape
    _show(
        axes[1],
        mosaic(filters.reshape(count * channels, kh, kw)),
        f"first conv layer's {count} filters ({kh}x{kw})\nwhite: large weight, black: small",
        cmap="gray",
    )
    for panel, (name, maps) in zip(axes[2:], outputs.items()):
        c, h, w = maps.shape[1:]
        label = f"layer {name}: {describe(layers[name])}\noutput {c} maps of {h}x{w}"
        _show(panel, mosaic(maps[0]), label, cmap="viridis")
    figure.suptitle(
        title + "\n(each map scaled to its own range; channels left to right, top to bottom)",
        fontsize=13,
    )
    return figure


def _show(axes, picture, title, cmap):
    colours = colormaps[cmap].with_extremes(bad="#9db8d9")  # the blank between tiles
    axes.imshow(picture, cmap=colours, interpolation="nearest")
    axes.set_title(title, fontsize=11)
    axes.set_xticks([])
    axes.set_yticks([])
