"""PyTorch's ``torch.special`` names, for code ported from it: the functions deltaprop has under
other names (expit is the sigmoid, gammaln is lgamma and psi is digamma; erf, log1p, softmax, ... are the
same functions as deltaprop's) and those it computes here alone (logit, xlog1py, erfcx, ndtr, ndtri, log_ndtr, i0, i1,
entr, and polygamma, which is also deltaprop.polygamma), and those under other names here: gammainc and
gammaincc are igamma and igammac, multigammaln is mvlgamma."""

from __future__ import annotations

from . import _lazy
from .nn.functional.activations import log_softmax, softmax  # (with torch.special's dtype=)
from .ops import erf, erfc, erfinv, exp2, expm1, log1p, logsumexp, round, sinc, xlogy
from .ops import digamma, polygamma
from .ops import digamma as psi
from .ops import lgamma as gammaln
from .ops import sigmoid as expit
from .ops.special_functions import entr, erfcx, i0, i1, log_ndtr, logit, ndtr, ndtri, xlog1py
from .ops.elementwise_forms import mvlgamma as multigammaln
from .ops.incomplete_gamma import igamma as gammainc, igammac as gammaincc

_BESSEL = {
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "i0e", "i1e", "modified_bessel_i0",
    "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1", "spherical_bessel_j0", "zeta",
}
_POLYNOMIALS = {
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
    "legendre_polynomial_p",
}

__all__ = [
    "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "i1", "log1p",
    "log_ndtr", "log_softmax", "logit", "logsumexp", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc", "softmax",
    "xlog1py", "xlogy", "gammainc", "gammaincc", "multigammaln",
] + sorted(_BESSEL) + sorted(_POLYNOMIALS)

# The Bessel-family functions and the orthogonal polynomials, imported on first use
_lazy.provide(globals(), {".ops.bessel": " ".join(sorted(_BESSEL)),
                          ".ops.orthogonal_polynomials": " ".join(sorted(_POLYNOMIALS))})
