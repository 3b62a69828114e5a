"""Max pooling, forward and backward, on numpy arrays in NCHW layout.

Each output is the largest element of one kernel_size x kernel_size window of one channel;
the windows start every ``stride`` elements (by default stride = kernel_size: windows side
by side, no overlap). With an input of height H the output has (H - kernel_size) // stride + 1
rows (the same for the width): a window that would hang over the edge is left out.

    x (1, 1, 4, 4)       kernel_size 2        out (1, 1, 2, 2)    argmax (positions h * W + w)
    1  3 | 2  1
    2  9 | 1  1          -> max of each  ->    9  2                 5   2
    -----+-----             2x2 block          6  3                13  11
    1  3 | 2  3
    5  6 | 1  2

The forward also returns ``argmax``: for each output, the position h * W + w, in its own
(H, W) plane, of the element it copied. When a window holds its maximum more than once, the
FIRST one in row-major window order wins (as in PyTorch and tinygrad_cnn).

Backward: an output is a copy of one input element, so its derivative is 1 with respect to
that element and 0 for all the others. Each grad_out value therefore goes to the element
argmax names, and nowhere else. Where windows overlap (stride < kernel_size) one element can
be the maximum of several windows: it receives the SUM of their gradients.
"""

import numpy as np


def max_pool_forward(x, kernel_size, stride=None):
    """Max pooling of ``x``; returns ``(out, argmax)``.

    x: a float numpy array of shape (N, C, H, W), with H, W >= kernel_size.
    kernel_size: an int k >= 1, the side of the square window.
    stride: an int >= 1, the step between windows; None (the default) means k.

    Returns out, of shape (N, C, OH, OW) with OH = (H - k) // stride + 1 and
    OW = (W - k) // stride + 1, and the dtype of x: out[n, c, i, j] is the maximum of
    x[n, c, i*stride : i*stride + k, j*stride : j*stride + k]. And argmax, an integer array
    of the same shape: the position h * W + w in x[n, c] of the element that out[n, c, i, j]
    copied; on ties, the first maximum in row-major order within the window.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x)
    stride = kernel_size if stride is None else stride
    batch, channels, height, width = x.shape
    out_height = (height - kernel_size) // stride + 1
    out_width = (width - kernel_size) // stride + 1
    out = np.empty((batch, channels, out_height, out_width), dtype=x.dtype)
    argmax = np.empty((batch, channels, out_height, out_width), dtype=np.int64)
    for i in range(out_height):
        for j in range(out_width):
            top, left = i * stride, j * stride
            window = x[:, :, top : top + kernel_size, left : left + kernel_size]
            window = window.reshape(batch, channels, kernel_size * kernel_size)
            first = np.argmax(window, axis=2)  # np.argmax returns the first maximum
            out[:, :, i, j] = np.take_along_axis(window, first[:, :, None], axis=2)[:, :, 0]
            rows, cols = top + first // kernel_size, left + first % kernel_size
            argmax[:, :, i, j] = rows * width + cols
    return out, argmax
    ### END SOLUTION


def max_pool_backward(grad_out, argmax, input_shape):
    """The gradient of the loss with respect to x, given ``grad_out`` (with respect to out).

    grad_out: a float array of shape (N, C, OH, OW), the shape of out.
    argmax: the integer array that ``max_pool_forward`` returned with out (positions h * W + w
        in each (H, W) plane).
    input_shape: the shape (N, C, H, W) of x.

    Returns grad_x, a float array of shape input_shape: grad_out[n, c, i, j] added to
    grad_x[n, c, h, w] at the position argmax[n, c, i, j] = h * W + w names, zero where no
    output picked the element. An element picked by several (overlapping) windows gets the
    sum of their gradients.
    """
    ### BEGIN SOLUTION
    grad_out, argmax = np.asarray(grad_out), np.asarray(argmax)
    n_size, c_size, h_size, w_size = input_shape
    planes = n_size * c_size
    grad_x = np.zeros((planes, h_size * w_size), dtype=grad_out.dtype)
    # np.add.at adds once per occurrence of an index; grad_x[rows, argmax] += g would add
    # only once for a position that several windows picked.
    rows = np.arange(planes)[:, None]
    np.add.at(grad_x, (rows, argmax.reshape(planes, -1)), grad_out.reshape(planes, -1))
    return grad_x.reshape(n_size, c_size, h_size, w_size)
    ### END SOLUTION
