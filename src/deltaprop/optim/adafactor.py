"""Adafactor: an Adam-like step whose second moment of a matrix is kept as a row and a column."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, ModelFileError
from ._checks import check_flag, check_real, is_real
from .optimizer import Optimizer, lerp_, scalars


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern), in PyTorch's (2.13) form, without first moment.

    For each parameter θ with gradient g, at step t = 1, 2, ... (learning rate γ, β₂ decay c
    (``beta2_decay``, ≤ 0), eps = (ε₁, ε₂), clipping threshold d, weight decay λ)::

        g ← −g                                   if maximize
        w = t^c                                  the weight of the new statistics (1 at t = 1)
        α = max(ε₂, RMS(θ)) · min(γ, 1/√t)       the step, relative to the parameter's scale
        θ ← θ·(1 − γ·λ)                          if λ ≠ 0 (decoupled weight decay)
        for a matrix (or a stack of them, the last two axes):
            R ← R + w·(mean of g² over columns − R)     a column of row statistics
            C ← C + w·(mean of g² over rows − C)        a row of column statistics
            V = R·C / max(mean(R), ε₁)                  their rank-1 estimate of the second moment
        for a vector or a scalar:
            V ← V + w·(g² − V)
        u = g / √max(V, ε₁²)
        θ ← θ − α / max(1, RMS(u)/d) · u

    RMS(x) is ‖x‖₂/√(size of x); ε₁ = None means the dtype's machine epsilon. The state of a
    parameter is ``step`` and either ``row_var`` (R, its last axis of length 1) and ``col_var``
    (C, its second-to-last axis of length 1), or ``variance`` (V).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ):
        defaults = dict(
            lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach, maximize=maximize
        )
        super().__init__(params, defaults)

    def _check_options(self, options: dict, where: str) -> None:
        check_real("Adafactor", "lr", options["lr"], where=where)
        decay = options["beta2_decay"]
        if not (is_real(decay) and -math.inf < decay <= 0):
            raise ConfigError(f"Adafactor: beta2_decay must be at most 0, got {decay!r}{where}")
        eps = options["eps"]
        if not isinstance(eps, (tuple, list)) or len(eps) != 2:
            raise ConfigError(f"Adafactor: eps must be a pair (eps1 or None, eps2), got {eps!r}{where}")
        if eps[0] is not None:
            check_real("Adafactor", "eps[0]", eps[0], where=where)
        check_real("Adafactor", "eps[1]", eps[1], where=where)
        check_real("Adafactor", "d", options["d"], low=1, where=where)
        check_real("Adafactor", "weight_decay", options["weight_decay"], where=where)
        check_flag("Adafactor", "maximize", options["maximize"], where)

    def _state_shape(self, field: str, x) -> tuple:
        if field == "row_var":
            return x.shape[:-1] + (1,)
        if field == "col_var":
            return x.shape[:-2] + (1,) + x.shape[-1:]
        return x.shape

    def _state_fields(self, options: dict) -> dict:
        # Which statistics a parameter has depends on its shape; _new_state and _check_state know it.
        return {"step": "count"}

    def _new_state(self, x, options: dict) -> dict:
        if x.ndim > 1:
            return {"step": 0, "row_var": np.zeros(self._state_shape("row_var", x), x.dtype),
                    "col_var": np.zeros(self._state_shape("col_var", x), x.dtype)}
        return {"step": 0, "variance": np.zeros_like(x)}

    def _check_state(self, name: str, index: int, entry: dict, options: dict) -> None:
        super()._check_state(name, index, entry, options)
        fields = ("row_var", "col_var") if "variance" not in entry else ("variance",)
        for field in fields:
            if not isinstance(entry.get(field), np.ndarray):
                raise ModelFileError(f"{name}: the saved state of parameter {index} lacks the array {field!r}")

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._evaluate(closure)
        for group, x, g, state in self._gradients():
            lr, weight_decay = float(group["lr"]), group["weight_decay"]
            eps1, eps2 = group["eps"]
            if eps1 is None:
                eps1 = float(np.finfo(x.dtype).eps)
            t = state["step"] = state["step"] + 1
            weight = float(t) ** group["beta2_decay"]
            alpha = max(eps2, float(np.linalg.norm(x.ravel())) / math.sqrt(x.size)) * min(lr, 1 / math.sqrt(t))
            if weight_decay:
                (shrink,) = scalars(x.dtype, 1 - lr * weight_decay)
                x *= shrink
            if group["maximize"]:
                g = -g
            eps1_, floor = scalars(x.dtype, eps1, eps1 * eps1)
            squared = g * g
            # (the running means rounded as PyTorch's lerp_ rounds them: exact at w = 1)
            if x.ndim > 1:
                row, column = state["row_var"], state["col_var"]
                lerp_(row, squared.mean(axis=-1, keepdims=True), weight)
                lerp_(column, squared.mean(axis=-2, keepdims=True), weight)
                estimate = row @ column
                estimate /= np.maximum(row.mean(axis=-2, keepdims=True), eps1_)
            else:
                variance = state["variance"]
                lerp_(variance, squared, weight)
                estimate = variance.copy()
            np.maximum(estimate, floor, out=estimate)
            update = np.divide(g, np.sqrt(estimate), out=...)  # g / √max(V, ε₁²), an array for a 0-d θ too
            rms = float(np.linalg.norm(update.ravel())) / math.sqrt(update.size)
            (step_size,) = scalars(x.dtype, alpha / max(1.0, rms / group["d"]))
            update *= step_size
            x -= update
        return loss
