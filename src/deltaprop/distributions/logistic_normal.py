"""The logistic-normal distribution on the simplex of K + 1 classes: the stick-breaking transform of a
vector of K independent normals N(``loc``, ``scale``²), as PyTorch's a TransformedDistribution of
Normal through StickBreakingTransform (see transforms/simplex.py). ``loc`` and ``scale`` broadcast
together; their last dimension is the K of the event (a number makes one event of 2 classes).
"""

from __future__ import annotations

from . import constraints
from .distribution import broadcast_all
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import StickBreakingTransform


class LogisticNormal(TransformedDistribution):
    """Vectors of K + 1 positive numbers summing to 1, from K normals broken like a stick."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        base = Normal(self.loc, self.scale, validate_args=False)
        if not base.batch_shape:  # (one number: an event of one normal, two classes)
            base = base.expand((1,))
        super().__init__(base, StickBreakingTransform(), validate_args)
