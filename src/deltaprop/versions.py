"""In-place changes of tensors the graph records: PyTorch's rebased ``grad_fn``, on deltaprop's graph.

PyTorch lets a computed tensor change in place (``y.add_(1)``, ``y[0] = x``, ``y.relu_()``,
``y += z``): the tensor takes a new node, the in-place operation, whose input is what the tensor
was, and the operations recorded from it before the change still send their gradients to what it
was then. deltaprop keeps the graph on the tensors themselves (a node is the tensor its operation
made, and its parents are tensors), so the same takes two steps:

1. :func:`rebase`, at the change: the tensor's node moves to a new tensor ``before`` that stands
   for what the tensor was (its memory, its rule, its parents); the operation is computed from
   ``before`` as an ordinary recorded operation; its values are written into the tensor's own
   memory (so views of it see them, as in PyTorch), and the tensor becomes that operation's node.
   The time of the change on the clock of :class:`~deltaprop.changes.Changes` and ``before`` are
   noted in the tensor's ``_versions``.
2. :func:`resolve`, before a backward sweep through a graph older than the last such change: each
   node's parents are read as they were when the node was made (a node keeps that time in
   ``_stamp``): a parent changed since is replaced by the version it had then, once for good.

What the change overwrote is checked as every in-place change is (:func:`changes.check_unchanged`):
an operation recorded before it whose rule needs the old values is refused at ``backward()``, as
PyTorch's version counters refuse it. Where the in-place operation's own rule needs the values it
overwrites (``y.mul_(w)`` with ``w`` requiring grad needs ``y``'s), it is computed from a copy, as
PyTorch saves the original for such rules.

A piece cut by indexing from a computed tensor (``y[0].fill_(0)``) changes that tensor as well:
``y`` becomes the node that writes the piece into what it was (PyTorch's ``CopySlices``), and the
piece is cut from it again. Refused where PyTorch computes through its tracking of other views,
which deltaprop does not have: using, after the change, a computed tensor made before it that
shares the changed memory (a view of the tensor changed, or the tensor under a view made
otherwise than by indexing): its recorded operation would not carry the change. A view of a leaf
that requires grad is refused at the change, as in PyTorch.
"""

from __future__ import annotations

import weakref

import numpy as np

from .changes import Changes, _root, _swept, needs_input
from .errors import GradError, ShapeError

_TRACKED = 4096


class Versions:
    """When tensors recorded by the graph were changed in place: ``last`` is the time of the latest
    such change (0: none yet, and no sweep looks further), ``memory`` the times at which each
    memory was so changed, by id of the array at the root of its ``.base`` chain."""

    last = 0
    memory: dict = {}  # id(root array) -> (list of times, weak reference to the root array)
    limit = _TRACKED

    @classmethod
    def note(cls, tensor, before, time: int, memory: bool = True) -> None:
        versions = getattr(tensor, "_versions", None)  # (the slot is set only on tensors so changed)
        if versions is None:
            versions = tensor._versions = []
        versions.append((time, before))
        cls.last = time
        if not memory:
            return
        root = _root(tensor.data)
        cls.memory, cls.limit = _swept(cls.memory, cls.limit, lambda entry: entry[1])
        entry = cls.memory.get(id(root))
        if entry is None or entry[1]() is not root:
            cls.memory[id(root)] = entry = ([], weakref.ref(root))
        entry[0].append(time)

    @classmethod
    def changed_between(cls, array, start: int, end: int) -> bool:
        """Whether the memory of ``array`` was changed by a rebase strictly between the two times."""
        root = _root(array)
        entry = cls.memory.get(id(root)) if root is not None else None
        if entry is None or entry[1]() is not root:
            return False
        return any(start < time < end for time in entry[0])


