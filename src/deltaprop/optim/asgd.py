"""ASGD: stochastic gradient descent with a decaying rate and a running average of the iterates."""

from __future__ import annotations

import numpy as np

from ._checks import check_flag, check_real
from .optimizer import Optimizer, effective_gradient, scalars


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky), in PyTorch's form.

    For each parameter θ with gradient g, at step t = 1, 2, ... (learning rate γ, decay λ
    (``lambd``), power α, averaging start t₀, weight decay w; η starts at γ and μ at 1)::

        g ← −g                                   if maximize
        g ← g + w·θ                              if w ≠ 0
        θ ← θ·(1 − λ·η) − η·g
        a ← θ                                    if μ = 1
        a ← a + μ·(θ − a)                        otherwise (the running average of θ)
        η ← γ / (1 + λ·γ·t)^α
        μ ← 1 / max(1, t − t₀)

    The average a (``state['ax']``) is what the method is named for; the parameters themselves
    follow plain SGD with the decaying rate η. The state of a parameter is ``step`` (t), ``eta``
    (η), ``mu`` (μ) and ``ax`` (a). PyTorch keeps η and μ as float32 tensors unless its default
    dtype is float64; here they are Python floats (float64).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ):
        defaults = dict(
            lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
            differentiable=differentiable, capturable=capturable,
        )
        super().__init__(params, defaults)

    def _check_options(self, options: dict, where: str) -> None:
        check_real("ASGD", "lr", options["lr"], where=where)
        check_real("ASGD", "lambd", options["lambd"], where=where)
        check_real("ASGD", "alpha", options["alpha"], where=where)
        check_real("ASGD", "t0", options["t0"], where=where)
        check_real("ASGD", "weight_decay", options["weight_decay"], where=where)
        check_flag("ASGD", "maximize", options["maximize"], where)

    def _state_fields(self, options: dict) -> dict:
        return {"step": "count", "eta": "real", "mu": "real", "ax": "array"}

    def _new_state(self, x, options: dict) -> dict:
        return {"step": 0, "eta": float(options["lr"]), "mu": 1.0, "ax": np.zeros_like(x)}

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._evaluate(closure)
        for group, x, g, state in self._gradients():
            lr, lambd, weight_decay = float(group["lr"]), group["lambd"], group["weight_decay"]
            t = state["step"] = state["step"] + 1
            eta, mu, average = state["eta"], state["mu"], state["ax"]
            shrink, eta_, mu_, decay = scalars(x.dtype, 1 - lambd * eta, eta, mu, weight_decay)
            g = effective_gradient(g, x, group["maximize"], decay if weight_decay else None)
            x *= shrink
            x -= g * eta_  # θ ← θ·(1 − λη) − ηg
            if mu != 1:
                average += (x - average) * mu_
            else:
                average[...] = x
            state["eta"] = lr / (1 + lambd * lr * t) ** group["alpha"]
            state["mu"] = 1 / max(1, t - group["t0"])
        return loss
