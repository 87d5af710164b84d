"""What the losses share: the reduction ('mean', 'sum' or 'none') and its gradient, the pairing
of input and target element by element that the fused pointwise losses are built on, and the
operand handling of the losses composed of primitives.
"""

from __future__ import annotations

import numpy as np

from ...errors import ConfigError, GradError, ShapeError
from ...tensor import Tensor, get_default_dtype
from .. import _memory
from .._core import operand, record
from ..promotion import result_type
from ..reduction import mean
from ..reduction import sum as total

REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ConfigError(f"{name}: reduction must be one of {', '.join(map(repr, REDUCTIONS))}, got {reduction!r}")


def _constant_option(name: str, option: str, value) -> None:
    """Refuse a ``weight`` (or ``pos_weight``) that requires grad where the loss takes it as a
    constant, as PyTorch refuses it (even under no_grad): its gradient would be lost without a word."""
    if isinstance(value, Tensor) and value.requires_grad:
        raise GradError(f"{name}: {option} requires grad, but the loss has no gradient for it (as in PyTorch); "
                        f"pass {option}.detach()")


def _reduce(values: np.ndarray, reduction: str, denominator: float):
    """The per-element ``values`` reduced; 'mean' divides by ``denominator`` (the element count, or
    the sum of the weights). A mean over nothing (no elements, or weights that sum to 0) is NaN, as
    in PyTorch, without NumPy's warning about dividing by zero."""
    if reduction == "none":
        return values
    total = np.add.reduce(values, axis=None)
    if reduction == "sum":
        return total
    return total / denominator if denominator else values.dtype.type(np.nan)


def _upstream(g, reduction: str, denominator: float):
    """∂E/∂(per-element loss) for the given reduction, ready to broadcast against the elements."""
    if reduction == "mean":
        return g / denominator if denominator else g * np.nan  # the mean over nothing: see _reduce
    return g  # 'sum': a scalar; 'none': already one value per element


# What a rule returns for ∂values/∂y when it is −∂values/∂x (a loss of x − y alone: the regression
# losses): the backward then negates the input's gradient, and only for a target that needs one,
# where the rule would have made a full array for every target, data included.
NEGATED = "the negated input gradient"


def _pointwise(name, input, target, reduction, rule, denominator=None, promote=True, options=None, values_out=None):
    """A loss that pairs every element of ``input`` with the same element of ``target``.

    ``rule(x, y)`` returns (values, ∂values/∂x, ∂values/∂y); the last may be None when the target
    gets no gradient from this loss, or :data:`NEGATED`. ``denominator`` (kl_div's 'batchmean')
    replaces the element count of 'mean', and turns the reduction into a mean by it. A target
    tensor of a wider floating dtype than the input's is computed in its dtype, as PyTorch's
    mse_loss does (not with ``promote`` False: huber_loss, as PyTorch's); any other target, and a
    target array or list, in the input's (see :func:`_float_dtype`). ``options`` (the loss's own
    numbers: delta, weight, ...) are kept on the rule for its own derivative
    (autograd/differentiable_layers.py). ``values_out``, a list, receives the per-element losses
    before they are reduced.
    """
    if denominator is None:
        _check_reduction(name, reduction)
    else:
        reduction = "mean"
    promote = promote and isinstance(target, Tensor)
    input, target = operand(input), operand(target)
    x, y = input.data, np.asarray(target.data)
    if x.shape != y.shape:
        raise ShapeError(
            f"{name}: input of shape {x.shape} and target of shape {y.shape} differ; "
            f"reshape one to match (a column (N, 1) against a vector (N,) is the usual cause)"
        )
    if x.dtype.kind != "f":  # integer predictions: compare in floating point, never truncate the target
        x = x.astype(y.dtype if y.dtype.kind == "f" else np.float32)
    if y.dtype != x.dtype:
        if promote and y.dtype.kind == "f" and y.dtype.itemsize > x.dtype.itemsize:
            x = x.astype(y.dtype)  # (the engine casts the input's gradient back to its dtype)
        else:
            y = y.astype(x.dtype)
    if x.ndim:
        values, d_input, d_target = rule(x, y)
    else:  # the rules work in place, and NumPy makes scalars, not arrays, of 0-d results
        values, d_input, d_target = (
            part if part is None or part is NEGATED else part.reshape(()) for part in rule(x.reshape(1), y.reshape(1))
        )
    n = values.size if denominator is None else denominator

    def backward(g):
        scale = _upstream(g, reduction, n)
        gx = _times(scale, d_input) if input.requires_grad else None
        if not target.requires_grad or d_target is None:
            gy = None
        elif d_target is NEGATED:
            gy = -(scale * d_input) if gx is None else -gx
        else:
            gy = scale * d_target
        return gx, gy

    if options:
        backward.__dict__.update(options)
    if values_out is not None:
        values_out.append(values)
    return record(_reduce(values, reduction, n), (input, target), backward, name)


def _times(scale, d_input):
    """scale · ∂values/∂x, the input's gradient; a large one in an array from the pool
    (ops/_memory.py), as the loss usually follows a large output whose step frees it again."""
    if d_input.nbytes >= _memory.MIN_BYTES and np.ndim(scale) == 0:
        return np.multiply(d_input, scale, out=_memory.empty_like(d_input, np.result_type(d_input, scale)))
    return scale * d_input


# -- for the losses composed of primitives (margin.py; poisson and gaussian in likelihood.py) ---------


def _float_dtype(input: Tensor, *others) -> np.dtype:
    """The dtype a loss computes in: PyTorch's promotion of ``input`` and the ``others`` that are
    tensors (a dimensioned one above a 0-d one), or the default float dtype where that is no
    floating one. Other values (a NumPy array, a list, a number) are data and take that dtype:
    PyTorch's losses take tensors only, and a float64 target array leaves a float32 loss in float32."""
    dtype = result_type(input, *(x for x in others if isinstance(x, Tensor)))
    return dtype if dtype.kind == "f" else get_default_dtype()


def _operands(dtype, *values) -> list:
    """Each value as a tensor; one that needs no gradient (a target, data) in ``dtype``, the
    dtype of the loss (:func:`_float_dtype`)."""
    tensors = []
    for value in values:
        t = operand(value)
        if not t.requires_grad and np.asarray(t.data).dtype != dtype:
            t = Tensor._wrap(np.asarray(t.data, dtype=dtype))
        tensors.append(t)
    return tensors


def _broadcast_shape(name: str, **tensors) -> tuple:
    """The shape the operands broadcast to, or a ShapeError naming the loss and each operand's shape."""
    try:
        return np.broadcast_shapes(*(np.shape(t.data) for t in tensors.values()))
    except ValueError:
        listed = ", ".join(f"{key} {np.shape(t.data)}" for key, t in tensors.items())
        raise ShapeError(f"{name}: the shapes of {listed} cannot be broadcast together") from None


def _same_ndim(name: str, **tensors) -> None:
    if len({np.ndim(t.data) for t in tensors.values()}) > 1:
        listed = ", ".join(f"{key} {np.shape(t.data)}" for key, t in tensors.items())
        raise ShapeError(f"{name}: {', '.join(tensors)} must have the same number of dimensions (PyTorch asks "
                         f"the same), got shapes {listed}")


def _reduced(values: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return mean(values)
    return total(values) if reduction == "sum" else values
