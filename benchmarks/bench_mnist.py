"""Train on real MNIST in tinygrad_cnn and, when installed, in PyTorch CPU, the same recipe
on the same data in the same run: images per second, seconds and test accuracy per epoch,
the time to evaluate the 10,000 test images, peak memory, and the ratios. Also the start time
of a warm `tinygrad-cnn train --help`.

Recipes, the same in both frameworks: batch 64, the training images normalized with MNIST's
mean and std, reshuffled every epoch. LeNet-5: Adam, lr 2e-3 with a cosine to 0 over the run
(per step). Keras convnet: RMSprop, lr 1e-3 (constant), alpha 0.99, eps 1e-8 (PyTorch's
defaults). Evaluation: the test images in batches of 1,000, forward only (no_grad /
torch.inference_mode). Before timing, each side runs one throwaway training step and one
forward, so that compiling (Numba) and first-call setup (PyTorch) stay out of the epoch. Each
framework trains in its own process (their idle OpenMP threads would slow each other down).

    python benchmarks/bench_mnist.py [--models lenet5,keras-cnn] [--epochs 1] [--limit N]
                                     [--data-dir ../shared/data/mnist] [--threads 2]
"""

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

MEAN, STD = 0.1307, 0.3081
BATCH = 64
EVAL_BATCH = 1000
# model: (optimizer, lr, cosine schedule over the run)
RECIPES = {"lenet5": ("Adam", 2e-3, True), "keras-cnn": ("RMSprop", 1e-3, False)}
OPTIMIZER_OPTIONS = {"Adam": {}, "RMSprop": {"alpha": 0.99, "eps": 1e-8}}


def load(data_dir, limit):
    from tinygrad_cnn.data import load_mnist

    (x, y), (test_x, test_y) = load_mnist(data_dir)
    x, y = x[:limit], y[:limit]

    def normalize(images):
        return ((images[:, None].astype(np.float32) / 255 - MEAN) / STD).astype(np.float32)

    return normalize(x), y.astype(np.int64), normalize(test_x), test_y.astype(np.int64)


def cosine(step, total, lr):
    return lr * (1 + math.cos(math.pi * step / total)) / 2


def learning_rate(model_name, step, total):
    _, lr, schedule = RECIPES[model_name]
    return cosine(step, total, lr) if schedule else lr


def describe(model_name):
    name, lr, schedule = RECIPES[model_name]
    return f"{name} lr {lr:g}" + (" cosine" if schedule else "")


