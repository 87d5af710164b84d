"""Differentiable gradient rules (see :mod:`.differentiable_rules`) of the orthogonal polynomials of
:mod:`..ops.orthogonal_polynomials`: g times the next derivative, itself such a primitive, so that
derivatives of every order pass. The degree n gets no gradient."""

from __future__ import annotations

import numpy as np

from .. import ops
from ..ops import orthogonal_polynomials as P
from .differentiable_rules import kept, rule, sum_to


@rule(*P.POLYNOMIALS)
def _polynomial(node, g):
    x, n = node._parents
    slope = P.polynomial(node._op, x, n, kept(node)["order"] + 1)
    return sum_to(ops.mul(g, slope), np.shape(x.data)), None
