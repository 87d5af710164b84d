"""weight_norm and spectral_norm against PyTorch: the same state-dict keys, reprs, values, gradients
of every parameter, and power-iteration buffers after a training-mode forward; the older
nn.utils.weight_norm (weight_g, weight_v) and remove_weight_norm too."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these functions are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.nn.utils import parametrizations  # noqa: E402
from torch_twins import DTYPES, TOLERANCES, TORCH_DTYPES  # noqa: E402

LAYERS = [
    ("Linear", dict(in_features=3, out_features=4), (2, 3)),
    ("Conv1d", dict(in_channels=2, out_channels=3, kernel_size=3), (2, 2, 6)),
    ("Conv2d", dict(in_channels=2, out_channels=3, kernel_size=3), (2, 2, 5, 5)),
    ("ConvTranspose2d", dict(in_channels=2, out_channels=3, kernel_size=3), (2, 2, 4, 4)),
]
FORMS = [("weight_norm", dict(dim=0)), ("weight_norm", dict(dim=1)), ("weight_norm", dict(dim=None)),
         ("spectral_norm", dict()), ("spectral_norm", dict(n_power_iterations=3, dim=1))]


def agree(ours, theirs, shape, dtype):
    tol = TOLERANCES[dtype]
    x = np.random.default_rng(0).standard_normal(shape)
    a, b = ours(dp.tensor(x, dtype=dtype)), theirs(torch.tensor(x, dtype=TORCH_DTYPES[dtype]))
    np.testing.assert_allclose(a.data, b.detach().numpy(), **tol)
    w = np.random.default_rng(1).standard_normal(a.shape)
    (a * dp.tensor(w, dtype=dtype)).sum().backward()
    (b * torch.tensor(w, dtype=TORCH_DTYPES[dtype])).sum().backward()
    reference = dict(theirs.named_parameters())
    assert [k for k, _ in ours.named_parameters()] == list(reference)
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, reference[key].grad.numpy(), err_msg=key, **tol)
    expected = theirs.state_dict()
    for key, value in ours.state_dict().items():  # the power iteration's u and v moved the same way
        np.testing.assert_allclose(value, expected[key].numpy(), err_msg=key, **tol)


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("form, options", FORMS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(FORMS)])
@pytest.mark.parametrize("name, kwargs, shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_parametrized_layers_match_pytorch(name, kwargs, shape, form, options, dtype, mode):
    torch.manual_seed(0)
    theirs = getattr(torch.nn.utils.parametrizations, form)(getattr(torch.nn, name)(**kwargs).to(TORCH_DTYPES[dtype]),
                                                              **options)
    ours = getattr(parametrizations, form)(getattr(nn, name)(**kwargs).to(dtype), **options)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    assert type(ours).__name__ == type(theirs).__name__ == f"Parametrized{name}"
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    getattr(ours, mode)(), getattr(theirs, mode)()
    agree(ours, theirs, shape, dtype)


@pytest.mark.parametrize("dim", [0, 1, None])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_the_older_weight_norm_matches_pytorch(dtype, dim):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        theirs = torch.nn.utils.weight_norm(torch.nn.Conv1d(2, 3, 3).to(TORCH_DTYPES[dtype]), dim=dim)
        ours = nn.utils.weight_norm(nn.Conv1d(2, 3, 3).to(dtype), dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    agree(ours, theirs, (2, 2, 6), dtype)
    nn.utils.remove_weight_norm(ours), torch.nn.utils.remove_weight_norm(theirs)
    assert type(ours) is nn.Conv1d and list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), **TOLERANCES[dtype])


def test_removing_a_parametrization_matches_pytorch():
    torch.manual_seed(0)
    theirs = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 4).double())
    ours = parametrizations.weight_norm(nn.Linear(3, 4).double())
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    nn.utils.parametrize.remove_parametrizations(ours, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(theirs, "weight")
    assert type(ours) is nn.Linear and list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-12)
