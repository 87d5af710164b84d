"""L-BFGS: a quasi-Newton method that learns the curvature from its last few steps."""

from __future__ import annotations

import numbers

import numpy as np

from ..changes import Changes
from ..errors import ConfigError, ModelFileError, ShapeError
from ..tensor import Tensor
from ._checks import check_choice, check_int, check_real
from .line_search import strong_wolfe
from .optimizer import Optimizer, _number, to_plain


class LBFGS(Optimizer):
    """L-BFGS (Nocedal), in PyTorch's form: ``step(closure)`` runs up to ``max_iter`` iterations.

    All parameters are treated as one flat vector x with gradient g. Each iteration keeps the
    pair s = x_new − x, y = g_new − g (when y·s > 1e-10, so that the curvature it reports is
    positive), the last ``history_size`` of them, and moves along d = −H·g, where H, the
    approximate inverse Hessian, is applied by the two-loop recursion::

        q ← −g
        for i = newest … oldest:   αᵢ = ρᵢ·sᵢ·q,   q ← q − αᵢ·yᵢ          (ρᵢ = 1/(yᵢ·sᵢ))
        r ← γ·q                                                           (γ = y·s / y·y, newest pair)
        for i = oldest … newest:   βᵢ = ρᵢ·yᵢ·r,   r ← r + (αᵢ − βᵢ)·sᵢ
        d ← r

    The very first iteration takes d = −g with the step t = lr·min(1, 1/‖g‖₁); later ones start
    from t = lr. With ``line_search_fn=None`` x moves by t·d; with ``'strong_wolfe'`` t is searched
    for (see :mod:`deltaprop.optim.line_search`). A step stops early when ‖g‖∞ ≤ tolerance_grad,
    when d·g > −tolerance_change, when ‖t·d‖∞ or the change of the loss falls below
    tolerance_change, or after ``max_eval`` evaluations of the closure.

    The state (PyTorch's names, kept with the first parameter) carries over from one ``step()`` to
    the next: ``func_evals``, ``n_iter``, the last direction ``d`` and step ``t``, the history
    ``old_dirs`` (y), ``old_stps`` (s) and ``ro`` (ρ), ``H_diag`` (γ), ``prev_flat_grad`` and
    ``prev_loss``. Only one parameter group is allowed, and all parameters must share a dtype.
    """

    def __init__(
        self,
        params,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ):
        check_int("LBFGS", "max_iter", max_iter, low=1)
        if max_eval is None:
            max_eval = max_iter * 5 // 4  # PyTorch's default
        defaults = dict(
            lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        self._params = self.param_groups[0]["params"]

    def add_param_group(self, param_group: dict) -> None:
        if self.param_groups:
            raise ConfigError(
                "LBFGS: takes a single parameter group (it has no per-parameter options), so a second "
                "group cannot be added"
            )
        super().add_param_group(param_group)
        dtypes = sorted({str(p.data.dtype) for p in self.param_groups[0]["params"]})
        if len(dtypes) > 1 or np.dtype(dtypes[0]).kind != "f":
            self.param_groups.clear()
            raise ConfigError(
                f"LBFGS: all parameters must share one floating-point dtype (it moves them as one "
                f"vector), got {' and '.join(dtypes)}"
            )

    def _check_options(self, options: dict, where: str) -> None:
        check_real("LBFGS", "lr", options["lr"], where=where)
        check_int("LBFGS", "max_iter", options["max_iter"], low=1, where=where)
        check_int("LBFGS", "max_eval", options["max_eval"], low=1, where=where)
        check_real("LBFGS", "tolerance_grad", options["tolerance_grad"], where=where)
        check_real("LBFGS", "tolerance_change", options["tolerance_change"], where=where)
        check_int("LBFGS", "history_size", options["history_size"], low=1, where=where)
        check_choice("LBFGS", "line_search_fn", options["line_search_fn"], (None, "strong_wolfe"), where)

    # -- the parameters as one vector -------------------------------------------------------

    def _flat_gradient(self) -> np.ndarray:
        """Every parameter's gradient, flattened and joined (zeros for a parameter without one)."""
        return np.concatenate([
            (p.grad if p.grad is not None else np.zeros_like(p.data)).reshape(-1) for p in self._params
        ])

    def _size(self) -> int:
        return sum(p.data.size for p in self._params)

    def _move(self, t: float, d: np.ndarray) -> None:
        """x ← x + t·d, in place."""
        now = Changes.tick()  # graphs recorded at the old x can no longer be differentiated
        t_ = np.asarray(t, dtype=d.dtype)
        offset = 0
        for p in self._params:
            n = p.data.size
            p.data += (d[offset:offset + n] * t_).reshape(p.data.shape)
            p._stepped = now
            offset += n

    def _set(self, arrays) -> None:
        now = Changes.tick()
        for p, x in zip(self._params, arrays):
            p.data[...] = x
            p._stepped = now

    @staticmethod
    def _loss(closure) -> float:
        loss = Optimizer._evaluate(closure)
        return float(loss.data if isinstance(loss, Tensor) else loss)

    # -- the step ----------------------------------------------------------------------------

    def step(self, closure=None):
        """Up to ``max_iter`` L-BFGS iterations; ``closure()`` must clear the gradients, recompute
        the loss, call ``backward()`` and return the loss. Returns the loss before the first
        iteration (the closure's first result)."""
        if closure is None:
            raise TypeError(
                "LBFGS: step() needs a closure that recomputes the loss and its gradients (fit() cannot "
                "drive LBFGS; call optimizer.step(closure) in your own loop)"
            )
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        first_loss = self._evaluate(closure)
        loss = float(first_loss.data if isinstance(first_loss, Tensor) else first_loss)
        evaluations = 1
        state["func_evals"] += 1
        g = self._flat_gradient()
        if np.max(np.abs(g)) <= tolerance_grad:  # already at a stationary point
            return first_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag = state.get("H_diag")
        previous_g, previous_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        iteration = 0
        while iteration < max_iter:
            iteration += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -g
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1.0
            else:
                y = g - previous_g
                s = d * np.asarray(t, dtype=d.dtype)
                ys = float(np.dot(y, s))
                if ys > 1e-10:  # a pair with positive curvature joins the history
                    if len(old_dirs) == history_size:
                        del old_dirs[0], old_stps[0], ro[0]
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(np.dot(y, y))
                d = _two_loop(g, old_dirs, old_stps, ro, h_diag)
            previous_g = g.copy()
            previous_loss = loss

            t = lr * min(1.0, 1.0 / float(np.sum(np.abs(g)))) if state["n_iter"] == 1 else lr
            slope = float(np.dot(g, d))
            if slope > -tolerance_change:  # not a descent direction any more
                break

            if group["line_search_fn"] == "strong_wolfe":
                start = [p.data.copy() for p in self._params]

                def evaluate(step, start=start, d=d):
                    self._move(step, d)
                    value = self._loss(closure)
                    gradient = self._flat_gradient()
                    self._set(start)
                    return value, gradient

                loss, g, t, used = strong_wolfe(
                    evaluate, d, t, loss, g, slope, tolerance_change=tolerance_change,
                    max_trials=max_eval - evaluations,
                )
                self._move(t, d)
                at_optimum = np.max(np.abs(g)) <= tolerance_grad
            else:
                self._move(t, d)
                used = 0
                at_optimum = False
                if iteration != max_iter:  # the last iteration leaves the evaluation to the next step()
                    loss = self._loss(closure)
                    g = self._flat_gradient()
                    at_optimum = np.max(np.abs(g)) <= tolerance_grad
                    used = 1
            evaluations += used
            state["func_evals"] += used

            if iteration == max_iter or evaluations >= max_eval or at_optimum:
                break
            if np.max(np.abs(d)) * abs(t) <= tolerance_change or abs(loss - previous_loss) < tolerance_change:
                break  # no more progress

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=previous_g, prev_loss=previous_loss)
        return first_loss

    # -- saving and loading --------------------------------------------------------------------

    def _restore_field(self, name: str, index: int, field: str, value, p):
        if field in ("d", "prev_flat_grad"):
            return self._restored_vector(name, index, field, value)
        if field in ("old_dirs", "old_stps"):
            if not isinstance(value, (list, tuple)):
                raise ModelFileError(f"{name}: the saved state {field!r} of parameter {index} is not a list of vectors")
            return [self._restored_vector(name, index, f"{field}[{i}]", item) for i, item in enumerate(value)]
        # PyTorch's state holds its numbers in 0-d tensors (H_diag, each ρ), NumPy arrays once converted.
        if field in ("func_evals", "n_iter"):
            return _number(value, "count")
        if field in ("t", "H_diag", "prev_loss"):
            return _number(value, "real")
        if field == "ro" and isinstance(value, (list, tuple)):
            return [_number(item, "real") for item in value]
        return to_plain(value)

    def _restored_vector(self, name: str, index: int, field: str, value) -> np.ndarray:
        if isinstance(value, Tensor):
            value = value.data
        size = self._size()
        if not isinstance(value, np.ndarray) or value.shape != (size,):
            shape = value.shape if isinstance(value, np.ndarray) else type(value).__name__
            raise ShapeError(
                f"{name}: state {field!r} of parameter {index} has shape {shape}, expected ({size},) (all the "
                f"parameters as one vector)"
            )
        return np.array(value, dtype=self._params[0].data.dtype, copy=True)

    def _check_state(self, name: str, index: int, entry: dict, options: dict) -> None:
        for field in ("func_evals", "n_iter"):
            value = entry.get(field)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ModelFileError(f"{name}: the saved state of parameter {index} has no valid count {field!r}")
        if "d" not in entry and entry["n_iter"] == 0:
            return  # saved before the first iteration
        for field in ("d", "prev_flat_grad", "old_dirs", "old_stps"):
            if field not in entry:
                raise ModelFileError(f"{name}: the saved state of parameter {index} lacks {field!r}")
        reals = [entry.get("t"), entry.get("H_diag"), entry.get("prev_loss"), *(entry.get("ro") or [])]
        if not isinstance(entry.get("ro"), list) or any(
            isinstance(v, bool) or not isinstance(v, numbers.Real) for v in reals
        ):
            raise ModelFileError(
                f"{name}: the saved state of parameter {index} needs numbers 't', 'H_diag', 'prev_loss' and a list 'ro'"
            )
        if not len(entry["old_dirs"]) == len(entry["old_stps"]) == len(entry["ro"]):
            raise ModelFileError(
                f"{name}: the saved history of parameter {index} has {len(entry['old_dirs'])} 'old_dirs', "
                f"{len(entry['old_stps'])} 'old_stps' and {len(entry['ro'])} 'ro'; they must be as many"
            )


def _two_loop(g, old_dirs, old_stps, ro, h_diag) -> np.ndarray:
    """−H·g, with H the L-BFGS inverse-Hessian approximation of the history (y, s, ρ) and γ = h_diag."""
    q = -g
    alphas = [0.0] * len(old_dirs)
    for i in range(len(old_dirs) - 1, -1, -1):
        alphas[i] = float(np.dot(old_stps[i], q)) * ro[i]
        q -= old_dirs[i] * np.asarray(alphas[i], dtype=q.dtype)
    r = q * np.asarray(h_diag, dtype=q.dtype)
    for i in range(len(old_dirs)):
        beta = float(np.dot(old_dirs[i], r)) * ro[i]
        r += old_stps[i] * np.asarray(alphas[i] - beta, dtype=r.dtype)
    return r
