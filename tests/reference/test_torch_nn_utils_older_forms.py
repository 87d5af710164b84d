"""nn.utils' older and deprecated names against PyTorch: the hook-era spectral_norm and
remove_spectral_norm (PyTorch's state-dict keys, the same weights over training and evaluation
steps from the same u and v, gradients), clip_grad_norm, and the memory-format conversions."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.errors import ConfigError  # noqa: E402

RNG = np.random.default_rng(9)

LAYERS = [  # (deltaprop layer, PyTorch layer, input shape, spectral_norm options)
    (lambda: nn.Linear(4, 3), lambda: torch.nn.Linear(4, 3), (2, 4), {}),
    (lambda: nn.Linear(4, 3), lambda: torch.nn.Linear(4, 3), (2, 4), {"n_power_iterations": 3, "dim": 1}),
    (lambda: nn.Conv2d(2, 3, 2), lambda: torch.nn.Conv2d(2, 3, 2), (2, 2, 4, 4), {"n_power_iterations": 2}),
    (lambda: nn.ConvTranspose2d(2, 3, 2), lambda: torch.nn.ConvTranspose2d(2, 3, 2), (1, 2, 3, 3), {}),
    (lambda: nn.ConvTranspose3d(2, 3, 2), lambda: torch.nn.ConvTranspose3d(2, 3, 2), (1, 2, 2, 2, 2), {}),
    (lambda: nn.BatchNorm1d(5), lambda: torch.nn.BatchNorm1d(5), (4, 5), {}),  # a vector weight
]


def _pair(index):
    make_ours, make_theirs, shape, options = LAYERS[index]
    torch.manual_seed(index)
    theirs = torch.nn.utils.spectral_norm(make_theirs().double(), **options)
    ours = nn.utils.spectral_norm(make_ours().double(), **options)
    return ours, theirs, shape


@pytest.mark.parametrize("index", range(len(LAYERS)))
def test_the_older_spectral_norm_follows_pytorchs_from_the_same_state(index):
    ours, theirs, shape = _pair(index)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [k for k, _ in ours.named_parameters()] == [k for k, _ in theirs.named_parameters()]
    assert [k for k, _ in ours.named_buffers()] == [k for k, _ in theirs.named_buffers()]
    assert type(ours).__name__ == type(theirs).__name__ and isinstance(ours, nn.Module)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for step in range(4):
        if step == 3:
            ours.eval()
            theirs.eval()
        x = RNG.standard_normal(shape)
        a, b = dp.tensor(x, dtype=np.float64, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, expected = ours(a), theirs(b)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-10, atol=1e-12)
        g = RNG.standard_normal(expected.shape)
        out.backward(g)
        expected.backward(torch.tensor(g))
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.weight_orig.grad, theirs.weight_orig.grad.numpy(), rtol=1e-9, atol=1e-12)
        for key in ("weight_u", "weight_v"):
            np.testing.assert_allclose(getattr(ours, key), getattr(theirs, key).numpy(), rtol=1e-10, atol=1e-12)
        ours.zero_grad()
        theirs.zero_grad()


@pytest.mark.parametrize("index", [0, 2, 5])
def test_remove_spectral_norm_keeps_the_normalized_weight_as_pytorchs(index):
    ours, theirs, shape = _pair(index)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = RNG.standard_normal(shape)
    ours(dp.tensor(x, dtype=np.float64))
    theirs(torch.tensor(x))
    assert nn.utils.remove_spectral_norm(ours) is ours
    torch.nn.utils.remove_spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert type(ours) is type(LAYERS[index][0]()) and isinstance(ours.weight, nn.Parameter)
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError):
        torch.nn.utils.remove_spectral_norm(theirs)
    with pytest.raises(ConfigError, match="^remove_spectral_norm: .* has no spectral norm of 'weight'"):
        nn.utils.remove_spectral_norm(ours)


def test_the_parameter_is_kept_so_an_optimizer_made_before_trains_it():
    layer = nn.Linear(3, 2)
    optimizer = dp.optim.SGD(layer.parameters(), lr=0.1)
    weight = layer.weight
    nn.utils.spectral_norm(layer)
    assert layer.weight_orig is weight
    before = weight.data.copy()
    layer(dp.ones((1, 3))).sum().backward()
    optimizer.step()
    assert not np.array_equal(weight.data, before)


def test_a_second_spectral_norm_and_a_missing_parameter_are_refused():
    layer = nn.utils.spectral_norm(nn.Linear(3, 2))
    with pytest.raises(RuntimeError):
        torch.nn.utils.spectral_norm(torch.nn.utils.spectral_norm(torch.nn.Linear(3, 2)))
    with pytest.raises(ConfigError, match="^spectral_norm: Linear's weight has spectral norm already"):
        nn.utils.spectral_norm(layer)
    with pytest.raises(ConfigError, match="^spectral_norm: Linear has no parameter named 'nope'"):
        nn.utils.spectral_norm(nn.Linear(3, 2), name="nope")
    with pytest.raises(ConfigError, match="n_power_iterations must be a positive integer"):
        nn.utils.spectral_norm(nn.Linear(3, 2), n_power_iterations=0)


def test_a_spectrally_normed_model_saves_its_weights_and_loads_into_its_model(tmp_path):
    model = nn.Sequential(nn.utils.spectral_norm(nn.Linear(3, 4)), nn.ReLU(), nn.Linear(4, 1))
    model(dp.ones((2, 3)))
    dp.save(model, tmp_path / "m.dp")
    back = dp.load(tmp_path / "m.dp", model=nn.Sequential(nn.utils.spectral_norm(nn.Linear(3, 4)), nn.ReLU(),
                                                           nn.Linear(4, 1)))
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[key], value)


def test_clip_grad_norm_is_clip_grad_norm_with_a_future_warning():
    grads = [RNG.standard_normal((3, 2)), RNG.standard_normal(4)]
    ours = [dp.tensor(np.zeros_like(g), dtype=np.float64, requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad = g.copy()
        q.grad = torch.tensor(g)
    with pytest.warns(FutureWarning):
        expected = torch.nn.utils.clip_grad_norm(theirs, 0.5, norm_type=3.0, foreach=None)
    with pytest.warns(FutureWarning, match="^nn.utils.clip_grad_norm is deprecated"):
        total = nn.utils.clip_grad_norm(ours, 0.5, norm_type=3.0, foreach=None)
    np.testing.assert_allclose(float(total.data), float(expected), rtol=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"])
def test_the_memory_format_conversions_return_the_module(name):
    model = nn.Sequential(nn.Conv2d(2, 3, 1), nn.Conv3d(3, 2, 1), nn.Linear(2, 2))
    weights = [p.data for p in model.parameters()]
    assert getattr(nn.utils, name)(model, "channels_last") is model
    assert all(p.data is w for p, w in zip(model.parameters(), weights))
    reference = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 1))
    fmt = torch.channels_last if "2d" in name else torch.channels_last_3d
    if "2d" in name:
        assert getattr(torch.nn.utils, name)(reference, fmt) is reference
    with pytest.raises(TypeError, match=f"^{name}: module must be a Module, got a list"):
        getattr(nn.utils, name)([model], "channels_last")
