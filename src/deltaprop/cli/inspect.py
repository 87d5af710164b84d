"""``deltaprop summary``: what a model file holds."""

from __future__ import annotations

from ..serialization import load_model
from ..tabular import TabularModel


def register(commands, formatter) -> None:
    parser = commands.add_parser(
        "summary",
        help="show a model's layers, shapes, parameter counts and training settings",
        description=(
            "Show the layers, output shapes and parameter counts of a saved model, and the settings it was\n"
            "trained with. A model saved from Python (deltaprop.save) has output shapes when its first layer is\n"
            "Linear, which tells the input's size; otherwise its layers and parameter count are shown."
        ),
        epilog="example:\n  deltaprop summary runs/digits-20260101-120000/model.safetensors\n",
        formatter_class=formatter,
    )
    parser.add_argument("model", metavar="MODEL", help="a model (or checkpoint) file")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.set_defaults(run=run)


def run(args) -> int:
    network = load_model(args.model)
    metadata = network.metadata
    lines = [f"Model file: {args.model}"]
    if "tabular" in metadata:
        model = TabularModel.from_metadata(network, metadata, where=args.model)
        n_features = len(model.feature_names)
        input_shape = model.input_shape or (n_features,)
        lines.append(f"Task: {model.task}; target {model.target_name!r}; {n_features} features")
        if model.classes is not None:
            shown = ", ".join(map(_printable, model.classes[:20])) + (" ..." if len(model.classes) > 20 else "")
            lines.append(f"Classes ({len(model.classes)}): {shown}")
        lines.append(str(network.summary(input_shape)))
        config = model.settings.get("config") or {}
        if config:
            lines.append("Training settings:")
            shown = {_printable(key): _show(value) for key, value in config.items()}
            width = max(map(len, shown))
            lines += [f"  {key:<{width}}  {value}" for key, value in shown.items()]
    else:
        lines.append(_plain_summary(network))
    print("\n".join(lines))
    return 0


def _plain_summary(network) -> str:
    """The table for a model saved with ``deltaprop.save``, whose file does not say what its input
    is: a first Linear layer tells its size; otherwise the layers and the count without shapes."""
    from .. import nn
    from ..errors import DeltapropError

    first = next((module for _, module in network.named_modules() if not module._modules), None)
    if isinstance(first, nn.Linear):
        try:
            return str(network.summary((first.in_features,)))
        except (DeltapropError, NotImplementedError, TypeError, ValueError):
            pass  # a container without a forward of its own (ModuleList), say
    return "\n".join([
        repr(network),
        f"Parameters: {network.num_parameters():,} (output shapes need the input's size, which the file does not hold)",
    ])


def _show(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(map(_printable, value)) or "none"
    return "-" if value is None else _printable(value)


def _printable(value) -> str:
    """``value`` as text with its control characters escaped (``\\x1b``, ``\\n``): the names and
    settings in a model file are a stranger's text, which must not drive the terminal."""
    text = str(value)
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
