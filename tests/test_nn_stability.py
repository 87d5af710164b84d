"""Numerical safety: saturating activations and fused losses stay finite for huge float32 inputs.

A logit of 1e4 overflows exp() in float32 (and in float64); the stable forms never compute it. Any
NumPy overflow, division or invalid-value warning is turned into an error here, so a test fails
even when a NaN is computed and later masked.
"""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.nn import functional as F

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

HUGE = np.array([[1e4, -1e4, 0.0, 5e3], [-1e4, -1e4, 1e4, 2.0], [3e3, -7e3, 1e4, -1e4]], dtype=np.float32)
LABELS = np.array([1, 0, 3])  # each points at a class whose logit is far below the maximum
PROBABILITIES = np.array([[0.0, 1.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]], dtype=np.float32)
BINARY_TARGETS = np.array([[0, 1, 1, 0], [1, 0, 1, 1], [0.5, 1, 0, 1]], dtype=np.float32)


def value_and_grad(fn, x, projected=True):
    """fn's output and the gradient of a random projection of it (or of its sum) with respect to ``x``."""
    x = dp.tensor(x, requires_grad=True)
    out = fn(x)
    rng = np.random.default_rng(0)
    out.backward(rng.standard_normal(out.shape).astype(np.float32) if projected else np.ones(out.shape, np.float32))
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    return out.data, x.grad


CASES = [
    ("sigmoid", F.sigmoid),
    ("Sigmoid", nn.Sigmoid()),
    ("softmax", lambda x: F.softmax(x, dim=1)),
    ("softmax dim 0", lambda x: F.softmax(x, dim=0)),
    ("log_softmax", lambda x: F.log_softmax(x, dim=1)),
    ("cross_entropy", lambda x: F.cross_entropy(x, LABELS, reduction="none")),
    ("cross_entropy weighted smoothed", lambda x: F.cross_entropy(x, LABELS, weight=[1, 2, 3, 4], label_smoothing=0.1)),
    ("cross_entropy probabilities", lambda x: F.cross_entropy(x, PROBABILITIES, label_smoothing=0.2)),
    ("nll of log_softmax", lambda x: F.nll_loss(F.log_softmax(x, dim=1), LABELS)),
    ("bce_with_logits", lambda x: F.binary_cross_entropy_with_logits(x, BINARY_TARGETS, reduction="none")),
    ("bce_with_logits pos_weight", lambda x: nn.BCEWithLogitsLoss(pos_weight=[3.0, 0.5, 1.0, 2.0])(x, BINARY_TARGETS)),
    ("bce of sigmoid", lambda x: F.binary_cross_entropy(F.sigmoid(x), BINARY_TARGETS, reduction="none")),
    ("BCELoss of sigmoid", lambda x: nn.BCELoss()(nn.Sigmoid()(x), BINARY_TARGETS)),
    ("tanh", F.tanh),
    ("gelu", F.gelu),
    ("elu", F.elu),
    ("silu", F.silu),
    ("softplus", F.softplus),
    ("softplus beta 0.5 threshold 1e9", lambda x: F.softplus(x, beta=0.5, threshold=1e9)),
    ("mish", F.mish),
    ("selu", F.selu),
    ("celu", lambda x: F.celu(x, alpha=0.5)),
    ("logsigmoid", F.logsigmoid),
    ("softsign", F.softsign),
    ("hardswish", F.hardswish),
    ("hardsigmoid", F.hardsigmoid),
    ("tanhshrink", F.tanhshrink),
    ("softmin", lambda x: F.softmin(x, dim=1)),
    ("softmin dim 0", lambda x: F.softmin(x, dim=0)),
    ("PReLU", nn.PReLU(4)),
    # The same functions in their other spellings: modules, top-level ops and Tensor methods.
    ("Softmax", nn.Softmax(dim=1)),
    ("LogSoftmax", nn.LogSoftmax(dim=1)),
    ("CrossEntropyLoss", lambda x: nn.CrossEntropyLoss()(x, LABELS)),
    ("BCEWithLogitsLoss", lambda x: nn.BCEWithLogitsLoss()(x, BINARY_TARGETS)),
    ("dp.softmax", lambda x: dp.softmax(x, 1)),
    ("dp.log_softmax", lambda x: dp.log_softmax(x, 1)),
    ("dp.sigmoid", dp.sigmoid),
    ("Tensor.log_softmax", lambda x: x.log_softmax(axis=0)),
    ("Tensor.sigmoid", lambda x: x.sigmoid()),
]


