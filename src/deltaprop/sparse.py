"""``torch.sparse``'s COO tensors in a minimal form backed by dense arrays.

Graph networks ported from PyTorch (pytorch/examples' GCN and GAT) build their adjacency matrix
with ``torch.sparse_coo_tensor(indices, values, size)``, convert with ``x.to_sparse()`` and multiply
with ``torch.spmm`` or ``torch.sparse.mm``. deltaprop has no sparse layout: these functions make and
multiply ordinary dense tensors holding the same values, so such programs compute PyTorch's numbers
and gradients, in the memory and time of dense arrays (a graph of n nodes holds n² numbers).
"""

from __future__ import annotations

import numpy as np

from . import ops
from .creation import zeros
from .devices import on_cpu
from .dtypes import tensor_dtype
from .errors import ShapeError
from .tensor import Tensor, as_tensor

__all__ = ["mm", "sparse_coo_tensor", "spmm"]


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, requires_grad=False,
                      check_invariants=None, is_coalesced=None) -> Tensor:
    """The tensor of ``size`` holding ``values[k]`` at position ``indices[:, k]`` and zeros elsewhere
    (values at a repeated position add up, as coalescing adds them), as a dense tensor.

    ``indices`` is (sparse dims, nnz) integers; ``values`` is (nnz, *dense dims), converted to
    ``dtype`` if given; without ``size``, each sparse dimension is one more than its largest index.
    The values keep their gradient: each gets the result's gradient at its position, as in PyTorch.
    A position outside ``size`` is refused in one sentence (PyTorch checks it with
    ``check_invariants=True`` only). ``check_invariants`` and ``is_coalesced`` change nothing here.
    """
    op = "sparse_coo_tensor"
    on_cpu(op, device)
    index = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if index.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers, got dtype {index.dtype}")
    if index.ndim != 2:
        raise ShapeError(f"{op}: indices must be 2-dimensional (sparse dims, nnz), got shape {index.shape}")
    values = values if isinstance(values, Tensor) else as_tensor(values)
    if dtype is not None:
        values = values.to(tensor_dtype(op, dtype))
    sparse_dims, nnz = index.shape
    if values.ndim == 0 or values.shape[0] != nnz:
        raise ShapeError(f"{op}: indices give {nnz} positions but values has shape {tuple(values.shape)}; "
                         f"values must be (nnz, *dense dims)")
    dense_shape = tuple(values.shape[1:])
    if size is None:
        size = tuple(int(n) + 1 for n in index.max(axis=1)) if nnz else (0,) * sparse_dims
        size += dense_shape
    size = tuple(int(n) for n in size)
    if len(size) != sparse_dims + len(dense_shape) or size[sparse_dims:] != dense_shape:
        raise ShapeError(f"{op}: size {size} does not fit {sparse_dims} sparse dimensions and values of shape "
                         f"{tuple(values.shape)} (size must be the sparse dimensions' sizes, then {dense_shape})")
    if nnz and (index.min() < 0 or np.any(index.max(axis=1) >= np.asarray(size[:sparse_dims]))):
        raise ShapeError(f"{op}: an index lies outside size {size}")
    positions = tuple(as_tensor(row.astype(np.int64)) for row in index)
    out = ops.index_put(zeros(size, dtype=values.dtype), positions, values, accumulate=True)
    return out.requires_grad_() if requires_grad else out


def mm(mat1, mat2) -> Tensor:
    """``torch.sparse.mm``: the matrix product of two 2-d tensors (dense ones here)."""
    return ops.mm(mat1, mat2)


spmm = mm  # torch.spmm: the same product
