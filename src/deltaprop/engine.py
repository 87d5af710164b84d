"""The backward sweep: reverse-mode automatic differentiation over the recorded graph.

The seeds call backpropagation dynamic programming: each node's error term is computed once, from
the error terms of the nodes that consumed it, and reused by everything upstream. Here a node is a
:class:`~deltaprop.tensor.Tensor` made by an operation; it keeps its parents (the operation's inputs)
and a ``backward`` rule mapping the gradient of its output to the gradients of its inputs. The sweep

1. orders the nodes so that every node comes after all of its consumers (an iterative depth-first
   search, so a chain of 100,000 operations needs no deep recursion);
2. walks that order once, summing each node's incoming gradients before passing them on.

Leaves (tensors created by the user with ``requires_grad=True``, such as parameters) accumulate
their gradient in ``.grad`` across calls, as in PyTorch. Gradients of intermediate nodes are dropped
as soon as they have been passed on, unless the node asked for ``retain_grad()``.

Hooks (``Tensor.register_hook``, ``register_post_accumulate_grad_hook``) are run by a second sweep,
:func:`_run_with_hooks`, taken only while some tensor has one: the sweep without hooks pays one
comparison per ``backward()`` for them. A mode that watches each rule (anomaly detection, the
profiler: :mod:`.watching`) counts as a hook while it is on, so that sweep is also the one that
runs each rule through it.
"""

from __future__ import annotations

import weakref

import numpy as np

from .changes import Changes, check_unchanged
from .errors import GradError
from .row_gradient import RowGradient, add_row_gradients, forget_rows
from .versions import Versions, check_views, resolve
from .watching import Watch, run_rule


def topological_order(root) -> list:
    """Interior nodes reachable from ``root`` that need a gradient, consumers before producers."""
    return _chain_order(root) or _depth_first_order(root)


def _chain_order(root) -> list | None:
    """The order of a graph that is a chain, else None.

    The usual graph of a feed-forward network is a chain (loss <- linear <- relu <- linear):
    follow it while every node has a single interior parent, and search only where it branches.
    """
    order = [root]
    node = root
    while node is not None:
        following = None
        for parent in node._parents:
            if parent._backward is not None:
                if following is not None:  # a second interior parent: the graph branches here
                    return None
                following = parent
        if following is not None:
            order.append(following)
        node = following
    return order


def _depth_first_order(root, boundary=()) -> list:
    """Interior nodes reachable from ``root``, consumers before producers, not searching past the
    nodes of ``boundary`` (which are left out of the order)."""
    order = []
    visited = {root, *boundary}  # tensors hash by identity
    stack = [(root, iter(root._parents))]
    # Depth-first search with an explicit stack of (node, iterator over its parents): a node is
    # appended once all of its parents are, which yields producers before consumers; reversing
    # gives the order the backward sweep needs.
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent._backward is not None and parent not in visited:
                visited.add(parent)
                stack.append((parent, iter(parent._parents)))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return order


def _checked_order(root) -> list:
    """The sweep's order, once nothing it will run was changed in place since (or refused)."""
    order = _chain_order(root)
    # Something changed in place (or an optimizer stepped) after a node of this graph was made:
    # look before any rule runs. A chain's last node was made first, so it alone tells.
    clock = Changes.clock
    if order is None:
        order = _depth_first_order(root)
        if clock:
            check_unchanged(order)
            if Versions.last:
                order = _resolved(order, lambda: topological_order(root))
    elif clock and order[-1]._stamp < clock:
        check_unchanged(order)
        if Versions.last > order[-1]._stamp:
            order = _resolved(order, lambda: topological_order(root))
    return order


def bounded_order(root, boundary) -> list:
    """:func:`_depth_first_order` (not past ``boundary``), each node reading its parents as they
    were when it was made (:func:`_resolved`): the order of a sweep within a sweep (a checkpoint's
    recomputed graph, a composition's second derivatives)."""
    order = _depth_first_order(root, boundary)
    return _resolved(order, lambda: _depth_first_order(root, boundary)) if Versions.last else order


