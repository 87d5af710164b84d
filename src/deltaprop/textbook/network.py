"""A small dense network, its input and its target, read from JSON (``deltaprop explain --network``).

The file is one JSON object::

    {
      "description": "optional: a title for the trace",
      "layers": [
        {"weight": [[0.15, 0.20], [0.25, 0.30]], "bias": [0.35, 0.35], "activation": "sigmoid"},
        {"weight": [[0.40, 0.45], [0.50, 0.55]], "bias": [0.60, 0.60], "activation": "sigmoid"}
      ],
      "input": [0.05, 0.10],
      "target": [0.01, 0.99],
      "loss": "sse",
      "learning_rate": 0.5
    }

``layers`` (required) lists the layers from the input to the output. In each layer:

* ``weight`` (required): a matrix with one row per node of the layer and one column per node of
  the layer below, as ``nn.Linear.weight`` stores it: ``weight[j][i]`` is w_(i+1)(j+1)^k, the weight
  from node i+1 of layer k−1 to node j+1 of layer k;
* ``bias`` (optional): one number per node; leave it out for a layer without bias;
* ``activation`` (optional, default ``"identity"``): sigmoid, tanh, relu, leaky_relu, elu, gelu,
  identity, silu, softplus, mish, selu, celu, hardtanh, relu6, logsigmoid, softsign, hardswish,
  hardsigmoid, tanhshrink, hardshrink, softshrink, threshold, or softmax (output layer, with the
  cross_entropy loss);
* ``negative_slope`` (leaky_relu only, default 0.01), ``alpha`` (elu and celu only, default 1.0),
  ``beta`` (softplus only, default 1.0; its threshold is 20), ``lambd`` (hardshrink and softshrink
  only, default 0.5), ``threshold`` and ``value`` (threshold only, both needed: PyTorch's
  Threshold has no defaults). hardtanh clips to [−1, 1].

``input`` (required) holds one number per column of the first weight; ``target`` (required) one
number per row of the last weight, or, with cross_entropy, a class index (0-based integer) or
probabilities summing to 1.
``loss`` is ``"sse"`` (default; E = Σ ½(t − o)²), ``"mse"`` or ``"cross_entropy"``;
``learning_rate`` (default 0.5) is r in w ← w − r·∂E/∂w. Any other key is an error, so a typo is
caught rather than ignored. Errors are one sentence naming the file and the key.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import nn
from ..errors import ConfigError, DataError
from .trace import ACTIVATIONS, LOSSES

_TOP_KEYS = ("description", "layers", "input", "target", "loss", "learning_rate")
_LAYER_KEYS = ("weight", "bias", "activation", "negative_slope", "alpha", "beta", "lambd", "threshold", "value")
# each layer option, the activations that take it, and its default (None: none, the option is needed)
_OPTIONS = {
    "negative_slope": (("leaky_relu",), 0.01), "alpha": (("elu", "celu"), 1.0), "beta": (("softplus",), 1.0),
    "lambd": (("hardshrink", "softshrink"), 0.5), "threshold": (("threshold",), None), "value": (("threshold",), None),
}


@dataclass
class Network:
    """A model (float64 ``nn.Sequential``) with the sample, loss and learning rate to explain it on."""

    model: nn.Sequential
    input: np.ndarray
    target: np.ndarray | int
    loss: str = "sse"
    learning_rate: float = 0.5
    description: str | None = None

    def explain(self, *, steps: int = 1, freeze_biases: bool = False):
        """:func:`deltaprop.textbook.trace.explain` on this network, its sample and its settings."""
        from .trace import explain

        return explain(
            self.model, self.input, self.target, loss=self.loss, lr=self.learning_rate,
            steps=steps, freeze_biases=freeze_biases, title=self.description,
        )


def load_network(path) -> Network:
    """Read a network file (the schema is in this module's docstring)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (Notepad writes one) is fine
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text (byte {error.start} cannot be decoded); a network file is JSON") from None
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(f"{path}: not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    return network_from_dict(spec, where=str(path))


def network_from_dict(spec, where: str = "network") -> Network:
    """A :class:`Network` from the parsed JSON object ``spec``; ``where`` names it in errors."""
    if not isinstance(spec, dict):
        raise DataError(f"{where}: the network must be a JSON object with keys {', '.join(_TOP_KEYS)}, got {_kind(spec)}")
    _known_keys(where, "", spec, _TOP_KEYS)
    for key in ("layers", "input", "target"):
        if key not in spec:
            raise DataError(f"{where}: the key '{key}' is missing")
    description = spec.get("description")
    if description is not None and not isinstance(description, str):
        raise DataError(f"{where}: 'description' must be a string, got {_kind(description)}")
    loss = spec.get("loss", "sse")
    if not isinstance(loss, str) or loss not in LOSSES:
        raise DataError(f"{where}: 'loss' must be one of {', '.join(LOSSES)}, got {loss!r}")
    learning_rate = _number(where, "learning_rate", spec.get("learning_rate", 0.5))
    if learning_rate <= 0:
        raise DataError(f"{where}: 'learning_rate' must be positive, got {learning_rate!r}")

    layers = spec["layers"]
    if not isinstance(layers, list) or not layers:
        raise DataError(f"{where}: 'layers' must be a non-empty list of layer objects, got {_kind(layers)}")
    modules = []
    width = None
    for index, layer in enumerate(layers):
        linear, activation = _layer(where, index, layer, width, last=index == len(layers) - 1, loss=loss)
        modules.append(linear)
        if activation is not None:
            modules.append(activation)
        width = linear.out_features

    n_in = modules[0].in_features
    x = np.array(_vector(where, "input", spec["input"]), dtype=np.float64)
    if x.size != n_in:
        raise DataError(f"{where}: 'input' has {x.size} values, but layers[0].weight has {n_in} columns (one per input)")
    target = spec["target"]
    if loss == "cross_entropy" and isinstance(target, int) and not isinstance(target, bool):
        if not 0 <= target < width:
            raise DataError(f"{where}: 'target' is class index {target}, outside [0, {width}) for {width} outputs")
    else:
        target = np.array(_vector(where, "target", target), dtype=np.float64)
        if target.size != width:
            raise DataError(f"{where}: 'target' has {target.size} values, but the last layer has {width} outputs (rows of its weight)")
        if loss == "cross_entropy" and (target.min() < 0 or abs(target.sum() - 1) > 1e-9):
            raise DataError(f"{where}: 'target' must be a class index or probabilities summing to 1 for loss "
                            f"'cross_entropy', got {target.tolist()}")
    return Network(nn.Sequential(*modules), x, target, loss, learning_rate, description)


def _layer(where, index, layer, width, last, loss):
    name = f"layers[{index}]"
    if not isinstance(layer, dict):
        raise DataError(f"{where}: {name} must be an object with keys {', '.join(_LAYER_KEYS)}, got {_kind(layer)}")
    _known_keys(where, f"{name}.", layer, _LAYER_KEYS)
    if "weight" not in layer:
        raise DataError(f"{where}: {name} has no 'weight' key (a list of rows, one per node of the layer)")
    weight = _matrix(where, f"{name}.weight", layer["weight"])
    rows, columns = weight.shape
    if width is not None and columns != width:
        raise DataError(
            f"{where}: {name}.weight has {columns} columns, but layers[{index - 1}] has {width} outputs; "
            f"each row holds one weight per node of the layer below"
        )
    linear = nn.Linear(columns, rows, bias="bias" in layer, dtype=np.float64)
    linear.weight.data[...] = weight
    if "bias" in layer:
        bias = np.array(_vector(where, f"{name}.bias", layer["bias"]), dtype=np.float64)
        if bias.size != rows:
            raise DataError(f"{where}: {name}.bias has {bias.size} values, but {name}.weight has {rows} rows (one per node)")
        linear.bias.data[...] = bias

    activation = layer.get("activation", "identity")
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise DataError(f"{where}: {name}.activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    for option, (owners, _) in _OPTIONS.items():
        if option in layer and activation not in owners:
            owned = f"the {owners[0]} activation" if len(owners) == 1 else f"the {' and '.join(owners)} activations"
            raise DataError(
                f"{where}: {name}.{option} applies to {owned} only, but the layer's activation is {activation!r}"
            )
    if activation == "softmax" and not (last and loss == "cross_entropy"):
        raise DataError(f"{where}: {name}.activation 'softmax' is allowed on the last layer only, with loss 'cross_entropy'")
    if activation == "identity":
        return linear, None
    for option, (owners, default) in _OPTIONS.items():
        if default is None and activation in owners and option not in layer:
            raise DataError(f"{where}: {name}.{option} is needed by the {activation} activation, which has no default "
                            f"for it")
    options = {
        option: _number(where, f"{name}.{option}", layer.get(option, default))
        for option, (owners, default) in _OPTIONS.items()
        if activation in owners
    }
    try:
        module = ACTIVATIONS[activation].module(**options)
    except ConfigError as error:  # an option the layer refuses, e.g. softplus with beta 0
        raise DataError(f"{where}: {name}: {error}") from None
    return linear, module


def _known_keys(where, prefix, mapping, allowed) -> None:
    for key in mapping:
        if key not in allowed:
            raise DataError(f"{where}: unknown key '{prefix}{key}'; the keys are {', '.join(allowed)}")


def _kind(value) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), f"the number {value!r}" if isinstance(value, (int, float)) else type(value).__name__)


def _number(where, key, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataError(f"{where}: '{key}' must be a finite number, got {_kind(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise DataError(f"{where}: '{key}' must be a finite number, got an integer of {len(str(abs(value)))} digits") from None
    if not math.isfinite(number):
        raise DataError(f"{where}: '{key}' must be a finite number, got {_kind(value)}")
    return number


def _vector(where, key, value) -> list:
    if not isinstance(value, list) or not value:
        raise DataError(f"{where}: '{key}' must be a non-empty list of numbers, got {_kind(value)}")
    return [_number(where, f"{key}[{i}]", item) for i, item in enumerate(value)]


def _matrix(where, key, value) -> np.ndarray:
    if not isinstance(value, list) or not value or not all(isinstance(row, list) for row in value):
        raise DataError(f"{where}: '{key}' must be a non-empty list of rows (lists of numbers), got {_kind(value)}")
    rows = [_vector(where, f"{key}[{j}]", row) for j, row in enumerate(value)]
    for j, row in enumerate(rows):
        if len(row) != len(rows[0]):
            raise DataError(
                f"{where}: '{key}[{j}]' has {len(row)} numbers, but '{key}[0]' has {len(rows[0])}; every row needs one per input"
            )
    return np.array(rows, dtype=np.float64)
