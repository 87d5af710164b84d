"""Categorical distributions over K classes: as class indices (``Categorical``) and as one-hot
vectors (``OneHotCategorical``). ``probs`` are normalised to sum to 1 along the last dimension,
``logits`` to log-probabilities (minus their log-sum-exp), as in PyTorch."""

from __future__ import annotations

import numpy as np

from . import constraints
from .bernoulli import clamp_probabilities, probabilities_or_logits
from .distribution import Distribution, broadcast_all, draw, enumerated, lazy_property
from ..errors import ShapeError
from ..ops import softmax
from ..tensor import tensor


class Categorical(Distribution):
    """Class indices 0 … K − 1 with the probabilities along the last dimension of ``probs`` or
    ``logits``; the other dimensions are the batch."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        name, given = probabilities_or_logits(type(self).__name__, probs, logits)
        (given,) = broadcast_all(given)
        if given.ndim < 1:
            raise ShapeError(f"{type(self).__name__}: {name} must have at least one dimension (the classes), "
                             f"got shape {tuple(given.shape)}")
        if name == "probs":
            self.probs = given / given.sum(-1, keepdim=True)
        else:
            self.logits = given - given.logsumexp(-1, keepdim=True)
        self._num_events = given.shape[-1]
        super().__init__(given.shape[:-1], (), validate_args)

    @lazy_property
    def probs(self):
        return softmax(self.logits, -1)

    @lazy_property
    def logits(self):
        return clamp_probabilities(self.probs).log()

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self):
        return tensor(np.full(self._batch_shape, np.nan), dtype=self.dtype)

    @property
    def variance(self):
        return tensor(np.full(self._batch_shape, np.nan), dtype=self.dtype)

    @property
    def mode(self):
        """The most probable class (int64; the first of equally probable ones), without gradient."""
        return tensor(np.argmax(self.probs.data, -1).astype(np.int64), dtype=np.int64)

    def enumerate_support(self, expand=True):
        """The classes 0 … K − 1 (int64): shape (K,) + batch_shape (expanded) or (K, 1, ...)."""
        return enumerated(np.arange(self._num_events), self._batch_shape, expand, np.int64)

    def sample(self, sample_shape=()):
        """Indices (int64) by the inverse distribution function: the number of cumulative
        probabilities below a uniform draw."""
        shape = self._extended_shape(sample_shape)
        cumulative = np.cumsum(np.asarray(self.probs.data, np.float64), axis=-1)
        u = draw("random", shape + (1,)) * cumulative[..., -1:]
        index = np.minimum((cumulative < u).sum(-1), self._num_events - 1)
        return tensor(index.astype(np.int64), dtype=np.int64)

    def log_prob(self, value):
        value = self._checked(value)
        index = np.asarray(value.data).astype(np.int64)[..., None]
        shape = np.broadcast_shapes(index.shape, self._batch_shape + (1,))
        logits = self.logits.expand(*shape[:-1], self._num_events)
        return logits.gather(-1, tensor(np.broadcast_to(index, shape), dtype=np.int64)).squeeze(-1)

    def entropy(self):
        # −Σ p·ln p, with −inf logits (classes of probability 0) raised to the dtype's lowest number,
        # so that 0·(−inf) counts as 0
        logits = self.logits.clamp_min(float(np.finfo(self.dtype).min))
        return -(logits * self.probs).sum(-1)


class OverClasses(Distribution):
    """A distribution over events of K numbers, one per class, built on a :class:`Categorical` of
    ``probs`` or ``logits`` (``_categorical``, which checks them): its probabilities, dtype and
    checks are the categorical's, and ``expand`` expands it too. The base of OneHotCategorical,
    Multinomial and ExpRelaxedCategorical."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits, validate_args)
        super().__init__(self._categorical.batch_shape, (self._categorical._num_events,), validate_args=False)
        self._validate_args = self._categorical._validate_args

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    def _dtype(self):
        return self._categorical.dtype

    def expand(self, batch_shape):
        new = super().expand(batch_shape)
        new._categorical = self._categorical.expand(new._batch_shape)
        return new


class OneHotCategorical(OverClasses):
    """One-hot vectors of length K, the class drawn as by :class:`Categorical`."""

    support = constraints.one_hot
    has_enumerate_support = True

    @property
    def mean(self):
        return self.probs

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    @property
    def mode(self):
        """The one-hot vector of the most probable class, in the probabilities' dtype."""
        return tensor(np.eye(self._event_shape[0])[self._categorical.mode.data], dtype=self.dtype)

    def enumerate_support(self, expand=True):
        """The K one-hot vectors, in the parameters' dtype: shape (K,) + batch_shape + (K,) (expanded)
        or (K, 1, ..., K)."""
        return enumerated(np.eye(self._event_shape[0]), self._batch_shape, expand, self.dtype)

    def sample(self, sample_shape=()):
        index = self._categorical.sample(sample_shape).data
        return tensor(np.eye(self._event_shape[0])[index], dtype=self.dtype)

    def log_prob(self, value):
        value = self._checked(value)
        return self._categorical.log_prob(tensor(np.argmax(value.data, -1), dtype=np.int64))

    def entropy(self):
        return self._categorical.entropy()

    def __repr__(self) -> str:
        return repr(self._categorical).replace("Categorical", "OneHotCategorical", 1)
