"""The 'lbfgs' solver: SciPy's L-BFGS-B over the network's flat parameter vector.

The whole training set is one batch; SciPy proposes a parameter vector (float64), the network
computes the objective and its gradient in its own precision, and SciPy gets both back in float64.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import ThreadpoolController


def fit_lbfgs(network, objective, *, max_iter: int, max_fun: int, tol: float, verbose) -> tuple[int, float]:
    """Minimise ``objective()`` (which reads ``network.theta`` and fills ``network.grad``).

    Leaves the solution in ``network.theta`` and returns (iterations used, objective there).
    ``tol`` is the tolerance on the largest component of the projected gradient (SciPy's gtol),
    as in scikit-learn.
    """
    iteration = 0

    def report(intermediate_result):
        nonlocal iteration
        iteration += 1
        print(f"Iteration {iteration}, loss = {intermediate_result.fun:.8f}")

    evaluate = _Evaluations(network, objective)
    with _single_threaded_solver():
        result = scipy.optimize.minimize(
            evaluate.loss,
            network.theta.astype(np.float64),
            method="L-BFGS-B",
            jac=evaluate.gradient,
            options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
            callback=report if verbose else None,
        )
    network.theta[...] = result.x
    if result.status != 0:
        message = result.message.decode("latin1") if isinstance(result.message, bytes) else str(result.message)
        warnings.warn(
            # Its first words are scikit-learn's, which code that filters or matches the warning relies on.
            f"lbfgs failed to converge after {result.nit} iteration(s) (status={result.status}): {message}. "
            f"Raise max_iter (now {max_iter}) or max_fun (now {max_fun}), or scale the data, for example with "
            f"sklearn.preprocessing.StandardScaler.",
            ConvergenceWarning,
            stacklevel=5,
        )
    return min(result.nit, max_iter), float(result.fun)


class _Evaluations:
    """The objective as SciPy's ``minimize`` takes it: a loss function and a gradient function.

    One pass of the network computes both, and L-BFGS-B asks for them in two calls at the same
    point (each call with its own copy of it), so ``gradient`` returns what ``loss`` computed
    unless it is asked about another point. That is what ``jac=True`` would do with one function
    returning both, but SciPy's caching wrapper for it compares the point twice and copies it once
    per evaluation: 10-20 µs of each, 6-10% of a fit on the small data sets, the same iterates.
    """

    def __init__(self, network, objective):
        self.network, self.objective = network, objective
        self.x = self.g = None

    def loss(self, x) -> float:
        self.network.theta[...] = x
        value = self.objective()
        self.x, self.g = x, self.network.grad.astype(np.float64)
        return value

    def gradient(self, x) -> np.ndarray:
        if self.x is None or not np.array_equal(x, self.x):
            self.loss(x)
        return self.g


@contextlib.contextmanager
def _single_threaded_solver():
    """SciPy's own BLAS on one thread for the duration of a fit (NumPy's keeps its threads).

    Wheels from PyPI bring two OpenBLAS libraries, NumPy's and SciPy's, each with a pool of worker
    threads that spin for a while after each call. L-BFGS-B alternates between them (the network's
    matrix products in NumPy's, the solver's vector updates in SciPy's), and on a machine with
    few cores each pool's spinning workers took the cores the other pool needed: on two cores the
    whole fit ran 2.5 to 10 times slower than with SciPy's pool on one thread, which its work on
    vectors of a few thousand numbers never needed. Where SciPy shares NumPy's BLAS, or its BLAS
    is not found, nothing changes.

    Only a fit in the main thread changes the setting, through threadpoolctl, which restores it
    afterwards and lets go of OpenBLAS again (it lets one thread at a time set the size of the
    process-wide pool). Fits overlapping in several threads would otherwise put back each other's
    values: with one thread in charge, the value restored is always the user's.
    """
    scipy_blas = _scipy_blas() if threading.current_thread() is threading.main_thread() else None
    if scipy_blas is None:
        yield
        return
    with scipy_blas.limit(limits=1):
        yield


@functools.cache
def _scipy_blas():
    """A threadpoolctl controller of the BLAS libraries that SciPy's wheel brought along (in
    ``scipy.libs/``), or None where SciPy links the BLAS that NumPy uses (conda, Linux
    distributions)."""
    controller = ThreadpoolController()
    paths = [
        pool.filepath for pool in controller.select(user_api="blas").lib_controllers
        if os.path.basename(os.path.dirname(pool.filepath)).startswith("scipy")
    ]
    return controller.select(filepath=paths) if paths else None
