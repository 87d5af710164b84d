"""deltaprop.draw_graph: DOT text for any graph, SVG/PNG through Graphviz's ``dot`` when present."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop import visualize
from deltaprop.errors import ConfigError

HAS_DOT = shutil.which("dot") is not None
NEEDS_DOT = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's 'dot' program is not installed, so SVG/PNG rendering cannot be checked")

NODE = re.compile(r'^  (n\d+) \[label="((?:[^"\\]|\\.)*)", fillcolor="#[0-9a-f]{6}"(?:, penwidth=2)?\];$')
EDGE = re.compile(r"^  (n\d+) -> (n\d+);$")


def mlp_loss():
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = dp.tensor(np.arange(6, dtype=np.float32).reshape(2, 3) / 6)
    loss = nn.functional.cross_entropy(model(x), np.array([0, 1]))
    loss.backward()
    return model, loss


def parse_dot(text: str) -> tuple[dict, list]:
    """The nodes {id: label lines} and edges of our DOT output, checking every line's syntax."""
    lines = text.strip().splitlines()
    assert lines[0] == "digraph deltaprop {" and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if line.lstrip().startswith(("graph [", "node [", "edge [")):
            continue
        if match := NODE.match(line):
            nodes[match.group(1)] = match.group(2).split("\\n")
        elif match := EDGE.match(line):
            edges.append(match.groups())
        else:
            raise AssertionError(f"not a line of valid DOT output: {line!r}")
    return nodes, edges


def test_dot_of_a_small_mlp_names_every_operation_shape_value_and_gradient():
    model, loss = mlp_loss()
    graph = dp.draw_graph(loss, format="dot", names=dict(model.named_parameters()))
    nodes, edges = parse_dot(graph.dot)
    titles = [label[0] for label in nodes.values()]
    assert titles.count("linear") == 2 and "relu" in titles and "cross_entropy" in titles
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert f"parameter {name}" in titles
    assert "input" in titles  # the data x, which needs no gradient
    for label in nodes.values():
        assert label[1].startswith("shape (") and label[2].startswith("value ")
    parameter = next(label for label in nodes.values() if label[0] == "parameter 0.weight")
    assert parameter[1] == "shape (4, 3)  float32" and parameter[3].startswith("grad min ")
    # every edge joins declared nodes; 3 parents per linear, 1 for relu and for the loss
    assert all(a in nodes and b in nodes for a, b in edges)
    assert len(edges) == 3 + 1 + 3 + 1
    assert graph.image is None and graph.path is None and str(graph) == graph.dot
    assert repr(graph) == f"<Graph: {len(nodes)} nodes, dot text>"


def test_constants_inside_operations_are_drawn_as_constants():
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2 + 1).sum()  # 2 and 1 become tensors whose .data is a Python number
    y.backward()
    nodes, edges = parse_dot(visualize.to_dot(y))
    constants = [label for label in nodes.values() if label[0] == "constant"]
    assert sorted(label[2] for label in constants) == ["value 1", "value 2"]
    assert all(label[1] == "shape ()" for label in constants)
    leaf = next(label for label in nodes.values() if label[0] == "leaf (requires grad)")
    assert leaf[3] == "grad [2, 2]"
    assert len(nodes) == 6 and len(edges) == 5


def test_labels_are_escaped_and_deep_graphs_need_no_recursion():
    x = dp.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    nodes, edges = parse_dot(visualize.to_dot(y, names={'a "quoted" \\ name': x}))
    assert len(nodes) == 6001 and len(edges) == 6000
    assert any('a \\"quoted\\" \\\\ name' in label[0] for label in nodes.values())


def test_summaries():
    assert visualize.summarize(np.float64(0.5)) == "0.5"
    assert visualize.summarize(np.array([1.0, 2.0])) == "[1, 2]"
    assert visualize.summarize(np.arange(10.0)) == "min 0  mean 4.5  max 9"
    assert visualize.summarize(np.zeros((0, 3))) == "empty"


@NEEDS_DOT
def test_svg_is_rendered_when_graphviz_is_installed(tmp_path):
    _, loss = mlp_loss()
    graph = dp.draw_graph(loss, format="svg", path=tmp_path / "graph.svg")
    root = ElementTree.fromstring(graph.image)
    assert root.tag.endswith("svg") and "cross_entropy" in graph.image.decode()
    assert graph.path == tmp_path / "graph.svg" and graph.path.read_bytes() == graph.image
    assert graph._repr_svg_() == graph.image.decode() and graph._repr_png_() is None
    # Graphviz itself accepts the DOT text
    assert subprocess.run(["dot", "-Tcanon"], input=graph.dot, capture_output=True, text=True).returncode == 0


@NEEDS_DOT
def test_png_is_rendered_when_graphviz_is_installed(tmp_path):
    _, loss = mlp_loss()
    graph = dp.draw_graph(loss, format="png", path=tmp_path / "graph.png")
    assert graph.image.startswith(b"\x89PNG") and graph._repr_png_() == graph.image


