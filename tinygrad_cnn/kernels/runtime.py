"""How the fast kernels share the machine with BLAS, and the tuning that makes training fast.

Using the engine as a library leaves the process as it found it: a convolution called from
your code (``F.conv2d``, a ``Module``) changes no BLAS thread count, no allocator setting and
no environment variable. Training is different. A training step alternates Numba kernels
(im2col, pooling) with BLAS matrix products, many times per step, and two defaults made it
about twice as slow as it should be on two cores:

1. Idle threads spin. After a parallel region, OpenBLAS's threads busy-wait for more work,
   taking the cores from whatever runs next (an im2col + matmul took 8 ms instead of 3).
   Tuned, BLAS runs on one thread, and our own threads (one per core) split the batch
   instead: ``over_batch`` gives each a slice of the images, for a kernel or for a layer's
   im2col and matrix products together. Our workers (``crew.py``) do poll for work too, but
   only for a few milliseconds after each slice, which covers the gaps inside a training
   step (a hand-off then takes 0.05 ms instead of 0.24 for a sleeping thread); then they
   sleep.
2. Freed memory goes back to Linux. Each step frees and re-allocates tens of megabytes of
   activations and im2col columns; glibc returns freed heap memory to the kernel, and the
   next step pays a page fault for every 4 KiB it touches first: half of a LeNet-5 step.
   PyTorch avoids this with its caching allocator; tuned, we ask glibc to keep blocks up to
   32 MiB in its heap and not to trim it.

``tuned_for_training()`` applies both for the block it wraps (``training.Run.fit``, the CLI's
evaluation and the benchmarks use it; in your own loop, ``with tg.tuned_for_training():``) and
undoes them on exit: threadpoolctl gives BLAS its thread counts back, our threads end, glibc's
thresholds return to their start-up values and the memory it kept is handed back
(``malloc_trim``). Outside a block the kernels run on the calling thread alone.

What cannot be undone: glibc adjusts its thresholds by itself until a program first calls
``mallopt``; after a tuned block they are fixed at their start-up values (128 KiB, or your
``MALLOC_*`` settings).

``NUMBA_NUM_THREADS`` (default: the number of cores) sets the number of threads of a tuned
block; with more threads than the process has cores, the workers sleep between slices
instead of polling. ``TINYGRAD_CNN_TUNE_RUNTIME=0`` makes ``tuned_for_training()`` do nothing.
"""

import contextlib
import ctypes
import os
import sys
import threading

import numpy as np

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
GLIBC_DEFAULT_THRESHOLD = 128 * 1024  # both thresholds, before glibc adjusts them
KEEP_BLOCKS_UP_TO = 32 * 1024 * 1024
NEVER_TRIM = 2**31 - 1

# Handing a slice to a worker and getting it back costs about 0.06 ms on this 2-core machine
# (see crew.py), more than a kernel saves on arrays below about half a million elements (a
# LeNet-5 pooling layer): those run whole, on the calling thread.
SPLIT_FROM = 500_000

_lock = threading.Lock()
_depth = 0  # how many tuned_for_training blocks are open: the first applies, the last undoes
_undo = None
_split = None  # inside a tuned block: the workers (threads besides the caller)
_split_lock = threading.Lock()  # held by the thread whose slices the workers are running


@contextlib.contextmanager
def tuned_for_training():
    """Within the block, BLAS runs on one thread, convolution products split the batch over
    our threads, and glibc keeps freed memory; all undone on exit, an exception's too. Blocks
    may nest (the first to open applies, the last to close undoes). The settings are
    process-wide while a block is open: use it around a training loop, not your other work."""
    global _depth, _undo
    with _lock:
        if _depth == 0:
            _undo = _tune()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _undo()


def _tune():
    """Apply the training settings; return the function that undoes them."""
    global _split
    if os.environ.get("TINYGRAD_CNN_TUNE_RUNTIME", "1") == "0":
        return lambda: None
    import numba
    from threadpoolctl import threadpool_limits

    from tinygrad_cnn.kernels.crew import Worker

    blas = threadpool_limits(limits=1, user_api="blas")
    kept = _set_allocator(KEEP_BLOCKS_UP_TO, NEVER_TRIM)
    slices = numba.config.NUMBA_NUM_THREADS  # the machine's cores, unless the variable says
    workers = [Worker(poll=slices <= _usable_cores()) for _ in range(slices - 1)]
    _split = workers or None

    def undo():
        global _split
        _split = None
        for worker in workers:
            worker.close()
        blas.restore_original_limits()
        if kept:
            _set_allocator(*_startup_thresholds())
            _libc().malloc_trim(0)

    return undo


def _usable_cores():
    """The cores this process may run on (fewer than the machine's under ``taskset``)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _libc():
    """glibc, or None on another platform or C library (musl): the allocator is left alone."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def _set_allocator(mmap_threshold, trim_threshold):
    """Serve allocations below mmap_threshold from the heap; trim the heap's free top beyond
    trim_threshold. True if glibc took both."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold)) and bool(
        libc.mallopt(M_TRIM_THRESHOLD, trim_threshold)
    )


def _startup_thresholds():
    """(mmap, trim) thresholds as glibc set them at start-up: its defaults, or what
    ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` or ``GLIBC_TUNABLES`` asked for."""
    tunables = dict(
        item.split("=", 1)
        for item in os.environ.get("GLIBC_TUNABLES", "").split(":")
        if "=" in item
    )
    values = []
    for name in ("mmap_threshold", "trim_threshold"):
        given = tunables.get(f"glibc.malloc.{name}") or os.environ.get(f"MALLOC_{name.upper()}_")
        values.append(int(given) if given and given.isdigit() else GLIBC_DEFAULT_THRESHOLD)
    return tuple(values)


def over_batch(kernel, n, *arguments, work=0):
    """``kernel(start, stop, *arguments)`` for the images start..stop-1 of a batch of ``n``.
    Inside ``tuned_for_training`` each thread runs the kernel on its own slice of the batch
    (the kernels release the GIL, and numpy's matrix products too); outside, for less work
    than ``SPLIT_FROM`` elements (the largest array among the arguments, or ``work`` if the
    kernel goes through more), or while another thread has the workers, it runs once, on the
    calling thread, with start 0 and stop n."""
    workers = _split
    work = max([work] + [a.size for a in arguments if isinstance(a, np.ndarray)])
    if workers is None or n < 2 or work < SPLIT_FROM or not _split_lock.acquire(blocking=False):
        kernel(0, n, *arguments)
        return
    try:
        slices = min(len(workers) + 1, n)
        bounds = [n * k // slices for k in range(slices + 1)]  # slices differing by 1 at most
        caller_errors = np.geterr()  # np.errstate is per thread: the workers take the caller's

        def part(start, stop):
            with np.errstate(**caller_errors):
                kernel(start, stop, *arguments)

        busy = workers[: slices - 1]
        for worker, start, stop in zip(busy, bounds[1:-1], bounds[2:]):
            worker.post(part, start, stop)
        try:
            part(bounds[0], bounds[1])  # this thread takes the first slice
        finally:
            for worker in busy:  # all of them, even when a slice failed: no job left running
                worker.wait()
    finally:
        _split_lock.release()
