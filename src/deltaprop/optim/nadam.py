"""NAdam: Adam with Nesterov momentum (Dozat)."""

from __future__ import annotations

import numpy as np

from ._checks import check_betas, check_flag, check_real
from .optimizer import Optimizer, decayed_gradient, scalars, update_moments


class NAdam(Optimizer):
    """NAdam: Adam whose momentum looks one step ahead, with a momentum that warms up.

    For each parameter θ with gradient g, at step t = 1, 2, ... (learning rate γ, betas β₁ β₂,
    momentum decay ψ, weight decay λ)::

        g ← −g                                   if maximize
        θ ← θ·(1 − γ·λ)                          if λ ≠ 0 and decoupled_weight_decay
        g ← g + λ·θ                              if λ ≠ 0 otherwise
        μₜ = β₁·(1 − ½·0.96^(t·ψ)),  μₜ₊₁ = β₁·(1 − ½·0.96^((t + 1)·ψ))
        Π ← Π·μₜ                                 Π starts at 1
        m ← m + (1 − β₁)·(g − m)
        v ← β₂·v + (1 − β₂)·g²
        d = √(v / (1 − β₂ᵗ)) + ε
        θ ← θ − γ·(1 − μₜ)/(1 − Π) · g/d − γ·μₜ₊₁/(1 − Π·μₜ₊₁) · m/d

    The state of a parameter is ``step`` (t), ``mu_product`` (Π, a Python float), ``exp_avg`` (m)
    and ``exp_avg_sq`` (v). PyTorch keeps Π in a 0-d tensor of its default dtype (float32 unless
    changed), so over many steps its rates differ from these in the seventh digit.
    """

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ):
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
            capturable=capturable, differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _check_options(self, options: dict, where: str) -> None:
        check_real("NAdam", "lr", options["lr"], where=where)
        check_betas("NAdam", options["betas"], where)
        check_real("NAdam", "eps", options["eps"], where=where)
        check_real("NAdam", "weight_decay", options["weight_decay"], where=where)
        check_real("NAdam", "momentum_decay", options["momentum_decay"], where=where)
        check_flag("NAdam", "decoupled_weight_decay", options["decoupled_weight_decay"], where)
        check_flag("NAdam", "maximize", options["maximize"], where)

    def _state_fields(self, options: dict) -> dict:
        return {"step": "count", "mu_product": "real", "exp_avg": "array", "exp_avg_sq": "array"}

    @staticmethod
    def _new_state(x, options) -> dict:
        return {"step": 0, "mu_product": 1.0, "exp_avg": np.zeros_like(x), "exp_avg_sq": np.zeros_like(x)}

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._evaluate(closure)
        for group, x, g, state in self._gradients():
            lr = float(group["lr"])
            beta1, beta2 = group["betas"]
            psi = group["momentum_decay"]
            t = state["step"] + 1
            state["step"] = t
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
            product = state["mu_product"] * mu
            state["mu_product"] = product
            m = state["exp_avg"]
            v = state["exp_avg_sq"]
            beta2_, one_minus_beta2, correction2, eps_, gradient_step, momentum_step = scalars(
                x.dtype, beta2, 1 - beta2, 1 - beta2**t, group["eps"],
                lr * (1.0 - mu) / (1.0 - product), lr * mu_next / (1.0 - product * mu_next),
            )
            g = decayed_gradient(g, x, group["maximize"], lr, group["weight_decay"], group["decoupled_weight_decay"])
            scratch = update_moments(g, m, v, beta1, beta2_, one_minus_beta2)  # m, v: Adam's
            denominator = np.divide(v, correction2, out=...)  # an array for a 0-d θ too (see scalars)
            np.sqrt(denominator, out=denominator)
            denominator += eps_  # d = √(v / (1 − β₂ᵗ)) + ε
            np.divide(g, denominator, out=scratch)
            scratch *= gradient_step
            x -= scratch
            np.divide(m, denominator, out=scratch)
            scratch *= momentum_step
            x -= scratch
        return loss