def peak_mb():
    """This process's peak resident memory so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_seconds(function, repeats):
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), result


def timed_training(model_name, epochs, n, framework, new_order, eval_repeats):
    """The timed part, the same for both frameworks: ``epochs`` passes over ``n`` images in
    the order ``new_order()`` draws, the recipe's learning rate per step, the test accuracy
    after each epoch (untimed), then peak memory and the evaluation's median time.
    ``framework`` is its (make, train_step, evaluate) functions."""
    make, train_step, evaluate = framework
    model, optimizer = make(0)
    steps, total = 0, epochs * math.ceil(n / BATCH)
    records = []
    for _ in range(epochs):
        order = new_order()
        start = time.perf_counter()
        for first in range(0, n, BATCH):
            optimizer.param_groups[0]["lr"] = learning_rate(model_name, steps, total)
            train_step(model, optimizer, order[first : first + BATCH])
            steps += 1
        records.append({"seconds": time.perf_counter() - start})
        if len(records) < epochs:
            records[-1]["accuracy"] = evaluate(model)
    train_peak = peak_mb()
    eval_seconds, records[-1]["accuracy"] = median_seconds(lambda: evaluate(model), eval_repeats)
    return {"records": records, "train_peak_mb": train_peak, "eval_seconds": eval_seconds}


def train_ours(model_name, epochs, x, y, test_x, test_y, eval_repeats=1):
    """{"records": [{seconds, accuracy} per epoch], "train_peak_mb", "eval_seconds"}."""
    import tinygrad_cnn as tg
    import tinygrad_cnn.functional as F
    from tinygrad_cnn import models, optim

    def make(seed):
        tg.manual_seed(seed)
        model = models.MODELS[model_name]()
        name, lr, _ = RECIPES[model_name]
        optimizer = getattr(optim, name)(model.parameters(), lr=lr, **OPTIMIZER_OPTIONS[name])
        return model, optimizer

    def train_step(model, optimizer, chosen):
        optimizer.zero_grad()
        F.cross_entropy(model(tg.Tensor(x[chosen])), y[chosen]).backward()
        optimizer.step()

    def evaluate(model):
        model.eval()
        with tg.no_grad():
            predicted = [
                model(tg.Tensor(test_x[i : i + EVAL_BATCH])).data.argmax(axis=1)
                for i in range(0, len(test_y), EVAL_BATCH)
            ]
        model.train()
        return float(np.mean(np.concatenate(predicted) == test_y))

    with tg.tuned_for_training():  # as training.Run.fit does, evaluation included
        model, optimizer = make(1)  # warm up: compile (or load) the kernels, untimed
        train_step(model, optimizer, np.arange(BATCH))
        with tg.no_grad():
            model(tg.Tensor(x[:BATCH]))
        return timed_training(
            model_name,
            epochs,
            len(y),
            (make, train_step, evaluate),
            lambda: tg.rng.generator().permutation(len(y)),
            eval_repeats,
        )


def train_pytorch(model_name, epochs, x, y, test_x, test_y, threads, eval_repeats=1):
    """The same as train_ours, in PyTorch with ``threads`` threads."""
    import torch
    from pytorch_models import build
    from torch import nn

    torch.set_num_threads(threads)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    test_inputs = torch.from_numpy(test_x)

    def make(seed):
        torch.manual_seed(seed)
        model = build(model_name)
        name, lr, _ = RECIPES[model_name]
        optimizer = getattr(torch.optim, name)(model.parameters(), lr=lr, **OPTIMIZER_OPTIONS[name])
        return model, optimizer

    def train_step(model, optimizer, chosen):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x[chosen]), y[chosen]).backward()
        optimizer.step()

    def evaluate(model):
        model.eval()
        with torch.inference_mode():
            predicted = [
                model(test_inputs[i : i + EVAL_BATCH]).argmax(dim=1).numpy()
                for i in range(0, len(test_y), EVAL_BATCH)
            ]
        model.train()
        return float(np.mean(np.concatenate(predicted) == test_y))

    model, optimizer = make(1)  # warm up (first-call setup), untimed
    train_step(model, optimizer, torch.arange(BATCH))
    with torch.inference_mode():
        model(x[:BATCH])
    generator = np.random.default_rng(0)
    return timed_training(
        model_name,
        epochs,
        len(y),
        (make, train_step, evaluate),
        lambda: torch.from_numpy(generator.permutation(len(y))),
        eval_repeats,
    )


def measure(framework, model, epochs=1, limit=None, data_dir=None, threads=2, eval_repeats=1):
    """Train ``model`` in this process with ``framework`` ("ours" or "torch"): the dict of
    train_ours plus "peak_mb" (the whole process) and "images" (training images)."""
    x, y, test_x, test_y = load(data_dir, limit)
    if framework == "torch":
        result = train_pytorch(model, epochs, x, y, test_x, test_y, threads, eval_repeats)
    else:
        result = train_ours(model, epochs, x, y, test_x, test_y, eval_repeats)
    return dict(result, peak_mb=peak_mb(), images=len(y))


def worker(args):
    """Run one framework and print its results as JSON (used in a child process)."""
    print(
        json.dumps(
            measure(args.worker, args.model, args.epochs, args.limit, args.data_dir, args.threads)
        )
    )


def run_worker(framework, model, args):
    env = dict(os.environ, NUMBA_NUM_THREADS=str(args.threads))
    command = [
        sys.executable,
        __file__,
        "--worker",
        framework,
        "--model",
        model,
        "--epochs",
        str(args.epochs),
        "--threads",
        str(args.threads),
    ]
    if args.limit:
        command += ["--limit", str(args.limit)]
    if args.data_dir:
        command += ["--data-dir", args.data_dir]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        if framework == "torch" and "No module named 'torch'" in result.stderr:
            return None
        raise RuntimeError(f"{framework} worker failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def help_start_time(repeats=5):
    command = [sys.executable, "-m", "tinygrad_cnn", "train", "--help"]
    subprocess.run(command, capture_output=True, check=True)  # warm the file cache
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="lenet5,keras-cnn")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--data-dir", default=os.environ.get("TINYGRAD_CNN_DATA"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker", choices=["ours", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    for model in args.models.split(","):
        ours = run_worker("ours", model, args)
        theirs = run_worker("torch", model, args)
        print(
            f"\n{model}: {ours['images']:,} training images, batch {BATCH}, {describe(model)}, "
            f"{args.threads} threads"
        )
        print(f"{'epoch':>5} {'ours s':>8} {'ours img/s':>11} {'ours acc':>9}", end="")
        print(
            f" {'torch s':>8} {'torch img/s':>12} {'torch acc':>10} {'time ratio':>11}"
            if theirs
            else ""
        )
        for epoch, mine in enumerate(ours["records"]):
            line = (
                f"{epoch + 1:>5} {mine['seconds']:>8.1f} {ours['images'] / mine['seconds']:>11.0f} "
                f"{mine['accuracy']:>9.4f}"
            )
            if theirs:
                other = theirs["records"][epoch]
                line += (
                    f" {other['seconds']:>8.1f} {ours['images'] / other['seconds']:>12.0f} "
                    f"{other['accuracy']:>10.4f} {mine['seconds'] / other['seconds']:>10.2f}x"
                )
            print(line)
        print(
            f"evaluating {10_000:,} test images: ours {ours['eval_seconds']:.2f} s"
            + (f", torch {theirs['eval_seconds']:.2f} s" if theirs else "")
        )
        print(
            f"peak memory (training; whole run): ours {ours['train_peak_mb']:.0f} MB; "
            f"{ours['peak_mb']:.0f} MB"
            + (
                f", torch {theirs['train_peak_mb']:.0f} MB; {theirs['peak_mb']:.0f} MB"
                if theirs
                else ""
            )
        )
        if theirs is None:
            print("PyTorch not installed: no comparison (pip install torch==2.13.0)")
    print(f"\nwarm `tinygrad-cnn train --help`: {help_start_time():.2f} s")


if __name__ == "__main__":
    main()
