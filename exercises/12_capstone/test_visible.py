"""Tests you can run: `pytest 12_capstone` (or `tinygrad-cnn grade` for the graded run).

The expectations come from the engine: `tinygrad_cnn.models.keras_mnist_cnn()` is the
lecture's network (see capstone_checks.py). The training test loads MNIST with
`tinygrad_cnn.data.load_mnist()` (set $TINYGRAD_CNN_DATA to a folder with the four files, or
let it download them), trains your network through `train`, then scores the weights it
returns on the 10,000 test images HERE, in the test, not in your code.

Timing: the first call that runs the network compiles the engine's Numba kernels (up to half
a minute on a busy machine, once per cache), hence the time limits of 60 s.
"""

import pytest
from capstone_checks import (
    BAR,
    GRADED_EPOCHS,
    TRAIN_IMAGES,
    check_layer_order,
    check_total,
    check_valid_epochs_train,
    check_weights,
    first_training_images,
    parse_summary,
    score_on_test_set,
)

from tinygrad_cnn.grading.checks import CheckFailed, check, expect_raises

SEED = 0  # the seed of the graded training run
TRAIN_SECONDS = 240  # time limit of the graded training run (reference: about 8 s idle)


@pytest.mark.points(1)
@pytest.mark.time_limit(60)
def test_summary_has_the_lectures_93322_parameters(student):
    rows, total = parse_summary(student.model_summary())
    check_total(rows, total)


@pytest.mark.points(1)
@pytest.mark.time_limit(60)
def test_trained_weights_have_the_keras_mnist_cnn_shapes(student):
    images, labels = first_training_images(256)
    state = student.train(images, labels, epochs=1, seed=0)
    check_weights(state, "train(first 256 training images, epochs=1, seed=0)")


@pytest.mark.points(1)
@pytest.mark.time_limit(60)
def test_more_than_three_epochs_are_refused(student):
    images, labels = first_training_images(64)
    expect_raises(
        ValueError,
        lambda: student.train(images, labels, epochs=4, seed=0),
        "train(first 64 training images, epochs=4, seed=0)",
    )
    check_valid_epochs_train(student, images, labels)


@pytest.mark.points(3)
@pytest.mark.time_limit(TRAIN_SECONDS)
def test_two_epochs_on_10000_images_reach_96_5_percent(student, record_property):
    rows, total = parse_summary(student.model_summary())
    try:  # a network of another layout cannot load into keras_mnist_cnn: no training
        check_total(rows, total)
        check_layer_order(rows)
    except CheckFailed as failure:
        raise CheckFailed(f"not trained: {failure}") from None
    images, labels = first_training_images(TRAIN_IMAGES)
    what = f"train(first {TRAIN_IMAGES:,} training images, epochs={GRADED_EPOCHS}, seed={SEED})"
    state = student.train(images, labels, epochs=GRADED_EPOCHS, seed=SEED)
    check_weights(state, what)
    accuracy = score_on_test_set(state)
    record_property("note", f"{what}: test accuracy {accuracy:.2%}")
    check(
        accuracy >= BAR,
        f"{what}: keras_mnist_cnn with these weights classifies {accuracy:.2%} of the 10,000 "
        f"test images correctly, below the bar of {BAR:.1%} (the images normalized as "
        f"(pixel / 255 - 0.1307) / 0.3081: did you train on the same normalization?)",
    )
