"""The Bessel-family functions of ``torch.special`` as primitives, each forward beside its
derivative, computed in float64 (:mod:`.bessel_values`, :mod:`.airy_values`,
:mod:`.hurwitz_zeta_values`) and returned in the input's dtype (integers in the default float dtype).

PyTorch differentiates only i0e and i1e of these; deltaprop gives every one its true derivative
where it is a Bessel function of the same family (J₀′ = −J₁, J₁′ = J₀ − J₁/x, Y likewise,
I₀′ = I₁, K₀′ = −K₁, K₁′ = −K₀ − K₁/x, the scaled forms adding their scale's slope,
j₀′ = (cos x − j₀)/x),
and zeta its slope in q, −s·ζ(s + 1, q). Ai′ and zeta's slope in s are refused by name.
"""

from __future__ import annotations

import numpy as np

from ..errors import GradError
from ._core import operand, record
from .airy_values import airy_ai as _airy_values
from .bessel_values import bessel_j_y, scaled_i, scaled_k
from .binary_math import _gradients, _operands
from .hurwitz_zeta_values import hurwitz_zeta
from .promotion import floating

ORDER_ONE_SLOPE_IS_HALF_BELOW = 1e-150  # f₁(x)/x → ½ at 0 for J₁ and I₁: there, ½ exactly


