"""scikit-learn estimators trained by deltaprop: drop-in ``MLPClassifier`` and ``MLPRegressor``.

    >>> from deltaprop.sklearn import MLPClassifier
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=1000, random_state=0)
    >>> clf.fit(X, y).predict(X[:3])
    array([0, 0, 0])
    >>> module = clf.to_deltaprop()  # the trained network as an nn.Sequential

They take scikit-learn's parameters and give its attributes and methods (and pass its
``check_estimator``, but in float32 for the two checks that ``expected_failed_checks`` names), so
they work in ``Pipeline``, ``GridSearchCV`` and ``cross_val_score``; they
train in float32 through deltaprop's fused primitives ('lbfgs' in float64, the precision its
stopping rule needs), and add dropout, class weights, per-layer
activations, more losses and solvers, and ``to_deltaprop()``.

scikit-learn and SciPy are an optional extra: ``pip install 'deltaprop[sklearn]'``
(``pip install '.[sklearn]'`` in a checkout).
"""

try:
    import scipy  # noqa: F401
    import sklearn
    from sklearn.utils.validation import validate_data  # noqa: F401  (scikit-learn >= 1.6)
except ImportError as error:
    raise ImportError(
        "deltaprop.sklearn needs scikit-learn (1.6 or newer) and SciPy: install them with "
        "`pip install 'scikit-learn>=1.6' scipy`, or with deltaprop's extra: `pip install 'deltaprop[sklearn]'` "
        "(`pip install '.[sklearn]'` in a checkout)"
    ) from error

from ._base import expected_failed_checks
from ._classifier import MLPClassifier
from ._regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor", "expected_failed_checks"]

del sklearn
