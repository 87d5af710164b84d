"""Activation checkpointing: PyTorch's ``torch.utils.checkpoint``, memory traded for compute.

Backpropagation keeps every intermediate result of the forward pass until the backward sweep has
used it: for a deep network those activations, not the weights, fill memory. ``checkpoint(f, x)``
keeps only what goes into ``f`` and what comes out of it. The intermediate results of ``f`` are
dropped as soon as its output is known; when the backward sweep reaches the output, ``f`` is run
again with recording on, and the gradient is passed through that fresh piece of graph to ``f``'s
inputs and to every tensor ``f`` closes over (a module's weights). The price is one more forward
pass of ``f``.

How it sits in the graph: the output of ``f`` is one recorded node (``"checkpoint"``) whose parents
are the tensors from outside ``f`` that its result depends on: the inputs, the weights, any tensor
of the outer graph that ``f`` uses. Those are found once, by running ``f`` with recording on and
looking down its graph until it leaves ``f`` (the nodes ``f`` made are the ones stamped after the
call began), after which that graph is let go. The node's rule is a :class:`_Recompute`: it runs
``f`` again on the same tensors and sweeps the gradient down the new graph, stopping at those
parents, which get their gradients from the node as from any operation. So ``autograd.grad``,
hooks on the inputs, nested checkpoints and ``create_graph=True`` (its rule sweeps the same new
graph in tensor operations, see :meth:`_Recompute.differentiable`) all work as without it.

PyTorch has two implementations (``use_reentrant=True``, the old one, and ``False``) that differ
at the edges: the old one gives no weight a gradient when no input requires one and refuses
``autograd.grad``. deltaprop has one, which behaves as PyTorch's ``use_reentrant=False``; the
argument is taken (True, False or None) and changes nothing, so None is no cause for a warning.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ..changes import Changes
from ..engine import _Join, bounded_order
from ..errors import ConfigError, GradError
from ..grad_mode import enable_grad, is_grad_enabled
from ..ops._core import record
from ..random import get_rng_state, set_rng_state
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "detach_variable", "noop_context_fn"]


def noop_context_fn():
    """The default ``context_fn``: two contexts that do nothing, for the forward pass and the rerun."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs) -> tuple:
    """Each tensor of the tuple ``inputs`` cut from its graph, keeping whether it requires a gradient;
    anything else as it is."""
    if not isinstance(inputs, tuple):
        raise TypeError(f"detach_variable: inputs must be a tuple, got a {type(inputs).__name__}")
    return tuple(x.detach().requires_grad_(x.requires_grad) if isinstance(x, Tensor) else x for x in inputs)


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn, determinism_check: str = "default",
               debug: bool = False, preserve_rng_state: bool = True, **kwargs):
    """``function(*args, **kwargs)``, keeping none of its intermediate results for the backward pass:
    they are computed again when the gradient reaches its outputs (see the module's notes).

    The gradients are those of the plain call, for the tensors among ``args`` and ``kwargs`` and for
    every tensor ``function`` uses from outside (a module's parameters). ``function`` may return a
    tensor or a tuple or list holding tensors and other values. ``preserve_rng_state=True`` runs
    the recomputation from the random state the forward pass started with, so a dropout inside
    draws the same mask; with False the recomputation draws afresh (cheaper by one state copy,
    right only where ``function`` draws nothing). ``context_fn`` returns two context managers, one
    entered around the forward pass and one around each recomputation (it is called again for each).
    ``determinism_check="default"`` compares the recomputed outputs' shapes and dtypes with the
    forward's and refuses a difference; ``"none"`` skips that. ``use_reentrant`` and ``debug`` are
    accepted and change nothing here.
    """
    _check_options(use_reentrant, determinism_check, preserve_rng_state)
    forward_context, _ = _contexts(context_fn)
    if not is_grad_enabled():
        with forward_context:
            return function(*args, **kwargs)
    rng = get_rng_state() if preserve_rng_state else None
    start = Changes.tick()  # every node made from here on has _stamp >= start: it is function's own
    with forward_context:
        result = function(*args, **kwargs)
    items = list(result) if isinstance(result, (tuple, list)) else [result]
    positions = [i for i, y in enumerate(items) if isinstance(y, Tensor) and y.requires_grad]
    if not positions:
        return result
    boundary, inner = _boundary([items[i] for i in positions], start)
    _cut(inner)  # as if run without recording (PyTorch's forward runs under no_grad): nothing kept
    rerun = _Recompute(function, args, kwargs, boundary, [(items[i].shape, items[i].data.dtype) for i in positions],
                       rng, context_fn, determinism_check == "default")
    for i, y in zip(positions, _record([items[i].data for i in positions], boundary, rerun)):
        items[i] = y  # the recorded graph of the forward pass goes with the tensors replaced here
    if isinstance(result, (tuple, list)):
        return type(result)(items)
    return items[0]


