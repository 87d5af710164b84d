"""``autograd.functional``: derivatives of a function as values, PyTorch's ``torch.autograd.functional``.

``vjp`` is one backward sweep; ``jacobian`` is one sweep per output element (row by row, with the
sweep of ``autograd.grad``); ``jvp`` multiplies that Jacobian by ``v``, since deltaprop has no
forward mode: exact, but it costs as many sweeps as the output has elements. ``vectorize`` and
``strategy`` are accepted and ignored (every row is computed by reverse mode). ``hessian``,
``hvp`` and ``vhp`` differentiate the gradient that the sweep with ``create_graph=True`` records
(:mod:`.higher_order`); ``create_graph=True`` itself is refused here (``autograd.grad`` takes it).
"""

from __future__ import annotations

import functools

import numpy as np

from .. import ops
from ..engine import gradients_to
from ..errors import GradError
from ..grad_mode import enable_grad
from ..tensor import Tensor
from .higher_order import differentiable_gradients


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), vᵀ·J): the gradient of Σ v·func(inputs) with respect to the inputs (zeros for
    an input the output does not depend on); ``v`` may be left out for a scalar output."""
    _refuse_second_order("vjp", create_graph)
    single_input, xs = _inputs("vjp", inputs)
    single_output, ys = _outputs("vjp", func, xs)
    vs = _matching("vjp", "v", v, ys, single_output)
    gradients = _gradients(ys, vs, xs)
    return _as(single_output, [y.detach() for y in ys]), _as(single_input, gradients)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for output i and input j a tensor of shape
    outputs[i].shape + inputs[j].shape, nested as PyTorch nests them (a tensor for one input and
    one output, a tuple over inputs or outputs given as tuples, a tuple of tuples for both)."""
    _refuse_second_order("jacobian", create_graph)
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}")
    single_input, xs = _inputs("jacobian", inputs)
    single_output, ys = _outputs("jacobian", func, xs)
    rows = []
    for y in ys:
        blocks = [np.zeros((y.data.size, x.data.size), dtype=x.data.dtype) for x in xs]
        for k in range(y.data.size):
            seed = np.zeros(y.data.size, dtype=y.data.dtype)
            seed[k] = 1
            for block, g in zip(blocks, _gradients([y], [seed.reshape(y.shape)], xs)):
                block[k] = g.data.reshape(-1)
        rows.append(_as(single_input, [Tensor._wrap(block.reshape(y.shape + x.shape)) for block, x in zip(blocks, xs)]))
    return _as(single_output, rows)


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J·v), computed as the Jacobian times ``v`` (deltaprop has no forward mode):
    one backward sweep per output element. ``v`` may be left out for an input of one element."""
    _refuse_second_order("jvp", create_graph)
    single_input, xs = _inputs("jvp", inputs)
    vs = _matching("jvp", "v", v, xs, single_input)
    single_output, ys = _outputs("jvp", func, xs)
    products = []
    for y in ys:
        total = np.zeros(y.shape, dtype=y.data.dtype)
        for k in range(y.data.size):
            seed = np.zeros(y.data.size, dtype=y.data.dtype)
            seed[k] = 1
            row = _gradients([y], [seed.reshape(y.shape)], xs)
            total.reshape(-1)[k] = sum(np.sum(g.data * dv) for g, dv in zip(row, vs))
        products.append(Tensor._wrap(total))
    return _as(single_output, [y.detach() for y in ys]), _as(single_output, products)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of ``func`` (which returns a one-element tensor) at ``inputs``: for inputs i and j
    a tensor of shape inputs[i].shape + inputs[j].shape, nested as PyTorch nests it (a tensor for
    one input, a tuple of tuples for a tuple of inputs). One differentiable sweep gives the
    gradient, then one sweep per element of it gives a row of second derivatives."""
    _refuse_third_order("hessian", create_graph)
    single_input, xs = _inputs("hessian", inputs)
    gradients = _first_gradients("hessian", func, xs)
    rows = []
    for g, x in zip(gradients, xs):
        blocks = [np.zeros((x.data.size, other.data.size), dtype=other.data.dtype) for other in xs]
        if g.requires_grad:
            flat = g.reshape(-1)
            for k in range(x.data.size):
                for block, second in zip(blocks, _gradients([flat[k]], [np.ones((), flat.data.dtype)], xs)):
                    block[k] = second.data.reshape(-1)
        rows.append(_as(single_input, [Tensor._wrap(block.reshape(x.shape + other.shape)) for block, other in zip(blocks, xs)]))
    return _as(single_input, rows)


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H·v): the Hessian of the one-element output times ``v``, by two sweeps (the
    gradient in the graph, then the gradient of its product with ``v``), never forming H."""
    return _hessian_product("hvp", func, inputs, v, create_graph)


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), vᵀ·H), which equals H·v: second derivatives of a function whose are continuous
    do not depend on their order (the two are computed alike, as PyTorch's agree)."""
    return _hessian_product("vhp", func, inputs, v, create_graph)


