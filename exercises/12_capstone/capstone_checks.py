"""Helpers the visible and the hidden tests of 12_capstone share.

What the tests expect comes from the engine: ``tinygrad_cnn.models.keras_mnist_cnn()`` is the
lecture's network, so its summary gives the layers and output shapes, and its state dict the
keys and shapes of the weights ``train`` must return. The test set is scored here, in the
grader's process, with the normalization of ``tinygrad_cnn.data.DataLoader``.
"""

import functools
import re

import numpy as np

from tinygrad_cnn import models
from tinygrad_cnn.autograd import no_grad
from tinygrad_cnn.data import DataLoader, load_mnist
from tinygrad_cnn.grading.checks import CheckFailed, as_array, check

LECTURE_TOTAL = 93_322  # "Total params: 93,322" in the Keras summary of lecture 004
LECTURE_FLATTEN = 576  # 64 channels * 3 * 3
TRAIN_IMAGES = 10_000  # the graded run trains on the first 10,000 training images
GRADED_EPOCHS = 2  # ... for 2 epochs (train may be asked for 1, 2 or 3)
BAR = 0.965  # test accuracy the trained weights must reach
ROW = re.compile(r"^(\S+) \((\w+)\)\s+(\([\d, ]*\))\s+([\d,]+)\s*$")
TOTAL = re.compile(r"^Total params: ([\d,]+)\s*$", re.MULTILINE)


def parse_summary(text, what="model_summary()"):
    """The rows of a summary table as (kind, output shape, parameter count), and its total.

    A row reads like ``3 (Conv2d)      (64, 11, 11)    18,496``; see Module.summary."""
    check(isinstance(text, str), f"{what} should return a str, got {type(text).__name__}")
    rows = []
    for line in text.splitlines():
        match = ROW.match(line.strip())
        if match:
            _, kind, shape, count = match.groups()
            shape = tuple(int(n) for n in shape.strip("()").replace(" ", "").split(",") if n)
            rows.append((kind, shape, int(count.replace(",", ""))))
    total = TOTAL.search(text)
    check(
        rows and total,
        f"{what} should return the table of model.summary((1, 28, 28)); got {text!r:.200}",
    )
    return rows, int(total.group(1).replace(",", ""))


@functools.cache
def lecture_rows():
    """The rows of the engine's keras_mnist_cnn summary: the layers the student must build."""
    rows, total = parse_summary(models.keras_mnist_cnn().summary((1, 28, 28)), "the engine")
    assert total == LECTURE_TOTAL
    return tuple(rows)


def flatten_hint(rows):
    """A sentence on the Flatten size when it is not 576, else ''."""
    sizes = [shape[0] for kind, shape, _ in rows if kind == "Flatten" and len(shape) == 1]
    if not sizes or sizes[0] == LECTURE_FLATTEN:
        return ""
    return (
        f"; your Flatten gives {sizes[0]:,} features, the lecture's gives 576 = 64 * 3 * 3 "
        f"(3x3 convolutions without padding, as Keras's default padding='valid': 28 -> 26 "
        f"-> pool 13 -> 11 -> pool 5 -> 3)"
    )


def check_total(rows, total):
    """The summary's total must be the lecture's 93,322."""
    check(
        total == LECTURE_TOTAL,
        f"model_summary() reports {total:,} parameters, expected {LECTURE_TOTAL:,} (the Keras "
        f"summary of lecture 004){flatten_hint(rows)}",
    )


def check_layer_order(rows):
    """The layers' kinds come in the order of keras_mnist_cnn; the failure names the first
    layer that differs."""
    got = [kind for kind, _, _ in rows]
    expected = [kind for kind, _, _ in lecture_rows()]
    for position, (mine, theirs) in enumerate(zip(got, expected)):
        if mine != theirs:
            after = f" (after {expected[position - 1]} {position - 1})" if position else ""
            raise CheckFailed(
                f"model_summary(): layer {position} is {mine}, expected {theirs}{after}; the "
                f"lecture's order is {', '.join(expected)} (a ReLU after every convolution "
                f"and after the dense layer of 64)"
            )
    check(
        len(got) == len(expected),
        f"model_summary() lists {len(got)} layers, expected {len(expected)}: {', '.join(expected)}",
    )


@functools.cache
def expected_weights():
    """{key: shape} of keras_mnist_cnn's state dict, in order."""
    return {key: value.shape for key, value in models.keras_mnist_cnn().state_dict().items()}


def check_weights(state, what):
    """``state`` (what train returned) has exactly keras_mnist_cnn's keys and shapes, finite
    numbers; the failure names the first key or shape that differs."""
    check(
        isinstance(state, dict),
        f"{what} should return the state dict (a dict of name -> array), got "
        f"{type(state).__name__}",
    )
    expected = expected_weights()
    for key, shape in expected.items():
        if key not in state:
            others = [k for k in state if k not in expected]
            raise CheckFailed(
                f"{what}: no weight {key!r} (keras_mnist_cnn's keys are {list(expected)}); "
                f"keys it has that keras_mnist_cnn does not: {others[:6]}. Build the 12 layers "
                f"in one nn.Sequential, in the order of the statement"
            )
        got = as_array(state[key], f"{what}[{key!r}]")
        check(
            got.shape == shape,
            f"{what}[{key!r}] has shape {got.shape}, keras_mnist_cnn's has {shape}",
        )
        check(np.all(np.isfinite(got)), f"{what}[{key!r}] holds NaN or inf")
    extra = [key for key in state if key not in expected]
    check(not extra, f"{what} returned keys keras_mnist_cnn does not have: {extra}")


def check_valid_epochs_train(student, images, labels):
    """``train`` with epochs=1 returns a dict (refusing every call is not refusing epochs)."""
    what = f"train(first {len(labels)} training images, epochs=1, seed=0)"
    state = student.train(images, labels, epochs=1, seed=0)
    check(
        isinstance(state, dict) and len(state) > 0,
        f"{what} should return the state dict (name -> array), got {type(state).__name__}",
    )


@functools.cache
def mnist():
    """((train images, labels), (test images, labels)) as load_mnist gives them."""
    return load_mnist()


def first_training_images(n):
    (images, labels), _ = mnist()
    return images[:n], labels[:n]


@no_grad()
def score_on_test_set(state):
    """The accuracy on the 10,000 test images of keras_mnist_cnn loaded with ``state``
    (strict), the images normalized as DataLoader does: (pixel / 255 - 0.1307) / 0.3081."""
    model = models.keras_mnist_cnn()
    model.load_state_dict(state, strict=True)
    model.eval()
    _, (images, labels) = mnist()
    loader = DataLoader(images, labels, batch_size=1000)
    predictions = np.concatenate([model(x).data.argmax(axis=1) for x, _ in loader])
    return float(np.mean(predictions == labels))
