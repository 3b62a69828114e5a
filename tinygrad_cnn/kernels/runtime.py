"""How the fast kernels share the machine: threads and memory, tuned once per process.

A training step alternates Numba kernels (im2col, pooling) with BLAS matrix products, many
times per step. Two defaults made it about twice as slow as it should be on two cores:

1. Idle threads spin. After a parallel region, Numba's OpenMP threads and OpenBLAS's threads
   busy-wait for more work, taking the cores from whatever runs next (an im2col + matmul took
   8 ms instead of 3). We make OpenMP threads sleep (``OMP_WAIT_POLICY=PASSIVE``, read when
   OpenMP starts, at the first parallel kernel) and run BLAS on one thread, splitting the
   batch across our own threads instead (``matmul_over_batch``): no spinning pool left.
2. Freed memory goes back to Linux. Each step frees and re-allocates tens of megabytes of
   activations and im2col columns; glibc returns freed heap memory to the kernel, and the
   next step pays a page fault for every 4 KiB it touches first: half of a LeNet-5 step.
   PyTorch avoids this with its caching allocator; we ask glibc to keep blocks up to 32 MiB
   in its heap and not to trim it (``keep_freed_memory``).

``NUMBA_NUM_THREADS`` sets the number of threads for both the kernels and the split matmuls.
``TINYGRAD_CNN_TUNE_RUNTIME=0`` leaves BLAS threads and the allocator alone.
"""

import ctypes
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from threadpoolctl import threadpool_limits

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3

_workers = None  # threads that take slices of matmul_over_batch, besides the caller
_slices = 1


def keep_freed_memory():
    """Serve allocations up to 32 MiB from glibc's heap and never trim it (Linux/glibc)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # another C library (musl): leave it
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024)) and bool(
        libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1)
    )


def configure():
    """Apply the settings above (called once, when the fast kernels are imported)."""
    global _workers, _slices
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if os.environ.get("TINYGRAD_CNN_TUNE_RUNTIME", "1") == "0":
        return
    keep_freed_memory()
    threadpool_limits(limits=1, user_api="blas")
    _slices = numba.config.NUMBA_NUM_THREADS
    if _slices > 1:
        _workers = ThreadPoolExecutor(_slices - 1)


def matmul_over_batch(a, b):
    """``np.matmul(a, b)`` where a or b (or both) is a stack of matrices along axis 0; the
    stack is split into one slice per thread and each thread runs its slice's products."""
    n = (a if a.ndim == 3 else b).shape[0]
    out = np.empty((n, a.shape[-2], b.shape[-1]), dtype=np.result_type(a.dtype, b.dtype))
    if _workers is None or n < 2:
        return np.matmul(a, b, out=out)
    bounds = np.linspace(0, n, _slices + 1).astype(int)

    def part(lo, hi):
        np.matmul(a[lo:hi] if a.ndim == 3 else a, b[lo:hi] if b.ndim == 3 else b, out=out[lo:hi])

    pending = [_workers.submit(part, lo, hi) for lo, hi in zip(bounds[1:-1], bounds[2:])]
    part(bounds[0], bounds[1])  # this thread takes the first slice
    for job in pending:
        job.result()
    return out
