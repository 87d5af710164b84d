"""A :class:`~deltaprop.textbook.trace.Trace` as terminal tables, Markdown, HTML or JSON.

The three human formats share one layout: :func:`blocks` turns the trace into headings, paragraphs
and tables, and each writer only decides how a heading, a paragraph or a table looks. JSON is the
trace itself with stable keys, documented in :data:`JSON_FIELDS` (and in docs/backprop.md).
"""

from __future__ import annotations

import html
import json
import math
import re
import textwrap
from dataclasses import dataclass

# -- numbers -----------------------------------------------------------------------------------


def number(value: float | None) -> str:
    """9 decimals, trailing zeros dropped (0.4, 0.593269992), scientific below 1e-4; '—' for none."""
    if value is None:
        return "—"
    if value == 0:
        return "0"
    if abs(value) < 1e-4 or abs(value) >= 1e7:
        return f"{value:.6e}"
    return f"{value:.9f}".rstrip("0").rstrip(".")


def short(value: float) -> str:
    """A factor inside a written-out sum: 6 significant digits, negatives in parentheses."""
    text = f"{value:.6g}"
    return f"({text})" if value < 0 else text


# -- the layout ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    headers: tuple
    rows: tuple
    numeric: tuple  # per column: right-aligned numbers?


_WRITE_OUT = 4  # sums with more terms than this are summarised instead of written out


def _sum_text(terms: list, extra: str | None = None) -> str:
    if len(terms) > _WRITE_OUT:
        return f"Σ of {len(terms)} terms" + (f" + {extra}" if extra else "")
    return " + ".join(terms + ([extra] if extra else []))


def _network_table(trace) -> Table:
    rows = [("0", "input", ", ".join(label for label, _ in trace.inputs), "", "", "", "")]
    for layer in trace.layers:
        n_in, n_out = len(layer.inputs), len(layer.nodes)
        first, last = layer.weights[0], layer.weights[-1]
        rows.append((
            str(layer.k),
            layer.role,
            ", ".join(node.label for node in layer.nodes),
            _module_name(first.parameter, f"Linear({n_in} → {n_out})"),
            layer.activation,
            f"{first.label}..{last.label}" if len(layer.weights) > 1 else first.label,
            layer.biases[0].label if layer.biases else "none",
        ))
    return Table(("k", "layer", "nodes", "module", "g", "weights", "biases"), tuple(rows), (False,) * 7)


def _module_name(parameter: str, layer: str) -> str:
    """'0: Linear(2 → 2)' for parameter '0.weight': where the layer sits in the model."""
    path = parameter.rpartition(".")[0]
    return f"{path}: {layer}" if path else layer


def _forward(trace) -> list:
    out = [Heading("Forward phase: a_j^k = Σ_i w_ij^k o_i^(k−1) + b_j^k,  o_j^k = g(a_j^k)")]
    below = dict(trace.inputs)
    for layer in trace.layers:
        out.append(Paragraph(f"Layer {layer.k} ({layer.role}), g = {layer.activation}: o = {layer.g.formula}"))
        rows = []
        for node in layer.nodes:
            weights = [w for w in layer.weights if w.j == node.j]
            bias = next((b for b in layer.biases if b.j == node.j), None)
            symbols = _sum_text([f"{w.label}·{w.source}" for w in weights], bias.label if bias else None)
            numbers = _sum_text([f"{short(w.value)}×{short(below[w.source])}" for w in weights], short(bias.value) if bias else None)
            rows.append((node.label, f"a_{node.j}^{layer.k} = {symbols}", numbers, number(node.a), number(node.o)))
        out.append(Table(("node", "weighted sum", "with numbers", "a", "o = g(a)"), tuple(rows), (False, False, False, True, True)))
        below = {node.label: node.o for node in layer.nodes}
    out.append(Paragraph("A node's label in a sum stands for its output o (i1 = x_1, the input)."))
    return out


