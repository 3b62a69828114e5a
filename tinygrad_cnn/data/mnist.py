"""MNIST and Fashion-MNIST: find the four IDX files, or download and verify them.

``load_mnist(data_dir=None, download=True)`` looks for the files, in order, in ``data_dir``,
``$TINYGRAD_CNN_DATA`` (``$TINYGRAD_CNN_DATA/fashion-mnist`` for Fashion-MNIST) and
``~/.cache/tinygrad_cnn/<dataset>``, under either usual name
(``train-images-idx3-ubyte.gz`` / ``train-images-idx3-ubyte`` / ``train-images.idx3-ubyte``).
Missing files are downloaded from the mirrors in turn (``$TINYGRAD_CNN_MIRRORS``, a
comma-separated list of base URLs, replaces the built-in list) into the first folder. A
download goes to a temporary file, is checked against the published MD5 checksum, and only
then renamed into place, so an interrupted or corrupted download never leaves a file behind.

The files are identified before use (``identify``): MNIST's digits passed as Fashion-MNIST (or
the other way round) are refused, rather than trained on under the wrong class names.
"""

import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.request
from pathlib import Path

import numpy as np
from tqdm import tqdm

from tinygrad_cnn.data.idx import read_idx

PARTS = {
    "train_images": ("train-images", "idx3", 60_000),
    "train_labels": ("train-labels", "idx1", 60_000),
    "test_images": ("t10k-images", "idx3", 10_000),
    "test_labels": ("t10k-labels", "idx1", 10_000),
}

# Accepted MD5 checksums per file: of the .gz as published on the mirrors, and of the
# uncompressed contents (which stay the same if a copy was re-compressed).
DATASETS = {
    "mnist": {
        "mirrors": [
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ],
        "md5": {
            "train_images": {
                "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "6bbc9ace898e44ae57da46a324031adb",
            },
            "train_labels": {
                "d53e105ee54ea40749a09fcbcd1e9432",
                "a25bea736e30d166cdddb491f175f624",
            },
            "test_images": {"9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"},
            "test_labels": {"ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"},
        },
        "classes": [str(digit) for digit in range(10)],
    },
    "fashion-mnist": {
        "mirrors": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
        "md5": {
            "train_images": {"8d4fb7e6c68d591d4c3dfef9ec88bf0d"},
            "train_labels": {"25c81989df183df01b3e8a0aad5dffbe"},
            "test_images": {"bef4ecab320f06d8554ea6380940ec79"},
            "test_labels": {"bb300cfdad3c16e7a12a480ee83cd310"},
        },
        "classes": [
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ],
    },
}


def candidate_folders(data_dir, dataset):
    """Where to look, in order: the argument, $TINYGRAD_CNN_DATA (for MNIST; its subfolder
    named after any other dataset, since the file names are the same), the user cache."""
    folders = []
    if data_dir is not None:
        folders.append(Path(data_dir))
    if os.environ.get("TINYGRAD_CNN_DATA"):
        shared = Path(os.environ["TINYGRAD_CNN_DATA"])
        folders.append(shared if dataset == "mnist" else shared / dataset)
    folders.append(Path.home() / ".cache" / "tinygrad_cnn" / dataset)
    return folders


def _file_names(part):
    stem, kind, _ = PARTS[part]
    return [f"{stem}-{kind}-ubyte.gz", f"{stem}-{kind}-ubyte", f"{stem}.{kind}-ubyte"]


def find_file(folders, part):
    for folder in folders:
        for name in _file_names(part):
            if (folder / name).is_file():
                return folder / name
    return None


def _md5_matches(data, accepted):
    if hashlib.md5(data).hexdigest() in accepted:
        return True
    if data[:2] == b"\x1f\x8b":
        try:
            return hashlib.md5(gzip.decompress(data)).hexdigest() in accepted
        except (OSError, EOFError):
            return False
    return False


