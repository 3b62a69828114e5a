"""PNG pictures with matplotlib, drawn on a figure of their own.

Every picture is a ``matplotlib.figure.Figure`` attached to an Agg canvas (the non-interactive
raster backend): pyplot is never imported, so making a picture neither opens a window nor
changes the backend or the global figure list of the program that calls us (a notebook, a
GUI). Importing ``tinygrad_cnn`` does not import matplotlib at all; only ``tinygrad_cnn.viz``'s
picture modules do.
"""

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def new_figure(width, height):
    """A figure of ``width`` x ``height`` inches (100 pixels each) with its own Agg canvas."""
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def png_path(path):
    """``path`` as a Path, checked to name a .png file (so a mistyped ``--out`` can never
    replace a checkpoint or metrics.jsonl)."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"{path}: the picture's file name must end in .png")
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a .png file name")
    return path


def save_png(figure, path):
    """Write ``figure`` to ``path`` (a .png name; its folder is created). Returns a line for
    the user: the path, and whether an earlier picture was replaced."""
    path = png_path(path)
    replaced = path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return f"{'replaced' if replaced else 'wrote'} {path}"
