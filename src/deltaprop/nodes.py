"""The graph's nodes as PyTorch shows them: what ``tensor.grad_fn`` returns.

deltaprop records the graph on the tensors themselves: a computed tensor keeps its parents, its
gradient rule and the operation's name (``_parents``, ``_backward``, ``_op``). PyTorch code walks
the same graph through objects: ``loss.grad_fn`` is the node that made ``loss``, its
``next_functions`` are the nodes of the operation's inputs (``AccumulateGrad`` for a leaf that
requires a gradient, ``None`` for an input that needs none), ``name()`` is the node's type name
(``MulBackward0``), and hooks may be put on it. This module gives those objects, made on first
request and kept on the tensor, so that ``y.grad_fn is y.grad_fn`` and a node found twice while
walking the graph is one object (graph drawers keep them in sets and name them by ``id``).

A node holds its operation's inputs and rule itself, so it stays usable when the tensor it came
from is gone (``(a * b).sum().grad_fn.next_functions`` in one expression), and refers to that
tensor only weakly: tensor and node make no reference cycle.

Where deltaprop's graph differs from PyTorch's, so do the nodes: a fused operation is one node
(a dense layer's ``LinearBackward0`` where PyTorch has ``AddmmBackward0`` and ``TBackward0``,
``CrossEntropyBackward0`` for its log-softmax and NLL nodes), a few operations carry deltaprop's
names (indexing's ``IndexBackward0``, ``clamp``'s ``ClipBackward0``), and a Python number that an
operation recorded as an input (the 2 of ``x * 2``) has its ``(None, 0)`` entry in
``next_functions``, where PyTorch lists no entry for it.
"""

from __future__ import annotations

import weakref

import numpy as np

from .engine import Hooks, RemovableHandle, add_hook
from .errors import GradError

_TYPES: dict[str, type] = {}  # type name -> the Node subclass of that name, made once each


def node_name(op: str, rule) -> str:
    """PyTorch's name for the node of operation ``op``: ``MulBackward0`` for 'mul', ``CrossEntropyBackward0``
    for 'cross_entropy'; a custom ``autograd.Function``'s node is its class name with ``Backward``
    (its rule says so in ``node_name``), as in PyTorch. deltaprop's fused operations keep their own
    names (a dense layer is one ``LinearBackward0`` where PyTorch records ``AddmmBackward0``)."""
    given = getattr(rule, "node_name", None)
    if given is not None:
        return given
    return "".join(part[:1].upper() + part[1:] for part in str(op).split("_")) + "Backward0"


def node_of(tensor) -> "Node | None":
    """``tensor.grad_fn``: the node that made ``tensor``, or None for a leaf."""
    rule = tensor._backward
    if rule is None:
        return None
    node = getattr(tensor, "_node", None)  # (the slot is set only once a node was asked for)
    if node is None or node._rule is not rule:  # (an in-place view change gave the tensor a new rule)
        node = _type(node_name(tensor._op, rule))(tensor)
        tensor._node = node
    return node


def _type(name: str) -> type:
    cls = _TYPES.get(name)
    if cls is None:
        cls = _TYPES[name] = type(name, (Node,), {"__slots__": (), "__module__": __name__})
    return cls


def _accumulator(leaf) -> "AccumulateGrad":
    node = getattr(leaf, "_node", None)
    if type(node) is not AccumulateGrad:
        node = leaf._node = AccumulateGrad(leaf)
    return node


def _edge(parent) -> tuple:
    if parent._backward is not None:
        return (node_of(parent), 0)
    if parent.requires_grad:
        return (_accumulator(parent), 0)
    return (None, 0)


def _as_tensor(g):
    from .tensor import Tensor

    return g if isinstance(g, Tensor) else Tensor._wrap(np.asarray(g))


