"""The 'lbfgs' solver: L-BFGS-B's iteration for a problem without bounds, in NumPy.

scikit-learn's MLP hands its objective to SciPy's L-BFGS-B (``scipy.optimize.minimize``). With no
bounds on any variable, L-BFGS-B's iteration is plain limited-memory BFGS:

1. the direction d = −H·g, where H is the inverse-Hessian estimate built from the last m = 10
   pairs s = x_{k+1} − x_k, y = g_{k+1} − g_k, scaled by 1/θ with θ = y·y / s·y of the newest pair
   (the first step, and the first after a restart, is plain steepest descent);
2. a line search for the strong Wolfe conditions (Moré and Thuente's, :mod:`._more_thuente`),
   from the step 1 (from 1/‖d‖ at the very first iteration);
3. a new pair kept only if s·y > ε·(−g·d)·t, which keeps H positive definite;
4. stopping when max |g_i| ≤ gtol, when the loss fell by at most ftol·max(|f|, |f_old|, 1), or
   at ``max_iter`` iterations or past ``max_fun`` evaluations; a line search that fails restarts
   from steepest descent, and ends the fit if it fails there too.

This module runs that iteration itself, decision for decision as L-BFGS-B takes it (the tests
follow SciPy's iterates to 1e-11 over 20 iterations): the same fits as scikit-learn's, the same ``n_iter_`` and
``loss_``, and no SciPy driver around each evaluation, whose bookkeeping cost more than the
iteration's own arithmetic (99-148 µs against 56-70 per evaluation: benchmarks/README.md).

H·g comes from the two-loop recursion (Nocedal 1980), carried out on inner products: every
vector it forms is a combination of g and the stored s and y, so with the products s_i·g, y_i·g
(one matrix-vector product) and s_i·y_j, y_i·y_j (kept up to date as pairs arrive) the recursion
runs on numbers, and one more product assembles the direction.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._more_thuente import LineSearch

EPS = float(np.finfo(np.float64).eps)
FTOL = 2.2204460492503131e-09  # SciPy's default: L-BFGS-B's factr = 1e7, times ε
MAX_LINE_SEARCH = 20  # evaluations per line search (SciPy's maxls)
MEMORY = 10  # correction pairs kept (SciPy's maxcor)
STEP_MAX = 1e10  # the line search's largest step without bounds


def fit_lbfgs(network, objective, *, max_iter: int, max_fun: int, tol: float, verbose) -> tuple[int, float]:
    """Minimise ``objective()`` (which reads ``network.theta`` and fills ``network.grad``).

    Leaves the solution in ``network.theta`` and returns (iterations used, objective there).
    ``tol`` is the tolerance on the gradient's largest component (L-BFGS-B's pgtol), as in
    scikit-learn; a fit that stops on ``max_iter`` or ``max_fun``, or whose line search fails,
    warns with scikit-learn's ``ConvergenceWarning``.
    """
    theta = network.theta

    def evaluate(x):
        theta[...] = x
        value = objective()
        return float(value), network.grad.astype(np.float64)

    def report(iteration, f):
        print(f"Iteration {iteration}, loss = {f:.8f}")

    result = minimize(evaluate, theta.astype(np.float64), max_iter=max_iter, max_fun=max_fun, gtol=tol,
                      callback=report if verbose else None)
    theta[...] = result.x
    if result.status != 0:
        warnings.warn(
            # Its first words are scikit-learn's, which code that filters or matches the warning relies on.
            f"lbfgs failed to converge after {result.nit} iteration(s) (status={result.status}): {result.message}. "
            f"Raise max_iter (now {max_iter}) or max_fun (now {max_fun}), or scale the data, for example with "
            f"sklearn.preprocessing.StandardScaler.",
            ConvergenceWarning,
            stacklevel=5,
        )
    return min(result.nit, max_iter), result.fun


class Result:
    """What :func:`minimize` found: the point ``x``, the loss ``fun`` there, the iterations ``nit``
    and evaluations ``nfev`` it took, and why it stopped: ``status`` 0 (converged), 1 (a limit
    reached) or 2 (the line search failed), with SciPy's ``message`` for it."""

    def __init__(self, x, fun, nit, nfev, status, message):
        self.x, self.fun, self.nit, self.nfev, self.status, self.message = x, fun, nit, nfev, status, message


