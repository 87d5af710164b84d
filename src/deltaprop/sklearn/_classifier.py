"""MLPClassifier: scikit-learn's multi-layer perceptron classifier, trained by deltaprop."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .. import ops
from ..grad_mode import no_grad
from ._base import BaseMLP, fit_context

# The targets a classifier learns; type_of_target's other answers are errors.
LABEL_TYPES = ("binary", "multiclass", "multilabel-indicator")


class MLPClassifier(ClassifierMixin, BaseMLP):
    """A multi-layer perceptron that minimises the log-loss; a drop-in for scikit-learn's.

    The parameters, their defaults and meanings, the fitted attributes and the methods are those of
    ``sklearn.neural_network.MLPClassifier``: one softmax output per class for several classes,
    one logistic output for two classes or per label for multilabel targets; solvers 'lbfgs'
    (SciPy), 'sgd' and 'adam'; an L2 penalty ``alpha``/(2n)·Σ‖W‖² included in ``loss_``;
    stopping after ``n_iter_no_change`` epochs that improve the training loss (or, with
    ``early_stopping``, the validation accuracy) by less than ``tol``. With the same
    ``random_state`` the weights start from the same draws and the samples are shuffled the same
    way as in scikit-learn.

    deltaprop adds:

    activation : str or list of str, default='relu'
        'identity', 'logistic', 'tanh', 'relu', 'leaky_relu' (slope 0.01) or 'gelu'; a list names
        one activation per hidden layer.
    solver : {'lbfgs', 'sgd', 'adam', 'adamw', 'rmsprop'}, default='adam'
        'adamw' decays the weights by ``learning_rate_init``·``alpha`` every step instead of adding
        the L2 penalty to the gradient; 'rmsprop' divides the gradient by the root of its running
        mean square, which decays with ``beta_2``. Both use ``epsilon``.
    dropout : float in [0, 1), default=0.0
        Probability of zeroing each hidden unit in every training batch (stochastic solvers only).
    class_weight : dict, list of dicts, 'balanced' or None, default=None
        Weights per class, multiplied into ``sample_weight`` (as in scikit-learn's linear models).
    dtype : {'auto', 'float32', 'float64'}, default='auto'
        Precision of training. 'auto' trains the stochastic solvers in float32 unless the data
        would lose its meaning there (values beyond float32's range, or columns that vary too
        little for their magnitude), and 'lbfgs' in float64, as scikit-learn does: its stopping
        test lies below float32's rounding. 'float32' with 'lbfgs' is faster but may stop
        sooner, at a higher loss. Predictions are computed in the wider of the data's and the
        model's precision.

    and :meth:`to_deltaprop`, which returns the trained network as a deltaprop module.

    Attributes: ``classes_``, ``loss_``, ``best_loss_``, ``loss_curve_``, ``validation_scores_``,
    ``best_validation_score_``, ``t_``, ``coefs_`` (list of (n_in, n_out) arrays),
    ``intercepts_``, ``n_features_in_``, ``feature_names_in_``, ``n_iter_``, ``n_layers_``,
    ``n_outputs_``, ``out_activation_``, as in scikit-learn.
    """

    def __init__(
        self,
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
        class_weight=None,
        dtype="auto",
    ):
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
        self.class_weight = class_weight
        self.dtype = dtype

    # scikit-learn's MLPClassifier carries its (fixed) loss as an attribute too.
    loss = "log_loss"

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "class_weight": [dict, list, StrOptions({"balanced"}), None],
    }

    # -- fitting -----------------------------------------------------------------------------------

    @fit_context
    def fit(self, X, y, sample_weight=None):
        """Fit the network to data ``X`` and labels ``y`` (a vector, or a label-indicator matrix
        for multilabel classification); ``sample_weight`` weighs each sample's loss. Returns self."""
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(lambda estimator: estimator._check_solver())
    @fit_context
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over ``X``, ``y``, continuing from the current weights and optimizer state.

        ``classes`` (all the labels the calls will see) is required on the first call and may be
        left out afterwards; ``y`` need not contain every class. Returns self.
        """
        if getattr(self, "classes_", None) is None and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if classes is not None:
            if getattr(self, "classes_", None) is not None:
                if not np.array_equal(self.classes_, unique_labels(classes)):
                    raise ValueError(
                        f"`classes={classes!r}` is not the same as on the previous call to partial_fit, "
                        f"which had {self.classes_!r}."
                    )
            else:
                self._label_binarizer = LabelBinarizer()
                if type_of_target(y).startswith("multilabel"):
                    self._label_binarizer.fit(y)
                else:
                    self._label_binarizer.fit(classes)
                self.classes_ = self._label_binarizer.classes_
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], multi_output=True, dtype=(np.float64, np.float32), reset=reset
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        # One type_of_target and one np.unique: LabelBinarizer's fit and transform check the labels
        # four times over (0.95 against 0.12 ms on wine's 133 labels, a quarter of an L-BFGS fit).
        target_type = type_of_target(y, input_name="y")
        fresh = not hasattr(self, "classes_") or (not self.warm_start and not incremental)
        if target_type not in LABEL_TYPES:  # continuous values, several outputs of several classes, ...
            if fresh:
                LabelBinarizer().fit(y)  # raises scikit-learn's own error for this target
            unique_labels(y)  # and so does this one, which continued training called
        if target_type == "multilabel-indicator":
            classes, codes = np.arange(y.shape[1]), None
        else:
            classes, codes = _labels_and_codes(y)
        if fresh:
            self.classes_ = classes
            self._label_binarizer = _fitted_binarizer(classes, target_type, sp.issparse(y))
        else:
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        f"warm_start can only be used where `y` has the same classes as in the previous call to "
                        f"fit, which had {self.classes_}; `y` has {classes}."
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`: `self.classes_` is {self.classes_}, `y` has {classes}."
                )
            if target_type == "multilabel-indicator" and not self._label_binarizer.y_type_.startswith("multilabel"):
                raise ValueError("The object was not fitted with multilabel input.")
            if codes is not None:  # y's labels are among classes_ (checked above): index them there
                codes = np.searchsorted(self.classes_, classes)[codes]
        return X, _indicator(y, codes, target_type, self.classes_), y

    def _sample_weight(self, sample_weight, X, y, incremental):
        sample_weight = super()._sample_weight(sample_weight, X, y, incremental)
        if self.class_weight is None:
            return sample_weight
        if incremental and isinstance(self.class_weight, str):
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit, which sees one batch at a time; pass "
                "a dict, e.g. from sklearn.utils.class_weight.compute_class_weight('balanced', classes=..., y=...)."
            )
        if y.ndim == 1:
            # Classes the dict leaves out weigh 1, as in scikit-learn's linear models.
            per_class = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
            class_weights = per_class[np.searchsorted(self.classes_, y)]
        else:  # a label-indicator matrix: one dict per label, or 'balanced' per label
            class_weights = compute_sample_weight(self.class_weight, y)
        return class_weights if sample_weight is None else sample_weight * class_weights

    def _output_activation(self) -> str:
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _error_name(self) -> str:
        return self.out_activation_

    def _stratify(self, Y):
        # As scikit-learn: stratify the validation split for a single output (binary) only.
        return Y if self.n_outputs_ == 1 else None

    # -- prediction --------------------------------------------------------------------------------

    def _probabilities(self, X, check_input=True) -> np.ndarray:
        z = self._raw_output(X, check_input)
        with no_grad():
            if self.out_activation_ == "softmax":
                return ops.softmax(z, axis=1).data
            return ops.sigmoid(z).data

    def _predict(self, X, check_input=True):
        probabilities = self._probabilities(X, check_input)
        if self.n_outputs_ == 1:
            probabilities = probabilities.ravel()
        return self._label_binarizer.inverse_transform(probabilities)

    def predict(self, X):
        """The predicted class of each sample (rows of 0/1 per label for multilabel targets)."""
        check_is_fitted(self)
        return self._predict(X)

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), columns in the order of ``classes_``."""
        check_is_fitted(self)
        probabilities = self._probabilities(X)
        if self.n_outputs_ == 1:
            p = probabilities.ravel()
            return np.column_stack([1 - p, p])
        return probabilities

    def predict_log_proba(self, X):
        """log(predict_proba(X)), computed from the raw output so that tiny probabilities keep their logs."""
        check_is_fitted(self)
        z = self._raw_output(X)
        if self.out_activation_ == "softmax":
            with no_grad():
                return ops.log_softmax(z, axis=1).data
        log_p, log_q = -np.logaddexp(0, -z), -np.logaddexp(0, z)  # log σ(z), log(1 − σ(z))
        if self.n_outputs_ == 1:
            return np.column_stack([log_q.ravel(), log_p.ravel()])
        return log_p

    def _score(self, X, y, sample_weight):
        prediction = self._predict(X, check_input=False)
        if prediction.dtype.kind == "f" and not np.isfinite(prediction).all():
            return np.nan
        return accuracy_score(y, prediction, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


# -- labels ------------------------------------------------------------------------------------------


def _labels_and_codes(y):
    """(the sorted labels of a vector of labels, each sample's index among them).

    The labels come as ``unique_labels`` gives them: numbers keep their dtype, strings come in an
    array as wide as the longest label (whatever the width or object dtype of ``y``).
    """
    labels, codes = np.unique(y, return_inverse=True)
    if labels.dtype.kind in "OU":
        labels = np.asarray(labels.tolist())
    return labels, codes.reshape(-1)


def _indicator(y, codes, target_type: str, classes) -> np.ndarray:
    """The targets as ``LabelBinarizer.transform(y).astype(bool)`` has them: one column per class
    (several classes), per label (multilabel), or a single column for two classes or one.

    ``codes`` holds each sample's index into ``classes`` (not used for multilabel targets).
    """
    if target_type == "multilabel-indicator":
        if y.shape[1] != len(classes):
            raise ValueError(f"classes {classes} mismatch with the labels {np.arange(y.shape[1])} found in the data")
        return (y.toarray() if sp.issparse(y) else y).astype(bool)
    n = len(codes)
    if len(classes) == 1:  # one class: every target is the negative one, as in label_binarize
        return np.zeros((n, 1), dtype=bool)
    if len(classes) == 2 and target_type == "binary":
        return (codes == 1).reshape(n, 1)
    Y = np.zeros((n, len(classes)), dtype=bool)
    Y[np.arange(n), codes] = True
    return Y


def _fitted_binarizer(classes, target_type: str, sparse: bool) -> LabelBinarizer:
    """The ``LabelBinarizer`` that ``fit(y)`` would give, made from what ``_validate_input`` knows.

    Predictions decode through its ``inverse_transform`` (scikit-learn's own decoding, sparse
    targets included); its ``fit`` would check the labels all over again.
    """
    binarizer = LabelBinarizer()
    binarizer.classes_, binarizer.y_type_, binarizer.sparse_input_ = classes, target_type, sparse
    return binarizer
