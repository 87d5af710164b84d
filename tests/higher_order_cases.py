"""Functions for the second-derivative tests, one or more per differentiable rule, written once for
deltaprop and PyTorch alike (``L`` is either module, ``F`` its ``nn.functional``).

Each case is (name, function, input shapes, kind): "real" inputs are standard normal draws,
"positive" ones lie in [0.5, 1.5] (logarithms, roots, powers, quotients).
"""

import numpy as np

CASES = [
    ("add", lambda L, F, x, y: x + y, [(3, 4), (4,)], "real"),
    ("sub", lambda L, F, x, y: x - y * 2.0, [(3, 1), (1, 4)], "real"),
    ("rsub", lambda L, F, x: 1.0 - x, [(5,)], "real"),
    ("neg", lambda L, F, x: -x, [(2, 3)], "real"),
    ("mul", lambda L, F, x, y: x * y, [(3, 1), (1, 4)], "real"),
    ("div", lambda L, F, x, y: x / y, [(3, 4), (4,)], "positive"),
    ("rdiv", lambda L, F, x: 2.0 / x, [(5,)], "positive"),
    ("pow number", lambda L, F, x: x ** 3, [(2, 3)], "real"),
    ("pow half", lambda L, F, x: x ** 0.5, [(4,)], "positive"),
    ("pow third", lambda L, F, x: x ** (1 / 3), [(4,)], "positive"),
    ("pow tensor", lambda L, F, x, y: x ** y, [(3, 2), (2,)], "positive"),
    ("square", lambda L, F, x: x.square(), [(4,)], "real"),
    ("matmul", lambda L, F, x, y: x @ y, [(3, 4), (4, 2)], "real"),
    ("matmul batched", lambda L, F, x, y: L.matmul(x, y), [(2, 3, 4), (4, 2)], "real"),
    ("matmul vector-matrix", lambda L, F, x, y: L.matmul(x, y), [(4,), (4, 3)], "real"),
    ("matmul matrix-vector", lambda L, F, x, y: L.matmul(x, y), [(3, 4), (4,)], "real"),
    ("matmul vectors", lambda L, F, x, y: L.matmul(x, y), [(4,), (4,)], "real"),
    ("linear", lambda L, F, x, w, b: F.linear(x, w, b), [(5, 3), (4, 3), (4,)], "real"),
    ("linear 3-d", lambda L, F, x, w: F.linear(x, w), [(2, 3, 3), (4, 3)], "real"),
    ("linear broadcast bias", lambda L, F, x, w, b: F.linear(x, w, b), [(2, 3), (4, 3), (2, 1)], "real"),
    ("linear vector weight", lambda L, F, x, w: F.linear(x, w), [(2, 3), (3,)], "real"),
    ("exp", lambda L, F, x: x.exp(), [(2, 3)], "real"),
    ("log", lambda L, F, x: x.log(), [(2, 3)], "positive"),
    ("sqrt", lambda L, F, x: x.sqrt(), [(2, 3)], "positive"),
    ("abs", lambda L, F, x: x.abs() * x, [(2, 3)], "real"),
    ("tanh", lambda L, F, x: x.tanh(), [(2, 3)], "real"),
    ("sigmoid", lambda L, F, x: x.sigmoid(), [(2, 3)], "real"),
    ("relu", lambda L, F, x: F.relu(x) * x, [(2, 3)], "real"),
    ("leaky_relu", lambda L, F, x: F.leaky_relu(x, 0.2) * x, [(2, 3)], "real"),
    ("gelu", lambda L, F, x: F.gelu(x), [(2, 3)], "real"),
    ("softmax", lambda L, F, x: F.softmax(x, dim=1), [(3, 4)], "real"),
    ("log_softmax", lambda L, F, x: F.log_softmax(x, dim=0), [(3, 4)], "real"),
    ("sum", lambda L, F, x: x.sum() * x, [(2, 3)], "real"),
    ("sum dim", lambda L, F, x: x.sum(dim=1), [(2, 3)], "real"),
    ("sum keepdim", lambda L, F, x: x.sum(dim=0, keepdim=True) * x, [(2, 3)], "real"),
    ("mean", lambda L, F, x: x.mean(dim=(0, 2)), [(2, 3, 2)], "real"),
    ("mean all", lambda L, F, x: x.mean() * x, [(3,)], "real"),
    ("reshape", lambda L, F, x: x.reshape(3, 2) @ x, [(2, 3)], "real"),
    ("permute", lambda L, F, x: x.permute(2, 0, 1) * 1.5, [(2, 3, 2)], "real"),
    ("transpose", lambda L, F, x: x.T @ x, [(2, 3)], "real"),
    ("unsqueeze", lambda L, F, x: x.unsqueeze(1) * x, [(3,)], "real"),
    ("index basic", lambda L, F, x: x[1:, ::2], [(3, 4)], "real"),
    ("index repeated", lambda L, F, x: x[[0, 2, 0]], [(3, 2)], "real"),
    ("expand", lambda L, F, x: x.expand(3, 4) * 2.0, [(1, 4)], "real"),
    ("cat", lambda L, F, x, y: L.cat([x, y, x], dim=1), [(2, 3), (2, 1)], "real"),
    ("stack", lambda L, F, x, y: L.stack([x, y], dim=1), [(2, 3), (2, 3)], "real"),
    ("norm 2", lambda L, F, x: x.norm(2, dim=1), [(3, 4)], "real"),
    ("norm all", lambda L, F, x: x.norm(), [(3, 4)], "real"),
    ("norm 1", lambda L, F, x: x.norm(1) * x, [(3,)], "real"),
    ("vector_norm", lambda L, F, x: L.linalg.vector_norm(x, dim=0), [(3, 4)], "real"),
    ("norm keepdim", lambda L, F, x: x.norm(2, dim=1, keepdim=True) * x, [(3, 4)], "real"),
    ("mse_loss", lambda L, F, x, y: F.mse_loss(x, y), [(3, 2), (3, 2)], "real"),
    ("mse_loss sum", lambda L, F, x, y: F.mse_loss(x, y, reduction="sum"), [(4,), (4,)], "real"),
    ("mse_loss none", lambda L, F, x, y: F.mse_loss(x, y, reduction="none"), [(3, 2), (3, 2)], "real"),
    ("cross_entropy", lambda L, F, x: F.cross_entropy(x, L.tensor(np.array([0, 2, 1, 2]))), [(4, 3)], "real"),
    ("cross_entropy sum", lambda L, F, x: F.cross_entropy(x, L.tensor(np.array([1, 0, 1])), reduction="sum"), [(3, 2)], "real"),
    ("cross_entropy none", lambda L, F, x: F.cross_entropy(x, L.tensor(np.array([0, 2])), reduction="none"), [(2, 3)], "real"),
    ("clone", lambda L, F, x: x.clone() * x, [(3,)], "real"),
    ("network", lambda L, F, x, w1, b1, w2: F.cross_entropy(F.linear(F.linear(x, w1, b1).tanh(), w2),
                                                          L.tensor(np.array([0, 1, 1, 0, 1]))), [(5, 3), (4, 3), (4,), (2, 4)], "real"),
    ("checkpoint", lambda L, F, x, w: L.utils.checkpoint.checkpoint(lambda a: F.linear(a, w).tanh() * a.sum(), x,
                                                                    use_reentrant=False), [(3, 4), (4, 4)], "real"),
    ("checkpoint two outputs", lambda L, F, x, y: L.stack(L.utils.checkpoint.checkpoint(
        lambda a, b: (a.sin() * b, (a * b).exp()), x, y, use_reentrant=False)), [(2, 3), (2, 3)], "real"),
]

