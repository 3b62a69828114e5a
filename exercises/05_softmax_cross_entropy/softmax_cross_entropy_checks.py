"""Helpers the visible and the hidden tests of 05_softmax_cross_entropy share.

The lecture's numbers (Aula 02, deck 000) and checks whose failure messages name the usual
mistakes: nan or inf from huge logits (the max was not subtracted), base-10 logs, a sum where
the mean belongs, a gradient not divided by the batch size or with its sign flipped.
"""

import numpy as np

from tinygrad_cnn.grading.checks import CheckFailed, as_array, assert_close, check

# The lecture's softmax example: five scores and the probabilities the slide prints (4 places).
LECTURE_SCORES = np.array([-0.8, 2.0, 6.0, -2.7, 0.8])
LECTURE_SOFTMAX_ROUNDED = np.array([0.0011, 0.0179, 0.9755, 0.0002, 0.0054])

# The lecture's cross-entropy examples for M > 2: five classes, the true one is class 3, and
# the predicted probabilities of each example; the slide's values are base-10 logs.
LECTURE_TARGET = 3
LECTURE_PREDICTIONS = [
    np.array([0.20, 0.0, 0.05, 0.72, 0.03]),
    np.array([0.30, 0.0, 0.05, 0.52, 0.13]),
    np.array([0.60, 0.0, 0.07, 0.30, 0.03]),
]
LECTURE_LOSSES_BASE_10 = [0.14267, 0.284, 0.5229]  # as printed; the natural log is the code's

# The lecture's M = 2 examples: the predicted probability of class 1 and the true label.
LECTURE_BINARY = [(0.20, 0.0), (0.92, 1.0), (0.65, 0.0)]
LECTURE_BINARY_BASE_10 = [0.09691, 0.03621, 0.45593]

MAX_HINT = (
    "e^z overflows to inf for z above 709 (and inf / inf is nan): subtract the max along the "
    "axis before exponentiating, softmax(z) = softmax(z - max(z))"
)
LOG_HINT = (
    "a probability that underflowed to 0 has log -inf: compute log_softmax as "
    "(z - max) - log(sum(exp(z - max))), never as log(softmax(z))"
)
CROSS_ENTROPY_HINT = (
    "either e^z overflowed (subtract the max along the axis before exponentiating) or a "
    "probability underflowed to 0 and its log is -inf (take log_softmax, not log(softmax), "
    "and pick the target's term by index: 0 * log 0 is 0 * -inf = nan)"
)
BASE_10_HINT = (
    "that is the value with log base 10, the slides' numbers; the code uses the natural log "
    "(np.log), as Keras, PyTorch and tinygrad_cnn do"
)


def result_array(value, what, shape):
    """The student's ``value`` as a numpy array of numbers, checked to have ``shape``."""
    got = as_array(value, what)
    check(got.shape == tuple(shape), f"{what}: expected shape {tuple(shape)}, got {got.shape}")
    return got.astype(np.float64)


def result_float(value, what):
    """The student's ``value`` as a Python float (a float, a numpy scalar or a 0-d array)."""
    got = as_array(value, what)
    check(got.shape == (), f"{what}: expected a single number (a float), got shape {got.shape}")
    return float(got)


def check_finite(got, what, hint=MAX_HINT):
    """Fail, naming the first nan or inf in ``got``, unless every element is finite."""
    got = np.asarray(got, dtype=np.float64)
    if not np.all(np.isfinite(got)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(got))[0])
        where = f"at index {index} " if index else ""
        raise CheckFailed(
            f"{what}: {where}got {got[index].item()!r}, expected a finite number; {hint}"
        )


def check_loss(value, expected, what, batch=1, base_10=None, wrong=(), hint=MAX_HINT, rtol=1e-9):
    """The student's loss ``value`` equals ``expected`` (a float). A failure says whether it is
    the base-10 value (``base_10``, by default expected / ln 10), the sum over a ``batch``
    instead of the mean, -loss, or one of the ``wrong`` values, given as pairs (value, what it
    means); ``hint`` follows a nan or an inf."""
    expected = float(expected)
    base_10 = expected / np.log(10.0) if base_10 is None else base_10
    got = result_float(value, what)
    check_finite(got, what, hint)
    if np.isclose(got, expected, rtol=rtol, atol=1e-12):
        return
    known = list(wrong)
    if expected != 0:
        known.append((base_10, BASE_10_HINT))
        known.append((-expected, "the sign is flipped: the loss is -log(probability) >= 0"))
    if batch > 1:
        known.append(
            (batch * expected, f"that is the sum over the {batch} examples: the loss is their mean")
        )
    notes = [note for bad, note in known if np.isclose(got, bad, rtol=1e-3, atol=1e-9)]
    note = f"; {notes[0]}" if notes else ""
    raise CheckFailed(f"{what}: expected {expected!r}, got {got!r}{note}")


def check_grad(value, expected, what):
    """The student's gradient ``value`` equals ``expected`` = (softmax - one_hot) / N; the
    failure says whether the division by N or the sign is missing."""
    expected = np.asarray(expected, dtype=np.float64)
    got = result_array(value, what, expected.shape)
    check_finite(got, what)
    n = expected.shape[0]
    if n > 1 and np.allclose(got, n * expected, rtol=1e-6, atol=1e-12):
        raise CheckFailed(
            f"{what}: got softmax - one_hot, expected it divided by the batch size N = {n} "
            f"(the loss is a mean over the N examples, so each example's part is 1/N)"
        )
    if np.allclose(got, -expected, rtol=1e-6, atol=1e-12):
        raise CheckFailed(
            f"{what}: got one_hot - softmax, the sign is flipped: the gradient is "
            f"(softmax - one_hot) / N (negative at the true class, where softmax < 1)"
        )
    assert_close(got, expected, f"{what} vs (softmax - one_hot) / N", rtol=1e-9, atol=1e-12)


def check_sums_to_one(got, axis, what):
    """Every slice of the student's softmax ``got`` along ``axis`` sums to 1."""
    sums = np.sum(got, axis=axis)
    if not np.allclose(sums, 1.0, rtol=0, atol=1e-12):
        first = np.ravel(sums)[np.argmax(~np.isclose(np.ravel(sums), 1.0, rtol=0, atol=1e-12))]
        raise CheckFailed(
            f"{what}: the probabilities along axis={axis} sum to {float(first)!r}, expected 1 "
            f"(divide by the sum along that axis, with keepdims=True)"
        )
