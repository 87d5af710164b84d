"""Embedding: a learned table of vectors, one row per token, looked up by integer index;
EmbeddingBag: the same table, its rows summed, averaged or maxed over each bag of indices.

A word (or any category) given as an index i becomes row i of the weight table: the same as a
Linear layer without bias applied to the one-hot vector of i, without building the one-hot vector.
"""

from __future__ import annotations

import numpy as np

from ..devices import on_cpu
from ..errors import ConfigError, DataError, ShapeError
from ..ops.indexing import _row_index, embedding_norm_options
from ..tensor import Tensor, get_default_dtype
from . import functional as F
from . import init
from .module import Module, Parameter, floating_dtype


class Embedding(Module):
    """A table ``weight`` of shape (num_embeddings, embedding_dim); an input of indices of any shape
    S gives an output of shape S + (embedding_dim,), row i wherever the index is i.

    The table starts as N(0, 1) draws, as PyTorch's does. The gradient of a row is the sum of the
    output gradients at the positions that picked it; other rows get 0. The row ``padding_idx``
    (an index that marks padding; a negative one counts from the end) starts at zero and never gets
    a gradient, so it stays zero while training. ``scale_grad_by_freq`` divides each row's gradient
    by how often the row was picked in the batch. ``sparse=True`` gives the table a gradient that
    also lists the rows the batch picked (still the dense array; see
    :mod:`deltaprop.row_gradient`), for :class:`~deltaprop.optim.SparseAdam`.

    ``max_norm`` (PyTorch's): at each call, before the lookup, every row the input names (each once)
    whose ``norm_type``-norm (2 by default) exceeds ``max_norm`` is rescaled in place to that norm,
    times max_norm / (norm + 1e-7), with no gradient through the rescaling: ``weight`` keeps the
    rescaled rows (see :func:`deltaprop.nn.functional.embedding`).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight=None, _freeze: bool = False, device=None, dtype=None):
        super().__init__()
        on_cpu("Embedding", device)
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ConfigError(f"Embedding: {name} must be a positive integer, got {value!r}")
        if not isinstance(sparse, (bool, np.bool_)):
            raise ConfigError(f"Embedding: sparse must be True or False, got {sparse!r}")
        max_norm, norm_type = embedding_norm_options("Embedding", max_norm, norm_type)
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        self.padding_idx = _row_index("Embedding", padding_idx, self.num_embeddings)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = bool(scale_grad_by_freq)
        self.sparse = bool(sparse)
        if _weight is None:
            dtype = floating_dtype("Embedding", get_default_dtype() if dtype is None else dtype)
            self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype=dtype))
            self.reset_parameters()
        else:
            table = _weight if isinstance(_weight, Tensor) else np.asarray(_weight)
            if tuple(np.shape(table.data if isinstance(table, Tensor) else table)) != (self.num_embeddings, self.embedding_dim):
                raise ShapeError(f"Embedding: _weight must have shape ({self.num_embeddings}, {self.embedding_dim}), "
                                 f"got shape {tuple(np.shape(getattr(table, 'data', table)))}")
            # The given table itself (its memory shared, as PyTorch shares it), padding row included.
            self.weight = Parameter(table, requires_grad=not _freeze)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> "Embedding":
        """An Embedding around a given (num_embeddings, embedding_dim) table, its rows as they are
        (the padding row is not zeroed; it gets no gradient); ``freeze`` (the default) keeps the
        table out of training (``requires_grad=False``). With ``max_norm`` the lookups rescale the
        table's rows in place, frozen or not, as PyTorch's do: the given table itself changes."""
        shape = tuple(np.shape(embeddings.data if isinstance(embeddings, Tensor) else embeddings))
        if len(shape) != 2:
            raise ShapeError(f"Embedding.from_pretrained: embeddings must be a 2-d table (num_embeddings, "
                             f"embedding_dim), got shape {shape}")
        return cls(shape[0], shape[1], padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse, _weight=embeddings, _freeze=freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0  # (normal_ has marked the array as changed)

    def forward(self, input):
        try:
            return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                               self.scale_grad_by_freq, self.sparse)
        except DataError as error:
            raise DataError(f"{self.describe()}: {error}") from None

    def describe(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"

    def config(self) -> dict:
        return {
            "num_embeddings": self.num_embeddings,
            "embedding_dim": self.embedding_dim,
            "padding_idx": self.padding_idx,
            # (max_norm and sparse absent at their defaults, as configs saved before them have them)
            **({"max_norm": self.max_norm} if self.max_norm is not None else {}),
            "norm_type": self.norm_type,
            "scale_grad_by_freq": self.scale_grad_by_freq,
            "dtype": self.weight.dtype.name,
            **({"sparse": True} if self.sparse else {}),
        }

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += ", scale_grad_by_freq=True"
        if self.sparse:
            text += ", sparse=True"
        return text


class EmbeddingBag(Module):
    """A table ``weight`` (num_embeddings, embedding_dim) whose rows are combined per bag of
    indices: ``mode`` 'sum', 'mean' (the default) or 'max', one output row per bag, without the
    (bags, length, width) array an Embedding and a reduction would build (a bag-of-words model).

    ``layer(input, offsets=None, per_sample_weights=None)``: a 2-d input (B, L) is B bags of L
    indices; a 1-d input is cut into bags at ``offsets`` (each bag's start; with
    ``include_last_offset``, one more entry, the end). ``per_sample_weights`` (mode 'sum') scales
    each index's row. Indices equal to ``padding_idx`` are left out of their bags; that row starts
    at zero and never gets a gradient. ``max_norm`` and ``norm_type`` rescale the rows the input names
    in place before each call, as :class:`Embedding`'s do; ``sparse=True`` gives the table a gradient
    listing the rows the bags read, for :class:`~deltaprop.optim.SparseAdam` (modes 'sum' and 'mean':
    PyTorch refuses it with 'max', and so does this, when the layer is built).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False, _weight=None,
                 include_last_offset: bool = False, padding_idx: int | None = None, device=None, dtype=None):
        super().__init__()
        name = "EmbeddingBag"
        on_cpu(name, device)
        for key, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ConfigError(f"{name}: {key} must be a positive integer, got {value!r}")
        max_norm, norm_type = embedding_norm_options(name, max_norm, norm_type)
        if mode not in ("sum", "mean", "max"):
            raise ConfigError(f"{name}: mode must be one of 'sum', 'mean' or 'max', got {mode!r}")
        if not isinstance(sparse, (bool, np.bool_)):
            raise ConfigError(f"{name}: sparse must be True or False, got {sparse!r}")
        if sparse and mode == "max":
            # (PyTorch builds the layer and refuses at its first call)
            raise ConfigError(f"{name}: mode='max' does not support sparse=True (as in PyTorch); use mode 'sum' or "
                              "'mean', or sparse=False")
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = bool(scale_grad_by_freq)
        self.mode = mode
        self.sparse = bool(sparse)
        self.include_last_offset = bool(include_last_offset)
        self.padding_idx = _row_index(name, padding_idx, self.num_embeddings)
        if _weight is None:
            dtype = floating_dtype(name, get_default_dtype() if dtype is None else dtype)
            self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype=dtype))
            self.reset_parameters()
        else:
            shape = tuple(np.shape(_weight.data if isinstance(_weight, Tensor) else _weight))
            if shape != (self.num_embeddings, self.embedding_dim):
                raise ShapeError(f"{name}: _weight must have shape ({self.num_embeddings}, {self.embedding_dim}), "
                                 f"got shape {shape}")
            self.weight = Parameter(_weight if isinstance(_weight, Tensor) else np.asarray(_weight))

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, max_norm: float | None = None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                        include_last_offset: bool = False, padding_idx: int | None = None) -> "EmbeddingBag":
        """An EmbeddingBag around a given (num_embeddings, embedding_dim) table, as
        :meth:`Embedding.from_pretrained`: its rows as they are (the padding row is not zeroed; it gets
        no gradient), the table itself shared, and ``freeze`` (the default) keeping it out of training."""
        shape = tuple(np.shape(embeddings.data if isinstance(embeddings, Tensor) else embeddings))
        if len(shape) != 2:
            raise ShapeError(f"EmbeddingBag.from_pretrained: embeddings must be a 2-d table (num_embeddings, "
                             f"embedding_dim), got shape {shape}")
        layer = cls(shape[0], shape[1], max_norm=max_norm, norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq,
                    mode=mode, sparse=sparse, _weight=embeddings, include_last_offset=include_last_offset,
                    padding_idx=padding_idx)
        layer.weight.requires_grad = not freeze
        return layer

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, input, offsets=None, per_sample_weights=None):
        try:
            return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                                   self.mode, self.sparse, per_sample_weights, self.include_last_offset,
                                   self.padding_idx)
        except (DataError, ShapeError, ConfigError) as error:
            raise type(error)(f"{self.describe()}: {error}") from None

    def describe(self) -> str:
        return f"EmbeddingBag({self.num_embeddings}, {self.embedding_dim})"

    def config(self) -> dict:
        return {
            "num_embeddings": self.num_embeddings,
            "embedding_dim": self.embedding_dim,
            # (max_norm and sparse absent at their defaults, as configs saved before them have them)
            **({"max_norm": self.max_norm} if self.max_norm is not None else {}),
            "norm_type": self.norm_type,
            "scale_grad_by_freq": self.scale_grad_by_freq,
            "mode": self.mode,
            **({"sparse": True} if self.sparse else {}),
            "include_last_offset": self.include_last_offset,
            "padding_idx": self.padding_idx,
            "dtype": self.weight.dtype.name,
        }

    def extra_repr(self) -> str:
        # PyTorch's order: the sizes, max_norm (when set), norm_type (when not 2), scale_grad_by_freq (when
        # set), mode, padding_idx; never sparse
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += ", scale_grad_by_freq=True"
        text += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text