def rebase(tensor, what: str, compute):
    """Change ``tensor`` in place to ``compute(t, own)``, where ``t`` stands for what it is now,
    recording the change as PyTorch does (see the module's docstring). ``compute`` returns the
    recorded result, passing each of its operands through ``own``: the tensor itself becomes ``t``
    (``x.add_(x)``), and an operand that shares its memory (``x.mul_(x.T)``) a copy, as NumPy reads
    it, so that no rule keeps values about to be overwritten. The result's shape must be the
    tensor's, and its dtype may not be of a higher category (an integer tensor cannot take a float
    result in place). Nothing is changed when it fails or is refused.

    A tensor that indexing cut from a computed one (``y[0]``, ``y[:, 1:3]``, sharing its memory)
    changes that one: ``y`` becomes the node that writes the piece's new values into what it was
    (as PyTorch's ``CopySlices``), and the piece is cut from it again, so that later uses of
    either see the change."""
    from .ops.elementwise import clone

    if tensor.requires_grad and tensor._backward is None:
        raise leaf_refusal(what)
    if not tensor.data.flags.writeable:
        raise TypeError(f"{what}: this tensor of shape {tensor.shape} is read-only (a view made by expand(), whose "
                        f"elements share memory, or a read-only NumPy array); change a copy: x = x.clone()")
    _refuse_view_of_leaf(tensor, what)
    cut = _cut_from(tensor)
    if cut is not None:
        return _rebase_through(tensor, what, compute, *cut)
    before = _standing_for(tensor)
    start = Changes.tick()  # (the operation's nodes are those stamped from now on)

    def own(t):
        def operand(value):
            if value is tensor:
                return t
            data = getattr(value, "data", value)
            if isinstance(data, np.ndarray) and np.may_share_memory(data, tensor.data):
                return clone(value) if hasattr(value, "_backward") else data.copy()
            return value
        return operand

    result = compute(before, own(before))
    if _reads(result, before, start):
        standing = clone(before)
        result = compute(standing, own(standing))
    result = _fitted(what, result, tensor)
    np.copyto(tensor.data, result.data, casting="unsafe")
    if tensor.data.size:  # (an empty tensor's memory, which NumPy may share with another's, holds nothing to change)
        Changes.mark(tensor.data)
    else:
        Changes.tick()
    time = Changes.clock
    if result.requires_grad:
        _becomes(tensor, before, result, time)
    else:  # (an operation that passes no gradient: the tensor leaves the graph)
        _hand_over(tensor, before)
        tensor._parents, tensor._backward, tensor._op, tensor.requires_grad = (), None, None, False
    Versions.note(tensor, before, time)
    Changes.tick()  # (operations recorded from now on come after the change)
    return tensor


def _standing_for(tensor):
    """A new tensor holding what ``tensor`` is now: its memory, its rule, its parents, its time."""
    before = type(tensor)._wrap(tensor.data)
    before.requires_grad, before._parents, before._backward, before._op = (
        tensor.requires_grad, tensor._parents, tensor._backward, tensor._op)
    if tensor._backward is not None:
        before._stamp = tensor._stamp
    return before


def _fitted(what: str, result, tensor):
    """``result`` checked to fit into ``tensor`` in place, in ``tensor``'s dtype."""
    from .ops import promotion
    from .ops.elementwise import astype

    if result.data.shape != tensor.data.shape:
        raise ShapeError(f"{what}: the result has shape {result.data.shape}, the tensor {tensor.data.shape}; an "
                         f"in-place change keeps the tensor's shape")
    if result.data.dtype != tensor.data.dtype:
        if promotion.category(result.data.dtype) > promotion.category(tensor.data.dtype):
            raise TypeError(f"{what}: a {tensor.dtype} tensor cannot take in place its {result.dtype} result; make "
                            f"a new tensor instead, or convert it first (x = x.float())")
        result = astype(result, tensor.data.dtype)
    return result


def _hand_over(tensor, before) -> None:
    """The grad_fn made so far (with any hooks on it) and the hooks registered on ``tensor`` go to
    ``before``: they belong to what the tensor was, as in PyTorch."""
    node = getattr(tensor, "_node", None)
    if node is not None:
        before._node, node._tensor = node, weakref.ref(before)
        tensor._node = None
    hooks = getattr(tensor, "_hooks", None)
    if hooks:
        before._hooks, tensor._hooks = hooks, None


def _becomes(tensor, before, result, time: int) -> None:
    """``tensor`` becomes the node that made ``result`` (its memory stays its own)."""
    _hand_over(tensor, before)
    tensor._parents, tensor._backward, tensor._op = result._parents, result._backward, result._op
    tensor.requires_grad, tensor._stamp = True, time


def _cut_from(tensor):
    """``(base, index)`` where ``tensor`` is a basic indexing (``y[0]``, ``y[:, 1:3]``) of a computed
    tensor ``base`` whose memory it shares, else None."""
    if tensor._op != "index" or len(tensor._parents) != 1:
        return None
    (base,) = tensor._parents
    rule = tensor._backward
    names = dict(zip(rule.__code__.co_freevars, (cell.cell_contents for cell in rule.__closure__ or ())))
    if base._backward is None or not names.get("basic") or names.get("parts") is not None:
        return None
    if _root(tensor.data) is not _root(base.data):
        return None
    return base, names["index"]