def _resolved(order, again) -> list:
    """``order`` once each node reads its parents as they were when it was made, made ``again()``
    if that changed any: a tensor changed in place since by a recorded operation stands for its
    new version only to the operations recorded after the change (:mod:`.versions`). The values
    the rules saved were checked on the graph as it stood."""
    checked = None
    while resolve(order):  # (until none is replaced: a piece cut again from a changed tensor leads to
        # its old version only through the replacement, and that old version's parents may need it too)
        checked = checked or {id(node) for node in order}
        order = again()
        reached = [node for node in order if id(node) not in checked]
        if reached:
            check_unchanged(reached)
            checked.update(id(node) for node in reached)
    check_views(order)
    return order


def run_backward(root, seed: np.ndarray) -> None:
    """Propagate ``seed`` (the gradient of some scalar with respect to ``root``) to every leaf.

    Each interior node collects the gradients its consumers send it in its ``_pending`` slot (the
    seeds' v of the dynamic programme); it passes the sum on once, when its turn comes, and the
    slot is emptied again. What the slot holds is always an ndarray: NumPy arithmetic on 0-d arrays
    (a rule's, or the sum's) gives a NumPy scalar, which is made a 0-d array again as it is stored.
    """
    if Hooks.count:
        _run_with_hooks(root, seed)
        return
    if root._backward is None:  # the root is itself a leaf
        _accumulate_leaf(root, seed, set())
        return
    order = _checked_order(root)
    root._pending = seed
    handed_out: set[int] = set()
    try:
        for node in order:
            g = node._pending
            if g is None:  # no path from the root carried a gradient here
                continue
            node._pending = None
            if node._retains_grad:
                _retain(node, g)
            for parent, pg in zip(node._parents, node._backward(g)):
                if pg is None or not parent.requires_grad:
                    continue
                if parent._backward is None:
                    if parent.grad is None and pg.base is None and type(pg) is np.ndarray and pg.dtype == parent.data.dtype and id(pg) not in handed_out:
                        parent.grad = pg  # the usual case, inlined: a fresh array becomes .grad as it is
                        handed_out.add(id(pg))
                    else:
                        _accumulate_leaf(parent, pg, handed_out)
                    continue
                if pg.dtype != parent.data.dtype:
                    # A mixed-dtype operation (float32 with a float64 array) computed in float64;
                    # its float32 input keeps float32 gradients, as its leaves do.
                    pg = pg.astype(parent.data.dtype)
                previous = parent._pending
                if previous is not None:
                    # A new array, never an in-place add: a rule may pass the same array to several
                    # parents (addition does), so adding into one of them would corrupt the others.
                    pg = previous + pg
                if type(pg) is not np.ndarray:
                    pg = np.asarray(pg)  # NumPy arithmetic on 0-d arrays gives scalars (a rule's, the sum's)
                parent._pending = pg
    except BaseException:
        for node in order:  # a failed rule must not leave half-summed gradients behind
            node._pending = None
        raise


class _Join:
    """A root above several outputs, for sweeps from more than one tensor at a time: its rule hands
    each output its own seed, so one sweep sums every output's contribution, each node run once."""

    __slots__ = ("_parents", "_seeds", "_backward", "_pending", "_retains_grad", "_stamp", "_op", "data", "requires_grad")

    def __init__(self, outputs, seeds) -> None:
        self._parents, self._seeds = tuple(outputs), tuple(seeds)
        self._backward = self._hand_out
        self._pending, self._retains_grad, self._stamp, self._op = None, False, Changes.clock, "join"
        self.data, self.requires_grad = np.zeros(()), True

    def _hand_out(self, g: np.ndarray) -> tuple:
        return self._seeds


def run_backward_from(outputs, seeds) -> None:
    """:func:`run_backward` from several outputs at once, each with its seed (``autograd.backward``)."""
    join = _Join(outputs, seeds)
    run_backward(join, join.data)


