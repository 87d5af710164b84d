"""SparseAdam: Adam applied lazily, to the rows of a table that the batch looked up."""

from __future__ import annotations

import numpy as np

from ..errors import GradError
from ..row_gradient import touched_rows
from ._checks import check_betas, check_flag, check_real
from .optimizer import Optimizer


class SparseAdam(Optimizer):
    """Adam restricted to the rows present in each gradient, for ``nn.Embedding(..., sparse=True)``.

    For each parameter θ whose gradient g lists its rows R (see :mod:`deltaprop.row_gradient`), at
    step t = 1, 2, ... (learning rate γ, betas β₁ β₂)::

        g ← −g                                          if maximize
        m[R] ← m[R] + (1 − β₁)·(g[R] − m[R])
        v[R] ← v[R] + (1 − β₂)·(g[R]² − v[R])
        θ[R] ← θ[R] − γ·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m[R] / (√v[R] + ε)

    Rows outside R keep their moments and their values: a word absent from the batch is not moved
    by momentum from earlier batches, as it would be by :class:`Adam`. ε is added to √v before the
    bias correction (folded into the step size), where Adam adds it after, as PyTorch's SparseAdam
    does. t counts the steps in which the parameter had a gradient, rows or not. The state is
    ``step``, ``exp_avg`` (m) and ``exp_avg_sq`` (v), shaped like θ.

    A parameter whose gradient lists no rows (a dense one, from a layer other than a sparse
    lookup) is refused at ``step()``, as PyTorch refuses a dense gradient: use Adam for it.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        maximize: bool = False,
    ):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))

    def _check_options(self, options: dict, where: str) -> None:
        check_real("SparseAdam", "lr", options["lr"], where=where)
        check_betas("SparseAdam", options["betas"], where)
        check_real("SparseAdam", "eps", options["eps"], where=where)
        check_flag("SparseAdam", "maximize", options["maximize"], where)

    def _state_fields(self, options: dict) -> dict:
        return {"step": "count", "exp_avg": "array", "exp_avg_sq": "array"}

    def step(self, closure=None):
        """One update of the touched rows of every parameter that has a gradient; returns
        ``closure()``'s loss if given."""
        loss = self._evaluate(closure)
        self._refuse_dense()
        for group, x, g, state in self._gradients():
            beta1, beta2 = group["betas"]
            t = state["step"] = state["step"] + 1
            rows = touched_rows(g)
            if not rows.size:
                continue
            g = g[rows].view(np.ndarray)
            if group["maximize"]:
                g = -g
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m_rows = m[rows]
            m_rows += (g - m_rows) * np.array(1 - beta1, dtype=x.dtype)
            v_rows = v[rows]
            v_rows += (g * g - v_rows) * np.array(1 - beta2, dtype=x.dtype)
            m[rows], v[rows] = m_rows, v_rows
            step_size = group["lr"] * (1 - beta2**t) ** 0.5 / (1 - beta1**t)
            x[rows] -= m_rows / (np.sqrt(v_rows) + np.array(group["eps"], dtype=x.dtype)) * np.array(
                step_size, dtype=x.dtype
            )
        return loss

    def _refuse_dense(self) -> None:
        """Before any parameter moves: every gradient must list its rows."""
        for g_index, group in enumerate(self.param_groups):
            names = group.get("param_names")
            for position, p in enumerate(group["params"]):
                if p.grad is not None and touched_rows(p.grad) is None:
                    which = repr(names[position]) if names else f"at position {position} of parameter group {g_index}"
                    raise GradError(
                        f"SparseAdam: the parameter {which} (shape {p.shape}) has a dense gradient, and SparseAdam "
                        "updates the rows of sparse ones only (nn.Embedding(..., sparse=True)); optimize it with Adam"
                    )
