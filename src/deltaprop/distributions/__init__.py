"""Probability distributions as PyTorch's ``torch.distributions``: reparametrised draws that carry
gradients (``rsample``), log-probabilities, entropies, moments and KL divergences, for variational
and reinforcement-learning code.

| distribution       | parameters                                             | rsample     |
|--------------------|--------------------------------------------------------|-------------|
| Normal             | loc, scale                                             | yes         |
| Uniform            | low, high                                              | yes         |
| Exponential        | rate                                                   | yes         |
| Laplace            | loc, scale                                             | yes         |
| Bernoulli          | probs or logits                                        | no          |
| Categorical        | probs or logits (K last)                               | no          |
| OneHotCategorical  | probs or logits (K last)                               | no          |
| MultivariateNormal | loc; covariance_matrix, precision_matrix or scale_tril | yes         |
| Gamma              | concentration, rate                                    | yes (*)     |
| Beta               | concentration1, concentration0                         | yes (*)     |
| Dirichlet          | concentration (K last)                                 | yes (*)     |
| Independent        | base_distribution, reinterpreted_batch_ndims           | as the base |
| Poisson            | rate                                                   | no          |
| Geometric          | probs or logits                                        | no          |
| Binomial           | total_count; probs or logits                           | no          |
| Cauchy             | loc, scale                                             | yes         |
| HalfNormal         | scale                                                  | yes         |
| LogNormal          | loc, scale (of the logarithm)                          | yes         |
| StudentT           | df, loc, scale                                         | yes (*)     |
| Gumbel, Weibull, Pareto, HalfCauchy, InverseGamma, Kumaraswamy | as PyTorch's (TransformedDistributions, as there) | yes |
| Chi2 (a Gamma), FisherSnedecor | df; df1, df2                               | yes (*)     |
| GeneralizedPareto  | loc, scale, concentration                              | yes         |
| VonMises           | loc, concentration                                     | no          |
| ContinuousBernoulli | probs or logits                                       | yes         |
| NegativeBinomial   | total_count; probs or logits                           | no          |
| Multinomial        | total_count (one number); probs or logits (K last)     | no          |
| LowRankMultivariateNormal | loc, cov_factor, cov_diag                       | yes         |
| MixtureSameFamily  | mixture_distribution (Categorical), component_distribution | no      |
| LogisticNormal     | loc, scale (K − 1 last)                                | yes         |
| RelaxedBernoulli, RelaxedOneHotCategorical | temperature; probs or logits   | yes         |
| OneHotCategoricalStraightThrough | probs or logits                          | straight-through |
| TransformedDistribution | base_distribution, transforms                     | as the base |
| Wishart            | df; covariance_matrix, precision_matrix or scale_tril  | yes (*)     |
| LKJCholesky        | dim, concentration                                     | no          |

(*) Through gamma draws differentiated by implicit reparametrisation (implicit_gamma.py), as
PyTorch's; Beta's and Dirichlet's gradients differ from PyTorch's draw by draw (both unbiased).

Normal, Uniform, Exponential, Laplace, Cauchy, HalfNormal and LogNormal have ``cdf`` and ``icdf``, Gamma
``cdf``, and so do the added continuous families where PyTorch gives them (a TransformedDistribution's
through monotone transforms);
every distribution has ``expand(batch_shape)``, and ``mode`` where PyTorch defines one; Bernoulli, Categorical,
OneHotCategorical and Binomial have ``enumerate_support``.

``transforms`` holds PyTorch's transforms (Exp, Affine, Sigmoid, Tanh, Softplus, Power, Abs, Compose,
Independent, Reshape, Cat, Stack, Softmax, StickBreaking, LowerCholesky, PositiveDefinite, CorrCholesky,
CumulativeDistribution), each also a name of this package; ``biject_to`` and ``transform_to`` map the
real numbers onto a constraint (constraint_registry.py).

Every draw comes from the library's generator: ``deltaprop.manual_seed`` repeats it. Parameters and
values are checked as PyTorch checks them (``validate_args``, on by default).
"""