def gradients_to(outputs, seeds, targets) -> list:
    """The gradients of Σ seed·output with respect to each of ``targets`` (tensors that require a
    gradient, leaves or not), None for a target no path reaches: ``autograd.grad``'s sweep.

    The sweep of :func:`run_backward`, except that it touches no ``.grad``: a leaf's gradient is
    collected for the caller or dropped, and an interior target's is taken when its turn comes.
    Only the rules of nodes from which a path leads to a target are run. Kept apart from
    :func:`run_backward` so that the training loop's sweep pays nothing for it. Arrays returned
    are the caller's own (copies), in each target's dtype; hooks run as in PyTorch's grad().
    """
    join = _Join(outputs, seeds)
    order = _checked_order(join)
    wanted = {id(t) for t in targets}
    leading = set()  # ids of the interior nodes from which a path leads to a target
    for node in reversed(order):  # producers before consumers
        for parent in node._parents:
            if id(parent) in wanted or id(parent) in leading:
                leading.add(id(node))
                break
    found: dict[int, np.ndarray] = {}
    hooks, checked = Hooks.count, Watch.runners
    join._pending = join.data
    try:
        for node in order:
            g = node._pending
            if g is None:
                continue
            node._pending = None
            if hooks and _has_hooks(node):
                g = _run_hooks(node, g)
            if id(node) in wanted:
                found[id(node)] = g
            if id(node) not in leading:
                continue
            for parent, pg in zip(node._parents, _rule_result(node, g, checked)):
                if pg is None or not parent.requires_grad:
                    continue
                if pg.dtype != parent.data.dtype:
                    pg = pg.astype(parent.data.dtype)
                if parent._backward is None:
                    if id(parent) in wanted:
                        found[id(parent)] = _sum(found.get(id(parent)), pg)
                elif id(parent) in wanted or id(parent) in leading:
                    parent._pending = _sum(parent._pending, pg)
    except BaseException:
        for node in order:
            node._pending = None
        raise
    if hooks:
        for target in {id(t): t for t in targets}.values():  # (a target named twice is hooked once)
            if target._backward is None and id(target) in found and _has_hooks(target):
                found[id(target)] = _run_hooks(target, found[id(target)])  # the sum of what this sweep sent it
    return [None if id(t) not in found else np.array(found[id(t)], dtype=t.data.dtype) for t in targets]


def fill_pending(node, index, g: np.ndarray) -> None:
    """Write ``g`` into ``node``'s pending gradient at ``index``, an array of zeros of the node's
    shape that the first call of a sweep makes (the engine empties the slot once it has passed the
    gradient on, or when a sweep fails).

    For rules whose outputs each cover their own part of ``node`` (the pieces of a split): their
    gradients make one array between them instead of one each, of the node's size, summed. A rule
    that writes here returns None for ``node``, and ``node`` must have no consumers but such rules:
    the engine's arrays may be shared, this one is written in place.
    """
    pending = node._pending
    if pending is None:
        pending = node._pending = np.zeros(node.data.shape, dtype=node.data.dtype)
    pending[index] = g


def _accumulate_leaf(leaf, g: np.ndarray, handed_out: set) -> None:
    """Add ``g`` to ``leaf.grad``, which is always an ndarray (0-d for a 0-d leaf, never a NumPy
    scalar: optimizers and clipping change it or read it as an array), owns its memory and keeps
    the leaf's dtype. A table's gradient that lists its rows (``sparse=True`` lookups) is added
    by :func:`deltaprop.row_gradient.add_row_gradients`, which keeps the rows."""
    if type(g) is RowGradient or type(leaf.grad) is RowGradient:
        leaf.grad = add_row_gradients(leaf.grad, g, leaf.data.dtype, handed_out)
        return
    if leaf.grad is None:
        # Store ``g`` itself only when no other leaf can see its memory: a view (reshape's rule
        # returns one, broadcasting returns a read-only one) may share it with an array already
        # handed to another leaf, and so may ``g`` itself when a rule passed it to two parents.
        if g.base is not None or g.dtype != leaf.data.dtype or id(g) in handed_out or type(g) is not np.ndarray:
            g = np.array(g, dtype=leaf.data.dtype)
        handed_out.add(id(g))
        leaf.grad = g
    else:
        total = leaf.grad + g
        # A float64 g (from a mixed-dtype operation) must not turn a float32 leaf's grad into float64,
        # and the sum of 0-d arrays, a NumPy scalar, must not replace the leaf's array.
        if type(total) is not np.ndarray or total.dtype != leaf.data.dtype:
            total = np.array(total, dtype=leaf.data.dtype)
        leaf.grad = total


