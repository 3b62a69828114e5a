"""How values cross between the grader and a submission's process: JSON, never pickle.

A value is plain data: None, bool, int, float, str, numeric numpy arrays and scalars, and
lists, tuples and str-keyed dicts of these. Arrays travel as dtype, shape and base64 bytes,
so decoding builds numbers and nothing else: whatever a submission sends, the grader only
ever gets data to check. A message is an 8-byte length followed by that many bytes of JSON.
"""

import base64
import json
import struct

import numpy as np

MAX_MESSAGE = 256 * 2**20  # a reply larger than this is refused, not read into memory
NUMERIC_KINDS = "biufc"


class WireError(ValueError):
    """A value that cannot cross (an object, a lambda, a Tensor...) or a malformed message."""


def _encode(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in NUMERIC_KINDS:
        return _encode(np.asarray(value))
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in NUMERIC_KINDS:
            raise WireError(f"an array of dtype {value.dtype} (only numbers can be checked)")
        data = np.asarray(value, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)
        return {
            "__array__": [data.dtype.str, list(data.shape)],
            "data": base64.b64encode(data.tobytes()).decode("ascii"),
        }
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise WireError("a dict with keys that are not strings")
        if "__array__" in value or "__tuple__" in value:
            raise WireError("a dict with a reserved key (__array__ or __tuple__)")
        return {k: _encode(v) for k, v in value.items()}
    raise WireError(f"a {type(value).__name__}")


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_decode(v) for v in value["__tuple__"])
    if "__array__" in value:
        dtype_str, shape = value["__array__"]
        dtype = np.dtype(dtype_str)
        if dtype.kind not in NUMERIC_KINDS or dtype.hasobject:
            raise WireError(f"an array of dtype {dtype}")
        raw = base64.b64decode(value["data"], validate=True)
        array = np.frombuffer(raw, dtype=dtype).reshape(tuple(shape)).copy()
        return array[()] if array.ndim == 0 else array  # a numpy scalar stays a scalar
    return {k: _decode(v) for k, v in value.items()}


def dumps(value):
    """The message bytes (length prefix included) for ``value``; WireError if it cannot cross."""
    body = json.dumps(_encode(value)).encode("utf-8")
    return struct.pack(">Q", len(body)) + body


def loads(body):
    """The value in a message body (without its length prefix); WireError if malformed."""
    try:
        return _decode(json.loads(body.decode("utf-8")))
    except WireError:
        raise
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as err:
        raise WireError(f"malformed message: {err}") from None


def read_message(read):
    """One message via ``read(n)`` (returns up to n bytes, b'' at the end); None at the end."""
    header = _read_exactly(read, 8)
    if header is None:
        return None
    (size,) = struct.unpack(">Q", header)
    if size > MAX_MESSAGE:
        raise WireError(f"a message of {size:,} bytes (the limit is {MAX_MESSAGE:,})")
    body = _read_exactly(read, size)
    if body is None:
        raise WireError("the message ended early")
    return loads(body)


def _read_exactly(read, n):
    chunks, left = [], n
    while left:
        chunk = read(left)
        if not chunk:
            if left == n:
                return None
            raise WireError("the message ended early")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
