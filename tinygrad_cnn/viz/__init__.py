"""Pictures of the engine at work: the computation graph (graph.py, drawn with graphviz) and
its rendering to SVG/PNG with or without system Graphviz (rendering.py); training curves and
gradient flow (plots.py), feature maps and filters (features.py), all PNG files written with
matplotlib's Agg canvas, never pyplot (png.py).

``import tinygrad_cnn`` does not import this package, so graphviz and matplotlib load only
when a picture is made.
"""

from tinygrad_cnn.viz.graph import GraphDrawing, Layer, draw_graph, trace_model  # noqa: F401
from tinygrad_cnn.viz.rendering import render, to_svg  # noqa: F401
