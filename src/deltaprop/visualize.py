"""Drawing the computation graph that ``backward()`` walks.

:func:`draw_graph` follows a tensor's recorded parents back to the leaves and writes the graph as
Graphviz DOT text (always; no Python package needed). When Graphviz's ``dot`` program is installed
it also renders SVG or PNG; when it is not, it says so and keeps the DOT, which any Graphviz
viewer (or https://dreampuf.github.io/GraphvizOnline) can draw.

Every node shows the operation that made it (or what kind of leaf it is), its shape, a summary of
its value and, after ``backward()``, of its gradient. Interior nodes keep a gradient only when they
asked for one with ``retain_grad()``; leaves that require a gradient always do.
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import atomic
from .errors import ConfigError
from .tensor import Tensor

FORMATS = ("svg", "png", "dot")


@dataclass(frozen=True, repr=False)
class Graph:
    """A drawn computation graph: the DOT text, and the rendered image when Graphviz was available.

    ``format`` is what was asked for; ``image`` holds the SVG or PNG bytes (None for 'dot', or when
    ``dot`` is missing); ``path`` is the file written, if any. In a notebook the graph displays
    itself as SVG or PNG.
    """

    dot: str
    format: str
    image: bytes | None = None
    path: Path | None = None

    def _repr_svg_(self):
        return self.image.decode("utf-8") if self.format == "svg" and self.image is not None else None

    def _repr_png_(self):
        return self.image if self.format == "png" and self.image is not None else None

    def __str__(self) -> str:
        return self.dot

    def __repr__(self) -> str:
        nodes = sum(1 for line in self.dot.splitlines() if "[label=" in line)
        rendered = "rendered" if self.image is not None else "not rendered"
        where = f", written to {self.path}" if self.path is not None else ""
        return f"<Graph: {nodes} nodes, {self.format} {rendered if self.format != 'dot' else 'text'}{where}>"


def draw_graph(tensor: Tensor, format: str | None = None, path=None, names: dict | None = None) -> Graph:
    """Draw the graph that produced ``tensor``, as DOT and, when Graphviz is installed, SVG or PNG.

    ``format`` is 'svg', 'png' or 'dot'; left out, it is the suffix of ``path`` where that is one
    of them ('graph.png': PNG), else 'svg'. With ``path`` the drawing is written there (a suffix
    that names another of the formats is refused: SVG text in 'graph.png' opens nowhere); if
    Graphviz's ``dot`` program is missing, a warning says how to get it and the DOT text is written
    instead, next to ``path`` with the suffix '.dot'. ``names`` maps names to the tensors (or NumPy
    arrays) to label, e.g. ``dict(model.named_parameters())``. Returns a :class:`Graph`.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"draw_graph: expected a Tensor, got a {type(tensor).__name__}")
    suffix = Path(path).suffix.lower().removeprefix(".") if path is not None else ""
    if format is None:
        format = suffix if suffix in FORMATS else "svg"
    if format not in FORMATS:
        raise ConfigError(f"draw_graph: format must be one of {', '.join(FORMATS)}, got {format!r}")
    if suffix in FORMATS and suffix != format:
        raise ConfigError(
            f"draw_graph: path {str(path)!r} ends in .{suffix}, but format is {format!r}; give a path ending in "
            f".{format}, or format={suffix!r}"
        )
    dot = to_dot(tensor, names)
    image = None
    if format != "dot":
        image = _render(dot, format)
    target = None
    if path is not None:
        target = Path(path)
        if format == "dot" or image is None:
            if image is None and format != "dot":
                target = target.with_suffix(".dot")
            atomic.write_text(target, dot)
        else:
            atomic.write_bytes(target, image)
    return Graph(dot, format, image, target)


def _render(dot: str, format: str) -> bytes | None:
    """``dot -T<format>`` on the text, or None (with a warning) when Graphviz is not installed."""
    program = shutil.which("dot")
    if program is None:
        warnings.warn(
            f"draw_graph: Graphviz's 'dot' program was not found, so no {format.upper()} was made; the DOT text "
            "is kept (Graph.dot, or the .dot file). Install Graphviz to render it: 'apt install graphviz', "
            "'brew install graphviz', 'conda install -c conda-forge graphviz' or https://graphviz.org/download/",
            RuntimeWarning,
            stacklevel=3,
        )
        return None
    result = subprocess.run([program, f"-T{format}"], input=dot.encode("utf-8"), capture_output=True, check=False)
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        first = lines[0] if lines else "no message"
        raise RuntimeError(f"draw_graph: Graphviz 'dot' failed with exit code {result.returncode}: {first}")
    return result.stdout