def checkpoint_sequential(functions, segments: int, input, use_reentrant=None, **kwargs):
    """``functions`` (a ``Sequential`` or a list of modules or functions) applied in turn to ``input``,
    in ``segments`` runs of about equal length, each but the last run under :func:`checkpoint`:
    only the tensors between runs are kept for the backward pass. ``preserve_rng_state`` is the
    one other keyword taken, as in PyTorch."""
    preserve_rng_state = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ConfigError(f"checkpoint_sequential: unexpected keyword argument(s) {sorted(kwargs)}; only "
                          "use_reentrant and preserve_rng_state are taken")
    if hasattr(functions, "children") and callable(functions.children):
        functions = list(functions.children())
    functions = list(functions)
    if isinstance(segments, bool) or not isinstance(segments, (int, np.integer)) or not 1 <= segments <= len(functions):
        raise ConfigError(f"checkpoint_sequential: segments must be an integer from 1 to the number of functions "
                          f"({len(functions)}), got {segments!r}")
    size = len(functions) // segments
    for start in range(0, size * (segments - 1), size):
        input = checkpoint(_run(functions[start:start + size]), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve_rng_state)
    return _run(functions[size * (segments - 1):])(input)


def _run(functions: list):
    def run(x):
        for f in functions:
            x = f(x)
        return x

    return run


def _check_options(use_reentrant, determinism_check, preserve_rng_state) -> None:
    if use_reentrant not in (None, True, False):
        raise ConfigError(f"checkpoint: use_reentrant must be True, False or None, got {use_reentrant!r}")
    if determinism_check not in ("default", "none"):
        raise ConfigError(f"checkpoint: determinism_check must be 'default' or 'none', got {determinism_check!r}")
    if preserve_rng_state not in (True, False):
        raise ConfigError(f"checkpoint: preserve_rng_state must be True or False, got {preserve_rng_state!r}")


def _contexts(context_fn) -> tuple:
    contexts = context_fn()
    if not (isinstance(contexts, tuple) and len(contexts) == 2):
        raise ConfigError("checkpoint: context_fn must return two context managers (forward, recomputation), got "
                          f"a {type(contexts).__name__}")
    return contexts


def _boundary(outputs: list, start: int) -> tuple:
    """The tensors from outside the call that ``outputs`` depend on (the leaves that require a
    gradient and the nodes made before the call began, stamped before ``start``), and the nodes
    made in the call."""
    found: dict[int, Tensor] = {}
    inner = []
    seen: set[int] = set()
    stack = list(outputs)
    while stack:
        node = stack.pop()
        if id(node) in seen or not node.requires_grad:
            continue
        seen.add(id(node))
        if node._backward is None or node._stamp < start:
            found[id(node)] = node
        else:
            inner.append(node)
            stack.extend(node._parents)
    return tuple(found.values()), inner


def _cut(nodes) -> None:
    """``nodes`` made constants: a rule that keeps its own output (tanh's does) makes a cycle that
    only the garbage collector would break, holding every array of the graph until it runs."""
    for node in nodes:
        node._parents, node._backward, node.requires_grad = (), None, False


def _record(arrays: list, boundary: tuple, rerun) -> list:
    """The outputs as tensors of the graph, above one node whose rule is ``rerun``. Several outputs
    are the pieces of one node that holds them end to end (so that one recomputation serves all),
    cut out of it by recorded operations, which have gradients of every order."""
    if len(arrays) == 1:
        return [record(arrays[0], boundary, rerun, "checkpoint")]
    whole = record(np.concatenate([a.reshape(-1) for a in arrays]), boundary, rerun, "checkpoint")
    pieces, end = [], 0
    for a in arrays:
        piece = whole[end:end + a.size].reshape(a.shape)
        pieces.append(piece if piece.data.dtype == a.dtype else piece.to(a.dtype))
        end += a.size
    return pieces