from __future__ import annotations

from .. import _lazy
from . import constraints, transforms
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical, OneHotCategorical
from .cauchy import Cauchy
from .chi2 import Chi2
from .constraint_registry import biject_to, transform_to
from .continuous_bernoulli import ContinuousBernoulli
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .fisher_snedecor import FisherSnedecor
from .gamma import Gamma
from .generalized_pareto import GeneralizedPareto
from .geometric import Geometric
from .gumbel import Gumbel
from .half_cauchy import HalfCauchy
from .half_normal import HalfNormal
from .independent import Independent
from .inverse_gamma import InverseGamma
from .kl_added import kl_divergence, register_kl  # (kl's, from the module that files the later rules too)
from .kumaraswamy import Kumaraswamy
from .laplace import Laplace
from .lkj_cholesky import LKJCholesky
from .log_normal import LogNormal
from .logistic_normal import LogisticNormal
from .low_rank_multivariate_normal import LowRankMultivariateNormal
from .mixture_same_family import MixtureSameFamily
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .negative_binomial import NegativeBinomial
from .normal import Normal
from .pareto import Pareto
from .poisson import Poisson
from .relaxed_bernoulli import LogitRelaxedBernoulli, RelaxedBernoulli
from .relaxed_categorical import ExpRelaxedCategorical, RelaxedOneHotCategorical
from .straight_through import OneHotCategoricalStraightThrough
from .student_t import StudentT
from .transformed_distribution import TransformedDistribution
from .transforms import (  # (PyTorch's torch.distributions names every transform too)
    AbsTransform, AffineTransform, CatTransform, ComposeTransform, CorrCholeskyTransform, CumulativeDistributionTransform,
    ExpTransform, IndependentTransform, LowerCholeskyTransform, PositiveDefiniteTransform, PowerTransform,
    ReshapeTransform, SigmoidTransform, SoftmaxTransform, SoftplusTransform, StackTransform, StickBreakingTransform,
    TanhTransform, Transform, identity_transform,
)
from .uniform import Uniform
from .von_mises import VonMises
from .weibull import Weibull
from .wishart import Wishart

__all__ = [
    "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Dirichlet", "Distribution", "Exponential", "Gamma",
    "Geometric", "HalfNormal", "Independent", "Laplace", "LogNormal", "MultivariateNormal", "Normal",
    "OneHotCategorical", "Poisson", "StudentT", "Uniform",
    "constraints", "kl_divergence", "register_kl",
    "TransformedDistribution", "biject_to", "transform_to", "transforms",
    "Chi2", "ContinuousBernoulli", "ExpRelaxedCategorical", "FisherSnedecor", "GeneralizedPareto", "Gumbel",
    "HalfCauchy", "InverseGamma", "Kumaraswamy", "LogisticNormal", "LogitRelaxedBernoulli", "LowRankMultivariateNormal",
    "MixtureSameFamily", "Multinomial", "NegativeBinomial", "OneHotCategoricalStraightThrough", "Pareto",
    "RelaxedBernoulli", "RelaxedOneHotCategorical", "VonMises", "Weibull",
    "AbsTransform", "AffineTransform", "CatTransform", "ComposeTransform", "CorrCholeskyTransform",
    "CumulativeDistributionTransform", "ExpTransform", "IndependentTransform", "LowerCholeskyTransform",
    "PositiveDefiniteTransform", "PowerTransform", "ReshapeTransform", "SigmoidTransform", "SoftmaxTransform",
    "SoftplusTransform", "StackTransform", "StickBreakingTransform", "TanhTransform", "Transform",
    "identity_transform",
    "ExponentialFamily", "LKJCholesky", "Wishart",
]

# PyTorch's module paths that deltaprop keeps under other names, imported on first use
_lazy.provide(globals(), unlisted=(".fishersnedecor", ".lowrank_multivariate_normal", ".one_hot_categorical", ".studentT",
                                   ".utils"))
