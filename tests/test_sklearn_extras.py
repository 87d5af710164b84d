"""What deltaprop.sklearn adds to scikit-learn's MLPs, and the pieces it is built from.

Dropout, class weights, per-layer activations, regression losses, the AdamW and RMSprop solvers,
``to_deltaprop()``; then the building blocks: the sparse first layer (finite differences), and the
scikit-learn-form SGD and Adam steps against scikit-learn's own optimizer objects.
"""

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="deltaprop.sklearn needs the optional scikit-learn extra")

import scipy.sparse as sp  # noqa: E402
from sklearn.datasets import load_iris, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.class_weight import compute_sample_weight  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.errors import ConfigError  # noqa: E402
from deltaprop.nn.module import Parameter  # noqa: E402
from deltaprop.sklearn import MLPClassifier, MLPRegressor  # noqa: E402
from deltaprop.sklearn._network import sparse_linear  # noqa: E402
from deltaprop.sklearn._optimizers import SklearnAdam, SklearnSGD  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=120, n_features=4, noise=0.5, random_state=0)
    return X, y / y.std()


# -- dropout -------------------------------------------------------------------------------------------


def test_dropout_is_reproducible_and_changes_training(iris):
    X, y = iris
    settings = {"hidden_layer_sizes": (32,), "max_iter": 100, "learning_rate_init": 0.01, "random_state": 0}
    first = MLPClassifier(dropout=0.3, **settings).fit(X, y)
    again = MLPClassifier(dropout=0.3, **settings).fit(X, y)
    plain = MLPClassifier(**settings).fit(X, y)
    np.testing.assert_array_equal(first.loss_curve_, again.loss_curve_)
    assert not np.allclose(first.loss_curve_[:10], plain.loss_curve_[:10])
    assert first.loss_curve_[-1] < 0.5 * first.loss_curve_[0]
    # Predictions are deterministic: dropout acts in training only.
    np.testing.assert_array_equal(first.predict_proba(X), first.predict_proba(X))
    assert first.score(X, y) > 0.85


def test_dropout_masks_keep_the_expected_activation():
    model = MLPClassifier(dropout=0.25)

    class Network:
        layer_units = [3, 500, 400, 2]
        theta = np.zeros(1, dtype=np.float32)

    masks = model._dropout_masks(np.random.default_rng(0), 200, Network)
    assert [m.shape for m in masks] == [(200, 500), (200, 400)]
    assert all(m.dtype == np.float32 for m in masks)
    values = np.unique(np.concatenate([m.ravel() for m in masks]))
    np.testing.assert_allclose(values, [0.0, 1 / 0.75])
    assert np.mean(masks[0] == 0) == pytest.approx(0.25, abs=0.01)
    assert masks[0].mean() == pytest.approx(1.0, abs=0.02)


# -- class weights -------------------------------------------------------------------------------------


@pytest.mark.parametrize("class_weight", ["balanced", {0: 3.0, 2: 0.5}])
def test_class_weight_is_a_sample_weight_per_class(iris, class_weight):
    X, y = iris
    settings = {"hidden_layer_sizes": (6,), "max_iter": 10, "random_state": 0, "dtype": "float64"}
    weighted = MLPClassifier(class_weight=class_weight, **settings).fit(X, y)
    expected = compute_sample_weight(class_weight, y) if class_weight == "balanced" else np.select(
        [y == 0, y == 2], [3.0, 0.5], 1.0
    )
    reference = MLPClassifier(**settings).fit(X, y, sample_weight=expected)
    np.testing.assert_allclose(weighted.loss_curve_, reference.loss_curve_, rtol=1e-12)
    # Both together multiply.
    both = MLPClassifier(class_weight=class_weight, **settings).fit(X, y, sample_weight=np.full(len(y), 2.0))
    product = MLPClassifier(**settings).fit(X, y, sample_weight=2.0 * expected)
    np.testing.assert_allclose(both.loss_curve_, product.loss_curve_, rtol=1e-12)


def test_balanced_class_weight_helps_a_rare_class(iris):
    X, y = iris
    keep = np.r_[np.flatnonzero(y != 2), np.flatnonzero(y == 2)[:8]]  # class 2 becomes rare
    X, y = X[keep], y[keep]
    settings = {"hidden_layer_sizes": (8,), "max_iter": 60, "random_state": 0, "learning_rate_init": 0.01}
    plain = MLPClassifier(**settings).fit(X, y)
    balanced = MLPClassifier(class_weight="balanced", **settings).fit(X, y)
    rare = y == 2
    assert balanced.predict_proba(X)[rare, 2].mean() > plain.predict_proba(X)[rare, 2].mean()


# -- activations ---------------------------------------------------------------------------------------


