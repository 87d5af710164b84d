"""deltaprop.sklearn under scikit-learn's own estimator checks, and inside scikit-learn's tools.

``parametrize_with_checks`` runs every check of the installed scikit-learn as one test. The
estimators train in float32 by default; the two checks that compare weighted fits with repeated
samples at rtol=1e-7 are expected to fail there (reasons in ``expected_failed_checks``), and must
pass in float64, which a separate test runs.
"""

import io
import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="deltaprop.sklearn needs the optional scikit-learn extra")

import joblib  # noqa: E402  (scikit-learn's own dependency)
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris, make_regression  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import (  # noqa: E402
    check_sample_weight_equivalence_on_dense_data,
    check_sample_weight_equivalence_on_sparse_data,
    parametrize_with_checks,
)

from threadpoolctl import threadpool_limits  # noqa: E402  (scikit-learn's own dependency)

from deltaprop.sklearn import MLPClassifier, MLPRegressor, expected_failed_checks  # noqa: E402


# The checks' short fits end at max_iter by design.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """The checks fit hundreds of tiny networks: on a busy shared machine, BLAS threads fighting
    over the cores cost far more than they save on products this small (SciPy's L-BFGS-B included)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


ESTIMATORS = [
    MLPClassifier(max_iter=100),
    MLPRegressor(max_iter=100),
    # deltaprop's additions must not break the conventions either.
    MLPClassifier(
        hidden_layer_sizes=(16, 16), activation=["gelu", "leaky_relu"], solver="sgd", dropout=0.1, max_iter=100
    ),
    MLPRegressor(solver="adamw", alpha=0.01, max_iter=100),
    MLPRegressor(loss="huber", solver="lbfgs", max_iter=30),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "estimator",
    [MLPClassifier(max_iter=100, dtype="float64"), MLPRegressor(max_iter=100, dtype="float64")],
    ids=["classifier", "regressor"],
)
@pytest.mark.parametrize(
    "check", [check_sample_weight_equivalence_on_dense_data, check_sample_weight_equivalence_on_sparse_data]
)
def test_float64_passes_the_checks_expected_to_fail_in_float32(estimator, check):
    check(type(estimator).__name__, estimator)


def test_expected_failures_are_only_for_float32():
    assert expected_failed_checks(MLPClassifier(dtype="float64")) == {}
    assert expected_failed_checks(MLPClassifier(solver="lbfgs")) == {}  # lbfgs trains in float64 by default
    assert set(expected_failed_checks(MLPClassifier(solver="lbfgs", dtype="float32"))) == {
        "check_sample_weight_equivalence_on_dense_data",
        "check_sample_weight_equivalence_on_sparse_data",
    }
    reasons = expected_failed_checks(MLPRegressor())
    assert set(reasons) == {
        "check_sample_weight_equivalence_on_dense_data",
        "check_sample_weight_equivalence_on_sparse_data",
    }
    assert all("float32" in reason for reason in reasons.values())


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


def test_pipeline_grid_search_and_cross_validation(iris):
    X, y = iris
    pipeline = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0))
    grid = {"mlpclassifier__alpha": [1e-4, 1e-1], "mlpclassifier__solver": ["adam", "lbfgs"]}
    search = GridSearchCV(pipeline, grid, cv=3)
    search.fit(X, y)
    assert set(search.best_params_) == {"mlpclassifier__alpha", "mlpclassifier__solver"}
    assert search.best_score_ > 0.85
    scores = cross_val_score(search.best_estimator_, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8


def test_regressor_in_pipeline_cross_validation():
    X, y = make_regression(n_samples=120, n_features=5, noise=1.0, random_state=0)
    pipeline = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0))
    scores = cross_val_score(pipeline, X, y / y.std(), cv=3)
    assert scores.min() > 0.9


def test_clone_keeps_parameters_and_drops_the_fit(iris):
    X, y = iris
    fitted = MLPClassifier(hidden_layer_sizes=(5,), activation=["tanh"], dropout=0.2, max_iter=20, random_state=1)
    fitted.fit(X, y)
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "coefs_")


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_fitted_estimator_survives_a_round_trip_and_resumes_training(iris, dump):
    X, y = iris
    X = StandardScaler().fit_transform(X)
    model = MLPClassifier(hidden_layer_sizes=(10,), max_iter=5, random_state=0)
    model.partial_fit(X, y, classes=np.unique(y))
    if dump == "pickle":
        restored = pickle.loads(pickle.dumps(model))
    else:
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        buffer.seek(0)
        restored = joblib.load(buffer)
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    assert restored.loss_curve_ == model.loss_curve_
    # The optimizer's state (Adam's moments and step count) travels too: training resumes identically.
    model.partial_fit(X, y)
    restored.partial_fit(X, y)
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    for a, b in zip(restored.coefs_, model.coefs_):
        np.testing.assert_array_equal(a, b)
