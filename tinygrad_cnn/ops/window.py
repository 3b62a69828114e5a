"""Argument checks shared by the sliding-window ops (convolution and pooling)."""

import numbers

import numpy as np


def pair(value, name, op, minimum):
    """An int or a pair of ints (Python's or numpy's) as a (vertical, horizontal) tuple of
    Python ints >= minimum."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2 or not all(_is_integer(v) for v in values):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    values = tuple(int(v) for v in values)
    if min(values) < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return values


def _is_integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_4d(x, op):
    if x.ndim != 4:
        raise ValueError(f"{op}: input must be 4-D (N, C, H, W), got shape {x.shape}")


def check_float(array, op):
    """The kernels are compiled for float32 and float64 (integers arrive cast to float32)."""
    if array.dtype not in (np.float32, np.float64):
        raise ValueError(
            f"{op}: {array.dtype} is not supported (float32 or float64; convert with .float()), "
            f"got an array of shape {array.shape}"
        )


def check_window_fits(x_shape, kernel, padding, dilation, op):
    """The (dilated) kernel must fit inside the padded input at least once."""
    for axis, label in ((0, "height"), (1, "width")):
        span = dilation[axis] * (kernel[axis] - 1) + 1
        padded = x_shape[2 + axis] + 2 * padding[axis]
        if span > padded:
            raise ValueError(
                f"{op}: kernel {kernel[0]}x{kernel[1]} (dilation {dilation[0]}x{dilation[1]}) "
                f"spans {span} but the padded input {label} is only {padded} "
                f"(input {x_shape}, padding {padding[0]}x{padding[1]})"
            )
