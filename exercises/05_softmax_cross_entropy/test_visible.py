"""Tests you can run: `pytest 05_softmax_cross_entropy` (or `tinygrad-cnn grade` for the grade).

The numbers are the lecture's (Aula 02, deck 000), with the natural log: the slides print the
cross-entropy values with log base 10 (the README's table shows both).

cross_entropy takes logits, not probabilities. To reproduce an example whose predicted
probabilities y_hat sum to 1, the tests pass the logits z = ln(y_hat): softmax(ln y_hat) =
y_hat / sum(y_hat) = y_hat. A probability of 0.0 has no log; its logit is -100 instead, and
e^-100 = 3.7e-44 changes no digit of the loss.
"""

import numpy as np
import pytest
from softmax_cross_entropy_checks import (
    CROSS_ENTROPY_HINT,
    LECTURE_BINARY,
    LECTURE_BINARY_BASE_10,
    LECTURE_LOSSES_BASE_10,
    LECTURE_PREDICTIONS,
    LECTURE_SCORES,
    LECTURE_SOFTMAX_ROUNDED,
    LECTURE_TARGET,
    LOG_HINT,
    check_finite,
    check_grad,
    check_loss,
    check_sums_to_one,
    result_array,
)

from tinygrad_cnn.grading.checks import assert_close

BCE_HINT = "p and 1 - p are in (0, 1) here, so log p and log(1 - p) are finite"


def logits_of(probabilities):
    """Logits whose softmax is ``probabilities`` (which sum to 1); -100 stands in for ln 0."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    safe = np.where(probabilities > 0, probabilities, 1.0)
    return np.where(probabilities > 0, np.log(safe), -100.0)


@pytest.mark.points(1)
def test_softmax_and_log_softmax_of_the_lecture_example(student):
    z = LECTURE_SCORES
    what = "softmax([-0.8, 2.0, 6.0, -2.7, 0.8])"
    got = result_array(student.softmax(z), what, (5,))
    check_finite(got, what)
    assert_close(got, LECTURE_SOFTMAX_ROUNDED, f"{what} vs the slide (4 places)", atol=5e-5)
    e = np.exp(z)  # e^-0.8 ... e^6 are small: the plain formula is exact enough here
    assert_close(got, e / np.sum(e), f"{what} vs e^z / sum(e^z)", rtol=1e-12, atol=0)
    check_sums_to_one(got, -1, what)

    # a batch of two rows (the softmax of each row, axis=-1): the second row is the first
    # plus 100, and adding a constant to every score leaves the probabilities unchanged
    batch = np.stack([z, z + 100.0])
    what = "softmax([z, z + 100]) (shape (2, 5))"
    got = result_array(student.softmax(batch), what, (2, 5))
    check_finite(got, what)
    assert_close(got, np.stack([e / np.sum(e)] * 2), what, rtol=1e-12, atol=0)

    what = "log_softmax([-0.8, 2.0, 6.0, -2.7, 0.8])"
    got = result_array(student.log_softmax(z), what, (5,))
    check_finite(got, what, LOG_HINT)
    expected = z - np.log(413.55992499701523)  # ln of the slide's sum of e^z, 413.5599
    assert_close(got, expected, f"{what} vs z - ln(413.5599)", rtol=1e-12, atol=1e-12)


@pytest.mark.points(1)
def test_cross_entropy_of_the_lecture_examples(student):
    losses = []
    for y_hat, base_10 in zip(LECTURE_PREDICTIONS, LECTURE_LOSSES_BASE_10):
        expected = -np.log(y_hat[LECTURE_TARGET])  # 0.3285, 0.6539, 1.2040
        losses.append(expected)
        what = f"cross_entropy(ln of {y_hat.tolist()}, targets=[3])"
        value = student.cross_entropy(logits_of(y_hat)[None, :], np.array([LECTURE_TARGET]))
        check_loss(value, expected, what, base_10=base_10)
    what = "cross_entropy(the three examples as one batch, targets=[3, 3, 3])"
    logits = np.stack([logits_of(y_hat) for y_hat in LECTURE_PREDICTIONS])
    value = student.cross_entropy(logits, np.array([LECTURE_TARGET] * 3))
    check_loss(value, np.mean(losses), what, batch=3, base_10=np.mean(LECTURE_LOSSES_BASE_10))


@pytest.mark.points(1)
def test_cross_entropy_grad_worked_example(student):
    logits = np.stack([LECTURE_SCORES, LECTURE_SCORES])  # N = 2 examples, C = 5 classes
    targets = np.array([2, 0])
    e = np.exp(LECTURE_SCORES)
    probabilities = np.stack([e / np.sum(e)] * 2)
    what = "cross_entropy([z, z], targets=[2, 0])"
    expected = np.mean(-np.log(probabilities[[0, 1], targets]))  # (0.0248 + 6.8248) / 2
    check_loss(student.cross_entropy(logits, targets), expected, what, batch=2)
    one_hot = np.array([[0, 0, 1, 0, 0], [1, 0, 0, 0, 0]], dtype=np.float64)
    what = "cross_entropy_grad([z, z], targets=[2, 0])"
    check_grad(student.cross_entropy_grad(logits, targets), (probabilities - one_hot) / 2, what)


@pytest.mark.points(1)
def test_binary_cross_entropy_of_the_lecture_examples(student):
    for (p, y), base_10 in zip(LECTURE_BINARY, LECTURE_BINARY_BASE_10):
        expected = -np.log(p) if y == 1 else -np.log(1 - p)  # 0.2231, 0.0834, 1.0498
        swapped = -np.log(1 - p) if y == 1 else -np.log(p)
        what = f"binary_cross_entropy(p=[{p}], y=[{y}])"
        value = student.binary_cross_entropy(np.array([p]), np.array([y]))
        wrong = [(swapped, "the loss of the other label: y multiplies log p, 1 - y log(1 - p)")]
        check_loss(value, expected, what, base_10=base_10, wrong=wrong, hint=BCE_HINT)
    p, y = np.array([p for p, _ in LECTURE_BINARY]), np.array([y for _, y in LECTURE_BINARY])
    expected = np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))  # 0.4521
    what = "binary_cross_entropy(p=[0.2, 0.92, 0.65], y=[0, 1, 0])"
    value = student.binary_cross_entropy(p, y)
    base_10 = np.mean(LECTURE_BINARY_BASE_10)
    check_loss(value, expected, what, batch=3, base_10=base_10, hint=BCE_HINT)


@pytest.mark.points(1)
def test_huge_logits_stay_finite(student):
    z = np.array([1000.0, 0.0, -1000.0])
    what = "softmax([1000, 0, -1000])"
    got = result_array(student.softmax(z), what, (3,))
    check_finite(got, what)
    assert_close(got, [1.0, 0.0, 0.0], what, atol=1e-12)  # e^-1000 and e^-2000 are 0.0
    for target, expected in ((0, 0.0), (2, 2000.0)):
        what = f"cross_entropy([[1000, 0, -1000]], targets=[{target}])"
        value = student.cross_entropy(z[None, :], np.array([target]))
        check_loss(value, expected, what, hint=CROSS_ENTROPY_HINT)
