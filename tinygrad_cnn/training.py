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
import os
import signal
import sys
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
from tinygrad_cnn.kernels.runtime import tuned_for_training

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
        for option, value in (("--epochs", self.epochs), ("--batch-size", self.batch_size)):
            if value < 1:
                raise ValueError(f"{option} must be at least 1, got {value}")
        if self.lr is not None and not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"--lr must be a finite number above 0, got {self.lr}")
        for option, value in (("--momentum", self.momentum), ("--weight-decay", self.weight_decay)):
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{option} must be a finite number >= 0, got {value}")
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


def stored_data_dir(data_dir):
    """The data folder a checkpoint names, or None (the usual lookup) when it is gone."""
    return data_dir if data_dir is not None and Path(data_dir).is_dir() else None


def kernels_cached():
    """Whether Numba has compiled the fast kernels before (its cache files exist), looking
    where ``cache=True`` puts them: under $NUMBA_CACHE_DIR when it is set, else beside
    ``kernels/fast.py``."""
    place = Path(os.environ.get("NUMBA_CACHE_DIR") or Path(__file__).parent / "kernels")
    return place.is_dir() and next(place.rglob("fast.*.nbc"), None) is not None


def uses_kernels(model):
    from tinygrad_cnn import nn

    kinds = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)
    return any(isinstance(module, kinds) for module in model.modules())


COMPILE_SECONDS = 2  # compiling the float32 kernels LeNet-5 uses: 2-3 s on a 2-core Xeon


class LineProgress:
    """The progress of an epoch for a log file or a pipe, where a bar's redraws would pile
    up: a line after the first batch, then one every ``interval`` seconds (same interface as
    the part of tqdm that ``train_epoch`` uses)."""

    def __init__(self, iterable, total, initial, desc, interval, file=None):
        self.iterable, self.total, self.count, self.desc = iterable, total, initial, desc
        self.interval, self.file, self.postfix = interval, file or sys.stderr, {}
        self.printed = None

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.count += 1
            now = time.monotonic()
            if self.printed is None or now - self.printed >= self.interval:
                self.printed = now
                details = ", ".join(f"{key} {value}" for key, value in self.postfix.items())
                print(f"{self.desc}: batch {self.count}/{self.total}, {details}", file=self.file)
                self.file.flush()

    def set_postfix(self, **values):
        self.postfix = values

    def close(self):
        pass


def progress(iterable, total, initial, desc, interval):
    """A tqdm bar in a terminal, ``LineProgress`` when stderr goes to a file or a pipe."""
    if sys.stderr.isatty():
        return tqdm(
            iterable, total=total, initial=initial, desc=desc, unit="batch", mininterval=0.5
        )
    return LineProgress(iterable, total, initial, desc, interval)


def read_metrics(folder):
    """The records of ``folder/metrics.jsonl`` (none if it does not exist)."""
    path = Path(folder) / "metrics.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def holds_run(folder):
    return any((Path(folder) / name).exists() for name in ("last.npz", "best.npz", "metrics.jsonl"))


