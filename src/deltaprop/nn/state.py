"""A module's state, as PyTorch's: ``state_dict`` (its parameters and persistent buffers by dotted
name) and ``load_state_dict`` (values copied back in place, or assigned).

deltaprop's state dict holds NumPy arrays, copies (PyTorch's tensors share the parameters'
memory): a snapshot that later training leaves alone, which ``EarlyStopping`` keeps as the best
weights. ``keep_vars=True`` gives the parameters themselves and the buffers' own arrays.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from ..changes import Changes
from ..errors import StateDictError
from ..tensor import Tensor
from .parameter import Parameter


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` returns: the keys it expected and did not get, and those it got
    and does not know; printed as PyTorch prints it when both are empty."""

    missing_keys: list
    unexpected_keys: list

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"IncompatibleKeys(missing_keys={self.missing_keys!r}, unexpected_keys={self.unexpected_keys!r})"

    __str__ = __repr__


def _held(module, name: str, is_parameter: bool):
    return (module._parameters if is_parameter else module._buffers)[name]


def state_dict(module, destination=None, prefix: str = "", keep_vars: bool = False):
    """Every parameter and persistent buffer of ``module`` under ``prefix`` + its dotted name, put in
    ``destination`` (a new OrderedDict by default), which is returned."""
    if destination is None:
        destination = OrderedDict()
    for key, holder, name, is_parameter in module._state_entries(prefix):
        value = _held(holder, name, is_parameter)
        if not keep_vars:
            value = value.data.copy() if is_parameter else np.array(value, copy=True)
        destination[key] = value
    return destination


def _array(value) -> np.ndarray:
    return np.asarray(value.data if isinstance(value, Tensor) else value)


def load_state_dict(module, state, strict: bool = True, assign: bool = False) -> IncompatibleKeys:
    """Put ``state``'s values into ``module``'s parameters and persistent buffers (see
    :meth:`Module.load_state_dict`); returns the missing and unexpected keys."""
    owner = type(module).__name__
    if not isinstance(state, Mapping):
        raise TypeError(f"load_state_dict into {owner}: state_dict must be a dict-like mapping of names to "
                        f"arrays or tensors, got a {type(state).__name__}")
    entries = {key: (holder, name, is_parameter) for key, holder, name, is_parameter in module._state_entries()}
    values = {key: _array(state[key]) for key in entries if key in state}
    # A parameter or buffer held under several names (a shared layer) needs only one of them.
    loaded = {id(_held(*entries[key])) for key in values}
    missing = [key for key, entry in entries.items() if key not in values and id(_held(*entry)) not in loaded]
    unexpected = [key for key in state if key not in entries]
    wrong_shape, not_numbers = [], []
    for key, value in values.items():
        expected = np.shape(_array(_held(*entries[key])))
        if value.shape != expected:
            wrong_shape.append(f"{key} (expected {expected}, got {value.shape})")
        if value.dtype.kind not in "biufc":  # checked before anything is copied: no half-loaded model
            not_numbers.append(f"{key} ({value.dtype})")
    if wrong_shape or not_numbers or (strict and (missing or unexpected)):
        problems = [f"{what}: " + ", ".join(keys) for what, keys in (
            ("missing keys", missing if strict else []), ("unexpected keys", unexpected if strict else []),
            ("wrong shapes", wrong_shape), ("values that are not numbers", not_numbers)) if keys]
        raise StateDictError(f"load_state_dict into {owner}: " + "; ".join(problems))
    if assign:
        _assign(entries, values, state)
    else:
        _copy(entries, values)
    return IncompatibleKeys(missing, unexpected)


def _copy(entries: dict, values: dict) -> None:
    """Each value copied into the array it replaces, in its dtype: whoever holds the array (an
    optimizer, a view) sees the new values, as in PyTorch."""
    for key, value in values.items():
        holder, name, is_parameter = entries[key]
        current = _array(_held(holder, name, is_parameter))
        if current.flags.writeable:
            np.copyto(current, value, casting="unsafe")
            Changes.mark(current)  # (a graph recorded with the old values can no longer be differentiated)
        else:
            holder._set_buffer(name, value.astype(current.dtype, copy=True))


def _assign(entries: dict, values: dict, state) -> None:
    """PyTorch's ``assign=True``: the state's own tensors become the parameters (a Parameter as it
    is, anything else wrapped, sharing its memory, in its own dtype), each keeping the
    ``requires_grad`` of the parameter it replaces; arrays become the buffers. A parameter held
    under several names stays one: every holder gets the replacement of its first name in ``state``."""
    replacements = {}
    for key in values:
        holder, name, is_parameter = entries[key]
        old = _held(holder, name, is_parameter)
        if is_parameter and id(old) not in replacements:
            given = state[key]
            new = given if isinstance(given, Parameter) else Parameter(given if isinstance(given, Tensor) else values[key])
            replacements[id(old)] = new.requires_grad_(old.requires_grad)
    for key, (holder, name, is_parameter) in entries.items():
        if is_parameter:
            new = replacements.get(id(_held(holder, name, True)))
            if new is not None:
                setattr(holder, name, new)
        elif key in values:
            holder._set_buffer(name, values[key])
