"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

import numpy as np

from ..changes import Changes
from ..errors import ConfigError
from ._checks import check_flag, check_real
from .optimizer import Optimizer, effective_gradient, scalars


class SGD(Optimizer):
    """The seeds' rule w ← w − r·g, with PyTorch's options.

    For each parameter θ with gradient g, at step t (learning rate γ, momentum μ, dampening τ,
    weight decay λ)::

        g ← −g                         if maximize
        g ← g + λ·θ                    if λ ≠ 0
        if μ ≠ 0:
            b ← g                      at the first step (t = 1)
            b ← μ·b + (1 − τ)·g        afterwards
            g ← g + μ·b                if nesterov
            g ← b                      otherwise
        θ ← θ − γ·g

    With ``maximize`` the gradient is negated before the weight decay is added, as PyTorch does,
    so the decay still pulls the weights towards zero. The momentum buffer ``b`` is the only state
    (``state[p]['momentum_buffer']``), kept when μ ≠ 0.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ):
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov, weight_decay=weight_decay,
            maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused,
        )
        super().__init__(params, defaults)

    def _check_options(self, options: dict, where: str) -> None:
        check_real("SGD", "lr", options["lr"], where=where)
        check_real("SGD", "momentum", options["momentum"], where=where)
        check_real("SGD", "dampening", options["dampening"], high=1, high_closed=True, where=where)
        check_real("SGD", "weight_decay", options["weight_decay"], where=where)
        check_flag("SGD", "nesterov", options["nesterov"], where)
        check_flag("SGD", "maximize", options["maximize"], where)
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ConfigError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum="
                f"{options['momentum']!r} and dampening={options['dampening']!r}{where}"
            )

    def _state_fields(self, options: dict) -> dict:
        return {"momentum_buffer": "array"} if options["momentum"] else {}

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._evaluate(closure)
        now = Changes.tick()
        states = self.state
        for group in self.param_groups:
            lr = float(group["lr"])
            momentum = group["momentum"]
            dampening = group["dampening"]
            nesterov = group["nesterov"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            made_for = None  # the dtype that the constants below were made for
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                p._stepped = now  # graphs recorded with the old values can no longer be differentiated
                x = p.data
                if made_for is None or made_for != x.dtype:
                    made_for = x.dtype
                    lr_, momentum_, one_minus_dampening, decay = scalars(
                        x.dtype, lr, momentum, 1 - dampening, weight_decay
                    )
                if maximize or weight_decay:
                    g = effective_gradient(g, x, maximize, decay if weight_decay else None)
                if momentum:
                    state = states.get(p)
                    if state is None:
                        b = np.array(g)  # (a copy, and an array even if .grad was set to a NumPy scalar)
                        states[p] = {"momentum_buffer": b}
                    else:
                        b = state["momentum_buffer"]
                        b *= momentum_
                        if dampening:
                            b += g * one_minus_dampening
                        else:
                            b += g  # b ← μb + (1 − τ)g
                    if nesterov:
                        d = np.multiply(b, momentum_, out=...)  # an array for a 0-d θ too (see scalars)
                        d += g
                        g = d  # g + μb
                    else:
                        g = b
                x -= g * lr_
        return loss
