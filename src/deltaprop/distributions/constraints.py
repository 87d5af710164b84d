"""What a parameter or a value must satisfy, each constraint a test and the words that name it.

A distribution lists its parameters' constraints in ``arg_constraints`` and its values' in
``support``, as PyTorch's do; :class:`Distribution` checks them (when ``validate_args``) and names
the first element that breaks one. ``check`` returns one boolean per element of the batch (a
constraint on a whole event, such as the simplex, reduces the event's dimension).
"""

from __future__ import annotations

import numpy as np


class Constraint:
    """A test of an array, elementwise, and the words for it ("greater than 0")."""

    event_dim = 0

    def __init__(self, words: str, test):
        self.words = words
        self._test = test

    def check(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return self._test(x)

    def __repr__(self) -> str:
        return f"Constraint({self.words})"


class EventConstraint(Constraint):
    """A test of whole events along the last dimension (a simplex, a one-hot vector)."""

    event_dim = 1


class MatrixConstraint(Constraint):
    """A test of whole matrices, the last two dimensions (positive-definite, a Cholesky factor)."""

    event_dim = 2


def _positive_definite(x: np.ndarray) -> np.ndarray:
    # symmetric (to rounding) and every eigenvalue positive; NaN fails both
    symmetric = np.all(np.abs(x - np.swapaxes(x, -1, -2)) <= 1e-6 * (1 + np.abs(x)), axis=(-2, -1))
    finite = np.all(np.isfinite(x), axis=(-2, -1))
    safe = np.where(finite[..., None, None], x, 0)
    return symmetric & finite & (np.linalg.eigvalsh(safe)[..., 0] > 0)


def _lower_cholesky(x: np.ndarray) -> np.ndarray:
    # nothing above the diagonal, and a positive diagonal
    lower = np.all(np.triu(x, 1) == 0, axis=(-2, -1))
    return lower & np.all(np.diagonal(x, axis1=-2, axis2=-1) > 0, axis=-1)


real = Constraint("a real number (not NaN)", lambda x: x == x)
positive = Constraint("greater than 0", lambda x: x > 0)
nonnegative = Constraint("at least 0", lambda x: x >= 0)
unit_interval = Constraint("in [0, 1]", lambda x: (x >= 0) & (x <= 1))
boolean = Constraint("0 or 1", lambda x: (x == 0) | (x == 1))
nonnegative_integer = Constraint("a whole number at least 0", lambda x: (x % 1 == 0) & (x >= 0))
positive_vector = EventConstraint("greater than 0 (every element along the last dimension)",
                                  lambda x: np.all(x > 0, axis=-1))
real_vector = EventConstraint("a vector of real numbers (not NaN)", lambda x: np.all(x == x, axis=-1))
simplex = EventConstraint("non-negative and summing to 1 along the last dimension",
                          lambda x: np.all(x >= 0, axis=-1) & (np.abs(x.sum(-1) - 1) < 1e-6))
one_hot = EventConstraint("a one-hot vector (0s and one 1) along the last dimension",
                          lambda x: np.all((x == 0) | (x == 1), axis=-1) & (x.sum(-1) == 1))

positive_definite = MatrixConstraint("symmetric and positive-definite", _positive_definite)
lower_cholesky = MatrixConstraint("lower-triangular with a positive diagonal", _lower_cholesky)


class IndependentConstraint(Constraint):
    """``base`` over events of ``reinterpreted`` more dimensions (the support of an Independent): an
    element of the batch passes when every element of its event does, as PyTorch's ``independent``."""

    def __init__(self, base: Constraint, reinterpreted: int):
        super().__init__(base.words, base.check)
        self.base = base
        self.reinterpreted = reinterpreted
        self.event_dim = base.event_dim + reinterpreted

    def check(self, x: np.ndarray) -> np.ndarray:
        ok = self.base.check(x)
        return ok.all(axis=tuple(range(-self.reinterpreted, 0))) if self.reinterpreted else ok


def integer_interval(low, high, words: str | None = None) -> Constraint:
    """Whole numbers from ``low`` to ``high``, both included (each may be an array, broadcast;
    ``words`` then names the bounds)."""
    words = words or f"a whole number in [{low}, {high}]"
    return Constraint(words, lambda x: (x % 1 == 0) & (x >= low) & (x <= high))


def interval(low: np.ndarray, high: np.ndarray) -> Constraint:
    """Numbers from ``low`` to ``high``, both included (each may be an array, broadcast)."""
    words = "in [low, high]" if np.ndim(low) or np.ndim(high) else f"in [{float(low):g}, {float(high):g}]"
    return Constraint(words, lambda x: (x >= low) & (x <= high))
