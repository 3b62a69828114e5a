"""Draw the graph that produced a tensor, as a ``graphviz.Digraph``.

Every tensor made by an op keeps a link to that op (``tensor._ctx``, a Function instance with
its ``name``, its ``settings`` and its ``inputs``); following ``inputs`` back from the output
visits the whole graph. :func:`draw_graph` turns that walk into a picture:

- one node per op: its name and settings, e.g. ``conv2d stride=1 padding=2 dilation=1``,
  and the shape of its result;
- one node per leaf (a tensor the user made: a parameter, the input, a constant): its name,
  shape and dtype;
- edges from each input to the op that used it (data flows down the page);
- after ``backward()``, each leaf that has a gradient is filled with the colour of its
  gradient norm on a log scale (legend on the picture): dark purple for tiny gradients,
  yellow for large ones, red for exactly zero. Intermediate gradients are not kept by the
  engine (as in PyTorch), so ops are not coloured.

For a model, :func:`trace_model` runs it with forward hooks that record which output each
layer produced; ``draw_graph(..., layers=layers)`` then draws one node per layer (LeNet-5:
12 layers) instead of one per op. Large graphs are cut to the ``max_nodes`` nodes nearest the
output, plus one "N more nodes" node. The walk is iterative, so a chain of 100,000 ops draws
in a fraction of a second.

    out, layers = trace_model(model, x)
    F.cross_entropy(out, y).backward()
    render(draw_graph(out, layers=layers), "lenet5.svg")   # or display it in Jupyter
"""

from collections import deque, namedtuple

import graphviz

from tinygrad_cnn.tensor import Tensor
from tinygrad_cnn.viz.colors import LogScale, grad_norm, text_color
from tinygrad_cnn.viz.rendering import to_svg

#: one call of a leaf module during trace_model: dotted name, the module, its inputs and output
Layer = namedtuple("Layer", "name module inputs output")

MORE = "more"
OP_FILL, LAYER_FILL, LEAF_FILL, CONSTANT_FILL = "#eeeeee", "#dbe9f6", "#fff2cc", "#ffffff"


class GraphDrawing(graphviz.Digraph):
    """A graphviz.Digraph that Jupyter displays even without system Graphviz (see render)."""

    def _repr_image_svg_xml(self):
        return to_svg(self)


def trace_model(model, *inputs):
    """Run ``model(*inputs)`` recording each leaf module's call with a forward hook (the hooks
    are removed afterwards, even on error). Returns ``(output, layers)``, layers being a list
    of :data:`Layer` in the order they ran, for ``draw_graph(..., layers=layers)``."""
    layers, handles = [], []
    for name, module in model.named_modules():
        if next(module.children(), None) is None:  # a layer, not a container
            label = name or type(module).__name__

            def record(module, args, output, label=label):
                layers.append(Layer(label, module, args, output))

            handles.append(module.register_forward_hook(record))
    try:
        output = model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    return output, layers


def draw_graph(tensor, params=None, show_grad=True, max_nodes=200, layers=None):
    """The graph that produced ``tensor`` as a :class:`GraphDrawing` (a graphviz.Digraph).

    - ``params``: names for tensors, a dict name -> Tensor or pairs such as
      ``model.named_parameters()``; unnamed leaves are called "input" (or show their value).
    - ``show_grad``: colour leaves by gradient norm and show the norm (after ``backward``).
    - ``max_nodes``: at most this many nodes (those nearest ``tensor``), then "N more nodes".
    - ``layers``: from :func:`trace_model`: one node per layer call; their parameters are
      named after the layers unless ``params`` names them.
    """
    if not isinstance(tensor, Tensor):
        raise ValueError(f"draw_graph: expected a Tensor, got {type(tensor).__name__}")
    if max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be >= 1, got {max_nodes}")
    layers = [layer for layer in layers or [] if isinstance(layer.output, Tensor)]
    names = {**_layer_parameter_names(layers), **_names(params)}
    group_of = _group_ops(layers)
    kept, hidden, edges = _walk(tensor, group_of, max_nodes)

    leaves = [node for key, node in kept.items() if key[0] == "tensor" and node._ctx is None]
    scale = LogScale([grad_norm(leaf) for leaf in leaves]) if show_grad else None
    colored = show_grad and any(leaf.grad is not None for leaf in leaves)

    dot = GraphDrawing(graph_attr={"rankdir": "TB", "nodesep": "0.25", "ranksep": "0.35"})
    dot.attr("node", shape="box", style="rounded,filled", fontname="Helvetica", fontsize="10")
    dot.attr("edge", arrowsize="0.6")
    ids = {}
    if hidden:  # what lies beyond the cut comes first, as the inputs would
        ids[MORE] = MORE
        dot.node(MORE, f"... {hidden:,} more nodes", shape="note", style="dashed")
    for key in _data_flow_order(kept, edges):
        ids[key] = f"n{len(ids)}"
        label, attrs = _node(key, kept[key], layers, names, scale if colored else None)
        if key == ("tensor", id(tensor)):
            attrs["penwidth"] = "2"
        dot.node(ids[key], label, **attrs)
    position = {key: i for i, key in enumerate(ids)}
    for source, target in sorted(edges, key=lambda e: (position[e[1]], position[e[0]])):
        dot.edge(ids[source], ids[target])
    if colored:
        dot.node("legend", scale.legend_label(), shape="plaintext", style="")
    return dot


