"""Where the time of an 'lbfgs' fit goes, and the fastest such fit a NumPy objective allows.

scikit-learn's MLP estimators hand the whole training set to SciPy's L-BFGS-B
(``scipy.optimize.minimize``); deltaprop.sklearn's run the same iteration in NumPy
(``deltaprop.sklearn._lbfgs.minimize``, the same steps: tests/test_sklearn_lbfgs.py). Either calls
back for the loss and its gradient. A fit's time therefore has three parts, measured here by
wrapping each library's driver and the function it calls:

* objective: computing the loss and gradient, the library's own work (per evaluation below);
* driver: what the driver does around the calls: the L-BFGS algebra and the bookkeeping
  (SciPy's compiled step and its Python wrapper for scikit-learn, NumPy and Python for deltaprop);
* rest: checking the input, drawing the initial weights, setting the fitted attributes.

A third objective is timed alone: the same network's loss and gradient written by hand in NumPy
(no autodiff, arrays preallocated and updated in place, the fastest ReLU and outer-product forms
that deltaprop itself uses), in deltaprop's precision, checked against deltaprop's own objective
first. It is timed alone and inside deltaprop's driver, from deltaprop's starting weights with its
options: that is the fit a NumPy design would make if it checked no input and built no estimator.
The bound is scikit-learn's fit time over that fit's time: the speed-up over scikit-learn that no
NumPy objective behind this driver can beat (deltaprop's checks and set-up come on top).
The last column is what a 2x faster fit leaves for everything beyond that bare fit (checking the
input as scikit-learn requires, drawing the weights, the estimator's attributes, the autodiff's
bookkeeping): half scikit-learn's fit time minus the hand-written fit's. deltaprop's "rest"
column is the first three of those alone.

    python benchmarks/lbfgs_budget.py                       # iris, wine, diabetes, breast_cancer
    python benchmarks/lbfgs_budget.py --datasets iris --repeats 9
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
import warnings

import numpy as np
import scipy.optimize
from sklearn import neural_network as reference
from sklearn.exceptions import ConvergenceWarning

import deltaprop.sklearn as ours
from deltaprop.sklearn import _lbfgs
from bench_sklearn import CLASSIFICATION, REGRESSION, load


@contextlib.contextmanager
def timed_minimize(record: dict, module=scipy.optimize):
    """Route ``module.minimize`` (scikit-learn calls SciPy's, deltaprop its own in
    ``deltaprop.sklearn._lbfgs``) through a stopwatch that adds the seconds spent in minimize and in
    the objective, and the number of evaluations, to ``record``."""
    original = module.minimize

    def minimize(fun, x0, *args, **kwargs):
        def objective(x, *extra):
            started = time.perf_counter()
            value = fun(x, *extra)
            record["objective"] += time.perf_counter() - started
            record["evaluations"] += 1
            return value

        started = time.perf_counter()
        result = original(objective, x0, *args, **kwargs)
        record["minimize"] += time.perf_counter() - started
        return result

    module.minimize = minimize
    try:
        yield
    finally:
        module.minimize = original


def split_fit(estimator_class, X, y, seed: int) -> dict:
    """Seconds of one fit: total, objective, driver, rest; and the number of evaluations."""
    record = {"objective": 0.0, "minimize": 0.0, "evaluations": 0}
    estimator = estimator_class(solver="lbfgs", random_state=seed)
    driver = _lbfgs if estimator_class.__module__.startswith("deltaprop") else scipy.optimize
    with timed_minimize(record, driver):
        started = time.perf_counter()
        estimator.fit(X, y)
        total = time.perf_counter() - started
    return {
        "total": total,
        "objective": record["objective"],
        "driver": record["minimize"] - record["objective"],
        "rest": total - record["minimize"],
        "evaluations": record["evaluations"],
    }


def hand_written_objective(X, y, output: str, layer_units, alpha: float, dtype):
    """``f(theta64) -> (loss, gradient64)`` for a ReLU network laid out as deltaprop's flat vector
    (all weights, each (out, in), then all biases), with scikit-learn's loss and L2 penalty.

    ``output`` is 'softmax' (y: class indices), 'logistic' (y: 0/1 column) or 'identity' (y: target
    column, squared error).
    """
    X = np.ascontiguousarray(X, dtype=dtype)
    n = X.shape[0]
    shapes = list(zip(layer_units[1:], layer_units[:-1]))
    n_weights = sum(a * b for a, b in shapes)
    theta = np.zeros(n_weights + sum(layer_units[1:]), dtype)
    grad = np.zeros_like(theta)
    W, gW, b, gb = [], [], [], []
    start = 0
    for n_out, n_in in shapes:
        W.append(theta[start:start + n_out * n_in].reshape(n_out, n_in))
        gW.append(grad[start:start + n_out * n_in].reshape(n_out, n_in))
        start += n_out * n_in
    for n_out, _ in shapes:
        b.append(theta[start:start + n_out])
        gb.append(grad[start:start + n_out])
        start += n_out
    acts = [np.empty((n, n_out), dtype) for n_out, _ in shapes]
    zeros = [np.zeros((n, n_out), dtype) for n_out, _ in shapes]
    rows = np.arange(n)
    labels = np.asarray(y) if output == "softmax" else None
    target = None if output == "softmax" else np.asarray(y, dtype).reshape(n, -1)
    weights = theta[:n_weights]
    last = len(shapes) - 1

    def objective(x64):
        theta[...] = x64
        o = X
        for k in range(len(shapes)):
            a = np.matmul(o, W[k].T, out=acts[k])
            a += b[k]
            if k < last:
                np.maximum(a, zeros[k], out=a)
            o = a
        z = o
        if output == "softmax":
            z -= np.maximum.reduce(z, axis=1, keepdims=True)
            e = np.exp(z)
            s = np.add.reduce(e, axis=1, keepdims=True)
            loss = (float(np.log(s).sum()) - float(z[rows, labels].sum())) / n
            delta = np.divide(e, s, out=e)
            delta[rows, labels] -= 1
        elif output == "logistic":
            # max(z, 0) − yz + log1p(e^−|z|) and σ(z) = e^min(z, 0) / (1 + e^−|z|): vectorised
            # exponentials (np.logaddexp has no vector loop and would make this floor no floor)
            e = np.exp(-np.abs(z))
            loss = float((np.maximum(z, 0) - target * z + np.log1p(e)).sum()) / n
            delta = np.exp(np.minimum(z, 0))
            delta /= 1 + e
            delta -= target
        else:
            delta = np.subtract(z, target, out=z)
            loss = 0.5 * float(np.vdot(delta, delta)) / n
        delta /= n
        for k in range(last, -1, -1):
            below = X if k == 0 else acts[k - 1]
            np.matmul(delta.T, below, out=gW[k])
            np.add.reduce(delta, axis=0, out=gb[k])
            if k:
                delta = np.dot(delta, W[k])
                delta *= below > 0
        loss += 0.5 * alpha * float(np.dot(weights, weights)) / n
        grad[:n_weights] += weights * (alpha / n)
        return loss, grad.astype(np.float64)

    return objective


def hand_written_setup(X, y, classification: bool):
    """(the hand-written objective, deltaprop's starting weights, its minimize options, the
    objective's largest relative difference from deltaprop's own at those weights), from one
    deltaprop fit with ``random_state=0``."""
    import deltaprop.sklearn._base as base

    captured = {}
    original = base.fit_lbfgs

    def capture(network, objective, **options):
        captured.update(network=network, objective=objective, options=options, theta=network.theta.astype(np.float64))
        return original(network, objective, **options)

    estimator = (ours.MLPClassifier if classification else ours.MLPRegressor)(solver="lbfgs", random_state=0)
    base.fit_lbfgs = capture
    try:
        estimator.fit(X, y)
    finally:
        base.fit_lbfgs = original
    network, theta, options = captured["network"], captured["theta"], captured["options"]
    output = estimator.out_activation_
    targets = estimator._label_binarizer.transform(y) if output == "logistic" else y
    hand = hand_written_objective(X, targets, output, network.layer_units, estimator.alpha, network.theta.dtype)

    network.theta[...] = theta
    theirs = captured["objective"]()
    their_grad = network.grad.astype(np.float64)
    loss, grad = hand(theta)
    difference = max(abs(loss - theirs) / abs(theirs), float(np.abs(grad - their_grad).max() / np.abs(their_grad).max()))
    return hand, theta, options, difference


def hand_written_fit(hand, theta, options) -> dict:
    """The hand-written objective alone (a tight loop), then inside deltaprop's L-BFGS driver from
    deltaprop's starting weights with deltaprop's options: the fit a NumPy design that checked no
    input and built no estimator would make."""
    started = time.perf_counter()
    for _ in range(200):
        hand(theta)
    per_evaluation = (time.perf_counter() - started) / 200
    started = time.perf_counter()
    result = _lbfgs.minimize(hand, theta, max_iter=options["max_iter"], max_fun=options["max_fun"], gtol=options["tol"])
    return {"fit": time.perf_counter() - started, "per_evaluation": per_evaluation, "evaluations": result.nfev}


def budget(name: str, repeats: int) -> dict:
    """Medians over ``repeats`` rounds; each round fits scikit-learn, deltaprop and the hand-written
    objective once, in an order that rotates, so that a burst of load hits all three alike."""
    X, _, y, _, classification = load(name)
    kind = "MLPClassifier" if classification else "MLPRegressor"
    classes = {"deltaprop": getattr(ours, kind), "sklearn": getattr(reference, kind)}
    hand, theta, options, difference = hand_written_setup(X, y, classification)
    contestants = {
        "deltaprop": lambda seed: split_fit(classes["deltaprop"], X, y, seed),
        "sklearn": lambda seed: split_fit(classes["sklearn"], X, y, seed),
        # the hand-written fit starts where deltaprop's random_state=0 fit starts, in every round
        "hand_written": lambda seed: hand_written_fit(hand, theta, options),
    }
    runs = {name_: [] for name_ in contestants}
    for run in contestants.values():  # warm-up: first-call costs are not the subject
        run(0)
    names = list(contestants)
    for repeat in range(repeats):
        for name_ in names[repeat % 3:] + names[: repeat % 3]:
            runs[name_].append(contestants[name_](repeat))
    median = {name_: {key: statistics.median(run[key] for run in rows) for key in rows[0]} for name_, rows in runs.items()}
    dp, sk, hand_ = median["deltaprop"], median["sklearn"], median["hand_written"]
    hand_["difference"] = difference
    return {"deltaprop": dp, "sklearn": sk, "hand_written": hand_,
            "speedup": sk["total"] / dp["total"], "bound": sk["total"] / hand_["fit"],
            "headroom": sk["total"] / 2 - hand_["fit"]}


def report(name: str, row: dict) -> str:
    dp, sk, hand = row["deltaprop"], row["sklearn"], row["hand_written"]

    def per_eval(part):
        return f"{part['objective'] / part['evaluations'] * 1e6:5.0f}"

    return (
        f"{name:14s} {sk['total'] * 1e3:6.1f} {per_eval(sk)} {sk['driver'] * 1e3:6.2f} {sk['rest'] * 1e3:5.2f} | "
        f"{dp['total'] * 1e3:6.1f} {per_eval(dp)} {dp['driver'] * 1e3:6.2f} {dp['rest'] * 1e3:5.2f} {dp['evaluations']:5.0f} | "
        f"{hand['fit'] * 1e3:6.1f} {hand['per_evaluation'] * 1e6:5.0f} {hand['evaluations']:5.0f} | "
        f"{row['speedup']:5.2f}x {row['bound']:5.2f}x | {row['headroom'] * 1e3:6.2f}"
    )


HEADER = (
    "               ------- scikit-learn ------- | ------------ deltaprop ------------ | -- NumPy by hand -- | -- speed-up -- | 2x: ms\n"
    "data set       fit ms us/ev driver ms rest  | fit ms us/ev driver ms rest  evals | fit ms us/ev evals  |   now   bound  | left"
)


def measure(datasets_=("iris", "wine", "diabetes"), repeats: int = 5, log=print) -> dict:
    """``{data set: row}`` and the printed table (the entry point of ``benchmarks/run.py``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        rows = {name: budget(name, repeats) for name in datasets_}
    for line in HEADER.splitlines():
        log(line)
    for name, row in rows.items():
        log(report(name, row))
    worst = max(row["hand_written"]["difference"] for row in rows.values())
    log(f"(hand-written objective checked against deltaprop's: largest relative difference {worst:.1e})")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    everything = [*CLASSIFICATION, *REGRESSION]
    parser.add_argument("--datasets", nargs="+", default=["iris", "wine", "diabetes", "breast_cancer"], choices=everything)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    measure(args.datasets, args.repeats)


if __name__ == "__main__":
    main()
