"""Train on real MNIST in tinygrad_cnn and, when installed, in PyTorch CPU, the same recipe
on the same data in the same run: images per second, seconds and test accuracy per epoch,
peak memory, and the ratios. Also the start time of a warm `tinygrad-cnn train --help`.

Recipe for both: batch 64, Adam (lr 2e-3, cosine to 0 over the run, per step), the training
images normalized with MNIST's mean and std, reshuffled every epoch. Each framework trains in
its own process (their idle OpenMP threads would slow each other down).

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


def load(data_dir, limit):
    from tinygrad_cnn.data import load_mnist

    (x, y), (test_x, test_y) = load_mnist(data_dir)
    x, y = x[:limit], y[:limit]

    def normalize(images):
        return ((images[:, None].astype(np.float32) / 255 - MEAN) / STD).astype(np.float32)

    return normalize(x), y.astype(np.int64), normalize(test_x), test_y.astype(np.int64)


def cosine(step, total, lr=2e-3):
    return lr * (1 + math.cos(math.pi * step / total)) / 2


def train_ours(model_name, epochs, x, y, test_x, test_y, batch=64):
    import tinygrad_cnn as tg
    import tinygrad_cnn.functional as F
    from tinygrad_cnn import models, optim

    tg.manual_seed(0)
    model = models.MODELS[model_name]()
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    steps, total = 0, epochs * math.ceil(len(y) / batch)
    records = []
    with tg.tuned_for_training():  # as training.Run.fit does
        for _ in range(epochs):
            order = tg.rng.generator().permutation(len(y))
            start = time.perf_counter()
            model.train()
            for first in range(0, len(y), batch):
                chosen = order[first : first + batch]
                optimizer.param_groups[0]["lr"] = cosine(steps, total)
                optimizer.zero_grad()
                F.cross_entropy(model(tg.Tensor(x[chosen])), y[chosen]).backward()
                optimizer.step()
                steps += 1
            seconds = time.perf_counter() - start
            model.eval()
            with tg.no_grad():
                predicted = np.concatenate(
                    [
                        model(tg.Tensor(test_x[i : i + 1000])).data.argmax(axis=1)
                        for i in range(0, len(test_y), 1000)
                    ]
                )
            records.append({"seconds": seconds, "accuracy": float(np.mean(predicted == test_y))})
    return records


def train_pytorch(model_name, epochs, x, y, test_x, test_y, threads, batch=64):
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    from pytorch_models import build

    model = build(model_name)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    steps, total = 0, epochs * math.ceil(len(y) / batch)
    generator = np.random.default_rng(0)
    records = []
    for _ in range(epochs):
        order = torch.from_numpy(generator.permutation(len(y)))
        start = time.perf_counter()
        model.train()
        for first in range(0, len(y), batch):
            chosen = order[first : first + batch]
            optimizer.param_groups[0]["lr"] = cosine(steps, total)
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x[chosen]), y[chosen]).backward()
            optimizer.step()
            steps += 1
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            predicted = model(torch.from_numpy(test_x)).argmax(dim=1).numpy()
        records.append({"seconds": seconds, "accuracy": float(np.mean(predicted == test_y))})
    return records


def worker(args):
    """Run one framework and print its records as JSON (used in a child process)."""
    x, y, test_x, test_y = load(args.data_dir, args.limit)
    if args.worker == "torch":
        records = train_pytorch(args.model, args.epochs, x, y, test_x, test_y, args.threads)
    else:
        records = train_ours(args.model, args.epochs, x, y, test_x, test_y)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"records": records, "peak_mb": peak_mb, "images": len(y)}))


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
            f"\n{model}: {ours['images']:,} training images, batch 64, Adam, {args.threads} threads"
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
            f"peak memory: ours {ours['peak_mb']:.0f} MB"
            + (f", torch {theirs['peak_mb']:.0f} MB" if theirs else "")
        )
        if theirs is None:
            print("PyTorch not installed: no comparison (pip install torch==2.13.0)")
    print(f"\nwarm `tinygrad-cnn train --help`: {help_start_time():.2f} s")


if __name__ == "__main__":
    main()
