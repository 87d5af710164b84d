"""``deltaprop.autograd.forward_ad``: PyTorch's forward-mode interface (``dual_level``,
``make_dual``, ``unpack_dual``), computed by reverse mode.

A dual tensor made by :func:`make_dual` is a copy of its primal that records the graph (it
requires a gradient); the level remembers its tangent. ``unpack_dual(y).tangent`` is J·t, the
derivative of ``y`` in the direction of the tangents of every dual tensor of the level that ``y``
depends on (their contributions add), found when asked as the vjp of a vjp, as
:func:`deltaprop.func.jvp` finds it: no per-operation forward rules, no second autodiff, and it
goes through every operation with a rule for second derivatives. A tensor that depends on no dual
tensor has tangent None; leaving the level forgets the tangents.

    >>> import deltaprop as dp
    >>> import deltaprop.autograd.forward_ad as fwAD
    >>> with fwAD.dual_level():
    ...     x = fwAD.make_dual(dp.tensor([1.0, 2.0]), dp.tensor([1.0, 0.0]))
    ...     fwAD.unpack_dual(x * x).tangent
    tensor([2., 0.])

Unlike PyTorch, the tangent is computed when it is unpacked, not carried along, and a dual tensor
reports ``requires_grad=True``. Operations under ``no_grad`` record nothing and so lose the
tangent; one level at a time, as in PyTorch.
"""

from __future__ import annotations

import functools
from collections import namedtuple

import numpy as np

from .. import ops
from ..errors import GradError, ShapeError
from ..grad_mode import enable_grad
from ..tensor import Tensor
from .higher_order import differentiable_gradients

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])
UnpackedDualTensor.__doc__ = "What :func:`unpack_dual` returns: ``primal`` and ``tangent`` (None where there is none)."

_current = None  # the open level: {id(dual): (dual, tangent)}, or None outside every level


def enter_dual_level() -> int:
    """Opens the level of forward derivatives and returns its number, 0 (one level at a time)."""
    global _current
    if _current is not None:
        raise GradError("forward_ad.enter_dual_level: a dual level is already open, and levels do not nest")
    _current = {}
    return 0


def exit_dual_level(*, level=None) -> None:
    """Closes the open level (``level`` 0 or None): its dual tensors' tangents are forgotten."""
    global _current
    _check_level("exit_dual_level", level)
    _current = None


class dual_level:
    """The context in which dual tensors are made and unpacked: enters a level, exits it at the end.
    ``with dual_level() as level`` gives the level's number."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc) -> bool:
        exit_dual_level()
        return False


def make_dual(tensor, tangent, *, level=None) -> Tensor:
    """A dual tensor: ``tensor``'s values, carrying ``tangent`` (of the same shape) as the direction
    of forward derivatives in the open level. It is in the graph of ``tensor`` where that one
    requires a gradient, so reverse-mode gradients still reach it."""
    _check_level("make_dual", level)
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError(f"forward_ad.make_dual: tensor and tangent must be tensors, got a {type(tensor).__name__} "
                        f"and a {type(tangent).__name__}")
    if tensor.data.dtype.kind != "f":
        raise TypeError(f"forward_ad.make_dual: tensor must be floating-point to have a tangent, got dtype "
                        f"{tensor.data.dtype}")
    if tangent.shape != tensor.shape:
        raise ShapeError(f"forward_ad.make_dual: tangent must have the shape of tensor, {tensor.shape}, got "
                         f"{tangent.shape}")
    with enable_grad():
        dual = ops.clone(tensor) if tensor.requires_grad else Tensor._wrap(tensor.data).requires_grad_()
    _current[id(dual)] = (dual, tangent)
    return dual


def unpack_dual(tensor, *, level=None) -> UnpackedDualTensor:
    """(primal, tangent) of ``tensor``: the tangent is the derivative of ``tensor`` in the direction
    of the tangents of the open level's dual tensors it depends on (None where it depends on none,
    and outside a level); the primal is ``tensor`` itself, cut from the graph of the dual tensors
    unless it also depends on a tensor that requires a gradient."""
    if level is not None:
        _check_level("unpack_dual", level)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"forward_ad.unpack_dual: tensor must be a tensor, got a {type(tensor).__name__}")
    if not _current or not tensor.requires_grad:
        return UnpackedDualTensor(tensor, None)
    from ..func.derivatives import _pullback, _reaches_beyond

    duals = [dual for dual, _ in _current.values()]
    tangents = [t for _, t in _current.values()]
    outer = _reaches_beyond([tensor], duals)
    primal = tensor if outer else tensor.detach()
    if id(tensor) in _current:
        return UnpackedDualTensor(primal, _current[id(tensor)][1])
    # vjp_fn(u) = uᵀJ is linear in u, and the gradient of Σ vjp_fn(u)·t with respect to u is J·t
    u = Tensor._wrap(np.zeros_like(tensor.data)).requires_grad_()
    with enable_grad():
        pulled = differentiable_gradients([tensor], [u], duals)
        products = [ops.sum(ops.mul(g, t)) for g, t in zip(pulled, tangents) if g is not None and g.requires_grad]
        if not products:
            return UnpackedDualTensor(primal, None)
        total = functools.reduce(ops.add, products)
        graph = outer or any(t.requires_grad for t in tangents)
        (jt,) = _pullback([total], [np.ones((), total.data.dtype)], [u], graph)
    return UnpackedDualTensor(primal, jt)


def _check_level(caller: str, level) -> None:
    if _current is None:
        raise GradError(f"forward_ad.{caller}: no dual level is open; enter one first (with dual_level())")
    if level not in (None, 0):
        raise GradError(f"forward_ad.{caller}: level must be the open level, 0, got {level!r}")