def zero_gradients(tensors) -> None:
    """Set each tensor's ``.grad`` to zeros in place (``zero_grad(set_to_none=False)``, as PyTorch's
    ``grad.zero_()``): whoever holds the array sees the zeros. A tensor without one keeps None; a
    gradient whose memory cannot be written (an array set by hand) is replaced by new zeros."""
    for tensor in tensors:
        g = tensor.grad
        if g is None:
            continue
        if isinstance(g, np.ndarray) and g.flags.writeable:
            g.fill(0)
            forget_rows(g)
        else:
            tensor.grad = np.zeros_like(tensor.data)


def _sum(previous, g: np.ndarray) -> np.ndarray:
    """``previous + g`` (or ``g`` alone when ``previous`` is None) as an array, for the sweeps that
    collect gradients by the side of the hot one: a new array, since a rule may hand the same array
    to several parents, and an ndarray even where the arithmetic on 0-d arrays gives a NumPy scalar."""
    if previous is None:
        total = g
    elif type(previous) is RowGradient or type(g) is RowGradient:
        return add_row_gradients(previous, g, g.dtype, set())  # (the union of the rows where both list them)
    else:
        total = previous + g
    return total if isinstance(total, np.ndarray) else np.asarray(total)  # (a RowGradient stays one)


def _retain(node, g: np.ndarray) -> None:
    """Keep ``g`` in an interior node's ``.grad`` (``retain_grad()``), added to what is there."""
    node.grad = np.array(g) if node.grad is None else _sum(node.grad, g)


class Hooks:
    """How many gradient hooks (and hooks run after a leaf's accumulation) are registered on
    tensors that still exist, plus one while anomaly detection is on: while the count is 0, the
    backward sweep is the one without hooks."""

    count = 0


class RemovableHandle:
    """What ``register_hook`` returns: ``remove()`` takes the hook off again (a second call does
    nothing); in a ``with`` block the hook is on for the block only."""

    _next_id = 0

    def __init__(self, hooks: dict, hook) -> None:
        RemovableHandle._next_id += 1
        self.id = RemovableHandle._next_id
        self._hooks = hooks
        hooks[self.id] = hook
        Hooks.count += 1

    def remove(self) -> None:
        if self._hooks.pop(self.id, None) is not None:
            Hooks.count -= 1

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()


class HookTable(dict):
    """A tensor's gradient hooks by handle id, and in ``after_accumulation`` the hooks that run
    once backward() has added to its ``.grad`` (``register_post_accumulate_grad_hook``)."""

    def __init__(self) -> None:
        super().__init__()
        self.after_accumulation: dict = {}


def add_hook(tensor, hook, after_accumulation: bool = False) -> RemovableHandle:
    """Register ``hook`` on ``tensor`` (see ``Tensor.register_hook`` and, with
    ``after_accumulation``, ``Tensor.register_post_accumulate_grad_hook``)."""
    hooks = getattr(tensor, "_hooks", None)
    if hooks is None:
        hooks = tensor._hooks = HookTable()
        # When the tensor goes, its hooks stop counting (the table is kept here, not the tensor).
        weakref.finalize(tensor, _forget, hooks)
    return RemovableHandle(hooks.after_accumulation if after_accumulation else hooks, hook)


def _forget(hooks: HookTable) -> None:
    Hooks.count -= len(hooks) + len(hooks.after_accumulation)
    hooks.clear()
    hooks.after_accumulation.clear()


def accumulate(leaf, g: np.ndarray) -> None:
    """Add ``g`` to ``leaf.grad`` and run the leaf's hooks after accumulation (for the sweeps into
    chosen inputs, ``autograd.backward(inputs=...)``)."""
    _accumulate_leaf(leaf, g, set())
    _after_accumulation(leaf)


def _after_accumulation(leaf) -> None:
    """Run ``leaf``'s post-accumulate hooks, each given the leaf (whose ``.grad`` is now complete)."""
    hooks = getattr(leaf, "_hooks", None)
    if hooks is None or not hooks.after_accumulation:
        return
    for hook in list(hooks.after_accumulation.values()):
        if hook(leaf) is not None:
            raise TypeError(f"register_post_accumulate_grad_hook: the hook {getattr(hook, '__name__', hook)!r} "
                            "returned a value; such a hook reads or changes tensor.grad in place and returns None")


