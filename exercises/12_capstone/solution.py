"""Capstone: the Keras MNIST convnet of the lectures, built with tinygrad_cnn.nn and trained.

The network (lecture 004's Keras summary; 93,322 parameters, channels first here):

    input (1, 28, 28)
    Conv2d(1, 32, 3)   -> (32, 26, 26)     320 = (3*3*1 + 1) * 32     then ReLU
    MaxPool2d(2)       -> (32, 13, 13)
    Conv2d(32, 64, 3)  -> (64, 11, 11)  18,496 = (3*3*32 + 1) * 64    then ReLU
    MaxPool2d(2)       -> (64, 5, 5)
    Conv2d(64, 64, 3)  -> (64, 3, 3)    36,928 = (3*3*64 + 1) * 64    then ReLU
    Flatten            -> (576,)                 576 = 64 * 3 * 3
    Linear(576, 64)    -> (64,)         36,928 = 576 * 64 + 64        then ReLU
    Linear(64, 10)     -> (10,)            650 = 64 * 10 + 10         (logits: no softmax)

The twelve layers go into one nn.Sequential in this order, so the state dict's keys are those
of ``tinygrad_cnn.models.keras_mnist_cnn()``: 0.weight, 0.bias, 3.*, 6.*, 9.*, 11.*.

Images are uint8 (n, 28, 28); the network sees (pixel / 255 - 0.1307) / 0.3081 as float32
(n, 1, 28, 28), which is what ``tinygrad_cnn.data.DataLoader`` makes of them.
"""

import numpy as np  # noqa: F401  (for your own code)

import tinygrad_cnn
import tinygrad_cnn.functional as F
from tinygrad_cnn import nn, optim
from tinygrad_cnn.data import DataLoader

MAX_EPOCHS = 3  # the budget: train refuses more passes over the data


def build_model():
    """The convnet above as one ``nn.Sequential`` of 12 layers, in this order: Conv2d, ReLU,
    MaxPool2d, Conv2d, ReLU, MaxPool2d, Conv2d, ReLU, Flatten, Linear, ReLU, Linear.

    Returns the model (a Module); it cannot be sent to the grader, so the tests see it
    through ``model_summary`` and through the state dict that ``train`` returns.
    """
    ### BEGIN SOLUTION
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
        nn.Linear(64 * 3 * 3, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )
    ### END SOLUTION


def model_summary():
    """GIVEN: the Keras-style summary table of your model for one 1x28x28 image (a str)."""
    return build_model().summary((1, 28, 28))


def train(images, labels, epochs, seed):
    """Train a fresh ``build_model()`` on ``images`` and ``labels``; return its weights.

    images: uint8 array (n, 28, 28), MNIST digits, pixels 0..255.
    labels: int64 array (n,), the digits 0..9.
    epochs: the number of passes over the data, 1, 2 or 3; anything else (e.g. 4, or 0)
        raises ValueError before any training.
    seed: a non-negative int; call ``tinygrad_cnn.manual_seed(seed)`` before building the
        model, so that the same arguments give the same weights.

    Feed the network (pixel / 255 - 0.1307) / 0.3081 (``DataLoader`` does this), train with
    cross-entropy on the logits, and return ``model.state_dict()``: a dict from the keys
    0.weight, 0.bias, 3.weight, ..., 11.bias to float numpy arrays. Run the training loop inside
    ``with tinygrad_cnn.tuned_for_training():`` (as ``tinygrad-cnn train`` does): it tunes the
    process for training while the block runs, several times faster on two cores.
    """
    ### BEGIN SOLUTION
    if isinstance(epochs, bool) or epochs not in range(1, MAX_EPOCHS + 1):
        raise ValueError(f"train: epochs must be 1, 2 or 3 (the budget), got {epochs!r}")
    tinygrad_cnn.manual_seed(seed)
    model = build_model()
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    loader = DataLoader(images, labels, batch_size=64, shuffle=True)  # normalizes each batch
    model.train()
    with tinygrad_cnn.tuned_for_training():
        for _ in range(epochs):
            for x, y in loader:
                optimizer.zero_grad()
                F.cross_entropy(model(x), y).backward()
                optimizer.step()
    return model.state_dict()
    ### END SOLUTION
