"""The transforms of deltaprop.distributions.transforms and PyTorch's, each built the same way from
float64 arrays (shared by test_distribution_transforms.py and
reference/test_torch_distribution_transforms.py).

A case is (build(T, parameters) -> transform, parameters, input, kind): ``T`` is either module's
``transforms``, ``parameters`` a dict of arrays made into tensors that require gradients (the
transform's own parameters), ``input`` the array x the forward map takes, and ``kind`` which
methods exist: "bijective" (forward, inverse and log_abs_det_jacobian), "forward" (forward and
inverse, no log-determinant: the map is not one-to-one).
"""

from __future__ import annotations

import numpy as np

_rng = np.random.default_rng(7077)
_real = _rng.standard_normal((3, 4))
_positive = _rng.uniform(0.5, 2.0, (3, 4))
# (PyTorch keeps a number exponent as a tensor of the default dtype, float32, and inverts by y^(1/p)
# in that dtype: p = 0.5 keeps 1/p exact)

CASES = {
    "Exp": (lambda T, p: T.ExpTransform(), {}, _real, "bijective"),
    "Exp.inv": (lambda T, p: T.ExpTransform().inv, {}, _positive, "bijective"),
    "Affine(numbers)": (lambda T, p: T.AffineTransform(0.5, -2.0), {}, _real, "bijective"),
    "Affine(tensors)": (lambda T, p: T.AffineTransform(p["loc"], p["scale"]),
                        {"loc": _rng.standard_normal(4), "scale": _rng.uniform(-2, 2, 4)}, _real, "bijective"),
    "Affine(event_dim=1)": (lambda T, p: T.AffineTransform(p["loc"], p["scale"], event_dim=1),
                            {"loc": _rng.standard_normal(4), "scale": _rng.uniform(0.5, 2, 4)}, _real, "bijective"),
    "Sigmoid": (lambda T, p: T.SigmoidTransform(), {}, _real, "bijective"),
    "Sigmoid.inv": (lambda T, p: T.SigmoidTransform().inv, {}, _rng.uniform(0.05, 0.95, (3, 4)), "bijective"),
    "Tanh": (lambda T, p: T.TanhTransform(), {}, _real, "bijective"),  # (the inverse near ±1 is ill-conditioned)
    "Softplus": (lambda T, p: T.SoftplusTransform(), {}, 3 * _real, "bijective"),
    "Power(number)": (lambda T, p: T.PowerTransform(0.5), {}, _positive, "bijective"),
    "Power(tensor)": (lambda T, p: T.PowerTransform(p["exponent"]), {"exponent": np.array([0.5, -1.5, 2.0, 3.0])},
                      _positive, "bijective"),
    "Compose": (lambda T, p: T.ComposeTransform([T.ExpTransform(), T.AffineTransform(p["loc"], 2.0)]),
                {"loc": _rng.standard_normal(4)}, _real, "bijective"),
    "Compose(event)": (lambda T, p: T.ComposeTransform([T.AffineTransform(1.0, 0.5), T.StickBreakingTransform()]),
                       {}, _real, "bijective"),
    "Independent": (lambda T, p: T.IndependentTransform(T.SigmoidTransform(), 1), {}, _real, "bijective"),
    "Reshape": (lambda T, p: T.ReshapeTransform((4,), (2, 2)), {}, _real, "bijective"),
    "Cat": (lambda T, p: T.CatTransform([T.ExpTransform(), T.AffineTransform(0.0, 3.0)], dim=-1, lengths=[1, 3]),
            {}, _real, "bijective"),
    "Cat(batch)": (lambda T, p: T.CatTransform([T.ExpTransform(), T.TanhTransform()], dim=0, lengths=[2, 1]),
                   {}, _real, "bijective"),
    "Stack": (lambda T, p: T.StackTransform([T.ExpTransform(), T.TanhTransform(), T.SoftplusTransform(),
                                             T.SigmoidTransform()], dim=-1), {}, _real, "bijective"),
    "StickBreaking": (lambda T, p: T.StickBreakingTransform(), {}, 2 * _real, "bijective"),
    "CorrCholesky": (lambda T, p: T.CorrCholeskyTransform(), {}, _rng.standard_normal((3, 6)), "bijective"),
    "Softmax": (lambda T, p: T.SoftmaxTransform(), {}, _real, "forward"),
    "LowerCholesky": (lambda T, p: T.LowerCholeskyTransform(), {}, _rng.standard_normal((3, 4, 4)), "forward"),
    "PositiveDefinite": (lambda T, p: T.PositiveDefiniteTransform(), {}, _rng.standard_normal((3, 4, 4)),
                         "forward"),
    "Abs": (lambda T, p: T.AbsTransform(), {}, _real, "forward"),
}