def test_one_activation_per_layer(iris):
    X, y = iris
    settings = {"hidden_layer_sizes": (6, 5), "max_iter": 8, "random_state": 0, "dtype": "float64"}
    same = MLPClassifier(activation=["tanh", "tanh"], **settings).fit(X, y)
    single = MLPClassifier(activation="tanh", **settings).fit(X, y)
    np.testing.assert_array_equal(same.loss_curve_, single.loss_curve_)
    mixed = MLPClassifier(activation=["gelu", "leaky_relu"], **settings).fit(X, y)
    assert not np.allclose(mixed.loss_curve_, single.loss_curve_)
    module = mixed.to_deltaprop()
    assert [type(layer).__name__ for layer in module] == ["Linear", "GELU", "Linear", "LeakyReLU", "Linear"]


@pytest.mark.parametrize("activation", ["leaky_relu", "gelu"])
def test_new_activations_learn(iris, activation):
    X, y = iris
    model = MLPClassifier(hidden_layer_sizes=(16,), activation=activation, learning_rate_init=0.01, max_iter=200,
                          random_state=0).fit(X, y)
    assert model.score(X, y) > 0.95


# -- regression losses ---------------------------------------------------------------------------------


def _reported_loss(loss, y, prediction):
    """Each loss as documented: averaged over samples, summed over outputs (squared: averaged)."""
    d = y - prediction
    if loss == "squared_error":
        return 0.5 * np.mean(d**2)
    if loss == "absolute_error":
        return np.mean(np.abs(d))
    if loss == "huber":
        return np.mean(np.where(np.abs(d) <= 1, 0.5 * d**2, np.abs(d) - 0.5))
    return np.mean(prediction - y * np.log(prediction) + np.where(y > 0, y * np.log(np.where(y > 0, y, 1)), 0) - y)


@pytest.mark.parametrize("loss", ["squared_error", "absolute_error", "huber", "poisson"])
def test_regression_losses_report_their_definition(regression, loss):
    X, y = regression
    if loss == "poisson":
        y = np.round(np.exp(y / 2))
    model = MLPRegressor(loss=loss, hidden_layer_sizes=(8,), solver="lbfgs", alpha=0.0, max_iter=60,
                         random_state=0, dtype="float64").fit(X, y)
    assert model.loss_ == pytest.approx(_reported_loss(loss, y, model.predict(X)), rel=1e-8)
    assert model.out_activation_ == ("exp" if loss == "poisson" else "identity")
    assert model.score(X, y) > 0.7


def test_robust_losses_resist_outliers(regression):
    X, y = regression
    corrupted = y.copy()
    corrupted[::10] += 30.0  # every tenth target is wildly off
    clean = np.arange(len(y)) % 10 != 0
    errors = {}
    for loss in ("squared_error", "absolute_error", "huber"):
        model = MLPRegressor(loss=loss, hidden_layer_sizes=(16,), solver="lbfgs", max_iter=200, random_state=0)
        errors[loss] = np.median(np.abs(model.fit(X, corrupted).predict(X)[clean] - y[clean]))
    assert errors["absolute_error"] < errors["squared_error"]
    assert errors["huber"] < errors["squared_error"]


# -- solvers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["adamw", "rmsprop"])
def test_extra_solvers_learn(iris, solver):
    X, y = iris
    model = MLPClassifier(hidden_layer_sizes=(16,), solver=solver, learning_rate_init=0.01, max_iter=200,
                          random_state=0).fit(X, y)
    assert model.score(X, y) > 0.95
    assert model.loss_curve_[-1] < 0.5 * model.loss_curve_[0]
    # partial_fit resumes the optimizer, whose state survives in the estimator.
    loss_before = model.loss_
    model.partial_fit(X, y)
    assert model.loss_ == pytest.approx(loss_before, rel=0.2)


def test_adamw_decays_weights_but_not_biases(regression):
    X, y = regression
    settings = {"hidden_layer_sizes": (8,), "solver": "adamw", "max_iter": 50, "random_state": 0}
    free = MLPRegressor(alpha=0.0, **settings).fit(X, y)
    decayed = MLPRegressor(alpha=5.0, **settings).fit(X, y)
    assert sum(np.sum(w**2) for w in decayed.coefs_) < 0.8 * sum(np.sum(w**2) for w in free.coefs_)
    # With no data gradient at all, one AdamW step shrinks weights by (1 − γλ) and leaves biases alone.
    theta = np.array([1.0, 2.0, 3.0, 4.0])
    grad = np.zeros(4)
    from deltaprop.sklearn._optimizers import make_optimizer

    optimizer = make_optimizer("adamw", theta, grad, 3, MLPRegressor(solver="adamw", alpha=0.5, learning_rate_init=0.1))
    optimizer.step()
    np.testing.assert_allclose(theta, [0.95, 1.9, 2.85, 4.0])


# -- to_deltaprop --------------------------------------------------------------------------------------


