"""export_safetensors / load_safetensors and `tinygrad-cnn export`: the file format, the key
mapping (batch norm's counter, DistributedDataParallel's prefix), bad input, and, where
PyTorch is installed, the same logits in both frameworks on real MNIST images, both ways."""

import importlib.util
import json
import struct
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import models, nn, optim
from tinygrad_cnn.cli import main

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def read_header(path):
    """The JSON header of a safetensors file, read by hand as the format documents it."""
    data = Path(path).read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + length]), data[8 + length :]


def write_by_hand(path, arrays, metadata=None):
    """A safetensors file written from the format's description alone (no library)."""
    header, chunks, offset = {"__metadata__": metadata} if metadata else {}, [], 0
    names = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}
    for key, array in arrays.items():
        raw = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        header[key] = {
            "dtype": names[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)  # the header is padded to a multiple of 8 bytes
    Path(path).write_bytes(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def trained(model, steps=5, seed=0, data=None):
    """``model`` after a few Adam steps, so no weight is at its initial value (and batch
    norm's running statistics have moved): on ``data`` (images, labels) in batches of 32 when
    given, else on random images."""
    rng = np.random.default_rng(seed)
    adam = optim.Adam(model.parameters(), lr=1e-2)
    for step in range(steps):
        if data is None:
            x = tg.Tensor(rng.standard_normal((8, 1, 28, 28)).astype(np.float32))
            y = rng.integers(0, 10, 8)
        else:
            x, y = data[0][32 * step : 32 * (step + 1)], data[1][32 * step : 32 * (step + 1)]
        adam.zero_grad()
        F.cross_entropy(model(x), y).backward()
        adam.step()
    return model.eval()


def batch_norm_net():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(4 * 13 * 13, 10),
    )  # fmt: skip


# ----------------------------------------------------------------- without PyTorch
def test_round_trip_keeps_every_array_and_the_logits(tmp_path):
    tg.manual_seed(0)
    model = trained(models.lenet5())
    path = tmp_path / "lenet5.safetensors"
    tg.export_safetensors(model, path)
    weights = tg.load_safetensors(path)
    assert list(weights)[:4] == ["0.bias", "0.weight", "3.bias", "3.weight"]  # layer by layer
    assert sorted(weights) == sorted(model.state_dict())
    for key, array in model.state_dict().items():
        assert weights[key].dtype == array.dtype and np.array_equal(weights[key], array)
    tg.manual_seed(1)
    copy = models.lenet5()
    copy.load_state_dict(weights, strict=True)
    x = tg.Tensor(np.random.default_rng(2).standard_normal((4, 1, 28, 28)).astype(np.float32))
    assert np.array_equal(copy.eval()(x).numpy(), model(x).numpy())


def test_the_file_is_created_like_any_other_file(tmp_path):
    tg.export_safetensors(models.mlp(), tmp_path / "mlp.safetensors")
    (tmp_path / "plain.txt").write_text("")
    mode = (tmp_path / "mlp.safetensors").stat().st_mode
    assert mode == (tmp_path / "plain.txt").stat().st_mode  # the umask's, not 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlp.safetensors", "plain.txt"]


def test_the_file_is_plain_safetensors_with_pytorchs_names_and_layouts(tmp_path):
    tg.manual_seed(0)
    model = models.keras_mnist_cnn()
    path = tmp_path / "keras.safetensors"
    tg.export_safetensors(model, path)
    header, data = read_header(path)
    assert header.pop("__metadata__") == {"format": "pt", "producer": "tinygrad_cnn"}
    assert header["0.weight"]["dtype"] == "F32" and header["0.weight"]["shape"] == [32, 1, 3, 3]
    assert header["9.weight"]["shape"] == [64, 576]  # Linear: (out, in), as in PyTorch
    assert set(header) == set(model.state_dict())
    start, end = header["9.weight"]["data_offsets"]
    raw = np.frombuffer(data[start:end], dtype="<f4").reshape(64, 576)
    assert np.array_equal(raw, model.state_dict()["9.weight"])  # raw little-endian, C order


def test_batch_norm_gains_pytorchs_counter_on_export_and_loses_it_on_load(tmp_path):
    tg.manual_seed(0)
    model = trained(batch_norm_net())
    path = tmp_path / "bn.safetensors"
    written = tg.export_safetensors(model.state_dict(), path)
    assert list(written) == [
        "0.weight", "0.bias", "1.weight", "1.bias", "5.weight", "5.bias",
        "1.running_mean", "1.running_var", "1.num_batches_tracked",
    ]  # fmt: skip
    header, _ = read_header(path)
    assert header["1.num_batches_tracked"] == {
        "dtype": "I64",
        "shape": [],
        "data_offsets": header["1.num_batches_tracked"]["data_offsets"],
    }
    weights = tg.load_safetensors(path)
    assert "1.num_batches_tracked" not in weights
    assert not np.array_equal(weights["1.running_mean"], 0)  # the statistics did move
    copy = batch_norm_net()
    copy.load_state_dict(weights, strict=True)
    for key, array in model.state_dict().items():
        assert np.array_equal(copy.state_dict()[key], array)


def test_weights_written_as_pytorch_writes_them_load_strictly(tmp_path):
    """A file as PyTorch's DistributedDataParallel training saves it (``module.`` before
    every key, batch norm's counter), written here from the format's description."""
    tg.manual_seed(0)
    reference = trained(batch_norm_net())
    arrays = {f"module.{key}": value for key, value in reference.state_dict().items()}
    arrays["module.1.num_batches_tracked"] = np.array(37, np.int64)
    write_by_hand(tmp_path / "ddp.safetensors", arrays, {"format": "pt"})
    weights = tg.load_safetensors(tmp_path / "ddp.safetensors")
    assert sorted(weights) == sorted(reference.state_dict())
    model = batch_norm_net()
    model.load_state_dict(weights, strict=True)
    x = tg.Tensor(np.random.default_rng(3).standard_normal((2, 1, 28, 28)).astype(np.float32))
    assert np.array_equal(model.eval()(x).numpy(), reference(x).numpy())


def test_a_training_checkpoint_exports_its_model_and_names_it(tmp_path):
    from tinygrad_cnn.training import TrainConfig

    tg.manual_seed(0)
    model = models.lenet5()
    state = {"config": asdict(TrainConfig(model="lenet5")), "model": model.state_dict()}
    tg.export_safetensors({**state, "epoch": 3}, tmp_path / "best.safetensors")
    header, _ = read_header(tmp_path / "best.safetensors")
    assert header["__metadata__"]["model"] == "lenet5" and header["__metadata__"]["epoch"] == "3"
    assert set(tg.load_safetensors(tmp_path / "best.safetensors")) == set(model.state_dict())


@pytest.mark.parametrize(
    "state, message",
    [
        ({"0.weight": "not an array"}, "'0.weight' is not a name with an array"),
        ({"labels": np.array(["a", "b"])}, "'labels' has dtype <U1"),
        ([np.zeros(3)], "expected a Module, a state_dict or a checkpoint"),
        ({}, "expected a Module, a state_dict or a checkpoint"),
    ],
)
def test_export_refuses_what_is_not_a_models_weights(tmp_path, state, message):
    with pytest.raises(ValueError, match="export_safetensors: not a model's weights") as info:
        tg.export_safetensors(state, tmp_path / "out.safetensors")
    assert message in str(info.value)
    assert not list(tmp_path.iterdir())  # nothing written, not even a temporary file


def test_bad_files_are_refused_in_one_line(tmp_path):
    with pytest.raises(ValueError, match=r"out\.npz is not a \.safetensors file name"):
        tg.export_safetensors(models.mlp(), tmp_path / "out.npz")
    with pytest.raises(FileNotFoundError, match="load_safetensors: no such file"):
        tg.load_safetensors(tmp_path / "missing.safetensors")
    (tmp_path / "notes.safetensors").write_text("a text file, renamed\n")
    with pytest.raises(ValueError, match="notes.safetensors is not a valid safetensors file"):
        tg.load_safetensors(tmp_path / "notes.safetensors")
    tg.export_safetensors(models.mlp(), tmp_path / "mlp.safetensors")
    data = (tmp_path / "mlp.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[:-10])
    with pytest.raises(ValueError, match="cut.safetensors is not a valid safetensors file"):
        tg.load_safetensors(tmp_path / "cut.safetensors")


# ----------------------------------------------------------------- the command line
@pytest.fixture
def checkpoint(tmp_path):
    from tinygrad_cnn.training import TrainConfig

    tg.manual_seed(0)
    model = models.keras_mnist_cnn()
    path = tmp_path / "best.npz"
    tg.save({"config": asdict(TrainConfig(model="keras-cnn")), "model": model.state_dict()}, path)
    return path, model


def test_cli_export_writes_the_models_weights(checkpoint, tmp_path, capsys):
    path, model = checkpoint
    out = tmp_path / "keras.safetensors"
    assert main(["export", str(path), str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"keras-cnn weights (10 tensors, 93,322 numbers) written to {out}" in printed
    weights = tg.load_safetensors(out)
    assert all(np.array_equal(weights[k], v) for k, v in model.state_dict().items())
    plain = tmp_path / "state.npz"  # a state_dict saved with tg.save exports too
    tg.save(model.state_dict(), plain)
    assert main(["export", str(plain), str(tmp_path / "plain.safetensors")]) == 0


def test_cli_export_refuses_to_replace_a_file_unless_forced(checkpoint, tmp_path, capsys):
    path, _ = checkpoint
    out = tmp_path / "model.safetensors"
    out.write_text("someone's file")
    assert main(["export", str(path), str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"tinygrad-cnn: error: export: {out} already exists (--force replaces it)\n"
    assert out.read_text() == "someone's file"
    assert main(["export", str(path), str(out), "--force"]) == 0
    assert len(tg.load_safetensors(out)) == 10


@pytest.mark.parametrize(
    "case, message",
    [
        ("extension", "model.pt is not a .safetensors file name"),
        ("folder", "export: no folder"),
        ("missing", "no such file"),
        ("text", "not a valid tinygrad_cnn checkpoint"),
        ("not weights", "export: {checkpoint}: not a model's weights"),
    ],
)
def test_cli_export_bad_input_gives_one_line_and_exit_2(tmp_path, capsys, case, message):
    source, out = tmp_path / "run.npz", tmp_path / "model.safetensors"
    if case == "extension":
        out = tmp_path / "model.pt"
    elif case == "folder":
        out = tmp_path / "nowhere" / "model.safetensors"
    elif case == "text":
        source.write_text("not a checkpoint\n")
    elif case == "not weights":
        tg.save({"epoch": 3, "lr": 0.1}, source)
    if case in ("extension", "folder"):
        tg.save(models.mlp().state_dict(), source)
    assert main(["export", str(source), str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tinygrad-cnn: error: ") and err.count("\n") == 1
    assert message.format(checkpoint=source) in err
    assert not out.exists()


# ----------------------------------------------------------------- with PyTorch
@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.fixture
def twins(torch):
    """benchmarks/pytorch_models.py: the engine's models written in torch.nn."""
    spec = importlib.util.spec_from_file_location(
        "pytorch_models", BENCHMARKS / "pytorch_models.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    """(test images, training images and labels): the first 100 test images and the first
    640 training ones, normalized as in training (float32, NCHW)."""
    from tinygrad_cnn.data import DataLoader, load_mnist

    (images, labels), (test_images, test_labels) = load_mnist(mnist_dir, download=False)
    x, _ = next(iter(DataLoader(test_images[:100], test_labels[:100], 100)))
    train = next(iter(DataLoader(images[:640], labels[:640], 640)))
    return x, train


OUR_MODELS = {"lenet5": models.lenet5, "keras-cnn": models.keras_mnist_cnn}


def both_logits(ours, theirs, x, torch):
    ours.eval(), theirs.eval()
    with tg.no_grad(), torch.no_grad():
        return ours(x).numpy(), theirs(torch.from_numpy(x.numpy())).numpy()


@pytest.mark.torch
@pytest.mark.parametrize("name", OUR_MODELS)
def test_exported_model_loads_strictly_into_its_pytorch_twin(name, tmp_path, twins, mnist, torch):
    from safetensors.torch import load_file

    tg.manual_seed(0)
    ours = trained(OUR_MODELS[name](), steps=20, data=mnist[1])
    tg.export_safetensors(ours, tmp_path / "ours.safetensors")
    theirs = twins(name)
    theirs.load_state_dict(load_file(tmp_path / "ours.safetensors"), strict=True)
    mine, reference = both_logits(ours, theirs, mnist[0], torch)
    np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-5)
    assert (mine.argmax(1) == reference.argmax(1)).all()


@pytest.mark.torch
@pytest.mark.parametrize("name", OUR_MODELS)
def test_pytorch_weights_load_strictly_into_our_model(name, tmp_path, twins, mnist, torch):
    from safetensors.torch import save_file

    torch.manual_seed(0)
    theirs = twins(name)
    save_file(theirs.state_dict(), tmp_path / "theirs.safetensors")
    ours = OUR_MODELS[name]()
    ours.load_state_dict(tg.load_safetensors(tmp_path / "theirs.safetensors"), strict=True)
    mine, reference = both_logits(ours, theirs, mnist[0], torch)
    np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-5)


@pytest.mark.torch
def test_batch_norm_crosses_both_ways(tmp_path, mnist, torch):
    from safetensors.torch import load_file, save_file

    def their_net():
        return torch.nn.Sequential(
            torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(4 * 13 * 13, 10),
        )  # fmt: skip

    tg.manual_seed(0)
    ours = trained(batch_norm_net(), steps=20, data=mnist[1])
    tg.export_safetensors(ours, tmp_path / "ours.safetensors")
    theirs = their_net()
    theirs.load_state_dict(load_file(tmp_path / "ours.safetensors"), strict=True)
    mine, reference = both_logits(ours, theirs, mnist[0], torch)
    np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-5)

    torch.manual_seed(0)
    theirs = their_net().train()
    with torch.no_grad():  # move the running statistics and the counter
        for _ in range(3):
            theirs(torch.randn(8, 1, 28, 28))
    save_file(theirs.state_dict(), tmp_path / "theirs.safetensors")
    ours = batch_norm_net()
    ours.load_state_dict(tg.load_safetensors(tmp_path / "theirs.safetensors"), strict=True)
    mine, reference = both_logits(ours, theirs, mnist[0], torch)
    np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-5)
