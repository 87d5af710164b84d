"""deltaprop.nn against PyTorch: the same layers and losses on the same inputs and weights.

Every case builds the deltaprop object and its PyTorch twin from one name and one set of keyword
arguments (deltaprop keeps PyTorch's names), runs both, and compares the values, the input's
gradient, the target's gradient where PyTorch defines one, and every parameter's gradient. float64
is compared tightly, float32 loosely.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference deltaprop.nn is compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402

TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-4, atol=2e-5)}
TORCH_DTYPES = {np.float64: torch.float64, np.float32: torch.float32}
DTYPES = [np.float64, np.float32]


def to_torch(value, dtype):
    if value is None or isinstance(value, float):
        return value
    array = np.asarray(value)
    if array.dtype.kind == "f":
        return torch.tensor(array, dtype=TORCH_DTYPES[dtype])
    return torch.tensor(array)


def copy_parameters(layer, twin, dtype):
    """Give the PyTorch twin exactly the deltaprop layer's weights."""
    twin.to(TORCH_DTYPES[dtype])
    ours = dict(layer.named_parameters())
    theirs = dict(twin.named_parameters())
    assert ours.keys() == theirs.keys()
    with torch.no_grad():
        for name, parameter in theirs.items():
            parameter.copy_(torch.from_numpy(ours[name].data.copy()))


def run_both(layer, twin, inputs, grad_inputs, dtype):
    """Forward both, backward the same random upstream gradient, compare everything."""
    ours = [dp.tensor(np.asarray(x), dtype=dtype if np.asarray(x).dtype.kind == "f" else None,
                      requires_grad=needs) for x, needs in zip(inputs, grad_inputs)]
    theirs = [to_torch(x, dtype).requires_grad_(needs) if needs else to_torch(x, dtype)
              for x, needs in zip(inputs, grad_inputs)]
    out = layer(*ours)
    expected = twin(*theirs)
    tol = TOLERANCES[dtype]
    assert out.dtype == dtype
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)

    upstream = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    for i, needs in enumerate(grad_inputs):
        if needs:
            np.testing.assert_allclose(ours[i].grad, theirs[i].grad.numpy(), err_msg=f"input {i}", **tol)
    if isinstance(layer, nn.Module):
        compare_parameter_grads(layer, twin, dtype)


def compare_parameter_grads(layer, twin, dtype):
    twin_parameters = dict(twin.named_parameters())
    for name, parameter in layer.named_parameters():
        np.testing.assert_allclose(parameter.grad, twin_parameters[name].grad.numpy(), err_msg=name,
                                   **TOLERANCES[dtype])


# -- layers and activations ------------------------------------------------------------------------

