"""Cast: the same numbers in another floating-point dtype (``.float()``, ``.double()``)."""

import numpy as np

from tinygrad_cnn.autograd import Function


class Cast(Function):
    """out = a converted to ``dtype`` (float32 <-> float64): each output element is its input
    element, rounded to the new precision, so d out / d a = 1 and dL/da = g, converted back
    to a's dtype (the gradient of a leaf keeps the leaf's dtype).

    Worked example: a = [1.5] (float32) to float64, g = [2.0] (float64) gives
    dL/da = [2.0] (float32).
    """

    settings = ("dtype",)

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.dtype = np.dtype(dtype)
        ctx.input_dtype = a.dtype
        return a.astype(ctx.dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.input_dtype)
