"""MNIST files: finding them, downloading them from a local server, rejecting bad downloads;
and the DataLoader."""

import gzip
import http.server
import shutil
import threading

import numpy as np
import pytest

from tinygrad_cnn import manual_seed
from tinygrad_cnn.data import DataLoader, load_mnist
from tinygrad_cnn.data.mnist import DATASETS, download_file

NAMES = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No $TINYGRAD_CNN_DATA, an empty home (so an empty cache), no mirror override."""
    monkeypatch.delenv("TINYGRAD_CNN_DATA", raising=False)
    monkeypatch.delenv("TINYGRAD_CNN_MIRRORS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


class Server:
    """A local HTTP server on 127.0.0.1: ``files`` maps a path to bytes; a path in ``broken``
    announces more bytes than it sends and hangs up."""

    def __init__(self):
        self.files, self.broken, self.requests = {}, set(), []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path in server.broken:
                    self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    running = Server()
    yield running
    running.close()


def serve_real_files(server, mnist_dir, prefix="/good"):
    for name in NAMES:
        server.files[f"{prefix}/{name}.gz"] = (mnist_dir / f"{name}.gz").read_bytes()


def test_downloads_from_the_first_working_mirror_and_verifies(isolated, server, mnist_dir):
    serve_real_files(server, mnist_dir)
    target = isolated / "data"
    (train_x, train_y), (test_x, test_y) = load_mnist(
        target, mirrors=[server.url + "/missing", server.url + "/good"]
    )
    assert train_x.shape == (60000, 28, 28) and test_y.shape == (10000,)
    assert sorted(p.name for p in target.iterdir()) == sorted(f"{n}.gz" for n in NAMES)
    assert server.requests[0].startswith("/missing/")  # tried first, 404, then the next mirror
    server.requests.clear()
    load_mnist(target, mirrors=[server.url + "/good"])  # now found: nothing downloaded
    assert server.requests == []


def test_checksum_mismatch_is_rejected_and_leaves_nothing(isolated, server, mnist_dir):
    serve_real_files(server, mnist_dir)
    tampered = bytearray(gzip.decompress(server.files["/good/t10k-labels-idx1-ubyte.gz"]))
    tampered[100] = (tampered[100] + 1) % 10  # still a valid IDX file, one label changed
    server.files["/good/t10k-labels-idx1-ubyte.gz"] = gzip.compress(bytes(tampered))
    target = isolated / "data"
    with pytest.raises(ValueError, match="checksum mismatch"):
        load_mnist(target, mirrors=[server.url + "/good"])
    assert not (target / "t10k-labels-idx1-ubyte.gz").exists()
    assert not [p for p in target.iterdir() if p.name.startswith(".download")]


def test_a_broken_download_leaves_no_file(isolated, server, mnist_dir):
    serve_real_files(server, mnist_dir)
    server.broken.add("/good/train-labels-idx1-ubyte.gz")
    destination = isolated / "data" / "train-labels-idx1-ubyte.gz"
    with pytest.raises(OSError, match="broke off|got .* of .* bytes"):
        download_file(
            server.url + "/good/train-labels-idx1-ubyte.gz",
            destination,
            DATASETS["mnist"]["md5"]["train_labels"],
        )
    assert list((isolated / "data").iterdir()) == []


def test_offline_failure_says_where_to_put_the_files(isolated, monkeypatch):
    monkeypatch.setenv("TINYGRAD_CNN_MIRRORS", "http://127.0.0.1:9/")  # nothing listens there
    with pytest.raises(ValueError) as info:
        load_mnist(isolated / "nowhere")
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz not found in" in message and "Put the four files" in message
    assert str(isolated / "nowhere") in message and "Downloading failed" in message


def test_fashion_mnist_never_picks_up_the_mnist_files(isolated, monkeypatch, mnist_dir):
    monkeypatch.setenv("TINYGRAD_CNN_DATA", str(mnist_dir))
    with pytest.raises(ValueError) as info:
        load_mnist(download=False, dataset="fashion-mnist")
    assert str(mnist_dir / "fashion-mnist") in str(info.value)


def test_no_download_when_told_not_to(isolated):
    with pytest.raises(ValueError, match=r"fashion-mnist: train-images-idx3-ubyte.gz not found"):
        load_mnist(isolated / "nowhere", download=False, dataset="fashion-mnist")
    with pytest.raises(ValueError, match="unknown dataset"):
        load_mnist(dataset="cifar")


def test_finds_either_naming_convention_in_order(isolated, monkeypatch, mnist_dir):
    dotted = isolated / "dotted"
    dotted.mkdir()
    for name in NAMES:  # uncompressed, Kaggle-style names: train-images.idx3-ubyte
        stem, kind = name.rsplit("-", 2)[0], name.split("-")[2]
        (dotted / f"{stem}.{kind}-ubyte").write_bytes(
            gzip.decompress((mnist_dir / f"{name}.gz").read_bytes())
        )
    (_, labels), _ = load_mnist(dotted, download=False)
    assert labels[:5].tolist() == [5, 0, 4, 1, 9]
    monkeypatch.setenv("TINYGRAD_CNN_DATA", str(dotted))
    load_mnist(isolated / "empty", download=False)  # falls back to $TINYGRAD_CNN_DATA
    monkeypatch.delenv("TINYGRAD_CNN_DATA")
    cache = isolated / "home" / ".cache" / "tinygrad_cnn" / "mnist"
    shutil.copytree(dotted, cache)
    load_mnist(download=False)  # and then to the user cache


def test_wrong_file_contents_are_reported(isolated, mnist_dir):
    folder = isolated / "swapped"
    folder.mkdir()
    for name in NAMES:
        shutil.copy(mnist_dir / f"{name}.gz", folder / f"{name}.gz")
    shutil.copy(mnist_dir / "t10k-labels-idx1-ubyte.gz", folder / "train-labels-idx1-ubyte.gz")
    with pytest.raises(ValueError, match=r"expected \(60000,\) uint8 for train_labels"):
        load_mnist(folder, download=False)


# ----------------------------------------------------------------- DataLoader
def test_dataloader_batches_normalizes_and_shuffles_with_the_seed():
    images = np.arange(10 * 4 * 4, dtype=np.uint8).reshape(10, 4, 4)
    labels = np.arange(10)
    loader = DataLoader(images, labels, batch_size=4, mean=0.5, std=0.25)
    batches = list(loader)
    assert len(loader) == 3 and [len(y) for _, y in batches] == [4, 4, 2]
    x, y = batches[0]
    assert x.shape == (4, 1, 4, 4) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(x.data, (images[:4, None] / 255 - 0.5) / 0.25, rtol=1e-6)
    assert len(DataLoader(images, labels, 4, drop_last=True)) == 2
    assert [len(y) for _, y in DataLoader(images, labels, 4, drop_last=True)] == [4, 4]

    manual_seed(5)
    first = np.concatenate([y for _, y in DataLoader(images, labels, 3, shuffle=True)])
    manual_seed(5)
    again = np.concatenate([y for _, y in DataLoader(images, labels, 3, shuffle=True)])
    assert sorted(first) == list(range(10)) and first.tolist() == again.tolist()
    assert first.tolist() != list(range(10))


def test_dataloader_resumes_a_pass_mid_way():
    images, labels = np.zeros((10, 2, 2), np.uint8), np.arange(10)
    loader = DataLoader(images, labels, 3, shuffle=True)
    order = loader.new_order()
    rest = [y.tolist() for _, y in loader.batches(order, start=2)]
    assert rest == [order[6:9].tolist(), order[9:].tolist()]
    with pytest.raises(ValueError, match="10 images but 9 labels"):
        DataLoader(images, labels[:9])
