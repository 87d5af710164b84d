"""What a parameter or a value must satisfy, each constraint a test and the words that name it.

A distribution lists its parameters' constraints in ``arg_constraints`` and its values' in
``support``, as PyTorch's do; :class:`Distribution` checks them (when ``validate_args``) and names
the first element that breaks one. ``check`` returns one boolean per element of the batch (a
constraint on a whole event, such as the simplex, reduces the event's dimension); given a tensor, it
returns a boolean tensor. The bounded ones (``greater_than``, ``interval``, ...) keep their bounds
(``lower_bound``, ``upper_bound``), which ``biject_to`` and ``transform_to`` read.
"""

from __future__ import annotations

import numpy as np


class Constraint:
    """A test of an array, elementwise, and the words for it ("greater than 0")."""

    event_dim = 0
    is_discrete = False

    def __init__(self, words: str, test):
        self.words = words
        self._test = test

    def check(self, x):
        if not isinstance(x, np.ndarray) and hasattr(x, "requires_grad"):  # a Tensor: a boolean tensor back
            from ..tensor import tensor
            return tensor(self.check(np.asarray(x.data)))
        with np.errstate(invalid="ignore"):
            return self._test(np.asarray(x))

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


class DiscreteConstraint(Constraint):
    """A test of counts or classes (whole numbers): the support of a discrete distribution."""

    is_discrete = True


def _bound(value) -> str:
    return f"{float(value):g}" if np.ndim(value) == 0 else "its bound"


class greater_than(Constraint):
    """Numbers above ``lower_bound`` (a number or an array, broadcast)."""

    def __init__(self, lower_bound, words: str | None = None):
        self.lower_bound = lower_bound
        super().__init__(words or f"greater than {_bound(lower_bound)}", lambda x: x > self.lower_bound)


class greater_than_eq(Constraint):
    """Numbers at or above ``lower_bound``."""

    def __init__(self, lower_bound, words: str | None = None):
        self.lower_bound = lower_bound
        super().__init__(words or f"at least {_bound(lower_bound)}", lambda x: x >= self.lower_bound)


class less_than(Constraint):
    """Numbers below ``upper_bound``."""

    def __init__(self, upper_bound, words: str | None = None):
        self.upper_bound = upper_bound
        super().__init__(words or f"less than {_bound(upper_bound)}", lambda x: x < self.upper_bound)


class _Real(Constraint):
    """Every number but NaN (infinities included, as PyTorch's)."""


real = _Real("a real number (not NaN)", lambda x: x == x)
positive = greater_than(0.0)
nonnegative = greater_than_eq(0.0)
boolean = DiscreteConstraint("0 or 1", lambda x: (x == 0) | (x == 1))
nonnegative_integer = DiscreteConstraint("a whole number at least 0", lambda x: (x % 1 == 0) & (x >= 0))
positive_integer = DiscreteConstraint("a whole number at least 1", lambda x: (x % 1 == 0) & (x >= 1))
positive_vector = EventConstraint("greater than 0 (every element along the last dimension)",
                                  lambda x: np.all(x > 0, axis=-1))
real_vector = EventConstraint("a vector of real numbers (not NaN)", lambda x: np.all(x == x, axis=-1))
simplex = EventConstraint("non-negative and summing to 1 along the last dimension",
                          lambda x: np.all(x >= 0, axis=-1) & (np.abs(x.sum(-1) - 1) < 1e-6))
one_hot = EventConstraint("a one-hot vector (0s and one 1) along the last dimension",
                          lambda x: np.all((x == 0) | (x == 1), axis=-1) & (x.sum(-1) == 1))

def _correlation_cholesky(x: np.ndarray) -> np.ndarray:
    # a Cholesky factor whose rows have unit length (L·Lᵀ then has a unit diagonal)
    rows = np.linalg.norm(x, axis=-1)
    return _lower_cholesky(x) & np.all(np.abs(rows - 1) <= 1e-6, axis=-1)


positive_definite = MatrixConstraint("symmetric and positive-definite", _positive_definite)
lower_cholesky = MatrixConstraint("lower-triangular with a positive diagonal", _lower_cholesky)
lower_triangular = MatrixConstraint("lower-triangular", lambda x: np.all(np.triu(x, 1) == 0, axis=(-2, -1)))
corr_cholesky = MatrixConstraint("lower-triangular with a positive diagonal and rows of unit length",
                                 _correlation_cholesky)


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


