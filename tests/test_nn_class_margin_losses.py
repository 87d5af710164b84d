"""MultiMarginLoss, MultiLabelMarginLoss, TripletMarginWithDistanceLoss and F.pdist: hand-worked
values, finite differences in float64, model files, and errors naming the loss and the option."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, DataError, ModelFileError, ShapeError
from deltaprop.nn import functional as F


def rand(*shape, seed=0):
    return dp.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=np.float64, requires_grad=True)


def test_multi_margin_loss_by_hand():
    # scores (1, 2, 0.5), true class 1: hinges max(0, 1 − 2 + 1) = 0 and max(0, 1 − 2 + 0.5) = 0 → 0;
    # true class 0: max(0, 1 − 1 + 2) = 2 and max(0, 1 − 1 + 0.5) = 0.5 → 2.5 / 3
    x = dp.tensor([[1.0, 2.0, 0.5], [1.0, 2.0, 0.5]], dtype=np.float64)
    out = F.multi_margin_loss(x, np.array([1, 0]), reduction="none")
    np.testing.assert_allclose(out.data, [0.0, 2.5 / 3], rtol=1e-12)
    squared = F.multi_margin_loss(x, np.array([0, 0]), p=2, weight=[3.0, 1.0, 1.0], reduction="none")
    np.testing.assert_allclose(squared.data, [3 * (4 + 0.25) / 3] * 2, rtol=1e-12)


def test_multilabel_margin_loss_by_hand():
    # true classes {0}, listed before the −1: rivals 1 and 2; hinges 1 − (1 − 2) = 2 and 1 − (1 − 0.5) = 0.5
    x = dp.tensor([1.0, 2.0, 0.5], dtype=np.float64)
    np.testing.assert_allclose(F.multilabel_margin_loss(x, np.array([0, -1, 2])).data, 2.5 / 3, rtol=1e-12)


def test_pdist_by_hand():
    x = dp.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]], dtype=np.float64)
    np.testing.assert_allclose(F.pdist(x).data, [5.0, 1.0, np.sqrt(18.0)], rtol=1e-12)
    np.testing.assert_allclose(F.pdist(x, 1).data, [7.0, 1.0, 6.0], rtol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(), dict(p=2), dict(margin=0.4, weight=[1.0, 0.5, 2.0, 1.5])])
def test_multi_margin_loss_gradients_match_finite_differences(kwargs):
    labels = np.array([0, 3, 1, 1, 2])
    assert dp.gradcheck(lambda x: F.multi_margin_loss(x, labels, reduction="none", **kwargs), [rand(5, 4)])


def test_multilabel_margin_loss_gradients_match_finite_differences():
    labels = np.array([[0, 2, -1, 1], [3, -1, 0, 0], [1, 1, 2, -1]])
    assert dp.gradcheck(lambda x: F.multilabel_margin_loss(x, labels, reduction="none"), [rand(3, 4, seed=1)])


@pytest.mark.parametrize("distance", [None, nn.PairwiseDistance(p=1.0), lambda u, v: ((u - v) ** 2).sum(-1)])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_gradients_match_finite_differences(distance, swap):
    loss = nn.TripletMarginWithDistanceLoss(distance_function=distance, margin=2.0, swap=swap, reduction="none")
    assert dp.gradcheck(loss, [rand(5, 3, seed=s) for s in (1, 2, 3)])


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
def test_pdist_gradients_match_finite_differences(p):
    assert dp.gradcheck(lambda x: F.pdist(x, p), [rand(5, 3, seed=4)])


def test_the_default_distance_is_a_pairwise_distance_layer_as_in_pytorch():
    loss = nn.TripletMarginWithDistanceLoss()
    assert isinstance(loss.distance_function, nn.PairwiseDistance)
    assert [name for name, _ in loss.named_children()] == ["distance_function"]


@pytest.mark.parametrize("loss, inputs", [
    (nn.MultiMarginLoss(p=2, margin=0.5, weight=[1.0, 2.0, 0.5]), lambda: (rand(4, 3), np.array([0, 2, 1, 1]))),
    (nn.MultiLabelMarginLoss(reduction="sum"), lambda: (rand(4, 3), np.array([[0, -1, 0]] * 4))),
    (nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance(p=1.0), margin=0.5, swap=True),
     lambda: (rand(4, 3), rand(4, 3, seed=1), rand(4, 3, seed=2))),
    (nn.TripletMarginWithDistanceLoss(), lambda: (rand(4, 3), rand(4, 3, seed=1), rand(4, 3, seed=2))),
], ids=["multi-margin", "multilabel-margin", "triplet-l1", "triplet-default"])
def test_a_model_file_round_trips(loss, inputs, tmp_path):
    dp.save(loss, tmp_path / "loss.safetensors")
    again = dp.load(tmp_path / "loss.safetensors")
    assert type(again) is type(loss) and repr(again) == repr(loss) and again.config() == loss.config()
    args = inputs()
    np.testing.assert_array_equal(again(*args).data, loss(*args).data)


def test_a_triplet_loss_with_a_plain_function_saves_its_weights_alone(tmp_path):
    loss = nn.TripletMarginWithDistanceLoss(distance_function=lambda u, v: (u - v).abs().sum(-1))
    dp.save(loss, tmp_path / "loss.safetensors")
    with pytest.raises(ModelFileError, match="custom class"):
        dp.load(tmp_path / "loss.safetensors")
    assert isinstance(dp.load(tmp_path / "loss.safetensors", model=nn.TripletMarginWithDistanceLoss()),
                      nn.TripletMarginWithDistanceLoss)


@pytest.mark.parametrize("make, message", [
    (lambda: nn.MultiMarginLoss(p=3), "MultiMarginLoss: p must be 1 or 2, got 3"),
    (lambda: nn.MultiMarginLoss(margin="1"), "MultiMarginLoss: margin must be a real number"),
    (lambda: nn.MultiMarginLoss(reduction="avg"), "MultiMarginLoss: reduction must be one of"),
    (lambda: nn.MultiLabelMarginLoss(reduction="avg"), "MultiLabelMarginLoss: reduction must be one of"),
    (lambda: nn.TripletMarginWithDistanceLoss(margin=0), "TripletMarginWithDistanceLoss: margin must be greater than 0"),
    (lambda: nn.TripletMarginWithDistanceLoss(distance_function=2), "TripletMarginWithDistanceLoss: distance_function"),
    (lambda: nn.TripletMarginWithDistanceLoss(swap=1), "TripletMarginWithDistanceLoss: swap must be True or False"),
])
def test_bad_options_name_the_loss_and_option(make, message):
    with pytest.raises(ConfigError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        make()


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.multi_margin_loss(rand(2, 3), np.array([0, 3])), DataError,
     r"multi_margin_loss: target 3 is not a class index in \[0, 3\)"),
    (lambda: F.multi_margin_loss(rand(2, 3), np.array([0.0, 1.0])), DataError,
     "multi_margin_loss: target must hold integer class indices"),
    (lambda: F.multi_margin_loss(rand(2, 3), np.array([0, 1, 1])), ShapeError,
     r"multi_margin_loss: expected target of shape \(2,\), got shape \(3,\)"),
    (lambda: F.multi_margin_loss(rand(2, 3), np.array([0, 1]), weight=[1.0, 2.0]), ShapeError,
     r"multi_margin_loss: weight must have shape \(3,\) for 3 classes, got shape \(2,\)"),
    (lambda: F.multi_margin_loss(rand(2, 3, 4), np.array([0, 1])), ShapeError,
     r"multi_margin_loss: expected input of shape \(N, C\) or \(C,\), got shape \(2, 3, 4\)"),
    (lambda: F.multilabel_margin_loss(rand(2, 3), np.array([[0, 5, -1], [0, -1, 0]])), DataError,
     r"multilabel_margin_loss: target 5 is not a class index in \[0, 3\)"),
    (lambda: F.multilabel_margin_loss(rand(2, 3), np.array([0, 1])), ShapeError,
     r"multilabel_margin_loss: expected target of shape \(2, 3\), got shape \(2,\)"),
    (lambda: F.triplet_margin_with_distance_loss(rand(2, 3), rand(2, 3), rand(3)), ShapeError,
     "triplet_margin_with_distance_loss: anchor, positive, negative must have the same number of dimensions"),
    (lambda: F.pdist(rand(2, 3, 4)), ShapeError, r"pdist: expected input of shape \(N, M\), got shape \(2, 3, 4\)"),
    (lambda: F.pdist(rand(2, 3), -1.0), ConfigError, "pdist: p must be a non-negative number"),
])
def test_bad_input_names_the_function(call, error, message):
    with pytest.raises(error, match="^" + message):
        call()
