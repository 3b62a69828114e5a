"""The grader's side of a submission: a child process that runs the student's code.

``Submission(folder).call("dropout_forward", x, p=0.5)`` sends the call to the child
(``worker.py``), waits for the reply until the test's deadline and returns the value, plain
data decoded without pickle. Everything that can go wrong in the student's code becomes a
``SubmissionError`` whose message a student can act on, and the grader goes on:

- the code raises (SystemExit and KeyboardInterrupt included): "dropout_forward raised ...";
- it runs past the deadline: the child is killed, "timed out after 10 s", and the next call
  starts a fresh child;
- the child dies (``os._exit``, a segfault, the memory limit): "the process ended ...";
- ``solution.py`` cannot be imported: every call of that exercise fails with the reason.

The child runs in its own session (so killing it kills what it started), with an address
space limit, no core files, a private copy of the student's files, a scratch directory as
its working directory and home, and, when the grader runs as root and is given a user, as
that unprivileged user. Its output is drained by a thread and only the first part is kept.
"""

import contextlib
import ctypes
import os
import pwd
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tinygrad_cnn.grading import wire


class SubmissionError(AssertionError):
    """The student's code failed, timed out, died, or returned a value that cannot be checked.

    An AssertionError, so that a test that meets one simply fails with this message.
    ``raised`` names the exception the student's code raised and its base classes, if it
    raised one (e.g. ["ValueError", "Exception", "BaseException", "object"])."""

    def __init__(self, message, raised=()):
        super().__init__(message)
        self.raised = list(raised)


class GraderError(OSError):
    """The grader itself cannot run submissions here (e.g. cannot start Python as the user)."""


class _Timeout(Exception):
    pass


@dataclass
class Limits:
    timeout: float = 10.0  # seconds per test
    memory: int = 2 * 2**30  # bytes of address space for the child
    cpu: int = 900  # CPU seconds for one child, a backstop behind the timeouts
    output: int = 20_000  # bytes of the student's output kept per exercise


