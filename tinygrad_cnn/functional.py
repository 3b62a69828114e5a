"""Functions on tensors with PyTorch's names and arguments (``import tinygrad_cnn.functional
as F``). Each is a thin door to an op in ``ops/``, where its forward, backward and derivation
are."""

from tinygrad_cnn.ops.conv import Conv2d
from tinygrad_cnn.ops.pool import AvgPool2d, MaxPool2d


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D cross-correlation of x (N, C, H, W) with weight (F, C, KH, KW), plus bias (F,)."""
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Conv2d.apply(*inputs, stride=stride, padding=padding, dilation=dilation)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max over each window; stride defaults to kernel_size; padding is minus infinity."""
    return MaxPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Mean over each window; padding counts as zeros unless count_include_pad=False."""
    return AvgPool2d.apply(
        x,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        count_include_pad=count_include_pad,
    )


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


def softmax(x, axis=-1):
    return x.softmax(axis)


def log_softmax(x, axis=-1):
    return x.log_softmax(axis)