LAYERS = [
    ("Linear", dict(in_features=5, out_features=3), (4, 5)),
    ("Linear", dict(in_features=5, out_features=3, bias=False), (4, 5)),
    ("Linear", dict(in_features=5, out_features=2), (2, 3, 5)),  # leading axes folded into the batch
    ("Linear", dict(in_features=4, out_features=3), (4,)),  # a single sample without batch axis
    ("ReLU", {}, (4, 6)),
    ("LeakyReLU", {}, (4, 6)),
    ("LeakyReLU", dict(negative_slope=0.2), (4, 6)),
    ("Sigmoid", {}, (4, 6)),
    ("Tanh", {}, (4, 6)),
    ("Softmax", dict(dim=-1), (4, 6)),
    ("Softmax", dict(dim=0), (4, 6)),
    ("Softmax", dict(dim=1), (2, 3, 4)),
    ("LogSoftmax", dict(dim=-1), (4, 6)),
    ("LogSoftmax", dict(dim=1), (2, 3, 4)),
    ("GELU", {}, (4, 6)),
    ("GELU", dict(approximate="tanh"), (4, 6)),
    ("ELU", {}, (4, 6)),
    ("ELU", dict(alpha=0.5), (4, 6)),
    ("SiLU", {}, (4, 6)),
    ("Softplus", {}, (4, 6)),
    ("Softplus", dict(beta=2.0, threshold=3.0), (4, 6)),
    ("Mish", {}, (4, 6)),
    ("SELU", {}, (4, 6)),
    ("CELU", {}, (4, 6)),
    ("CELU", dict(alpha=0.5), (4, 6)),
    ("Hardtanh", {}, (4, 6)),
    ("Hardtanh", dict(min_val=-2.0, max_val=0.5), (4, 6)),
    ("ReLU6", {}, (4, 6)),
    ("PReLU", {}, (4, 6)),
    ("PReLU", dict(num_parameters=6), (4, 6)),
    ("PReLU", dict(num_parameters=3, init=0.1), (2, 3, 4)),
    ("PReLU", dict(num_parameters=3), (2, 3, 2, 2)),
    ("PReLU", {}, (5,)),
    ("LogSigmoid", {}, (4, 6)),
    ("Softsign", {}, (4, 6)),
    ("Hardswish", {}, (4, 6)),
    # (Hardsigmoid: PyTorch's float64 slope is 1/6 rounded to float32; see reference/test_torch_activations.py)
    ("Softmin", dict(dim=-1), (4, 6)),
    ("Softmin", dict(dim=1), (2, 3, 4)),
    ("Tanhshrink", {}, (4, 6)),
    ("Threshold", dict(threshold=0.3, value=-1.0), (4, 6)),
    ("Identity", {}, (4, 6)),
    ("Flatten", {}, (2, 3, 4)),
    ("Flatten", dict(start_dim=0, end_dim=1), (2, 3, 4)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs, shape", LAYERS, ids=lambda v: str(v))
def test_layer_matches_torch(name, kwargs, shape, dtype):
    dp.manual_seed(0)
    layer = getattr(nn, name)(**kwargs).to(dtype)
    twin = getattr(torch.nn, name)(**kwargs)
    copy_parameters(layer, twin, dtype)
    x = np.random.default_rng(0).standard_normal(shape) * 2
    run_both(layer, twin, [x], [True], dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_dropout_in_eval_mode_matches_torch(dtype):
    layer, twin = nn.Dropout(0.3).eval(), torch.nn.Dropout(0.3).eval()
    run_both(layer, twin, [np.random.default_rng(0).standard_normal((5, 4))], [True], dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_network_matches_torch(dtype):
    """A small network and a fused loss: every parameter's gradient after one backward."""
    dp.manual_seed(3)
    layer = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3)).to(dtype)
    twin = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.ReLU(),
                               torch.nn.Linear(8, 3))
    copy_parameters(layer, twin, dtype)
    x = np.random.default_rng(0).standard_normal((10, 6))
    labels = np.random.default_rng(1).integers(0, 3, 10)
    run_both(lambda x, y: nn.functional.cross_entropy(layer(x), y),
             lambda x, y: torch.nn.functional.cross_entropy(twin(x), y), [x, labels], [True, False], dtype)
    compare_parameter_grads(layer, twin, dtype)


# -- losses ------------------------------------------------------------------------------------------

RNG = np.random.default_rng(7)
PROBABILITIES = 1 / (1 + np.exp(-RNG.standard_normal((5, 3))))
BINARY_TARGETS = RNG.uniform(0.05, 0.95, (5, 3))
HARD_TARGETS = RNG.integers(0, 2, (5, 3)).astype(np.float64)
CLASS_WEIGHT = np.array([0.3, 1.7, 0.1, 2.2])  # not exact in float32: a float64 loss must not round them
LOGITS = RNG.standard_normal((6, 4)) * 2
LABELS = np.array([0, 3, 1, 1, 2, 3])
SOFT_LABELS = np.exp(RNG.standard_normal((6, 4)))
SOFT_LABELS /= SOFT_LABELS.sum(axis=1, keepdims=True)
SPATIAL_LOGITS = RNG.standard_normal((2, 4, 3, 2))
SPATIAL_LABELS = RNG.integers(0, 4, (2, 3, 2))
SPATIAL_SOFT_LABELS = np.exp(RNG.standard_normal((2, 4, 3, 2)))
SPATIAL_SOFT_LABELS /= SPATIAL_SOFT_LABELS.sum(axis=1, keepdims=True)
LOG_PROBABILITIES = LOGITS - np.log(np.exp(LOGITS).sum(axis=1, keepdims=True))
REGRESSION = (RNG.standard_normal((4, 3)) * 2, RNG.standard_normal((4, 3)) * 2)
# Labels that a padded batch gives: PyTorch's default ignore_index, -100, marks samples to leave out.
PADDED_LABELS = np.array([0, -100, 1, 1, -100, 3])
SPATIAL_PADDED_LABELS = np.where(SPATIAL_LABELS == 0, -1, SPATIAL_LABELS)
# a class per step of a sequence (N, C, L), and per voxel of a volume (N, C, D, H, W)
SEQUENCE_LOGITS, SEQUENCE_LABELS = RNG.standard_normal((3, 4, 5)) * 2, RNG.integers(0, 4, (3, 5))
VOLUME_LOGITS, VOLUME_LABELS = RNG.standard_normal((2, 4, 2, 3, 2)), RNG.integers(0, 4, (2, 2, 3, 2))

# (name, constructor kwargs, input, target, does PyTorch differentiate the target)
LOSSES = [
    ("MSELoss", {}, *REGRESSION, True),
    ("L1Loss", {}, *REGRESSION, True),
    ("HuberLoss", {}, *REGRESSION, True),
    ("HuberLoss", dict(delta=0.5), *REGRESSION, True),
    ("BCELoss", {}, PROBABILITIES, BINARY_TARGETS, True),
    ("BCELoss", {}, PROBABILITIES, HARD_TARGETS, True),
    ("BCELoss", dict(weight=np.array([1.0, 0.5, 2.0])), PROBABILITIES, BINARY_TARGETS, True),
    ("BCEWithLogitsLoss", {}, LOGITS[:5, :3] * 3, BINARY_TARGETS, True),
    ("BCEWithLogitsLoss", dict(weight=np.array([1.0, 0.5, 2.0])), LOGITS[:5, :3], HARD_TARGETS, True),
    ("BCEWithLogitsLoss", dict(pos_weight=np.array([3.1, 0.3, 1.7])), LOGITS[:5, :3], BINARY_TARGETS, True),
    ("BCEWithLogitsLoss", dict(weight=np.array([[2.0], [1.0], [0.5], [1.0], [3.0]]),
                               pos_weight=np.array([3.0, 0.5, 1.5])), LOGITS[:5, :3], BINARY_TARGETS, True),
    ("CrossEntropyLoss", {}, LOGITS, LABELS, False),
    ("CrossEntropyLoss", dict(weight=CLASS_WEIGHT), LOGITS, LABELS, False),
    ("CrossEntropyLoss", dict(label_smoothing=0.1), LOGITS, LABELS, False),
    ("CrossEntropyLoss", dict(weight=CLASS_WEIGHT, label_smoothing=0.2), LOGITS, LABELS, False),
    ("CrossEntropyLoss", {}, LOGITS, SOFT_LABELS, True),
    ("CrossEntropyLoss", dict(weight=CLASS_WEIGHT, label_smoothing=0.1), LOGITS, SOFT_LABELS, True),
    ("CrossEntropyLoss", dict(weight=CLASS_WEIGHT), SPATIAL_LOGITS, SPATIAL_SOFT_LABELS, True),
    ("CrossEntropyLoss", {}, SPATIAL_LOGITS, SPATIAL_LABELS, False),
    ("CrossEntropyLoss", dict(weight=CLASS_WEIGHT, label_smoothing=0.1), SPATIAL_LOGITS, SPATIAL_LABELS, False),
    ("CrossEntropyLoss", dict(weight=CLASS_WEIGHT), SPATIAL_LOGITS, SPATIAL_LABELS, False),
    ("CrossEntropyLoss", dict(label_smoothing=0.1), SPATIAL_LOGITS, SPATIAL_LABELS, False),
    ("CrossEntropyLoss", {}, SEQUENCE_LOGITS, SEQUENCE_LABELS, False),
    ("CrossEntropyLoss", dict(weight=CLASS_WEIGHT, label_smoothing=0.2), SEQUENCE_LOGITS, SEQUENCE_LABELS, False),
    ("CrossEntropyLoss", {}, VOLUME_LOGITS, VOLUME_LABELS, False),
    ("CrossEntropyLoss", dict(label_smoothing=0.3, ignore_index=2), VOLUME_LOGITS, VOLUME_LABELS, False),
    ("CrossEntropyLoss", {}, LOGITS[0], LABELS[0], False),  # one sample, no batch axis
    ("NLLLoss", {}, LOG_PROBABILITIES, LABELS, False),
    ("NLLLoss", dict(weight=CLASS_WEIGHT), LOG_PROBABILITIES, LABELS, False),
    ("NLLLoss", dict(weight=CLASS_WEIGHT), SPATIAL_LOGITS, SPATIAL_LABELS, False),
    # ignore_index: the samples whose label it is add nothing, to the loss, the mean's count or
    # weight sum, or the gradient; the other labels must still be classes.
    ("CrossEntropyLoss", {}, LOGITS, PADDED_LABELS, False),
    ("CrossEntropyLoss", dict(ignore_index=1), LOGITS, LABELS, False),
    ("CrossEntropyLoss", dict(label_smoothing=0.1), LOGITS, PADDED_LABELS, False),
    ("CrossEntropyLoss", dict(weight=CLASS_WEIGHT, label_smoothing=0.2, ignore_index=3), LOGITS, LABELS, False),
    ("CrossEntropyLoss", dict(weight=CLASS_WEIGHT, ignore_index=-1), SPATIAL_LOGITS, SPATIAL_PADDED_LABELS, False),
    ("CrossEntropyLoss", dict(label_smoothing=0.1, ignore_index=-1), SPATIAL_LOGITS, SPATIAL_PADDED_LABELS, False),
    ("CrossEntropyLoss", dict(ignore_index=0), SPATIAL_LOGITS, SPATIAL_LABELS, False),
    ("CrossEntropyLoss", dict(weight=CLASS_WEIGHT), SPATIAL_LOGITS, np.full((2, 3, 2), -100), False),
    ("CrossEntropyLoss", dict(ignore_index=-1), LOGITS, SOFT_LABELS, True),  # probabilities: nothing to ignore
    ("CrossEntropyLoss", {}, LOGITS, np.full(6, -100), False),  # every sample ignored: a mean of NaN, gradient 0
    ("CrossEntropyLoss", dict(weight=CLASS_WEIGHT, label_smoothing=0.3), LOGITS, np.full(6, -100), False),
    # a class as the padding label (ignore_index=0, a vocabulary's pad token), with and without
    # smoothing, and with every sample being padding
    ("CrossEntropyLoss", dict(ignore_index=0, label_smoothing=0.2), LOGITS, np.array([0, 3, 0, 1, 2, 0]), False),
    ("CrossEntropyLoss", dict(ignore_index=3, label_smoothing=0.1), LOGITS, np.array([3, 3, 3, 3, 3, 3]), False),
    ("CrossEntropyLoss", dict(ignore_index=2), LOGITS, np.array([2, 2, 2, 2, 2, 2]), False),
    ("CrossEntropyLoss", dict(weight=CLASS_WEIGHT, ignore_index=0), LOGITS, np.array([0, 3, 0, 1, 2, 0]), False),
    ("CrossEntropyLoss", dict(weight=CLASS_WEIGHT), LOGITS, PADDED_LABELS, False),
    # class weights that sum to 0 over the batch: a mean of NaN and NaN gradients, but 0 in the ignored rows
    ("CrossEntropyLoss", dict(weight=np.array([0.0, 0.0, 1.0, 1.0])), LOGITS, np.array([0, 1, 1, 0, 1, 0]), False),
    ("CrossEntropyLoss", dict(weight=np.array([0.0, 0.0, 1.0, 1.0]), ignore_index=2), LOGITS, np.array([0, 2, 1, 2, 1, 0]),
     False),
    ("NLLLoss", {}, LOG_PROBABILITIES, PADDED_LABELS, False),
    ("NLLLoss", dict(weight=CLASS_WEIGHT, ignore_index=3), SPATIAL_LOGITS, SPATIAL_LABELS, False),
    ("NLLLoss", {}, LOG_PROBABILITIES, np.full(6, -100), False),
    ("NLLLoss", {}, SPATIAL_LOGITS, SPATIAL_LABELS, False),
    ("NLLLoss", dict(ignore_index=-1), SPATIAL_LOGITS, SPATIAL_PADDED_LABELS, False),
    ("NLLLoss", dict(weight=CLASS_WEIGHT), SEQUENCE_LOGITS, SEQUENCE_LABELS, False),
    ("NLLLoss", {}, VOLUME_LOGITS, VOLUME_LABELS, False),
    ("NLLLoss", {}, LOG_PROBABILITIES[0], LABELS[0], False),  # one sample, no batch axis
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, kwargs, x, target, target_grad", LOSSES,
                         ids=[f"{case[0]}-{i}" for i, case in enumerate(LOSSES)])
def test_loss_matches_torch(name, kwargs, x, target, target_grad, reduction, dtype):
    loss = getattr(nn, name)(reduction=reduction, **kwargs)
    twin = getattr(torch.nn, name)(reduction=reduction, **{k: to_torch(v, dtype) for k, v in kwargs.items()})
    run_both(loss, twin, [x, target], [True, target_grad], dtype)


def test_a_class_to_ignore_in_probabilities_is_refused_as_in_pytorch():
    with pytest.raises(RuntimeError, match="ignore_index is not supported"):
        torch.nn.functional.cross_entropy(torch.tensor(LOGITS), torch.tensor(SOFT_LABELS), ignore_index=2)
    with pytest.raises(dp.errors.ConfigError, match="ignore_index=2 names a class, but the target holds class probabilities"):
        nn.CrossEntropyLoss(ignore_index=2)(dp.tensor(LOGITS), SOFT_LABELS)
    with pytest.raises(dp.errors.ConfigError, match="ignore_index must be an integer"):
        nn.NLLLoss(ignore_index=1.5)


@pytest.mark.parametrize("labels, ignore_index, bad", [
    ([0, -100, 7, 1, -100, 3], -100, 7),  # padding beside a label that is no class
    ([0, -1, 2, 1, -100, 3], -100, -1),  # a negative label that is not the padding one
    ([0, 5, 2, 1, 9, 3], 5, 9),
    ([0, 4, 2, 1, 1, 3], 1, 4),  # a class as ignore_index: a label beyond the classes is still refused
])
def test_labels_beside_the_ignored_ones_must_be_classes_as_in_pytorch(labels, ignore_index, bad):
    with pytest.raises((IndexError, RuntimeError)):
        torch.nn.functional.cross_entropy(torch.tensor(LOGITS), torch.tensor(labels), ignore_index=ignore_index)
    with pytest.raises(dp.errors.DataError, match=rf"^cross_entropy: class label {bad} is outside \[0, 4\) for 4 classes$"):
        nn.CrossEntropyLoss(ignore_index=ignore_index)(dp.tensor(LOGITS), np.array(labels))


@pytest.mark.parametrize("position", [(0, 0, 0), (1, 2, 1)])  # the first sample's first place, the last's last
@pytest.mark.parametrize("bad, ignore_index", [(4, -100), (5, -100), (-1, -100), (-100, 3), (4, 0)])
def test_a_label_per_place_must_be_a_class_as_in_pytorch(position, bad, ignore_index):
    """Logits (N, C, d1, ...) are read by flat offsets: a label beyond the classes must not land on
    another sample's logits, in any place, beside padding labels or not."""
    labels = np.array(SPATIAL_LABELS)
    labels[position] = bad
    padded = np.where(SPATIAL_LABELS == 3, ignore_index, labels)
    padded[position] = bad
    for batch in (labels, padded):
        with pytest.raises((IndexError, RuntimeError)):
            torch.nn.functional.cross_entropy(torch.tensor(SPATIAL_LOGITS), torch.tensor(batch), ignore_index=ignore_index)
        with pytest.raises(dp.errors.DataError, match=rf"^cross_entropy: class label {bad} is outside \[0, 4\) for 4 classes$"):
            nn.functional.cross_entropy(dp.tensor(SPATIAL_LOGITS), batch, ignore_index=ignore_index)


@pytest.mark.parametrize("options", [{}, dict(label_smoothing=0.1), dict(weight=np.array([0.5, 1.0, 2.0])),
                                     dict(weight=np.array([0.5, 1.0, 2.0]), label_smoothing=0.2)])
@pytest.mark.parametrize("per_place", [False, True])
def test_padding_samples_with_logits_that_are_not_finite_give_pytorchs_loss_and_gradient(options, per_place):
    """The padding samples' loss is 0 whatever their logits (PyTorch skips them), and their gradient
    is PyTorch's: its value times 0, so NaN where a logit is infinite or NaN."""
    z = np.array([[1.0, 2.0, 3.0], [np.inf, 0.0, 1.0], [0.5, np.nan, 1.0], [0.1, 0.2, 0.3]])
    labels = np.array([0, -100, -100, 2])
    if per_place:  # the same four samples as the places of one (1, 3, 4) map
        z, labels = z.T[None].copy(), labels[None]
    ours = dp.tensor(z, dtype=np.float64, requires_grad=True)
    with np.errstate(invalid="ignore"):
        loss = nn.functional.cross_entropy(ours, labels, **{k: dp.tensor(v, dtype=np.float64) if k == "weight" else v
                                                            for k, v in options.items()})
        loss.backward()
    theirs = torch.tensor(z, requires_grad=True)
    twin = torch.nn.functional.cross_entropy(theirs, torch.tensor(labels), **{k: torch.tensor(v) if k == "weight" else v
                                                                              for k, v in options.items()})
    twin.backward()
    assert np.isfinite(loss.item())
    np.testing.assert_allclose(loss.item(), twin.item(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-17)  # (NaN where PyTorch's is)


@pytest.mark.parametrize("label_dtype", [np.uint8, np.int16, np.int32, np.uint64])
def test_labels_per_place_of_any_integer_dtype_give_pytorchs_loss(label_dtype):
    """Small label dtypes must not overflow where a label becomes a flat offset (label × d1·...)."""
    z = RNG.standard_normal((2, 3, 40, 30))
    labels = RNG.integers(0, 3, (2, 40, 30))
    ours = dp.tensor(z, dtype=np.float64, requires_grad=True)
    loss = nn.functional.cross_entropy(ours, labels.astype(label_dtype), label_smoothing=0.1)
    loss.backward()
    theirs = torch.tensor(z, requires_grad=True)
    twin = torch.nn.functional.cross_entropy(theirs, torch.tensor(labels), label_smoothing=0.1)
    twin.backward()
    np.testing.assert_allclose(loss.item(), twin.item(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-17)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_logits_per_place_in_any_memory_order_give_pytorchs_gradient(loss):
    """Logits (N, C, H, W) that are a permuted view of (N, H, W, C), as a channels-last layer gives."""
    z = RNG.standard_normal((2, 5, 6, 4))
    labels = RNG.integers(0, 4, (2, 5, 6))
    ours = dp.tensor(z, dtype=np.float64, requires_grad=True)
    value = getattr(nn.functional, loss)(ours.permute(0, 3, 1, 2), labels)
    value.backward()
    theirs = torch.tensor(z, requires_grad=True)
    # (PyTorch 2.13's nll_loss backward refuses the permuted view: "grad_input must be contiguous")
    moved = theirs.permute(0, 3, 1, 2)
    twin = getattr(torch.nn.functional, loss)(moved.contiguous() if loss == "nll_loss" else moved, torch.tensor(labels))
    twin.backward()
    np.testing.assert_allclose(value.item(), twin.item(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-17)


@pytest.mark.parametrize("labels, options", [
    ([2, 2, 2], dict(ignore_index=2)),  # every sample ignored: 0
    ([0, 1, 2], dict(ignore_index=2, weight=np.array([0.0, 0.0, 1.0, 1.0]))),  # weights summing to 0: NaN, 0 if ignored
])
def test_second_derivatives_of_a_mean_over_nothing_are_pytorchs(labels, options):
    z = LOGITS[:3]
    ours, theirs = dp.tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
    loss = nn.functional.cross_entropy(ours, dp.tensor(np.array(labels)), **{k: dp.tensor(v) if k == "weight" else v
                                                                            for k, v in options.items()})
    (g,) = dp.autograd.grad(loss, ours, create_graph=True)
    (h,) = dp.autograd.grad(g.sum(), ours)
    twin = torch.nn.functional.cross_entropy(theirs, torch.tensor(labels), **{k: torch.tensor(v) if k == "weight" else v
                                                                             for k, v in options.items()})
    (gt,) = torch.autograd.grad(twin, theirs, create_graph=True)
    (ht,) = torch.autograd.grad(gt.sum(), theirs)
    np.testing.assert_array_equal(np.asarray(g.data), gt.detach().numpy())
    np.testing.assert_array_equal(np.asarray(h.data), ht.numpy())


FUNCTION_OF = {
    "MSELoss": "mse_loss", "L1Loss": "l1_loss", "HuberLoss": "huber_loss", "BCELoss": "binary_cross_entropy",
    "BCEWithLogitsLoss": "binary_cross_entropy_with_logits", "CrossEntropyLoss": "cross_entropy",
    "NLLLoss": "nll_loss",
}


@pytest.mark.parametrize("name, kwargs, x, target, target_grad", LOSSES,
                         ids=[f"{case[0]}-{i}" for i, case in enumerate(LOSSES)])
def test_functional_loss_matches_torch(name, kwargs, x, target, target_grad):
    """Each loss's function form, under PyTorch's name and keywords, gives PyTorch's value."""
    function = FUNCTION_OF[name]
    ours = getattr(nn.functional, function)(dp.tensor(x, dtype=np.float64), dp.tensor(target, dtype=None if
                                            target.dtype.kind == "i" else np.float64), reduction="sum", **kwargs)
    theirs = getattr(torch.nn.functional, function)(torch.tensor(x), torch.tensor(target), reduction="sum",
                                                    **{k: to_torch(v, np.float64) for k, v in kwargs.items()})
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)


X = RNG.standard_normal((4, 5)) * 2
FUNCTIONAL = [
    ("relu", {}), ("leaky_relu", dict(negative_slope=0.3)), ("sigmoid", {}), ("tanh", {}),
    ("softmax", dict(dim=0)), ("log_softmax", dict(dim=1)), ("gelu", dict(approximate="tanh")),
    ("elu", dict(alpha=0.5)), ("dropout", dict(p=0.4, training=False)),
    ("silu", {}), ("softplus", dict(beta=0.5, threshold=2.0)), ("mish", {}), ("selu", {}), ("celu", dict(alpha=2.0)),
    ("hardtanh", dict(min_val=-0.5, max_val=2.0)), ("relu6", {}), ("logsigmoid", {}), ("softsign", {}),
    ("hardswish", {}), ("softmin", dict(dim=0)), ("tanhshrink", {}), ("threshold", dict(threshold=0.2, value=5.0)),
    ("prelu", dict(weight=np.array([0.1, -0.2, 0.3, 0.4, 0.5]))),
]


@pytest.mark.parametrize("name, kwargs", FUNCTIONAL, ids=lambda v: str(v))
def test_functional_activation_matches_torch(name, kwargs):
    """The function forms take PyTorch's names and keyword arguments."""
    x = dp.tensor(X, dtype=np.float64, requires_grad=True)
    x_torch = torch.tensor(X, requires_grad=True)
    out = getattr(nn.functional, name)(x, **kwargs)
    expected = getattr(torch.nn.functional, name)(
        x_torch, **{k: to_torch(v, np.float64) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()})
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCES[np.float64])
    out.backward(np.cos(X))
    expected.backward(torch.tensor(np.cos(X)))
    np.testing.assert_allclose(x.grad, x_torch.grad.numpy(), **TOLERANCES[np.float64])


def test_functional_linear_matches_torch():
    w, b = RNG.standard_normal((3, 5)), RNG.standard_normal(3)
    out = nn.functional.linear(dp.tensor(X, dtype=np.float64), weight=dp.tensor(w, dtype=np.float64),
                               bias=dp.tensor(b, dtype=np.float64))
    expected = torch.nn.functional.linear(torch.tensor(X), weight=torch.tensor(w), bias=torch.tensor(b))
    np.testing.assert_allclose(out.data, expected.numpy(), **TOLERANCES[np.float64])


@pytest.mark.parametrize(
    "x_shape, out_features",
    [((40, 8), 1), ((40, 1), 16), ((1, 24), 16), ((1, 1), 1), ((2, 30, 1), 16), ((2, 30, 12), 1)],
    ids=["one output", "one input feature", "batch of one", "all one", "3-d, one feature", "3-d, one output"],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_with_unit_dimensions_matches_torch(x_shape, out_features, dtype):
    """Shapes whose products are outer products, large enough for ops._core.mm's broadcast path."""
    rng = np.random.default_rng(len(x_shape) * 10 + out_features)
    X0, w, b = rng.standard_normal(x_shape), rng.standard_normal((out_features, x_shape[-1])), rng.standard_normal(out_features)
    g = rng.standard_normal(x_shape[:-1] + (out_features,))
    x, weight, bias = (dp.tensor(v, dtype=dtype, requires_grad=True) for v in (X0, w, b))
    xt, wt, bt = (torch.tensor(v.astype(dtype), requires_grad=True) for v in (X0, w, b))
    out = nn.functional.linear(x, weight, bias)
    expected = torch.nn.functional.linear(xt, wt, bt)
    out.backward(g.astype(dtype))
    expected.backward(torch.tensor(g.astype(dtype)))
    for mine, theirs in ((out.data, expected), (x.grad, xt.grad), (weight.grad, wt.grad), (bias.grad, bt.grad)):
        np.testing.assert_allclose(mine, theirs.detach().numpy(), **TOLERANCES[dtype])


@pytest.mark.parametrize("layout", ["3-d", "4-d", "3-d transposed view", "4-d permuted view"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_over_leading_axes_matches_torch(layout, dtype):
    """A sequence's (N, L, in), computed as one (N·L, in) product: contiguous or a strided view."""
    rng = np.random.default_rng(7)
    X0 = {"3-d": rng.standard_normal((6, 5, 8)), "4-d": rng.standard_normal((3, 2, 5, 8)),
          "3-d transposed view": rng.standard_normal((5, 6, 8)), "4-d permuted view": rng.standard_normal((8, 2, 3, 5))}[layout]
    w, b = rng.standard_normal((7, 8)), rng.standard_normal(7)
    x, weight, bias = (dp.tensor(v, dtype=dtype, requires_grad=True) for v in (X0, w, b))
    xt, wt, bt = (torch.tensor(v.astype(dtype), requires_grad=True) for v in (X0, w, b))
    views = {"3-d transposed view": (lambda t: t.transpose(0, 1)), "4-d permuted view": (lambda t: t.permute(1, 2, 3, 0))}
    view = views.get(layout, lambda t: t)
    out = nn.functional.linear(view(x), weight, bias)
    expected = torch.nn.functional.linear(view(xt), wt, bt)
    g = rng.standard_normal(tuple(expected.shape))
    out.backward(g.astype(dtype))
    expected.backward(torch.tensor(g.astype(dtype)))
    for mine, theirs in ((out.data, expected), (x.grad, xt.grad), (weight.grad, wt.grad), (bias.grad, bt.grad)):
        np.testing.assert_allclose(mine, theirs.detach().numpy(), **TOLERANCES[dtype])


# -- initialisation ----------------------------------------------------------------------------------

@pytest.mark.parametrize("in_features, out_features", [(64, 32), (784, 128), (3, 500)])
def test_linear_default_init_follows_torch_formula(in_features, out_features):
    dp.manual_seed(0)
    layer = nn.Linear(in_features, out_features)
    twin = torch.nn.Linear(in_features, out_features)
    bound = 1 / math.sqrt(in_features)  # kaiming_uniform_(a=√5) works out to U(−1/√in, 1/√in)
    for ours, theirs in ((layer.weight.data, twin.weight.detach().numpy()),
                         (layer.bias.data, twin.bias.detach().numpy())):
        assert np.abs(ours).max() <= bound
        assert np.abs(theirs).max() <= bound + 1e-7
    # Over many draws, the weights fill the interval: the spread of U(−b, b) is b/√3.
    assert layer.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)
    assert np.abs(layer.weight.data).max() > 0.95 * bound


INITS = [
    ("xavier_uniform_", {}),
    ("xavier_uniform_", dict(gain=2.0)),
    ("xavier_normal_", {}),
    ("xavier_normal_", dict(gain=0.5)),
    ("kaiming_uniform_", {}),
    ("kaiming_uniform_", dict(a=math.sqrt(5))),
    ("kaiming_uniform_", dict(mode="fan_out", nonlinearity="relu")),
    ("kaiming_normal_", {}),
    ("kaiming_normal_", dict(mode="fan_out", nonlinearity="tanh")),
    ("normal_", dict(mean=0.5, std=2.0)),
    ("uniform_", dict(a=-3.0, b=1.0)),
]


@pytest.mark.parametrize("shape", [(300, 200), (64, 16, 3, 3)])
@pytest.mark.parametrize("name, kwargs", INITS, ids=lambda v: str(v))
def test_init_statistics_match_torch(name, kwargs, shape):
    dp.manual_seed(0)
    ours = getattr(nn.init, name)(dp.zeros(shape), **kwargs).data
    torch.manual_seed(0)
    theirs = getattr(torch.nn.init, name)(torch.zeros(shape), **kwargs).numpy().astype(np.float64)
    assert ours.shape == shape
    assert float(ours.mean()) == pytest.approx(theirs.mean(), abs=0.03 * theirs.std())
    assert float(ours.std()) == pytest.approx(theirs.std(), rel=0.03)
    if name.endswith("uniform_"):
        low, high = theirs.min(), theirs.max()
        span = high - low
        # The bounds agree: ours stay inside PyTorch's interval and reach close to both ends.
        assert low - 1e-3 * span <= ours.min() <= low + 0.01 * span
        assert high - 0.01 * span <= ours.max() <= high + 1e-3 * span


@pytest.mark.parametrize("name, kwargs, value", [
    ("zeros_", {}, 0.0), ("ones_", {}, 1.0), ("constant_", dict(val=0.25), 0.25),
])
def test_constant_inits_match_torch(name, kwargs, value):
    ours = getattr(nn.init, name)(dp.randn(4, 5), **kwargs)
    theirs = getattr(torch.nn.init, name)(torch.randn(4, 5), **kwargs)
    np.testing.assert_allclose(ours.data, theirs.numpy())
    np.testing.assert_allclose(ours.data, value)


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("sigmoid", None), ("conv2d", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None),
])
def test_calculate_gain_matches_torch(nonlinearity, param):
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-12)


def test_state_dict_keys_and_order_match_pytorch_and_its_state_loads():
    """A state dict goes module by module (parameters, buffers, then children) and lists a shared
    layer under every path, so a PyTorch model's state dict loads key for key."""

    def build(lib):
        shared = lib.Linear(3, 3)
        return lib.Sequential(lib.Linear(2, 3), lib.BatchNorm1d(3), shared, lib.Tanh(), shared, lib.Linear(3, 2))

    ours, theirs = build(nn), build(torch.nn)
    reference = theirs.state_dict()
    assert list(ours.state_dict()) == list(reference)
    ours.load_state_dict({key: value.numpy() for key, value in reference.items()})
    x = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    ours.eval()
    theirs.eval()
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(dp.tensor(x)).data, expected, **TOLERANCES[np.float32])
