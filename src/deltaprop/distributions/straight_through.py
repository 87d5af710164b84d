"""A one-hot categorical whose draws pass gradients straight through (Bengio et al., 2013): the
value is the one-hot draw, but ``rsample`` adds p − p with the second p cut from the graph, so the
gradient of a loss of the draw reaches the probabilities as if the draw were p itself."""

from __future__ import annotations

from .categorical import OneHotCategorical


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """:class:`OneHotCategorical` with ``rsample``: one-hot draws carrying the straight-through gradient."""

    has_rsample = True

    def rsample(self, sample_shape=()):
        draws = self.sample(sample_shape)
        probs = self._categorical.probs
        return draws + (probs - probs.detach())
