"""Embedding, GroupNorm, Unflatten, channel dropout, AdaptiveAvgPool1d, padding, SmoothL1Loss,
KLDivLoss and the dict / parameter containers against PyTorch: same inputs, weights and numbers,
and the same names, order and state-dict keys."""

from collections import OrderedDict

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from torch_twins import DTYPES, TOLERANCES, TORCH_DTYPES, sample, twins  # noqa: E402


def compare(ours, theirs, x, dtype, differentiable=True):
    tol = TOLERANCES[dtype]
    if differentiable:
        xd = dp.tensor(x, dtype=dtype, requires_grad=True)
        xt = torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    else:
        xd, xt = dp.tensor(x), torch.tensor(x)
    out, expected = ours(xd), theirs(xt)
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)
    upstream = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    if differentiable:
        np.testing.assert_allclose(xd.grad, xt.grad.numpy(), err_msg="input", **tol)
    reference = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, reference[key].grad.numpy(), err_msg=key, **tol)


CASES = [
    ("GroupNorm", dict(num_groups=2, num_channels=4), (3, 4, 5)),
    ("GroupNorm", dict(num_groups=1, num_channels=4), (3, 4, 2, 3)),  # one group: layer norm over (C, H, W)
    ("GroupNorm", dict(num_groups=4, num_channels=4, eps=1e-3), (3, 4, 6)),  # a group per channel: instance norm
    ("GroupNorm", dict(num_groups=3, num_channels=6, affine=False), (2, 6, 2, 2)),
    ("GroupNorm", dict(num_groups=2, num_channels=4, bias=False), (5, 4)),
    ("Unflatten", dict(dim=1, unflattened_size=(2, 3)), (4, 6, 2)),
    ("Unflatten", dict(dim=-1, unflattened_size=(-1, 2)), (3, 4)),
    ("AdaptiveAvgPool1d", dict(output_size=3), (2, 3, 7)),
    ("AdaptiveAvgPool1d", dict(output_size=4), (3, 8)),  # unbatched
    ("AdaptiveAvgPool1d", dict(output_size=5), (2, 2, 3)),
    ("AdaptiveAvgPool1d", dict(output_size=1), (2, 2, 9)),
    ("ZeroPad1d", dict(padding=2), (2, 3, 4)),
    ("ZeroPad2d", dict(padding=(1, 2, 0, 3)), (2, 3, 4, 4)),
    ("ZeroPad2d", dict(padding=1), (4, 4)),
    ("ConstantPad1d", dict(padding=(2, -1), value=3.5), (2, 3, 4)),
    ("ConstantPad2d", dict(padding=(-1, 1, 2, -2), value=-1.0), (2, 5, 4)),
    ("ConstantPad2d", dict(padding=1, value=2.0), (1, 2, 3, 3)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_layer_matches_pytorch(name, kwargs, shape, dtype):
    compare(*twins(name, kwargs, dtype, check_repr=True), sample(shape) * 2 + 0.5, dtype)


EMBEDDINGS = [
    (dict(num_embeddings=6, embedding_dim=3), np.array([[1, 3, 3], [0, 5, 1]])),
    (dict(num_embeddings=6, embedding_dim=3, padding_idx=1), np.array([[1, 3, 3], [1, 1, 1]])),
    (dict(num_embeddings=6, embedding_dim=3, padding_idx=-1), np.array([5, 5, 0, 2])),
    (dict(num_embeddings=6, embedding_dim=3, scale_grad_by_freq=True), np.array([[1, 3, 3], [3, 5, 1]])),
    (dict(num_embeddings=6, embedding_dim=3, scale_grad_by_freq=True, padding_idx=3), np.array([1, 3, 3, 0])),
    (dict(num_embeddings=4, embedding_dim=2), np.zeros((2, 0), dtype=np.int64)),  # no indices
    (dict(num_embeddings=4, embedding_dim=2), np.array(2)),  # a single index
    (dict(num_embeddings=4, embedding_dim=2), np.array([[[0, 1], [2, 3]], [[3, 3], [3, 3]]], dtype=np.int32)),
    # a batch of sentences: many repeats of a few rows, some rows never used
    (dict(num_embeddings=50, embedding_dim=7), np.random.default_rng(3).integers(0, 40, size=(64, 30))),
    (dict(num_embeddings=50, embedding_dim=7, scale_grad_by_freq=True, padding_idx=0),
     np.random.default_rng(4).integers(0, 40, size=(64, 30))),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kwargs, index", EMBEDDINGS, ids=[str(i) for i in range(len(EMBEDDINGS))])
def test_embedding_matches_pytorch(kwargs, index, dtype):
    ours, theirs = twins("Embedding", kwargs, dtype, check_repr=True)
    compare(ours, theirs, index, dtype, differentiable=False)
    assert ours.padding_idx == theirs.padding_idx


def test_embedding_functional_and_from_pretrained_match_pytorch():
    table, index = sample((5, 3)), np.array([[0, 4, 4], [2, 2, 1]])
    ours = nn.functional.embedding(dp.tensor(index), dp.tensor(table, dtype=np.float64), padding_idx=4)
    theirs = torch.nn.functional.embedding(torch.tensor(index), torch.tensor(table), padding_idx=4)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    for freeze in (True, False):
        a = nn.Embedding.from_pretrained(table, freeze=freeze, padding_idx=0)
        b = torch.nn.Embedding.from_pretrained(torch.tensor(table), freeze=freeze, padding_idx=0)
        assert repr(a) == repr(b) and a.weight.requires_grad == b.weight.requires_grad
        np.testing.assert_array_equal(a.weight.data, b.weight.detach().numpy())


def test_the_padding_row_starts_at_zero_as_in_pytorch():
    ours, theirs = nn.Embedding(5, 3, padding_idx=2), torch.nn.Embedding(5, 3, padding_idx=2)
    np.testing.assert_array_equal(ours.weight.data[2], theirs.weight.detach().numpy()[2])


@pytest.mark.parametrize("name", ["Dropout1d", "Dropout2d"])
def test_channel_dropout_matches_pytorch_in_form(name):
    """Different random streams, so the masks differ: but both zero whole channels, scale by 1/(1 − p),
    give the identity in eval mode and print the same."""
    shape = (16, 12, 5) if name == "Dropout1d" else (16, 12, 2, 3)
    ours, theirs = getattr(nn, name)(0.25), getattr(torch.nn, name)(0.25)
    assert repr(ours) == repr(theirs)
    for out in (ours(dp.ones(*shape)).data, theirs(torch.ones(*shape)).numpy()):
        channels = out.reshape(16, 12, -1)
        assert np.all((channels == 0).all(axis=-1) | np.isclose(channels, 1 / 0.75).all(axis=-1))
    ours.eval()
    theirs.eval()
    np.testing.assert_array_equal(ours(dp.ones(*shape)).data, theirs(torch.ones(*shape)).numpy())


# -- losses -------------------------------------------------------------------------------------------------

RNG = np.random.default_rng(11)
REGRESSION = (RNG.standard_normal((4, 3)) * 2, RNG.standard_normal((4, 3)) * 2)
LOG_P = np.log(RNG.dirichlet(np.ones(5), 4))
Q = RNG.dirichlet(np.ones(5), 4)
Q_WITH_ZEROS = np.where(Q < 0.1, 0.0, Q)

LOSSES = [
    ("SmoothL1Loss", {}, *REGRESSION, True),
    ("SmoothL1Loss", dict(beta=0.5), *REGRESSION, True),
    ("SmoothL1Loss", dict(beta=3.0), *REGRESSION, True),
    ("SmoothL1Loss", dict(beta=0.0), *REGRESSION, True),
    ("KLDivLoss", {}, LOG_P, Q, True),
    ("KLDivLoss", dict(log_target=True), LOG_P, np.log(Q), True),
    ("KLDivLoss", {}, LOG_P, Q_WITH_ZEROS, False),  # the target's gradient is NaN at 0 in both
    ("KLDivLoss", {}, LOG_P[0], Q[0], True),  # one sample, no batch axis
]


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("name, kwargs, x, target, target_grad", LOSSES, ids=[f"{c[0]}-{i}" for i, c in enumerate(LOSSES)])
def test_loss_matches_torch(name, kwargs, x, target, target_grad, reduction, dtype):
    if reduction == "batchmean" and name != "KLDivLoss":
        return  # only KLDivLoss has it
    loss = getattr(nn, name)(reduction=reduction, **kwargs)
    twin = getattr(torch.nn, name)(reduction=reduction, **kwargs)
    tol = TOLERANCES[dtype]
    xd, yd = dp.tensor(x, dtype=dtype, requires_grad=True), dp.tensor(target, dtype=dtype, requires_grad=target_grad)
    xt = torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    yt = torch.tensor(target, dtype=TORCH_DTYPES[dtype], requires_grad=target_grad)
    out, expected = loss(xd, yd), twin(xt, yt)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)
    upstream = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(xd.grad, xt.grad.numpy(), err_msg="input", **tol)
    if target_grad:
        np.testing.assert_allclose(yd.grad, yt.grad.numpy(), err_msg="target", **tol)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")
def test_functional_losses_match_torch():
    x, y = (torch.tensor(a) for a in REGRESSION)
    ours = nn.functional.smooth_l1_loss(dp.tensor(REGRESSION[0], dtype=np.float64), REGRESSION[1], reduction="sum", beta=0.7)
    np.testing.assert_allclose(ours.item(), torch.nn.functional.smooth_l1_loss(x, y, reduction="sum", beta=0.7).item(), rtol=1e-12)
    for reduction in ("mean", "batchmean"):
        ours = nn.functional.kl_div(dp.tensor(LOG_P, dtype=np.float64), Q_WITH_ZEROS, reduction=reduction)
        theirs = torch.nn.functional.kl_div(torch.tensor(LOG_P), torch.tensor(Q_WITH_ZEROS), reduction=reduction)
        np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)
    ours = nn.functional.kl_div(dp.zeros(0, 3), np.zeros((0, 3)), reduction="batchmean")
    assert np.isnan(ours.item()) and np.isnan(torch.nn.functional.kl_div(torch.zeros(0, 3), torch.zeros(0, 3), reduction="batchmean").item())


def test_functional_forms_match_torch():
    x = sample((2, 4, 6))
    F, TF = nn.functional, torch.nn.functional
    pairs = [
        (F.group_norm(dp.tensor(x, dtype=np.float64), 2), TF.group_norm(torch.tensor(x), 2)),
        (F.adaptive_avg_pool1d(dp.tensor(x, dtype=np.float64), 4), TF.adaptive_avg_pool1d(torch.tensor(x), 4)),
        (F.pad(dp.tensor(x, dtype=np.float64), (1, 2, -1, 0), value=0.5), TF.pad(torch.tensor(x), (1, 2, -1, 0), value=0.5)),
        (F.pad(dp.tensor(x, dtype=np.float64), (0, 0, 0, 0, 1, 1)), TF.pad(torch.tensor(x), (0, 0, 0, 0, 1, 1))),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, atol=1e-12)


# -- containers: the same tree, names and keys ----------------------------------------------------------------

def build(lib, tensor):
    class Model(lib.Module):
        def __init__(self):
            super().__init__()
            self.blocks = lib.ModuleDict({"key": lib.Sequential(lib.Linear(2, 3), lib.ReLU()), "b": lib.Linear(3, 1)})
            self.blocks.update([("a", lib.Sequential(lib.Linear(1, 1)))])
            self.scales = lib.ParameterList([tensor(np.ones(3)), tensor(np.zeros(1))])
            self.scales.append(tensor(np.ones(2)))
            self.extra = lib.ParameterDict({"w": tensor(np.ones(1)), "b": tensor(np.zeros(1))})
            self.extra.update(OrderedDict([("z", tensor(np.ones(1))), ("c", tensor(np.ones(1)))]))
            self.extra.update({"y": tensor(np.ones(1)), "d": tensor(np.ones(1))})
            self.head = lib.Embedding(4, 2, padding_idx=0)
            self.norm = lib.GroupNorm(1, 3)

    return Model()


def test_containers_have_pytorch_names_order_and_state_dict_keys():
    ours, theirs = build(nn, lambda a: dp.tensor(a.astype(np.float32))), build(torch.nn, lambda a: torch.tensor(a.astype(np.float32)))
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(p.shape) for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]
    assert list(ours.blocks.keys()) == list(theirs.blocks.keys()) and list(ours.extra) == list(theirs.extra)
    assert len(ours.scales) == len(theirs.scales) and isinstance(ours.scales[1:], nn.ParameterList)
    # the reprs agree but for the library's name (deltaprop.float32 / torch.float32, and ParameterDict's
    # deltaprop.FloatTensor / torch.FloatTensor)
    assert repr(ours).replace("deltaprop.", "torch.") == repr(theirs)
    # a state dict from PyTorch loads
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key], value.numpy())
    ours.eval()
    theirs.eval()
    assert [m.training for m in ours.modules()] == [m.training for m in theirs.modules()]
