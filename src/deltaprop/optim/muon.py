"""Muon: momentum whose update is orthogonalised by a Newton–Schulz iteration (2-d weights only)."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, ShapeError
from ._checks import check_choice, check_flag, check_int, check_real, is_real
from .optimizer import Optimizer, lerp_

_LR_ADJUSTMENTS = (None, "original", "match_rms_adamw")


class Muon(Optimizer):
    """Muon, for the (A, B) weight matrices of hidden layers: momentum, then the update replaced by
    a near-orthogonal matrix with the same singular vectors, so every direction moves alike.

    For each matrix θ with gradient g (learning rate γ, momentum μ, weight decay λ, coefficients
    (a, b, c), k steps)::

        B ← B + (1 − μ)·(g − B)                  momentum buffer (starts at zero)
        U ← g + μ·(B − g)  if nesterov,  else U ← B
        X ← U / max(‖U‖_F, ε)                    transposed first when A > B (X is wide)
        k times:  S ← X·Xᵀ;  X ← a·X + (b·S + c·S·S)·X
        θ ← θ·(1 − γλ)                           decoupled weight decay
        θ ← θ − γ'·X                             (X transposed back)

    The iteration pushes every singular value of X towards about 1 (the coefficients trade exact
    convergence for speed). γ' adjusts γ to the shape: ``adjust_lr_fn`` None or 'original' takes
    γ' = γ·√max(1, A/B) (Keller Jordan's Muon); 'match_rms_adamw' takes γ' = 0.2·γ·√max(A, B)
    (Moonshot's, so that the update's RMS is AdamW's and AdamW's γ and λ can be reused). The state
    is ``momentum_buffer`` (B).

    PyTorch runs the iteration in bfloat16, which NumPy lacks; here it runs in the parameter's
    dtype. Updates therefore agree with PyTorch's to bfloat16's precision (two to three significant
    digits of γ'·X), and are more precise. Every parameter must be a matrix (biases, embeddings and
    gains belong to another optimizer, such as AdamW): others are refused at construction.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = (3.4445, -4.775, 2.0315),
        eps: float = 1e-7,
        ns_steps: int = 5,
        adjust_lr_fn: str | None = None,
    ):
        defaults = dict(
            lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov, ns_coefficients=ns_coefficients,
            eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn,
        )
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for position, p in enumerate(group["params"]):
            if p.ndim != 2:
                self.param_groups.pop()
                name = f"{group['param_names'][position]!r}" if "param_names" in group else f"at position {position}"
                raise ShapeError(
                    f"Muon: the parameter {name} of parameter group {len(self.param_groups)} has shape {p.shape}, "
                    "and Muon updates matrices (2-d) only; give the others to another optimizer, such as AdamW"
                )

    def _check_options(self, options: dict, where: str) -> None:
        check_real("Muon", "lr", options["lr"], where=where)
        check_real("Muon", "weight_decay", options["weight_decay"], where=where)
        check_real("Muon", "momentum", options["momentum"], where=where)
        check_flag("Muon", "nesterov", options["nesterov"], where)
        check_real("Muon", "eps", options["eps"], where=where)
        check_int("Muon", "ns_steps", options["ns_steps"], where=where)
        if options["ns_steps"] >= 100:
            raise ConfigError(f"Muon: ns_steps must be below 100, got {options['ns_steps']!r}{where}")
        coefficients = options["ns_coefficients"]
        if not (isinstance(coefficients, (tuple, list)) and len(coefficients) == 3 and all(map(is_real, coefficients))):
            raise ConfigError(f"Muon: ns_coefficients must be three numbers (a, b, c), got {coefficients!r}{where}")
        check_choice("Muon", "adjust_lr_fn", options["adjust_lr_fn"], _LR_ADJUSTMENTS, where)

    def _state_fields(self, options: dict) -> dict:
        return {"momentum_buffer": "array"}

    def step(self, closure=None):
        """One update of every matrix that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._evaluate(closure)
        for group, x, g, state in self._gradients():
            momentum, lr = group["momentum"], group["lr"]
            buffer = state["momentum_buffer"]
            lerp_(buffer, g, 1 - momentum)  # (rounded as PyTorch's lerp_, as the nesterov mix below)
            update = buffer
            if group["nesterov"]:
                update = np.array(g)
                lerp_(update, buffer, momentum)
            update = orthogonalise(update.view(np.ndarray), group["ns_coefficients"], group["ns_steps"], group["eps"])
            rows, columns = x.shape
            if group["adjust_lr_fn"] == "match_rms_adamw":
                adjusted = 0.2 * lr * math.sqrt(max(rows, columns))
            else:
                adjusted = lr * math.sqrt(max(1, rows / columns))
            x *= np.array(1 - lr * group["weight_decay"], dtype=x.dtype)
            x -= update * np.array(adjusted, dtype=x.dtype)
        return loss


def orthogonalise(update: np.ndarray, coefficients, steps: int, eps: float) -> np.ndarray:
    """``steps`` Newton–Schulz iterations X ← a·X + (b·S + c·S²)·X, S = X·Xᵀ, from ``update`` scaled
    to Frobenius norm at most 1 (divided by max(‖U‖, ε)): a matrix with ``update``'s singular
    vectors and singular values near 1. A tall matrix is iterated as its transpose, so that S is
    the smaller of the two Gram matrices."""
    a, b, c = coefficients
    tall = update.shape[0] > update.shape[1]
    X = update.T if tall else update
    X = X / max(np.linalg.norm(X), eps)
    for _ in range(steps):
        S = X @ X.T
        X = a * X + (b * S + c * (S @ S)) @ X
    return X.T if tall else X