class Submission:
    """One exercise's solution, run in a child process; ``submission.name(...)`` calls it."""

    def __init__(self, folder, scratch, limits=None, user=None):
        self.folder = os.path.abspath(folder)
        self.scratch = str(scratch)
        self.limits = limits or Limits()
        self.user = pwd.getpwnam(user) if user else None
        self.deadline = None  # set by the grader at the start of each test
        self.test_timeout = self.limits.timeout
        self.output = bytearray()
        self.output_dropped = 0
        self._process = None
        self._broken = None  # why solution.py cannot be used at all, once known

    def __repr__(self):
        return "student"

    def set_deadline(self, deadline, timeout):
        """Calls from now on must finish by ``deadline`` (time.monotonic), ``timeout`` seconds
        after the test began (named in the message when they do not)."""
        self.deadline, self.test_timeout = deadline, timeout

    # ------------------------------------------------------------ calls
    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    def call(self, name, *args, **kwargs):
        """``solution.name(*args, **kwargs)`` in the child; its return value."""
        return self._ask({"call": name, "args": list(args), "kwargs": kwargs}, name)

    def get(self, name):
        """The value of ``solution.name`` (a constant) in the child."""
        return self._ask({"get": name}, name)

    def _ask(self, request, name):
        message = wire.dumps(request)  # the test's own arguments: a WireError is a test bug
        if self._broken:
            raise SubmissionError(self._broken)
        try:
            self._seconds_left(self.deadline)  # a test past its deadline calls nothing more
            if self._process is None:
                self._start()
            self._send(message)
            reply = self._receive(self.deadline)
        except _Timeout:
            self.stop()
            raise SubmissionError(f"{name} timed out after {self.test_timeout:g} s") from None
        except (wire.WireError, OSError) as err:
            self.stop()
            raise SubmissionError(
                f"{name}: the submission's process sent no valid reply: {err}"
            ) from None
        if reply is None:
            raise SubmissionError(f"{name}: the submission's process {self._ended()}")
        if not isinstance(reply, dict) or not ("value" in reply or "error" in reply):
            self.stop()
            raise SubmissionError(f"{name}: the submission's process sent a malformed reply")
        if "error" in reply:
            error = reply["error"] if isinstance(reply["error"], dict) else {}
            kinds = error.get("kinds")
            raise SubmissionError(
                f"{name} raised {error.get('type', 'an error')}: {error.get('message', '')}",
                kinds if isinstance(kinds, list) else (),
            )
        return reply["value"]

    # ------------------------------------------------------------ the child process
    def _start(self):
        requests_read, self._requests = os.pipe()
        self._replies, replies_write = os.pipe()
        os.set_blocking(self._requests, False)
        command = [
            sys.executable, "-I", "-m", "tinygrad_cnn.grading.worker", self.folder,
            str(requests_read), str(replies_write), str(self.limits.memory), str(self.limits.cpu),
        ]  # fmt: skip
        extra = {}
        if self.user is not None:
            extra = dict(user=self.user.pw_uid, group=self.user.pw_gid, extra_groups=[])
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(requests_read, replies_write),
                cwd=self.scratch,
                env=self._environment(),
                start_new_session=True,
                **extra,
            )
        except OSError as err:
            as_user = f" as user {self.user.pw_name}" if self.user else ""
            raise GraderError(f"cannot start the submission's process{as_user}: {err}") from None
        finally:
            os.close(requests_read)
            os.close(replies_write)
        threading.Thread(target=self._drain, args=(self._process.stdout,), daemon=True).start()
        try:  # the import has a timeout of its own, whatever is left of the test's
            ready = self._receive(time.monotonic() + self.limits.timeout)
        except _Timeout:
            self._broken = f"importing solution.py took more than {self.limits.timeout:g} s"
        except wire.WireError as err:
            self._broken = f"importing solution.py failed: {err}"
        else:
            if isinstance(ready, dict) and ready.get("ready") is True:
                return
            if isinstance(ready, dict) and "error" in ready:
                error = ready["error"]
                self._broken = (
                    f"solution.py could not be imported: {error['type']}: {error['message']}"
                )
            else:
                self._broken = f"solution.py could not be imported: the process {self._ended()}"
        self.stop()
        raise SubmissionError(self._broken)

    def _environment(self):
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.scratch,
            "TMPDIR": self.scratch,
            "LANG": "C.UTF-8",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MPLBACKEND": "Agg",
        }
        if self.user is not None:  # it cannot write the package's own Numba cache
            environment["NUMBA_CACHE_DIR"] = os.path.join(self.scratch, "numba-cache")
        return environment

    def _drain(self, stream):
        """Read the child's output to its end, keeping the first ``limits.output`` bytes."""
        for chunk in iter(lambda: stream.read1(65536), b""):
            room = self.limits.output - len(self.output)
            self.output += chunk[: max(room, 0)]
            self.output_dropped += max(len(chunk) - max(room, 0), 0)
        stream.close()

    @staticmethod
    def _seconds_left(deadline):
        if deadline is None:
            return None
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Timeout
        return left

    def _send(self, message):
        view = memoryview(message)
        while view:
            if not select.select([], [self._requests], [], self._seconds_left(self.deadline))[1]:
                raise _Timeout
            try:
                view = view[os.write(self._requests, view) :]
            except BrokenPipeError:
                return  # the child is gone: the read that follows reports how it ended

    def _receive(self, deadline):
        def read(n):
            if not select.select([self._replies], [], [], self._seconds_left(deadline))[0]:
                raise _Timeout
            return os.read(self._replies, n)

        reply = wire.read_message(read)
        if reply is None:
            self._process.wait()
        return reply

    def _ended(self):
        code = self._process.returncode if self._process else None
        self.stop()
        if code is None:
            return "closed its reply channel"
        if code < 0:
            name = signal.Signals(-code).name
            why = {
                "SIGSEGV": "a crash",
                "SIGKILL": "killed",
                "SIGXCPU": "the CPU time limit",
                "SIGABRT": "an abort",
            }.get(name, "a signal")
            return f"ended with signal {name} ({why})"
        return f"ended with exit status {code} before replying"

    def stop(self):
        """Kill the child and everything it started; the next call starts a fresh one."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()
        for fd in (self._requests, self._replies):
            try:
                os.close(fd)
            except OSError:
                pass

    def captured_output(self):
        """What the student's code printed (the first part of it), as text."""
        text = self.output.decode("utf-8", errors="replace")
        if self.output_dropped:
            text += f"\n[... {self.output_dropped:,} more bytes of output not shown]"
        return text


# ------------------------------------------------------------ what a submission leaves behind
_PR_SET_CHILD_SUBREAPER, _PR_GET_CHILD_SUBREAPER = 36, 37


def _children():
    """The process ids whose parent is this process (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.add(int(stat.parent.name))
    return found


@contextlib.contextmanager
def collecting_leftovers():
    """While the block runs, a process that a submission started and left behind (a daemon
    that left the child's session, hoping to write after the grader) is re-parented to this
    process instead of init (Linux's "child subreaper"); at the end every such process is
    killed, before the grader writes its results. Undone afterwards; elsewhere than Linux the
    block just runs (the child's session is still killed)."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        yield
        return
    before, was = _children(), ctypes.c_int(0)
    prctl(_PR_GET_CHILD_SUBREAPER, ctypes.byref(was), 0, 0, 0)
    prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    try:
        yield
    finally:
        for _ in range(100):  # a killed daemon's own children arrive next round
            leftovers = _children() - before
            if not leftovers:
                break
            for pid in leftovers:
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
        prctl(_PR_SET_CHILD_SUBREAPER, was.value, 0, 0, 0)
