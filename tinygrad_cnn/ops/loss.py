"""Losses fused into single ops because their combined gradient is simpler and more stable
than the chain through their parts. The other losses (nll, mse, binary cross-entropy on
probabilities) are compositions of ops, written in ``functional.py``."""

import numpy as np

from tinygrad_cnn.autograd import Function
from tinygrad_cnn.ops.activation import stable_sigmoid
from tinygrad_cnn.ops.softmax import log_softmax


def _reduce_array(losses, reduction):
    """The reduction on numpy arrays, inside the fused ops (functional._reduce: on Tensors)."""
    if reduction == "mean":
        return np.mean(losses)
    if reduction == "sum":
        return np.sum(losses)
    return losses


def _reduction_scale(g, count, reduction):
    """dL/d(loss_i): g / count for 'mean', g for 'sum', g_i for 'none'."""
    if reduction == "mean":
        return g / count
    return g


class CrossEntropy(Function):
    """Cross-entropy of logits z (N, C) with integer targets y (N,), optional label smoothing.

    The target distribution is q = (1 - e) * onehot(y) + e / C (e = label_smoothing) and
    loss_i = -sum_c q_ic log softmax(z_i)_c, with log softmax computed stably (ops/softmax.py).

    Gradient: d loss_i / d z_ik = sum_c q_ic (softmax_ik - [c == k]) = softmax(z_i)_k - q_ik,
    since q sums to 1. So dL/dz = (softmax(z) - q) * g_i, with g_i = g / N for 'mean'.

    Worked example: z = [0, 0], y = 0: loss = log 2 = 0.693; dL/dz = [0.5 - 1, 0.5] =
    [-0.5, 0.5].
    """

    needs_float = True
    settings = ("reduction",)

    @staticmethod
    def forward(ctx, logits, target, reduction="mean", label_smoothing=0.0):
        """``target`` is a numpy array of class indices (a constant, not an input)."""
        n, classes = logits.shape
        log_p = log_softmax(logits, axis=1)
        q = np.full(logits.shape, label_smoothing / classes, dtype=logits.dtype)
        q[np.arange(n), target] += 1 - label_smoothing
        ctx.q, ctx.log_p, ctx.reduction = q, log_p, reduction
        return np.asarray(_reduce_array(-np.sum(q * log_p, axis=1), reduction), dtype=logits.dtype)

    @staticmethod
    def backward(ctx, g):
        n = ctx.q.shape[0]
        g = _reduction_scale(g, n, ctx.reduction)
        g = g[:, None] if ctx.reduction == "none" else g
        return g * (np.exp(ctx.log_p) - ctx.q)


class BinaryCrossEntropyWithLogits(Function):
    """loss = -[t log s(x) + (1 - t) log(1 - s(x))] with s the sigmoid, computed as
    max(x, 0) - x t + log(1 + e^-|x|), which never overflows (x = 1000 or -1000 is fine).

    Gradient: d loss / dx = s(x) - t (the log-likelihood of a Bernoulli, as for softmax).

    Worked example: x = 0, t = 1: loss = log 2; dL/dx = 0.5 - 1 = -0.5.
    """

    needs_float = True
    settings = ("reduction",)

    @staticmethod
    def forward(ctx, x, target, reduction="mean"):
        """``target`` is a numpy array of x's shape with values in [0, 1] (a constant)."""
        target = target.astype(x.dtype, copy=False)
        ctx.save_for_backward(x, target)
        ctx.reduction = reduction
        losses = np.maximum(x, 0) - x * target + np.log1p(np.exp(-np.abs(x)))
        return np.asarray(_reduce_array(losses, reduction), dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, target = ctx.saved_tensors
        return _reduction_scale(g, x.size, ctx.reduction) * (stable_sigmoid(x) - target)
