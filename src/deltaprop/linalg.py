"""PyTorch's ``torch.linalg`` names that deltaprop has, for code ported from it: ``cross``."""

from __future__ import annotations

from .ops import products


def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along ``dim`` (the last by default), the two broadcast together."""
    return products.cross(input, other, dim)
