"""The engine used as a library leaves its host process as it found it; the training tuning
(BLAS on one thread, the batch split over our threads, glibc keeping freed memory) holds only
inside ``tuned_for_training()``. Each test runs in a fresh process, since the settings are
process-wide."""

import ctypes
import json
import os
import subprocess
import sys

import pytest

PRELUDE = """
import json, os, threading
import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits
import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import models
from tinygrad_cnn.kernels import runtime

def blas():
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

def lenet_step():
    tg.manual_seed(0)
    model = models.lenet5()
    x = tg.Tensor(np.random.default_rng(0).standard_normal((8, 1, 28, 28), dtype=np.float32))
    loss = F.cross_entropy(model(x), np.arange(8) % 10)
    loss.backward()
    return float(loss.data)

seen = {}
"""


def probe(body, **env):
    """Run PRELUDE + body in a fresh interpreter; body fills ``seen``, which comes back."""
    script = PRELUDE + body + "\nprint(json.dumps(seen))\n"
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=dict(os.environ, **env),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_lenet_forward_backward_leaves_blas_threads_and_the_environment_alone():
    seen = probe(
        """
seen["before"], seen["env_before"] = blas(), dict(os.environ)
lenet_step()
seen["after"], seen["env_after"] = blas(), dict(os.environ)
seen["split"] = runtime._split is not None
""",
        NUMBA_NUM_THREADS="2",
    )
    assert seen["before"], "numpy should have loaded a BLAS"
    assert seen["after"] == seen["before"]
    assert seen["env_after"] == seen["env_before"]
    assert not seen["split"]


def test_a_thread_count_you_chose_survives_library_use():
    seen = probe(
        """
threadpool_limits(limits=3, user_api="blas")  # the host's own choice
seen["before"] = blas()
lenet_step()
F.conv2d(tg.randn(4, 3, 8, 8), tg.randn(5, 3, 3, 3)).sum()
seen["after"] = blas()
"""
    )
    assert seen["before"] == [3] * len(seen["before"]) and seen["after"] == seen["before"]


def test_inside_the_block_blas_runs_on_one_thread_and_the_batch_is_split_then_all_undone():
    seen = probe(
        """
threadpool_limits(limits=3, user_api="blas")
threads = threading.active_count()
seen["plain"] = lenet_step()
with tg.tuned_for_training():
    seen["inside"], seen["slices"] = blas(), len(runtime._split) + 1
    seen["tuned"] = lenet_step()
seen["after"], seen["split_after"] = blas(), runtime._split
seen["threads_left"] = threading.active_count() - threads
""",
        NUMBA_NUM_THREADS="2",
    )
    assert seen["inside"] == [1] * len(seen["inside"])
    assert seen["slices"] == 2
    assert seen["tuned"] == pytest.approx(seen["plain"], rel=1e-6)
    assert seen["after"] == [3] * len(seen["after"])
    assert seen["split_after"] is None and seen["threads_left"] == 0


def test_nested_blocks_undo_at_the_outermost_exit_and_an_exception_still_undoes():
    seen = probe(
        """
threadpool_limits(limits=3, user_api="blas")
with tg.tuned_for_training():
    with tg.tuned_for_training():
        pass
    seen["after_inner"] = blas()
try:
    with tg.tuned_for_training():
        raise KeyError("boom")
except KeyError:
    seen["after_error"] = blas()
"""
    )
    assert seen["after_inner"] == [1] * len(seen["after_inner"])
    assert seen["after_error"] == [3] * len(seen["after_error"])


def test_tune_runtime_0_makes_the_block_change_nothing():
    seen = probe(
        """
threadpool_limits(limits=3, user_api="blas")
with tg.tuned_for_training():
    seen["inside"], seen["split"] = blas(), runtime._split is not None
""",
        TINYGRAD_CNN_TUNE_RUNTIME="0",
    )
    assert seen["inside"] == [3] * len(seen["inside"]) and not seen["split"]


def has_mallinfo2():
    try:
        return hasattr(ctypes.CDLL("libc.so.6"), "mallinfo2")
    except OSError:  # not Linux, or not glibc
        return False


@pytest.mark.skipif(not has_mallinfo2(), reason="needs glibc 2.33+ (mallinfo2)")
def test_glibc_keeps_freed_memory_inside_the_block_and_maps_large_blocks_again_after():
    seen = probe(
        """
import ctypes
libc = ctypes.CDLL("libc.so.6")
FIELDS = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
class Info(ctypes.Structure):  # struct mallinfo2 (glibc 2.33+): hblkhd = bytes in mmapped blocks
    _fields_ = [(name, ctypes.c_size_t) for name in FIELDS.split()]
libc.mallinfo2.restype = Info
def mapped_while_holding(nbytes):
    before = libc.mallinfo2().hblkhd
    block = np.ones(nbytes, np.uint8)
    return libc.mallinfo2().hblkhd - before
with tg.tuned_for_training():
    seen["inside"] = mapped_while_holding(4 << 20)
seen["after"] = mapped_while_holding(1 << 20)
"""
    )
    assert seen["inside"] == 0  # served from the heap
    assert seen["after"] >= 1 << 20  # mmapped: the 128 KiB threshold is back


def test_run_fit_trains_tuned_and_gives_the_process_back(mnist_dir, tmp_path):
    seen = probe(
        f"""
from tinygrad_cnn.training import Run, TrainConfig
threadpool_limits(limits=3, user_api="blas")
config = TrainConfig(data_dir={str(mnist_dir)!r}, limit=128, batch_size=32, epochs=1, seed=0)
during = []
def should_stop():
    during.append(blas())
    return False
Run(config, {str(tmp_path / "run")!r}, lambda line: None).fit(should_stop=should_stop)
seen["during"], seen["after"] = during, blas()
"""
    )
    assert seen["during"] and all(counts == [1] * len(counts) for counts in seen["during"])
    assert seen["after"] == [3] * len(seen["after"])
