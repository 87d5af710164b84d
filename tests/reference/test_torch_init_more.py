"""nn.init's trunc_normal_, orthogonal_, sparse_, eye_ and dirac_ against PyTorch 2.13's.

The deterministic ones (eye_, dirac_) must give PyTorch's values exactly; the random ones must
agree with PyTorch's draws in distribution (their moments, bounds and structure), since the two
libraries draw from different generators. calculate_gain must agree for every nonlinearity PyTorch
lists, and the Kaiming draws for every mode and nonlinearity.
"""

import math
import typing
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (1, 6)])
def test_eye_is_pytorchs(shape):
    np.testing.assert_array_equal(nn.init.eye_(dp.randn(*shape)).data, torch.nn.init.eye_(torch.randn(*shape)).numpy())


@pytest.mark.parametrize("shape, groups", [
    ((4, 3, 3), 1), ((6, 4, 3, 3), 2), ((6, 2, 3, 4, 5), 3), ((2, 5, 4), 1), ((8, 3, 2, 2), 4), ((3, 8, 5), 1),
])
def test_dirac_is_pytorchs(shape, groups):
    ours = nn.init.dirac_(dp.randn(*shape), groups).data
    np.testing.assert_array_equal(ours, torch.nn.init.dirac_(torch.randn(*shape), groups).numpy())


@pytest.mark.parametrize("mean, std, a, b", [
    (0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04), (1.0, 1.0, -0.5, 0.5),
    (0.0, 1.0, 2.0, 3.0), (5.0, 1.0, -1.0, 1.0), (0.0, 3.0, 0.0, 0.5),
])
def test_trunc_normal_draws_as_pytorchs(mean, std, a, b):
    dp.manual_seed(0)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a mean far from [a, b] warns in both
        ours = nn.init.trunc_normal_(dp.zeros(200, 300, dtype=np.float64), mean, std, a, b).data.ravel()
        theirs = torch.nn.init.trunc_normal_(torch.zeros(200, 300, dtype=torch.float64), mean, std, a, b).numpy().ravel()
    assert a <= ours.min() and ours.max() <= b
    spread = theirs.std()
    assert ours.mean() == pytest.approx(theirs.mean(), abs=6 * spread / math.sqrt(ours.size))
    assert ours.std() == pytest.approx(spread, rel=0.02)
    # The same shape: the deciles agree to a small fraction of the interval.
    levels = np.linspace(0.1, 0.9, 9)
    np.testing.assert_allclose(np.quantile(ours, levels), np.quantile(theirs, levels), atol=0.01 * (b - a))


@pytest.mark.parametrize("shape", [(6, 6), (5, 3), (3, 5), (4, 2, 3)])
def test_orthogonal_draws_as_pytorchs(shape):
    dp.manual_seed(0)
    torch.manual_seed(0)
    ours = np.stack([nn.init.orthogonal_(dp.zeros(shape, dtype=np.float64), gain=1.5).data for _ in range(500)])
    theirs = np.stack([torch.nn.init.orthogonal_(torch.zeros(shape, dtype=torch.float64), gain=1.5).numpy()
                       for _ in range(500)])
    for sample in (ours[0], theirs[0]):
        matrix = sample.reshape(shape[0], -1)
        gram = matrix @ matrix.T if matrix.shape[0] <= matrix.shape[1] else matrix.T @ matrix
        np.testing.assert_allclose(gram, 2.25 * np.eye(len(gram)), atol=1e-12)
    # Entry by entry, the same distribution (Haar): mean 0 and the same variance.
    assert np.abs(ours.mean(axis=0)).max() < 0.25
    np.testing.assert_allclose(ours.var(axis=0), theirs.var(axis=0), rtol=0.25)
    assert ours.var() == pytest.approx(theirs.var(), rel=0.05)


def test_sparse_draws_as_pytorchs():
    dp.manual_seed(0)
    torch.manual_seed(0)
    ours = nn.init.sparse_(dp.zeros(12, 500, dtype=np.float64), 0.3, std=0.5).data
    theirs = torch.nn.init.sparse_(torch.zeros(12, 500, dtype=torch.float64), 0.3, std=0.5).numpy()
    np.testing.assert_array_equal((ours == 0).sum(axis=0), (theirs == 0).sum(axis=0))
    assert ours[ours != 0].std() == pytest.approx(theirs[theirs != 0].std(), rel=0.05)
    # Each row is zeroed about equally often, in both.
    np.testing.assert_allclose((ours == 0).mean(axis=1), (theirs == 0).mean(axis=1), atol=0.1)


NONLINEARITIES = typing.get_args(typing.get_type_hints(torch.nn.init.calculate_gain)["nonlinearity"])


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
@pytest.mark.parametrize("param", [None, 0.2, 3])
def test_calculate_gain_is_pytorchs_for_every_nonlinearity_it_lists(nonlinearity, param):
    assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-12
    )


@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity, a", [("leaky_relu", 0.0), ("leaky_relu", 0.3), ("relu", 0.0), ("tanh", 0.0),
                                             ("selu", 0.0), ("linear", 0.0), ("sigmoid", 0.0), ("conv2d", 0.0)])
def test_kaiming_spread_is_pytorchs_for_every_mode_and_nonlinearity(name, mode, nonlinearity, a):
    shape = (40, 30, 3, 3)
    dp.manual_seed(0)
    torch.manual_seed(0)
    ours = getattr(nn.init, name)(dp.zeros(shape, dtype=np.float64), a=a, mode=mode, nonlinearity=nonlinearity).data
    theirs = getattr(torch.nn.init, name)(torch.zeros(shape, dtype=torch.float64), a=a, mode=mode,
                                          nonlinearity=nonlinearity).numpy()
    assert ours.std() == pytest.approx(theirs.std(), rel=0.03)
    if name == "kaiming_uniform_":
        assert np.abs(ours).max() <= np.abs(theirs).max() * 1.01
        assert np.abs(ours).max() >= np.abs(theirs).max() * 0.99


@pytest.mark.parametrize("name, args", [
    ("uniform", (-0.1, 0.1)), ("normal", (0.0, 0.02)), ("constant", (0.01,)), ("eye", ()), ("dirac", ()),
    ("xavier_uniform", ()), ("xavier_normal", ()), ("kaiming_uniform", ()), ("kaiming_normal", ()), ("orthogonal", ()),
    ("sparse", (0.5,)),
])
def test_the_deprecated_names_without_underscore_warn_and_fill_as_pytorchs(name, args):
    # pytorch/examples' siamese network: torch.nn.init.xavier_uniform(m.weight)
    shape = (4, 3, 3) if name == "dirac" else (4, 6)
    with pytest.warns(FutureWarning):
        getattr(torch.nn.init, name)(torch.zeros(shape), *args)
    ours = dp.zeros(*shape)
    with pytest.warns(FutureWarning, match=rf"^nn\.init\.{name} is deprecated, as in PyTorch; use nn\.init\.{name}_$"):
        returned = getattr(nn.init, name)(ours, *args)
    assert returned is ours and getattr(nn.init, name).__name__ == name
    dp.manual_seed(3)
    expected = getattr(nn.init, name + "_")(dp.zeros(*shape), *args)
    dp.manual_seed(3)
    with pytest.warns(FutureWarning):
        again = getattr(nn.init, name)(dp.zeros(*shape), *args)
    np.testing.assert_array_equal(again.data, expected.data)
    if name in ("constant", "eye", "dirac"):  # deterministic: PyTorch's values
        reference = getattr(torch.nn.init, name + "_")(torch.zeros(shape), *args)
        np.testing.assert_array_equal(ours.data, reference.numpy())
