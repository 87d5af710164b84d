"""Adamax: Adam with the infinity norm in place of the root mean square."""

from __future__ import annotations

import numpy as np

from ._checks import check_betas, check_flag, check_real
from .optimizer import Optimizer, effective_gradient, lerp_, scalars


class Adamax(Optimizer):
    """Adamax (Kingma & Ba): each weight's step is its gradient's running mean over a decaying
    maximum of its absolute gradients.

    For each parameter θ with gradient g, at step t = 1, 2, ... (learning rate γ, betas β₁ β₂,
    weight decay λ)::

        g ← −g                                   if maximize
        g ← g + λ·θ                              if λ ≠ 0
        m ← m + (1 − β₁)·(g − m)
        u ← max(β₂·u, |g| + ε)                   elementwise
        θ ← θ − γ/(1 − β₁ᵗ) · m / u

    m and u start at zero. The state of a parameter is ``step`` (t), ``exp_avg`` (m) and
    ``exp_inf`` (u).
    """

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ):
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
            differentiable=differentiable, capturable=capturable,
        )
        super().__init__(params, defaults)

    def _check_options(self, options: dict, where: str) -> None:
        check_real("Adamax", "lr", options["lr"], where=where)
        check_betas("Adamax", options["betas"], where)
        check_real("Adamax", "eps", options["eps"], where=where)
        check_real("Adamax", "weight_decay", options["weight_decay"], where=where)
        check_flag("Adamax", "maximize", options["maximize"], where)

    def _state_fields(self, options: dict) -> dict:
        return {"step": "count", "exp_avg": "array", "exp_inf": "array"}

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._evaluate(closure)
        for group, x, g, state in self._gradients():
            beta1, beta2 = group["betas"]
            t = state["step"] = state["step"] + 1
            m = state["exp_avg"]
            u = state["exp_inf"]
            beta2_, eps_, step_size, decay = scalars(
                x.dtype, beta2, group["eps"], float(group["lr"]) / (1 - beta1**t), group["weight_decay"]
            )
            g = effective_gradient(g, x, group["maximize"], decay if group["weight_decay"] else None)
            scratch = lerp_(m, g, 1 - beta1)  # m ← m + (1 − β₁)(g − m), rounded as PyTorch's lerp_
            u *= beta2_
            np.abs(g, out=scratch)
            scratch += eps_
            np.maximum(u, scratch, out=u)  # u ← max(β₂u, |g| + ε)
            np.divide(m, u, out=scratch)
            scratch *= step_size
            x -= scratch  # θ ← θ − γ/(1 − β₁ᵗ) · m / u
        return loss
