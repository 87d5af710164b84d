"""Every layer, activation and loss of deltaprop.nn against finite differences, in float64.

``deltaprop.gradcheck`` perturbs each input element by ±eps and compares the change of a random
projection of the output with what ``backward()`` computed. For layers with weights the parameters
are checked too, by handing gradcheck's float64 copies to the layer in their place.
"""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.nn import functional as F


def tensor(array, requires_grad=True):
    return dp.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad, dtype=np.float64)


def rng(seed=0):
    return np.random.default_rng(seed)


def check_module(layer, x):
    """gradcheck of ``layer`` with respect to its input and every parameter it owns."""
    names = [name for name, _ in layer.named_parameters(recurse=False)]
    originals = [getattr(layer, name) for name in names]

    def run(x, *parameters):
        # gradcheck passes float64 copies: put them where forward reads the weights, then restore.
        for name, value in zip(names, parameters):
            object.__setattr__(layer, name, value)
        try:
            return layer(x)
        finally:
            for name, value in zip(names, originals):
                object.__setattr__(layer, name, value)

    assert dp.gradcheck(run, [x, *[tensor(p.data) for p in originals]])


# -- layers and activations ------------------------------------------------------------------------

LAYERS = [
    (nn.Linear(5, 3), (4, 5)),
    (nn.Linear(5, 3, bias=False), (4, 5)),
    (nn.Linear(4, 2), (2, 3, 4)),
    (nn.Linear(4, 2), (2, 2, 3, 4)),
    (nn.Linear(4, 2), (4,)),
    (nn.ReLU(), (4, 5)),
    (nn.LeakyReLU(), (4, 5)),
    (nn.LeakyReLU(0.3), (4, 5)),
    (nn.Sigmoid(), (4, 5)),
    (nn.Tanh(), (4, 5)),
    (nn.Softmax(dim=-1), (4, 5)),
    (nn.Softmax(dim=0), (4, 5)),
    (nn.LogSoftmax(dim=-1), (4, 5)),
    (nn.LogSoftmax(dim=1), (2, 3, 4)),
    (nn.GELU(), (4, 5)),
    (nn.GELU(approximate="tanh"), (4, 5)),
    (nn.ELU(), (4, 5)),
    (nn.ELU(alpha=0.4), (4, 5)),
    (nn.SiLU(), (4, 5)),
    (nn.Softplus(), (4, 5)),
    (nn.Softplus(beta=2.0, threshold=3.0), (4, 5)),
    (nn.Mish(), (4, 5)),
    (nn.SELU(), (4, 5)),
    (nn.CELU(alpha=0.7), (4, 5)),
    (nn.Hardtanh(min_val=-2.5, max_val=2.5), (4, 5)),
    (nn.ReLU6(), (4, 5)),
    (nn.PReLU(), (4, 5)),
    (nn.PReLU(num_parameters=3, init=0.1), (2, 3, 4)),
    (nn.LogSigmoid(), (4, 5)),
    (nn.Softsign(), (4, 5)),
    (nn.Hardswish(), (4, 5)),
    (nn.Hardsigmoid(), (4, 5)),
    (nn.Softmin(dim=1), (2, 3, 4)),
    (nn.Tanhshrink(), (4, 5)),
    (nn.Threshold(0.3, -1.0), (4, 5)),
    (nn.Identity(), (4, 5)),
    (nn.Flatten(), (2, 3, 4)),
    (nn.Flatten(0, 1), (2, 3, 4)),
    (nn.Dropout(0.4).eval(), (4, 5)),
]


@pytest.mark.parametrize("layer, shape", LAYERS, ids=lambda v: repr(v) if isinstance(v, nn.Module) else str(v))
def test_layer_gradients(layer, shape):
    layer.double()
    x = rng().standard_normal(shape) * 2
    x[np.abs(x) < 1e-3] = 0.5  # keep the ReLU family away from its kink, where no derivative exists
    for kink in (-3.0, 0.3, 3.0, 6.0):  # and Hardswish, Threshold, ReLU6 from theirs (±2.5 and βx = 3 are not hit)
        x[np.abs(x - kink) < 1e-3] += 0.01
    check_module(layer, tensor(x))


def test_dropout_in_training_mode_gradients():
    """With a fixed mask (the same seed for every call), dropout is linear: its gradient is the mask."""

    def run(x):
        dp.manual_seed(5)
        return F.dropout(x, 0.3, training=True)

    assert dp.gradcheck(run, [tensor(rng().standard_normal((6, 7)))])


