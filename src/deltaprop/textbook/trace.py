"""One training step of a dense network, computed by the real engine and kept in the seeds' notation.

For layer k = 1 .. m and node j of that layer (seeds/002):

    a_j^k = Σ_i w_ij^k o_i^(k−1) + b_j^k        the weighted sum (o_i^0 = x_i, the input)
    o_j^k = g(a_j^k)                             the node's output
    δ_j^k = ∂E/∂a_j^k                            its error term
    ∂E/∂w_ij^k = δ_j^k · o_i^(k−1),  ∂E/∂b_j^k = δ_j^k,  w ← w − r·∂E/∂w

None of these numbers is re-derived on the side. The network is copied into float64 ``nn.Linear``
and activation modules; the forward pass keeps every a and o with ``retain_grad()``; one
``backward()`` fills a.grad (δ), o.grad (∂E/∂o, which for a hidden node is Σ_l w_jl δ_l) and the
parameters' .grad; ``optim.SGD`` applies w ← w − r·g. The slope g'(a) shown beside δ comes from the
activation's own gradient rule (the gradient of Σ_j g(a_j) with respect to a), so the trace holds no
second copy of any derivative.

Index convention: w_ij^k is the weight from node i of layer k−1 to node j of layer k. ``nn.Linear``
stores weights as (out_features, in_features), so w_ij^k = weight[j−1, i−1] (indices from 1 in the
notation, from 0 in the array).
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass

import numpy as np

from .. import nn, optim
from ..errors import ConfigError, ShapeError
from ..grad_mode import enable_grad
from ..nn import functional as F
from ..tensor import Tensor

# -- the activations and losses explain understands ------------------------------------------------


@dataclass(frozen=True)
class Activation:
    """An activation g as the trace names it: its module, and g and g' written for a reader."""

    name: str
    module: type
    formula: str
    slope: str  # g'(a), as the seeds write it


ACTIVATIONS = {
    activation.name: activation
    for activation in (
        Activation("sigmoid", nn.Sigmoid, "σ(a) = 1/(1 + e^(−a))", "σ'(a) = σ(a)(1 − σ(a)) = o(1 − o)"),
        Activation("tanh", nn.Tanh, "tanh(a)", "tanh'(a) = 1 − tanh²(a) = 1 − o²"),
        Activation("relu", nn.ReLU, "max(0, a)", "1 for a > 0, else 0"),
        Activation("leaky_relu", nn.LeakyReLU, "a for a > 0, else s·a", "1 for a > 0, else s"),
        Activation("elu", nn.ELU, "a for a > 0, else α(e^a − 1)", "1 for a > 0, else o + α"),
        Activation("gelu", nn.GELU, "a·Φ(a)", "Φ(a) + a·φ(a)"),
        Activation("identity", nn.Identity, "a", "1"),
        # PyTorch's other element-wise activations (not PReLU, whose slope is a learned weight)
        Activation("silu", nn.SiLU, "a·σ(a)", "σ(a)(1 + a(1 − σ(a))) = o + σ(a)(1 − o)"),
        Activation(
            "softplus", nn.Softplus, "(1/β)·log(1 + e^(βa)); a where βa > threshold",
            "σ(βa) = 1 − e^(−βo); 1 where βa > threshold",
        ),
        Activation(
            "mish", nn.Mish, "a·tanh(u),  u = softplus(a) = log(1 + e^a)", "tanh(u) + a·σ(a)(1 − tanh²(u))",
        ),
        Activation(
            "selu", nn.SELU, "λa for a > 0, else λα(e^a − 1);  λ ≈ 1.0507, α ≈ 1.6733",
            "λ for a > 0, else o + λα",
        ),
        Activation("celu", nn.CELU, "a for a > 0, else α(e^(a/α) − 1)", "1 for a > 0, else e^(a/α) = o/α + 1"),
        Activation("hardtanh", nn.Hardtanh, "min(max(a, min_val), max_val)", "1 for min_val < a < max_val, else 0"),
        Activation("relu6", nn.ReLU6, "min(max(0, a), 6)", "1 for 0 < a < 6, else 0"),
        Activation("logsigmoid", nn.LogSigmoid, "log σ(a) = −log(1 + e^(−a))", "σ(−a) = 1 − σ(a) = 1 − e^o"),
        Activation("softsign", nn.Softsign, "a/(1 + |a|)", "1/(1 + |a|)² = (1 − |o|)²"),
        Activation(
            "hardswish", nn.Hardswish, "a·min(max(a + 3, 0), 6)/6", "0 for a ≤ −3, a/3 + ½ for −3 < a < 3, 1 for a ≥ 3",
        ),
        Activation("hardsigmoid", nn.Hardsigmoid, "min(max(a + 3, 0), 6)/6", "1/6 for −3 < a < 3, else 0"),
        Activation("tanhshrink", nn.Tanhshrink, "a − tanh(a)", "tanh²(a) = (a − o)²"),
        Activation("hardshrink", nn.Hardshrink, "a for |a| > λ, else 0", "1 for |a| > λ, else 0"),
        Activation(
            "softshrink", nn.Softshrink, "a − λ for a > λ, a + λ for a < −λ, else 0", "1 for |a| > λ, else 0",
        ),
        Activation("threshold", nn.Threshold, "a for a > threshold, else value", "1 for a > threshold, else 0"),
        Activation("softmax", nn.Softmax, "e^(a_j) / Σ_l e^(a_l)", "not element-wise: with cross-entropy, δ = o − t"),
    )
}
_BY_MODULE = {activation.module: activation for activation in ACTIVATIONS.values()}
# GELU's tanh form computes other numbers than its exact form, so it is shown with its own formulas.
_GELU_TANH = Activation(
    "gelu(approximate=tanh)", nn.GELU, "½a(1 + tanh(u)),  u = √(2/π)(a + 0.044715a³)",
    "½(1 + tanh(u)) + ½a(1 − tanh²(u))·√(2/π)(1 + 3·0.044715a²)",
)


