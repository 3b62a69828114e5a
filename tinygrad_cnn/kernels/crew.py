"""The worker threads of a tuned block (``runtime.over_batch``), quick to pick up work.

Handing a slice of the batch to a thread that sleeps costs the time the operating system
takes to wake it: a median of 0.24 ms on this 2-core virtual machine (measured: an empty
hand-off with a ``ThreadPoolExecutor``), several times per training step. A ``Worker``
instead keeps polling for new work for about a millisecond after each job, the way OpenMP
threads spin: a job posted in that time starts within microseconds, and the hand-off drops
to about 0.06 ms (most of that is the wait for Python's GIL). A worker idle for longer goes
to sleep and costs nothing; so does the caller waiting for a slow worker.

The polling runs in a Numba function that releases the GIL, reading a small integer array
that the two threads share: ``posted`` (the number of the latest job) and ``done`` (the
number of the last job finished).
"""

import threading

import numpy as np
from numba import njit

POSTED, DONE = 0, 1
POLLS = 10_000_000  # about 5 ms of polling on this machine


@njit(cache=True, nogil=True)
def _wait_for_change(counters, at, old, polls, scratch, mark_at, mark):
    """Set ``counters[mark_at] = mark`` (when mark_at >= 0), then poll ``counters[at]`` until
    it differs from ``old`` (True) or ``polls`` polls have passed (False).

    The mark is written here, where the GIL is already released: a worker marks its job done
    only once it no longer holds the GIL, so the caller never has to wait for the GIL after
    seeing the mark (waiting for it sleeps, and waking costs as much as a sleeping thread).
    The store into ``scratch`` (another array, which might be the same memory as far as the
    compiler knows) makes the loop read ``counters[at]`` afresh each time, instead of once
    before the loop."""
    if mark_at >= 0:
        counters[mark_at] = mark
    for poll in range(polls):
        if counters[at] != old:
            return True
        scratch[0] = poll
    return counters[at] != old


class Worker:
    """One thread that runs the jobs ``post`` gives it, one at a time; ``wait`` waits for the
    job to finish and raises what it raised. With ``poll`` False neither side polls: both
    sleep at once (right when threads outnumber the cores, and polling would take a core
    from the threads with work)."""

    def __init__(self, poll=True):
        self._poll = poll
        self._counters = np.zeros(2, np.int64)  # POSTED, DONE
        self._job = None
        self._error = None
        self._closing = False
        self._posted = threading.Event()  # for a worker that has gone to sleep
        self._done = threading.Event()  # for a caller that has gone to sleep
        self._thread = threading.Thread(target=self._run, name="tinygrad-cnn worker", daemon=True)
        self._thread.start()

    def post(self, function, *arguments):
        self._job, self._error = (function, arguments), None
        self._done.clear()
        self._counters[POSTED] += 1
        self._posted.set()

    def wait(self):
        posted, scratch = self._counters[POSTED], np.zeros(1, np.int64)
        polls = POLLS if self._poll else 0
        while not _wait_for_change(self._counters, DONE, posted - 1, polls, scratch, -1, 0):
            self._done.wait()
        if self._error is not None:
            raise self._error

    def close(self):
        self._closing = True
        self.post(None)
        self._thread.join()

    def _run(self):
        seen, finished, scratch = 0, -1, np.zeros(1, np.int64)
        while True:
            # marks the job just finished (if any) as done, then polls for the next
            mark_at = DONE if finished >= 0 else -1
            polls = POLLS if self._poll else 0
            changed = _wait_for_change(self._counters, POSTED, seen, polls, scratch, mark_at, seen)
            finished = -1
            if not changed:
                self._posted.clear()  # then look again: a job posted meanwhile is not missed
                if self._counters[POSTED] == seen:
                    self._posted.wait()
                continue
            seen = self._counters[POSTED]
            if self._closing:
                return
            function, arguments = self._job
            try:
                function(*arguments)
            except BaseException as error:  # handed to the caller, in wait
                self._error = error
            self._done.set()  # for a sleeping caller, which then waits for the mark
            finished = seen
