"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from __future__ import annotations

import numpy as np

from ._checks import check_flag, check_real
from .optimizer import Optimizer, effective_gradient, lerp_, scalars


class RMSprop(Optimizer):
    """RMSprop (Hinton), in PyTorch's form.

    For each parameter θ with gradient g (learning rate γ, smoothing α, momentum μ, weight decay λ)::

        g ← −g                                   if maximize
        g ← g + λ·θ                              if λ ≠ 0
        v ← α·v + (1 − α)·g²                     running mean square
        a ← a + (1 − α)·(g − a)                  if centered: running mean of g
        s ← √(v − a²) + ε   if centered,   s ← √v + ε   otherwise
        b ← μ·b + g / s,   θ ← θ − γ·b           if μ > 0
        θ ← θ − γ·g / s                          otherwise

    v, a and b start at zero. The state of a parameter is ``step``, ``square_avg`` (v) and, when
    used, ``grad_avg`` (a) and ``momentum_buffer`` (b).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        defaults = dict(
            lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered,
            capturable=capturable, foreach=foreach, maximize=maximize, differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _check_options(self, options: dict, where: str) -> None:
        check_real("RMSprop", "lr", options["lr"], where=where)
        check_real("RMSprop", "alpha", options["alpha"], high=1, high_closed=True, where=where)
        check_real("RMSprop", "eps", options["eps"], where=where)
        check_real("RMSprop", "weight_decay", options["weight_decay"], where=where)
        check_real("RMSprop", "momentum", options["momentum"], where=where)
        check_flag("RMSprop", "centered", options["centered"], where)
        check_flag("RMSprop", "maximize", options["maximize"], where)

    def _state_fields(self, options: dict) -> dict:
        fields = {"step": "count", "square_avg": "array"}
        if options["momentum"] > 0:
            fields["momentum_buffer"] = "array"
        if options["centered"]:
            fields["grad_avg"] = "array"
        return fields

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._evaluate(closure)
        for group, x, g, state in self._gradients():
            alpha = group["alpha"]
            weight_decay = group["weight_decay"]
            momentum = group["momentum"]
            state["step"] += 1
            v = state["square_avg"]
            lr_, alpha_, one_minus_alpha, eps_, momentum_, decay = scalars(
                x.dtype, float(group["lr"]), alpha, 1 - alpha, group["eps"], momentum, weight_decay
            )
            g = effective_gradient(g, x, group["maximize"], decay if weight_decay else None)
            # One scratch array serves every intermediate below: the step allocates nothing else.
            scratch = np.multiply(g, g, out=...)  # an array for a 0-d θ too (see scalars)
            scratch *= one_minus_alpha
            v *= alpha_
            v += scratch  # v ← αv + (1 − α)g²
            if group["centered"]:
                a = state["grad_avg"]
                lerp_(a, g, 1 - alpha, scratch)  # a ← a + (1 − α)(g − a), rounded as PyTorch's lerp_
                np.multiply(a, a, out=scratch)
                np.subtract(v, scratch, out=scratch)
                np.sqrt(scratch, out=scratch)
            else:
                np.sqrt(v, out=scratch)
            scratch += eps_
            np.divide(g, scratch, out=scratch)  # g / s
            if momentum > 0:
                b = state["momentum_buffer"]
                b *= momentum_
                b += scratch
                np.multiply(b, lr_, out=scratch)
            else:
                scratch *= lr_
            x -= scratch
        return loss