def activation_name(module) -> str:
    """The trace's name for an activation module, with its option: 'sigmoid', 'leaky_relu(s=0.1)'."""
    name = _BY_MODULE[type(module)].name
    if name == "leaky_relu":
        return f"leaky_relu(s={module.negative_slope:g})"
    if name in ("elu", "celu"):
        return f"{name}(α={module.alpha:g})"
    if name == "softplus":
        return f"softplus(β={module.beta:g}, threshold={module.threshold:g})"
    if name == "hardtanh":
        return f"hardtanh(min_val={module.min_val:g}, max_val={module.max_val:g})"
    if name in ("hardshrink", "softshrink"):
        return f"{name}(λ={module.lambd:g})"
    if name == "threshold":
        return f"threshold(threshold={module.threshold:g}, value={module.value:g})"
    if name == "gelu" and module.approximate == "tanh":
        return _GELU_TANH.name
    return name


@dataclass(frozen=True)
class Loss:
    """An error function E of one sample: its formula and its output-layer error term."""

    name: str
    formula: str
    output_delta: str


LOSSES = {
    loss.name: loss
    for loss in (
        Loss("sse", "E = Σ_j ½(t_j − o_j)²", "δ_j = (o_j − t_j) · g'(a_j)"),
        Loss("mse", "E = (1/n) Σ_j (t_j − o_j)²", "δ_j = (2/n)(o_j − t_j) · g'(a_j)"),
        Loss("cross_entropy", "E = −Σ_j t_j log o_j,  o = softmax(a)", "δ_j = o_j − t_j"),
    )
}


