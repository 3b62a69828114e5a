"""Module.summary: a Keras-style table of layers, output shapes and parameter counts.

It runs one forward pass on a zero batch of one image (in eval mode, without recording a
graph) and records, with forward hooks, the output of every layer that has no sub-layers.
"""

import numpy as np

from tinygrad_cnn.autograd import no_grad
from tinygrad_cnn.tensor import Tensor


def summary(model, input_shape):
    input_shape = tuple(input_shape)
    rows, handles = [], []
    for name, module in model.named_modules():
        if module is model and list(model.children()):
            continue
        if list(module.children()):
            continue

        def record(module, inputs, output, name=name):
            count = sum(p.numel() for p in module._parameters.values())
            rows.append((f"{name or 'model'} ({type(module).__name__})", output.shape, count))

        handles.append(module.register_forward_hook(record))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(Tensor(np.zeros((1,) + input_shape, dtype=np.float32)))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()

    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    width = max([len(r[0]) for r in rows] + [len("Layer (type)")]) + 3
    lines = [f"{'Layer (type)':<{width}}{'Output Shape':<20}{'Param #':>12}", "=" * (width + 32)]
    for label, shape, count in rows:
        lines.append(f"{label:<{width}}{str(tuple(shape[1:])):<20}{count:>12,}")
    lines += [
        "=" * (width + 32),
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
        f"Input shape: {input_shape}",
    ]
    return "\n".join(lines)