# ----------------------------------------------------------------- walking the graph
def _walk(root, group_of, max_nodes):
    """Breadth-first from ``root`` along op inputs (iterative: no recursion limit).

    Returns ``kept``: node key -> tensor (or layer index), the first ``max_nodes`` keys met;
    ``hidden``: how many other nodes there are; ``edges``: (source key, target key) pairs
    into kept nodes, a source beyond the cut being MORE.
    """
    kept, hidden_keys, edges = {}, set(), {}
    seen = {id(root)}
    queue = deque([root])
    while queue:
        tensor = queue.popleft()
        key = _key(tensor, group_of)
        if key not in kept and key not in hidden_keys:
            if len(kept) < max_nodes:
                kept[key] = group_of.get(id(tensor), tensor)
            else:
                hidden_keys.add(key)
        if tensor._ctx is None:
            continue
        for inp in tensor._ctx.inputs:
            if key in kept:
                source = _key(inp, group_of)
                if source != key:
                    edges[(source, key)] = None
            if id(inp) not in seen:
                seen.add(id(inp))
                queue.append(inp)
    edges = [(s if s in kept else MORE, t) for s, t in edges]
    return kept, len(hidden_keys), list(dict.fromkeys(edges))


def _data_flow_order(kept, edges):
    """The kept keys, each after all of its inputs (Kahn's algorithm; ties: farthest from the
    output first). Any leftover (a cycle made by grouping) follows in the same tie order."""
    order = list(reversed(kept))
    consumers = {key: [] for key in order}
    waiting = dict.fromkeys(order, 0)
    for source, target in edges:
        if source in consumers:
            consumers[source].append(target)
            waiting[target] += 1
    ready = deque(key for key in order if waiting[key] == 0)
    done = {}
    while ready:
        key = ready.popleft()
        done[key] = None
        for target in consumers[key]:
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
    return list(done) + [key for key in order if key not in done]


def _key(tensor, group_of):
    group = group_of.get(id(tensor))
    return ("tensor", id(tensor)) if group is None else ("layer", group)


def _group_ops(layers):
    """id(op output tensor) -> index of the layer call that ran the op.

    From each layer's output, walk back through ops until reaching the layer's inputs, a leaf,
    or an op already claimed by an earlier layer: what lies between was computed by the layer.
    """
    group_of = {}
    for index, layer in enumerate(layers):
        stop = {id(t) for t in layer.inputs if isinstance(t, Tensor)}
        stack = [layer.output]
        while stack:
            tensor = stack.pop()
            if id(tensor) in stop or tensor._ctx is None or id(tensor) in group_of:
                continue
            group_of[id(tensor)] = index
            stack.extend(tensor._ctx.inputs)
    return group_of


# ----------------------------------------------------------------- names and labels
def _names(params):
    if params is None:
        return {}
    pairs = params.items() if isinstance(params, dict) else params
    return {id(tensor): name for name, tensor in pairs}


def _layer_parameter_names(layers):
    names = {}
    for layer in layers:
        for name, parameter in layer.module.named_parameters():
            names[id(parameter)] = f"{layer.name}.{name}"
    return names


def _node(key, node, layers, names, scale):
    """(label, attributes) of one node."""
    if key[0] == "layer":
        layer = layers[node]
        settings = layer.module.extra_repr()
        title = f"{layer.name}: {type(layer.module).__name__}"
        lines = [title, f"({settings})" if settings else "", f"out {_shape(layer.output)}"]
        return "\n".join(line for line in lines if line), {"fillcolor": LAYER_FILL}
    if node._ctx is not None:
        ctx = node._ctx
        settings = (_setting(ctx, name) for name in ctx.settings)
        title = " ".join([ctx.name, *filter(None, settings)])
        return f"{title}\nout {_shape(node)}", {"fillcolor": OP_FILL}
    return _leaf(node, names.get(id(node)), scale)


def _leaf(tensor, name, scale):
    if name is None:
        name = "input" if tensor.data.size != 1 else f"{tensor.item():g}"
    lines = [name, f"{_shape(tensor)} {tensor.dtype}"]
    attrs = {"style": "filled", "fillcolor": LEAF_FILL if tensor.requires_grad else CONSTANT_FILL}
    norm = grad_norm(tensor)
    if scale is not None and norm is not None:
        lines.append(f"grad norm {norm:.2e}")
        attrs["fillcolor"] = scale.color(norm)
        attrs["fontcolor"] = text_color(attrs["fillcolor"])
    return "\n".join(lines), attrs


def _setting(ctx, name):
    value = getattr(ctx, name, None)
    if value is None or value is False:
        return ""
    if isinstance(value, tuple) and len(value) in (1, 2) and len(set(value)) == 1:
        value = value[0]  # (2, 2) -> 2, (1,) -> 1
    return f"{name}={value}"


def _shape(tensor):
    return str(tuple(tensor.shape))
