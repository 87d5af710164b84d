"""The later families (Poisson, Geometric, Binomial, Cauchy, HalfNormal, LogNormal, StudentT), the
families with cdf and icdf, and the KL pairs of the later rules, each built the same way in deltaprop
and in PyTorch from float64 arrays (shared by test_distribution_families.py and
reference/test_torch_distribution_families.py), in the form of distribution_cases.CASES."""

from __future__ import annotations

import numpy as np

from distribution_cases import CASES

_rng = np.random.default_rng(20241)
_normal = _rng.standard_normal((2, 3))
_positive = _rng.uniform(0.5, 2.0, (2, 3))
_probabilities = _rng.uniform(0.1, 0.9, (2, 3))
_counts = np.array([[3.0, 5.0, 8.0], [1.0, 6.0, 10.0]])
_degrees = np.array([[2.5, 4.0, 7.0], [3.0, 5.5, 30.0]])  # above 2: finite variances, smooth everywhere


def _build(family, *keywords):
    def build(module, tensors):
        if not keywords:
            return getattr(module, family)(*tensors.values())
        return getattr(module, family)(**{k: tensors[k] for k in keywords})
    return build


# name: (build, parameters, value, whether the value is differentiable in PyTorch and here)
NEW_CASES = {
    "Poisson": (_build("Poisson"), {"rate": 3 * _positive}, _rng.integers(0, 8, (4, 2, 3)).astype(float), True),
    "Geometric(probs)": (_build("Geometric", "probs"), {"probs": _probabilities},
                         _rng.integers(0, 6, (4, 2, 3)).astype(float), True),
    "Geometric(logits)": (_build("Geometric", "logits"), {"logits": _normal},
                          _rng.integers(0, 6, (4, 2, 3)).astype(float), True),
    "Binomial(probs)": (_build("Binomial", "total_count", "probs"), {"total_count": _counts, "probs": _probabilities},
                        np.minimum(_rng.integers(0, 11, (4, 2, 3)), _counts), True),
    "Binomial(logits)": (_build("Binomial", "total_count", "logits"), {"total_count": _counts, "logits": _normal},
                         np.minimum(_rng.integers(0, 11, (4, 2, 3)), _counts), True),
    "Cauchy": (_build("Cauchy"), {"loc": _normal, "scale": _positive}, 2 * _rng.standard_normal((4, 2, 3)), True),
    "HalfNormal": (_build("HalfNormal"), {"scale": _positive}, _rng.uniform(0.05, 3.0, (4, 2, 3)), True),
    "LogNormal": (_build("LogNormal"), {"loc": _normal, "scale": _positive}, _rng.uniform(0.05, 4.0, (4, 2, 3)), True),
    "StudentT": (_build("StudentT"), {"df": _degrees, "loc": _normal, "scale": _positive},
                 2 * _rng.standard_normal((4, 2, 3)), True),
}

# the quantities each family defines with a finite, differentiable value (Poisson has no entropy,
# Cauchy no finite mean or variance, in PyTorch as here)
QUANTITIES = {name: ["log_prob", "entropy", "mean", "variance", "stddev"] for name in NEW_CASES}
QUANTITIES["Poisson"] = ["log_prob", "mean", "variance", "stddev"]
QUANTITIES["Cauchy"] = ["log_prob", "entropy"]

# the families with cdf and icdf, and probabilities to invert
WITH_CDF = {name: (NEW_CASES.get(name) or CASES[name])
            for name in ["Normal", "Uniform", "Exponential", "Laplace", "Cauchy", "HalfNormal", "LogNormal"]}
PROBABILITIES = _rng.uniform(0.02, 0.98, (4, 2, 3))


def _pair(family_p, family_q):
    def build(module, tensors):
        p = getattr(module, family_p)(*[tensors[k] for k in tensors if k.startswith("p.")])
        q = getattr(module, family_q)(*[tensors[k] for k in tensors if k.startswith("q.")])
        return p, q
    return build


def _same(case, q_parameters):
    """A pair of one family: p with the case's parameters, q with ``q_parameters``."""
    build, p_parameters, _, _ = NEW_CASES[case]

    def pair(module, tensors):
        return (build(module, {k[2:]: v for k, v in tensors.items() if k.startswith("p.")}),
                build(module, {k[2:]: v for k, v in tensors.items() if k.startswith("q.")}))
    return pair, {**{"p." + k: v for k, v in p_parameters.items()}, **{"q." + k: v for k, v in q_parameters.items()}}


# name: (build(module, {"p.x": tensor, "q.y": tensor}) -> (p, q), parameters); total_count is not differentiated
KL_CASES = {
    "Poisson": _same("Poisson", {"rate": _positive[::-1]}),
    "Geometric(probs)": _same("Geometric(probs)", {"probs": _probabilities[:, ::-1]}),
    "Geometric(logits)": _same("Geometric(logits)", {"logits": -_normal}),
    "Binomial(probs)": _same("Binomial(probs)", {"total_count": _counts, "probs": _probabilities[::-1]}),
    "Binomial(logits)": _same("Binomial(logits)", {"total_count": _counts, "logits": _normal[::-1]}),
    "Cauchy": _same("Cauchy", {"loc": _normal[::-1], "scale": _positive[:, ::-1]}),
    "HalfNormal": _same("HalfNormal", {"scale": _positive[::-1]}),
    "LogNormal": _same("LogNormal", {"loc": _normal[::-1], "scale": _positive[:, ::-1]}),
    "Exponential-Gamma": (_pair("Exponential", "Gamma"),
                          {"p.rate": _positive, "q.concentration": 2 * _positive[::-1], "q.rate": _positive[:, ::-1]}),
    "Uniform-Normal": (_pair("Uniform", "Normal"), {"p.low": _normal, "p.high": _normal + _positive,
                                                    "q.loc": _normal[::-1], "q.scale": _positive[:, ::-1]}),
    "Normal-Laplace": (_pair("Normal", "Laplace"), {"p.loc": _normal, "p.scale": _positive,
                                                    "q.loc": _normal[::-1], "q.scale": _positive[:, ::-1]}),
}
NOT_DIFFERENTIATED = {"total_count", "p.total_count", "q.total_count"}
