"""Classic small CNNs for MNIST-sized images (1 x 28 x 28), with their parameter counts."""

from tinygrad_cnn import nn


def _dense(in_features, out_features, dropout):
    """Linear -> ReLU (-> Dropout when dropout > 0)."""
    layers = [nn.Linear(in_features, out_features), nn.ReLU()]
    return layers + [nn.Dropout(dropout)] if dropout > 0 else layers


def lenet5(num_classes=10, dropout=0.0):
    """LeNet-5 (LeCun et al., 1998, "Gradient-based learning applied to document
    recognition") in its common modern form: ReLU instead of scaled tanh, max instead of
    average pooling, and padding 2 on the first convolution so 28x28 MNIST images play the
    role of the original 32x32 inputs.

    conv 6 5x5 pad 2 (156) -> pool -> conv 16 5x5 (2,416) -> pool -> 400 -> 120 (48,120)
    -> 84 (10,164) -> 10 (850): 61,706 parameters.
    """
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        *_dense(16 * 5 * 5, 120, dropout),
        *_dense(120, 84, dropout),
        nn.Linear(84, num_classes),
    )


def keras_mnist_cnn(num_classes=10, dropout=0.0):
    """The convnet of the Keras/TensorFlow MNIST tutorial ("Convolutional Neural Network"):

    conv 32 3x3 (320) -> pool -> conv 64 3x3 (18,496) -> pool -> conv 64 3x3 (36,928)
    -> flatten 576 -> dense 64 (36,928) -> dense 10 (650): 93,322 parameters.
    """
    return nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3),
        nn.ReLU(),
        nn.Flatten(),
        *_dense(576, 64, dropout),
        nn.Linear(64, num_classes),
    )


def mlp(num_classes=10, hidden=(128,), dropout=0.0, in_features=28 * 28):
    """A multi-layer perceptron on flattened images: 784 -> 128 -> 10 by default,
    101,770 parameters (784*128 + 128 + 128*10 + 10)."""
    layers = [nn.Flatten()]
    for width in hidden:
        layers += _dense(in_features, width, dropout)
        in_features = width
    layers.append(nn.Linear(in_features, num_classes))
    return nn.Sequential(*layers)


def deep_mlp(num_classes=10, dropout=0.0, activation="sigmoid", depth=10, width=64):
    """The vanishing-gradient demonstration: ``depth`` Linear layers (784 -> 64, eight times
    64 -> 64, 64 -> 10 by default: 84,170 parameters), each hidden one followed by
    ``activation``. ``"sigmoid"`` keeps Linear's default initialization, as the networks of
    the 1990s did; ``"relu"`` draws the weights with He's initialization (variance 2 / fan_in)
    and zero biases. Train either with ``--grad-stats`` and compare the first layers'
    gradients with the last's (docs/seeing.md)."""
    if activation not in ("sigmoid", "relu"):
        raise ValueError(f"deep_mlp: activation must be 'sigmoid' or 'relu', got {activation!r}")
    layers, in_features = [nn.Flatten()], 28 * 28
    for k in range(depth):
        out_features = width if k < depth - 1 else num_classes
        linear = nn.Linear(in_features, out_features)
        if activation == "relu":
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
            nn.init.zeros_(linear.bias)
        layers.append(linear)
        if k < depth - 1:
            layers.append(nn.Sigmoid() if activation == "sigmoid" else nn.ReLU())
            layers += [nn.Dropout(dropout)] if dropout > 0 else []
        in_features = out_features
    return nn.Sequential(*layers)


def deep_sigmoid_mlp(num_classes=10, dropout=0.0):
    """``deep_mlp`` with sigmoids and the default initialization: the gradients vanish."""
    return deep_mlp(num_classes, dropout, activation="sigmoid")


def deep_relu_mlp(num_classes=10, dropout=0.0):
    """``deep_mlp`` with ReLU and He's initialization: the gradients reach the first layer."""
    return deep_mlp(num_classes, dropout, activation="relu")


MODELS = {
    "lenet5": lenet5,
    "keras-cnn": keras_mnist_cnn,
    "mlp": mlp,
    "deep-sigmoid-mlp": deep_sigmoid_mlp,
    "deep-relu-mlp": deep_relu_mlp,
}
