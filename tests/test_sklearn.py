"""deltaprop.sklearn's MLPClassifier and MLPRegressor against scikit-learn's own, setting by setting.

In float64 a fit here must follow scikit-learn's fit step for step (same start, same shuffles, same
updates, same stopping), so the loss curves, iteration counts and weights are compared at tight
tolerances: that is what "drop-in" means. In float32 (the stochastic solvers' default) they must agree to float32
rounding. The rest checks the documented behaviours: output layers, attributes, warnings, errors.
"""

import inspect
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="deltaprop.sklearn needs the optional scikit-learn extra")

import scipy.sparse as sp  # noqa: E402
from sklearn import neural_network as reference  # noqa: E402
from sklearn.datasets import load_iris, load_wine, make_classification, make_multilabel_classification, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from deltaprop.sklearn import MLPClassifier, MLPRegressor  # noqa: E402


# Short fits end at max_iter on purpose; the warning itself is tested in test_convergence_warnings.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """Tiny networks: BLAS threads only fight over the shared cores here."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _data(kind: str):
    rng = np.random.RandomState(0)
    if kind == "multiclass":
        return make_classification(n_samples=90, n_features=6, n_informative=4, n_classes=3, random_state=0)
    if kind == "binary":
        X, y = make_classification(n_samples=80, n_features=5, random_state=1)
        return X, np.array(["no", "yes"])[y]
    if kind == "multilabel":
        return make_multilabel_classification(n_samples=80, n_features=6, n_classes=4, random_state=0)
    if kind == "regression":
        X, y = make_regression(n_samples=90, n_features=5, noise=0.5, random_state=0)
        return X, y / y.std()
    if kind == "multioutput":
        X, y = make_regression(n_samples=90, n_features=5, n_targets=2, noise=0.5, random_state=0)
        return X, y / y.std(axis=0)
    if kind == "counts":
        X = rng.normal(size=(90, 4))
        return X, rng.poisson(np.exp(X @ np.array([0.3, -0.2, 0.1, 0.4])))
    raise ValueError(kind)


def _pair(kind: str, settings: dict, **ours):
    """(deltaprop estimator, scikit-learn estimator) with the same settings."""
    classification = kind in ("multiclass", "binary", "multilabel")
    common = {"hidden_layer_sizes": (7,), "max_iter": 12, "random_state": 0, **settings}
    if classification:
        return MLPClassifier(**common, **ours), reference.MLPClassifier(**common)
    return MLPRegressor(**common, **ours), reference.MLPRegressor(**common)


def _fit_both(kind, settings, sample_weight=False, **ours):
    X, y = _data(kind)
    mine, theirs = _pair(kind, settings, **ours)
    fit = {"sample_weight": np.random.RandomState(3).uniform(0.2, 2.0, len(y))} if sample_weight else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mine.fit(X, y, **fit)
        theirs.fit(X, y, **fit)
    return X, y, mine, theirs


PARITY = {
    "adam multiclass": ("multiclass", {}),
    "adam binary string labels": ("binary", {}),
    "adam multilabel": ("multilabel", {}),
    "adam logistic activation": ("multiclass", {"activation": "logistic", "hidden_layer_sizes": (6, 5)}),
    "adam tanh, no penalty": ("multiclass", {"activation": "tanh", "alpha": 0.0}),
    "adam identity activation": ("regression", {"activation": "identity"}),
    "adam small batches, no shuffle": ("multiclass", {"batch_size": 16, "shuffle": False}),
    "adam early stopping": ("multiclass", {"early_stopping": True, "validation_fraction": 0.2, "max_iter": 20}),
    "adam early stopping binary": ("binary", {"early_stopping": True, "max_iter": 20}),
    "adam stops on the training loss": ("multiclass", {"tol": 0.05, "n_iter_no_change": 2, "max_iter": 30}),
    "sgd nesterov": ("multiclass", {"solver": "sgd", "learning_rate_init": 0.05, "batch_size": 20}),
    "sgd plain momentum": ("regression", {"solver": "sgd", "nesterovs_momentum": False, "batch_size": 25}),
    "sgd invscaling": ("multiclass", {"solver": "sgd", "learning_rate": "invscaling", "learning_rate_init": 0.2}),
    "sgd adaptive": (
        "multiclass",
        {"solver": "sgd", "learning_rate": "adaptive", "tol": 0.05, "n_iter_no_change": 1, "max_iter": 30},
    ),
    "sgd multi-output": ("multioutput", {"solver": "sgd", "learning_rate_init": 0.01}),
    "adam poisson": ("counts", {"loss": "poisson"}),
    "adam regression early stopping": ("regression", {"early_stopping": True, "max_iter": 20}),
    "lbfgs multiclass": ("multiclass", {"solver": "lbfgs", "max_iter": 20}),
    "lbfgs regression": ("regression", {"solver": "lbfgs", "max_iter": 20}),
    "lbfgs binary": ("binary", {"solver": "lbfgs", "max_iter": 20}),
    "lbfgs poisson": ("counts", {"solver": "lbfgs", "loss": "poisson", "max_iter": 20}),
}


@pytest.mark.parametrize("case", list(PARITY))
def test_float64_fit_follows_sklearn_step_for_step(case):
    kind, settings = PARITY[case]
    X, y, mine, theirs = _fit_both(kind, settings, dtype="float64")
    assert mine.n_iter_ == theirs.n_iter_
    assert mine.t_ == theirs.t_
    assert (mine.n_layers_, mine.n_outputs_, mine.out_activation_) == (
        theirs.n_layers_, theirs.n_outputs_, theirs.out_activation_
    )
    # L-BFGS re-decides its steps from the losses: rounding differences grow a little there.
    rtol = 1e-6 if settings.get("solver") == "lbfgs" else 1e-9
    np.testing.assert_allclose(mine.loss_, theirs.loss_, rtol=rtol)
    if settings.get("solver") != "lbfgs":
        np.testing.assert_allclose(mine.loss_curve_, theirs.loss_curve_, rtol=rtol)
        if settings.get("early_stopping"):
            np.testing.assert_allclose(mine.validation_scores_, theirs.validation_scores_)
            assert mine.best_validation_score_ == pytest.approx(theirs.best_validation_score_)
            assert mine.best_loss_ is None and theirs.best_loss_ is None
        else:
            assert mine.best_loss_ == pytest.approx(theirs.best_loss_, rel=rtol)
            assert mine.validation_scores_ is None and mine.best_validation_score_ is None
    for a, b in zip(mine.coefs_ + mine.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8)
    if isinstance(mine, MLPClassifier):
        np.testing.assert_array_equal(mine.classes_, theirs.classes_)
        np.testing.assert_allclose(mine.predict_proba(X), theirs.predict_proba(X), rtol=1e-6, atol=1e-9)
        np.testing.assert_array_equal(mine.predict(X), theirs.predict(X))
    else:
        np.testing.assert_allclose(mine.predict(X), theirs.predict(X), rtol=1e-6, atol=1e-9)
    assert mine.score(X, y) == pytest.approx(theirs.score(X, y))


