"""``autograd.grad`` and ``autograd.backward``: gradients of several outputs in one sweep.

``grad`` returns the gradients with respect to chosen tensors and leaves every ``.grad`` as it was
(the training loop's accumulators stay the training loop's); ``backward`` is ``Tensor.backward``
from several outputs at once, each with its own gradient, optionally into chosen inputs only.
"""

from __future__ import annotations

import numpy as np

from ..engine import accumulate, gradients_to, run_backward_from
from ..errors import GradError
from ..tensor import Tensor
from .higher_order import differentiable_gradients


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False, only_inputs: bool = True,
         allow_unused=None, is_grads_batched: bool = False, materialize_grads: bool = False):
    """The gradients of the outputs (summed, each weighted by its ``grad_outputs``) with respect to
    each of ``inputs``, as a tuple of tensors (a dict for a dict of inputs), without touching any
    ``.grad``: PyTorch's ``torch.autograd.grad``.

    An input no output depends on is refused unless ``allow_unused=True`` (then its gradient is None,
    or zeros with ``materialize_grads=True``). ``is_grads_batched=True`` takes each grad_output with
    a leading batch axis and runs one sweep per row (PyTorch vectorizes them). ``retain_graph`` and
    ``only_inputs`` are accepted and change nothing: the graph is never freed.

    ``create_graph=True`` returns gradients that are tensors of the graph, so that they can be
    differentiated again (second derivatives, gradient penalties); grad_outputs that require a
    gradient are differentiated through too. Each operation on the way must have a
    differentiable rule (see ``autograd/differentiable_rules.py``); one that has none is named.
    """
    if create_graph and is_grads_batched:
        raise GradError("grad: create_graph=True with is_grads_batched=True is not supported; call grad once per "
                        "row of grad_outputs")
    if materialize_grads and allow_unused is False:
        raise ValueError("grad: materialize_grads=True gives unused inputs zeros, so allow_unused must be True "
                         "or left out, not False")
    allow_unused = bool(materialize_grads or allow_unused)
    names = None
    if isinstance(inputs, dict):
        names, inputs = list(inputs), list(inputs.values())
    inputs = _tensors("grad", "inputs", inputs)
    if not inputs:
        raise GradError("grad: inputs is empty; name the tensors whose gradients you want")
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise GradError(f"grad: input {i} (shape {x.shape}) does not require a gradient; "
                            "create it with requires_grad=True or call requires_grad_()")
    outputs = _tensors("grad", "outputs", outputs)
    if is_grads_batched:
        rows = _batched(outputs, grad_outputs)
        per_row = [_sweep(outputs, row, inputs, allow_unused, materialize_grads) for row in rows]
        gradients = tuple(None if row_grads[0] is None else Tensor._wrap(np.stack([r.data for r in row_grads]))
                          for row_grads in zip(*per_row))
    else:
        gradients = _sweep(outputs, grad_outputs, inputs, allow_unused, materialize_grads, create_graph)
    return gradients if names is None else dict(zip(names, gradients))


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False, grad_variables=None,
             inputs=None) -> None:
    """``Tensor.backward`` from several tensors at once, each with its gradient in ``grad_tensors``
    (None for a scalar: 1), in one sweep: PyTorch's ``torch.autograd.backward``. With ``inputs``,
    only those tensors' ``.grad`` are added to (a non-leaf among them gets one too)."""
    _refuse_second_order("backward", create_graph)
    if grad_variables is not None:
        if grad_tensors is not None:
            raise TypeError("backward: give grad_tensors or its old name grad_variables, not both")
        grad_tensors = grad_variables
    tensors = _tensors("backward", "tensors", tensors)
    seeds = _seeds("backward", tensors, grad_tensors)
    if inputs is None:
        run_backward_from(tensors, seeds)
        return
    inputs = _tensors("backward", "inputs", inputs)
    if not inputs:
        raise GradError("backward: inputs is empty; leave it out to fill every leaf's .grad")
    for x, g in zip(inputs, gradients_to(tensors, seeds, inputs)):
        if g is not None:
            accumulate(x, g)


