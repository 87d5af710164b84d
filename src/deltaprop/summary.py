"""``model.summary(input_shape)``: layers, output shapes and parameter counts, as a table.

The counts are PyTorch's: parameters only, each counted once however many layers share it (the
total is ``model.num_parameters()``); a BatchNorm's running statistics are buffers, not parameters,
and are counted on a line of their own. Non-trainable parameters are those frozen with
``requires_grad = False``.

The output shapes come from running the model once on zeros of the given shape (batch of 2, in
evaluation mode, without recording a graph); each layer's call is observed by wrapping its
``forward`` for the duration of that one run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .grad_mode import no_grad
from .tensor import Tensor


@dataclass
class SummaryRow:
    name: str
    layer: str
    output_shape: tuple | None
    parameters: int
    trainable: bool


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
            (row.name or "(model)", row.layer, _shape_text(row.output_shape), f"{row.parameters:,}")
            for row in self.rows
        ]
        widths = [max(len(str(cells[i])) for cells in [header, *body]) for i in range(4)]

        def line(cells):
            return "  ".join(
                str(cell).rjust(widths[i]) if i == 3 else str(cell).ljust(widths[i]) for i, cell in enumerate(cells)
            ).rstrip()

        rule = "-" * len(line(header))
        lines = [f"Input shape: {_shape_text(self.input_shape)}", rule, line(header), rule, *map(line, body), rule]
        lines.append(f"Total parameters: {self.total_parameters:,}")
        lines.append(f"Trainable parameters: {self.trainable_parameters:,}")
        lines.append(f"Non-trainable parameters: {self.non_trainable_parameters:,}")
        if self.buffer_values:
            lines.append(f"Buffers (running statistics, not parameters): {self.buffer_values:,} values")
        return "\n".join(lines)

    __repr__ = __str__


def _shape_text(shape) -> str:
    if shape is None:
        return "-"
    return "(" + ", ".join(["N", *map(str, shape[1:])]) + ")" if shape else "()"


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
                observed[name] = out.shape if isinstance(out, Tensor) else None
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


def summary(model, input_shape, file=None) -> Summary:
    """Summarise ``model`` for inputs of ``input_shape`` (one sample's shape, without the batch axis)."""
    input_shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    result = Summary(input_shape=(2, *input_shape))
    observed = {}
    leaves = [(name, module) for name, module in model.named_modules() if not module._modules]
    names = {id(module): name for name, module in leaves}
    patched = _observe_classes({type(module) for _, module in leaves}, names, observed)
    was_training = model.training
    dtype = next((p.data.dtype for p in model.parameters()), np.dtype(np.float32))
    try:
        model.eval()
        with no_grad():
            model(Tensor._wrap(np.zeros((2, *input_shape), dtype=dtype)))
    finally:
        _restore_classes(patched)
        model.train(was_training)

    seen = set()  # a parameter two layers share counts once, in the first layer that holds it
    for name, module in model.named_modules():
        own = [p for p in module._parameters.values() if p is not None and id(p) not in seen]
        seen.update(id(p) for p in own)
        if module._modules and not own:
            continue
        count = sum(p.data.size for p in own)
        trainable = sum(p.data.size for p in own if p.requires_grad)
        result.rows.append(SummaryRow(name, _describe(module), observed.get(name), count, trainable == count))
        result.total_parameters += count
        result.trainable_parameters += trainable
        result.buffer_values += sum(
            np.asarray(b).size for b in module._buffers.values() if b is not None and np.asarray(b).dtype.kind == "f")
    if file is not None:
        print(result, file=file)
    return result