# the cases of the spatial primitives, of the layers, activations and losses, of the elementwise
# functions and products, of the selections and matrix products, and of the recurrent and
# linear-algebra primitives, kept in files of their own
from higher_order_cases_spatial import CASES as _SPATIAL  # noqa: E402
from higher_order_cases_layers import CASES as _LAYERS, FINITE_DIFFERENCES_ONLY  # noqa: E402
from higher_order_cases_elementwise import CASES as _ELEMENTWISE  # noqa: E402
from higher_order_cases_elementwise import FINITE_DIFFERENCES_ONLY as _ELEMENTWISE_ONLY  # noqa: E402
from higher_order_cases_selections import CASES as _SELECTIONS  # noqa: E402
from higher_order_cases_selections import FINITE_DIFFERENCES_ONLY as _SELECTIONS_ONLY  # noqa: E402
from higher_order_cases_recurrent import CASES as _RECURRENT  # noqa: E402
from higher_order_cases_recurrent import FINITE_DIFFERENCES_ONLY as _LINALG_ONLY  # noqa: E402
from higher_order_cases_shapes import CASES as _SHAPES  # noqa: E402
from higher_order_cases_shapes import FINITE_DIFFERENCES_ONLY as _SHAPES_ONLY  # noqa: E402
from higher_order_cases_math import CASES as _MATH  # noqa: E402

CASES += _SPATIAL + _LAYERS + _ELEMENTWISE + _SELECTIONS + _RECURRENT
CASES += _MATH
FINITE_DIFFERENCES_ONLY = FINITE_DIFFERENCES_ONLY + _ELEMENTWISE_ONLY + _SELECTIONS_ONLY + _LINALG_ONLY
CASES += _SHAPES
FINITE_DIFFERENCES_ONLY += _SHAPES_ONLY
__all__ = ["CASES", "FINITE_DIFFERENCES_ONLY", "draw"]


def draw(shapes, kind, seed=0):
    rng = np.random.default_rng(seed)
    if kind == "positive":
        return [rng.uniform(0.5, 1.5, shape) for shape in shapes]
    return [rng.standard_normal(shape) for shape in shapes]