def _error(trace) -> list:
    from .trace import LOSSES

    output = trace.layers[-1]
    share = {"sse": "½(t − o)²", "mse": "(t − o)²/n", "cross_entropy": "−t log o"}[trace.loss]
    rows = tuple(
        (node.label, number(t), number(node.o), number(e))
        for node, t, e in zip(output.nodes, trace.targets, trace.output_errors)
    )
    return [
        Heading(f"Error: {LOSSES[trace.loss].formula}"),
        Table(("output", "t", "o", share), rows, (False, True, True, True)),
        Paragraph(f"E = {number(trace.error)}"),
    ]


def _backward(trace) -> list:
    from .trace import LOSSES

    out = [
        Heading("Backward phase: δ_j^k = ∂E/∂a_j^k, from the output back to layer 1"),
        Paragraph("δ is a.grad and ∂E/∂o is o.grad, kept by retain_grad(); g'(a) comes from the activation's own gradient rule."),
    ]
    above = None
    for layer in reversed(trace.layers):
        if layer.role == "output":
            formula = LOSSES[trace.loss].output_delta
            out.append(Paragraph(f"Layer {layer.k} (output), {formula}"))
            out.append(Paragraph(f"g'(a) = {layer.g.slope}"))
            if layer.nodes[0].g_prime is not None:
                rows = tuple((n.label, number(n.dE_do), number(n.g_prime), number(n.delta)) for n in layer.nodes)
                out.append(Table(("node", "∂E/∂o", "g'(a)", "δ"), rows, (False, True, True, True)))
            else:
                rows = tuple((n.label, number(n.o), number(t), number(n.delta)) for n, t in zip(layer.nodes, trace.targets))
                out.append(Table(("node", "o", "t", "δ = o − t"), rows, (False, True, True, True)))
        else:
            out.append(Paragraph(f"Layer {layer.k} (hidden), δ_j = g'(a_j) · Σ_l w_jl δ_l over the nodes l of layer {layer.k + 1}"))
            out.append(Paragraph(f"g'(a) = {layer.g.slope}"))
            delta = {n.label: n.delta for n in above.nodes}
            rows = []
            for node in layer.nodes:
                weights = [w for w in above.weights if w.source == node.label]
                symbols = _sum_text([f"{w.label}·δ_{w.target}" for w in weights])
                numbers = _sum_text([f"{short(w.value)}×{short(delta[w.target])}" for w in weights])
                rows.append((node.label, symbols, numbers, number(node.dE_do), number(node.g_prime), number(node.delta)))
            headers = ("node", "Σ_l w_jl δ_l", "with numbers", "= ∂E/∂o", "g'(a)", "δ")
            out.append(Table(headers, tuple(rows), (False, False, False, True, True, True)))
        above = layer
    return out


def _updates(trace) -> list:
    r = number(trace.learning_rate)
    out = [Heading(f"Gradients and updates: ∂E/∂w_ij^k = δ_j^k · o_i^(k−1),  w ← w − r·∂E/∂w  (r = {r})")]
    layers = list(trace.layers)
    outputs_below = [dict(trace.inputs)] + [{n.label: n.o for n in layer.nodes} for layer in layers]
    for layer in reversed(layers):
        below = outputs_below[layer.k - 1]
        delta = {n.label: n.delta for n in layer.nodes}
        out.append(Paragraph(
            f"Layer {layer.k}: w_ij^{layer.k} is {layer.weights[0].parameter}[j−1, i−1] "
            f"(row j: the weights into node j)"
        ))
        # w_ij with one-digit indices, w_i,j from 10 nodes on (w_111 could be w_1,11 or w_11,1)
        comma = "," if max(max(w.i, w.j) for w in layer.weights) >= 10 else ""
        rows = tuple(
            (w.label, f"w_{w.i}{comma}{w.j}^{layer.k}", f"{w.source} → {w.target}", number(w.value), number(delta[w.target]),
             number(below[w.source]), number(w.grad), number(w.updated))
            for w in layer.weights
        )
        out.append(Table(
            ("weight", "w_ij^k", "from → to", "w", "δ_j^k", "o_i^(k−1)", "∂E/∂w", "new w"),
            rows, (False, False, False, True, True, True, True, True),
        ))
        if layer.biases:
            rows = tuple(
                (b.label, f"b_{b.j}^{layer.k}", b.target, number(b.value), number(b.grad),
                 number(b.updated) + (" (frozen)" if b.frozen else ""))
                for b in layer.biases
            )
            out.append(Table(("bias", "b_j^k", "into", "b", "∂E/∂b = δ_j^k", "new b"), rows, (False, False, False, True, True, True)))
    return out


