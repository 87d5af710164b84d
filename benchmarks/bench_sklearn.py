"""Fit time and test score of deltaprop.sklearn's MLP estimators against scikit-learn's own.

Both libraries get the same data (scikit-learn's bundled sets and a synthetic regression), the same
split and scaling, and the same estimator settings (scikit-learn's defaults unless ``--max-iter``
says otherwise, the solver under test, ``random_state`` = the repeat's number). With the same seed
both start from the same weights and shuffle alike, so they take about the same number of epochs;
the table shows both counts. The two are fitted alternately in one process, repeat by repeat, so a
neighbour's load on a shared machine slows both alike; times are medians over repeats and the
speed-up is scikit-learn's median fit time over deltaprop's (> 1 means deltaprop is faster). Scores
are test accuracy (classification) or R² (regression), mean ± standard deviation over repeats.

    python benchmarks/bench_sklearn.py                        # every data set, solvers adam, sgd, lbfgs
    python benchmarks/bench_sklearn.py --datasets digits wine --solvers adam --repeats 9
    python benchmarks/bench_sklearn.py --blas-threads 1       # both libraries on one BLAS thread
    python benchmarks/bench_sklearn.py --profile digits adam  # cProfile of deltaprop's fit, no table

Data sets: digits (1797 x 64, 10 classes), iris (150 x 4, 3), breast_cancer (569 x 30, 2),
wine (178 x 13, 3), diabetes (442 x 10, regression), regression (make_regression, 2000 x 20).
Features are standardised on the training part (75 %); regression targets too.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
import warnings
from contextlib import nullcontext

import numpy as np
from sklearn import datasets
from sklearn import neural_network as reference
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import deltaprop.sklearn as ours

CLASSIFICATION = ("digits", "iris", "breast_cancer", "wine")
REGRESSION = ("diabetes", "regression")


def load(name: str):
    """(X_train, X_test, y_train, y_test, is_classification), scaled on the training part."""
    if name == "regression":
        X, y = datasets.make_regression(n_samples=2000, n_features=20, n_informative=10, noise=10.0, random_state=0)
    else:
        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    classification = name in CLASSIFICATION
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y if classification else None
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    if not classification:
        mean, std = y_train.mean(), y_train.std()
        y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
    return X_train, X_test, y_train, y_test, classification


def fit_once(estimator_class, settings, X_train, y_train, X_test, y_test):
    """(fit seconds, test score, epochs or iterations) of one fit."""
    estimator = estimator_class(**settings)
    start = time.perf_counter()
    estimator.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return seconds, estimator.score(X_test, y_test), estimator.n_iter_


def run_case(name: str, solver: str, repeats: int, max_iter: int | None) -> dict:
    X_train, X_test, y_train, y_test, classification = load(name)
    kind = "MLPClassifier" if classification else "MLPRegressor"
    classes = {"deltaprop": getattr(ours, kind), "sklearn": getattr(reference, kind)}
    results = {library: {"time": [], "score": [], "n_iter": []} for library in classes}
    for repeat in range(repeats):
        settings = {"solver": solver, "random_state": repeat}
        if max_iter is not None:
            settings["max_iter"] = max_iter
        # Alternate who goes first, so neither always runs on a warmer (or busier) machine.
        order = list(classes) if repeat % 2 == 0 else list(reversed(classes))
        for library in order:
            seconds, score, n_iter = fit_once(classes[library], settings, X_train, y_train, X_test, y_test)
            results[library]["time"].append(seconds)
            results[library]["score"].append(score)
            results[library]["n_iter"].append(n_iter)
    return {"name": name, "solver": solver, "metric": "accuracy" if classification else "R2", **results}


def summarize(case: dict) -> list[str]:
    ours_, theirs = case["deltaprop"], case["sklearn"]
    t_ours, t_theirs = statistics.median(ours_["time"]), statistics.median(theirs["time"])

    def score(results):
        values = results["score"]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.4f} ± {spread:.4f}"

    return [
        case["name"], case["solver"], case["metric"],
        f"{statistics.median(ours_['n_iter']):g}/{statistics.median(theirs['n_iter']):g}",
        f"{t_ours * 1e3:.1f}", f"{t_theirs * 1e3:.1f}", f"{t_theirs / t_ours:.2f}x",
        score(ours_), score(theirs),
    ]


def print_table(rows: list[list[str]]) -> None:
    header = ["data set", "solver", "score", "iters dp/sk", "dp ms", "sk ms", "speed-up", "dp score", "sk score"]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = " | ".join(h.ljust(w) for h, w in zip(header, widths))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(str(cell).ljust(w) for cell, w in zip(row, widths)))


def blas_limit(threads: int):
    if not threads:
        return nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads, user_api="blas")


def profile(name: str, solver: str) -> None:
    X_train, _, y_train, _, classification = load(name)
    estimator = (ours.MLPClassifier if classification else ours.MLPRegressor)(solver=solver, random_state=0)
    estimator.fit(X_train, y_train)  # once unprofiled: first-call costs (imports, caches) are not the subject
    profiler = cProfile.Profile()
    profiler.runcall(estimator.fit, X_train, y_train)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def measure(repeats: int = 5, log=print, datasets_=None, solvers=("adam", "sgd", "lbfgs"), blas_threads: int = 1) -> dict:
    """``{"dataset/solver": row}`` with the speed-up and both scores (the entry point of
    ``benchmarks/run.py``'s estimator section). Both libraries run on ``blas_threads`` BLAS threads."""
    table = {}
    with blas_limit(blas_threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name in datasets_ or (*CLASSIFICATION, *REGRESSION):
            for solver in solvers:
                case = run_case(name, solver, repeats, None)
                t_ours = statistics.median(case["deltaprop"]["time"])
                t_theirs = statistics.median(case["sklearn"]["time"])
                row = {
                    "solver": solver,
                    "metric": case["metric"],
                    "deltaprop_ms": t_ours * 1e3,
                    "sklearn_ms": t_theirs * 1e3,
                    "speedup": t_theirs / t_ours,
                    "deltaprop_score": statistics.mean(case["deltaprop"]["score"]),
                    "sklearn_score": statistics.mean(case["sklearn"]["score"]),
                }
                table[f"{name}/{solver}"] = row
                log(f"  {name}/{solver}: {row['deltaprop_ms']:.1f} ms vs {row['sklearn_ms']:.1f} ms, speed-up {row['speedup']:.2f}x")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=[*CLASSIFICATION, *REGRESSION],
                        choices=[*CLASSIFICATION, *REGRESSION])
    parser.add_argument("--solvers", nargs="+", default=["adam", "sgd", "lbfgs"], choices=["adam", "sgd", "lbfgs"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--max-iter", type=int, default=None, help="max_iter for both (default: scikit-learn's 200)")
    parser.add_argument("--blas-threads", type=int, default=0, help="limit both libraries' BLAS threads (0: leave)")
    parser.add_argument("--profile", nargs=2, metavar=("DATASET", "SOLVER"), help="profile deltaprop's fit instead")
    args = parser.parse_args()

    with blas_limit(args.blas_threads), warnings.catch_warnings():
        # Both libraries warn alike when max_iter ends a fit; the iteration columns show it.
        warnings.simplefilter("ignore", ConvergenceWarning)
        if args.profile:
            profile(*args.profile)
            return
        rows = []
        ratios = []
        for name in args.datasets:
            for solver in args.solvers:
                case = run_case(name, solver, args.repeats, args.max_iter)
                rows.append(summarize(case))
                ratios.append(statistics.median(case["sklearn"]["time"]) / statistics.median(case["deltaprop"]["time"]))
    threads = args.blas_threads or "library default"
    print(f"deltaprop.sklearn vs sklearn.neural_network, {args.repeats} repeats, BLAS threads: {threads}")
    print_table(rows)
    print(f"geometric mean speed-up: {float(np.exp(np.mean(np.log(ratios)))):.2f}x "
          f"(min {min(ratios):.2f}x, max {max(ratios):.2f}x)")


if __name__ == "__main__":
    main()
