"""The chi-squared distribution with ``df`` ν degrees of freedom: the sum of the squares of ν
standard normal draws, which is Gamma(ν/2, ½) (as PyTorch's, a subclass of Gamma): mean ν,
variance 2ν, draws and ``rsample`` the gamma's (implicit reparametrisation reaches ν)."""

from __future__ import annotations

from . import constraints
from .distribution import broadcast_all
from .gamma import Gamma


class Chi2(Gamma):
    """Density x^(ν/2 − 1) e^(−x/2) / (2^(ν/2) Γ(ν/2)) on x ≥ 0, one per element of ``df``."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (self.df,) = broadcast_all(df)  # (first: the checks read df, the parameter given)
        super().__init__(0.5 * self.df, 0.5, validate_args)