def _blame(trace) -> list:
    out = [
        Heading("The intuition: the error split back in proportion to the weights"),
        Paragraph(
            "Each node's error e = t − o is shared among the nodes feeding it, node i getting "
            "e·w_ij / Σ_i' w_i'j. Backpropagation keeps the shape of this sum, drops the "
            "denominators and scales by g'(a): δ_j^k = g'(a_j^k) Σ_l w_jl δ_l."
        ),
    ]
    if not trace.blame:
        out.append(Paragraph("This network has no hidden layer, so there is nothing to split."))
    for part in trace.blame:
        errors = dict(part.errors)
        rows = tuple(
            (f"{s.source} (e = {number(errors[s.source])})", s.weight, s.target, number(s.fraction), number(s.error))
            for s in part.shares
        )
        out.append(Table(("from", "weight", "to", "w / Σw", "share of e"), rows, (False, False, False, True, True)))
        received = ", ".join(f"{label}: {number(e)}" for label, e in part.received)
        out.append(Paragraph(f"Layer {part.k - 1} errors by this split: {received}"))
    return out


def _steps(trace) -> list:
    n = len(trace.errors_after)
    out = [Heading("Training: the error after each update" if n > 1 else "After the update")]
    shown = range(1, n + 1)
    if n > 25:  # the first ten, about ten more spread over the run, and the last
        shown = sorted(set(range(1, 11)) | set(range(n // 10, n, max(n // 10, 1))) | {n})
    rows = [("0 (before)", number(trace.error))] + [(str(step), number(trace.errors_after[step - 1])) for step in shown]
    out.append(Table(("update", "E"), tuple(rows), (False, True)))
    if n > 25:
        out.append(Paragraph(f"{len(shown)} of {n} updates shown; the JSON output holds them all."))
    if trace.freeze_biases:
        out.append(Paragraph("Biases were frozen: only the weights were updated."))
    return out


def blocks(trace) -> list:
    """The trace as headings, paragraphs and tables, in reading order."""
    out = [
        Heading(f"deltaprop explain: {trace.title}", level=1),
        Paragraph(
            f"Loss {trace.loss}, learning rate r = {number(trace.learning_rate)}. Layer 0 is the input; "
            "node j of layer k has a_j^k = Σ_i w_ij^k o_i^(k−1) + b_j^k, o_j^k = g(a_j^k) and δ_j^k = ∂E/∂a_j^k. "
            "w_ij^k is the weight from node i of layer k−1 to node j of layer k, stored in nn.Linear as "
            "weight[j−1, i−1]. Every number is read from deltaprop's engine, in float64."
        ),
        _network_table(trace),
    ]
    for part in (_forward, _error, _backward, _updates, _blame, _steps):
        out += part(trace)
    return out


# -- the writers ---------------------------------------------------------------------------------


def _widths(table: Table) -> list:
    return [max(len(str(cell)) for cell in column) for column in zip(table.headers, *table.rows)]


_TEXT_WIDTH = 100


def to_text(trace) -> str:
    """Terminal tables: headings underlined, columns aligned, numbers right-aligned."""
    lines = []
    previous = None
    for block in blocks(trace):
        if isinstance(block, Paragraph) and isinstance(previous, Table):
            lines.append("")  # a table ends before the next layer's text starts
        previous = block
        if isinstance(block, Heading):
            lines += ["", block.text, ("=" if block.level == 1 else "-") * len(block.text)]
        elif isinstance(block, Paragraph):
            lines += textwrap.wrap(block.text, width=_TEXT_WIDTH, break_on_hyphens=False)
        else:
            widths = _widths(block)

            def row(cells):
                return "  " + "  ".join(
                    str(c).rjust(w) if numeric else str(c).ljust(w) for c, w, numeric in zip(cells, widths, block.numeric)
                ).rstrip()

            lines += [row(block.headers), "  " + "  ".join("─" * w for w in widths)]
            lines += [row(cells) for cells in block.rows]
    return "\n".join(lines).strip("\n") + "\n"


def _md_cell(text) -> str:
    return str(text).replace("|", "\\|")


def to_markdown(trace) -> str:
    """GitHub-flavoured Markdown: '#' headings and pipe tables."""
    parts = []
    for block in blocks(trace):
        if isinstance(block, Heading):
            parts.append("#" * block.level + " " + block.text)
        elif isinstance(block, Paragraph):
            parts.append(block.text)
        else:
            lines = ["| " + " | ".join(map(_md_cell, block.headers)) + " |"]
            lines.append("|" + "|".join("---:" if numeric else "---" for numeric in block.numeric) + "|")
            lines += ["| " + " | ".join(map(_md_cell, cells)) + " |" for cells in block.rows]
            parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


# x_j^k, x_{ij}^k, o_i^(k−1): the subscript and superscript of the seeds' notation, for HTML.
_NOTATION = re.compile(r"(?<=[A-Za-zδ])_([\w,]+)\^(\(k−1\)|\(k\+1\)|\w+)")


def _html_text(text: str) -> str:
    escaped = html.escape(str(text))
    return _NOTATION.sub(lambda m: f"<sub>{m.group(1)}</sub><sup>{m.group(2)}</sup>", escaped)


def to_html(trace) -> str:
    """HTML for notebooks (``Trace._repr_html_``): the same headings and tables."""
    parts = ['<div class="deltaprop-explain">']
    for block in blocks(trace):
        if isinstance(block, Heading):
            level = 3 if block.level == 1 else 4
            parts.append(f"<h{level}>{_html_text(block.text)}</h{level}>")
        elif isinstance(block, Paragraph):
            parts.append(f"<p>{_html_text(block.text)}</p>")
        else:
            head = "".join(f"<th>{_html_text(h)}</th>" for h in block.headers)
            body = "".join(
                "<tr>" + "".join(
                    f'<td style="text-align:{"right" if numeric else "left"}">{_html_text(c)}</td>'
                    for c, numeric in zip(cells, block.numeric)
                ) + "</tr>"
                for cells in block.rows
            )
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    parts.append("</div>")
    return "\n".join(parts)


# -- JSON ----------------------------------------------------------------------------------------

JSON_VERSION = 1

# Every key of the JSON output, as a path ("layers[].nodes[].delta": a key of every item of a list),
# with its meaning. Keys are only added within a version; removing or renaming one bumps "version".
JSON_FIELDS = {
    "format": 'always "deltaprop-explain"',
    "version": "the version of this layout (1)",
    "title": "what was traced, e.g. 'one training step of a 2-2-2 network'",
    "loss": "'sse', 'mse' or 'cross_entropy'",
    "error_formula": "the error function E, written out",
    "learning_rate": "r in w ← w − r·∂E/∂w",
    "freeze_biases": "true when the update left the biases unchanged",
    "inputs": "layer 0, one object per input node",
    "inputs[].i": "the node's index i (from 1)",
    "inputs[].label": "the node's label (i1, i2, ...)",
    "inputs[].o": "o_i^0 = x_i, the input value",
    "outputs": "the output layer against the target, one object per output node",
    "outputs[].label": "the node's label (o1, o2, ...)",
    "outputs[].t": "the target t_j",
    "outputs[].o": "the output o_j^m",
    "outputs[].error": "the node's term of E (E is their sum)",
    "error": "E before the update",
    "layers": "layers k = 1 .. m, input side first",
    "layers[].k": "the layer's index k",
    "layers[].role": "'hidden' or 'output'",
    "layers[].activation": (
        "g: sigmoid, tanh, relu, leaky_relu(s=...), elu(α=...), gelu, gelu(approximate=tanh), identity, silu, "
        "softplus(β=..., threshold=...), mish, selu, celu(α=...), hardtanh(min_val=..., max_val=...), relu6, "
        "logsigmoid, softsign, hardswish, hardsigmoid, tanhshrink, hardshrink(λ=...), softshrink(λ=...), "
        "threshold(threshold=..., value=...) or softmax"
    ),
    "layers[].g": "g(a), written out",
    "layers[].g_prime": "g'(a), written out",
    "layers[].delta_formula": "how δ_j^k follows from the layer above (or the error, for the output layer)",
    "layers[].nodes": "one object per node j",
    "layers[].nodes[].j": "the node's index j (from 1)",
    "layers[].nodes[].label": "the node's label (h1, o1, ...)",
    "layers[].nodes[].a": "a_j^k, the weighted sum",
    "layers[].nodes[].o": "o_j^k = g(a_j^k)",
    "layers[].nodes[].g_prime": "g'(a_j^k); null for a softmax output",
    "layers[].nodes[].dE_do": "∂E/∂o_j^k (Σ_l w_jl δ_l for a hidden node); null for a softmax output",
    "layers[].nodes[].delta": "δ_j^k = ∂E/∂a_j^k",
    "layers[].weights": "one object per weight, node by node (the order of weight.flatten())",
    "layers[].weights[].label": "the weight's label (w1, w2, ... numbered across the network)",
    "layers[].weights[].i": "i: the node of layer k−1 it comes from (from 1)",
    "layers[].weights[].j": "j: the node of layer k it goes to (from 1)",
    "layers[].weights[].from": "the label of node i of layer k−1",
    "layers[].weights[].to": "the label of node j of layer k",
    "layers[].weights[].parameter": "the model's parameter holding it, e.g. '0.weight'",
    "layers[].weights[].index": "its position [j−1, i−1] in that parameter",
    "layers[].weights[].value": "w_ij^k before the update",
    "layers[].weights[].grad": "∂E/∂w_ij^k = δ_j^k · o_i^(k−1)",
    "layers[].weights[].updated": "w − r·∂E/∂w",
    "layers[].biases": "one object per node's bias; empty for a layer without bias",
    "layers[].biases[].label": "the layer's bias label (b1, b2, ...)",
    "layers[].biases[].j": "the node j it feeds (from 1)",
    "layers[].biases[].to": "the label of that node",
    "layers[].biases[].parameter": "the model's parameter holding it, e.g. '0.bias'",
    "layers[].biases[].index": "its position [j−1] in that parameter",
    "layers[].biases[].value": "b_j^k before the update",
    "layers[].biases[].grad": "∂E/∂b_j^k = δ_j^k",
    "layers[].biases[].updated": "b − r·∂E/∂b, or b when frozen",
    "layers[].biases[].frozen": "true when the update left it unchanged",
    "blame": "the intuition before the derivation: each error split back in proportion to the weights, one object per layer k = m .. 2",
    "blame[].k": "the layer whose errors are split over layer k−1",
    "blame[].errors": "e of each node of layer k (e = t − o at the output)",
    "blame[].errors[].label": "the node's label",
    "blame[].errors[].e": "its error",
    "blame[].shares": "one object per weight into layer k",
    "blame[].shares[].from": "the node of layer k whose error is split",
    "blame[].shares[].to": "the node of layer k−1 receiving a share",
    "blame[].shares[].weight": "the weight's label",
    "blame[].shares[].fraction": "w_ij / Σ_i' w_i'j; null when the weights sum to 0",
    "blame[].shares[].error": "e_j times the fraction; null with it",
    "blame[].received": "the errors of layer k−1 by this split (the sum of the shares each got)",
    "blame[].received[].label": "the node's label",
    "blame[].received[].e": "its error",
    "steps": "the error after each update, the traced one first",
    "steps[].step": "the update's number (from 1)",
    "steps[].error": "E after that update",
}


def to_dict(trace) -> dict:
    """The trace as plain JSON-ready data, with the keys of :data:`JSON_FIELDS`."""
    output = trace.layers[-1]
    return {
        "format": "deltaprop-explain",
        "version": JSON_VERSION,
        "title": trace.title,
        "loss": trace.loss,
        "error_formula": trace.error_formula,
        "learning_rate": trace.learning_rate,
        "freeze_biases": trace.freeze_biases,
        "inputs": [{"i": i, "label": label, "o": x} for i, (label, x) in enumerate(trace.inputs, start=1)],
        "outputs": [
            {"label": node.label, "t": t, "o": node.o, "error": e}
            for node, t, e in zip(output.nodes, trace.targets, trace.output_errors)
        ],
        "error": trace.error,
        "layers": [_layer_dict(trace, layer) for layer in trace.layers],
        "blame": [
            {
                "k": part.k,
                "errors": [{"label": label, "e": e} for label, e in part.errors],
                "shares": [
                    {"from": s.source, "to": s.target, "weight": s.weight, "fraction": s.fraction, "error": s.error}
                    for s in part.shares
                ],
                "received": [{"label": label, "e": e} for label, e in part.received],
            }
            for part in trace.blame
        ],
        "steps": [{"step": n, "error": e} for n, e in enumerate(trace.errors_after, start=1)],
    }


def _layer_dict(trace, layer) -> dict:
    from .trace import LOSSES

    if layer.role == "output":
        delta_formula = LOSSES[trace.loss].output_delta
    else:
        delta_formula = "δ_j = g'(a_j) · Σ_l w_jl δ_l"
    return {
        "k": layer.k,
        "role": layer.role,
        "activation": layer.activation,
        "g": layer.g.formula,
        "g_prime": layer.g.slope,
        "delta_formula": delta_formula,
        "nodes": [
            {"j": n.j, "label": n.label, "a": n.a, "o": n.o, "g_prime": n.g_prime, "dE_do": n.dE_do, "delta": n.delta}
            for n in layer.nodes
        ],
        "weights": [
            {"label": w.label, "i": w.i, "j": w.j, "from": w.source, "to": w.target, "parameter": w.parameter,
             "index": list(w.index), "value": w.value, "grad": w.grad, "updated": w.updated}
            for w in layer.weights
        ],
        "biases": [
            {"label": b.label, "j": b.j, "to": b.target, "parameter": b.parameter, "index": list(b.index),
             "value": b.value, "grad": b.grad, "updated": b.updated, "frozen": b.frozen}
            for b in layer.biases
        ],
    }


def to_json(trace, indent: int | None = 2) -> str:
    """The trace as JSON text, strict: a non-finite number (an overflowed error) is written as null."""
    return json.dumps(_finite(to_dict(trace)), indent=indent, ensure_ascii=False, allow_nan=False)


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def render(trace, format: str = "table") -> str:
    """``format`` 'table' (terminal), 'markdown', 'json' or 'html'."""
    writers = {"table": to_text, "markdown": to_markdown, "json": to_json, "html": to_html}
    if format not in writers:
        from ..errors import ConfigError

        raise ConfigError(f"explain: format must be one of {', '.join(writers)}, got {format!r}")
    return writers[format](trace)
