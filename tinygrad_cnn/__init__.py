"""tinygrad_cnn: a from-scratch deep-learning engine for teaching convolutional networks.

Start reading at ``tensor.py`` (the Tensor), then ``autograd.py`` (how backward works), then
any module of ``ops/`` (each op with its derivation).
"""

from tinygrad_cnn import functional, nn, optim  # noqa: F401
from tinygrad_cnn.autograd import Function, is_grad_enabled, no_grad  # noqa: F401
from tinygrad_cnn.gradcheck import GradcheckError, gradcheck  # noqa: F401
from tinygrad_cnn.rng import get_rng_state, manual_seed, set_rng_state  # noqa: F401
from tinygrad_cnn.serialization import load, save  # noqa: F401
from tinygrad_cnn.tensor import (  # noqa: F401  (the public API)
    DEFAULT_DTYPE,
    Tensor,
    arange,
    cat,
    concatenate,
    eye,
    full,
    maximum,
    minimum,
    ones,
    ones_like,
    rand,
    randn,
    stack,
    where,
    zeros,
    zeros_like,
)

__version__ = "0.1.0"