def _error(loss: str, a: Tensor, o: Tensor, t: np.ndarray) -> tuple[Tensor, np.ndarray]:
    """E as a tensor of the graph, and each output node's share of it (for display)."""
    if loss == "sse":
        return 0.5 * F.mse_loss(o, t, reduction="sum"), 0.5 * (o.data - t) ** 2
    if loss == "mse":
        return F.mse_loss(o, t), (o.data - t) ** 2 / t.size
    # Cross-entropy works on the logits a (softmax fused into the loss for stability); o = softmax(a)
    # is shown beside it but is not on the path from E back to the weights. The shares take log o
    # from the logits too: an o that underflows to 0 would make its share infinite where E is not.
    log_o = F.log_softmax(a.detach(), dim=-1).data
    shares = np.where(t > 0, -t * log_o + 0.0, 0.0)  # (+ 0.0: no -0.0 where log o is 0)
    return F.cross_entropy(a, t), shares


# -- the trace ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeTrace:
    """Node j of layer k: a_j^k, o_j^k, g'(a_j^k), ∂E/∂o_j^k and δ_j^k."""

    j: int
    label: str
    a: float
    o: float
    g_prime: float | None  # None where g is not element-wise (a softmax output)
    dE_do: float | None  # None where o is not on E's path (softmax output under cross-entropy)
    delta: float


@dataclass(frozen=True)
class WeightTrace:
    """w_ij^k: from node i of layer k−1 to node j of layer k; ``parameter[index]`` in the model."""

    label: str
    i: int
    j: int
    source: str
    target: str
    parameter: str
    index: tuple
    value: float
    grad: float
    updated: float


@dataclass(frozen=True)
class BiasTrace:
    """b_j^k, a weight whose input is always 1: its gradient is δ_j^k."""

    label: str
    j: int
    target: str
    parameter: str
    index: tuple
    value: float
    grad: float
    updated: float
    frozen: bool


@dataclass(frozen=True)
class LayerTrace:
    k: int
    role: str  # 'hidden' or 'output'
    activation: str
    inputs: tuple  # labels of the nodes of layer k−1
    nodes: tuple  # NodeTrace per node
    weights: tuple  # WeightTrace, in the order of weight.flatten(): node by node
    biases: tuple  # BiasTrace per node; empty for a layer without bias

    @property
    def g(self) -> Activation:
        if self.activation == _GELU_TANH.name:
            return _GELU_TANH
        return ACTIVATIONS[self.activation.split("(")[0]]


@dataclass(frozen=True)
class ErrorShare:
    """seeds/000: the part of node ``source``'s error e that weight ``weight`` carries back to ``target``."""

    source: str
    target: str
    weight: str
    fraction: float | None  # w_ij / Σ_i' w_i'j; None when the weights into ``source`` sum to 0
    error: float | None


@dataclass(frozen=True)
class BlameLayer:
    """The proportional split of layer k's errors over the nodes of layer k−1."""

    k: int
    errors: tuple  # (label, e) for the nodes of layer k
    shares: tuple  # ErrorShare per weight
    received: tuple  # (label, e) for the nodes of layer k−1: the sum of the shares they got


@dataclass(frozen=True, repr=False)
class Trace:
    """One training step of a dense network in the seeds' notation; see :func:`explain`.

    Render it with ``str(trace)`` (terminal tables), :meth:`to_markdown`, :meth:`to_json`
    (documented keys, :data:`deltaprop.textbook.render.JSON_FIELDS`) or, in a notebook, as HTML.
    """

    title: str
    loss: str
    learning_rate: float
    freeze_biases: bool
    inputs: tuple  # (label, x_i)
    targets: tuple  # t_j per output node
    output_errors: tuple  # each output node's share of E
    error: float
    layers: tuple  # LayerTrace for k = 1 .. m
    blame: tuple  # BlameLayer for k = m .. 2
    errors_after: tuple  # E after update 1, 2, ..., steps

    @property
    def error_formula(self) -> str:
        return LOSSES[self.loss].formula

    def to_dict(self) -> dict:
        from .render import to_dict

        return to_dict(self)

    def to_json(self, indent: int | None = 2) -> str:
        from .render import to_json

        return to_json(self, indent)

    def to_markdown(self) -> str:
        from .render import to_markdown

        return to_markdown(self)

    def to_text(self) -> str:
        from .render import to_text

        return to_text(self)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        updates = len(self.errors_after)
        return (
            f"<Trace: {self.title}; loss {self.loss}, E = {self.error:.9g}, "
            f"E after {updates} update{'s' if updates != 1 else ''} = {self.errors_after[-1]:.9g}>"
        )

    def _repr_html_(self) -> str:
        from .render import to_html

        return to_html(self)


