"""tinygrad_cnn: a from-scratch deep-learning engine for teaching convolutional networks.

Start reading at ``tensor.py`` (the Tensor), then ``autograd.py`` (how backward works), then
any module of ``ops/`` (each op with its derivation).

``import tinygrad_cnn`` loads the engine (tensors, autograd, ops, ``functional``, ``nn``,
``optim``) and nothing heavy: the other subpackages (``data``, ``models``, ``viz``, ...) are
imported on first use, so ``tinygrad_cnn.data.read_idx`` works without importing numba,
matplotlib or graphviz up front. As in PyTorch, ``tinygrad_cnn.tensor`` is the function
(``tg.tensor([1.0, 2.0])``); the module is reached by its full path
(``from tinygrad_cnn.tensor import Tensor``).
"""

import importlib

from tinygrad_cnn import functional, nn, optim  # noqa: F401
from tinygrad_cnn.autograd import Function, is_grad_enabled, no_grad  # noqa: F401
from tinygrad_cnn.export import export_safetensors, load_safetensors  # noqa: F401
from tinygrad_cnn.gradcheck import GradcheckError, gradcheck  # noqa: F401
from tinygrad_cnn.kernels.runtime import tuned_for_training  # noqa: F401
from tinygrad_cnn.rng import get_rng_state, manual_seed, set_rng_state  # noqa: F401
from tinygrad_cnn.serialization import load, save  # noqa: F401
from tinygrad_cnn.tensor import (  # noqa: F401  (the public API)
    DEFAULT_DTYPE,
    Tensor,
    arange,
    cat,
    concatenate,
    eye,
    from_numpy,
    full,
    maximum,
    minimum,
    ones,
    ones_like,
    rand,
    randn,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)

__version__ = "0.1.0"

# Imported on first attribute access (PEP 562), so that `import tinygrad_cnn` stays light.
_LAZY_SUBMODULES = (
    "cli",
    "data",
    "demo",
    "grad_stats",
    "grading",
    "kernels",
    "models",
    "testing",
    "training",
    "viz",
)


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")  # also sets it as an attribute
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))
