"""Functions on tensors with PyTorch's names and arguments (``import tinygrad_cnn.functional
as F``). Each is a thin door to an op in ``ops/``, where its forward, backward and derivation
are."""

import numpy as np

from tinygrad_cnn import rng
from tinygrad_cnn.autograd import no_grad
from tinygrad_cnn.ops.conv import Conv2d
from tinygrad_cnn.ops.loss import BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropy
from tinygrad_cnn.ops.pool import AvgPool2d, MaxPool2d
from tinygrad_cnn.ops.window import pair
from tinygrad_cnn.tensor import Tensor


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D cross-correlation of x (N, C, H, W) with weight (F, C, KH, KW), plus bias (F,).

    ``padding`` is an int, a pair, or one of Keras's names: ``"valid"`` (no padding) or
    ``"same"`` (stride 1 only: the output keeps the input's height and width).
    """
    if isinstance(padding, str):
        x, padding = _named_padding(x, weight, stride, padding, dilation)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Conv2d.apply(*inputs, stride=stride, padding=padding, dilation=dilation)


def _named_padding(x, weight, stride, padding, dilation):
    """(x, padding) for padding="valid" or "same", as PyTorch: "same" pads d * (k - 1) in
    total per axis; half on each side, and when that total is odd (an even kernel) the extra
    row and column go at the bottom and right, padded explicitly here since the kernels pad
    both sides alike."""
    if padding == "valid":
        return x, 0
    if padding != "same":
        raise ValueError(
            f"conv2d: padding must be an int, a pair, 'same' or 'valid', got {padding!r}"
        )
    if pair(stride, "stride", "conv2d", 1) != (1, 1):
        raise ValueError(f"conv2d: padding='same' needs stride 1, got stride={stride!r}")
    if weight.ndim != 4:
        return x, 0  # Conv2d names the bad weight
    dilation = pair(dilation, "dilation", "conv2d", 1)
    total_h, total_w = (d * (k - 1) for d, k in zip(dilation, weight.shape[2:]))
    if total_h % 2 == 0 and total_w % 2 == 0:
        return x, (total_h // 2, total_w // 2)
    sides = (total_w // 2, total_w - total_w // 2, total_h // 2, total_h - total_h // 2)
    return x.pad(sides), 0


def max_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False):
    """Max over each window; stride defaults to kernel_size; padding is minus infinity.
    ``ceil_mode`` keeps a last, partial window at the bottom and right (see ``ceil_windows``)."""
    extra = ceil_windows(x, kernel_size, stride, padding, "max_pool2d") if ceil_mode else (0, 0)
    if extra == (0, 0):
        return MaxPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding)
    (top, left), (bottom, right) = pair(padding, "padding", "max_pool2d", 0), extra
    x = x.pad((left, left + right, top, top + bottom), value=-np.inf)  # never the max
    return MaxPool2d.apply(x, kernel_size=kernel_size, stride=stride or kernel_size)


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True, ceil_mode=False):
    """Mean over each window; padding counts as zeros unless count_include_pad=False.
    With ``ceil_mode`` a last, partial window at the bottom and right divides by its part
    inside the padded input (PyTorch's rule): sums over zero-padded windows, then divisors."""
    extra = ceil_windows(x, kernel_size, stride, padding, "avg_pool2d") if ceil_mode else (0, 0)
    if extra == (0, 0):
        return AvgPool2d.apply(
            x,
            kernel_size=kernel_size,
            stride=stride,
            padding=padding,
            count_include_pad=count_include_pad,
        )
    kernel = pair(kernel_size, "kernel_size", "avg_pool2d", 1)
    strides = kernel if stride is None else pair(stride, "stride", "avg_pool2d", 1)
    (top, left), (bottom, right) = pair(padding, "padding", "avg_pool2d", 0), extra
    padded = x.pad((left, left + right, top, top + bottom))
    sums = AvgPool2d.apply(padded, kernel_size=kernel, stride=strides) * (kernel[0] * kernel[1])
    rows, cols = (
        _window_counts(out, k, s, p, size, count_include_pad)
        for out, k, s, p, size in zip(sums.shape[2:], kernel, strides, (top, left), x.shape[2:])
    )
    return sums / Tensor(np.outer(rows, cols).astype(x.dtype))


def ceil_windows(x, kernel_size, stride, padding, op):
    """The rows and columns to add at the bottom and right so that pooling rounds the output
    size up: out = ceil((n + 2p - k) / s) + 1, less one if that last window would start past
    the input and its left padding (PyTorch's rule). (0, 0) when the windows already fit."""
    if x.ndim != 4:
        return (0, 0)  # the op names the shape
    kernel = pair(kernel_size, "kernel_size", op, 1)
    strides = kernel if stride is None else pair(stride, "stride", op, 1)
    pads = pair(padding, "padding", op, 0)
    extra = []
    for n, k, s, p in zip(x.shape[2:], kernel, strides, pads):
        out = -(-(n + 2 * p - k) // s) + 1
        if (out - 1) * s >= n + p:
            out -= 1
        extra.append(max(0, (out - 1) * s + k - (n + 2 * p)))
    return tuple(extra)


def _window_counts(out_size, kernel, stride, padding, size, count_include_pad):
    """Per output position along one axis: how many of the window's places the average
    divides by (inside the padded input, or inside the input alone)."""
    starts = np.arange(out_size) * stride - padding
    ends = np.minimum(starts + kernel, size + padding)
    if not count_include_pad:
        starts, ends = np.maximum(starts, 0), np.minimum(ends, size)
    return ends - starts


def adaptive_avg_pool2d(x, output_size):
    """Average pooling to a fixed output size. Supported when the output size divides the
    input size (then it is avg_pool2d with kernel = stride = input // output); output_size 1
    is global average pooling."""
    oh, ow = (output_size, output_size) if isinstance(output_size, int) else output_size
    h, w = x.shape[2:] if x.ndim == 4 else (0, 0)
    if x.ndim != 4 or oh < 1 or ow < 1 or h % oh or w % ow:
        raise ValueError(
            f"adaptive_avg_pool2d: output size {output_size!r} must divide the spatial size of "
            f"a 4-D input, got input {x.shape}"
        )
    return avg_pool2d(x, (h // oh, w // ow))


def global_avg_pool2d(x):
    """The mean of each channel: (N, C, H, W) -> (N, C, 1, 1)."""
    return adaptive_avg_pool2d(x, 1)


def relu(x):
    return x.relu()


def leaky_relu(x, negative_slope=0.01):
    return x.leaky_relu(negative_slope)


def sigmoid(x):
    return x.sigmoid()


def tanh(x):
    return x.tanh()


def softmax(x, axis=None, *, dim=None):
    """Softmax along ``axis`` or ``dim`` (one argument, two names); default the last axis."""
    return x.softmax(axis, dim=dim)


def log_softmax(x, axis=None, *, dim=None):
    """log(softmax) along ``axis`` or ``dim``; default the last axis."""
    return x.log_softmax(axis, dim=dim)


# ----------------------------------------------------------------- layers as functions
def linear(x, weight, bias=None):
    """x @ weight^T + bias, with weight of shape (out_features, in_features)."""
    out = x @ weight.T
    return out if bias is None else out + bias


def dropout(x, p=0.5, training=True):
    """Inverted dropout: in training, zero each element with probability p and scale the
    survivors by 1 / (1 - p), so the expected value is unchanged and evaluation needs no
    rescaling. The mask is a constant, so the gradient is zero where an element was dropped
    and scaled by 1 / (1 - p) elsewhere. Outside training it is the identity.

    When it drops, the input must be floating point: integer or boolean input is refused, as
    in PyTorch, since the scale 1 / (1 - p) is no integer."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    if x.dtype.kind != "f":
        raise TypeError(
            f"dropout: input must be floating point, got a {x.dtype} tensor of shape "
            f"{x.shape} (convert it with .float())"
        )
    keep = rng.generator().random(x.shape) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return x * (keep * scale).astype(x.dtype)


def batch_norm(
    x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    """Normalize each channel (axis 1) to zero mean and unit variance, then scale and shift:
    y = (x - mean) / sqrt(var + eps) * weight + bias.

    In training the mean and the (biased) variance come from the batch, over every axis but
    1, and the running statistics (numpy arrays, updated in place) move towards them:
    running = (1 - momentum) * running + momentum * batch, with the unbiased variance, as in
    PyTorch. In evaluation the running statistics are used. Built from ops, so autograd
    derives the backward (including the paths through the batch mean and variance).
    """
    if x.ndim < 2 or x.shape[1] != np.size(running_mean):
        raise ValueError(
            f"batch_norm: input {x.shape} must have {np.size(running_mean)} channels on axis 1"
        )
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training:
        count = x.numel() // x.shape[1]
        if count < 2:
            raise ValueError(
                f"batch_norm: training needs more than 1 value per channel, got input {x.shape}"
            )
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True, correction=0)
        with no_grad():
            running_mean *= 1 - momentum
            running_mean += momentum * mean.data.reshape(-1)
            running_var *= 1 - momentum
            running_var += momentum * var.data.reshape(-1) * count / (count - 1)
    else:
        mean = Tensor(running_mean.reshape(shape), dtype=x.dtype)
        var = Tensor(running_var.reshape(shape), dtype=x.dtype)
    out = (x - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


# ----------------------------------------------------------------- losses
REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction, op):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _reduce(losses, reduction):
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _class_indices(scores, target, op, ignore_index=None):
    """Check (N, C) scores against (N,) integer class indices; return the indices (numpy).
    Targets equal to ``ignore_index`` are allowed whatever their value."""
    target = np.asarray(target.data if isinstance(target, Tensor) else target)
    if scores.ndim != 2:
        raise ValueError(f"{op}: input must be 2-D (N, C), got shape {scores.shape}")
    if target.dtype.kind not in "iu":
        raise ValueError(f"{op}: target must hold integer class indices, got dtype {target.dtype}")
    if target.shape != scores.shape[:1]:
        raise ValueError(
            f"{op}: target of shape {target.shape} does not match input {scores.shape} "
            f"(expected ({scores.shape[0]},))"
        )
    checked = target[target != ignore_index]
    if checked.size and (checked.min() < 0 or checked.max() >= scores.shape[1]):
        raise ValueError(
            f"{op}: target values must be class indices in [0, {scores.shape[1] - 1}], "
            f"got values from {checked.min()} to {checked.max()}"
            + ("" if ignore_index is None else f" (ignore_index={ignore_index})")
        )
    return target


def _same_shape(x, target, op):
    target = target if isinstance(target, Tensor) else Tensor(target, dtype=x.dtype)
    if target.shape != x.shape:
        raise ValueError(f"{op}: input {x.shape} and target {target.shape} have different shapes")
    return target


def cross_entropy(logits, target, reduction="mean", label_smoothing=0.0, ignore_index=-100):
    """Cross-entropy from raw scores (N, C) and integer targets (N,): log_softmax and the
    negative log-likelihood fused into one stable op (see ops/loss.py). Rows whose target is
    ``ignore_index`` (default -100, as PyTorch) count for nothing; 'mean' averages over the
    others."""
    check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    target = _class_indices(logits, target, "cross_entropy", ignore_index)
    return CrossEntropy.apply(
        logits,
        target=target,
        reduction=reduction,
        label_smoothing=label_smoothing,
        ignore_index=ignore_index,
    )


def nll_loss(log_probs, target, reduction="mean", ignore_index=-100):
    """Negative log-likelihood: -log_probs[i, target_i], given log-probabilities (N, C).
    Rows whose target is ``ignore_index`` count 0 and 'mean' averages over the others, as in
    ``cross_entropy``."""
    check_reduction(reduction, "nll_loss")
    target = _class_indices(log_probs, target, "nll_loss", ignore_index)
    kept = target != ignore_index  # an ignored row picks class 0, then counts 0
    picked = -log_probs[np.arange(len(target)), np.where(kept, target, 0)]
    losses = picked * Tensor(kept.astype(log_probs.dtype))
    if reduction == "mean":  # over the rows kept (NaN if none is, as PyTorch)
        with np.errstate(invalid="ignore"):
            return losses.sum() / Tensor(np.array(kept.sum(), dtype=log_probs.dtype))
    return _reduce(losses, reduction)


def binary_cross_entropy(probs, target, reduction="mean"):
    """-[t log p + (1 - t) log(1 - p)] on probabilities p in [0, 1]; each log is clipped at
    -100 as in PyTorch, so p = 0 or 1 gives a finite loss and a finite gradient (one fused
    op, see ops/loss.py). Prefer the with_logits version."""
    check_reduction(reduction, "binary_cross_entropy")
    target = _same_shape(probs, target, "binary_cross_entropy")
    if probs.numel() and (probs.data.min() < 0 or probs.data.max() > 1):
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1]")
    return BinaryCrossEntropy.apply(probs, target.to(probs.dtype), reduction=reduction)


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    """Binary cross-entropy of sigmoid(logits), computed stably in one op (ops/loss.py)."""
    check_reduction(reduction, "binary_cross_entropy_with_logits")
    target = _same_shape(logits, target, "binary_cross_entropy_with_logits")
    return BinaryCrossEntropyWithLogits.apply(logits, target.to(logits.dtype), reduction=reduction)


def mse_loss(x, target, reduction="mean"):
    """(x - target)^2, averaged by default."""
    check_reduction(reduction, "mse_loss")
    return _reduce((x - _same_shape(x, target, "mse_loss")) ** 2, reduction)


def l1_loss(x, target, reduction="mean"):
    """|x - target|, averaged by default."""
    check_reduction(reduction, "l1_loss")
    return _reduce((x - _same_shape(x, target, "l1_loss")).abs(), reduction)


# ----------------------------------------------------------------- penalties
def l2_penalty(parameters):
    """sum of w^2 over ``parameters``: add ``lam * l2_penalty(model.parameters())`` to the
    loss for C_reg = C + lam * sum w^2. Its gradient adds 2 * lam * w to each weight's.

    Not the same as an optimizer's ``weight_decay``: that adds wd * w to the gradient inside
    the update (SGD: equal to this penalty with lam = wd / 2; Adam: scaled by Adam's
    per-weight step sizes; AdamW: decoupled, shrinking w directly). The penalty is part of the
    loss you report; weight decay is not. Pass only weights (not biases) if you want the
    course's formula: ``[p for name, p in model.named_parameters() if name.endswith("weight")]``.
    """
    return sum(((p * p).sum() for p in parameters), Tensor(0.0))


def l1_penalty(parameters):
    """sum of |w| over ``parameters`` (gradient lam * sign(w): pushes weights to exactly 0)."""
    return sum((p.abs().sum() for p in parameters), Tensor(0.0))