def test_network_gradients():
    """Layers composed: the gradient of a loss with respect to the first layer's weights."""
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3)).double()
    first = model[0]
    labels = np.array([0, 2, 1, 2, 0])

    def loss(x, weight):
        object.__setattr__(first, "weight", weight)
        try:
            return F.cross_entropy(model(x), labels)
        finally:
            object.__setattr__(first, "weight", model._modules["0"]._parameters["weight"])

    assert dp.gradcheck(loss, [tensor(rng().standard_normal((5, 3))), tensor(first.weight.data)])


# -- losses with a target of the input's shape -------------------------------------------------------

REDUCTIONS = ["mean", "sum", "none"]
INPUT = rng(1).standard_normal((4, 3)) * 2
TARGET = rng(2).standard_normal((4, 3)) * 2
PROBABILITIES = rng(3).uniform(0.05, 0.95, (4, 3))
SOFT_TARGET = rng(4).uniform(0.05, 0.95, (4, 3))

POINTWISE = [
    ("mse_loss", {}, INPUT, TARGET),
    ("l1_loss", {}, INPUT, TARGET),
    ("huber_loss", {}, INPUT, TARGET),
    ("huber_loss", dict(delta=0.7), INPUT, TARGET),
    ("binary_cross_entropy", {}, PROBABILITIES, SOFT_TARGET),
    ("binary_cross_entropy", dict(weight=np.array([0.5, 1.0, 2.0])), PROBABILITIES, SOFT_TARGET),
    ("binary_cross_entropy_with_logits", {}, INPUT, SOFT_TARGET),
    ("binary_cross_entropy_with_logits", dict(weight=rng(5).uniform(0.5, 2, (4, 1))), INPUT, SOFT_TARGET),
    ("binary_cross_entropy_with_logits", dict(pos_weight=np.array([3.0, 0.5, 1.0])), INPUT, SOFT_TARGET),
    ("binary_cross_entropy_with_logits", dict(weight=np.array([2.0, 1.0, 0.5]), pos_weight=np.array([3.0, 0.5, 1.0])),
     INPUT, SOFT_TARGET),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, kwargs, x, target", POINTWISE, ids=[f"{c[0]}-{i}" for i, c in enumerate(POINTWISE)])
def test_pointwise_loss_gradients_for_input_and_target(name, kwargs, x, target, reduction):
    loss = getattr(F, name)
    assert dp.gradcheck(lambda x, y: loss(x, y, reduction=reduction, **kwargs), [tensor(x), tensor(target)])


LOSS_MODULES = [
    (nn.MSELoss, {}), (nn.L1Loss, {}), (nn.HuberLoss, dict(delta=2.0)), (nn.BCELoss, {}),
    (nn.BCEWithLogitsLoss, dict(pos_weight=[2.0, 1.0, 0.5])),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("cls, kwargs", LOSS_MODULES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_loss_module_gradients(cls, kwargs, reduction):
    loss = cls(reduction=reduction, **kwargs).double()
    x = PROBABILITIES if cls is nn.BCELoss else INPUT
    assert dp.gradcheck(loss, [tensor(x), tensor(SOFT_TARGET)])


# -- class losses -------------------------------------------------------------------------------------

LOGITS = rng(6).standard_normal((5, 4)) * 2
LABELS = np.array([1, 0, 3, 3, 2])
SOFT_LABELS = rng(7).dirichlet(np.ones(4), 5)
SPATIAL = rng(8).standard_normal((2, 4, 3))
SPATIAL_LABELS = rng(9).integers(0, 4, (2, 3))
SPATIAL_2D = rng(10).standard_normal((2, 4, 2, 3))
SPATIAL_2D_LABELS = rng(11).integers(0, 4, (2, 2, 3))
SPATIAL_SOFT = np.moveaxis(rng(12).dirichlet(np.ones(4), (2, 3)), -1, 1)
WEIGHT = np.array([0.5, 2.0, 1.0, 1.5])

CLASS_CASES = [
    (LOGITS, LABELS),
    (LOGITS, SOFT_LABELS),
    (SPATIAL, SPATIAL_LABELS),
    (SPATIAL_2D, SPATIAL_2D_LABELS),
    (SPATIAL, SPATIAL_SOFT),
    (LOGITS[0], LABELS[0]),
]
CLASS_IDS = ["labels", "probabilities", "NCd-labels", "NCdd-labels", "NCd-probabilities", "single-sample"]


@pytest.mark.parametrize("label_smoothing", [0.0, 0.15])
@pytest.mark.parametrize("weight", [None, WEIGHT], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("x, target", CLASS_CASES, ids=CLASS_IDS)
def test_cross_entropy_gradients(x, target, reduction, weight, label_smoothing):
    def loss(x):
        return F.cross_entropy(x, target, weight=weight, reduction=reduction, label_smoothing=label_smoothing)

    assert dp.gradcheck(loss, [tensor(x)])


@pytest.mark.parametrize("weight", [None, WEIGHT], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("x, target", [c for c in CLASS_CASES if c[1].dtype.kind == "i"],
                         ids=[i for c, i in zip(CLASS_CASES, CLASS_IDS) if c[1].dtype.kind == "i"])
def test_nll_loss_gradients(x, target, reduction, weight):
    assert dp.gradcheck(lambda x: F.nll_loss(x, target, weight=weight, reduction=reduction), [tensor(x)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_class_loss_modules_gradients(reduction):
    cross_entropy = nn.CrossEntropyLoss(weight=WEIGHT, reduction=reduction, label_smoothing=0.1).double()
    nll = nn.NLLLoss(weight=WEIGHT, reduction=reduction).double()
    assert dp.gradcheck(lambda x: cross_entropy(x, LABELS), [tensor(LOGITS)])
    assert dp.gradcheck(lambda x: nll(F.log_softmax(x, dim=1), LABELS), [tensor(LOGITS)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("target", [0.0, 1.0, 0.3])
def test_bce_with_logits_is_accurate_where_the_loss_is_tiny(target, dtype):
    """E = max(z, 0) − y·z + log1p(e^−|z|) keeps its small values: for y = 0 and z << 0, or y = 1
    and z >> 0, the loss is e^−|z|, which a form that adds z and then subtracts it rounds to 0.
    Values within 4 ulp of a long-double reference, gradient σ(z) − y within 2 ulp of 1."""
    z = np.concatenate([np.linspace(-60, 60, 2001), [0.0, -0.0, 1e-30, -1e-30]]).astype(dtype)
    y = np.full_like(z, target)
    x = dp.tensor(z, dtype=dtype, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    loss.backward(np.ones_like(z))
    zl, yl = z.astype(np.longdouble), y.astype(np.longdouble)
    expected = np.maximum(zl, 0) - yl * zl + np.log1p(np.exp(-np.abs(zl)))
    relative = np.abs(loss.data - expected) / np.maximum(np.abs(expected), np.finfo(dtype).tiny)
    assert float(relative.max()) <= 4 * np.finfo(dtype).eps
    gradient = 1 / (1 + np.exp(-zl)) - yl
    assert float(np.abs(x.grad - gradient).max()) <= 2 * np.finfo(dtype).eps
    assert loss.dtype == dtype and x.grad.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("delta", [1.0, 0.3, 2.5])
def test_huber_loss_equals_the_selection(delta, dtype):
    """huber_loss computes c·(|d| − ½c) and copysign(c, d) with c = min(|d|, δ): exactly the
    values of where(|d| <= δ, ½d², δ(|d| − ½δ)) and of clip(d, −δ, δ), specials included."""
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((60, 50)) * 3).astype(dtype)
    y = rng.standard_normal((60, 50)).astype(dtype)
    x.flat[:6] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30]
    y.flat[:6] = 0
    xt, yt = dp.tensor(x, dtype=dtype, requires_grad=True), dp.tensor(y, dtype=dtype, requires_grad=True)
    with np.errstate(invalid="ignore"):
        loss = F.huber_loss(xt, yt, reduction="none", delta=delta)
        loss.backward(np.ones_like(x))
        d = x - y
        expected = np.where(np.abs(d) <= delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))
    np.testing.assert_array_equal(loss.data, expected)
    np.testing.assert_array_equal(xt.grad, np.clip(d, -delta, delta))
    np.testing.assert_array_equal(yt.grad, -np.clip(d, -delta, delta))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_pointwise_losses_of_a_single_number(name, reduction):
    """A 0-d input and target (one prediction, one target) give the value and gradients of the
    same pair held in one-element arrays, in 0-d shapes."""
    loss = getattr(F, name)
    x0, y0 = (0.3, 0.8) if name == "binary_cross_entropy" else (-1.7, 0.8)
    scalar_x, scalar_y = tensor(np.array(x0)), tensor(np.array(y0))
    vector_x, vector_y = tensor(np.array([x0])), tensor(np.array([y0]))
    scalar, vector = loss(scalar_x, scalar_y, reduction=reduction), loss(vector_x, vector_y, reduction=reduction)
    scalar.backward(np.ones_like(scalar.data))
    vector.backward(np.ones_like(vector.data))
    assert scalar.shape == () and scalar_x.grad.shape == () and scalar_y.grad.shape == ()
    np.testing.assert_allclose(scalar.data, np.reshape(vector.data, -1)[0], rtol=1e-12)
    np.testing.assert_allclose(scalar_x.grad, vector_x.grad[0], rtol=1e-12)
    np.testing.assert_allclose(scalar_y.grad, vector_y.grad[0], rtol=1e-12)
