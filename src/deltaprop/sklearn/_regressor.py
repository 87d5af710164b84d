"""MLPRegressor: scikit-learn's multi-layer perceptron regressor, trained by deltaprop."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._base import BaseMLP, fit_context


class MLPRegressor(RegressorMixin, BaseMLP):
    """A multi-layer perceptron regressor; a drop-in for scikit-learn's.

    The parameters, their defaults and meanings, the fitted attributes and the methods are those of
    ``sklearn.neural_network.MLPRegressor``: identity outputs trained on half the squared error
    (reported averaged over the outputs, as scikit-learn does), or with ``loss='poisson'`` an
    exponential output trained on half the Poisson deviance; solvers 'lbfgs' (SciPy), 'sgd' and
    'adam'; an L2 penalty ``alpha``/(2n)·Σ‖W‖² included in ``loss_``; stopping after
    ``n_iter_no_change`` epochs that improve the training loss (or, with ``early_stopping``, the
    validation R²) by less than ``tol``. With the same ``random_state`` the weights start from the
    same draws and the samples are shuffled the same way as in scikit-learn.

    deltaprop adds:

    loss : {'squared_error', 'poisson', 'absolute_error', 'huber'}, default='squared_error'
        'absolute_error' is |y − ŷ|, 'huber' is ½(y − ŷ)² within 1 of the target and |y − ŷ| − ½
        beyond; both are averaged over the samples and summed over the outputs.
    activation : str or list of str, default='relu'
        'identity', 'logistic', 'tanh', 'relu', 'leaky_relu' (slope 0.01) or 'gelu'; a list names
        one activation per hidden layer.
    solver : {'lbfgs', 'sgd', 'adam', 'adamw', 'rmsprop'}, default='adam'
        'adamw' decays the weights by ``learning_rate_init``·``alpha`` every step instead of adding
        the L2 penalty to the gradient; 'rmsprop' divides the gradient by the root of its running
        mean square, which decays with ``beta_2``. Both use ``epsilon``.
    dropout : float in [0, 1), default=0.0
        Probability of zeroing each hidden unit in every training batch (stochastic solvers only).
    dtype : {'auto', 'float32', 'float64'}, default='auto'
        Precision of training. 'auto' trains the stochastic solvers in float32 unless the data or
        the targets would lose their meaning there (values beyond float32's range, or columns that
        vary too little for their magnitude), and 'lbfgs' in float64, as scikit-learn does: its
        stopping test lies below float32's rounding. 'float32' with 'lbfgs' is faster but may
        stop sooner, at a higher loss. Predictions are computed in the wider of the data's and the
        model's precision.

    and :meth:`to_deltaprop`, which returns the trained network as a deltaprop module.

    Attributes: ``loss_``, ``best_loss_``, ``loss_curve_``, ``validation_scores_``,
    ``best_validation_score_``, ``t_``, ``coefs_`` (list of (n_in, n_out) arrays),
    ``intercepts_``, ``n_features_in_``, ``feature_names_in_``, ``n_iter_``, ``n_layers_``,
    ``n_outputs_``, ``out_activation_``, as in scikit-learn.
    """

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson", "absolute_error", "huber"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        dtype="auto",
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.dtype = dtype

    @fit_context
    def fit(self, X, y, sample_weight=None):
        """Fit the network to data ``X`` and targets ``y`` (a vector, or one column per output);
        ``sample_weight`` weighs each sample's loss. Returns self."""
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(lambda estimator: estimator._check_solver())
    @fit_context
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``X``, ``y``, continuing from the current weights and optimizer state."""
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], multi_output=True, y_numeric=True,
            dtype=(np.float64, np.float32), reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                f"MLPRegressor: loss='poisson' needs non-negative targets, but y holds {np.min(y)}."
            )
        return X, y.reshape(len(y), -1), y

    def _output_activation(self) -> str:
        return "exp" if self.loss == "poisson" else "identity"

    def _error_name(self) -> str:
        return self.loss

    def _regression_targets(self, Y):
        return Y

    def _predict(self, X, check_input=True):
        z = self._raw_output(X, check_input)
        if self.out_activation_ == "exp":
            z = np.exp(z)
        return z.ravel() if z.shape[1] == 1 else z

    def predict(self, X):
        """The predicted targets, shape (n_samples,) or (n_samples, n_outputs)."""
        check_is_fitted(self)
        return self._predict(X)

    def _score(self, X, y, sample_weight):
        prediction = self._predict(X, check_input=False)
        if not np.isfinite(prediction).all():
            return np.nan
        return r2_score(y, prediction, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags
