"""``autograd.functional``: derivatives of a function as values, PyTorch's ``torch.autograd.functional``.

``vjp`` is one backward sweep; ``jacobian`` is one sweep per output element (row by row, with the
sweep of ``autograd.grad``); ``jvp`` multiplies that Jacobian by ``v``, since deltaprop has no
forward mode: exact, but it costs as many sweeps as the output has elements. ``vectorize`` and
``strategy`` are accepted and ignored (every row is computed by reverse mode). ``hessian``,
``hvp`` and ``vhp`` differentiate the gradient that the sweep with ``create_graph=True`` records
(:mod:`.higher_order`). With ``create_graph=True`` every result is made by that sweep, so it is a
tensor of the graph, differentiable with respect to the inputs that require a gradient (the
function is evaluated on views of those, as PyTorch's is); ``v`` is taken as a constant.

``strict=True`` refuses, as PyTorch's strict mode does, in one sentence naming the function: an
output that does not require a gradient, an input the output does not depend on (for ``hessian``,
``hvp`` and ``vhp``: whose gradient is absent or constant; for ``hessian``, a gradient that does
not depend on one of the inputs), and with ``create_graph=True`` a result that is a constant (a
function linear in that input), where the non-strict functions give zeros. "Depends" is read from
the graph deltaprop records, so a rule that PyTorch writes with a dependence on its input (a
square's Hessian, 2·x⁰) can be a constant here.
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
    single_output, ys = _outputs("vjp", func, xs, strict)
    vs = _matching("vjp", "v", v, ys, single_output)
    gradients = _filled("vjp", _gradients(ys, vs, xs, create_graph), xs, strict,
                        "the output of func does not depend on input {i}",
                        _linear("the gradient with respect to input {i} (func is linear in it)", create_graph))
    return _as(single_output, _results(ys, create_graph)), _as(single_input, gradients)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for output i and input j a tensor of shape
    outputs[i].shape + inputs[j].shape, nested as PyTorch nests them (a tensor for one input and
    one output, a tuple over inputs or outputs given as tuples, a tuple of tuples for both)."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}")
    single_input, xs = _inputs("jacobian", inputs, create_graph)
    single_output, ys = _outputs("jacobian", func, xs, strict)
    return _as(single_output, [_as(single_input, _jacobian_blocks("jacobian", y, xs, create_graph, strict,
                                                                  f"output {n} of func"))
                               for n, y in enumerate(ys)])


def _jacobian_blocks(caller: str, y: Tensor, xs: list, create_graph: bool, strict: bool = False,
                     what: str = "the output of func") -> list:
    """∂y/∂x for each x, of shape y.shape + x.shape: one sweep per element of y (``strict`` refusals
    name y as ``what``)."""
    rows = [[] for _ in xs]
    absent = what + " does not depend on input {i}"
    constant = _linear(f"the derivative of {what} with respect to input {{i}}", create_graph)
    for k in range(y.data.size):
        seed = np.zeros(y.data.size, dtype=y.data.dtype)
        seed[k] = 1
        found = _gradients([y], [seed.reshape(y.shape)], xs, create_graph)
        for row, g in zip(rows, _filled(caller, found, xs, strict, absent, constant)):
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
    single_output, ys = _outputs("jvp", func, xs, strict)
    if strict:  # every input must reach an output (one sweep from all of them tells)
        _filled("jvp", _gradients(ys, [np.ones_like(y.data) for y in ys], xs), xs, strict,
                "the outputs of func do not depend on input {i}")
    products = []
    for n, y in enumerate(ys):
        terms = [ops.sum(ops.mul(block, dv), axis=tuple(range(y.data.ndim, block.data.ndim)))
                 for block, dv in zip(_jacobian_blocks("jvp", y, xs, create_graph), vs)]
        product = functools.reduce(ops.add, terms)
        if strict and create_graph and not product.requires_grad:
            raise GradError(f"jvp: {_linear(f'the product for output {n} of func (func is linear)', True)}")
        products.append(product if create_graph else product.detach())
    return _as(single_output, _results(ys, create_graph)), _as(single_output, products)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of ``func`` (which returns a one-element tensor) at ``inputs``: for inputs i and j
    a tensor of shape inputs[i].shape + inputs[j].shape, nested as PyTorch nests it (a tensor for
    one input, a tuple of tuples for a tuple of inputs). One differentiable sweep gives the
    gradient, then one sweep per element of it gives a row of second derivatives."""
    single_input, xs = _inputs("hessian", inputs, create_graph)
    gradients = _first_gradients("hessian", func, xs, strict)
    return _as(single_input, [_as(single_input, _jacobian_blocks("hessian", g, xs, create_graph, strict,
                                                                 f"the gradient with respect to input {n}"))
                              for n, g in enumerate(gradients)])


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H·v): the Hessian of the one-element output times ``v``, by two sweeps (the
    gradient in the graph, then the gradient of its product with ``v``), never forming H."""
    return _hessian_product("hvp", func, inputs, v, create_graph, strict)


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), vᵀ·H), which equals H·v: second derivatives of a function, where they are continuous,
    do not depend on their order (the two are computed alike, as PyTorch's agree)."""
    return _hessian_product("vhp", func, inputs, v, create_graph, strict)