class Node:
    """The node of one recorded operation (PyTorch's ``torch.autograd.graph.Node``).

    ``name()`` and the type's name are PyTorch's form of the operation's name; ``next_functions``
    pairs each input's node with 0 (the input's output number: every deltaprop node has one output);
    ``metadata`` is a dict of the caller's own; calling the node with the gradient of its output
    returns its inputs' gradients (``None`` where an input needs none), by the operation's rule.
    """

    __slots__ = ("_tensor", "_parents", "_rule", "_op", "_metadata", "_post_hooks", "__weakref__")

    def __init__(self, tensor) -> None:
        self._tensor = weakref.ref(tensor)
        self._parents, self._rule, self._op = tensor._parents, tensor._backward, tensor._op
        self._metadata = None
        self._post_hooks = None

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    @property
    def next_functions(self) -> tuple:
        return tuple(_edge(parent) for parent in self._parents)

    @property
    def metadata(self) -> dict:
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def __call__(self, *grad_outputs):
        """The inputs' gradients (tensors, or None where an input needs none) for the given gradient
        of the node's output, by the operation's rule, as PyTorch's node call."""
        if len(grad_outputs) != 1:
            raise TypeError(f"{self.name()}: a deltaprop node has one output, so it takes one gradient, got {len(grad_outputs)}")
        g = np.asarray(getattr(grad_outputs[0], "data", grad_outputs[0]))
        grads = self._rule(g)
        return tuple(None if pg is None or not parent.requires_grad else _as_tensor(pg)
                     for parent, pg in zip(self._parents, grads))

    def register_prehook(self, hook):
        """Call ``hook(grad_outputs)`` with the node's output gradient (a one-tensor tuple) before
        its rule runs; a hook that returns a tuple replaces the gradient. It is a hook on the
        tensor's gradient (``Tensor.register_hook``), as in PyTorch. Returns a removable handle."""
        if not callable(hook):
            raise TypeError(f"register_prehook: hook must be a function of the gradients, got {hook!r}")
        tensor = self._tensor_or_refuse("register_prehook")

        def on_gradient(g):
            result = hook((g,))
            return None if result is None else result[0]

        return add_hook(tensor, on_gradient)

    def register_hook(self, hook):
        """Call ``hook(grad_inputs, grad_outputs)`` once the node's rule has run: ``grad_outputs``
        is the node's output gradient (a one-tensor tuple), ``grad_inputs`` its inputs' gradients
        (a tuple with None where an input gets none). A hook that returns a tuple replaces the
        inputs' gradients. Runs in ``backward()`` and ``autograd.grad``, not in the sweep of
        ``create_graph=True``, which differentiates the operations' rules as operations.
        Returns a removable handle."""
        if not callable(hook):
            raise TypeError(f"register_hook: hook must be a function of the gradients, got {hook!r}")
        if self._post_hooks is None:
            self._post_hooks = {}
            weakref.finalize(self, _forget, self._post_hooks)
        return RemovableHandle(self._post_hooks, hook)

    def _tensor_or_refuse(self, what: str):
        tensor = self._tensor()
        if tensor is None or tensor._backward is not self._rule:
            raise GradError(f"{what}: the tensor this {self.name()} made is gone (or changed shape in place), so no "
                            f"backward pass will reach the node again")
        return tensor

    def run_post_hooks(self, grads, g: np.ndarray) -> tuple:
        """``grads`` (the rule's result for output gradient ``g``) through the node's hooks."""
        parents = self._parents
        grads = tuple(grads)
        for hook in list(self._post_hooks.values()):
            inputs = tuple(None if pg is None or not parent.requires_grad else _as_tensor(pg)
                           for parent, pg in zip(parents, grads))
            result = hook(inputs, (_as_tensor(g),))
            if result is None:
                continue
            result = tuple(result)
            if len(result) != len(parents):
                raise GradError(f"register_hook: the hook {getattr(hook, '__name__', hook)!r} of {self.name()} returned "
                                f"{len(result)} gradients for its {len(parents)} inputs")
            grads = tuple(_replacement(new, old, parent, hook) for new, old, parent in zip(result, grads, parents))
        return grads


def _replacement(new, old, parent, hook):
    if new is None:
        return None
    array = np.asarray(getattr(new, "data", new))
    if array.shape != parent.data.shape:
        raise GradError(f"register_hook: the hook {getattr(hook, '__name__', hook)!r} returned a gradient of shape "
                        f"{array.shape} for an input of shape {parent.data.shape}; a hook may change the values only")
    return np.array(array, dtype=parent.data.dtype)


def _forget(hooks: dict) -> None:
    Hooks.count -= len(hooks)
    hooks.clear()


class AccumulateGrad(Node):
    """The node of a leaf that requires a gradient: where the backward pass adds to ``.grad``.
    ``variable`` is the leaf; it has no inputs. Its pre-hooks are the leaf's gradient hooks."""

    __slots__ = ()

    def __init__(self, leaf) -> None:
        self._tensor = weakref.ref(leaf)
        self._parents, self._rule, self._op = (), None, "AccumulateGrad"
        self._metadata = None
        self._post_hooks = None

    @property
    def variable(self):
        return self._tensor()

    def __call__(self, *grad_outputs):
        raise GradError("AccumulateGrad: a leaf's node has no rule to call; backward() adds its gradient to .grad")

    def register_hook(self, hook):
        raise GradError("AccumulateGrad.register_hook: use the leaf's own hooks, Tensor.register_hook (before its "
                        ".grad is added to) or Tensor.register_post_accumulate_grad_hook (after)")

    def _tensor_or_refuse(self, what: str):
        tensor = self._tensor()
        if tensor is None:
            raise GradError(f"{what}: the leaf of this AccumulateGrad is gone")
        return tensor

