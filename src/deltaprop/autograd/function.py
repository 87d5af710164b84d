"""``autograd.Function``: a differentiable operation defined by its user, forward and backward.

As in PyTorch: subclass, write ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` as
static methods, call ``MyFunction.apply(*args)``. ``forward`` runs with recording off, on tensors
and anything else; ``backward`` gets one gradient tensor per output (zeros for an output nothing
used, or one marked non-differentiable) and returns one entry per argument of ``forward``: a
gradient of that argument's shape (or one that sums back to it), or None. Its result becomes the
operation's gradient rule, recorded as any primitive's is, so the engine runs it in the same sweep.

The newer style is taken too: ``forward(*args)`` without ``ctx`` and a static
``setup_context(ctx, inputs, output)`` that fills ``ctx`` afterwards.
"""

from __future__ import annotations

import numpy as np

from ..engine import fill_pending
from ..errors import GradError, ShapeError
from ..grad_mode import is_grad_enabled, no_grad
from ..ops._core import record, unbroadcast
from ..tensor import Tensor


class FunctionCtx:
    """What ``forward`` (or ``setup_context``) leaves for ``backward``: saved tensors, any attribute
    you set, and ``needs_input_grad`` (one flag per argument of ``forward``)."""

    def __init__(self, needs_input_grad: tuple) -> None:
        self.needs_input_grad = needs_input_grad
        self.saved = ()
        self.non_differentiable = ()

    def save_for_backward(self, *tensors) -> None:
        """Keep ``tensors`` (or None) for ``backward``, which reads them from ``saved_tensors``."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward: argument {i} is a {type(t).__name__}; only tensors (or None) are "
                                "saved this way, keep anything else as an attribute of ctx")
        self.saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        return self.saved

    def mark_non_differentiable(self, *tensors) -> None:
        """Outputs (among those ``forward`` returns) that get no gradient: indices, masks, counts."""
        self.non_differentiable = tuple(tensors)


class Function:
    """Subclass with static ``forward`` and ``backward`` and call ``apply``; see the module's notes."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("Function: a subclass must define forward(ctx, *args) as a static method")

    @staticmethod
    def setup_context(ctx, inputs: tuple, output) -> None:
        raise NotImplementedError  # (a subclass defines it only in the newer style)

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("Function: a subclass must define backward(ctx, *grad_outputs) as a static method")

    def __init__(self, *args, **kwargs) -> None:
        raise TypeError(f"{type(self).__name__}: an autograd Function is not instantiated; call "
                        f"{type(self).__name__}.apply(...) instead")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
        with no_grad():
            if cls.setup_context is not Function.setup_context:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        parents = tuple(a for a in args if isinstance(a, Tensor))
        if not (is_grad_enabled() and any(p.requires_grad for p in parents)):
            return output
        outputs = output if isinstance(output, tuple) else (output,)
        recorded = _record(cls, ctx, args, parents, outputs)
        return recorded if isinstance(output, tuple) else recorded[0]


