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
| Gamma              | concentration, rate                                    | no (*)      |
| Beta               | concentration1, concentration0                         | no (*)      |
| Dirichlet          | concentration (K last)                                 | no (*)      |
| Independent        | base_distribution, reinterpreted_batch_ndims           | as the base |

(*) PyTorch reparametrises these implicitly; here ``sample`` draws them (NumPy's gamma and beta
samplers) and ``rsample`` is refused.

Every draw comes from the library's generator: ``deltaprop.manual_seed`` repeats it. Parameters and
values are checked as PyTorch checks them (``validate_args``, on by default).
"""

from __future__ import annotations

from . import constraints
from .bernoulli import Bernoulli
from .beta import Beta
from .categorical import Categorical, OneHotCategorical
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .uniform import Uniform

__all__ = [
    "Bernoulli", "Beta", "Categorical", "Dirichlet", "Distribution", "Exponential", "Gamma", "Independent", "Laplace",
    "MultivariateNormal", "Normal", "OneHotCategorical", "Uniform",
    "constraints", "kl_divergence", "register_kl",
]