@pytest.mark.parametrize("name, fn", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("scale", [1.0, -1.0], ids=["huge", "huge negated"])
def test_finite_values_and_gradients_for_huge_float32_inputs(name, fn, scale):
    value, grad = value_and_grad(fn, HUGE * scale)
    assert np.all(np.isfinite(value)), name
    assert np.all(np.isfinite(grad)), name


def test_saturated_values_are_the_limits():
    x = dp.tensor(np.array([1e4, -1e4], dtype=np.float32))
    np.testing.assert_array_equal(F.sigmoid(x).data, [1.0, 0.0])
    np.testing.assert_array_equal(F.softmax(x, dim=0).data, [1.0, 0.0])
    np.testing.assert_allclose(F.log_softmax(x, dim=0).data, [0.0, -2e4])
    # The loss of a confidently wrong prediction is large and exact, not inf.
    np.testing.assert_allclose(F.cross_entropy(x, np.array(1)).item(), 2e4)
    wrong = F.binary_cross_entropy_with_logits(x, dp.tensor([0.0, 1.0]), reduction="none")
    right = F.binary_cross_entropy_with_logits(x, dp.tensor([1.0, 0.0]), reduction="none")
    np.testing.assert_allclose(wrong.data, [1e4, 1e4])
    np.testing.assert_allclose(right.data, [0.0, 0.0])


def test_saturated_activations_are_their_limits():
    """The smooth activations at ±1e4 in float32: the lines they approach, slopes 0 and 1 (λ for SELU)."""
    big = np.array([1e4, -1e4], dtype=np.float32)
    for name, fn, value, slope in [
        ("silu", F.silu, [1e4, 0.0], [1.0, 0.0]),
        ("softplus", F.softplus, [1e4, 0.0], [1.0, 0.0]),
        ("mish", F.mish, [1e4, 0.0], [1.0, 0.0]),
        ("logsigmoid", F.logsigmoid, [0.0, -1e4], [0.0, 1.0]),
        ("selu", F.selu, [1.0507009873554805e4, -1.7580993408473766], [1.0507009873554805, 0.0]),
        ("celu", F.celu, [1e4, -1.0], [1.0, 0.0]),
        ("softmin", lambda x: F.softmin(x, dim=0), [0.0, 1.0], [0.0, 0.0]),
    ]:
        value_, grad = value_and_grad(fn, big, projected=False)
        np.testing.assert_allclose(value_, value, rtol=1e-6, err_msg=name)
        np.testing.assert_allclose(grad, slope, rtol=1e-6, atol=1e-30, err_msg=name)


def test_saturated_gradients_are_the_limits():
    """∂/∂z of softmax cross-entropy is softmax − onehot, exactly ±1 or 0 when saturated."""
    _, grad = value_and_grad(lambda x: F.cross_entropy(x, np.array([1]), reduction="sum"),
                            np.array([[1e4, -1e4]], dtype=np.float32), projected=False)
    np.testing.assert_array_equal(grad, [[1.0, -1.0]])
    _, grad = value_and_grad(lambda x: F.binary_cross_entropy_with_logits(x, dp.tensor([0.0, 1.0]), reduction="sum"),
                             np.array([1e4, -1e4], dtype=np.float32), projected=False)
    np.testing.assert_array_equal(grad, [1.0, -1.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_guards_the_log_of_zero(dtype):
    """log 0 is clamped at −100, as PyTorch does, so p ∈ {0, 1} gives finite losses and gradients."""
    p = dp.tensor(np.array([0.0, 1.0, 0.0, 1.0, 0.0], dtype=dtype), requires_grad=True)
    y = dp.tensor(np.array([1.0, 0.0, 0.0, 1.0, 0.5], dtype=dtype))
    loss = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_allclose(loss.data, [100.0, 100.0, 0.0, 0.0, 50.0])
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad))
    assert p.grad[0] < 0 < p.grad[1]  # the gradient still points toward the target
    np.testing.assert_array_equal(p.grad[2:4], 0)


def test_class_probabilities_of_a_table_model_stay_finite():
    """TabularModel.predict_proba is NumPy's own softmax of the network's logits: stable too."""
    from deltaprop.data import LabelEncoder, StandardScaler
    from deltaprop.tabular import TabularModel

    network = nn.Linear(4, 4)
    with dp.no_grad():
        network.weight.data[...] = np.eye(4, dtype=np.float32)
        network.bias.data[...] = 0.0
    model = TabularModel(network, "classification", list("abcd"), "t", StandardScaler().fit(np.eye(4) * [1, 2, 3, 4]),
                         LabelEncoder().fit(np.arange(4)))
    model.scaler.mean_[:], model.scaler.scale_[:] = 0.0, 1.0  # the logits are the inputs themselves
    probabilities = model.predict_proba(np.concatenate([HUGE, -HUGE]))
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(model.predict(HUGE[:1]), [0])
