"""The grader's tests for the capstone (not given to students).

Layers and shapes are compared with the engine's keras_mnist_cnn, in two separate tests: the
order of the layers (a missing ReLU), and the output shape and parameter count of each layer
that has weights or changes the shape (padding, a wrong Flatten size).
"""

import numpy as np
import pytest
from capstone_checks import (
    check_layer_order,
    first_training_images,
    lecture_rows,
    parse_summary,
)
from hypothesis import example, given
from hypothesis import strategies as st

from tinygrad_cnn.grading.checks import as_array, assert_close, check, expect_raises

SHAPED = ("Conv2d", "MaxPool2d", "Flatten", "Linear")  # layers that change shapes or learn


@pytest.mark.points(1)
@pytest.mark.time_limit(60)
def test_layers_come_in_the_lectures_order(student):
    check_layer_order(parse_summary(student.model_summary())[0])


@pytest.mark.points(1)
@pytest.mark.time_limit(60)
def test_output_shapes_and_counts_match_the_lecture(student):
    got = [row for row in parse_summary(student.model_summary())[0] if row[0] in SHAPED]
    expected = [row for row in lecture_rows() if row[0] in SHAPED]
    for (kind, shape, count), (kind_e, shape_e, count_e) in zip(got, expected):
        what = f"model_summary(), the {kind_e} whose output should be {shape_e}"
        check(kind == kind_e, f"{what}: found a {kind} there")
        check(
            shape == shape_e,
            f"{what}: its output is {shape} (3x3 convolutions without padding and 2x2 "
            f"pooling: 28 -> 26 -> 13 -> 11 -> 5 -> 3, then 64 * 3 * 3 = 576 features)",
        )
        check(count == count_e, f"{what}: it has {count:,} parameters, expected {count_e:,}")
    check(
        len(got) == len(expected),
        f"model_summary() has {len(got)} Conv2d/MaxPool2d/Flatten/Linear layers, expected "
        f"{len(expected)}",
    )


@pytest.mark.points(1)
@pytest.mark.time_limit(60)
def test_the_seed_fixes_the_weights(student):
    images, labels = first_training_images(256)
    what = "train(first 256 training images, epochs=1, seed={})"
    first, again, other = (student.train(images, labels, epochs=1, seed=seed) for seed in (5, 5, 6))
    for state, seed in ((first, 5), (again, 5), (other, 6)):
        check(
            isinstance(state, dict) and len(state) > 0,
            f"{what.format(seed)} should return the state dict (name -> array), got "
            f"{type(state).__name__}",
        )
    for state, seed in ((again, 5), (other, 6)):
        check(
            list(state) == list(first),
            f"{what.format(seed)} returns the keys {list(state)}, but with seed=5 {list(first)}",
        )
    for key in first:
        assert_close(
            again[key],
            as_array(first[key], f"{what.format(5)}[{key!r}]"),
            f"{what.format(5)} twice, {key!r} (call tinygrad_cnn.manual_seed(seed) first)",
            rtol=1e-5,
            atol=1e-6,
        )
    differs = max(
        float(np.max(np.abs(as_array(other[k], k) - as_array(first[k], k)))) for k in first
    )
    check(
        differs > 1e-3,
        f"{what.format(5)} and seed=6 return the same weights (largest difference "
        f"{differs:.2g}): the seed should set the initialization and the shuffling",
    )


@pytest.mark.points(1)
@pytest.mark.time_limit(60)
@given(epochs=st.integers(-3, 40))
@example(epochs=0)
@example(epochs=1)
@example(epochs=4)
def test_only_one_to_three_epochs_are_accepted(student, epochs):
    images, labels = first_training_images(32)
    if 1 <= epochs <= 3:
        state = student.train(images, labels, epochs=epochs, seed=0)
        check(
            isinstance(state, dict) and len(state) > 0,
            f"train(first 32 training images, epochs={epochs}, seed=0) should return the "
            f"state dict (name -> array), got {type(state).__name__}",
        )
    else:
        expect_raises(
            ValueError,
            lambda: student.train(images, labels, epochs=epochs, seed=0),
            f"train(first 32 training images, epochs={epochs}, seed=0)",
        )
