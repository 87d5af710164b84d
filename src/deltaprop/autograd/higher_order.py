"""The backward sweep that builds a graph: gradients that can themselves be differentiated.

:func:`deltaprop.engine.gradients_to` passes NumPy arrays from rule to rule, which is what training
needs and all it needs. Second derivatives (a Hessian-vector product, a penalty on the norm of a
gradient, a step of Newton's method) need the gradient to be a tensor of the graph, made by
operations that are recorded like any other. This sweep visits the nodes in the same order as
``gradients_to`` and sums the same contributions, but each node's rule is its restatement in
tensor operations (:mod:`.differentiable_rules`), run with recording on. Its results are tensors
that require a gradient wherever they depend on something that does, so differentiating them again
(with this sweep or with ``backward()``) gives the next derivative.

It is taken only for ``create_graph=True``; a node whose operation has no differentiable rule yet
is refused by name, before any rule runs. Tensor hooks (``register_hook``) get the gradient as a
tensor of the graph, and what they compute from it is differentiated too.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..watching import Watch, run_rule
from ..engine import Hooks, _checked_order, _has_hooks, _Join, bounded_order
from ..errors import GradError
from ..grad_mode import enable_grad
from ..tensor import Tensor
from . import differentiable_elementwise, differentiable_layers, differentiable_linalg, differentiable_products
from . import differentiable_bessel, differentiable_polynomials
from . import differentiable_recurrent, differentiable_reductions, differentiable_selections, differentiable_spatial
from .differentiable_rules import rule_for

#: imported for the rules they register in differentiable_rules.RULES
RULE_MODULES = (differentiable_layers, differentiable_spatial, differentiable_elementwise, differentiable_reductions,
                differentiable_selections, differentiable_products, differentiable_linalg, differentiable_recurrent,
                differentiable_bessel, differentiable_polynomials)


def differentiable_gradients(outputs: list, seeds: list, targets: list, within: bool = False) -> list:
    """The gradients of Σ seed·output with respect to each of ``targets``, as tensors in the graph
    (None for a target no path reaches). ``seeds`` are tensors of their outputs' shapes; a seed
    that requires a gradient is itself differentiated through, as PyTorch's grad_outputs are.

    ``within=True`` sweeps only the part of the graph between the outputs and the targets, not
    searching past the targets: a rule that restates its primitive as a composition of others
    (:func:`.differentiable_layers.composed`) differentiates that composition so, within a sweep."""
    join = _Join(outputs, [seed.data for seed in seeds])
    order = bounded_order(join, targets) if within else _checked_order(join)
    wanted = {id(t) for t in targets}
    leading = set()  # ids of the nodes from which a path leads to a target
    for node in reversed(order):  # producers before consumers
        if any(id(parent) in wanted or id(parent) in leading for parent in node._parents):
            leading.add(id(node))
    needed = [node for node in order[1:] if id(node) in leading]
    rules = {id(node): rule_for(node) for node in needed}  # every refusal before any work
    hooks = Hooks.count and not within  # (a composition's targets are the outer sweep's: hooked there)
    checked = Watch.runners
    pending: dict[int, object] = {}
    found: dict[int, object] = {}

    def send(parent, pg) -> None:
        if pg is None or not parent.requires_grad:
            return
        if pg.data.dtype != parent.data.dtype:
            pg = ops.astype(pg, parent.data.dtype)
        if parent._backward is None:
            if id(parent) in wanted:
                found[id(parent)] = pg if id(parent) not in found else ops.add(found[id(parent)], pg)
        elif id(parent) in leading or id(parent) in wanted:
            pending[id(parent)] = pg if id(parent) not in pending else ops.add(pending[id(parent)], pg)

    with enable_grad():
        for output, seed in zip(outputs, seeds):
            send(output, seed)
        for node in order[1:]:
            g = pending.pop(id(node), None)
            if g is None:
                continue
            if hooks and _has_hooks(node):
                g = _run_hooks(node, g)
            if id(node) in wanted:
                found[id(node)] = g
            rule = rules.get(id(node))
            if rule is None:
                continue
            for parent, pg in zip(node._parents, run_rule(node, rule, node, g) if checked else rule(node, g)):
                send(parent, pg)
        if hooks:  # a leaf's hooks see the sum of what the sweep sent it, as in the array sweep
            for target in {id(t): t for t in targets}.values():
                if target._backward is None and id(target) in found and _has_hooks(target):
                    found[id(target)] = _run_hooks(target, found[id(target)])
    if within:  # the targets were left out of the order: what reached them waits in pending
        found.update((id(t), pending[id(t)]) for t in targets if id(t) in pending and id(t) not in found)
    return [found.get(id(t)) for t in targets]


def _run_hooks(tensor, g):
    """``g``, a tensor of the graph, through the hooks of ``tensor`` in the order they were
    registered: a hook that returns a tensor replaces the gradient, and what the hook computed is
    differentiated with it (as in PyTorch); an array it returns is a constant."""
    for hook in list(tensor._hooks.values()):
        result = hook(g)
        if result is None:
            continue
        if not isinstance(result, Tensor):
            result = Tensor._wrap(np.array(result, dtype=tensor.data.dtype))
        if result.shape != g.shape:
            raise GradError(f"register_hook: the hook {getattr(hook, '__name__', hook)!r} returned a gradient of shape "
                            f"{tuple(result.shape)} for a tensor of shape {tuple(g.shape)}; a hook may change the "
                            "values only")
        g = result if result.data.dtype == tensor.data.dtype else ops.astype(result, tensor.data.dtype)
    return g