# -- reading the model -------------------------------------------------------------------------


def _modules(model) -> list:
    """The model's modules in the order they run: a Sequential (nested ones flattened), a list, or one layer."""
    if isinstance(model, (list, tuple)):
        items = list(model)
    elif isinstance(model, nn.Sequential):
        items = list(model)
    elif isinstance(model, nn.Module):
        items = [model]
    else:
        raise TypeError(f"explain: model must be an nn.Sequential of Linear and activation layers, got a {type(model).__name__}")
    flat = []
    for item in items:
        flat.extend(_modules(item) if isinstance(item, (nn.Sequential, list, tuple)) else [item])
    return flat


def _dense_layers(model) -> list:
    """[(Linear, activation module or None, parameter prefix)] for Linear layers each followed by at most one g."""
    names = {}
    if isinstance(model, nn.Module):
        for name, module in model.named_modules():
            names[id(module)] = f"{name}." if name else ""
    layers = []
    for position, module in enumerate(_modules(model)):
        if isinstance(module, nn.Linear):
            layers.append([module, None, names.get(id(module), f"{position}.")])
        elif type(module) in _BY_MODULE:
            if not layers or layers[-1][1] is not None:
                raise ConfigError(
                    f"explain: module {position} ({type(module).__name__}) must follow a Linear layer; "
                    f"explain handles Linear layers each followed by at most one activation"
                )
            layers[-1][1] = module
        else:
            supported = ", ".join(sorted(a.module.__name__ for a in ACTIVATIONS.values()))
            raise ConfigError(
                f"explain: module {position} is a {type(module).__name__}; explain handles Linear layers "
                f"each followed by one of {supported}"
            )
    if not layers:
        raise ConfigError("explain: the model has no Linear layer to explain")
    first_use = {}
    for k, (linear, _, _) in enumerate(layers, start=1):
        for parameter in (linear.weight, linear.bias):
            if parameter is not None and id(parameter) in first_use:
                # Its gradient would be the sum over both uses, and each layer's table would show
                # an update of its own: the trace is of networks whose layers own their weights.
                raise ConfigError(
                    f"explain: layers {first_use[id(parameter)]} and {k} share their weights (the same Linear "
                    f"used twice, or a tied weight); explain traces networks whose layers each own their weights"
                )
            if parameter is not None:
                first_use[id(parameter)] = k
    for k, (linear, activation, _) in enumerate(layers, start=1):
        if isinstance(activation, nn.Softmax) and k != len(layers):
            raise ConfigError(f"explain: softmax is supported on the output layer only, found it after layer {k} of {len(layers)}")
        if k > 1 and linear.in_features != layers[k - 2][0].out_features:
            raise ShapeError(
                f"explain: layer {k} (Linear({linear.in_features} -> {linear.out_features})) takes "
                f"{linear.in_features} inputs but layer {k - 1} has {layers[k - 2][0].out_features} outputs"
            )
    return layers


def _copy_float64(linear, activation):
    """A float64 twin of one layer, so the user's model is never touched and the numbers are exact."""
    twin = nn.Linear(linear.in_features, linear.out_features, bias=linear.bias is not None, dtype=np.float64)
    twin.weight.data[...] = linear.weight.data
    if linear.bias is not None:
        twin.bias.data[...] = linear.bias.data
    if activation is None:
        g = nn.Identity()
    elif isinstance(activation, nn.Softmax):
        g = nn.Softmax(dim=-1)  # over the nodes of the one sample, whatever dim the model used
    else:
        g = type(activation)(**activation.config())
    return twin, g


