"""The ranking, embedding and likelihood losses, and GLU, Hardshrink, Softshrink, Softmax2d,
AlphaDropout and Bilinear against PyTorch: the same inputs give the same values and the same
gradients for every input (and Bilinear's parameters), in float64 and float32, for every reduction."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.errors import ConfigError, DataError, ShapeError  # noqa: E402
from torch_twins import DTYPES, TOLERANCES, TORCH_DTYPES, twins  # noqa: E402

REDUCTIONS = ["mean", "sum", "none"]

RNG = np.random.default_rng(5)


def normal(*shape):
    return RNG.standard_normal(shape)


def signs(*shape):
    return np.where(RNG.random(shape) < 0.5, -1.0, 1.0)


# (loss, options, inputs, which inputs get a gradient). A float among the inputs (GaussianNLLLoss's
# var) is passed as a number to both.
LOSSES = [
    ("MarginRankingLoss", {}, [normal(6), normal(6), signs(6)], [True, True, True]),
    ("MarginRankingLoss", dict(margin=0.5), [normal(4, 3), normal(1, 3), signs(4, 1)], [True, True, True]),
    # at the kink (−y·(x1 − x2) + margin = 0) the gradient passes, as clamp_min's does
    ("MarginRankingLoss", {}, [np.array([1.0, 2.0, 0.0]), np.array([1.0, 1.0, 0.5]), np.array([1.0, -1.0, 1.0])],
     [True, True, True]),
    ("MarginRankingLoss", {}, [np.zeros(0), np.zeros(0), np.zeros(0)], [True, True, False]),  # nothing: the mean is NaN
    ("HingeEmbeddingLoss", {}, [normal(4, 3), signs(4, 3)], [True, False]),
    ("HingeEmbeddingLoss", dict(margin=0.5), [normal(4, 3), signs(3)], [True, False]),  # the target broadcasts
    ("HingeEmbeddingLoss", {}, [np.array([0.5, 1.0, -1.0, 2.0, 0.3]), np.array([1.0, -1.0, -1.0, 0.0, 2.0])],
     [True, False]),  # at the margin, and targets that are neither 1 nor −1 (both terms count)
    ("HingeEmbeddingLoss", dict(margin=2.0), [normal(1, 5), signs(3, 1)], [True, False]),  # the input broadcasts too
    ("SoftMarginLoss", {}, [normal(4, 3) * 3, signs(4, 3)], [True, False]),
    ("SoftMarginLoss", {}, [normal(4, 3), signs(3)], [True, False]),
    ("SoftMarginLoss", {}, [np.array([30.0, -30.0, 60.0, -60.0]), np.array([1.0, 1.0, -1.0, 1.0])], [True, False]),
    ("MultiLabelSoftMarginLoss", {}, [normal(4, 5), (RNG.random((4, 5)) < 0.5).astype(float)], [True, False]),
    ("MultiLabelSoftMarginLoss", dict(weight=RNG.random(5) * 2), [normal(4, 5), RNG.random((4, 5))], [True, True]),
    ("MultiLabelSoftMarginLoss", {}, [normal(5), (RNG.random(5) < 0.5).astype(float)], [True, False]),  # one sample
    ("MultiLabelSoftMarginLoss", dict(weight=RNG.random(4)), [normal(2, 3, 4), RNG.random((2, 3, 4))], [True, True]),
    ("CosineEmbeddingLoss", {}, [normal(5, 3), normal(5, 3), signs(5)], [True, True, False]),
    ("CosineEmbeddingLoss", dict(margin=0.3), [normal(5, 3), normal(1, 3), signs(5)], [True, True, False]),
    ("CosineEmbeddingLoss", dict(margin=-0.5), [normal(4), normal(4), np.array(-1.0)], [True, True, False]),  # one pair
    # a zero vector: cosine 0 and finite gradients thanks to the ε under the root; a target of 0 adds nothing
    ("CosineEmbeddingLoss", dict(margin=-0.5), [np.array([[0.0, 0.0], [1.0, 2.0], [1.0, 2.0]]),
                                                np.array([[1.0, 0.0], [0.0, 0.0], [-1.0, -2.0]]),
                                                np.array([1.0, -1.0, 0.0])], [True, True, False]),
    ("TripletMarginLoss", {}, [normal(5, 4), normal(5, 4), normal(5, 4)], [True, True, True]),
    ("TripletMarginLoss", dict(margin=2.0, swap=True), [normal(5, 4), normal(5, 4), normal(5, 4)], [True, True, True]),
    ("TripletMarginLoss", dict(p=1.0, margin=1.5), [normal(5, 4), normal(5, 4), normal(5, 4)], [True, True, True]),
    ("TripletMarginLoss", dict(p=3.0, eps=0.0, swap=True), [normal(5, 4), normal(5, 4), normal(5, 4)], [True, True, True]),
    ("TripletMarginLoss", dict(p=float("inf")), [normal(5, 4), normal(5, 4), normal(5, 4)], [True, True, True]),
    ("TripletMarginLoss", dict(margin=3.0), [normal(4), normal(4), normal(4)], [True, True, True]),  # one triplet
    ("TripletMarginLoss", dict(margin=2.0), [normal(1, 4), normal(3, 4), normal(3, 4)], [True, True, True]),  # one anchor
    ("TripletMarginLoss", dict(margin=2.0, swap=True), [normal(2, 3, 4), normal(2, 3, 4), normal(2, 3, 4)],
     [True, True, True]),
    ("PoissonNLLLoss", {}, [normal(4, 3), RNG.poisson(2.0, (4, 3)).astype(float)], [True, True]),
    ("PoissonNLLLoss", dict(full=True), [normal(4, 3), RNG.poisson(3.0, (4, 3)) + 0.5], [True, True]),
    ("PoissonNLLLoss", dict(full=True), [normal(4, 3), np.array([0.0, 1.0, 3.0])], [True, False]),  # y <= 1: no Stirling term
    ("PoissonNLLLoss", dict(log_input=False), [RNG.random((4, 3)) * 3, RNG.poisson(2.0, (4, 3)).astype(float)],
     [True, True]),
    # rates at and near 0 with log_input=False: eps keeps log(λ + eps) finite
    ("PoissonNLLLoss", dict(log_input=False, full=True), [np.array([0.0, 1e-9, 1e-4, 0.5, 2.0]),
                                                          np.array([0.5, 1.0, 3.0, 2.5, 7.0])], [True, True]),
    ("PoissonNLLLoss", dict(log_input=False, eps=1e-3), [np.array([0.0, 1e-9, 1e-4, 0.5]), np.array([0.0, 1.0, 3.0, 2.0])],
     [True, True]),
    ("GaussianNLLLoss", {}, [normal(4, 3), normal(4, 3), RNG.random((4, 3)) + 0.1], [True, True, True]),
    ("GaussianNLLLoss", dict(full=True), [normal(4, 3), normal(4, 3), RNG.random(4) + 0.1], [True, True, True]),
    ("GaussianNLLLoss", {}, [normal(4, 3), normal(4, 3), RNG.random((4, 1)) + 0.1], [True, True, True]),
    ("GaussianNLLLoss", {}, [normal(4, 3), normal(4, 3), RNG.random((1, 3)) + 0.1], [True, True, True]),
    ("GaussianNLLLoss", {}, [normal(2, 3, 4), normal(2, 3, 4), RNG.random((2, 1, 4)) + 0.1], [True, True, True]),
    ("GaussianNLLLoss", dict(eps=1e-2), [normal(4, 3), normal(4, 3), 0.7], [True, True, False]),  # a number
    ("GaussianNLLLoss", {}, [normal(4, 3), normal(3), RNG.random((4, 3)) + 0.1], [True, True, True]),  # target broadcasts
    # variances below eps (and 0) are clamped; the gradient passes the clamp as PyTorch's does
    ("GaussianNLLLoss", {}, [normal(5), normal(5), np.array([0.0, 1e-9, 1e-6, 1e-3, 2.0])], [True, True, True]),
    ("GaussianNLLLoss", dict(eps=0.5, full=True), [normal(5), normal(5), np.array([0.0, 0.1, 0.5, 0.6, 2.0])],
     [True, True, True]),
]


def _ours(value, dtype, grad):
    return value if isinstance(value, float) else dp.tensor(value, dtype=dtype, requires_grad=grad)


def _theirs(value, dtype, grad):
    return value if isinstance(value, float) else torch.tensor(value, dtype=TORCH_DTYPES[dtype], requires_grad=grad)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, options, inputs, grads", LOSSES, ids=[f"{c[0]}-{i}" for i, c in enumerate(LOSSES)])
def test_loss_matches_torch(name, options, inputs, grads, reduction, dtype):
    weight = options.get("weight")
    loss = getattr(nn, name)(reduction=reduction, **options)
    twin = getattr(torch.nn, name)(
        reduction=reduction, **{**options, **({} if weight is None else {"weight": torch.tensor(weight, dtype=TORCH_DTYPES[dtype])})}
    )
    ours = [_ours(value, dtype, grad) for value, grad in zip(inputs, grads)]
    theirs = [_theirs(value, dtype, grad) for value, grad in zip(inputs, grads)]
    out, expected = loss(*ours), twin(*theirs)
    tol = TOLERANCES[dtype]
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)
    upstream = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    for i, (a, b, grad) in enumerate(zip(ours, theirs, grads)):
        if grad:
            np.testing.assert_allclose(a.grad, b.grad.numpy(), err_msg=f"input {i}", **tol)


@pytest.mark.parametrize("name", sorted({case[0] for case in LOSSES}))
def test_loss_repr_matches_torch(name):
    assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())


def test_functional_losses_take_torchs_positional_arguments():
    F, TF = nn.functional, torch.nn.functional
    x1, x2, labels, targets = normal(4, 3), normal(4, 3), signs(4), signs(4, 3)
    counts, weight = RNG.poisson(2.0, (4, 3)) + 2.0, np.arange(3.0)
    a, b = dp.tensor(x1, dtype=np.float64), dp.tensor(x2, dtype=np.float64)
    ta, tb = torch.tensor(x1), torch.tensor(x2)
    pairs = [
        (F.margin_ranking_loss(a, b, targets, 0.2), TF.margin_ranking_loss(ta, tb, torch.tensor(targets), 0.2)),
        (F.hinge_embedding_loss(a, targets, 0.4), TF.hinge_embedding_loss(ta, torch.tensor(targets), 0.4)),
        (F.soft_margin_loss(a, targets[0]), TF.soft_margin_loss(ta, torch.tensor(targets[0]))),
        (F.multilabel_soft_margin_loss(a, targets > 0, weight),
         TF.multilabel_soft_margin_loss(ta, torch.tensor(targets > 0, dtype=torch.float64), torch.tensor(weight))),
        (F.cosine_embedding_loss(a, b, labels, 0.1), TF.cosine_embedding_loss(ta, tb, torch.tensor(labels), 0.1)),
        (F.triplet_margin_loss(a, b, a * 2, 0.5, 1, 1e-3, True), TF.triplet_margin_loss(ta, tb, ta * 2, 0.5, 1, 1e-3, True)),
        (F.poisson_nll_loss(a * a, counts, False, True), TF.poisson_nll_loss(ta * ta, torch.tensor(counts), False, True)),
        (F.gaussian_nll_loss(a, b, np.ones(4), True, 1e-3, "sum"),
         TF.gaussian_nll_loss(ta, tb, torch.ones(4, dtype=torch.float64), True, 1e-3, "sum")),
    ]
    for i, (ours, theirs) in enumerate(pairs):
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, atol=1e-12, err_msg=str(i))


def test_soft_margin_loss_stays_finite_where_torchs_overflows():
    """log1p(exp(1000)) is inf in PyTorch; softplus gives 1000 and the gradient −1."""
    x = dp.tensor([-1000.0, 1000.0], requires_grad=True)
    loss = nn.functional.soft_margin_loss(x, np.ones(2), reduction="sum")
    assert torch.isinf(torch.nn.functional.soft_margin_loss(torch.tensor([-1000.0]), torch.tensor([1.0])))
    np.testing.assert_allclose(loss.item(), 1000.0)
    loss.backward()
    np.testing.assert_allclose(x.grad, [-1.0, 0.0])


# -- layers --------------------------------------------------------------------------------------------------


def compare(ours, theirs, inputs, dtype):
    tol = TOLERANCES[dtype]
    xs = [dp.tensor(x, dtype=dtype, requires_grad=True) for x in inputs]
    ts = [torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True) for x in inputs]
    out, expected = ours(*xs), theirs(*ts)
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)
    upstream = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    for i, (x, t) in enumerate(zip(xs, ts)):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), err_msg=f"input {i}", **tol)
    reference = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, reference[key].grad.numpy(), err_msg=key, **tol)


AT_THE_EDGES = np.array([-2.0, -0.5, -0.3, -0.1, 0.0, 0.1, 0.3, 0.5, 2.0, np.nan])  # ±λ for λ = 0.5 and 0.3
LAYERS = [
    ("GLU", {}, [normal(4, 6)]),
    ("GLU", dict(dim=0), [normal(4, 3)]),
    ("GLU", dict(dim=1), [normal(2, 4, 3)]),
    ("GLU", dict(dim=-2), [normal(2, 2, 5)]),
    ("Hardshrink", {}, [normal(4, 5)]),
    ("Hardshrink", {}, [AT_THE_EDGES]),
    ("Hardshrink", dict(lambd=0.3), [AT_THE_EDGES]),
    ("Hardshrink", dict(lambd=0.0), [normal(3, 4)]),
    ("Softshrink", {}, [normal(4, 5)]),
    ("Softshrink", {}, [AT_THE_EDGES]),
    ("Softshrink", dict(lambd=0.3), [AT_THE_EDGES]),
    ("Softshrink", dict(lambd=2.0), [normal(3, 4) * 3]),
    ("Softmax2d", {}, [normal(2, 3, 4, 5)]),
    ("Softmax2d", {}, [normal(3, 2, 2)]),  # one image
    ("Bilinear", dict(in1_features=3, in2_features=4, out_features=5), [normal(6, 3), normal(6, 4)]),
    ("Bilinear", dict(in1_features=3, in2_features=2, out_features=1, bias=False), [normal(6, 3), normal(6, 2)]),
    ("Bilinear", dict(in1_features=2, in2_features=3, out_features=4), [normal(2, 5, 2), normal(2, 5, 3)]),
    ("Bilinear", dict(in1_features=2, in2_features=3, out_features=4), [normal(2), normal(3)]),  # one pair
    ("Bilinear", dict(in1_features=2, in2_features=2, out_features=3), [np.zeros((0, 2)), np.zeros((0, 2))]),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs, inputs", LAYERS, ids=[f"{c[0]}-{i}" for i, c in enumerate(LAYERS)])
def test_layer_matches_torch(name, kwargs, inputs, dtype):
    compare(*twins(name, kwargs, dtype, check_repr=True), inputs, dtype)


def test_bilinear_initialises_as_torch_does():
    """U(−1/√in1, 1/√in1) for the weight and the bias, whatever in2 and out are."""
    dp.manual_seed(0)
    ours = nn.Bilinear(100, 30, 40)
    theirs = torch.nn.Bilinear(100, 30, 40)
    for p, q in ((ours.weight.data, theirs.weight.detach().numpy()), (ours.bias.data, theirs.bias.detach().numpy())):
        bound = 1 / np.sqrt(100)
        assert p.shape == q.shape and p.dtype == q.dtype
        assert np.abs(p).max() <= bound and np.abs(q).max() <= bound
        # the spread of U(−b, b): b/√3, within a few standard errors in both
        assert abs(p.std() - q.std()) < 6 * bound / np.sqrt(3 * p.size) + 0.01 * bound


def test_functional_layer_forms_match_torch():
    F, TF = nn.functional, torch.nn.functional
    x = normal(3, 4)
    w, b = normal(2, 4, 3), normal(2)
    pairs = [
        (F.glu(dp.tensor(x, dtype=np.float64), 1), TF.glu(torch.tensor(x), 1)),
        (F.hardshrink(dp.tensor(x, dtype=np.float64), 0.8), TF.hardshrink(torch.tensor(x), 0.8)),
        (F.softshrink(dp.tensor(x, dtype=np.float64), 0.8), TF.softshrink(torch.tensor(x), 0.8)),
        (F.bilinear(dp.tensor(x, dtype=np.float64), dp.tensor(x[:, :3], dtype=np.float64), w, b),
         TF.bilinear(torch.tensor(x), torch.tensor(x[:, :3]), torch.tensor(w), torch.tensor(b))),
        (F.alpha_dropout(dp.tensor(x, dtype=np.float64), 0.5), TF.alpha_dropout(torch.tensor(x), 0.5)),  # training=False
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_alpha_dropout_matches_torch_in_form(p):
    """Different random streams, so the masks differ; but a constant input comes out as the same two
    values in both (a·x + b where kept, a·(−λα) + b where dropped), eval mode is the identity, and
    p = 1 gives zeros in both."""
    ours, theirs = nn.AlphaDropout(p), torch.nn.AlphaDropout(p)
    assert repr(ours) == repr(theirs)
    shape = (50, 40)
    mine, reference = ours(dp.full(shape, 0.7, dtype=np.float64)).data, theirs(torch.full(shape, 0.7, dtype=torch.float64)).numpy()
    levels = np.unique(reference)
    assert len(levels) == 2
    np.testing.assert_allclose(np.unique(mine), levels, rtol=1e-12)
    ours.eval()
    theirs.eval()
    x = normal(3, 4)
    np.testing.assert_array_equal(ours(dp.tensor(x, dtype=np.float64)).data, theirs(torch.tensor(x)).numpy())
    np.testing.assert_array_equal(nn.functional.alpha_dropout(dp.tensor(x), 1.0, True).data,
                                  torch.nn.functional.alpha_dropout(torch.tensor(x, dtype=torch.float32), 1.0, True).numpy())


# -- what PyTorch refuses, deltaprop refuses ---------------------------------------------------------------------


REFUSED = [
    ("margin_ranking_loss", lambda F, t: F.margin_ranking_loss(t([1.0, 2.0]), t([[1.0, 2.0]]), t([1.0, 1.0])), ShapeError),
    ("margin_ranking_loss", lambda F, t: F.margin_ranking_loss(t([1.0, 2.0]), t([1.0, 2.0, 3.0]), t([1.0, 1.0])), ShapeError),
    ("hinge_embedding_loss", lambda F, t: F.hinge_embedding_loss(t([[1.0, 2.0]]), t([1.0, -1.0, 1.0])), ShapeError),
    ("soft_margin_loss", lambda F, t: F.soft_margin_loss(t([1.0, -2.0]), t([[1.0, -1.0]])), ShapeError),
    ("multilabel_soft_margin_loss", lambda F, t: F.multilabel_soft_margin_loss(t(1.0), t(1.0)), ShapeError),
    ("multilabel_soft_margin_loss", lambda F, t: F.multilabel_soft_margin_loss(t([[1.0, 2.0]]), t([1.0, 0.0, 1.0])), ShapeError),
    ("cosine_embedding_loss", lambda F, t: F.cosine_embedding_loss(t([1.0, 2.0]), t([1.0, 0.0]), t([1.0])), ShapeError),
    ("cosine_embedding_loss", lambda F, t: F.cosine_embedding_loss(t([[1.0, 2.0]]), t([[1.0, 0.0]]), t([[1.0]])), ShapeError),
    ("cosine_embedding_loss", lambda F, t: F.cosine_embedding_loss(t([[1.0, 2.0]]), t([[1.0, 0.0, 3.0]]), t([1.0])), ShapeError),
    ("triplet_margin_loss", lambda F, t: F.triplet_margin_loss(t([[1.0, 2.0]]), t([1.0, 0.0]), t([3.0, 0.0])), ShapeError),
    ("triplet_margin_loss", lambda F, t: F.triplet_margin_loss(t([[1.0, 2.0]]), t([[1.0, 0.0, 1.0]]), t([[3.0, 0.0]])), ShapeError),
    ("triplet_margin_loss", lambda F, t: F.triplet_margin_loss(t([[1.0, 2.0]]), t([[1.0, 0.0]]), t([[3.0, 0.0]]), margin=0), ConfigError),
    ("poisson_nll_loss", lambda F, t: F.poisson_nll_loss(t([1.0, 2.0]), t([1.0, 0.0, 1.0])), ShapeError),
    ("gaussian_nll_loss", lambda F, t: F.gaussian_nll_loss(t([[1.0, 2.0], [3.0, 4.0]]), t([[1.0, 0.0]]), t([[1.0, 2.0, 3.0]])), ShapeError),
    ("gaussian_nll_loss", lambda F, t: F.gaussian_nll_loss(t([[1.0, 2.0], [3.0, 4.0]]), t([[1.0, 0.0]]), t(1.0)), ShapeError),
    ("gaussian_nll_loss", lambda F, t: F.gaussian_nll_loss(t([[1.0, 2.0], [3.0, 4.0]]), t([[1.0, 0.0]]), t([-1.0, 1.0])), DataError),
    ("gaussian_nll_loss", lambda F, t: F.gaussian_nll_loss(t([[1.0, 2.0], [3.0, 4.0]]), t([[1.0, 0.0]]), -2.0), DataError),
    ("gaussian_nll_loss", lambda F, t: F.gaussian_nll_loss(t([1.0]), t([1.0]), t([1.0]), reduction="x"), ConfigError),
    ("glu", lambda F, t: F.glu(t([[1.0, 2.0, 3.0]])), ShapeError),
    ("glu", lambda F, t: F.glu(t(1.0)), ShapeError),
    ("glu", lambda F, t: F.glu(t([[1.0, 2.0]]), 2), ShapeError),
    ("softshrink", lambda F, t: F.softshrink(t([1.0]), -1.0), ConfigError),
    ("alpha_dropout", lambda F, t: F.alpha_dropout(t([1.0, 2.0]), 1.5, True), ConfigError),
    ("bilinear", lambda F, t: F.bilinear(t([[0.0, 1.0]]), t([0.0, 1.0]), t(np.zeros((5, 2, 2)))), ShapeError),
    ("bilinear", lambda F, t: F.bilinear(t(np.zeros((2, 3))), t(np.zeros((3, 4))), t(np.zeros((5, 3, 4)))), ShapeError),
    ("bilinear", lambda F, t: F.bilinear(t(np.zeros((2, 3))), t(np.zeros((2, 4))), t(np.zeros((5, 2, 4)))), ShapeError),
    ("bilinear", lambda F, t: F.bilinear(t(np.zeros((2, 3))), t(np.zeros((2, 4))), t(np.zeros((5, 3, 3)))), ShapeError),
    ("bilinear", lambda F, t: F.bilinear(t(np.zeros((2, 3))), t(np.zeros((2, 4))), t(np.zeros((5, 3, 4))), t(np.zeros(4))), ShapeError),
]


@pytest.mark.parametrize("name, call, error", REFUSED, ids=[f"{c[0]}-{i}" for i, c in enumerate(REFUSED)])
def test_what_torch_refuses_is_refused_with_one_sentence(name, call, error):
    with pytest.raises(Exception):
        call(torch.nn.functional, torch.tensor)
    with pytest.raises(error, match=f"^{name}: ") as caught:
        call(nn.functional, dp.tensor)
    assert "\n" not in str(caught.value)


LAYER_OPTIONS = [
    ("TripletMarginLoss", dict(margin=-1.0)),
    ("Softshrink", dict(lambd=-1.0)),
    ("AlphaDropout", dict(p=1.5)),
    ("Bilinear", dict(in1_features=0, in2_features=3, out_features=4)),
]


@pytest.mark.parametrize("name, options", LAYER_OPTIONS, ids=[c[0] for c in LAYER_OPTIONS])
def test_layer_options_torch_refuses_are_refused(name, options):
    """PyTorch refuses them when the layer is made, or (Softshrink) at its first call; deltaprop when
    the layer is made, so that a model file holding one is refused as it is loaded."""
    with pytest.raises((ValueError, RuntimeError)):
        getattr(torch.nn, name)(**options)(torch.ones(2))
    with pytest.raises(ConfigError, match=f"^{name}: "):
        getattr(nn, name)(**options)


def test_softmax2d_refuses_what_torch_refuses():
    for shape in [(2, 3), (2, 3, 2, 2, 2)]:
        with pytest.raises(ValueError):
            torch.nn.Softmax2d()(torch.zeros(shape))
        with pytest.raises(ShapeError, match=r"^Softmax2d: expected input of shape \(N, C, H, W\) or \(C, H, W\), got shape"):
            nn.Softmax2d()(dp.zeros(*shape))


# -- the regression losses' target: a gradient only when it asks for one --------------------------------

REGRESSION = [
    ("mse_loss", {}), ("l1_loss", {}), ("huber_loss", dict(delta=0.7)), ("smooth_l1_loss", dict(beta=0.7)),
    ("smooth_l1_loss", dict(beta=0.0)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, options", REGRESSION, ids=[f"{n}-{o}" if o else n for n, o in REGRESSION])
def test_a_regression_losss_target_gets_a_gradient_only_when_it_needs_one(name, options, reduction, dtype):
    # The target's derivative is −(the input's): formed only for a target that requires a gradient,
    # and then the same as PyTorch's (a target of data keeps .grad None, as PyTorch's does).
    x, y = normal(4, 3), normal(4, 3)
    x.flat[0] = y.flat[0]  # d = 0 once: the subgradient of |d| there
    g = normal(4, 3) if reduction == "none" else None
    for target_grad in (False, True):
        ours_x, ours_y = dp.tensor(x, dtype=dtype, requires_grad=True), dp.tensor(y, dtype=dtype, requires_grad=target_grad)
        theirs_x = torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
        theirs_y = torch.tensor(y, dtype=TORCH_DTYPES[dtype], requires_grad=target_grad)
        ours = getattr(dp.nn.functional, name)(ours_x, ours_y, reduction=reduction, **options)
        theirs = getattr(torch.nn.functional, name)(theirs_x, theirs_y, reduction=reduction, **options)
        ours.backward(g)
        theirs.backward(None if g is None else torch.tensor(g, dtype=TORCH_DTYPES[dtype]))
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), **TOLERANCES[dtype])
        np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), **TOLERANCES[dtype])
        if target_grad:
            assert ours_y.grad.dtype == dtype
            np.testing.assert_allclose(ours_y.grad, theirs_y.grad.numpy(), **TOLERANCES[dtype])
        else:
            assert ours_y.grad is None and theirs_y.grad is None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, options", REGRESSION, ids=[f"{n}-{o}" if o else n for n, o in REGRESSION])
def test_a_regression_loss_of_a_target_alone_matches_pytorch(name, options, dtype):
    # only the target needs a gradient (the input is data): its gradient is still −(the input's)
    x, y = normal(5), normal(5)
    ours_y = dp.tensor(y, dtype=dtype, requires_grad=True)
    theirs_y = torch.tensor(y, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    getattr(dp.nn.functional, name)(dp.tensor(x, dtype=dtype), ours_y, **options).backward()
    getattr(torch.nn.functional, name)(torch.tensor(x, dtype=TORCH_DTYPES[dtype]), theirs_y, **options).backward()
    np.testing.assert_allclose(ours_y.grad, theirs_y.grad.numpy(), **TOLERANCES[dtype])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, options", REGRESSION, ids=[f"{n}-{o}" if o else n for n, o in REGRESSION])
def test_a_regression_losss_gradients_match_finite_differences(name, options, reduction):
    x, y = normal(4, 3), normal(4, 3)  # |x − y| away from 0 and from the kinks at delta and beta
    y = np.where(np.abs(np.abs(x - y) - 0.7) < 0.05, y + 0.2, y)
    y = np.where(np.abs(x - y) < 0.05, y + 0.2, y)
    loss = getattr(dp.nn.functional, name)
    for needs in [(True, True), (False, True), (True, False)]:
        inputs = [dp.tensor(v, dtype=np.float64, requires_grad=r) for v, r in zip((x, y), needs)]
        assert dp.gradcheck(lambda a, b: loss(a, b, reduction=reduction, **options), inputs)
