"""read_idx on tiny hand-made IDX files: types, gzip, and every kind of broken file."""

import gzip
import struct

import numpy as np
import pytest

from tinygrad_cnn.data import read_idx


def idx_bytes(array, type_code=0x08):
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[
        type_code
    ]
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(
        struct.pack(">I", d) for d in array.shape
    )
    return header + array.astype(dtype).tobytes()


@pytest.mark.parametrize(
    "type_code, values",
    [
        (0x08, [[0, 255], [7, 8]]),
        (0x09, [[-1, 2]]),
        (0x0B, [[-300, 3]]),
        (0x0C, [[70000, -5]]),
        (0x0D, [[0.5, -1.25]]),
        (0x0E, [[1e300, 2.0]]),
    ],
)
def test_reads_every_type_raw_and_gzipped(tmp_path, type_code, values):
    array = np.array(values)
    raw = tmp_path / "x-idx"
    raw.write_bytes(idx_bytes(array, type_code))
    zipped = tmp_path / "x-idx.gz"
    zipped.write_bytes(gzip.compress(idx_bytes(array, type_code)))
    for path in (raw, zipped):
        out = read_idx(path)
        np.testing.assert_array_equal(out, array)
        assert out.dtype.isnative and out.flags.writeable


def test_reads_labels_and_images(tmp_path):
    labels = np.array([3, 1, 4], np.uint8)
    (tmp_path / "l").write_bytes(idx_bytes(labels))
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "i").write_bytes(idx_bytes(images))
    assert read_idx(tmp_path / "l").tolist() == [3, 1, 4]
    assert read_idx(tmp_path / "i").shape == (2, 3, 4)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", r"is not an IDX file .* got nothing"),
        (b"PK\x03\x04 not idx", "is not an IDX file"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "is not an IDX file"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated inside its header"),
        (
            idx_bytes(np.zeros((2, 3), np.uint8))[:-1],
            r"is truncated: shape \(2, 3\) of uint8 needs 18 bytes, the file has 17",
        ),
        (idx_bytes(np.zeros(2, np.uint8)) + b"\x00", "longer than its header says"),
        (gzip.compress(idx_bytes(np.zeros(100, np.uint8)))[:-10], "corrupt or truncated gzip data"),
        (b"\x1f\x8b\x08\x00garbage-after-gzip-magic", "corrupt or truncated gzip data"),
    ],
)
def test_broken_files_raise_value_error_naming_the_file(tmp_path, content, message):
    path = tmp_path / "broken-idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_real_mnist_files(mnist_dir):
    labels = read_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10_000,) and labels[:5].tolist() == [7, 2, 1, 0, 4]
    images = read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz")
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8 and images.max() == 255
