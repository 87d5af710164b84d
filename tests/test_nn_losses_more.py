"""The ranking, embedding and likelihood losses, GLU, Hardshrink, Softshrink, Softmax2d, AlphaDropout
and Bilinear: finite differences in float64, AlphaDropout's statistics, model files, and the
one-sentence errors. (Their numbers against PyTorch: tests/reference/test_torch_losses_more.py.)"""

import json

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn, serialization
from deltaprop.errors import ConfigError, DataError, ModelFileError, ShapeError
from deltaprop.nn import functional as F


def rng(seed=0):
    return np.random.default_rng(seed)


def tensor(array, requires_grad=True):
    return dp.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad, dtype=np.float64)


def away_from(values, kinks, gap=1e-3):
    """``values`` nudged so that none lies within ``gap`` of a kink (finite differences straddle none)."""
    for kink in kinks:
        close = np.abs(values - kink) < gap
        values = np.where(close, kink + 2 * gap * np.sign(values - kink + 1e-12), values)
    return values


# -- finite differences -------------------------------------------------------------------------------------

R = rng(3)
SIGNS = np.where(R.random((5, 4)) < 0.5, -1.0, 1.0)

# (name, function of the differentiable tensors, their arrays). Inputs are kept away from the kinks
# (a hinge at 0, |a| = λ), where a difference quotient straddles two slopes.
GRADCHECKS = [
    ("margin_ranking_loss", lambda x1, x2, y, r: F.margin_ranking_loss(x1, x2, y, 0.3, reduction=r),
     [R.standard_normal((5, 4)), R.standard_normal((1, 4)), SIGNS * R.uniform(0.5, 2, (5, 4))]),
    ("hinge_embedding_loss", lambda x, r: F.hinge_embedding_loss(x, SIGNS, 0.5, reduction=r),
     [away_from(R.standard_normal((5, 4)), [0.5])]),
    ("soft_margin_loss", lambda x, r: F.soft_margin_loss(x, SIGNS[0], reduction=r), [R.standard_normal((5, 4)) * 3]),
    ("multilabel_soft_margin_loss", lambda x, y, w, r: F.multilabel_soft_margin_loss(x, y, w, reduction=r),
     [R.standard_normal((5, 4)), R.random((5, 4)), R.random(4)]),
    ("cosine_embedding_loss", lambda x1, x2, r: F.cosine_embedding_loss(x1, x2, SIGNS[:, 0], -0.2, reduction=r),
     [R.standard_normal((5, 3)), R.standard_normal((5, 3))]),
    ("triplet_margin_loss", lambda a, p, n, r: F.triplet_margin_loss(a, p, n, 3.0, reduction=r),
     [R.standard_normal((5, 3)), R.standard_normal((5, 3)), R.standard_normal((5, 3))]),
    ("triplet_margin_loss-p1-swap", lambda a, p, n, r: F.triplet_margin_loss(a, p, n, 4.0, p=1.5, swap=True, reduction=r),
     [R.standard_normal((5, 3)), R.standard_normal((5, 3)), R.standard_normal((5, 3))]),
    ("poisson_nll_loss", lambda x, y, r: F.poisson_nll_loss(x, y, full=True, reduction=r),
     [R.standard_normal((5, 4)), R.uniform(1.5, 6, (5, 4))]),
    ("poisson_nll_loss-rates", lambda x, y, r: F.poisson_nll_loss(x, y, log_input=False, reduction=r),
     [R.uniform(0.01, 3, (5, 4)), R.uniform(0, 6, (5, 4))]),
    ("gaussian_nll_loss", lambda x, y, v, r: F.gaussian_nll_loss(x, y, v, full=True, reduction=r),
     [R.standard_normal((5, 4)), R.standard_normal((5, 4)), R.uniform(0.1, 2, (5, 4))]),
    ("gaussian_nll_loss-shared", lambda x, y, v, r: F.gaussian_nll_loss(x, y, v, reduction=r),
     [R.standard_normal((5, 4)), R.standard_normal(4), R.uniform(0.1, 2, 5)]),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, loss, arrays", GRADCHECKS, ids=[c[0] for c in GRADCHECKS])
def test_loss_gradients_match_finite_differences(name, loss, arrays, reduction):
    assert dp.gradcheck(lambda *xs: loss(*xs, reduction), [tensor(a) for a in arrays])


LAYERS = [
    (nn.GLU(), [(4, 6)]),
    (nn.GLU(dim=0), [(4, 3)]),
    (nn.Hardshrink(0.4), [(4, 5)]),
    (nn.Softshrink(0.4), [(4, 5)]),
    (nn.Softmax2d(), [(2, 3, 2, 2)]),
    (nn.Bilinear(3, 4, 2), [(5, 3), (5, 4)]),
    (nn.Bilinear(2, 3, 3, bias=False), [(2, 4, 2), (2, 4, 3)]),
]


@pytest.mark.parametrize("layer, shapes", LAYERS, ids=[repr(c[0]) for c in LAYERS])
def test_layer_gradients_match_finite_differences(layer, shapes):
    """Inputs and every parameter, handed to the layer as gradcheck's float64 copies."""
    names = [name for name, _ in layer.named_parameters()]
    originals = [getattr(layer, name) for name in names]
    count = len(shapes)

    def run(*args):
        for name, value in zip(names, args[count:]):
            object.__setattr__(layer, name, value)
        try:
            return layer(*args[:count])
        finally:
            for name, value in zip(names, originals):
                object.__setattr__(layer, name, value)

    inputs = [away_from(rng(i).standard_normal(shape), [-0.4, 0.4]) for i, shape in enumerate(shapes)]
    assert dp.gradcheck(run, [tensor(x) for x in inputs] + [tensor(p.data) for p in originals])


def test_the_checker_fails_a_wrong_rule():
    """The finite differences above can fail: a gradient that halves the shrinkage slope is caught."""
    from deltaprop.ops._core import record

    def wrong_softshrink(a):
        out = F.softshrink(a, 0.4)
        return record(out.data, (a,), lambda g: (np.where(out.data != 0, g / 2, 0),), "wrong")

    with pytest.raises(dp.errors.GradcheckError):
        dp.gradcheck(wrong_softshrink, [tensor(away_from(rng().standard_normal((3, 4)), [-0.4, 0.4]))])


def test_a_hand_worked_example():
    """x1 = (1, 0), x2 = (1, 1): cos = 1/√2; alike, E = 1 − 1/√2. Ranking 2 above 3 with margin 0.5
    costs max(0, −1·(2 − 3) + 0.5) = 1.5. The shrinkages of (−1, 0.2, 0.7) by 0.5: (−0.5, 0, 0.2)
    and (−1, 0, 0.7)."""
    np.testing.assert_allclose(F.cosine_embedding_loss(tensor([[1.0, 0.0]]), tensor([[1.0, 1.0]]), [1.0]).item(),
                               1 - 1 / np.sqrt(2), rtol=1e-9)
    assert F.margin_ranking_loss(tensor([2.0]), tensor([3.0]), [1.0], margin=0.5).item() == pytest.approx(1.5)
    np.testing.assert_allclose(F.softshrink(tensor([-1.0, 0.2, 0.7])).data, [-0.5, 0.0, 0.2])
    np.testing.assert_allclose(F.hardshrink(tensor([-1.0, 0.2, 0.7])).data, [-1.0, 0.0, 0.7])
    np.testing.assert_allclose(F.glu(tensor([1.0, 2.0, 0.0, 3.0])).data, [0.5, 2 / (1 + np.exp(-3.0))])


def test_losses_keep_float32_against_float64_targets():
    x = dp.randn(4, 3, requires_grad=True)
    targets = np.where(np.arange(12).reshape(4, 3) % 2, 1.0, -1.0)  # float64
    losses = [
        F.margin_ranking_loss(x, x * 2, targets), F.hinge_embedding_loss(x, targets), F.soft_margin_loss(x, targets),
        F.multilabel_soft_margin_loss(x, targets > 0, np.ones(3)), F.cosine_embedding_loss(x, x + 1, targets[:, 0]),
        F.triplet_margin_loss(x, x + 1, np.zeros((4, 3))), F.poisson_nll_loss(x, np.abs(targets) * 3, full=True),
        F.gaussian_nll_loss(x, targets, np.ones(4)), F.gaussian_nll_loss(x, targets, 0.5),
    ]
    for loss in losses:
        assert loss.dtype == np.float32, loss
        loss.backward()
        assert x.grad.dtype == np.float32


def test_gaussian_nll_clamps_small_variances_and_lets_the_gradient_through():
    """Below eps the loss uses eps, and ∂E/∂v is the formula's at eps (PyTorch clamps under no_grad)."""
    v = tensor([0.0, 1e-9, 0.5])
    x, y = tensor([1.0, 1.0, 1.0]), np.zeros(3)
    loss = F.gaussian_nll_loss(x, y, v, eps=1e-6, reduction="none")
    clamped = np.array([1e-6, 1e-6, 0.5])
    np.testing.assert_allclose(loss.data, 0.5 * (np.log(clamped) + 1 / clamped))
    loss.sum().backward()
    np.testing.assert_allclose(v.grad, 0.5 * (1 / clamped - 1 / clamped**2))
    np.testing.assert_allclose(x.grad, 1 / clamped)


def test_poisson_target_gradient_is_zero_through_the_stirling_term_where_the_count_is_small():
    """PyTorch's is NaN at y = 0 (0·log 0 in a term it then masks); here the masked term gives 0."""
    x, y = tensor([0.5, 0.5, 0.5]), tensor([0.0, 1.0, 3.0])
    F.poisson_nll_loss(x, y, full=True, reduction="sum").backward()
    np.testing.assert_allclose(y.grad, [-0.5, -0.5, -0.5 + np.log(3.0) + 0.5 / 3.0])


# -- AlphaDropout -------------------------------------------------------------------------------------------

ALPHA_PRIME = 1.7580993408473766


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_alpha_dropout_keeps_mean_and_variance(p):
    """Inputs of mean 0 and variance 1 come out with mean 0 and variance 1. The tolerances are five
    standard errors of the sample estimates for n draws (the dropped fraction's sqrt(p(1 − p)/n), the
    mean's σ/√n, the variance's sqrt((m4 − σ⁴)/n)): a correct layer fails them about once in 10⁶ runs."""
    n = 400_000
    dp.manual_seed(1)
    x = rng(2).standard_normal(n)
    layer = nn.AlphaDropout(p)
    out = layer(dp.tensor(x, dtype=np.float64)).data
    a = 1 / np.sqrt((ALPHA_PRIME**2 * p + 1) * (1 - p))
    dropped = np.isclose(out, a * ALPHA_PRIME * (p - 1), rtol=0, atol=1e-12)
    assert abs(dropped.mean() - p) < 5 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(out[~dropped], a * x[~dropped] + a * ALPHA_PRIME * p, rtol=1e-12)
    mean, variance = out.mean(), out.var()
    # the input's own sample mean and variance are off by chance as well: allow both
    assert abs(mean) < 5 * np.sqrt(variance / n) + abs(x.mean())
    m4 = np.mean((out - mean) ** 4)
    assert abs(variance - 1) < 5 * np.sqrt((m4 - variance**2) / n) + abs(x.var() - 1)


def test_alpha_dropout_is_the_identity_in_eval_mode_and_by_default_in_the_function():
    x = dp.randn(6, 7)
    layer = nn.AlphaDropout(0.3).eval()
    assert layer(x) is x
    assert F.alpha_dropout(x, 0.3) is x  # training=False by default, as in PyTorch's function
    assert F.alpha_dropout(x, 0.0, training=True) is x


def test_alpha_dropout_is_reproducible_and_draws_dropouts_mask():
    """The same seed gives the same output; the mask is the one dropout draws from the same seed."""
    x = dp.randn(30, 20)
    dp.manual_seed(7)
    first = F.alpha_dropout(x, 0.25, training=True).data
    dp.manual_seed(7)
    again = nn.AlphaDropout(0.25)(x).data
    dp.manual_seed(7)
    kept = F.dropout(x, 0.25, training=True).data != 0
    dp.manual_seed(8)
    other = F.alpha_dropout(x, 0.25, training=True).data
    np.testing.assert_array_equal(first, again)
    a = 1 / np.sqrt((ALPHA_PRIME**2 * 0.25 + 1) * 0.75)
    np.testing.assert_allclose(first[~kept], a * ALPHA_PRIME * (0.25 - 1), rtol=1e-6)
    assert not np.array_equal(first, other)


def test_alpha_dropout_gradient_is_the_kept_scale():
    x = dp.randn(8, 9, requires_grad=True)
    dp.manual_seed(3)
    out = F.alpha_dropout(x, 0.4, training=True)
    dp.manual_seed(3)
    kept = F.dropout(dp.ones(8, 9), 0.4, training=True).data != 0
    out.sum().backward()
    a = 1 / np.sqrt((ALPHA_PRIME**2 * 0.4 + 1) * 0.6)
    np.testing.assert_allclose(x.grad, np.where(kept, a, 0.0), rtol=1e-6)
    zeros = F.alpha_dropout(x, 1.0, training=True)
    assert zeros.dtype == np.float32 and not zeros.data.any()


# -- model files ---------------------------------------------------------------------------------------------


def _network(dtype="float32"):
    dp.manual_seed(0)
    return nn.Sequential(
        nn.Linear(4, 8), nn.GLU(), nn.Hardshrink(0.05), nn.Softshrink(0.01), nn.AlphaDropout(0.1), nn.Linear(4, 8),
        nn.Unflatten(1, (2, 2, 2)), nn.Softmax2d(), nn.Flatten(), nn.GLU(dim=1),
    ).to(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_new_layers_round_trip(tmp_path, dtype):
    model = _network(dtype)
    model.eval()
    dp.save(model, tmp_path / "model.safetensors")
    loaded = dp.load(tmp_path / "model.safetensors")
    assert repr(loaded) == repr(model) and not loaded[4].training
    assert [layer.config() for layer in loaded] == [layer.config() for layer in model]
    x = dp.tensor(rng().standard_normal((5, 4)), dtype=dtype)
    np.testing.assert_array_equal(loaded(x).data, model(x).data)


def test_bilinear_and_the_losses_round_trip(tmp_path):
    dp.manual_seed(0)
    model = nn.ModuleDict({
        "pair": nn.Bilinear(3, 4, 2), "plain": nn.Bilinear(2, 2, 3, bias=False, dtype=np.float64),
        "ranking": nn.MarginRankingLoss(0.5, reduction="sum"), "hinge": nn.HingeEmbeddingLoss(2.0),
        "cosine": nn.CosineEmbeddingLoss(-0.25), "triplet": nn.TripletMarginLoss(0.5, p=float("inf"), swap=True),
        "soft": nn.SoftMarginLoss(reduction="none"), "labels": nn.MultiLabelSoftMarginLoss(weight=[1.0, 0.5]),
        "poisson": nn.PoissonNLLLoss(log_input=False, full=True, eps=1e-6), "gauss": nn.GaussianNLLLoss(full=True, eps=1e-4),
    })
    dp.save(model, tmp_path / "model.safetensors")
    loaded = dp.load(tmp_path / "model.safetensors")
    assert repr(loaded) == repr(model) and list(loaded.state_dict()) == list(model.state_dict())
    for key in model.keys():
        assert loaded[key].config() == model[key].config(), key
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key], value)
        assert loaded.state_dict()[key].dtype == value.dtype
    x1, x2 = dp.randn(5, 3), dp.randn(5, 4)
    np.testing.assert_array_equal(loaded["pair"](x1, x2).data, model["pair"](x1, x2).data)


