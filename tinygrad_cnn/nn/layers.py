"""Layers: Modules that hold parameters (or settings) and call a function of ``functional``.

Defaults follow PyTorch, including initialization: Linear and Conv2d weights are
kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and so are their biases.
"""

import math

import numpy as np

from tinygrad_cnn import functional as F
from tinygrad_cnn.nn import init
from tinygrad_cnn.nn.module import Module, Parameter
from tinygrad_cnn.ops.window import pair
from tinygrad_cnn.tensor import DEFAULT_DTYPE, axis_or_dim


def _empty_parameter(*shape):
    return Parameter(np.zeros(shape, dtype=DEFAULT_DTYPE))


def _reset_like_pytorch(weight, bias):
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init.fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(bias, -bound, bound)


class Linear(Module):
    """y = x @ W^T + b with W (out_features, in_features): a fully connected layer,
    in_features * out_features + out_features parameters."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = _empty_parameter(out_features, in_features)
        self.bias = _empty_parameter(out_features) if bias else None
        _reset_like_pytorch(self.weight, self.bias)

    def forward(self, x):
        features = x.shape[-1] if x.ndim else 0  # a 0-d input has no feature axis
        if features != self.in_features:
            raise ValueError(
                f"Linear: input of shape {x.shape} has {features} features, "
                f"expected {self.in_features}"
            )
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Conv2d(Module):
    """2-D convolution layer (see F.conv2d): weight (out, in, kH, kW), bias (out,);
    (kH * kW * in + 1) * out parameters."""

    def __init__(
        self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, bias=True
    ):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d", 1)
        self.stride = pair(stride, "stride", "Conv2d", 1)
        self.padding = (
            padding if padding in ("same", "valid") else pair(padding, "padding", "Conv2d", 0)
        )
        self.dilation = pair(dilation, "dilation", "Conv2d", 1)
        if padding == "same" and self.stride != (1, 1):
            raise ValueError(f"Conv2d: padding='same' needs stride 1, got stride={stride!r}")
        self.weight = _empty_parameter(out_channels, in_channels, *self.kernel_size)
        self.bias = _empty_parameter(out_channels) if bias else None
        _reset_like_pytorch(self.weight, self.bias)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self):
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        return text + ("" if self.bias is not None else ", bias=False")


class MaxPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode = ceil_mode

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode)

    def extra_repr(self):
        return _pool_repr(self)


class AvgPool2d(Module):
    def __init__(
        self, kernel_size, stride=None, padding=0, count_include_pad=True, ceil_mode=False
    ):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.count_include_pad, self.ceil_mode = count_include_pad, ceil_mode

    def forward(self, x):
        return F.avg_pool2d(
            x, self.kernel_size, self.stride, self.padding, self.count_include_pad, self.ceil_mode
        )

    def extra_repr(self):
        return _pool_repr(self)


def _pool_repr(pool):
    stride = pool.kernel_size if pool.stride is None else pool.stride
    text = f"kernel_size={pool.kernel_size}, stride={stride}, padding={pool.padding}"
    return text + (", ceil_mode=True" if pool.ceil_mode else "")


class AdaptiveAvgPool2d(Module):
    """Average pooling to ``output_size`` (1 gives global average pooling)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class ReLU(Module):
    def forward(self, x):
        return x.relu()


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return x.leaky_relu(self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    def forward(self, x):
        return x.sigmoid()


class Tanh(Module):
    def forward(self, x):
        return x.tanh()


class Identity(Module):
    def forward(self, x):
        return x


class Softmax(Module):
    """Softmax along ``dim`` (PyTorch's name; numpy's ``axis`` is accepted too, not both),
    the last axis by default."""

    def __init__(self, dim=None, axis=None):
        super().__init__()
        self.axis = axis_or_dim(type(self).__name__, axis, dim, default=-1)

    def forward(self, x):
        return x.softmax(self.axis)

    def extra_repr(self):
        return f"axis={self.axis}"


class LogSoftmax(Softmax):
    def forward(self, x):
        return x.log_softmax(self.axis)


class Flatten(Module):
    """Merge axes start_dim..end_dim (default: everything but the batch axis)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Inverted dropout with probability p in training mode; the identity in eval mode."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class _BatchNorm(Module):
    """Batch normalization over axis 1 (see F.batch_norm): batch statistics in training
    (updating the running ones), running statistics in eval mode; learnable weight (gamma,
    init 1) and bias (beta, init 0)."""

    expected_ndim = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True):
        super().__init__()
        name = type(self).__name__
        if momentum is None:
            raise ValueError(
                f"{name}: momentum=None (PyTorch's cumulative average) is not supported; "
                "give a number in [0, 1], such as the default 0.1"
            )
        if not 0 <= momentum <= 1:
            raise ValueError(f"{name}: momentum must be in [0, 1], got {momentum}")
        if not eps > 0:
            raise ValueError(f"{name}: eps must be > 0, got {eps}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(np.ones(num_features, DEFAULT_DTYPE)) if affine else None
        self.bias = Parameter(np.zeros(num_features, DEFAULT_DTYPE)) if affine else None
        self.register_buffer("running_mean", np.zeros(num_features, DEFAULT_DTYPE))
        self.register_buffer("running_var", np.ones(num_features, DEFAULT_DTYPE))

    def forward(self, x):
        if x.ndim not in self.expected_ndim:
            raise ValueError(
                f"{type(self).__name__}: expected a {' or '.join(map(str, self.expected_ndim))}-D "
                f"input, got shape {x.shape}"
            )
        return F.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training,
            self.momentum,
            self.eps,
        )

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    """For (N, C) or (N, C, L) inputs."""

    expected_ndim = (2, 3)


class BatchNorm2d(_BatchNorm):
    """For (N, C, H, W) inputs: one mean and variance per channel, over N, H and W."""

    expected_ndim = (4,)
