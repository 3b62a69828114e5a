"""tinygrad-cnn train / evaluate / predict / summary end to end on real MNIST, resume
equivalence (in process and with a real Ctrl-C), and bad input."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.cli import main
from tinygrad_cnn.training import Run, TrainConfig


@pytest.fixture(scope="module")
def trained(mnist_dir, tmp_path_factory):
    """One short real training run shared by the tests below."""
    folder = tmp_path_factory.mktemp("cli") / "run"
    code = main(
        [
            "train",
            "--data-dir",
            str(mnist_dir),
            "--limit",
            "4000",
            "--batch-size",
            "16",
            "--epochs",
            "1",
            "--out",
            str(folder),
        ]
    )
    assert code == 0
    return folder


def read_metrics(folder):
    return [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]


def test_train_reaches_90_percent_and_writes_the_run_folder(trained):
    epoch, test = read_metrics(trained)
    assert epoch["epoch"] == 1 and 0 < epoch["train_loss"] < 1 and epoch["val_accuracy"] > 0.85
    assert epoch["images_per_second"] > 0 and epoch["seconds"] > 0
    assert test["test_accuracy"] > 0.90
    assert (trained / "last.npz").exists() and (trained / "best.npz").exists()
    checkpoint = tg.load(trained / "last.npz")
    assert checkpoint["config"]["model"] == "lenet5" and checkpoint["epoch"] == 1


def test_evaluate_prints_accuracy_per_class_and_confusion_matrix(trained, mnist_dir, capsys):
    assert main(["evaluate", str(trained / "best.npz"), "--data-dir", str(mnist_dir)]) == 0
    out = capsys.readouterr().out.splitlines()
    accuracy = float(out[0].split("accuracy ")[1].split()[0])
    assert accuracy > 0.90
    per_class = [line for line in out if line.startswith("  ") and "(" in line]
    assert len(per_class) == 10
    header = out.index("confusion matrix (rows: true class, columns: predicted class):")
    matrix = np.array(
        [[int(v) for v in line.split()[1:]] for line in out[header + 2 : header + 12]]
    )
    assert matrix.shape == (10, 10) and matrix.sum() == 10_000
    assert abs(np.trace(matrix) / 10_000 - accuracy) < 1e-4
    assert matrix[1].sum() == 1135  # test images of the digit 1


def test_predict_by_index_and_from_a_png(trained, mnist_dir, tmp_path, capsys):
    assert (
        main(["predict", str(trained / "best.npz"), "--index", "0", "--data-dir", str(mnist_dir)])
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "test image 0, true class 7 (7)"
    top = [(int(line.split()[0]), float(line.split()[-1])) for line in lines[1:]]
    assert len(top) == 3 and top[0][0] == 7 and top[0][1] > 0.5
    assert top[0][1] >= top[1][1] >= top[2][1]

    image_module = pytest.importorskip("PIL.Image")
    digit = tg.data.read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz")[0]
    paper = image_module.fromarray(255 - digit).resize((56, 56))  # dark ink on white paper
    paper.save(tmp_path / "seven.png")
    assert main(["predict", str(trained / "best.npz"), "--image", str(tmp_path / "seven.png")]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.split()[0] == "7"


def test_summary_command(capsys):
    assert main(["summary", "--model", "keras-cnn"]) == 0
    assert "Total params: 93,322" in capsys.readouterr().out


def expect_one_line_error(capsys, argv, message, code=2):
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and message in err, err


def test_bad_input_gives_one_line_and_a_nonzero_exit(trained, tmp_path, capsys, monkeypatch):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--model", "resnet"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid choice: 'resnet'" in err
    with pytest.raises(SystemExit):
        main(["train", "--optimizer", "lbfgs"])
    assert "invalid choice: 'lbfgs'" in capsys.readouterr().err

    before = (trained / "last.npz").read_bytes()
    expect_one_line_error(capsys, ["train", "--out", str(trained)], "already holds a run")
    assert (trained / "last.npz").read_bytes() == before  # nothing overwritten

    state = tg.load(trained / "last.npz")
    state["config"]["model"] = "keras-cnn"
    tg.save(state, tmp_path / "other.npz")
    expect_one_line_error(
        capsys, ["evaluate", str(tmp_path / "other.npz")], "does not fit a keras-cnn model"
    )
    expect_one_line_error(
        capsys,
        [
            "train",
            "--resume",
            str(trained / "last.npz"),
            "--model",
            "mlp",
            "--out",
            str(tmp_path / "x"),
        ],
        "holds a lenet5 model, not mlp",
    )

    (tmp_path / "garbage.npz").write_bytes(b"not a checkpoint")
    expect_one_line_error(
        capsys, ["evaluate", str(tmp_path / "garbage.npz")], "not a valid tinygrad_cnn checkpoint"
    )
    (tmp_path / "note.png").write_text("not an image")
    expect_one_line_error(
        capsys,
        ["predict", str(trained / "last.npz"), "--image", str(tmp_path / "note.png")],
        "cannot read image",
    )
    expect_one_line_error(
        capsys,
        ["predict", str(trained / "last.npz"), "--index", "10000"],
        "--index must be in [0, 9999]",
    )

    monkeypatch.delenv("TINYGRAD_CNN_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TINYGRAD_CNN_MIRRORS", "http://127.0.0.1:9/")
    expect_one_line_error(
        capsys,
        ["train", "--data-dir", str(tmp_path / "missing"), "--out", str(tmp_path / "r")],
        "Put the four files",
    )
    assert not (tmp_path / "r").exists()
    expect_one_line_error(
        capsys, ["train", "--epochs", "0", "--out", str(tmp_path / "r")], "--epochs"
    )


def small_config(mnist_dir, **overrides):
    settings = dict(
        data_dir=str(mnist_dir),
        limit=640,
        batch_size=32,
        epochs=2,
        dropout=0.2,
        val_split=0.1,
        seed=3,
    )
    settings.update(overrides)
    return TrainConfig(**settings)


def test_resume_after_a_stop_mid_epoch_equals_an_uninterrupted_run(mnist_dir, tmp_path):
    quiet = lambda text: None  # noqa: E731
    straight = Run(small_config(mnist_dir), tmp_path / "straight", quiet)
    expected_accuracy = straight.fit()

    steps = iter(range(10**6))
    stopped = Run(small_config(mnist_dir), tmp_path / "stopped", quiet)
    assert stopped.fit(should_stop=lambda: next(steps) == 24) is None  # after 25 of 36 steps
    assert tg.load(tmp_path / "stopped" / "last.npz")["next_batch"] == 7

    tg.manual_seed(1234)  # anything: the checkpoint restores the generator
    resumed = Run.resume(tmp_path / "stopped" / "last.npz", report=quiet)
    assert resumed.fit() == expected_accuracy
    for key, value in resumed.model.state_dict().items():
        np.testing.assert_array_equal(value, straight.model.state_dict()[key], err_msg=key)
    # the interrupted epoch's record covers all its steps, as in the uninterrupted run
    same = ("epoch", "train_loss", "train_accuracy", "lr", "val_loss", "val_accuracy")
    for a, b in zip(read_metrics(tmp_path / "stopped"), read_metrics(tmp_path / "straight")):
        assert {k: a.get(k) for k in same} == {k: b.get(k) for k in same}
    assert len(read_metrics(tmp_path / "stopped")) == 3  # two epochs and one test line


def test_ctrl_c_saves_a_resumable_checkpoint(mnist_dir, tmp_path):
    arguments = [
        "--data-dir",
        str(mnist_dir),
        "--limit",
        "3000",
        "--batch-size",
        "16",
        "--epochs",
        "2",
        "--dropout",
        "0.2",
        "--seed",
        "5",
    ]
    command = [
        sys.executable,
        "-m",
        "tinygrad_cnn",
        "train",
        *arguments,
        "--out",
        str(tmp_path / "run"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    progress = ""
    while "epoch 1/2" not in progress and process.poll() is None:
        progress += process.stderr.read(1)
    time.sleep(0.3)  # now inside the first epoch
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, out + err
    assert "stopped: resume with" in out and "Traceback" not in err
    checkpoint = tg.load(tmp_path / "run" / "last.npz")
    assert checkpoint["epoch"] == 0 and checkpoint["next_batch"] > 0

    resumed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tinygrad_cnn",
            "train",
            "--resume",
            str(tmp_path / "run" / "last.npz"),
        ],
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr
    straight = subprocess.run(
        [
            sys.executable,
            "-m",
            "tinygrad_cnn",
            "train",
            *arguments,
            "--out",
            str(tmp_path / "straight"),
        ],
        capture_output=True,
        text=True,
    )
    assert straight.returncode == 0, straight.stderr
    a, b = tg.load(tmp_path / "run" / "last.npz"), tg.load(tmp_path / "straight" / "last.npz")
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key], b["model"][key], err_msg=key)
    assert read_metrics(tmp_path / "run")[-1] == read_metrics(tmp_path / "straight")[-1]


def test_train_help_works_without_loading_numba_or_torch():
    env = dict(os.environ)
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_cnn", "train", "--help"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0 and "--resume CHECKPOINT" in result.stdout
    code = "import sys, tinygrad_cnn.cli; print('numba' in sys.modules or 'torch' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip()
        == "False"
    )
