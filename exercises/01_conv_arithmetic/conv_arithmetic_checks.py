"""Helpers the visible and the hidden tests of 01_conv_arithmetic share.

``call`` runs one of the student's functions and checks that it returned an int; the two
checks compare that int with the expected count and, when it matches a classic mistake the
test names in ``hints`` ({wrong value: what it means}), say which mistake.
"""

import numpy as np

from tinygrad_cnn.grading.checks import CheckFailed, check


def describe(name, *args, **kwargs):
    """The call as a student would type it: ``conv_output_size(7, 3, stride=2)``."""
    words = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(words)})"


def call(student, name, *args, **kwargs):
    """``student.<name>(*args, **kwargs)`` as a Python int, or a CheckFailed saying why not."""
    what = describe(name, *args, **kwargs)
    got = getattr(student, name)(*args, **kwargs)
    integral = isinstance(got, (int, np.integer)) and not isinstance(got, (bool, np.bool_))
    check(
        integral,
        f"{what} returned {got!r} ({type(got).__name__}); a count of pixels or parameters is "
        f"a whole number: return an int (// divides and rounds down in one step)",
    )
    return int(got)


def check_count(got, expected, what, hints=None):
    """``got`` == ``expected``; otherwise a message with the hint that ``hints`` holds for the
    wrong value, if any."""
    if got != expected:
        hint = (hints or {}).get(got, "")
        raise CheckFailed(
            f"{what} returned {got}, expected {expected}" + (f": {hint}" if hint else "")
        )


def check_parameters(got, expected, c_out, what):
    """``got`` == ``expected`` parameters of a layer with ``c_out`` filters and biases; a
    count short by exactly ``c_out`` left the biases out."""
    hints = {
        expected - c_out: (
            f"that counts the weights without the bias; each filter also has one bias, added "
            f"to each of its outputs: {c_out} more parameters here"
        )
    }
    check_count(got, expected, what, hints)
