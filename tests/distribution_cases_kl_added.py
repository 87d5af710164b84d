"""The KL pairs PyTorch registers for the families added with the transforms (kl_added.py), each
built the same way in deltaprop and in PyTorch from float64 arrays: FINITE with p inside q's support,
INFINITE where the divergence is +inf throughout (shared by test_distribution_added_kl.py and
reference/test_torch_distribution_added_kl.py)."""

from __future__ import annotations

import numpy as np

_rng = np.random.default_rng(31337)
_normal = _rng.standard_normal((2, 3))
_positive = _rng.uniform(0.5, 2.0, (2, 3))
_shapes = _rng.uniform(0.5, 4.0, (2, 3))
_probabilities = _rng.uniform(0.1, 0.9, (2, 3))

_PARAMETERS = {
    "Beta": {"concentration1": _shapes, "concentration0": _positive},
    "ContinuousBernoulli": {"probs": _probabilities},
    "Exponential": {"rate": _positive},
    "Gamma": {"concentration": _shapes, "rate": _positive},
    "Gumbel": {"loc": _normal, "scale": _positive},
    "Laplace": {"loc": _normal, "scale": _positive},
    "Normal": {"loc": _normal, "scale": _positive},
    "Pareto": {"scale": 1 + _positive, "alpha": _shapes + 2.2},  # (α > 2: a finite variance)
    "Uniform": {"low": _rng.uniform(0.05, 0.4, (2, 3)), "high": _rng.uniform(0.5, 0.95, (2, 3))},
}
# q's own parameters, different from p's (a Pareto q's scale below p's draws, a uniform q around [0, 1])
_Q_PARAMETERS = {
    "ContinuousBernoulli": {"probs": _probabilities[::-1]},
    "Exponential": {"rate": _positive[:, ::-1]},
    "Gamma": {"concentration": _shapes[::-1], "rate": _positive[:, ::-1]},
    "Gumbel": {"loc": _normal[::-1], "scale": _positive[:, ::-1]},
    "Normal": {"loc": _normal[::-1], "scale": _positive[:, ::-1]},
    "Pareto": {"scale": _rng.uniform(0.01, 0.04, (2, 3)), "alpha": _shapes[::-1]},
    "Uniform": {"low": -_positive, "high": 1 + _positive[::-1]},
    "Beta": {"concentration1": _positive[::-1], "concentration0": _shapes[:, ::-1]},
}


def _pair(family_p, family_q):
    def build(module, tensors):
        p = getattr(module, family_p)(**{k[2:]: v for k, v in tensors.items() if k.startswith("p.")})
        q = getattr(module, family_q)(**{k[2:]: v for k, v in tensors.items() if k.startswith("q.")})
        return p, q
    q_parameters = _Q_PARAMETERS.get(family_q, _PARAMETERS[family_q])
    if family_p == family_q == "Pareto":  # (q's scale below p's: a finite divergence)
        q_parameters = {"scale": _positive[::-1] / 2, "alpha": _shapes[:, ::-1] + 0.5}
    parameters = {**{"p." + k: v for k, v in _PARAMETERS[family_p].items()},
                  **{"q." + k: v for k, v in q_parameters.items()}}
    return build, parameters


def _low_rank(module, t):
    p = module.LowRankMultivariateNormal(t["p.loc"], t["p.cov_factor"], t["p.cov_diag"])
    q = module.LowRankMultivariateNormal(t["q.loc"], t["q.cov_factor"], t["q.cov_diag"])
    return p, q


def _low_rank_full(module, t):
    p = module.LowRankMultivariateNormal(t["p.loc"], t["p.cov_factor"], t["p.cov_diag"])
    return p, module.MultivariateNormal(t["q.loc"], scale_tril=t["q.scale_tril"])


def _full_low_rank(module, t):
    q = module.LowRankMultivariateNormal(t["p.loc"], t["p.cov_factor"], t["p.cov_diag"])
    return module.MultivariateNormal(t["q.loc"], scale_tril=t["q.scale_tril"]), q


def _weibulls(module, t):
    # two TransformedDistributions with equal transforms (one concentration tensor): the bases' divergence
    w = module.Weibull(t["p.scale"], t["p.concentration"])
    return w, module.TransformedDistribution(module.Exponential(t["q.rate"]), w.transforms)


_LOW_RANK = {"p.loc": _normal, "p.cov_factor": _rng.standard_normal((2, 3, 2)) / 2, "p.cov_diag": _positive,
             "q.loc": _normal[::-1], "q.cov_factor": _rng.standard_normal((2, 3, 1)), "q.cov_diag": _positive[::-1]}
_TRIL = np.tril(_rng.standard_normal((2, 3, 3)), -1) + np.eye(3) * _rng.uniform(0.5, 1.5, (2, 1, 3))

FINITE = ["Gumbel-Gumbel", "Gumbel-Normal", "Exponential-Gumbel", "Gamma-Gumbel", "Normal-Gumbel", "Uniform-Gumbel",
          "Pareto-Pareto", "Pareto-Exponential", "Pareto-Gamma", "Pareto-Normal", "Uniform-Pareto",
          "ContinuousBernoulli-ContinuousBernoulli", "ContinuousBernoulli-Exponential", "ContinuousBernoulli-Normal",
          "ContinuousBernoulli-Uniform", "Beta-ContinuousBernoulli", "Uniform-ContinuousBernoulli"]
INFINITE = ["Beta-Pareto", "ContinuousBernoulli-Pareto", "Exponential-ContinuousBernoulli", "Exponential-Pareto",
            "Gamma-ContinuousBernoulli", "Gamma-Pareto", "Gumbel-Beta", "Gumbel-ContinuousBernoulli",
            "Gumbel-Exponential", "Gumbel-Gamma", "Gumbel-Pareto", "Gumbel-Uniform", "Laplace-ContinuousBernoulli",
            "Laplace-Pareto", "Normal-ContinuousBernoulli", "Normal-Pareto", "Pareto-Beta", "Pareto-ContinuousBernoulli",
            "Pareto-Uniform"]
KL_ADDED = {name: _pair(*name.split("-")) for name in FINITE + INFINITE}
KL_ADDED["LowRank-LowRank"] = (_low_rank, _LOW_RANK)
KL_ADDED["LowRank-MultivariateNormal"] = (_low_rank_full, {**{k: v for k, v in _LOW_RANK.items() if k[0] == "p"},
                                                           "q.loc": _normal[::-1], "q.scale_tril": _TRIL})
KL_ADDED["MultivariateNormal-LowRank"] = (_full_low_rank, {**{k: v for k, v in _LOW_RANK.items() if k[0] == "p"},
                                                           "q.loc": _normal[::-1], "q.scale_tril": _TRIL})
KL_ADDED["Transformed-Transformed"] = (_weibulls, {"p.scale": _positive, "p.concentration": _shapes,
                                                   "q.rate": _positive[::-1]})
FINITE = FINITE + ["LowRank-LowRank", "LowRank-MultivariateNormal", "MultivariateNormal-LowRank",
                   "Transformed-Transformed"]
# the pairs whose gradient goes through digamma's slope (a Beta's or a Gamma's entropy)
THROUGH_DIGAMMA = {name for name in FINITE if name.startswith(("Beta", "Gamma"))}