def _record(cls, ctx, args: tuple, parents: tuple, outputs: tuple) -> tuple:
    """The outputs as recorded tensors whose gradient rule calls ``cls.backward``.

    One differentiable output is recorded directly. Several are the pieces of one hidden node that
    holds them all, flattened end to end: each piece's rule writes its gradient into the node's
    slice (the engine's ``fill_pending``), so the node's rule sees every output's gradient at once
    (zeros where none came) and calls ``backward`` once.
    """
    skipped = {id(t) for t in ctx.non_differentiable}
    differentiable = [i for i, y in enumerate(outputs)
                      if isinstance(y, Tensor) and y.data.dtype.kind == "f" and id(y) not in skipped]
    if not differentiable:
        return outputs
    call = _BackwardCall(cls, ctx, args, outputs, differentiable)
    # The saved arrays stand in the rule's closure, where the engine's in-place check looks: a sweep
    # after one of them was changed in place is refused, as PyTorch's saved-tensor check refuses it.
    saved_arrays = tuple(t.data for t in ctx.saved if t is not None)
    result = list(outputs)
    if len(differentiable) == 1:
        i = differentiable[0]

        def function_rule(g):
            return call((g,), saved_arrays)

        function_rule.node_name = f"{cls.__name__}Backward"  # (PyTorch's name for a custom function's node)
        result[i] = record(outputs[i].data, parents, function_rule, cls.__name__)
        return tuple(result)
    sizes = [outputs[i].data.size for i in differentiable]
    ends = [int(end) for end in np.cumsum(sizes)]
    dtype = np.result_type(*[outputs[i].data.dtype for i in differentiable])
    whole_data = np.broadcast_to(np.zeros((), dtype=dtype), (ends[-1],))  # its shape and dtype, no memory

    def joint_rule(g):
        return call(tuple(g[end - size:end].reshape(outputs[i].data.shape)
                          for i, size, end in zip(differentiable, sizes, ends)), saved_arrays)

    joint_rule.node_name = f"{cls.__name__}Backward"
    whole = record(whole_data, parents, joint_rule, cls.__name__)
    for i, size, end in zip(differentiable, sizes, ends):
        piece_rule = _piece_rule(whole, slice(end - size, end))
        piece_rule.node_name = joint_rule.node_name
        result[i] = record(outputs[i].data, (whole,), piece_rule, cls.__name__)
    return tuple(result)


def _piece_rule(whole, index: slice):
    def piece_rule(g):
        fill_pending(whole, index, g.reshape(-1))
        return (None,)

    return piece_rule


class _BackwardCall:
    """``cls.backward`` as the gradient rule calls it: the gradients of the differentiable outputs in,
    one checked array per tensor argument of ``forward`` out. (An object, not a closure over the
    arguments: the engine's in-place check would read those as kept, and refuse changes to inputs
    that backward never looks at.)"""

    def __init__(self, cls, ctx, args: tuple, outputs: tuple, differentiable: list) -> None:
        self.cls, self.ctx, self.args, self.outputs, self.differentiable = cls, ctx, args, outputs, differentiable

    def __call__(self, gs: tuple, saved_arrays: tuple) -> tuple:
        cls, args, name = self.cls, self.args, self.cls.__name__
        grads = [None if not isinstance(y, Tensor) else Tensor._wrap(np.zeros_like(y.data)) for y in self.outputs]
        for i, g in zip(self.differentiable, gs):
            grads[i] = Tensor._wrap(g)
        with no_grad():
            returned = cls.backward(self.ctx, *grads)
        returned = returned if isinstance(returned, tuple) else (returned,)
        if len(returned) != len(args):
            raise GradError(f"{name}.backward returned {len(returned)} gradient(s) for the {len(args)} argument(s) of "
                            "forward; return one per argument, None for those that need none")
        rule_grads = []
        for position, (x, g) in enumerate(zip(args, returned)):
            if not isinstance(x, Tensor):
                if g is not None:
                    raise GradError(f"{name}.backward returned a gradient for argument {position} of forward, which is "
                                    f"a {type(x).__name__}, not a tensor; return None in that position")
                continue
            rule_grads.append(None if g is None else _checked(name, position, x, g))
        return tuple(rule_grads)


def _checked(name: str, position: int, x: Tensor, g) -> np.ndarray:
    """``g`` as the gradient of argument ``x``: its own copy in ``x``'s dtype, summed back to ``x``'s
    shape where ``x`` broadcasts to it (as PyTorch takes it), refused otherwise."""
    g = np.asarray(g.data if isinstance(g, Tensor) else g)
    if g.shape != x.data.shape:
        try:
            stretched = np.broadcast_shapes(x.data.shape, g.shape) == g.shape
        except ValueError:
            stretched = False
        if not stretched:
            raise ShapeError(f"{name}.backward returned a gradient of shape {g.shape} for argument {position} of "
                             f"forward, which has shape {x.data.shape}")
        g = unbroadcast(g, x.data.shape)
    return np.array(g, dtype=x.data.dtype)
