"""The training loop behind ``tinygrad-cnn train``: data, epochs, validation, checkpoints.

One run lives in one folder: ``metrics.jsonl`` (a JSON object per epoch and one for the
test), ``last.npz`` (written atomically after every epoch, and on Ctrl-C) and ``best.npz``
(the epoch with the best validation accuracy). A checkpoint holds the configuration, the
model, the optimizer, the random generator's state and, when a run was interrupted, the
shuffled order of the unfinished epoch and the next batch: resuming replays exactly what the
uninterrupted run would have done.

With ``grad_stats`` (``--grad-stats``), every step is measured by ``grad_stats.GradientStats``
and each epoch's record gets ``"grad_stats": {parameter: {"grad_norm", "grad_abs_mean",
"update_ratio"}}``, averaged over the epoch's steps (the running sums travel in the
checkpoint, so a resumed epoch averages the same steps). Off, the loop pays one ``if``.
"""

import json
import math
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

import tinygrad_cnn.functional as F
from tinygrad_cnn import models, optim, rng, serialization
from tinygrad_cnn.autograd import no_grad
from tinygrad_cnn.data import DataLoader, load_mnist
from tinygrad_cnn.grad_stats import GradientStats

OPTIMIZERS = {
    "sgd": optim.SGD,
    "adam": optim.Adam,
    "adamw": optim.AdamW,
    "rmsprop": optim.RMSprop,
    "adagrad": optim.Adagrad,
    "adadelta": optim.Adadelta,
}
DEFAULT_LR = {
    "sgd": 0.05,
    "adam": 2e-3,
    "adamw": 2e-3,
    "rmsprop": 1e-3,
    "adagrad": 1e-2,
    "adadelta": 1.0,
}


@dataclass
class TrainConfig:
    model: str = "lenet5"
    dataset: str = "mnist"
    epochs: int = 3
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float = None  # None: the optimizer's usual rate (DEFAULT_LR)
    momentum: float = 0.9  # SGD and RMSprop only
    weight_decay: float = 0.0
    dropout: float = 0.0
    seed: int = 0
    limit: int = None
    val_split: float = 0.1
    data_dir: str = None
    schedule: str = "cosine"  # "cosine" (to 0 over the run) or "constant"
    grad_stats: bool = False  # record the gradient flow per parameter and epoch

    def check(self):
        if self.model not in models.MODELS:
            raise ValueError(
                f"unknown model {self.model!r} (choose from {', '.join(models.MODELS)})"
            )
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"unknown optimizer {self.optimizer!r} (choose from {', '.join(OPTIMIZERS)})"
            )
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("--epochs and --batch-size must be at least 1")
        if not 0 <= self.val_split < 1:
            raise ValueError(f"--val-split must be in [0, 1), got {self.val_split}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"--dropout must be in [0, 1), got {self.dropout}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"--limit must be at least 1, got {self.limit}")
        if self.schedule not in ("cosine", "constant"):
            raise ValueError(f"unknown schedule {self.schedule!r} (cosine or constant)")
        return self


def build_model(name, dropout=0.0):
    if name not in models.MODELS:
        raise ValueError(f"unknown model {name!r} (choose from {', '.join(models.MODELS)})")
    return models.MODELS[name](dropout=dropout)


def build_optimizer(config, parameters):
    lr = DEFAULT_LR[config.optimizer] if config.lr is None else config.lr
    settings = dict(lr=lr, weight_decay=config.weight_decay)
    if config.optimizer in ("sgd", "rmsprop"):
        settings["momentum"] = config.momentum
    return OPTIMIZERS[config.optimizer](parameters, **settings)


def split_data(config):
    """(train, validation, test) as (images, labels) pairs: the first ``limit`` training
    images, the last ``val_split`` of them held out (like Keras' validation_split)."""
    (train_x, train_y), test = load_mnist(config.data_dir, dataset=config.dataset)
    if config.limit is not None:
        train_x, train_y = train_x[: config.limit], train_y[: config.limit]
    held_out = int(len(train_y) * config.val_split)
    if held_out and len(train_y) - held_out < 1:
        raise ValueError("--val-split leaves no training images")
    cut = len(train_y) - held_out
    return (train_x[:cut], train_y[:cut]), (train_x[cut:], train_y[cut:]), test