def _run_hooks(tensor, g: np.ndarray) -> np.ndarray:
    """``g`` through the hooks of ``tensor`` in the order they were registered; a hook that returns
    something (a tensor or an array of ``g``'s shape) replaces the gradient for the hooks after it
    and for everything upstream."""
    for hook in list(tensor._hooks.values()):
        result = hook(_wrap(g))
        if result is None:
            continue
        replaced = np.asarray(getattr(result, "data", result))
        if replaced.shape != g.shape:
            raise GradError(f"register_hook: the hook {getattr(hook, '__name__', hook)!r} returned a gradient of shape "
                            f"{replaced.shape} for a tensor of shape {g.shape}; a hook may change the values only")
        g = np.array(replaced, dtype=tensor.data.dtype)  # its own copy: the hook may keep what it returned
    return g


def _run_with_hooks(root, seed: np.ndarray) -> None:
    """:func:`run_backward` for a graph in which tensors may have hooks, which run as PyTorch runs
    them: an interior tensor's once its gradient is complete, before it is passed on (and before
    ``retain_grad`` keeps it); a leaf's with the sum of what this sweep sends it, before that is
    added to ``.grad``, as soon as the last operation that sends it something has run."""
    if root._backward is None:
        _accumulate_leaf(root, _run_hooks(root, seed) if _has_hooks(root) else seed, set())
        _after_accumulation(root)
        return
    order = _checked_order(root)
    # Every leaf's, not only those hooked now: a hook may register one on a leaf while the sweep
    # runs, and PyTorch runs it if that leaf's gradient is still to come.
    last = {}  # id(leaf) -> the step of the last operation that sends it a gradient
    for step, node in enumerate(order):
        for parent in node._parents:
            if parent._backward is None and parent.requires_grad:
                last[id(parent)] = step
    complete_after: dict[int, dict] = {}  # step -> those leaves by id, in the order of that operation's inputs
    for step, node in enumerate(order):
        for parent in node._parents:
            if last.get(id(parent)) == step:
                complete_after.setdefault(step, {})[id(parent)] = parent
    collected: dict[int, np.ndarray] = {}
    root._pending = seed
    handed_out: set[int] = set()
    checked = Watch.runners
    try:
        for step, node in enumerate(order):
            g = node._pending
            if g is not None:
                node._pending = None
                if _has_hooks(node):
                    g = _run_hooks(node, g)
                if node._retains_grad:
                    _retain(node, g)
                for parent, pg in zip(node._parents, _rule_result(node, g, checked)):
                    if pg is None or not parent.requires_grad:
                        continue
                    if pg.dtype != parent.data.dtype:
                        pg = pg.astype(parent.data.dtype)
                    if parent._backward is None:
                        collected[id(parent)] = _sum(collected.get(id(parent)), pg)
                    else:
                        parent._pending = _sum(parent._pending, pg)
            for leaf in complete_after.get(step, {}).values():
                if id(leaf) in collected:
                    g = collected.pop(id(leaf))
                    _accumulate_leaf(leaf, _run_hooks(leaf, g) if _has_hooks(leaf) else g, handed_out)
                    _after_accumulation(leaf)
    except BaseException:
        for node in order:
            node._pending = None
        raise


def _rule_result(node, g: np.ndarray, checked) -> tuple:
    """What ``node``'s rule gives its inputs for ``g`` (through a watching mode when ``checked``),
    passed through the hooks put on its ``grad_fn`` (``Node.register_hook``, :mod:`.nodes`)."""
    grads = run_rule(node, node._backward, g) if checked else node._backward(g)
    owner = getattr(node, "_node", None)  # (the slot is set only on tensors whose grad_fn was asked for)
    if owner is not None and owner._post_hooks and owner._rule is node._backward:
        grads = owner.run_post_hooks(grads, g)
    return grads


def _has_hooks(tensor) -> bool:
    return bool(getattr(tensor, "_hooks", None))  # (the slot is set only on tensors given a hook)


def _wrap(g: np.ndarray):
    from .tensor import Tensor

    return Tensor._wrap(g)
