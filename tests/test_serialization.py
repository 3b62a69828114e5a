"""save/load: round trips, atomic writes, refusal of pickles and corrupt files, exact resume."""

import gzip
import os
import pickle
import zipfile

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import models, nn, optim


def test_round_trip_of_nested_state(tmp_path):
    state = {
        "model": {"w": np.arange(6.0).reshape(2, 3), "b": tg.Tensor([1.0, 2.0])},
        "epoch": 3,
        "lr": 0.5,
        "name": "lenet5",
        "done": False,
        "nothing": None,
        "history": [0.5, 0.25],
        "shape": (1, 28, 28),
        "by_index": {0: {"step": 4}},
        "labels": np.array([1, 2], dtype=np.uint8),
        "scalar": np.float32(2.5),
    }
    path = tmp_path / "state.npz"
    tg.save(state, path)
    loaded = tg.load(path)
    np.testing.assert_array_equal(loaded["model"]["w"], state["model"]["w"])
    np.testing.assert_array_equal(loaded["model"]["b"], [1.0, 2.0])
    assert loaded["model"]["b"].dtype == np.float32 and loaded["labels"].dtype == np.uint8
    assert loaded["epoch"] == 3 and loaded["lr"] == 0.5 and loaded["name"] == "lenet5"
    assert loaded["done"] is False and loaded["nothing"] is None and loaded["scalar"] == 2.5
    assert loaded["history"] == [0.5, 0.25] and loaded["shape"] == (1, 28, 28)
    assert loaded["by_index"] == {0: {"step": 4}}


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    tg.save({"v": np.ones(3)}, path)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # e.g. Ctrl-C in the middle of writing

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        tg.save({"v": np.zeros(3)}, path)
    monkeypatch.undo()
    np.testing.assert_array_equal(tg.load(path)["v"], np.ones(3))  # the old checkpoint is intact
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


def test_unsupported_values_are_refused_before_writing(tmp_path):
    with pytest.raises(ValueError, match="cannot store a value of type object"):
        tg.save({"bad": object()}, tmp_path / "x.npz")
    with pytest.raises(ValueError, match="cannot store an array of dtype object"):
        tg.save({"bad": np.array([{}], dtype=object)}, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


class Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


def test_a_pickle_is_refused_and_never_executed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps({"state": Boom()}))
    with pytest.raises(ValueError, match="is not a valid tinygrad_cnn checkpoint"):
        tg.load(path)
    assert not (tmp_path / "pwned.txt").exists()


def test_an_archive_with_an_object_array_is_refused(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(
        path,
        __metadata__=np.frombuffer(
            b'{"format": "tinygrad_cnn-checkpoint", "version": 1, "state": {"__ndarray__": "a"}}',
            np.uint8,
        ),
        a=np.array([Boom()], dtype=object),
    )
    with pytest.raises(ValueError, match="not a valid tinygrad_cnn checkpoint"):
        tg.load(path)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "plain_npy", "foreign_npz", "empty"])
def test_corrupt_files_raise_value_error(tmp_path, damage):
    path = tmp_path / "checkpoint.npz"
    tg.save({"w": np.arange(1000.0)}, path)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x00" * 100 + data[100:])
    elif damage == "plain_npy":
        np.save(open(path, "wb"), np.ones(3))
    elif damage == "foreign_npz":
        np.savez(open(path, "wb"), weights=np.ones(3))
    else:
        path.write_bytes(b"")
    with pytest.raises(ValueError, match="is not a valid tinygrad_cnn checkpoint"):
        tg.load(path)


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        tg.load("/nonexistent/checkpoint.npz")


def test_saved_file_is_a_plain_zip_of_npy_members(tmp_path):
    tg.save({"w": np.ones(2)}, tmp_path / "c.npz")
    with zipfile.ZipFile(tmp_path / "c.npz") as archive:
        assert sorted(archive.namelist()) == ["__metadata__.npy", "array_0.npy"]


def train_steps(model, optimizer, x, y, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()


def test_resumed_training_equals_uninterrupted_training(tmp_path):
    generator = np.random.default_rng(0)
    x = tg.Tensor(generator.standard_normal((16, 1, 12, 12)).astype(np.float32))
    y = generator.integers(0, 10, 16)

    def make():
        model = nn.Sequential(
            nn.Conv2d(1, 4, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Dropout(0.3),
            nn.Linear(100, 10),
        )
        return model, optim.Adam(model.parameters(), lr=1e-2)

    tg.manual_seed(1)
    model, optimizer = make()
    train_steps(model, optimizer, x, y, 6)
    expected = model.state_dict()

    tg.manual_seed(1)
    model, optimizer = make()
    train_steps(model, optimizer, x, y, 3)
    tg.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "rng": tg.get_rng_state(),
        },
        tmp_path / "ckpt.npz",
    )
    del model, optimizer

    tg.manual_seed(99)  # a different start: everything must come from the checkpoint
    model, optimizer = make()
    checkpoint = tg.load(tmp_path / "ckpt.npz")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    tg.set_rng_state(checkpoint["rng"])
    train_steps(model, optimizer, x, y, 3)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, expected[key], err_msg=key)


def test_checkpoint_of_a_real_model_round_trips(tmp_path):
    model = models.lenet5()
    tg.save(model.state_dict(), tmp_path / "lenet.npz")
    fresh = models.lenet5()
    fresh.load_state_dict(tg.load(tmp_path / "lenet.npz"))
    x = tg.randn(2, 1, 28, 28)
    np.testing.assert_array_equal(model(x).data, fresh(x).data)


def test_gzip_bytes_are_not_a_checkpoint(tmp_path):
    path = tmp_path / "c.npz"
    path.write_bytes(gzip.compress(b"hello"))
    with pytest.raises(ValueError):
        tg.load(path)


def test_atomic_file_replaces_whole_or_not_at_all(tmp_path):
    from tinygrad_cnn.serialization import atomic_file

    target = tmp_path / "results.json"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_file(target) as file:
            file.write(b"half of the new")
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old" and sorted(tmp_path.iterdir()) == [target]
    with atomic_file(target) as file:
        file.write(b"new")
    assert target.read_bytes() == b"new" and sorted(tmp_path.iterdir()) == [target]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0o600
