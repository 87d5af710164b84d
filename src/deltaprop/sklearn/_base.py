"""What MLPClassifier and MLPRegressor share: parameters, validation and the two training loops.

The semantics are scikit-learn's (``sklearn.neural_network``), step for step: the same Glorot
start drawn from the same random stream, the same shuffles, mini-batches, learning-rate schedules
and stopping rule, the same penalised loss in ``loss_curve_``. A fit here therefore follows the
path of the same fit in scikit-learn; it differs in precision (float32 unless the data needs
float64, see ``dtype``) and in speed.
"""

from __future__ import annotations

import functools
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn import config_context, get_config
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .. import nn
from ..errors import ConfigError
from ._lbfgs import fit_lbfgs
from ._network import ACTIVATIONS, Network, predict_raw
from ._optimizers import make_optimizer

STOCHASTIC_SOLVERS = ("sgd", "adam", "adamw", "rmsprop")

# float32 keeps 24 significant bits: values of magnitude m lie m·2⁻²³ apart. A float64 column whose
# whole range spans fewer than this many of those steps would be blurred into a few levels.
_FLOAT32_LEVELS = 1000


def needs_float64(*arrays) -> bool:
    """Whether float64 data would lose its meaning in float32.

    True when a value lies beyond float32's range (overflow, or a non-zero magnitude below its
    smallest normal number), or a column varies too little for its magnitude: timestamps in
    nanoseconds, prices with a large offset. float32 input is float32-meaningful by definition.
    """
    info = np.finfo(np.float32)
    for a in arrays:
        if a is None or a.dtype != np.float64 or min(a.shape, default=0) == 0:
            continue
        if sp.issparse(a):
            low = a.min(axis=0).toarray().ravel()
            high = a.max(axis=0).toarray().ravel()
        else:
            a = a.reshape(len(a), -1)
            low, high = a.min(axis=0), a.max(axis=0)
        magnitude = np.maximum(np.abs(low), np.abs(high))
        spread = high - low
        if np.any(magnitude > info.max) or np.any((magnitude > 0) & (magnitude < info.tiny)):
            return True
        if np.any((spread > 0) & (spread < magnitude * (2.0**-23 * _FLOAT32_LEVELS))):
            return True
    return False


def fit_context(method):
    """Run a fitting method as scikit-learn runs its own: parameters validated first, except under
    ``sklearn.config_context(skip_parameter_validation=True)`` or on a ``partial_fit`` of a fitted
    estimator, and the tools it calls (``train_test_split``) not validating theirs again."""

    @functools.wraps(method)
    def fitting(estimator, *args, **kwargs):
        skip = get_config()["skip_parameter_validation"]
        if not skip and not (method.__name__ == "partial_fit" and hasattr(estimator, "coefs_")):
            estimator._validate_params()
        with config_context(skip_parameter_validation=True):
            return method(estimator, *args, **kwargs)

    return fitting


