"""The computation-graph picture: DOT text, layer grouping, gradient colours, large graphs,
rendering with and without Graphviz's `dot`, and the `tinygrad-cnn graph` command."""

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import asdict

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import functional as F
from tinygrad_cnn.cli import main
from tinygrad_cnn.models import lenet5, mlp
from tinygrad_cnn.training import TrainConfig
from tinygrad_cnn.viz import draw_graph, render, trace_model
from tinygrad_cnn.viz import rendering as render_module
from tinygrad_cnn.viz.colors import ZERO_COLOR, text_color

NODE = re.compile(r'^\t(\w+) \[label="([^"]*)"(.*)\]$', re.M)
EDGE = re.compile(r"^\t(\w+) -> (\w+)$", re.M)


def nodes(dot):
    """{node id: (label lines, attribute text)} in the order of the DOT text."""
    return {m[1]: (m[2].split("\n"), m[3]) for m in NODE.finditer(dot.source)}


def edges_by_title(dot):
    titles = {node: label[0] for node, (label, _) in nodes(dot).items()}
    return [(titles[a], titles[b]) for a, b in EDGE.findall(dot.source)]


def fill(attrs):
    return re.search(r'fillcolor="([^"]+)"', attrs)[1]


def test_dot_text_of_a_small_graph():
    a = tg.Tensor([[1.0, 2.0]], requires_grad=True)
    w = tg.Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    y = ((a @ w).relu() * 2).sum()
    dot = draw_graph(y, params={"a": a, "w": w})
    labels = [label for label, _ in nodes(dot).values()]
    assert ["a", "(1, 2) float32"] in labels and ["w", "(2, 3) float32"] in labels
    assert ["2", "() float32"] in labels  # a constant shows its value
    assert ["matmul", "out (1, 3)"] in labels and ["sum axes=(0, 1)", "out ()"] in labels
    edges = edges_by_title(dot)
    expected = [("a", "matmul"), ("w", "matmul"), ("matmul", "relu"), ("relu", "mul")]
    expected += [("2", "mul"), ("mul", "sum axes=(0, 1)")]
    assert sorted(edges) == sorted(expected)
    order = [label[0] for label in labels]
    assert all(order.index(s) < order.index(t) for s, t in edges)  # data flows down the text
    assert "legend" not in dot.source and "grad norm" not in dot.source  # no backward yet
    assert "penwidth=2" in dot.source  # the output stands out


def test_ops_show_their_settings():
    x = tg.rand(1, 1, 8, 8, requires_grad=True)
    weight = tg.rand(2, 1, 3, 3, requires_grad=True)
    out = F.max_pool2d(F.conv2d(x, weight, padding=2), 2).log_softmax(axis=1)
    titles = [label[0] for label, _ in nodes(draw_graph(out)).values()]
    assert "conv2d stride=1 padding=2 dilation=1" in titles
    assert "max_pool2d kernel=2 stride=2 padding=0" in titles
    assert "log_softmax axis=1" in titles


def test_lenet5_is_drawn_as_its_12_layers():
    tg.manual_seed(0)
    model = lenet5()
    out, layers = trace_model(model, tg.rand(2, 1, 28, 28))
    assert all(not module._forward_hooks for module in model.modules())  # hooks removed
    dot = draw_graph(out, layers=layers, params=model.named_parameters())
    titles = [label[0] for label, _ in nodes(dot).values()]
    layer_titles = [t for t in titles if re.match(r"\d+: ", t)]
    assert layer_titles == [
        "0: Conv2d", "1: ReLU", "2: MaxPool2d", "3: Conv2d", "4: ReLU", "5: MaxPool2d",
        "6: Flatten", "7: Linear", "8: ReLU", "9: Linear", "10: ReLU", "11: Linear",
    ]  # fmt: skip
    assert sorted(t for t in titles if "." in t) == sorted(n for n, _ in model.named_parameters())
    assert len(titles) == 12 + 10 + 1  # layers, parameters, the input: no op nodes left
    edges = edges_by_title(dot)
    for before, after in zip(layer_titles, layer_titles[1:]):
        assert (before, after) in edges
    assert ("0.weight", "0: Conv2d") in edges and ("input", "0: Conv2d") in edges


def test_trace_model_removes_its_hooks_on_error():
    model = lenet5()
    with pytest.raises(ValueError):
        trace_model(model, tg.rand(2, 3, 28, 28))  # 3 channels: conv2d refuses
    assert all(not module._forward_hooks for module in model.modules())


