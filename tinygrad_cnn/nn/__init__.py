"""Layers, losses and initializers with PyTorch's names (``from tinygrad_cnn import nn``)."""

from tinygrad_cnn.nn import init  # noqa: F401
from tinygrad_cnn.nn.layers import (  # noqa: F401
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2d,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from tinygrad_cnn.nn.losses import (  # noqa: F401
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from tinygrad_cnn.nn.module import Module, Parameter, Sequential  # noqa: F401
