"""One LeNet-5 training step (batch 64: forward, cross-entropy, backward, Adam step), in
milliseconds, beside PyTorch CPU measured in a child process of the same run (separate so
that neither library's idle OpenMP threads slow the other).

`first_steps` (used by run_all.py) times a new process's first few steps instead, from before
the framework's import: with an empty Numba cache that includes compiling the kernels.

    python benchmarks/bench_step.py [--repeats 50] [--threads 2] [--batch 64]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np


def median_ms(step, repeats):
    for _ in range(5):
        step()  # warm up (compiles the kernels on a first run)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1e3


def batch(size):
    generator = np.random.default_rng(0)
    x = generator.standard_normal((size, 1, 28, 28), dtype=np.float32)
    return x, generator.integers(0, 10, size)


def ours(batch_size, repeats):
    import tinygrad_cnn as tg
    import tinygrad_cnn.functional as F
    from tinygrad_cnn import models, optim

    x, y = batch(batch_size)
    x = tg.Tensor(x)
    model = models.lenet5()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    with tg.tuned_for_training():  # as training.Run.fit does
        return median_ms(step, repeats)


def pytorch(batch_size, repeats, threads):
    import torch
    from pytorch_models import build
    from torch import nn

    torch.set_num_threads(threads)
    x, y = batch(batch_size)
    x, y = torch.tensor(x), torch.tensor(y)
    model = build("lenet5")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    return median_ms(step, repeats)


def first_steps(framework, steps=3, batch_size=64, threads=2):
    """Seconds from importing ``framework`` ("ours" or "torch") to the end of its first
    ``steps`` LeNet-5 training steps; meaningful in a fresh process only."""
    start = time.perf_counter()
    if framework == "torch":
        import torch
        from pytorch_models import build
        from torch import nn

        torch.set_num_threads(threads)
        x, y = (torch.tensor(array) for array in batch(batch_size))
        model = build("lenet5")
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        for _ in range(steps):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        return time.perf_counter() - start
    import tinygrad_cnn as tg
    import tinygrad_cnn.functional as F
    from tinygrad_cnn import models, optim

    x, y = batch(batch_size)
    x = tg.Tensor(x)
    model = models.lenet5()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    with tg.tuned_for_training():
        for _ in range(steps):
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_worker:
        print(json.dumps(pytorch(args.batch, args.repeats, args.threads)))
        return
    os.environ.setdefault("NUMBA_NUM_THREADS", str(args.threads))
    command = [
        sys.executable,
        __file__,
        "--torch-worker",
        "--repeats",
        str(args.repeats),
        "--threads",
        str(args.threads),
        "--batch",
        str(args.batch),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    mine = ours(args.batch, args.repeats)
    print(f"LeNet-5 training step, batch {args.batch}, {args.threads} threads (median ms)")
    print(f"{'tinygrad_cnn':<20}{mine:>8.2f}")
    if result.returncode != 0:
        print("PyTorch not installed: no ratio (pip install torch==2.13.0)")
        return
    reference = json.loads(result.stdout)
    print(f"{'PyTorch':<20}{reference:>8.2f}")
    print(f"ratio tinygrad_cnn / PyTorch: {mine / reference:.2f}x")


if __name__ == "__main__":
    main()
