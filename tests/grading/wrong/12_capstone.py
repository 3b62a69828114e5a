"""Padding 1 on the convolutions ("to keep the size"): the maps end at 7x7, not 3x3, so the
Flatten gives 7 * 7 * 64 = 3,136 features and the network has 257,162 parameters instead of
the lecture's 93,322. Its weights cannot load into keras_mnist_cnn."""

SYMPTOM = "257,162 parameters"  # what a failure message must say


def build_model():
    nn = tinygrad_cnn.nn  # noqa: F821  (tinygrad_cnn comes from the reference above)
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(7 * 7 * 64, 64),  # the mistake's flatten size
        nn.ReLU(),
        nn.Linear(64, 10),
    )