def _rebase_through(tensor, what: str, compute, base, index):
    """:func:`rebase` of a piece cut from ``base``: ``base`` changed to what it was with the piece's
    new values written at ``index``, then the piece cut from it again."""
    from .ops.elementwise import clone
    from .ops.shape import getitem, setitem

    def through(t, own):
        piece = clone(getitem(t, index))  # (a copy: the rules below may keep its values)
        result = compute(piece, lambda value: piece if value is tensor else own(value))
        return setitem(t, index, _fitted(what, result, tensor))

    rebase(base, what, through)
    before = _standing_for(tensor)
    again = getitem(base, index)
    time = Changes.clock
    _becomes(tensor, before, again, time)
    Versions.note(tensor, before, time, memory=False)  # (the memory's change is the base's)
    Changes.tick()
    return tensor


def leaf_refusal(what: str) -> GradError:
    return GradError(f"{what}: a leaf tensor that requires grad cannot be changed in place while the graph is "
                     f"recorded, as in PyTorch; change it under deltaprop.no_grad() (as optimizers do: "
                     f"p -= lr * p.grad), or make a new tensor (x = x + y)")


def _refuse_view_of_leaf(tensor, what: str) -> None:
    """Refuse to change a view of a leaf that requires grad (``w[0]``, ``w.T``), as PyTorch does:
    the change would write into the parameter itself."""
    if not tensor.data.size:  # (nothing is written)
        return
    root = _root(tensor.data)
    stack, seen = list(tensor._parents), set()
    while stack:
        parent = stack.pop()
        if id(parent) in seen or _root(parent.data) is not root:
            continue
        seen.add(id(parent))
        if parent._backward is None:
            if parent.requires_grad:
                raise GradError(f"{what}: this tensor is a view of a leaf tensor that requires grad (shape "
                                f"{parent.data.shape}), and changing it in place would change the leaf, which "
                                f"PyTorch refuses too; change a copy (y = x.clone()), or the leaf under no_grad()")
            continue
        stack.extend(parent._parents)


def _reads(result, before, start: int) -> bool:
    """Whether an operation recorded since ``start`` on the way to ``result`` keeps ``before``'s
    values for its gradient rule (which the change is about to overwrite)."""
    stack, seen = [result], set()
    while stack:
        node = stack.pop()
        if node._backward is None or id(node) in seen or node._stamp < start:
            continue
        seen.add(id(node))
        for i, parent in enumerate(node._parents):
            if parent is before:
                if needs_input(node, i):
                    return True
            else:
                stack.append(parent)
    return False


def resolve(order) -> bool:
    """Give each node of ``order`` its parents as they were when it was made (see the module's
    docstring); True when some node's parents were replaced (the order must then be made again).
    Then refuse a node that uses a computed tensor whose memory a change rewrote between the
    tensor's making and the node's (``v = y[0]; y.add_(1); v * 2``)."""
    changed, last = False, Versions.last
    for node in order:
        stamp = node._stamp
        if stamp >= last:  # (made after every change: its parents are as they were then)
            continue
        parents = node._parents
        replaced = None
        for i, parent in enumerate(parents):
            versions = getattr(parent, "_versions", None)
            if versions and versions[-1][0] > stamp:
                for time, before in versions:
                    if time > stamp:
                        break
                if replaced is None:
                    replaced = list(parents)
                replaced[i] = before
        if replaced is not None:
            node._parents = tuple(replaced)
            changed = True
    return changed


def check_views(order) -> None:
    """Refuse a node that uses a computed tensor changed in place, through memory it shares with
    another, after the tensor was made and before the node was (see :func:`resolve`)."""
    last = Versions.last
    for node in order:
        for parent in node._parents:
            if (parent._backward is not None and parent._stamp < last and parent._stamp < node._stamp
                    and Versions.changed_between(parent.data, parent._stamp, node._stamp)):
                raise GradError(
                    f"backward: '{node._op}' used a tensor of shape {np.shape(parent.data)} made by '{parent._op}' "
                    f"whose memory was changed in place afterwards through another tensor sharing it (a view, or "
                    f"the tensor it views), so its recorded operation does not carry the change; make that "
                    f"tensor again after the change (or clone() it before), as deltaprop tracks no views")
