"""PyTorch's ``convert_conv2d_weight_memory_format`` and ``convert_conv3d_weight_memory_format``,
which lay a model's convolution weights out in memory for a GPU's kernels (channels last). deltaprop
chooses the memory order of its convolutions' arrays itself (see ops/_windows.py), so both return
the module as it is, for the code that calls them."""

from __future__ import annotations

from ..module import Module


def _unchanged(owner: str, module):
    if not isinstance(module, Module):
        raise TypeError(f"{owner}: module must be a Module, got a {type(module).__name__}")
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """``module``, unchanged (see the module's text); ``memory_format`` is not used."""
    return _unchanged("convert_conv2d_weight_memory_format", module)


def convert_conv3d_weight_memory_format(module, memory_format):
    """``module``, unchanged (see the module's text); ``memory_format`` is not used."""
    return _unchanged("convert_conv3d_weight_memory_format", module)
