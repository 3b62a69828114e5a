"""Reference kernels: convolution and pooling as plain loops, straight from the formulas
(and ReLU's backward, one numpy expression).

These are the code the docs show and the twins the fast kernels (``fast.py``) are tested
against. They are slow (pure Python): use them to read, to debug, and on tiny inputs.

Shapes: x is (N, C, H, W); a conv weight is (F, C, KH, KW); stride, padding and dilation are
(vertical, horizontal) pairs. Output size along one axis, for input size n, kernel k:

    out = floor((n + 2 * padding - dilation * (k - 1) - 1) / stride) + 1

Input position of kernel tap (i, j) for output (oh, ow):

    h = oh * stride_h + i * dilation_h - padding_h,   w = ow * stride_w + j * dilation_w - padding_w

and positions outside 0 <= h < H, 0 <= w < W are padding (zero for convolution and average
pooling, minus infinity for max pooling).
"""

import numpy as np


def output_size(size, kernel, stride, padding, dilation=1):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv2d_forward(x, weight, stride, padding, dilation, keep=True, bias=None):
    """out[n, f, oh, ow] = sum over c, i, j of x[n, c, h, w] * weight[f, c, i, j] (+ bias[f])
    (cross-correlation: the kernel is not flipped).

    Returns (out, cache): the cache is what conv2d_backward needs besides the weight; here
    simply x (the fast twin keeps its im2col columns instead), or None without ``keep``
    (no backward will follow)."""
    n_size, c_size, h_size, w_size = x.shape
    f_size, _, kh, kw = weight.shape
    oh_size = output_size(h_size, kh, stride[0], padding[0], dilation[0])
    ow_size = output_size(w_size, kw, stride[1], padding[1], dilation[1])
    out = np.zeros((n_size, f_size, oh_size, ow_size), dtype=x.dtype)
    for n in range(n_size):
        for f in range(f_size):
            for oh in range(oh_size):
                for ow in range(ow_size):
                    total = 0.0 if bias is None else bias[f]
                    for c in range(c_size):
                        for i in range(kh):
                            for j in range(kw):
                                h = oh * stride[0] + i * dilation[0] - padding[0]
                                w = ow * stride[1] + j * dilation[1] - padding[1]
                                if 0 <= h < h_size and 0 <= w < w_size:
                                    total += x[n, c, h, w] * weight[f, c, i, j]
                    out[n, f, oh, ow] = total
    return out, x if keep else None


def conv2d_backward(
    cache,
    weight,
    grad_out,
    stride,
    padding,
    dilation,
    need_x=True,
    need_weight=True,
    need_bias=False,
):
    """Gradients of the convolution for the input, the weight and the bias.

    Every term of the forward sum, out[n, f, oh, ow] += x[n, c, h, w] * weight[f, c, i, j],
    is a product, so it sends g * weight to x[n, c, h, w] and g * x to weight[f, c, i, j]
    (g = grad_out[n, f, oh, ow]). Running the same loops and adding these up gives both
    gradients (``need_x``/``need_weight`` say which are wanted; ``cache`` is x, from the
    forward). (Grouped by input position, the first is a full correlation of g with the
    flipped kernel; grouped by tap, the second is a correlation of x with g: see docs/conv.md.)
    The bias is added to every output of its filter, so dL/dbias[f] is the sum of g[:, f].
    Returns (dL/dx, dL/dW, dL/dbias), each None unless asked for.
    """
    x = cache
    n_size, c_size, h_size, w_size = x.shape
    f_size, _, kh, kw = weight.shape
    _, _, oh_size, ow_size = grad_out.shape
    grad_x = np.zeros_like(x)
    grad_weight = np.zeros_like(weight)
    for n in range(n_size):
        for f in range(f_size):
            for oh in range(oh_size):
                for ow in range(ow_size):
                    g = grad_out[n, f, oh, ow]
                    for c in range(c_size):
                        for i in range(kh):
                            for j in range(kw):
                                h = oh * stride[0] + i * dilation[0] - padding[0]
                                w = ow * stride[1] + j * dilation[1] - padding[1]
                                if 0 <= h < h_size and 0 <= w < w_size:
                                    grad_x[n, c, h, w] += g * weight[f, c, i, j]
                                    grad_weight[f, c, i, j] += g * x[n, c, h, w]
    grad_bias = grad_out.sum(axis=(0, 2, 3)) if need_bias else None
    return (grad_x if need_x else None), (grad_weight if need_weight else None), grad_bias


