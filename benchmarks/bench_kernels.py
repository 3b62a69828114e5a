"""Convolution and pooling kernels: fast (Numba + BLAS) vs PyTorch CPU vs the reference loops.

For each case: median milliseconds of the forward and of forward + backward, through the
public API (F.conv2d, F.max_pool2d), for tinygrad_cnn and for PyTorch when installed (ratio
measured in the same run, same number of threads). PyTorch runs in a child process: its
OpenMP threads spin-wait after each op and would slow whatever runs next in the same
process (measured: our 32->64 conv forward took 15 ms beside them instead of 3.3 ms).
The reference loops are pure Python, so they run on a batch of one image and are compared
per image. Then the compile cost: the first call in a
process with an empty Numba cache, and in a second process with the cache warm.

    python benchmarks/bench_kernels.py [--repeats 20] [--threads 2]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

CASES = [
    # name, x shape, weight shape (None for pooling), padding, input needs a gradient
    ("conv 1->6 5x5 pad 2", (64, 1, 28, 28), (6, 1, 5, 5), 2, False),
    ("conv 6->16 5x5", (64, 6, 14, 14), (16, 6, 5, 5), 0, True),
    ("conv 32->64 3x3", (64, 32, 13, 13), (64, 32, 3, 3), 0, True),
    ("max pool 2x2", (64, 6, 28, 28), None, 0, True),
]


def median_ms(function, repeats):
    function()  # warm up (and compile)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1e3


def ours(x_shape, w_shape, padding, input_grad, kernels=None):
    """(forward, forward+backward) closures for tinygrad_cnn."""
    import tinygrad_cnn as tg
    from tinygrad_cnn.ops.conv import Conv2d
    from tinygrad_cnn.ops.pool import MaxPool2d

    generator = np.random.default_rng(0)
    x = tg.Tensor(generator.standard_normal(x_shape, dtype=np.float32), requires_grad=input_grad)
    if w_shape is None:

        def apply():
            return MaxPool2d.apply(x, kernel_size=2, kernels=kernels)
    else:
        w = tg.Tensor(generator.standard_normal(w_shape, dtype=np.float32), requires_grad=True)
        b = tg.Tensor(np.zeros(w_shape[0], np.float32), requires_grad=True)

        def apply():
            return Conv2d.apply(x, w, b, padding=padding, kernels=kernels)

    def forward():
        with tg.no_grad():
            apply()

    def forward_backward():
        out = apply()
        out.backward(np.ones(out.shape, np.float32))

    return forward, forward_backward


def pytorch(torch, x_shape, w_shape, padding, input_grad):
    """(forward, forward+backward) closures for PyTorch."""
    generator = np.random.default_rng(0)
    x = torch.tensor(generator.standard_normal(x_shape, dtype=np.float32), requires_grad=input_grad)
    if w_shape is None:

        def apply():
            return torch.nn.functional.max_pool2d(x, 2)
    else:
        w = torch.tensor(generator.standard_normal(w_shape, dtype=np.float32), requires_grad=True)
        b = torch.zeros(w_shape[0], requires_grad=True)

        def apply():
            return torch.nn.functional.conv2d(x, w, b, padding=padding)

    def forward():
        with torch.no_grad():
            apply()

    def forward_backward():
        out = apply()
        out.backward(torch.ones_like(out))

    return forward, forward_backward


COMPILE_SCRIPT = """
import json, time, numpy as np
start = time.perf_counter()
import tinygrad_cnn as tg, tinygrad_cnn.functional as F
imported = time.perf_counter()
for dtype in (np.float32, np.float64):
    x = tg.Tensor(np.ones((2, 3, 8, 8), dtype), requires_grad=True)
    w = tg.Tensor(np.ones((4, 3, 3, 3), dtype), requires_grad=True)
    out = F.avg_pool2d(F.max_pool2d(F.conv2d(x, w, padding=1), 2), 2)
    out.sum().backward()
print(json.dumps({"import": imported - start, "first_calls": time.perf_counter() - imported}))
"""


def compile_times():
    """(cold, warm): first-call seconds for all kernels in both dtypes, empty then warm cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        runs = []
        for _ in range(2):
            result = subprocess.run(
                [sys.executable, "-c", COMPILE_SCRIPT],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            runs.append(json.loads(result.stdout))
    return runs


def pytorch_timings(threads, repeats):
    """{case name: (fwd ms, f+b ms)} measured in a child process, or None without PyTorch."""
    command = [
        sys.executable,
        __file__,
        "--torch-worker",
        "--threads",
        str(threads),
        "--repeats",
        str(repeats),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        return None
    return json.loads(result.stdout)


def torch_worker(threads, repeats):
    import torch

    torch.set_num_threads(threads)
    timings = {}
    for name, x_shape, w_shape, padding, input_grad in CASES:
        forward, forward_backward = pytorch(torch, x_shape, w_shape, padding, input_grad)
        timings[name] = (median_ms(forward, repeats), median_ms(forward_backward, repeats))
    print(json.dumps(timings))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument(
        "--threads", type=int, default=2, help="PyTorch threads (Numba: NUMBA_NUM_THREADS)"
    )
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_worker:
        return torch_worker(args.threads, args.repeats)
    os.environ.setdefault("NUMBA_NUM_THREADS", str(args.threads))
    torch = pytorch_timings(args.threads, args.repeats)
    if torch is None:
        print("PyTorch not installed: no comparison (pip install torch==2.13.0)\n")
    from tinygrad_cnn import tuned_for_training
    from tinygrad_cnn.kernels import reference

    header = f"{'case':<22}{'fwd ms':>9}{'f+b ms':>9}"
    if torch:
        header += f"{'torch fwd':>11}{'torch f+b':>11}{'ratio fwd':>11}{'ratio f+b':>11}"
    if not args.skip_reference:
        header += f"{'ref f+b ms/img':>16}{'speedup':>9}"
    print(header)
    with tuned_for_training():  # the kernels as training runs them (training.Run.fit)
        for name, x_shape, w_shape, padding, input_grad in CASES:
            forward, forward_backward = ours(x_shape, w_shape, padding, input_grad)
            fwd, fb = median_ms(forward, args.repeats), median_ms(forward_backward, args.repeats)
            row = f"{name:<22}{fwd:>9.3f}{fb:>9.3f}"
            if torch:
                t_fwd, t_fb = torch[name]
                row += f"{t_fwd:>11.3f}{t_fb:>11.3f}{fwd / t_fwd:>10.2f}x{fb / t_fb:>10.2f}x"
            if not args.skip_reference:
                one_image = (1,) + x_shape[1:]
                _, ref_forward_backward = ours(one_image, w_shape, padding, input_grad, reference)
                ref_ms = median_ms(ref_forward_backward, 1)
                per_image = fb / x_shape[0]
                row += f"{ref_ms:>16.1f}{ref_ms / per_image:>8.0f}x"
            print(row, flush=True)

    cold, warm = compile_times()
    print(f"\nimport tinygrad_cnn: {cold['import']:.2f} s")
    print(
        f"first calls, empty Numba cache (compiles every kernel for float32 and float64): "
        f"{cold['first_calls']:.1f} s"
    )
    print(f"first calls, second process with a warm cache: {warm['first_calls']:.2f} s")


if __name__ == "__main__":
    main()
