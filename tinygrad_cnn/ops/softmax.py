"""The softmax family: softmax, log_softmax and logsumexp, all stable for huge inputs.

The trick shared by all three: for any constant m, sum_j e^{x_j} = e^m * sum_j e^{x_j - m}.
Choosing m = max_j x_j makes every exponent <= 0, so nothing overflows, and the largest term
is e^0 = 1, so the sum is >= 1 and its log never underflows to -inf. With x = [1000, 0, -1000]
the naive e^1000 is inf; shifted, the exponents are [0, -1000, -2000] and all is finite.
"""

import numpy as np

from tinygrad_cnn.autograd import Function
from tinygrad_cnn.ops.axes import normalize_axes, normalize_axis


def _shift(x, axis):
    """The max along ``axis`` (keepdims), with rows that are all -inf (or empty) shifted by 0.

    A row holding +inf is shifted by +inf: inf - inf is NaN, so softmax([inf, 0]) is
    [nan, nan], as in PyTorch (the limit [1, 0] would hide that the input overflowed).
    """
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    return np.where(m == -np.inf, 0, m).astype(x.dtype, copy=False)


def log_softmax(a, axis):
    """a - logsumexp(a) along ``axis``, stably (a plain numpy function, shared with the loss)."""
    shifted = a - _shift(a, axis)
    with np.errstate(divide="ignore"):  # an empty or all -inf row: log 0 = -inf, not a warning
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


class LogSumExp(Function):
    """out = log sum_j e^{a_j} = m + log sum_j e^{a_j - m}   (m the max, see above).

    d out / d a_i = e^{a_i} / sum_j e^{a_j} = softmax(a)_i, so dL/da = g * softmax(a),
    where softmax(a) = e^{a - out} reuses the forward result.

    Worked example: a = [0, 0] gives out = log 2 and dL/da = g * [0.5, 0.5].
    """

    name = "logsumexp"
    needs_float = True
    settings = ("axes", "keepdims")

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        axes = normalize_axes(axis, a.ndim, "logsumexp")
        m = _shift(a, axes)
        with np.errstate(divide="ignore", invalid="ignore"):  # log 0 = -inf for a -inf row
            out = m + np.log(np.sum(np.exp(a - m), axis=axes, keepdims=True))
        out = np.where(m == np.inf, m, out)  # a row holding +inf sums to +inf (PyTorch too)
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdims = axes, keepdims
        return out if keepdims else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        if not ctx.keepdims:
            g = np.expand_dims(g, ctx.axes)
        return g * np.exp(a - out)


class Softmax(Function):
    """s_i = e^{a_i} / sum_j e^{a_j} along ``axis`` (computed as e^{a_i - m} / sum e^{a_j - m}).

    Jacobian: d s_i / d a_k = s_i ([i == k] - s_k). Applying it to g without building the
    matrix: dL/da_k = sum_i g_i s_i ([i == k] - s_k) = s_k (g_k - sum_i g_i s_i).

    Worked example: a = [0, 0]: s = [0.5, 0.5]; g = [1, 0] gives sum g s = 0.5 and
    dL/da = [0.5 * 0.5, 0.5 * -0.5] = [0.25, -0.25].
    """

    needs_float = True
    settings = ("axis",)

    @staticmethod
    def forward(ctx, a, axis=-1):
        ctx.axis = normalize_axis(axis, a.ndim, "softmax")
        e = np.exp(a - _shift(a, ctx.axis))
        out = e / np.sum(e, axis=ctx.axis, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return s * (g - np.sum(g * s, axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """out_i = a_i - logsumexp(a) along ``axis``: the log of softmax, without ever taking the
    log of a tiny probability (so [1000, 0, -1000] gives [0, -1000, -2000], all finite).

    d out_i / d a_k = [i == k] - softmax(a)_k, so dL/da_k = g_k - softmax(a)_k * sum_i g_i,
    with softmax(a) = e^{out}.

    Worked example: a = [0, 0]: out = [-log 2, -log 2]; g = [1, 0] gives
    dL/da = [1 - 0.5, 0 - 0.5] = [0.5, -0.5].
    """

    needs_float = True
    settings = ("axis",)

    @staticmethod
    def forward(ctx, a, axis=-1):
        ctx.axis = normalize_axis(axis, a.ndim, "log_softmax")
        out = log_softmax(a, ctx.axis)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g - np.exp(out) * np.sum(g, axis=ctx.axis, keepdims=True)