def _hessian_product(caller: str, func, inputs, v, create_graph: bool):
    _refuse_third_order(caller, create_graph)
    single_input, xs = _inputs(caller, inputs)
    vs = _matching(caller, "v", v, xs, single_input)
    output = []
    gradients = _first_gradients(caller, func, xs, output)
    terms = [ops.sum(ops.mul(g, dv)) for g, dv in zip(gradients, vs) if g.requires_grad]
    if terms:
        products = _gradients([functools.reduce(ops.add, terms)], [np.ones((), terms[0].data.dtype)], xs)
    else:  # a gradient that depends on nothing: the function is linear, its Hessian zero
        products = [Tensor._wrap(np.zeros_like(x.data)) for x in xs]
    return output[0].detach(), _as(single_input, products)


def _first_gradients(caller: str, func, xs: list, output: list | None = None) -> list:
    """The gradient of ``func``'s one-element output with respect to ``xs``, as tensors in the graph
    (zeros for an input the output does not depend on); the output goes into ``output``."""
    single_output, ys = _outputs(caller, func, xs)
    if not single_output or ys[0].data.size != 1:
        raise GradError(f"{caller}: func must return a single tensor with one element (a scalar function), got "
                        f"{'a tuple' if not single_output else 'shape ' + str(ys[0].shape)}")
    y = ys[0]
    if output is not None:
        output.append(y)
    if not y.requires_grad:
        return [Tensor._wrap(np.zeros_like(x.data)) for x in xs]
    found = differentiable_gradients([y], [Tensor._wrap(np.ones_like(y.data))], xs)
    return [Tensor._wrap(np.zeros_like(x.data)) if g is None else g for x, g in zip(xs, found)]


def _refuse_third_order(caller: str, create_graph: bool) -> None:
    if create_graph:
        raise GradError(f"{caller}: create_graph=True (third derivatives through {caller}) is not supported; take "
                        "autograd.grad(..., create_graph=True) twice instead")


def _gradients(ys: list, seeds: list, xs: list) -> list:
    found = gradients_to([y for y in ys if y.requires_grad], [s for y, s in zip(ys, seeds) if y.requires_grad], xs)
    return [Tensor._wrap(np.zeros_like(x.data) if g is None else g) for x, g in zip(xs, found)]


def _inputs(caller: str, inputs) -> tuple:
    """(whether ``inputs`` is one tensor, fresh leaves that require a gradient holding its data)."""
    single = isinstance(inputs, Tensor)
    items = [inputs] if single else list(inputs) if isinstance(inputs, (list, tuple)) else None
    if items is None or not all(isinstance(x, Tensor) for x in items):
        raise TypeError(f"{caller}: inputs must be a tensor or a tuple of tensors, got {type(inputs).__name__}")
    for i, x in enumerate(items):
        if x.data.dtype.kind != "f":
            raise GradError(f"{caller}: input {i} is {x.data.dtype}; only floating-point inputs have derivatives")
    return single, [Tensor._wrap(x.data).requires_grad_() for x in items]


def _outputs(caller: str, func, xs: list) -> tuple:
    with enable_grad():
        out = func(*xs)
    single = isinstance(out, Tensor)
    items = [out] if single else list(out) if isinstance(out, (list, tuple)) else None
    if items is None or not all(isinstance(y, Tensor) for y in items):
        raise TypeError(f"{caller}: func must return a tensor or a tuple of tensors, got {type(out).__name__}")
    return single, items


def _matching(caller: str, name: str, v, tensors: list, single: bool) -> list:
    """``v`` as one array per tensor, each of its shape; left out, ones for a one-element tensor."""
    if v is None:
        if len(tensors) != 1 or tensors[0].data.size != 1:
            shapes = [t.shape for t in tensors]
            raise GradError(f"{caller}: {name} can be left out only for a single one-element tensor; give {name} "
                            f"of shape(s) {shapes}")
        return [np.ones_like(tensors[0].data)]
    items = [v] if single or isinstance(v, (Tensor, np.ndarray)) else list(v)
    if len(items) != len(tensors):
        raise GradError(f"{caller}: {name} has {len(items)} tensor(s) for {len(tensors)}")
    arrays = []
    for i, (t, item) in enumerate(zip(tensors, items)):
        array = np.asarray(item.data if isinstance(item, Tensor) else item, dtype=t.data.dtype)
        if array.shape != t.shape:
            raise GradError(f"{caller}: {name}[{i}] has shape {array.shape}, but it pairs with a tensor of shape {t.shape}")
        arrays.append(array)
    return arrays


def _as(single: bool, items: list):
    return items[0] if single else tuple(items)


def _refuse_second_order(caller: str, create_graph: bool) -> None:
    if create_graph:
        raise GradError(f"{caller}: create_graph=True is not supported here; autograd.grad(..., create_graph=True) "
                        "returns gradients in the graph, and hessian, hvp and vhp give second derivatives")
