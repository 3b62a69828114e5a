"""export_safetensors and load_safetensors: the way out to PyTorch (and back), never pickle.

A safetensors file is 8 bytes (the length N of the header, little-endian), N bytes of JSON
(for each tensor: its dtype such as ``"F32"``, its shape and where its bytes lie; plus an
optional ``"__metadata__"`` of strings), then the raw bytes of every tensor in C order.
Reading one parses JSON and copies bytes: it cannot run code, unlike a pickled ``.pt``.

The keys and layouts are already PyTorch's (``state_dict()`` names a parameter by its path,
``0.weight``; a conv weight is (C_out, C_in, kH, kW), a Linear's (out, in)), so a model's
weights cross over unchanged except for two details, mapped here in both directions:

- PyTorch's batch norm keeps a fifth entry, ``num_batches_tracked`` (an int64 counter of the
  training batches seen, used only with ``momentum=None``). The engine does not count, so
  the export adds it as 0 beside every ``running_mean``/``running_var`` pair, and loading
  drops it.
- A model wrapped in PyTorch's ``DistributedDataParallel`` names its weights
  ``module.0.weight``; when every key starts with ``module.``, loading strips it.
"""

import os
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np
import safetensors
import safetensors.numpy

from tinygrad_cnn.nn import Module
from tinygrad_cnn.serialization import atomic_file
from tinygrad_cnn.tensor import Tensor

SUFFIX = ".safetensors"
COUNTER = "num_batches_tracked"  # PyTorch's batch-norm entry that the engine does not keep
WRAPPER_PREFIX = "module."  # DistributedDataParallel's (and DataParallel's) outer name


def check_path(path, op):
    """Refuse a path that does not end in .safetensors (say, a checkpoint's .npz by mistake)."""
    if not os.fspath(path).endswith(SUFFIX):
        raise ValueError(f"{op}: {os.fspath(path)} is not a {SUFFIX} file name")


def model_weights(state):
    """(weights, metadata) of what ``export_safetensors`` accepts: a Module, a state_dict
    (names -> arrays or Tensors), or a checkpoint of ``tinygrad-cnn train`` (a dict whose
    ``"model"`` entry is the state_dict; its model name, dropout, dataset and epoch become
    metadata, strings as safetensors requires). The weights are C-ordered numpy arrays."""
    metadata = {}
    if isinstance(state, Module):
        state = state.state_dict()
    elif isinstance(state, Mapping) and isinstance(state.get("model"), Mapping):
        config = state.get("config") if isinstance(state.get("config"), Mapping) else {}
        metadata = {key: config[key] for key in ("model", "dropout", "dataset") if key in config}
        if isinstance(state.get("epoch"), int):
            metadata["epoch"] = state["epoch"]
        state = state["model"]
    if not isinstance(state, Mapping) or not state:
        raise ValueError("not a model's weights: expected a Module, a state_dict or a checkpoint")
    weights = OrderedDict()
    for key, value in state.items():
        array = value.data if isinstance(value, Tensor) else value
        if not isinstance(key, str) or not isinstance(array, np.ndarray):
            raise ValueError(f"not a model's weights: {key!r} is not a name with an array")
        if array.dtype.kind not in "biuf":
            raise ValueError(f"not a model's weights: {key!r} has dtype {array.dtype}")
        weights[key] = np.ascontiguousarray(array)
    return weights, {key: str(value) for key, value in metadata.items()}


def to_pytorch(weights):
    """PyTorch's state_dict of the same model: the same arrays, plus a ``num_batches_tracked``
    of 0 (int64, shape ()) after each batch-norm layer's ``running_var``."""
    out = OrderedDict()
    for key, array in weights.items():
        out[key] = array
        prefix = key[: -len("running_var")]
        if key.endswith("running_var") and prefix + "running_mean" in weights:
            out.setdefault(prefix + COUNTER, np.zeros((), np.int64))
    return out


def from_pytorch(tensors):
    """The engine's state_dict from PyTorch's: without ``num_batches_tracked``, and without
    the ``module.`` that DistributedDataParallel puts before every key."""
    if tensors and all(key.startswith(WRAPPER_PREFIX) for key in tensors):
        tensors = {key[len(WRAPPER_PREFIX) :]: value for key, value in tensors.items()}
    kept = [key for key in tensors if key != COUNTER and not key.endswith("." + COUNTER)]
    return OrderedDict((key, tensors[key]) for key in sorted(kept, key=_layer_order))


def _layer_order(key):
    """A file lists its keys alphabetically ("11.bias" before "3.bias"); list them by layer."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in key.split(".")]


def export_safetensors(state_or_model, path):
    """Write a model's weights to ``path`` (a .safetensors file) with PyTorch's key names and
    layouts, so that ``torch_model.load_state_dict(safetensors.torch.load_file(path),
    strict=True)`` loads them into its ``torch.nn`` twin. ``state_or_model``: a Module, its
    ``state_dict()``, or a checkpoint of ``tinygrad-cnn train`` (``tg.load("best.npz")``).

    The file is written to a temporary name in the same folder and renamed into place, so it
    is never seen half-written; an existing file of that name is replaced (the CLI refuses
    unless --force). Returns the dict
    of arrays written."""
    check_path(path, "export_safetensors")
    try:
        weights, metadata = model_weights(state_or_model)
        tensors = to_pytorch(weights)
    except ValueError as err:
        raise ValueError(f"export_safetensors: {err}") from None
    metadata = {"format": "pt", "producer": "tinygrad_cnn", **metadata}
    with atomic_file(path) as file:
        file.write(safetensors.numpy.save(tensors, metadata=metadata))
    return tensors


def load_safetensors(path):
    """Read the weights in a .safetensors file, written by ``export_safetensors`` or by
    PyTorch (``safetensors.torch.save_file(model.state_dict(), path)``), as the engine's
    state_dict: an ordered dict of name -> numpy array, ready for
    ``model.load_state_dict(..., strict=True)``. Batch norm's ``num_batches_tracked`` is
    dropped, and a ``module.`` before every key (DistributedDataParallel's) is stripped.

    A missing file raises FileNotFoundError; anything that is not a safetensors file, or
    holds a dtype numpy lacks (bfloat16), raises ValueError. Nothing in the file runs."""
    check_path(path, "load_safetensors")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_safetensors: no such file: {os.fspath(path)}")
    try:
        tensors = safetensors.numpy.load_file(path)
    except safetensors.SafetensorError as err:
        raise ValueError(
            f"load_safetensors: {os.fspath(path)} is not a valid safetensors file: {err}"
        ) from None
    except TypeError as err:  # e.g. "data type 'bfloat16' not understood"
        raise ValueError(
            f"load_safetensors: {os.fspath(path)}: {err}; save float32 weights instead "
            "(in PyTorch: model.float().state_dict())"
        ) from None
    return from_pytorch(tensors)
