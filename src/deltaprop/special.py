"""PyTorch's ``torch.special`` names, for code ported from it: the functions deltaprop has under
other names (expit is the sigmoid, gammaln is lgamma and psi is digamma; erf, log1p, softmax, ... are the
same functions as deltaprop's) and those it computes here alone (logit, xlog1py, erfcx, ndtr, ndtri, log_ndtr, i0, i1,
entr, and polygamma, which is also deltaprop.polygamma), and those under other names here: gammainc and
gammaincc are igamma and igammac, multigammaln is mvlgamma."""

from __future__ import annotations

from .nn.functional.activations import log_softmax, softmax  # (with torch.special's dtype=)
from .ops import erf, erfc, erfinv, exp2, expm1, log1p, logsumexp, round, sinc, xlogy
from .ops import digamma, polygamma
from .ops import digamma as psi
from .ops import lgamma as gammaln
from .ops import sigmoid as expit
from .ops.special_functions import entr, erfcx, i0, i1, log_ndtr, logit, ndtr, ndtri, xlog1py
from .ops.elementwise_forms import mvlgamma as multigammaln
from .ops.incomplete_gamma import igamma as gammainc, igammac as gammaincc

__all__ = [
    "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "i1", "log1p",
    "log_ndtr", "log_softmax", "logit", "logsumexp", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc", "softmax",
    "xlog1py", "xlogy", "gammainc", "gammaincc", "multigammaln",
]