class BaseMLP(BaseEstimator):
    """The multi-layer perceptron estimators' shared machinery (use the subclasses)."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS)), list, tuple],
        "solver": [StrOptions({"lbfgs", *STOCHASTIC_SOLVERS})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "dtype": [StrOptions({"auto", "float32", "float64"})],
    }

    # -- subclass hooks ----------------------------------------------------------------------------

    def _validate_input(self, X, y, incremental: bool, reset: bool):
        """(X, Y, y): validated data, the target as a 2-D array, and the target to score against."""
        raise NotImplementedError

    def _output_activation(self) -> str:
        raise NotImplementedError

    def _error_name(self) -> str:
        raise NotImplementedError

    def _score(self, X, y, sample_weight) -> float:
        """The early-stopping score (accuracy or R²) of already validated data."""
        raise NotImplementedError

    def _stratify(self, Y):
        return None

    def _sample_weight(self, sample_weight, X, y, incremental: bool):
        return None if sample_weight is None else _check_sample_weight(sample_weight, X, dtype=np.float64)

    def _regression_targets(self, Y):
        """The targets whose precision decides ``dtype='auto'`` (regression only)."""
        return None

    # -- architecture ------------------------------------------------------------------------------

    def _hidden_sizes(self) -> list:
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        for size in sizes:
            if isinstance(size, (bool, np.bool_)) or not isinstance(size, Integral) or size <= 0:
                raise InvalidParameterError(
                    f"The 'hidden_layer_sizes' parameter of {type(self).__name__} must hold positive integers, "
                    f"got {self.hidden_layer_sizes!r}."
                )
        return [int(size) for size in sizes]

    def _activation_names(self, n_hidden: int) -> list:
        """One activation name per hidden layer."""
        activation = self.activation
        if isinstance(activation, str):
            return [activation] * n_hidden
        names = list(activation)
        unknown = [name for name in names if not isinstance(name, str) or name not in ACTIVATIONS]
        if unknown or len(names) != n_hidden:
            problem = (
                f"names unknown activations {unknown!r} (known: {', '.join(sorted(ACTIVATIONS))})"
                if unknown
                else f"has {len(names)} entries for {n_hidden} hidden layers"
            )
            raise InvalidParameterError(f"The 'activation' parameter of {type(self).__name__} {problem}.")
        return names

    # -- fitting -----------------------------------------------------------------------------------

    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden = self._hidden_sizes()
        activations = self._activation_names(len(hidden))
        if self.dropout and self.solver == "lbfgs":
            raise InvalidParameterError(
                f"{type(self).__name__}: dropout={self.dropout} needs a stochastic solver; with solver='lbfgs' "
                f"the objective must not change between evaluations."
            )
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, Y, y_score = self._validate_input(X, y, incremental, reset=first_pass)
        sample_weight = self._sample_weight(sample_weight, X, y_score, incremental)
        layer_units = [X.shape[1], *hidden, Y.shape[1]]
        self._random_state = check_random_state(self.random_state)

        if first_pass:
            self._initialize(Y, layer_units, activations, X)
        # Continued training (warm_start, partial_fit) uses the activations asked for now, as in
        # scikit-learn; prediction uses those of the last fit.
        self._hidden_activations = activations
        network = self._network(layer_units)
        dtype = network.theta.dtype
        # scikit-learn computes in the precision of the data and its weights (float64 data with
        # float32 weights: float64), and clips its reported log-loss to that precision's epsilon
        network.eps = float(np.finfo(np.result_type(X.dtype, dtype)).eps)
        X = X.tocsr().astype(dtype, copy=False) if sp.issparse(X) else np.asarray(X, dtype=dtype)
        targets = Y.argmax(axis=1) if self.out_activation_ == "softmax" else np.asarray(Y, dtype=dtype)
        if sample_weight is not None:
            sample_weight = sample_weight.astype(dtype)

        if self.solver == "lbfgs":
            self._fit_lbfgs(network, X, targets, sample_weight)
        else:
            self._fit_stochastic(network, X, targets, Y, y_score, sample_weight, incremental)

        if not np.isfinite(network.theta).all():
            raise ValueError(
                f"{type(self).__name__}: the {self.solver} solver produced non-finite weights; the input data "
                f"may hold large values that need scaling (e.g. with sklearn.preprocessing.StandardScaler)."
            )
        # Copies in scikit-learn's layout (C-ordered (n_in, n_out) arrays): later fits rebuild their
        # network from these attributes, so nothing needs to share memory with it.
        self.coefs_ = [np.ascontiguousarray(coef) for coef in network.coefs()]
        self.intercepts_ = [intercept.copy() for intercept in network.intercepts()]
        return self

    def _initialize(self, Y, layer_units, activations, X) -> None:
        """Set up a fresh fit: the attributes scikit-learn sets, and the starting weights."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._output_activation()
        if self.dtype == "auto":
            # 'lbfgs' trains in float64 as scikit-learn's does (SciPy hands it float64 parameters):
            # L-BFGS-B's stopping test on the loss (a relative decrease below 2.2e-9) lies under
            # float32's rounding, which could end a float32 search early, at a higher loss, with no warning.
            wide = self.solver == "lbfgs" or needs_float64(X, self._regression_targets(Y))
            dtype = np.float64 if wide else np.float32
        else:
            dtype = np.dtype(self.dtype).type
        network = Network(layer_units, activations, self._error_name(), dtype)
        network.initialize(self._random_state, self.activation if isinstance(self.activation, str) else None)
        self.coefs_, self.intercepts_ = network.coefs(), network.intercepts()
        self._best_theta = network.theta.copy()
        self._optimizer_state = None
        if self.solver in STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _network(self, layer_units) -> Network:
        """A network holding the current ``coefs_`` and ``intercepts_`` (fitted or just drawn)."""
        shapes = [np.shape(coef) for coef in self.coefs_]
        expected = list(zip(layer_units[:-1], layer_units[1:]))
        if shapes != expected:
            raise ValueError(
                f"{type(self).__name__}: the fitted layers have shapes {shapes}, but this fit needs {expected}; "
                f"hidden_layer_sizes and the number of features and outputs must stay the same to continue "
                f"training (warm_start or partial_fit)."
            )
        dtype = np.result_type(*self.coefs_)
        network = Network(layer_units, self._hidden_activations, self._error_name(), dtype)
        network.load(self.coefs_, self.intercepts_)
        return network

    def _fit_lbfgs(self, network, X, targets, sample_weight) -> None:
        weights, n_effective = _normalized(sample_weight, X.shape[0])
        # L-BFGS gets the reported loss, as from scikit-learn, beside the objective's gradient. The
        # two differ by a constant for the Poisson loss (y·log y − y, which still matters to the
        # relative stopping test), by the clipping of the log-losses where the output saturates,
        # and for the squared error of several outputs by the factor 1/outputs (scikit-learn
        # reports the mean over the outputs while its gradient is that of their sum): its line
        # search works with those numbers, and so does this one, so that the fits are the same.

        def objective():
            return network.loss_and_grad(X, targets, weights, self.alpha, n_effective)[1]

        self.n_iter_, self.loss_ = fit_lbfgs(
            network, objective, max_iter=self.max_iter, max_fun=self.max_fun, tol=self.tol, verbose=self.verbose
        )

    def _fit_stochastic(self, network, X, targets, Y, y_score, sample_weight, incremental) -> None:
        optimizer = make_optimizer(self.solver, network.theta, network.grad, network.n_weights, self)
        if incremental and self._optimizer_state is not None and self._optimizer_state[0] == self.solver:
            optimizer.load_state_dict(self._optimizer_state[1])
        if self.early_stopping and incremental:
            raise ValueError(f"{type(self).__name__}: partial_fit does not support early_stopping=True.")

        n = X.shape[0]
        if self.early_stopping:
            train, validation = train_test_split(
                np.arange(n), random_state=self._random_state, test_size=self.validation_fraction,
                stratify=self._stratify(Y),
            )
            if len(validation) < 2:
                raise ValueError(
                    f"{type(self).__name__}: the validation set holds {len(validation)} sample(s); early stopping "
                    f"needs at least 2, so raise validation_fraction (now {self.validation_fraction}) or add data."
                )
            X_val, y_val = X[validation], y_score[validation]
            sw_val = None if sample_weight is None else sample_weight[validation]
            X, targets = X[train], targets[train]
            sample_weight = None if sample_weight is None else sample_weight[train]
            n = len(train)
        else:
            X_val = y_val = sw_val = None

        if self.batch_size == "auto":
            batch_size = min(200, n)
        else:
            if self.batch_size > n:
                warnings.warn(
                    f"batch_size={self.batch_size} exceeds the {n} training samples; batches of {n} are used."
                )
            batch_size = int(np.clip(self.batch_size, 1, n))

        dropout_rng = None
        if self.dropout:
            # Drawn only when dropout is on, so the shuffles otherwise match scikit-learn's.
            dropout_rng = np.random.default_rng(self._random_state.randint(np.iinfo(np.int32).max))
        l2_gradient = self.solver != "adamw"
        order = np.arange(n)
        try:
            self.n_iter_ = 0
            for _ in range(self.max_iter):
                if self.shuffle:
                    self._random_state.shuffle(order)
                accumulated = 0.0
                for start in range(0, n, batch_size):
                    rows = order[start : start + batch_size] if self.shuffle else slice(start, start + batch_size)
                    xb = X[rows]
                    count = xb.shape[0]
                    weights, n_effective = _normalized(None if sample_weight is None else sample_weight[rows], count)
                    if n_effective == 0:
                        continue  # every sample of the batch has weight 0: nothing to learn from
                    masks = self._dropout_masks(dropout_rng, count, network) if dropout_rng is not None else ()
                    _, loss = network.loss_and_grad(
                        xb, targets[rows], weights, self.alpha, n_effective, l2_gradient, masks
                    )
                    accumulated += loss * count
                    optimizer.step()

                self.n_iter_ += 1
                self.loss_ = accumulated / n
                self.t_ += n
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
                self._update_no_improvement_count(network, X_val, y_val, sw_val)
                if self.solver == "sgd" and self.learning_rate == "invscaling":
                    _set_lr(optimizer, self.learning_rate_init / (self.t_ + 1) ** self.power_t)
                if self._no_improvement_count > self.n_iter_no_change:
                    if self._stop_or_slow_down(optimizer):
                        break
                    self._no_improvement_count = 0
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the optimization "
                        f"hasn't converged yet.",
                        ConvergenceWarning,
                    )
        except KeyboardInterrupt:
            warnings.warn("Training was interrupted (KeyboardInterrupt); the weights reached so far are kept.")

        if self.early_stopping:
            network.theta[...] = self._best_theta  # the weights of the best validation score
        self._optimizer_state = (self.solver, optimizer.state_dict())

    def _dropout_masks(self, rng, count, network) -> list:
        keep = 1.0 - self.dropout
        dtype = network.theta.dtype
        masks = []
        for width in network.layer_units[1:-1]:
            mask = rng.random((count, width), dtype=np.float32) < keep
            masks.append(mask.astype(dtype) * dtype.type(1.0 / keep))
        return masks

    def _update_no_improvement_count(self, network, X_val, y_val, sw_val) -> None:
        """scikit-learn's stopping rule: count the epochs that miss the best value by ``tol``."""
        if self.early_stopping:
            self.coefs_, self.intercepts_ = network.coefs(), network.intercepts()
            score = self._score(X_val, y_val, sw_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_theta = network.theta.copy()
        else:
            loss = self.loss_curve_[-1]
            if loss > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if loss < self.best_loss_:
                self.best_loss_ = loss

    def _stop_or_slow_down(self, optimizer) -> bool:
        """After ``n_iter_no_change`` epochs without progress: stop, or with learning_rate='adaptive'
        (sgd only) divide the learning rate by 5 and go on until it falls to 1e-6."""
        what = "validation score" if self.early_stopping else "training loss"
        message = f"The {what} gained less than tol={self.tol:g} in {self.n_iter_no_change} epochs in a row:"
        if self.solver != "sgd" or self.learning_rate != "adaptive":
            if self.verbose:
                print(message, "stopping.")
            return True
        lr = optimizer.param_groups[0]["lr"]
        if lr <= 1e-6:
            if self.verbose:
                print(message, "the learning rate is already at its floor, stopping.")
            return True
        _set_lr(optimizer, lr / 5.0)
        if self.verbose:
            print(message, f"learning rate divided by 5, to {lr / 5.0:g}.")
        return False

    # -- prediction --------------------------------------------------------------------------------

    def _raw_output(self, X, check_input: bool = True) -> np.ndarray:
        """z for ``X``, before the output activation, in the wider of the input's and the model's precision."""
        check_is_fitted(self)
        if check_input:
            X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32), reset=False)
        dtype = np.result_type(X.dtype, self.coefs_[0].dtype)
        if not sp.issparse(X):
            X = X.astype(dtype, copy=False)
        return predict_raw(X, self.coefs_, self.intercepts_, self._hidden_activations, dtype)

    def _check_solver(self) -> bool:
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers; {self.solver} is not stochastic."
            )
        return True

    def to_deltaprop(self, output_activation: bool = False) -> nn.Module:
        """The trained network as a deltaprop ``nn.Sequential`` of ``Linear`` and activation layers.

        Each ``Linear`` holds a copy of ``coefs_[i].T`` (deltaprop keeps weights as (out, in)) and of
        ``intercepts_[i]``; a ``Dropout`` follows each hidden activation when ``dropout`` > 0. The
        module returns the raw output z (logits for a classifier, as ``nn.CrossEntropyLoss`` and
        ``nn.BCEWithLogitsLoss`` expect); with ``output_activation=True`` it ends with the
        ``Softmax`` or ``Sigmoid`` that turns z into ``predict_proba``'s probabilities. The module
        is returned in evaluation mode; call ``.train()`` to train it further.
        """
        check_is_fitted(self)
        layer_units = [np.shape(self.coefs_[0])[0], *(np.shape(coef)[1] for coef in self.coefs_)]
        network = self._network(layer_units)
        module = network.to_module(self._hidden_activations, self.dropout)
        if output_activation:
            final = {"softmax": nn.Softmax, "logistic": nn.Sigmoid, "identity": None}.get(self.out_activation_, ())
            if final == ():
                raise ConfigError(
                    f"to_deltaprop: nn has no layer for the '{self.out_activation_}' output activation; apply "
                    f"deltaprop.exp to the module's output instead."
                )
            if final is not None:
                module.append(final())
        return module.eval()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _normalized(sample_weight, count: int):
    """(weights summing to 1 or None for the plain mean, the effective sample count)."""
    if sample_weight is None:
        return None, count
    total = float(sample_weight.sum(dtype=np.float64))
    if total == 0:
        return None, 0.0
    return sample_weight / sample_weight.dtype.type(total), total


def _set_lr(optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def expected_failed_checks(estimator) -> dict:
    """The scikit-learn estimator checks that ``estimator`` does not pass, each with its reason.

    Pass it as ``expected_failed_checks`` to ``sklearn.utils.estimator_checks.check_estimator`` or
    ``parametrize_with_checks``. Trained in float32, a fit with integer sample weights and the fit
    on the samples repeated that many times agree to float32 rounding only (the gradients are
    summed in a different order), while the two equivalence checks demand a relative tolerance of
    1e-7. The weighting itself is exact: with ``dtype='float64'`` both checks pass, and so does
    every other check in either precision. ('lbfgs' trains in float64 unless told otherwise.)
    """
    if estimator.dtype == "float64" or (estimator.dtype == "auto" and estimator.solver == "lbfgs"):
        return {}
    reason = (
        "trains in float32: weighted and repeated-sample fits agree to float32 rounding, not to the "
        "check's rtol=1e-7 (both pass with dtype='float64')"
    )
    return {
        "check_sample_weight_equivalence_on_dense_data": reason,
        "check_sample_weight_equivalence_on_sparse_data": reason,
    }