class _Recompute:
    """The checkpoint node's gradient rule: ``function`` run again, the gradient swept down the new
    graph to the node's parents. (An object, so that the in-place check of the engine reads its
    parents only, and the differentiable sweep finds :meth:`differentiable`.)"""

    def __init__(self, function, args, kwargs, boundary, signature, rng, context_fn, check) -> None:
        self.function, self.args, self.kwargs, self.boundary = function, args, kwargs, boundary
        self.signature, self.rng, self.context_fn, self.check = signature, rng, context_fn, check

    def outputs(self) -> list:
        """The outputs that require a gradient, computed again with recording on, from the random
        state the forward pass began with (the caller's state is put back after)."""
        _, context = _contexts(self.context_fn)
        current = get_rng_state() if self.rng is not None else None
        try:
            if self.rng is not None:
                set_rng_state(self.rng)
            with enable_grad(), context:
                result = self.function(*self.args, **self.kwargs)
        finally:
            if current is not None:
                set_rng_state(current)
        items = list(result) if isinstance(result, (tuple, list)) else [result]
        outputs = [y for y in items if isinstance(y, Tensor) and y.requires_grad]
        signature = [(y.shape, y.data.dtype) for y in outputs]
        if self.check and signature != self.signature:
            raise GradError(f"checkpoint: the recomputation of {getattr(self.function, '__name__', 'the function')} "
                            f"gave outputs {_described(signature)}, the forward pass {_described(self.signature)}; "
                            "the function must compute the same thing both times (determinism_check='none' allows "
                            "a difference)")
        return outputs

    def seeds(self, g, outputs: list) -> list:
        """``g``, the gradient of the node, as one seed per output."""
        if len(outputs) == 1:
            return [g]
        seeds, end = [], 0
        for y in outputs:
            seed = g[end:end + y.data.size].reshape(y.data.shape)
            seeds.append(seed.astype(y.data.dtype) if isinstance(seed, np.ndarray) else seed.to(y.data.dtype))
            end += y.data.size
        return seeds

    def __call__(self, g: np.ndarray) -> tuple:
        outputs = self.outputs()
        return _sweep(outputs, self.seeds(g, outputs), self.boundary)

    def differentiable(self, node, g) -> list:
        """The rule for ``create_graph=True``: the same sweep, in recorded tensor operations."""
        from ..autograd.higher_order import differentiable_gradients

        outputs = self.outputs()
        return differentiable_gradients(outputs, self.seeds(g, outputs), list(self.boundary), within=True)


def _described(signature: list) -> str:
    return ", ".join(f"{tuple(shape)} {np.dtype(dtype).name}" for shape, dtype in signature) or "none"


def _sweep(outputs: list, seeds: list, boundary: tuple) -> tuple:
    """The gradients of Σ seed·output with respect to each tensor of ``boundary`` (None where none
    comes), by the engine's rules over the part of the graph above the boundary. The boundary's own
    ``_pending`` slots belong to the sweep that called this rule, so sums are kept here."""
    join = _Join(outputs, seeds)
    targets = {id(t): i for i, t in enumerate(boundary)}
    found: list = [None] * len(boundary)
    pending = {id(join): join.data}
    order = bounded_order(join, boundary)
    for node in order:
        g = pending.pop(id(node), None)
        if g is None:
            continue
        for parent, pg in zip(node._parents, node._backward(g)):
            if pg is None or not parent.requires_grad:
                continue
            if pg.dtype != parent.data.dtype:
                pg = pg.astype(parent.data.dtype)
            i = targets.get(id(parent))
            if i is not None:
                found[i] = pg if found[i] is None else found[i] + pg
            elif parent._backward is not None:
                previous = pending.get(id(parent))
                pending[id(parent)] = pg if previous is None else previous + pg
    _cut(order[1:])  # the recomputed graph has served: let its arrays go now
    join._parents = join._seeds = join._backward = ()  # (a bound method of its own: a cycle too)
    return tuple(None if g is None else np.asarray(g) for g in found)
