"""``model.summary(input_shape)``: layers, output shapes and parameter counts, as a table.

The counts are PyTorch's: parameters only, each counted once however many layers share it (the
total is ``model.num_parameters()``); a BatchNorm's running statistics are buffers, not parameters,
and are counted on a line of their own. Non-trainable parameters are those frozen with
``requires_grad = False``.

The output shapes come from running the model on zeros of the given shape (in evaluation mode,
without recording a graph); each layer's call is observed by wrapping its ``forward`` for the
duration of the run. It runs twice, with 2 and with 3 along the input's first axis, the batch: an
axis whose size followed it shows as N. That is the first axis of most outputs, but the second of a
recurrent layer's final state h_n, (num_layers · directions, N, hidden), whose first axis may itself
be 2. (A recurrent layer without ``batch_first`` reads the input's first axis as the sequence, so
there N is the number of steps.) A layer that returns a tuple shows the shapes of its tensors as a
list, nested as the tuple is: an LSTM's (output, (h_n, c_n)) as
``[(N, 5, 16), [(1, N, 16), (1, N, 16)]]`` (batch_first, 5 steps of 8 features: ``input_shape=(5, 8)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .dtypes import tensor_dtype
from .grad_mode import no_grad
from .tensor import Tensor


@dataclass
class SummaryRow:
    name: str
    layer: str
    output_shape: tuple | list | None  # at the batch of 2; a list of shapes for a tuple of tensors
    parameters: int
    trainable: bool
    output_text: str = "-"  # the shape as the table shows it, N where it follows the batch


@dataclass
class Summary:
    rows: list = field(default_factory=list)
    input_shape: tuple = ()
    total_parameters: int = 0
    trainable_parameters: int = 0
    buffer_values: int = 0  # the numbers of the floating-point buffers: running statistics

    @property
    def non_trainable_parameters(self) -> int:
        return self.total_parameters - self.trainable_parameters

    def __str__(self) -> str:
        header = ("Layer", "Type", "Output shape", "Params")
        body = [
            (row.name or "(model)", row.layer, row.output_text, f"{row.parameters:,}")
            for row in self.rows
        ]
        widths = [max(len(str(cells[i])) for cells in [header, *body]) for i in range(4)]

        def line(cells):
            return "  ".join(
                str(cell).rjust(widths[i]) if i == 3 else str(cell).ljust(widths[i]) for i, cell in enumerate(cells)
            ).rstrip()

        rule = "-" * len(line(header))
        input_text = _shape_text(self.input_shape, (_OTHER_BATCH, *self.input_shape[1:]))
        lines = [f"Input shape: {input_text}", rule, line(header), rule, *map(line, body), rule]
        lines.append(f"Total parameters: {self.total_parameters:,}")
        lines.append(f"Trainable parameters: {self.trainable_parameters:,}")
        lines.append(f"Non-trainable parameters: {self.non_trainable_parameters:,}")
        if self.buffer_values:
            lines.append(f"Buffers (running statistics, not parameters): {self.buffer_values:,} values")
        return "\n".join(lines)

    __repr__ = __str__


_BATCH, _OTHER_BATCH = 2, 3  # the second run only tells which axes follow the batch


def _shapes(out):
    """The shape of a layer's output: a tensor's shape, or for a tuple (or list) holding tensors the
    list of their shapes, nested as the output is, None for an item that is no tensor (the weights
    MultiheadAttention leaves out); None for anything else."""
    if isinstance(out, Tensor):
        return out.shape
    if isinstance(out, (tuple, list)):
        shapes = [_shapes(item) for item in out]
        return None if all(shape is None for shape in shapes) else shapes
    return None


def _shape_text(shape, resized) -> str:
    """``shape`` (at the batch of 2) as text, given ``resized``, the same output's shape at a batch of
    3: N for each axis that followed the batch, lists of shapes in brackets; "-" without a shape."""
    if shape is None or resized is None:
        return "-"
    if isinstance(shape, list):
        return "[" + ", ".join(map(_shape_text, shape, resized)) + "]"
    return "(" + ", ".join(str(n) if n == m else "N" for n, m in zip(shape, resized)) + ")"


def _describe(module) -> str:
    describe = getattr(module, "describe", None)
    if callable(describe):
        return describe()
    extra = module.extra_repr()
    return f"{type(module).__name__}({extra})" if extra else type(module).__name__


_MISSING = object()


def _observe_classes(classes, names: dict, observed: dict) -> dict:
    """Wrap each class's forward (and __call__, which modules bind to it) so that a call on one of
    the named instances records its output shape; returns what to put back."""
    patched = {}
    for cls in classes:
        original = cls.forward

        def forward(self, *args, _original=original, **kwargs):
            out = _original(self, *args, **kwargs)
            name = names.get(id(self))
            if name is not None:
                observed[name] = _shapes(out)
            return out

        patched[cls] = (cls.__dict__.get("forward", _MISSING), cls.__dict__.get("__call__", _MISSING))
        cls.forward = forward
        cls.__call__ = forward
    return patched


def _restore_classes(patched: dict) -> None:
    for cls, saved in patched.items():
        for attribute, value in zip(("forward", "__call__"), saved):
            if value is _MISSING:
                delattr(cls, attribute)
            else:
                setattr(cls, attribute, value)


def summary(model, input_shape, file=None, dtype=None) -> Summary:
    """Summarise ``model`` for inputs of ``input_shape`` (one sample's shape, without the batch axis)
    and ``dtype`` (the parameters' by default; an integer dtype for a model that starts with an
    Embedding, as torchinfo's ``dtypes``)."""
    input_shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    result = Summary(input_shape=(_BATCH, *input_shape))
    observed = {}
    runs = []  # what each run observed: the shapes of each layer's output
    # The layers with a row: the leaves, and a layer with parameters of its own beside its layers
    # (MultiheadAttention and its out_proj, a custom model with a scale), whose output is observed too.
    shown = [(name, module) for name, module in model.named_modules()
             if not module._modules or any(p is not None for p in module._parameters.values())]
    names = {id(module): name for name, module in shown}
    patched = _observe_classes({type(module) for _, module in shown}, names, observed)
    modes = [(module, module.training) for module in model.modules()]  # each layer's own, restored after
    if dtype is None:
        dtype = next((p.data.dtype for p in model.parameters()), np.dtype(np.float32))
    else:
        dtype = tensor_dtype("summary", dtype)
    try:
        model.eval()
        with no_grad():
            for batch in (_BATCH, _OTHER_BATCH):
                observed.clear()
                model(Tensor._wrap(np.zeros((batch, *input_shape), dtype=dtype)))
                runs.append(dict(observed))
    finally:
        _restore_classes(patched)
        for module, training in modes:
            object.__setattr__(module, "training", training)

    seen = set()  # a parameter two layers share counts once, in the first layer that holds it
    for name, module in model.named_modules():
        own = [p for p in module._parameters.values() if p is not None and id(p) not in seen]
        seen.update(id(p) for p in own)
        if module._modules and not own:
            continue
        count = sum(p.data.size for p in own)
        trainable = sum(p.data.size for p in own if p.requires_grad)
        shapes = [run.get(name) for run in runs]
        result.rows.append(
            SummaryRow(name, _describe(module), shapes[0], count, trainable == count, _shape_text(*shapes)))
        result.total_parameters += count
        result.trainable_parameters += trainable
        result.buffer_values += sum(
            np.asarray(b).size for b in module._buffers.values() if b is not None and np.asarray(b).dtype.kind == "f")
    if file is not None:
        print(result, file=file)
    return result
