"""PyTorch's ``out=`` argument for the arithmetic, product and joining functions
(``torch.matmul(a, b, out=y)``, ``torch.mul(x, x, out=z)``, ``torch.cat(ts, dim=1, out=t)``, as the
"60 Minute Blitz" writes them).

Each function computes its result as usual and, given ``out``, writes it into that tensor and returns
it, as PyTorch does: in place, so other names for ``out`` (a NumPy array from ``out.numpy()``) see
the values; an ``out`` of another shape is resized (with PyTorch's warning unless it was empty); a
result of a higher dtype category than ``out``'s (floats into an integer tensor) is refused, a
narrower float is rounded into ``out``'s dtype, except by the matrix products, which want ``out`` in the
result's own dtype, as PyTorch's do. Nothing written through ``out`` is recorded, so
inputs or an ``out`` that require a gradient are refused, as PyTorch refuses them.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from . import ops
from . import function_forms
from .errors import GradError
from .grad_mode import is_grad_enabled
from .tensor import Tensor


def written_to(op: str, result: Tensor, out, same_dtype: bool = False) -> Tensor:
    """``result`` written into ``out`` by PyTorch's rules; returns ``out``. ``same_dtype``: refuse an
    ``out`` of another dtype than the result's."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}: argument 'out' must be a tensor, not {type(out).__name__}")
    if is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise GradError(f"{op}: out= writes the result outside the graph, so no argument may require a gradient "
                        "(call it under no_grad(), or without out=)")
    out._method_in_place(op)
    values = result.data
    promotion = ops.promotion
    if same_dtype and values.dtype != out.data.dtype:
        raise TypeError(f"{op}: expected out to have the result's dtype {values.dtype}, got {out.data.dtype}")
    if promotion.category(values.dtype) > promotion.category(out.data.dtype):
        raise TypeError(f"{op}: the {values.dtype} result cannot be written into out, a {out.data.dtype} tensor")
    if values.shape == out.data.shape:
        np.copyto(out.data, values, casting="unsafe")
        out._mark_changed()
    else:
        if out.data.size:
            warnings.warn(f"{op}: out, of shape {list(out.data.shape)}, was resized to the result's shape "
                          f"{list(values.shape)}; PyTorch deprecates resizing an out that holds elements, so give an "
                          "empty tensor or one of the result's shape", UserWarning, stacklevel=3)
        out._mark_changed()
        out.data = values.astype(out.data.dtype, copy=True)
    return out


def _taking_out(name: str, function, same_dtype: bool = False):
    """``function`` with PyTorch's keyword-only ``out=``."""
    @functools.wraps(function)
    def with_out(*args, out=None, **kwargs):
        result = function(*args, **kwargs)
        return result if out is None else written_to(name, result, out, same_dtype)

    return with_out


add = _taking_out("add", ops.add_scaled)
sub = _taking_out("sub", ops.sub_scaled)
mul = _taking_out("mul", ops.mul)
div = _taking_out("div", ops.divide)
matmul = _taking_out("matmul", ops.matmul, same_dtype=True)
mm = _taking_out("mm", function_forms.mm, same_dtype=True)
bmm = _taking_out("bmm", ops.bmm, same_dtype=True)
cat = _taking_out("cat", ops.concatenate)
stack = _taking_out("stack", ops.stack)
