"""Adagrad: each weight's step shrinks with the sum of its squared gradients so far."""

from __future__ import annotations

import numpy as np

from ._checks import check_flag, check_real
from .optimizer import Optimizer, effective_gradient, scalars


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer), in PyTorch's form.

    For each parameter θ with gradient g, at step t = 1, 2, ... (learning rate γ, learning-rate
    decay η, weight decay λ)::

        g ← −g                                   if maximize
        g ← g + λ·θ                              if λ ≠ 0
        γₜ = γ / (1 + (t − 1)·η)
        s ← s + g²                               s starts at initial_accumulator_value
        θ ← θ − γₜ · g / (√s + ε)

    The state of a parameter is ``step`` (t) and ``sum`` (s), made with the optimizer (as
    PyTorch's is), or at the first step of a parameter added later. A parameter group's own
    ``initial_accumulator_value`` is honoured; PyTorch (2.13) fills every group's accumulator from
    the constructor's value instead, so the two differ only when groups set it differently.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ):
        defaults = dict(
            lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value, eps=eps, foreach=foreach, maximize=maximize,
            differentiable=differentiable, fused=fused,
        )
        super().__init__(params, defaults)
        # As PyTorch's constructor, give every parameter its state now (step 0, the accumulator at
        # its starting value), so a state dict saved before the first step holds it; a group added
        # later (add_param_group) gets its state at its first step.
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._new_state(p.data, group)

    def _check_options(self, options: dict, where: str) -> None:
        check_real("Adagrad", "lr", options["lr"], where=where)
        check_real("Adagrad", "lr_decay", options["lr_decay"], where=where)
        check_real("Adagrad", "weight_decay", options["weight_decay"], where=where)
        check_real("Adagrad", "initial_accumulator_value", options["initial_accumulator_value"], where=where)
        check_real("Adagrad", "eps", options["eps"], where=where)
        check_flag("Adagrad", "maximize", options["maximize"], where)

    def _state_fields(self, options: dict) -> dict:
        return {"step": "count", "sum": "array"}

    @staticmethod
    def _new_state(x, options) -> dict:
        return {"step": 0, "sum": np.full_like(x, options["initial_accumulator_value"])}

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._evaluate(closure)
        for group, x, g, state in self._gradients():
            weight_decay = group["weight_decay"]
            t = state["step"] = state["step"] + 1
            s = state["sum"]
            step_size, eps_, decay = scalars(
                x.dtype, float(group["lr"]) / (1 + (t - 1) * group["lr_decay"]), group["eps"], weight_decay
            )
            g = effective_gradient(g, x, group["maximize"], decay if weight_decay else None)
            # One scratch array serves every intermediate below: the step allocates nothing else.
            scratch = np.multiply(g, g, out=...)  # an array for a 0-d θ too (see scalars)
            s += scratch  # s ← s + g²
            np.sqrt(s, out=scratch)
            scratch += eps_
            np.divide(g, scratch, out=scratch)
            scratch *= step_size
            x -= scratch  # θ ← θ − γₜ · g / (√s + ε)
        return loss
