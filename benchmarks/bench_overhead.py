"""Per-op overhead of small-tensor forward + backward, beside PyTorch in the same run.

A chain of N adds and N muls on 10-element tensors, then one backward through all 2N ops:
the time per op is almost all framework overhead (Python, graph bookkeeping), not arithmetic.

    python benchmarks/bench_overhead.py [--ops 10000] [--repeats 7]
"""

import argparse
import statistics
import time

import numpy as np


def chain(a, b, n):
    x = a
    for _ in range(n):
        x = x + b
        x = x * 0.5
    return x.sum()


def time_one(make_inputs, n, repeats):
    """Median seconds per op (forward + backward) over ``repeats`` runs."""
    timings = []
    for _ in range(repeats):
        a, b = make_inputs()
        start = time.perf_counter()
        chain(a, b, n).backward()
        timings.append((time.perf_counter() - start) / (2 * n))
    return statistics.median(timings)


def measure(framework, ops=10_000, repeats=7, threads=2):
    """Median seconds per op of ``framework`` ("ours" or "torch"); ImportError without it."""
    values = np.random.default_rng(0).standard_normal((2, 10)).astype(np.float32)
    if framework == "torch":
        import torch

        torch.set_num_threads(threads)
        make = torch.tensor
    else:
        import tinygrad_cnn as tg

        make = tg.Tensor

    def inputs():
        return make(values[0], requires_grad=True), make(values[1], requires_grad=True)

    time_one(inputs, 100, 1)  # warm up
    return time_one(inputs, ops // 2, repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=10_000, help="adds + muls per chain")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    mine = measure("ours", args.ops, args.repeats)
    print(f"{'framework':<14}{'us per op (fwd+bwd)':>22}")
    print(f"{'tinygrad_cnn':<14}{mine * 1e6:>22.2f}")
    try:
        reference = measure("torch", args.ops, args.repeats)
    except ImportError:
        print("PyTorch not installed: no ratio (pip install torch==2.13.0)")
        return
    import torch

    print(f"{'torch ' + torch.__version__:<14}{reference * 1e6:>22.2f}")
    print(f"ratio tinygrad_cnn / torch: {mine / reference:.2f}x")


if __name__ == "__main__":
    main()
