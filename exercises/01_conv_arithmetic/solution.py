"""Convolution arithmetic: the output size of a convolution and its number of parameters.

Along one axis, an input of n pixels, zero-padded by p on EACH side, holds n + 2p pixels. A
kernel of k taps with dilation d (d - 1 gaps between neighbouring taps) spans d(k - 1) + 1
of them. The first window starts at 0, each next one s further along, and the last must end
inside the padded input, so the number of windows is

    n_out = floor((n + 2p - d(k - 1) - 1) / s) + 1.

    7x7 input, 3x3 kernel:            (7 - 2 - 1) / 1 + 1 = 5
    the same with stride 2:           (7 - 2 - 1) / 2 + 1 = 3
    the same with stride 3:           floor(4 / 3) + 1 = 2   (the last input column is unused)
    with padding 1 and stride 1:      (7 + 2 - 2 - 1) / 1 + 1 = 7   ("same" padding)

A layer of c_out filters, each k x k over c_in input channels plus one bias, has
(k * k * c_in + 1) * c_out parameters: ten 5x5 filters on an RGB image, (5*5*3 + 1) * 10 = 760.
"""


def conv_output_size(n, k, stride=1, padding=0, dilation=1):
    """The output size, along one axis, of a convolution (or pooling) window sliding over n.

    n: the input size along this axis (an int >= 1), before padding.
    k: the kernel size along this axis (an int >= 1).
    stride: the step between two windows (an int >= 1).
    padding: the zeros added on EACH side of the input (an int >= 0).
    dilation: the step between two taps of the kernel (an int >= 1; 1 is an ordinary kernel).

    Returns the number of windows, an int: floor((n + 2p - d(k - 1) - 1) / s) + 1. When the
    stride does not divide the span evenly, this is still the floor (the trailing pixels that
    no window reaches are ignored), as in PyTorch, Keras and tinygrad_cnn.

    Raises ValueError when the dilated kernel is longer than the padded input (no window fits
    at all), and when n, k, stride or dilation is below 1 or padding is negative.
    """
    ### BEGIN SOLUTION
    if n < 1 or k < 1 or stride < 1 or dilation < 1 or padding < 0:
        raise ValueError(
            f"conv_output_size: need n, k, stride, dilation >= 1 and padding >= 0; got n={n}, "
            f"k={k}, stride={stride}, padding={padding}, dilation={dilation}"
        )
    span = dilation * (k - 1) + 1  # the pixels one window covers
    padded = n + 2 * padding  # zeros on both sides
    if span > padded:
        raise ValueError(
            f"conv_output_size: the kernel spans {span} pixels but the padded input has only "
            f"{padded}"
        )
    return (padded - span) // stride + 1
    ### END SOLUTION


def conv_parameters(k, c_in, c_out, bias=True):
    """The number of trainable parameters of a k x k convolution layer.

    k: the kernel side (an int; the kernel is k x k).
    c_in: the number of input channels (the depth of each filter).
    c_out: the number of filters (the output channels).
    bias: whether each filter has a bias (True, the default in Keras, PyTorch, tinygrad_cnn).

    Returns an int: (k * k * c_in + 1) * c_out with a bias, k * k * c_in * c_out without.
    """
    ### BEGIN SOLUTION
    per_filter = k * k * c_in + (1 if bias else 0)
    return per_filter * c_out
    ### END SOLUTION
