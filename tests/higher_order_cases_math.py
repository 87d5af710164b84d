"""Second-derivative cases (see higher_order_cases.py for the form) of the further math, statistics
and linear algebra: the new primitives' differentiable rules (igamma, igammac, frexp, nextafter and
linalg.lu_factor, in autograd/differentiable_elementwise.py and differentiable_linalg.py) and the
compositions (rad2deg, float_power, ldexp, fmax, mvlgamma, addr, dist, renorm, trapezoid, cov,
corrcoef, logdet, cholesky_solve, lu_solve, ...), whose second derivatives come from their parts."""

import numpy as np

from higher_order_cases_recurrent import _eye, _spd


def _constant(like, values):
    return like.new_tensor(np.asarray(values, dtype=np.float64))


def _lu(L, x):
    return L.linalg.lu_factor(x + _eye(x, 2.0))[0]


CASES = [
    ("rad2deg", lambda L, F, x: L.rad2deg(x) * x, [(3, 4)], "real"),
    ("deg2rad", lambda L, F, x: L.deg2rad(x).sin(), [(3, 4)], "real"),
    ("float_power", lambda L, F, x, y: L.float_power(x, y), [(3, 4), (4,)], "positive"),
    ("ldexp", lambda L, F, x, y: L.ldexp(x, y), [(3, 4), (4,)], "real"),
    ("frexp mantissa", lambda L, F, x: L.frexp(x * 0.4 + 0.3)[0] * x, [(3, 4)], "positive"),
    ("fmax", lambda L, F, x, y: L.fmax(x, y) * y, [(3, 4), (4,)], "real"),
    ("fmin", lambda L, F, x, y: L.fmin(x, y) * x, [(3, 4), (3, 4)], "real"),
    # (arguments of 2.5 and more: below, PyTorch's trigamma is off by up to 5e-10, see docs/porting.md)
    ("mvlgamma", lambda L, F, x: L.mvlgamma(x + 3.5, 3), [(3, 4)], "positive"),
    ("igamma", lambda L, F, x: L.igamma(_constant(x, [0.5, 1.0, 2.5, 4.0]), x * 2.0), [(3, 4)], "positive"),
    ("igammac", lambda L, F, x: L.igammac(_constant(x, [[0.7], [1.5], [3.0]]), x * 3.0), [(3, 4)], "positive"),
    ("addr", lambda L, F, m, u, v: L.addr(m, u, v, beta=0.5, alpha=2.0) * m, [(3, 4), (3,), (4,)], "real"),
    ("dist", lambda L, F, x, y: L.dist(x, y, 3), [(3, 4), (4,)], "real"),
    ("renorm", lambda L, F, x: L.renorm(x, 2, 0, 1.0), [(3, 4)], "real"),
    ("trapezoid", lambda L, F, y, x: L.trapezoid(y, x), [(3, 5), (5,)], "real"),
    ("cumulative_trapezoid", lambda L, F, y: L.cumulative_trapezoid(y * y, dx=0.5, dim=0), [(4, 3)], "real"),
    ("cov", lambda L, F, x: L.cov(x), [(3, 6)], "real"),
    ("cov aweights", lambda L, F, x, w: L.cov(x, aweights=w), [(3, 6), (6,)], "positive"),
    ("corrcoef", lambda L, F, x: L.corrcoef(x), [(3, 6)], "real"),
    ("logdet", lambda L, F, x: L.logdet(_spd(L, x)), [(2, 3, 3)], "real"),
    ("cholesky_solve", lambda L, F, x, b: L.cholesky_solve(b, L.linalg.cholesky(_spd(L, x))), [(3, 3), (3, 2)],
     "real"),
    ("cholesky_inverse upper", lambda L, F, x: L.cholesky_inverse(L.linalg.cholesky(_spd(L, x), upper=True),
                                                                   upper=True), [(3, 3)], "real"),
    ("triangular_solve", lambda L, F, b, a: L.triangular_solve(b, a.triu() + _eye(a, 3.0))[0], [(3, 2), (3, 3)],
     "real"),
    ("linalg.lu_factor", lambda L, F, x: _lu(L, x), [(3, 3)], "real"),
    ("linalg.lu_factor batched", lambda L, F, x: _lu(L, x), [(2, 3, 3)], "real"),
    ("linalg.lu_factor tall", lambda L, F, x: L.linalg.lu_factor(x)[0], [(4, 2)], "real"),
    ("linalg.lu_factor wide", lambda L, F, x: L.linalg.lu_factor(x)[0], [(2, 4)], "real"),
    ("linalg.lu", lambda L, F, x: L.linalg.lu(x + _eye(x, 2.0))[1], [(3, 3)], "real"),
    ("linalg.lu_solve", lambda L, F, x, b: L.linalg.lu_solve(*L.linalg.lu_factor(x + _eye(x, 2.0)), b),
     [(3, 3), (3, 2)], "real"),
    ("nextafter", lambda L, F, x, y: L.nextafter(x, y) * x, [(3, 4), (3, 4)], "real"),
    ("linalg.lu_solve adjoint right", lambda L, F, x, b: L.linalg.lu_solve(*L.linalg.lu_factor(x + _eye(x, 2.0)), b,
                                                                           adjoint=True, left=False),
     [(3, 3), (2, 3)], "real"),
]
