"""Nothing lost, nothing silently wrong: run folders, resume, bad numbers, a NaN loss,
Ctrl-C, foreign files, the dataset check, and progress output that fits a log file."""

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import training
from tinygrad_cnn.cli import IMAGE_EXTRA, main
from tinygrad_cnn.data.mnist import identify
from tinygrad_cnn.training import NotFinite, Run, TrainConfig, read_metrics

ROOT = Path(__file__).resolve().parent.parent


def quiet(text):
    pass


def small_config(mnist_dir, **overrides):
    settings = dict(data_dir=str(mnist_dir), limit=320, batch_size=32, epochs=2, seed=1)
    settings.update(overrides)
    return TrainConfig(**settings)


@pytest.fixture(scope="module")
def finished(mnist_dir, tmp_path_factory):
    """A finished two-epoch run (9 steps per epoch) shared by the tests below."""
    folder = tmp_path_factory.mktemp("robust") / "A"
    assert Run(small_config(mnist_dir), folder, quiet).fit() is not None
    return folder


def snapshot(folder):
    return {path.name: path.read_bytes() for path in sorted(Path(folder).iterdir())}


def one_line_error(capsys, argv, *parts):
    capsys.readouterr()  # earlier output
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for part in parts:
        assert part in err, err
    return err


# ----------------------------------------------------------------- run folders
def test_resume_never_writes_a_folder_that_holds_another_run(finished, mnist_dir, tmp_path, capsys):
    other = tmp_path / "B"
    Run(small_config(mnist_dir, epochs=1, seed=2), other, quiet).fit()
    before = snapshot(other)
    one_line_error(
        capsys,
        ["train", "--resume", str(finished / "last.npz"), "--out", str(other)],
        f"--out {other} already holds another run",
    )
    assert snapshot(other) == before


def test_resume_from_an_older_checkpoint_does_not_rewrite_its_own_run(finished, tmp_path, capsys):
    copy = tmp_path / "A"
    shutil.copytree(finished, copy)
    state = tg.load(copy / "last.npz")
    state["epoch"] = 1  # as best.npz would be, had epoch 1 been the best
    tg.save(state, copy / "older.npz")
    before = snapshot(copy)
    one_line_error(
        capsys,
        ["train", "--resume", str(copy / "older.npz")],
        "holds epoch 1",
        "went on to epoch 2",
    )
    assert snapshot(copy) == before


def test_resuming_a_finished_run_adds_no_second_test_line(finished, mnist_dir, tmp_path, capsys):
    copy = tmp_path / "A"
    shutil.copytree(finished, copy)
    records = read_metrics(copy)
    assert main(["train", "--resume", str(copy / "last.npz")]) == 0
    assert "has finished its 2 epochs" in capsys.readouterr().out
    assert read_metrics(copy) == records
    # into a new folder: a branch with the same history
    assert main(["train", "--resume", str(copy / "last.npz"), "--out", str(tmp_path / "C")]) == 0
    assert read_metrics(tmp_path / "C") == records
    one_line_error(
        capsys,
        ["train", "--resume", str(copy / "last.npz"), "--epochs", "4"],
        "--epochs 4",
        "finished its cosine schedule",
    )


def test_a_bad_out_folder_fails_before_training(mnist_dir, tmp_path, capsys, monkeypatch):
    calls = []
    monkeypatch.setattr(Run, "train_epoch", lambda self, stop: calls.append(1))
    (tmp_path / "file").write_text("x")
    base = ["train", "--data-dir", str(mnist_dir), "--limit", "100", "--out"]
    one_line_error(capsys, base + [str(tmp_path / "file")], "is a file, not a folder")
    one_line_error(capsys, base + [str(tmp_path / "file" / "run")], "cannot write the run there")
    assert calls == []