def test_to_deltaprop_classifier(iris):
    X, y = iris
    model = MLPClassifier(hidden_layer_sizes=(10, 6), dropout=0.1, max_iter=50, random_state=0).fit(X, y)
    module = model.to_deltaprop()
    assert isinstance(module, nn.Sequential) and not module.training
    linears = [layer for layer in module if isinstance(layer, nn.Linear)]
    assert len([layer for layer in module if isinstance(layer, nn.Dropout)]) == 2
    for linear, coef, intercept in zip(linears, model.coefs_, model.intercepts_):
        np.testing.assert_array_equal(linear.weight.data, coef.T)  # (out, in) in deltaprop
        np.testing.assert_array_equal(linear.bias.data, intercept)
    logits = module(dp.tensor(X, dtype=dp.float32))
    np.testing.assert_allclose(dp.log_softmax(logits, 1).data, model.predict_log_proba(X), atol=1e-5)
    probabilities = model.to_deltaprop(output_activation=True)(dp.tensor(X, dtype=dp.float32))
    np.testing.assert_allclose(probabilities.data, model.predict_proba(X), atol=1e-6)
    # A copy: training the module further leaves the estimator alone.
    linears[0].weight.data[...] = 0.0
    assert np.abs(model.coefs_[0]).sum() > 0


def test_to_deltaprop_binary_and_regressor(regression):
    X, y = regression
    binary = MLPClassifier(hidden_layer_sizes=(5,), max_iter=20, random_state=0).fit(X, y > 0)
    probabilities = binary.to_deltaprop(output_activation=True)(dp.tensor(X, dtype=dp.float32)).data
    np.testing.assert_allclose(probabilities[:, 0], binary.predict_proba(X)[:, 1], atol=1e-6)
    regressor = MLPRegressor(hidden_layer_sizes=(5,), max_iter=20, random_state=0).fit(X, y)
    out = regressor.to_deltaprop()(dp.tensor(X, dtype=dp.float32)).data
    np.testing.assert_allclose(out[:, 0], regressor.predict(X), rtol=1e-5, atol=1e-5)
    counts = MLPRegressor(loss="poisson", hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X, np.abs(y))
    with pytest.raises(ConfigError, match="exp"):
        counts.to_deltaprop(output_activation=True)
    np.testing.assert_allclose(np.exp(counts.to_deltaprop()(dp.tensor(X, dtype=dp.float32)).data[:, 0]),
                               counts.predict(X), rtol=1e-5)


def test_to_deltaprop_needs_a_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        MLPClassifier().to_deltaprop()


# -- building blocks -----------------------------------------------------------------------------------


def test_sparse_first_layer_gradients():
    rng = np.random.default_rng(0)
    dense = rng.normal(size=(6, 5)) * (rng.random((6, 5)) < 0.5)
    x = sp.csr_matrix(dense)
    weight = dp.tensor(rng.normal(size=(3, 5)), dtype=dp.float64, requires_grad=True)
    bias = dp.tensor(rng.normal(size=3), dtype=dp.float64, requires_grad=True)
    assert dp.gradcheck(lambda w, b: sparse_linear(x, w, b), [weight, bias])
    np.testing.assert_allclose(sparse_linear(x, weight, bias).data, dense @ weight.data.T + bias.data)


def _steps(ours, theirs, theta, sklearn_params, n_steps=4):
    rng = np.random.default_rng(1)
    for _ in range(n_steps):
        g = rng.normal(size=theta.shape)
        ours.param_groups[0]["params"][0].grad = g.copy()
        ours.step()
        theirs.update_params(sklearn_params, [g.copy()])
    return theta, sklearn_params[0]


@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_step_is_sklearns(nesterov):
    theta = np.linspace(-1, 1, 7)
    ours = SklearnSGD([Parameter(theta)], lr=0.1, momentum=0.8, nesterov=nesterov)
    params = [theta.copy()]
    theirs = SGDOptimizer(params, learning_rate_init=0.1, momentum=0.8, nesterov=nesterov)
    a, b = _steps(ours, theirs, theta, params)
    np.testing.assert_allclose(a, b, rtol=1e-14)
    # Changing the rate mid-way (learning_rate='adaptive') keeps the old velocity in both.
    ours.param_groups[0]["lr"] = theirs.learning_rate = 0.02
    a, b = _steps(ours, theirs, theta, params)
    np.testing.assert_allclose(a, b, rtol=1e-14)


def test_adam_step_is_sklearns():
    theta = np.linspace(-1, 1, 7)
    ours = SklearnAdam([Parameter(theta)], lr=0.01, betas=(0.8, 0.99), eps=1e-3)
    params = [theta.copy()]
    theirs = AdamOptimizer(params, learning_rate_init=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-3)
    a, b = _steps(ours, theirs, theta, params, n_steps=6)
    np.testing.assert_allclose(a, b, rtol=1e-13)
    state = ours.state_dict()["state"][0]
    assert state["step"] == 6
    np.testing.assert_allclose(state["exp_avg"], theirs.ms[0], rtol=1e-13)
    np.testing.assert_allclose(state["exp_avg_sq"], theirs.vs[0], rtol=1e-13)


def test_convergence_warning_category_is_sklearns(iris):
    X, y = iris
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MLPClassifier(max_iter=2).fit(X, y)
    assert any(issubclass(w.category, ConvergenceWarning) for w in caught)