def minimize(fun, x0, *, max_iter: int, max_fun: int, gtol: float, ftol: float = FTOL, callback=None) -> Result:
    """L-BFGS-B's minimisation of ``fun`` (x ↦ (loss, gradient), float64) from ``x0`` without bounds.

    ``callback(iteration, loss)`` is called after every iteration.
    """
    x = np.array(x0, dtype=np.float64)
    f, g = fun(x)
    evaluations = 1
    if _largest(g) <= gtol:
        return Result(x, f, 0, evaluations, 0, "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL")
    pairs = _Pairs(x.size, MEMORY)
    reduction_tol = ftol / EPS * EPS  # (factr·ε, as L-BFGS-B forms it)
    iterations = 0
    while True:
        # 1. the direction, as the difference of the model's minimiser z and x (L-BFGS-B's rounding)
        z = x - (g if not pairs.count else pairs.inverse_hessian_times(g))
        d = z - x
        slope0 = float(np.dot(g, d))
        step = min(1.0 / float(np.sqrt(np.dot(d, d))), STEP_MAX) if iterations == 0 else 1.0
        # 2. the line search from (x, f, g), which stay as they are until it succeeds
        x_new, f_new, g_new, slope = x, f, g, slope0
        outcome = None
        # (A first step of 0 or NaN, where d·d overflowed, would leave x where it is and pass the
        # stopping test on the loss as if converged: it counts as a failed search, which SciPy's
        # ends in too.)
        if slope0 < 0 and step > 0:
            search = LineSearch(f, slope0, step, step_max=STEP_MAX)
            for trial in range(MAX_LINE_SEARCH):
                step = search.step
                x_new = z if step == 1.0 else step * d + x
                f_new, g_new = fun(x_new)
                evaluations += 1
                slope = float(np.dot(g_new, d))
                outcome = search.update(f_new, slope)
                if outcome is not None:
                    break
        if outcome is None:  # an ascent direction, or no acceptable step in MAX_LINE_SEARCH trials
            if not pairs.count:
                return Result(x, f, iterations, evaluations, 2, "ABNORMAL: LINE SEARCH FAILED")
            pairs.clear()  # forget the curvature pairs and try again from steepest descent
            continue
        f_old, g_old = f, g
        x, f, g = x_new, f_new, g_new
        iterations += 1
        if callback is not None:
            callback(iterations, f)
        if iterations >= max_iter:
            return Result(x, f, iterations, evaluations, 1, "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT")
        if evaluations > max_fun:
            return Result(x, f, iterations, evaluations, 1, "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT")
        # 4. the stopping tests
        if _largest(g) <= gtol:
            return Result(x, f, iterations, evaluations, 0, "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL")
        if f_old - f <= reduction_tol * max(abs(f_old), abs(f), 1.0):
            return Result(x, f, iterations, evaluations, 0, "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH")
        # 3. the new pair, with s·y from the line search's slopes as L-BFGS-B takes it
        sy = (slope - slope0) * step if step != 1.0 else slope - slope0
        if sy > EPS * (-slope0 * step if step != 1.0 else -slope0):
            pairs.add(d, step, g, g_old, sy)


def _largest(g: np.ndarray) -> float:
    """max |g_i|: the projected gradient's norm when nothing is bounded."""
    return max(float(np.maximum.reduce(g)), -float(np.minimum.reduce(g)))


class _Pairs:
    """The newest ``m`` pairs (s, y), the inner products among them, and H·g from them.

    Pair ``i`` lives in slot ``i % m``: s in row ``slot`` of :attr:`rows` and y in row
    ``m + slot``; ``_sy[a][b]`` holds s_a·y_b for slots a, b (Python lists: the recursion reads
    them one number at a time).
    """

    def __init__(self, n: int, m: int) -> None:
        self.m = m
        self.rows = np.zeros((2 * m, n))
        self._sy = [[0.0] * m for _ in range(m)]
        self._rho = [0.0] * m  # 1 / s·y per slot
        self.order: list[int] = []  # slots, oldest pair first
        self.scale = 1.0  # θ⁻¹ = s·y / y·y of the newest pair: H's starting diagonal

    @property
    def count(self) -> int:
        return len(self.order)

    def clear(self) -> None:
        self.order.clear()
        self.scale = 1.0

    def add(self, d: np.ndarray, step: float, g: np.ndarray, g_old: np.ndarray, sy: float) -> None:
        """Keep s = step·d and y = g − g_old (dropping the oldest pair when full)."""
        m = self.m
        slot = self.order.pop(0) if len(self.order) == m else self._free()
        s_row, y_row = self.rows[slot], self.rows[m + slot]
        if step == 1.0:
            s_row[...] = d
        else:
            np.multiply(d, step, out=s_row)
        np.subtract(g, g_old, out=y_row)
        y_dot_s = np.dot(self.rows[m:], s_row).tolist()  # y_a·s for every slot a
        s_dot_y = np.dot(self.rows[:m], y_row).tolist()  # s_a·y
        table = self._sy
        for a in range(m):
            table[a][slot] = s_dot_y[a]
            table[slot][a] = y_dot_s[a]
        self._rho[slot] = 1.0 / sy
        self.order.append(slot)
        self.scale = sy / float(np.dot(y_row, y_row))

    def _free(self) -> int:
        used = set(self.order)
        return next(slot for slot in range(self.m) if slot not in used)

    def inverse_hessian_times(self, g: np.ndarray) -> np.ndarray:
        """H·g by the two-loop recursion (see the module's docstring).

        First loop (newest to oldest): α_i = ρ_i s_i·q with q = g − Σ_{j newer} α_j y_j, so each
        α needs only s_i·g and the s_i·y_j kept here. Then q = g − Σ α_j y_j as a vector, r = γq
        with γ = :attr:`scale`, and (oldest to newest) β_i = ρ_i y_i·r, r += (α_i − β_i)s_i: each
        y_i·r is γ y_i·q plus the s_l·y_i of the pairs already added. So the recursion's loops
        run on numbers (Python floats: at m = 10 they beat NumPy calls on 10-vectors), and the
        vectors take five NumPy calls.
        """
        m, order, sy, rho = self.m, self.order, self._sy, self._rho
        rows = self.rows
        s_dot_g = np.dot(rows[:m], g).tolist()
        alpha = [0.0] * m
        newer: list[int] = []
        for i in reversed(order):
            row, acc = sy[i], s_dot_g[i]
            for j in newer:
                acc -= alpha[j] * row[j]
            alpha[i] = rho[i] * acc
            newer.append(i)
        q = g - np.dot(alpha, rows[m:])  # (stale slots hold α = 0)
        y_dot_q = np.dot(rows[m:], q).tolist()
        gamma = self.scale
        step = [0.0] * m  # α_i − β_i, the weight of s_i in r
        older: list[int] = []
        for i in order:
            acc = gamma * y_dot_q[i]
            for l in older:
                acc += step[l] * sy[l][i]
            step[i] = alpha[i] - rho[i] * acc
            older.append(i)
        r = np.dot(step, rows[:m])
        r += gamma * q
        return r
