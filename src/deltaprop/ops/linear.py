"""The dense layer's weighted sum as one primitive: a = x·Wᵀ + b.

In the seeds' notation, a_j = Σ_i w_ij o_i + b_j for every node j of a layer, and backpropagation
needs three products of the error terms δ = ∂E/∂a:

* ∂E/∂W = δᵀ·x   (each weight's gradient is its δ times the input it carries),
* ∂E/∂b = Σ δ    (a bias is a weight whose input is always 1),
* ∂E/∂x = δ·W    (the δ of the layer below, before its own g'(a) is applied).

Doing this as one primitive instead of matmul + transpose + add saves three graph nodes and their
temporaries per layer, and skips ∂E/∂x entirely for the first layer, whose input is data.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor
from . import _memory
from ._core import constant, mm, no_tensors_in, operand, record
from .arithmetic import add
from .promotion import promoted
from .shape import reshape


def linear(x, weight, bias=None):
    """x·Wᵀ + b for x of shape (..., in_features) and W of shape (out_features, in_features).

    ``x`` may be a plain array (the first layer's input is data): it then joins no graph at all.
    A weight vector of shape (in_features,) gives x·w, of shape (...), the output axis dropped (as
    in PyTorch). The bias has shape (out_features,), or any shape that broadcasts to the output's.
    """
    # (isinstance first: on the hot path these are tensors, and the call to operand() is skipped)
    weight = weight if isinstance(weight, Tensor) else operand(weight)
    W = weight.data
    x_is_node = isinstance(x, Tensor)
    X = x.data if x_is_node else x if type(x) is np.ndarray else np.asarray(no_tensors_in(x))
    try:
        mismatch = not X.ndim or X.shape[-1] != W.shape[1]
    except IndexError:  # (a try costs nothing until it catches)
        if W.ndim == 1:
            return _linear_of_vector(x, X, weight, bias)
        raise ShapeError(f"linear: the weight must be a matrix of shape (out_features, in_features) or a vector of "
                         f"shape (in_features,), got shape {W.shape}") from None
    if mismatch:
        if W.ndim == 1:  # (a 0-d input: refused there, in the vector's terms)
            return _linear_of_vector(x, X, weight, bias)
        features = X.shape[-1] if X.ndim else "no"
        raise ShapeError(f"linear: input of shape {X.shape} has {features} features, the weight of shape {W.shape} expects {W.shape[1]}")
    if X.dtype is not W.dtype:
        X, W = _common_dtype(X, W, data=not (x_is_node and x.requires_grad))
    if X.ndim > 2:
        # A sequence's (N, L, in): one product of all N·L rows, not N stacked ones (NumPy's matmul
        # does a small product per leading index: 75 against 17 µs for (64, 10, 32)·(32, 96)),
        # into an array from the pool (ops/_memory.py): a recurrent layer's input products are
        # megabytes, which a fresh array page-faults in at every step.
        rows = X.reshape(math.prod(X.shape[:-1]), X.shape[-1])  # (sizes spelled out: -1 beside a 0 is ambiguous)
        if rows.shape[1] == 1:
            out = mm(rows, W.T)
        else:
            out = np.matmul(rows, W.T, out=_memory.empty((rows.shape[0], W.shape[0]), np.result_type(X, W)))
        out = out.reshape(*X.shape[:-1], W.shape[0])
    else:
        out = _product(X, W.T)
    parents = (x, weight) if x_is_node else (weight,)

    def backward(g):
        # (``bias`` is read when the rule runs: None where a bias of another shape is added below)
        # Leading axes folded into one batch axis: g2 is (batch, out), X2 is (batch, in).
        g2 = g if g.ndim == 2 else g.reshape(math.prod(g.shape[:-1]), g.shape[-1])
        X2 = X if X.ndim == 2 else X.reshape(math.prod(X.shape[:-1]), X.shape[-1])
        grads = (_product(g2.T, X2) if weight.requires_grad else None,)
        if bias is not None:
            grads += (_sum_rows(g2) if bias.requires_grad else None,)
        if x_is_node:
            # δ·W, in the memory order of X: a flattened convolutional feature map arrives
            # column-major (its batch axis innermost, see ops/_windows.py), and its gradient made as
            # (Wᵀ·δᵀ)ᵀ, the same product stored the other way round, goes back through the
            # flatten and the pooling below without a transposing copy (0.3-0.5 ms per step of
            # the conv2d benchmark). The stride test is the cheap form of "column-major".
            if not x.requires_grad:
                gx = None
            elif X.ndim == 2 and X.strides[0] < X.strides[1]:
                gx = mm(W.T, g.T).T
            elif X.ndim > 2:
                gx = mm(g2, W).reshape(X.shape)  # one product, as in the forward pass
            else:
                gx = _product(g, W)
            grads = (gx,) + grads
        return grads

    if bias is None:
        return record(out, parents, backward, "linear")
    bias = bias if isinstance(bias, Tensor) else operand(bias)
    B = bias.data
    # (the usual bias, one value per output: len(W) is the number of outputs; cheaper to ask than
    # comparing shape tuples, on the path of every dense layer)
    usual = getattr(B, "ndim", None) == 1 and len(B) == len(W)
    if usual and B.dtype is out.dtype:
        out += B  # ``out`` is a fresh array: adding in place saves a temporary
    elif usual:  # of another dtype (a float64 bias): PyTorch's promoted one (ops.promotion)
        out = np.add(*promoted(out, B))
    else:
        # Any other bias that broadcasts to the output (PyTorch takes them, a number too) is added
        # to the product by ``add``, whose rule sums its gradient back to the bias's shape
        # (``unbroadcast``): the primitive's own bias is (out_features,), its gradient Σ δ.
        other, bias = bias, None
        return _add_bias(record(out, parents, backward, "linear"), other)
    return record(out, parents + (bias,), backward, "linear")


def _linear_of_vector(x, X: np.ndarray, weight: Tensor, bias):
    """x·w for a weight vector w of shape (in_features,): the product with w as a one-row weight
    matrix, its output axis of size 1 dropped, so the gradients come from linear's own rule (and
    data takes the weight's dtype, as there). PyTorch refuses a bias with this weight unless x is
    a vector too (its fused path for a matrix input wants a weight matrix); here any bias that
    broadcasts to the output is added."""
    if not X.ndim or X.shape[-1] != weight.data.shape[0]:
        features = X.shape[-1] if X.ndim else "no"
        raise ShapeError(f"linear: input of shape {X.shape} has {features} features, the weight of shape "
                         f"{weight.data.shape} expects {weight.data.shape[0]}")
    out = linear(x, reshape(weight, (1, -1)))
    out = reshape(out, out.data.shape[:-1])
    return out if bias is None else _add_bias(out, bias)


def _add_bias(out: Tensor, bias: Tensor) -> Tensor:
    """out + bias for a bias that broadcasts to the output's shape (it may not enlarge the output,
    as in PyTorch, where the bias is added into the output)."""
    shape, own = out.data.shape, np.shape(bias.data)
    try:
        fits = np.broadcast_shapes(shape, own) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"linear: the bias of shape {own} does not broadcast to the output's shape {shape}")
    return add(out, bias)


def _common_dtype(X: np.ndarray, W: np.ndarray, data: bool) -> tuple:
    """``X`` and ``W`` in the dtype their product is computed in. Data (an input that needs no
    gradient, float64 or integers as it arrives) takes a floating weight's dtype, deltaprop's choice
    where PyTorch refuses mixed dtypes; otherwise both take PyTorch's promoted dtype, as matmul does
    (float32 data with integer weights is float32, never truncated to integers)."""
    if data and W.dtype.kind == "f":
        return X.astype(W.dtype), W
    return promoted(X, W)


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a·b for linear's matrices: by ``np.dot`` when both are 2-D, contiguous (in either order) and
    of one dtype, float32 or float64, else by :func:`mm` (matmul, or its outer-product route).

    For such operands np.dot and matmul call the same BLAS routine with the same arguments, so
    the product is the same to the last bit (tests/reference/test_torch_small_step_paths.py
    compares them over shapes and layouts); np.dot skips the set-up of a generalised ufunc, 0.48
    against 0.77 µs for (1, 2)·(2, 8). (np.dot also clears its output before BLAS writes it; sending
    products of 4096 outputs or more to matmul instead measured no gain on the medium and wide
    networks' steps, 0.999-1.027 of the time.) Elsewhere the two differ (matmul computes strided or
    mixed-dtype operands in its own loop, np.dot copies them for BLAS), and mm keeps matmul's.
    """
    # (identity tests: NumPy's float32 and float64 arrays share one dtype object each, and the test
    # ``in (float32, float64)`` compared dtypes for 0.3 µs, as long as the product of a batch of one)
    kind = a.dtype
    if kind is b.dtype and (kind is _FLOAT32 or kind is _FLOAT64) and a.ndim == 2 and b.ndim == 2 and a.flags.forc and b.flags.forc:
        return a.dot(b)  # (the method: np.dot's array-function dispatch costs 0.5 µs more per call)
    return mm(a, b)


