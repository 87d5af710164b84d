"""The families added with the transforms (Gumbel, Weibull, Pareto, HalfCauchy, Chi2, FisherSnedecor,
InverseGamma, Kumaraswamy, VonMises, ContinuousBernoulli, GeneralizedPareto, NegativeBinomial,
LogisticNormal, RelaxedBernoulli, RelaxedOneHotCategorical, Multinomial, LowRankMultivariateNormal,
MixtureSameFamily), each built the same way in deltaprop and in PyTorch from float64 arrays (shared by
test_distribution_added_families.py and reference/test_torch_distribution_added_families.py), in the
form of distribution_cases.CASES: name -> (build(module, tensors), parameters, value, _).

QUANTITIES names what each defines with a finite, differentiable value at these parameters (in
PyTorch as here); WITH_CDF the families with cdf (and icdf where listed).
"""

from __future__ import annotations

import numpy as np

_rng = np.random.default_rng(90210)
_normal = _rng.standard_normal((2, 3))
_positive = _rng.uniform(0.5, 2.0, (2, 3))
_probabilities = _rng.uniform(0.1, 0.9, (2, 3))
_counts = np.array([[3.0, 5.0, 8.0], [1.0, 6.0, 10.0]])
_shape = _rng.uniform(-0.4, 0.45, (2, 3))


def _build(family, *keywords):
    def build(module, tensors):
        if not keywords:
            return getattr(module, family)(*tensors.values())
        return getattr(module, family)(**{k: tensors[k] for k in keywords})
    return build


def _simplex(shape):
    x = _rng.uniform(0.1, 1.0, shape)
    return x / x.sum(-1, keepdims=True)


def _mixture(module, t):
    return module.MixtureSameFamily(module.Categorical(logits=t["logits"]), module.Normal(t["loc"], t["scale"]))


def _vector_mixture(module, t):
    components = module.Independent(module.Normal(t["loc"], t["scale"]), 1)
    return module.MixtureSameFamily(module.Categorical(logits=t["logits"]), components)


_FS_DF2 = 3 * _positive + 4.5  # (above 4: a finite variance)

# name: (build, parameters, value, whether the value is differentiable)
ADDED_CASES = {
    "Gumbel": (_build("Gumbel"), {"loc": _normal, "scale": _positive}, 2 * _rng.standard_normal((4, 2, 3)), True),
    "Weibull": (_build("Weibull"), {"scale": _positive, "concentration": _positive + 0.6},
                _rng.uniform(0.1, 3.0, (4, 2, 3)), True),
    "Pareto": (_build("Pareto"), {"scale": _positive, "alpha": _positive + 2.2},
               _positive * _rng.uniform(1.01, 3.0, (4, 2, 3)), True),
    "HalfCauchy": (_build("HalfCauchy"), {"scale": _positive}, _rng.uniform(0.05, 4.0, (4, 2, 3)), True),
    "Chi2": (_build("Chi2"), {"df": 3 * _positive}, _rng.uniform(0.1, 5.0, (4, 2, 3)), True),
    "FisherSnedecor": (_build("FisherSnedecor"), {"df1": 3 * _positive + 2.5, "df2": _FS_DF2},
                       _rng.uniform(0.1, 4.0, (4, 2, 3)), True),
    "InverseGamma": (_build("InverseGamma"), {"concentration": _positive + 2.2, "rate": _positive},
                     _rng.uniform(0.1, 3.0, (4, 2, 3)), True),
    "Kumaraswamy": (_build("Kumaraswamy"), {"concentration1": _positive + 0.5, "concentration0": _positive + 0.5},
                    _rng.uniform(0.05, 0.95, (4, 2, 3)), True),
    "VonMises": (_build("VonMises"), {"loc": _normal, "concentration": 2 * _positive},
                 _rng.uniform(-np.pi, np.pi, (4, 2, 3)), True),
    "ContinuousBernoulli(probs)": (_build("ContinuousBernoulli", "probs"), {"probs": _probabilities},
                                   _rng.uniform(0.02, 0.98, (4, 2, 3)), True),
    "ContinuousBernoulli(logits)": (_build("ContinuousBernoulli", "logits"), {"logits": _normal},
                                    _rng.uniform(0.02, 0.98, (4, 2, 3)), True),
    "GeneralizedPareto": (_build("GeneralizedPareto"), {"loc": _normal, "scale": _positive, "concentration": _shape},
                          _normal + _positive * _rng.uniform(0.05, 2.0, (4, 2, 3)), True),
    "NegativeBinomial(probs)": (_build("NegativeBinomial", "total_count", "probs"),
                                {"total_count": _counts, "probs": _probabilities},
                                _rng.integers(0, 12, (4, 2, 3)).astype(float), True),
    "NegativeBinomial(logits)": (_build("NegativeBinomial", "total_count", "logits"),
                                 {"total_count": _counts, "logits": _normal},
                                 _rng.integers(0, 12, (4, 2, 3)).astype(float), True),
    "LogisticNormal": (_build("LogisticNormal"), {"loc": _normal, "scale": _positive}, _simplex((4, 2, 4)), True),
    "RelaxedBernoulli": (_build("RelaxedBernoulli", "temperature", "probs"),
                         {"temperature": np.array(0.7), "probs": _probabilities},
                         _rng.uniform(0.02, 0.98, (4, 2, 3)), True),
    "RelaxedBernoulli(logits)": (_build("RelaxedBernoulli", "temperature", "logits"),
                                 {"temperature": _positive, "logits": _normal},
                                 _rng.uniform(0.02, 0.98, (4, 2, 3)), True),
    "RelaxedOneHotCategorical": (_build("RelaxedOneHotCategorical", "temperature", "logits"),
                                 {"temperature": np.array(0.6), "logits": _normal}, _simplex((4, 2, 3)), True),
    "Multinomial": (lambda module, t: module.Multinomial(6, probs=t["probs"]), {"probs": _simplex((2, 3))},
                    np.array([[[1.0, 2.0, 3.0], [0.0, 6.0, 0.0]], [[2.0, 2.0, 2.0], [5.0, 0.0, 1.0]]]), False),
    "LowRankMultivariateNormal": (_build("LowRankMultivariateNormal"),
                                  {"loc": _normal, "cov_factor": _rng.standard_normal((2, 3, 2)) / 2,
                                   "cov_diag": _positive}, 2 * _rng.standard_normal((4, 2, 3)), True),
    "MixtureSameFamily": (_mixture, {"logits": _normal, "loc": 2 * _normal[::-1], "scale": _positive},
                          _rng.standard_normal((4, 2)), True),
    "MixtureSameFamily(vectors)": (_vector_mixture, {"logits": _normal, "loc": _rng.standard_normal((2, 3, 2)),
                                                     "scale": _rng.uniform(0.5, 2.0, (2, 3, 2))},
                                   _rng.standard_normal((4, 2, 2)), True),
}