def _sweep(outputs, grad_outputs, inputs, allow_unused: bool, materialize: bool, create_graph: bool = False) -> tuple:
    seeds = _seeds("grad", outputs, grad_outputs)
    if create_graph:
        # a grad_output that is a tensor needing a gradient stays that tensor (in the graph)
        given = grad_outputs if isinstance(grad_outputs, (list, tuple)) else [grad_outputs] * len(outputs)
        seeds = [g if isinstance(g, Tensor) and g.requires_grad and g.data.dtype == s.dtype else Tensor._wrap(s)
                 for g, s in zip(given, seeds)]
        gradients = differentiable_gradients(outputs, seeds, inputs)
    else:
        gradients = gradients_to(outputs, seeds, inputs)
    result = []
    for i, (x, g) in enumerate(zip(inputs, gradients)):
        if g is None:
            if not allow_unused:
                raise GradError(f"grad: input {i} (shape {x.shape}) was not used to compute the outputs, so it has "
                                "no gradient; pass allow_unused=True to get None for it (materialize_grads=True for zeros)")
            result.append(Tensor._wrap(np.zeros_like(x.data)) if materialize else None)
        else:
            result.append(g if create_graph else Tensor._wrap(g))
    return tuple(result)


def _seeds(caller: str, outputs: list, gradients) -> list:
    """One seed array per output, each of its output's shape and dtype (1 implied for a scalar)."""
    if gradients is None or isinstance(gradients, (Tensor, np.ndarray)):
        gradients = [gradients] * len(outputs) if gradients is None else [gradients]
    gradients = list(gradients)
    name = "grad_outputs" if caller == "grad" else "grad_tensors"
    if len(gradients) != len(outputs):
        raise GradError(f"{caller}: {len(outputs)} output(s) but {len(gradients)} {name}; give one per output "
                        "(None for a scalar)")
    seeds = []
    for i, (y, g) in enumerate(zip(outputs, gradients)):
        if not y.requires_grad:
            raise GradError(f"{caller}: output {i} (shape {y.shape}) does not require a gradient (no input of its "
                            "computation had requires_grad=True, or it was computed under no_grad())")
        if g is None:
            if y.data.size != 1:
                raise GradError(f"{caller}: a gradient can be implied only for a scalar output; output {i} has shape "
                                f"{y.shape}, so pass its gradient in {name} or reduce it first (e.g. .sum())")
            seeds.append(np.ones_like(y.data))
            continue
        seed = np.array(g.data if isinstance(g, Tensor) else g, dtype=y.data.dtype)
        if seed.shape != y.shape:
            raise GradError(f"{caller}: {name}[{i}] has shape {seed.shape}, but output {i} has shape {y.shape}")
        seeds.append(seed)
    return seeds


def _batched(outputs: list, grad_outputs) -> list:
    """``grad_outputs`` with a leading batch axis, as one list of grad_outputs per row."""
    if grad_outputs is None:
        raise GradError("grad: is_grads_batched=True needs grad_outputs, each with a leading batch axis")
    if isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = [grad_outputs]
    arrays = [np.asarray(g.data if isinstance(g, Tensor) else g) for g in grad_outputs]
    sizes = {len(a) if a.ndim else 0 for a in arrays}
    if len(sizes) != 1 or 0 in sizes:
        raise GradError("grad: with is_grads_batched=True every grad_output needs the same leading batch axis, "
                        f"got shapes {[a.shape for a in arrays]}")
    return [[a[row] for a in arrays] for row in range(sizes.pop())]


def _tensors(caller: str, what: str, value) -> list:
    """``value`` (a tensor or a sequence of them) as a list of tensors."""
    items = [value] if isinstance(value, Tensor) else list(value) if isinstance(value, (list, tuple)) else None
    if items is None or not all(isinstance(t, Tensor) for t in items):
        raise TypeError(f"{caller}: {what} must be a tensor or a sequence of tensors, got {type(value).__name__}")
    return items


def _refuse_second_order(caller: str, create_graph: bool) -> None:
    if create_graph:
        raise GradError(f"{caller}: create_graph=True is not supported here, where gradients go into .grad as arrays; "
                        "deltaprop.autograd.grad(outputs, inputs, create_graph=True) returns gradients in the graph")
