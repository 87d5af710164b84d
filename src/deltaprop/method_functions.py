"""PyTorch's function forms of the tensor methods for complex numbers, copies and unchecked splits
(``torch.conj(x)``, ``torch.real(x)``, ``torch.adjoint(x)``, ``torch.narrow_copy(x, 0, 1, 2)``,
``torch.unsafe_split(x, 2)``, ``torch.get_device(x)``, ...), for code ported from it.

Each is the method of its first argument (:meth:`Tensor.conj`, ...): a deltaprop tensor is real, so
the complex ones give the tensor itself, as PyTorch gives a real tensor back. ``deltaprop/__init__.py``
exports them.
"""

from __future__ import annotations

from .tensor import Tensor

_METHODS = (
    "conj", "resolve_conj", "resolve_neg", "is_conj", "is_neg", "adjoint", "narrow_copy",
    "unsafe_chunk", "unsafe_split", "unsafe_split_with_sizes", "get_device", "is_inference", "detach",
)


def _form(method: str):
    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{method}: input must be a deltaprop tensor, got {type(input).__name__}")
        return getattr(input, method)(*args, **kwargs)

    function.__name__ = function.__qualname__ = method
    function.__doc__ = f":meth:`Tensor.{method}` of ``input``."
    return function


globals().update({method: _form(method) for method in _METHODS})


def real(input) -> Tensor:
    """``input`` itself: a real tensor is its own real part (:attr:`Tensor.real`)."""
    return input.real


def imag(input):
    """Refused, as :attr:`Tensor.imag` is: a real tensor has no imaginary part."""
    return input.imag


__all__ = [*_METHODS, "real", "imag"]