# ----------------------------------------------------------------- resume is consistent
def test_extending_an_unfinished_run_goes_on_down_from_its_learning_rate(mnist_dir, tmp_path):
    steps = iter(range(100))
    stopped = Run(small_config(mnist_dir), tmp_path / "S", quiet)
    assert stopped.fit(should_stop=lambda: next(steps) == 11) is None  # epoch 2, batch 3
    initial = stopped.optimizer.param_groups[0]["initial_lr"]
    rate = stopped.learning_rate(initial)  # the next step's rate, planned for 2 epochs

    longer = Run.resume(tmp_path / "S" / "last.npz", epochs=4, report=quiet)
    assert longer.learning_rate(initial) == pytest.approx(rate, rel=1e-12)
    rates = []
    for _ in range(4 * 9 - longer.steps_done()):
        rates.append(longer.learning_rate(initial))
        longer.next_batch += 1
    assert all(a >= b for a, b in zip(rates, rates[1:])) and rates[-1] < rate / 50
    assert longer.checkpoint()["schedule_anchor"][0] == 12  # a later resume keeps the curve


def test_evaluate_says_which_epoch_the_checkpoint_holds(finished, mnist_dir, capsys):
    assert main(["evaluate", str(finished / "best.npz"), "--data-dir", str(mnist_dir)]) == 0
    epoch = tg.load(finished / "best.npz")["epoch"]
    assert f"weights of epoch {epoch} of 2" in capsys.readouterr().out.splitlines()[0]


def test_checkpoints_keep_an_absolute_data_folder_and_fall_back_when_it_is_gone(
    finished, mnist_dir, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(mnist_dir.parent)
    run = Run(small_config(mnist_dir.name, epochs=1), tmp_path / "R", quiet)
    assert run.config.data_dir == str(mnist_dir.resolve())

    state = tg.load(finished / "last.npz")
    state["config"]["data_dir"] = str(tmp_path / "moved-away")
    tg.save(state, tmp_path / "moved.npz")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TINYGRAD_CNN_DATA", str(mnist_dir))
    assert main(["predict", str(tmp_path / "moved.npz"), "--index", "0"]) == 0
    assert capsys.readouterr().out.startswith("test image 0, true class 7")


# ----------------------------------------------------------------- bad numbers
@pytest.mark.parametrize(
    "option, value",
    [
        ("--lr", "nan"),
        ("--lr", "0"),
        ("--lr", "-0.1"),
        ("--lr", "inf"),
        ("--momentum", "nan"),
        ("--weight-decay", "-1"),
        ("--dropout", "nan"),
        ("--epochs", "0"),
        ("--batch-size", "0"),
    ],
)
def test_bad_hyper_parameters_are_refused_naming_the_option(option, value, capsys, tmp_path):
    err = one_line_error(capsys, ["train", option, value, "--out", str(tmp_path / "r")], option)
    assert f"got {float(value)}" in err or f"got {value}" in err
    assert not (tmp_path / "r").exists()


def test_a_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(mnist_dir, tmp_path):
    run = Run(small_config(mnist_dir, schedule="constant"), tmp_path / "N", quiet)
    train_epoch = Run.train_epoch

    def diverging(self, stop):
        if self.epoch == 1:  # the second epoch blows up
            for group in self.optimizer.param_groups:
                group["initial_lr"] = 1e30
        return train_epoch(self, stop)

    run.train_epoch = diverging.__get__(run)
    with warnings.catch_warnings():  # numpy's overflow warnings (any thread) would be noise
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(NotFinite, match=r"loss became (nan|inf) at epoch 2, step \d+ of 9"):
            run.fit()
    kept = tg.load(tmp_path / "N" / "last.npz")
    assert kept["epoch"] == 1
    assert all(np.isfinite(value).all() for value in kept["model"].values())


# ----------------------------------------------------------------- interrupts and files
def test_ctrl_c_before_training_exits_130_with_one_line(mnist_dir, tmp_path, capsys, monkeypatch):
    def interrupted(config):
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "split_data", interrupted)
    assert main(["train", "--data-dir", str(mnist_dir), "--out", str(tmp_path / "r")]) == 130
    assert capsys.readouterr().err == "tinygrad-cnn: interrupted\n"


def test_a_text_file_named_npz_is_not_a_checkpoint_and_no_unsafe_load_is_suggested(
    tmp_path, capsys
):
    (tmp_path / "notes.npz").write_text("epoch 1: loss 0.3\n")
    err = one_line_error(capsys, ["evaluate", str(tmp_path / "notes.npz")], "not an .npz archive")
    assert "allow_pickle" not in err
    np.savez(tmp_path / "objects.npz", x=np.array([{"a": 1}], dtype=object))
    err = one_line_error(capsys, ["evaluate", str(tmp_path / "objects.npz")], "checkpoint")
    assert "allow_pickle" not in err and "pickle.load" not in err


