"""The orthogonal polynomials of ``torch.special`` as primitives of x and the degree n (tensors or
numbers, broadcast), computed in float64 (:mod:`.polynomial_values`) and returned in the promoted
dtype of x and n (integers in the default float dtype).

PyTorch differentiates none of these; deltaprop gives each its true derivative in x, p_n′(x), from
the same recurrence differentiated (T_n′ = n·U_(n−1), He_n′ = n·He_(n−1), H_n′ = 2n·H_(n−1), and
the shifted ones 2·p_n′(2x − 1) by the chain rule); that derivative is itself a primitive of the
same kind, so derivatives of every order pass. The degree n gets no gradient.
"""

from __future__ import annotations

import numpy as np

from ._core import record, unbroadcast
from .binary_math import _operands
from .polynomial_values import polynomial_values

# name: (family of polynomial_values, shifted, what it is)
POLYNOMIALS = {
    "chebyshev_polynomial_t": ("t", False, "T_n(x), the Chebyshev polynomial of the first kind"),
    "chebyshev_polynomial_u": ("u", False, "U_n(x), the Chebyshev polynomial of the second kind"),
    "chebyshev_polynomial_v": ("v", False, "V_n(x), the Chebyshev polynomial of the third kind"),
    "chebyshev_polynomial_w": ("w", False, "W_n(x), the Chebyshev polynomial of the fourth kind"),
    "shifted_chebyshev_polynomial_t": ("t", True, "T_n(2x − 1), the shifted Chebyshev polynomial of the first kind"),
    "shifted_chebyshev_polynomial_u": ("u", True, "U_n(2x − 1), the shifted Chebyshev polynomial of the second kind"),
    "shifted_chebyshev_polynomial_v": ("v", True, "V_n(2x − 1), the shifted Chebyshev polynomial of the third kind"),
    "shifted_chebyshev_polynomial_w": ("w", True, "W_n(2x − 1), the shifted Chebyshev polynomial of the fourth kind"),
    "hermite_polynomial_h": ("h", False, "H_n(x), the physicists' Hermite polynomial"),
    "hermite_polynomial_he": ("he", False, "He_n(x), the probabilists' Hermite polynomial"),
    "laguerre_polynomial_l": ("l", False, "L_n(x), the Laguerre polynomial"),
    "legendre_polynomial_p": ("p", False, "P_n(x), the Legendre polynomial"),
}


def polynomial(name: str, input, n, order: int = 0):
    """The ``order``-th derivative in x of the polynomial ``name`` of degree ``n`` at ``input``,
    recorded with its own gradient, the next derivative."""
    family, shifted, _ = POLYNOMIALS[name]
    a, b, x, _ = _operands(name, input, n, floating=True)
    out = polynomial_values(family, x, b.data, order, shifted)

    def backward(g):
        slope = polynomial_values(family, x, b.data, order + 1, shifted)
        with np.errstate(invalid="ignore", over="ignore"):
            return (unbroadcast((g * slope).astype(g.dtype, copy=False), np.shape(a.data))
                    if a.requires_grad else None, None)

    return record(out.astype(x.dtype), (a, b), backward, name)


def _documented(name: str):
    """The function ``name`` of :data:`POLYNOMIALS`, documented."""
    def function(input, n):
        return polynomial(name, input, n)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = (
        f"{POLYNOMIALS[name][2]} of degree n (truncated towards zero; 0 for n < 0, NaN for a NaN or "
        f"+inf n), by its three-term recurrence in float64; x and n are tensors or numbers, broadcast. "
        f"Its gradient in x is the polynomial's derivative (PyTorch gives none); n gets none.")
    return function


chebyshev_polynomial_t = _documented("chebyshev_polynomial_t")
chebyshev_polynomial_u = _documented("chebyshev_polynomial_u")
chebyshev_polynomial_v = _documented("chebyshev_polynomial_v")
chebyshev_polynomial_w = _documented("chebyshev_polynomial_w")
shifted_chebyshev_polynomial_t = _documented("shifted_chebyshev_polynomial_t")
shifted_chebyshev_polynomial_u = _documented("shifted_chebyshev_polynomial_u")
shifted_chebyshev_polynomial_v = _documented("shifted_chebyshev_polynomial_v")
shifted_chebyshev_polynomial_w = _documented("shifted_chebyshev_polynomial_w")
hermite_polynomial_h = _documented("hermite_polynomial_h")
hermite_polynomial_he = _documented("hermite_polynomial_he")
laguerre_polynomial_l = _documented("laguerre_polynomial_l")
legendre_polynomial_p = _documented("legendre_polynomial_p")
