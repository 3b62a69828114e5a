"""Assertions for exercise tests, with failure messages written for a student.

A failed check says what was computed (``what``), the shapes when they differ, otherwise the
first element that differs with both values, and how many elements differ. Hypothesis adds
the smallest failing input it found under the message, so a student sees a counter-example
they can run by hand.

These run in the grader's own process, on values the submission's process sent back: a
submission cannot reach them.
"""

import numpy as np


class CheckFailed(AssertionError):
    """A check of a submission's value failed; the message is meant for the student."""


def _short(value, limit=300):
    text = np.array2string(np.asarray(value), precision=6, threshold=20, separator=", ")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_array(got, what):
    """``got`` as a numpy array of numbers, or a CheckFailed naming what came instead."""
    try:
        array = np.asarray(got)
    except Exception:  # noqa: BLE001  (any odd value is the student's, reported below)
        array = None
    if array is None or array.dtype.kind not in "biuf":
        raise CheckFailed(f"{what}: expected numbers, got {type(got).__name__} {got!r:.80}")
    return array


def assert_close(got, expected, what, rtol=1e-7, atol=1e-9):
    """``got`` equals ``expected`` within ``atol + rtol * |expected|``, element by element."""
    expected = np.asarray(expected, dtype=np.float64)
    got = as_array(got, what)
    if got.shape != expected.shape:
        raise CheckFailed(
            f"{what}: expected shape {expected.shape}, got shape {got.shape}\n"
            f"  expected {_short(expected)}\n  got      {_short(got)}"
        )
    got = got.astype(np.float64)
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f"at index {index}" if index else "value"
        raise CheckFailed(
            f"{what}: {where} expected {expected[index].item()!r}, got {got[index].item()!r} "
            f"({int(bad.sum())} of {bad.size} elements differ)\n"
            f"  expected {_short(expected)}\n  got      {_short(got)}"
        )


def assert_equal(got, expected, what):
    """``got`` equals ``expected`` exactly (integers, booleans, masks, counts)."""
    assert_close(got, expected, what, rtol=0.0, atol=0.0)


def check(condition, message):
    """Fail with ``message`` unless ``condition`` holds (for properties such as bounds)."""
    if not condition:
        raise CheckFailed(message)


def expect_raises(error, call, what):
    """``call()`` must raise ``error`` (an exception class, e.g. ValueError). Works the same
    whether the student's code runs in this process (pytest) or in the grader's child
    process, where what it raised arrives as a SubmissionError naming the exception."""
    from tinygrad_cnn.grading.sandbox import SubmissionError

    try:
        call()
    except error:
        return
    except SubmissionError as failure:
        if error.__name__ in failure.raised:
            return
        raise CheckFailed(f"{what} should raise {error.__name__}; instead: {failure}") from None
    except Exception as other:  # noqa: BLE001  (in-process: the student's own exception)
        raise CheckFailed(
            f"{what} should raise {error.__name__}; it raised {type(other).__name__}: {other}"
        ) from None
    raise CheckFailed(f"{what} returned a value; it should raise {error.__name__}")