def test_without_graphviz_a_warning_and_the_dot_file(tmp_path, monkeypatch):
    monkeypatch.setattr(visualize.shutil, "which", lambda name: None)
    _, loss = mlp_loss()
    with pytest.warns(RuntimeWarning, match="Graphviz's 'dot' program was not found.*Install Graphviz"):
        graph = dp.draw_graph(loss, format="svg", path=tmp_path / "graph.svg")
    assert graph.image is None and graph._repr_svg_() is None
    assert graph.path == tmp_path / "graph.dot" and graph.path.read_text() == graph.dot
    assert not (tmp_path / "graph.svg").exists()


def test_dot_format_writes_the_text(tmp_path):
    _, loss = mlp_loss()
    graph = dp.draw_graph(loss, format="dot", path=tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text() == graph.dot


def test_the_format_follows_the_paths_suffix_and_a_contradicting_one_is_refused(tmp_path, monkeypatch):
    # draw_graph(loss, path="graph.png") wrote SVG text (the default format) into graph.png.
    monkeypatch.setattr(visualize, "_render", lambda dot, format: f"an image in {format}".encode())
    _, loss = mlp_loss()
    graph = dp.draw_graph(loss, path=tmp_path / "graph.png")
    assert graph.format == "png" and (tmp_path / "graph.png").read_bytes() == b"an image in png"
    assert dp.draw_graph(loss, path=tmp_path / "g.DOT").format == "dot"
    assert dp.draw_graph(loss, path=tmp_path / "graph").format == "svg"  # no suffix: the default
    assert dp.draw_graph(loss).format == "svg"
    with pytest.raises(ConfigError, match=r"path '.*other\.png' ends in \.png, but format is 'svg'; give a path "
                                          r"ending in \.svg, or format='png'"):
        dp.draw_graph(loss, format="svg", path=tmp_path / "other.png")
    assert not (tmp_path / "other.png").exists()


def test_bad_arguments():
    with pytest.raises(ConfigError, match="format must be one of svg, png, dot, got 'pdf'"):
        dp.draw_graph(dp.tensor([1.0]), format="pdf")
    with pytest.raises(TypeError, match="expected a Tensor, got a list"):
        dp.draw_graph([1.0])


def test_an_input_used_twice_by_one_operation_has_two_edges():
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    dot = dp.draw_graph((x * x).sum(), format="dot").dot
    assert dot.count("n0 -> n1;") == 2  # each carries a gradient: that is why d(x·x)/dx = 2x


def test_an_array_used_by_two_operations_is_one_node():
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2))
    x = np.random.default_rng(0).random((5, 3)).astype(np.float32)
    target = x[:, :2].copy()
    loss = nn.MSELoss()(model(x), target) + nn.L1Loss()(model(x), target)
    dot = dp.draw_graph(loss, format="dot").dot
    assert dot.count('[label="input') == 1  # the target, once, feeding both losses
    assert dot.count('[label="parameter') == 2 and dot.count('[label="linear') == 2
    target_id = next(line.split()[0] for line in dot.splitlines() if '[label="input' in line)
    assert sum(line.strip().startswith(f"{target_id} ->") for line in dot.splitlines()) == 2


@pytest.mark.parametrize("make, whole, pieces", [
    (lambda x: x.split([1, 3], dim=1), "split (2 pieces along dim 1)",
     ["split piece 0 of 2: [0:1] along dim 1", "split piece 1 of 2: [1:4] along dim 1"]),
    (lambda x: dp.chunk(x, 2, dim=0), "chunk (2 pieces along dim 0)",
     ["chunk piece 0 of 2: [0:2] along dim 0", "chunk piece 1 of 2: [2:3] along dim 0"]),
    (lambda x: x.unbind(0), "unbind (3 pieces along dim 0)",
     ["unbind piece 0 of 3: [0:1] along dim 0", "unbind piece 1 of 3: [1:2] along dim 0",
      "unbind piece 2 of 3: [2:3] along dim 0"]),
], ids=["split", "chunk", "unbind"])
def test_the_pieces_of_a_split_are_labelled_apart_and_so_is_the_node_they_hang_from(make, whole, pieces):
    x = dp.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    parts = make(x)
    y = sum((p * (i + 1.0)).sum() for i, p in enumerate(parts))
    nodes, edges = parse_dot(visualize.to_dot(y))
    titles = [label[0] for label in nodes.values()]
    assert titles.count(whole) == 1
    assert sorted(t for t in titles if " piece " in t) == pieces
    # each piece hangs from the one whole, which hangs from x
    whole_id = next(n for n, label in nodes.items() if label[0] == whole)
    piece_ids = {n for n, label in nodes.items() if label[0] in pieces}
    assert {(a, b) for a, b in edges if b in piece_ids} == {(whole_id, n) for n in piece_ids}
    # what the pieces' operation is called stays the same (their grad_fn), only the drawing says which piece
    assert all(p._op == "split" or p._op == "reshape" for p in parts)