def _with_layer(tmp_path, layer: dict, tensors: dict | None = None):
    """A model file whose architecture is a Sequential of one hand-written layer entry."""
    path = tmp_path / "edited.safetensors"
    info = {"format": serialization.FORMAT_MODEL, "version": serialization.VERSION, "dtype": "float32", "tied": [],
            "metadata": {}, "architecture": {"class": "Sequential", "config": {}, "children": [dict(children=[], **layer)]}}
    serialization._write(path, tensors or {}, info)
    return path


@pytest.mark.parametrize("layer, message", [
    ({"class": "Bilinear", "config": {"in1_features": 2**40, "in2_features": 1, "out_features": 1}},
     "larger than the file's own weights allow"),
    ({"class": "Bilinear", "config": {"in1_features": 2**15, "in2_features": 2**15, "out_features": 2**15}},
     "the architecture asks for far more weights than the file's"),
    ({"class": "Bilinear", "config": {"in1_features": 0, "in2_features": 2, "out_features": 2}},
     "Bilinear: in1_features must be a positive integer, got 0"),
    ({"class": "Bilinear", "config": {"in1_features": 2, "in2_features": 2, "out_features": 2, "dtype": "int8"}},
     r"layer '0' \(Bilinear\) argument dtype='int8' is not one of"),
    ({"class": "GLU", "config": {"dim": 1.5}}, "GLU: dim must be an integer"),
    ({"class": "Hardshrink", "config": {"lambd": float("nan")}}, "Hardshrink: lambd must be a real number, got nan"),
    ({"class": "Softshrink", "config": {"lambd": -1.0}}, "Softshrink: lambd must be a non-negative number, got -1.0"),
    ({"class": "AlphaDropout", "config": {"p": 2.0}}, r"AlphaDropout: p must be a probability in \[0, 1\], got 2.0"),
    ({"class": "TripletMarginLoss", "config": {"margin": 0.0}}, "TripletMarginLoss: margin must be greater than 0"),
    ({"class": "TripletMarginLoss", "config": {"p": -1.0}}, "TripletMarginLoss: p must be a positive number"),
    ({"class": "MarginRankingLoss", "config": {"margin": "1"}}, "MarginRankingLoss: margin must be a real number"),
    ({"class": "GaussianNLLLoss", "config": {"reduction": "max"}}, "GaussianNLLLoss: reduction must be one of"),
    ({"class": "PoissonNLLLoss", "config": {"eps": float("nan")}}, "PoissonNLLLoss: eps must be a real number"),
])
def test_a_file_with_a_bad_argument_is_one_clear_error(tmp_path, layer, message):
    with pytest.raises(ModelFileError, match=message) as caught:
        dp.load(_with_layer(tmp_path, layer))
    assert "\n" not in str(caught.value)