def test_leaves_are_coloured_by_gradient_norm_on_a_log_scale():
    # h = w0; h = 0.1 h + w_i: dL/dw_i = 0.1 ** (4 - i) for L = sum(h), norms 2 * 0.1 ** (4 - i)
    weights = [tg.ones(4, requires_grad=True) for _ in range(5)]
    dead = tg.ones(4, requires_grad=True)
    h = weights[0]
    for w in weights[1:]:
        h = h * 0.1 + w
    out = h + dead * 0
    out.sum().backward()
    names = {f"w{i}": w for i, w in enumerate(weights)} | {"dead": dead}
    dot = draw_graph(out, names)
    found = {label[0]: (label, attrs) for label, attrs in nodes(dot).values()}
    for i in range(5):
        assert found[f"w{i}"][0][2] == f"grad norm {2 * 0.1 ** (4 - i):.2e}"
    brightness = []
    for i in range(5):  # viridis gets lighter from small to large norms
        red, green, blue = (int(fill(found[f"w{i}"][1])[k : k + 2], 16) for k in (1, 3, 5))
        brightness.append(0.299 * red + 0.587 * green + 0.114 * blue)
    assert brightness == sorted(brightness) and len(set(brightness)) == 5
    assert fill(found["dead"][1]) == ZERO_COLOR
    legend = dot.source.split("legend [label=")[1]
    assert [f"1e{d}" in legend for d in range(-4, 2)] == [True] * 6  # decades 1e-4 .. 1e1
    assert ">0</FONT>" in legend  # the zero row
    assert "grad norm" not in draw_graph(h, names, show_grad=False).source


def test_text_colour_reads_on_its_fill():
    assert text_color("#440154") == "white" and text_color("#fde725") == "black"


def test_a_100000_op_chain_is_summarised():
    x = tg.Tensor([1.0], requires_grad=True)
    h = x
    for _ in range(100_000):
        h = -h
    dot = draw_graph(h, max_nodes=50)
    found = nodes(dot)
    assert len(found) == 50 + 1
    assert found["more"][0] == ["... 99,951 more nodes"]  # 100,001 tensors in all
    assert len(EDGE.findall(dot.source)) == 50  # 49 inside, one from "more"


@pytest.fixture
def lenet_graph():
    tg.manual_seed(0)
    out, layers = trace_model(lenet5(), tg.rand(2, 1, 28, 28))
    loss = F.cross_entropy(out, tg.Tensor(np.array([3, 7])))
    loss.backward()
    return draw_graph(loss, layers=layers)


def assert_svg(path):
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert "11: Linear" in path.read_text()


def only(programs, monkeypatch):
    """Make shutil.which see only ``programs`` (name -> path)."""
    monkeypatch.setattr(render_module.shutil, "which", lambda name, path=None: programs.get(name))


def test_svg_with_dot_on_path(lenet_graph, tmp_path, monkeypatch):
    pure = shutil.which("graphviz-pure") or render_module.find_renderer()
    fake_dot = tmp_path / "dot"  # stands for Graphviz's dot: notes its call, then lays out
    fake_dot.write_text(f'#!/bin/sh\ntouch "{tmp_path}/dot-was-called"\nexec "{pure}" "$@"\n')
    fake_dot.chmod(0o755)
    only({"dot": str(fake_dot), "graphviz-pure": pure}, monkeypatch)
    assert render(lenet_graph, tmp_path / "g.svg") == tmp_path / "g.svg"
    assert (tmp_path / "dot-was-called").exists()
    assert_svg(tmp_path / "g.svg")


def test_svg_and_png_without_dot(lenet_graph, tmp_path, monkeypatch):
    pure = shutil.which("graphviz-pure") or render_module.find_renderer()
    only({"graphviz-pure": pure}, monkeypatch)
    assert render(lenet_graph, tmp_path / "g.svg") == tmp_path / "g.svg"
    assert_svg(tmp_path / "g.svg")
    render(lenet_graph, tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in lenet_graph._repr_mimebundle_()["image/svg+xml"]  # Jupyter's view


def test_without_any_renderer_the_dot_file_is_written(lenet_graph, tmp_path, monkeypatch):
    only({}, monkeypatch)
    with pytest.warns(UserWarning, match="no Graphviz program found"):
        written = render(lenet_graph, tmp_path / "g.svg")
    assert written == tmp_path / "g.dot" and written.read_text() == lenet_graph.source
    assert render(lenet_graph, tmp_path / "h.dot").read_text() == lenet_graph.source
    with pytest.raises(ValueError, match="unknown extension"):
        render(lenet_graph, tmp_path / "g.jpg")


def test_cli_graph_writes_an_svg(tmp_path, capsys):
    assert main(["graph", "--model", "lenet5", "--out", str(tmp_path / "g.svg")]) == 0
    assert_svg(tmp_path / "g.svg")
    assert "gradient norm" in (tmp_path / "g.svg").read_text()


def test_cli_graph_bad_input_gives_one_line_and_exit_2(tmp_path, capsys):
    checkpoint = tmp_path / "mlp.npz"
    tg.save({"config": asdict(TrainConfig(model="mlp")), "model": mlp().state_dict()}, checkpoint)
    bad = [
        (["--checkpoint", str(checkpoint), "--out", str(tmp_path / "g.svg")], "holds a mlp model"),
        (["--out", str(tmp_path / "g.jpg")], "unknown extension"),
        (["--out", str(tmp_path / "missing" / "g.svg")], "No such file or directory"),
    ]
    for arguments, message in bad:
        assert main(["graph", "--model", "lenet5", *arguments]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1


def test_import_tinygrad_cnn_does_not_import_graphviz():
    code = "import sys, tinygrad_cnn; assert 'graphviz' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