@no_grad()
def evaluate(model, loader):
    """(mean loss, accuracy, predicted classes) of ``model`` in eval mode over ``loader``."""
    was_training = model.training
    model.eval()
    total_loss, predictions = 0.0, []
    for x, y in loader:
        logits = model(x)
        total_loss += F.cross_entropy(logits, y, reduction="sum").item()
        predictions.append(logits.data.argmax(axis=1))
    model.train(was_training)
    predictions = np.concatenate(predictions) if predictions else np.zeros(0, np.int64)
    count = max(len(loader.labels), 1)
    return total_loss / count, float(np.mean(predictions == loader.labels)), predictions


class StopOnInterrupt:
    """Turn the first Ctrl-C into a request to stop after the current step (so the weights are
    never half-updated); a second Ctrl-C interrupts at once."""

    def __init__(self):
        self.requested = False

    def __enter__(self):
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc_info):
        signal.signal(signal.SIGINT, self._previous)

    def __call__(self):
        return self.requested


class Run:
    """A training run: its configuration, model, optimizer, data and folder."""

    def __init__(self, config, folder, report=print):
        self.config, self.folder, self.report = config.check(), Path(folder), report
        rng.manual_seed(config.seed)
        self.model = build_model(config.model, config.dropout)
        self.optimizer = build_optimizer(config, self.model.parameters())
        for group in self.optimizer.param_groups:
            group["initial_lr"] = group["lr"]
        train, validation, test = split_data(config)
        self.train_loader = DataLoader(*train, config.batch_size, shuffle=True)
        self.val_loader = DataLoader(*validation, 1000) if len(validation[1]) else None
        self.test_loader = DataLoader(*test, 1000)
        self.epoch, self.next_batch, self.order = 0, 0, None
        self.best_accuracy = -1.0
        self.grad_stats = GradientStats(self.model) if config.grad_stats else None

    # ----------------------------------------------------------------- checkpoints
    def checkpoint(self):
        return {
            "config": asdict(self.config),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng": rng.get_rng_state(),
            "epoch": self.epoch,
            "next_batch": self.next_batch,
            "order": self.order,
            "best_accuracy": self.best_accuracy,
            "grad_stats": self.grad_stats.state_dict() if self.grad_stats else None,
        }

    @classmethod
    def resume(cls, path, folder=None, epochs=None, report=print, grad_stats=False):
        """Rebuild a run from a checkpoint written by ``checkpoint`` (``epochs`` may extend it;
        ``grad_stats=True`` starts recording the gradient flow if the run did not)."""
        state = serialization.load(path)
        try:
            config = TrainConfig(**state["config"])
        except TypeError as err:
            raise ValueError(f"{path}: not a tinygrad-cnn training checkpoint ({err})") from None
        if epochs is not None:
            config.epochs = epochs
        config.grad_stats = config.grad_stats or grad_stats
        run = cls(config, folder or Path(path).parent, report)
        run.model.load_state_dict(state["model"])
        run.optimizer.load_state_dict(state["optimizer"])
        rng.set_rng_state(state["rng"])
        run.epoch, run.next_batch = state["epoch"], state["next_batch"]
        run.order, run.best_accuracy = state["order"], state["best_accuracy"]
        if run.grad_stats and state.get("grad_stats"):
            run.grad_stats.load_state_dict(state["grad_stats"])
        return run

    def save(self, name):
        self.folder.mkdir(parents=True, exist_ok=True)
        serialization.save(self.checkpoint(), self.folder / name)

    def log(self, record):
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / "metrics.jsonl", "a") as file:
            file.write(json.dumps(record) + "\n")

    # ----------------------------------------------------------------- training
    def learning_rate(self, initial):
        """The lr of the next step: constant, or a cosine from ``initial`` down to 0 over all
        the run's steps (per step, so short runs anneal too)."""
        if self.config.schedule == "constant":
            return initial
        done = self.epoch * len(self.train_loader) + self.next_batch
        total = self.config.epochs * len(self.train_loader)
        return initial * (1 + math.cos(math.pi * done / total)) / 2

    def train_epoch(self, should_stop):
        """One pass over the training data (or the rest of an interrupted one); returns the
        epoch's record, or None if ``should_stop()`` asked to stop."""
        loader = self.train_loader
        if self.order is None:
            self.order, self.next_batch = loader.new_order(), 0
        seen = correct = 0
        loss_sum, start = 0.0, time.perf_counter()
        bar = tqdm(
            loader.batches(self.order, self.next_batch),
            total=len(loader),
            initial=self.next_batch,
            desc=f"epoch {self.epoch + 1}/{self.config.epochs}",
            unit="batch",
            leave=True,
            mininterval=0.5,
        )
        self.model.train()
        for x, y in bar:
            for group in self.optimizer.param_groups:
                group["lr"] = self.learning_rate(group["initial_lr"])
            self.optimizer.zero_grad()
            logits = self.model(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            if self.grad_stats is None:
                self.optimizer.step()
            else:
                self.grad_stats.step(self.optimizer)  # the same step, measured
            self.next_batch += 1
            seen += len(y)
            correct += int((logits.data.argmax(axis=1) == y).sum())
            loss_sum += loss.item() * len(y)
            elapsed = time.perf_counter() - start
            bar.set_postfix(
                loss=f"{loss_sum / seen:.4f}",
                acc=f"{correct / seen:.4f}",
                img_s=f"{seen / max(elapsed, 1e-9):.0f}",
            )
            if should_stop():
                bar.close()
                return None
        bar.close()
        elapsed = time.perf_counter() - start
        self.epoch, self.next_batch, self.order = self.epoch + 1, 0, None
        record = {
            "epoch": self.epoch,
            "train_loss": loss_sum / max(seen, 1),
            "train_accuracy": correct / max(seen, 1),
            "seconds": elapsed,
            "images_per_second": seen / max(elapsed, 1e-9),
            "lr": self.optimizer.param_groups[0]["lr"],
        }
        if self.grad_stats is not None:
            record["grad_stats"] = self.grad_stats.summary()
            self.grad_stats.reset()
        return record

    def fit(self, should_stop=None):
        """Train the remaining epochs, validating and checkpointing after each; test at the
        end. Returns the test accuracy, or None if stopped early (then last.npz can resume)."""
        with StopOnInterrupt() as interrupt:
            stop = should_stop or interrupt
            while self.epoch < self.config.epochs:
                record = self.train_epoch(stop)
                if record is None:
                    self.save("last.npz")
                    self.report(
                        f"stopped: resume with  tinygrad-cnn train --resume "
                        f"{self.folder / 'last.npz'}"
                    )
                    return None
                if self.val_loader is not None:
                    record["val_loss"], record["val_accuracy"], _ = evaluate(
                        self.model, self.val_loader
                    )
                accuracy = record.get("val_accuracy", record["train_accuracy"])
                self.log(record)
                self.save("last.npz")
                if accuracy > self.best_accuracy:
                    self.best_accuracy = accuracy
                    self.save("best.npz")
                self.report(_describe(record))
        test_loss, test_accuracy, _ = evaluate(self.model, self.test_loader)
        self.log({"test_loss": test_loss, "test_accuracy": test_accuracy})
        self.report(
            f"test accuracy {test_accuracy:.4f} (loss {test_loss:.4f}); "
            f"checkpoints and metrics in {self.folder}"
        )
        return test_accuracy


def _describe(record):
    text = (
        f"epoch {record['epoch']}: loss {record['train_loss']:.4f}, accuracy "
        f"{record['train_accuracy']:.4f}, {record['seconds']:.1f} s "
        f"({record['images_per_second']:.0f} images/s)"
    )
    if "val_accuracy" in record:
        text += f"; validation loss {record['val_loss']:.4f}, accuracy {record['val_accuracy']:.4f}"
    return text
