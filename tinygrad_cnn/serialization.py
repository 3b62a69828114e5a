"""save and load: checkpoints as .npz files with JSON metadata, never pickle.

A state is any nesting of dicts, lists and tuples whose leaves are numpy arrays, Tensors,
numbers, strings, booleans or None (a model's ``state_dict()``, an optimizer's, the epoch,
the random generator's state). Arrays are stored as the .npz archive's members; everything
else goes into one JSON document (member ``__metadata__``) that records the structure and
points at the arrays. Loading uses ``allow_pickle=False``, so a file can hold data but never
code.

Writing goes to a temporary file in the same folder, flushed to disk, then renamed over the
target: the rename is atomic, so a crash leaves either the old checkpoint or the new one,
never half of one.
"""

import contextlib
import json
import os
import secrets
import zipfile

import numpy as np

from tinygrad_cnn.tensor import Tensor

FORMAT = "tinygrad_cnn-checkpoint"
VERSION = 1


def _encode(value, arrays):
    """The JSON form of ``value``; arrays are moved into ``arrays`` and referenced by key."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            raise ValueError(f"save: cannot store an array of dtype {value.dtype} (numbers only)")
        key = f"array_{len(arrays)}"
        arrays[key] = value
        return {"__ndarray__": key}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise ValueError(f"save: dict keys must be str or int, got {key!r}")
        return {"__dict__": [[key, _encode(item, arrays)] for key, item in value.items()]}
    if isinstance(value, (list, tuple)):
        items = [_encode(item, arrays) for item in value]
        return items if isinstance(value, list) else {"__tuple__": items}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if callable(getattr(value, "state_dict", None)):  # a Module or an optimizer: code, not data
        owner = "model" if hasattr(value, "named_parameters") else "optimizer"
        raise TypeError(
            f"save: cannot store a {type(value).__name__} object itself (that would need "
            f"pickle, which save never uses); save its state instead: "
            f"tg.save({owner}.state_dict(), path), then {owner}.load_state_dict(tg.load(path))"
        )
    raise ValueError(f"save: cannot store a value of type {type(value).__name__}")


def _decode(value, arrays):
    if isinstance(value, list):
        return [_decode(item, arrays) for item in value]
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return arrays[value["__ndarray__"]]
        if "__tuple__" in value:
            return tuple(_decode(item, arrays) for item in value["__tuple__"])
        return {key: _decode(item, arrays) for key, item in value["__dict__"]}
    return value


@contextlib.contextmanager
def atomic_file(path):
    """A new file, open for writing bytes, that replaces ``path`` in one rename when the block
    ends without error: a reader (or a crash) sees the old file or the new one, never half of
    one. On error the partial file is removed. The file is created as ``open`` creates files
    (mode 0o666 less the umask), beside ``path`` so that the rename stays on one disk."""
    folder, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "xb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def save(state, path):
    """Write ``state`` to ``path`` (an .npz archive) atomically."""
    arrays = {}
    metadata = {"format": FORMAT, "version": VERSION, "state": _encode(state, arrays)}
    arrays["__metadata__"] = np.frombuffer(json.dumps(metadata).encode("utf-8"), dtype=np.uint8)
    with atomic_file(path) as file:
        np.savez(file, **arrays)


def load(path):
    """Read a state written by ``save``. Anything else (a pickle, a plain .npy, an archive
    with object arrays, a truncated or corrupt file) raises ValueError; nothing in the file
    is ever executed."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file: {path}")
    with open(path, "rb") as file:
        head = file.read(4)
    if head not in (b"PK\x03\x04", b"PK\x05\x06"):  # a zip archive (an .npz is one)
        kind = "a pickle" if head[:1] == b"\x80" else "not an .npz archive"
        raise ValueError(
            f"load: {path} is not a valid tinygrad_cnn checkpoint: {kind} (it begins with "
            f"{head!r}); save writes .npz archives of arrays and JSON"
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile) or "__metadata__" not in archive.files:
                raise ValueError("it has no __metadata__ member")
            metadata = json.loads(archive["__metadata__"].tobytes().decode("utf-8"))
            if metadata.get("format") != FORMAT:
                raise ValueError(f"its format is {metadata.get('format')!r}")
            if metadata.get("version") != VERSION:
                raise ValueError(f"its version {metadata.get('version')} is not {VERSION}")
            arrays = {key: archive[key] for key in archive.files if key != "__metadata__"}
            return _decode(metadata["state"], arrays)
    except (
        ValueError,
        OSError,
        EOFError,
        KeyError,
        TypeError,
        zipfile.BadZipFile,
        UnicodeDecodeError,
    ) as err:
        reason = str(err)
        if "pickle" in reason:  # numpy's own words would suggest loading it unsafely
            reason = "it holds Python objects (pickled data), which are never loaded"
        raise ValueError(f"load: {path} is not a valid tinygrad_cnn checkpoint: {reason}") from None
