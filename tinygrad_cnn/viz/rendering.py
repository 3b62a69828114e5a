"""Turn a graphviz.Digraph into an SVG, PNG or DOT file, with or without system Graphviz.

The DOT text (``digraph.source``) is laid out by the first program found:

1. ``dot``, Graphviz's own program, when it is on PATH;
2. ``graphviz-pure``, a port of ``dot`` shipped as a binary inside a pip wheel (a dependency
   of this package), so rendering works on a machine without Graphviz;
3. neither: the DOT text is written next to the requested file (``graph.dot``) with a warning
   saying how to view it.
"""

import shutil
import subprocess
import sys
import sysconfig
import warnings
from pathlib import Path

FORMATS = ("svg", "png", "dot")
TIMEOUT_SECONDS = 120


def check_path(path):
    """The format ('svg', 'png' or 'dot') of ``path``, or ValueError for another extension."""
    fmt = Path(path).suffix.lower().lstrip(".")
    fmt = "dot" if fmt == "gv" else fmt
    if fmt not in FORMATS:
        raise ValueError(
            f"render: cannot write {str(path)!r}: unknown extension (use .svg, .png or .dot)"
        )
    return fmt


def find_renderer():
    """Path of the program that lays out DOT here: ``dot``, else ``graphviz-pure``, else None."""
    found = shutil.which("dot") or shutil.which("graphviz-pure")
    if found:
        return found
    # a virtual environment that is not activated (e.g. a Jupyter kernel) has its scripts
    # folder off PATH: look next to the running Python too
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        found = shutil.which("graphviz-pure", path=folder)
        if found:
            return found
    return None


def pipe(source, fmt):
    """Bytes of the DOT text ``source`` laid out as ``fmt`` ('svg' or 'png')."""
    program = find_renderer()
    if program is None:
        raise RuntimeError(
            "render: no Graphviz program found: pip install graphviz-pure (or install Graphviz)"
        )
    done = subprocess.run(
        [program, f"-T{fmt}"], input=source.encode(), capture_output=True, timeout=TIMEOUT_SECONDS
    )
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"render: {Path(program).name} failed: {message[:1]}")
    return done.stdout


def render(digraph, path):
    """Write ``digraph`` (a graphviz.Digraph, or DOT text) to ``path``; its extension (.svg,
    .png or .dot) picks the format. Returns the path written: ``path`` itself, or the ``.dot``
    file beside it when no Graphviz program is found (with a warning)."""
    path = Path(path)
    fmt = check_path(path)
    source = getattr(digraph, "source", digraph)
    if fmt == "dot":
        path.write_text(source, encoding="utf-8")
        return path
    if find_renderer() is None:
        fallback = path.with_suffix(".dot")
        fallback.write_text(source, encoding="utf-8")
        warnings.warn(
            f"no Graphviz program found, wrote {fallback}: view it with "
            f"'pip install graphviz-pure && graphviz-pure -T{fmt} {fallback} -o {path}'",
            stacklevel=2,
        )
        return fallback
    path.write_bytes(pipe(source, fmt))
    return path


def to_svg(digraph):
    """The SVG text of ``digraph`` (what Jupyter displays)."""
    return pipe(getattr(digraph, "source", digraph), "svg").decode("utf-8")
