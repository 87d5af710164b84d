"""deltaprop.special's orthogonal polynomials against PyTorch 2.13's over x in [−3, 3] (|x| > 1
included) and degrees −2 to 50, where PyTorch switches methods (cos(n·acos x) for Chebyshev T inside
(−1, 1)), with its conventions: a fractional degree truncated, a negative one 0, n = 0 giving 1 at
NaN. Differences kept on purpose (docs/porting.md): NaN x gives NaN here at n ≥ 1 (PyTorch's CPU
kernel leaves other values there), and infinite x the leading term's infinity (PyTorch: NaN)."""

import numpy as np
import pytest

import deltaprop as dp

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

NAMES = [
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
    "legendre_polynomial_p",
]
X = np.linspace(-3, 3, 241)


@pytest.mark.parametrize("name", NAMES)
def test_values_match_pytorch(name):
    # relative to the neighbouring degrees' size (a root of one is not a root of the next)
    for n in list(range(-2, 51)) + [2.7, 7.5]:
        ours = np.asarray(getattr(dp.special, name)(dp.tensor(X, dtype=dp.float64), n).data)
        theirs = getattr(torch.special, name)(torch.tensor(X, dtype=torch.float64), n).numpy()
        near = [np.abs(getattr(torch.special, name)(torch.tensor(X, dtype=torch.float64), m).numpy())
                for m in (n - 1, n + 1)]
        scale = np.maximum.reduce([np.ones_like(X), np.abs(theirs)] + near)
        assert np.max(np.abs(ours - theirs) / scale) < 1e-12, (name, n)


@pytest.mark.parametrize("name", NAMES)
def test_float32_and_degree_zero_at_nan_match_pytorch(name):
    x = np.linspace(-1.2, 1.2, 25, dtype=np.float32)
    ours = getattr(dp.special, name)(dp.tensor(x), dp.tensor([[3], [6]]))
    theirs = getattr(torch.special, name)(torch.tensor(x), torch.tensor([[3], [6]]))
    assert ours.dtype == dp.float32 and theirs.dtype == torch.float32
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-5, atol=1e-5)
    nan = getattr(torch.special, name)(torch.tensor([float("nan")], dtype=torch.float64), 0).item()
    assert getattr(dp.special, name)(dp.tensor([float("nan")], dtype=dp.float64), 0).item() == nan == 1.0
