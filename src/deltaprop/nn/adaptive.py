"""The adaptive softmax (Grave et al. 2017, "Efficient softmax approximation for GPUs"), with
PyTorch's names, parameters and results: ``AdaptiveLogSoftmaxWithLoss``.

With many classes sorted by frequency, the frequent ones (the shortlist, below ``cutoffs[0]``) are
scored by one head layer next to one extra score per cluster of rarer classes; a class in cluster i
gets log p(class) = log p_head(cluster i) + log p_i(class | cluster i), where cluster i's scores come
from a two-layer projection through in_features // div_value^(i + 1) features. A batch then pays for
the head and for the clusters its targets fall in, not for every class.

All of it is made of primitives (linear, log_softmax, gather, index_add), so backward() needs no
rule of its own here.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np

from .. import ops
from ..devices import on_cpu
from ..errors import ConfigError, DataError, ShapeError
from ..grad_mode import no_grad
from ..tensor import Tensor, get_default_dtype
from . import functional as F
from .attention import Composite, as_input, positive_integer
from .container import ModuleList, Sequential
from .layers import Linear
from .module import floating_dtype

NAME = "AdaptiveLogSoftmaxWithLoss"


class AdaptiveLogSoftmaxOutput(NamedTuple):
    """What ``AdaptiveLogSoftmaxWithLoss(input, target)`` returns: ``output``, the log-probability
    of each target (N,), and ``loss``, their negated mean (PyTorch's ``_ASMoutput``)."""

    output: Tensor
    loss: Tensor


class AdaptiveLogSoftmaxWithLoss(Composite):
    """Log-probabilities over ``n_classes`` classes through a head and one cluster per cutoff.

    ``cutoffs`` are increasing class indices between 1 and n_classes − 1: classes below cutoffs[0]
    are the head's shortlist, each further interval a cluster. ``head`` is Linear(in_features,
    cutoffs[0] + clusters, bias=head_bias); ``tail[i]`` is Sequential(Linear(in_features, h_i,
    bias=False), Linear(h_i, cluster size, bias=False)) with h_i = in_features // div_value^(i + 1),
    so a PyTorch state_dict ports as it is. ``forward(input, target)`` returns
    (output, loss); ``log_prob(input)`` every class's log-probability (N, n_classes);
    ``predict(input)`` the most likely class of each row.

    Where PyTorch builds a cluster with h_i = 0 (its output then ignores the input), this layer
    refuses the arguments: a Linear layer here has at least one feature.
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs: list, div_value: float = 4.0,
                 head_bias: bool = False, device=None, dtype=None):
        super().__init__()
        on_cpu(NAME, device)
        self.in_features = positive_integer(NAME, "in_features", in_features)
        self.n_classes = positive_integer(NAME, "n_classes", n_classes)
        cutoffs = _cutoffs(cutoffs, self.n_classes)
        if isinstance(div_value, (bool, np.bool_)) or not isinstance(div_value, numbers.Real) or not div_value > 0:
            raise ConfigError(f"{NAME}: div_value must be a positive number, got {div_value!r}")
        if not isinstance(head_bias, (bool, np.bool_)):
            raise ConfigError(f"{NAME}: head_bias must be True or False, got {head_bias!r}")
        self.div_value = float(div_value)
        self.head_bias = bool(head_bias)
        self.cutoffs = cutoffs + [self.n_classes]  # (PyTorch's attribute: the ends of the shortlist and each cluster)
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        dtype = floating_dtype(NAME, get_default_dtype() if dtype is None else dtype)
        hidden = [self._hidden_size(i) for i in range(self.n_clusters)]
        self.head = Linear(self.in_features, self.head_size, bias=self.head_bias, dtype=dtype)
        self.tail = ModuleList([
            Sequential(Linear(self.in_features, h, bias=False, dtype=dtype), Linear(h, size, bias=False, dtype=dtype))
            for h, size in zip(hidden, np.diff(self.cutoffs).tolist())
        ])

    def _hidden_size(self, i: int) -> int:
        """h_i = in_features // div_value^(i + 1), as PyTorch computes it; refused where it is 0."""
        try:
            h = self.in_features // self.div_value ** (i + 1)
        except OverflowError:  # (a huge div_value: Python's float power raises where NumPy's gives inf)
            h = 0.0
        except ZeroDivisionError:  # (a tiny one whose power underflows to 0)
            h = math.inf
        if not h >= 1:
            raise ConfigError(
                f"{NAME}: div_value={self.div_value!r} leaves cluster {i + 1} no hidden features (in_features "
                f"{self.in_features} // div_value^{i + 1} is 0); use a smaller div_value or fewer cutoffs"
            )
        if not h < 2**62:
            raise ConfigError(f"{NAME}: div_value={self.div_value!r} makes cluster {i + 1}'s hidden features (in_features "
                              f"{self.in_features} // div_value^{i + 1}) too many for any array")
        return int(h)

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for projection in self.tail:
            for linear in projection:
                linear.reset_parameters()

    def forward(self, input, target) -> AdaptiveLogSoftmaxOutput:
        """(log p(target) for each row, −mean of them), for input (N, in_features) and class indices
        (N,), or input (in_features,) and one class index (the output is then a scalar)."""
        labels = _class_indices(target, self.n_classes)
        batched = labels.ndim == 1
        x = self._rows(input, labels.shape[0] if batched else None, one=not batched)
        if not batched:
            labels = labels.reshape(1)
        # every target's log-probability in the head: its own class, or the score of its cluster
        cluster_of = np.searchsorted(np.array(self.cutoffs), labels, side="right")  # 0: the shortlist
        head_index = np.where(cluster_of == 0, labels, self.shortlist_size + cluster_of - 1)
        head_logprob = F.log_softmax(self.head(x), 1)
        output = ops.gather(head_logprob, 1, head_index[:, None]).reshape(-1)
        for i in range(1, self.n_clusters + 1):
            rows = np.flatnonzero(cluster_of == i)
            if rows.size == 0:
                continue
            cluster_logprob = F.log_softmax(self.tail[i - 1](x[rows]), 1)
            local = ops.gather(cluster_logprob, 1, (labels[rows] - self.cutoffs[i - 1])[:, None]).reshape(-1)
            output = ops.index_add(output, 0, rows, local)  # + log p(class | its cluster)
        loss = -output.mean()
        return AdaptiveLogSoftmaxOutput(output if batched else output.reshape(()), loss)

    def log_prob(self, input) -> Tensor:
        """log p(c) of every class c: (N, n_classes) for input (N, in_features), (n_classes,) for one row."""
        batched = np.ndim(getattr(input, "data", input)) != 1
        x = self._rows(input)
        full = self._full_log_prob(x, self.head(x))
        return full if batched else full.reshape(-1)

    def predict(self, input) -> Tensor:
        """The most likely class of each row (integers, no gradient). A row whose best head score is
        a shortlist class needs no cluster (no rarer class can beat it); the others are scored in full."""
        batched = np.ndim(getattr(input, "data", input)) != 1
        with no_grad():
            x = self._rows(input)
            head_output = self.head(x)
            best = np.argmax(head_output.data, axis=1)
            rest = np.flatnonzero(best >= self.shortlist_size)
            if rest.size:
                best[rest] = np.argmax(self._full_log_prob(x[rest], head_output[rest]).data, axis=1)
        best = best.astype(np.int64)
        return Tensor._wrap(best if batched else best.reshape(()))

    def _full_log_prob(self, x: Tensor, head_output: Tensor) -> Tensor:
        head_logprob = F.log_softmax(head_output, 1)
        parts = [head_logprob[:, : self.shortlist_size]]
        for i, projection in enumerate(self.tail):
            cluster = self.shortlist_size + i
            parts.append(F.log_softmax(projection(x), 1) + head_logprob[:, cluster : cluster + 1])
        return ops.concatenate(parts, axis=1)

    def _rows(self, input, n: int | None = None, one: bool = False) -> Tensor:
        """The input as rows (N, in_features) in the layer's dtype: ``n`` rows for n targets, one
        row (in_features,) for ``one`` target, else either form."""
        x = as_input(input, self.head.weight.dtype)
        width = self.in_features
        if one:
            fits, wanted = x.shape == (width,), f"({width},) for a single class index"
        elif n is not None:
            fits, wanted = x.shape == (n, width), f"({n}, {width}) for a target of shape ({n},)"
        else:
            fits, wanted = x.ndim in (1, 2) and x.shape[-1] == width, f"(N, {width}) or ({width},)"
        if not fits:
            raise ShapeError(f"{NAME}: expected input of shape {wanted}, got shape {x.shape}")
        return x.reshape(1, width) if x.ndim == 1 else x

    def describe(self) -> str:
        return f"{NAME}({self.in_features} -> {self.n_classes} classes, cutoffs {self.cutoffs[:-1]})"

    def config(self) -> dict:
        return {"in_features": self.in_features, "n_classes": self.n_classes, "cutoffs": self.cutoffs[:-1],
                "div_value": self.div_value, "head_bias": self.head_bias, "dtype": self.head.weight.dtype.name}

    def _part_specs(self) -> dict:
        dtype = self.head.weight.dtype.name
        specs = {"head": ("Linear", {"in_features": self.in_features, "out_features": self.head_size,
                                     "bias": self.head_bias, "dtype": dtype}),
                 "tail": ("ModuleList", {})}
        for i in range(self.n_clusters):
            h, size = self._hidden_size(i), self.cutoffs[i + 1] - self.cutoffs[i]
            specs[f"tail.{i}"] = ("Sequential", {})
            specs[f"tail.{i}.0"] = ("Linear", {"in_features": self.in_features, "out_features": h, "bias": False,
                                               "dtype": dtype})
            specs[f"tail.{i}.1"] = ("Linear", {"in_features": h, "out_features": size, "bias": False, "dtype": dtype})
        return specs


def _cutoffs(cutoffs, n_classes: int) -> list:
    """The cutoffs as a list of increasing integers in [1, n_classes − 1], or one sentence why not."""
    values = list(cutoffs) if isinstance(cutoffs, (list, tuple, np.ndarray)) else None
    fine = bool(values) and all(isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_)) for c in values)
    if fine:
        values = [int(c) for c in values]
        fine = values[0] >= 1 and values[-1] <= n_classes - 1 and all(a < b for a, b in zip(values, values[1:]))
    if not fine:
        raise ConfigError(f"{NAME}: cutoffs must be a non-empty list of increasing integers between 1 and n_classes - 1 "
                          f"= {n_classes - 1}, got {cutoffs!r}")
    return values


def _class_indices(target, n_classes: int) -> np.ndarray:
    labels = np.asarray(getattr(target, "data", target))
    if labels.ndim > 1:
        raise ShapeError(f"{NAME}: target must be class indices (N,) or one class index, got shape {labels.shape}")
    if labels.dtype.kind not in "iu":
        raise DataError(f"{NAME}: target must hold integer class indices, got dtype {labels.dtype}")
    outside = (labels < 0) | (labels >= n_classes)
    if np.any(outside):
        raise DataError(f"{NAME}: target class {labels[outside].flat[0]} is outside [0, {n_classes}) for "
                        f"n_classes={n_classes}")
    return labels.astype(np.int64)
