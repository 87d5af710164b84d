"""A linear layer and the cross-entropy of its logits as one loss module: PyTorch's
``LinearCrossEntropyLoss``, with the ``LinearCrossEntropyOptions`` it accepts.

The module owns a :class:`Linear` of ``num_classes · prod(out_features)`` outputs (its weight
stored flat, as in PyTorch, so state dicts match) and calls :func:`F.linear_cross_entropy`.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError
from . import functional as F
from .layers import Linear
from .loss import _WeightedLoss, _label


class LinearCrossEntropyOptions:
    """PyTorch's chunking strategy for :func:`F.linear_cross_entropy`, kept so ported code runs.

    deltaprop always makes the logits in full: these settings are stored and change nothing.
    """

    def __init__(self, allow_retain_graph: bool = False, batch_chunk_size: int | None = None,
                 chunking_method: str | None = "auto", acc_policy: str = "auto", acc_dtype=None):
        self.allow_retain_graph = bool(allow_retain_graph)
        self.batch_chunk_size = batch_chunk_size
        self.chunking_method = chunking_method
        self.acc_policy = acc_policy
        self.acc_dtype = acc_dtype

    def __repr__(self) -> str:
        fields = ", ".join(f"{key}={value!r}" for key, value in vars(self).items())
        return f"LinearCrossEntropyOptions({fields})"


class LinearCrossEntropyLoss(_WeightedLoss):
    """cross_entropy(linear(x), target) with the linear layer's weights as the module's parameters.

    ``out_features`` (d1, ..., dK) makes a K-dimensional loss: the logits have shape
    (N, num_classes, d1, ..., dK). ``ignore_index=None`` means −100 for class indices.
    ``options`` is accepted and changes nothing (see :class:`LinearCrossEntropyOptions`).
    """

    # (serialization: a loss that holds the output layer's weights is saved by its state_dict, not
    # as a layer of a model file's architecture)
    _in_model_files = False

    def __init__(self, in_features: int, num_classes: int, *, out_features: tuple = (), bias: bool = False,
                 device=None, dtype=None, reduction: str = "mean", weight=None, ignore_index=None,
                 label_smoothing: float = 0.0, options=None):
        super().__init__(weight, reduction)
        name = "LinearCrossEntropyLoss"
        for what, value in (("in_features", in_features), ("num_classes", num_classes)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ConfigError(f"{name}: {what} must be a positive integer, got {value!r}")
        out_features = tuple(out_features)
        if any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d <= 0 for d in out_features):
            raise ConfigError(f"{name}: out_features must be a tuple of positive integers, got {out_features!r}")
        if not 0.0 <= label_smoothing <= 1.0:
            raise ConfigError(f"{name}: label_smoothing must lie in [0, 1], got {label_smoothing}")
        self.in_features = int(in_features)
        self.num_classes = int(num_classes)
        self.out_features = tuple(int(d) for d in out_features)
        self.ignore_index = None if ignore_index is None else _label(name, ignore_index)
        self.label_smoothing = float(label_smoothing)
        self.options = options
        outputs = self.num_classes * math.prod(self.out_features)
        self.linear = Linear(in_features, outputs, bias=bias, device=device, dtype=dtype)

    def forward(self, input, target):
        shape = (self.num_classes, *self.out_features)
        weight = self.linear.weight.reshape(*shape, self.in_features)
        bias = None if self.linear.bias is None else self.linear.bias.reshape(shape)
        return F.linear_cross_entropy(input, weight, target, linear_bias=bias, weight=self.weight,
                                      reduction=self.reduction, ignore_index=self.ignore_index,
                                      label_smoothing=self.label_smoothing, options=self.options)

    def config(self) -> dict:
        return {"in_features": self.in_features, "num_classes": self.num_classes,
                "out_features": list(self.out_features), "bias": self.linear.bias is not None,
                **super().config(), "ignore_index": self.ignore_index, "label_smoothing": self.label_smoothing}

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, num_classes={self.num_classes}, out_features={self.out_features}, "
                f"bias={self.linear.bias is not None}, reduction={self.reduction}, ignore_index={self.ignore_index}, "
                f"label_smoothing={self.label_smoothing}, options={self.options}")
