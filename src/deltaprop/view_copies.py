"""PyTorch's ``*_copy`` functions (``torch.t_copy(x)``, ``torch.split_copy(x, 2)``, ...): a view
operation followed by a copy, so that the result shares no memory with the input.

Each is made from one line of the table below: the view it copies (a :class:`Tensor` method, or one
of the two functions here that have none) with that view's arguments and gradient; the copy is
:func:`deltaprop.ops.clone`, row-major as PyTorch's copies are. A view that gives several tensors
(``split``, ``unbind``) gives a tuple of copies. ``detach_copy`` is out of the graph, as a detached
tensor is (PyTorch 2.13 records it with a gradient that is not implemented, refused at backward).
"""

from __future__ import annotations

import inspect

from . import ops
from .tensor import Tensor


def _alias(input):
    """The tensor itself: PyTorch's ``alias``, a view with nothing changed."""
    return input


def _slice(input, dim=0, start=None, end=None, step=1):
    """Elements ``start:end:step`` along ``dim`` (bounds read as Python reads them; a positive step),
    as PyTorch's ``slice`` operator."""
    if isinstance(step, bool) or not isinstance(step, int) or step < 1:
        raise ValueError(f"slice_copy: step must be a positive integer, got {step!r}")
    axis = input._axis("slice_copy", dim)
    return input[(slice(None),) * axis + (slice(start, end, step),)]


# copy name: (the view it copies: a Tensor method's name, or a function taking the tensor first;
# PyTorch's parameters after the input, with their defaults), from which each function is made
_REQUIRED = inspect.Parameter.empty
_VIEWS = {
    "alias_copy": (_alias, {}),
    "as_strided_copy": ("as_strided", {"size": _REQUIRED, "stride": _REQUIRED, "storage_offset": None}),
    "detach_copy": ("detach", {}),
    "diagonal_copy": ("diagonal", {"offset": 0, "dim1": 0, "dim2": 1}),
    "expand_copy": ("expand", {"size": _REQUIRED}),
    "permute_copy": ("permute", {"dims": _REQUIRED}),
    "select_copy": ("select", {"dim": _REQUIRED, "index": _REQUIRED}),
    "slice_copy": (_slice, {"dim": 0, "start": None, "end": None, "step": 1}),
    "split_copy": ("split", {"split_size": _REQUIRED, "dim": 0}),
    "split_with_sizes_copy": ("split_with_sizes", {"split_sizes": _REQUIRED, "dim": 0}),
    "squeeze_copy": ("squeeze", {"dim": None}),
    "t_copy": ("t", {}),
    "transpose_copy": ("transpose", {"dim0": _REQUIRED, "dim1": _REQUIRED}),
    "unbind_copy": ("unbind", {"dim": 0}),
    "unfold_copy": ("unfold", {"dimension": _REQUIRED, "size": _REQUIRED, "step": _REQUIRED}),
    "unsqueeze_copy": ("unsqueeze", {"dim": _REQUIRED}),
    "view_copy": ("view", {"size": _REQUIRED}),
}
# keyword-only flags of PyTorch's that change nothing here: expand_copy's implicit (a tracing mark)
_IGNORED = {"expand_copy": {"implicit": False}}


def _copy_of(name: str, view, parameters: dict):
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    signature = inspect.Signature(
        [inspect.Parameter("input", positional)]
        + [inspect.Parameter(key, positional, default=default) for key, default in parameters.items()]
        + [inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=default)
           for key, default in _IGNORED.get(name, {}).items()])
    viewed = view if callable(view) else lambda input, *args: getattr(input, view)(*args)

    def copy(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{name}: {error}") from None
        bound.apply_defaults()
        input, *rest = [bound.arguments[key] for key in ("input", *parameters)]
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a deltaprop tensor, got {type(input).__name__}")
        result = viewed(input, *rest)
        if isinstance(result, (tuple, list)):
            return tuple(ops.clone(piece) for piece in result)
        return ops.clone(result)

    copy.__name__ = copy.__qualname__ = name
    copy.__signature__ = signature
    shown = view if isinstance(view, str) else view.__name__.lstrip("_")
    copy.__doc__ = f"``{shown}`` of ``input``, copied: the result shares no memory with it."
    return copy


globals().update({name: _copy_of(name, view, parameters) for name, (view, parameters) in _VIEWS.items()})

__all__ = list(_VIEWS)
