"""The Bessel-family functions of deltaprop.special (ops/bessel.py) against SciPy over wide grids
in float64, against mpmath far out (where SciPy's own J and Y lose their digits), at their special
points, and their gradients against central finite differences."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import GradError

sc = pytest.importorskip("scipy.special")

# (to |x| = 1000: beyond, SciPy's J and Y drift from mpmath's by more than deltaprop's do)
GRID = np.concatenate([np.linspace(-60, 60, 24001), np.geomspace(1e-300, 1e3, 2001), -np.geomspace(1e-300, 1e3, 2001)])
POSITIVE = GRID[GRID > 0]


def values(name, x, *more):
    return np.asarray(getattr(dp.special, name)(dp.tensor(x, dtype=dp.float64), *more).data)


# (name, SciPy's function, grid, relative tolerance, absolute tolerance: J and Y oscillate, and near
# their zeros only an absolute error of a few ulps of 1 is within reach)
CASES = [
    ("bessel_j0", sc.j0, GRID, 1e-13, 2e-15),
    ("bessel_j1", sc.j1, GRID, 1e-13, 2e-15),
    ("bessel_y0", sc.y0, POSITIVE, 1e-13, 2e-15),
    ("bessel_y1", sc.y1, POSITIVE, 1e-13, 2e-15),
    ("i0e", sc.i0e, GRID, 4e-15, 0),
    ("i1e", sc.i1e, GRID, 4e-15, 0),
    ("modified_bessel_i0", sc.i0, GRID[np.abs(GRID) < 700], 2e-13, 0),  # (e^|x| rounds |x|'s last bit)
    ("modified_bessel_i1", sc.i1, GRID[np.abs(GRID) < 700], 2e-13, 0),
    ("scaled_modified_bessel_k0", sc.k0e, POSITIVE, 4e-15, 0),
    ("scaled_modified_bessel_k1", sc.k1e, POSITIVE, 4e-15, 0),
    ("modified_bessel_k0", sc.k0, POSITIVE[POSITIVE < 700], 2e-13, 0),
    ("modified_bessel_k1", sc.k1, POSITIVE[POSITIVE < 700], 2e-13, 0),
    ("spherical_bessel_j0", lambda x: sc.spherical_jn(0, x), GRID, 1e-15, 1e-16),
    # Ai's phase ⅔|x|^(3/2) on the left carries float64's relative rounding, in either library
    ("airy_ai", lambda x: sc.airy(x)[0], GRID[GRID < 100], 1e-13, lambda x: 1e-14 + 4e-16 * np.abs(x) ** 1.5),
]


@pytest.mark.parametrize("name, reference, x, rtol, atol", CASES, ids=[c[0] for c in CASES])
def test_values_match_scipy(name, reference, x, rtol, atol):
    got, expected = values(name, x), reference(x)
    bound = (atol(x) if callable(atol) else atol) + rtol * np.abs(expected)
    same = (got == expected) | (np.isnan(got) & np.isnan(expected))
    with np.errstate(invalid="ignore"):
        assert np.all(same | (np.abs(got - expected) <= bound)), name


def test_j_and_y_far_out_match_mpmath():
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    x = np.geomspace(1e3, 1e300, 60)
    for name, order, function in [("bessel_j0", 0, mp.besselj), ("bessel_j1", 1, mp.besselj),
                                  ("bessel_y0", 0, mp.bessely), ("bessel_y1", 1, mp.bessely)]:
        expected = [float(function(order, mp.mpf(float(v)))) for v in x]
        scale = np.sqrt(2 / (np.pi * x))  # the envelope: the error is a few ulps of it
        np.testing.assert_allclose(values(name, x) / scale, np.array(expected) / scale, atol=1e-14, err_msg=name)


def test_airy_far_left_matches_mpmath():
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    x = -np.geomspace(10, 1e4, 40)
    expected = np.array([float(mp.airyai(mp.mpf(float(v)))) for v in x])
    envelope = np.abs(x) ** -0.25 / np.sqrt(np.pi)
    # the phase ⅔|x|^(3/2) carries float64's relative rounding: |x|^(3/2)·1e-16 of the envelope
    assert np.all(np.abs(values("airy_ai", x) - expected) / envelope <= 1e-14 + 4e-16 * np.abs(x) ** 1.5)


SPECIAL = np.array([-np.inf, -2.0, -0.0, 0.0, 1e-300, np.inf, np.nan])
# PyTorch 2.13's values at these points (tests/reference/test_torch_special_bessel.py compares directly)
EXPECTED = {
    "bessel_j0": [np.nan, sc.j0(2.0), 1, 1, 1, np.nan, np.nan],
    "bessel_y0": [np.nan, np.nan, -np.inf, -np.inf, sc.y0(1e-300), np.nan, np.nan],
    "modified_bessel_i0": [np.nan, sc.i0(2.0), 1, 1, 1, np.nan, np.nan],
    "modified_bessel_k1": [np.nan, np.nan, np.inf, np.inf, 1e300, 0, np.nan],
    "i1e": [-0.0, -sc.i1e(2.0), 0, 0, 5e-301, 0, np.nan],
    "spherical_bessel_j0": [0, np.sin(2.0) / 2, 1, 1, 1, 0, np.nan],
    "airy_ai": [np.nan, sc.airy(-2.0)[0], sc.airy(0.0)[0], sc.airy(0.0)[0], sc.airy(0.0)[0], np.nan, np.nan],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_special_points(name):
    np.testing.assert_allclose(values(name, SPECIAL), EXPECTED[name], rtol=1e-14)


def test_j1_is_odd_and_keeps_the_sign_of_zero():
    out = values("bessel_j1", np.array([-0.0, -3.0, 3.0]))
    assert np.signbit(out[0]) and out[1] == -out[2]


def test_dtypes_follow_the_input():
    assert dp.special.bessel_j0(dp.tensor([1.0, 2.0], dtype=dp.float32)).dtype == dp.float32
    assert dp.special.i0e(dp.tensor([1, 2])).dtype == dp.get_default_dtype()


def test_zeta_matches_scipy():
    rng = np.random.default_rng(0)
    s = np.concatenate([rng.uniform(1.0001, 3, 2000), rng.uniform(3, 400, 2000), np.geomspace(1.000001, 1e5, 500)])
    q = np.concatenate([rng.uniform(1e-3, 5, 2000), np.geomspace(1e-5, 1e6, 2000), rng.uniform(0.01, 50, 500)])
    expected = sc.zeta(s, q)
    normal = expected > 1e-290  # (subnormal results keep fewer digits)
    got = np.asarray(dp.special.zeta(dp.tensor(s, dtype=dp.float64), dp.tensor(q, dtype=dp.float64)).data)
    np.testing.assert_allclose(got[normal], expected[normal], rtol=1e-13)
    assert np.all(got[~normal] <= 1e-280)


def test_zeta_special_points_follow_pytorch():
    s = np.array([0.5, 1.0, 2.0, 2.0, 2.0, 3.0, 2.5, 1e5, np.inf, np.inf])
    q = np.array([1.0, 1.0, 0.0, -1.0, -1.5, -1.5, -1.5, 1.0, 1.0, 0.5])
    got = np.asarray(dp.special.zeta(dp.tensor(s, dtype=dp.float64), dp.tensor(q, dtype=dp.float64)).data)
    expected = [np.nan, np.inf, np.inf, np.inf, 1 / 2.25 + 4 + sc.zeta(2, 0.5), -1 / 3.375 - 8 + sc.zeta(3, 0.5), np.nan, 1, 1, np.inf]
    np.testing.assert_allclose(got, expected, rtol=1e-13)  # (the expected 0.118 is 8.41 − 8.30: digits lost)


def finite_difference(name, x, h=1e-6):
    return (values(name, x + h) - values(name, x - h)) / (2 * h)


SMOOTH = np.array([-7.5, -2.2, -0.6, 0.4, 1.3, 2.7, 6.1, 19.0, 31.0])


@pytest.mark.parametrize("name", ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "i0e", "i1e", "modified_bessel_i0",
                                  "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
                                  "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0"])
def test_gradients_match_finite_differences(name):
    x = np.abs(SMOOTH) if "y" in name or "k" in name else SMOOTH
    t = dp.tensor(x, dtype=dp.float64, requires_grad=True)
    getattr(dp.special, name)(t).sum().backward()
    expected = finite_difference(name, x)
    np.testing.assert_allclose(np.asarray(t.grad), expected, rtol=1e-7, atol=1e-8 * np.abs(values(name, x)).max())


@pytest.mark.parametrize("name, slope", [("bessel_j1", 0.5), ("i1e", 0.5), ("modified_bessel_i1", 0.5),
                                         ("spherical_bessel_j0", 0.0), ("i0e", -1.0)])
def test_slopes_at_zero(name, slope):
    t = dp.tensor([0.0], dtype=dp.float64, requires_grad=True)
    getattr(dp.special, name)(t).sum().backward()
    # (i0e's slope at 0 is sign(0)·… = i1e(0) − 0 = 0 from either side's limit ∓1 averaged: deltaprop takes sign(0) = 0)
    assert np.asarray(t.grad)[0] == (0.0 if name == "i0e" else slope)


def test_zeta_gradient_in_q_and_refusal_in_s():
    q = dp.tensor([0.5, 2.0, 7.0], dtype=dp.float64, requires_grad=True)
    dp.special.zeta(2.5, q).sum().backward()
    h = 1e-6
    expected = (sc.zeta(2.5, q.data + h) - sc.zeta(2.5, q.data - h)) / (2 * h)
    np.testing.assert_allclose(np.asarray(q.grad), expected, rtol=1e-7)
    s = dp.tensor([2.5], dtype=dp.float64, requires_grad=True)
    with pytest.raises(GradError, match="zeta.*respect to s"):
        dp.special.zeta(s, 1.0).sum().backward()


def test_airy_gradient_is_refused_by_name():
    x = dp.tensor([0.5], dtype=dp.float64, requires_grad=True)
    with pytest.raises(GradError, match="airy_ai"):
        dp.special.airy_ai(x).sum().backward()


def test_zeta_refuses_shapes_that_do_not_broadcast():
    with pytest.raises(Exception, match="zeta"):
        dp.special.zeta(dp.ones(3), dp.ones(4))
