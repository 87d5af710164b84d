"""RAdam: Adam with a rectified adaptive step (Liu et al.)."""

from __future__ import annotations

import math

import numpy as np

from ._checks import check_betas, check_flag, check_real
from .optimizer import Optimizer, decayed_gradient, scalars, update_moments


class RAdam(Optimizer):
    """RAdam (Liu et al.): Adam whose adaptive step is switched on, and scaled, once the variance
    of its second-moment estimate is tractable; plain momentum SGD before that.

    For each parameter θ with gradient g, at step t = 1, 2, ... (learning rate γ, betas β₁ β₂,
    weight decay λ)::

        g ← −g                                   if maximize
        θ ← θ·(1 − γ·λ)                          if λ ≠ 0 and decoupled_weight_decay
        g ← g + λ·θ                              if λ ≠ 0 otherwise
        m ← m + (1 − β₁)·(g − m)
        v ← β₂·v + (1 − β₂)·g²
        ρ∞ = 2/(1 − β₂) − 1,   ρₜ = ρ∞ − 2·t·β₂ᵗ/(1 − β₂ᵗ)
        if ρₜ > 5:
            r = √((ρₜ − 4)(ρₜ − 2)·ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)·ρₜ))
            θ ← θ − γ/(1 − β₁ᵗ) · m · r·√(1 − β₂ᵗ) / (√v + ε)
        else:
            θ ← θ − γ/(1 − β₁ᵗ) · m

    With the default β₂ = 0.999 the first five steps are of the second kind. The state of a
    parameter is ``step`` (t), ``exp_avg`` (m) and ``exp_avg_sq`` (v).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ):
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
            capturable=capturable, decoupled_weight_decay=decoupled_weight_decay, differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _check_options(self, options: dict, where: str) -> None:
        check_real("RAdam", "lr", options["lr"], where=where)
        check_betas("RAdam", options["betas"], where)
        check_real("RAdam", "eps", options["eps"], where=where)
        check_real("RAdam", "weight_decay", options["weight_decay"], where=where)
        check_flag("RAdam", "decoupled_weight_decay", options["decoupled_weight_decay"], where)
        check_flag("RAdam", "maximize", options["maximize"], where)

    def _state_fields(self, options: dict) -> dict:
        return {"step": "count", "exp_avg": "array", "exp_avg_sq": "array"}

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._evaluate(closure)
        for group, x, g, state in self._gradients():
            lr = float(group["lr"])
            beta1, beta2 = group["betas"]
            t = state["step"] + 1
            state["step"] = t
            m = state["exp_avg"]
            v = state["exp_avg_sq"]
            correction2 = 1 - beta2**t
            rho_inf = 2 / (1 - beta2) - 1
            rho = rho_inf - 2 * t * beta2**t / correction2
            rectified = rho > 5.0
            if rectified:
                r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
                step_size = lr / (1 - beta1**t) * r * math.sqrt(correction2)
            else:
                step_size = lr / (1 - beta1**t)
            beta2_, one_minus_beta2, eps_, step_size_ = scalars(x.dtype, beta2, 1 - beta2, group["eps"], step_size)
            g = decayed_gradient(g, x, group["maximize"], lr, group["weight_decay"], group["decoupled_weight_decay"])
            scratch = update_moments(g, m, v, beta1, beta2_, one_minus_beta2)  # m, v: Adam's
            if rectified:
                np.sqrt(v, out=scratch)
                scratch += eps_
                np.divide(m, scratch, out=scratch)  # m / (√v + ε)
                scratch *= step_size_
            else:
                np.multiply(m, step_size_, out=scratch)
            x -= scratch
        return loss
