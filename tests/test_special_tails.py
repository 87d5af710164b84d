"""deltaprop.special where the formulas run out of range, against mpmath (30 and more digits):
ndtri and log_ndtr deep in the tails, erfcx and its slope for large arguments, polygamma far below
zero (0-d inputs too, which crashed) and at half-integers, and i1's slope at subnormal x."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import special

mpmath = pytest.importorskip("mpmath", reason="mpmath gives the reference values to many digits")


def T(values):
    return dp.tensor(np.asarray(values, dtype=np.float64), dtype=np.float64, requires_grad=True)


def test_ndtri_to_the_last_digits_in_both_tails():
    p = np.array([5e-324, 1e-300, 1e-100, 1e-20, 1e-9, 0.01, 0.2, 0.26, 0.5, 0.74, 0.8, 0.99, 1 - 1e-9, 1 - 2 ** -52])
    with mpmath.workdps(700):
        expected = np.array([float(mpmath.sqrt(2) * mpmath.erfinv(2 * mpmath.mpf(v) - 1)) for v in p])
    got = special.ndtri(T(p)).data
    np.testing.assert_allclose(got, expected, rtol=4e-16, atol=1e-300)
    assert special.ndtri(T([0.0, 1.0])).data.tolist() == [-np.inf, np.inf]


def test_log_ndtr_and_its_slope_far_into_the_left_tail():
    x = np.array([-1e150, -1e20, -1e8, -1e4, -40.0, -2.2, -2.1])
    with mpmath.workdps(330):  # (ln φ − ln Φ cancels 300 digits at −1e150)
        # ln Φ(x) = ln(erfc(z)/2), z = −x/√2 (mpmath keeps the exponent), and φ(x)/Φ(x) = e^(ln φ − ln Φ)
        logs = [mpmath.log(mpmath.erfc(-mpmath.mpf(v) / mpmath.sqrt(2)) / 2) for v in x]
        expected = [float(v) for v in logs]
        slopes = [float(mpmath.exp(-mpmath.mpf(v) ** 2 / 2 - mpmath.log(2 * mpmath.pi) / 2 - log))
                  for v, log in zip(x, logs)]
    t = T(x)
    out = special.log_ndtr(t)
    out.sum().backward()
    np.testing.assert_allclose(out.data, expected, rtol=4e-16)
    np.testing.assert_allclose(t.grad, slopes, rtol=1e-15)


def test_erfcx_and_its_slope_for_large_arguments():
    """The slope 2x·erfcx(x) − 2/√π cancels to nothing by x = 1e8; the fraction's form keeps it."""
    x = np.array([-20.0, -1.0, 0.0, 1.0, 1.5, 3.0, 1e3, 1e8, 1e100])
    with mpmath.workdps(260):  # (the slope at 1e100 cancels 200 digits)
        scaled = [mpmath.exp(mpmath.mpf(v) ** 2) * mpmath.erfc(mpmath.mpf(v)) for v in x]
        expected = [float(s) for s in scaled]
        slopes = [float(2 * mpmath.mpf(v) * s - 2 / mpmath.sqrt(mpmath.pi)) for v, s in zip(x, scaled)]
    t = T(x)
    out = special.erfcx(t)
    out.sum().backward()
    np.testing.assert_allclose(out.data, expected, rtol=1e-15)
    np.testing.assert_allclose(t.grad, slopes, rtol=1e-14)
    assert special.erfcx(T([np.inf, -np.inf])).data.tolist() == [0.0, np.inf]


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_polygamma_far_below_zero_and_at_half_integers(n):
    """Below −64 the reflection ψ⁽ⁿ⁾(1 − x)·(−1)ⁿ − π·dⁿcot(πx)/dxⁿ: its cot is exactly 0 at
    the half-integers now (1/tan(π/2) was 6e-17, which swamped ψ⁽⁴⁾(−1e5 + ½) ≈ 1e-19)."""
    x = np.array([-1e5 + 0.5, -1234.56, -100.5, -64.75, -64.25, -70.2])
    with mpmath.workdps(40):
        expected = [float(mpmath.polygamma(n, mpmath.mpf(v))) for v in x]
    np.testing.assert_allclose(special.polygamma(n, T(x)).data, expected, rtol=1e-14)


def test_polygamma_of_a_0d_tensor_below_the_reflection_point():
    """A 0-d input below −64 (and −inf) raised a TypeError inside the reflection."""
    for value in [-100.5, -np.inf, -3.0]:
        x = T(value)
        got = special.polygamma(2, x)
        got.backward()
        assert got.shape == () and x.grad.shape == ()
        np.testing.assert_allclose(got.data, special.polygamma(2, T([value])).data[0], rtol=0, equal_nan=True)
        np.testing.assert_allclose(x.grad, special.polygamma(3, T([value])).data[0], rtol=0, equal_nan=True)


def test_i1_slope_is_one_half_at_subnormal_x():
    x = T([5e-324, -5e-324, 1e-310, 1e-200, 0.0])
    special.i1(x).sum().backward()
    np.testing.assert_allclose(x.grad, 0.5, rtol=1e-16)
