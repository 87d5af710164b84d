"""Adadelta: steps scaled by the ratio of running root mean squares of updates and gradients."""

from __future__ import annotations

import numpy as np

from ._checks import check_flag, check_real
from .optimizer import Optimizer, effective_gradient, scalars


class Adadelta(Optimizer):
    """Adadelta (Zeiler), in PyTorch's form (with a learning rate that scales the step, 1 by default).

    For each parameter θ with gradient g (learning rate γ, smoothing ρ, weight decay λ)::

        g ← −g                                   if maximize
        g ← g + λ·θ                              if λ ≠ 0
        v ← ρ·v + (1 − ρ)·g²                     running mean of squared gradients
        Δ = √(u + ε) / √(v + ε) · g              the update, in the units of θ
        u ← ρ·u + (1 − ρ)·Δ²                     running mean of squared updates
        θ ← θ − γ·Δ

    v and u start at zero. The state of a parameter is ``step``, ``square_avg`` (v) and
    ``acc_delta`` (u).
    """

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        defaults = dict(
            lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, capturable=capturable,
            foreach=foreach, differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _check_options(self, options: dict, where: str) -> None:
        check_real("Adadelta", "lr", options["lr"], where=where)
        check_real("Adadelta", "rho", options["rho"], high=1, high_closed=True, where=where)
        check_real("Adadelta", "eps", options["eps"], where=where)
        check_real("Adadelta", "weight_decay", options["weight_decay"], where=where)
        check_flag("Adadelta", "maximize", options["maximize"], where)

    def _state_fields(self, options: dict) -> dict:
        return {"step": "count", "square_avg": "array", "acc_delta": "array"}

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._evaluate(closure)
        for group, x, g, state in self._gradients():
            lr = float(group["lr"])
            rho = group["rho"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            state["step"] += 1
            v = state["square_avg"]
            u = state["acc_delta"]
            lr_, rho_, one_minus_rho, eps_, decay = scalars(x.dtype, lr, rho, 1 - rho, eps, weight_decay)
            g = effective_gradient(g, x, maximize, decay if weight_decay else None)
            scratch = np.multiply(g, g, out=...)  # arrays for a 0-d θ too (see scalars)
            scratch *= one_minus_rho
            v *= rho_
            v += scratch  # v ← ρv + (1 − ρ)g²
            delta = np.add(u, eps_, out=...)
            np.sqrt(delta, out=delta)
            np.add(v, eps_, out=scratch)
            np.sqrt(scratch, out=scratch)
            delta /= scratch
            delta *= g  # Δ = √(u + ε) / √(v + ε) · g
            np.multiply(delta, delta, out=scratch)
            scratch *= one_minus_rho
            u *= rho_
            u += scratch  # u ← ρu + (1 − ρ)Δ²
            delta *= lr_
            x -= delta  # θ ← θ − γΔ
        return loss
