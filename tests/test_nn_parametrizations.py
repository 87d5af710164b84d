"""Parametrized weights: weight_norm, spectral_norm, register_parametrization and the older
weight_norm. Gradients against finite differences (float64), the power iteration's buffers, removal,
errors and model files. (PyTorch comparisons: tests/reference/test_torch_parametrizations.py.)"""

import warnings

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, ModelFileError
from deltaprop.nn.utils import parametrizations, parametrize


def _x(*shape, seed=0):
    return dp.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=np.float64, requires_grad=True)


def gradients_hold(layer, x):
    """gradcheck of the layer's output with respect to its input and every parameter."""
    names = [key for key, _ in layer.named_parameters()]
    owners = [(layer.get_submodule(key.rpartition(".")[0]), key.rpartition(".")[2]) for key in names]
    originals = [getattr(owner, attr) for owner, attr in owners]

    def run(x, *values):
        for (owner, attr), value in zip(owners, values):
            object.__setattr__(owner, attr, value)
        try:
            return layer(x)
        finally:
            for (owner, attr), value in zip(owners, originals):
                object.__setattr__(owner, attr, value)

    return dp.gradcheck(run, [x] + [dp.tensor(p.data, dtype=np.float64, requires_grad=True) for p in originals])


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_gradients(dim):
    layer = parametrizations.weight_norm(nn.Conv1d(2, 3, 3).double(), dim=dim)
    assert gradients_hold(layer, _x(2, 2, 5))


@pytest.mark.parametrize("name, shape", [("Linear", (2, 4)), ("Conv2d", (1, 2, 4, 4))])
def test_spectral_norm_gradients_in_evaluation_mode(name, shape):
    """In evaluation mode u and v stay put, so the weight is a fixed function of the original."""
    layer = nn.Linear(4, 3) if name == "Linear" else nn.Conv2d(2, 3, 3)
    layer = parametrizations.spectral_norm(layer.double()).eval()
    assert gradients_hold(layer, _x(*shape))


def test_weight_norm_starts_at_the_weight_and_splits_it_into_norms_and_direction():
    dp.manual_seed(0)
    layer = nn.Linear(3, 4)
    before = layer.weight.data.copy()
    parametrizations.weight_norm(layer)
    g, v = layer.parametrizations.weight.original0.data, layer.parametrizations.weight.original1.data
    np.testing.assert_allclose(g[:, 0], np.linalg.norm(before, axis=1), rtol=1e-6)
    np.testing.assert_array_equal(v, before)
    np.testing.assert_allclose(layer.weight.data, before, rtol=1e-6, atol=1e-7)
    assert [key for key, _ in layer.named_parameters()] == ["bias", "parametrizations.weight.original0",
                                                           "parametrizations.weight.original1"]


def test_spectral_norm_moves_u_and_v_in_training_only_and_divides_by_the_largest_singular_value():
    dp.manual_seed(0)
    layer = parametrizations.spectral_norm(nn.Linear(5, 4).double(), n_power_iterations=3)
    chain = layer.parametrizations.weight[0]
    u = chain._u.copy()
    layer.eval()
    layer(np.ones((1, 5)))
    np.testing.assert_array_equal(chain._u, u)
    layer.parametrizations.weight.original.data[...] = np.random.default_rng(1).standard_normal((4, 5))
    layer.train()
    for _ in range(30):
        layer(np.ones((1, 5)))
    assert not np.array_equal(chain._u, u)
    np.testing.assert_allclose(np.linalg.svd(layer.weight.data, compute_uv=False)[0], 1.0, rtol=1e-8)


def test_removing_a_parametrization_leaves_the_weight_it_computed():
    layer = parametrizations.weight_norm(nn.Linear(3, 2).double())
    layer.parametrizations.weight.original0.data[...] *= 2
    expected = layer.weight.data.copy()
    parametrize.remove_parametrizations(layer, "weight")
    assert type(layer) is nn.Linear and not parametrize.is_parametrized(layer)
    np.testing.assert_allclose(layer.weight.data, expected, rtol=1e-12)
    assert list(layer.state_dict()) == ["bias", "weight"]


def test_a_parametrization_of_ones_own():
    class Symmetric(nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).transpose(0, 1)

    layer = parametrize.register_parametrization(nn.Linear(3, 3).double(), "weight", Symmetric())
    np.testing.assert_array_equal(layer.weight.data, layer.weight.data.T)
    assert gradients_hold(layer, _x(2, 3))
    assert parametrize.is_parametrized(layer, "weight") and not parametrize.is_parametrized(layer, "bias")


def test_training_reaches_the_originals():
    dp.manual_seed(0)
    layer = parametrizations.weight_norm(nn.Linear(3, 1))
    optimizer = dp.optim.SGD(layer.parameters(), lr=0.1)
    g_before = layer.parametrizations.weight.original0.data.copy()
    loss = (layer(np.ones((4, 3), dtype=np.float32)) ** 2).mean()
    loss.backward()
    optimizer.step()
    assert not np.array_equal(layer.parametrizations.weight.original0.data, g_before)


