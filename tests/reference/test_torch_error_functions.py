"""erf, erfc and erfinv against PyTorch 2.13: values over the whole line (the series and the continued
fraction of erf on either side of their split, erfc's far tail, erfinv up to ±1 and beyond it),
gradients in float64 and float32, the dtype of an integer or boolean input (float32, as PyTorch's),
the Tensor methods, and the edges: ±inf, NaN, erfinv(±1) = ±inf.

Finite-difference checks of the same gradients are in test_more_functions.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp

torch = pytest.importorskip("torch", reason="PyTorch is the reference for the error functions")

NAMES = ["erf", "erfc", "erfinv"]
TOLERANCES = {"float64": dict(rtol=1e-12, atol=1e-14), "float32": dict(rtol=4e-6, atol=1e-7),
              "float16": dict(rtol=2e-3, atol=1e-3)}
# where each function is smooth and its values span its range: erf/erfc across the split at |x| = 2.5 and
# into erfc's tail (erfc(9) is about 4e-37); erfinv from 0 to within 1e-15 of ±1
LINE = np.concatenate([np.linspace(-6.0, 6.0, 241), [-2.5, 2.5, 2.4999, 2.5001, 1e-8, -1e-300, 9.0, 26.0]])
INSIDE = np.concatenate([np.linspace(-0.999, 0.999, 199), [1e-9, -1e-300, 0.5, -0.5, 0.9999999, 1 - 1e-15,
                                                         -(1 - 1e-15), 1 - 2 ** -24]])
POINTS = {"erf": LINE, "erfc": LINE, "erfinv": INSIDE}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", NAMES)
def test_values_and_gradients_match_pytorch(name, dtype):
    points = POINTS[name].astype(dtype)
    if name == "erfc":  # erfc's far tail in float32 is subnormal, then 0: compare where it is normal
        points = points[points < (26.0 if dtype == "float64" else 9.0)]
    ours = dp.tensor(points, dtype=getattr(np, dtype), requires_grad=True)
    theirs = torch.tensor(points, requires_grad=True)
    result, expected = getattr(dp, name)(ours), getattr(torch, name)(theirs)
    assert result.dtype == np.dtype(dtype)
    np.testing.assert_allclose(result.data, expected.detach().numpy(), **TOLERANCES[dtype])
    g = np.linspace(-1.0, 2.0, points.size).astype(dtype)
    result.backward(g)
    expected.backward(torch.tensor(g))
    assert ours.grad.dtype == np.dtype(dtype)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **TOLERANCES[dtype])


@pytest.mark.parametrize("name", NAMES)
def test_the_tensor_method_is_the_function(name):
    x = dp.tensor([-0.75, 0.25, 0.5], dtype=np.float64)
    np.testing.assert_allclose(getattr(x, name)().data, getattr(torch, name)(torch.tensor(x.data)).numpy(),
                               rtol=1e-13)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "int8", "bool"])
@pytest.mark.parametrize("name", NAMES)
def test_an_integer_or_boolean_input_gives_float32_as_in_pytorch(name, dtype):
    values = np.array([0, 1, 2, 0]).astype(dtype)
    result = getattr(dp, name)(dp.tensor(values, dtype=values.dtype))
    expected = getattr(torch, name)(torch.from_numpy(values))
    assert result.dtype == np.float32 and expected.dtype == torch.float32
    np.testing.assert_allclose(result.data, expected.numpy(), **TOLERANCES["float32"])


@pytest.mark.parametrize("name", NAMES)
def test_float16_stays_float16(name):
    values = np.array([-0.5, 0.0, 0.25, 0.875], dtype=np.float16)
    result = getattr(dp, name)(dp.tensor(values, dtype=np.float16))
    expected = getattr(torch, name)(torch.from_numpy(values))
    assert result.dtype == np.float16
    np.testing.assert_allclose(result.data.astype(np.float64), expected.double().numpy(), **TOLERANCES["float16"])


EDGES = {  # inputs where a function is infinite, NaN, or its gradient is
    "erf": [np.inf, -np.inf, np.nan, 30.0, -30.0, 0.0, -0.0],
    "erfc": [np.inf, -np.inf, np.nan, 30.0, -30.0, 0.0],
    "erfinv": [1.0, -1.0, 1.5, -1.5, np.nan, 0.0, -0.0],
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", NAMES)
def test_edges_match_pytorch(name, dtype):
    points = np.array(EDGES[name], dtype=dtype)
    ours = dp.tensor(points, dtype=getattr(np, dtype), requires_grad=True)
    theirs = torch.tensor(points, requires_grad=True)
    result, expected = getattr(dp, name)(ours), getattr(torch, name)(theirs)
    result.backward(np.ones_like(points))
    expected.backward(torch.ones_like(theirs))
    np.testing.assert_array_equal(result.data, expected.detach().numpy())
    number = ~np.isnan(result.data)  # (a NaN's sign bit means nothing, and differs between PyTorch's dtypes)
    np.testing.assert_array_equal(np.signbit(result.data[number]), np.signbit(expected.detach().numpy()[number]))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-6, atol=0)


def test_erf_and_erfc_add_to_one_and_erfinv_inverts_erf():
    x = np.linspace(-3.0, 3.0, 61)
    np.testing.assert_allclose(dp.erf(dp.tensor(x, dtype=np.float64)).data + dp.erfc(dp.tensor(x, dtype=np.float64)).data,
                               1.0, rtol=0, atol=5e-16)
    # (within |x| <= 2, where erfinv' = √π/2·e^(x²) magnifies erf's rounding at most 48 times)
    x = x[np.abs(x) <= 2]
    np.testing.assert_allclose(dp.erfinv(dp.erf(dp.tensor(x, dtype=np.float64))).data, x, rtol=1e-13, atol=1e-15)