class NotFinite(ValueError):
    """The loss became NaN or infinite: training stops, the last good checkpoint stays."""


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

    progress_interval = 10.0  # seconds between progress lines when stderr is not a terminal

    def __init__(self, config, folder, report=print):
        self.config, self.folder, self.report = config.check(), Path(folder), report
        if config.data_dir is not None:  # so that evaluate finds it from any folder
            config.data_dir = os.path.abspath(config.data_dir)
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
        # the running sums of the epoch in progress, saved with it so that a resumed epoch's
        # record covers all of its steps
        self.sums = {"seen": 0, "correct": 0, "loss": 0.0, "seconds": 0.0}
        # where the cosine stands: (step, fraction of the schedule done); moved when a resume
        # changes the number of epochs, so that the rate goes on down from where it was
        self.schedule_anchor = (0, 0.0)

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
            "sums": self.sums,
            "schedule_anchor": list(self.schedule_anchor),
        }

    @classmethod
    def resume(cls, path, folder=None, epochs=None, report=print, grad_stats=False):
        """Rebuild a run from a checkpoint written by ``checkpoint`` (``epochs`` may change
        its length; ``grad_stats=True`` starts recording the gradient flow if the run did not).

        The run goes on in the checkpoint's own folder, or in ``folder`` if that holds no run
        yet (a branch: it gets the history up to the checkpoint). A folder that holds another
        run is never written, nor is the own folder from an older checkpoint (``best.npz``
        when later epochs followed)."""
        state = serialization.load(path)
        try:
            config = TrainConfig(**state["config"])
            epoch, next_batch = int(state["epoch"]), int(state["next_batch"])
        except (TypeError, KeyError) as err:
            raise ValueError(f"{path}: not a tinygrad-cnn training checkpoint ({err})") from None
        own = Path(path).parent
        folder = own if folder is None else Path(folder)
        history = [r for r in read_metrics(own) if "epoch" in r and r["epoch"] <= epoch]
        if folder.resolve() == own.resolve():
            later = [r["epoch"] for r in read_metrics(own) if r.get("epoch", 0) > epoch]
            if later:
                raise ValueError(
                    f"{path} holds epoch {epoch}, but the run in {own} went on to epoch "
                    f"{max(later)}: resume from {own / 'last.npz'}, or continue this "
                    f"checkpoint in a new folder with --out"
                )
        elif holds_run(folder):
            raise ValueError(
                f"--out {folder} already holds another run: leave out --out to continue in "
                f"{own}, or name a new folder"
            )
        if epochs is not None and epochs != config.epochs:
            if epochs < epoch or (epochs == epoch and next_batch):
                raise ValueError(f"--epochs {epochs}: {path} has trained {epoch} epochs already")
            if config.schedule == "cosine" and epoch >= config.epochs:
                raise ValueError(
                    f"--epochs {epochs}: the run in {path} finished its cosine schedule (its "
                    f"learning rate reached 0); start a new run with --epochs {epochs}"
                )
        config.data_dir = stored_data_dir(config.data_dir)
        config.grad_stats = config.grad_stats or grad_stats
        old_epochs, config.epochs = config.epochs, epochs or config.epochs
        run = cls(config, folder, report)
        run.model.load_state_dict(state["model"])
        run.optimizer.load_state_dict(state["optimizer"])
        rng.set_rng_state(state["rng"])
        run.epoch, run.next_batch = epoch, next_batch
        run.order, run.best_accuracy = state["order"], state["best_accuracy"]
        if run.grad_stats and state.get("grad_stats"):
            run.grad_stats.load_state_dict(state["grad_stats"])
        run.sums = state.get("sums") or run.sums
        run.schedule_anchor = tuple(state.get("schedule_anchor") or run.schedule_anchor)
        if config.epochs != old_epochs:  # the cosine goes on from where it stood
            done = run.steps_done()
            run.schedule_anchor = (done, run.schedule_progress(done, old_epochs))
        if run.epoch < config.epochs:  # more to train: the log is the history up to here
            run.write_metrics(history)
        elif folder.resolve() != own.resolve() and not read_metrics(folder):
            run.write_metrics(read_metrics(own))
        return run

    def save(self, name):
        self.folder.mkdir(parents=True, exist_ok=True)
        serialization.save(self.checkpoint(), self.folder / name)

    def log(self, record):
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / "metrics.jsonl", "a") as file:
            file.write(json.dumps(record) + "\n")

    def write_metrics(self, records):
        """Replace metrics.jsonl with ``records`` (atomically)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with serialization.atomic_file(self.folder / "metrics.jsonl") as file:
            file.write("".join(json.dumps(record) + "\n" for record in records).encode("utf-8"))

    def check_folder(self):
        """Fail now, not after an epoch, if the run folder cannot be written."""
        if self.folder.exists() and not self.folder.is_dir():
            raise ValueError(f"--out {self.folder} is a file, not a folder")
        probe = self.folder / ".write-test"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as err:
            raise ValueError(
                f"--out {self.folder}: cannot write the run there ({err.strerror})"
            ) from None

    # ----------------------------------------------------------------- training
    def steps_done(self):
        return self.epoch * len(self.train_loader) + self.next_batch

    def schedule_progress(self, done, epochs=None):
        """The fraction of the cosine done after ``done`` steps: ``done / total`` for a run
        that kept its length; after a resume that changed it, the rest of the way from the
        anchor, spread over the remaining steps."""
        total = (epochs or self.config.epochs) * len(self.train_loader)
        start, fraction = self.schedule_anchor
        if total <= start:
            return 1.0
        return fraction + (1 - fraction) * (done - start) / (total - start)

    def learning_rate(self, initial):
        """The lr of the next step: constant, or a cosine from ``initial`` down to 0 over all
        the run's steps (per step, so short runs anneal too)."""
        if self.config.schedule == "constant":
            return initial
        return optim.cosine(initial, self.schedule_progress(self.steps_done()))

    @np.errstate(over="ignore", invalid="ignore", divide="ignore")  # a NaN loss: one line
    def train_epoch(self, should_stop):
        """One pass over the training data (or the rest of an interrupted one); returns the
        epoch's record, or None if ``should_stop()`` asked to stop."""
        loader = self.train_loader
        if self.order is None:
            self.order, self.next_batch = loader.new_order(), 0
            self.sums = {"seen": 0, "correct": 0, "loss": 0.0, "seconds": 0.0}
        sums, start = self.sums, time.perf_counter()
        bar = progress(
            loader.batches(self.order, self.next_batch),
            total=len(loader),
            initial=self.next_batch,
            desc=f"epoch {self.epoch + 1}/{self.config.epochs}",
            interval=self.progress_interval,
        )
        self.model.train()
        for x, y in bar:
            for group in self.optimizer.param_groups:
                group["lr"] = self.learning_rate(group["initial_lr"])
            self.optimizer.zero_grad()
            logits = self.model(x)
            loss = F.cross_entropy(logits, y)
            value = loss.item()
            if not math.isfinite(value):  # stop before the step spreads it to the weights
                bar.close()
                raise NotFinite(self._not_finite_message(value))
            loss.backward()
            if self.grad_stats is None:
                self.optimizer.step()
            else:
                self.grad_stats.step(self.optimizer)  # the same step, measured
            self.next_batch += 1
            sums["seen"] += len(y)
            sums["correct"] += int((logits.data.argmax(axis=1) == y).sum())
            sums["loss"] += value * len(y)
            elapsed = sums["seconds"] + time.perf_counter() - start
            bar.set_postfix(
                loss=f"{sums['loss'] / sums['seen']:.4f}",
                acc=f"{sums['correct'] / sums['seen']:.4f}",
                img_s=f"{sums['seen'] / max(elapsed, 1e-9):.0f}",
            )
            if should_stop():
                bar.close()
                sums["seconds"] = elapsed
                return None
        bar.close()
        elapsed = sums["seconds"] + time.perf_counter() - start
        self.epoch, self.next_batch, self.order = self.epoch + 1, 0, None
        seen = max(sums["seen"], 1)
        record = {
            "epoch": self.epoch,
            "train_loss": sums["loss"] / seen,
            "train_accuracy": sums["correct"] / seen,
            "seconds": elapsed,
            "images_per_second": sums["seen"] / max(elapsed, 1e-9),
            "lr": self.optimizer.param_groups[0]["lr"],
        }
        if self.grad_stats is not None:
            record["grad_stats"] = self.grad_stats.summary()
            self.grad_stats.reset()
        return record

    def _not_finite_message(self, value):
        last = self.folder / "last.npz"
        kept = (
            f"the last good checkpoint, {last}, is kept"
            if last.exists()
            else "no checkpoint was written"
        )
        return (
            f"the loss became {value} at epoch {self.epoch + 1}, step {self.next_batch + 1} "
            f"of {len(self.train_loader)}: training stopped ({kept}); try a smaller --lr"
        )

    def fit(self, should_stop=None):
        """Train the remaining epochs, validating and checkpointing after each; test at the
        end. Returns the test accuracy, or None if stopped early (then last.npz can resume).
        A run that had finished already is not tested again: its logged result is returned."""
        self.check_folder()
        finished = [r for r in read_metrics(self.folder) if "test_accuracy" in r]
        if self.epoch >= self.config.epochs and self.next_batch == 0 and finished:
            self.report(
                f"the run in {self.folder} has finished its {self.config.epochs} epochs: test "
                f"accuracy {finished[-1]['test_accuracy']:.4f}"
            )
            return finished[-1]["test_accuracy"]
        if uses_kernels(self.model) and not kernels_cached():
            self.report(f"compiling kernels, once: ~{COMPILE_SECONDS} s")
        with StopOnInterrupt() as interrupt, tuned_for_training():  # scoped: see kernels/runtime.py
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