ERRORS = [
    (lambda: parametrizations.weight_norm(nn.Linear(3, 2), name="nope"), ConfigError,
     "weight_norm: Linear has no parameter named 'nope'"),
    (lambda: parametrizations.weight_norm(nn.Linear(3, 2), dim=2), ConfigError,
     "weight_norm: dim must be an axis of the 2-d weight (from -2 to 1, or None), got 2"),
    (lambda: parametrizations.spectral_norm(nn.Linear(3, 2), n_power_iterations=0), ConfigError,
     "spectral_norm: n_power_iterations must be a positive integer, got 0"),
    (lambda: parametrizations.spectral_norm(nn.Linear(3, 2), eps=0.0), ConfigError,
     "spectral_norm: eps must be a positive number, got 0.0"),
    (lambda: parametrizations.spectral_norm(parametrizations.weight_norm(nn.Linear(3, 2))), ConfigError,
     "spectral_norm: ParametrizedLinear has no parameter named 'weight'"),
    (lambda: parametrize.register_parametrization(parametrizations.weight_norm(nn.Linear(3, 2)), "weight",
                                                  nn.Identity()), ConfigError,
     "register_parametrization: ParametrizedLinear's weight is parametrized already; remove that parametrization "
     "first (stacking them is not supported)"),
    (lambda: parametrize.remove_parametrizations(nn.Linear(3, 2), "weight"), ConfigError,
     "remove_parametrizations: Linear has no parametrized tensor named 'weight'"),
    (lambda: parametrize.remove_parametrizations(parametrizations.weight_norm(nn.Linear(3, 2)), "weight", False),
     ConfigError, "remove_parametrizations: ParametrizedLinear's weight is made of 2 originals, so it can only be "
                  "removed with leave_parametrized=True"),
    (lambda: setattr(parametrizations.weight_norm(nn.Linear(3, 2)), "weight", nn.Parameter(np.zeros((2, 3)))),
     AttributeError, "ParametrizedLinear: weight is parametrized (_WeightNorm), so it cannot be assigned; change "
                     "parametrizations.weight's originals, or remove the parametrization first"),
]


@pytest.mark.parametrize("call, error, message", ERRORS, ids=range(len(ERRORS)))
def test_errors_are_one_sentence(call, error, message):
    with pytest.raises(error) as caught:
        call()
    assert str(caught.value) == message


# -- model files -------------------------------------------------------------------------------------


def test_parametrized_layers_save_and_load_with_their_architecture(tmp_path):
    dp.manual_seed(0)
    model = nn.Sequential(parametrizations.weight_norm(nn.Linear(3, 4)), nn.ReLU(),
                          parametrizations.spectral_norm(nn.Conv1d(4, 2, 1), n_power_iterations=2, eps=1e-8),
                          nn.Flatten())
    model[0].parametrizations.weight.original0.data[...] *= 3
    model.eval()
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype(np.float32)
    expected = model(x).data
    dp.save(model, tmp_path / "m.dp")
    back = dp.load(tmp_path / "m.dp")
    assert repr(back) == repr(model) and list(back.state_dict()) == list(model.state_dict())
    np.testing.assert_array_equal(back(x).data, expected)
    chain = back[2].parametrizations.weight[0]
    assert not chain.training and (chain.n_power_iterations, chain.eps) == (2, 1e-8)
    u = chain._u.copy()
    back(x)
    np.testing.assert_array_equal(chain._u, u)  # saved in evaluation mode: no power iteration


def test_a_parametrization_of_ones_own_saves_the_weights_only(tmp_path):
    class Doubled(nn.Module):
        def forward(self, x):
            return x * 2

    def build():
        return parametrize.register_parametrization(nn.Linear(2, 2), "weight", Doubled())

    model = build()
    dp.save(model, tmp_path / "m.dp")
    with pytest.raises(ModelFileError, match="custom class"):
        dp.load(tmp_path / "m.dp")
    back = dp.load(tmp_path / "m.dp", model=build())
    np.testing.assert_array_equal(back.weight.data, model.weight.data)


def test_the_older_weight_norm_saves_its_weights_and_loads_into_its_model(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        model = nn.utils.weight_norm(nn.Linear(3, 2))
        dp.save(model, tmp_path / "m.dp")
        back = dp.load(tmp_path / "m.dp", model=nn.utils.weight_norm(nn.Linear(3, 2)))
    np.testing.assert_array_equal(back.weight.data, model.weight.data)


@pytest.mark.parametrize("entry, message", [
    ({"tensor": "weight", "kind": "orthogonal"}, "has an unknown parametrization 'orthogonal'"),
    ({"tensor": "weight", "kind": "weight_norm", "dim": "0"}, "weight_norm has malformed arguments"),
    ({"tensor": "bias2", "kind": "weight_norm", "dim": 0}, "names a parameter it does not have: 'bias2'"),
    ({"tensor": "weight", "kind": "spectral_norm", "n_power_iterations": 10**9, "eps": 1e-12, "dim": 0},
     "asks for 1000000000 power iterations"),
    ({"tensor": "weight", "kind": "weight_norm", "dim": 5}, "weight_norm cannot be applied: weight_norm: dim must"),
])
def test_a_damaged_parametrization_in_a_file_is_refused(tmp_path, entry, message):
    from deltaprop import serialization

    spec = serialization.architecture_of(parametrizations.weight_norm(nn.Linear(3, 2)))
    spec["parametrizations"] = [entry]
    with pytest.raises(ModelFileError, match=message.replace("(", r"\(")):
        serialization.build(spec)
