"""2-D max and average pooling, NCHW, padding as in PyTorch.

As for convolution, the loops live in ``kernels/reference.py`` (plain) and ``kernels/fast.py``
(Numba); this module checks arguments and connects them to autograd.
"""

import numpy as np

from tinygrad_cnn.autograd import Function
from tinygrad_cnn.kernels import fast_kernels
from tinygrad_cnn.ops.window import check_4d, check_float, check_window_fits, pair


def _pool_arguments(ctx, x, kernel_size, stride, padding, op):
    check_4d(x, op)
    check_float(x, op)
    ctx.kernel = pair(kernel_size, "kernel_size", op, 1)
    ctx.stride = ctx.kernel if stride is None else pair(stride, "stride", op, 1)
    ctx.padding = pair(padding, "padding", op, 0)
    if any(p > k // 2 for p, k in zip(ctx.padding, ctx.kernel)):
        raise ValueError(
            f"{op}: padding {padding!r} must be at most half the kernel size {kernel_size!r}"
        )
    check_window_fits(x.shape, ctx.kernel, ctx.padding, (1, 1), op)
    ctx.x_shape = x.shape
    return np.ascontiguousarray(x)


class MaxPool2d(Function):
    """out[n, c, oh, ow] = max over the window x[n, c, oh*s + i - p, ow*s + j - p],
    i < KH, j < KW; padding counts as minus infinity (never picked). stride defaults to the
    kernel size (non-overlapping windows). Output size: floor((n + 2p - k) / s) + 1.

    Backward: the max is one of the window's elements, so d out / d x is 1 for that element
    and 0 for the others. The forward records which element won (the first maximum in scan
    order, as PyTorch: on ties exactly one element gets the gradient) and the backward adds
    g there; where windows overlap, an element picked twice collects both gradients.

    Worked example: 2x2 pooling of [[1,3,2,1],[2,9,1,1],[1,3,2,3],[5,6,1,2]] gives
    [[9,2],[6,3]]; with g all ones, the gradient is 1 at the positions of 9, 2, 6 and 3.
    """

    needs_float = True
    settings = ("kernel", "stride", "padding")

    @staticmethod
    def forward(ctx, x, kernel_size, stride=None, padding=0, kernels=None):
        x = _pool_arguments(ctx, x, kernel_size, stride, padding, "max_pool2d")
        ctx.kernels = kernels or fast_kernels()
        out, ctx.argmax = ctx.kernels.max_pool2d_forward(x, ctx.kernel, ctx.stride, ctx.padding)
        return out

    @staticmethod
    def backward(ctx, g):
        return ctx.kernels.max_pool2d_backward(
            np.ascontiguousarray(g), ctx.argmax, ctx.x_shape, ctx.kernel, ctx.stride, ctx.padding
        )


class AvgPool2d(Function):
    """out[n, c, oh, ow] = (1 / D) * sum over the window of x, with D = KH * KW when
    count_include_pad (padding counts as zeros, PyTorch's default) or the number of window
    elements inside the input otherwise.

    Backward: d out / d x = 1 / D for each element of the window, so every output sends g / D
    to each input element of its window (summed where windows overlap).

    Worked example: 2x2 average of [[1, 3], [2, 6]] is 3; g = 1 gives 0.25 to each element.
    """

    needs_float = True
    settings = ("kernel", "stride", "padding")

    @staticmethod
    def forward(ctx, x, kernel_size, stride=None, padding=0, count_include_pad=True, kernels=None):
        x = _pool_arguments(ctx, x, kernel_size, stride, padding, "avg_pool2d")
        ctx.count_include_pad = bool(count_include_pad)
        ctx.kernels = kernels or fast_kernels()
        return ctx.kernels.avg_pool2d_forward(
            x, ctx.kernel, ctx.stride, ctx.padding, ctx.count_include_pad
        )

    @staticmethod
    def backward(ctx, g):
        return ctx.kernels.avg_pool2d_backward(
            np.ascontiguousarray(g),
            ctx.x_shape,
            ctx.kernel,
            ctx.stride,
            ctx.padding,
            ctx.count_include_pad,
        )
