"""Pictures of a training run and of a model's errors: curves, gradient flow, confusion matrix.

- ``read_run(folder)``: the epoch records and the test record of a run's ``metrics.jsonl``;
- ``training_figure(epochs, test, title)``: loss and accuracy per epoch (train and
  validation, the test result as a star), the learning rate, and, when the run was trained
  with ``--grad-stats``, the gradient flow: mean |gradient| and update/weight ratio of every
  weight tensor, first layer on the left, one line per epoch;
- ``confusion_figure(confusion, classes, title)``: counts, coloured by the share of the row.
"""

import json
from pathlib import Path

import numpy as np
from matplotlib import colormaps

from tinygrad_cnn.viz.png import new_figure


def read_run(folder):
    """(epoch records, test record or None) from ``folder/metrics.jsonl``."""
    folder = Path(folder)
    path = folder / "metrics.jsonl"
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such run folder")
    if not path.is_file():
        raise ValueError(f"{folder}: no metrics.jsonl (not a run folder of tinygrad-cnn train)")
    try:
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not a metrics file ({err})") from None
    epochs = [r for r in records if isinstance(r, dict) and "epoch" in r]
    tests = [r for r in records if isinstance(r, dict) and "test_accuracy" in r]
    if not epochs:
        raise ValueError(f"{path}: no finished epoch to plot yet")
    return epochs, (tests[-1] if tests else None)


def training_figure(epochs, test=None, title="training run"):
    """The run's curves (and gradient flow when recorded) as a Figure."""
    flow = [r["grad_stats"] for r in epochs if r.get("grad_stats")]
    figure = new_figure(15, 9 if flow else 4.5)
    grid = figure.add_gridspec(2 if flow else 1, 6)
    x = [r["epoch"] for r in epochs]
    _curves(figure.add_subplot(grid[0, 0:2]), x, epochs, test, "loss", "cross-entropy loss")
    _curves(figure.add_subplot(grid[0, 2:4]), x, epochs, test, "accuracy", "accuracy")
    lr = figure.add_subplot(grid[0, 4:6])
    lr.plot(x, [r["lr"] for r in epochs], "o-", color="tab:purple")
    _label(lr, "learning rate at the end of each epoch", "epoch", "learning rate", x)
    if flow:
        names = _weight_names(flow[-1])
        epochs_with_flow = [r["epoch"] for r in epochs if r.get("grad_stats")]
        gradient = figure.add_subplot(grid[1, 0:3])
        update = figure.add_subplot(grid[1, 3:6])
        _flow(gradient, names, flow, epochs_with_flow, "grad_abs_mean")
        _label(gradient, "gradient flow: mean |gradient| per weight", "", "mean |gradient|")
        _flow(update, names, flow, epochs_with_flow, "update_ratio")
        _label(update, "step size: ||update|| / ||weight|| per step", "", "update / weight")
    figure.suptitle(title, fontsize=14)
    return figure


def _curves(axes, x, epochs, test, key, ylabel):
    axes.plot(x, [r[f"train_{key}"] for r in epochs], "o-", label="train")
    if all(f"val_{key}" in r for r in epochs):
        axes.plot(x, [r[f"val_{key}"] for r in epochs], "s-", label="validation")
    if test is not None and f"test_{key}" in test:
        axes.plot([x[-1]], [test[f"test_{key}"]], "*", markersize=14, label="test (end)")
    _label(axes, f"{ylabel} per epoch", "epoch", ylabel, x)
    axes.legend()


def _label(axes, title, xlabel, ylabel, ticks=None):
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(True, alpha=0.3)
    if ticks is not None and len(ticks) <= 20:
        axes.set_xticks(ticks)


def _weight_names(stats):
    """The weight tensors (``*.weight``), input side first; all parameters if none is."""
    weights = [name for name in stats if name.endswith("weight")]
    return weights or list(stats)


def _flow(axes, names, flow, epoch_numbers, key):
    """One line per epoch over the weight tensors, on a log scale, later epochs darker."""
    colours = colormaps["viridis"](np.linspace(0.85, 0.1, len(flow)))
    positions = np.arange(len(names))
    for stats, epoch, colour in zip(flow, epoch_numbers, colours):
        values = [stats.get(name, {}).get(key, np.nan) for name in names]
        axes.plot(positions, values, "o-", color=colour, label=f"epoch {epoch}")
    axes.set_yscale("log")
    axes.set_xticks(positions, names, rotation=45, ha="right")
    axes.set_xlabel("parameter (input side on the left)")
    if len(flow) <= 10:
        axes.legend(fontsize="small")


def confusion_figure(confusion, classes, title="confusion matrix"):
    """The confusion matrix (rows: true class, columns: predicted) with the counts written in
    the cells, coloured by the share of each row, so errors stand out next to the diagonal."""
    confusion = np.asarray(confusion)
    shares = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    size = len(classes)
    figure = new_figure(2 + 0.75 * size, 1.5 + 0.7 * size)
    axes = figure.add_subplot()
    image = axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for row in range(size):
        for column in range(size):
            colour = "white" if shares[row, column] > 0.5 else "black"
            text = f"{confusion[row, column]:,}"
            axes.text(column, row, text, ha="center", va="center", fontsize=9, color=colour)
    labels = [f"{k} {name}" if name != str(k) else name for k, name in enumerate(classes)]
    long = any(len(label) > 3 for label in labels)
    axes.set_xticks(
        range(size), labels, rotation=40 if long else 0, ha="right" if long else "center"
    )
    axes.set_yticks(range(size), labels)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    axes.set_title(title)
    figure.colorbar(image, ax=axes, label="share of the true class's images")
    return figure
