"""Gradient statistics (by hand and in training, through a resume), the PNG pictures of
``plot``, ``features`` and ``evaluate --confusion``, and their bad input."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import models, nn, optim
from tinygrad_cnn.cli import main
from tinygrad_cnn.grad_stats import GradientStats, gradient_stats
from tinygrad_cnn.training import Run, TrainConfig

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ----------------------------------------------------------------- gradient statistics
def one_linear(weight, bias):
    layer = nn.Linear(2, 1)
    layer.weight.data = np.array(weight, np.float64)
    layer.bias.data = np.array(bias, np.float64)
    return nn.Sequential(layer)


def test_gradient_stats_of_one_step_by_hand():
    # loss = sum(x @ w^T + b) with x = [1, 3]: dL/dw = x = [1, 3], dL/db = 1.
    model = one_linear([[1.0, 2.0]], [0.0])
    x = tg.Tensor(np.array([[1.0, 3.0]]))
    stats = gradient_stats(model, model(x).sum(), optim.SGD(model.parameters(), lr=0.1))
    w, b = stats["0.weight"], stats["0.bias"]
    assert w["grad_norm"] == pytest.approx(math.sqrt(10))  # sqrt(1 + 9)
    assert w["grad_abs_mean"] == pytest.approx(2.0)  # (1 + 3) / 2
    # the step is -0.1 * [1, 3], of norm 0.1 sqrt(10); the weight [1, 2] has norm sqrt(5)
    assert w["update_ratio"] == pytest.approx(0.1 * math.sqrt(10) / math.sqrt(5))
    assert b["grad_norm"] == pytest.approx(1.0) and b["grad_abs_mean"] == pytest.approx(1.0)
    assert b["update_ratio"] == pytest.approx(1.0)  # from 0 to -0.1: against the new value
    np.testing.assert_allclose(model[0].weight.data, [[0.9, 1.7]])


def test_gradient_stats_without_optimizer_leaves_the_weights_alone():
    model = one_linear([[1.0, 2.0]], [0.5])
    stats = gradient_stats(model, (model(tg.Tensor(np.array([[2.0, -4.0]]))) * 3).sum())
    assert stats["0.weight"] == pytest.approx({"grad_norm": math.sqrt(180), "grad_abs_mean": 9})
    np.testing.assert_array_equal(model[0].weight.data, [[1.0, 2.0]])


def test_gradient_stats_average_over_steps_and_survive_a_state_dict():
    model = one_linear([[1.0, 2.0]], [0.0])
    stats = GradientStats(model)
    for scale in (1.0, 3.0):
        model.zero_grad()
        (model(tg.Tensor(np.array([[1.0, 1.0]]))) * scale).sum().backward()
        stats.add(stats.measure_gradients())
    again = GradientStats(model)
    again.load_state_dict(json.loads(json.dumps(stats.state_dict())))
    assert again.summary()["0.bias"] == pytest.approx({"grad_norm": 2.0, "grad_abs_mean": 2.0})


def test_deep_sigmoid_mlp_gradients_vanish_and_relu_he_ones_do_not(mnist_dir):
    images = tg.data.read_idx(mnist_dir / "train-images-idx3-ubyte.gz")[:64]
    labels = tg.data.read_idx(mnist_dir / "train-labels-idx1-ubyte.gz")[:64]
    x, y = next(iter(tg.data.DataLoader(images, labels, 64)))
    ratios = {}
    for name in ("deep-sigmoid-mlp", "deep-relu-mlp"):
        tg.manual_seed(0)
        model = models.MODELS[name]()
        stats = gradient_stats(model, tg.functional.cross_entropy(model(x), y))
        weights = [s["grad_abs_mean"] for n, s in stats.items() if n.endswith("weight")]
        assert len(weights) == 10
        ratios[name] = weights[0] / weights[-1]
    assert ratios["deep-sigmoid-mlp"] < 1e-5
    assert ratios["deep-relu-mlp"] > 0.05


def test_grad_stats_of_a_resumed_epoch_equal_an_uninterrupted_one(mnist_dir, tmp_path):
    quiet = lambda text: None  # noqa: E731
    config = dict(data_dir=str(mnist_dir), limit=320, batch_size=32, epochs=1, seed=2)
    straight = Run(TrainConfig(grad_stats=True, **config), tmp_path / "straight", quiet)
    straight.fit()
    steps = iter(range(100))
    stopped = Run(TrainConfig(grad_stats=True, **config), tmp_path / "stopped", quiet)
    assert stopped.fit(should_stop=lambda: next(steps) == 4) is None
    Run.resume(tmp_path / "stopped" / "last.npz", report=quiet).fit()
    expected, got = (
        json.loads((tmp_path / run / "metrics.jsonl").read_text().splitlines()[0])["grad_stats"]
        for run in ("straight", "stopped")
    )
    assert list(got) == [name for name, _ in straight.model.named_parameters()]
    for name in expected:
        assert got[name] == pytest.approx(expected[name], rel=1e-6), name


# ----------------------------------------------------------------- pictures
@pytest.fixture(scope="module")
def run_dir(mnist_dir, tmp_path_factory):
    """A tiny LeNet-5 run with gradient statistics, two epochs (so the curves are lines)."""
    folder = tmp_path_factory.mktemp("viz") / "run"
    argv = ["train", "--data-dir", str(mnist_dir), "--limit", "640", "--batch-size", "32"]
    assert main([*argv, "--epochs", "2", "--grad-stats", "--out", str(folder)]) == 0
    return folder


def read_png(path):
    """The picture as an array, after checking it is a real, non-blank PNG."""
    image_module = pytest.importorskip("matplotlib.image")
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    pixels = image_module.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] >= 200 and pixels.shape[1] >= 300
    assert pixels[..., :3].std() > 0.05, f"{path} looks blank"
    return pixels


def test_metrics_hold_the_gradient_statistics_of_every_parameter(run_dir):
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    for record in records[:2]:
        stats = record["grad_stats"]
        assert list(stats)[:2] == ["0.weight", "0.bias"] and len(stats) == 10
        for values in stats.values():
            assert set(values) == {"grad_norm", "grad_abs_mean", "update_ratio"}
            assert all(v > 0 and math.isfinite(v) for v in values.values())


def test_plot_writes_the_curves_into_the_run_folder(run_dir, capsys):
    assert main(["plot", str(run_dir)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {run_dir / 'curves.png'}"
    pixels = read_png(run_dir / "curves.png")
    assert pixels.shape[0] == 900  # two rows of panels: the gradient flow is drawn
    assert main(["plot", str(run_dir)]) == 0
    assert capsys.readouterr().out.startswith("replaced")


def test_features_and_confusion_pictures(run_dir, mnist_dir, tmp_path, capsys):
    checkpoint = str(run_dir / "best.npz")
    assert main(["features", checkpoint, "--index", "0", "--data-dir", str(mnist_dir)]) == 0
    read_png(run_dir / "features-0.png")
    out = tmp_path / "pool.png"
    argv = ["features", checkpoint, "--index", "3", "--layers", "2", "--out", str(out)]
    assert main([*argv, "--data-dir", str(mnist_dir)]) == 0
    read_png(out)
    out = tmp_path / "confusion.png"
    assert (
        main(["evaluate", checkpoint, "--data-dir", str(mnist_dir), "--confusion", str(out)]) == 0
    )
    assert capsys.readouterr().out.splitlines()[-1] == f"wrote {out}"
    read_png(out)


def expect_one_line_error(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and message in err, err


def test_bad_input_gives_one_line_and_exit_2(run_dir, mnist_dir, tmp_path, capsys):
    expect_one_line_error(capsys, ["plot", str(tmp_path / "nowhere")], "no such run folder")
    expect_one_line_error(capsys, ["plot", str(tmp_path)], "no metrics.jsonl")
    expect_one_line_error(
        capsys, ["plot", str(run_dir), "--out", str(run_dir / "metrics.jsonl")], "must end in .png"
    )
    data = ["--data-dir", str(mnist_dir)]
    checkpoint = str(run_dir / "best.npz")
    expect_one_line_error(
        capsys, ["features", checkpoint, "--index", "10000", *data], "--index must be in [0, 9999]"
    )
    expect_one_line_error(
        capsys, ["features", checkpoint, "--index", "0", "--layers", "7", *data], "--layers"
    )
    state = tg.load(run_dir / "best.npz")
    state["config"]["model"] = "keras-cnn"
    tg.save(state, tmp_path / "other.npz")
    expect_one_line_error(
        capsys, ["features", str(tmp_path / "other.npz"), "--index", "0"], "does not fit a keras"
    )
    state["config"]["model"], state["model"] = "mlp", models.mlp().state_dict()
    tg.save(state, tmp_path / "mlp.npz")
    expect_one_line_error(
        capsys, ["features", str(tmp_path / "mlp.npz"), "--index", "0"], "has no conv layer"
    )


def test_importing_the_engine_does_not_import_matplotlib_and_pictures_avoid_pyplot(tmp_path):
    code = (
        "import sys, tinygrad_cnn, tinygrad_cnn.cli, tinygrad_cnn.training\n"
        "print('matplotlib' in sys.modules)\n"
        "from tinygrad_cnn.viz import plots, png\n"
        "figure = plots.confusion_figure([[3, 1], [0, 4]], ['0', '1'])\n"
        f"png.save_png(figure, {str(tmp_path / 'c.png')!r})\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.split() == ["False", "False"], result.stderr
    read_png(tmp_path / "c.png")
