"""The inputs ``summary`` runs a model on, at two batch sizes: from shapes, or from the caller's data.

From ``input_shape`` (one sample's shape, or a list of them, one per positional input): zeros of
``dtype`` (or ``dtypes[i]``) with a batch axis of 2 put in front, then of 3. From ``input_data`` (a
tensor or array, a list of them passed positionally, a dict passed as keywords; a tuple such as an
LSTM's ``(h0, c0)`` may stand in a list): the data as given, then the data with one sample more. The
batch is the first axis of the first tensor; in every tensor the first axis of that size grows by a
copy of its first slice (so token ids and masks stay valid), which finds the batch of an LSTM's
``h0`` (layers, N, hidden) too. Tensors without an axis of that size, and other values (None, True),
are passed the same in both runs. (A forward whose one input is itself a list takes it wrapped in a
list, as in torchinfo.)
"""

from __future__ import annotations

import inspect

import numpy as np

from .dtypes import tensor_dtype
from .errors import ConfigError
from .tensor import Tensor

BATCH, OTHER_BATCH = 2, 3  # the second run only tells which axes follow the batch


def _is_size(n) -> bool:
    return isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_))


def _one_shape(shape, where: str) -> tuple:
    if _is_size(shape):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not all(_is_size(n) and n >= 0 for n in shape):
        raise ConfigError(f"summary: {where} must be one sample's shape, a tuple of non-negative integers without "
                          f"the batch axis, not {shape!r}")
    return tuple(int(n) for n in shape)


def parse_shapes(input_shape) -> tuple[list, bool]:
    """The shapes of ``input_shape``, one per positional input, and whether it was one shape."""
    if _is_size(input_shape):
        return [(int(input_shape),)], True
    if isinstance(input_shape, np.ndarray):
        input_shape = input_shape.tolist()
    if not isinstance(input_shape, (tuple, list)):
        raise ConfigError(f"summary: input_shape must be one sample's shape (a tuple of integers) or a list of "
                          f"shapes, one per input, not {type(input_shape).__name__} {input_shape!r}")
    if all(_is_size(n) for n in input_shape):
        return [_one_shape(input_shape, "input_shape")], True
    if all(isinstance(shape, (tuple, list)) for shape in input_shape):
        return [_one_shape(shape, f"input_shape[{i}]") for i, shape in enumerate(input_shape)], False
    raise ConfigError(f"summary: input_shape {input_shape!r} mixes sizes and shapes; give one shape such as (5, 8) "
                      "or a list of shapes such as [(5, 8), (7, 8)], one per input")


def parse_dtypes(dtypes, dtype, count: int, default) -> list:
    """One dtype per input: ``dtypes[i]``, else ``dtype``, else the model's ``default``."""
    if dtypes is None:
        return [np.dtype(default) if dtype is None else tensor_dtype("summary", dtype)] * count
    if dtype is not None:
        raise ConfigError("summary: give dtype (one for every input) or dtypes (one per input), not both")
    if not isinstance(dtypes, (tuple, list)) or len(dtypes) != count:
        given = (f"{len(dtypes)} entr{'ies' if len(dtypes) != 1 else 'y'}" if isinstance(dtypes, (tuple, list))
                 else repr(dtypes))
        raise ConfigError(f"summary: dtypes must be a list of one dtype per input; input_shape gives {count} "
                          f"input{'s' if count != 1 else ''} and dtypes has {given}")
    parsed = []
    for i, item in enumerate(dtypes):
        parsed.append(np.dtype(default) if item is None else tensor_dtype("summary", item, argument=f"dtypes[{i}]"))
    return parsed


def from_shapes(shapes: list, dtypes: list) -> list:
    """(args, kwargs) of each run: zeros with a batch of 2, then of 3."""
    return [([Tensor._wrap(np.zeros((batch, *shape), dtype=dt)) for shape, dt in zip(shapes, dtypes)], {})
            for batch in (BATCH, OTHER_BATCH)]


def _map_arrays(value, change):
    """``value`` with ``change`` applied to each array (or tensor's array) in it, tuples, lists and dicts
    rebuilt around them; other values as they are."""
    if isinstance(value, Tensor):
        return change(value.data)
    if isinstance(value, np.ndarray):
        return change(value)
    if isinstance(value, (tuple, list)):
        return type(value)(_map_arrays(item, change) for item in value)
    if isinstance(value, dict):
        return {key: _map_arrays(item, change) for key, item in value.items()}
    return value


def _first_batch(value):
    """The size of the first axis of the first (non-scalar) array in ``value``, None without one."""
    sizes = []
    _map_arrays(value, lambda a: sizes.append(a.shape[0]) if a.ndim and not sizes else None)
    return sizes[0] if sizes else None


def from_data(input_data) -> list:
    """(args, kwargs) of each run: the data as given, then with one sample more along the batch axis."""
    if isinstance(input_data, dict):
        args, kwargs = [], dict(input_data)
        if not all(isinstance(key, str) for key in kwargs):
            raise ConfigError(f"summary: input_data's keys must be the names of forward's arguments, not "
                              f"{[key for key in kwargs if not isinstance(key, str)]!r}")
    elif isinstance(input_data, (tuple, list)):
        args, kwargs = list(input_data), {}
    else:
        args, kwargs = [input_data], {}
    batch = _first_batch((args, kwargs))
    if batch is None:
        raise ConfigError("summary: input_data must hold at least one tensor or array with a batch axis "
                          f"(a tensor, a list of them, or a dict of them), not {type(input_data).__name__}")

    def grow(a):
        axis = next((i for i, n in enumerate(a.shape) if n == batch), None)
        if axis is None:
            return Tensor._wrap(a)
        return Tensor._wrap(np.concatenate([a, np.take(a, [0], axis=axis)], axis=axis))

    return [(_map_arrays(args, Tensor._wrap), _map_arrays(kwargs, Tensor._wrap)), (_map_arrays(args, grow),
            _map_arrays(kwargs, grow))]


def check_arguments(model, args: list, kwargs: dict, where: str) -> None:
    """Refuse, before running anything, inputs that the model's forward cannot take (too many, too few,
    a keyword it does not know), naming the argument that gave them."""
    try:
        signature = inspect.signature(model.forward)
    except (TypeError, ValueError):  # a forward Python cannot describe: running it will tell
        return
    try:
        signature.bind(*args, **kwargs)
    except TypeError as error:
        count = f"{len(args)} positional input{'s' if len(args) != 1 else ''}"
        if kwargs:
            count += " and the keywords " + ", ".join(kwargs)
        takes = ", ".join(name for name in signature.parameters)
        raise ConfigError(f"summary: {where} gives {count}, which {type(model).__name__}.forward({takes}) cannot "
                          f"take: {error}") from None


def _value_text(value, resized) -> str:
    if isinstance(value, Tensor):
        return "(" + ", ".join(str(n) if n == m else "N" for n, m in zip(value.shape, resized.shape)) + ")"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(map(_value_text, value, resized)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_value_text(value[key], resized[key])}" for key in value) + "}"
    return repr(value)


def inputs_text(first, second) -> str:
    """The inputs of the first run as the table's header shows them, N for each axis that grew."""
    (args, kwargs), (args2, kwargs2) = first, second
    parts = [_value_text(a, b) for a, b in zip(args, args2)]
    parts += [f"{key}={_value_text(kwargs[key], kwargs2[key])}" for key in kwargs]
    return ", ".join(parts)
