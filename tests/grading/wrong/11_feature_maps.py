"""Forward hooks that are never removed: the activations come out right, but every call
leaves its hooks on the model, which then keep firing (and holding memory) on every later
forward pass."""

SYMPTOM = "still registered on the model"  # what a failure message must say


def capture_activations(model, image, layer_names):
    modules = dict(model.named_modules())
    captured = {}
    for name in layer_names:
        if name not in modules:
            raise ValueError(f"capture_activations: no layer named {name!r}")

        def hook(module, inputs, output, name=name):
            captured[name] = np.array(output.data[0])  # noqa: F821  (np from the reference)

        modules[name].register_forward_hook(hook)  # the mistake: the handle is thrown away
    with no_grad():  # noqa: F821  (no_grad from the reference)
        model(Tensor(image[None]))  # noqa: F821  (Tensor from the reference)
    return captured
