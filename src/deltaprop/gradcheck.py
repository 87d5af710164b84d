"""Check a gradient rule against central finite differences, in float64.

The check is the one every new primitive, layer and loss passes in the test suite: perturb each
input element by ±eps, measure how a random projection of the output moves, and compare with what
``backward()`` computed for the same projection.
"""

from __future__ import annotations

import numpy as np

from .errors import GradcheckError
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0) -> bool:
    """Return True when ``fn``'s gradients match finite differences, else raise :class:`GradcheckError`.

    ``inputs`` is a tensor or a sequence of arguments for ``fn``; every tensor among them that
    requires a gradient is checked, in float64. ``fn`` may return a tensor of any shape: the check
    projects it on a fixed random direction v and differentiates the scalar Σ v·fn(x), which tests
    the full vector-Jacobian product. The error names the input, the worst element, both values
    and the tolerance it broke.
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
        out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    direction = np.random.default_rng(seed).standard_normal(out.shape)
    if out.requires_grad:
        out.backward(direction)

    def projected(values: np.ndarray) -> float:
        return float(np.sum(direction * values))

    for i in checked:
        x = args[i]
        analytic = np.zeros_like(x.data) if x.grad is None else x.grad
        numeric = np.zeros(x.shape)
        # Element by element, in place, by index: the input keeps its memory order (a column-major
        # or batch-last input is checked as such), where a flattened copy would not be perturbed.
        with no_grad():
            for index in np.ndindex(*x.shape):
                original = x.data[index]
                x.data[index] = original + eps
                upper = projected(fn(*args).data)
                x.data[index] = original - eps
                lower = projected(fn(*args).data)
                x.data[index] = original
                numeric[index] = (upper - lower) / (2 * eps)
        excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        # A NaN on either side is a failure, and the worst one (max() would let it pass silently).
        excess = np.where(np.isnan(excess), np.inf, excess)
        if excess.size and excess.max() > 0:
            worst = np.unravel_index(int(np.argmax(excess)), excess.shape)
            raise GradcheckError(
                f"gradcheck: gradient of input {i} (shape {x.shape}) is wrong at index {tuple(map(int, worst))}: "
                f"analytic {analytic[worst]:.8g}, numeric {numeric[worst]:.8g} "
                f"(tolerance atol {atol} + rtol {rtol} * |numeric|)"
            )
    return True
