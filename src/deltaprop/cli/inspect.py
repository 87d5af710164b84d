"""``deltaprop summary``: what a model file holds."""

from __future__ import annotations

import numpy as np

from ..serialization import load_model
from ..tabular import TabularModel
from .options import UsageError


def register(commands, formatter) -> None:
    parser = commands.add_parser(
        "summary",
        help="show a model's layers, shapes, parameter counts and training settings",
        description=(
            "Show the layers, output shapes and parameter counts of a saved model, and the settings it was\n"
            "trained with. A model saved from Python (deltaprop.save) has output shapes when its first layer is\n"
            "Linear, which tells the input's size, or when --input-shape gives it; otherwise its layers and\n"
            "parameter count are shown."
        ),
        epilog=("examples:\n  deltaprop summary runs/digits-20260101-120000/model.safetensors\n"
                "  deltaprop summary transformer.safetensors --input-shape 10,32 --input-shape 9,32\n"
                "  deltaprop summary tagger.safetensors --input-shape 12 --input-shape 12 --dtype int64 --dtype float32\n"),
        formatter_class=formatter,
    )
    parser.add_argument("model", metavar="MODEL", help="a model (or checkpoint) file")
    parser.add_argument("--input-shape", action="append", type=_shape, metavar="SHAPE",
                        help="one sample's shape without the batch axis, as 5,8; once per input of the model's forward")
    parser.add_argument("--dtype", action="append", metavar="DTYPE",
                        help="the inputs' dtype (default: the parameters'), once for all or once per --input-shape")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.set_defaults(run=run)


def _shape(text: str) -> tuple:
    """'5,8' -> (5, 8); '' -> () for a sample that is one number."""
    try:
        shape = tuple(int(size) for size in text.split(",")) if text.strip() else ()
    except ValueError:
        shape = None
    if shape is None or any(size < 0 for size in shape):
        raise UsageError(f"--input-shape must be one sample's sizes separated by commas, as 5,8, got {text!r}")
    return shape


def _input_options(args) -> dict:
    """summary()'s input arguments from --input-shape and --dtype; none without --input-shape."""
    shapes, dtypes = args.input_shape, args.dtype
    if not shapes:
        if dtypes:
            raise UsageError("--dtype needs --input-shape: it is the dtype of the inputs made of those shapes")
        return {}
    if dtypes and len(dtypes) not in (1, len(shapes)):
        raise UsageError(f"--dtype must be given once for every input or once per --input-shape ({len(shapes)}), "
                         f"not {len(dtypes)} times")
    for name in dtypes or ():
        try:
            np.dtype(name)
        except TypeError:
            raise UsageError(f"--dtype {name!r} is not a dtype NumPy knows (float32, int64, ...)") from None
    options = {"input_shape": shapes[0] if len(shapes) == 1 else shapes}
    if dtypes and len(dtypes) == 1:
        options["dtype"] = dtypes[0]
    elif dtypes:
        options["dtypes"] = dtypes
    return options


def run(args) -> int:
    given = _input_options(args)
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
        lines.append(str(network.summary(**given) if given else network.summary(input_shape)))
        config = model.settings.get("config") or {}
        if config:
            lines.append("Training settings:")
            shown = {_printable(key): _show(value) for key, value in config.items()}
            width = max(map(len, shown))
            lines += [f"  {key:<{width}}  {value}" for key, value in shown.items()]
    elif given:
        lines.append(str(network.summary(**given)))
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
