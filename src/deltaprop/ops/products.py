"""PyTorch's matrix products: those of fixed ranks, checked before :func:`~deltaprop.ops.arithmetic.matmul`
computes them (``mm``: two matrices, ``mv``: a matrix and a vector, ``dot``: two vectors; matmul's
NumPy rules would take other shapes too, which PyTorch refuses here, and so does deltaprop, in one
sentence), and the fused ones: addmm, addmv, baddbmm, addbmm, addr (β·input + α·product), addcmul and
addcdiv (input + value·t1·t2, input + value·t1/t2), tensordot, inner, kron, and the cross product.

Most are composed of the primitives (matmul, einsum, mul, div, reshape), whose rules give their
gradients. The β·input + α·product step is one small primitive of its own, so that β = 0 ignores
``input`` (a NaN in it does not reach the result, as in PyTorch) while its gradient, β·g, is still
zeros. The cross product is a primitive: its rule is two cross products.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError
from ._core import operand, record, shape_of, unbroadcast
from .arithmetic import add, bmm, div, matmul, mul, outer
from .einsum import _LETTERS, einsum
from .promotion import promoted, result_type
from .shape import reshape


def _number(op: str, name: str, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f"{op}: {name} must be a number, got {value!r}")
    return value.item() if isinstance(value, np.generic) else value


def _scaled_sum(op: str, input, product, beta, alpha):
    """β·input + α·product, ``input`` broadcast to the product's shape; β = 0 ignores input's values."""
    beta, alpha = _number(op, "beta", beta), _number(op, "alpha", alpha)
    a = operand(input)
    x, y = promoted(a.data, product.data)
    x, y = np.asarray(x), np.asarray(y)
    try:
        fits = np.broadcast_shapes(x.shape, y.shape) == y.shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"{op}: input of shape {x.shape} cannot be broadcast to the product's shape {y.shape}")
    out = y if alpha == 1 else alpha * y
    if beta != 0:
        out = out + (x if beta == 1 else beta * x)
    out = np.asarray(out).astype(result_type(a.data, product.data), copy=False)

    def backward(g):
        return (unbroadcast(g if beta == 1 else g * beta, x.shape) if a.requires_grad else None,
                (g if alpha == 1 else g * alpha) if product.requires_grad else None)

    return record(out, (a, product), backward, op)


def _dimensions(op: str, **operands):
    """Each operand as a tensor, refused unless it has the number of dimensions its name ends in."""
    tensors = []
    for name, (value, ndim) in operands.items():
        t = operand(value)
        if np.ndim(t.data) != ndim:
            kind = {1: "a vector", 2: "a matrix", 3: "a stack of matrices"}[ndim]
            raise ShapeError(f"{op}: {name} must be {kind} ({ndim} dimensions), got shape {shape_of(t)}")
        tensors.append(t)
    return tensors


def _fixed_ranks(op: str, a, b, ranks: tuple, expects: str, misaligned):
    """matmul of ``a`` and ``b`` once their ranks are ``ranks`` and a's last dimension meets b's first;
    otherwise one sentence: ``expects`` names the operands, ``misaligned(sa, sb)`` the mismatch."""
    a, b = operand(a), operand(b)
    sa, sb = shape_of(a), shape_of(b)
    if (len(sa), len(sb)) != ranks:
        raise ShapeError(f"{op}: expects {expects}, got shapes {sa} and {sb}")
    if sa[-1] != sb[0]:
        raise ShapeError(f"{op}: {misaligned(sa, sb)}")
    return matmul(a, b)


def mm(a, b):
    """PyTorch's matrix product of two matrices: ``a`` (n, m) @ ``b`` (m, p), no broadcasting."""
    return _fixed_ranks("mm", a, b, (2, 2), "two matrices (2 dimensions each)",
                        lambda sa, sb: f"shapes {sa} and {sb} do not align ({sa[1]} columns against {sb[0]} rows)")


def mv(a, b):
    """PyTorch's product of a matrix (n, m) and a vector (m,): a vector (n,)."""
    return _fixed_ranks("mv", a, b, (2, 1), "a matrix and a vector",
                        lambda sa, sb: f"shapes {sa} and {sb} do not align ({sa[1]} columns against {sb[0]} elements)")


