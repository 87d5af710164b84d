"""The distributions under test, each built the same way in deltaprop and in PyTorch from one set of
float64 parameter arrays, with values inside the support to score (shared by test_distributions.py
and reference/test_torch_distributions.py)."""

from __future__ import annotations

import numpy as np

_rng = np.random.default_rng(20240)
_normal = _rng.standard_normal((2, 3))
_positive = _rng.uniform(0.5, 2.0, (2, 3))
_probabilities = _rng.uniform(0.1, 0.9, (2, 3))
_classes = _rng.uniform(0.1, 1.0, (2, 3, 4))
_indices = _rng.integers(0, 4, (5, 2, 3))
_vectors = _rng.standard_normal((2, 3, 3))
_shapes = _rng.uniform(0.5, 4.0, (2, 3))
_weights = _rng.uniform(0.5, 4.0, (2, 3, 4))
_points = _rng.uniform(0.1, 1.0, (4, 2, 3, 4))
# a·aᵀ is positive-definite, and with 3·I well-conditioned enough that float32 results agree to 2e-5
_factors = _rng.standard_normal((2, 3, 3, 3)) + 3 * np.eye(3)


def _build(family, keyword=None):
    def build(module, tensors):
        if keyword is None:
            return getattr(module, family)(*tensors.values())
        return getattr(module, family)(**{keyword: tensors[keyword]})
    return build


def _multivariate(keyword):
    # the matrix built from a free factor, so that every nudge of a gradient check stays symmetric
    # (covariance, precision) or lower-triangular (scale_tril)
    def build(module, tensors):
        a = tensors["factor"]
        matrix = a.tril() if keyword == "scale_tril" else a @ a.mT
        return module.MultivariateNormal(tensors["loc"], **{keyword: matrix})
    return build


def _independent(module, tensors):
    return module.Independent(module.Normal(tensors["loc"], tensors["scale"]), 1)


# name: (build(module, {parameter: tensor}), {parameter: float64 array}, value, whether value is differentiable)
CASES = {
    "Normal": (_build("Normal"), {"loc": _normal, "scale": _positive}, _rng.standard_normal((4, 2, 3)), True),
    "Uniform": (_build("Uniform"), {"low": _normal, "high": _normal + _positive},
                _normal + _positive * _rng.uniform(0.05, 0.95, (4, 2, 3)), True),
    "Exponential": (_build("Exponential"), {"rate": _positive}, _rng.uniform(0.1, 3.0, (4, 2, 3)), True),
    "Laplace": (_build("Laplace"), {"loc": _normal, "scale": _positive}, _rng.standard_normal((4, 2, 3)), True),
    "Bernoulli(probs)": (_build("Bernoulli", "probs"), {"probs": _probabilities},
                         _rng.integers(0, 2, (4, 2, 3)).astype(float), True),
    "Bernoulli(logits)": (_build("Bernoulli", "logits"), {"logits": 2 * _normal},
                          _rng.integers(0, 2, (4, 2, 3)).astype(float), True),
    "Categorical(probs)": (_build("Categorical", "probs"), {"probs": _classes}, _indices, False),
    "Categorical(logits)": (_build("Categorical", "logits"), {"logits": np.log(_classes) + 0.3}, _indices, False),
    "OneHotCategorical(probs)": (_build("OneHotCategorical", "probs"), {"probs": _classes},
                                 np.eye(4)[_indices], False),
    "OneHotCategorical(logits)": (_build("OneHotCategorical", "logits"), {"logits": np.log(_classes) + 0.3},
                                  np.eye(4)[_indices], False),
    **{f"MultivariateNormal({keyword})": (_multivariate(keyword), {"loc": _vectors, "factor": _factors},
                                          _rng.standard_normal((4, 2, 3, 3)), True)
       for keyword in ("covariance_matrix", "precision_matrix", "scale_tril")},
    "Gamma": (_build("Gamma"), {"concentration": _shapes, "rate": _positive}, _rng.uniform(0.1, 3.0, (4, 2, 3)), True),
    "Beta": (_build("Beta"), {"concentration1": _shapes, "concentration0": _positive[::-1]},
             _rng.uniform(0.05, 0.95, (4, 2, 3)), True),
    "Dirichlet": (_build("Dirichlet"), {"concentration": _weights}, _points / _points.sum(-1, keepdims=True), True),
    "Independent(Normal)": (_independent, {"loc": _normal, "scale": _positive}, _rng.standard_normal((4, 2, 3)), True),
}

# reparametrised implicitly (through gamma draws), and scored through digamma
IMPLICITLY_REPARAMETRISED = {"Gamma", "Beta", "Dirichlet"}

# pairs (p, q) of one family for kl_divergence: the name of the family's case, and q's parameters
KL_PAIRS = {
    "Normal": {"loc": _normal[::-1], "scale": _positive[:, ::-1]},
    "Uniform": {"low": _normal - 0.5, "high": _normal + _positive + 0.25},
    "Exponential": {"rate": _positive[::-1]},
    "Laplace": {"loc": _normal[::-1], "scale": _positive[:, ::-1]},
    "Bernoulli(probs)": {"probs": _probabilities[::-1]},
    "Bernoulli(logits)": {"logits": -_normal},
    "Categorical(probs)": {"probs": _classes[::-1]},
    "Categorical(logits)": {"logits": np.log(_classes[::-1])},
    "OneHotCategorical(probs)": {"probs": _classes[::-1]},
    "MultivariateNormal(covariance_matrix)": {"loc": _vectors[::-1], "factor": _factors[:, ::-1]},
    "MultivariateNormal(scale_tril)": {"loc": _vectors[:, ::-1], "factor": _factors[::-1]},
    "Gamma": {"concentration": _shapes[::-1], "rate": _positive[:, ::-1]},
    "Beta": {"concentration1": _positive, "concentration0": _shapes[:, ::-1]},
    "Dirichlet": {"concentration": _weights[::-1]},
    "Independent(Normal)": {"loc": _normal[::-1], "scale": _positive[:, ::-1]},
}
