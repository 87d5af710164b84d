"""``deltaprop.autograd.graph``: PyTorch's module of the graph's node objects.

``Node`` is the class of every ``tensor.grad_fn`` (:mod:`deltaprop.nodes`); ``get_gradient_edge``
names where a tensor's gradient enters the graph, as the pair (node, output number) PyTorch's
``GradientEdge`` is: a computed tensor's ``grad_fn`` and 0 (each deltaprop node has one output),
a leaf's ``AccumulateGrad``.
"""

from __future__ import annotations

from typing import NamedTuple

from ..engine import RemovableHandle
from ..errors import GradError
from ..nodes import AccumulateGrad, Node, _accumulator, node_of

__all__ = ["AccumulateGrad", "GradientEdge", "Node", "RemovableHandle", "get_gradient_edge"]


class GradientEdge(NamedTuple):
    node: Node
    output_nr: int


def get_gradient_edge(tensor) -> GradientEdge:
    """The edge through which ``tensor``'s gradient flows: its ``grad_fn`` (a leaf's
    ``AccumulateGrad``) and that node's output number, 0."""
    if not getattr(tensor, "requires_grad", False):
        raise GradError("get_gradient_edge: the tensor has requires_grad=False, so no gradient flows to it")
    node = node_of(tensor) if tensor._backward is not None else _accumulator(tensor)
    return GradientEdge(node, 0)
