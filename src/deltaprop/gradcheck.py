"""Check gradient rules against central finite differences, in float64: ``gradcheck`` for first
derivatives, ``gradgradcheck`` for second ones (the first derivatives, taken with
``create_graph=True``, checked in turn), PyTorch's ``torch.autograd.gradcheck`` and ``gradgradcheck``.

The check is the one every new primitive, layer and loss passes in the test suite: perturb each
input element by ±eps, measure how a random projection of each output moves, and compare with what
the backward sweep computed for the same projection.
"""

from __future__ import annotations

import numpy as np

from .engine import gradients_to
from .errors import GradcheckError
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0, *,
              raise_exception: bool = True, fast_mode: bool = False) -> bool:
    """Return True when ``fn``'s gradients match finite differences, else raise :class:`GradcheckError`
    (or return False with ``raise_exception=False``, as PyTorch's).

    ``inputs`` is a tensor or a sequence of arguments for ``fn``; every tensor among them that
    requires a gradient is checked, in float64. ``fn`` returns a tensor of any shape, or a tuple of
    them (its integer and boolean tensors are not differentiated, as in PyTorch). Each output is
    projected on a fixed random direction v and the scalar Σ v·output differentiated, which tests
    the full vector-Jacobian product: a projection, as PyTorch's ``fast_mode`` makes, without its
    second one on the inputs' side, so ``fast_mode`` changes nothing. The error names the output
    (where there are several), the input, the worst element, both values and the tolerance it broke.
    """
    args = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    checked = []
    for i, arg in enumerate(args):
        if isinstance(arg, Tensor) and arg.requires_grad:
            args[i] = Tensor(np.array(arg.data, dtype=np.float64), requires_grad=True, dtype=np.float64)
            checked.append(i)
    if not checked:
        raise ValueError("gradcheck: no input requires a gradient; pass tensors with requires_grad=True")

    with enable_grad():
        outputs = _differentiable_outputs(fn(*args))
    rng = np.random.default_rng(seed)
    directions = [rng.standard_normal(out.shape) for out in outputs]
    targets = [args[i] for i in checked]

    def swept(out: Tensor, v: np.ndarray) -> list:
        """The gradient of Σ v·out with respect to each checked input (zeros where no path leads)."""
        found = gradients_to([out], [v], targets) if out.requires_grad else [None] * len(targets)
        return [np.zeros(x.shape) if g is None else g for x, g in zip(targets, found)]

    analytic = [swept(out, v) for out, v in zip(outputs, directions)]

    def projected() -> list:
        return [float(np.sum(v * out.data)) for out, v in zip(_differentiable_outputs(fn(*args)), directions)]

    for n, (i, x) in enumerate(zip(checked, targets)):
        numeric = np.zeros((len(outputs),) + x.shape)
        # Element by element, in place, by index: the input keeps its memory order (a column-major
        # or batch-last input is checked as such), where a flattened copy would not be perturbed.
        with no_grad():
            for index in np.ndindex(*x.shape):
                original = x.data[index]
                x.data[index] = original + eps
                upper = projected()
                x.data[index] = original - eps
                lower = projected()
                x.data[index] = original
                numeric[(slice(None),) + index] = (np.array(upper) - np.array(lower)) / (2 * eps)
        for k in range(len(outputs)):
            failure = _mismatch(analytic[k][n], numeric[k], atol, rtol)
            if failure is not None:
                if not raise_exception:
                    return False
                which = f"output {k} with respect to input {i}" if len(outputs) > 1 else f"input {i}"
                raise GradcheckError(f"gradcheck: gradient of {which} (shape {x.shape}) is wrong at index {failure}")
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  seed: int = 0, *, raise_exception: bool = True, fast_mode: bool = False) -> bool:
    """Check ``fn``'s second derivatives: the gradient of Σ grad_outputs·fn(inputs) with respect to
    the inputs that require one, taken with ``create_graph=True``, must itself pass :func:`gradcheck`
    with respect to those inputs and to ``grad_outputs`` (as PyTorch's ``gradgradcheck``). Without
    ``grad_outputs``, random ones are drawn (seeded by ``seed``), one per differentiable output."""
    args = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    with enable_grad():
        outputs = _differentiable_outputs(fn(*args))
    if grad_outputs is None:
        rng = np.random.default_rng(seed + 1)
        grad_outputs = [Tensor(rng.standard_normal(out.shape), requires_grad=True, dtype=np.float64) for out in outputs]
    else:
        given = list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) else [grad_outputs]
        grad_outputs = [g if isinstance(g, Tensor) else Tensor._wrap(np.asarray(g, dtype=np.float64)) for g in given]
        if len(grad_outputs) != len(outputs):
            raise ValueError(f"gradgradcheck: grad_outputs has {len(grad_outputs)} tensor(s) for fn's "
                             f"{len(outputs)} differentiable output(s)")
    from .autograd.higher_order import differentiable_gradients  # (deltaprop.autograd imports this module)

    def first_derivatives(*values):
        inner, seeds = list(values[:len(args)]), list(values[len(args):])
        with enable_grad():  # (gradcheck's finite differences run without recording)
            pairs = [(y, s) for y, s in zip(_differentiable_outputs(fn(*inner)), seeds) if y.requires_grad]
            wrt = [x for x in inner if isinstance(x, Tensor) and x.requires_grad]
            if not pairs:  # (no output depends on the inputs: no derivatives to check)
                return ()
            found = differentiable_gradients([y for y, _ in pairs], [s for _, s in pairs], wrt)
        return tuple(g for g in found if g is not None)

    return gradcheck(first_derivatives, args + grad_outputs, eps, atol, rtol, seed, raise_exception=raise_exception)


def _differentiable_outputs(result) -> list:
    """``fn``'s result as a list of its floating-point tensors (a tensor, or a tuple of them)."""
    items = list(result) if isinstance(result, (tuple, list)) else [result]
    if not all(isinstance(item, Tensor) for item in items):
        raise TypeError(f"gradcheck: fn must return a Tensor or a tuple of Tensors, got {type(result).__name__}")
    return [item for item in items if item.data.dtype.kind == "f"]


def _mismatch(analytic: np.ndarray, numeric: np.ndarray, atol: float, rtol: float) -> str | None:
    """Where ``analytic`` is furthest outside the tolerance around ``numeric``, and both values;
    None where it is inside everywhere."""
    excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    # A NaN on either side is a failure, and the worst one (max() would let it pass silently).
    excess = np.where(np.isnan(excess), np.inf, excess)
    if not excess.size or excess.max() <= 0:
        return None
    worst = np.unravel_index(int(np.argmax(excess)), excess.shape)
    return (f"{tuple(map(int, worst))}: analytic {analytic[worst]:.8g}, numeric {numeric[worst]:.8g} "
            f"(tolerance atol {atol} + rtol {rtol} * |numeric|)")