def dot(a, b):
    """PyTorch's dot product of two vectors of one length: a 0-d tensor."""
    return _fixed_ranks("dot", a, b, (1, 1), "two vectors",
                        lambda sa, sb: f"vectors of {sa[0]} and {sb[0]} elements; they must have the same number")


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """β·input + α·(mat1 @ mat2), for matrices mat1 (n, m) and mat2 (m, p); input broadcasts to (n, p)."""
    mat1, mat2 = _dimensions("addmm", mat1=(mat1, 2), mat2=(mat2, 2))
    return _scaled_sum("addmm", input, matmul(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """β·input + α·(mat @ vec), for a matrix (n, m) and a vector (m,); input broadcasts to (n,)."""
    mat, vec = _dimensions("addmv", mat=(mat, 2), vec=(vec, 1))
    return _scaled_sum("addmv", input, matmul(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """β·input + α·bmm(batch1, batch2), for stacks (b, n, m) and (b, m, p); input broadcasts to (b, n, p)."""
    return _scaled_sum("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """β·input + α·Σ_b batch1[b] @ batch2[b]: the products of two stacks summed over the stack."""
    batch1, batch2 = _dimensions("addbmm", batch1=(batch1, 3), batch2=(batch2, 3))
    s1, s2 = shape_of(batch1), shape_of(batch2)
    if s1[0] != s2[0] or s1[2] != s2[1]:
        raise ShapeError(f"addbmm: shapes {s1} and {s2} do not align (batch {s1[0]} against {s2[0]}, "
                         f"{s1[2]} columns against {s2[1]} rows)")
    return _scaled_sum("addbmm", input, einsum("bij,bjk->ik", batch1, batch2), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """β·input + α·(vec1 ⊗ vec2), the outer product of vectors (n,) and (m,); input broadcasts to (n, m)."""
    vec1, vec2 = _dimensions("addr", vec1=(vec1, 1), vec2=(vec2, 1))
    return _scaled_sum("addr", input, outer(vec1, vec2), beta, alpha)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value·tensor1·tensor2, the three broadcast together."""
    value = _number("addcmul", "value", value)
    product = mul(tensor1, tensor2)
    return add(input, product if value == 1 else mul(product, value))


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value·tensor1/tensor2, the three broadcast together; PyTorch refuses two integer
    tensors (its old integer division), and so does this."""
    value = _number("addcdiv", "value", value)
    t1, t2 = operand(tensor1), operand(tensor2)
    if all(np.asarray(t.data).dtype.kind in "biu" for t in (t1, t2)):
        raise TypeError("addcdiv: tensor1 and tensor2 are both integer tensors, which PyTorch refuses; convert "
                        "them with .float() first")
    quotient = div(t1, t2)
    return add(input, quotient if value == 1 else mul(quotient, value))


def tensordot(a, b, dims=2):
    """The sum of products over the last ``dims`` dimensions of ``a`` and the first ``dims`` of
    ``b``, or, with ``dims`` a pair of lists, over those dimensions of each (paired in order)."""
    a, b = operand(a), operand(b)
    na, nb = np.ndim(a.data), np.ndim(b.data)
    if isinstance(dims, (int, np.integer)) and not isinstance(dims, bool):
        if not 0 <= dims <= min(na, nb):
            raise ShapeError(f"tensordot: dims={dims} must be between 0 and the smaller number of dimensions "
                             f"({min(na, nb)}) of shapes {shape_of(a)} and {shape_of(b)}")
        first, second = list(range(na - dims, na)), list(range(dims))
    else:
        pair = dims.tolist() if hasattr(dims, "tolist") else dims
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ConfigError(f"tensordot: dims must be an integer or a pair of lists of dimensions, got {dims!r}")
        first, second = ([d] if isinstance(d, (int, np.integer)) else list(d) for d in pair)
        if len(first) != len(second):
            raise ShapeError(f"tensordot: dims name {len(first)} dimensions of the first tensor and {len(second)} "
                             "of the second; they are paired, so the counts must match")
        first = [_axis("tensordot", d, na) for d in first]
        second = [_axis("tensordot", d, nb) for d in second]
    for i, j in zip(first, second):
        if shape_of(a)[i] != shape_of(b)[j]:
            raise ShapeError(f"tensordot: dimension {i} of shape {shape_of(a)} ({shape_of(a)[i]}) does not match "
                             f"dimension {j} of shape {shape_of(b)} ({shape_of(b)[j]})")
    if na + nb - len(first) > len(_LETTERS):
        raise ShapeError(f"tensordot: shapes {shape_of(a)} and {shape_of(b)} have too many dimensions")
    letters_a = list(_LETTERS[:na])
    letters_b = list(_LETTERS[na:na + nb])
    for i, j in zip(first, second):
        letters_b[j] = letters_a[i]
    free = [c for k, c in enumerate(letters_a) if k not in first] + [c for k, c in enumerate(letters_b)
                                                                     if k not in second]
    return einsum(f"{''.join(letters_a)},{''.join(letters_b)}->{''.join(free)}", a, b)


def _axis(op: str, d, ndim: int) -> int:
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not -ndim <= d < ndim:
        raise ShapeError(f"{op}: dimension {d!r} is out of range for a tensor of {ndim} dimensions")
    return int(d) % ndim


def inner(a, b):
    """The sum of products over the last dimension of each (of shapes a[:-1] + b[:-1]); a product
    where either is 0-d."""
    a, b = operand(a), operand(b)
    if np.ndim(a.data) == 0 or np.ndim(b.data) == 0:
        return mul(a, b)
    if shape_of(a)[-1] != shape_of(b)[-1]:
        raise ShapeError(f"inner: the last dimensions of shapes {shape_of(a)} and {shape_of(b)} differ")
    return tensordot(a, b, ([-1], [-1]))


def kron(a, b):
    """The Kronecker product: each element of ``a`` times the whole of ``b``, laid out in blocks
    (shape a.shape · b.shape, dimension by dimension, the shorter shape padded with leading 1s)."""
    a, b = operand(a), operand(b)
    sa, sb = shape_of(a), shape_of(b)
    n = max(len(sa), len(sb))
    sa, sb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    # a[i, j] · b[k, l] lands at [i·p + k, j·q + l]: interleave the dimensions, multiply, merge pairs
    spread_a = reshape(a, tuple(s for size in sa for s in (size, 1)))
    spread_b = reshape(b, tuple(s for size in sb for s in (1, size)))
    return reshape(mul(spread_a, spread_b), tuple(p * q for p, q in zip(sa, sb)))


def cross(input, other, dim=None):
    """The cross product of 3-vectors along ``dim`` (the two broadcast together); without ``dim``,
    along the first dimension of size 3, as PyTorch's ``torch.cross`` (which warns that this default
    is deprecated; ``linalg.cross`` takes dim=-1)."""
    a, b = operand(input), operand(other)
    try:
        shape = np.broadcast_shapes(np.shape(a.data), np.shape(b.data))
    except ValueError:
        raise ShapeError(f"cross: shapes {shape_of(a)} and {shape_of(b)} cannot be broadcast together") from None
    if dim is None:
        if 3 not in shape:
            raise ShapeError(f"cross: no dimension of size 3 in shape {shape} (give dim)")
        axis = shape.index(3)
    else:
        axis = _axis("cross", dim, len(shape))
        if shape[axis] != 3:
            raise ShapeError(f"cross: dimension {dim} must have size 3, got shapes {shape_of(a)} and {shape_of(b)}")
    x, y = promoted(a.data, b.data)
    x, y = np.broadcast_to(x, shape), np.broadcast_to(y, shape)
    out = np.cross(x, y, axis=axis)

    def backward(g):
        # d(a × b) = da × b + a × db, so the gradient of a is b × g and of b is g × a
        return (unbroadcast(np.cross(y, g, axis=axis), np.shape(a.data)) if a.requires_grad else None,
                unbroadcast(np.cross(g, x, axis=axis), np.shape(b.data)) if b.requires_grad else None)

    return record(out, (a, b), backward, "cross")
