"""Hostile: looks for the reference solution wherever the grading set-up could lead it (its
import path, working directory, the folders on the grader's command line and around them)
and runs it in place of its own code. Graded from the Gradescope zip, there is none to find.
"""

import os
import sys
from pathlib import Path

_here = Path(__file__).resolve()
_MARKER = "### BEGIN " + "SOLUTION"  # written so that this file does not match itself


def _places():
    places = [Path(p) for p in sys.path if p] + [Path.cwd(), *_here.parents]
    try:
        words = Path(f"/proc/{os.getppid()}/cmdline").read_bytes().split(b"\0")
        places += [Path(w.decode()) for w in words if w.startswith(b"/")]
    except OSError:
        pass
    return places


def _find_reference():
    for place in _places():
        try:
            candidates = list(place.glob("solution.py")) + list(place.glob("*/solution.py"))
        except OSError:
            continue
        for candidate in candidates:
            try:
                text = candidate.read_text()
            except OSError:
                continue
            if _MARKER in text:
                return text
    return None


_found = {}
_text = _find_reference()
if _text is not None:
    exec(compile(_text, "reference", "exec"), _found)


def __getattr__(name):
    if name in _found:
        return _found[name]

    def nothing(*args, **kwargs):
        raise NotImplementedError(name)

    return nothing