# the parameters that are not differentiated (counts)
NOT_DIFFERENTIATED = {"total_count"}

_MOMENTS = ["log_prob", "entropy", "mean", "variance", "stddev", "mode"]
QUANTITIES = {name: list(_MOMENTS) for name in ADDED_CASES}
for _name in ["FisherSnedecor", "VonMises", "NegativeBinomial(probs)", "NegativeBinomial(logits)"]:
    QUANTITIES[_name].remove("entropy")  # (PyTorch defines none)
for _name in ["ContinuousBernoulli(probs)", "ContinuousBernoulli(logits)", "Multinomial", "LowRankMultivariateNormal",
              "MixtureSameFamily", "MixtureSameFamily(vectors)"]:
    QUANTITIES[_name].remove("mode")
for _name in ["MixtureSameFamily", "MixtureSameFamily(vectors)"]:
    QUANTITIES[_name].remove("entropy")
for _name in ["HalfCauchy"]:  # (+inf moments, a constant mode)
    QUANTITIES[_name] = ["log_prob", "entropy"]
for _name in ["LogisticNormal", "RelaxedBernoulli", "RelaxedBernoulli(logits)", "RelaxedOneHotCategorical"]:
    QUANTITIES[_name] = ["log_prob"]
# PyTorch's Kumaraswamy mode is NaN for every parameter (test_kumaraswamy_mode_is_the_peak)
QUANTITIES["Kumaraswamy"].remove("mode")

# the families with cdf (and those with icdf), at values of ADDED_CASES and probabilities
WITH_CDF = ["Gumbel", "Weibull", "Pareto", "HalfCauchy", "Chi2", "InverseGamma", "Kumaraswamy",
            "ContinuousBernoulli(probs)", "ContinuousBernoulli(logits)", "GeneralizedPareto", "MixtureSameFamily"]
WITH_ICDF = ["Gumbel", "Weibull", "Pareto", "HalfCauchy", "Kumaraswamy", "ContinuousBernoulli(probs)",
             "ContinuousBernoulli(logits)", "GeneralizedPareto"]
PROBABILITIES = _rng.uniform(0.02, 0.98, (4, 2, 3))