def node_labels(sizes: list) -> list:
    """Labels of every layer's nodes: i1.. for the input, h1.. for one hidden layer (h1.1.. for
    several: hidden layer, then node), o1.. for the output, as in the seeds' 2-2-2 network."""
    hidden = len(sizes) - 2
    labels = [[f"i{j}" for j in range(1, sizes[0] + 1)]]
    for k in range(1, len(sizes) - 1):
        prefix = "h" if hidden == 1 else f"h{k}."
        labels.append([f"{prefix}{j}" for j in range(1, sizes[k] + 1)])
    labels.append([f"o{j}" for j in range(1, sizes[-1] + 1)])
    return labels


# -- the inputs --------------------------------------------------------------------------------


def _sample(name: str, values, size: int) -> np.ndarray:
    array = np.asarray(values.data if isinstance(values, Tensor) else values, dtype=np.float64)
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    if array.shape != (size,):
        raise ShapeError(f"explain: {name} must be one sample of {size} values (shape ({size},) or (1, {size})), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ShapeError(f"explain: {name} holds a value that is not a finite number: {array.tolist()}")
    return array


def _target(loss: str, target, size: int) -> np.ndarray:
    if loss == "cross_entropy" and np.ndim(target.data if isinstance(target, Tensor) else target) == 0:
        index = target.item() if isinstance(target, Tensor) else target
        if isinstance(index, bool) or int(index) != index or not 0 <= int(index) < size:
            raise ConfigError(f"explain: a class index target must be an integer in [0, {size}), got {index!r}")
        t = np.zeros(size)
        t[int(index)] = 1.0
        return t
    t = _sample("target", target, size)
    if loss == "cross_entropy" and (t.min() < 0 or abs(t.sum() - 1) > 1e-9):
        raise ConfigError(f"explain: a cross_entropy target must be a class index or probabilities summing to 1, got {t.tolist()}")
    return t


# -- the computation -----------------------------------------------------------------------------


def _forward(layers, x: np.ndarray, loss: str, t: np.ndarray):
    """Run the network on one sample, keeping every a and o (retain_grad); returns ([(a, o)], E, shares)."""
    o = Tensor(x[None, :], dtype=np.float64)
    kept = []
    for linear, g in layers:
        a = linear(o).retain_grad()
        o = g(a).retain_grad()
        kept.append((a, o))
    a, o = kept[-1]
    E, shares = _error(loss, a, o, t[None, :])
    return kept, E, shares[0]


def _slope(g, a: np.ndarray) -> np.ndarray | None:
    """g'(a) from the activation's gradient rule: the gradient of Σ_j g(a_j) is g'(a_j) for an element-wise g."""
    if isinstance(g, nn.Softmax):
        return None
    leaf = Tensor(a.copy(), requires_grad=True, dtype=np.float64)
    out = g(leaf)
    if out is leaf:  # identity: nothing was recorded, the slope is 1
        return np.ones_like(a)
    out.sum().backward()
    return leaf.grad


def _blame(weights: list, labels: list, weight_labels: list, errors: np.ndarray) -> tuple:
    """seeds/000: each node's error e split over its incoming weights in proportion to them, layer by layer.

    ``weights`` are the (out, in) weight arrays of layers 1 .. m before the update; ``errors`` the
    output layer's e = t − o. Layer k's nodes pass their errors to layer k−1 for k = m .. 2.
    """
    blame = []
    for k in range(len(weights), 1, -1):
        W = weights[k - 1]
        received = np.zeros(W.shape[1])
        shares = []
        for j in range(W.shape[0]):
            total = W[j].sum()
            for i in range(W.shape[1]):
                # Signed weights can cancel: with no sensible proportion, the share is left undefined.
                fraction = None if abs(total) < 1e-12 else float(W[j, i] / total)
                amount = None if fraction is None else float(errors[j] * fraction)
                received[i] += 0.0 if amount is None else amount
                shares.append(ErrorShare(labels[k][j], labels[k - 1][i], weight_labels[k - 1][j][i], fraction, amount))
        blame.append(
            BlameLayer(
                k,
                tuple(zip(labels[k], map(float, errors))),
                tuple(shares),
                tuple(zip(labels[k - 1], map(float, received))),
            )
        )
        errors = received
    return tuple(blame)


def _weight_labels(layers: list) -> list:
    """w1, w2, ... numbered layer by layer in the order of weight.flatten(), as the classic example numbers them."""
    labels, counter = [], 0
    for linear, _ in layers:
        n = linear.in_features
        labels.append([[f"w{counter + j * n + i + 1}" for i in range(n)] for j in range(linear.out_features)])
        counter += linear.out_features * n
    return labels


def _layer_trace(
    k: int, role: str, layer, kept, before, labels: list, weight_labels: list, prefix: str, freeze_biases: bool
) -> LayerTrace:
    """Read layer k's numbers off the engine: a, o and their .grad, g'(a), the weights' .grad and new values."""
    linear, g = layer
    a, o = kept
    W, b = before
    slopes = _slope(g, a.data[0])
    nodes = tuple(
        NodeTrace(
            j=j + 1,
            label=labels[k][j],
            a=float(a.data[0, j]),
            o=float(o.data[0, j]),
            g_prime=None if slopes is None else float(slopes[j]),
            dE_do=None if o.grad is None else float(o.grad[0, j]),
            delta=float(a.grad[0, j]),
        )
        for j in range(linear.out_features)
    )
    weights = tuple(
        WeightTrace(
            label=weight_labels[k - 1][j][i],
            i=i + 1,
            j=j + 1,
            source=labels[k - 1][i],
            target=labels[k][j],
            parameter=f"{prefix}weight",
            index=(j, i),
            value=float(W[j, i]),
            grad=float(linear.weight.grad[j, i]),
            updated=float(linear.weight.data[j, i]),
        )
        for j in range(linear.out_features)
        for i in range(linear.in_features)
    )
    biases = ()
    if b is not None:
        biases = tuple(
            BiasTrace(
                label=f"b{k}",
                j=j + 1,
                target=labels[k][j],
                parameter=f"{prefix}bias",
                index=(j,),
                value=float(b[j]),
                grad=float(linear.bias.grad[j]),
                updated=float(linear.bias.data[j]),
                frozen=freeze_biases,
            )
            for j in range(linear.out_features)
        )
    return LayerTrace(k, role, activation_name(g), tuple(labels[k - 1]), nodes, weights, biases)


def _check_options(loss, lr, steps) -> None:
    if not isinstance(loss, str) or loss not in LOSSES:
        raise ConfigError(f"explain: loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    if isinstance(lr, (bool, np.bool_)) or not isinstance(lr, numbers.Real) or not math.isfinite(lr) or lr <= 0:
        raise ConfigError(f"explain: lr must be a positive number, got {lr!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ConfigError(f"explain: steps must be a positive integer, got {steps!r}")


def _output_activation(loss: str, found: list) -> None:
    """Check the output activation against the loss; cross-entropy's softmax is made explicit."""
    last = found[-1][1]
    if loss == "cross_entropy":
        if not (last is None or isinstance(last, nn.Softmax)):
            raise ConfigError(
                f"explain: loss 'cross_entropy' puts a softmax on the output layer, so the last Linear must be "
                f"followed by Softmax or nothing, not {type(last).__name__}"
            )
        found[-1][1] = nn.Softmax(dim=-1)
    elif isinstance(last, nn.Softmax):
        raise ConfigError(f"explain: a Softmax output needs loss 'cross_entropy' (its Jacobian is not diagonal), got loss {loss!r}")


def explain(
    model, x, target, *, loss: str = "sse", lr: float = 0.5, steps: int = 1, freeze_biases: bool = False, title: str | None = None
) -> Trace:
    """Trace one training step of a dense network in the notation of the seeds.

    ``model`` is an ``nn.Sequential`` of ``nn.Linear`` layers, each followed by at most one
    element-wise activation (Sigmoid, Tanh, ReLU, LeakyReLU, ELU, GELU, Identity, SiLU, Softplus,
    Mish, SELU, CELU, Hardtanh, ReLU6, LogSigmoid, Softsign, Hardswish, Hardsigmoid, Tanhshrink;
    Softmax on the output with ``loss='cross_entropy'``). ``x`` is one sample and ``target`` its target: values
    for every output, or a class index with cross-entropy. ``loss`` is 'sse' (E = Σ ½(t − o)²,
    the seeds'), 'mse' (the mean of (t − o)² over the outputs) or 'cross_entropy' (softmax output).

    The step runs on a float64 copy of the model, which is left unchanged. ``steps`` = N also
    records the error after each of N plain gradient-descent updates w ← w − lr·∂E/∂w (the first
    is the traced one); ``freeze_biases`` keeps the biases fixed, as the classic worked example does.
    """
    _check_options(loss, lr, steps)
    found = _dense_layers(model)
    _output_activation(loss, found)
    layers = [_copy_float64(linear, g) for linear, g, _ in found]
    sizes = [layers[0][0].in_features] + [linear.out_features for linear, _ in layers]
    xs = _sample("x", x, sizes[0])
    t = _target(loss, target, sizes[-1])
    labels = node_labels(sizes)
    weight_labels = _weight_labels(layers)

    parameters = [linear.weight for linear, _ in layers]
    if not freeze_biases:
        parameters += [linear.bias for linear, _ in layers if linear.bias is not None]
    optimizer = optim.SGD(parameters, lr=float(lr))  # w ← w − r·g, the seeds' update
    # Overflow (huge weights or inputs, a learning rate that diverges) shows as inf and nan in the
    # trace and one warning below, not as NumPy's warnings from inside the engine.
    with enable_grad(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        kept, E, shares = _forward(layers, xs, loss, t)
        before = [(linear.weight.data.copy(), None if linear.bias is None else linear.bias.data.copy()) for linear, _ in layers]
        E.backward()
        optimizer.step()
        m = len(layers)
        traced = tuple(
            _layer_trace(
                k, "output" if k == m else "hidden", layers[k - 1], kept[k - 1], before[k - 1],
                labels, weight_labels, found[k - 1][2], freeze_biases,
            )
            for k in range(1, m + 1)
        )
        errors = t - kept[-1][1].data[0]  # seeds/000: e = t − o
        blame = _blame([W for W, _ in before], labels, weight_labels, errors)

        errors_after = []
        for step in range(1, steps + 1):
            _, E_now, _ = _forward(layers, xs, loss, t)
            errors_after.append(float(E_now.item()))
            if step < steps:
                for linear, _ in layers:
                    linear.zero_grad()
                E_now.backward()
                optimizer.step()

    traced_numbers = [
        value
        for layer in traced
        for value in (
            *(x for node in layer.nodes for x in (node.a, node.o, node.delta)),
            *(x for w in layer.weights for x in (w.grad, w.updated)),
            *(x for b in layer.biases for x in (b.grad, b.updated)),
        )
    ]
    if not all(math.isfinite(value) for value in (float(E.item()), *errors_after, *traced_numbers)):
        warnings.warn(
            "explain: the step overflowed float64 (the error, a gradient or an updated weight is not a finite "
            "number): the weights, the input or the learning rate are too large; the trace shows inf and nan "
            "where it happened",
            RuntimeWarning, stacklevel=2,
        )
    return Trace(
        title=title or f"one training step of a {'-'.join(map(str, sizes))} network",
        loss=loss,
        learning_rate=float(lr),
        freeze_biases=bool(freeze_biases),
        inputs=tuple(zip(labels[0], map(float, xs))),
        targets=tuple(map(float, t)),
        output_errors=tuple(map(float, shares)),
        error=float(E.item()),
        layers=traced,
        blame=blame,
        errors_after=tuple(errors_after),
    )