def _over_x(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """values/x, and ½ where |x| is below the threshold (the limit of J₁(x)/x and I₁(x)/x)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(x) < ORDER_ONE_SLOPE_IS_HALF_BELOW, 0.5, values / x)


def _j(x):
    return bessel_j_y(x, want_y=False)[:2]


def _y(x):
    return bessel_j_y(x)[2:]


def _i(x):
    with np.errstate(over="ignore", invalid="ignore"):
        scale = np.exp(np.abs(x))
        return tuple(np.where(np.isinf(x), np.nan, v * scale) for v in scaled_i(x))


def _k(x):
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        scale = np.exp(-x)
        return tuple(np.where(x == np.inf, 0.0, v * scale) for v in scaled_k(x))


def _sign(x):
    return np.sign(x)


# name: (the pair's function on float64 arrays, which of the pair, slope(x, order 0, order 1))
_FUNCTIONS = {
    "bessel_j0": (_j, 0, lambda x, f0, f1: -f1),
    "bessel_j1": (_j, 1, lambda x, f0, f1: f0 - _over_x(f1, x)),
    "bessel_y0": (_y, 0, lambda x, f0, f1: -f1),
    "bessel_y1": (_y, 1, lambda x, f0, f1: f0 - f1 / x),
    "modified_bessel_i0": (_i, 0, lambda x, f0, f1: f1),
    "modified_bessel_i1": (_i, 1, lambda x, f0, f1: f0 - _over_x(f1, x)),
    "modified_bessel_k0": (_k, 0, lambda x, f0, f1: -f1),
    "modified_bessel_k1": (_k, 1, lambda x, f0, f1: -f0 - f1 / x),
    "i0e": (scaled_i, 0, lambda x, f0, f1: f1 - _sign(x) * f0),
    "i1e": (scaled_i, 1, lambda x, f0, f1: f0 - _over_x(f1, x) - _sign(x) * f1),
    "scaled_modified_bessel_k0": (scaled_k, 0, lambda x, f0, f1: f0 - f1),
    "scaled_modified_bessel_k1": (scaled_k, 1, lambda x, f0, f1: f1 - f0 - f1 / x),
}


def _bessel(name: str, input):
    function, which, slope = _FUNCTIONS[name]
    a = operand(input)
    x = floating(a.data)
    wide = np.asarray(x, np.float64)
    pair = function(wide)

    def backward(g):
        with np.errstate(all="ignore"):
            return ((g * slope(wide, *pair)).astype(g.dtype, copy=False),)

    with np.errstate(over="ignore"):
        return record(pair[which].astype(x.dtype), (a,), backward, name)


_DOCS = {
    "bessel_j0":
        "J₀(x), the Bessel function of the first kind of order 0; NaN at ±inf, as PyTorch's; "
        "slope −J₁(x).",
    "bessel_j1":
        "J₁(x), the Bessel function of the first kind of order 1; NaN at ±inf, as PyTorch's; "
        "slope J₀(x) − J₁(x)/x (½ at 0).",
    "bessel_y0":
        "Y₀(x), the Bessel function of the second kind of order 0: −inf at 0, NaN below; "
        "slope −Y₁(x).",
    "bessel_y1":
        "Y₁(x), the Bessel function of the second kind of order 1: −inf at 0, NaN below; "
        "slope Y₀(x) − Y₁(x)/x.",
    "modified_bessel_i0":
        "I₀(x), the modified Bessel function of the first kind of order 0 (NaN at ±inf, as "
        "PyTorch's); slope I₁(x).",
    "modified_bessel_i1":
        "I₁(x), the modified Bessel function of the first kind of order 1 (NaN at ±inf, as "
        "PyTorch's); slope I₀(x) − I₁(x)/x (½ at 0).",
    "modified_bessel_k0":
        "K₀(x), the modified Bessel function of the second kind of order 0: +inf at 0, NaN "
        "below; slope −K₁(x).",
    "modified_bessel_k1":
        "K₁(x), the modified Bessel function of the second kind of order 1: +inf at 0, NaN "
        "below; slope −K₀(x) − K₁(x)/x.",
    "i0e":
        "e^(−|x|)·I₀(x), finite where I₀ overflows (0 at ±inf); slope i1e(x) − "
        "sign(x)·i0e(x).",
    "i1e":
        "e^(−|x|)·I₁(x), finite where I₁ overflows (0 at ±inf); slope i0e(x) − i1e(x)/x − "
        "sign(x)·i1e(x) (½ at 0).",
    "scaled_modified_bessel_k0":
        "e^x·K₀(x), finite where K₀ underflows: +inf at 0, NaN below; slope e^x·(K₀(x) − "
        "K₁(x)).",
    "scaled_modified_bessel_k1":
        "e^x·K₁(x), finite where K₁ underflows: +inf at 0, NaN below; slope e^x·(K₁(x) − "
        "K₀(x) − K₁(x)/x).",
}


def _documented(name: str):
    """The function ``name`` of :data:`_FUNCTIONS`, documented from :data:`_DOCS`."""
    def function(input):
        return _bessel(name, input)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = _DOCS[name]
    return function


bessel_j0 = _documented("bessel_j0")
bessel_j1 = _documented("bessel_j1")
bessel_y0 = _documented("bessel_y0")
bessel_y1 = _documented("bessel_y1")
modified_bessel_i0 = _documented("modified_bessel_i0")
modified_bessel_i1 = _documented("modified_bessel_i1")
modified_bessel_k0 = _documented("modified_bessel_k0")
modified_bessel_k1 = _documented("modified_bessel_k1")
i0e = _documented("i0e")
i1e = _documented("i1e")
scaled_modified_bessel_k0 = _documented("scaled_modified_bessel_k0")
scaled_modified_bessel_k1 = _documented("scaled_modified_bessel_k1")


def spherical_bessel_j0(input):
    """j₀(x) = sin(x)/x, the spherical Bessel function of the first kind of order 0: 1 at 0 and 0 at
    ±inf, as PyTorch's; slope (cos x − j₀(x))/x (0 at 0), and 1 − x²/6 + x⁴/120 below |x| = 1e-4,
    where sin(x)/x would round."""
    a = operand(input)
    x = floating(a.data)
    wide = np.asarray(x, np.float64)
    small = np.abs(wide) < 1e-4
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        square = wide * wide
        out = np.where(small, 1 - square / 6 + square * square / 120, np.sin(wide) / wide)
        out = np.where(np.isinf(wide), 0.0, out)

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = np.where(small, -wide / 3 + wide * square / 30, (np.cos(wide) - out) / wide)
            slope = np.where(np.isinf(wide), 0.0, slope)
        return ((g * slope).astype(g.dtype, copy=False),)

    return record(out.astype(x.dtype), (a,), backward, "spherical_bessel_j0")


def airy_ai(input):
    """Ai(x), the Airy function of the first kind (NaN at ±inf, as PyTorch's). Its gradient, which
    needs Ai′, is refused by name (PyTorch has none either)."""
    a = operand(input)
    x = floating(a.data)
    out = _airy_values(np.asarray(x, np.float64))

    def backward(g):
        raise GradError("airy_ai: its derivative Ai′ is not implemented in deltaprop; compute the input "
                        "without requires_grad, or detach it.")

    return record(out.astype(x.dtype), (a,), backward, "airy_ai")


def zeta(input, other):
    """ζ(s, q) = Σₖ (q + k)^(−s), the Hurwitz zeta function of s = ``input`` and q = ``other`` (each a
    tensor or a number, broadcast): +inf at s = 1 and at q = 0, −1, …; NaN for s < 1. Its slope in q
    is −s·ζ(s + 1, q); its slope in s is refused by name (PyTorch has neither)."""
    a, b, s, q = _operands("zeta", input, other, floating=True)
    out = hurwitz_zeta(s, q)

    def backward(g):
        if a.requires_grad:
            raise GradError("zeta: the derivative with respect to s, its first argument, is not implemented "
                            "in deltaprop; only q, its second, has one.")
        with np.errstate(invalid="ignore", over="ignore"):
            return _gradients(a, b, None, lambda: (g * -s * hurwitz_zeta(s + 1, q)).astype(g.dtype, copy=False))

    return record(out.astype(s.dtype), (a, b), backward, "zeta")
