"""Transforms of random variables, as PyTorch's ``torch.distributions.transforms``: invertible maps
y = f(x) with the log-determinant of their Jacobian, from which ``TransformedDistribution`` builds
densities by a change of variables, ln p(y) = ln p(x) − ln |det ∂y/∂x|.

| module      | transforms                                                                  |
|-------------|-----------------------------------------------------------------------------|
| transform   | Transform (the base: inv, cache_size, domain/codomain, sign, event_dim), ComposeTransform, identity_transform |
| elementwise | ExpTransform, AffineTransform, SigmoidTransform, TanhTransform, SoftplusTransform, PowerTransform, AbsTransform, CumulativeDistributionTransform |
| structural  | IndependentTransform, ReshapeTransform, CatTransform, StackTransform        |
| simplex     | SoftmaxTransform, StickBreakingTransform                                    |
| matrices    | LowerCholeskyTransform, PositiveDefiniteTransform, CorrCholeskyTransform    |

Every map is written with deltaprop's operations, so gradients (and second derivatives) reach the
input and the transforms' parameters.
"""

from __future__ import annotations

from .elementwise import (AbsTransform, AffineTransform, CumulativeDistributionTransform, ExpTransform,
                          PowerTransform, SigmoidTransform, SoftplusTransform, TanhTransform)
from .matrices import CorrCholeskyTransform, LowerCholeskyTransform, PositiveDefiniteTransform
from .simplex import SoftmaxTransform, StickBreakingTransform
from .structural import CatTransform, IndependentTransform, ReshapeTransform, StackTransform
from .transform import ComposeTransform, Transform, identity_transform

__all__ = [
    "AbsTransform", "AffineTransform", "CatTransform", "ComposeTransform", "CorrCholeskyTransform",
    "CumulativeDistributionTransform", "ExpTransform", "IndependentTransform", "LowerCholeskyTransform",
    "PositiveDefiniteTransform", "PowerTransform", "ReshapeTransform", "SigmoidTransform", "SoftmaxTransform",
    "SoftplusTransform", "StackTransform", "StickBreakingTransform", "TanhTransform", "Transform",
    "identity_transform",
]
