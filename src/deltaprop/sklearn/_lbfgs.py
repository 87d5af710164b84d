"""The 'lbfgs' solver: SciPy's L-BFGS-B over the network's flat parameter vector.

The whole training set is one batch; SciPy proposes a parameter vector (float64), the network
computes the objective and its gradient in its own precision, and SciPy gets both back in float64.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning


def fit_lbfgs(network, objective, *, max_iter: int, max_fun: int, tol: float, verbose) -> tuple[int, float]:
    """Minimise ``objective()`` (which reads ``network.theta`` and fills ``network.grad``).

    Leaves the solution in ``network.theta`` and returns (iterations used, objective there).
    ``tol`` is the tolerance on the largest component of the projected gradient (SciPy's gtol),
    as in scikit-learn.
    """

    def function(x):
        network.theta[...] = x
        loss = objective()
        return loss, network.grad.astype(np.float64)

    iteration = 0

    def report(intermediate_result):
        nonlocal iteration
        iteration += 1
        print(f"Iteration {iteration}, loss = {intermediate_result.fun:.8f}")

    result = scipy.optimize.minimize(
        function,
        network.theta.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
        callback=report if verbose else None,
    )
    network.theta[...] = result.x
    if result.status != 0:
        message = result.message.decode("latin1") if isinstance(result.message, bytes) else str(result.message)
        warnings.warn(
            f"lbfgs stopped before converging, after {result.nit} iteration(s) (status {result.status}: "
            f"{message}); raise max_iter (now {max_iter}) or max_fun (now {max_fun}), or scale the data, "
            f"for example with sklearn.preprocessing.StandardScaler.",
            ConvergenceWarning,
            stacklevel=5,
        )
    return min(result.nit, max_iter), float(result.fun)
