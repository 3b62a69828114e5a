"""The IDX format of MNIST (http://yann.lecun.com/exdb/mnist/), read with full validation.

An IDX file is a 4-byte magic number — two zero bytes, a type code (0x08 = unsigned byte,
0x09 = signed byte, 0x0B = int16, 0x0C = int32, 0x0D = float32, 0x0E = float64) and the number
of dimensions — then each dimension as a big-endian 32-bit integer, then the data, row-major
and big-endian. MNIST's images are (N, 28, 28) unsigned bytes, its labels (N,).
"""

import gzip
import os
import zlib

import numpy as np

DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_bytes(path):
    with open(path, "rb") as file:
        head = file.read(2)
        file.seek(0)
        if head == b"\x1f\x8b":  # gzip's magic number
            try:
                return gzip.decompress(file.read())
            except (OSError, EOFError, zlib.error) as err:
                raise ValueError(
                    f"read_idx: {path}: corrupt or truncated gzip data ({err})"
                ) from None
        return file.read()


def read_idx(path):
    """Read an IDX file (raw or gzipped) into a numpy array of its native type.

    A file that is not IDX, is truncated, or has bytes left over raises ValueError naming
    the file and what was expected.
    """
    path = os.fspath(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in DTYPES:
        raise ValueError(
            f"read_idx: {path} is not an IDX file (expected a magic number 00 00 <type> <ndim> "
            f"with type in {sorted(hex(t) for t in DTYPES)}, got {data[:4].hex(' ') or 'nothing'})"
        )
    dtype, ndim = np.dtype(DTYPES[data[2]]), data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"read_idx: {path} is truncated inside its header ({len(data)} bytes)")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "longer than its header says"
        raise ValueError(
            f"read_idx: {path} is {problem}: shape {shape} of {dtype.name} needs {expected} "
            f"bytes, the file has {len(data)}"
        )
    array = np.frombuffer(data, dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # native byte order, and writable