@pytest.mark.parametrize("kind", ["multiclass", "multilabel", "regression"])
def test_float64_sample_weight_follows_sklearn(kind):
    _, _, mine, theirs = _fit_both(kind, {"batch_size": 30}, sample_weight=True, dtype="float64")
    np.testing.assert_allclose(mine.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    for a, b in zip(mine.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "case", ["adam multiclass", "sgd nesterov", "lbfgs multiclass", "adam poisson", "adam multilabel"]
)
def test_float32_fit_agrees_with_sklearn_to_float32_rounding(case):
    kind, settings = PARITY[case]
    X, y, mine, theirs = _fit_both(kind, settings, dtype="float32")
    assert mine.coefs_[0].dtype == np.float32
    assert mine.n_iter_ == theirs.n_iter_
    if settings.get("solver") != "lbfgs":
        np.testing.assert_allclose(mine.loss_curve_, theirs.loss_curve_, rtol=1e-4)
    np.testing.assert_allclose(mine.loss_, theirs.loss_, rtol=1e-3)
    assert np.mean(mine.predict(X) == theirs.predict(X)) > 0.97 if kind != "counts" else True
    assert mine.score(X, y) == pytest.approx(theirs.score(X, y), abs=0.02)


@pytest.mark.parametrize(
    "ours, theirs", [(MLPClassifier, reference.MLPClassifier), (MLPRegressor, reference.MLPRegressor)]
)
def test_same_parameters_and_defaults_as_the_installed_sklearn(ours, theirs):
    mine, original = inspect.signature(ours), inspect.signature(theirs)
    for name, parameter in original.parameters.items():
        assert name in mine.parameters, name
        assert mine.parameters[name].default == parameter.default, name
        assert mine.parameters[name].kind == parameter.kind, name
    extras = set(mine.parameters) - set(original.parameters)
    assert extras == ({"dropout", "class_weight", "dtype"} if ours is MLPClassifier else {"dropout", "dtype"})
    assert all(mine.parameters[name].kind == inspect.Parameter.KEYWORD_ONLY for name in extras)
    for method in ("fit", "partial_fit", "predict", "score"):
        assert inspect.signature(getattr(ours, method)) == inspect.signature(getattr(theirs, method)), method


@pytest.mark.parametrize("kind, solver", [("wine", "lbfgs"), ("multiclass", "adam"), ("binary", "adam")])
def test_saturated_log_loss_is_clipped_as_sklearn_reports_it(kind, solver):
    """Unscaled data and a large step saturate the output: scikit-learn clips each probability to
    [ε, 1 − ε] before the log, which caps a sample's loss at 36 nats in float64, and that capped
    loss drives its stopping rules and L-BFGS's line search: the same fit, iteration for iteration.
    (Its logistic loss takes log(1 − p) of a rounded p, off by up to 1e-3 for outputs of 30 or
    more, so the saturated cases compared whole are those where its rounding does not decide.)"""
    if kind == "wine":  # unscaled (proline in the thousands): L-BFGS stops after 2 iterations, at the cap
        X, y = load_wine(return_X_y=True)
        settings = {"hidden_layer_sizes": (30,), "solver": solver, "max_iter": 15, "random_state": 0}
    else:
        X, y = _data(kind)
        X = X * 1000.0
        settings = {"hidden_layer_sizes": (20,), "solver": solver, "max_iter": 15, "random_state": 0, "alpha": 0.0,
                    "learning_rate_init": 0.5}
    mine = MLPClassifier(dtype="float64", **settings).fit(X, y)
    theirs = reference.MLPClassifier(**settings).fit(X, y)
    assert mine.n_iter_ == theirs.n_iter_
    assert mine.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    if solver == "adam":
        np.testing.assert_allclose(mine.loss_curve_, theirs.loss_curve_, rtol=1e-9)


@pytest.mark.parametrize("kind", ["multiclass", "binary", "multilabel"])
@pytest.mark.parametrize("data_dtype", [np.float64, np.float32])
def test_float32_training_clips_the_log_loss_at_the_datas_precision(kind, data_dtype):
    """The loss of a saturated start (one batch, one epoch: the loss at the initial weights) as
    scikit-learn reports it, which clips at the epsilon of the data's precision: 36 nats a sample
    for float64 data, 15.9 for float32, whatever precision deltaprop trains in."""
    X, y = _data(kind)
    X = (X * 1000.0).astype(data_dtype)
    settings = {"hidden_layer_sizes": (20,), "max_iter": 1, "random_state": 0, "alpha": 0.0, "batch_size": len(X)}
    mine = MLPClassifier(dtype="float32", **settings).fit(X, y)
    theirs = reference.MLPClassifier(**settings).fit(X, y)
    cap = -np.log(np.finfo(data_dtype).eps) * (y.shape[1] if y.ndim == 2 else 1)
    assert cap / 3 < theirs.loss_curve_[0] <= cap  # (saturated: the cap counts)
    assert mine.loss_curve_[0] == pytest.approx(theirs.loss_curve_[0], rel=1e-4)


@pytest.mark.parametrize("activation", ["relu", "logistic", "tanh", "identity"])
def test_no_hidden_layer_is_a_linear_model(activation):
    """With no hidden layer the activation still sets the Glorot factor of the start, as in
    scikit-learn (2 for 'logistic', 6 otherwise): the same weights from the same seed."""
    _, _, mine, theirs = _fit_both("multiclass", {"hidden_layer_sizes": (), "activation": activation}, dtype="float64")
    assert mine.n_layers_ == 2 and mine.coefs_[0].shape == (6, 3)
    np.testing.assert_allclose(mine.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    assert mine.to_deltaprop()[0].weight.shape == (3, 6)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_one_feature_and_one_output_follow_sklearn(solver):
    """One input feature and one output: the shapes whose products are outer products
    (ops._core.mm), in training and in prediction, against scikit-learn in float64."""
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, (300, 1))
    y = np.sin(2 * X[:, 0]) + 0.05 * rng.randn(300)
    settings = {"hidden_layer_sizes": (40,), "solver": solver, "max_iter": 30, "random_state": 0}
    mine = MLPRegressor(dtype="float64", **settings).fit(X, y)
    theirs = reference.MLPRegressor(**settings).fit(X, y)
    if solver == "adam":
        np.testing.assert_allclose(mine.loss_curve_, theirs.loss_curve_, rtol=1e-6)
    np.testing.assert_allclose(mine.loss_, theirs.loss_, rtol=1e-6)
    np.testing.assert_allclose(mine.predict(X), theirs.predict(X), rtol=1e-6, atol=1e-9)


def test_warm_start_and_partial_fit_follow_sklearn():
    X, y = _data("multiclass")
    mine, theirs = _pair("multiclass", {"warm_start": True, "max_iter": 4}, dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for estimator in (mine, theirs):
            estimator.fit(X, y)
            estimator.fit(X, y)  # continues from the fitted weights, with a fresh optimizer
            estimator.partial_fit(X[:50], y[:50])
            estimator.partial_fit(X[50:], y[50:])  # keeps the optimizer's state between calls
    np.testing.assert_allclose(mine.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    assert mine.t_ == theirs.t_ and mine.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(mine.predict_proba(X), theirs.predict_proba(X), rtol=1e-7)

    mine, theirs = _pair("regression", {"solver": "sgd", "learning_rate": "invscaling"}, dtype="float64")
    X, y = _data("regression")
    for _ in range(3):
        mine.partial_fit(X, y)
        theirs.partial_fit(X, y)
    np.testing.assert_allclose(mine.loss_curve_, theirs.loss_curve_, rtol=1e-9)


def test_partial_fit_classes_may_exceed_the_batch():
    X, y = _data("multiclass")
    mine, theirs = _pair("multiclass", {}, dtype="float64")
    for estimator in (mine, theirs):
        estimator.partial_fit(X[y != 2], y[y != 2], classes=[0, 1, 2])
    np.testing.assert_array_equal(mine.classes_, [0, 1, 2])
    assert mine.out_activation_ == "softmax" and mine.coefs_[-1].shape == (7, 3)
    np.testing.assert_allclose(mine.loss_curve_, theirs.loss_curve_, rtol=1e-9)


@pytest.mark.parametrize("error, n_outputs", [("softmax", 3), ("logistic", 1), ("logistic", 4), ("squared_error", 2)])
def test_training_objective_records_one_node_per_layer_activation_and_loss(error, n_outputs):
    """Without sample weights a step's graph is linear, relu, linear and one fused loss node: the
    reported (clipped) loss reads the loss's own per-sample terms instead of a second reduction
    (an extra mean node and np.clip there had cost the stochastic fits a fifth of their speed)."""
    from deltaprop.engine import topological_order
    from deltaprop.sklearn._network import Network

    rng = np.random.default_rng(0)
    network = Network([4, 6, n_outputs], ["relu"], error, np.float32)
    network.initialize(np.random.RandomState(0))
    X = rng.standard_normal((10, 4)).astype(np.float32)
    targets = (rng.integers(0, n_outputs, 10) if error == "softmax" else
               rng.integers(0, 2, (10, n_outputs)).astype(np.float32))
    loss, reported = network.error(network.forward(X), targets, None, network.eps)
    expected = ["linear", "relu", "linear"]
    assert [node._op for node in topological_order(loss)][::-1][:3] == expected
    assert len(topological_order(loss)) == (4 if error != "squared_error" else 5)  # (mse's sum, then · 0.5/n)
    assert reported == pytest.approx(float(loss.data) / (n_outputs if error == "squared_error" else 1), rel=1e-6)


def test_loss_is_the_penalised_objective():
    """loss_ = data loss + α/(2n)·Σ‖W‖², recomputed here with NumPy from the fitted attributes."""
    X, y = _data("multiclass")
    alpha = 0.5
    model = MLPClassifier(
        hidden_layer_sizes=(5,), solver="lbfgs", alpha=alpha, max_iter=50, random_state=0, dtype="float64"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    hidden = np.maximum(X @ model.coefs_[0] + model.intercepts_[0], 0)
    z = hidden @ model.coefs_[1] + model.intercepts_[1]
    log_p = z - z.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    data_loss = -log_p[np.arange(len(y)), y].mean()
    penalty = alpha / (2 * len(y)) * sum(np.sum(w**2) for w in model.coefs_)
    assert model.loss_ == pytest.approx(data_loss + penalty, rel=1e-9)
    np.testing.assert_allclose(model.predict_log_proba(X), log_p, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "kind, out_activation, n_outputs",
    [("multiclass", "softmax", 3), ("binary", "logistic", 1), ("multilabel", "logistic", 4),
     ("regression", "identity", 1), ("multioutput", "identity", 2), ("counts", "exp", 1)],
)
def test_output_layer_and_fitted_attributes(kind, out_activation, n_outputs):
    X, y = _data(kind)
    settings = {"hidden_layer_sizes": (6, 4), **({"loss": "poisson"} if kind == "counts" else {})}
    mine, _ = _pair(kind, settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mine.fit(X, y)
    assert mine.out_activation_ == out_activation
    assert mine.n_outputs_ == n_outputs and mine.n_layers_ == 4 and mine.n_features_in_ == X.shape[1]
    assert [c.shape for c in mine.coefs_] == [(X.shape[1], 6), (6, 4), (4, n_outputs)]
    assert [b.shape for b in mine.intercepts_] == [(6,), (4,), (n_outputs,)]
    assert len(mine.loss_curve_) == mine.n_iter_ == 12 and mine.t_ == 12 * len(X)
    prediction = mine.predict(X)
    if isinstance(mine, MLPClassifier):
        probabilities = mine.predict_proba(X)
        if kind == "multilabel":
            assert prediction.shape == y.shape and probabilities.shape == y.shape
        else:
            assert set(np.unique(prediction)) <= set(mine.classes_)
            assert probabilities.shape == (len(X), len(mine.classes_))
            np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
        np.testing.assert_allclose(mine.predict_log_proba(X), np.log(probabilities), rtol=1e-5, atol=1e-6)
    else:
        assert prediction.shape == (y.shape if kind != "counts" else (len(X),))
        if kind == "counts":
            assert (prediction > 0).all()


def test_log_probabilities_stay_finite_where_probabilities_underflow():
    X, y = _data("binary")
    model = MLPClassifier(hidden_layer_sizes=(3,), max_iter=1, random_state=0).fit(X, y)
    model.coefs_[-1][:] *= 1e4  # extreme logits: one class gets probability exp(−huge) = 0
    with np.errstate(divide="ignore"):
        assert np.isinf(np.log(model.predict_proba(X))).any()
    assert np.isfinite(model.predict_log_proba(X)).all()


def test_predictions_use_edited_coefs():
    X, y = _data("regression")
    model = MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    model.intercepts_[-1][:] += 10.0
    model.coefs_[-1][:] = 0.0
    np.testing.assert_allclose(model.predict(X), model.intercepts_[-1][0], rtol=1e-6)


def test_sparse_input_gives_the_dense_result():
    X, y = _data("multiclass")
    X[X < 0.3] = 0.0
    dense = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0, dtype="float64").fit(X, y)
    for container in (sp.csr_matrix, sp.csc_matrix, sp.csr_array):
        model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0, dtype="float64").fit(container(X), y)
        np.testing.assert_allclose(model.loss_curve_, dense.loss_curve_, rtol=1e-10)
        np.testing.assert_allclose(model.predict_proba(container(X)), dense.predict_proba(X), rtol=1e-10)


def test_precision_follows_the_data():
    X, y = _data("regression")
    assert MLPRegressor(max_iter=1).fit(X, y).coefs_[0].dtype == np.float32
    assert MLPRegressor(max_iter=1, dtype="float64").fit(X, y).coefs_[0].dtype == np.float64
    shifted = X.copy()
    shifted[:, 0] = 1e9 + shifted[:, 0]  # a timestamp-like column: float32 would blur it to a few levels
    assert MLPRegressor(max_iter=1).fit(shifted, y).coefs_[0].dtype == np.float64
    assert MLPRegressor(max_iter=1).fit(X, y + 1e9).coefs_[0].dtype == np.float64  # likewise for targets
    huge = X * 1e39  # beyond float32's range
    assert MLPRegressor(max_iter=1, solver="lbfgs").fit(huge, y).coefs_[0].dtype == np.float64
    # lbfgs trains in float64 unless told otherwise, as scikit-learn's does.
    assert MLPRegressor(max_iter=1, solver="lbfgs").fit(X, y).coefs_[0].dtype == np.float64
    assert MLPRegressor(max_iter=1, solver="lbfgs", dtype="float32").fit(X, y).coefs_[0].dtype == np.float32
    # Predictions come in the wider of the data's and the model's precision (NumPy's promotion).
    model = MLPRegressor(max_iter=1).fit(X, y)
    assert model.predict(X).dtype == np.float64
    assert model.predict(X.astype(np.float32)).dtype == np.float32
    wide = MLPRegressor(max_iter=1, dtype="float64").fit(X, y)
    assert wide.predict(X.astype(np.float32)).dtype == np.float64
    np.testing.assert_allclose(wide.predict(X.astype(np.float32)), wide.predict(X.astype(np.float32).astype(np.float64)),
                               rtol=1e-12)
    X, y = _data("multiclass")
    classifier = MLPClassifier(max_iter=1).fit(X, y)
    assert classifier.predict_proba(X).dtype == np.float64
    assert classifier.predict_proba(X.astype(np.float32)).dtype == np.float32
    wide = MLPClassifier(max_iter=1, dtype="float64").fit(X, y)
    assert wide.predict_proba(sp.csr_matrix(X.astype(np.float32))).dtype == np.float64


def test_default_lbfgs_does_not_stop_early_on_float32_rounding():
    # Iris, 10 hidden units, seed 0: in float32 L-BFGS-B's relative-decrease test (2.2e-9) met the
    # loss's rounding after 31 iterations, at a loss of 0.037 with no warning; scikit-learn goes on
    # to 81 iterations and 0.030. The default (float64 for lbfgs) follows scikit-learn.
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    settings = dict(hidden_layer_sizes=(10,), solver="lbfgs", random_state=0, max_iter=2000)
    mine = MLPClassifier(**settings).fit(X, y)
    theirs = reference.MLPClassifier(**settings).fit(X, y)
    assert mine.n_iter_ == theirs.n_iter_
    assert mine.loss_ == pytest.approx(theirs.loss_, rel=1e-6)


def test_convergence_warnings():
    X, y = _data("multiclass")
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(3\\) reached"):
        MLPClassifier(max_iter=3, random_state=0).fit(X, y)
    # The leading words are scikit-learn's: filters and pytest.warns(match=...) written for it still match.
    for estimator in (MLPClassifier, reference.MLPClassifier):
        with pytest.warns(ConvergenceWarning, match=r"^lbfgs failed to converge after 2 iteration\(s\) \(status=1\)"):
            estimator(solver="lbfgs", max_iter=2, random_state=0).fit(X, y)
    with pytest.warns(UserWarning, match="batch_size"):
        MLPClassifier(batch_size=1000, max_iter=1).fit(X, y)
    with pytest.warns(DataConversionWarning):
        MLPRegressor(max_iter=1).fit(X, y.reshape(-1, 1).astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        MLPClassifier(max_iter=50, tol=10.0, n_iter_no_change=1, random_state=0).fit(X, y)  # stops early: no warning


def test_verbose_reports_every_epoch(capsys):
    X, y = _data("multiclass")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier(max_iter=2, verbose=True, early_stopping=True).fit(X, y)
        MLPClassifier(solver="lbfgs", max_iter=2, verbose=True).fit(X, y)
        adaptive = {"learning_rate": "adaptive", "tol": 10.0, "n_iter_no_change": 1}
        MLPClassifier(solver="sgd", max_iter=4, verbose=True, **adaptive).fit(X, y)
    out = capsys.readouterr().out
    assert out.count("Iteration 1, loss = ") == 3
    assert "Validation score: " in out
    assert "learning rate divided by 5, to 0.0002." in out


@pytest.mark.parametrize(
    "settings",
    [
        {"solver": "newton"}, {"alpha": -1.0}, {"hidden_layer_sizes": (4, 0)}, {"hidden_layer_sizes": (4, "a")},
        {"activation": "softplus"}, {"activation": ["relu", "tanh"]}, {"activation": ["swish"]},
        {"batch_size": 0}, {"learning_rate": "cyclic"}, {"momentum": 1.5}, {"validation_fraction": 1.0},
        {"n_iter_no_change": 0}, {"dropout": 1.0}, {"dtype": "float16"}, {"class_weight": "even"},
        {"dropout": 0.5, "solver": "lbfgs"},
    ],
)
def test_invalid_parameters_raise_sklearn_error(settings):
    X, y = _data("multiclass")
    with pytest.raises(InvalidParameterError):
        MLPClassifier(**{"hidden_layer_sizes": (4,), **settings}).fit(X, y)


def test_parameter_validation_follows_sklearns_config():
    # Under config_context(skip_parameter_validation=True) scikit-learn's own fit skips the checks;
    # so does ours (alpha=-1 then fits, as it does in scikit-learn).
    from sklearn import config_context

    X, y = _data("multiclass")
    with config_context(skip_parameter_validation=True):
        for estimator in (MLPClassifier, reference.MLPClassifier):
            estimator(hidden_layer_sizes=(4,), alpha=-1.0, max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(InvalidParameterError, match="alpha"):
        MLPClassifier(hidden_layer_sizes=(4,), alpha=-1.0, max_iter=2).fit(X, y)
    assert MLPClassifier().loss == reference.MLPClassifier().loss == "log_loss"


def test_invalid_regression_loss():
    with pytest.raises(InvalidParameterError, match="loss"):
        MLPRegressor(loss="hinge").fit(*_data("regression"))


def test_usage_errors():
    X, y = _data("multiclass")
    with pytest.raises(ValueError, match="classes must be passed"):
        MLPClassifier().partial_fit(X, y)
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    model = MLPClassifier(max_iter=1).partial_fit(X[y < 2], y[y < 2], classes=[0, 1])
    with pytest.raises(ValueError, match="classes"):
        model.partial_fit(X, y)
    with pytest.raises(ValueError, match="classes"):
        model.partial_fit(X, y, classes=[0, 1, 2])
    warm = MLPClassifier(max_iter=1, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="warm_start"):
        warm.fit(X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match="validation set"):
        MLPClassifier(early_stopping=True, validation_fraction=0.01).fit(X[:20], y[:20])
    with pytest.raises(ValueError, match="weight"):
        MLPClassifier().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="partial_fit"):
        MLPClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="non-negative"):
        MLPRegressor(loss="poisson").fit(X, y - 1.0)
    with pytest.raises(ValueError, match="non-finite"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            MLPRegressor(solver="sgd", learning_rate_init=10.0, max_iter=20).fit(X * 1e3, y * 1e3)
    with pytest.raises(ValueError, match="shapes"):
        MLPClassifier(max_iter=1, warm_start=True).fit(X, y).set_params(hidden_layer_sizes=(3,)).fit(X, y)


def test_feature_names_are_recorded():
    pd = pytest.importorskip("pandas", reason="feature names come from data frames")
    X, y = _data("multiclass")
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = MLPClassifier(max_iter=2).fit(frame, y)
    np.testing.assert_array_equal(model.feature_names_in_, frame.columns)
