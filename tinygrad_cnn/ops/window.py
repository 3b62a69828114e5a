"""Argument checks shared by the sliding-window ops (convolution and pooling)."""


def pair(value, name, op, minimum):
    """An int or a pair of ints as a (vertical, horizontal) tuple of Python ints >= minimum."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(values) < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return values


def check_4d(x, op):
    if x.ndim != 4:
        raise ValueError(f"{op}: input must be 4-D (N, C, H, W), got shape {x.shape}")


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
