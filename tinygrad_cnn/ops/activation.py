"""Activation functions: elementwise non-linearities between layers.

Each saves what its derivative needs; sigmoid and tanh save their output because their
derivatives are cheapest written in terms of it.
"""

import numpy as np

from tinygrad_cnn.autograd import Function
from tinygrad_cnn.kernels import fast_kernels, reference, runtime


class Relu(Function):
    """out = max(a, 0).   d/da = 1 for a > 0 and 0 for a <= 0 (0 at the kink, as PyTorch).

    A NaN input gives a NaN output and passes its gradient on (as PyTorch: NaN is not <= 0),
    so the NaN stays visible in the gradients too.

    Worked example: a = [-2, 0, 3], g = [1, 1, 1] gives dL/da = [0, 0, 1].

    In a training loop a large activation (a convolution's output) is split along its first
    axis over the threads, as the kernels are (``runtime.over_batch``): numpy releases the
    GIL in its loops, so the slices run at once (a Keras convnet's first ReLU, 1.4 million
    values: 1.3x faster forward). The backward of a float array is a kernel
    (``kernels/reference.py`` states it, ``kernels/fast.py`` runs it in one pass).
    """

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        if a.ndim == 0:
            return np.maximum(a, 0)
        out = np.empty(a.shape, np.result_type(a.dtype, 0))  # bool gives int64, as numpy
        runtime.over_batch(_relu, len(a), a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        if a.size and a.ndim and a.dtype == g.dtype and a.dtype in (np.float32, np.float64):
            a, g = np.ascontiguousarray(a), np.ascontiguousarray(g)
            return fast_kernels().relu_backward(a, g)
        return reference.relu_backward(a, g)  # integers, float16, 0-d and empty arrays


def _relu(start, stop, a, out):
    np.maximum(a[start:stop], 0, out=out[start:stop])


class LeakyRelu(Function):
    """out = a for a > 0, negative_slope * a otherwise.

    d/da = 1 for a > 0, negative_slope for a <= 0: negative inputs keep a small gradient, so a
    unit never dies completely.
    """

    settings = ("negative_slope",)

    @staticmethod
    def forward(ctx, a, negative_slope=0.01):
        ctx.save_for_backward(a)
        ctx.negative_slope = negative_slope
        return np.where(a > 0, a, a * np.asarray(negative_slope, a.dtype))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return np.where(a > 0, g, g * np.asarray(ctx.negative_slope, g.dtype))


def stable_sigmoid(a):
    """1 / (1 + e^-a) without overflow (see Sigmoid); a plain numpy function, shared with the
    binary cross-entropy loss."""
    z = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + z), z / (1 + z))


class Sigmoid(Function):
    """out = s(a) = 1 / (1 + e^-a).

    Derivative: s'(a) = e^-a / (1 + e^-a)^2 = s(a) * (1 - s(a)), at most 0.25 (at a = 0): the
    root of the vanishing-gradient problem in deep sigmoid networks.

    Stable forward: with z = e^-|a| (never overflows), s(a) = 1 / (1 + z) for a >= 0 and
    z / (1 + z) for a < 0. So sigmoid(-1000) is 0 without an overflow warning.

    Worked example: a = 0 gives s = 0.5 and s' = 0.25.
    """

    needs_float = True

    @staticmethod
    def forward(ctx, a):
        out = stable_sigmoid(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * (1 - out)


class Tanh(Function):
    """out = tanh(a) = (e^a - e^-a) / (e^a + e^-a).   d/da tanh(a) = 1 - tanh(a)^2 (at most 1).

    Worked example: a = 0 gives out = 0 and derivative 1.
    """

    needs_float = True

    @staticmethod
    def forward(ctx, a):
        out = np.tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)
