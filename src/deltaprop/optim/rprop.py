"""Rprop: each weight's step size grows while its gradient keeps its sign and shrinks when it flips."""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ._checks import check_flag, check_real
from .optimizer import Optimizer, scalars


class Rprop(Optimizer):
    """Resilient backpropagation (Riedmiller & Braun), in PyTorch's form: only the sign of a
    gradient is used, and every weight has its own step size.

    For each parameter θ with gradient g (etas η₋ < 1 < η₊, step-size bounds Δmin, Δmax; the step
    sizes Δ start at lr, the previous gradient p at zero)::

        g ← −g                                   if maximize
        Δ ← clip(Δ·η₊, Δmin, Δmax)               where g·p > 0 (the same sign as last time)
        Δ ← clip(Δ·η₋, Δmin, Δmax)               where g·p < 0 (the sign flipped: overshot)
                                                 (Δ unchanged, but clipped, where g·p = 0)
        g ← 0                                    where g·p < 0 (no move after a flip)
        θ ← θ − sign(g)·Δ
        p ← g

    The state of a parameter is ``step``, ``prev`` (p) and ``step_size`` (Δ). A change of lr after
    the first step has no effect (as in PyTorch: lr only seeds Δ).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        defaults = dict(
            lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
            differentiable=differentiable, capturable=capturable,
        )
        super().__init__(params, defaults)

    def _check_options(self, options: dict, where: str) -> None:
        check_real("Rprop", "lr", options["lr"], where=where)
        etas, sizes = options["etas"], options["step_sizes"]
        if not isinstance(etas, (tuple, list)) or len(etas) != 2:
            raise ConfigError(f"Rprop: etas must be a pair (etaminus, etaplus), got {etas!r}{where}")
        check_real("Rprop", "etas[0]", etas[0], high=1, low_closed=False, where=where)
        check_real("Rprop", "etas[1]", etas[1], low=1, low_closed=False, where=where)
        if not isinstance(sizes, (tuple, list)) or len(sizes) != 2:
            raise ConfigError(f"Rprop: step_sizes must be a pair (min, max), got {sizes!r}{where}")
        check_real("Rprop", "step_sizes[0]", sizes[0], where=where)
        check_real("Rprop", "step_sizes[1]", sizes[1], low=sizes[0] if np.isfinite(sizes[0]) else 0, where=where)
        check_flag("Rprop", "maximize", options["maximize"], where)

    def _state_fields(self, options: dict) -> dict:
        return {"step": "count", "prev": "array", "step_size": "array"}

    def _new_state(self, x, options: dict) -> dict:
        return {"step": 0, "prev": np.zeros_like(x), "step_size": np.full_like(x, float(options["lr"]))}

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._evaluate(closure)
        for group, x, g, state in self._gradients():
            eta_minus, eta_plus = group["etas"]
            smallest, largest = group["step_sizes"]
            state["step"] += 1
            previous, size = state["prev"], state["step_size"]
            eta_minus_, eta_plus_, one = scalars(x.dtype, eta_minus, eta_plus, 1.0)
            if group["maximize"]:
                g = -g
            agreement = g * previous
            flipped = agreement < 0
            factor = np.where(agreement > 0, eta_plus_, np.where(flipped, eta_minus_, one))
            size *= factor
            np.clip(size, smallest, largest, out=size)
            g = np.where(flipped, 0, g).astype(x.dtype, copy=False)  # no move right after a flip
            x -= np.sign(g) * size
            previous[...] = g
        return loss