independent = IndependentConstraint


class integer_interval(DiscreteConstraint):
    """Whole numbers from ``low`` to ``high``, both included (each may be an array, broadcast;
    ``words`` then names the bounds)."""

    def __init__(self, low, high, words: str | None = None):
        self.lower_bound, self.upper_bound = low, high
        super().__init__(words or f"a whole number in [{low}, {high}]",
                         lambda x: (x % 1 == 0) & (x >= low) & (x <= high))


class interval(Constraint):
    """Numbers from ``low`` to ``high``, both included (each may be an array, broadcast)."""

    def __init__(self, low, high):
        self.lower_bound, self.upper_bound = low, high
        words = "in [low, high]" if np.ndim(low) or np.ndim(high) else f"in [{float(low):g}, {float(high):g}]"
        super().__init__(words, lambda x: (x >= low) & (x <= high))


class half_open_interval(Constraint):
    """Numbers from ``low`` (included) to ``high`` (excluded)."""

    def __init__(self, low, high):
        self.lower_bound, self.upper_bound = low, high
        words = "in [low, high)" if np.ndim(low) or np.ndim(high) else f"in [{float(low):g}, {float(high):g})"
        super().__init__(words, lambda x: (x >= low) & (x < high))


unit_interval = interval(0.0, 1.0)


class _Joined(Constraint):
    """What cat and stack share: a constraint for each piece of the value along ``dim``. Each piece's
    answer is reduced over the event dimensions its constraint leaves (``inner``, the most of them);
    along a batch dimension the answers then sit side by side, and along an event dimension the
    pieces belong to one element, whose answer is theirs joined by "and"."""

    def __init__(self, cseq, dim: int, words: str, event_dim: int):
        self.cseq = list(cseq)
        self.dim = dim
        self.inner = max((c.event_dim for c in self.cseq), default=0)
        self.event_dim = event_dim
        super().__init__(words, None)

    def check(self, x):
        if not isinstance(x, np.ndarray) and hasattr(x, "requires_grad"):  # a Tensor
            return super().check(x)
        x = np.asarray(x)
        checks = []
        for c, piece in zip(self.cseq, self._pieces(x)):
            ok = c.check(piece)
            extra = self.inner - c.event_dim
            checks.append(ok.all(axis=tuple(range(-extra, 0))) if extra > 0 else ok)
        axis = (self.dim if self.dim < 0 else self.dim - x.ndim) + self.inner  # (counted from the right)
        if self.event_dim > self.inner:  # an event dimension
            return np.logical_and.reduce(np.broadcast_arrays(*checks))
        return self._side_by_side(checks, axis)


class cat(_Joined):
    """``cseq[i]`` on the i-th stretch of ``lengths[i]`` elements along ``dim`` (1 each by default)."""

    def __init__(self, cseq, dim: int = 0, lengths=None):
        cseq = list(cseq)
        self.lengths = [1] * len(cseq) if lengths is None else [int(n) for n in lengths]
        inner = max((c.event_dim for c in cseq), default=0)
        words = " then ".join(c.words for c in cseq) + f" (pieces along dimension {dim})"
        super().__init__(cseq, dim, words, inner)

    def _pieces(self, x):
        starts = np.cumsum([0] + self.lengths)
        return [np.take(x, range(a, b), axis=self.dim) for a, b in zip(starts[:-1], starts[1:])]

    def _side_by_side(self, checks, axis):
        return np.concatenate(checks, axis=axis)


class stack(_Joined):
    """``cseq[i]`` on the i-th slice along ``dim`` (a dimension of len(cseq) that the slices lack):
    a negative ``dim`` within the last (1 + the pieces' event dimensions) is part of the event."""

    def __init__(self, cseq, dim: int = 0):
        cseq = list(cseq)
        inner = max((c.event_dim for c in cseq), default=0)
        words = " then ".join(c.words for c in cseq) + f" (slices along dimension {dim})"
        super().__init__(cseq, dim, words, inner + 1 if -inner - 1 <= dim < 0 else inner)

    def _pieces(self, x):
        return [np.take(x, i, axis=self.dim) for i in range(x.shape[self.dim])]

    def _side_by_side(self, checks, axis):
        return np.stack(checks, axis=axis)