def test_a_bilinear_weight_of_the_wrong_shape_is_refused(tmp_path):
    config = {"in1_features": 2, "in2_features": 3, "out_features": 1, "bias": False}
    path = _with_layer(tmp_path, {"class": "Bilinear", "config": config}, {"0.weight": np.ones((1, 3, 2), np.float32)})
    with pytest.raises(ModelFileError, match="the weights do not fit the architecture"):
        dp.load(path)


def test_configs_rebuild_equal_layers():
    for layer in [nn.Bilinear(2, 3, 4, dtype=np.float64), nn.TripletMarginLoss(2.0, 1.0, 0.0, True, reduction="sum"),
                  nn.MultiLabelSoftMarginLoss([1.0, 2.0]), nn.GaussianNLLLoss(full=True)]:
        rebuilt = type(layer)(**json.loads(json.dumps(layer.config())))
        assert rebuilt.config() == layer.config() and repr(rebuilt) == repr(layer)


# -- one-sentence errors that name the loss or layer --------------------------------------------------------

ERRORS = [
    (lambda: F.margin_ranking_loss(dp.ones(2), dp.ones(1, 2), np.ones(2)), ShapeError,
     r"margin_ranking_loss: input1, input2, target must have the same number of dimensions .*\(2,\), .*\(1, 2\)"),
    (lambda: F.margin_ranking_loss(dp.ones(2), dp.ones(3), np.ones(2)), ShapeError,
     r"margin_ranking_loss: the shapes of input1 \(2,\), input2 \(3,\), target \(2,\) cannot be broadcast together"),
    (lambda: F.hinge_embedding_loss(dp.ones(2, 3), np.ones(2)), ShapeError, "hinge_embedding_loss: the shapes of input"),
    (lambda: F.soft_margin_loss(dp.ones(3), np.ones((2, 3))), ShapeError,
     r"soft_margin_loss: target of shape \(2, 3\) does not broadcast to the input's shape \(3,\)"),
    (lambda: F.multilabel_soft_margin_loss(dp.tensor(1.0), 1.0), ShapeError, "multilabel_soft_margin_loss: the input needs a label axis"),
    (lambda: F.multilabel_soft_margin_loss(dp.ones(2, 3), np.ones((2, 3)), np.ones(2)), ShapeError,
     r"multilabel_soft_margin_loss: the shapes of input \(2, 3\), target \(2, 3\), weight \(2,\)"),
    (lambda: F.cosine_embedding_loss(dp.ones(2, 3), dp.ones(2, 3), np.ones((2, 1))), ShapeError,
     r"cosine_embedding_loss: target must be 0-d \(one pair\) or 1-d"),
    (lambda: F.cosine_embedding_loss(dp.ones(3), dp.ones(3), np.ones(1)), ShapeError,
     "cosine_embedding_loss: a 1-d target expects 2-d inputs"),
    (lambda: F.cosine_embedding_loss(dp.ones(2, 3), dp.ones(2, 3), np.ones(3)), ShapeError,
     r"cosine_embedding_loss: 2 pairs of inputs but target of shape \(3,\)"),
    (lambda: F.triplet_margin_loss(dp.ones(3), dp.ones(3), dp.ones(3), margin=0), ConfigError,
     "triplet_margin_loss: margin must be greater than 0, got 0"),
    (lambda: F.triplet_margin_loss(dp.ones(3), dp.ones(3), dp.ones(3), p=0), ConfigError,
     r"triplet_margin_loss: p must be a positive number \(inf for the largest difference\), got 0"),
    (lambda: F.triplet_margin_loss(dp.tensor(1.0), dp.tensor(1.0), dp.tensor(2.0)), ShapeError,
     "triplet_margin_loss: anchor, positive and negative must be vectors"),
    (lambda: F.triplet_margin_loss(dp.ones(2, 3), dp.ones(3), dp.ones(2, 3)), ShapeError,
     "triplet_margin_loss: anchor, positive, negative must have the same number of dimensions"),
    (lambda: F.poisson_nll_loss(dp.ones(2), np.ones(3)), ShapeError, "poisson_nll_loss: the shapes of input"),
    (lambda: F.gaussian_nll_loss(dp.ones(2, 3), np.ones((2, 3)), np.ones((2, 2))), ShapeError,
     r"gaussian_nll_loss: var of shape \(2, 2\) does not fit the input's shape \(2, 3\)"),
    (lambda: F.gaussian_nll_loss(dp.ones(2, 3), np.ones((2, 3)), -np.ones(2)), DataError,
     "gaussian_nll_loss: var has negative entries"),
    (lambda: F.gaussian_nll_loss(dp.ones(2, 3), np.ones((2, 3)), -1.0), DataError, "gaussian_nll_loss: var must not be negative"),
    (lambda: F.gaussian_nll_loss(dp.ones(2, 3), np.ones((4, 3)), np.ones((2, 3))), ShapeError,
     "gaussian_nll_loss: the shapes of input"),
    (lambda: F.glu(dp.ones(2, 3)), ShapeError, r"glu: dimension -1 of input of shape \(2, 3\) has odd size 3"),
    (lambda: F.glu(dp.ones(2, 4), dim=2), ShapeError, r"glu: dim 2 is out of range for input of shape \(2, 4\)"),
    (lambda: F.glu(dp.tensor(1.0)), ShapeError, "glu: the input must have at least one dimension"),
    (lambda: F.softshrink(dp.ones(2), -0.5), ConfigError, "softshrink: lambd must be a non-negative number, got -0.5"),
    (lambda: F.hardshrink(dp.ones(2), "big"), ConfigError, "hardshrink: lambd must be a real number, got 'big'"),
    (lambda: F.alpha_dropout(dp.ones(2), -0.1, True), ConfigError, r"alpha_dropout: p must be a probability in \[0, 1\]"),
    (lambda: nn.Softmax2d()(dp.ones(2, 3)), ShapeError, r"Softmax2d: expected input of shape \(N, C, H, W\) or \(C, H, W\)"),
    (lambda: nn.GLU(dim="1"), ConfigError, "GLU: dim must be an integer"),
    (lambda: nn.Bilinear(2, 3, 4)(dp.ones(5, 2), dp.ones(5, 4)), ShapeError,
     r"Bilinear\(2, 3 -> 4\) expected inputs of shapes \(N, 2\) and \(N, 3\), got shapes \(5, 2\) and \(5, 4\)"),
    (lambda: nn.Bilinear(2, 3, True), ConfigError, "Bilinear: out_features must be a positive integer, got True"),
    (lambda: F.bilinear(dp.ones(2, 3), dp.ones(2, 4), dp.ones(3, 4)), ShapeError,
     r"bilinear: the weight must have shape \(out_features, in1_features, in2_features\)"),
    (lambda: F.bilinear(dp.ones(2, 3), dp.ones(3, 4), dp.ones(1, 3, 4)), ShapeError,
     "bilinear: input1 and input2 must agree on every axis but the last"),
    (lambda: F.bilinear(dp.ones(2, 3), dp.ones(2, 4), dp.ones(1, 3, 4), dp.ones(2)), ShapeError,
     r"bilinear: the bias must have shape \(1,\)"),
    (lambda: nn.MultiLabelSoftMarginLoss(reduction="avg"), ConfigError, "MultiLabelSoftMarginLoss: reduction must be one of"),
    (lambda: F.soft_margin_loss(dp.ones(2), np.ones(2), reduction="avg"), ConfigError, "soft_margin_loss: reduction must be one of"),
    (lambda: nn.PoissonNLLLoss(True, False, 1e-8), TypeError, "positional"),  # PyTorch's third is size_average
]


@pytest.mark.parametrize("call, error, message", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors_are_one_sentence_naming_the_loss_or_layer(call, error, message):
    with pytest.raises(error, match=message) as caught:
        call()
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("loss", [
    lambda r: F.margin_ranking_loss(dp.ones(0), dp.ones(0), np.ones(0), reduction=r),
    lambda r: F.gaussian_nll_loss(dp.ones(0, 2), np.ones((0, 2)), np.ones(0), reduction=r),
    lambda r: F.multilabel_soft_margin_loss(dp.ones(0, 3), np.ones((0, 3)), reduction=r),
])
def test_a_mean_over_nothing_is_nan_a_sum_zero(loss):
    assert np.isnan(loss("mean").item()) and loss("sum").item() == 0 and loss("none").shape[0] == 0
