"""2-D convolution (cross-correlation), NCHW, weight (F, C, KH, KW), as in PyTorch.

The loops live in ``kernels/``: ``reference.py`` states them plainly, ``fast.py`` runs them
with Numba and BLAS. This module checks the arguments and wires the kernels into autograd.
"""

import numpy as np

from tinygrad_cnn.autograd import Function
from tinygrad_cnn.kernels import fast_kernels
from tinygrad_cnn.ops.window import check_4d, check_float, check_window_fits, pair


def check_conv_shapes(x, weight, bias):
    """One clear line for each way the input, weight and bias can fail to fit together."""
    check_4d(x, "conv2d")
    check_float(x, "conv2d")
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be 4-D (F, C, KH, KW), got shape {weight.shape}")
    check_float(weight, "conv2d")
    if 0 in weight.shape[:1] + weight.shape[2:]:
        raise ValueError(
            f"conv2d: weight {weight.shape} has no filters or an empty kernel; "
            "F, KH and KW must be at least 1"
        )
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"conv2d: input {x.shape} has {x.shape[1]} channels but weight {weight.shape} "
            f"expects {weight.shape[1]}"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(
            f"conv2d: bias must have shape ({weight.shape[0]},) for weight {weight.shape}, "
            f"got {bias.shape}"
        )


class Conv2d(Function):
    """out[n, f, oh, ow] = bias[f] + sum_{c, i, j} x[n, c, oh*s + i*d - p, ow*s + j*d - p]
                                                  * weight[f, c, i, j]

    with stride s, padding p (zeros around the input), dilation d (gaps between kernel taps).
    Output size per axis: floor((n + 2p - d(k - 1) - 1) / s) + 1; 3x3 input, 2x2 kernel:
    (3 - 1 - 1) / 1 + 1 = 2. Parameters: (KH*KW*C + 1) * F.

    Backward (g = dL/dout, same shape as out):

    - dL/dbias[f] = sum over n, oh, ow of g[n, f, oh, ow]  (bias is added to every position).
    - dL/dweight[f, c, i, j] = sum_{n, oh, ow} g[n, f, oh, ow] * x[n, c, oh*s + i*d - p, ...]:
      the correlation of the (padded) input with g, g acting as the kernel (dilated by s).
    - dL/dx[n, c, h, w] = sum_{f, i, j} g[n, f, oh, ow] * weight[f, c, i, j] over the (oh, ow)
      whose window put tap (i, j) on (h, w): a full correlation of g (with s - 1 zeros
      inserted between its elements, padded by k - 1) with the kernel flipped by 180 degrees,
      cropped by p. Each input pixel collects from every output it contributed to.

    Worked example (docs/conv.md): x = [[0,1,2],[3,4,5],[6,7,8]], weight [[0,1],[2,3]] gives
    [[19,25],[37,43]]; with g all ones, dL/dweight = [[8,12],[20,24]] (sums of each 2x2
    sub-grid of x) and dL/dx = [[0,1,1],[2,6,4],[2,5,3]].
    """

    needs_float = True
    settings = ("stride", "padding", "dilation")

    @staticmethod
    def forward(ctx, x, weight, bias=None, stride=1, padding=0, dilation=1, kernels=None):
        check_conv_shapes(x, weight, bias)
        ctx.stride = pair(stride, "stride", "conv2d", 1)
        ctx.padding = pair(padding, "padding", "conv2d", 0)
        ctx.dilation = pair(dilation, "dilation", "conv2d", 1)
        check_window_fits(x.shape, weight.shape[2:], ctx.padding, ctx.dilation, "conv2d")
        ctx.kernels = kernels or fast_kernels()
        dtype = np.result_type(x, weight)
        x, weight = np.ascontiguousarray(x, dtype), np.ascontiguousarray(weight, dtype)
        if bias is not None:
            bias = np.ascontiguousarray(bias, dtype)
        out, ctx.cache = ctx.kernels.conv2d_forward(
            x, weight, ctx.stride, ctx.padding, ctx.dilation, keep=ctx.requires_grad, bias=bias
        )
        ctx.weight = weight
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_weight = ctx.needs_input_grad[:2]
        need_bias = len(ctx.inputs) == 3 and ctx.needs_input_grad[2]
        g = np.ascontiguousarray(g, ctx.weight.dtype)
        return ctx.kernels.conv2d_backward(
            ctx.cache,
            ctx.weight,
            g,
            ctx.stride,
            ctx.padding,
            ctx.dilation,
            need_x,
            need_weight,
            need_bias=need_bias,
        )
