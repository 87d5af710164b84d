"""``autograd.functional``: derivatives of a function as values, PyTorch's ``torch.autograd.functional``.

``vjp`` is one backward sweep; ``jacobian`` is one sweep per output element (row by row, with the
sweep of ``autograd.grad``); ``jvp`` multiplies that Jacobian by ``v``, since deltaprop has no
forward mode: exact, but it costs as many sweeps as the output has elements. ``vectorize`` and
``strategy`` are accepted and ignored (every row is computed by reverse mode). ``hessian``,
``hvp`` and ``vhp`` differentiate the gradient that the sweep with ``create_graph=True`` records
(:mod:`.higher_order`). With ``create_graph=True`` every result is made by that sweep, so it is a
tensor of the graph, differentiable with respect to the inputs that require a gradient (the
function is evaluated on views of those, as PyTorch's is); ``v`` is taken as a constant.
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
    single_input, xs = _inputs("vjp", inputs, create_graph)
    single_output, ys = _outputs("vjp", func, xs)
    vs = _matching("vjp", "v", v, ys, single_output)
    gradients = _gradients(ys, vs, xs, create_graph)
    return _as(single_output, _results(ys, create_graph)), _as(single_input, gradients)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for output i and input j a tensor of shape
    outputs[i].shape + inputs[j].shape, nested as PyTorch nests them (a tensor for one input and
    one output, a tuple over inputs or outputs given as tuples, a tuple of tuples for both)."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}")
    single_input, xs = _inputs("jacobian", inputs, create_graph)
    single_output, ys = _outputs("jacobian", func, xs)
    return _as(single_output, [_as(single_input, _jacobian_blocks(y, xs, create_graph)) for y in ys])


def _jacobian_blocks(y: Tensor, xs: list, create_graph: bool) -> list:
    """∂y/∂x for each x, of shape y.shape + x.shape: one sweep per element of y."""
    rows = [[] for _ in xs]
    for k in range(y.data.size):
        seed = np.zeros(y.data.size, dtype=y.data.dtype)
        seed[k] = 1
        for row, g in zip(rows, _gradients([y], [seed.reshape(y.shape)], xs, create_graph)):
            row.append(g)
    return [_stacked(row, y.shape + x.shape, x.data.dtype) for row, x in zip(rows, xs)]


def _stacked(rows: list, shape: tuple, dtype) -> Tensor:
    """The gradients ``rows`` (one per output element) as one tensor of ``shape``: in the graph when
    they are, else an array."""
    if not rows:
        return Tensor._wrap(np.zeros(shape, dtype=dtype))
    if any(row.requires_grad for row in rows):
        return ops.reshape(ops.stack([ops.reshape(row, (-1,)) for row in rows]), shape)
    return Tensor._wrap(np.stack([row.data.reshape(-1) for row in rows]).reshape(shape))


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J·v), computed as the Jacobian times ``v`` (deltaprop has no forward mode):
    one backward sweep per output element. ``v`` may be left out for an input of one element."""
    single_input, xs = _inputs("jvp", inputs, create_graph)
    vs = _matching("jvp", "v", v, xs, single_input)
    single_output, ys = _outputs("jvp", func, xs)
    products = []
    for y in ys:
        terms = [ops.sum(ops.mul(block, dv), axis=tuple(range(y.data.ndim, block.data.ndim)))
                 for block, dv in zip(_jacobian_blocks(y, xs, create_graph), vs)]
        product = functools.reduce(ops.add, terms)
        products.append(product if create_graph else product.detach())
    return _as(single_output, _results(ys, create_graph)), _as(single_output, products)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of ``func`` (which returns a one-element tensor) at ``inputs``: for inputs i and j
    a tensor of shape inputs[i].shape + inputs[j].shape, nested as PyTorch nests it (a tensor for
    one input, a tuple of tuples for a tuple of inputs). One differentiable sweep gives the
    gradient, then one sweep per element of it gives a row of second derivatives."""
    single_input, xs = _inputs("hessian", inputs, create_graph)
    gradients = _first_gradients("hessian", func, xs)
    return _as(single_input, [_as(single_input, _jacobian_blocks(g, xs, create_graph)) for g in gradients])


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H·v): the Hessian of the one-element output times ``v``, by two sweeps (the
    gradient in the graph, then the gradient of its product with ``v``), never forming H."""
    return _hessian_product("hvp", func, inputs, v, create_graph)


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), vᵀ·H), which equals H·v: second derivatives of a function whose are continuous
    do not depend on their order (the two are computed alike, as PyTorch's agree)."""
    return _hessian_product("vhp", func, inputs, v, create_graph)


def _hessian_product(caller: str, func, inputs, v, create_graph: bool):
    single_input, xs = _inputs(caller, inputs, create_graph)
    vs = _matching(caller, "v", v, xs, single_input)
    output = []
    gradients = _first_gradients(caller, func, xs, output)
    terms = [ops.sum(ops.mul(g, dv)) for g, dv in zip(gradients, vs) if g.requires_grad]
    if terms:
        products = _gradients([functools.reduce(ops.add, terms)], [np.ones((), terms[0].data.dtype)], xs, create_graph)
    else:  # a gradient that depends on nothing: the function is linear, its Hessian zero
        products = [Tensor._wrap(np.zeros_like(x.data)) for x in xs]
    return _results(output, create_graph)[0], _as(single_input, products)


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


def _gradients(ys: list, seeds: list, xs: list, create_graph: bool = False) -> list:
    """The gradients of Σ seed·y with respect to ``xs`` (zeros where no path leads): arrays outside
    the graph, or with ``create_graph`` tensors of it (the ``seeds`` taken as constants)."""
    live = [(y, s) for y, s in zip(ys, seeds) if y.requires_grad]
    if not live:
        return [Tensor._wrap(np.zeros_like(x.data)) for x in xs]
    if create_graph:
        found = differentiable_gradients([y for y, _ in live], [Tensor._wrap(np.asarray(s)) for _, s in live], xs)
        return [Tensor._wrap(np.zeros_like(x.data)) if g is None else g for x, g in zip(xs, found)]
    found = gradients_to([y for y, _ in live], [s for _, s in live], xs)
    return [Tensor._wrap(np.zeros_like(x.data) if g is None else g) for x, g in zip(xs, found)]


def _results(ys: list, create_graph: bool) -> list:
    """The function's outputs as returned: in the graph with ``create_graph``, detached otherwise."""
    return list(ys) if create_graph else [y.detach() for y in ys]


def _inputs(caller: str, inputs, create_graph: bool = False) -> tuple:
    """(whether ``inputs`` is one tensor, the tensors ``func`` is evaluated on): fresh leaves that
    require a gradient holding the inputs' data, or with ``create_graph`` views of the inputs that
    require one (so that the results are differentiable with respect to them)."""
    single = isinstance(inputs, Tensor)
    items = [inputs] if single else list(inputs) if isinstance(inputs, (list, tuple)) else None
    if items is None or not all(isinstance(x, Tensor) for x in items):
        raise TypeError(f"{caller}: inputs must be a tensor or a tuple of tensors, got {type(inputs).__name__}")
    for i, x in enumerate(items):
        if x.data.dtype.kind != "f":
            raise GradError(f"{caller}: input {i} is {x.data.dtype}; only floating-point inputs have derivatives")
    return single, [ops.clone(x) if create_graph and x.requires_grad else Tensor._wrap(x.data).requires_grad_()
                    for x in items]


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