def test_mnist_files_are_not_trained_on_as_fashion_mnist(mnist_dir, tmp_path, capsys):
    one_line_error(
        capsys,
        ["train", "--dataset", "fashion-mnist", "--data-dir", str(mnist_dir)]
        + ["--out", str(tmp_path / "r")],
        "these files are mnist, not fashion-mnist",
    )


def test_identify_tells_the_datasets_apart_by_their_statistics(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "labels").write_bytes(b"not the published file")

    def files(train_labels, test_labels, brightness):
        images = (rng.random((10, 28, 28)) < brightness / 255 * 2) * np.uint8(255 // 2)
        return {"train_labels": train_labels, "test_labels": test_labels, "test_images": images}

    even = np.repeat(np.arange(10, dtype=np.uint8), 6), np.repeat(np.arange(10, dtype=np.uint8), 1)
    uneven = rng.integers(0, 10, 60).astype(np.uint8), rng.integers(0, 10, 10).astype(np.uint8)
    assert identify(files(*even, 73), tmp_path / "labels") == "fashion-mnist"
    assert identify(files(*uneven, 33), tmp_path / "labels") == "mnist"
    assert identify(files(*even, 33), tmp_path / "labels") is None  # neither: accepted


def test_readme_and_messages_name_the_image_extra_the_same_way():
    command = IMAGE_EXTRA.split(": ", 1)[1].split(" in ")[0]
    assert command in (ROOT / "README.md").read_text()


# ----------------------------------------------------------------- progress
def test_progress_into_a_file_is_a_few_lines_not_a_redrawn_bar(mnist_dir, tmp_path):
    log = tmp_path / "log.txt"
    command = [sys.executable, "-m", "tinygrad_cnn", "train", "--data-dir", str(mnist_dir)]
    command += [
        "--limit",
        "640",
        "--batch-size",
        "16",
        "--epochs",
        "2",
        "--out",
        str(tmp_path / "r"),
    ]
    with open(log, "w") as file:
        done = subprocess.run(command, stdout=file, stderr=subprocess.STDOUT, env=dict(os.environ))
    text = log.read_text()
    assert done.returncode == 0, text
    assert "\r" not in text and "epoch 1/2: batch 1/36" in text
    assert len(text.splitlines()) <= 12 and len(text) < 2000, text


def test_the_first_run_says_that_kernels_compile(mnist_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(training, "kernels_cached", lambda: False)
    lines = []
    Run(small_config(mnist_dir, epochs=1, limit=64), tmp_path / "K", lines.append).fit()
    assert lines[0].startswith("compiling kernels, once: ~")
    lines.clear()
    Run(
        small_config(mnist_dir, epochs=1, limit=64, model="mlp"), tmp_path / "M", lines.append
    ).fit()
    assert not any("compiling" in line for line in lines)  # no conv, no kernels


def test_metrics_record_is_json(finished):
    for line in (finished / "metrics.jsonl").read_text().splitlines():
        json.loads(line)


def test_ctrl_c_while_the_command_is_still_importing_exits_130_with_one_line(monkeypatch, capsys):
    import builtins

    import tinygrad_cnn_launcher

    real_import = builtins.__import__

    def interrupted_import(name, *args, **kwargs):
        if name == "tinygrad_cnn.cli":  # Ctrl-C while numpy and the ops load
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", interrupted_import)
    assert tinygrad_cnn_launcher.main() == 130
    assert capsys.readouterr().err == "tinygrad-cnn: interrupted\n"


def test_kernels_count_as_cached_only_where_numba_looks(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))  # then Numba looks there alone
    assert not training.kernels_cached()
    (tmp_path / "deep" / "folder").mkdir(parents=True)
    (tmp_path / "deep" / "folder" / "fast._walk_columns-47.py311.1.nbc").write_bytes(b"")
    assert training.kernels_cached()
