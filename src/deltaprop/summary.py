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

A model of several inputs takes a list of shapes, one per positional input (``[(5, 8), (7, 8)]`` for
a Transformer's src and tgt), with ``dtypes`` one per input; or ``input_data``, the inputs
themselves: a list passed positionally, a dict passed as keywords (a Transformer's ``tgt_mask``), a
tuple in the list where forward takes one (an LSTM's ``(h0, c0)``). The second run then adds one
sample to each (see :mod:`deltaprop.summary_inputs` for how the batch axis is found); where that run
fails, the sizes are shown as they are, without N. A model that fails on the inputs is reported
with the layer that failed: the innermost one whose forward raised.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from . import summary_inputs
from .errors import ConfigError, DeltapropError
from .grad_mode import no_grad
from .tensor import Tensor


@dataclass
class SummaryRow:
    name: str
    layer: str
    output_shape: tuple | list | None  # at the first run's batch (2 from input_shape); a list for a tuple
    parameters: int
    trainable: bool
    output_text: str = "-"  # the shape as the table shows it, N where it follows the batch


@dataclass
class Summary:
    rows: list = field(default_factory=list)
    input_shape: tuple = ()  # the first input's, batch included (2 from input_shape)
    input_text: str = ""  # every input as the header shows it, N for the axes that follow the batch
    input_count: int = 1  # positional and keyword inputs
    batch_found: bool = True  # False where the run with one sample more failed: no N is shown
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
        lines = [f"Input shape{'s' if self.input_count > 1 else ''}: {self.input_text}"]
        if not self.batch_found:
            lines.append("(the run with one sample more failed, so the batch axis is not marked N)")
        lines += [rule, line(header), rule, *map(line, body), rule]
        lines.append(f"Total parameters: {self.total_parameters:,}")
        lines.append(f"Trainable parameters: {self.trainable_parameters:,}")
        lines.append(f"Non-trainable parameters: {self.non_trainable_parameters:,}")
        if self.buffer_values:
            lines.append(f"Buffers (running statistics, not parameters): {self.buffer_values:,} values")
        return "\n".join(lines)

    __repr__ = __str__


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

# summary wraps the layer classes' forward while it runs: two summaries at once (in two threads) would
# each put back what it found, one of them the other's wrapper, left on the class for good. One at a time.
_PATCHING = threading.RLock()


def _observe_classes(classes, names: dict, observed: dict, failures: list) -> dict:
    """Wrap each class's forward (and __call__, where modules bind it to forward) so that a call on one
    of the named instances records its output shape, and a call that raises records the layer beside
    the error (the innermost layer first, as the error rises); returns what to put back."""
    patched = {}
    for cls in classes:
        original = cls.forward

        def forward(self, *args, _original=original, **kwargs):
            try:
                out = _original(self, *args, **kwargs)
            except Exception as error:
                if not any(seen is error for seen, _ in failures):
                    failures.append((error, self))
                raise
            name = names.get(id(self))
            if name is not None:
                observed[name] = _shapes(out)
            return out

        patched[cls] = (cls.__dict__.get("forward", _MISSING), cls.__dict__.get("__call__", _MISSING))
        cls.forward = forward
        if cls._call_is_forward:  # a class with a __call__ of its own calls forward from it
            cls.__call__ = forward
    return patched


def _restore_classes(patched: dict) -> None:
    for cls, saved in patched.items():
        for attribute, value in zip(("forward", "__call__"), saved):
            if value is _MISSING:
                if attribute in cls.__dict__:
                    delattr(cls, attribute)
            else:
                setattr(cls, attribute, value)


def _failed_layer(error, failures: list):
    """The innermost layer whose forward raised ``error`` or an error it was raised from (a Sequential
    re-raises its layer's ShapeError with the layer's index)."""
    chain = []
    while error is not None and all(error is not seen for seen in chain):
        chain.append(error)
        error = error.__cause__ or error.__context__
    for link in reversed(chain):
        layer = next((module for seen, module in failures if seen is link), None)
        if layer is not None:
            return layer
    return None


def _model_failed(model, error, failures: list, where: str) -> ConfigError:
    layer = _failed_layer(error, failures)
    name = next((name for name, module in model.named_modules() if module is layer), None)
    reason = str(error) or type(error).__name__
    if not isinstance(error, DeltapropError):
        reason += f" ({type(error).__name__})"
    if name:
        place = f"in layer {name!r} ({_describe(layer)})"
    elif layer is not None:
        place = "in its own forward"
    else:
        place = "outside its layers"
    return ConfigError(f"summary: {type(model).__name__} failed on the inputs of {where} {place}: {reason}")


def summary(model, input_shape=None, file=None, dtype=None, *, input_data=None, dtypes=None) -> Summary:
    """Summarise ``model`` for inputs of ``input_shape`` (one sample's shape, without the batch axis, or
    a list of them, one per positional input) of ``dtype`` (the parameters' by default; an integer
    dtype for a model that starts with an Embedding, as torchinfo's ``dtypes``) or ``dtypes`` (one per
    input); or for ``input_data``, the inputs themselves (a tensor or array, a list of them passed
    positionally, a dict of them passed as keywords)."""
    if (input_shape is None) == (input_data is None):
        raise ConfigError("summary: give input_shape (one sample's shape, or a list of them) or input_data (the "
                          "inputs themselves), " + ("not both" if input_data is not None else "one of them"))
    if input_data is not None:
        if dtype is not None or dtypes is not None:
            raise ConfigError("summary: dtype and dtypes are for input_shape; input_data's arrays keep their own")
        where = "input_data"
        runs_inputs = summary_inputs.from_data(input_data)
    else:
        where = "input_shape"
        shapes, _ = summary_inputs.parse_shapes(input_shape)
        default = next((p.data.dtype for p in model.parameters()), np.dtype(np.float32))
        dtypes = summary_inputs.parse_dtypes(dtypes, dtype, len(shapes), default)
        runs_inputs = summary_inputs.from_shapes(shapes, dtypes)
    summary_inputs.check_arguments(model, *runs_inputs[0], where)
    first_args, first_kwargs = runs_inputs[0]
    first_input = next((a for a in [*first_args, *first_kwargs.values()] if isinstance(a, Tensor)), None)
    result = Summary(input_shape=first_input.shape if first_input is not None else (),
                     input_count=len(first_args) + len(first_kwargs))
    observed, failures = {}, []
    runs = []  # what each run observed: the shapes of each layer's output
    # The layers with a row: the leaves, and a layer with parameters of its own beside its layers
    # (MultiheadAttention and its out_proj, a custom model with a scale), whose output is observed too.
    shown = [(name, module) for name, module in model.named_modules()
             if not module._modules or any(p is not None for p in module._parameters.values())]
    names = {id(module): name for name, module in shown}
    with _PATCHING:
        runs = _observe_runs(model, runs_inputs, names, observed, failures, where, result)
    result.input_text = summary_inputs.inputs_text(*runs_inputs)
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


def _observe_runs(model, runs_inputs, names, observed, failures, where, result) -> list:
    """Run the model on each of ``runs_inputs`` in eval mode without gradients, its layer classes
    watched, and return what each run observed (the shapes of each layer's output); the classes and
    every layer's train/eval mode are put back however the runs end."""
    runs = []
    # Every layer is watched for errors, so that a failure names the innermost layer it came from.
    patched = _observe_classes({type(module) for module in model.modules()}, names, observed, failures)
    modes = [(module, module.training) for module in model.modules()]  # each layer's own, restored after
    try:
        model.eval()
        with no_grad():
            for run, (args, kwargs) in enumerate(runs_inputs):
                observed.clear()
                try:
                    model(*args, **kwargs)
                except Exception as error:
                    if run == 0 or where == "input_shape":
                        raise _model_failed(model, error, failures, where) from error
                    # input_data with one sample more: the batch axis was not where it was looked for
                    runs_inputs[1] = runs_inputs[0]
                    result.batch_found = False
                    runs.append(runs[0])
                    continue
                runs.append(dict(observed))
    finally:
        _restore_classes(patched)
        for module, training in modes:
            object.__setattr__(module, "training", training)
    return runs