def max_pool2d_forward(x, kernel, stride, padding):
    """out[n, c, oh, ow] = max of the window; also returns, for each output, the position
    h * W + w of the input element that was picked: the first maximum in scan order, as in
    PyTorch (a NaN wins, so NaNs propagate). Padding counts as minus infinity: never picked."""
    n_size, c_size, h_size, w_size = x.shape
    oh_size = output_size(h_size, kernel[0], stride[0], padding[0])
    ow_size = output_size(w_size, kernel[1], stride[1], padding[1])
    out = np.empty((n_size, c_size, oh_size, ow_size), dtype=x.dtype)
    argmax = np.empty((n_size, c_size, oh_size, ow_size), dtype=np.int64)
    for n in range(n_size):
        for c in range(c_size):
            for oh in range(oh_size):
                for ow in range(ow_size):
                    best, best_at = -np.inf, -1
                    for i in range(kernel[0]):
                        for j in range(kernel[1]):
                            h = oh * stride[0] + i - padding[0]
                            w = ow * stride[1] + j - padding[1]
                            if 0 <= h < h_size and 0 <= w < w_size:
                                value = x[n, c, h, w]
                                if value > best or best_at == -1 or np.isnan(value):
                                    best, best_at = value, h * w_size + w
                    out[n, c, oh, ow] = best
                    argmax[n, c, oh, ow] = best_at
    return out, argmax


def max_pool2d_backward(grad_out, argmax, x_shape, kernel, stride, padding):
    """Each output copied one input element, so its gradient goes to that element only
    (added up where windows overlap and picked the same element). The window's geometry is
    not needed here, argmax says it all; the fast twin uses it to pick a faster loop."""
    n_size, c_size, h_size, w_size = x_shape
    grad_x = np.zeros(x_shape, dtype=grad_out.dtype)
    for n in range(n_size):
        for c in range(c_size):
            for oh in range(grad_out.shape[2]):
                for ow in range(grad_out.shape[3]):
                    position = argmax[n, c, oh, ow]
                    grad_x[n, c, position // w_size, position % w_size] += grad_out[n, c, oh, ow]
    return grad_x


def window_divisor(oh, ow, kernel, stride, padding, h_size, w_size, count_include_pad):
    """How many elements the average divides by: the whole window (padding counted as zeros)
    or only the elements inside the input."""
    if count_include_pad:
        return kernel[0] * kernel[1]
    h0, w0 = oh * stride[0] - padding[0], ow * stride[1] - padding[1]
    rows = min(h0 + kernel[0], h_size) - max(h0, 0)
    cols = min(w0 + kernel[1], w_size) - max(w0, 0)
    return rows * cols


def avg_pool2d_forward(x, kernel, stride, padding, count_include_pad):
    """out[n, c, oh, ow] = (sum of the window's elements inside the input) / divisor."""
    n_size, c_size, h_size, w_size = x.shape
    oh_size = output_size(h_size, kernel[0], stride[0], padding[0])
    ow_size = output_size(w_size, kernel[1], stride[1], padding[1])
    out = np.zeros((n_size, c_size, oh_size, ow_size), dtype=x.dtype)
    for n in range(n_size):
        for c in range(c_size):
            for oh in range(oh_size):
                for ow in range(ow_size):
                    total = 0.0
                    for i in range(kernel[0]):
                        for j in range(kernel[1]):
                            h = oh * stride[0] + i - padding[0]
                            w = ow * stride[1] + j - padding[1]
                            if 0 <= h < h_size and 0 <= w < w_size:
                                total += x[n, c, h, w]
                    divisor = window_divisor(
                        oh, ow, kernel, stride, padding, h_size, w_size, count_include_pad
                    )
                    out[n, c, oh, ow] = total / divisor
    return out


def avg_pool2d_backward(grad_out, x_shape, kernel, stride, padding, count_include_pad):
    """d out / d x[h, w] = 1 / divisor for every element of the window: each output sends
    g / divisor to each input element of its window."""
    n_size, c_size, h_size, w_size = x_shape
    grad_x = np.zeros(x_shape, dtype=grad_out.dtype)
    for n in range(n_size):
        for c in range(c_size):
            for oh in range(grad_out.shape[2]):
                for ow in range(grad_out.shape[3]):
                    divisor = window_divisor(
                        oh, ow, kernel, stride, padding, h_size, w_size, count_include_pad
                    )
                    share = grad_out[n, c, oh, ow] / divisor
                    for i in range(kernel[0]):
                        for j in range(kernel[1]):
                            h = oh * stride[0] + i - padding[0]
                            w = ow * stride[1] + j - padding[1]
                            if 0 <= h < h_size and 0 <= w < w_size:
                                grad_x[n, c, h, w] += share
    return grad_x


def relu_backward(a, g):
    """dL/da of out = max(a, 0): g where a > 0, 0 where a <= 0 (chosen, not multiplied: an
    infinite g there gives 0, not inf * 0 = NaN; as PyTorch). A NaN in a is not <= 0, so its
    gradient passes (as PyTorch)."""
    return np.where(a <= 0, 0, g)
