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


MODELS = {"lenet5": lenet5, "keras-cnn": keras_mnist_cnn, "mlp": mlp}
