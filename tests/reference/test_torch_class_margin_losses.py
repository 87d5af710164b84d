"""MultiMarginLoss, MultiLabelMarginLoss, TripletMarginWithDistanceLoss and F.pdist against PyTorch:
the same inputs give the same values and gradients, in float64 and float32."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.nn import functional as F  # noqa: E402
from torch_twins import DTYPES, TOLERANCES, TORCH_DTYPES, sample  # noqa: E402

TF = torch.nn.functional


def agree(ours, theirs, inputs, dtype, labels=()):
    """``ours(*tensors, *labels)`` against ``theirs`` on the same float ``inputs``: values and each input's gradient."""
    xd = [dp.tensor(x, dtype=dtype, requires_grad=True) for x in inputs]
    xt = [torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True) for x in inputs]
    out = ours(*xd, *[dp.tensor(y) for y in labels])
    expected = theirs(*xt, *[torch.tensor(y) for y in labels])
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCES[dtype])
    upstream = sample(out.shape, seed=9).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    for i, (a, b) in enumerate(zip(xd, xt)):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), err_msg=f"input {i}", **TOLERANCES[dtype])


MULTI_MARGIN = [
    dict(), dict(p=2), dict(margin=0.3), dict(p=2, margin=2.0, weight=[0.5, 1.0, 2.0, 1.5, 0.2]),
    dict(weight=[0.5, 1.0, 2.0, 1.5, 0.2], reduction="sum"), dict(p=2, reduction="none"),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kwargs", MULTI_MARGIN, ids=[str(i) for i in range(len(MULTI_MARGIN))])
@pytest.mark.parametrize("batched", [True, False], ids=["batch", "one-sample"])
def test_multi_margin_loss_matches_pytorch(kwargs, batched, dtype):
    x = sample((6, 5)) if batched else sample(5)
    y = np.array([0, 4, 2, 2, 1, 3]) if batched else np.array(3)
    torch_kwargs = dict(kwargs)
    if "weight" in kwargs:
        torch_kwargs["weight"] = torch.tensor(kwargs["weight"], dtype=TORCH_DTYPES[dtype])
    agree(nn.MultiMarginLoss(**kwargs), torch.nn.MultiMarginLoss(**torch_kwargs), [x], dtype, [y])
    agree(lambda x, y: F.multi_margin_loss(x, y, **kwargs), lambda x, y: TF.multi_margin_loss(x, y, **torch_kwargs),
          [x], dtype, [y])


MULTILABEL_TARGETS = [
    np.array([[3, 0, -1, 1, 2], [1, -1, 0, 0, 0], [0, 1, 2, 3, 4], [-1, 1, 2, 3, 4], [4, 4, 2, -1, 0]]),  # ends, repeats
    np.array([[2, 0, 1, 3, -1]] * 5),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("target", MULTILABEL_TARGETS, ids=["mixed", "same"])
def test_multilabel_margin_loss_matches_pytorch(target, reduction, dtype):
    x = sample((5, 5)) * 0.8
    agree(nn.MultiLabelMarginLoss(reduction=reduction), torch.nn.MultiLabelMarginLoss(reduction=reduction), [x], dtype,
          [target])
    agree(lambda x, y: F.multilabel_margin_loss(x, y, reduction=reduction),
          lambda x, y: TF.multilabel_margin_loss(x, y, reduction=reduction), [x[1]], dtype, [target[1]])


def _cosine_distance(module):
    return lambda u, v: 1 - module.cosine_similarity(u, v, dim=-1)


TRIPLETS = [
    (dict(), dict()),
    (dict(margin=0.5, swap=True, reduction="none"), dict(margin=0.5, swap=True, reduction="none")),
    (dict(distance_function=nn.PairwiseDistance(p=1.0)), dict(distance_function=torch.nn.PairwiseDistance(p=1.0))),
    (dict(distance_function=_cosine_distance(F), swap=True, reduction="sum"),
     dict(distance_function=_cosine_distance(TF), swap=True, reduction="sum")),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("ours, theirs", TRIPLETS, ids=[str(i) for i in range(len(TRIPLETS))])
def test_triplet_margin_with_distance_loss_matches_pytorch(ours, theirs, dtype):
    inputs = [sample((7, 4), seed=s) for s in (1, 2, 3)]
    agree(nn.TripletMarginWithDistanceLoss(**ours), torch.nn.TripletMarginWithDistanceLoss(**theirs), inputs, dtype)
    agree(lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, **ours),
          lambda a, p, n: TF.triplet_margin_with_distance_loss(a, p, n, **theirs), inputs, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, float("inf"), 0.0])
def test_pdist_matches_pytorch(p, dtype):
    x = sample((6, 3))
    x[4] = x[1]  # two equal rows: distance 0, gradient 0 in both
    agree(lambda x: F.pdist(x, p), lambda x: torch.pdist(x, p), [x], dtype)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_pdist_of_few_rows_matches_pytorch(n):
    x = sample((n, 3))
    assert F.pdist(dp.tensor(x)).shape == tuple(torch.pdist(torch.tensor(x)).shape)