def download_file(url, destination, accepted_md5, timeout=30):
    """Download ``url`` to ``destination`` atomically, checking the MD5. Raises OSError
    (network) or ValueError (checksum); in both cases nothing is left at ``destination``."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=destination.parent, prefix=".download-")
    try:
        _fetch(url, descriptor, destination.name, timeout)
        data = Path(temporary).read_bytes()
        if not _md5_matches(data, accepted_md5):
            raise ValueError(f"{url}: checksum mismatch (MD5 {hashlib.md5(data).hexdigest()})")
        os.replace(temporary, destination)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _fetch(url, descriptor, label, timeout):
    """Stream ``url`` into the open file ``descriptor`` with a progress bar."""
    try:
        with (
            os.fdopen(descriptor, "wb") as file,
            urllib.request.urlopen(url, timeout=timeout) as response,
        ):
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=label, leave=False) as progress:
                while chunk := response.read(1 << 16):
                    file.write(chunk)
                    progress.update(len(chunk))
            if total is not None and file.tell() != total:
                raise OSError(f"{url}: got {file.tell()} of {total} bytes")
    except http.client.HTTPException as err:  # e.g. the server hung up mid-file
        raise OSError(f"{url}: download broke off ({err!r})") from None


def load_mnist(data_dir=None, download=True, dataset="mnist", mirrors=None):
    """Return ((train_images, train_labels), (test_images, test_labels)) as uint8 arrays of
    shapes (60000, 28, 28), (60000,), (10000, 28, 28), (10000,)."""
    if dataset not in DATASETS:
        raise ValueError(
            f"load_mnist: unknown dataset {dataset!r} (choose from {sorted(DATASETS)})"
        )
    spec = DATASETS[dataset]
    folders = candidate_folders(data_dir, dataset)
    arrays, paths = {}, {}
    for part, (_, _, count) in PARTS.items():
        path = find_file(folders, part)
        if path is None:
            if not download:
                raise ValueError(_missing_message(dataset, part, folders))
            mirrors = mirrors or _mirrors_from_environment() or spec["mirrors"]
            path = _download(part, mirrors, spec["md5"][part], dataset, folders)
        arrays[part], paths[part] = _checked(read_idx(path), part, count, path), path
    found = identify(arrays, paths["train_labels"])
    if found is not None and found != dataset:
        raise ValueError(
            f"{paths['train_labels'].parent}: these files are {found}, not {dataset}: pass "
            f"--dataset {found}, or --data-dir with the folder of the {dataset} files"
        )
    return (
        (arrays["train_images"], arrays["train_labels"]),
        (arrays["test_images"], arrays["test_labels"]),
    )


def identify(arrays, train_labels_path):
    """Which dataset the loaded files are: "mnist", "fashion-mnist", or None if unknown.

    First the checksums: of the training labels' file as it is (the published .gz, or the
    raw file), and of its uncompressed contents rebuilt from the array (a re-compressed copy).
    Then statistics that tell the two apart: Fashion-MNIST has exactly 6,000 training and
    1,000 test images of each class and brighter images (mean pixel 73 of 255 in the test
    set), MNIST uneven classes and dark ones (mean 34)."""
    labels = arrays["train_labels"]
    header = b"\x00\x00\x08\x01" + len(labels).to_bytes(4, "big")
    checksums = {
        hashlib.md5(Path(train_labels_path).read_bytes()).hexdigest(),
        hashlib.md5(header + labels.tobytes()).hexdigest(),
    }
    for name, spec in DATASETS.items():
        if checksums & spec["md5"]["train_labels"]:
            return name
    balanced = all(
        (np.bincount(arrays[part], minlength=10) == len(arrays[part]) // 10).all()
        for part in ("train_labels", "test_labels")
    )
    brightness = float(arrays["test_images"].mean())
    if balanced and brightness > 60:
        return "fashion-mnist"
    if not balanced and brightness < 45:
        return "mnist"
    return None


def _mirrors_from_environment():
    value = os.environ.get("TINYGRAD_CNN_MIRRORS", "")
    return [url.strip() for url in value.split(",") if url.strip()]


def _download(part, mirrors, accepted_md5, dataset, folders):
    """Download into the first candidate folder, trying each mirror in turn."""
    folder, name = folders[0], _file_names(part)[0]
    failures = []
    for mirror in mirrors:
        try:
            download_file(mirror.rstrip("/") + "/" + name, folder / name, accepted_md5)
            return folder / name
        except (OSError, ValueError, http.client.HTTPException) as err:
            failures.append(str(err))
    raise ValueError(
        _missing_message(dataset, part, folders) + " Downloading failed: " + "; ".join(failures)
    )


def _missing_message(dataset, part, folders):
    return (
        f"{dataset}: {_file_names(part)[0]} not found in "
        f"{', '.join(str(f) for f in folders)}. Put the four files "
        f"(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
        f"t10k-labels-idx1-ubyte.gz) in one of these folders, or pass --data-dir."
    )


def _checked(array, part, count, path):
    expected = (count, 28, 28) if part.endswith("images") else (count,)
    if array.shape != expected or array.dtype != np.uint8:
        raise ValueError(
            f"{path}: expected {expected} uint8 for {part}, got {array.shape} {array.dtype}"
        )
    if part.endswith("labels") and array.max() > 9:
        raise ValueError(f"{path}: labels must be 0-9, found {array.max()}")
    return array
