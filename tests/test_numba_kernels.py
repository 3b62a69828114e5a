"""How the Numba kernels are built and run: lazily, cached on disk, split over our threads,
no-JIT mode."""

import contextlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F

SCRIPT = """
import json, numpy as np, numba
import tinygrad_cnn as tg, tinygrad_cnn.functional as F
from tinygrad_cnn.kernels import fast, runtime
x = tg.Tensor(np.arange(96, dtype=np.float32).reshape(3, 2, 4, 4), requires_grad=True)
w = tg.Tensor(np.ones((3, 2, 2, 2), dtype=np.float32), requires_grad=True)
with tg.tuned_for_training():
    threads = len(runtime._split) + 1 if runtime._split else 1
    out = F.max_pool2d(F.conv2d(x, w, padding=1), 2)
    out.sum().backward()
try:
    layer = numba.threading_layer()  # raises until a parallel (prange) kernel has run
except ValueError:
    layer = None
kernels = [fast._walk_columns, fast._max_pool2d_forward_2x2, fast._max_pool2d_backward_2x2]
stats = [getattr(k, "stats", None) for k in kernels]
print(json.dumps({
    "out": out.data.ravel().tolist(),
    "grad": x.grad.ravel().tolist(),
    "threads": threads,
    "numba_threading_layer": layer,
    "hits": sum(len(s.cache_hits) for s in stats if s),
    "misses": sum(len(s.cache_misses) for s in stats if s),
}))
"""


def run(env_updates):
    env = dict(os.environ, **env_updates)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_second_process_loads_compiled_kernels_from_the_disk_cache():
    run({})  # compiles, or loads what an earlier run cached
    second = run({})
    assert second["misses"] == 0 and second["hits"] >= 3


def test_threads_follow_numba_num_threads_with_the_same_results():
    one = run({"NUMBA_NUM_THREADS": "1"})
    two = run({"NUMBA_NUM_THREADS": "2"})
    assert one["threads"] == 1 and two["threads"] == 2
    assert one["out"] == two["out"] and one["grad"] == two["grad"]
    # our threads split the batch: Numba never starts a thread pool of its own
    assert one["numba_threading_layer"] is None and two["numba_threading_layer"] is None


def test_disable_jit_runs_the_same_kernels_as_python():
    jitted = run({})
    plain = run({"NUMBA_DISABLE_JIT": "1"})
    np.testing.assert_allclose(plain["out"], jitted["out"], rtol=1e-6)
    np.testing.assert_allclose(plain["grad"], jitted["grad"], rtol=1e-6)


def test_importing_the_package_leaves_the_kernels_uncompiled():
    code = "import sys, tinygrad_cnn.functional; print('numba' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_float32_stays_float32_through_conv_and_pool():
    x = tg.randn(2, 1, 8, 8, requires_grad=True)
    w = tg.randn(4, 1, 3, 3, requires_grad=True)
    out = F.avg_pool2d(F.max_pool2d(F.conv2d(x, w), 2), 1)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


@pytest.mark.parametrize("tuned", [False, True], ids=["library", "split over threads"])
def test_over_batch_runs_the_kernel_on_every_image_once(tuned, monkeypatch):
    from tinygrad_cnn.kernels import runtime

    monkeypatch.setattr(runtime, "SPLIT_FROM", 0)  # split even these tiny batches
    for n in (1, 2, 5):
        images, visits, slices = np.arange(n * 3.0).reshape(n, 3), np.zeros(n), []

        def add_offset(start, stop, images, visits, slices, offset):  # its own images only
            slices.append((start, stop))
            visits[start:stop] += images[start:stop, 0] + offset

        with runtime.tuned_for_training() if tuned else contextlib.nullcontext():
            threads = len(runtime._split) + 1 if runtime._split else 1
            runtime.over_batch(add_offset, n, images, visits, slices, 10.0)
        np.testing.assert_array_equal(visits, images[:, 0] + 10.0)  # each image exactly once
        assert len(slices) == min(threads, n)  # the calling thread and each worker: one slice


def test_a_slice_that_fails_raises_in_the_caller_and_the_workers_carry_on(monkeypatch):
    from tinygrad_cnn.kernels import runtime

    monkeypatch.setattr(runtime, "SPLIT_FROM", 0)

    def fails_after_the_first_slice(start, stop, out):
        if start > 0:
            raise ValueError(f"images {start}..{stop - 1}")
        out[start:stop] = 1

    with runtime.tuned_for_training():
        if not runtime._split:
            pytest.skip("one thread: nothing is handed to a worker")
        out = np.zeros(8)
        with pytest.raises(ValueError, match="images 4..7"):
            runtime.over_batch(fails_after_the_first_slice, 8, out)
        runtime.over_batch(lambda start, stop, out: out.__setitem__(slice(start, stop), 2), 8, out)
    np.testing.assert_array_equal(out, 2)


def test_workers_that_fell_asleep_wake_for_the_next_slice(monkeypatch):
    """A worker polls for new work a few milliseconds, then sleeps; both ways it runs every
    slice given to it (here it polls ten times only, so it is asleep at each new slice)."""
    import time

    from tinygrad_cnn.kernels import crew, runtime

    monkeypatch.setattr(runtime, "SPLIT_FROM", 0)
    monkeypatch.setattr(crew, "POLLS", 10)

    def count(start, stop, visits):
        visits[start:stop] += 1

    visits = np.zeros(6)
    with runtime.tuned_for_training():
        for _ in range(20):
            runtime.over_batch(count, 6, visits)
            time.sleep(0.001)
    np.testing.assert_array_equal(visits, 20)


def test_a_second_thread_calling_while_the_workers_are_busy_runs_its_kernel_whole(monkeypatch):
    """The workers serve one caller at a time; another thread's call meanwhile runs on that
    thread alone, and both get every image done once."""
    import threading

    from tinygrad_cnn.kernels import runtime

    monkeypatch.setattr(runtime, "SPLIT_FROM", 0)
    inside, release = threading.Event(), threading.Event()

    def hold(start, stop, visits):  # the first caller's slices wait until told to go on
        inside.set()
        release.wait(5)
        visits[start:stop] += 1

    def count(start, stop, visits, slices):
        slices.append((start, stop))
        visits[start:stop] += 1

    first, second, slices = np.zeros(8), np.zeros(8), []
    with runtime.tuned_for_training():
        if not runtime._split:
            pytest.skip("one thread: no workers to share")
        caller = threading.Thread(target=runtime.over_batch, args=(hold, 8, first))
        caller.start()
        inside.wait(5)
        runtime.over_batch(count, 8, second, slices)  # the workers are taken: runs whole
        release.set()
        caller.join()
    np.testing.assert_array_equal(first, 1)
    np.testing.assert_array_equal(second, 1)
    assert slices == [(0, 8)]