def _hessian_product(caller: str, func, inputs, v, create_graph: bool, strict: bool):
    single_input, xs = _inputs(caller, inputs, create_graph)
    vs = _matching(caller, "v", v, xs, single_input)
    output = []
    gradients = _first_gradients(caller, func, xs, strict, output)
    terms = [ops.sum(ops.mul(g, dv)) for g, dv in zip(gradients, vs) if g.requires_grad]
    found = (_gradients([functools.reduce(ops.add, terms)], [np.ones((), terms[0].data.dtype)], xs, create_graph)
             if terms else [None] * len(xs))  # (no gradient depends on anything: func is linear, its Hessian 0)
    products = _filled(caller, found, xs, strict, "the gradient of func does not depend on input {i}",
                       _linear("the Hessian's product for input {i} (func is quadratic in it)", create_graph))
    return _results(output, create_graph)[0], _as(single_input, products)


def _first_gradients(caller: str, func, xs: list, strict: bool = False, output: list | None = None) -> list:
    """The gradient of ``func``'s one-element output with respect to ``xs``, as tensors in the graph
    (zeros for an input the output does not depend on; with ``strict`` such an input, or one whose
    gradient is a constant, is refused); the output goes into ``output``."""
    single_output, ys = _outputs(caller, func, xs, strict)
    if not single_output or ys[0].data.size != 1:
        raise GradError(f"{caller}: func must return a single tensor with one element (a scalar function), got "
                        f"{'a tuple' if not single_output else 'shape ' + str(ys[0].shape)}")
    y = ys[0]
    if output is not None:
        output.append(y)
    found = (differentiable_gradients([y], [Tensor._wrap(np.ones_like(y.data))], xs) if y.requires_grad
             else [None] * len(xs))
    return _filled(caller, found, xs, strict, "the output of func does not depend on input {i}",
                   "the gradient with respect to input {i} is a constant (func is linear in it), so it has no "
                   "Hessian, which strict=True refuses")


def _gradients(ys: list, seeds: list, xs: list, create_graph: bool = False) -> list:
    """The gradients of Σ seed·y with respect to ``xs`` (None where no path leads): tensors holding
    arrays, or with ``create_graph`` tensors of the graph (the ``seeds`` taken as constants)."""
    live = [(y, s) for y, s in zip(ys, seeds) if y.requires_grad]
    if not live:
        return [None] * len(xs)
    if create_graph:
        return differentiable_gradients([y for y, _ in live], [Tensor._wrap(np.asarray(s)) for _, s in live], xs)
    found = gradients_to([y for y, _ in live], [s for _, s in live], xs)
    return [None if g is None else Tensor._wrap(g) for g in found]


def _filled(caller: str, found: list, xs: list, strict: bool, absent: str, constant: str | None = None) -> list:
    """``found`` (a gradient per input, None where no path leads) with zeros for the Nones. With
    ``strict`` a None is refused, and where ``constant`` is given a gradient outside the graph (a
    constant) too, as PyTorch's strict mode refuses them: ``absent`` and ``constant`` say what was
    found, ``{i}`` in them standing for the input's index."""
    filled = []
    for i, (x, g) in enumerate(zip(xs, found)):
        if g is None:
            if strict:
                raise GradError(f"{caller}: {absent.format(i=i)}, which strict=True refuses")
            g = Tensor._wrap(np.zeros_like(x.data))
        elif strict and constant is not None and not g.requires_grad:
            raise GradError(f"{caller}: {constant.format(i=i)}")
        filled.append(g)
    return filled


def _linear(what: str, create_graph: bool) -> str | None:
    """The refusal of a constant ``what`` under strict=True, which only create_graph=True makes."""
    return f"{what} is a constant, which strict=True refuses with create_graph=True" if create_graph else None


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


def _outputs(caller: str, func, xs: list, strict: bool = False) -> tuple:
    with enable_grad():
        out = func(*xs)
    single = isinstance(out, Tensor)
    items = [out] if single else list(out) if isinstance(out, (list, tuple)) else None
    if items is None or not all(isinstance(y, Tensor) for y in items):
        raise TypeError(f"{caller}: func must return a tensor or a tuple of tensors, got {type(out).__name__}")
    for i, y in enumerate(items):
        if strict and not y.requires_grad:
            raise GradError(f"{caller}: output {i} of func does not require a gradient (it is not computed from the "
                            "inputs by differentiable operations), which strict=True refuses")
    return single, items


def _matching(caller: str, name: str, v, tensors: list, single: bool) -> list:
    """``v`` as one array per tensor, each of its shape; left out, ones for a one-element tensor."""
    if v is None:
        if len(tensors) != 1 or tensors[0].data.size != 1:
            shapes = [t.shape for t in tensors]
            raise GradError(f"{caller}: {name} can be left out only for a single one-element tensor; give {name} "
                            f"of shape(s) {shapes}")
        return [np.ones_like(tensors[0].data)]
    one_in_a_tuple = isinstance(v, (tuple, list)) and len(v) == 1 and isinstance(v[0], (Tensor, np.ndarray))
    items = list(v) if one_in_a_tuple or not (single or isinstance(v, (Tensor, np.ndarray))) else [v]
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

