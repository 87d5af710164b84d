"""deltaprop.training.metrics against scikit-learn's metric functions, plus one hand-worked example."""

import numpy as np
import pytest

from deltaprop.errors import ShapeError
from deltaprop.training import metrics
from deltaprop.training.metrics import METRICS

sk = pytest.importorskip("sklearn.metrics", reason="the metrics are compared with scikit-learn's")


def _labels(case):
    """Pairs of (true, predicted) class labels, each case exercising one rule of macro averaging."""
    rng = np.random.default_rng(CASES.index(case))
    if case == "all classes":
        y_true = rng.integers(0, 4, size=200)
        y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(0, 4, size=200))
    elif case == "predicted only":  # class 3 is predicted but never true
        y_true = rng.integers(0, 3, size=150)
        y_pred = np.where(rng.random(150) < 0.6, y_true, 3)
    elif case == "true only":  # class 4 is true but never predicted
        y_true = rng.integers(0, 5, size=150)
        y_pred = np.where(y_true == 4, 0, y_true)
    elif case == "gap":  # label 1 occurs nowhere
        y_true = rng.choice([0, 2, 3], size=120)
        y_pred = rng.choice([0, 2, 3], size=120)
    else:  # "perfect"
        y_true = rng.integers(0, 3, size=50)
        y_pred = y_true.copy()
    return y_true, y_pred


CASES = ["all classes", "predicted only", "true only", "gap", "perfect"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize(
    "ours, theirs",
    [
        (metrics.accuracy, sk.accuracy_score),
        (metrics.precision, lambda t, p: sk.precision_score(t, p, average="macro", zero_division=0)),
        (metrics.recall, lambda t, p: sk.recall_score(t, p, average="macro", zero_division=0)),
        (metrics.f1, lambda t, p: sk.f1_score(t, p, average="macro", zero_division=0)),
    ],
    ids=["accuracy", "precision", "recall", "f1"],
)
def test_classification_metrics_match_scikit_learn(case, ours, theirs):
    y_true, y_pred = _labels(case)
    assert ours(y_true, y_pred) == pytest.approx(theirs(y_true, y_pred), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_confusion_matrix_matches_scikit_learn(case):
    y_true, y_pred = _labels(case)
    n = int(max(y_true.max(), y_pred.max())) + 1
    expected = sk.confusion_matrix(y_true, y_pred, labels=np.arange(n))
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred), expected)
    # Asking for more classes than occur pads with empty rows and columns.
    padded = metrics.confusion_matrix(y_true, y_pred, n_classes=n + 2)
    assert padded.shape == (n + 2, n + 2)
    np.testing.assert_array_equal(padded[:n, :n], expected)
    assert padded[n:].sum() == 0 and padded[:, n:].sum() == 0


def test_hand_worked_example():
    # true 0 0 0 1 1 2 / predicted 0 0 1 1 2 2:
    # class 0: TP 2, FP 0, FN 1 -> P 1,   R 2/3, F1 0.8
    # class 1: TP 1, FP 1, FN 1 -> P 1/2, R 1/2, F1 0.5
    # class 2: TP 1, FP 1, FN 0 -> P 1/2, R 1,   F1 2/3
    y_true = [0, 0, 0, 1, 1, 2]
    y_pred = [0, 0, 1, 1, 2, 2]
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred), [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
    assert metrics.accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    assert metrics.precision(y_true, y_pred) == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert metrics.recall(y_true, y_pred) == pytest.approx((2 / 3 + 0.5 + 1) / 3)
    assert metrics.f1(y_true, y_pred) == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)


def _regression(shape, seed=0):
    rng = np.random.default_rng(seed)
    y_true = rng.normal(3.0, 2.0, size=shape)
    y_pred = y_true + rng.normal(0.0, 0.5, size=shape)
    return y_true, y_pred


@pytest.mark.parametrize("shape", [(80,), (80, 1), (80, 3)], ids=["1-D", "column", "3 outputs"])
@pytest.mark.parametrize(
    "ours, theirs",
    [
        (metrics.mae, sk.mean_absolute_error),
        (metrics.rmse, lambda t, p: np.sqrt(sk.mean_squared_error(t, p, multioutput="raw_values")).mean()),
        (metrics.r2, sk.r2_score),
    ],
    ids=["mae", "rmse", "r2"],
)
def test_regression_metrics_match_scikit_learn(shape, ours, theirs):
    y_true, y_pred = _regression(shape)
    assert ours(y_true, y_pred) == pytest.approx(theirs(y_true, y_pred), rel=1e-12)


@pytest.mark.parametrize("metric", [metrics.mae, metrics.rmse, metrics.r2], ids=["mae", "rmse", "r2"])
def test_a_column_of_outputs_against_flat_targets_does_not_broadcast(metric):
    # A model's (N, 1) output against (N,) targets: subtracting them naively gives an (N, N) table.
    y_true, y_pred = _regression((60,), seed=1)
    assert metric(y_true, y_pred[:, None]) == pytest.approx(metric(y_true, y_pred), rel=1e-12)
    assert metric(y_true[:, None], y_pred) == pytest.approx(metric(y_true, y_pred), rel=1e-12)


def test_regression_metrics_refuse_different_sizes():
    with pytest.raises(ShapeError, match="y_true has 5 values but y_pred has 4"):
        metrics.mae(np.zeros(5), np.zeros(4))


def test_r2_of_a_constant_target_follows_scikit_learn():
    y_true = np.full(10, 2.0)
    assert metrics.r2(y_true, y_true.copy()) == sk.r2_score(y_true, y_true.copy()) == 1.0
    assert metrics.r2(y_true, y_true + 0.1) == sk.r2_score(y_true, y_true + 0.1) == 0.0


def test_r2_of_fewer_than_two_samples_is_undefined_as_in_scikit_learn():
    from sklearn.exceptions import UndefinedMetricWarning

    with pytest.warns(UndefinedMetricWarning):
        theirs = sk.r2_score([3.0], [2.5])
    assert np.isnan(theirs) and np.isnan(metrics.r2([3.0], [2.5])) and np.isnan(metrics.r2([[3.0, 1.0]], [[3.0, 1.0]]))
    assert metrics.r2([3.0, 1.0], [2.5, 1.0]) == pytest.approx(sk.r2_score([3.0, 1.0], [2.5, 1.0]), rel=1e-12)


def test_the_registry_names_what_fit_accepts():
    assert set(METRICS) == {"accuracy", "acc", "precision", "recall", "f1", "mae", "mse", "rmse", "r2"}
    for name in ("accuracy", "acc", "precision", "recall", "f1"):
        assert METRICS[name].needs_labels and METRICS[name].higher_is_better
    assert metrics.mse([1.0, 2.0], [1.0, 4.0]) == sk.mean_squared_error([1.0, 2.0], [1.0, 4.0]) == 2.0
    for name in ("mae", "mse", "rmse"):
        assert not METRICS[name].needs_labels and not METRICS[name].higher_is_better
    assert METRICS["r2"].higher_is_better
    assert np.isnan(metrics.accuracy([], []))
