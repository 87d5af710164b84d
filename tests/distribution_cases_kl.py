"""The KL pairs of two different families (kl_between.py), each built the same way in deltaprop and
in PyTorch from float64 arrays, with p inside q's support (finite divergences), in the form of
distribution_cases_more.KL_CASES; and the pairs whose divergence is +inf throughout (shared by
test_distribution_additions.py and reference/test_torch_distribution_additions.py)."""

from __future__ import annotations

import numpy as np

_rng = np.random.default_rng(20242)
_normal = _rng.standard_normal((2, 3))
_positive = _rng.uniform(0.5, 2.0, (2, 3))
_shapes = _rng.uniform(0.5, 4.0, (2, 3))
_probabilities = _rng.uniform(0.1, 0.9, (2, 3))
_low = _rng.uniform(0.05, 0.4, (2, 3))
_high = _rng.uniform(0.5, 0.95, (2, 3))

_PARAMETERS = {
    "Bernoulli": {"probs": _probabilities},
    "Beta": {"concentration1": _shapes, "concentration0": _positive},
    "Exponential": {"rate": _positive},
    "Gamma": {"concentration": _shapes, "rate": _positive},
    "Laplace": {"loc": _normal, "scale": _positive},
    "Normal": {"loc": _normal, "scale": _positive},
    "Poisson": {"rate": 2 * _positive},
    "Uniform": {"low": _low, "high": _high},
    "Binomial": {"total_count": np.full((2, 3), 4.0), "probs": _probabilities},
}
# q's own parameters, different from p's
_Q_PARAMETERS = {
    "Poisson": {"rate": _positive[::-1]},
    "Exponential": {"rate": _positive[:, ::-1]},
    "Gamma": {"concentration": _shapes[::-1], "rate": _positive[:, ::-1]},
    "Normal": {"loc": _normal[::-1], "scale": _positive[:, ::-1]},
    "Uniform": {"low": -_positive, "high": 1 + _positive[::-1]},  # (around [0, 1], a Beta's support)
    "Beta": {"concentration1": _positive[::-1], "concentration0": _shapes[:, ::-1]},
    "Bernoulli": {"probs": _probabilities[::-1]},
    "Binomial": {"total_count": np.full((2, 3), 4.0), "probs": _probabilities[::-1]},
    "Laplace": {"loc": _normal[::-1], "scale": _positive[:, ::-1]},
}


def _pair(family_p, family_q):
    def build(module, tensors):
        p = getattr(module, family_p)(**{k[2:]: v for k, v in tensors.items() if k.startswith("p.")})
        q = getattr(module, family_q)(**{k[2:]: v for k, v in tensors.items() if k.startswith("q.")})
        return p, q
    parameters = {**{"p." + k: v for k, v in _PARAMETERS[family_p].items()},
                  **{"q." + k: v for k, v in _Q_PARAMETERS[family_q].items()}}
    return build, parameters


FINITE = ["Bernoulli-Poisson", "Beta-Exponential", "Beta-Gamma", "Beta-Normal", "Beta-Uniform", "Exponential-Normal",
          "Gamma-Exponential", "Gamma-Normal", "Laplace-Normal", "Uniform-Beta", "Uniform-Exponential", "Uniform-Gamma"]
INFINITE = ["Exponential-Beta", "Exponential-Uniform", "Gamma-Beta", "Gamma-Uniform", "Laplace-Beta",
            "Laplace-Exponential", "Laplace-Gamma", "Laplace-Uniform", "Normal-Beta", "Normal-Exponential",
            "Normal-Gamma", "Normal-Uniform", "Poisson-Bernoulli", "Poisson-Binomial"]
BETWEEN = {name: _pair(*name.split("-")) for name in FINITE + INFINITE}
# the pairs whose gradient goes through digamma's slope (a Beta's or a Gamma's entropy, E[ln x] of a Beta)
THROUGH_DIGAMMA = {name for name in FINITE if name.startswith(("Beta", "Gamma"))}
NOT_DIFFERENTIATED = {"p.total_count", "q.total_count"}
