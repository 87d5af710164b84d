"""Adam (adaptive moment estimation) and AdamW (Adam with decoupled weight decay)."""

from __future__ import annotations

import numpy as np

from ..changes import Changes
from ._checks import check_betas, check_flag, check_real
from .optimizer import Optimizer, effective_gradient, scalars


class Adam(Optimizer):
    """Adam: each weight moves by its gradient's running mean over the root of its running square.

    For each parameter θ with gradient g, at step t = 1, 2, ... (learning rate γ, betas β₁ β₂,
    weight decay λ)::

        g ← −g                                   if maximize
        g ← g + λ·θ                              if λ ≠ 0   (L2 penalty folded into the gradient)
        m ← m + (1 − β₁)·(g − m)                 first moment  (= β₁·m + (1 − β₁)·g)
        v ← β₂·v + (1 − β₂)·g²                   second moment
        v̂ ← max(v̂, v)                            if amsgrad (the largest v seen so far)
        θ ← θ − γ/(1 − β₁ᵗ) · m / (√(v or v̂) / √(1 − β₂ᵗ) + ε)

    m and v start at zero; the two bias corrections undo that start. The state of a parameter is
    ``step`` (t), ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with amsgrad, ``max_exp_avg_sq`` (v̂).
    ``decoupled_weight_decay=True`` makes it :class:`AdamW` (θ ← θ·(1 − γλ) in place of the L2
    term), as PyTorch's option of that name does.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ):
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
            foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _check_options(self, options: dict, where: str) -> None:
        name = self._name
        check_real(name, "lr", options["lr"], where=where)
        check_betas(name, options["betas"], where)
        check_real(name, "eps", options["eps"], where=where)
        check_real(name, "weight_decay", options["weight_decay"], where=where)
        check_flag(name, "amsgrad", options["amsgrad"], where)
        check_flag(name, "maximize", options["maximize"], where)
        check_flag(name, "decoupled_weight_decay", options["decoupled_weight_decay"], where)

    def _state_fields(self, options: dict) -> dict:
        fields = {"step": "count", "exp_avg": "array", "exp_avg_sq": "array"}
        if options["amsgrad"]:
            fields["max_exp_avg_sq"] = "array"
        return fields

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._evaluate(closure)
        now = Changes.tick()
        states = self.state
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            from_m = 1 - beta1 < 0.5  # (which end m's running average is computed from, as lerp_)
            made_for = None  # the (step, dtype) that the constants below were made for
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                p._stepped = now  # graphs recorded with the old values can no longer be differentiated
                x = p.data
                state = states.get(p)
                if state is None:
                    state = {"step": 0, "exp_avg": np.zeros_like(x), "exp_avg_sq": np.zeros_like(x)}
                    if amsgrad:
                        state["max_exp_avg_sq"] = np.zeros_like(x)
                    states[p] = state
                t = state["step"] + 1
                state["step"] = t
                m = state["exp_avg"]
                v = state["exp_avg_sq"]
                if made_for != (t, x.dtype):
                    made_for = (t, x.dtype)
                    # (m's weight: 1 − β₁ from m while it is below ½, else β₁ = 1 − (1 − β₁) from g,
                    # as PyTorch's lerp_ rounds it; see optimizer.lerp_)
                    moment_weight, beta2_, one_minus_beta2, root_correction2, eps_, step_size, decay = scalars(
                        x.dtype, 1 - beta1 if from_m else 1 - (1 - beta1), beta2, 1 - beta2, (1 - beta2**t) ** 0.5, eps,
                        lr / (1 - beta1**t), 1 - lr * weight_decay if decoupled else weight_decay,
                    )
                if weight_decay and decoupled:
                    x *= decay  # θ ← θ·(1 − γλ)
                g = effective_gradient(g, x, maximize, decay if weight_decay and not decoupled else None)
                # One scratch array serves every intermediate below: the step allocates nothing else.
                scratch = np.subtract(g, m, out=...)  # an array for a 0-d θ too (see scalars)
                scratch *= moment_weight
                if from_m:
                    m += scratch  # m ← m + (1 − β₁)(g − m)
                else:
                    np.subtract(g, scratch, out=m)  # m ← g − β₁(g − m), the same as PyTorch rounds it
                v *= beta2_
                np.multiply(g, g, out=scratch)
                scratch *= one_minus_beta2
                v += scratch  # v ← β₂v + (1 − β₂)g²
                if amsgrad:
                    v_max = state.get("max_exp_avg_sq")
                    if v_max is None:  # amsgrad switched on after the first step
                        v_max = state["max_exp_avg_sq"] = v.copy()
                    np.maximum(v_max, v, out=v_max)
                    np.sqrt(v_max, out=scratch)
                else:
                    np.sqrt(v, out=scratch)
                scratch /= root_correction2
                scratch += eps_  # √v / √(1 − β₂ᵗ) + ε
                np.divide(m, scratch, out=scratch)
                scratch *= step_size
                x -= scratch  # θ ← θ − γ/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): the decay shrinks θ directly.

    The same as :class:`Adam` except for the weight decay, which no longer passes through the
    moments::

        θ ← θ·(1 − γ·λ)                          before the update, instead of g ← g + λ·θ
        g ← −g                                   if maximize
        m ← m + (1 − β₁)·(g − m)
        v ← β₂·v + (1 − β₂)·g²
        v̂ ← max(v̂, v)                            if amsgrad
        θ ← θ − γ/(1 − β₁ᵗ) · m / (√(v or v̂) / √(1 − β₂ᵗ) + ε)

    It is ``Adam(decoupled_weight_decay=True)`` with a weight decay of 0.01 by default; as in
    PyTorch, the option is in its groups (True) but not among its arguments.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ):
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize, capturable=capturable,
            differentiable=differentiable, fused=fused, decoupled_weight_decay=True,
        )