_FLOAT32, _FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)


def _sum_rows(g2: np.ndarray) -> np.ndarray:
    """The bias gradient Σ δ over the rows of ``g2`` (batch, out). A single row's sum is what NumPy's
    reduction computes for it, 0 + δ (so −0.0 becomes 0.0, as there), added directly: 0.40 µs
    against 0.82 for np.add.reduce on a batch of one (float32, 8 outputs)."""
    if g2.shape[0] == 1 and g2.dtype.kind == "f":
        return np.add(g2[0], constant(0, g2.dtype))
    return np.add.reduce(g2, axis=0)


def bilinear(input1, input2, weight, bias=None):
    """a_o = Σ_ij x1_i·W_oij·x2_j + b_o: one bilinear form per output, for x1 of shape
    (..., in1_features), x2 of shape (..., in2_features) with the same leading axes, and W of shape
    (out_features, in1_features, in2_features), as PyTorch's ``bilinear``.

    Each term of the sum is a product of three factors, so each factor's gradient is the sum of the
    other two times δ = ∂E/∂a: ∂E/∂x1_i = Σ_oj δ_o W_oij x2_j, ∂E/∂x2_j = Σ_oi δ_o x1_i W_oij,
    ∂E/∂W_oij = Σ_n δ_no x1_ni x2_nj, ∂E/∂b = Σ_n δ_n. np.einsum picks the order of the products.
    """
    x1, x2, weight = operand(input1), operand(input2), operand(weight)
    X1, X2, W = np.asarray(x1.data), np.asarray(x2.data), np.asarray(weight.data)
    if W.ndim != 3:
        raise ShapeError(f"bilinear: the weight must have shape (out_features, in1_features, in2_features), got shape {W.shape}")
    if X1.ndim != X2.ndim or X1.ndim == 0:
        raise ShapeError(f"bilinear: input1 and input2 must have the same number of dimensions (at least one), got "
                         f"shapes {X1.shape} and {X2.shape}")
    if X1.shape[:-1] != X2.shape[:-1]:
        raise ShapeError(f"bilinear: input1 and input2 must agree on every axis but the last, got shapes {X1.shape} and {X2.shape}")
    if X1.shape[-1] != W.shape[1] or X2.shape[-1] != W.shape[2]:
        raise ShapeError(f"bilinear: inputs of shapes {X1.shape} and {X2.shape} have {X1.shape[-1]} and {X2.shape[-1]} "
                         f"features, the weight of shape {W.shape} expects {W.shape[1]} and {W.shape[2]}")
    parents = (x1, x2, weight)
    if bias is not None:
        bias = operand(bias)
        if np.shape(bias.data) != W.shape[:1]:
            raise ShapeError(f"bilinear: the bias must have shape ({W.shape[0]},), one per output, got shape {np.shape(bias.data)}")
        parents += (bias,)
    lead = X1.shape[:-1]
    # Data arrives as float64 or integers: compute in the weight's dtype (what linear does).
    rows = math.prod(lead)  # (spelled out: a -1 beside a 0 is ambiguous)
    A = X1.reshape(rows, X1.shape[-1]) if x1.requires_grad else X1.reshape(rows, X1.shape[-1]).astype(W.dtype, copy=False)
    B = X2.reshape(rows, X2.shape[-1]) if x2.requires_grad else X2.reshape(rows, X2.shape[-1]).astype(W.dtype, copy=False)
    out = np.einsum("ni,oij,nj->no", A, W, B, optimize=True)
    if bias is not None:
        out += bias.data

    def backward(g):
        g = g.reshape(rows, W.shape[0])
        grads = (
            np.einsum("no,oij,nj->ni", g, W, B, optimize=True).reshape(X1.shape) if x1.requires_grad else None,
            np.einsum("no,ni,oij->nj", g, A, W, optimize=True).reshape(X2.shape) if x2.requires_grad else None,
            np.einsum("no,ni,nj->oij", g, A, B, optimize=True) if weight.requires_grad else None,
        )
        if bias is not None:
            grads += (np.add.reduce(g, axis=0) if bias.requires_grad else None,)
        return grads

    return record(out.reshape(lead + (W.shape[0],)), parents, backward, "bilinear")