# -- the DOT text ------------------------------------------------------------------------------


def _nodes(root: Tensor) -> list:
    """Every tensor reachable from ``root`` through recorded parents, producers before consumers."""
    order, seen = [], {id(root)}
    stack = [(root, iter(root._parents))]
    while stack:  # iterative depth-first search: deep graphs must not hit the recursion limit
        node, parents = stack[-1]
        for parent in parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append((parent, iter(parent._parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def summarize(values) -> str:
    """A short description of an array: every value when there are at most 4, else min/mean/max."""
    array = np.asarray(values)
    if array.dtype.kind not in "fiub":
        return type(values).__name__
    if array.size == 0:
        return "empty"
    if array.size <= 4:
        shown = ", ".join(f"{v:.4g}" for v in array.reshape(-1).tolist())
        return shown if array.ndim == 0 else f"[{shown}]"
    data = array.astype(np.float64)
    return f"min {data.min():.4g}  mean {data.mean():.4g}  max {data.max():.4g}"


def _kind(tensor: Tensor, names: dict) -> tuple[str, str]:
    """(first line of the label, fill colour) for one node."""
    from .nn.module import Parameter

    name = names.get(id(tensor)) or names.get(id(tensor.data))
    if tensor._backward is not None:
        # (a rule may carry a label that says more than its operation's name: which piece of a split)
        title = getattr(tensor._backward, "label", None) or tensor._op
        return (f"{title}" + (f"  ({name})" if name else ""), "#dbeafe")
    if not isinstance(tensor.data, np.ndarray):
        return ("constant", "#f3f4f6")  # a Python number wrapped by an operation (2 in x * 2)
    if isinstance(tensor, Parameter):
        return (f"parameter {name}" if name else "parameter", "#fde68a")
    if tensor.requires_grad:
        return (f"leaf {name}" if name else "leaf (requires grad)", "#fde68a")
    if tensor._op is not None:
        return (f"{tensor._op} (no grad)", "#f3f4f6")
    return (f"input {name}" if name else "input", "#e5e7eb")


def _key(node: Tensor):
    """What identifies a node of the drawing: the tensor, or for data wrapped by an operation (no
    gradient, no graph of its own) the array it holds."""
    if node._backward is None and not node.requires_grad and isinstance(node.data, np.ndarray):
        return ("data", id(node.data))
    return id(node)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(root: Tensor, names: dict | None = None) -> str:
    """The graph of ``root`` as Graphviz DOT text; data flows downwards, the result at the bottom."""
    # A NumPy array used in an operation (a target, say) is wrapped in a new tensor that holds the
    # very same array, so arrays are recognised by the identity of their data.
    labels = {id(t): str(n) for n, t in (names or {}).items() if isinstance(t, (Tensor, np.ndarray))}
    # An array used by several operations is wrapped once per use: draw it once, by its data.
    every = _nodes(root)
    keys = {id(node): _key(node) for node in every}
    nodes, ids = [], {}
    for node in every:
        if keys[id(node)] not in ids:
            ids[keys[id(node)]] = f"n{len(nodes)}"
            nodes.append(node)
    lines = [
        "digraph deltaprop {",
        '  graph [rankdir=TB, fontname="Helvetica"];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        '  edge [arrowsize=0.7];',
    ]
    for node in nodes:
        title, colour = _kind(node, labels)
        shape = np.shape(node.data)
        dtype = f"  {node.dtype}" if isinstance(node.data, np.ndarray) else ""  # constants are Python numbers
        parts = [title, f"shape {tuple(shape)}{dtype}", f"value {summarize(node.data)}"]
        if node.grad is not None:
            parts.append(f"grad {summarize(node.grad)}")
        label = "\\n".join(_escape(part) for part in parts)
        extra = ", penwidth=2" if node is root else ""
        lines.append(f'  {ids[keys[id(node)]]} [label="{label}", fillcolor="{colour}"{extra}];')
    for node in nodes:
        for parent in node._parents:  # an input used twice (x * x) has two edges, as it carries two gradients
            lines.append(f"  {ids[keys[id(parent)]]} -> {ids[keys[id(node)]]};")
    lines.append("}")
    return "\n".join(lines) + "\n"
