"""Losses fused into single ops because their combined gradient is simpler and more stable
than the chain through their parts. The other losses (nll, mse, l1) are compositions of
ops, written in ``functional.py``."""

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
    Terms with q_ic = 0 are left out of the sum, so a logit of -inf on a class that is not
    the target costs nothing (0 * log 0 counts as 0, as in PyTorch) instead of giving NaN.

    Rows whose target equals ``ignore_index`` (PyTorch's default -100) get q = 0: they add
    nothing to the loss nor to the gradient, and 'mean' divides by the number M of rows
    that are not ignored (NaN if all are, as in PyTorch).

    Gradient: d loss_i / d z_ik = sum_c q_ic (softmax_ik - [c == k]) = softmax(z_i)_k - q_ik,
    since q sums to 1. So dL/dz = (softmax(z) - q) * g_i, with g_i = g / M for 'mean' (0 for
    an ignored row).

    Worked example: z = [0, 0], y = 0: loss = log 2 = 0.693; dL/dz = [0.5 - 1, 0.5] =
    [-0.5, 0.5].
    """

    needs_float = True
    settings = ("reduction",)

    @staticmethod
    def forward(ctx, logits, target, reduction="mean", label_smoothing=0.0, ignore_index=-100):
        """``target`` is a numpy array of class indices (a constant, not an input)."""
        n, classes = logits.shape
        kept = target != ignore_index
        q = np.full(logits.shape, label_smoothing / classes, dtype=logits.dtype)
        q[np.flatnonzero(kept), target[kept]] += 1 - label_smoothing
        q[~kept] = 0
        log_p = log_softmax(logits, axis=1)
        losses = -np.sum(q * np.where(q > 0, log_p, 0), axis=1)
        ctx.q, ctx.log_p, ctx.kept, ctx.reduction = q, log_p, kept, reduction
        ctx.count = int(np.sum(kept))
        if reduction == "mean":
            with np.errstate(invalid="ignore"):  # every row ignored: 0 / 0 = NaN, as PyTorch
                return np.asarray(np.sum(losses) / ctx.count, dtype=logits.dtype)
        return np.asarray(_reduce_array(losses, reduction), dtype=logits.dtype)

    @staticmethod
    def backward(ctx, g):
        g = _reduction_scale(g, ctx.count, ctx.reduction)
        g = g[:, None] if ctx.reduction == "none" else g
        return g * (np.exp(ctx.log_p) - ctx.q) * ctx.kept[:, None]


class BinaryCrossEntropy(Function):
    """loss = -[t log p + (1 - t) log(1 - p)] on probabilities p, with each log clipped at
    -100 as in PyTorch, so p = 0 or 1 gives a finite loss (at most 100).

    Gradient in p: d loss / dp = -t / p + (1 - t) / (1 - p) = (p - t) / (p (1 - p)). As
    PyTorch, the denominator is kept >= 1e-12, so p = 0 or 1 gives a huge but finite
    gradient (-1e12 for p = 0, t = 1) or 0 where p = t, never NaN.

    Gradient in t (when the target requires grad): d loss / dt = log(1 - p) - log p, with the
    same clipped logs as the forward (PyTorch leaves them unclipped: +-inf at p = 0 or 1).

    Worked example: p = 0.2, t = 1: loss = -log 0.2 = 1.609; dL/dp = -0.8 / 0.16 = -5;
    dL/dt = log 0.8 - log 0.2 = 1.386.
    """

    needs_float = True
    settings = ("reduction",)
    eps = 1e-12

    @staticmethod
    def forward(ctx, p, t, reduction="mean"):
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100)
            log_not_p = np.maximum(np.log1p(-p), -100)
        ctx.save_for_backward(p, t, log_p, log_not_p)
        ctx.reduction = reduction
        losses = -(t * log_p + (1 - t) * log_not_p)
        return np.asarray(_reduce_array(losses, reduction), dtype=p.dtype)

    @staticmethod
    def backward(ctx, g):
        p, t, log_p, log_not_p = ctx.saved_tensors
        g = _reduction_scale(g, p.size, ctx.reduction)
        grad_p = grad_t = None
        if ctx.needs_input_grad[0]:
            grad_p = g * (p - t) / np.maximum(p * (1 - p), ctx.eps)
        if ctx.needs_input_grad[1]:
            grad_t = g * (log_not_p - log_p)
        return grad_p, grad_t


class BinaryCrossEntropyWithLogits(Function):
    """loss = -[t log s(x) + (1 - t) log(1 - s(x))] with s the sigmoid, computed as
    max(x, 0) - x t + log(1 + e^-|x|), which never overflows (x = 1000 or -1000 is fine).

    Gradient: d loss / dx = s(x) - t (the log-likelihood of a Bernoulli, as for softmax), and
    d loss / dt = -x (for a target that requires grad, e.g. a distillation target).

    Worked example: x = 0, t = 1: loss = log 2; dL/dx = 0.5 - 1 = -0.5, dL/dt = 0.
    """

    needs_float = True
    settings = ("reduction",)

    @staticmethod
    def forward(ctx, x, target, reduction="mean"):
        """``target`` has x's shape, with values in [0, 1]."""
        ctx.save_for_backward(x, target)
        ctx.reduction = reduction
        losses = np.maximum(x, 0) - x * target + np.log1p(np.exp(-np.abs(x)))
        return np.asarray(_reduce_array(losses, reduction), dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, target = ctx.saved_tensors
        g = _reduction_scale(g, x.size, ctx.reduction)
        grad_x = g * (stable_sigmoid(x) - target) if ctx.needs_input_grad[0] else None
        grad_t = -g * x if ctx.needs_input_grad[1] else None
        return grad_x, grad_t
