"""The submission's process: imports the student's ``solution.py`` and answers calls.

Started by ``sandbox.Submission`` as ``python -I -m tinygrad_cnn.grading.worker FOLDER
REQUESTS REPLIES MEMORY CPU``: it lowers its own limits (address space, CPU seconds, no core
files), puts FOLDER (a private copy of the student's files) first on the path, imports
``solution`` and tells the grader whether that worked. Then, for each request
``{"call": name, "args": [...], "kwargs": {...}}`` (or ``{"get": name}`` for a constant), it
runs the student's function and replies ``{"value": ...}`` or ``{"error": {...}}``.

Nothing here decides a grade: whatever this process replies is data that the grader checks
itself. The student's prints go to stdout/stderr, which the grader reads and truncates.
"""

import os
import resource
import sys
import traceback

from tinygrad_cnn.grading import wire


def _limit(kind, value):
    """Lower the soft and hard limit to ``value`` (0: leave it), so it cannot be raised back."""
    if value > 0:
        hard = resource.getrlimit(kind)[1]
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(kind, (value, value))


def _describe(err, folder):
    """The exception in one line, with the line of the student's file it came from."""
    where = ""
    for frame in traceback.extract_tb(err.__traceback__):
        if frame.filename.startswith(folder):
            where = f" ({os.path.basename(frame.filename)}, line {frame.lineno})"
    if isinstance(err, SyntaxError) and err.filename:
        where = f" ({os.path.basename(err.filename)}, line {err.lineno})"
        return {"type": "SyntaxError", "message": f"{err.msg}{where}"}
    kinds = [kind.__name__ for kind in type(err).__mro__]  # a ValueError subclass is one
    return {"type": type(err).__name__, "kinds": kinds, "message": f"{err}{where}"}


def _as_plain(value):
    """A Tensor the student returns is sent as its array; everything else as it is."""
    from tinygrad_cnn.tensor import Tensor

    if isinstance(value, Tensor):
        return value.numpy()
    if isinstance(value, (list, tuple)):
        return type(value)(_as_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _as_plain(v) for k, v in value.items()}
    return value


def _answer(module, request, folder):
    try:
        if "get" in request:
            value = getattr(module, request["get"])
        else:
            function = getattr(module, request["call"])
            value = function(*request.get("args", []), **request.get("kwargs", {}))
        return wire.dumps({"value": _as_plain(value)})
    except wire.WireError as err:
        name = request.get("call") or request.get("get")
        return wire.dumps({"error": {"type": "ReturnType", "message": f"{name} returned {err}"}})
    except BaseException as err:  # noqa: BLE001  (SystemExit and KeyboardInterrupt too)
        return wire.dumps({"error": _describe(err, folder)})


def serve(folder, requests, replies):
    def read(n):
        return os.read(requests, n)

    def send(message):
        view = memoryview(message)
        while view:
            view = view[os.write(replies, view) :]

    sys.path.insert(0, folder)
    try:
        import solution  # noqa: PLC0415  (the student's file, imported only here)

        send(wire.dumps({"ready": True}))
    except BaseException as err:  # noqa: BLE001
        send(wire.dumps({"error": _describe(err, folder)}))
        return
    while True:
        request = wire.read_message(read)
        if request is None:
            return
        send(_answer(solution, request, folder))


def main():
    folder, requests, replies, memory, cpu = sys.argv[1:6]
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file behind
    _limit(resource.RLIMIT_AS, int(memory))
    _limit(resource.RLIMIT_CPU, int(cpu))
    serve(os.path.abspath(folder), int(requests), int(replies))


if __name__ == "__main__":
    main()
