"""Per-op overhead of small-tensor forward + backward, beside PyTorch in the same run.

A chain of N adds and N muls on 10-element tensors, then one backward through all 2N ops:
the time per op is almost all framework overhead (Python, graph bookkeeping), not arithmetic.

    python benchmarks/bench_overhead.py [--ops 10000] [--repeats 7]
"""

import argparse
import statistics
import time

import numpy as np

import tinygrad_cnn as tg


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=10_000, help="adds + muls per chain")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    n = args.ops // 2
    values = np.random.default_rng(0).standard_normal((2, 10)).astype(np.float32)

    def ours():
        return tg.Tensor(values[0], requires_grad=True), tg.Tensor(values[1], requires_grad=True)

    time_one(ours, 100, 1)  # warm up
    mine = time_one(ours, n, args.repeats)
    print(f"{'framework':<14}{'us per op (fwd+bwd)':>22}")
    print(f"{'tinygrad_cnn':<14}{mine * 1e6:>22.2f}")
    try:
        import torch
    except ImportError:
        print("PyTorch not installed: no ratio (pip install torch==2.13.0)")
        return
    torch.set_num_threads(2)

    def theirs():
        return (
            torch.tensor(values[0], requires_grad=True),
            torch.tensor(values[1], requires_grad=True),
        )

    time_one(theirs, 100, 1)
    reference = time_one(theirs, n, args.repeats)
    print(f"{'torch ' + torch.__version__:<14}{reference * 1e6:>22.2f}")
    print(f"ratio tinygrad_cnn / torch: {mine / reference:.2f}x")


if __name__ == "__main__":
    main()
