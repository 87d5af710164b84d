"""Differentiable gradient rules of the linear-algebra primitives (``linalg.det``, ``slogdet``,
``inv``, ``solve``, ``solve_triangular``, ``matrix_power``, ``matrix_exp``, ``pinv``, ``cholesky``,
``eigh``, ``qr``, ``svd``, ``svdvals``, ``lu_factor``), registered in :data:`.differentiable_rules.RULES` (see
that module for what a rule is).

Each rule is its primitive's own formula (derived in the docstrings of ops/matrix_functions.py and
ops/decompositions.py) written with recorded operations: matrix products, transposes, elementwise
products with constant masks (a triangle, the identity), and inverses and solves, which are
primitives of this module themselves. The formulas are in terms of the decomposition's outputs,
and those are taken as tensors of the graph, so that differentiating a rule differentiates them
in turn by their own rules: the node itself for the output it is (an inverse's Y in −Yᵀ·ḡ·Yᵀ, as
exp's rule reuses eˣ), and its sibling outputs (eigh's eigenvalues beside its eigenvectors, qr's R
beside Q, svd's U, S and Vh) recorded anew from the arrays the forward computed, with the same
rules, not computed again. The derivatives of every order are so defined where the first is: for
eigh and svd, at distinct eigenvalues (singular values, nonzero ones for a non-square matrix), of a
loss that does not depend on the vectors' signs (PyTorch's gauge condition).

Refused by name, with create_graph=True: ``det`` and ``slogdet`` of a singular matrix (their rules
use its inverse; PyTorch perturbs the LU factors there), ``qr`` with mode='r' or mode='complete'
and more rows than columns (refused at first order too).
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..errors import GradError, LinAlgError
from ..ops import lu_factorization
from ..ops import matrix_functions as functions
from ..ops.decompositions import eigh_outputs, qr_outputs, svd_outputs
from ..ops.matrix_exponential import matrix_exp
from ..ops.triangular_solve import solve_triangular
from ..tensor import Tensor
from .differentiable_rules import _refuse, closure, kept, rule, sum_to


def _mT(x: Tensor) -> Tensor:
    """The transpose of each matrix of the batch ``x``."""
    return ops.swapaxes(x, -1, -2)


def _mm(*factors) -> Tensor:
    """The product of the matrices ``factors``, left to right."""
    out = factors[0]
    for factor in factors[1:]:
        out = ops.matmul(out, factor)
    return out


def _sym(x: Tensor) -> Tensor:
    return ops.mul(ops.add(x, _mT(x)), 0.5)


def _eye(n: int, dtype) -> np.ndarray:
    return np.eye(n, dtype=dtype)


def _columns_times(x: Tensor, v: Tensor) -> Tensor:
    """x·diag(v): column j of each matrix of ``x`` times v_j."""
    return ops.mul(x, ops.unsqueeze(v, -2))


def _rows_times(v: Tensor, x: Tensor) -> Tensor:
    """diag(v)·x: row i of each matrix of ``x`` times v_i."""
    return ops.mul(ops.unsqueeze(v, -1), x)


def _solve_right(z: Tensor, m: Tensor) -> Tensor:
    """z·m⁻¹, as (m⁻ᵀ·zᵀ)ᵀ: a solve, no inverse formed."""
    return _mT(functions.solve(_mT(m), _mT(z)))


def _gaps(values: Tensor) -> Tensor:
    """F with F_ij = 1/(v_j − v_i) off the diagonal and 0 on it, in recorded operations (infinite
    where two values are equal, as the primitives' rules)."""
    n = values.data.shape[-1]
    diagonal = np.eye(n, dtype=bool)
    differences = ops.sub(ops.unsqueeze(values, -2), ops.unsqueeze(values, -1))
    with np.errstate(divide="ignore"):
        inverse = ops.div(1.0, ops.where(diagonal, 1.0, differences))
    return ops.where(diagonal, 0.0, inverse)


def _inverse(node, a: Tensor) -> Tensor:
    """A⁻¹ as a recorded inverse, or the refusal of a singular A by name."""
    try:
        return functions.inv(a)
    except LinAlgError:
        _refuse(node, "of a singular matrix (it is written with the matrix's inverse)")


def _matrices(g: Tensor, ndim: int) -> Tensor:
    """The gradient of a value per matrix with two axes added, to scale each matrix."""
    return ops.reshape(g, g.data.shape + (1, 1)) if ndim else g


# -- functions of square matrices ---------------------------------------------------------------------


@rule("linalg.det")
def _det(node, g):
    (a,) = node._parents
    # ḡ·det(A)·A⁻ᵀ, the cofactors, with det the node itself
    scale = ops.mul(g, node)
    return (ops.mul(_matrices(scale, node.data.ndim), _mT(_inverse(node, a))),)


@rule("linalg.slogdet")
def _slogdet(node, g):
    (a,) = node._parents
    return (ops.mul(_matrices(g, node.data.ndim), _mT(_inverse(node, a))),)


@rule("linalg.inv")
def _inv(node, g):
    # −Yᵀ·ḡ·Yᵀ, Y = A⁻¹ the node itself
    y = _mT(node)
    return (ops.neg(_mm(y, g, y)),)


@rule("linalg.solve")
def _solve(node, g):
    a, b = node._parents
    values = kept(node)
    vectors, columns = values["vectors"], values["columns"]
    g = ops.unsqueeze(g, -1) if vectors else g
    x = ops.unsqueeze(node, -1) if vectors else node
    # ḡB = A⁻ᵀ·ḡX (batch dimensions broadcast as the forward's), ḡA = −ḡB·Xᵀ
    gb = functions.solve(_mT(a), g)
    ga = sum_to(ops.neg(ops.matmul(gb, _mT(x))), a.data.shape) if a.requires_grad else None
    gb = ops.reshape(sum_to(gb, columns.shape), b.data.shape) if b.requires_grad else None
    return ga, gb


@rule("linalg.solve_triangular")
def _solve_triangular(node, g):
    a, b = node._parents
    values = kept(node)
    upper, left, unitriangular, mask = values["upper"], values["left"], values["unitriangular"], values["mask"]
    # ḡB = A⁻ᵀ·ḡX (or ḡX·A⁻ᵀ), a triangular solve with Aᵀ, whose triangle is the other one; ḡA =
    # −ḡB·Xᵀ (or −Xᵀ·ḡB) on A's triangle
    gb = solve_triangular(_mT(a), g, upper=not upper, left=left, unitriangular=unitriangular)
    ga = None
    if a.requires_grad:
        outer = ops.matmul(gb, _mT(node)) if left else ops.matmul(_mT(node), gb)
        ga = sum_to(ops.where(mask, ops.neg(outer), 0.0), a.data.shape)
    return ga, sum_to(gb, b.data.shape) if b.requires_grad else None


@rule("linalg.matrix_exp")
def _matrix_exp(node, g):
    # the upper-right block of exp([[Aᵀ, ḡ], [0, Aᵀ]]), with matrix_exp itself recorded, so that every
    # order passes; ḡ divided by its 1-norm and the block multiplied back (a constant: the map is
    # linear in ḡ), as the primitive's rule
    (a,) = node._parents
    n = a.data.shape[-1]
    size = np.abs(g.data).sum(axis=-2).max(axis=-1, initial=0.0)[..., None, None]
    size = np.where((size > 0) & np.isfinite(size), size, 1.0).astype(a.data.dtype)
    at = _mT(a)
    block = ops.concatenate([ops.concatenate([at, ops.div(g, size)], axis=-1),
                             ops.concatenate([np.zeros(a.data.shape, a.data.dtype), at], axis=-1)], axis=-2)
    upper_right = ops.getitem(matrix_exp(block), (Ellipsis, slice(0, n), slice(n, None)))
    return (ops.mul(upper_right, size),)


@rule("linalg.matrix_power")
def _matrix_power(node, g):
    # only the power 0 is a primitive of its own (the identity, a constant); the others are
    # products and inverses
    (a,) = node._parents
    return (Tensor._wrap(np.zeros_like(a.data)),)


@rule("linalg.pinv")
def _pinv(node, g):
    (a,) = node._parents
    x, gt = node, _mT(g)
    m, n = a.data.shape[-2:]
    dtype = a.data.dtype
    # −Xᵀ·ḡ·Xᵀ + (I − A·X)·ḡᵀ·X·Xᵀ + Xᵀ·X·ḡᵀ·(I − X·A), X = A⁺ the node itself (A's rank constant)
    xt = _mT(x)
    first = ops.neg(_mm(xt, g, xt))
    second = _mm(ops.sub(_eye(m, dtype), ops.matmul(a, x)), gt, x, xt)
    third = _mm(xt, x, gt, ops.sub(_eye(n, dtype), ops.matmul(x, a)))
    return (ops.add(ops.add(first, second), third),)


# -- decompositions -------------------------------------------------------------------------------------


@rule("linalg.cholesky")
def _cholesky(node, g):
    values = kept(node)
    upper = values["upper"]
    n = node.data.shape[-1]
    dtype = node.data.dtype
    lower = np.tril(np.ones((n, n), dtype=dtype))
    lower_l = _mT(node) if upper else node
    gl = ops.mul(_mT(g) if upper else g, lower)
    # sym(L⁻ᵀ·Φ(Lᵀ·ḡL)·L⁻¹), Φ the lower triangle with its diagonal halved
    inner = ops.mul(ops.matmul(_mT(lower_l), gl), lower - _eye(n, dtype) / 2)
    lt = _mT(lower_l)
    return (_sym(functions.solve(lt, _mT(functions.solve(lt, _mT(inner))))),)


@rule("linalg.eigh")
def _eigh(node, g):
    (a,) = node._parents
    values = kept(node)
    if node._backward.__name__ == "backward_values":
        # V·diag(ḡλ)·Vᵀ
        vectors = eigh_outputs(a, node.data, values["V"]).eigenvectors
        return (ops.matmul(_columns_times(vectors, g), _mT(vectors)),)
    # sym(V·(F ∘ Vᵀ·ḡV)·Vᵀ), F from the eigenvalues
    vectors = node
    eigenvalues = eigh_outputs(a, values["values"], values["V"]).eigenvalues
    with np.errstate(divide="ignore", invalid="ignore"):  # equal eigenvalues: undefined (NaN), as at first order
        inner = ops.mul(_gaps(eigenvalues), ops.matmul(_mT(vectors), g))
        return (_sym(_mm(vectors, inner, _mT(vectors))),)


def _qr_square(q, r, gq, gr, dtype):
    """(ḡQ + Q·copyltu(M))·R⁻ᵀ with M = R·ḡRᵀ − ḡQᵀ·Q, for R square; ``gq`` or ``gr`` None for a zero."""
    n = r.data.shape[-1]
    terms = ([ops.matmul(r, _mT(gr))] if gr is not None else []) + ([ops.neg(ops.matmul(_mT(gq), q))]
                                                                      if gq is not None else [])
    m = terms[0] if len(terms) == 1 else ops.add(*terms)
    # copyltu(M) = tril(M) + tril(M, −1)ᵀ
    copyltu = ops.add(ops.mul(m, np.tril(np.ones((n, n), dtype=dtype))),
                      _mT(ops.mul(m, np.tril(np.ones((n, n), dtype=dtype), -1))))
    left = ops.matmul(q, copyltu)
    if gq is not None:
        left = ops.add(gq, left)
    return _solve_right(left, _mT(r))


@rule("linalg.qr")
def _qr(node, g):
    (a,) = node._parents
    inside = closure(kept(node)["rule"])  # the rule that Q's and R's share
    mode, m, n = inside["mode"], inside["m"], inside["n"]
    if mode == "r":
        raise GradError("grad: create_graph=True: linalg.qr with mode='r' computes no Q, and the gradient of R "
                        "depends on it; use mode='reduced' to differentiate through qr (as PyTorch asks)")
    if mode == "complete" and m > n:
        raise GradError(f"grad: create_graph=True: linalg.qr with mode='complete' and more rows than columns "
                        f"({m} > {n}) has no gradient (Q's last columns are not determined by A, as in PyTorch); "
                        "use mode='reduced'")
    q, r = qr_outputs(a, inside["Q"], inside["R"], mode)
    is_q = node._backward.__name__ == "backward_Q"
    if is_q:
        q, gq, gr = node, g, None
    else:
        r, gq, gr = node, None, g
    dtype = a.data.dtype
    if m >= n:
        return (_qr_square(q, r, gq, gr, dtype),)
    # A = [X | Y], X square: the square rule for X with ḡQ + Y·ḡVᵀ, and ḡY = Q·ḡV (ḡV: R's last columns')
    u = ops.getitem(r, (Ellipsis, slice(None), slice(0, m)))
    if gr is None:
        gx = _qr_square(q, u, gq, None, dtype)
        return (ops.concatenate([gx, np.zeros(a.data.shape[:-1] + (n - m,), dtype=dtype)], axis=-1),)
    gu = ops.getitem(gr, (Ellipsis, slice(None), slice(0, m)))
    gv = ops.getitem(gr, (Ellipsis, slice(None), slice(m, None)))
    y = ops.getitem(a, (Ellipsis, slice(None), slice(m, None)))
    gx = _qr_square(q, u, ops.matmul(y, _mT(gv)), gu, dtype)
    return (ops.concatenate([gx, ops.matmul(q, gv)], axis=-1),)


@rule("linalg.svd")
def _svd(node, g):
    (a,) = node._parents
    values = kept(node)
    which = node._backward.__name__
    k = min(a.data.shape[-2:])
    # the reduced U, S and Vh as tensors of the graph: the node for the one it is (its first k
    # columns or rows: the others have no gradient), the others recorded anew
    u, s, vh = svd_outputs(a, values["Uk"], values["s"], values["Vhk"])
    if which == "backward_S":
        return (ops.matmul(_columns_times(u, g), vh),)
    if which == "backward_U":
        full = node.data.shape[-1] != k
        u = ops.getitem(node, (Ellipsis, slice(None), slice(0, k))) if full else node
        gu = ops.getitem(g, (Ellipsis, slice(None), slice(0, k))) if full else g
        with np.errstate(divide="ignore", invalid="ignore"):  # equal or zero singular values: undefined
            f = _gaps(ops.mul(s, s))
            # U·(J·diag(s))·Vh + (I − U·Uᵀ)·ḡU·diag(s)⁻¹·Vh, J = F ∘ (Uᵀ·ḡU − ḡUᵀ·U)
            inner = _columns_times(ops.mul(f, ops.sub(ops.matmul(_mT(u), gu), ops.matmul(_mT(gu), u))), s)
            outside = ops.div(ops.sub(gu, _mm(u, _mT(u), gu)), ops.unsqueeze(s, -2))
            return (ops.add(_mm(u, inner, vh), ops.matmul(outside, vh)),)
    full = node.data.shape[-2] != k
    vh = ops.getitem(node, (Ellipsis, slice(0, k), slice(None))) if full else node
    gvh = ops.getitem(g, (Ellipsis, slice(0, k), slice(None))) if full else g
    v, gv = _mT(vh), _mT(gvh)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = _gaps(ops.mul(s, s))
        # U·(diag(s)·K)·Vh + U·diag(s)⁻¹·(ḡVh − ḡVh·V·Vh), K = F ∘ (Vᵀ·ḡV − ḡVᵀ·V)
        inner = _rows_times(s, ops.mul(f, ops.sub(ops.matmul(_mT(v), gv), ops.matmul(_mT(gv), v))))
        outside = ops.div(ops.sub(gvh, _mm(gvh, v, vh)), ops.unsqueeze(s, -1))
        return (ops.add(_mm(u, inner, vh), ops.matmul(u, outside)),)


@rule("linalg.svdvals")
def _svdvals(node, g):
    (a,) = node._parents
    # U·diag(ḡS)·Vh, with U and Vh of the (reduced) SVD as tensors of the graph
    from ..ops.decompositions import svd

    u, _, vh = svd(a, full_matrices=False)
    return (ops.matmul(_columns_times(u, g), vh),)


@rule("linalg.lu_factor")
def _lu_factor(node, g):
    # the primitive's own rule (ops/lu_factorization.py's lu_gradient, written in recorded
    # operations), run on L and U taken from the node, so that they are differentiated in turn
    L, U = lu_factorization.factors(node)
    return (lu_factorization.lu_gradient(L, U, kept(node)["P"], g),)
